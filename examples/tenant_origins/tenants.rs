//! The reusable part of the `tenant_origins` example: the SQLite table of
//! tenant origins, the API, and the two ways to turn the table into CORS
//! decisions that follow it while the server runs.
//!
//! `examples/tenant_origins.rs` runs it; `tests/it/tenant_origins.rs` includes
//! this same file and tests it against a real database file.
//!
//! - **Way (a), a predicate over a snapshot** ([`Snapshot`],
//!   [`predicate_policy`], [`SnapshotRefresher`]): the policy is built once
//!   with `allow_origin_fn`; the function reads an in-memory copy of the
//!   table that a background task replaces. The function sees the request,
//!   so the rule may depend on it: here a tenant's origins are allowed on
//!   that tenant's paths only.
//! - **Way (b), a rebuilt policy** ([`list_policy`], [`PolicyRefresher`]):
//!   the background task builds a whole new policy from the table and swaps
//!   it in with `PolicyHandle::replace`. Recommended when the allow-list is
//!   a list: an exact origin is one hash lookup, and `build()` re-validates
//!   every origin, so a malformed row is reported with its fix and the
//!   policy in force stays.
//!
//! Both refreshers are all-or-nothing: a table with one malformed origin is
//! not applied at all (the error lists every bad row), so what is in force
//! is always one whole state of the table. Fix the row and the next refresh
//! applies it. Both start empty, allowing no origin, until their first
//! successful refresh: a server never starts open.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use http::request::Parts;
use http::Method;
use rusqlite::{params, Connection};
use tower_cors::{CorsLayer, CorsPolicy, Origin, PolicyError, PolicyHandle};

// ---------------------------------------------------------------------------
// The database: one row per (tenant, allowed origin)
// ---------------------------------------------------------------------------

/// The `tenant_origins` table of a SQLite database file.
///
/// Each call opens its own connection: the file may be edited at the same
/// time by another process (an admin tool, `sqlite3`, this example's `add`
/// and `remove` commands), and SQLite's file locks keep every read whole.
pub(crate) struct TenantDb {
    path: PathBuf,
}

impl TenantDb {
    /// Opens (or creates) the database at `path` and its table.
    pub(crate) fn open(path: impl Into<PathBuf>) -> rusqlite::Result<Self> {
        let db = Self { path: path.into() };
        db.connect()?.execute_batch(
            "CREATE TABLE IF NOT EXISTS tenant_origins (
                 tenant TEXT NOT NULL,
                 origin TEXT NOT NULL,
                 PRIMARY KEY (tenant, origin)
             )",
        )?;
        Ok(db)
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open(&self.path)?;
        // Wait for a writer in another process instead of failing at once.
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Allows `origin` for `tenant`; `false` if it already was.
    pub(crate) fn add(&self, tenant: &str, origin: &str) -> rusqlite::Result<bool> {
        let n = self.connect()?.execute(
            "INSERT OR IGNORE INTO tenant_origins (tenant, origin) VALUES (?1, ?2)",
            params![tenant, origin],
        )?;
        Ok(n > 0)
    }

    /// Stops allowing `origin` for `tenant`; `false` if it was not allowed.
    pub(crate) fn remove(&self, tenant: &str, origin: &str) -> rusqlite::Result<bool> {
        let n = self.connect()?.execute(
            "DELETE FROM tenant_origins WHERE tenant = ?1 AND origin = ?2",
            params![tenant, origin],
        )?;
        Ok(n > 0)
    }

    /// The whole table, read in one statement (one consistent state).
    pub(crate) fn load(&self) -> rusqlite::Result<TenantOrigins> {
        let conn = self.connect()?;
        let mut stmt = conn.prepare("SELECT tenant, origin FROM tenant_origins")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let mut origins = TenantOrigins::default();
        for row in rows {
            let (tenant, origin): (String, String) = row?;
            origins.by_tenant.entry(tenant).or_default().insert(origin);
        }
        Ok(origins)
    }
}

/// One state of the table, in memory: each tenant's allowed origins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TenantOrigins {
    by_tenant: HashMap<String, HashSet<String>>,
}

impl TenantOrigins {
    /// Whether `origin` is allowed for `tenant`: two hash lookups.
    pub(crate) fn allows(&self, tenant: &str, origin: &str) -> bool {
        self.by_tenant
            .get(tenant)
            .is_some_and(|origins| origins.contains(origin))
    }

    /// Every `(tenant, origin)` row, sorted.
    pub(crate) fn rows(&self) -> BTreeSet<(&str, &str)> {
        self.by_tenant
            .iter()
            .flat_map(|(t, origins)| origins.iter().map(move |o| (t.as_str(), o.as_str())))
            .collect()
    }

    /// The rows added and removed since `old`.
    fn changes_since(&self, old: &Self) -> Changes {
        let (new_rows, old_rows) = (self.rows(), old.rows());
        let owned = |rows: std::collections::btree_set::Difference<'_, (&str, &str)>| {
            rows.map(|&(t, o)| (t.to_owned(), o.to_owned()))
                .collect::<Vec<_>>()
        };
        Changes {
            added: owned(new_rows.difference(&old_rows)),
            removed: owned(old_rows.difference(&new_rows)),
        }
    }
}

/// What a refresh changed, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    /// `(tenant, origin)` rows now allowed.
    pub(crate) added: Vec<(String, String)>,
    /// `(tenant, origin)` rows no longer allowed.
    pub(crate) removed: Vec<(String, String)>,
}

impl Changes {
    pub(crate) fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

impl fmt::Display for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("no change");
        }
        let added = self.added.iter().map(|row| ('+', row));
        let removed = self.removed.iter().map(|row| ('-', row));
        for (i, (sign, (tenant, origin))) in added.chain(removed).enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{sign} {tenant}: {origin}")?;
        }
        Ok(())
    }
}

/// Why a refresh applied nothing; the allow-list in force stays.
#[derive(Debug)]
pub(crate) enum RefreshError {
    /// The database could not be read.
    Database(rusqlite::Error),
    /// Origins in the table that are not origins as browsers send them, one
    /// message per problem, naming the tenant.
    Malformed(Vec<String>),
}

impl From<rusqlite::Error> for RefreshError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Database(e)
    }
}

impl fmt::Display for RefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Database(e) => write!(
                f,
                "cannot read the tenant table ({e}); the allow-list in force stays"
            ),
            Self::Malformed(problems) => {
                write!(
                    f,
                    "the tenant table has {} malformed origin(s); the allow-list in force stays until they are fixed:",
                    problems.len()
                )?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RefreshError {}

// ---------------------------------------------------------------------------
// The API and its CORS settings (shared by both ways)
// ---------------------------------------------------------------------------

/// The tenant API, without CORS: `GET` and `PUT /api/tenants/{tenant}/orders`.
pub(crate) fn api() -> Router {
    async fn list(Path(tenant): Path<String>) -> Json<serde_json::Value> {
        Json(serde_json::json!({ "tenant": tenant, "orders": ["#1001", "#1002"] }))
    }
    async fn update(Path(tenant): Path<String>) -> Json<serde_json::Value> {
        Json(serde_json::json!({ "tenant": tenant, "updated": true }))
    }
    Router::new().route("/api/tenants/{tenant}/orders", get(list).put(update))
}

/// The tenant in a path `/api/tenants/{tenant}/…`.
pub(crate) fn tenant_of_path(path: &str) -> Option<&str> {
    let tenant = path.strip_prefix("/api/tenants/")?.split('/').next()?;
    (!tenant.is_empty()).then_some(tenant)
}

/// Everything but the origins: tenants' pages call the API with cookies.
fn api_policy() -> tower_cors::PolicyBuilder {
    CorsPolicy::builder()
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers(["content-type"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
}

// ---------------------------------------------------------------------------
// Way (a): a predicate over an in-memory snapshot
// ---------------------------------------------------------------------------

/// The snapshot of the table that the predicate reads and the refresher
/// replaces.
///
/// A `std::sync::RwLock` around an `Arc`: the predicate holds the read lock
/// for two hash lookups, the refresher holds the write lock only to swap
/// one pointer, so readers practically never wait. (A lock-free
/// `arc_swap::ArcSwap` would do the same without any lock; it is what
/// `PolicyHandle` uses inside, which is one more reason to prefer way (b).)
#[derive(Clone, Default)]
pub(crate) struct Snapshot(Arc<RwLock<Arc<TenantOrigins>>>);

impl Snapshot {
    /// The snapshot in force.
    pub(crate) fn get(&self) -> Arc<TenantOrigins> {
        // A poisoned lock still holds a whole snapshot: the writer only
        // assigns an `Arc`.
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn set(&self, origins: TenantOrigins) {
        let new = Arc::new(origins);
        let old = std::mem::replace(
            &mut *self.0.write().unwrap_or_else(PoisonError::into_inner),
            new,
        );
        // The write lock is released here: the old table is freed without it.
        drop(old);
    }

    fn allows(&self, tenant: &str, origin: &str) -> bool {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .allows(tenant, origin)
    }
}

/// Way (a): one policy, built once, whose predicate reads `snapshot`.
///
/// The predicate is given the parsed origin and the request head: it allows
/// a tenant's origins on that tenant's paths only
/// (`/api/tenants/{tenant}/…`), something a list of origins cannot say. It
/// runs on every request from an origin not otherwise listed, so it only
/// does in-memory lookups: the database is read by the refresher, never
/// here.
pub(crate) fn predicate_policy(snapshot: Snapshot) -> Result<CorsPolicy, PolicyError> {
    api_policy()
        .allow_origin_fn(move |origin: &Origin<'_>, parts: &Parts| {
            // `origin.as_str()` is exactly what the browser sent, in its
            // canonical form, so it is compared byte for byte with the rows.
            tenant_of_path(parts.uri.path())
                .is_some_and(|tenant| snapshot.allows(tenant, origin.as_str()))
        })
        .build()
}

/// Reloads way (a)'s snapshot from the database.
pub(crate) struct SnapshotRefresher {
    db: Arc<TenantDb>,
    snapshot: Snapshot,
}

impl SnapshotRefresher {
    pub(crate) fn new(db: Arc<TenantDb>, snapshot: Snapshot) -> Self {
        Self { db, snapshot }
    }
}

impl Refresh for SnapshotRefresher {
    fn refresh(&mut self) -> Result<Changes, RefreshError> {
        let new = self.db.load()?;
        // The predicate only ever sees origins in browser serialization, so
        // a row in any other form ("https://Shop.example", a trailing "/",
        // ":443") would silently never match. Nothing checks the rows for
        // this way but us: `Origin::parse` accepts exactly that form.
        let malformed: Vec<String> = new
            .rows()
            .into_iter()
            .filter(|(_, origin)| Origin::parse(origin).is_none())
            .map(|(tenant, origin)| {
                format!(
                    "tenant {tenant:?}: {origin:?} is not an origin as browsers send it (scheme://host[:port], lowercase, no default port, no path)"
                )
            })
            .collect();
        if !malformed.is_empty() {
            return Err(RefreshError::Malformed(malformed));
        }
        let changes = new.changes_since(&self.snapshot.get());
        if !changes.is_empty() {
            self.snapshot.set(new);
        }
        Ok(changes)
    }
}

// ---------------------------------------------------------------------------
// Way (b): a whole policy rebuilt from the table, swapped in with
// `PolicyHandle::replace` (recommended)
// ---------------------------------------------------------------------------

/// Way (b): the policy allowing every origin of every tenant, as exact
/// origins (one hash lookup per request).
///
/// `build()` checks every origin and reports each malformed one with its
/// fix. An empty table allows no origin: the builder asks for at least one
/// way to allow an origin, and a predicate that accepts none says "none"
/// explicitly.
pub(crate) fn list_policy(origins: &TenantOrigins) -> Result<CorsPolicy, PolicyError> {
    let all: BTreeSet<&str> = origins.rows().into_iter().map(|(_, o)| o).collect();
    if all.is_empty() {
        api_policy()
            .allow_origin_fn(|_: &Origin<'_>, _: &Parts| false)
            .build()
    } else {
        api_policy().allow_origins(all).build()
    }
}

/// Rebuilds way (b)'s policy from the database and swaps it in.
pub(crate) struct PolicyRefresher {
    db: Arc<TenantDb>,
    handle: PolicyHandle,
    /// The table state the policy in force was built from.
    applied: TenantOrigins,
}

impl PolicyRefresher {
    /// A reloadable layer allowing no origin until the first refresh, and
    /// its refresher.
    pub(crate) fn new(db: Arc<TenantDb>) -> Result<(CorsLayer, Self), PolicyError> {
        let applied = TenantOrigins::default();
        let (layer, handle) = CorsLayer::reloadable(list_policy(&applied)?);
        Ok((
            layer,
            Self {
                db,
                handle,
                applied,
            },
        ))
    }
}

impl Refresh for PolicyRefresher {
    fn refresh(&mut self) -> Result<Changes, RefreshError> {
        let new = self.db.load()?;
        let changes = new.changes_since(&self.applied);
        if changes.is_empty() {
            return Ok(changes);
        }
        let policy = list_policy(&new).map_err(|err| {
            // Name the tenant(s) of each bad origin.
            let problems = err
                .issues()
                .iter()
                .map(|issue| {
                    let tenants: Vec<&str> = new
                        .rows()
                        .into_iter()
                        .filter(|&(_, o)| o == issue.input())
                        .map(|(t, _)| t)
                        .collect();
                    match tenants.as_slice() {
                        [] => issue.to_string(),
                        _ => format!("tenant {}: {issue}", quoted(&tenants)),
                    }
                })
                .collect();
            RefreshError::Malformed(problems)
        })?;
        self.handle.replace(policy);
        self.applied = new;
        Ok(changes)
    }
}

/// `"a", "b"`.
fn quoted(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    quoted.join(", ")
}

// ---------------------------------------------------------------------------
// The background task, for both ways
// ---------------------------------------------------------------------------

/// One refresh from the database: what it changed, or why it applied
/// nothing.
pub(crate) trait Refresh: Send + 'static {
    fn refresh(&mut self) -> Result<Changes, RefreshError>;
}

/// Refreshes every `every` (the first time at once) on a blocking thread,
/// as SQLite calls block, and logs each change and each new error (an error
/// repeated by later refreshes is logged once).
pub(crate) fn spawn_refresh_loop<R: Refresh>(
    label: &'static str,
    mut refresher: R,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_error: Option<String> = None;
        loop {
            ticker.tick().await;
            let task = tokio::task::spawn_blocking(move || {
                let result = refresher.refresh();
                (refresher, result)
            });
            let result = match task.await {
                Ok((back, result)) => {
                    refresher = back;
                    result
                }
                Err(e) => {
                    eprintln!("[{label}] refresh stopped: {e}");
                    return;
                }
            };
            match result {
                Ok(changes) => {
                    if last_error.take().is_some() {
                        println!("[{label}] the tenant table is readable and valid again");
                    }
                    if !changes.is_empty() {
                        println!("[{label}] allow-list changed: {changes}");
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    if last_error.as_deref() != Some(message.as_str()) {
                        eprintln!("[{label}] {message}");
                    }
                    last_error = Some(message);
                }
            }
        }
    })
}
