//! gRPC-web: a real tonic server (`tonic::transport::Server`, HTTP/1.1
//! accepted) serving a tonic service through `tonic_web::GrpcWebLayer`
//! inside `CorsLayer`, called over TCP the way a browser's gRPC-web client
//! does: a preflight with `x-grpc-web`, `x-user-agent` and
//! `content-type: application/grpc-web+proto`, then the call.

#[path = "../../examples/grpc_web.rs"]
#[allow(dead_code, unreachable_pub)]
pub(crate) mod example;
use crate::support::grpc;

use std::net::SocketAddr;

use bytes::Bytes;
use example::{Greeter, HelloReply, HelloRequest};
use grpc::{grpc_web_frame, parse_grpc_web_body};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prost::Message;
use tower_cors::{CorsLayer, CorsPolicy};

const APP: &str = "http://app.localhost:5173";

/// The example's policy, the one the README points to.
fn policy() -> CorsPolicy {
    example::grpc_web_policy(APP).expect("valid policy")
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(CorsLayer::new(policy()))
        .layer(tonic_web::GrpcWebLayer::new())
        .add_service(Greeter)
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(async move { server.await.expect("server runs") });
    addr
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

async fn send(req: Request<Full<Bytes>>) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http();
    let res = client.request(req).await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

fn header<'a>(a: &'a Answer, name: &str) -> Option<&'a str> {
    a.headers.get(name).map(|v| v.to_str().expect("ascii"))
}

fn list(a: &Answer, name: &str) -> Vec<String> {
    header(a, name)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn preflight(addr: SocketAddr, origin: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri(format!("http://{addr}/hello.Greeter/SayHello"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-grpc-web,x-user-agent",
        )
        .body(Full::default())
        .expect("request")
}

fn call(addr: SocketAddr, origin: &str, name: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(Method::POST)
        .uri(format!("http://{addr}/hello.Greeter/SayHello"))
        .header("origin", origin)
        .header("content-type", "application/grpc-web+proto")
        .header("accept", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("x-user-agent", "grpc-web-javascript/0.1")
        .body(Full::new(grpc_web_frame(&HelloRequest {
            name: name.to_owned(),
        })))
        .expect("request")
}

#[tokio::test]
async fn preflight_of_a_grpc_web_call_is_answered() {
    let addr = serve().await;
    let a = send(preflight(addr, APP)).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(header(&a, "access-control-allow-origin"), Some(APP));
    assert_eq!(list(&a, "access-control-allow-methods"), ["post"]);
    let allowed = list(&a, "access-control-allow-headers");
    for h in ["content-type", "x-grpc-web", "x-user-agent"] {
        assert!(allowed.iter().any(|a| a == h), "{h} not in {allowed:?}");
    }
    assert_eq!(header(&a, "access-control-max-age"), Some("600"));
    // Answered by the CORS layer: neither tonic-web nor the service saw it.
    assert!(a.body.is_empty());
    assert_eq!(header(&a, "grpc-status"), None);
}

#[tokio::test]
async fn grpc_web_call_is_served_and_its_status_readable() {
    let addr = serve().await;
    let a = send(call(addr, APP, "web")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        header(&a, "content-type"),
        Some("application/grpc-web+proto")
    );
    assert_eq!(header(&a, "access-control-allow-origin"), Some(APP));
    assert_eq!(
        list(&a, "access-control-expose-headers"),
        ["grpc-status", "grpc-message", "grpc-status-details-bin"]
    );
    let (messages, trailers) = parse_grpc_web_body(a.body.clone());
    assert_eq!(messages.len(), 1);
    let reply = HelloReply::decode(messages[0].clone()).expect("reply decodes");
    assert_eq!(reply.message, "Hello, web!");
    assert!(
        trailers.contains(&("grpc-status".to_owned(), "0".to_owned())),
        "{trailers:?}"
    );
}

#[tokio::test]
async fn grpc_error_status_is_exposed_to_the_page() {
    let addr = serve().await;
    let a = send(call(addr, APP, "")).await;
    // A trailers-only answer: the status is in the headers, which the page
    // can read only because they are exposed.
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(header(&a, "access-control-allow-origin"), Some(APP));
    assert_eq!(header(&a, "grpc-status"), Some("3"));
    assert_eq!(
        header(&a, "grpc-message"),
        Some("name%20must%20not%20be%20empty")
    );
    let exposed = list(&a, "access-control-expose-headers");
    assert!(exposed.iter().any(|h| h == "grpc-status"), "{exposed:?}");
    assert!(exposed.iter().any(|h| h == "grpc-message"), "{exposed:?}");
}

#[tokio::test]
async fn other_origins_get_no_cors_headers() {
    let addr = serve().await;
    let evil = "https://evil.example";
    let p = send(preflight(addr, evil)).await;
    assert_eq!(header(&p, "access-control-allow-origin"), None);
    assert_eq!(header(&p, "access-control-allow-headers"), None);
    let c = send(call(addr, evil, "web")).await;
    assert_eq!(header(&c, "access-control-allow-origin"), None);
    assert_eq!(header(&c, "access-control-expose-headers"), None);
}
