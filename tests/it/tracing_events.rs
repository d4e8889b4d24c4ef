//! Feature `tracing`: refused requests are logged with escaped values, so a
//! hostile `Origin` cannot forge log lines (flask-cors CVE-2024-1681).
#![cfg(feature = "tracing")]

use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Mutex};

use http::{HeaderValue, Request, Response};
use tower::{service_fn, Layer, ServiceExt};
use tower_cors::{CorsLayer, CorsPolicy};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every event's fields as `name=value` strings.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Vec<String>>>>);

struct Fields(Vec<String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push(format!("{}={value}", field.name()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(vec![format!("target={}", event.metadata().target())]);
        event.record(&mut fields);
        self.0.lock().expect("lock").push(fields.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn refusals_are_logged_with_escaped_origin() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let policy = CorsPolicy::builder()
        .allow_origin("https://app.example")
        .build()
        .expect("valid");
    let svc = CorsLayer::new(policy).layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    }));
    let hostile = b"https://evil.example\t\"injected\" level=error \xff";
    let req = Request::options("/")
        .header(
            "origin",
            HeaderValue::from_bytes(hostile).expect("header value"),
        )
        .header("access-control-request-method", "GET")
        .body(())
        .expect("request");
    svc.clone().oneshot(req).await.expect("infallible");
    // Allowed requests are not logged.
    let ok = Request::get("/")
        .header("origin", "https://app.example")
        .body(())
        .expect("request");
    svc.oneshot(ok).await.expect("infallible");

    let events = recorder.0.lock().expect("lock").clone();
    assert_eq!(events.len(), 1, "{events:?}");
    let fields = &events[0];
    assert!(
        fields.contains(&"target=tower_cors".to_owned()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"message=CORS request refused".to_owned()),
        "{fields:?}"
    );
    assert!(fields.contains(&"preflight=true".to_owned()), "{fields:?}");
    assert!(
        fields.contains(&"reason=origin not allowed".to_owned()),
        "{fields:?}"
    );
    let origin = fields
        .iter()
        .find(|f| f.starts_with("origin="))
        .expect("origin field");
    assert_eq!(
        origin,
        r#"origin="https://evil.example\t\"injected\" level=error \xff""#
    );
    assert!(
        origin.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "printable ASCII only: {origin}"
    );
}

#[tokio::test]
async fn refusal_events_name_the_path_and_the_refused_method_or_header() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let policy = CorsPolicy::builder()
        .allow_origin("https://app.example")
        .allow_headers(["content-type"])
        .build()
        .expect("valid");
    // The hook and the event both see the refusal.
    let hooked = Arc::new(Mutex::new(0));
    let count = hooked.clone();
    let svc = CorsLayer::new(policy)
        .on_refusal(move |_| *count.lock().expect("lock") += 1)
        .layer(service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(String::new()))
        }));
    let header = Request::options("/api/items?q=1")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            HeaderValue::from_bytes(b"content-type, x-debug\xc2\x85").expect("value"),
        )
        .body(())
        .expect("request");
    svc.clone().oneshot(header).await.expect("infallible");
    let method = Request::options("/api/items")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "DELETE")
        .body(())
        .expect("request");
    svc.clone().oneshot(method).await.expect("infallible");
    let plain = Request::options("/api/items")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "content-type,x-debug")
        .body(())
        .expect("request");
    svc.oneshot(plain).await.expect("infallible");

    let events = recorder.0.lock().expect("lock").clone();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(*hooked.lock().expect("lock"), 3);
    let field = |event: &Vec<String>, name: &str| {
        event
            .iter()
            .find(|f| f.starts_with(&format!("{name}=")))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {event:?}"))
    };
    // The malformed element is named up to the byte where parsing stopped.
    assert_eq!(field(&events[0], "path"), "path=/api/items");
    assert_eq!(
        field(&events[0], "reason"),
        "reason=malformed access-control-request-headers"
    );
    assert_eq!(field(&events[0], "refused"), r#"refused="x-debug\xc2""#);
    assert_eq!(field(&events[1], "refused"), r#"refused="DELETE""#);
    assert_eq!(field(&events[1], "reason"), "reason=method not allowed");
    assert_eq!(field(&events[2], "refused"), r#"refused="x-debug""#);
    assert_eq!(
        field(&events[2], "reason"),
        "reason=request header not allowed"
    );
    for event in &events {
        for f in event {
            assert!(f.bytes().all(|b| (0x20..0x7f).contains(&b)), "{f}");
        }
    }
}

#[tokio::test]
async fn report_only_differences_are_logged_with_both_decisions() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let enforced = CorsPolicy::builder()
        .allow_origin("https://app.example")
        .expose_headers(["x-request-id"])
        .build()
        .expect("valid");
    // Same origins, no exposed headers: allowed requests get other headers.
    let candidate = CorsPolicy::builder()
        .allow_origin("https://app.example")
        .build()
        .expect("valid");
    let hooked = Arc::new(Mutex::new(0usize));
    let count = hooked.clone();
    let layer = CorsLayer::new(enforced)
        .report_only(candidate)
        .on_refusal(move |_| *count.lock().expect("lock") += 1);
    let svc = layer.layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    }));
    let req = Request::get("/items?q=1")
        .header("origin", "https://app.example")
        .body(())
        .expect("request");
    let res = svc.clone().oneshot(req).await.expect("infallible");
    assert_eq!(
        res.headers()["access-control-expose-headers"],
        "x-request-id"
    );
    // No origin: nothing differs, nothing is logged.
    let plain = Request::get("/").body(()).expect("request");
    svc.oneshot(plain).await.expect("infallible");

    let events = recorder.0.lock().expect("lock").clone();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    for expected in [
        "target=tower_cors",
        "message=CORS report-only policy answers differently",
        r#"origin="https://app.example""#,
        "method=GET",
        "path=/items",
        "enforced=actual request allowed",
        "candidate=actual request allowed",
        "differs=access-control-expose-headers",
    ] {
        assert!(event.iter().any(|f| f == expected), "{expected}: {event:?}");
    }
    // Not a refusal: the hook is not called.
    assert_eq!(*hooked.lock().expect("lock"), 0);
}
