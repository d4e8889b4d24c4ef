//! The `saas` example through a real axum server on loopback: one
//! `CorsLayer` around the whole router, the policy from the example's TOML
//! file, tenant origins from a SQLite file through a refreshed snapshot,
//! bearer auth inside, a guarded WebSocket, refusals logged with the full
//! path.

#![cfg(feature = "serde")]

#[path = "../../examples/saas/app.rs"]
mod app;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::{ACCESS_CONTROL_ALLOW_CREDENTIALS as ACAC, ACCESS_CONTROL_ALLOW_ORIGIN as ACAO};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use app::{parse_config, policies, router, RefusalLog, Snapshot, TenantDb, DEFAULT_CONFIG};

const TOKEN: &str = "test-token";
const APP: &str = "https://app.example.com";
const PREVIEW: &str = "https://pr-17.preview.example.com";
const TENANT: &str = "https://shop.acme.example";
const STRANGER: &str = "https://evil.example.net";
const REFRESH: Duration = Duration::from_millis(250);

/// The example's application serving on `127.0.0.1:0`, its database and
/// its refusal log.
struct Server {
    addr: SocketAddr,
    db: Arc<TenantDb>,
    log: RefusalLog,
    client: Client<HttpConnector, Full<Bytes>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = Arc::new(TenantDb::open(dir.path().join("tenants.sqlite3")).expect("database"));
        let config = parse_config(DEFAULT_CONFIG).expect("the example's configuration");
        let tenants = Snapshot::default();
        let paths = policies(&config, &tenants).expect("the example's policy builds");
        tenants.refresh(&db).await.expect("first refresh");
        tenants.spawn_refresh(Arc::clone(&db), REFRESH);
        let log = RefusalLog::default();
        let app = router(paths, TOKEN, log.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            addr,
            db,
            log,
            client,
            _dir: dir,
        }
    }

    /// Sends one request; the answer's status and headers.
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap) {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.body(Full::new(Bytes::new())).expect("request");
        let res = self.client.request(req).await.expect("response");
        (res.status(), res.headers().clone())
    }

    /// A preflight for a credentialed `PUT` with `Authorization`, as
    /// `fetch(url, {method: "PUT", credentials: "include", headers: {Authorization}})` sends it.
    async fn preflight(&self, path: &str, origin: &str) -> (StatusCode, HeaderMap) {
        let headers = [
            ("origin", origin),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "authorization"),
        ];
        self.send(Method::OPTIONS, path, &headers).await
    }

    /// A WebSocket handshake to `/api/ws` from `origin` with the token in
    /// the query (browsers cannot set `Authorization` on a WebSocket): the
    /// status it is answered with, and the echo of one message when it is
    /// `101`.
    async fn handshake(&self, origin: &str) -> (StatusCode, Option<String>) {
        let url = format!("ws://{}/api/ws?access_token={TOKEN}", self.addr);
        let mut req = url.into_client_request().expect("handshake request");
        req.headers_mut()
            .insert("origin", origin.parse().expect("origin"));
        match tokio_tungstenite::connect_async(req).await {
            Ok((mut socket, res)) => {
                socket.send(Message::text("ping")).await.expect("send");
                let echo = socket.next().await.expect("an answer").expect("a message");
                (
                    res.status(),
                    Some(echo.into_text().expect("text").to_string()),
                )
            }
            Err(WsError::Http(res)) => (res.status(), None),
            Err(e) => panic!("handshake failed without an HTTP answer: {e}"),
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &http::HeaderName) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().expect("ASCII header"))
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

/// Polls the preflight every 50 ms until `allowed` is what it says, for at
/// most one second; the time it took.
async fn until_preflight(server: &Server, origin: &str, allowed: bool) -> Duration {
    let start = Instant::now();
    loop {
        let (status, headers) = server.preflight("/api/orders", origin).await;
        let now = status == StatusCode::NO_CONTENT && header(&headers, &ACAO) == Some(origin);
        if now == allowed {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{origin} still {} after 1 s (last answer {status})",
            if allowed { "refused" } else { "allowed" },
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_allowed_origins_preflight_needs_no_token() {
    let server = Server::start().await;
    for origin in [APP, PREVIEW] {
        let (status, headers) = server.preflight("/api/orders", origin).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{origin}");
        assert_eq!(header(&headers, &ACAO), Some(origin));
        assert_eq!(header(&headers, &ACAC), Some("true"));
    }
}

#[tokio::test]
async fn an_unknown_api_paths_404_carries_the_cors_headers() {
    let server = Server::start().await;
    let auth = bearer();
    let (status, headers) = server
        .send(
            Method::GET,
            "/api/nope",
            &[("origin", APP), ("authorization", &auth)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, &ACAO), Some(APP));
    assert_eq!(header(&headers, &ACAC), Some("true"));
}

#[tokio::test]
async fn a_401_without_token_carries_the_cors_headers() {
    let server = Server::start().await;
    let (status, headers) = server
        .send(Method::GET, "/api/orders", &[("origin", APP)])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(header(&headers, &ACAO), Some(APP));
    assert_eq!(header(&headers, &ACAC), Some("true"));

    let auth = bearer();
    let (status, headers) = server
        .send(
            Method::DELETE,
            "/api/orders/42",
            &[("origin", APP), ("authorization", &auth)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the token opens the API");
    assert_eq!(header(&headers, &ACAO), Some(APP));
}

#[tokio::test]
async fn public_paths_are_open_to_any_origin() {
    let server = Server::start().await;
    for origin in [STRANGER, APP, "http://localhost:5173"] {
        let (status, headers) = server
            .send(Method::GET, "/public/x", &[("origin", origin)])
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header(&headers, &ACAO), Some("*"));
        assert_eq!(header(&headers, &ACAC), None);
    }
}

#[tokio::test]
async fn a_tenant_origin_follows_the_database_within_a_second() {
    let server = Server::start().await;
    let (status, headers) = server.preflight("/api/orders", TENANT).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not a tenant yet");
    assert_eq!(header(&headers, &ACAO), None);

    assert!(server.db.add(TENANT).expect("insert"));
    let took = until_preflight(&server, TENANT, true).await;
    eprintln!("tenant allowed after {took:?}");
    let (_, headers) = server.preflight("/api/orders", TENANT).await;
    assert_eq!(header(&headers, &ACAC), Some("true"));
    // Tenants reach `/api` only: uncovered paths stay closed to them.
    let (status, _) = server.preflight("/admin", TENANT).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    assert!(server.db.remove(TENANT).expect("delete"));
    let took = until_preflight(&server, TENANT, false).await;
    eprintln!("tenant refused after {took:?}");
    let (status, headers) = server.preflight("/api/orders", TENANT).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(header(&headers, &ACAO), None);
}

#[tokio::test]
async fn the_refusal_log_shows_the_full_path() {
    let server = Server::start().await;
    let auth = bearer();
    let (_, headers) = server
        .send(
            Method::GET,
            "/api/orders/42",
            &[("origin", STRANGER), ("authorization", &auth)],
        )
        .await;
    assert_eq!(header(&headers, &ACAO), None);
    let lines = server.log.lines();
    let line = lines
        .iter()
        .find(|line| line.contains(STRANGER))
        .unwrap_or_else(|| panic!("no refusal of {STRANGER} in {lines:?}"));
    assert!(line.contains("GET /api/orders/42,"), "{line}");
    assert!(!line.contains(" /orders/42"), "{line}");
}

#[tokio::test]
async fn the_websocket_guard_refuses_strangers_and_admits_allowed_origins() {
    let server = Server::start().await;
    assert_eq!(
        server.handshake(STRANGER).await,
        (StatusCode::FORBIDDEN, None)
    );
    let lines = server.log.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(STRANGER) && l.contains("/api/ws")),
        "{lines:?}"
    );
    assert_eq!(
        server.handshake(APP).await,
        (StatusCode::SWITCHING_PROTOCOLS, Some("ping".to_owned()))
    );
}

#[tokio::test]
async fn a_stranger_gets_no_cors_headers() {
    let server = Server::start().await;
    let auth = bearer();
    let (status, headers) = server
        .send(
            Method::GET,
            "/api/orders",
            &[("origin", STRANGER), ("authorization", &auth)],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "not strict: the browser hides the answer"
    );
    assert_eq!(header(&headers, &ACAO), None);
    assert_eq!(header(&headers, &ACAC), None);

    let (status, headers) = server.preflight("/api/orders", STRANGER).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(header(&headers, &ACAO), None);
}

#[test]
fn the_examples_documentation_shows_the_configuration_it_writes() {
    let source = include_str!("../../examples/saas.rs");
    let shown: String = source
        .lines()
        .skip_while(|line| *line != "//! ```toml")
        .skip(1)
        .take_while(|line| *line != "//! ```")
        .map(|line| {
            format!(
                "{}\n",
                line.trim_start_matches("//!")
                    .strip_prefix(' ')
                    .unwrap_or("")
            )
        })
        .collect();
    assert!(!shown.is_empty(), "no ```toml block in examples/saas.rs");
    assert_eq!(shown, DEFAULT_CONFIG);
}
