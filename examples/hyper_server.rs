//! A plain hyper 1 server, no framework: a tower service wrapped in
//! `CorsLayer`, adapted to hyper with `hyper_util::service::TowerToHyperService`.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example hyper_server            # PORT=0 picks a free port
//! ```
//!
//! then, from another terminal:
//!
//! ```sh
//! curl -i -X OPTIONS http://127.0.0.1:3000/notes \
//!   -H 'Origin: http://localhost:5173' \
//!   -H 'Access-Control-Request-Method: PUT' \
//!   -H 'Access-Control-Request-Headers: content-type'
//! curl -i http://127.0.0.1:3000/notes -H 'Origin: http://localhost:5173'
//! ```

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_cors::{CorsLayer, CorsPolicy, PolicyError};

/// The application: a JSON list on `GET /notes`, 404 elsewhere.
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/notes") => Response::builder()
            .header("content-type", "application/json")
            .body(Full::from(r#"["buy milk"]"#)),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::from("not found")),
    };
    // The builder gets only static, valid parts.
    Ok(response.unwrap_or_else(|_| Response::new(Full::default())))
}

/// The CORS policy of the example.
pub fn policy() -> Result<CorsPolicy, PolicyError> {
    CorsPolicy::builder()
        .allow_origin("http://localhost:5173")
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers(["content-type"])
        .max_age(Duration::from_secs(600))
        .build()
}

/// Accepts connections forever, each served by hyper's HTTP/1 server with
/// the CORS-wrapped tower service.
pub async fn serve(listener: TcpListener, policy: CorsPolicy) {
    let service = ServiceBuilder::new()
        .layer(CorsLayer::new(policy))
        .service_fn(handle);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}

#[allow(dead_code)] // the tests include this file for `serve`
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, policy()?).await;
    Ok(())
}
