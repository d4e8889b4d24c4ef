//! Tenant origins shared by every replica of an API through PostgreSQL.
//!
//! Each replica keeps the `tenant_origins` table in memory (a snapshot) and
//! decides CORS from it alone, through a predicate
//! (`PolicyBuilder::allow_origin_fn`): no request ever waits on the
//! database. One background task per replica keeps the snapshot current:
//!
//! - **`LISTEN`/`NOTIFY`**: a trigger on the table sends every inserted,
//!   updated or deleted row on channel `tenant_origins`; the replica applies
//!   it within milliseconds of the commit.
//! - **A full resync** at each (re)connection and every `$RESYNC_SECS`
//!   seconds: whatever a replica missed (a change while it was disconnected,
//!   a bulk load with triggers off) is caught up. Notifications that arrive
//!   during a resync are applied after it, in commit order; each says what a
//!   row is now, so replaying them is always right.
//! - **The database away**: the replica keeps serving its last snapshot,
//!   reconnects with a backoff (100 ms doubling to 1 s), and resyncs.
//!
//! A tenant's origins are allowed on that tenant's paths only
//! (`/api/tenants/{tenant}/…`), with credentials. A row that is not an
//! origin as browsers send it is reported and ignored.
//!
//! Run with a database (`$DATABASE_URL`, a libpq-style string, default
//! `host=localhost user=postgres dbname=postgres`):
//!
//! ```sh
//! cargo run --example tenants_postgres -- init    # table, trigger, once
//! cargo run --example tenants_postgres -- add acme https://app.acme.example
//! ADDR=127.0.0.1:3004 cargo run --example tenants_postgres -- serve &
//! ADDR=127.0.0.1:3005 cargo run --example tenants_postgres -- serve &
//! curl -i -X OPTIONS http://127.0.0.1:3004/api/tenants/acme/orders \
//!   -H 'Origin: https://app.acme.example' -H 'Access-Control-Request-Method: PUT'
//! cargo run --example tenants_postgres -- remove acme https://app.acme.example
//! # ... both replicas refuse it within milliseconds
//! ```
//!
//! `serve` prints `listening on http://ADDR` first (`ADDR` may end in `:0`
//! for any free port). `tests/it/tenants_postgres.rs` runs two replicas against
//! a real PostgreSQL and stops and restarts it under them.

use std::collections::HashMap;
use std::future::poll_fn;
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use http::request::Parts;
use http::Method;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls};
use tower_cors::{CorsLayer, CorsPolicy, Origin, PolicyError};

/// The notification channel.
const CHANNEL: &str = "tenant_origins";

/// The table, and the trigger that announces every change on `CHANNEL`.
///
/// Each payload carries a number from a sequence: PostgreSQL delivers only
/// one of identical payloads sent in one transaction, and "insert X, delete
/// X, insert X" must arrive whole. A `TRUNCATE` asks for a resync. The
/// length check keeps a payload under PostgreSQL's 8000-byte limit (browsers
/// send no longer origin).
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS tenant_origins (
    tenant text NOT NULL CHECK (length(tenant) <= 256),
    origin text NOT NULL CHECK (length(origin) <= 1024),
    PRIMARY KEY (tenant, origin)
);
CREATE SEQUENCE IF NOT EXISTS tenant_origins_changes;
CREATE OR REPLACE FUNCTION tenant_origins_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('tenant_origins', json_build_object(
            'seq', nextval('tenant_origins_changes'), 'op', 'resync')::text);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM pg_notify('tenant_origins', json_build_object(
            'seq', nextval('tenant_origins_changes'), 'op', 'delete',
            'tenant', OLD.tenant, 'origin', OLD.origin)::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('tenant_origins', json_build_object(
            'seq', nextval('tenant_origins_changes'), 'op', 'insert',
            'tenant', NEW.tenant, 'origin', NEW.origin)::text);
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS tenant_origins_rows ON tenant_origins;
CREATE TRIGGER tenant_origins_rows AFTER INSERT OR UPDATE OR DELETE ON tenant_origins
    FOR EACH ROW EXECUTE FUNCTION tenant_origins_notify();
DROP TRIGGER IF EXISTS tenant_origins_truncate ON tenant_origins;
CREATE TRIGGER tenant_origins_truncate AFTER TRUNCATE ON tenant_origins
    FOR EACH STATEMENT EXECUTE FUNCTION tenant_origins_notify();
"#;

// ---------------------------------------------------------------------------
// The snapshot: what a replica knows of the table
// ---------------------------------------------------------------------------

/// Each allowed origin and the tenants that allow it.
#[derive(Default)]
struct TenantOrigins {
    by_origin: HashMap<String, Vec<String>>,
}

impl TenantOrigins {
    fn allows(&self, tenant: &str, origin: &str) -> bool {
        self.by_origin
            .get(origin)
            .is_some_and(|tenants| tenants.iter().any(|t| t == tenant))
    }

    /// Adds a row; `false` if it was there.
    fn insert(&mut self, tenant: &str, origin: &str) -> bool {
        let tenants = self.by_origin.entry(origin.to_owned()).or_default();
        if tenants.iter().any(|t| t == tenant) {
            return false;
        }
        tenants.push(tenant.to_owned());
        true
    }

    /// Removes a row; `false` if it was not there.
    fn remove(&mut self, tenant: &str, origin: &str) -> bool {
        let Some(tenants) = self.by_origin.get_mut(origin) else {
            return false;
        };
        let before = tenants.len();
        tenants.retain(|t| t != tenant);
        let removed = tenants.len() < before;
        if tenants.is_empty() {
            self.by_origin.remove(origin);
        }
        removed
    }

    fn rows(&self) -> usize {
        self.by_origin.values().map(Vec::len).sum()
    }
}

/// The snapshot requests read: held for one hash lookup by a request, for
/// one row (a notification) or one pointer swap (a resync) by the sync
/// task; never across a database call.
#[derive(Clone, Default)]
struct Snapshot(Arc<RwLock<TenantOrigins>>);

impl Snapshot {
    fn allows(&self, tenant: &str, origin: &str) -> bool {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .allows(tenant, origin)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, TenantOrigins> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn replace(&self, origins: TenantOrigins) -> usize {
        let rows = origins.rows();
        let old = std::mem::replace(&mut *self.write(), origins);
        drop(old); // freed after the lock is released
        rows
    }

    fn rows(&self) -> usize {
        self.0.read().unwrap_or_else(PoisonError::into_inner).rows()
    }
}

/// The tenant in a path `/api/tenants/{tenant}/…`.
fn tenant_of_path(path: &str) -> Option<&str> {
    let tenant = path.strip_prefix("/api/tenants/")?.split('/').next()?;
    (!tenant.is_empty()).then_some(tenant)
}

/// One policy for the life of the replica; its predicate reads `snapshot`.
fn policy(snapshot: Snapshot) -> Result<CorsPolicy, PolicyError> {
    CorsPolicy::builder()
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers(["content-type"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .allow_origin_fn(move |origin: &Origin<'_>, parts: &Parts| {
            // `as_str()` is the origin as the browser sent it, canonical:
            // compared byte for byte with the rows.
            tenant_of_path(parts.uri.path())
                .is_some_and(|tenant| snapshot.allows(tenant, origin.as_str()))
        })
        .build()
}

fn api() -> Router {
    async fn list(Path(tenant): Path<String>) -> Json<serde_json::Value> {
        Json(serde_json::json!({ "tenant": tenant, "orders": ["#1001"] }))
    }
    async fn update(Path(tenant): Path<String>) -> Json<serde_json::Value> {
        Json(serde_json::json!({ "tenant": tenant, "updated": true }))
    }
    Router::new().route("/api/tenants/{tenant}/orders", get(list).put(update))
}

// ---------------------------------------------------------------------------
// Following the table
// ---------------------------------------------------------------------------

/// Why a session with the database ended.
type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the connection task passes on.
enum Message {
    Notification(String),
    Closed(Option<tokio_postgres::Error>),
}

/// Keeps `snapshot` following the table, forever: one session after
/// another, with a backoff while the database is away.
async fn follow(database: String, snapshot: Snapshot, resync_every: Duration) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut connected = false;
        let result = session(&database, &snapshot, resync_every, &mut connected).await;
        if connected {
            backoff = Duration::from_millis(100);
        }
        let why = match result {
            Ok(()) => "connection closed".to_owned(),
            Err(e) => describe(&*e),
        };
        log(&format!(
            "database unavailable ({why}); serving the last snapshot ({} rows); retrying in {backoff:?}",
            snapshot.rows()
        ));
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}

/// One connection: `LISTEN`, a full resync, then notifications and periodic
/// resyncs until the connection fails.
async fn session(
    database: &str,
    snapshot: &Snapshot,
    resync_every: Duration,
    connected: &mut bool,
) -> Result<(), Error> {
    let (client, mut connection) = tokio_postgres::connect(database, NoTls).await?;
    // The connection task reads the socket: query results go to `client`,
    // notifications here, in the order the server sent them.
    let (tx, mut rx) = mpsc::channel(1024);
    let reader = tokio::spawn(async move {
        loop {
            let message = match poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    Message::Notification(n.payload().to_owned())
                }
                Some(Ok(_)) => continue, // a notice
                Some(Err(e)) => Message::Closed(Some(e)),
                None => Message::Closed(None),
            };
            let closed = matches!(message, Message::Closed(_));
            if tx.send(message).await.is_err() || closed {
                break;
            }
        }
    });
    let result = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        *connected = true;
        resync(&client, snapshot, "connected").await?;
        let mut every = tokio::time::interval(resync_every);
        every.reset(); // the first tick after one period
        loop {
            tokio::select! {
                message = rx.recv() => match message {
                    Some(Message::Notification(payload)) => {
                        if apply(&payload, snapshot) {
                            resync(&client, snapshot, "table truncated").await?;
                        }
                    }
                    Some(Message::Closed(Some(e))) => return Err(e.into()),
                    Some(Message::Closed(None)) | None => return Ok(()),
                },
                _ = every.tick() => resync(&client, snapshot, "periodic").await?,
            }
        }
    }
    .await;
    reader.abort();
    result
}

/// Reads the whole table and makes it the snapshot.
async fn resync(client: &Client, snapshot: &Snapshot, why: &str) -> Result<(), Error> {
    let rows = client
        .query("SELECT tenant, origin FROM tenant_origins", &[])
        .await?;
    let mut origins = TenantOrigins::default();
    for row in &rows {
        let (tenant, origin): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if well_formed(&tenant, &origin) {
            origins.insert(&tenant, &origin);
        }
    }
    let before = snapshot.rows();
    let after = snapshot.replace(origins);
    if before != after || why != "periodic" {
        log(&format!("resync ({why}): {after} rows"));
    }
    Ok(())
}

/// Applies one notification; `true` when it asks for a resync.
fn apply(payload: &str, snapshot: &Snapshot) -> bool {
    let Ok(change) = serde_json::from_str::<serde_json::Value>(payload) else {
        log(&format!("ignored notification {payload:?}: not JSON"));
        return false;
    };
    let field = |name: &str| change.get(name).and_then(|v| v.as_str()).unwrap_or("");
    let (op, tenant, origin) = (field("op"), field("tenant"), field("origin"));
    // The lock is held for one row, never while logging.
    let changed = match op {
        "insert" => well_formed(tenant, origin) && snapshot.write().insert(tenant, origin),
        "delete" => snapshot.write().remove(tenant, origin),
        "resync" => return true,
        _ => false,
    };
    if changed {
        let sign = if op == "insert" { '+' } else { '-' };
        log(&format!("{sign} {tenant} {origin}"));
    }
    false
}

/// Whether `origin` is an origin as browsers send it; reports it if not
/// (such a row would never match, and hides a typo).
fn well_formed(tenant: &str, origin: &str) -> bool {
    let ok = Origin::parse(origin).is_some();
    if !ok {
        log(&format!(
            "ignored row of tenant {tenant:?}: {origin:?} is not an origin as browsers send it (scheme://host[:port], lowercase, no default port, no path)"
        ));
    }
    ok
}

/// An error and its causes, on one line ("db error: FATAL: terminating
/// connection due to administrator command").
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

fn log(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

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

async fn run() -> Result<(), Error> {
    let database = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "host=localhost user=postgres dbname=postgres".into());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["serve"] | [] => serve(database).await,
        ["init"] => {
            connect(&database).await?.batch_execute(SCHEMA).await?;
            println!("table tenant_origins and its trigger are ready");
            Ok(())
        }
        ["add", tenant, origin] => {
            if Origin::parse(origin).is_none() {
                return Err(format!(
                    "{origin:?} is not an origin as browsers send it (scheme://host[:port], lowercase, no default port, no path)"
                )
                .into());
            }
            let n = connect(&database)
                .await?
                .execute(
                    "INSERT INTO tenant_origins (tenant, origin) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[tenant, origin],
                )
                .await?;
            println!("{}", if n > 0 { "added" } else { "already there" });
            Ok(())
        }
        ["remove", tenant, origin] => {
            let n = connect(&database)
                .await?
                .execute(
                    "DELETE FROM tenant_origins WHERE tenant = $1 AND origin = $2",
                    &[tenant, origin],
                )
                .await?;
            println!("{}", if n > 0 { "removed" } else { "not there" });
            Ok(())
        }
        ["list"] => {
            let client = connect(&database).await?;
            for row in client
                .query("SELECT tenant, origin FROM tenant_origins ORDER BY 1, 2", &[])
                .await?
            {
                println!("{}\t{}", row.try_get::<_, String>(0)?, row.try_get::<_, String>(1)?);
            }
            Ok(())
        }
        _ => Err(
            "usage: tenants_postgres [serve | init | add TENANT ORIGIN | remove TENANT ORIGIN | list]"
                .into(),
        ),
    }
}

/// A client for one command, its connection driven in the background.
async fn connect(database: &str) -> Result<Client, Error> {
    let (client, connection) = tokio_postgres::connect(database, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("database connection: {e}");
        }
    });
    Ok(client)
}

async fn serve(database: String) -> Result<(), Error> {
    let resync_every = seconds("RESYNC_SECS", 60.0)?;
    let snapshot = Snapshot::default();
    // Starts empty (allowing no origin) and fills at the first connection;
    // a replica that cannot reach the database at start serves, refusing
    // every origin, until it can.
    let layer = CorsLayer::new(policy(snapshot.clone())?);
    tokio::spawn(follow(database, snapshot, resync_every));

    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3004".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    log(&format!("listening on http://{}", listener.local_addr()?));
    axum::serve(listener, api().layer(layer)).await?;
    Ok(())
}

/// `$name` in seconds (fractions allowed), or `default`.
fn seconds(name: &str, default: f64) -> Result<Duration, String> {
    let text = std::env::var(name).unwrap_or_else(|_| default.to_string());
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.01 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{name}={text:?} is not a number of seconds from 0.01 to 86400"))
}
