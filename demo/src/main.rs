//! Live CORS demo: `cargo run -p tower-cors-demo`, then open the printed URL.
//!
//! Starts an API origin protected by `CorsLayer` (with bearer authentication
//! inside it) and a page origin, both on 127.0.0.1. The page runs each
//! scenario in your own browser and shows whether the browser let it read
//! the response, next to what the policy decided on the server.

use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // DEMO_PAGE_PORT / DEMO_API_PORT pin the ports; by default any free ones.
    let port = |var: &str| {
        std::env::var(var)
            .ok()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0)
    };
    let page = TcpListener::bind(("127.0.0.1", port("DEMO_PAGE_PORT"))).await?;
    let api = TcpListener::bind(("127.0.0.1", port("DEMO_API_PORT"))).await?;
    let demo = tower_cors_demo::start(page, api)?;
    println!("tower-cors demo");
    println!(
        "  api:  {} (CorsLayer outside, bearer auth inside)",
        demo.api_origin
    );
    println!(
        "  refused origin: {} (runs the \"other origin\" rows)",
        demo.other_origin
    );
    println!("  open: {}", demo.page_url);
    println!("press ctrl-c to stop");
    // The servers run on the runtime's tasks until the process is stopped.
    std::future::pending::<()>().await;
    Ok(())
}
