//! The demo's servers: an API origin protected by `CorsLayer` with bearer
//! authentication inside it, and a page origin whose page runs a list of
//! cross-origin scenarios live and shows, for each, what the browser allowed
//! and what the policy decided on the server.
//!
//! `cargo run -p tower-cors-demo` starts both and prints the page's URL. The
//! page settles in a final state: every scenario decided (a scenario that
//! gets no answer within [`SCENARIO_TIMEOUT_MS`] is decided as failed) and a
//! summary line, `N of N scenarios behaved as expected` when all pass.
//!
//! The library is shared with tower-cors's browser test, which loads the page
//! in Chromium, Firefox and WebKit and checks every scenario (twice: after a
//! reload, only the new load's decisions count).

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tower::Layer;
use tower_cors::{CorsLayer, CorsPolicy, PolicyError};

/// The only bearer token the API accepts.
pub const TOKEN: &str = "demo-token";

/// Which page origin runs a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runner {
    /// The page's own origin, which the policy allows.
    Page,
    /// An iframe on a third origin (another port of 127.0.0.1), which it refuses.
    Other,
}

/// One live scenario: what the page sends and what should happen.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// What the page's row says.
    pub name: &'static str,
    /// Which origin sends the request.
    pub from: Runner,
    /// The `fetch` method, exactly as the page passes it.
    pub method: &'static str,
    /// The API path.
    pub path: &'static str,
    /// Request headers (name, value).
    pub headers: &'static [(&'static str, &'static str)],
    /// Request body, if any.
    pub body: Option<&'static str>,
    /// `credentials: "include"` (cookies sent and accepted) rather than `"same-origin"`.
    pub credentials: bool,
    /// Response header the page reads, shown next to the status.
    pub read: Option<&'static str>,
    /// `Some(status)`: the page can read the response; `None`: blocked.
    pub expect_status: Option<u16>,
    /// Text the readable body must contain.
    pub expect_body: Option<&'static str>,
    /// What `CorsPolicy::evaluate` says about the decisive request.
    pub expect_decision: &'static str,
}

const fn scenario(name: &'static str, path: &'static str) -> Scenario {
    Scenario {
        name,
        from: Runner::Page,
        method: "GET",
        path,
        headers: &[],
        body: None,
        credentials: false,
        read: None,
        expect_status: Some(200),
        expect_body: None,
        expect_decision: "actual request allowed",
    }
}

/// The scenarios the page runs, in order (the login sets the cookie the
/// credentialed request after it sends).
pub const SCENARIOS: &[Scenario] = &[
    scenario("simple GET, no preflight", "/api/public"),
    Scenario {
        method: "POST",
        headers: &[("content-type", "application/json")],
        body: Some("{\"name\":\"widget\"}"),
        expect_status: Some(201),
        ..scenario("JSON POST, preflighted", "/api/items")
    },
    Scenario {
        method: "PUT",
        headers: &[("content-type", "application/json"), ("x-api-key", "k-1")],
        body: Some("{\"name\":\"gadget\"}"),
        ..scenario("PUT with X-Api-Key, preflighted", "/api/items")
    },
    Scenario {
        method: "DELETE",
        expect_status: None,
        expect_decision: "preflight refused: method not allowed",
        ..scenario("DELETE, a method the policy does not list", "/api/items")
    },
    Scenario {
        method: "patch",
        headers: &[("content-type", "application/json")],
        body: Some("{}"),
        expect_status: None,
        expect_decision: "preflight refused: method not allowed",
        ..scenario("lower-case patch (only PATCH is listed)", "/api/items")
    },
    Scenario {
        headers: &[("x-debug", "1")],
        expect_status: None,
        expect_decision: "preflight refused: request header not allowed",
        ..scenario("X-Debug, a header the policy does not list", "/api/public")
    },
    Scenario {
        headers: &[("authorization", "Bearer demo-token")],
        ..scenario("Authorization with a valid token", "/api/me")
    },
    Scenario {
        headers: &[("authorization", "Bearer wrong")],
        expect_status: Some(401),
        read: Some("www-authenticate"),
        ..scenario("Authorization with a wrong token: 401 readable", "/api/me")
    },
    Scenario {
        expect_status: Some(401),
        ..scenario("no token: 401 readable (no preflight)", "/api/me")
    },
    Scenario {
        read: Some("x-request-id"),
        ..scenario("exposed X-Request-Id readable", "/api/public")
    },
    Scenario {
        expect_status: Some(404),
        ..scenario("unknown path: 404 readable", "/api/nothing-here")
    },
    Scenario {
        method: "POST",
        credentials: true,
        ..scenario("log in: credentialed POST sets a cookie", "/api/login")
    },
    Scenario {
        credentials: true,
        expect_body: Some("\"session_user\":\"ada\""),
        ..scenario("credentialed GET sends the cookie", "/api/session")
    },
    Scenario {
        from: Runner::Other,
        expect_status: None,
        expect_decision: "actual request refused: origin not allowed",
        ..scenario("simple GET from another origin", "/api/public")
    },
    Scenario {
        from: Runner::Other,
        method: "PUT",
        headers: &[("content-type", "application/json")],
        body: Some("{}"),
        expect_status: None,
        expect_decision: "preflight refused: origin not allowed",
        ..scenario("PUT from another origin", "/api/items")
    },
];

/// How many scenario tokens [`Decisions`] remembers (the oldest go first):
/// a page load uses one per scenario, so this keeps the last loads' decisions
/// while the memory stays bounded.
pub const MAX_TOKENS: usize = 1024;
/// How many decisions [`Decisions`] keeps per token (a scenario makes at most two requests).
pub const MAX_DECISIONS_PER_TOKEN: usize = 8;
/// The longest token recorded; the page's tokens are about 30 bytes.
pub const MAX_TOKEN_LEN: usize = 64;
/// How long the page waits for one scenario before deciding it failed, so
/// the page always reaches its final state.
pub const SCENARIO_TIMEOUT_MS: u32 = 10_000;

#[derive(Debug, Default)]
struct Recorded {
    by_token: HashMap<String, Vec<String>>,
    /// Tokens in the order they were first seen, to forget the oldest.
    order: VecDeque<String>,
}

/// Server-side decisions per scenario token, filled by the API, read by the
/// page; bounded by [`MAX_TOKENS`], [`MAX_DECISIONS_PER_TOKEN`] and
/// [`MAX_TOKEN_LEN`].
#[derive(Clone, Debug, Default)]
pub struct Decisions(Arc<Mutex<Recorded>>);

impl Decisions {
    /// Records one decision for `token`; ignores a token longer than
    /// [`MAX_TOKEN_LEN`] and decisions past [`MAX_DECISIONS_PER_TOKEN`].
    pub fn push(&self, token: &str, line: String) {
        if token.len() > MAX_TOKEN_LEN {
            return;
        }
        let Ok(mut recorded) = self.0.lock() else {
            return;
        };
        if !recorded.by_token.contains_key(token) {
            while recorded.order.len() >= MAX_TOKENS {
                if let Some(oldest) = recorded.order.pop_front() {
                    recorded.by_token.remove(&oldest);
                }
            }
            recorded.order.push_back(token.to_owned());
        }
        let lines = recorded.by_token.entry(token.to_owned()).or_default();
        if lines.len() < MAX_DECISIONS_PER_TOKEN {
            lines.push(line);
        }
    }

    /// What the policy decided for every request carrying `token`.
    pub fn get(&self, token: &str) -> Vec<String> {
        self.0
            .lock()
            .map(|recorded| recorded.by_token.get(token).cloned().unwrap_or_default())
            .unwrap_or_default()
    }
}

/// The running demo.
#[derive(Debug)]
pub struct Demo {
    /// Open this in a browser.
    pub page_url: String,
    /// The API's origin, `http://127.0.0.1:PORT`.
    pub api_origin: String,
    /// The origin the policy refuses, whose iframe runs the "other origin"
    /// scenarios: another port of 127.0.0.1, so the same site as the page
    /// (one browser process, which headless Chromium's virtual time follows)
    /// but another origin.
    pub other_origin: String,
}

/// The policy: the page's origin only, credentials, and what the API needs.
///
/// # Errors
///
/// When `page_origin` is not a valid origin.
pub fn policy(page_origin: &str) -> Result<CorsPolicy, PolicyError> {
    CorsPolicy::builder()
        .allow_origin(page_origin)
        .allow_methods([Method::PUT, Method::PATCH])
        .allow_headers(["content-type", "authorization", "x-api-key"])
        .expose_headers(["x-request-id", "www-authenticate"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .build()
}

/// Starts the servers as tasks on the current tokio runtime: the page and the
/// API on the given loopback listeners, and the refused origin's iframe on a
/// free port of 127.0.0.1.
///
/// # Errors
///
/// When a listener has no local address, no port is free for the refused
/// origin, or the policy for the page's origin does not build.
pub fn start(page: TcpListener, api: TcpListener) -> io::Result<Demo> {
    let other = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    other.set_nonblocking(true)?;
    let other = TcpListener::from_std(other)?;
    let other_origin = format!("http://127.0.0.1:{}", other.local_addr()?.port());
    let page_port = page.local_addr()?.port();
    let api_port = api.local_addr()?.port();
    let page_origin = format!("http://127.0.0.1:{page_port}");
    let api_origin = format!("http://127.0.0.1:{api_port}");
    let decisions = Decisions::default();

    let policy = policy(&page_origin).map_err(|e| io::Error::other(e.to_string()))?;
    let cors_app = CorsLayer::new(policy.clone()).layer(api_routes());
    let api_router =
        Router::new()
            .fallback_service(cors_app)
            .layer(middleware::from_fn_with_state(
                (policy, decisions.clone()),
                record_decision,
            ));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(api, api_router).await {
            eprintln!("api server stopped: {e}");
        }
    });

    let page_state = PageState {
        decisions,
        api_origin: api_origin.clone(),
        page_origin: page_origin.clone(),
        other_origin: other_origin.clone(),
    };
    let page_router = Router::new()
        .route("/", get(index))
        .route("/frame", get(frame))
        .route("/decisions", get(decisions_for))
        .with_state(page_state);
    let other_router = page_router.clone();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(page, page_router).await {
            eprintln!("page server stopped: {e}");
        }
    });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(other, other_router).await {
            eprintln!("other origin's server stopped: {e}");
        }
    });

    Ok(Demo {
        page_url: format!("{page_origin}/"),
        api_origin,
        other_origin,
    })
}

/// Outside the CORS layer: records what `CorsPolicy::evaluate` decides for
/// each request, keyed by the scenario token in `?t=`.
async fn record_decision(
    State((policy, decisions)): State<(CorsPolicy, Decisions)>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let token = scenario_token(&parts.uri).map(str::to_owned);
    if let Some(token) = token {
        let decision = policy.evaluate(&parts);
        decisions.push(
            &token,
            format!("{} {}: {decision}", parts.method, parts.uri.path()),
        );
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The API behind the CORS layer; `/api/me` sits behind bearer authentication.
fn api_routes() -> Router {
    let private = Router::new()
        .route("/api/me", get(me))
        .route_layer(middleware::from_fn(require_bearer));
    Router::new()
        .route("/api/public", get(public))
        .route("/api/items", any(items))
        .route("/api/login", post(login))
        .route("/api/session", get(session))
        .merge(private)
}

fn with_request_id(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert("x-request-id", header::HeaderValue::from_static("req-7"));
    response
}

async fn public() -> Response {
    with_request_id(Json(json!({ "message": "hello from the api" })))
}

async fn items(method: Method, body: String) -> Response {
    let status = if method == Method::POST {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    with_request_id((
        status,
        Json(json!({ "method": method.as_str(), "body": body })),
    ))
}

async fn me() -> Response {
    with_request_id(Json(json!({ "user": "ada" })))
}

async fn login() -> Response {
    (
        [(
            header::SET_COOKIE,
            "demo_session=ada; Path=/; SameSite=Lax; HttpOnly",
        )],
        Json(json!({ "logged_in": true })),
    )
        .into_response()
}

async fn session(headers: HeaderMap) -> Response {
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let user = cookie
        .split(';')
        .find_map(|c| c.trim().strip_prefix("demo_session="))
        .unwrap_or("(none)");
    Json(json!({ "session_user": user })).into_response()
}

async fn require_bearer(request: Request, next: Next) -> Response {
    let expected = format!("Bearer {TOKEN}");
    let ok = request
        .headers()
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == expected.as_bytes());
    if ok {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"demo\"")],
            "missing or wrong bearer token",
        )
            .into_response()
    }
}

#[derive(Clone, Debug)]
struct PageState {
    decisions: Decisions,
    api_origin: String,
    page_origin: String,
    other_origin: String,
}

/// The scenarios as the page's script sees them.
pub fn scenarios_json() -> Value {
    SCENARIOS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let headers: serde_json::Map<String, Value> = s
                .headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                .collect();
            json!({
                "index": format!("{i:02}"),
                "name": s.name,
                "other": s.from == Runner::Other,
                "method": s.method,
                "path": s.path,
                "headers": headers,
                "body": s.body,
                "credentials": if s.credentials { "include" } else { "same-origin" },
                "read": s.read,
                "expectStatus": s.expect_status,
                "expectBody": s.expect_body,
                "expectDecision": s.expect_decision,
            })
        })
        .collect()
}

/// The scenario token in `?t=` (the page's tokens need no percent-decoding).
fn scenario_token(uri: &Uri) -> Option<&str> {
    uri.query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("t="))
}

async fn decisions_for(State(state): State<PageState>, uri: Uri) -> Json<Vec<String>> {
    Json(
        scenario_token(&uri)
            .map(|t| state.decisions.get(t))
            .unwrap_or_default(),
    )
}

async fn index(State(state): State<PageState>) -> Html<String> {
    let config = json!({
        "api": state.api_origin,
        "otherOrigin": state.other_origin,
        "timeoutMs": SCENARIO_TIMEOUT_MS,
        "scenarios": scenarios_json(),
    });
    Html(
        INDEX_HTML
            .replace("__RUN_JS__", RUN_JS)
            .replace("__CONFIG__", &config.to_string())
            .replace("__PAGE_ORIGIN__", &state.page_origin)
            .replace("__API_ORIGIN__", &state.api_origin)
            .replace("__OTHER_ORIGIN__", &state.other_origin),
    )
}

async fn frame(State(state): State<PageState>) -> Html<String> {
    Html(
        FRAME_HTML
            .replace("__RUN_JS__", RUN_JS)
            .replace("__PARENT__", &state.page_origin),
    )
}

/// Shared by the page and the iframe: one scenario, one `fetch`.
const RUN_JS: &str = r#"
async function runOne(api, s) {
  const init = { method: s.method, headers: s.headers, credentials: s.credentials };
  if (s.body !== null) init.body = s.body;
  const url = api + s.path + "?t=" + s.token;
  try {
    const r = await fetch(url, init);
    const body = (await r.text()).slice(0, 200);
    return { readable: true, status: r.status, body, header: s.read ? r.headers.get(s.read) : null };
  } catch (e) {
    return { readable: false, error: String(e) };
  }
}
"#;

const FRAME_HTML: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>other origin</title></head>
<body><script>
__RUN_JS__
window.addEventListener("message", async (event) => {
  if (event.origin !== "__PARENT__") return;
  const { api, scenario } = event.data;
  const result = await runOne(api, scenario);
  event.source.postMessage({ token: scenario.token, result }, "__PARENT__");
});
parent.postMessage({ ready: true }, "__PARENT__");
</script></body></html>"#;

const INDEX_HTML: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>tower-cors demo</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d1d1f; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  p.lead { margin: 0 0 16px; color: #555; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
  th { background: #f5f5f7; }
  td.pre { white-space: pre-line; }
  td.nowrap { white-space: nowrap; }
  td.verdict { font-weight: 600; white-space: nowrap; }
  tr.pass td.verdict { color: #137333; }
  tr.fail td.verdict { color: #b3261e; }
  code { font-size: 12px; }
  #summary { font-weight: 600; margin: 12px 0; }
  #summary.pass { color: #137333; }
  #summary.fail { color: #b3261e; }
  iframe { display: none; }
</style></head>
<body>
<h1>tower-cors live demo</h1>
<p class="lead">Page origin <code>__PAGE_ORIGIN__</code> calls the API at <code>__API_ORIGIN__</code>
(CorsLayer outside, bearer auth inside). Rows marked "other origin" run in an iframe on
<code>__OTHER_ORIGIN__</code>, an origin the policy does not allow.</p>
<div id="summary">running…</div>
<table><thead><tr><th>#</th><th>scenario</th><th>expected</th><th>browser saw</th>
<th>server decision (CorsPolicy::evaluate)</th><th>verdict</th></tr></thead>
<tbody id="rows"></tbody></table>
<iframe id="other"></iframe>
<script>
const CONFIG = __CONFIG__;
// One id per page load: every request of this load carries it in its token,
// so the server-decision column only ever shows this load's decisions.
const LOAD = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
for (const s of CONFIG.scenarios) s.token = "demo-" + LOAD + "-" + s.index;
__RUN_JS__
const frame = document.getElementById("other");
let frameReady;
const framePromise = new Promise((resolve) => { frameReady = resolve; });
const pending = new Map();
window.addEventListener("message", (event) => {
  if (event.origin !== CONFIG.otherOrigin) return;
  if (event.data.ready) { frameReady(); return; }
  const done = pending.get(event.data.token);
  if (done) { pending.delete(event.data.token); done(event.data.result); }
});
frame.src = CONFIG.otherOrigin + "/frame";

async function runInFrame(s) {
  await framePromise;
  return new Promise((resolve) => {
    pending.set(s.token, resolve);
    frame.contentWindow.postMessage({ api: CONFIG.api, scenario: s }, CONFIG.otherOrigin);
  });
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

// Every scenario is decided: one that gets no answer in time fails.
function withTimeout(promise) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(
    () => resolve({ readable: false, error: "no answer within " + CONFIG.timeoutMs + " ms" }),
    CONFIG.timeoutMs))]);
}

async function decisionsFor(s) {
  try {
    return await (await fetch("/decisions?t=" + s.token)).json();
  } catch (e) {
    return ["(cannot read the server's decisions: " + e + ")"];
  }
}

async function main() {
  const results = [];
  const rows = document.getElementById("rows");
  const summary = document.getElementById("summary");
  for (const [i, s] of CONFIG.scenarios.entries()) {
    summary.textContent = "running… " + i + " of " + CONFIG.scenarios.length + " scenarios decided";
    const result = await withTimeout(s.other ? runInFrame(s) : runOne(CONFIG.api, s));
    const decisions = await decisionsFor(s);
    const expected = s.expectStatus === null ? "blocked" : "readable " + s.expectStatus;
    const saw = result.readable ? "readable " + result.status : "blocked";
    const pass = expected === saw
      && (!s.expectBody || (result.body || "").includes(s.expectBody))
      && decisions.some((d) => d.includes(s.expectDecision));
    results.push({ load: LOAD, token: s.token, name: s.name, result, decisions, pass });
    const tr = document.createElement("tr");
    tr.className = pass ? "pass" : "fail";
    cell(tr, String(i + 1));
    cell(tr, s.name + (s.other ? " (other origin)" : ""));
    cell(tr, expected, "nowrap");
    cell(tr, saw + (result.header ? " — " + s.read + ": " + result.header : "")
      + (result.readable && result.body ? "\n" + result.body : ""), "pre");
    cell(tr, decisions.join("\n") || "(no request reached the server)", "pre");
    cell(tr, pass ? "pass" : "FAIL", "verdict");
    rows.appendChild(tr);
  }
  const passed = results.filter((r) => r.pass).length;
  summary.textContent = passed + " of " + results.length + " scenarios behaved as expected";
  summary.className = passed === results.length ? "pass" : "fail";
  document.title = "tower-cors demo: " + summary.textContent;
  window.demoResults = results;
}
main().catch((e) => {
  const summary = document.getElementById("summary");
  summary.textContent = "the page stopped: " + e;
  summary.className = "fail";
});
</script></body></html>"#;
