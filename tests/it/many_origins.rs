//! A policy of 100,000 exact origins, through the tower `Service`: every listed origin is
//! allowed, near misses of each are refused, and duplicates in the list change nothing.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS as ACAC, ACCESS_CONTROL_ALLOW_ORIGIN as ACAO,
    ACCESS_CONTROL_REQUEST_METHOD as ACRM, ORIGIN, VARY,
};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Empty;
use tower::{service_fn, Layer, Service, ServiceExt};
use tower_cors::{CorsLayer, CorsPolicy};

const ORIGINS: usize = 100_000;

/// Origin `i`: `https://tenant000123.customer-domain-23.com`.
fn origin(i: usize) -> String {
    format!("https://tenant{i:06}.customer-domain-{}.com", i % 100)
}

/// The list as configured: every origin, and every tenth one again.
fn configured() -> Vec<String> {
    let mut list: Vec<String> = (0..ORIGINS).map(origin).collect();
    list.extend((0..ORIGINS).step_by(10).map(origin));
    list
}

fn policy() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origins(configured())
        .allow_credentials(true)
        .build()
        .expect("valid policy")
}

async fn ok(_req: Request<Empty<Bytes>>) -> Result<Response<Empty<Bytes>>, Infallible> {
    Ok(Response::new(Empty::new()))
}

fn get(origin: &[u8]) -> Request<Empty<Bytes>> {
    let mut req = Request::new(Empty::new());
    req.headers_mut().insert(
        ORIGIN,
        HeaderValue::from_bytes(origin).expect("valid header value"),
    );
    req
}

/// Near misses of `o`: one byte changed, added or removed, another scheme, an explicit
/// default port, a trailing slash or dot, capitals, and a long value starting with `o`.
fn near_misses(o: &str) -> Vec<Vec<u8>> {
    let mut misses = Vec::new();
    let mut changed = o.as_bytes().to_vec();
    if let Some(last) = changed.last_mut() {
        *last = b'n';
    }
    misses.push(changed);
    misses.push(format!("{o}m").into_bytes());
    misses.push(o.as_bytes()[..o.len() - 1].to_vec());
    misses.push(o.replacen("https://", "http://", 1).into_bytes());
    misses.push(format!("{o}:443").into_bytes());
    misses.push(format!("{o}/").into_bytes());
    misses.push(format!("{o}.").into_bytes());
    misses.push(o.to_ascii_uppercase().into_bytes());
    misses.push(format!("{o}{}", "a".repeat(1024 - o.len())).into_bytes());
    misses
}

#[tokio::test]
async fn every_listed_origin_is_allowed_and_near_misses_are_refused() {
    let policy = policy();
    let mut svc = CorsLayer::new(policy).layer(service_fn(ok));
    for i in 0..ORIGINS {
        let o = origin(i);
        let res = svc
            .ready()
            .await
            .expect("ready")
            .call(get(o.as_bytes()))
            .await
            .expect("response");
        let h = res.headers();
        assert_eq!(
            h.get(ACAO).map(HeaderValue::as_bytes),
            Some(o.as_bytes()),
            "{o}"
        );
        assert_eq!(
            h.get(ACAC).map(HeaderValue::as_bytes),
            Some(&b"true"[..]),
            "{o}"
        );
    }
    for i in (0..ORIGINS).step_by(97).chain([ORIGINS - 1]) {
        let o = origin(i);
        for miss in near_misses(&o) {
            let desc = String::from_utf8_lossy(&miss).into_owned();
            let res = svc
                .ready()
                .await
                .expect("ready")
                .call(get(&miss))
                .await
                .expect("response");
            assert_eq!(res.status(), StatusCode::OK, "{desc}: forwarded");
            assert_eq!(res.headers().get(ACAO), None, "{desc}: refused");
            assert!(res.headers().contains_key(VARY), "{desc}: Vary");
        }
    }
}

#[tokio::test]
async fn preflights_of_listed_origins_are_answered() {
    let svc = CorsLayer::new(policy()).layer(service_fn(ok));
    for i in (0..ORIGINS).step_by(997) {
        let o = origin(i);
        let mut req = get(o.as_bytes());
        *req.method_mut() = Method::OPTIONS;
        req.headers_mut()
            .insert(ACRM, HeaderValue::from_static("POST"));
        let res = svc.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{o}");
        assert_eq!(
            res.headers().get(ACAO).map(HeaderValue::as_bytes),
            Some(o.as_bytes()),
            "{o}"
        );
    }
}

/// Duplicates are stored once: the policy lists each origin once, in the order first
/// given.
#[test]
fn duplicates_are_listed_once() {
    let shown = policy().to_string();
    let line = shown
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("origins:"))
        .expect("an origins line");
    let listed: Vec<&str> = line.trim().split(", ").collect();
    let want: Vec<String> = (0..ORIGINS).map(origin).collect();
    assert_eq!(listed.len(), ORIGINS);
    assert!(listed.iter().zip(&want).all(|(a, b)| a == b));
}
