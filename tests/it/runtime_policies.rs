//! Policies that change at run time or depend on the request: a reloadable
//! layer, origin predicates, per-path policies, the WebSocket guard and the
//! same-origin exemption — through the tower service and through axum.

use crate::support::harness;

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::Router;
use bytes::Bytes;
use harness::{block_on, call, meddling_inner_headers, plain_inner_headers, Inner};
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS as ACAC, ACCESS_CONTROL_ALLOW_ORIGIN as ACAO,
    ACCESS_CONTROL_EXPOSE_HEADERS as ACEH, ACCESS_CONTROL_MAX_AGE as ACMA, VARY,
};
use http::request::Parts;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::{service_fn, Layer, Service, ServiceExt};
use tower_cors::{CorsLayer, CorsPolicy, Decision, IssueKind, Origin, PathPolicies, Refusal};

const APP: &str = "https://app.example.com";
const OTHER: &str = "https://other.example.com";

fn exact(origin: &str) -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origin(origin)
        .build()
        .expect("valid policy")
}

fn get_from(origin: &str) -> Request<()> {
    Request::get("/data")
        .header("origin", origin)
        .body(())
        .expect("request")
}

fn preflight(path: &str, origin: &str, method: &str) -> Request<()> {
    Request::options(path)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .body(())
        .expect("request")
}

fn acao(headers: &HeaderMap) -> Option<&str> {
    headers.get(ACAO).and_then(|v| v.to_str().ok())
}

/// One request through a service made by `layer` around an [`Inner`].
fn through(layer: &CorsLayer, req: Request<()>) -> harness::Outcome {
    through_inner(layer, plain_inner_headers(), req)
}

fn through_inner(
    layer: &CorsLayer,
    inner_headers: HeaderMap,
    req: Request<()>,
) -> harness::Outcome {
    let inner = Inner::new(inner_headers);
    let calls = inner.calls.clone();
    let mut service = layer.layer(inner);
    let response = block_on(service.call(req)).unwrap_or_else(|e| match e {});
    let (parts, body) = response.into_parts();
    let body = block_on(body.collect())
        .unwrap_or_else(|e| match e {})
        .to_bytes();
    harness::Outcome {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        inner_called: calls.load(Ordering::SeqCst) > 0,
    }
}

// ---------------------------------------------------------------- reloadable

#[test]
fn replace_applies_to_later_requests_in_both_directions() {
    let (layer, handle) = CorsLayer::reloadable(exact(APP));
    let before = through(&layer, get_from(APP));
    assert_eq!(acao(&before.headers), Some(APP), "allowed before");
    assert_eq!(acao(&through(&layer, get_from(OTHER)).headers), None);

    handle.replace(exact(OTHER));
    assert_eq!(
        acao(&through(&layer, get_from(APP)).headers),
        None,
        "refused after"
    );
    assert_eq!(acao(&through(&layer, get_from(OTHER)).headers), Some(OTHER));
    let (parts, ()) = get_from(OTHER).into_parts();
    assert!(handle.current().evaluate(&parts).is_allowed());

    // A service made before the replacement follows it too: the layer and
    // every service it made share the handle.
    let (layer, handle) = CorsLayer::reloadable(exact(APP));
    let mut service = layer.layer(Inner::new(plain_inner_headers()));
    handle.clone().replace(exact(OTHER));
    let response = block_on(service.call(get_from(OTHER))).unwrap_or_else(|e| match e {});
    assert_eq!(acao(response.headers()), Some(OTHER));
}

#[test]
fn a_replaced_policy_answers_preflights_with_its_own_lists() {
    let a = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods([Method::PUT])
        .max_age(Duration::from_secs(111))
        .build()
        .expect("valid");
    let b = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods([Method::DELETE])
        .max_age(Duration::from_secs(222))
        .build()
        .expect("valid");
    let (layer, handle) = CorsLayer::reloadable(a);
    let put = through(&layer, preflight("/x", APP, "PUT"));
    assert_eq!(
        (put.status, put.headers.get(ACMA).unwrap().as_bytes()),
        (204, &b"111"[..])
    );
    assert_eq!(through(&layer, preflight("/x", APP, "DELETE")).status, 403);
    handle.replace(b);
    assert_eq!(through(&layer, preflight("/x", APP, "PUT")).status, 403);
    let delete = through(&layer, preflight("/x", APP, "DELETE"));
    assert_eq!(
        (delete.status, delete.headers.get(ACMA).unwrap().as_bytes()),
        (204, &b"222"[..])
    );
}

/// A request in flight when the policy is replaced finishes with the policy
/// it started with: its response is decorated by the old one.
#[tokio::test]
async fn a_request_in_flight_finishes_with_its_policy() {
    let a = CorsPolicy::builder()
        .allow_origin(APP)
        .expose_headers(["x-a"])
        .build()
        .expect("valid");
    let b = CorsPolicy::builder()
        .allow_origin(OTHER)
        .expose_headers(["x-b"])
        .build()
        .expect("valid");
    let (layer, handle) = CorsLayer::reloadable(a);
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let released = Arc::new(Mutex::new(Some(released)));
    let (entered_tx, entered) = tokio::sync::oneshot::channel::<()>();
    let entered_tx = Arc::new(Mutex::new(Some(entered_tx)));
    let slow = service_fn(move |_req: Request<()>| {
        let released = released.lock().unwrap().take();
        let entered = entered_tx.lock().unwrap().take();
        async move {
            if let Some(tx) = entered {
                let _ = tx.send(());
            }
            if let Some(rx) = released {
                let _ = rx.await;
            }
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"done"))))
        }
    });
    let service = layer.layer(slow);
    let in_flight = tokio::spawn(service.oneshot(get_from(APP)));
    entered.await.expect("the inner service was called");
    handle.replace(b);
    release.send(()).expect("request still waiting");
    let response = in_flight.await.expect("task").expect("infallible");
    assert_eq!(acao(response.headers()), Some(APP));
    assert_eq!(response.headers().get(ACEH).unwrap(), "x-a");
}

/// Many requests on a multi-threaded runtime while another task swaps two
/// policies as fast as it can: every answer is entirely one policy's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_swaps_never_mix_two_policies() {
    let a = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods([Method::PUT])
        .expose_headers(["x-a"])
        .max_age(Duration::from_secs(111))
        .allow_credentials(true)
        .build()
        .expect("valid");
    let b = CorsPolicy::builder()
        .allow_origins([APP, OTHER])
        .allow_methods([Method::DELETE])
        .expose_headers(["x-b"])
        .max_age(Duration::from_secs(222))
        .build()
        .expect("valid");
    let (layer, handle) = CorsLayer::reloadable(a.clone());
    let service = layer.layer(Inner::new(plain_inner_headers()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swaps = Arc::new(AtomicUsize::new(0));
    // A thread of its own swaps the policies as fast as it can.
    let swapper = {
        let (stop, swaps, handle) = (stop.clone(), swaps.clone(), handle.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let n = swaps.fetch_add(1, Ordering::Relaxed);
                handle.replace(if n % 2 == 0 { b.clone() } else { a.clone() });
                std::thread::yield_now();
            }
        })
    };
    while swaps.load(Ordering::Relaxed) < 10 {
        tokio::task::yield_now().await;
    }
    let mut tasks = Vec::new();
    // Each kind of answer seen, from A and from B.
    let answers = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let enough = {
        let (swaps, answers) = (swaps.clone(), answers.clone());
        move || {
            swaps.load(Ordering::Relaxed) >= 1000
                && answers.iter().all(|n| n.load(Ordering::Relaxed) >= 1000)
        }
    };
    for t in 0..8 {
        let service = service.clone();
        let (answers, enough) = (answers.clone(), enough.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = [0usize; 2];
            // Until both policies answered often, while swaps happened (bounded).
            for i in 0..200_000 {
                if i % 64 == 0 && enough() {
                    break;
                }
                let req = match (t + i) % 3 {
                    0 => get_from(APP),
                    1 => get_from(OTHER),
                    _ => preflight("/x", APP, if i % 2 == 0 { "PUT" } else { "DELETE" }),
                };
                let desc = format!("{} {:?}", req.method(), req.headers());
                let response = service.clone().oneshot(req).await.expect("infallible");
                let h = response.headers();
                // Which policy answered, from each header on its own.
                let votes: Vec<(&str, usize)> = [
                    h.get(ACEH).map(|v| ("expose", usize::from(v == "x-b"))),
                    h.get(ACAC).map(|_| ("credentials", 0)),
                    h.get(ACMA).map(|v| ("max-age", usize::from(v == "222"))),
                    (acao(h) == Some(OTHER)).then_some(("other origin", 1)),
                ]
                .into_iter()
                .flatten()
                .collect();
                let first = votes.first().map(|v| v.1);
                assert!(
                    votes.iter().all(|v| Some(v.1) == first),
                    "mixed answer {votes:?} for {desc}: {h:?}"
                );
                // A credentialed (A) answer never lacks credentials, and B never has them.
                if acao(h).is_some() {
                    let from_a = h.get(ACAC).is_some();
                    assert_eq!(
                        from_a,
                        h.get(ACEH)
                            .map_or(h.get(ACMA).map_or(from_a, |v| v == "111"), |v| v == "x-a"),
                        "{desc}: {h:?}"
                    );
                    seen[usize::from(!from_a)] += 1;
                    answers[usize::from(!from_a)].fetch_add(1, Ordering::Relaxed);
                }
            }
            seen
        }));
    }
    let mut seen = [0usize; 2];
    for task in tasks {
        let s = task.await.expect("no task panicked");
        seen[0] += s[0];
        seen[1] += s[1];
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().expect("swapper");
    assert!(
        enough(),
        "the policy was swapped while requests ran ({} swaps) and both answered: {seen:?}",
        swaps.load(Ordering::Relaxed)
    );
}

#[tokio::test]
async fn reloadable_through_axum() {
    let (layer, handle) = CorsLayer::reloadable(exact(APP));
    let app = Router::new()
        .route("/data", get(|| async { "data" }))
        .layer(layer);
    let origin_of = |app: &Router, origin: &str| {
        let app = app.clone();
        let req = Request::get("/data")
            .header("origin", origin)
            .body(axum::body::Body::empty())
            .expect("request");
        async move {
            let response = app.oneshot(req).await.expect("infallible");
            acao(response.headers()).map(str::to_owned)
        }
    };
    assert_eq!(origin_of(&app, APP).await.as_deref(), Some(APP));
    handle.replace(exact(OTHER));
    assert_eq!(origin_of(&app, APP).await, None);
    assert_eq!(origin_of(&app, OTHER).await.as_deref(), Some(OTHER));
}

// ---------------------------------------------------------------- predicates

/// Tenants under `app.example.com`, over HTTPS on the default port.
fn tenant_policy(seen: Arc<Mutex<Vec<String>>>, credentials: bool) -> CorsPolicy {
    let tenants: HashSet<&'static str> = ["acme", "globex"].into();
    CorsPolicy::builder()
        .allow_origin("https://admin.example.com")
        .allow_origin_fn(move |origin: &Origin<'_>, _: &Parts| {
            seen.lock().unwrap().push(origin.as_str().to_owned());
            origin.scheme() == "https"
                && origin.port().is_none()
                && origin
                    .host()
                    .strip_suffix(".app.example.com")
                    .is_some_and(|t| tenants.contains(t))
        })
        .allow_methods([Method::PUT])
        .allow_credentials(credentials)
        .build()
        .expect("valid policy")
}

#[test]
fn a_predicate_decides_origins_the_lists_do_not_allow() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let policy = tenant_policy(seen.clone(), true);
    let cases: &[(&str, bool)] = &[
        ("https://acme.app.example.com", true),
        ("https://globex.app.example.com", true),
        ("https://admin.example.com", true),
        ("https://initech.app.example.com", false),
        ("http://acme.app.example.com", false),
        ("https://acme.app.example.com:8443", false),
        ("https://x.acme.app.example.com", false),
    ];
    for &(origin, allowed) in cases {
        let out = call(&policy, plain_inner_headers(), get_from(origin));
        assert_eq!(acao(&out.headers), allowed.then_some(origin), "{origin}");
        assert_eq!(out.headers.get(ACAC).is_some(), allowed, "{origin}");
        let pre = call(
            &policy,
            plain_inner_headers(),
            preflight("/x", origin, "PUT"),
        );
        assert_eq!(pre.status, if allowed { 204 } else { 403 }, "{origin}");
        assert!(!pre.inner_called, "{origin}");
    }
    // The exact origin never reaches the predicate.
    assert!(!seen
        .lock()
        .unwrap()
        .iter()
        .any(|o| o == "https://admin.example.com"));
}

#[test]
fn a_predicate_only_sees_well_formed_origins() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let policy = tenant_policy(seen.clone(), false);
    let hostile: &[&[u8]] = &[
        b"null",
        b"",
        b"https://acme.app.example.com:443",
        b"https://ACME.app.example.com",
        b"HTTPS://acme.app.example.com",
        b"https://acme.app.example.com/",
        b"https://acme.app.example.com/path",
        b"https://user@acme.app.example.com",
        b"https://acme.app.example.com.",
        b"https://acme.app.example.com\t",
        b"https://acme.app.example.com:99999",
        b"https://acme..app.example.com",
        b"https://acm\xc3\xa9.app.example.com",
    ];
    for raw in hostile {
        let req = Request::get("/")
            .header("origin", http::HeaderValue::from_bytes(raw).expect("value"))
            .body(())
            .expect("request");
        let out = call(&policy, plain_inner_headers(), req);
        assert_eq!(
            acao(&out.headers),
            None,
            "{:?}",
            raw.escape_ascii().to_string()
        );
    }
    // Two `Origin` headers are refused before any matching.
    let req = Request::get("/")
        .header("origin", "https://acme.app.example.com")
        .header("origin", "https://acme.app.example.com")
        .body(())
        .expect("request");
    assert_eq!(
        acao(&call(&policy, plain_inner_headers(), req).headers),
        None
    );
    assert_eq!(
        *seen.lock().unwrap(),
        Vec::<String>::new(),
        "the predicate saw none of them"
    );
}

#[test]
fn a_predicate_gets_the_request_head() {
    // Each tenant's origin may call only its own API paths.
    let policy = CorsPolicy::builder()
        .allow_origin_fn(|origin: &Origin<'_>, parts: &Parts| {
            let tenant = origin.host().strip_suffix(".example.com");
            let path = parts.uri.path().strip_prefix("/tenants/");
            origin.scheme() == "https"
                && tenant.is_some()
                && path
                    .and_then(|p| p.split('/').next())
                    .is_some_and(|p| Some(p) == tenant)
        })
        .allow_credentials(true)
        .build()
        .expect("valid");
    let req = |path: &str| {
        Request::get(path)
            .header("origin", "https://acme.example.com")
            .body(())
            .expect("request")
    };
    for (path, allowed) in [
        ("/tenants/acme/orders", true),
        ("/tenants/globex/orders", false),
        ("/orders", false),
    ] {
        // The layer, `evaluate_request` and `evaluate` agree.
        let out = call(&policy, plain_inner_headers(), req(path));
        assert_eq!(acao(&out.headers).is_some(), allowed, "{path}");
        assert_eq!(policy.evaluate_request(&req(path)).is_allowed(), allowed);
        let (parts, ()) = req(path).into_parts();
        assert_eq!(policy.evaluate(&parts).is_allowed(), allowed, "{path}");
    }
}

#[test]
fn reflecting_predicates_with_credentials_are_refused_at_build() {
    type Pred = fn(&Origin<'_>, &Parts) -> bool;
    let reflecting: &[(&str, Pred)] = &[
        ("accepts everything", |_, _| true),
        ("any https origin", |o, _| o.scheme() == "https"),
        ("a deny-list", |o, _| o.host() != "evil.example"),
        ("a substring test", |o, _| {
            !o.as_str().contains("example.com")
        }),
    ];
    for (desc, predicate) in reflecting {
        let err = CorsPolicy::builder()
            .allow_origin_fn(*predicate)
            .allow_credentials(true)
            .build()
            .expect_err(desc);
        assert_eq!(
            err.issues()[0].kind(),
            IssueKind::PredicateAllowsAnyOrigin,
            "{desc}"
        );
        assert!(err.to_string().contains(".invalid"), "{desc}: {err}");
        // Without credentials nothing is leaked that a `*` policy would not.
        CorsPolicy::builder()
            .allow_origin_fn(*predicate)
            .build()
            .unwrap_or_else(|e| panic!("{desc}: {e}"));
    }
    // An allow-list passes, and several functions accumulate.
    let policy = CorsPolicy::builder()
        .allow_origin_fn(|o: &Origin<'_>, _: &Parts| o.as_str() == APP)
        .allow_origin_fn(|o: &Origin<'_>, _: &Parts| o.as_str() == OTHER)
        .allow_credentials(true)
        .build()
        .expect("an allow-list is fine");
    assert!(policy.evaluate_request(&get_from(APP)).is_allowed());
    assert!(policy.evaluate_request(&get_from(OTHER)).is_allowed());
    assert!(!policy
        .evaluate_request(&get_from("https://third.example.com"))
        .is_allowed());
    // A predicate with the public policy is a contradiction.
    let err = CorsPolicy::builder()
        .allow_any_origin()
        .allow_origin_fn(|_: &Origin<'_>, _: &Parts| false)
        .build()
        .expect_err("any origin with a predicate");
    assert_eq!(
        err.issues()[0].kind(),
        IssueKind::AnyOriginWithExplicitOrigins
    );
}

#[tokio::test]
async fn a_predicate_through_axum() {
    let policy = tenant_policy(Arc::new(Mutex::new(Vec::new())), true);
    let app = Router::new()
        .route("/x", any(|| async { "x" }))
        .layer(CorsLayer::new(policy));
    let send = |req: Request<axum::body::Body>| {
        let app = app.clone();
        async move { app.oneshot(req).await.expect("infallible") }
    };
    let preflight = Request::options("/x")
        .header("origin", "https://acme.app.example.com")
        .header("access-control-request-method", "PUT")
        .body(axum::body::Body::empty())
        .expect("request");
    let response = send(preflight).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        acao(response.headers()),
        Some("https://acme.app.example.com")
    );
    let put = Request::put("/x")
        .header("origin", "https://acme.app.example.com")
        .body(axum::body::Body::empty())
        .expect("request");
    let response = send(put).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get(ACAC).unwrap(), "true");
    let refused = Request::get("/x")
        .header("origin", "https://initech.app.example.com")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(acao(send(refused).await.headers()), None);
}

// ---------------------------------------------------------------- per path

fn paths(fallback: bool) -> PathPolicies {
    let public = CorsPolicy::builder()
        .allow_any_origin()
        .build()
        .expect("valid");
    let api = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods([Method::PUT])
        .allow_credentials(true)
        .build()
        .expect("valid");
    let admin = CorsPolicy::builder()
        .allow_origin("https://admin.example.com")
        .allow_credentials(true)
        .build()
        .expect("valid");
    let mut builder = PathPolicies::builder()
        .prefix("/public", public)
        .prefix("/api", api)
        .prefix("/api/admin", admin);
    if fallback {
        builder = builder.fallback(exact(OTHER));
    }
    builder.build().expect("valid prefixes")
}

#[test]
fn the_longest_whole_segment_prefix_wins() {
    let layer = CorsLayer::per_path(paths(true));
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("/api", APP, Some(APP)),
        ("/api/users", APP, Some(APP)),
        ("/api/users?page=2", APP, Some(APP)),
        ("/api/admin", APP, None),
        (
            "/api/admin/users",
            "https://admin.example.com",
            Some("https://admin.example.com"),
        ),
        ("/api/administrator", APP, Some(APP)),
        ("/public/logo.png", "https://anyone.example", Some("*")),
        ("/public", "https://anyone.example", Some("*")),
        ("/publicity", "https://anyone.example", None),
        ("/apiary", APP, None),
        ("/apiary", OTHER, Some(OTHER)),
        ("/API/users", APP, None),
        ("/", OTHER, Some(OTHER)),
    ];
    for &(path, origin, expected) in cases {
        let req = Request::get(path)
            .header("origin", origin)
            .body(())
            .expect("request");
        let out = through(&layer, req);
        assert_eq!(acao(&out.headers), expected, "{path} from {origin}");
        assert!(out.inner_called, "{path}");
    }
    // Preflights are judged by their own path's policy and never reach the app.
    let ok = through(&layer, preflight("/api/users", APP, "PUT"));
    assert_eq!((ok.status, ok.inner_called), (204, false));
    let refused = through(&layer, preflight("/public/x", APP, "PUT"));
    assert_eq!(refused.status, 403, "PUT is not allowed under /public");
    assert!(!refused.inner_called);
}

#[test]
fn an_uncovered_path_gets_no_cors_header_at_all() {
    let layer = CorsLayer::per_path(paths(false));
    // The application's own Access-Control-* headers are stripped too.
    let out = through_inner(&layer, meddling_inner_headers(), get_from(APP));
    assert!(out.inner_called);
    let leaked: Vec<_> = out
        .headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .collect();
    assert!(leaked.is_empty(), "{leaked:?}");
    // Nothing depends on the origin there: the application's Vary is kept as it is.
    assert_eq!(out.headers.get(VARY).unwrap(), "Accept-Encoding");
    let pre = through(&layer, preflight("/data", APP, "PUT"));
    assert_eq!(pre.status, 403);
    assert!(!pre.inner_called);
    assert!(pre
        .headers
        .keys()
        .all(|k| !k.as_str().starts_with("access-control-")));
    assert_eq!(
        std::str::from_utf8(&pre.body).unwrap(),
        "CORS preflight refused: no CORS policy for this path\n"
    );
    let (parts, ()) = preflight("/data", APP, "PUT").into_parts();
    let decision = paths(false).policy_for("/data").evaluate(&parts);
    assert!(
        matches!(decision, Decision::PreflightRefused(_)),
        "{decision:?}"
    );
    assert_eq!(decision.refusal(), Some(Refusal::PathNotCovered));
    // No Origin: forwarded untouched.
    let plain = through(&layer, Request::get("/data").body(()).expect("request"));
    assert!(plain.inner_called && plain.headers.get(VARY).is_none());
}

#[test]
fn bad_prefixes_are_all_reported() {
    let p = || exact(APP);
    let err = PathPolicies::builder()
        .prefix("api", p())
        .prefix("/api?x=1", p())
        .prefix("/docs#top", p())
        .prefix("/api/", p())
        .prefix("/a b", p())
        .prefix("/ok", p())
        .prefix("/ok", p())
        .build()
        .expect_err("bad prefixes");
    let messages: Vec<String> = err.issues().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "path prefix \"api\" does not start with \"/\": did you mean \"/api\"?",
            "path prefix \"/api?x=1\" holds a query or fragment, which are not part of the path: did you mean \"/api\"?",
            "path prefix \"/docs#top\" holds a query or fragment, which are not part of the path: did you mean \"/docs\"?",
            "path prefix \"/api/\" ends with \"/\": write \"/api\", which covers it and every path below it",
            "path prefix \"/a b\" holds ' ', which a request path never holds unencoded: percent-encode it as the client sends it",
            "path prefix \"/ok\" is given twice: keep one policy for it",
        ]
    );
    assert!(err
        .issues()
        .iter()
        .all(|i| i.kind() == IssueKind::InvalidPathPrefix));
    // "/" covers every path.
    let all = PathPolicies::builder()
        .prefix("/", exact(OTHER))
        .prefix("/api", exact(APP))
        .build()
        .expect("valid");
    assert!(all
        .policy_for("/anything")
        .evaluate_request(&get_from(OTHER))
        .is_allowed());
    assert!(all
        .policy_for("/api/x")
        .evaluate_request(&get_from(APP))
        .is_allowed());
}

#[tokio::test]
async fn per_path_through_axum_answers_preflights_of_every_route() {
    let app = Router::new()
        .route("/public/status", get(|| async { "ok" }))
        .route(
            "/api/items",
            post(|| async { "created" }).put(|| async { "put" }),
        )
        .route("/other", get(|| async { "other" }))
        .layer(CorsLayer::per_path(paths(false)));
    let send = |req: Request<axum::body::Body>| {
        let app = app.clone();
        async move { app.oneshot(req).await.expect("infallible") }
    };
    let pre = |path: &str, origin: &str| {
        Request::options(path)
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .body(axum::body::Body::empty())
            .expect("request")
    };
    let api = send(pre("/api/items", APP)).await;
    assert_eq!(api.status(), StatusCode::NO_CONTENT);
    assert_eq!(api.headers().get(ACAC).unwrap(), "true");
    assert_eq!(
        send(pre("/api/items", OTHER)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(pre("/other", APP)).await.status(),
        StatusCode::FORBIDDEN
    );
    let public = send(
        Request::get("/public/status")
            .header("origin", "https://anyone.example")
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(acao(public.headers()), Some("*"));
}

/// The trap `per_path` replaces: a CORS layer on one route's handler, or
/// added to a method router with `route_layer`, never sees the preflight, and
/// axum answers it 405. (`MethodRouter::layer` also wraps the method
/// router's fallback, so it does see it.)
#[tokio::test]
async fn a_layer_on_one_route_never_sees_the_preflight() {
    use axum::handler::Handler;
    let preflight = || {
        Request::options("/api/items")
            .header("origin", APP)
            .header("access-control-request-method", "POST")
            .body(axum::body::Body::empty())
            .expect("request")
    };
    let traps: [(&str, Router); 2] = [
        (
            "route_layer",
            Router::new().route(
                "/api/items",
                post(|| async { "created" }).route_layer(CorsLayer::new(exact(APP))),
            ),
        ),
        (
            "handler layer",
            Router::new().route(
                "/api/items",
                post((|| async { "created" }).layer(CorsLayer::new(exact(APP)))),
            ),
        ),
    ];
    for (desc, app) in traps {
        let response = app.oneshot(preflight()).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{desc}");
        assert_eq!(acao(response.headers()), None, "{desc}");
    }
    let around_the_router = Router::new()
        .route("/api/items", post(|| async { "created" }))
        .layer(CorsLayer::new(exact(APP)));
    let response = around_the_router
        .oneshot(preflight())
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

// ------------------------------------------------------ WebSocket guard, same origin

/// The service's own pages: `https://api.example.com`.
const OWN: &str = "https://api.example.com";

fn guarded(strict: bool) -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origin(APP)
        .own_origins([OWN])
        .guard_websockets(true)
        .strict(strict)
        .build()
        .expect("valid")
}

fn upgrade(origin: Option<&str>, host: &str) -> http::request::Builder {
    let mut req = Request::get("/ws")
        .header("host", host)
        .header("connection", "keep-alive, Upgrade")
        .header("upgrade", "WebSocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    req
}

#[test]
fn the_guard_refuses_upgrades_from_refused_origins_only() {
    let policy = guarded(false);
    let cases: &[(&str, Request<()>, bool)] = &[
        (
            "allowed origin",
            upgrade(Some(APP), "api.example.com").body(()).unwrap(),
            true,
        ),
        (
            "refused origin",
            upgrade(Some(OTHER), "api.example.com").body(()).unwrap(),
            false,
        ),
        (
            "null origin",
            upgrade(Some("null"), "api.example.com").body(()).unwrap(),
            false,
        ),
        (
            "no origin (not a browser)",
            upgrade(None, "api.example.com").body(()).unwrap(),
            true,
        ),
        (
            "own origin, not listed",
            upgrade(Some(OWN), "api.example.com").body(()).unwrap(),
            true,
        ),
        (
            "own origin behind a proxy that rewrote Host",
            upgrade(Some(OWN), "127.0.0.1:8080").body(()).unwrap(),
            true,
        ),
        (
            "DNS rebinding: the origin is the Host, not an own origin",
            upgrade(Some("http://rebind.attacker.test"), "rebind.attacker.test")
                .body(())
                .unwrap(),
            false,
        ),
        (
            "another scheme of the own host (a proxy forwarding Host without the port)",
            upgrade(Some("http://api.example.com"), "api.example.com")
                .body(())
                .unwrap(),
            false,
        ),
        (
            "an app-shell scheme on the own host",
            upgrade(Some("capacitor://api.example.com"), "api.example.com")
                .body(())
                .unwrap(),
            false,
        ),
        (
            "own host, other port",
            upgrade(Some("https://api.example.com:8443"), "api.example.com:8443")
                .body(())
                .unwrap(),
            false,
        ),
        (
            "Sec-Fetch-Site: same-origin alone (a rebinding page sends it too)",
            upgrade(Some("http://rebind.attacker.test"), "rebind.attacker.test")
                .header("sec-fetch-site", "same-origin")
                .body(())
                .unwrap(),
            false,
        ),
        (
            "Sec-Fetch-Site same-site is not same-origin",
            upgrade(Some(OTHER), "api.example.com")
                .header("sec-fetch-site", "same-site")
                .body(())
                .unwrap(),
            false,
        ),
        (
            "HTTP/2 extended CONNECT",
            Request::connect("https://api.example.com/ws")
                .header("origin", OTHER)
                .body(())
                .unwrap(),
            false,
        ),
        (
            "HTTP/2 extended CONNECT from the own origin",
            Request::connect("https://api.example.com/ws")
                .header("origin", OWN)
                .body(())
                .unwrap(),
            true,
        ),
        (
            "HTTP/2 extended CONNECT, the authority alone is no own origin",
            Request::connect("https://rebind.attacker.test/ws")
                .header("origin", "https://rebind.attacker.test")
                .body(())
                .unwrap(),
            false,
        ),
        (
            "a plain GET from a refused origin is not an upgrade",
            Request::get("/ws")
                .header("origin", OTHER)
                .body(())
                .unwrap(),
            true,
        ),
    ];
    for (desc, req, passes) in cases {
        let req = clone_request(req);
        let out = call(&policy, plain_inner_headers(), req);
        assert_eq!(out.inner_called, *passes, "{desc}");
        assert_eq!(out.status, if *passes { 200 } else { 403 }, "{desc}");
        if !passes {
            assert!(
                std::str::from_utf8(&out.body)
                    .unwrap()
                    .starts_with("WebSocket upgrade refused"),
                "{desc}"
            );
            assert!(out
                .headers
                .keys()
                .all(|k| !k.as_str().starts_with("access-control-")));
        }
    }
    // Without the guard, the same refused upgrade reaches the application.
    let unguarded = exact(APP);
    let out = call(
        &unguarded,
        plain_inner_headers(),
        upgrade(Some(OTHER), "api.example.com").body(()).unwrap(),
    );
    assert!(out.inner_called);
}

fn clone_request(req: &Request<()>) -> Request<()> {
    let mut out = Request::new(());
    *out.method_mut() = req.method().clone();
    *out.uri_mut() = req.uri().clone();
    *out.headers_mut() = req.headers().clone();
    out
}

#[test]
fn strict_mode_never_refuses_own_origins_and_nothing_else_is_same_origin() {
    let policy = CorsPolicy::builder()
        .allow_origin(APP)
        .own_origins([OWN])
        .strict(true)
        .build()
        .expect("valid");
    let post = |origin: &str, host: &str| {
        Request::post("/form")
            .header("origin", origin)
            .header("host", host)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(())
            .expect("request")
    };
    let own = call(&policy, plain_inner_headers(), post(OWN, "api.example.com"));
    assert_eq!((own.status, own.inner_called), (200, true));
    assert_eq!(acao(&own.headers), None, "same-origin needs no CORS header");
    assert_eq!(
        policy.evaluate_request(&post(OWN, "backend:8080")),
        Decision::SameOrigin,
        "own origins do not depend on Host"
    );
    // Before own origins existed, each of these passed as same-origin.
    let cases: &[(&str, Request<()>)] = &[
        (
            "Sec-Fetch-Site: same-origin",
            Request::post("/form")
                .header("origin", "http://rebind.attacker.test")
                .header("host", "rebind.attacker.test")
                .header("sec-fetch-site", "same-origin")
                .body(())
                .expect("request"),
        ),
        (
            "Origin equal to Host (DNS rebinding)",
            post("http://rebind.attacker.test", "rebind.attacker.test"),
        ),
        (
            "the own host on plain HTTP, Host without a port",
            post("http://api.example.com", "api.example.com"),
        ),
        (
            "the own host under an app-shell scheme",
            post("capacitor://api.example.com", "api.example.com"),
        ),
        (
            "a look-alike host",
            post("https://api.example.com.evil.io", "api.example.com"),
        ),
        ("a cross-origin page", post(OTHER, "api.example.com")),
        (
            "the own origin, twice",
            Request::post("/form")
                .header("origin", OWN)
                .header("origin", OWN)
                .body(())
                .expect("request"),
        ),
    ];
    for (desc, req) in cases {
        let out = call(&policy, plain_inner_headers(), clone_request(req));
        assert_eq!((out.status, out.inner_called), (403, false), "{desc}");
        assert!(policy.evaluate_request(req).is_refused(), "{desc}");
    }
}

#[test]
fn own_origins_are_validated_like_allowed_origins() {
    let err = CorsPolicy::builder()
        .allow_origin(APP)
        .own_origins([
            "https://api.example.com/",
            "HTTPS://API.example.com:443",
            "null",
            "https://*.example.com",
            "capacitor://LOCALHOST",
        ])
        .build()
        .expect_err("every entry is wrong");
    let text: Vec<String> = err.issues().iter().map(|i| i.to_string()).collect();
    assert_eq!(text.len(), 5, "{text:#?}");
    assert!(
        text[0].contains("did you mean \"https://api.example.com\""),
        "{}",
        text[0]
    );
    assert!(
        text[1].contains("did you mean \"https://api.example.com\""),
        "{}",
        text[1]
    );
    assert!(text[2].contains("is not an own origin"), "{}", text[2]);
    assert!(text[3].contains("exact origins"), "{}", text[3]);
    assert!(
        text[4].contains("did you mean \"capacitor://localhost\""),
        "{}",
        text[4]
    );
    // From configuration: the field and the variable are named.
    let config = tower_cors::CorsConfig {
        allow_origins: vec![APP.into()],
        own_origins: vec![OWN.into(), "https://api.example.com/".into()],
        ..Default::default()
    };
    let err = config.build().expect_err("bad own origin");
    assert_eq!(err.issues()[0].field().as_deref(), Some("own_origins[1]"));
    let config = tower_cors::CorsConfig::from_vars(
        "CORS",
        [
            ("CORS_ALLOW_ORIGINS", APP),
            (
                "CORS_OWN_ORIGINS",
                "https://api.example.com, https://www.example.com",
            ),
            ("CORS_STRICT", "true"),
        ],
    )
    .expect("valid variables");
    assert_eq!(config.own_origins, [OWN, "https://www.example.com"]);
    let policy = config.build().expect("valid");
    let req = Request::post("/")
        .header("origin", "https://www.example.com")
        .body(())
        .unwrap();
    assert_eq!(policy.evaluate_request(&req), Decision::SameOrigin);
    let err =
        tower_cors::CorsConfig::from_vars("CORS", [("CORS_OWN_ORIGINS", "https://a.example/")])
            .expect_err("bad own origin");
    assert_eq!(
        err.issues()[0].field().as_deref(),
        Some("CORS_OWN_ORIGINS[0]")
    );
}

/// A real axum WebSocket route on loopback: the handshake from a refused
/// origin gets 403 and the handler never runs.
#[tokio::test]
async fn the_guard_in_front_of_a_real_axum_websocket_route() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let own_origin = format!("http://{addr}");
    let policy = CorsPolicy::builder()
        .allow_origin(APP)
        .own_origins([own_origin.as_str()])
        .guard_websockets(true)
        .strict(true)
        .build()
        .expect("valid");
    let upgrades = Arc::new(AtomicUsize::new(0));
    let counter = upgrades.clone();
    let app = Router::new()
        .route(
            "/ws",
            any(move |ws: WebSocketUpgrade| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    ws.on_upgrade(|mut socket| async move {
                        let _ = socket.send(Message::Text("hello".into())).await;
                    })
                }
            }),
        )
        .route("/form", post(|| async { "posted".into_response() }))
        .layer(CorsLayer::new(policy));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let handshake = |origin: Option<String>, host: String| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let origin = origin
            .map(|o| format!("Origin: {o}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{origin}\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut buf = vec![0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("answer within 5 s")
            .expect("read");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        text.lines().next().unwrap_or_default().to_owned()
    };
    let host = addr.to_string();
    assert_eq!(
        handshake(Some(APP.into()), host.clone()).await,
        "HTTP/1.1 101 Switching Protocols"
    );
    assert_eq!(upgrades.load(Ordering::SeqCst), 1);
    assert_eq!(
        handshake(Some(OTHER.into()), host.clone()).await,
        "HTTP/1.1 403 Forbidden"
    );
    assert_eq!(upgrades.load(Ordering::SeqCst), 1, "handler not called");
    // The page's own origin, not listed in the policy, declared as an own origin.
    assert_eq!(
        handshake(Some(own_origin.clone()), host.clone()).await,
        "HTTP/1.1 101 Switching Protocols"
    );
    // DNS rebinding: a page whose origin is the request's Host, not an own origin.
    let rebound = format!("rebind.attacker.test:{}", addr.port());
    assert_eq!(
        handshake(Some(format!("http://{rebound}")), rebound).await,
        "HTTP/1.1 403 Forbidden"
    );
    assert_eq!(
        handshake(None, host).await,
        "HTTP/1.1 101 Switching Protocols"
    );
    assert_eq!(upgrades.load(Ordering::SeqCst), 3);
    server.abort();
}

/// The guard admits only origins that could read a credentialed answer: never `*`
/// (a build error) and never `null`, even allowed (a sandboxed iframe on any page sends it).
#[test]
fn the_guard_admits_no_wildcard_and_no_null() {
    let err = CorsPolicy::builder()
        .allow_any_origin()
        .guard_websockets(true)
        .build()
        .expect_err("* with the guard");
    assert_eq!(
        err.issues()[0].kind(),
        tower_cors::IssueKind::AnyOriginWithWebSocketGuard
    );
    assert!(err.to_string().contains("list the origins"), "{err}");

    let policy = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_null_origin()
        .guard_websockets(true)
        .build()
        .expect("valid");
    let null_socket = upgrade(Some("null"), "api.example.com").body(()).unwrap();
    let decision = policy.evaluate_request(&null_socket);
    assert_eq!(
        decision.refusal(),
        Some(tower_cors::Refusal::NullOriginNotAllowed)
    );
    let out = call(&policy, plain_inner_headers(), null_socket);
    assert_eq!((out.status, out.inner_called), (403, false));
    assert_eq!(
        std::str::from_utf8(&out.body).unwrap(),
        "WebSocket upgrade refused: null origin not allowed\n"
    );
    // `null` is still allowed where the guard does not look: an ordinary fetch.
    let null_fetch = Request::get("/data")
        .header("origin", "null")
        .body(())
        .unwrap();
    let out = call(&policy, plain_inner_headers(), null_fetch);
    assert_eq!(acao(&out.headers), Some("null"));
    // And listed origins still pass the guard.
    let listed = upgrade(Some(APP), "api.example.com").body(()).unwrap();
    assert!(call(&policy, plain_inner_headers(), listed).inner_called);
    // Without the guard, an allowed null origin's handshake reaches the application.
    let unguarded = CorsPolicy::builder()
        .allow_null_origin()
        .build()
        .expect("valid");
    let null_socket = upgrade(Some("null"), "api.example.com").body(()).unwrap();
    assert!(call(&unguarded, plain_inner_headers(), null_socket).inner_called);
}

/// `null` is never explained: an allowed null origin's refused preflight gets the bare 403.
#[test]
fn null_preflights_are_never_explained() {
    let policy = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_null_origin()
        .allow_methods([http::Method::PUT])
        .explain_preflight_refusals(true)
        .build()
        .expect("valid");
    let preflight = |origin: &str| {
        Request::options("/data")
            .header("origin", origin)
            .header("access-control-request-method", "DELETE")
            .body(())
            .unwrap()
    };
    let explained = call(&policy, plain_inner_headers(), preflight(APP));
    assert_eq!(
        acao(&explained.headers),
        Some(APP),
        "a listed origin is explained"
    );
    let decision = policy.evaluate_request(&preflight("null"));
    assert!(!decision.refused().expect("refused").is_explained());
    let out = call(&policy, plain_inner_headers(), preflight("null"));
    assert_eq!(out.status, 403);
    assert!(out
        .headers
        .keys()
        .all(|k| !k.as_str().starts_with("access-control-")));
}

/// Inputs over their caps are refused before any hashing or scanning.
#[test]
fn oversized_origin_and_method_are_refused_at_their_caps() {
    let policy = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods(["PUT"])
        .build()
        .expect("valid");
    let long_origin = format!("https://{}.example.com", "a".repeat(2000));
    let req = Request::get("/")
        .header("origin", &long_origin)
        .body(())
        .unwrap();
    assert_eq!(
        policy.evaluate_request(&req).refusal(),
        Some(tower_cors::Refusal::OriginNotAllowed)
    );
    let patterns = CorsPolicy::builder()
        .allow_origin_pattern("https://*.example.com")
        .build()
        .expect("valid");
    assert_eq!(
        patterns.evaluate_request(&req).refusal(),
        Some(tower_cors::Refusal::OriginMalformed)
    );
    let preflight = |method: &str| {
        Request::options("/")
            .header("origin", APP)
            .header("access-control-request-method", method)
            .body(())
            .unwrap()
    };
    assert!(policy.evaluate_request(&preflight("PUT")).is_allowed());
    let at_cap = "X".repeat(64);
    assert_eq!(
        policy.evaluate_request(&preflight(&at_cap)).refusal(),
        Some(tower_cors::Refusal::MethodNotAllowed)
    );
    let over = "X".repeat(65);
    assert_eq!(
        policy.evaluate_request(&preflight(&over)).refusal(),
        Some(tower_cors::Refusal::MethodMalformed)
    );
    // A method the cap would make unreachable does not build.
    let err = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods([over.as_str()])
        .build()
        .expect_err("too long");
    assert!(err.to_string().contains("longer than 64 bytes"), "{err}");
}

/// `Connection` and `Upgrade` are read within a cap: a value over 256 bytes, or more than
/// 16 lines, counts as holding the token without being scanned, so a padded handshake from
/// a refused origin is refused rather than scanned or let through.
#[test]
fn the_guard_reads_connection_and_upgrade_within_a_cap() {
    let policy = guarded(false);
    let padded = |origin: &str, connection: &[String], upgrade: &str| {
        let mut req = Request::get("/ws").header("origin", origin);
        for line in connection {
            req = req.header("connection", line.as_str());
        }
        req.header("upgrade", upgrade).body(()).unwrap()
    };
    let short = vec!["keep-alive".to_owned()];
    let huge = vec![format!("keep-alive{}", ", keep-alive".repeat(100_000))];
    let many = vec!["keep-alive".to_owned(); 17];
    let sixteen = vec!["keep-alive".to_owned(); 16];
    let cases: &[(&str, Request<()>, bool)] = &[
        (
            "no upgrade token, short",
            padded(OTHER, &short, "websocket"),
            true,
        ),
        (
            "1 MiB Connection, not scanned",
            padded(OTHER, &huge, "websocket"),
            false,
        ),
        (
            "17 Connection lines",
            padded(OTHER, &many, "websocket"),
            false,
        ),
        (
            "16 Connection lines, none upgrade",
            padded(OTHER, &sixteen, "websocket"),
            true,
        ),
        (
            "a long Upgrade value",
            padded(OTHER, &["upgrade".to_owned()], &"h2c, ".repeat(100)),
            false,
        ),
        (
            "an allowed origin, padded",
            padded(APP, &huge, "websocket"),
            true,
        ),
    ];
    for (desc, req, forwarded) in cases {
        let out = call(&policy, plain_inner_headers(), clone_request(req));
        assert_eq!(out.inner_called, *forwarded, "{desc}");
    }
}
