//! A plain hyper 1 server (no axum) with the layer, through hyper-util's
//! tower adapter: the code of `examples/hyper_server.rs`, over TCP.

#[path = "../../examples/hyper_server.rs"]
#[allow(dead_code, unreachable_pub)]
mod example;

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const APP: &str = "http://localhost:5173";

async fn start() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let policy = example::policy().expect("valid policy");
    tokio::spawn(example::serve(listener, policy));
    addr
}

async fn send(req: Request<Empty<Bytes>>) -> (StatusCode, HeaderMap, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http();
    let res = client.request(req).await.expect("request");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, body)
}

fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().expect("ascii"))
}

#[tokio::test]
async fn preflight_is_answered_by_the_layer() {
    let addr = start().await;
    let (status, headers, body) = send(
        Request::builder()
            .method(Method::OPTIONS)
            .uri(format!("http://{addr}/notes"))
            .header("origin", APP)
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "content-type")
            .body(Empty::new())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(APP));
    assert_eq!(
        get(&headers, "access-control-allow-methods"),
        Some("GET, PUT")
    );
    assert_eq!(
        get(&headers, "access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(get(&headers, "access-control-max-age"), Some("600"));
    assert!(body.is_empty());
}

#[tokio::test]
async fn responses_are_decorated_for_allowed_origins_only() {
    let addr = start().await;
    let request = |origin: &str, path: &str| {
        Request::builder()
            .uri(format!("http://{addr}{path}"))
            .header("origin", origin)
            .body(Empty::new())
            .expect("request")
    };
    let (status, headers, body) = send(request(APP, "/notes")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(APP));
    assert_eq!(get(&headers, "vary"), Some("Origin"));
    assert_eq!(&body[..], br#"["buy milk"]"#);

    // Errors of the application are readable by the allowed origin too.
    let (status, headers, _) = send(request(APP, "/missing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(APP));

    let (status, headers, _) = send(request("https://evil.example", "/notes")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(get(&headers, "access-control-allow-origin"), None);
}
