//! A JSON API on localhost protected by a credentialed CORS policy.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example axum_basic
//! ```
//!
//! then, from another terminal, ask it what a browser would:
//!
//! ```sh
//! # preflight from an allowed origin: 204 with the CORS headers
//! curl -i -X OPTIONS http://127.0.0.1:3000/api/items \
//!   -H 'Origin: http://localhost:5173' \
//!   -H 'Access-Control-Request-Method: PUT' \
//!   -H 'Access-Control-Request-Headers: content-type'
//! # the same from another origin: 403 without any Access-Control-* header
//! curl -i -X OPTIONS http://127.0.0.1:3000/api/items \
//!   -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: PUT'
//! ```

use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use http::Method;
use tower_cors::{CorsLayer, CorsPolicy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = CorsPolicy::builder()
        .allow_origins(["http://localhost:5173", "http://127.0.0.1:5173"])
        .allow_origin_pattern("https://*.example.com")
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers(["content-type", "x-request-id"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .build()?;

    let app = Router::new()
        .route(
            "/api/items",
            get(|| async { Json(vec!["apple", "pear"]) }).put(|| async { "updated" }),
        )
        .layer(CorsLayer::new(policy));

    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("API listening on http://{addr}/api/items");
    println!(
        "allowed origins: http://localhost:5173, http://127.0.0.1:5173, https://*.example.com"
    );
    println!(
        "try: curl -i -X OPTIONS http://{addr}/api/items -H 'Origin: http://localhost:5173' -H 'Access-Control-Request-Method: PUT'"
    );
    axum::serve(listener, app).await?;
    Ok(())
}
