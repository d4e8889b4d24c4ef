//! The `tenant_origins` example against a real SQLite database file: an
//! origin added to the tenant table is allowed after the next refresh and
//! refused again after its removal, through the tower service and through a
//! real axum server on loopback, both for a predicate over a snapshot (a)
//! and for a policy rebuilt and swapped in with `PolicyHandle::replace` (b).
//! Malformed origins in the table are reported and open nothing.

#[path = "../../examples/tenant_origins/tenants.rs"]
mod tenants;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::header::{ACCESS_CONTROL_ALLOW_CREDENTIALS as ACAC, ACCESS_CONTROL_ALLOW_ORIGIN as ACAO};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{service_fn, Layer, ServiceExt};
use tower_cors::CorsLayer;

use tenants::{
    api, predicate_policy, spawn_refresh_loop, Changes, PolicyRefresher, Refresh, RefreshError,
    Snapshot, SnapshotRefresher, TenantDb,
};

const APP: &str = "https://app.acme.example";
const NEW: &str = "https://shop.acme.example";

/// A fresh database file in a temporary directory (removed on drop), with
/// acme's `APP` origin.
fn database() -> (tempfile::TempDir, Arc<TenantDb>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = TenantDb::open(dir.path().join("tenants.sqlite3")).expect("open database");
    assert!(db.add("acme", APP).expect("insert"));
    (dir, Arc::new(db))
}

/// The two ways of the example, each as its layer and refresher over `db`.
enum Way {
    Predicate,
    Policy,
}

impl Way {
    fn start(&self, db: &Arc<TenantDb>) -> (CorsLayer, Box<dyn Refresh>) {
        match self {
            Way::Predicate => {
                let snapshot = Snapshot::default();
                let layer = CorsLayer::new(predicate_policy(snapshot.clone()).expect("policy"));
                (
                    layer,
                    Box::new(SnapshotRefresher::new(Arc::clone(db), snapshot)),
                )
            }
            Way::Policy => {
                let (layer, refresher) = PolicyRefresher::new(Arc::clone(db)).expect("policy");
                (layer, Box::new(refresher))
            }
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Way::Predicate => "predicate over a snapshot",
            Way::Policy => "replaced policy",
        }
    }
}

impl Refresh for Box<dyn Refresh> {
    fn refresh(&mut self) -> Result<Changes, RefreshError> {
        (**self).refresh()
    }
}

/// One layer, applied to a bare tower service and to the example's axum API
/// served on loopback.
struct Stack {
    layer: CorsLayer,
    addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Stack {
    async fn start(layer: CorsLayer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let app = api().layer(layer.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self {
            layer,
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
            server,
        }
    }

    /// Whether `origin` may call tenant `tenant`'s API, as a browser would
    /// conclude from a `PUT` preflight and a `GET`; asked of the tower
    /// service and of the server, which must agree. Panics on an answer that
    /// is neither a clean allow nor a clean refusal.
    async fn allows(&self, tenant: &str, origin: &str) -> bool {
        let seen = self.observe(tenant, origin).await;
        let desc = format!("origin {origin} for tenant {tenant}");
        for (via, verdict, answers) in &seen {
            assert!(
                verdict.is_some(),
                "{desc} via {via}: neither allowed nor refused: {answers:?}"
            );
        }
        assert_eq!(
            seen[0].1, seen[1].1,
            "{desc}: the tower service and the axum server disagree: {seen:?}"
        );
        seen[0].1 == Some(true)
    }

    /// For the tower service and for the server: `Some(true)` when the
    /// preflight and the `GET` are both cleanly allowed, `Some(false)` when
    /// both are cleanly refused, `None` otherwise; with the answers.
    async fn observe(
        &self,
        tenant: &str,
        origin: &str,
    ) -> Vec<(&'static str, Option<bool>, String)> {
        let path = format!("/api/tenants/{tenant}/orders");
        let mut seen = Vec::new();
        for via in ["tower service", "axum server"] {
            let preflight = self.ask(via, Method::OPTIONS, &path, origin).await;
            let get = self.ask(via, Method::GET, &path, origin).await;
            let acao = |h: &HeaderMap| h.get(ACAO).map(|v| v.as_bytes().to_vec());
            let allowed = preflight.0 == StatusCode::NO_CONTENT
                && acao(&preflight.1).as_deref() == Some(origin.as_bytes())
                && preflight.1.get(ACAC).is_some_and(|v| v == "true")
                && get.0 == StatusCode::OK
                && acao(&get.1).as_deref() == Some(origin.as_bytes());
            let refused = preflight.0 == StatusCode::FORBIDDEN
                && acao(&preflight.1).is_none()
                && get.0 == StatusCode::OK
                && acao(&get.1).is_none()
                && get.1.get(ACAC).is_none();
            let verdict = match (allowed, refused) {
                (true, false) => Some(true),
                (false, true) => Some(false),
                _ => None,
            };
            seen.push((
                via,
                verdict,
                format!("preflight {preflight:?}, GET {get:?}"),
            ));
        }
        seen
    }

    async fn ask(
        &self,
        via: &str,
        method: Method,
        path: &str,
        origin: &str,
    ) -> (StatusCode, HeaderMap) {
        let builder = Request::builder()
            .method(method.clone())
            .header("origin", origin);
        let builder = if method == Method::OPTIONS {
            builder
                .header("access-control-request-method", "PUT")
                .header("access-control-request-headers", "content-type")
        } else {
            builder
        };
        if via == "tower service" {
            let inner = service_fn(|_: Request<Body>| async {
                Ok::<_, Infallible>(Response::new(Body::from("inner")))
            });
            let req = builder.uri(path).body(Body::empty()).expect("request");
            let res = self
                .layer
                .layer(inner)
                .oneshot(req)
                .await
                .expect("infallible");
            (res.status(), res.headers().clone())
        } else {
            let req = builder
                .uri(format!("http://{}{path}", self.addr))
                .body(Full::new(Bytes::new()))
                .expect("request");
            let res = self.client.request(req).await.expect("server answers");
            (res.status(), res.headers().clone())
        }
    }
}

fn row(tenant: &str, origin: &str) -> (String, String) {
    (tenant.to_owned(), origin.to_owned())
}

/// An origin added to the table is allowed after the next refresh, not
/// before, and refused again after it is removed and the table refreshed.
async fn follows_the_table(way: Way) {
    let name = way.name();
    let (_dir, db) = database();
    let (layer, mut refresher) = way.start(&db);
    let stack = Stack::start(layer).await;

    // Nothing is allowed before the first refresh: a server never starts open.
    assert!(
        !stack.allows("acme", APP).await,
        "{name}: before the first refresh"
    );
    let changes = refresher.refresh().expect("first refresh");
    assert_eq!(changes.added, [row("acme", APP)], "{name}");
    assert!(changes.removed.is_empty(), "{name}");
    assert!(stack.allows("acme", APP).await, "{name}");

    assert!(
        !stack.allows("acme", NEW).await,
        "{name}: not in the table yet"
    );
    assert!(db.add("acme", NEW).expect("insert"));
    assert!(
        !stack.allows("acme", NEW).await,
        "{name}: in the table, not refreshed"
    );
    let changes = refresher.refresh().expect("refresh after insert");
    assert_eq!(
        changes,
        Changes {
            added: vec![row("acme", NEW)],
            removed: vec![]
        },
        "{name}"
    );
    assert_eq!(changes.to_string(), format!("+ acme: {NEW}"), "{name}");
    assert!(stack.allows("acme", NEW).await, "{name}: after the refresh");
    assert!(
        !stack.allows("acme", "https://evil.example").await,
        "{name}"
    );

    // A refresh that finds the table unchanged changes nothing.
    assert!(refresher.refresh().expect("refresh").is_empty(), "{name}");

    assert!(db.remove("acme", NEW).expect("delete"));
    assert!(
        stack.allows("acme", NEW).await,
        "{name}: removed, not refreshed"
    );
    let changes = refresher.refresh().expect("refresh after delete");
    assert_eq!(changes.removed, [row("acme", NEW)], "{name}");
    assert!(changes.added.is_empty(), "{name}");
    assert!(
        !stack.allows("acme", NEW).await,
        "{name}: after the refresh"
    );
    assert!(stack.allows("acme", APP).await, "{name}: other rows stay");

    // The last row removed: nothing is allowed.
    assert!(db.remove("acme", APP).expect("delete"));
    assert_eq!(
        refresher.refresh().expect("refresh").removed,
        [row("acme", APP)],
        "{name}"
    );
    assert!(!stack.allows("acme", APP).await, "{name}: empty table");
}

#[tokio::test]
async fn predicate_over_a_snapshot_follows_the_table() {
    follows_the_table(Way::Predicate).await;
}

#[tokio::test]
async fn replaced_policy_follows_the_table() {
    follows_the_table(Way::Policy).await;
}

/// The predicate sees the request: a tenant's origin is allowed on that
/// tenant's paths only. The rebuilt policy is a list of origins: every
/// tenant's origin is allowed on every path (authorization decides the rest).
#[tokio::test]
async fn only_the_predicate_scopes_origins_to_their_tenant() {
    let (_dir, db) = database();
    assert!(db
        .add("globex", "https://app.globex.example")
        .expect("insert"));
    for (way, across_tenants) in [(Way::Predicate, false), (Way::Policy, true)] {
        let name = way.name();
        let (layer, mut refresher) = way.start(&db);
        refresher.refresh().expect("refresh");
        let stack = Stack::start(layer).await;
        assert!(stack.allows("acme", APP).await, "{name}");
        assert!(
            stack.allows("globex", "https://app.globex.example").await,
            "{name}"
        );
        assert_eq!(stack.allows("globex", APP).await, across_tenants, "{name}");
        assert_eq!(
            stack.allows("acme", "https://app.globex.example").await,
            across_tenants,
            "{name}"
        );
    }
}

/// Origins in the table that browsers never send are reported, each with its
/// tenant, and the table is not applied at all: the allow-list in force
/// stays, a well-formed origin added with them waits, and nothing the bad
/// rows resemble is allowed. Once they are removed, the next refresh applies.
#[tokio::test]
async fn malformed_origins_are_reported_and_open_nothing() {
    let bad = [
        "https://Shop.acme.example/", // uppercase, trailing slash
        "*",
        "null",
        "https://shop.acme.example:443", // explicit default port
        "shop.acme.example",             // no scheme
    ];
    for way in [Way::Predicate, Way::Policy] {
        let name = way.name();
        let (_dir, db) = database();
        let (layer, mut refresher) = way.start(&db);
        refresher.refresh().expect("first refresh");
        let stack = Stack::start(layer).await;

        for origin in bad {
            assert!(db.add("acme", origin).expect("insert"));
        }
        assert!(db.add("acme", NEW).expect("insert"));
        let err = match refresher.refresh() {
            Err(RefreshError::Malformed(problems)) => problems,
            other => panic!("{name}: malformed rows applied: {other:?}"),
        };
        assert_eq!(
            err.len(),
            bad.len(),
            "{name}: one problem per bad row: {err:#?}"
        );
        for origin in bad {
            assert!(
                err.iter()
                    .any(|p| p.contains(&format!("{origin:?}")) && p.contains("\"acme\"")),
                "{name}: {origin:?} and its tenant are named: {err:#?}"
            );
        }
        let report = RefreshError::Malformed(err).to_string();
        assert!(
            report.contains("the allow-list in force stays"),
            "{name}: {report}"
        );
        if let Way::Policy = way {
            // build() re-validates each origin and suggests its fix.
            assert!(
                report.contains("did you mean \"https://shop.acme.example\"?"),
                "{name}: {report}"
            );
        }

        assert!(
            stack.allows("acme", APP).await,
            "{name}: the old allow-list stays"
        );
        assert!(!stack.allows("acme", NEW).await, "{name}: all or nothing");
        for origin in ["null", "https://evil.example", "http://shop.acme.example"] {
            assert!(!stack.allows("acme", origin).await, "{name}: {origin}");
        }

        for origin in bad {
            assert!(db.remove("acme", origin).expect("delete"));
        }
        let changes = refresher.refresh().expect("refresh after the fix");
        assert_eq!(changes.added, [row("acme", NEW)], "{name}");
        assert!(
            stack.allows("acme", NEW).await,
            "{name}: applied after the fix"
        );
    }
}

/// A table that is malformed when the server starts leaves it allowing no
/// origin, not every origin.
#[tokio::test]
async fn a_malformed_table_at_start_allows_nothing() {
    for way in [Way::Predicate, Way::Policy] {
        let name = way.name();
        let (_dir, db) = database();
        assert!(db.add("acme", "*").expect("insert"));
        let (layer, mut refresher) = way.start(&db);
        assert!(
            matches!(refresher.refresh(), Err(RefreshError::Malformed(ref p)) if p.len() == 1),
            "{name}"
        );
        let stack = Stack::start(layer).await;
        for origin in [APP, "https://evil.example"] {
            assert!(!stack.allows("acme", origin).await, "{name}: {origin}");
        }
    }
}

/// Polls until the tower service and the server both cleanly give `want`
/// for `origin` (a refresh may land between two of the requests one check
/// sends), for at most ten seconds; then checks once more, strictly.
async fn eventually(stack: &Stack, tenant: &str, origin: &str, want: bool, desc: &str) {
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let seen = stack.observe(tenant, origin).await;
            if seen.iter().all(|(_, verdict, _)| *verdict == Some(want)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "{desc}: {origin} not {} after 10 s",
        if want { "allowed" } else { "refused" }
    );
    assert_eq!(stack.allows(tenant, origin).await, want, "{desc}: {origin}");
}

/// The background loop itself: it refreshes at once and then periodically,
/// applying additions and removals made to the database meanwhile.
#[tokio::test]
async fn background_loop_applies_database_changes() {
    for way in [Way::Predicate, Way::Policy] {
        let name = way.name();
        let (_dir, db) = database();
        let (layer, refresher) = way.start(&db);
        let stack = Stack::start(layer).await;
        let task = spawn_refresh_loop("test", refresher, Duration::from_millis(20));

        eventually(&stack, "acme", APP, true, name).await;
        assert!(db.add("acme", NEW).expect("insert"));
        eventually(&stack, "acme", NEW, true, name).await;
        assert!(db.remove("acme", NEW).expect("delete"));
        eventually(&stack, "acme", NEW, false, name).await;
        assert!(!task.is_finished(), "{name}: the loop keeps running");
        task.abort();
    }
}
