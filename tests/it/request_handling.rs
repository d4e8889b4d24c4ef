//! DESIGN §3: what each request gets, through the tower `Service`.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS as ACAC, ACCESS_CONTROL_ALLOW_HEADERS as ACAH,
    ACCESS_CONTROL_ALLOW_METHODS as ACAM, ACCESS_CONTROL_ALLOW_ORIGIN as ACAO,
    ACCESS_CONTROL_EXPOSE_HEADERS as ACEH, ACCESS_CONTROL_MAX_AGE as ACMA,
    ACCESS_CONTROL_REQUEST_HEADERS as ACRH, VARY,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::{service_fn, Layer, ServiceExt};
use tower_cors::{CorsLayer, CorsPolicy, Decision, Refusal};

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example";

/// The policy most tests use: credentialed, exact origin plus a pattern.
fn policy() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origin(APP)
        .allow_origin_pattern("https://*.tenant.example.com")
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_methods(["purge"])
        .allow_headers(["content-type", "authorization", "x-request-id"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .build()
        .expect("valid policy")
}

/// What the inner service answers, and how often it was called.
#[derive(Clone)]
struct Inner {
    status: StatusCode,
    headers: Vec<(&'static str, &'static str)>,
    calls: Arc<AtomicUsize>,
}

impl Inner {
    fn new(status: u16) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("status"),
            headers: Vec::new(),
            calls: Arc::default(),
        }
    }

    fn with(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Sends `req` through `CorsLayer(policy)` around this inner service.
    async fn send(&self, policy: &CorsPolicy, req: Request<()>) -> (StatusCode, HeaderMap, Bytes) {
        let me = self.clone();
        let svc = service_fn(move |_req: Request<()>| {
            let me = me.clone();
            async move {
                me.calls.fetch_add(1, Ordering::SeqCst);
                let mut res = Response::new(Full::new(Bytes::from_static(b"inner body")));
                *res.status_mut() = me.status;
                for (n, v) in &me.headers {
                    res.headers_mut().append(*n, HeaderValue::from_static(v));
                }
                Ok::<_, Infallible>(res)
            }
        });
        let res = CorsLayer::new(policy.clone())
            .layer(svc)
            .oneshot(req)
            .await
            .expect("infallible");
        let (parts, body) = res.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        (parts.status, parts.headers, body)
    }
}

fn request(method: Method, headers: &[(&str, &str)]) -> Request<()> {
    let mut req = Request::builder().method(method).uri("/api/items");
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    req.body(()).expect("request")
}

fn preflight(origin: &str, method: &str, request_headers: Option<&str>) -> Request<()> {
    let mut h = vec![
        ("origin", origin),
        ("access-control-request-method", method),
    ];
    if let Some(v) = request_headers {
        h.push(("access-control-request-headers", v));
    }
    request(Method::OPTIONS, &h)
}

fn values(headers: &HeaderMap, name: impl http::header::AsHeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

/// No `Access-Control-*` response header at all.
fn assert_no_cors_headers(headers: &HeaderMap, desc: &str) {
    let leaked: Vec<_> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .collect();
    assert!(leaked.is_empty(), "{desc}: leaked {leaked:?}");
}

#[tokio::test]
async fn no_origin_is_forwarded_untouched_with_vary_origin() {
    let inner = Inner::new(200).with("content-type", "text/plain");
    let (status, headers, body) = inner.send(&policy(), request(Method::GET, &[])).await;
    assert_eq!(inner.calls(), 1);
    assert_eq!(status, 200);
    assert_eq!(&body[..], b"inner body");
    assert_eq!(values(&headers, VARY), ["Origin"]);
    assert_eq!(values(&headers, "content-type"), ["text/plain"]);
    assert_no_cors_headers(&headers, "no origin");
}

#[tokio::test]
async fn preflight_allowed_is_answered_without_calling_inner() {
    let inner = Inner::new(401);
    let (status, headers, body) = inner
        .send(
            &policy(),
            preflight(APP, "PUT", Some("content-type,authorization")),
        )
        .await;
    assert_eq!(
        inner.calls(),
        0,
        "preflight must never reach the inner service"
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(body.is_empty());
    assert_eq!(values(&headers, ACAO), [APP]);
    assert_eq!(values(&headers, ACAC), ["true"]);
    assert_eq!(values(&headers, ACAM), ["GET, POST, PUT, DELETE, purge"]);
    assert_eq!(
        values(&headers, ACAH),
        ["content-type, authorization, x-request-id"]
    );
    assert_eq!(values(&headers, ACMA), ["600"]);
    assert_eq!(
        values(&headers, VARY),
        ["Origin, Access-Control-Request-Method, Access-Control-Request-Headers"]
    );
    assert!(
        !headers.contains_key(ACEH),
        "expose headers only on actual responses"
    );
}

#[tokio::test]
async fn preflight_status_is_configurable_to_200() {
    let policy = CorsPolicy::builder()
        .allow_origin(APP)
        .preflight_status(StatusCode::OK)
        .build()
        .expect("valid");
    let inner = Inner::new(200);
    let (status, headers, _) = inner.send(&policy, preflight(APP, "GET", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(values(&headers, ACAO), [APP]);
    assert_eq!(inner.calls(), 0);
}

#[tokio::test]
async fn preflight_from_pattern_origin_is_allowed() {
    let origin = "https://acme.tenant.example.com";
    let (status, headers, _) = Inner::new(200)
        .send(&policy(), preflight(origin, "DELETE", None))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(values(&headers, ACAO), [origin]);
}

#[tokio::test]
async fn preflight_refused_gets_403_without_cors_headers() {
    let huge = "x,".repeat(4000);
    let cases: Vec<(&str, Request<()>, Refusal)> = vec![
        (
            "refused origin",
            preflight(EVIL, "PUT", None),
            Refusal::OriginNotAllowed,
        ),
        (
            "apex of a pattern",
            preflight("https://tenant.example.com", "PUT", None),
            Refusal::OriginNotAllowed,
        ),
        (
            "refused method",
            preflight(APP, "PATCH", None),
            Refusal::MethodNotAllowed,
        ),
        (
            "refused header",
            preflight(APP, "PUT", Some("x-secret")),
            Refusal::HeaderNotAllowed,
        ),
        (
            "oversized header list",
            preflight(APP, "PUT", Some(&huge)),
            Refusal::HeadersTooLong,
        ),
        (
            "malformed header list",
            preflight(APP, "PUT", Some("a b")),
            Refusal::HeadersMalformed,
        ),
        (
            "malformed method",
            preflight(APP, "P(T", None),
            Refusal::MethodMalformed,
        ),
        (
            "null origin",
            preflight("null", "PUT", None),
            Refusal::NullOriginNotAllowed,
        ),
        (
            "malformed origin",
            preflight("https://app.example.com/", "PUT", None),
            Refusal::OriginMalformed,
        ),
    ];
    for (desc, req, refusal) in cases {
        let decision = policy().evaluate_request(&req);
        assert!(
            matches!(decision, Decision::PreflightRefused(_)),
            "{desc}: {decision:?}"
        );
        assert_eq!(decision.refusal(), Some(refusal), "{desc}");
        let inner = Inner::new(200);
        let (status, headers, body) = inner.send(&policy(), req).await;
        assert_eq!(inner.calls(), 0, "{desc}: inner called");
        assert_eq!(status, StatusCode::FORBIDDEN, "{desc}");
        assert_no_cors_headers(&headers, desc);
        assert_eq!(
            values(&headers, VARY),
            ["Origin, Access-Control-Request-Method, Access-Control-Request-Headers"],
            "{desc}"
        );
        assert_eq!(
            std::str::from_utf8(&body).expect("utf-8"),
            format!("CORS preflight refused: {refusal}\n"),
            "{desc}"
        );
    }
}

#[tokio::test]
async fn options_without_origin_or_request_method_is_forwarded() {
    let cases = [
        (
            "no origin",
            request(Method::OPTIONS, &[("access-control-request-method", "PUT")]),
        ),
        (
            "no request method",
            request(Method::OPTIONS, &[("origin", APP)]),
        ),
        ("plain options", request(Method::OPTIONS, &[])),
    ];
    for (desc, req) in cases {
        let inner = Inner::new(200).with("allow", "GET, PUT");
        let (status, headers, body) = inner.send(&policy(), req).await;
        assert_eq!(inner.calls(), 1, "{desc}: must reach the inner service");
        assert_eq!(status, 200, "{desc}");
        assert_eq!(&body[..], b"inner body", "{desc}");
        assert_eq!(values(&headers, "allow"), ["GET, PUT"], "{desc}");
        assert!(
            !headers.contains_key(ACAM),
            "{desc}: not a preflight answer"
        );
    }
}

#[tokio::test]
async fn actual_request_from_allowed_origin_is_decorated_on_every_status() {
    for code in [
        200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 429, 500, 502, 503,
    ] {
        let inner = Inner::new(code).with("x-request-id", "42");
        let (status, headers, _) = inner
            .send(&policy(), request(Method::GET, &[("origin", APP)]))
            .await;
        let desc = format!("status {code}");
        assert_eq!(inner.calls(), 1, "{desc}");
        assert_eq!(status, code, "{desc}");
        assert_eq!(values(&headers, ACAO), [APP], "{desc}");
        assert_eq!(values(&headers, ACAC), ["true"], "{desc}");
        assert_eq!(values(&headers, ACEH), ["x-request-id"], "{desc}");
        assert_eq!(values(&headers, VARY), ["Origin"], "{desc}");
        assert!(
            !headers.contains_key(ACAM) && !headers.contains_key(ACMA),
            "{desc}"
        );
    }
}

#[tokio::test]
async fn actual_request_from_refused_origin_gets_no_cors_headers() {
    let origins = [
        EVIL,
        "null",
        "https://tenant.example.com",
        "http://app.example.com",
        "https://APP.example.com",
    ];
    for origin in origins {
        // The inner service tries to allow everything itself.
        let inner = Inner::new(200)
            .with("access-control-allow-origin", "*")
            .with("access-control-allow-credentials", "true")
            .with("access-control-expose-headers", "x-secret")
            .with("access-control-allow-methods", "*");
        let (status, headers, body) = inner
            .send(&policy(), request(Method::POST, &[("origin", origin)]))
            .await;
        assert_eq!(inner.calls(), 1, "{origin}: forwarded");
        assert_eq!(status, 200, "{origin}");
        assert_eq!(&body[..], b"inner body", "{origin}");
        assert_no_cors_headers(&headers, origin);
        assert_eq!(values(&headers, VARY), ["Origin"], "{origin}");
    }
}

#[tokio::test]
async fn strict_policy_answers_refused_actual_requests_403_without_calling_inner() {
    let strict = CorsPolicy::builder()
        .allow_origin(APP)
        .strict(true)
        .build()
        .expect("valid");
    let inner = Inner::new(200);
    let (status, headers, body) = inner
        .send(&strict, request(Method::POST, &[("origin", EVIL)]))
        .await;
    assert_eq!(inner.calls(), 0);
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(&body[..], b"CORS request refused: origin not allowed\n");
    assert_no_cors_headers(&headers, "strict");
    assert_eq!(values(&headers, VARY), ["Origin"]);
    // Allowed origins and requests without Origin still go through.
    let (status, headers, _) = inner
        .send(&strict, request(Method::POST, &[("origin", APP)]))
        .await;
    assert_eq!((status, inner.calls()), (StatusCode::OK, 1));
    assert_eq!(values(&headers, ACAO), [APP]);
    let (status, _, _) = inner.send(&strict, request(Method::POST, &[])).await;
    assert_eq!((status, inner.calls()), (StatusCode::OK, 2));
}

#[tokio::test]
async fn layer_owns_access_control_headers_and_never_duplicates_them() {
    let inner = Inner::new(200)
        .with("access-control-allow-origin", "*")
        .with("access-control-allow-origin", "https://other.example")
        .with("access-control-allow-credentials", "false")
        .with("access-control-expose-headers", "x-secret")
        .with("access-control-max-age", "99999");
    let (_, headers, _) = inner
        .send(&policy(), request(Method::GET, &[("origin", APP)]))
        .await;
    assert_eq!(values(&headers, ACAO), [APP]);
    assert_eq!(values(&headers, ACAC), ["true"]);
    assert_eq!(values(&headers, ACEH), ["x-request-id"]);
    assert!(!headers.contains_key(ACMA));
}

#[tokio::test]
async fn vary_is_merged_never_overwritten_or_duplicated() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("no vary", &[], &["Origin"]),
        (
            "other token",
            &["Accept-Encoding"],
            &["Accept-Encoding, Origin"],
        ),
        ("already there, other case", &["origin"], &["origin"]),
        (
            "already in a list",
            &["Accept-Encoding, Origin"],
            &["Accept-Encoding, Origin"],
        ),
        ("star", &["*"], &["*"]),
        (
            "several lines",
            &["Accept", "Accept-Language"],
            &["Accept, Accept-Language, Origin"],
        ),
    ];
    for (desc, inner_vary, expected) in cases {
        for origin in [Some(APP), Some(EVIL), None] {
            let mut inner = Inner::new(200);
            for v in *inner_vary {
                inner = inner.with("vary", v);
            }
            let req_headers: Vec<(&str, &str)> = origin
                .map(|o| ("origin", o))
                .into_iter()
                .chain([("vary", "X-From-Request")])
                .collect();
            let (_, headers, _) = inner
                .send(&policy(), request(Method::GET, &req_headers))
                .await;
            assert_eq!(
                values(&headers, VARY),
                *expected,
                "{desc}, origin {origin:?}"
            );
        }
    }
}

#[tokio::test]
async fn method_comparison_is_byte_exact() {
    let cases = [
        ("purge listed lowercase", "purge", StatusCode::NO_CONTENT),
        ("PURGE is not purge", "PURGE", StatusCode::FORBIDDEN),
        ("patch is not listed", "patch", StatusCode::FORBIDDEN),
        ("PATCH not listed", "PATCH", StatusCode::FORBIDDEN),
        ("put is not PUT", "put", StatusCode::FORBIDDEN),
        ("PUT listed", "PUT", StatusCode::NO_CONTENT),
        ("safelisted GET", "GET", StatusCode::NO_CONTENT),
        ("safelisted HEAD", "HEAD", StatusCode::NO_CONTENT),
        ("safelisted POST", "POST", StatusCode::NO_CONTENT),
        ("get is not safelisted", "get", StatusCode::FORBIDDEN),
    ];
    for (desc, method, expected) in cases {
        let (status, _, _) = Inner::new(200)
            .send(&policy(), preflight(APP, method, None))
            .await;
        assert_eq!(status, expected, "{desc}");
    }
}

#[tokio::test]
async fn request_headers_are_parsed_in_one_bounded_pass() {
    let allowed: &[(&str, &[&str])] = &[
        ("browser form", &["authorization,content-type"]),
        ("any case", &["Content-Type, AUTHORIZATION"]),
        (
            "spaces and empty elements",
            &[" , content-type ,, x-request-id ,"],
        ),
        (
            "several lines",
            &["content-type", "authorization", "x-request-id"],
        ),
        ("empty value", &[""]),
    ];
    for (desc, lines) in allowed {
        let mut req = preflight(APP, "PUT", None);
        for l in *lines {
            req.headers_mut().append(ACRH, HeaderValue::from_static(l));
        }
        let (status, headers, _) = Inner::new(200).send(&policy(), req).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{desc}");
        assert_eq!(values(&headers, ACAO), [APP], "{desc}");
    }
    let near_cap = "a".repeat(3000);
    let refused: Vec<(&str, Vec<String>, Refusal)> = vec![
        (
            "one name refused among many",
            vec!["content-type,x-other".into()],
            Refusal::HeaderNotAllowed,
        ),
        (
            "1 MiB of commas",
            vec![",".repeat(1 << 20)],
            Refusal::HeadersTooLong,
        ),
        (
            "10,000 names",
            vec!["content-type,".repeat(10_000)],
            Refusal::HeadersTooLong,
        ),
        (
            "over the cap across lines",
            vec![near_cap.clone(), near_cap],
            Refusal::HeadersTooLong,
        ),
    ];
    for (desc, lines, refusal) in refused {
        let mut req = preflight(APP, "PUT", None);
        for l in &lines {
            req.headers_mut()
                .append(ACRH, HeaderValue::from_str(l).expect("valid"));
        }
        let decision = policy().evaluate_request(&req);
        assert!(
            matches!(decision, Decision::PreflightRefused(_)),
            "{desc}: {decision:?}"
        );
        assert_eq!(decision.refusal(), Some(refusal), "{desc}");
        let (status, headers, _) = Inner::new(200).send(&policy(), req).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{desc}");
        assert_no_cors_headers(&headers, desc);
    }
}

#[tokio::test]
async fn wildcard_headers_never_cover_authorization() {
    let public = CorsPolicy::builder()
        .allow_any_origin()
        .allow_headers(["*"])
        .build()
        .expect("valid");
    let (status, headers, _) = Inner::new(200)
        .send(&public, preflight(EVIL, "GET", Some("x-anything,x-other")))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(values(&headers, ACAH), ["*"]);
    let (status, _, _) = Inner::new(200)
        .send(&public, preflight(EVIL, "GET", Some("authorization")))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let listed = CorsPolicy::builder()
        .allow_any_origin()
        .allow_headers(["*", "authorization"])
        .build()
        .expect("valid");
    let (status, headers, _) = Inner::new(200)
        .send(&listed, preflight(EVIL, "GET", Some("authorization,x-any")))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(values(&headers, ACAH), ["*, authorization"]);
}

#[tokio::test]
async fn hostile_origin_headers_are_refused() {
    let long = format!("https://{}.example.com", "a".repeat(1100));
    let cases: Vec<(&str, Vec<&[u8]>, Refusal)> = vec![
        (
            "duplicate origin",
            vec![APP.as_bytes(), APP.as_bytes()],
            Refusal::OriginDuplicated,
        ),
        ("empty origin", vec![b""], Refusal::OriginMalformed),
        (
            "oversized origin",
            vec![long.as_bytes()],
            Refusal::OriginMalformed,
        ),
        (
            "tab inside",
            vec![b"https://app.example.com\t"],
            Refusal::OriginMalformed,
        ),
        (
            "obs-text byte",
            vec![b"https://app.ex\xe4mple.com"],
            Refusal::OriginMalformed,
        ),
        (
            "comma list",
            vec![b"https://app.example.com, https://evil.example"],
            Refusal::OriginMalformed,
        ),
        (
            "userinfo",
            vec![b"https://app.example.com@evil.example"],
            Refusal::OriginMalformed,
        ),
        (
            "prefix trick",
            vec![b"https://app.example.com.evil.example"],
            Refusal::OriginNotAllowed,
        ),
        ("Null spelling", vec![b"Null"], Refusal::OriginMalformed),
    ];
    for (desc, origins, refusal) in cases {
        for method in [Method::GET, Method::OPTIONS] {
            let mut req = request(method.clone(), &[("access-control-request-method", "GET")]);
            for o in &origins {
                req.headers_mut()
                    .append("origin", HeaderValue::from_bytes(o).expect("header value"));
            }
            let decision = policy().evaluate_request(&req);
            assert_eq!(decision.refusal(), Some(refusal), "{desc} ({method})");
            let (_, headers, _) = Inner::new(200).send(&policy(), req).await;
            assert_no_cors_headers(&headers, desc);
        }
    }
}

#[tokio::test]
async fn public_policy_sends_a_static_star_everywhere() {
    let public = CorsPolicy::builder()
        .allow_any_origin()
        .allow_methods([Method::PUT])
        .expose_headers(["x-request-id"])
        .build()
        .expect("valid");
    for origin in [Some(EVIL), Some("null"), None] {
        let req_headers: Vec<(&str, &str)> = origin.map(|o| ("origin", o)).into_iter().collect();
        let inner = Inner::new(500).with("access-control-allow-origin", "https://x.example");
        let (status, headers, _) = inner
            .send(&public, request(Method::GET, &req_headers))
            .await;
        assert_eq!(status, 500, "{origin:?}");
        assert_eq!(values(&headers, ACAO), ["*"], "{origin:?}");
        assert_eq!(values(&headers, ACEH), ["x-request-id"], "{origin:?}");
        assert!(!headers.contains_key(ACAC), "{origin:?}");
        assert!(
            !headers.contains_key(VARY),
            "{origin:?}: a static answer needs no Vary"
        );
    }
    let (status, headers, _) = Inner::new(200)
        .send(&public, preflight(EVIL, "PUT", None))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(values(&headers, ACAO), ["*"]);
    assert_eq!(values(&headers, ACAM), ["PUT"]);
    assert!(!headers.contains_key(ACAC));
}

#[tokio::test]
async fn null_origin_is_allowed_only_when_opted_in() {
    let policy = CorsPolicy::builder()
        .allow_null_origin()
        .build()
        .expect("valid");
    let (_, headers, _) = Inner::new(200)
        .send(&policy, request(Method::GET, &[("origin", "null")]))
        .await;
    assert_eq!(values(&headers, ACAO), ["null"]);
    assert!(!headers.contains_key(ACAC));
    let (_, headers, _) = Inner::new(200)
        .send(&policy, request(Method::GET, &[("origin", EVIL)]))
        .await;
    assert_no_cors_headers(&headers, "other origin");
}

#[tokio::test]
async fn decision_explains_every_answer() {
    let p = policy();
    let cases = [
        ("no origin", request(Method::GET, &[]), Decision::NotCors),
        (
            "allowed actual",
            request(Method::GET, &[("origin", APP)]),
            Decision::ActualAllowed {
                allow_origin: HeaderValue::from_static(APP),
            },
        ),
        (
            "allowed preflight",
            preflight(APP, "PUT", None),
            Decision::PreflightAllowed {
                allow_origin: HeaderValue::from_static(APP),
            },
        ),
    ];
    for (desc, req, expected) in cases {
        let (parts, ()) = req.into_parts();
        assert_eq!(p.evaluate(&parts), expected, "{desc}");
    }
    let (parts, ()) = request(Method::GET, &[("origin", EVIL)]).into_parts();
    let refused = p.evaluate(&parts);
    assert!(matches!(refused, Decision::ActualRefused(_)), "{refused:?}");
    assert_eq!(refused.refusal(), Some(Refusal::OriginNotAllowed));
    let (parts, ()) = preflight(APP, "PATCH", None).into_parts();
    assert_eq!(
        p.evaluate(&parts).to_string(),
        "preflight refused: method not allowed"
    );
}

#[tokio::test]
async fn private_network_access_is_off_by_default_and_opt_in() {
    let pna_preflight = |origin: &str, method: &str| {
        let mut req = preflight(origin, method, None);
        req.headers_mut().insert(
            "access-control-request-private-network",
            HeaderValue::from_static("true"),
        );
        req
    };
    // Default: never answered (Flask-CORS CVE-2024-6221 answered it by default).
    let (status, headers, _) = Inner::new(200)
        .send(&policy(), pna_preflight(APP, "PUT"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!headers.contains_key("access-control-allow-private-network"));

    let opted_in = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_private_network(true)
        .build()
        .expect("valid");
    let (status, headers, _) = Inner::new(200)
        .send(&opted_in, pna_preflight(APP, "GET"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        values(&headers, "access-control-allow-private-network"),
        ["true"]
    );
    assert_eq!(
        values(&headers, VARY),
        ["Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"]
    );
    let cases = [
        (
            "not requested",
            preflight(APP, "GET", None),
            StatusCode::NO_CONTENT,
        ),
        (
            "refused origin",
            pna_preflight(EVIL, "GET"),
            StatusCode::FORBIDDEN,
        ),
        (
            "refused method",
            pna_preflight(APP, "PUT"),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (desc, req, expected) in cases {
        let (status, headers, _) = Inner::new(200).send(&opted_in, req).await;
        assert_eq!(status, expected, "{desc}");
        assert!(
            !headers.contains_key("access-control-allow-private-network"),
            "{desc}"
        );
    }
    // Never on actual responses, whatever the inner service sets.
    let inner = Inner::new(200).with("access-control-allow-private-network", "true");
    let (_, headers, _) = inner
        .send(&opted_in, request(Method::GET, &[("origin", APP)]))
        .await;
    assert!(!headers.contains_key("access-control-allow-private-network"));
}

#[tokio::test]
async fn patterns_match_whole_labels_with_exact_scheme_and_port() {
    let policy = CorsPolicy::builder()
        .allow_origin_pattern("https://*.example.com")
        .allow_origin_pattern("http://localhost:*")
        .allow_origin_pattern("https://*.foo.com")
        .allow_origin_pattern("https://*.bar.com")
        .build()
        .expect("valid");
    let cases = [
        ("one label", "https://app.example.com", true),
        ("several labels", "https://a.b.example.com", true),
        ("apex is not a subdomain", "https://example.com", false),
        (
            "suffix without label boundary",
            "https://evilexample.com",
            false,
        ),
        (
            "pattern host as a prefix",
            "https://app.example.com.evil.io",
            false,
        ),
        ("scheme downgrade", "http://app.example.com", false),
        ("other port", "https://app.example.com:8443", false),
        (
            "explicit default port",
            "https://app.example.com:443",
            false,
        ),
        ("uppercase host", "https://App.example.com", false),
        ("any localhost port", "http://localhost:5173", true),
        ("localhost default port", "http://localhost", true),
        ("localhost over https", "https://localhost:5173", false),
        ("shared suffix of two patterns", "https://barfoo.com", false),
    ];
    for (desc, origin, allowed) in cases {
        let (_, headers, _) = Inner::new(200)
            .send(&policy, request(Method::GET, &[("origin", origin)]))
            .await;
        let expected: Vec<String> = if allowed {
            vec![origin.to_owned()]
        } else {
            vec![]
        };
        assert_eq!(values(&headers, ACAO), expected, "{desc}");
    }
}

#[tokio::test]
async fn explained_preflight_refusals_let_the_browser_name_the_method_or_header() {
    let explain = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods([Method::PUT])
        .allow_headers(["content-type"])
        .explain_preflight_refusals(true)
        .build()
        .expect("valid");
    let cases = [
        ("refused method", preflight(APP, "PATCH", None)),
        (
            "method differing only in case (browsers compare byte for byte)",
            preflight(APP, "put", None),
        ),
        ("refused header", preflight(APP, "PUT", Some("x-debug"))),
    ];
    for (desc, req) in cases {
        assert!(
            explain.evaluate_request(&req).refusal().is_some(),
            "{desc}: still a refusal"
        );
        let inner = Inner::new(200);
        let (status, headers, _) = inner.send(&explain, req).await;
        assert_eq!(inner.calls(), 0, "{desc}");
        assert_eq!(status, StatusCode::NO_CONTENT, "{desc}");
        assert_eq!(values(&headers, ACAO), [APP], "{desc}");
        assert_eq!(values(&headers, ACAM), ["PUT"], "{desc}");
        assert_eq!(values(&headers, ACAH), ["content-type"], "{desc}");
    }
    // Refused origins and oversized lists still get a bare 403.
    let huge = "a,".repeat(3000);
    for (desc, req) in [
        ("refused origin", preflight(EVIL, "PATCH", None)),
        ("oversized list", preflight(APP, "PUT", Some(&huge))),
    ] {
        let (status, headers, _) = Inner::new(200).send(&explain, req).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{desc}");
        assert_no_cors_headers(&headers, desc);
    }
}

/// Polling an answer's future again after it completed is a contract violation of the
/// caller; it yields an empty `500` instead of panicking or repeating the answer.
#[test]
fn answer_polled_again_yields_an_empty_500() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    use tower::Service;

    let mut svc = CorsLayer::new(policy()).layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
    }));
    let mut cx = Context::from_waker(Waker::noop());
    for (desc, req, status) in [
        (
            "allowed preflight",
            preflight(APP, "PUT", None),
            StatusCode::NO_CONTENT,
        ),
        (
            "refused preflight",
            preflight(EVIL, "PUT", None),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let mut fut = pin!(svc.call(req));
        let Poll::Ready(Ok(first)) = fut.as_mut().poll(&mut cx) else {
            panic!("{desc}: an answer is ready at once");
        };
        assert_eq!(first.status(), status, "{desc}");
        assert!(
            !first.headers().is_empty(),
            "{desc}: the answer has headers"
        );
        let Poll::Ready(Ok(again)) = fut.as_mut().poll(&mut cx) else {
            panic!("{desc}: polling again is ready too");
        };
        assert_eq!(again.status(), StatusCode::INTERNAL_SERVER_ERROR, "{desc}");
        assert!(
            again.headers().is_empty(),
            "{desc}: no headers the second time"
        );
        assert!(
            http_body::Body::is_end_stream(again.body()),
            "{desc}: empty body"
        );
    }
}

#[test]
fn decisions_tell_not_cors_from_refused() {
    let p = policy();
    let no_origin = Request::get("/").body(()).expect("request");
    // (allowed, refused): a request without `Origin` is neither.
    let cases = [
        ("no origin", no_origin, false, false),
        ("allowed", preflight(APP, "PUT", None), true, false),
        ("refused", preflight(EVIL, "PUT", None), false, true),
    ];
    for (desc, req, allowed, refused) in cases {
        let d = p.evaluate_request(&req);
        assert_eq!(d.is_refused(), refused, "{desc}");
        assert_eq!(d.is_allowed(), allowed, "{desc}");
        assert_eq!(d.refusal().is_some(), d.is_refused(), "{desc}");
        assert_eq!(
            d == tower_cors::Decision::NotCors,
            !allowed && !refused,
            "{desc}"
        );
    }
}
