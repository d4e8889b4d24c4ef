//! Refusals name their subject (origin, method, first refused header name), their report
//! escapes every request byte and gives Chrome's console sentence, and the `on_refusal`
//! hook sees every refusal through every layer constructor.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http::{HeaderValue, Method, Request, Response};
use tower::{service_fn, Layer, ServiceExt};
use tower_cors::{CorsLayer, CorsPolicy, PathPolicies, Refusal};

const APP: &str = "https://app.example.com";

fn policy() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origin(APP)
        .allow_origin_pattern("https://*.tenant.example.com")
        .allow_methods([Method::PUT])
        .allow_headers(["content-type", "x-request-id"])
        .build()
        .expect("valid policy")
}

/// A request from raw header lines.
fn request(method: &str, path: &str, headers: &[(&str, &[u8])]) -> Request<()> {
    let mut req = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        req = req.header(*name, HeaderValue::from_bytes(value).expect("header value"));
    }
    req.body(()).expect("request")
}

fn preflight(origin: &[u8], method: &[u8], acrh: &[&[u8]]) -> Request<()> {
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("origin", origin),
        ("access-control-request-method", method),
    ];
    for line in acrh {
        headers.push(("access-control-request-headers", line));
    }
    request("OPTIONS", "/api/items", &headers)
}

/// A description, a request, the refusal and its subject.
type SubjectCase = (&'static str, Request<()>, Refusal, Option<&'static [u8]>);

/// Method, path, origin, refusal, subject and the report line, as the hook saw them.
type Observed = (
    String,
    String,
    Option<Vec<u8>>,
    Refusal,
    Option<Vec<u8>>,
    String,
);

fn printable(line: &str) -> bool {
    line.bytes().all(|b| (0x20..0x7f).contains(&b))
}

#[test]
fn every_refusal_names_its_subject() {
    let p = policy();
    let huge = vec![b'a'; 5000];
    let cases: Vec<SubjectCase> = vec![
        (
            "origin not allowed",
            request("GET", "/", &[("origin", b"https://evil.example")]),
            Refusal::OriginNotAllowed,
            Some(b"https://evil.example"),
        ),
        (
            "malformed origin",
            request("GET", "/", &[("origin", b"https://EVIL.example\t\xff")]),
            Refusal::OriginMalformed,
            Some(b"https://EVIL.example\t\xff"),
        ),
        (
            "duplicated origin: the first",
            request(
                "GET",
                "/",
                &[
                    ("origin", b"https://one.example"),
                    ("origin", APP.as_bytes()),
                ],
            ),
            Refusal::OriginDuplicated,
            Some(b"https://one.example"),
        ),
        (
            "null origin",
            request("GET", "/", &[("origin", b"null")]),
            Refusal::NullOriginNotAllowed,
            Some(b"null"),
        ),
        (
            "preflight origin",
            preflight(b"https://evil.example", b"PUT", &[]),
            Refusal::OriginNotAllowed,
            Some(b"https://evil.example"),
        ),
        (
            "method",
            preflight(APP.as_bytes(), b"DELETE", &[]),
            Refusal::MethodNotAllowed,
            Some(b"DELETE"),
        ),
        (
            "method differing in case",
            preflight(APP.as_bytes(), b"put", &[]),
            Refusal::MethodNotAllowed,
            Some(b"put"),
        ),
        (
            "malformed method",
            preflight(APP.as_bytes(), b"P U T", &[]),
            Refusal::MethodMalformed,
            Some(b"P U T"),
        ),
        (
            "first refused header",
            preflight(APP.as_bytes(), b"PUT", &[b"content-type, x-debug ,x-other"]),
            Refusal::HeaderNotAllowed,
            Some(b"x-debug"),
        ),
        (
            "refused header on a second line",
            preflight(APP.as_bytes(), b"PUT", &[b"content-type", b" X-Trace"]),
            Refusal::HeaderNotAllowed,
            Some(b"X-Trace"),
        ),
        (
            "malformed list: the element up to the bad byte",
            preflight(APP.as_bytes(), b"PUT", &[b"content-type,x\"y,z"]),
            Refusal::HeadersMalformed,
            Some(b"x\""),
        ),
        (
            "oversized list names nothing",
            preflight(APP.as_bytes(), b"PUT", &[&huge]),
            Refusal::HeadersTooLong,
            None,
        ),
    ];
    for (desc, req, refusal, subject) in cases {
        let decision = p.evaluate_request(&req);
        let refused = decision
            .refused()
            .unwrap_or_else(|| panic!("{desc}: {decision:?}"));
        assert_eq!(refused.refusal(), refusal, "{desc}");
        assert_eq!(refused.subject(req.headers()), subject, "{desc}");
        let report = decision.report(&req).expect("a report");
        assert_eq!(report.subject(), subject, "{desc}");
        assert_eq!(report.refusal(), refusal, "{desc}");
        let line = report.to_string();
        assert!(printable(&line), "{desc}: {line}");
        // The same decision through `Parts`.
        let (parts, ()) = req.into_parts();
        let by_parts = p.evaluate(&parts);
        assert_eq!(by_parts, decision, "{desc}");
    }
    // Allowed, no Origin: nothing to report.
    let allowed = preflight(APP.as_bytes(), b"PUT", &[b"content-type"]);
    assert!(p.evaluate_request(&allowed).report(&allowed).is_none());
    let plain = request("GET", "/", &[]);
    assert!(p.evaluate_request(&plain).report(&plain).is_none());
}

#[test]
fn report_lines_name_the_subject_and_chromes_sentence() {
    let p = policy();
    let explain = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods([Method::PUT])
        .allow_headers(["content-type"])
        .explain_preflight_refusals(true)
        .build()
        .expect("explaining policy");
    const BARE_PREFLIGHT: &str = "Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.";
    const ACTUAL: &str = "No 'Access-Control-Allow-Origin' header is present on the requested resource. If an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.";
    let cases: Vec<(&str, &CorsPolicy, Request<()>, String)> = vec![
        (
            "refused header",
            &p,
            preflight(APP.as_bytes(), b"PUT", &[b"content-type,x-debug"]),
            format!("CORS preflight refused: request header \"x-debug\" not allowed (OPTIONS /api/items, origin \"https://app.example.com\"); Chrome's console: \"...from origin 'https://app.example.com' has been blocked by CORS policy: {BARE_PREFLIGHT}\""),
        ),
        (
            "explained header",
            &explain,
            preflight(APP.as_bytes(), b"PUT", &[b"content-type,x-debug"]),
            "CORS preflight refused: request header \"x-debug\" not allowed (OPTIONS /api/items, origin \"https://app.example.com\"); Chrome's console: \"...from origin 'https://app.example.com' has been blocked by CORS policy: Request header field x-debug is not allowed by Access-Control-Allow-Headers in preflight response.\"".to_owned(),
        ),
        (
            "explained method",
            &explain,
            preflight(APP.as_bytes(), b"PATCH", &[]),
            "CORS preflight refused: method \"PATCH\" not allowed (OPTIONS /api/items, origin \"https://app.example.com\"); Chrome's console: \"...from origin 'https://app.example.com' has been blocked by CORS policy: Method PATCH is not allowed by Access-Control-Allow-Methods in preflight response.\"".to_owned(),
        ),
        (
            "refused method",
            &p,
            preflight(APP.as_bytes(), b"PATCH", &[]),
            format!("CORS preflight refused: method \"PATCH\" not allowed (OPTIONS /api/items, origin \"https://app.example.com\"); Chrome's console: \"...from origin 'https://app.example.com' has been blocked by CORS policy: {BARE_PREFLIGHT}\""),
        ),
        (
            "refused origin, actual request",
            &p,
            request("POST", "/api/items", &[("origin", b"https://evil.example")]),
            format!("CORS request refused: origin \"https://evil.example\" not allowed (POST /api/items, origin \"https://evil.example\"); Chrome's console: \"...from origin 'https://evil.example' has been blocked by CORS policy: {ACTUAL}\""),
        ),
    ];
    for (desc, policy, req, expected) in cases {
        let decision = policy.evaluate_request(&req);
        let line = decision.report(&req).expect("refused").to_string();
        assert_eq!(line, expected, "{desc}");
    }
}

#[test]
fn hostile_bytes_never_reach_a_log_line_raw() {
    // Bytes a header value may carry: tab, quotes, backslashes, DEL-free obs-text
    // (U+0085 NEL and U+2028 LINE SEPARATOR in UTF-8, which some log viewers break
    // lines on), and a forged log line after them.
    let hostile: &[u8] =
        b"https://evil.example\t\"\\ \xc2\x85 \xe2\x80\xa8 level=error msg=\"forged\" \xff";
    let p = CorsPolicy::builder()
        .allow_origin_pattern("https://*.example.com")
        .build()
        .expect("pattern policy");
    let reqs = [
        request("GET", "/a%0d%0ab", &[("origin", hostile)]),
        preflight(hostile, b"PUT", &[]),
        preflight(b"https://x.example.com", b"PUT", &[b"ok,\xc2\x85bad"]),
        preflight(
            b"https://x.example.com",
            b"PUT",
            &[b"x-\xe2\x80\xa8-forged"],
        ),
        request("GET", "/", &[("origin", &[b'a'; 3000])]),
    ];
    for req in reqs {
        let decision = p.evaluate_request(&req);
        let report = decision.report(&req).expect("refused");
        let line = report.to_string();
        assert!(printable(&line), "not printable ASCII: {line}");
        assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
        assert!(line.len() < 1200, "bounded: {} bytes", line.len());
        // Quotes inside values are escaped: the line has no unescaped quote inside
        // a quoted value, so `msg="forged"` cannot appear as a field.
        assert!(!line.contains("msg=\"forged\""), "{line}");
        assert!(!report.console_reason().to_string().contains('\t'));
    }
    let req = request("GET", "/", &[("origin", hostile)]);
    let line = p
        .evaluate_request(&req)
        .report(&req)
        .expect("refused")
        .to_string();
    assert!(
        line.contains(r#"malformed origin "https://evil.example\t\"\\ \xc2\x85 \xe2\x80\xa8 level=error msg=\"forged\" \xff""#),
        "{line}"
    );
    let long = request("GET", "/", &[("origin", &[b'a'; 3000])]);
    let line = p
        .evaluate_request(&long)
        .report(&long)
        .expect("refused")
        .to_string();
    assert!(line.contains("... (3000 bytes)"), "{line}");
}

/// What the hook saw: one line per refusal, and the fields a program reads.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Observed>>>);

impl Seen {
    fn layer(&self, layer: CorsLayer) -> CorsLayer {
        let seen = self.clone();
        layer.on_refusal(move |report| {
            seen.0.lock().expect("lock").push((
                report.method().to_string(),
                report.path().to_owned(),
                report.origin().map(|o| o.as_bytes().to_vec()),
                report.refusal(),
                report.subject().map(<[u8]>::to_vec),
                report.to_string(),
            ));
        })
    }

    fn take(&self) -> Vec<Observed> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

async fn call(layer: &CorsLayer, req: Request<()>) -> u16 {
    let svc = layer.layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    }));
    svc.oneshot(req)
        .await
        .expect("infallible")
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_hook_sees_every_refusal_through_every_constructor() {
    let (reloadable, handle) = CorsLayer::reloadable(policy());
    let paths = PathPolicies::builder()
        .prefix("/api", policy())
        .build()
        .expect("paths");
    let constructors = [
        ("new", CorsLayer::new(policy())),
        ("reloadable", reloadable),
        ("per_path", CorsLayer::per_path(paths)),
    ];
    for (desc, layer) in constructors {
        let seen = Seen::default();
        let layer = seen.layer(layer);
        // Not refusals: allowed, no Origin.
        call(
            &layer,
            preflight(APP.as_bytes(), b"PUT", &[b"content-type"]),
        )
        .await;
        call(&layer, request("GET", "/api/items", &[])).await;
        call(
            &layer,
            request("GET", "/api/items", &[("origin", APP.as_bytes())]),
        )
        .await;
        assert!(seen.take().is_empty(), "{desc}: allowed requests reported");
        // Refusals.
        let status = call(
            &layer,
            preflight(APP.as_bytes(), b"PUT", &[b"content-type,x-debug"]),
        )
        .await;
        assert_eq!(status, 403, "{desc}");
        call(
            &layer,
            request("POST", "/api/items", &[("origin", b"https://evil.example")]),
        )
        .await;
        let seen = seen.take();
        assert_eq!(seen.len(), 2, "{desc}: {seen:?}");
        let (method, path, origin, refusal, subject, line) = &seen[0];
        assert_eq!(method, "OPTIONS", "{desc}");
        assert_eq!(path, "/api/items", "{desc}");
        assert_eq!(origin.as_deref(), Some(APP.as_bytes()), "{desc}");
        assert_eq!(*refusal, Refusal::HeaderNotAllowed, "{desc}");
        assert_eq!(subject.as_deref(), Some(&b"x-debug"[..]), "{desc}");
        assert!(
            line.contains("request header \"x-debug\" not allowed"),
            "{desc}: {line}"
        );
        let (method, _, _, refusal, subject, _) = &seen[1];
        assert_eq!(method, "POST", "{desc}");
        assert_eq!(*refusal, Refusal::OriginNotAllowed, "{desc}");
        assert_eq!(
            subject.as_deref(),
            Some(&b"https://evil.example"[..]),
            "{desc}"
        );
    }
    // A replaced policy is the one whose refusals are reported.
    let seen = Seen::default();
    let (layer, handle2) = CorsLayer::reloadable(policy());
    let layer = seen.layer(layer);
    handle2.replace(
        CorsPolicy::builder()
            .allow_origin("https://new.example.com")
            .build()
            .expect("new policy"),
    );
    call(&layer, request("GET", "/", &[("origin", APP.as_bytes())])).await;
    assert_eq!(seen.take().len(), 1, "the old origin is refused now");
    drop(handle);
    // A path no policy covers: reported without a subject.
    let seen = Seen::default();
    let paths = PathPolicies::builder()
        .prefix("/api", policy())
        .build()
        .expect("paths");
    let layer = seen.layer(CorsLayer::per_path(paths));
    call(&layer, preflight_at("/other")).await;
    let seen = seen.take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].3, Refusal::PathNotCovered);
    assert_eq!(seen[0].4, None);
}

fn preflight_at(path: &str) -> Request<()> {
    request(
        "OPTIONS",
        path,
        &[
            ("origin", APP.as_bytes()),
            ("access-control-request-method", b"PUT"),
        ],
    )
}

#[tokio::test]
async fn the_hook_under_strict_mode_and_same_origin() {
    let seen = Seen::default();
    let strict = CorsPolicy::builder()
        .allow_origin(APP)
        .own_origins(["https://api.example.com"])
        .strict(true)
        .build()
        .expect("strict");
    let layer = seen.layer(CorsLayer::new(strict));
    // Same origin: never refused, never reported.
    let own = request(
        "POST",
        "/form",
        &[
            ("origin", b"https://api.example.com"),
            ("host", b"api.example.com"),
        ],
    );
    assert_eq!(call(&layer, own).await, 200);
    assert!(seen.take().is_empty());
    let evil = request("POST", "/form", &[("origin", b"https://evil.example")]);
    assert_eq!(call(&layer, evil).await, 403);
    assert_eq!(seen.take().len(), 1);
    // A later on_refusal replaces the first hook.
    let other = Seen::default();
    let layer = other.layer(seen.layer(CorsLayer::new(policy())));
    call(
        &layer,
        request("GET", "/", &[("origin", b"https://evil.example")]),
    )
    .await;
    assert_eq!((seen.take().len(), other.take().len()), (0, 1));
}

/// A same-origin form `POST` is forwarded without strict mode too, and never reported.
#[tokio::test]
async fn same_origin_form_posts_are_never_reported() {
    let seen = Seen::default();
    let lax = CorsPolicy::builder()
        .allow_origin(APP)
        .own_origins(["https://api.example.com"])
        .build()
        .expect("valid");
    let layer = seen.layer(CorsLayer::new(lax));
    let own = request(
        "POST",
        "/form",
        &[
            ("origin", b"https://api.example.com"),
            ("content-type", b"application/x-www-form-urlencoded"),
        ],
    );
    assert_eq!(call(&layer, own).await, 200);
    assert!(
        seen.take().is_empty(),
        "a same-origin form POST is no refusal"
    );
    let cross = request("POST", "/form", &[("origin", b"https://evil.example")]);
    assert_eq!(call(&layer, cross).await, 200);
    assert_eq!(seen.take().len(), 1, "a cross-origin one is");
}

/// A refused origin that has the request's `Host` may be the service's own page, not
/// declared: the report says how to declare it; other refusals say nothing of it.
#[tokio::test]
async fn a_refusal_looking_like_the_own_page_says_how_to_declare_it() {
    let seen = Seen::default();
    let strict = CorsPolicy::builder()
        .allow_origin(APP)
        .strict(true)
        .build()
        .expect("strict");
    let layer = seen.layer(CorsLayer::new(strict));
    let cases: &[(&str, &[u8], &[u8], bool)] = &[
        (
            "the Host",
            b"https://api.example.com",
            b"api.example.com",
            true,
        ),
        (
            "the Host with its default port",
            b"https://api.example.com",
            b"api.example.com:443",
            true,
        ),
        (
            "the Host, other case",
            b"https://api.example.com",
            b"API.example.com",
            true,
        ),
        (
            "another host",
            b"https://evil.example",
            b"api.example.com",
            false,
        ),
        (
            "another port",
            b"https://api.example.com:8443",
            b"api.example.com",
            false,
        ),
        (
            "a Host over the cap",
            b"https://api.example.com",
            &[b'a'; 2000],
            false,
        ),
    ];
    for (desc, origin, host, hint) in cases {
        let req = request("POST", "/form", &[("origin", origin), ("host", host)]);
        assert_eq!(call(&layer, req).await, 403, "{desc}");
        let reports = seen.take();
        assert_eq!(reports.len(), 1, "{desc}");
        let text = &reports[0].5;
        assert_eq!(
            text.contains("declare it with own_origins"),
            *hint,
            "{desc}: {text}"
        );
    }
}
