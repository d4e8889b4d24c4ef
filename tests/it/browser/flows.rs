//! Multi-step browser scenarios for the policies that change at run time or
//! depend on the request: a policy replaced between two page fetches, several
//! policies side by side in one per-path layer, the WebSocket origin guard, and
//! a page served by the API itself (same origin) under strict mode and the guard.
//!
//! A flow is a list of steps run in order in one browser, each with its own
//! token (`?t=`) so that what the page saw and what the server received are
//! asserted per step: `fetch()` steps go through the suite's `check`, the
//! others (replace, WebSocket, form submit) are checked here. Like the main
//! table, every flow also runs against tower-http's `CorsLayer`, configured as
//! its closest equivalent, and the outcomes are written side by side to
//! `target/browser-comparison-runtime.md` (tower-cors asserted, tower-http
//! recorded).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderValue;
use axum::response::{Html, Response};
use axum::routing::get;
use axum::Router;
use fantoccini::Locator;
use serde_json::{json, Value};
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::services::ServeDir;

use super::backends::{tower_cors_policy, tower_http_layer, Backend, Policy, Ports};
use super::harness::{Browser, Engine, Logs, ReasonSource};
use super::scenarios::{
    Credentials, Expected, Request, Scenario, API, API_SAME_SITE, BASE, GET, PAGE, PAGE_APP,
    PAGE_LOCALHOST,
};
use super::servers::{self, application, Journal, Traffic};
use super::{Attempt, Observed, Reason};

/// As a page template: the runner page served by the API server itself, under
/// the flow's mount (`http://localhost:{api}/{backend}/fNN/page`), so the page
/// and the API share one origin.
const OWN_PAGE: &str = "(own page)";
/// The origin of `OWN_PAGE` (the `Origin` its requests carry).
const OWN_ORIGIN: &str = API;

const NO_ACAO: &str = "MissingAllowOriginHeader";
const PREFLIGHT_NO_ACAO: &str = "PreflightMissingAllowOriginHeader";

const PUT: Request = Request {
    method: "PUT",
    body: Some("{}"),
    headers: &[("content-type", "application/json")],
    ..GET
};

/// Allows `PAGE` (and nothing about the other origins of the suite).
const PAGE_ONLY: Policy = BASE;
/// Allows `PAGE_LOCALHOST` only.
const LOCALHOST_ONLY: Policy = Policy {
    origins: &[PAGE_LOCALHOST],
    ..BASE
};
const PUBLIC: Policy = Policy {
    origins: &[],
    any_origin: true,
    ..BASE
};
const CREDENTIALED: Policy = Policy {
    credentials: true,
    ..BASE
};
const GUARDED: Policy = Policy {
    guard_websockets: true,
    ..BASE
};
const STRICT_GUARDED: Policy = Policy {
    strict: true,
    guard_websockets: true,
    own: &[OWN_ORIGIN],
    ..BASE
};
/// Strict and guarded, without own origins: a page whose origin is the API's `Host`
/// (what a DNS-rebinding page sends) is a cross-origin page like any other.
const STRICT_GUARDED_UNDECLARED: Policy = Policy {
    strict: true,
    guard_websockets: true,
    ..BASE
};
/// Strict and guarded, the own origin declared on another scheme of the same host (the
/// service is reached over HTTPS through a proxy): the plain-HTTP page is not it.
const STRICT_GUARDED_OTHER_SCHEME: Policy = Policy {
    strict: true,
    guard_websockets: true,
    own: &["https://localhost:{api}"],
    ..BASE
};
/// Allows `Origin: null`, with the guard.
const NULL_GUARDED: Policy = Policy {
    null_origin: true,
    guard_websockets: true,
    ..BASE
};

/// How the flow's application is wrapped.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// tower-cors: `CorsLayer::new`; tower-http: its layer for the same policy.
    Fixed(Policy),
    /// tower-cors: `CorsLayer::reloadable` and `PolicyHandle::replace`.
    /// tower-http has no reloadable layer: its equivalent is
    /// `AllowOrigin::predicate` over a shared allow-list that `Replace` swaps
    /// (the origins are all a replacement may change).
    Reloadable(Policy),
    /// tower-cors: one `CorsLayer::per_path` around the application mounted
    /// under every prefix, `covered` ones in `PathPolicies`, `uncovered` ones
    /// not (and no fallback). tower-http has no per-path policies: its
    /// equivalent is one layer per nested router, none on the uncovered ones.
    PerPath {
        covered: &'static [(&'static str, Policy)],
        uncovered: &'static [&'static str],
    },
    /// tower-cors: `CorsLayer::per_path` outermost, around `NormalizePathLayer`, around the
    /// application mounted under every prefix not under `/static`, and `ServeDir` (with
    /// `static/public.txt` and `static/private/secret.txt`) at `/static`. tower-http: one
    /// layer per nested router, `/static`'s around `ServeDir`, inside `NormalizePathLayer`.
    Normalized {
        covered: &'static [(&'static str, Policy)],
    },
}

/// What the page does next.
// A table of a few dozen steps: the size of the `Fetch` variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `request.repeat` `fetch()`es from the runner page at `request.page`
    /// (or `OWN_PAGE`), checked like a scenario of the main table; plus the
    /// status the server answered the preflight with.
    Fetch {
        request: Request,
        expected: Expected,
        preflight_status: Option<u16>,
    },
    /// Replaces the layer's policy (see `Layout::Reloadable`).
    Replace(Policy),
    /// `new WebSocket(ws://api/…/ws)` from `page`; on open the page sends a
    /// message and waits for its echo.
    Socket {
        page: &'static str,
        expected: SocketExpected,
    },
    /// The same at `path` under the flow's mount, from the page itself or from a
    /// sandboxed iframe in it (`Origin: null`).
    SocketAt {
        page: &'static str,
        path: &'static str,
        sandboxed: bool,
        expected: SocketExpected,
    },
    /// A real `<form method=post>` on `page`, submitted with a click on its
    /// button (a top-level navigation, not `fetch`), to the application's `/data`.
    Form {
        page: &'static str,
        expected: FormExpected,
    },
}

#[derive(Clone, Copy, Debug)]
struct SocketExpected {
    /// `onopen` fired and the echo came back; otherwise the page saw
    /// `onerror` and `onclose` (code 1006) without `onopen`.
    opens: bool,
    /// The status the server answered the handshake with (101 or 403).
    handshake_status: u16,
    /// Calls that reached the WebSocket handler.
    handler_calls: usize,
}

#[derive(Clone, Copy, Debug)]
struct FormExpected {
    /// The status of the page the form navigated to (as the page's
    /// navigation timing reports it) and the server's answer.
    status: u16,
    /// Substrings of the page the form navigated to (templates allowed).
    body_has: &'static [&'static str],
    /// Calls that reached the application.
    handler_calls: usize,
}

struct Flow {
    desc: &'static str,
    layout: Layout,
    steps: Vec<Step>,
    /// Why tower-http's outcome differs (shown only when it does).
    tower_http_note: &'static str,
}

const fn fetch(request: Request, expected: Expected) -> Step {
    Step::Fetch {
        request,
        expected,
        preflight_status: None,
    }
}

/// A preflighted fetch whose preflight the layer answers with `status`.
const fn fetch_preflighted(request: Request, expected: Expected, status: u16) -> Step {
    Step::Fetch {
        request,
        expected,
        preflight_status: Some(status),
    }
}

const fn ws_opens() -> SocketExpected {
    SocketExpected {
        opens: true,
        handshake_status: 101,
        handler_calls: 1,
    }
}

const fn ws_refused() -> SocketExpected {
    SocketExpected {
        opens: false,
        handshake_status: 403,
        handler_calls: 0,
    }
}

const NO_GUARD_NOTE: &str = "tower-http has no WebSocket guard (browsers apply no CORS to \
    WebSockets), so a page of any origin opens the socket and the handler runs; tower-cors' \
    guard_websockets(true) answers the handshake 403 before the handler.";

const NO_STRICT_NOTE: &str = "tower-http has neither strict mode nor a WebSocket guard: the \
    cross-site form POST reaches the handler (and its answer is displayed, since a navigation \
    is not subject to CORS) and a refused origin opens the WebSocket. The same-origin requests \
    succeed with both.";

const PER_PATH_UNCOVERED_NOTE: &str = "With tower-http, a route without a CORS layer (its \
    per-route equivalent) passes the preflight to the application, which answers the OPTIONS \
    200 without CORS headers: Chrome blocks it too, but the handler ran. tower-cors' per-path \
    layer answers the uncovered preflight 403 itself.";

const REFUSED_PREFLIGHT_NOTE: &str = "Both refuse. tower-http answers the refused origin's \
    preflight 200 (without Access-Control-Allow-Origin); tower-cors answers it 403.";

/// The flows. Each step's token is distinct, so the browser's preflight
/// cache (5 s by default without `Max-Age`) never answers one step with an
/// earlier step's preflight.
fn flows() -> Vec<Flow> {
    vec![
        // ---- reloadable policy ---------------------------------------------
        Flow {
            desc: "reloadable policy: an origin allowed before replace() is refused after it",
            layout: Layout::Reloadable(PAGE_ONLY),
            steps: vec![
                fetch(
                    GET,
                    Expected {
                        inner_calls: Some(1),
                        preflights: Some(0),
                        ..Expected::readable(200)
                    },
                ),
                Step::Replace(LOCALHOST_ONLY),
                fetch(
                    GET,
                    Expected {
                        inner_calls: Some(1),
                        ..Expected::blocked(NO_ACAO)
                    },
                ),
            ],
            tower_http_note: "",
        },
        Flow {
            desc: "reloadable policy: an origin refused before replace() is allowed after it",
            layout: Layout::Reloadable(PAGE_ONLY),
            steps: vec![
                fetch(
                    Request {
                        page: PAGE_LOCALHOST,
                        ..GET
                    },
                    Expected {
                        inner_calls: Some(1),
                        ..Expected::blocked(NO_ACAO)
                    },
                ),
                Step::Replace(LOCALHOST_ONLY),
                fetch(
                    Request {
                        page: PAGE_LOCALHOST,
                        ..GET
                    },
                    Expected {
                        inner_calls: Some(1),
                        body_has: &["origin=http://localhost:{page}"],
                        ..Expected::readable(200)
                    },
                ),
            ],
            tower_http_note: "",
        },
        Flow {
            desc: "reloadable policy, preflighted PUT: allowed then refused for one origin, \
                   refused then allowed for another; refused preflights never reach the app",
            layout: Layout::Reloadable(PAGE_ONLY),
            steps: vec![
                fetch_preflighted(
                    PUT,
                    Expected {
                        preflights: Some(1),
                        inner_calls: Some(1),
                        ..Expected::readable(200)
                    },
                    204,
                ),
                fetch_preflighted(
                    Request {
                        page: PAGE_LOCALHOST,
                        ..PUT
                    },
                    Expected {
                        preflights: Some(1),
                        inner_calls: Some(0),
                        ..Expected::blocked(PREFLIGHT_NO_ACAO)
                    },
                    403,
                ),
                Step::Replace(LOCALHOST_ONLY),
                fetch_preflighted(
                    PUT,
                    Expected {
                        preflights: Some(1),
                        inner_calls: Some(0),
                        ..Expected::blocked(PREFLIGHT_NO_ACAO)
                    },
                    403,
                ),
                fetch_preflighted(
                    Request {
                        page: PAGE_LOCALHOST,
                        ..PUT
                    },
                    Expected {
                        preflights: Some(1),
                        inner_calls: Some(1),
                        ..Expected::readable(200)
                    },
                    204,
                ),
            ],
            tower_http_note: REFUSED_PREFLIGHT_NOTE,
        },
        // ---- per-path policies ---------------------------------------------
        Flow {
            desc: "per-path: the credentialed /api route is readable with its cookie from the \
                   allowed origin, and blocked from another origin",
            layout: PER_PATH,
            steps: vec![
                fetch_preflighted(
                    Request {
                        api: API_SAME_SITE,
                        path: "/api/data",
                        credentials: Credentials::Include,
                        ..PUT
                    },
                    Expected {
                        preflights: Some(1),
                        inner_calls: Some(1),
                        body_has: &["method=PUT", "cookie=sid=s3cret"],
                        ..Expected::readable(200)
                    },
                    204,
                ),
                fetch_preflighted(
                    Request {
                        page: PAGE_APP,
                        api: API_SAME_SITE,
                        path: "/api/data",
                        credentials: Credentials::Include,
                        ..PUT
                    },
                    Expected {
                        preflights: Some(1),
                        inner_calls: Some(0),
                        ..Expected::blocked(PREFLIGHT_NO_ACAO)
                    },
                    403,
                ),
                fetch(
                    Request {
                        page: PAGE_APP,
                        api: API_SAME_SITE,
                        path: "/api/data",
                        credentials: Credentials::Include,
                        ..GET
                    },
                    Expected {
                        preflights: Some(0),
                        inner_calls: Some(1),
                        ..Expected::blocked(NO_ACAO)
                    },
                ),
            ],
            tower_http_note: REFUSED_PREFLIGHT_NOTE,
        },
        Flow {
            desc: "per-path: the public /public route beside it is readable from any origin \
                   without credentials, and never with them",
            layout: PER_PATH,
            steps: vec![
                fetch(
                    Request {
                        page: PAGE_LOCALHOST,
                        path: "/public/data",
                        credentials: Credentials::Omit,
                        ..GET
                    },
                    Expected {
                        preflights: Some(0),
                        inner_calls: Some(1),
                        body_has: &["cookie=-"],
                        ..Expected::readable(200)
                    },
                ),
                fetch_preflighted(
                    Request {
                        page: PAGE_APP,
                        path: "/public/data",
                        credentials: Credentials::Omit,
                        ..PUT
                    },
                    Expected {
                        preflights: Some(1),
                        inner_calls: Some(1),
                        ..Expected::readable(200)
                    },
                    204,
                ),
                fetch(
                    Request {
                        api: API_SAME_SITE,
                        path: "/public/data",
                        credentials: Credentials::Include,
                        ..GET
                    },
                    Expected {
                        inner_calls: Some(1),
                        ..Expected::blocked("WildcardOriginNotAllowed")
                    },
                ),
            ],
            tower_http_note: "",
        },
        Flow {
            desc: "per-path: a path no prefix covers (no fallback) is blocked, its preflight \
                   answered 403 without reaching the app",
            layout: PER_PATH,
            steps: vec![
                fetch_preflighted(
                    Request {
                        path: "/other/data",
                        ..PUT
                    },
                    Expected {
                        preflights: Some(1),
                        inner_calls: Some(0),
                        ..Expected::blocked(PREFLIGHT_NO_ACAO)
                    },
                    403,
                ),
                fetch(
                    Request {
                        path: "/other/data",
                        ..GET
                    },
                    Expected {
                        preflights: Some(0),
                        inner_calls: Some(1),
                        ..Expected::blocked(NO_ACAO)
                    },
                ),
            ],
            tower_http_note: PER_PATH_UNCOVERED_NOTE,
        },
        // ---- WebSocket guard -----------------------------------------------
        Flow {
            desc: "WebSocket guard: a page of an allowed origin connects and gets its echo",
            layout: Layout::Fixed(GUARDED),
            steps: vec![Step::Socket {
                page: PAGE,
                expected: ws_opens(),
            }],
            tower_http_note: "",
        },
        Flow {
            desc: "WebSocket guard: a page of a refused origin fails to connect, the handler is \
                   not called",
            layout: Layout::Fixed(GUARDED),
            steps: vec![
                Step::Socket {
                    page: PAGE_LOCALHOST,
                    expected: ws_refused(),
                },
                Step::Socket {
                    page: PAGE_APP,
                    expected: ws_refused(),
                },
            ],
            tower_http_note: NO_GUARD_NOTE,
        },
        // ---- same-origin page under strict mode and the guard ---------------
        Flow {
            desc: "same-origin page (its origin declared with own_origins, not allowed), \
                   strict mode and guard: its WebSocket connects, its form POST and fetch POST \
                   reach the handler; a cross-site page's are refused",
            layout: Layout::Fixed(STRICT_GUARDED),
            steps: vec![
                Step::Socket {
                    page: OWN_PAGE,
                    expected: ws_opens(),
                },
                Step::Form {
                    page: OWN_PAGE,
                    expected: FormExpected {
                        status: 200,
                        body_has: &["method=POST origin=http://localhost:{api}"],
                        handler_calls: 1,
                    },
                },
                fetch(
                    Request {
                        page: OWN_PAGE,
                        method: "POST",
                        body: Some("{}"),
                        headers: &[("content-type", "application/json")],
                        ..GET
                    },
                    Expected {
                        preflights: Some(0),
                        inner_calls: Some(1),
                        server_status: Some(200),
                        last_origin: Some(OWN_ORIGIN),
                        body_has: &["method=POST origin=http://localhost:{api} cookie=-"],
                        ..Expected::readable(200)
                    },
                ),
                Step::Form {
                    page: PAGE_LOCALHOST,
                    expected: FormExpected {
                        status: 403,
                        body_has: &[],
                        handler_calls: 0,
                    },
                },
                Step::Socket {
                    page: PAGE_LOCALHOST,
                    expected: ws_refused(),
                },
            ],
            tower_http_note: NO_STRICT_NOTE,
        },
        // ---- walk-arounds of the guard and strict mode ----------------------
        Flow {
            desc: "a page whose origin is the API's Host but not a declared own origin (what \
                   a DNS-rebinding page sends), strict mode and guard: its WebSocket and form \
                   POST are refused",
            layout: Layout::Fixed(STRICT_GUARDED_UNDECLARED),
            steps: vec![
                Step::Socket {
                    page: OWN_PAGE,
                    expected: ws_refused(),
                },
                Step::Form {
                    page: OWN_PAGE,
                    expected: FormExpected {
                        status: 403,
                        body_has: &[],
                        handler_calls: 0,
                    },
                },
            ],
            tower_http_note: NO_STRICT_NOTE,
        },
        Flow {
            desc: "a page on another scheme of the API's host (own origin declared as \
                   https://localhost:{api}, page on http://), strict mode and guard: its \
                   WebSocket and form POST are refused",
            layout: Layout::Fixed(STRICT_GUARDED_OTHER_SCHEME),
            steps: vec![
                Step::Socket {
                    page: OWN_PAGE,
                    expected: ws_refused(),
                },
                Step::Form {
                    page: OWN_PAGE,
                    expected: FormExpected {
                        status: 403,
                        body_has: &[],
                        handler_calls: 0,
                    },
                },
            ],
            tower_http_note: NO_STRICT_NOTE,
        },
        Flow {
            desc: "allow_null_origin with the guard: a sandboxed iframe (Origin: null) on an \
                   allowed page cannot open the WebSocket; the page itself can",
            layout: Layout::Fixed(NULL_GUARDED),
            steps: vec![
                Step::SocketAt {
                    page: PAGE,
                    path: "/ws",
                    sandboxed: true,
                    expected: ws_refused(),
                },
                Step::SocketAt {
                    page: PAGE,
                    path: "/ws",
                    sandboxed: false,
                    expected: ws_opens(),
                },
            ],
            tower_http_note: NO_GUARD_NOTE,
        },
        Flow {
            desc: "per-path table outermost, NormalizePathLayer and ServeDir inside: //api/ws \
                   gets /api's guard; /static/%70rivate/… and /static//private/… get \
                   /static/private's policy, not /static's *",
            layout: NORMALIZED,
            steps: vec![
                Step::SocketAt {
                    page: PAGE_LOCALHOST,
                    // Under the flow's mount the layer sees `//api/ws` (axum's nesting
                    // strips one `/`).
                    path: "///api/ws",
                    sandboxed: false,
                    expected: ws_refused(),
                },
                Step::SocketAt {
                    page: PAGE,
                    path: "///api/ws",
                    sandboxed: false,
                    expected: ws_opens(),
                },
                fetch(
                    Request {
                        page: PAGE_LOCALHOST,
                        path: "/static/public.txt",
                        ..GET
                    },
                    Expected {
                        body_has: &["public"],
                        ..Expected::readable(200)
                    },
                ),
                fetch(
                    Request {
                        page: PAGE_LOCALHOST,
                        path: "/static/%70rivate/secret.txt",
                        ..GET
                    },
                    Expected {
                        server_status: Some(200),
                        ..Expected::blocked(NO_ACAO)
                    },
                ),
                fetch(
                    Request {
                        page: PAGE_LOCALHOST,
                        path: "/static//private/secret.txt",
                        ..GET
                    },
                    Expected {
                        server_status: Some(200),
                        ..Expected::blocked(NO_ACAO)
                    },
                ),
                fetch(
                    Request {
                        path: "/static/%70rivate/secret.txt",
                        ..GET
                    },
                    Expected {
                        body_has: &["secret"],
                        ..Expected::readable(200)
                    },
                ),
            ],
            tower_http_note: "tower-http has no per-path policies and no WebSocket guard: \
                              the page of any origin opens the socket, and ServeDir's files are \
                              all under /static's *.",
        },
    ]
}

/// `/api` guarded for `PAGE`; `/static` public, `/static/private` for `PAGE` only.
const NORMALIZED: Layout = Layout::Normalized {
    covered: &[
        ("/api", GUARDED),
        ("/static", PUBLIC),
        ("/static/private", PAGE_ONLY),
    ],
};

const PER_PATH: Layout = Layout::PerPath {
    covered: &[("/public", PUBLIC), ("/api", CREDENTIALED)],
    uncovered: &["/other"],
};

/// The files `ServeDir` serves in [`Layout::Normalized`]: `public.txt` and
/// `private/secret.txt`, written once under the target directory.
fn static_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = super::target_dir().join("tmp").join("flow-static");
        std::fs::create_dir_all(dir.join("private")).expect("static dir");
        std::fs::write(dir.join("public.txt"), "public").expect("public.txt");
        std::fs::write(dir.join("private").join("secret.txt"), "secret").expect("secret.txt");
        dir
    })
    .clone()
}

/// The application of every flow: the suite's application (`/data`,
/// `/private`), an echoing WebSocket at `/ws`, and the runner page at `/page`.
fn flow_application(journal: Journal) -> Router {
    let extra = Router::new()
        .route("/ws", get(echo_socket))
        .route("/page", get(|| async { Html(servers::RUNNER_PAGE) }))
        .with_state(journal.clone());
    application(journal).merge(extra)
}

/// Counts the call, then echoes every text or binary message.
async fn echo_socket(
    State(journal): State<Journal>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(token) = query.get("t") {
        journal.with(token, |t| t.inner_calls += 1);
    }
    upgrade.on_upgrade(echo)
}

async fn echo(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Text(_) | Message::Binary(_) => {
                if socket.send(message).await.is_err() {
                    return;
                }
            }
            // Keep reading: the next read sends the close reply and ends the stream.
            Message::Close(_) | Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

/// What `Step::Replace` acts on.
enum Control {
    None,
    TowerCors(tower_cors::PolicyHandle),
    /// tower-http's allow-list, read by its origin predicate.
    TowerHttp(Arc<RwLock<Vec<HeaderValue>>>),
}

impl Control {
    fn replace(&self, policy: &Policy, ports: Ports, desc: &str) {
        match self {
            Control::None => panic!("{desc}: Replace needs a Layout::Reloadable"),
            Control::TowerCors(handle) => handle.replace(tower_cors_policy(policy, ports)),
            Control::TowerHttp(list) => {
                *list.write().expect("allow-list lock") = origin_values(policy, ports);
            }
        }
    }
}

fn origin_values(policy: &Policy, ports: Ports) -> Vec<HeaderValue> {
    assert!(
        !policy.any_origin
            && !policy.null_origin
            && !policy.origins.iter().any(|o| o.contains('*')),
        "the tower-http equivalent of a reloadable policy takes exact origins only"
    );
    policy
        .origins
        .iter()
        .map(|o| ports.fill(o).parse().expect("origin header value"))
        .collect()
}

/// The flow's application wrapped for `backend`.
fn mount(layout: Layout, backend: Backend, ports: Ports, journal: &Journal) -> (Router, Control) {
    let reports = journal.clone();
    let wrap_tower_cors = move |layer: tower_cors::CorsLayer, app: Router| {
        let reports = reports.clone();
        let layer = layer.on_refusal(move |report| {
            let line = report.to_string();
            reports.with("", |t| t.refusals.push(line));
        });
        Router::new().fallback_service(tower::Layer::layer(&layer, app))
    };
    match (layout, backend) {
        (Layout::Fixed(policy), Backend::TowerCors) => (
            wrap_tower_cors(
                tower_cors::CorsLayer::new(tower_cors_policy(&policy, ports)),
                flow_application(journal.clone()),
            ),
            Control::None,
        ),
        (Layout::Fixed(policy), Backend::TowerHttp) => (
            flow_application(journal.clone()).layer(tower_http_layer(&policy, ports)),
            Control::None,
        ),
        (Layout::Reloadable(policy), Backend::TowerCors) => {
            let (layer, handle) =
                tower_cors::CorsLayer::reloadable(tower_cors_policy(&policy, ports));
            (
                wrap_tower_cors(layer, flow_application(journal.clone())),
                Control::TowerCors(handle),
            )
        }
        (Layout::Reloadable(policy), Backend::TowerHttp) => {
            let list = Arc::new(RwLock::new(origin_values(&policy, ports)));
            let read = Arc::clone(&list);
            let layer = tower_http_layer(&policy, ports).allow_origin(
                tower_http::cors::AllowOrigin::predicate(move |origin: &HeaderValue, _| {
                    read.read().is_ok_and(|l| l.contains(origin))
                }),
            );
            (
                flow_application(journal.clone()).layer(layer),
                Control::TowerHttp(list),
            )
        }
        (Layout::PerPath { covered, uncovered }, Backend::TowerCors) => {
            let mut paths = tower_cors::PathPolicies::builder();
            let mut app = Router::new();
            for (prefix, policy) in covered {
                paths = paths.prefix(*prefix, tower_cors_policy(policy, ports));
                app = app.nest(prefix, flow_application(journal.clone()));
            }
            for prefix in uncovered {
                app = app.nest(prefix, flow_application(journal.clone()));
            }
            let paths = paths
                .build()
                .unwrap_or_else(|e| panic!("per-path policies do not build: {e}"));
            (
                wrap_tower_cors(tower_cors::CorsLayer::per_path(paths), app),
                Control::None,
            )
        }
        (Layout::Normalized { covered }, Backend::TowerCors) => {
            let mut paths = tower_cors::PathPolicies::builder();
            let mut app = Router::new();
            for (prefix, policy) in covered {
                paths = paths.prefix(*prefix, tower_cors_policy(policy, ports));
                if !prefix.starts_with("/static") {
                    app = app.nest(prefix, flow_application(journal.clone()));
                }
            }
            let app = app.nest_service("/static", ServeDir::new(static_dir()));
            let paths = paths
                .build()
                .unwrap_or_else(|e| panic!("per-path policies do not build: {e}"));
            // The CORS layer outermost, path normalisation inside it.
            let inner = NormalizePathLayer::trim_trailing_slash().layer(app);
            (
                Router::new().fallback_service(tower_cors::CorsLayer::per_path(paths).layer(inner)),
                Control::None,
            )
        }
        (Layout::Normalized { covered }, Backend::TowerHttp) => {
            let mut app = Router::new();
            for (prefix, policy) in covered {
                match *prefix {
                    "/static" => {
                        app = app.nest_service(
                            "/static",
                            tower_http_layer(policy, ports).layer(ServeDir::new(static_dir())),
                        );
                    }
                    p if p.starts_with("/static") => {}
                    _ => {
                        app = app.nest(
                            prefix,
                            flow_application(journal.clone())
                                .layer(tower_http_layer(policy, ports)),
                        );
                    }
                }
            }
            let inner = NormalizePathLayer::trim_trailing_slash().layer(app);
            (Router::new().fallback_service(inner), Control::None)
        }
        (Layout::PerPath { covered, uncovered }, Backend::TowerHttp) => {
            let mut app = Router::new();
            for (prefix, policy) in covered {
                app = app.nest(
                    prefix,
                    flow_application(journal.clone()).layer(tower_http_layer(policy, ports)),
                );
            }
            for prefix in uncovered {
                app = app.nest(prefix, flow_application(journal.clone()));
            }
            (app, Control::None)
        }
    }
}

fn prefix(engine: Engine, backend: Backend, flow: usize) -> String {
    format!("/{}/{}/f{flow:02}", engine.slug(), backend.slug())
}

fn step_token(engine: Engine, backend: Backend, flow: usize, step: usize) -> String {
    format!("{}-{}-f{flow:02}s{step}", engine.slug(), backend.slug())
}

/// The URL of the page a step runs on.
fn page_url(page: &str, engine: Engine, backend: Backend, flow: usize, ports: Ports) -> String {
    if page == OWN_PAGE {
        format!(
            "{}{}/page",
            ports.fill(OWN_ORIGIN),
            prefix(engine, backend, flow)
        )
    } else {
        format!("{}/runner", ports.fill(page))
    }
}

/// What one step showed the page.
#[derive(Debug)]
enum Seen {
    Fetch(Vec<Attempt>),
    Replaced,
    Socket(Value),
    Form { status: Option<u64>, body: String },
}

/// Runs every flow against `backend`, navigating only when the page changes.
async fn run_flows(
    browser: &Browser,
    backend: Backend,
    flows: &[Flow],
    controls: &[Control],
    ports: Ports,
) -> Vec<Vec<Seen>> {
    let engine = browser.engine();
    let mut current_page = String::new();
    let mut all = Vec::with_capacity(flows.len());
    for (index, flow) in flows.iter().enumerate() {
        let mut seen = Vec::with_capacity(flow.steps.len());
        for (step_index, step) in flow.steps.iter().enumerate() {
            let token = step_token(engine, backend, index, step_index);
            let page = match step {
                Step::Fetch { request, .. } => Some(request.page),
                Step::Socket { page, .. }
                | Step::SocketAt { page, .. }
                | Step::Form { page, .. } => Some(*page),
                Step::Replace(_) => None,
            };
            if let Some(page) = page {
                let url = page_url(page, engine, backend, index, ports);
                if url != current_page {
                    browser.open(&url).await;
                    current_page = url;
                }
            }
            let result = match step {
                Step::Fetch { request, .. } => {
                    let mut url = format!(
                        "{}{}{}?t={token}",
                        ports.fill(request.api),
                        prefix(engine, backend, index),
                        request.path
                    );
                    if !request.query.is_empty() {
                        url.push('&');
                        url.push_str(&ports.fill(request.query));
                    }
                    let result = browser
                        .run_async(
                            "const [spec, done] = arguments; \
                             window.runScenario(spec).then(done, e => done(String(e)));",
                            vec![super::spec_for(&url, request)],
                        )
                        .await;
                    Seen::Fetch(super::parse_attempts(&result, flow.desc))
                }
                Step::Replace(policy) => {
                    controls[index].replace(policy, ports, flow.desc);
                    Seen::Replaced
                }
                Step::Socket { .. } | Step::SocketAt { .. } => {
                    let (path, sandboxed) = match step {
                        Step::SocketAt {
                            path, sandboxed, ..
                        } => (*path, *sandboxed),
                        _ => ("/ws", false),
                    };
                    let url = format!(
                        "{}{}{path}?t={token}",
                        ports.fill(API).replacen("http://", "ws://", 1),
                        prefix(engine, backend, index)
                    );
                    let seen = if sandboxed {
                        browser
                            .run_async(
                                OPEN_SOCKET_SANDBOXED,
                                vec![json!(url), json!(token), json!(SOCKET_IN_FRAME)],
                            )
                            .await
                    } else {
                        browser
                            .run_async(OPEN_SOCKET, vec![json!(url), json!(token)])
                            .await
                    };
                    Seen::Socket(seen)
                }
                Step::Form { .. } => {
                    let action = format!(
                        "{}{}/data?t={token}",
                        ports.fill(API),
                        prefix(engine, backend, index)
                    );
                    let seen = submit_form(browser, &action, &token).await;
                    // The page navigated to the form's answer.
                    current_page.clear();
                    seen
                }
            };
            seen.push(result);
        }
        all.push(seen);
    }
    all
}

/// Opens a WebSocket, sends the token once open and waits for its echo, or
/// for the socket to fail. Resolves with what the page's handlers saw.
const OPEN_SOCKET: &str = r#"
const [url, message, done] = arguments;
const seen = { opened: false, errored: false, echo: null, code: null, timeout: false };
let finished = false;
const finish = () => { if (!finished) { finished = true; clearTimeout(timer); done(seen); } };
const timer = setTimeout(() => { seen.timeout = true; finish(); }, 10000);
let socket;
try { socket = new WebSocket(url); } catch (e) { seen.errored = true; seen.exception = String(e); finish(); }
if (socket) {
  socket.onopen = () => { seen.opened = true; socket.send(message); };
  socket.onmessage = (e) => { seen.echo = String(e.data); socket.close(1000); };
  socket.onerror = () => { seen.errored = true; };
  socket.onclose = (e) => { seen.code = e.code; finish(); };
}
"#;

/// [`OPEN_SOCKET`] run in a sandboxed iframe (`sandbox="allow-scripts"`: an opaque
/// origin, so the handshake carries `Origin: null`): the iframe runs
/// [`SOCKET_IN_FRAME`] and posts back what it saw.
const OPEN_SOCKET_SANDBOXED: &str = r#"
const [url, message, inner, done] = arguments;
const frame = document.createElement("iframe");
frame.sandbox = "allow-scripts";
window.addEventListener("message", function listener(event) {
  if (event.source !== frame.contentWindow) return;
  window.removeEventListener("message", listener);
  frame.remove();
  done(event.data);
});
frame.srcdoc = "<script>const url = " + JSON.stringify(url) + ", message = "
  + JSON.stringify(message) + ";" + inner + "<" + "/script>";
document.body.appendChild(frame);
"#;

/// The body of [`OPEN_SOCKET`] for a frame: `url` and `message` are set before it, and it
/// posts what it saw to the parent.
const SOCKET_IN_FRAME: &str = r#"
const seen = { opened: false, errored: false, echo: null, code: null, timeout: false };
let finished = false;
const finish = () => { if (!finished) { finished = true; clearTimeout(timer); parent.postMessage(seen, "*"); } };
const timer = setTimeout(() => { seen.timeout = true; finish(); }, 10000);
let socket;
try { socket = new WebSocket(url); } catch (e) { seen.errored = true; seen.exception = String(e); finish(); }
if (socket) {
  socket.onopen = () => { seen.opened = true; socket.send(message); };
  socket.onmessage = (e) => { seen.echo = String(e.data); socket.close(1000); };
  socket.onerror = () => { seen.errored = true; };
  socket.onclose = (e) => { seen.code = e.code; finish(); };
}
"#;

/// Adds `<form method=post action=…>` with a text field and a submit button
/// to the page, clicks the button, and waits for the answer page.
async fn submit_form(browser: &Browser, action: &str, token: &str) -> Seen {
    browser
        .client()
        .execute(
            "const [action] = arguments; \
             const form = document.createElement('form'); \
             form.method = 'post'; form.action = action; \
             const field = document.createElement('input'); \
             field.name = 'note'; field.value = 'hello'; \
             const button = document.createElement('button'); \
             button.type = 'submit'; button.id = 'submit-form'; button.textContent = 'send'; \
             form.append(field, button); document.body.append(form);",
            vec![json!(action)],
        )
        .await
        .unwrap_or_else(|e| panic!("cannot add the form: {e}"));
    browser
        .client()
        .find(Locator::Id("submit-form"))
        .await
        .unwrap_or_else(|e| panic!("cannot find the form's button: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click the form's button: {e}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = browser
            .client()
            .execute(
                "const nav = performance.getEntriesByType('navigation')[0]; \
                 return { url: location.href, ready: document.readyState, \
                          status: nav ? nav.responseStatus : null, \
                          body: document.body ? document.body.innerText : '' };",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        let arrived = state["url"].as_str().is_some_and(|u| u.contains(token))
            && state["ready"].as_str() == Some("complete");
        if arrived {
            return Seen::Form {
                status: state["status"].as_u64(),
                body: state["body"].as_str().unwrap_or_default().to_owned(),
            };
        }
        assert!(
            Instant::now() < deadline,
            "the form POST to {action} did not navigate within 10 s (page state {state})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A step's scenario for the suite's `check` and `Observed::summary`.
fn step_scenario(desc: &'static str, request: Request, expected: Expected) -> Scenario {
    Scenario {
        desc,
        policy: BASE,
        request,
        expected,
        tower_http_note: "",
    }
}

/// The last handshake (or form POST) the server answered, outside the layer.
fn last_answer(traffic: &Traffic) -> Option<u16> {
    traffic
        .seen
        .iter()
        .rev()
        .find(|s| !s.preflight)
        .map(|s| s.status)
}

fn preflight_answer(traffic: &Traffic) -> Option<u16> {
    traffic.seen.iter().find(|s| s.preflight).map(|s| s.status)
}

/// Checks one step (tower-cors) and returns its table summary and failures.
#[allow(clippy::too_many_arguments)]
fn judge(
    engine: Engine,
    desc: &'static str,
    step: &Step,
    seen: Seen,
    token: &str,
    logs: &Logs,
    journal: &Journal,
    ports: Ports,
) -> (String, Vec<String>) {
    let traffic = journal.traffic(token);
    let mut failures = Vec::new();
    let summary = match (step, seen) {
        (
            Step::Fetch {
                request,
                expected,
                preflight_status,
            },
            Seen::Fetch(attempts),
        ) => {
            let needle = format!("t={token}");
            let scenario = step_scenario(desc, *request, *expected);
            if let Some(want) = preflight_status {
                let got = preflight_answer(&traffic);
                if got != Some(*want) {
                    failures.push(format!(
                        "{desc} [{token}]: expected the preflight answered {want}, got {got:?}"
                    ));
                }
            }
            let observed = Observed {
                attempts,
                reason: Reason {
                    cors_error: logs.cors_error(&needle),
                    console: logs.console_block(&needle).map(str::to_owned),
                },
                traffic,
            };
            failures.extend(
                super::check(engine, &scenario, &observed, ports)
                    .into_iter()
                    .map(|f| format!("[{token}] {f}")),
            );
            fetch_summary(&observed, &scenario)
        }
        (Step::Replace(_), Seen::Replaced) => "replace()".to_owned(),
        (Step::Socket { expected, .. } | Step::SocketAt { expected, .. }, Seen::Socket(result)) => {
            let opened = result["opened"].as_bool() == Some(true);
            let echoed = result["echo"].as_str() == Some(token);
            let code = result["code"].as_u64();
            let mut fail = |msg: String| failures.push(format!("{desc} [{token}]: {msg}"));
            if expected.opens && !(opened && echoed && code == Some(1000)) {
                fail(format!(
                    "expected the WebSocket to open, echo and close cleanly (1000), \
                     the page saw {result}"
                ));
            }
            if !expected.opens
                && (opened || result["errored"].as_bool() != Some(true) || code != Some(1006))
            {
                fail(format!(
                    "expected the WebSocket to fail (onerror, then onclose 1006, never onopen), \
                     the page saw {result}"
                ));
            }
            // What the developer sees in the console for a refused handshake.
            let refused_line = format!(
                "Error during WebSocket handshake: Unexpected response code: {}",
                expected.handshake_status
            );
            // Only Chromium's console is read for this line (Firefox words it
            // otherwise, WebKit's console is not readable).
            if !expected.opens
                && engine.reason_source() == ReasonSource::ChromeDevTools
                && !logs
                    .console
                    .iter()
                    .any(|l| l.contains(&format!("t={token}'")) && l.contains(&refused_line))
            {
                fail(format!("the console should say {refused_line:?}"));
            }
            // tower-cors's refusal report quotes that same console line for a handshake its
            // guard refused.
            if !expected.opens
                && expected.handshake_status == 403
                && token.contains(&format!("-{}-", Backend::TowerCors.slug()))
            {
                let quoted = format!("failed: {refused_line}\"");
                let reports = journal.traffic("").refusals;
                if !reports
                    .iter()
                    .any(|l| l.starts_with("WebSocket handshake refused: ") && l.ends_with(&quoted))
                {
                    fail(format!(
                        "tower-cors's refusal report should quote the console's {refused_line:?}, \
                         its reports were {reports:?}"
                    ));
                }
            }
            let handshake = last_answer(&traffic);
            if handshake != Some(expected.handshake_status) {
                fail(format!(
                    "expected the server to answer the handshake {}, it answered {handshake:?}",
                    expected.handshake_status
                ));
            }
            if traffic.inner_calls != expected.handler_calls {
                fail(format!(
                    "expected the WebSocket handler called {}×, it was called {}×",
                    expected.handler_calls, traffic.inner_calls
                ));
            }
            socket_summary(&result, &traffic)
        }
        (Step::Form { expected, .. }, Seen::Form { status, body }) => {
            let mut fail = |msg: String| failures.push(format!("{desc} [{token}]: {msg}"));
            // WebKit has no `PerformanceNavigationTiming.responseStatus`: its
            // page cannot tell the answer's status (None); the server's answer
            // and the answer page's body are asserted below in every engine.
            let page_blind = engine == Engine::WebKit && status.is_none();
            if !page_blind && status != Some(u64::from(expected.status)) {
                fail(format!(
                    "expected the form's answer page with status {}, the page saw {status:?}",
                    expected.status
                ));
            }
            for needle in expected.body_has {
                let needle = ports.fill(needle);
                if !body.contains(&needle) {
                    fail(format!("the form's answer page lacks {needle:?}: {body:?}"));
                }
            }
            let answered = last_answer(&traffic);
            if answered != Some(expected.status) {
                fail(format!(
                    "expected the server to answer the form POST {}, it answered {answered:?}",
                    expected.status
                ));
            }
            if traffic.inner_calls != expected.handler_calls {
                fail(format!(
                    "expected the application called {}× by the form POST, it was called {}×",
                    expected.handler_calls, traffic.inner_calls
                ));
            }
            form_summary(status, &traffic)
        }
        (step, seen) => panic!("{desc}: step {step:?} produced {seen:?}"),
    };
    (summary, failures)
}

/// The suite's summary, plus the status of a preflight the browser refused.
fn fetch_summary(observed: &Observed, scenario: &Scenario) -> String {
    let mut cell = observed.summary(scenario);
    let refused_preflight = observed
        .reason
        .cors_error
        .as_ref()
        .is_some_and(|(code, _)| code.starts_with("Preflight"));
    if let (true, Some(status)) = (refused_preflight, preflight_answer(&observed.traffic)) {
        let _ = write!(cell, " (preflight answered {status})");
    }
    cell
}

fn socket_summary(result: &Value, traffic: &Traffic) -> String {
    let page = if result["opened"].as_bool() == Some(true) {
        if result["echo"].is_string() {
            "WebSocket open, echo received".to_owned()
        } else {
            "WebSocket open, no echo".to_owned()
        }
    } else {
        format!(
            "WebSocket failed without opening (close {})",
            result["code"]
                .as_u64()
                .map_or("-".to_owned(), |c| c.to_string())
        )
    };
    format!(
        "{page}; handshake answered {}; handler called {}×",
        last_answer(traffic).map_or("-".to_owned(), |s| s.to_string()),
        traffic.inner_calls
    )
}

fn form_summary(status: Option<u64>, traffic: &Traffic) -> String {
    format!(
        "form POST shows {}; app called {}×",
        status.map_or("-".to_owned(), |s| s.to_string()),
        traffic.inner_calls
    )
}

/// Summary of a tower-http step (recorded, not asserted).
fn record(step: &Step, seen: Seen, token: &str, logs: &Logs, journal: &Journal) -> String {
    let traffic = journal.traffic(token);
    match (step, seen) {
        (
            Step::Fetch {
                request, expected, ..
            },
            Seen::Fetch(attempts),
        ) => {
            let needle = format!("t={token}");
            let scenario = step_scenario("", *request, *expected);
            let observed = Observed {
                attempts,
                reason: Reason {
                    cors_error: logs.cors_error(&needle),
                    console: logs.console_block(&needle).map(str::to_owned),
                },
                traffic,
            };
            fetch_summary(&observed, &scenario)
        }
        (Step::Replace(_), Seen::Replaced) => "replace()".to_owned(),
        (Step::Socket { .. } | Step::SocketAt { .. }, Seen::Socket(result)) => {
            socket_summary(&result, &traffic)
        }
        (Step::Form { .. }, Seen::Form { status, .. }) => form_summary(status, &traffic),
        (step, seen) => panic!("step {step:?} produced {seen:?}"),
    }
}

fn comparison_table(
    flows: &[Flow],
    cells: &BTreeMap<(usize, Backend), String>,
    chrome: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- generated by `cargo test --test it browser:: -- --include-ignored`; do not edit by hand -->\n"
    );
    let _ = writeln!(
        out,
        "Browser: {chrome}, headless, driven through ChromeDriver. Each cell lists the \
         flow's steps in order (→): for a fetch, what the page could see and what the server \
         received, as in the table above (with the status of a preflight the browser refused); for a \
         WebSocket, whether it opened and echoed, the handshake's status and the handler's \
         calls; for a form, the status of the page it navigated to and the application's calls.\n"
    );
    let _ = writeln!(
        out,
        "| # | Scenario | {} | {} | Why they differ |",
        Backend::TowerCors.name(),
        Backend::TowerHttp.name()
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    let mut differing = 0;
    for (index, flow) in flows.iter().enumerate() {
        let ours = &cells[&(index, Backend::TowerCors)];
        let theirs = &cells[&(index, Backend::TowerHttp)];
        let why = if ours == theirs {
            "—".to_owned()
        } else {
            differing += 1;
            if flow.tower_http_note.is_empty() {
                "(not explained)".to_owned()
            } else {
                flow.tower_http_note
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let desc = flow.desc.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(
            out,
            "| R{} | {desc} | {ours} | {theirs} | {why} |",
            index + 1
        );
    }
    let _ = writeln!(
        out,
        "\n{} scenarios; the two middlewares differ in {differing}.",
        flows.len()
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium, Firefox ESR + geckodriver and WebKitGTK (scripts/test-all.sh installs them)"]
async fn reload_per_path_websocket_and_same_origin_flows_in_every_engine() {
    let started = Instant::now();
    let flows = flows();
    let engines = Engine::selected();

    let journal = Journal::default();
    let (page_listener, page) = servers::bind().await;
    let (api_listener, api) = servers::bind().await;
    let ports = Ports { page, api };
    let mut mounts = Vec::new();
    // One mount per engine, so a policy one engine's flow replaced never
    // leaks into the next engine's run.
    let mut controls: BTreeMap<(Engine, Backend), Vec<Control>> = BTreeMap::new();
    for &engine in &engines {
        for backend in Backend::ALL {
            for (index, flow) in flows.iter().enumerate() {
                let (router, control) = mount(flow.layout, backend, ports, &journal);
                mounts.push((prefix(engine, backend, index), router));
                controls.entry((engine, backend)).or_default().push(control);
            }
        }
    }
    servers::serve_api(api_listener, journal.clone(), mounts);
    servers::serve_page(page_listener);

    let mut failures = Vec::new();
    let mut report = String::new();
    for &engine in &engines {
        let engine_started = Instant::now();
        let browser = Browser::launch(engine, &super::target_dir().join("tmp")).await;
        let version = browser.version();
        // The session cookie for the API host, set first-party.
        browser
            .open(&format!("http://127.0.0.1:{api}/__cookie"))
            .await;

        let mut seen = BTreeMap::new();
        for backend in Backend::ALL {
            let runs = run_flows(
                &browser,
                backend,
                &flows,
                &controls[&(engine, backend)],
                ports,
            )
            .await;
            seen.insert(backend, runs);
        }
        let mut needles = Vec::new();
        for (backend, runs) in &seen {
            for (index, steps) in runs.iter().enumerate() {
                for (step, result) in steps.iter().enumerate() {
                    if let Seen::Fetch(attempts) = result {
                        if attempts
                            .iter()
                            .any(|a| matches!(a, Attempt::Blocked { .. }))
                        {
                            needles
                                .push(format!("t={}", step_token(engine, *backend, index, step)));
                        }
                    }
                }
            }
        }
        let logs = super::collect_logs(&browser, &needles).await;
        browser.close().await;

        let mut cells = BTreeMap::new();
        for (backend, runs) in seen {
            for (index, steps) in runs.into_iter().enumerate() {
                let flow = &flows[index];
                let mut parts = Vec::new();
                for (step_index, result) in steps.into_iter().enumerate() {
                    let step = &flow.steps[step_index];
                    let token = step_token(engine, backend, index, step_index);
                    if backend == Backend::TowerCors {
                        let (cell, failed) = judge(
                            engine, flow.desc, step, result, &token, &logs, &journal, ports,
                        );
                        parts.push(cell);
                        failures.extend(
                            failed
                                .into_iter()
                                .map(|f| format!("{}: {f}", engine.name())),
                        );
                    } else {
                        parts.push(record(step, result, &token, &logs, &journal));
                    }
                }
                cells.insert((index, backend), parts.join(" → "));
            }
        }
        report.push_str(&comparison_table(&flows, &cells, &version));
        report.push('\n');
        eprintln!(
            "{version}: {} flows ({} steps) × {} backends in {:.1?}",
            flows.len(),
            flows.iter().map(|f| f.steps.len()).sum::<usize>(),
            Backend::ALL.len(),
            engine_started.elapsed(),
        );
    }

    let report_path = super::target_dir().join("browser-comparison-runtime.md");
    std::fs::write(&report_path, &report)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", report_path.display()));
    eprintln!(
        "flows in {} engine(s) in {:.1?}; comparison written to {}",
        engines.len(),
        started.elapsed(),
        report_path.display()
    );
    assert!(
        failures.is_empty(),
        "{} browser expectation(s) failed for tower-cors:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
