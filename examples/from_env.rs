//! An API whose CORS policy comes from environment variables, so staging and
//! production allow different origins without a rebuild.
//!
//! Run with:
//!
//! ```sh
//! CORS_ALLOW_ORIGINS=https://app.example.com,https://*.example.com \
//! CORS_ALLOW_METHODS=PUT,DELETE CORS_ALLOW_HEADERS=content-type \
//!   cargo run --example from_env
//! ```
//!
//! It prints the policy it built, then serves on 127.0.0.1:3000 (`PORT` to
//! change it) and logs one line per refused request. A misspelt variable
//! (`CORS_ALLOWED_ORIGINS`) or a bad value stops it with every problem
//! listed. From another terminal:
//!
//! ```sh
//! # allowed preflight: 204 with the CORS headers
//! curl -i -X OPTIONS http://127.0.0.1:3000/api/items \
//!   -H 'Origin: https://app.example.com' \
//!   -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type'
//! # refused preflight (a header not allowed): 403, and a log line naming x-debug
//! curl -i -X OPTIONS http://127.0.0.1:3000/api/items \
//!   -H 'Origin: https://app.example.com' \
//!   -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type,x-debug'
//! ```

use axum::routing::get;
use axum::Router;
use tower_cors::{CorsConfig, CorsLayer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Every problem at once, naming the variable and its value.
    let config = CorsConfig::from_env("CORS")?;
    let policy = config.build()?;
    println!("{policy}");

    // One line per refused request: what was refused and what the user's
    // console says, every request byte escaped.
    let cors = CorsLayer::new(policy).on_refusal(|refusal| eprintln!("{refusal}"));
    let app = Router::new()
        .route(
            "/api/items",
            get(|| async { "[]" }).put(|| async { "saved" }),
        )
        .layer(cors);

    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
