//! A SaaS application behind **one** `CorsLayer`: the policy from a TOML
//! file with per-path tables, tenant origins from SQLite that change while
//! it serves, a guarded WebSocket and bearer auth inside.
//!
//! The policy file (`$SAAS_CORS_CONFIG`; by default `cors.toml` in
//! `tower-cors-saas/` under the system's temporary directory, written on
//! first run with this content):
//!
//! ```toml
//! # nothing at the top level: paths no entry covers get no CORS
//! [paths."/public"]
//! allow_any_origin = true
//!
//! [paths."/api"]
//! allow_origins = ["https://app.example.com", "https://pr-*.preview.example.com"]
//! allow_credentials = true
//! allow_methods = ["PUT", "DELETE"]
//! allow_headers = ["authorization", "content-type"]
//! guard_websockets = true
//! own_origins = ["https://saas.example.com"]
//! max_age = 600
//! ```
//!
//! Tenant origins (`$SAAS_DB`, by default `tenants.sqlite3` beside the
//! file) reach `/api` through `PolicyBuilder::from(config.paths["/api"])`
//! plus an `allow_origin_fn` predicate over an in-memory snapshot that a
//! background task reloads every 250 ms. Why a predicate rather than
//! rebuilding the table and `PolicyHandle::replace`: the file's part is
//! compiled (and checked) once, a refresh only swaps a set, and one
//! malformed row cannot hold back the others (it equals no origin a browser
//! sends, so it opens nothing). Rebuilding is the choice when the rows must
//! be validated and reported (see `examples/tenant_origins.rs`).
//!
//! The CORS layer is outside everything, so preflights are answered without
//! a token, and `401`s and unknown `/api/*` paths' `404`s carry the CORS
//! headers the page needs to read them; the refusal log shows each request's
//! full path. The logic lives in `examples/saas/app.rs`, which
//! `tests/it/saas_example.rs` drives through a real server.
//!
//! ```sh
//! cargo run --features serde --example saas
//! # an allowed origin's preflight: 204, no token needed
//! curl -i -X OPTIONS http://127.0.0.1:3010/api/orders \
//!   -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: PUT'
//! curl -i http://127.0.0.1:3010/api/orders/42 \
//!   -H 'Origin: https://app.example.com' -H 'Authorization: Bearer demo-token'
//! # a tenant origin: refused until added, allowed within 250 ms after
//! cargo run --features serde --example saas -- add https://shop.acme.example
//! cargo run --features serde --example saas -- remove https://shop.acme.example
//! ```
//!
//! `$SAAS_TOKEN` sets the bearer token (default `demo-token`), `$ADDR` the
//! listening address (default `127.0.0.1:3010`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[path = "saas/app.rs"]
mod app;

use app::{parse_config, policies, router, BoxError, RefusalLog, Snapshot, TenantDb};

/// How often the tenant snapshot is reloaded from SQLite.
const REFRESH: Duration = Duration::from_millis(250);

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join("tower-cors-saas");
    let config_path = match std::env::var_os("SAAS_CORS_CONFIG") {
        Some(path) => PathBuf::from(path),
        None => {
            let path = dir.join("cors.toml");
            if !path.exists() {
                std::fs::create_dir_all(&dir)?;
                std::fs::write(&path, app::DEFAULT_CONFIG)?;
            }
            path
        }
    };
    let db_path = std::env::var_os("SAAS_DB").map_or_else(
        || {
            let _ = std::fs::create_dir_all(&dir);
            dir.join("tenants.sqlite3")
        },
        PathBuf::from,
    );
    let db = Arc::new(TenantDb::open(&db_path)?);

    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (Some("add"), Some(origin)) => return report(db.add(&origin)?, "added", &origin),
        (Some("remove"), Some(origin)) => return report(db.remove(&origin)?, "removed", &origin),
        (Some("list"), None) => {
            let mut origins: Vec<_> = db.load()?.into_iter().collect();
            origins.sort();
            origins.iter().for_each(|o| println!("{o}"));
            return Ok(());
        }
        (None, _) => {}
        _ => return Err("usage: saas [add ORIGIN | remove ORIGIN | list]".into()),
    }

    let text = std::fs::read_to_string(&config_path)
        .map_err(|e| format!("{}: {e}", config_path.display()))?;
    let config = parse_config(&text).map_err(|e| format!("{}: {e}", config_path.display()))?;
    let tenants = Snapshot::default();
    let paths = policies(&config, &tenants)?;
    tenants.refresh(&db).await?;
    let _refresh = tenants.spawn_refresh(Arc::clone(&db), REFRESH);

    let token = std::env::var("SAAS_TOKEN").unwrap_or_else(|_| "demo-token".into());
    let app = router(paths, &token, RefusalLog::default());
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3010".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "policy {}, tenants {}; listening on http://{}",
        config_path.display(),
        db_path.display(),
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}

fn report(changed: bool, what: &str, origin: &str) -> Result<(), BoxError> {
    if changed {
        println!("{what} {origin}");
    } else {
        println!("{origin}: nothing to do");
    }
    Ok(())
}
