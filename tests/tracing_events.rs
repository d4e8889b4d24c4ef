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
