//! The two loopback origins of the suite: a page server that serves the
//! scenario runner, and an API server that mounts one CORS-wrapped copy of the
//! application per (backend, scenario) under `/{backend}/{index}`.
//!
//! A journal records, per scenario token (`?t=`), what reached the API server
//! (outside the CORS layer) and what reached the application (inside it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use tokio::net::TcpListener;

/// The bearer token the application's auth layer accepts.
pub(crate) const GOOD_TOKEN: &str = "Bearer letmein";
/// The cookie `/__cookie` sets for the API host (host-only, `SameSite=Lax`).
pub(crate) const COOKIE: &str = "sid=s3cret";

/// One request as seen by the API server, outside the CORS layer.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    /// `OPTIONS` with `Access-Control-Request-Method` (Fetch #cors-preflight-request).
    pub(crate) preflight: bool,
    pub(crate) origin: Option<String>,
    pub(crate) status: u16,
    /// The request carried `Access-Control-Request-Private-Network`
    /// (WICG Private Network Access preflights).
    pub(crate) asked_private_network: bool,
    /// The answer carried `Access-Control-Allow-Private-Network`.
    pub(crate) allowed_private_network: bool,
    /// The request carried the session cookie (`COOKIE`).
    pub(crate) cookie: bool,
}

/// Per-token record of the traffic a scenario caused.
#[derive(Clone, Debug, Default)]
pub(crate) struct Traffic {
    /// Everything that reached the server, in arrival order.
    pub(crate) seen: Vec<Seen>,
    /// Requests that reached the application behind the CORS layer.
    pub(crate) inner_calls: usize,
    /// The tower-cors layer's refusal reports (kept under the empty token: a report
    /// names the path, not the query that carries the token).
    pub(crate) refusals: Vec<String>,
}

impl Traffic {
    /// CORS-preflight requests the server received.
    pub(crate) fn preflights(&self) -> usize {
        self.seen.iter().filter(|s| s.preflight).count()
    }
}

/// Shared, per-token traffic journal.
#[derive(Clone, Debug, Default)]
pub(crate) struct Journal(Arc<Mutex<HashMap<String, Traffic>>>);

impl Journal {
    /// The traffic recorded for `token`.
    pub(crate) fn traffic(&self, token: &str) -> Traffic {
        self.0
            .lock()
            .unwrap()
            .get(token)
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn with(&self, token: &str, f: impl FnOnce(&mut Traffic)) {
        let mut map = self.0.lock().unwrap();
        f(map.entry(token.to_owned()).or_default());
    }
}

fn token_of(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("t="))
        .map(str::to_owned)
}

/// Outermost layer of the API server: records every request and its final status.
async fn record(State(journal): State<Journal>, request: Request, next: Next) -> Response {
    let token = token_of(request.uri().query());
    let method = request.method().as_str().to_owned();
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let cookie = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(';').any(|c| c.trim() == COOKIE));
    let asked_private_network = request
        .headers()
        .contains_key("access-control-request-private-network");
    let response = next.run(request).await;
    if let Some(token) = token {
        let status = response.status().as_u16();
        let allowed_private_network = response
            .headers()
            .contains_key("access-control-allow-private-network");
        journal.with(&token, |t| {
            t.seen.push(Seen {
                method,
                preflight,
                origin,
                status,
                asked_private_network,
                allowed_private_network,
                cookie,
            })
        });
    }
    response
}

/// The application behind the CORS layer.
///
/// Query parameters steer the answer: `status=N` (default 200),
/// `acao=V` (the application sets its own `Access-Control-Allow-Origin`),
/// `redirect=URL` (answer `status` — default 302 — with `Location: URL`),
/// `cache=N` (`Cache-Control: max-age=N`, so the browser's HTTP cache keeps it).
async fn handler(
    State(journal): State<Journal>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(token) = query.get("t") {
        journal.with(token, |t| t.inner_calls += 1);
    }
    let text = |name: header::HeaderName| {
        headers.get(name).map_or_else(
            || "-".to_owned(),
            |v| String::from_utf8_lossy(v.as_bytes()).into_owned(),
        )
    };
    let body = format!(
        "method={} origin={} cookie={} authorization={}",
        method,
        text(header::ORIGIN),
        text(header::COOKIE),
        text(header::AUTHORIZATION),
    );
    let default = if query.contains_key("redirect") {
        302
    } else {
        200
    };
    let status = query
        .get("status")
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::from_u16(default).unwrap());
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert("x-request-id", HeaderValue::from_static("rid-42"));
    h.insert("x-secret", HeaderValue::from_static("hidden"));
    if let Some(location) = query.get("redirect") {
        h.insert(header::LOCATION, HeaderValue::from_str(location).unwrap());
    }
    if let Some(seconds) = query.get("cache") {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_str(&format!("max-age={seconds}")).unwrap(),
        );
    }
    if let Some(acao) = query.get("acao") {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_str(acao).unwrap(),
        );
    }
    response
}

/// An authentication layer inside the CORS layer: no valid bearer token, 401.
async fn require_bearer(request: Request, next: Next) -> Response {
    let ok = request
        .headers()
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == GOOD_TOKEN.as_bytes());
    if ok {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"api\"")],
            "unauthorized",
        )
            .into_response()
    }
}

/// The application every backend wraps: `/data`, `/private` (bearer auth) and
/// axum's default 404 for anything else.
pub(crate) fn application(journal: Journal) -> Router {
    let private = Router::new()
        .route("/private", any(handler))
        .route_layer(middleware::from_fn(require_bearer));
    Router::new()
        .route("/data", any(handler))
        .merge(private)
        .with_state(journal)
}

/// Sets the session cookie for the API host in a top-level navigation.
async fn set_cookie() -> impl IntoResponse {
    (
        [(
            header::SET_COOKIE,
            format!("{COOKIE}; Path=/; SameSite=Lax; HttpOnly"),
        )],
        Html("<!doctype html><link rel=icon href=\"data:,\"><title>cookie set</title>cookie set"),
    )
}

/// Binds a loopback listener on a free port.
pub(crate) async fn bind() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("cannot bind a loopback port");
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// Serves the API: `mounts` are (path prefix, CORS-wrapped application) pairs.
pub(crate) fn serve_api(listener: TcpListener, journal: Journal, mounts: Vec<(String, Router)>) {
    let mut router = Router::new().route("/__cookie", get(set_cookie));
    for (prefix, service) in mounts {
        router = router.nest_service(&prefix, service);
    }
    let router = router.layer(middleware::from_fn_with_state(journal, record));
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .expect("api server failed");
    });
}

/// The scenario runner page (any host name that resolves to the page server).
pub(crate) const RUNNER_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>cors runner</title></head>
<body><p>scenario runner</p>
<script>
// Runs one scenario: `spec.repeat` sequential fetches; each attempt is either
// readable (status, body, the requested headers) or blocked (the TypeError).
async function runAttempts(spec) {
  const attempts = [];
  if (spec.prime) {
    try { await fetch(spec.url, { mode: "no-cors", credentials: "same-origin" }); } catch (e) {}
  }
  for (let i = 0; i < spec.repeat; i++) {
    try {
      const r = await fetch(spec.url, spec.init);
      const body = await r.text();
      const headers = {};
      for (const name of spec.read) headers[name] = r.headers.get(name);
      attempts.push({ readable: true, status: r.status, body, headers, redirected: r.redirected });
    } catch (e) {
      attempts.push({ readable: false, error: String(e) });
    }
  }
  return attempts;
}
window.runScenario = function (spec) {
  if (!spec.sandboxed) return runAttempts(spec);
  // A sandboxed iframe without allow-same-origin has an opaque origin: its
  // fetches carry `Origin: null` (Fetch #serializing-a-request-origin).
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.sandbox = "allow-scripts";
    window.addEventListener("message", function listener(event) {
      if (event.source !== frame.contentWindow) return;
      window.removeEventListener("message", listener);
      frame.remove();
      resolve(event.data);
    });
    frame.srcdoc = "<script>(" + runAttempts.toString() + ")(" + JSON.stringify(spec)
      + ").then((r) => parent.postMessage(r, '*'));<" + "/script>";
    document.body.appendChild(frame);
  });
};
</script></body></html>"#;

/// Serves the runner page on every path.
pub(crate) fn serve_page(listener: TcpListener) {
    let router = Router::new().fallback(get(|| async { Html(RUNNER_PAGE) }));
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .expect("page server failed");
    });
}
