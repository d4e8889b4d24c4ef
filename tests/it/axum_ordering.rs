//! axum integration: with CORS outside authentication, preflights succeed and
//! error responses stay readable; with the wrong order, the preflight gets 401.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS as ACAC, ACCESS_CONTROL_ALLOW_ORIGIN as ACAO, AUTHORIZATION,
    VARY,
};
use http::{HeaderValue, Method, StatusCode};
use http_body::{Body as HttpBody, Frame};
use tower::{service_fn, Layer, ServiceBuilder, ServiceExt};
use tower_cors::{CorsLayer, CorsPolicy};

const APP: &str = "http://app.localhost:5173";

fn policy() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers(["authorization", "content-type"])
        .allow_credentials(true)
        .build()
        .expect("valid policy")
}

/// Bearer-token authentication: 401 without `Authorization: Bearer secret`.
async fn require_token(req: Request, next: Next) -> Response {
    match req.headers().get(AUTHORIZATION) {
        Some(v) if v == "Bearer secret" => next.run(req).await,
        _ => (StatusCode::UNAUTHORIZED, "missing token").into_response(),
    }
}

fn routes() -> Router {
    Router::new()
        .route("/api/me", get(|| async { "me" }))
        .route(
            "/api/items",
            post(|| async { (StatusCode::CREATED, "created") }),
        )
        .route(
            "/api/boom",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
}

/// `route_layer(auth).layer(cors)`: CORS outermost.
fn route_layer_order() -> Router {
    routes()
        .route_layer(middleware::from_fn(require_token))
        .layer(CorsLayer::new(policy()))
}

/// `ServiceBuilder::new().layer(cors).layer(auth)`: the first layer is outermost.
fn service_builder_order() -> Router {
    routes().layer(
        ServiceBuilder::new()
            .layer(CorsLayer::new(policy()))
            .layer(middleware::from_fn(require_token)),
    )
}

/// The deliberately wrong wiring of the ordering guide: auth outermost.
fn wrong_order() -> Router {
    routes()
        .layer(CorsLayer::new(policy()))
        .layer(middleware::from_fn(require_token))
}

fn preflight(path: &str, method: &str) -> Request {
    Request::builder()
        .method(Method::OPTIONS)
        .uri(path)
        .header("origin", APP)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .body(Body::empty())
        .expect("request")
}

fn actual(method: Method, path: &str, token: Option<&str>) -> Request {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("origin", APP);
    if let Some(t) = token {
        req = req.header(AUTHORIZATION, t);
    }
    req.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn preflight_succeeds_with_auth_inside_cors() {
    for (desc, app) in [
        ("route_layer", route_layer_order()),
        ("ServiceBuilder", service_builder_order()),
    ] {
        for (path, method) in [
            ("/api/me", "GET"),
            ("/api/items", "POST"),
            ("/api/items", "DELETE"),
        ] {
            let res = app
                .clone()
                .oneshot(preflight(path, method))
                .await
                .expect("infallible");
            assert_eq!(
                res.status(),
                StatusCode::NO_CONTENT,
                "{desc} {method} {path}"
            );
            assert_eq!(
                res.headers().get(ACAO).map(HeaderValue::as_bytes),
                Some(APP.as_bytes()),
                "{desc}"
            );
            assert_eq!(
                res.headers().get(ACAC).map(HeaderValue::as_bytes),
                Some(&b"true"[..]),
                "{desc}"
            );
        }
    }
}

#[tokio::test]
async fn error_responses_are_readable_with_auth_inside_cors() {
    for (desc, app) in [
        ("route_layer", route_layer_order()),
        ("ServiceBuilder", service_builder_order()),
    ] {
        let cases = [
            (
                "401 without token",
                actual(Method::GET, "/api/me", None),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "200 with token",
                actual(Method::GET, "/api/me", Some("Bearer secret")),
                StatusCode::OK,
            ),
            (
                "201 with token",
                actual(Method::POST, "/api/items", Some("Bearer secret")),
                StatusCode::CREATED,
            ),
            (
                "500 from handler",
                actual(Method::GET, "/api/boom", Some("Bearer secret")),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                "404 unknown route",
                actual(Method::GET, "/nope", Some("Bearer secret")),
                StatusCode::NOT_FOUND,
            ),
            (
                "405 wrong method",
                actual(Method::PUT, "/api/me", Some("Bearer secret")),
                StatusCode::METHOD_NOT_ALLOWED,
            ),
        ];
        for (case, req, status) in cases {
            let res = app.clone().oneshot(req).await.expect("infallible");
            assert_eq!(res.status(), status, "{desc}: {case}");
            assert_eq!(
                res.headers().get(ACAO).map(HeaderValue::as_bytes),
                Some(APP.as_bytes()),
                "{desc}: {case}"
            );
            assert_eq!(
                res.headers().get(ACAC).map(HeaderValue::as_bytes),
                Some(&b"true"[..]),
                "{desc}: {case}"
            );
            assert_eq!(
                res.headers().get(VARY).map(HeaderValue::as_bytes),
                Some(&b"Origin"[..]),
                "{desc}: {case}"
            );
        }
    }
}

#[tokio::test]
async fn wrong_order_rejects_the_preflight_with_401() {
    // The symptom described in docs/ordering.md.
    let res = wrong_order()
        .oneshot(preflight("/api/me", "GET"))
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get(ACAO).is_none());
}

/// A response body without `Default` (as produced by gRPC-web or body-limit
/// layers): the layer must compose with it.
struct NoDefaultBody(Option<Bytes>);

impl HttpBody for NoDefaultBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.take().map(|b| Ok(Frame::data(b))))
    }
}

#[tokio::test]
async fn composes_with_a_body_that_has_no_default() {
    let inner = service_fn(|_req: http::Request<()>| async {
        Ok::<_, Infallible>(http::Response::new(NoDefaultBody(Some(
            Bytes::from_static(b"payload"),
        ))))
    });
    let svc = CorsLayer::new(policy()).layer(inner);
    let res = svc
        .clone()
        .oneshot(
            http::Request::get("/")
                .header("origin", APP)
                .body(())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(
        res.headers().get(ACAO).map(HeaderValue::as_bytes),
        Some(APP.as_bytes())
    );
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(&body[..], b"payload");

    let pre = http::Request::options("/")
        .header("origin", APP)
        .header("access-control-request-method", "DELETE")
        .body(())
        .expect("request");
    let res = svc.oneshot(pre).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .expect("body")
        .to_bytes();
    assert!(body.is_empty());
}

#[tokio::test]
async fn serves_over_real_http_with_axum_serve() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, route_layer_order()).await });
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "OPTIONS /api/me HTTP/1.1\r\nHost: {addr}\r\nOrigin: {APP}\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: authorization\r\nConnection: close\r\n\r\n"
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
        .await
        .expect("write");
    let mut response = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut response)
        .await
        .expect("read");
    server.abort();
    let lower = response.to_ascii_lowercase();
    assert!(response.starts_with("HTTP/1.1 204"), "{response}");
    assert!(
        lower.contains(&format!("access-control-allow-origin: {APP}")),
        "{response}"
    );
    assert_eq!(
        lower.matches("access-control-allow-origin").count(),
        1,
        "{response}"
    );
}
