//! The server of the soak test (`scripts/soak.sh`): a small axum API behind a credentialed
//! `CorsLayer`, listening on loopback only, that stops by itself after `--max-seconds`.
//!
//! Run with:
//!
//! ```sh
//! cargo run --release --example soak_server -- --port 0 --max-seconds 120
//! ```
//!
//! It prints `listening on 127.0.0.1:<port>` once bound and `stopped` when done.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::http::{HeaderValue, Method};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower_cors::{CorsLayer, CorsPolicy};

/// The value of `--name value` on the command line, if given.
fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

async fn items() -> impl IntoResponse {
    (
        [
            ("content-type", HeaderValue::from_static("application/json")),
            ("x-request-id", HeaderValue::from_static("soak")),
        ],
        r#"{"items":[1,2,3]}"#,
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = arg("--port").map_or(Ok(0), |p| p.parse())?;
    let max_seconds: u64 = arg("--max-seconds").map_or(Ok(300), |s| s.parse())?;

    let policy = CorsPolicy::builder()
        .allow_origins(["https://app.example.com", "http://localhost:5173"])
        .allow_origin_pattern("https://*.tenant.example.com")
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers(["content-type", "x-custom", "authorization"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .build()?;

    let app = Router::new()
        .route(
            "/api/items",
            get(items).post(items).put(items).delete(items),
        )
        .layer(CorsLayer::new(policy));

    // Loopback only: the soak test never leaves this machine.
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    println!("listening on {}", listener.local_addr()?);

    let deadline = tokio::time::sleep(Duration::from_secs(max_seconds));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = deadline => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        })
        .await?;
    println!("stopped");
    Ok(())
}
