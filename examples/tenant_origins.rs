//! A multi-tenant API whose allowed origins live in a SQLite database and
//! change while it serves, in the two ways tower-cors supports:
//!
//! - **(a) a predicate over an in-memory snapshot**, on port 3002: the policy
//!   is built once with `allow_origin_fn`; a background task reloads the
//!   table into memory. The predicate sees the request, so here a tenant's
//!   origins are allowed on that tenant's paths only.
//! - **(b) a whole policy rebuilt from the table**, on port 3003: a
//!   background task builds a new policy and swaps it in with
//!   `PolicyHandle::replace`. The recommended way for a plain allow-list:
//!   exact origins are one hash lookup, and `build()` re-validates every
//!   origin, so a malformed row is reported and the policy in force stays.
//!
//! The logic lives in `examples/tenant_origins/tenants.rs`, which
//! `tests/it/tenant_origins.rs` tests against a real database file.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example tenant_origins
//! ```
//!
//! The database (`$TENANT_DB`, by default `tower-cors-tenant-origins.sqlite3`
//! in the system's temporary directory) is created and seeded with two
//! tenants if empty; it is reloaded every `$TENANT_REFRESH_SECS` seconds
//! (default 5, fractions allowed). `$ADDR_PREDICATE` and `$ADDR_POLICY`
//! change the listening addresses. From another terminal:
//!
//! ```sh
//! # acme's origin is allowed on acme's paths, by both servers
//! curl -i -X OPTIONS http://127.0.0.1:3002/api/tenants/acme/orders \
//!   -H 'Origin: http://localhost:5173' -H 'Access-Control-Request-Method: PUT'
//! # a new origin: refused (403) until it is in the table
//! curl -i -X OPTIONS http://127.0.0.1:3003/api/tenants/acme/orders \
//!   -H 'Origin: https://shop.acme.example' -H 'Access-Control-Request-Method: PUT'
//! cargo run --example tenant_origins -- add acme https://shop.acme.example
//! # ... within one refresh interval both servers log the change and allow it
//! cargo run --example tenant_origins -- remove acme https://shop.acme.example
//! # a malformed origin is reported by both servers; nothing changes
//! cargo run --example tenant_origins -- add acme https://Shop.acme.example/
//! cargo run --example tenant_origins -- list
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tower_cors::CorsLayer;

#[path = "tenant_origins/tenants.rs"]
mod tenants;

use tenants::{
    api, predicate_policy, spawn_refresh_loop, PolicyRefresher, Refresh, Snapshot,
    SnapshotRefresher, TenantDb,
};

/// Rows a new database starts with.
const SEED: [(&str, &str); 3] = [
    ("acme", "http://localhost:5173"),
    ("acme", "https://app.acme.example"),
    ("globex", "https://app.globex.example"),
];

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

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::var_os("TENANT_DB")
        .map(Into::into)
        .unwrap_or_else(|| std::env::temp_dir().join("tower-cors-tenant-origins.sqlite3"));
    let db = Arc::new(TenantDb::open(&path)?);

    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => {}
        ["add", tenant, origin] => {
            let done = db.add(tenant, origin)?;
            println!("{}", if done { "added" } else { "already there" });
            return Ok(());
        }
        ["remove", tenant, origin] => {
            let done = db.remove(tenant, origin)?;
            println!("{}", if done { "removed" } else { "not there" });
            return Ok(());
        }
        ["list"] => {
            for (tenant, origin) in db.load()?.rows() {
                println!("{tenant}\t{origin}");
            }
            return Ok(());
        }
        _ => {
            return Err(
                "usage: tenant_origins [serve | add TENANT ORIGIN | remove TENANT ORIGIN | list]"
                    .into(),
            )
        }
    }

    if db.load()?.rows().is_empty() {
        for (tenant, origin) in SEED {
            db.add(tenant, origin)?;
        }
    }
    let every = refresh_interval()?;
    println!(
        "tenant table: {} (refreshed every {every:?})",
        path.display()
    );

    // Way (a): one policy whose predicate reads an in-memory snapshot; a
    // background task reloads the snapshot. The first refresh happens before
    // the server accepts requests, so the log below shows the seeded rows.
    let snapshot = Snapshot::default();
    let predicate_layer = CorsLayer::new(predicate_policy(snapshot.clone())?);
    let mut snapshot_refresher = SnapshotRefresher::new(Arc::clone(&db), snapshot);
    report("predicate", snapshot_refresher.refresh());
    spawn_refresh_loop("predicate", snapshot_refresher, every);

    // Way (b): a reloadable layer; a background task rebuilds the policy
    // from the table and swaps it in with `PolicyHandle::replace`.
    let (policy_layer, mut policy_refresher) = PolicyRefresher::new(Arc::clone(&db))?;
    report("policy", policy_refresher.refresh());
    spawn_refresh_loop("policy", policy_refresher, every);

    let addr_a = std::env::var("ADDR_PREDICATE").unwrap_or_else(|_| "127.0.0.1:3002".into());
    let addr_b = std::env::var("ADDR_POLICY").unwrap_or_else(|_| "127.0.0.1:3003".into());
    let listener_a = tokio::net::TcpListener::bind(&addr_a).await?;
    let listener_b = tokio::net::TcpListener::bind(&addr_b).await?;
    println!("(a) predicate over a snapshot: http://{addr_a}/api/tenants/{{tenant}}/orders");
    println!("(b) policy rebuilt and replaced: http://{addr_b}/api/tenants/{{tenant}}/orders");
    println!(
        "try: curl -i -X OPTIONS http://{addr_a}/api/tenants/acme/orders -H 'Origin: http://localhost:5173' -H 'Access-Control-Request-Method: PUT'"
    );

    // CORS outermost, around the whole router (see the ordering guide).
    let serve_a = async { axum::serve(listener_a, api().layer(predicate_layer)).await };
    let serve_b = async { axum::serve(listener_b, api().layer(policy_layer)).await };
    tokio::try_join!(serve_a, serve_b)?;
    Ok(())
}

/// `$TENANT_REFRESH_SECS`, default 5 s.
fn refresh_interval() -> Result<Duration, String> {
    let Ok(text) = std::env::var("TENANT_REFRESH_SECS") else {
        return Ok(Duration::from_secs(5));
    };
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.01 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            format!("TENANT_REFRESH_SECS={text:?} is not a number of seconds from 0.01 to 86400")
        })
}

/// Logs the first refresh; a failed one leaves that way allowing no origin
/// until the table is fixed.
fn report(label: &str, result: Result<tenants::Changes, tenants::RefreshError>) {
    match result {
        Ok(changes) => println!("[{label}] allow-list loaded: {changes}"),
        Err(e) => eprintln!("[{label}] {e}\n[{label}] allowing no origin until then"),
    }
}
