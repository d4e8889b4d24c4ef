//! The reusable part of the `saas` example: the configuration file, the
//! SQLite table of tenant origins and its in-memory snapshot, the path table
//! with a predicate on `/api`, and the router with bearer auth inside one
//! `CorsLayer`.
//!
//! `examples/saas.rs` runs it; `tests/it/saas_example.rs` includes this same
//! file and drives it through a real server on loopback.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::error::Error;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use rusqlite::{params, Connection};
use tower_cors::{CorsConfig, CorsLayer, CorsPolicy, Origin, PathPolicies, PolicyBuilder};

/// The errors of this example, whatever their source.
pub(crate) type BoxError = Box<dyn Error + Send + Sync>;

/// The configuration the example writes on first run: `/public` open to
/// every origin, `/api` credentialed for listed origins and preview
/// deployments, nothing at the top level (uncovered paths get no CORS).
/// The example's documentation shows it verbatim (a test compares them).
pub(crate) const DEFAULT_CONFIG: &str = r#"# nothing at the top level: paths no entry covers get no CORS
[paths."/public"]
allow_any_origin = true

[paths."/api"]
allow_origins = ["https://app.example.com", "https://pr-*.preview.example.com"]
allow_credentials = true
allow_methods = ["PUT", "DELETE"]
allow_headers = ["authorization", "content-type"]
guard_websockets = true
own_origins = ["https://saas.example.com"]
max_age = 600
"#;

/// The prefix whose policy also allows the tenant origins from SQLite.
pub(crate) const API: &str = "/api";

/// How many refusal lines [`RefusalLog`] keeps (the oldest go first).
const LOG_LINES: usize = 256;

/// Reads a configuration file's text (TOML).
pub(crate) fn parse_config(text: &str) -> Result<CorsConfig, BoxError> {
    Ok(toml::from_str(text)?)
}

// ---------------------------------------------------------------------------
// Tenant origins: a SQLite table and its snapshot in memory
// ---------------------------------------------------------------------------

/// The `tenant_origins` table of a SQLite database file. Each call opens
/// its own connection, so another process (an admin tool, `sqlite3`, the
/// example's `add` and `remove` commands) may edit the file meanwhile.
pub(crate) struct TenantDb {
    path: PathBuf,
}

impl TenantDb {
    /// Opens (or creates) the database at `path` and its table.
    pub(crate) fn open(path: impl Into<PathBuf>) -> rusqlite::Result<Self> {
        let db = Self { path: path.into() };
        db.connect()?.execute_batch(
            "CREATE TABLE IF NOT EXISTS tenant_origins (origin TEXT PRIMARY KEY NOT NULL)",
        )?;
        Ok(db)
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Allows `origin` on `/api`; `false` if it already was.
    pub(crate) fn add(&self, origin: &str) -> rusqlite::Result<bool> {
        let sql = "INSERT OR IGNORE INTO tenant_origins (origin) VALUES (?1)";
        Ok(self.connect()?.execute(sql, params![origin])? > 0)
    }

    /// Stops allowing `origin`; `false` if it was not allowed.
    pub(crate) fn remove(&self, origin: &str) -> rusqlite::Result<bool> {
        let sql = "DELETE FROM tenant_origins WHERE origin = ?1";
        Ok(self.connect()?.execute(sql, params![origin])? > 0)
    }

    /// Every tenant origin, read in one statement (one state of the table).
    pub(crate) fn load(&self) -> rusqlite::Result<HashSet<String>> {
        let conn = self.connect()?;
        let mut stmt = conn.prepare("SELECT origin FROM tenant_origins")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        rows.collect()
    }
}

/// The tenant origins in memory, which the `/api` predicate reads on each
/// request from an origin the configuration does not list.
#[derive(Clone, Default)]
pub(crate) struct Snapshot(Arc<RwLock<HashSet<String>>>);

impl Snapshot {
    /// Whether `origin` (in browser serialization) is a tenant's. A row that
    /// is not an origin as browsers send it (`https://Shop.example/`) never
    /// equals one, so it opens nothing.
    pub(crate) fn contains(&self, origin: &str) -> bool {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(origin)
    }

    /// Replaces the whole set at once.
    pub(crate) fn replace(&self, origins: HashSet<String>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = origins;
    }

    /// Reads the table into the snapshot.
    pub(crate) async fn refresh(&self, db: &Arc<TenantDb>) -> Result<(), BoxError> {
        let db = Arc::clone(db);
        let origins = tokio::task::spawn_blocking(move || db.load()).await??;
        self.replace(origins);
        Ok(())
    }

    /// Refreshes the snapshot every `every` in a background task; a failed
    /// read is logged and the snapshot in force stays.
    pub(crate) fn spawn_refresh(
        &self,
        db: Arc<TenantDb>,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let snapshot = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = snapshot.refresh(&db).await {
                    eprintln!("tenant origins not refreshed: {e}");
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------
// The policy: the file's table, with a predicate on `/api`
// ---------------------------------------------------------------------------

/// Compiles the configuration into one path table: each `[paths."…"]` entry
/// from its configuration, and `/api` through [`PolicyBuilder::from`] with a
/// predicate over `tenants`. The whole file is checked first, so every error
/// names its place (`paths["/api"].allow_origins[1]`).
pub(crate) fn policies(config: &CorsConfig, tenants: &Snapshot) -> Result<PathPolicies, BoxError> {
    config.build_paths()?;
    let mut table = PathPolicies::builder();
    let top = CorsConfig {
        paths: BTreeMap::new(),
        ..config.clone()
    };
    if top.allow_any_origin || !top.allow_origins.is_empty() || !top.allow_origin_regexes.is_empty()
    {
        table = table.fallback(top.build()?);
    }
    for (prefix, entry) in &config.paths {
        let policy: CorsPolicy = if prefix == API {
            let tenants = tenants.clone();
            PolicyBuilder::from(entry.clone())
                .allow_origin_fn(move |origin: &Origin<'_>, _: &http::request::Parts| {
                    tenants.contains(origin.as_str())
                })
                .build()?
        } else {
            entry.build()?
        };
        table = table.prefix(prefix, policy);
    }
    Ok(table.build()?)
}

/// The last refusal report lines (at most 256), for the test to read.
#[derive(Clone, Default)]
pub(crate) struct RefusalLog(Arc<Mutex<VecDeque<String>>>);

impl RefusalLog {
    /// Logs one report line to stderr and keeps it.
    pub(crate) fn push(&self, line: String) {
        eprintln!("{line}");
        let mut lines = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() == LOG_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// The lines kept, oldest first.
    #[allow(dead_code)] // read by tests/it/saas_example.rs
    pub(crate) fn lines(&self) -> Vec<String> {
        let lines = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        lines.iter().cloned().collect()
    }
}

// ---------------------------------------------------------------------------
// The application: routes, bearer auth inside, one CorsLayer outside
// ---------------------------------------------------------------------------

/// The whole service: the routes, bearer auth on `/api/*` and, around all
/// of it, one `CorsLayer` applying `paths` and logging each refusal to `log`.
pub(crate) fn router(paths: PathPolicies, token: &str, log: RefusalLog) -> Router {
    let cors = CorsLayer::new(paths).on_refusal(move |report| log.push(report.to_string()));
    let token: Arc<str> = token.into();
    Router::new()
        .route("/public/{*rest}", get(|| async { "public" }))
        .route("/api/orders", get(|| async { Json(["order 42"]) }))
        .route("/api/orders/{id}", get(order).put(order).delete(order))
        .route("/api/ws", any(echo))
        .layer(middleware::from_fn_with_state(token, bearer_auth))
        .layer(cors)
}

/// `401` for an `/api` request without `Authorization: Bearer <token>`.
/// Browsers cannot set headers on `new WebSocket(url)`, so the handshake
/// may carry the token as `?access_token=` (RFC 6750 §2.3) instead.
async fn bearer_auth(State(token): State<Arc<str>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path != API && !path.starts_with("/api/") {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let query = (path == "/api/ws")
        .then(|| req.uri().query())
        .flatten()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("access_token=")));
    if header.or(query) == Some(&*token) {
        next.run(req).await
    } else {
        let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
        (
            StatusCode::UNAUTHORIZED,
            challenge,
            "missing or wrong bearer token",
        )
            .into_response()
    }
}

async fn order(Path(id): Path<u64>) -> Json<String> {
    Json(format!("order {id}"))
}

/// Echoes every text and binary message until the client closes.
async fn echo(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            let echo = matches!(msg, Message::Text(_) | Message::Binary(_));
            if echo && socket.send(msg).await.is_err() {
                break;
            }
        }
    })
}
