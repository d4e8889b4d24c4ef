//! CORS outside authentication: preflights are answered before the auth layer
//! sees them, and 401s stay readable by the page.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example axum_with_auth
//! ```
//!
//! then:
//!
//! ```sh
//! # the preflight succeeds although it carries no token (browsers never send one)
//! curl -i -X OPTIONS http://127.0.0.1:3001/api/me \
//!   -H 'Origin: http://localhost:5173' \
//!   -H 'Access-Control-Request-Method: GET' \
//!   -H 'Access-Control-Request-Headers: authorization'
//! # without a token: 401, with Access-Control-Allow-Origin so the page can read it
//! curl -i http://127.0.0.1:3001/api/me -H 'Origin: http://localhost:5173'
//! # with a token: 200
//! curl -i http://127.0.0.1:3001/api/me -H 'Origin: http://localhost:5173' \
//!   -H 'Authorization: Bearer demo-token'
//! ```

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::{header::AUTHORIZATION, StatusCode};
use tower_cors::{CorsLayer, CorsPolicy};

/// Accepts `Authorization: Bearer demo-token`, answers 401 otherwise.
async fn require_token(req: Request, next: Next) -> Response {
    match req.headers().get(AUTHORIZATION) {
        Some(v) if v == "Bearer demo-token" => next.run(req).await,
        _ => (StatusCode::UNAUTHORIZED, "missing or wrong bearer token\n").into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = CorsPolicy::builder()
        .allow_origins(["http://localhost:5173", "http://127.0.0.1:5173"])
        .allow_headers(["authorization"])
        .allow_credentials(true)
        .build()?;

    let app = Router::new()
        .route("/api/me", get(|| async { "{\"user\":\"demo\"}\n" }))
        // Inner: authentication wraps the routes only.
        .route_layer(middleware::from_fn(require_token))
        // Outer: CORS sees every request first.
        .layer(CorsLayer::new(policy));

    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("API listening on http://{addr}/api/me (token: Bearer demo-token)");
    println!(
        "try: curl -i -X OPTIONS http://{addr}/api/me -H 'Origin: http://localhost:5173' -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: authorization'"
    );
    axum::serve(listener, app).await?;
    Ok(())
}
