//! A small gRPC service written against tonic's server types (what
//! `tonic-build` generates, without needing `protoc`), and the gRPC-web
//! framing a browser client uses.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tonic::body::Body;
use tonic::server::{Grpc, NamedService};
use tonic::{Request, Response, Status};

/// `hello.Greeter/SayHello` request.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `hello.Greeter/SayHello` reply.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    #[prost(string, tag = "1")]
    pub message: String,
}

/// The service: greets by name; an empty name is `INVALID_ARGUMENT`.
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

/// A gRPC-web (binary) request body: one uncompressed message frame.
pub fn grpc_web_frame(message: &impl prost::Message) -> Bytes {
    let encoded = message.encode_to_vec();
    let mut frame = BytesMut::with_capacity(5 + encoded.len());
    frame.put_u8(0);
    frame.put_u32(u32::try_from(encoded.len()).expect("small message"));
    frame.put_slice(&encoded);
    frame.freeze()
}

/// Splits a gRPC-web response body into its message and its trailers
/// (`name:value` lines of the trailer frame).
pub fn parse_grpc_web_body(mut body: Bytes) -> (Vec<Bytes>, Vec<(String, String)>) {
    let mut messages = Vec::new();
    let mut trailers = Vec::new();
    while body.remaining() >= 5 {
        let flags = body.get_u8();
        let len = body.get_u32() as usize;
        let data = body.split_to(len);
        if flags & 0x80 == 0 {
            messages.push(data);
        } else {
            for line in String::from_utf8_lossy(&data).split("\r\n") {
                if let Some((k, v)) = line.split_once(':') {
                    trailers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
        }
    }
    assert!(body.is_empty(), "trailing bytes in a gRPC-web body");
    (messages, trailers)
}
