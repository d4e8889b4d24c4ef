//! Per-path policies judge the path the service behind the layer actually serves:
//! `CorsLayer::per_path` outermost, `NormalizePathLayer` and `ServeDir` inside it, axum on
//! loopback, requests written byte for byte (`//api/ws`, `/static/%70rivate/…`) as a
//! browser sends them.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::routing::{any, get, post};
use axum::Router;
use http::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::Layer;
use tower_cors::{CorsLayer, CorsPolicy, Decision, PathPolicies, Refusal};
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::services::ServeDir;

const APP: &str = "https://app.example.com";
const PARTNER: &str = "https://partner.example.com";
const EVIL: &str = "https://evil.example";

/// `/api` guarded and strict, `/api/admin` for `APP` only, `/static` public,
/// `/static/private` for `APP` only, a credentialed fallback for `PARTNER`.
fn table() -> PathPolicies {
    let app = |strict: bool| {
        CorsPolicy::builder()
            .allow_origin(APP)
            .allow_credentials(true)
            .strict(strict)
            .guard_websockets(true)
            .build()
            .expect("valid")
    };
    PathPolicies::builder()
        .prefix("/api", app(true))
        .prefix("/api/admin", app(true))
        .prefix(
            "/static",
            CorsPolicy::builder()
                .allow_any_origin()
                .build()
                .expect("valid"),
        )
        .prefix("/static/private", app(false))
        .fallback(
            CorsPolicy::builder()
                .allow_origins([APP, PARTNER])
                .allow_credentials(true)
                .build()
                .expect("valid"),
        )
        .build()
        .expect("valid table")
}

/// What one raw request got back: the status line and the lowercase header block.
struct Answer {
    status: String,
    headers: String,
}

impl Answer {
    fn acao(&self) -> Option<&str> {
        self.headers
            .lines()
            .find_map(|l| l.strip_prefix("access-control-allow-origin: "))
    }
}

async fn raw(addr: SocketAddr, request: String) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("answer within 5 s")
            .expect("read");
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    Answer {
        status: status.to_owned(),
        headers: headers.to_owned(),
    }
}

fn get_req(path: &str, origin: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: api.example.com\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n")
}

fn handshake(path: &str, origin: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: api.example.com\r\nOrigin: {origin}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
}

fn form_post(path: &str, origin: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: api.example.com\r\nOrigin: {origin}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 8\r\nConnection: close\r\n\r\namount=1"
    )
}

#[tokio::test]
async fn every_path_form_gets_the_policy_of_the_path_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("private")).expect("mkdir");
    std::fs::write(dir.path().join("public.txt"), "public").expect("write");
    std::fs::write(dir.path().join("private").join("secret.txt"), "secret").expect("write");

    let sockets = Arc::new(AtomicUsize::new(0));
    let transfers = Arc::new(AtomicUsize::new(0));
    let (s, t) = (sockets.clone(), transfers.clone());
    let router = Router::new()
        .route(
            "/api/ws",
            any(move |ws: WebSocketUpgrade| {
                s.fetch_add(1, Ordering::SeqCst);
                async move {
                    ws.on_upgrade(|mut socket| async move {
                        let _ = socket.send(Message::Text("secret".into())).await;
                    })
                }
            }),
        )
        .route(
            "/api/transfer",
            post(move || {
                t.fetch_add(1, Ordering::SeqCst);
                async { "done" }
            }),
        )
        .route("/api/admin/users", get(|| async { "users" }))
        .nest_service("/static", ServeDir::new(dir.path()));
    // As docs/ordering.md prescribes: the CORS layer outermost, path normalisation inside.
    let app =
        CorsLayer::per_path(table()).layer(NormalizePathLayer::trim_trailing_slash().layer(router));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        // An outer router with only a fallback: it hands every path over untouched.
        axum::serve(listener, Router::new().fallback_service(app)).await
    });

    // The served paths work, and the allowed origin still reads them.
    let ok = raw(addr, handshake("/api/ws", APP)).await;
    assert_eq!(ok.status, "http/1.1 101 switching protocols");
    assert_eq!(sockets.load(Ordering::SeqCst), 1);

    // `//api/ws`: NormalizePathLayer serves `/api/ws`; the guard of `/api` applies.
    let doubled = raw(addr, handshake("//api/ws", EVIL)).await;
    assert_eq!(
        doubled.status, "http/1.1 403 forbidden",
        "{}",
        doubled.headers
    );
    assert_eq!(sockets.load(Ordering::SeqCst), 1, "the handler never ran");
    let doubled = raw(addr, handshake("//api/ws", APP)).await;
    assert_eq!(doubled.status, "http/1.1 101 switching protocols");

    // `//api/transfer`: strict mode of `/api`, the side effect never runs.
    let post = raw(addr, form_post("//api/transfer", EVIL)).await;
    assert_eq!(post.status, "http/1.1 403 forbidden");
    assert_eq!(transfers.load(Ordering::SeqCst), 0);
    let post = raw(addr, form_post("//api/transfer", APP)).await;
    assert_eq!(post.status, "http/1.1 200 ok");
    assert_eq!(transfers.load(Ordering::SeqCst), 1);

    // `//api/admin/users`: `/api/admin` refuses the partner the fallback allows.
    let admin = raw(addr, get_req("//api/admin/users", PARTNER)).await;
    assert_eq!(admin.acao(), None, "{}", admin.headers);
    assert_eq!(admin.status, "http/1.1 403 forbidden");
    let fallback = raw(addr, get_req("/elsewhere", PARTNER)).await;
    assert_eq!(fallback.acao(), Some(PARTNER), "the fallback does allow it");

    // ServeDir: `%70rivate`, `//private` and `private%2F…` are `/static/private/secret.txt`.
    let public = raw(addr, get_req("/static/public.txt", EVIL)).await;
    assert_eq!(public.status, "http/1.1 200 ok");
    assert_eq!(public.acao(), Some("*"), "/static is public");
    for path in [
        "/static/private/secret.txt",
        "/static/%70rivate/secret.txt",
        "/static/%70%72%69%76%61%74%65/secret.txt",
        "/static//private/secret.txt",
        "/static/./private/secret.txt",
    ] {
        let secret = raw(addr, get_req(path, EVIL)).await;
        assert_eq!(
            secret.status, "http/1.1 200 ok",
            "{path}: ServeDir serves the file"
        );
        assert_eq!(
            secret.acao(),
            None,
            "{path}: not readable through /static's *"
        );
    }
    // An encoded `/` that ServeDir decodes (and a router would not) is covered by no
    // entry: refused like the table's strictest entries, never readable.
    for path in [
        "/static/private%2Fsecret.txt",
        "/static/private%2fsecret.txt",
    ] {
        let secret = raw(addr, get_req(path, EVIL)).await;
        assert_eq!(secret.status, "http/1.1 403 forbidden", "{path}");
        assert_eq!(secret.acao(), None, "{path}");
    }
    // The allowed origin reads the decoded form under /static/private's policy.
    let secret = raw(addr, get_req("/static/%70rivate/secret.txt", APP)).await;
    assert_eq!(secret.acao(), Some(APP));
    server.abort();
}

fn head(method: &str, path: &str, origin: &str) -> Request<()> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("origin", origin)
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .body(())
        .expect("request")
}

#[test]
fn path_forms_pick_the_served_entry() {
    let paths = table();
    let cases: &[(&str, &str)] = &[
        ("/api/ws", "/api"),
        ("//api/ws", "/api"),
        ("///api///ws/", "/api"),
        ("/x/../api/ws", "/api"),
        ("/%61pi/ws", "/api"),
        ("//api/admin/users", "/api/admin"),
        ("/api//admin/users", "/api/admin"),
        ("/api/%61dmin/users", "/api/admin"),
        ("/static/%70rivate/secret.txt", "/static/private"),
        ("/static//private/secret.txt", "/static/private"),
        ("/static/x/%2e%2e/private/secret.txt", "/static/private"),
        ("/static/public.txt", "/static"),
        // Not unreserved: stays encoded, a segment of its own to a router.
        ("/static/%2Fprivate", "(none)"),
        ("/staticx", "(fallback)"),
    ];
    let name = |policy: &CorsPolicy| {
        let probe = |p: &str| std::ptr::eq(paths.policy_for(p), policy);
        if probe("/api/admin") {
            "/api/admin"
        } else if probe("/api") {
            "/api"
        } else if probe("/static/private") {
            "/static/private"
        } else if probe("/static") {
            "/static"
        } else if probe("/elsewhere") {
            "(fallback)"
        } else {
            "(none)"
        }
    };
    for (path, want) in cases {
        assert_eq!(name(paths.policy_for(path)), *want, "{path}");
    }
    // An encoded separator that a file server would read as another entry is covered by
    // none, whatever the fallback: nobody reads it, strict and guarded like the table.
    let ambiguous = paths.policy_for("/static/private%2Fsecret.txt");
    assert_eq!(name(ambiguous), "(none)");
    assert!(ambiguous.is_strict() && ambiguous.guards_websockets());
    let decision = ambiguous.evaluate(
        &head("GET", "/static/private%2Fsecret.txt", APP)
            .into_parts()
            .0,
    );
    assert_eq!(decision.refusal(), Some(Refusal::PathNotCovered));
}

#[test]
fn uncovered_paths_fail_closed_when_an_entry_guards_or_is_strict() {
    let guarded = CorsPolicy::builder()
        .allow_origin(APP)
        .own_origins(["https://api.example.com"])
        .guard_websockets(true)
        .build()
        .expect("valid");
    let paths = PathPolicies::builder()
        .prefix("/api", guarded)
        .build()
        .expect("valid");
    let uncovered = paths.policy_for("/other/ws");
    assert!(uncovered.guards_websockets() && !uncovered.is_strict());
    let evaluate = |method: &str, origin: &str| {
        uncovered.evaluate(&head(method, "/other/ws", origin).into_parts().0)
    };
    assert!(evaluate("GET", EVIL).is_refused());
    // Same-origin handshakes from the entries' own origins still pass there.
    assert_eq!(
        evaluate("GET", "https://api.example.com"),
        Decision::SameOrigin
    );

    // Served: the handshake is answered 403, a plain GET is forwarded without CORS.
    let served = |req: Request<()>| {
        let svc = CorsLayer::per_path(paths.clone()).layer(tower::service_fn(
            |_req: Request<()>| async { Ok::<_, Infallible>(http::Response::new(String::new())) },
        ));
        futures_util::FutureExt::now_or_never(tower::ServiceExt::oneshot(svc, req))
            .expect("ready")
            .expect("infallible")
            .status()
            .as_u16()
    };
    assert_eq!(served(head("GET", "/other/ws", EVIL)), 403);
    let plain = Request::get("/other/ws")
        .header("origin", EVIL)
        .body(())
        .expect("request");
    assert_eq!(served(plain), 200);

    // A table without strict or guarding entries leaves uncovered paths as they were.
    let lax = PathPolicies::builder()
        .prefix(
            "/api",
            CorsPolicy::builder()
                .allow_origin(APP)
                .build()
                .expect("valid"),
        )
        .build()
        .expect("valid");
    let open = lax.policy_for("/other/ws");
    assert!(!open.guards_websockets() && !open.is_strict());
    assert!(!open
        .evaluate(&head("GET", "/other/ws", EVIL).into_parts().0)
        .is_allowed());
}

#[test]
fn prefixes_are_written_in_the_compared_form() {
    let policy = || {
        CorsPolicy::builder()
            .allow_origin(APP)
            .build()
            .expect("valid")
    };
    for (prefix, fix) in [
        ("//api", "\"/api\""),
        ("/%61pi", "\"/api\""),
        ("/api/./v1", "\"/api/v1\""),
        ("/a/../api", "\"/api\""),
        ("/a%2fb", "\"/a%2Fb\""),
    ] {
        let err = PathPolicies::builder()
            .prefix(prefix, policy())
            .build()
            .expect_err(prefix);
        assert!(
            err.to_string().contains(&format!("did you mean {fix}")),
            "{prefix}: {err}"
        );
    }
    assert!(PathPolicies::builder()
        .prefix("/a%20b", policy())
        .build()
        .is_ok());
}
