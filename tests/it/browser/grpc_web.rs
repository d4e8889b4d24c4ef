//! gRPC-web from a real browser: a page on `http://app.test:<port>` calls a
//! tonic service on `http://api.test:<port>` with `fetch()` (binary
//! gRPC-web, the custom `x-grpc-web` / `x-user-agent` headers, so Chromium
//! sends a preflight first). The service runs behind
//! `tonic_web::GrpcWebLayer` inside `CorsLayer`.
//!
//! Run with `cargo test --test it browser::grpc_web:: -- --include-ignored`; needs
//! the Debian packages `chromium` and `chromium-driver` (or `CHROMIUM` /
//! `CHROMEDRIVER`), and fails when they are missing.

use super::harness;
use crate::grpc_web::example;
use crate::support::grpc;

use std::net::SocketAddr;
use std::path::Path;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http::Method;
use prost::Message;
use serde_json::{json, Value};
use tower_cors::{CorsLayer, CorsPolicy};

use example::{Greeter, HelloReply};
use grpc::parse_grpc_web_body;
use harness::{Browser, Engine};

const PAGE: &str = "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\">\
    <title>grpc-web</title>grpc-web caller";

/// Calls `SayHello` with `name` through `fetch()`, as grpc-web clients do.
const CALL: &str = r#"
const [url, name, done] = arguments;
(async () => {
  const utf8 = new TextEncoder().encode(name);
  // HelloRequest { name }: field 1, wire type 2 (0x0a), then the length.
  const message = new Uint8Array([0x0a, utf8.length, ...utf8]);
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  const r = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/grpc-web+proto",
      "x-grpc-web": "1",
      "x-user-agent": "grpc-web-javascript/0.1",
    },
    body: frame,
  });
  const body = Array.from(new Uint8Array(await r.arrayBuffer()));
  return {
    status: r.status,
    grpcStatus: r.headers.get("grpc-status"),
    grpcMessage: r.headers.get("grpc-message"),
    body,
  };
})().then(done, (e) => done({ error: String(e) }));
"#;

fn policy(page_origin: &str, expose: bool) -> CorsPolicy {
    let builder = CorsPolicy::builder()
        .allow_origin(page_origin)
        .allow_methods([Method::POST])
        .allow_headers(["content-type", "x-grpc-web", "x-user-agent", "grpc-timeout"]);
    let builder = if expose {
        builder.expose_headers(["grpc-status", "grpc-message"])
    } else {
        builder
    };
    builder.build().expect("valid policy")
}

async fn serve_grpc(policy: CorsPolicy) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(CorsLayer::new(policy))
        .layer(tonic_web::GrpcWebLayer::new())
        .add_service(Greeter)
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(async move { server.await.expect("grpc server runs") });
    addr
}

async fn serve_page() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let router = Router::new().fallback(get(|| async { Html(PAGE) }));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("page server") });
    port
}

async fn call(browser: &Browser, api: SocketAddr, name: &str) -> Value {
    let url = format!("http://api.test:{}/hello.Greeter/SayHello", api.port());
    browser.run_async(CALL, vec![json!(url), json!(name)]).await
}

fn body_of(answer: &Value) -> Bytes {
    let bytes: Vec<u8> = answer["body"]
        .as_array()
        .unwrap_or_else(|| panic!("the call was blocked or failed: {answer}"))
        .iter()
        .map(|b| u8::try_from(b.as_u64().expect("byte")).expect("byte"))
        .collect();
    Bytes::from(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and ChromeDriver (Debian: chromium chromium-driver)"]
async fn chromium_calls_a_grpc_web_service_from_another_origin() {
    let page_port = serve_page().await;
    let page_origin = format!("http://app.test:{page_port}");
    let exposed = serve_grpc(policy(&page_origin, true)).await;
    let unexposed = serve_grpc(policy(&page_origin, false)).await;

    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let browser = Browser::launch(Engine::Chromium, scratch).await;
    browser.open(&format!("{page_origin}/")).await;

    // A successful call: preflight, then the call, whose body the page reads.
    let ok = call(&browser, exposed, "browser").await;
    assert_eq!(ok["status"], 200, "{ok}");
    let (messages, trailers) = parse_grpc_web_body(body_of(&ok));
    assert_eq!(messages.len(), 1, "{ok}");
    let reply = HelloReply::decode(messages[0].clone()).expect("reply decodes");
    assert_eq!(reply.message, "Hello, browser!");
    assert!(
        trailers.contains(&("grpc-status".to_owned(), "0".to_owned())),
        "{trailers:?}"
    );

    // A failing call answers trailers-only: the status is in the response
    // headers, readable by the page because the policy exposes them.
    let err = call(&browser, exposed, "").await;
    assert_eq!(err["status"], 200, "{err}");
    assert_eq!(err["grpcStatus"], "3", "{err}");
    assert_eq!(
        err["grpcMessage"], "name%20must%20not%20be%20empty",
        "{err}"
    );

    // Without expose_headers the same answer reaches the page, but the
    // browser hides its gRPC status: what a grpc-web client would report
    // as an unknown error.
    let hidden = call(&browser, unexposed, "").await;
    assert_eq!(hidden["status"], 200, "{hidden}");
    assert_eq!(hidden["grpcStatus"], Value::Null, "{hidden}");
    assert_eq!(hidden["grpcMessage"], Value::Null, "{hidden}");

    browser.close().await;
}
