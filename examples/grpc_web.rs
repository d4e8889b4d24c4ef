//! A tonic gRPC service callable from browsers with gRPC-web:
//! `tonic_web::GrpcWebLayer` translates gRPC-web to gRPC, and `CorsLayer`
//! around it answers the preflight and lets the page read `grpc-status` and
//! `grpc-message`.
//!
//! The service is written against tonic's server types (what `tonic-build`
//! generates from a `.proto`), so the example needs no `protoc`:
//!
//! ```proto
//! package hello;
//! service Greeter { rpc SayHello (HelloRequest) returns (HelloReply); }
//! message HelloRequest { string name = 1; }
//! message HelloReply { string message = 1; }
//! ```
//!
//! Run with:
//!
//! ```sh
//! cargo run --example grpc_web
//! ```
//!
//! then, from another terminal, send the preflight a grpc-web client causes:
//!
//! ```sh
//! curl -i -X OPTIONS http://127.0.0.1:50051/hello.Greeter/SayHello \
//!   -H 'Origin: http://localhost:5173' \
//!   -H 'Access-Control-Request-Method: POST' \
//!   -H 'Access-Control-Request-Headers: content-type,x-grpc-web,x-user-agent'
//! # and a call: the message frame of HelloRequest { name: "web" }
//! printf '\x00\x00\x00\x00\x05\x0a\x03web' | curl -si http://127.0.0.1:50051/hello.Greeter/SayHello \
//!   -H 'Origin: http://localhost:5173' -H 'Content-Type: application/grpc-web+proto' \
//!   -H 'X-Grpc-Web: 1' --data-binary @- --output -
//! ```
//!
//! With a generated service (`tonic-build`), only the last lines of `main`
//! matter: `.layer(CorsLayer::new(policy)).layer(GrpcWebLayer::new())`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Method;
use tonic::body::Body;
use tonic::server::{Grpc, NamedService};
use tonic::{Request, Response, Status};
use tower_cors::{CorsLayer, CorsPolicy, PolicyError};

/// `hello.HelloRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    /// Who to greet.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `hello.HelloReply`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: String,
}

/// `hello.Greeter`: greets by name; an empty name is `INVALID_ARGUMENT`.
#[derive(Clone, Default)]
pub struct Greeter;

async fn say_hello(req: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
    let name = req.into_inner().name;
    if name.is_empty() {
        return Err(Status::invalid_argument("name must not be empty"));
    }
    Ok(Response::new(HelloReply {
        message: format!("Hello, {name}!"),
    }))
}

impl NamedService for Greeter {
    const NAME: &'static str = "hello.Greeter";
}

impl tower::Service<http::Request<Body>> for Greeter {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        match req.uri().path() {
            "/hello.Greeter/SayHello" => Box::pin(async move {
                let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(tower::service_fn(say_hello), req).await)
            }),
            _ => Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

/// The CORS policy a gRPC-web client needs: `POST`, the headers its
/// requests carry, and the gRPC status headers exposed to the page (a
/// failing call answers "trailers-only", with the status in the headers).
pub fn grpc_web_policy(origin: &str) -> Result<CorsPolicy, PolicyError> {
    CorsPolicy::builder()
        .allow_origin(origin)
        .allow_methods([Method::POST])
        .allow_headers(["content-type", "x-grpc-web", "x-user-agent", "grpc-timeout"])
        .expose_headers(["grpc-status", "grpc-message", "grpc-status-details-bin"])
        .max_age(Duration::from_secs(600))
        .build()
}

#[allow(dead_code)] // the tests include this file for its service
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = grpc_web_policy("http://localhost:5173")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:50051").await?;
    println!("gRPC-web on http://{}", listener.local_addr()?);
    tonic::transport::Server::builder()
        // gRPC-web clients speak HTTP/1.1.
        .accept_http1(true)
        // CORS outside gRPC-web: preflights never reach tonic-web.
        .layer(CorsLayer::new(policy))
        .layer(tonic_web::GrpcWebLayer::new())
        .add_service(Greeter)
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
        .await?;
    Ok(())
}
