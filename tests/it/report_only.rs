//! `CorsLayer::report_only`: a candidate policy evaluated beside the enforced one, through
//! the service. Responses never change; every request the candidate answers differently is
//! reported; promotion with `PolicyHandle::replace` stops the reports.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use proptest::prelude::*;
use tower::{service_fn, Layer, ServiceExt};
use tower_cors::{CorsLayer, CorsPolicy, PathPolicies, ReportOnly};

/// What the client sees, and whether the application ran.
#[derive(Debug, PartialEq)]
struct Seen {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    inner_called: bool,
}

/// One report the hook received: (kind, origin, displayed line).
type Reports = Arc<Mutex<Vec<(Option<ReportOnly>, String, String)>>>;

async fn send(layer: &CorsLayer, req: Request<()>) -> Seen {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let svc = layer.layer(service_fn(move |_req: Request<()>| {
        counter.fetch_add(1, Ordering::SeqCst);
        async {
            let mut res = Response::new(String::from("from the application"));
            res.headers_mut()
                .insert("vary", "accept-encoding".parse().expect("value"));
            Ok::<_, Infallible>(res)
        }
    }));
    let res = svc.oneshot(req).await.expect("infallible");
    let (parts, body) = res.into_parts();
    Seen {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.expect("body").to_bytes(),
        inner_called: calls.load(Ordering::SeqCst) > 0,
    }
}

fn recording(layer: CorsLayer) -> (CorsLayer, Reports) {
    let reports: Reports = Arc::default();
    let sink = reports.clone();
    let layer = layer.on_refusal(move |report| {
        let origin = report
            .origin()
            .and_then(|o| o.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        sink.lock()
            .expect("lock")
            .push((report.report_only(), origin, report.to_string()));
    });
    (layer, reports)
}

fn actual(origin: &str) -> Request<()> {
    Request::get("/api/items")
        .header("origin", origin)
        .body(())
        .expect("request")
}

fn preflight(origin: &str, method: &str, headers: &str) -> Request<()> {
    let mut b = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/items")
        .header("origin", origin)
        .header("access-control-request-method", method);
    if !headers.is_empty() {
        b = b.header("access-control-request-headers", headers);
    }
    b.body(()).expect("request")
}

fn wide() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origin_pattern("https://*.example.com")
        .allow_methods([Method::PUT, Method::DELETE])
        .allow_headers(["content-type", "x-debug"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .build()
        .expect("valid")
}

fn narrow() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origins(["https://app.example.com"])
        .allow_methods([Method::PUT])
        .allow_headers(["content-type"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .build()
        .expect("valid")
}

#[tokio::test]
async fn a_stricter_candidate_is_reported_and_never_enforced() {
    let (layer, reports) = recording(CorsLayer::new(wide()).report_only(narrow()));
    let plain = CorsLayer::new(wide());
    let cases = [
        ("allowed by both", actual("https://app.example.com"), None),
        (
            "allowed, candidate refuses the origin",
            actual("https://legacy.example.com"),
            Some(ReportOnly::CandidateRefusal),
        ),
        (
            "preflight, candidate refuses the method",
            preflight("https://app.example.com", "DELETE", ""),
            Some(ReportOnly::CandidateRefusal),
        ),
        (
            "preflight, candidate refuses a header",
            preflight("https://app.example.com", "PUT", "x-debug"),
            Some(ReportOnly::CandidateRefusal),
        ),
        (
            "preflight allowed by both",
            preflight("https://app.example.com", "PUT", "content-type"),
            None,
        ),
    ];
    for (desc, req, expected) in cases {
        let (parts, ()) = req.into_parts();
        let again = || Request::from_parts(parts.clone(), ());
        let before = reports.lock().expect("lock").len();
        let seen = send(&layer, again()).await;
        assert_eq!(
            seen,
            send(&plain, again()).await,
            "{desc}: response changed"
        );
        let new: Vec<_> = reports.lock().expect("lock")[before..].to_vec();
        match expected {
            None => assert!(new.is_empty(), "{desc}: {new:?}"),
            Some(kind) => {
                assert_eq!(new.len(), 1, "{desc}: {new:?}");
                assert_eq!(new[0].0, Some(kind), "{desc}");
                assert!(
                    new[0].2.starts_with("report-only, not enforced: "),
                    "{desc}: {}",
                    new[0].2
                );
            }
        }
    }
}

#[tokio::test]
async fn an_enforced_refusal_says_when_the_candidate_would_allow_it() {
    let (layer, reports) = recording(CorsLayer::new(narrow()).report_only(wide()));
    let seen = send(&layer, actual("https://legacy.example.com")).await;
    assert!(seen.headers.get("access-control-allow-origin").is_none());
    let reports = reports.lock().expect("lock").clone();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].0, Some(ReportOnly::CandidateAllows));
    assert!(
        reports[0]
            .2
            .ends_with("; the report-only policy would allow it"),
        "{}",
        reports[0].2
    );
}

#[tokio::test]
async fn refusals_the_candidate_makes_the_same_way_are_reported_once() {
    let (layer, reports) = recording(CorsLayer::new(wide()).report_only(narrow()));
    send(&layer, actual("https://evil.example")).await;
    let reports = reports.lock().expect("lock").clone();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].0, None, "an ordinary, enforced refusal");
}

#[tokio::test]
async fn promotion_with_one_replace_stops_the_reports() {
    let (layer, handle) = CorsLayer::reloadable(wide());
    let candidate = narrow();
    let (layer, reports) = recording(layer.report_only(candidate.clone()));
    let legacy = || actual("https://legacy.example.com");

    let seen = send(&layer, legacy()).await;
    assert_eq!(
        seen.headers["access-control-allow-origin"],
        "https://legacy.example.com"
    );
    assert_eq!(reports.lock().expect("lock").len(), 1);

    handle.replace(candidate);
    let seen = send(&layer, legacy()).await;
    assert!(seen.headers.get("access-control-allow-origin").is_none());
    let all = reports.lock().expect("lock").clone();
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(
        all[1].0, None,
        "now an enforced refusal, nothing report-only"
    );

    // A different enforced policy brings the comparison back.
    handle.replace(wide());
    send(&layer, legacy()).await;
    let all = reports.lock().expect("lock").clone();
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all[2].0, Some(ReportOnly::CandidateRefusal));
}

#[tokio::test]
async fn a_second_candidate_replaces_the_first() {
    let (layer, reports) = recording(
        CorsLayer::new(wide())
            .report_only(narrow())
            .report_only(wide()),
    );
    send(&layer, actual("https://legacy.example.com")).await;
    assert!(reports.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn per_path_policies_are_compared_with_the_candidate() {
    let paths = PathPolicies::builder()
        .prefix("/api", wide())
        .build()
        .expect("paths");
    let (layer, reports) = recording(CorsLayer::per_path(paths).report_only(narrow()));
    send(&layer, actual("https://legacy.example.com")).await;
    // Outside /api no origin is allowed: the candidate would allow app.example.com.
    let req = Request::get("/other")
        .header("origin", "https://app.example.com")
        .body(())
        .expect("request");
    let seen = send(&layer, req).await;
    assert!(seen.headers.get("access-control-allow-origin").is_none());
    let kinds: Vec<_> = reports.lock().expect("lock").iter().map(|r| r.0).collect();
    assert_eq!(
        kinds,
        [
            Some(ReportOnly::CandidateRefusal),
            Some(ReportOnly::CandidateAllows)
        ]
    );
}

/// Policies for the property test: pairs of them differ in every dimension the answer has.
fn pool() -> Vec<CorsPolicy> {
    let base = || {
        CorsPolicy::builder()
            .allow_origin("https://app.example.com")
            .allow_methods([Method::PUT])
            .allow_headers(["content-type"])
    };
    vec![
        base().build().expect("valid"),
        base().allow_credentials(true).build().expect("valid"),
        base()
            .expose_headers(["x-request-id"])
            .build()
            .expect("valid"),
        base()
            .allow_origin_pattern("https://pr-*.preview.example.com")
            .build()
            .expect("valid"),
        base().strict(true).build().expect("valid"),
        base()
            .max_age(Duration::from_secs(60))
            .build()
            .expect("valid"),
        CorsPolicy::builder()
            .allow_any_origin()
            .build()
            .expect("valid"),
        CorsPolicy::builder()
            .allow_origin("https://other.example.com")
            .allow_methods([Method::DELETE])
            .allow_headers(["x-debug"])
            .explain_preflight_refusals(true)
            .build()
            .expect("valid"),
    ]
}

const ORIGINS: &[&str] = &[
    "https://app.example.com",
    "https://other.example.com",
    "https://pr-7.preview.example.com",
    "https://evil.example",
    "null",
];

fn request(origin: usize, kind: u8) -> Request<()> {
    let origin = ORIGINS[origin % ORIGINS.len()];
    match kind % 5 {
        0 => actual(origin),
        1 => preflight(origin, "PUT", "content-type"),
        2 => preflight(origin, "DELETE", "x-debug"),
        3 => Request::post("/api/items")
            .header("origin", origin)
            .body(())
            .expect("request"),
        _ => Request::get("/api/items").body(()).expect("request"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// For every pair of policies and request: the response is the enforced policy's, byte
    /// for byte; the candidate's refusal is reported exactly when it refuses a request the
    /// enforced policy allows; an enforced refusal is marked exactly when the candidate
    /// allows it.
    #[test]
    fn responses_never_change_and_differences_are_reported(
        enforced in 0usize..8,
        candidate in 0usize..8,
        origin in 0usize..5,
        kind in 0u8..5,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let policies = pool();
        let (e, c) = (&policies[enforced], &policies[candidate]);
        let (layer, reports) = recording(CorsLayer::new(e.clone()).report_only(c.clone()));
        let (with, without) = rt.block_on(async {
            (
                send(&layer, request(origin, kind)).await,
                send(&CorsLayer::new(e.clone()), request(origin, kind)).await,
            )
        });
        prop_assert_eq!(&with, &without);

        let e_allowed = e.evaluate_request(&request(origin, kind)).is_allowed();
        let c_decision = c.evaluate_request(&request(origin, kind));
        let reports = reports.lock().expect("lock").clone();
        let candidate_refusals = reports
            .iter()
            .filter(|r| r.0 == Some(ReportOnly::CandidateRefusal))
            .count();
        let marked_allows = reports
            .iter()
            .filter(|r| r.0 == Some(ReportOnly::CandidateAllows))
            .count();
        if e_allowed && c_decision.refused().is_some() {
            prop_assert_eq!(candidate_refusals, 1, "{:?}", reports);
        }
        if c_decision.refused().is_none() {
            prop_assert_eq!(candidate_refusals, 0, "{:?}", reports);
        }
        let e_refused = e.evaluate_request(&request(origin, kind)).refused().is_some();
        prop_assert_eq!(
            marked_allows,
            usize::from(e_refused && c_decision.is_allowed() && enforced != candidate),
            "{:?}",
            reports
        );
        if enforced == candidate {
            prop_assert!(reports.iter().all(|r| r.0.is_none()), "{:?}", reports);
        }
    }
}
