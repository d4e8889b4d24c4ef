//! The seed article's wrong and fixed servers, built for real by people other than this
//! project — Express 4 with the `cors` npm package, nginx in front of them, FastAPI with
//! uvicorn — each request judged by headless Chromium and by the probe: the verdict and the
//! whole console sentence must be the same, and the hints must name the right cause.
//!
//! Needs node, npm packages and a Python venv (`scripts/test-all.sh` installs them under
//! `$SEED_SERVERS_DIR`, default `target/seed-servers`), nginx (`NGINX`, default
//! `/usr/sbin/nginx`) and Chromium (`CHROMIUM`, default `chromium`):
//!
//! `cargo test -p cors-probe --test seed -- --include-ignored`
//!
//! The comparison table goes to `target/seed-crosscheck.md`.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use cors_probe::{Probe, Verdict};
use serde_json::{json, Value};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seed");

fn seed_dir() -> PathBuf {
    std::env::var_os("SEED_SERVERS_DIR").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/seed-servers"
            ))
        },
        PathBuf::from,
    )
}

fn need(path: &Path, what: &str) {
    assert!(
        path.exists(),
        "needs {what}: {} does not exist. Run scripts/test-all.sh (it installs the seed \
         servers' npm and PyPI packages under $SEED_SERVERS_DIR, default target/seed-servers)",
        path.display()
    );
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A child process, killed on drop.
struct Running(Child, &'static str);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` and waits for it to print `ready`.
fn start_until_ready(mut command: Command, what: &'static str) -> Running {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let mut running = Running(child, what);
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    if read.map_or(true, |n| n == 0) || line.trim() != "ready" {
        let status = running.0.try_wait();
        panic!("{} did not start: {line:?} {status:?}", running.1);
    }
    running
}

/// nginx with the article's `location /api/` block (wrong or fixed) in front of `upstream`.
struct Nginx {
    _child: Running,
    dir: PathBuf,
    port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nginx(fixed: bool, upstream: u16, page: &str) -> Nginx {
    let binary =
        std::env::var_os("NGINX").map_or_else(|| PathBuf::from("/usr/sbin/nginx"), PathBuf::from);
    need(&binary, "nginx (Debian nginx-light)");
    let port = free_port();
    let dir = std::env::temp_dir().join(format!(
        "cors-probe-seed-nginx-{}-{port}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let location = if fixed {
        // The article's ✅ Fixed block, with its origin replaced by the test page's.
        format!(
            r#"    location /api/ {{
      if ($request_method = 'OPTIONS') {{
        add_header Access-Control-Allow-Origin '{page}' always;
        add_header Access-Control-Allow-Methods 'GET, POST, PUT, DELETE, OPTIONS' always;
        add_header Access-Control-Allow-Headers 'Content-Type, Authorization' always;
        add_header Access-Control-Allow-Credentials 'true' always;
        add_header Access-Control-Max-Age 600 always;
        add_header Content-Length 0;
        return 204;
      }}

      add_header Access-Control-Allow-Origin '{page}' always;
      add_header Access-Control-Allow-Credentials 'true' always;
      proxy_pass http://localhost:{upstream};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}"#
        )
    } else {
        // The article's ❌ Wrong block.
        format!(
            r#"    location /api/ {{
      proxy_pass http://localhost:{upstream};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}"#
        )
    };
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\nhttp {{\n  access_log {d}/access.log;\n  \
         client_body_temp_path {d}/client_body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         server {{\n    listen 127.0.0.1:{port};\n{location}\n  }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).expect("nginx.conf");
    let child = Command::new(&binary)
        .arg("-p")
        .arg(&dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let mut child = Running(child, "nginx");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.0.try_wait() {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            panic!("nginx exited with {status}: {log}");
        }
        assert!(Instant::now() < deadline, "nginx did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    Nginx {
        _child: child,
        dir,
        port,
    }
}

/// Which page the request comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Page {
    /// `http://127.0.0.1:PAGE`: the origin the fixed servers allow.
    Allowed,
    /// `http://localhost:PAGE`: another origin.
    Other,
    /// The Express server without CORS serves the page itself.
    Same,
}

struct Case {
    id: &'static str,
    desc: &'static str,
    server: &'static str,
    path: &'static str,
    page: Page,
    method: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Option<&'static str>,
    credentials: bool,
    /// `None`: readable; `Some(kind)`: blocked with this `corsError`.
    blocked: Option<&'static str>,
    /// Substrings the hints must contain.
    hint: &'static [&'static str],
    /// Substrings the hints must not contain.
    not_hint: &'static [&'static str],
}

const fn case(id: &'static str, server: &'static str, path: &'static str) -> Case {
    Case {
        id,
        desc: "",
        server,
        path,
        page: Page::Allowed,
        method: "GET",
        headers: &[],
        body: None,
        credentials: false,
        blocked: None,
        hint: &[],
        not_hint: &[],
    }
}

const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];
const JSON_AUTH: &[(&str, &str)] = &[
    ("Content-Type", "application/json"),
    ("Authorization", "Bearer t"),
];
const AUTH: &[(&str, &str)] = &[("Authorization", "Bearer t")];
const ADA: Option<&str> = Some(r#"{"name":"ada"}"#);
/// What no hint may say about a refusal by a CORS layer.
const NOT_FOR_A_REFUSAL: &[&str] = &["exempt OPTIONS", "sits behind", "add `always`"];

fn cases() -> Vec<Case> {
    vec![
        // Express without CORS.
        Case {
            desc: "Express, no CORS: POST JSON (Express answers OPTIONS 200 by itself)",
            method: "POST",
            headers: JSON,
            body: ADA,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: &["without any CORS header"],
            ..case("m1", "express:missing", "/api/users")
        },
        Case {
            desc: "Express, no CORS: POST text (no preflight)",
            method: "POST",
            body: Some("name=ada"),
            blocked: Some("MissingAllowOriginHeader"),
            hint: &["empty or unset"],
            ..case("m2", "express:missing", "/api/users")
        },
        Case {
            desc: "Express, no CORS: the page on the API's own origin (same origin)",
            page: Page::Same,
            method: "POST",
            headers: JSON,
            body: ADA,
            ..case("m3", "express:missing", "/api/users")
        },
        Case {
            desc: "Express, no CORS: GET of a path without a route (404)",
            blocked: Some("MissingAllowOriginHeader"),
            hint: &["this 404 answer carries no CORS headers"],
            ..case("m4", "express:missing", "/api/users")
        },
        // Express with the article's fixed `cors` setup, ALLOWED_ORIGIN set.
        Case {
            desc: "Express + cors: credentialed POST JSON",
            method: "POST",
            headers: JSON,
            body: ADA,
            credentials: true,
            ..case("f1", "express:fixed", "/api/users")
        },
        Case {
            desc: "Express + cors: POST JSON with Authorization",
            method: "POST",
            headers: JSON_AUTH,
            body: ADA,
            credentials: true,
            ..case("f2", "express:fixed", "/api/users")
        },
        Case {
            desc: "Express + cors: X-Request-ID is not in allowedHeaders",
            method: "POST",
            headers: &[("Content-Type", "application/json"), ("X-Request-ID", "r1")],
            body: ADA,
            blocked: Some("HeaderDisallowedByPreflightResponse"),
            hint: &["add `x-request-id` to `Access-Control-Allow-Headers`"],
            ..case("f3", "express:fixed", "/api/users")
        },
        Case {
            desc: "Express + cors: another origin gets the configured one",
            page: Page::Other,
            method: "POST",
            headers: JSON,
            body: ADA,
            credentials: true,
            blocked: Some("PreflightAllowOriginMismatch"),
            hint: &["is the API owner's decision"],
            ..case("f4", "express:fixed", "/api/users")
        },
        Case {
            desc: "Express + cors: DELETE of a path without a route (404 with CORS headers)",
            method: "DELETE",
            credentials: true,
            ..case("f5", "express:fixed", "/api/users/1")
        },
        Case {
            desc: "Express + cors: PATCH is not in methods",
            method: "PATCH",
            headers: JSON,
            body: ADA,
            blocked: Some("MethodDisallowedByPreflightResponse"),
            ..case("f6", "express:fixed", "/api/users/1")
        },
        Case {
            desc: "Express + cors: credentialed GET of a path without a route",
            credentials: true,
            ..case("f7", "express:fixed", "/api/users")
        },
        // The same with ALLOWED_ORIGIN unset: `cors` steps aside (a falsy origin), and Express
        // answers the preflight itself, without any CORS header.
        Case {
            desc: "Express + cors, ALLOWED_ORIGIN unset: credentialed POST JSON",
            method: "POST",
            headers: JSON,
            body: ADA,
            credentials: true,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: &["without any CORS header", "empty or unset"],
            not_hint: NOT_FOR_A_REFUSAL,
            ..case("u1", "express:fixed_unset", "/api/users")
        },
        Case {
            desc: "Express + cors, ALLOWED_ORIGIN unset: a simple GET",
            blocked: Some("MissingAllowOriginHeader"),
            hint: &["empty or unset"],
            ..case("u2", "express:fixed_unset", "/api/users")
        },
        // The wildcard example.
        Case {
            desc: "Express, ACAO *: credentialed GET with Authorization",
            headers: AUTH,
            credentials: true,
            blocked: Some("PreflightWildcardOriginNotAllowed"),
            hint: &["`*` never allows a credentialed request"],
            ..case("w1", "express:wildcard", "/profile")
        },
        Case {
            desc: "Express, ACAO *: GET without credentials",
            ..case("w2", "express:wildcard", "/profile")
        },
        Case {
            desc: "Express, ACAO *: credentialed simple GET",
            credentials: true,
            blocked: Some("WildcardOriginNotAllowed"),
            ..case("w3", "express:wildcard", "/profile")
        },
        Case {
            desc: "Express, reflected allow-list: credentialed GET with Authorization",
            headers: AUTH,
            credentials: true,
            ..case("r1", "express:reflecting", "/profile")
        },
        Case {
            desc: "Express, reflected allow-list: another origin",
            page: Page::Other,
            headers: AUTH,
            credentials: true,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: &[
                "a CORS layer answered the preflight",
                "API owner's decision",
            ],
            not_hint: NOT_FOR_A_REFUSAL,
            ..case("r2", "express:reflecting", "/profile")
        },
        Case {
            desc: "Express, reflected allow-list: another origin's simple GET",
            page: Page::Other,
            credentials: true,
            blocked: Some("MissingAllowOriginHeader"),
            ..case("r3", "express:reflecting", "/profile")
        },
        Case {
            desc: "Express, reflected allow-list, ALLOWED_ORIGINS unset",
            headers: AUTH,
            credentials: true,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: &["empty or unset"],
            not_hint: NOT_FOR_A_REFUSAL,
            ..case("ru1", "express:reflecting_unset", "/profile")
        },
        // nginx in front.
        Case {
            desc: "nginx (wrong: plain proxy) → Express + cors: credentialed POST JSON",
            method: "POST",
            headers: JSON,
            body: ADA,
            credentials: true,
            ..case("nw1", "nginx:wrong>fixed", "/api/users")
        },
        Case {
            desc: "nginx (fixed) → Express + cors: both add Allow-Origin and Allow-Credentials",
            method: "POST",
            headers: JSON,
            body: ADA,
            credentials: true,
            blocked: Some("MultipleAllowOriginValues"),
            hint: &[
                "proxy_hide_header Access-Control-Allow-Origin; proxy_hide_header \
                 Access-Control-Allow-Credentials;",
            ],
            ..case("nf1", "nginx:fixed>fixed", "/api/users")
        },
        Case {
            desc: "nginx (fixed) → Express + cors: another origin",
            page: Page::Other,
            method: "POST",
            headers: JSON,
            body: ADA,
            credentials: true,
            blocked: Some("PreflightAllowOriginMismatch"),
            ..case("nf2", "nginx:fixed>fixed", "/api/users")
        },
        Case {
            desc: "nginx (fixed) → Express without CORS: credentialed POST JSON",
            method: "POST",
            headers: JSON,
            body: ADA,
            credentials: true,
            ..case("nm1", "nginx:fixed>missing", "/api/users")
        },
        Case {
            desc: "nginx (fixed) → Express without CORS: a 404 keeps the headers (`always`)",
            credentials: true,
            ..case("nm2", "nginx:fixed>missing", "/api/nothing")
        },
        Case {
            desc: "nginx (fixed) → Express without CORS: PATCH is not listed",
            method: "PATCH",
            headers: JSON,
            body: ADA,
            blocked: Some("MethodDisallowedByPreflightResponse"),
            ..case("nm3", "nginx:fixed>missing", "/api/users")
        },
        // FastAPI.
        Case {
            desc: "FastAPI, no CORSMiddleware: POST JSON (OPTIONS is 405)",
            method: "POST",
            headers: JSON,
            body: ADA,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: &["answered 405"],
            ..case("pm1", "fastapi:missing", "/api/users")
        },
        Case {
            desc: "FastAPI, no CORSMiddleware: GET",
            blocked: Some("MissingAllowOriginHeader"),
            hint: &["empty or unset"],
            ..case("pm2", "fastapi:missing", "/api/users")
        },
        Case {
            desc: "FastAPI + CORSMiddleware: credentialed POST JSON with Authorization",
            method: "POST",
            headers: JSON_AUTH,
            body: ADA,
            credentials: true,
            ..case("pf1", "fastapi:fixed", "/api/users")
        },
        Case {
            desc:
                "FastAPI + CORSMiddleware: another origin's preflight (400 Disallowed CORS origin)",
            page: Page::Other,
            method: "POST",
            headers: JSON,
            body: ADA,
            credentials: true,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: &[
                "Starlette's CORSMiddleware (FastAPI) refused this request on purpose (its \
                 answer says \"Disallowed CORS origin\")",
                "whoever owns the server's CORS policy",
            ],
            not_hint: NOT_FOR_A_REFUSAL,
            ..case("pf2", "fastapi:fixed", "/api/users")
        },
        Case {
            desc: "FastAPI + CORSMiddleware: another origin's simple GET",
            page: Page::Other,
            blocked: Some("MissingAllowOriginHeader"),
            ..case("pf3", "fastapi:fixed", "/api/users")
        },
        Case {
            desc: "FastAPI + CORSMiddleware: a body failing validation (422, readable)",
            method: "POST",
            headers: JSON,
            body: Some("{}"),
            ..case("pf4", "fastapi:fixed", "/api/users")
        },
        Case {
            desc: "FastAPI, auth middleware in front of CORSMiddleware: the preflight gets 401",
            method: "POST",
            headers: JSON_AUTH,
            body: ADA,
            credentials: true,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: &["CORS sits behind authentication"],
            ..case("pa1", "fastapi:auth_first", "/api/users")
        },
    ]
}

/// The test page: runs its cases one after the other and writes the results into the page.
fn page_html(cases: &[Value]) -> String {
    format!(
        r#"<!doctype html><title>running</title><pre id="out"></pre><script>
const cases = {};
(async () => {{
  const results = [];
  for (const c of cases) {{
    const init = {{ method: c.method, headers: c.headers, credentials: c.credentials ? 'include' : 'same-origin' }};
    if (c.body !== null) init.body = c.body;
    try {{
      const r = await fetch(c.url, init);
      await r.text();
      results.push({{ id: c.id, readable: true, status: r.status }});
    }} catch (e) {{
      results.push({{ id: c.id, readable: false, error: String(e) }});
    }}
  }}
  document.getElementById('out').textContent = JSON.stringify(results);
  document.title = 'done';
}})();
</script>"#,
        Value::Array(cases.to_vec())
    )
}

/// What Chromium did with one case.
#[derive(Debug, Default, Clone)]
struct Seen {
    readable: bool,
    status: Option<u64>,
    sentence: Option<String>,
}

/// Loads `url` in headless Chromium; the results by case id, with the console sentences.
async fn chromium(url: &str, scratch: &Path) -> BTreeMap<String, Seen> {
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_owned());
    let profile = tempfile::tempdir_in(scratch).expect("profile directory");
    let run = tokio::process::Command::new(&binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=60000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap_or_else(|_| panic!("Chromium did not finish {url} in 120 s"))
        .unwrap_or_else(|e| panic!("needs Chromium: cannot run {binary:?}: {e}"));
    let dom = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        dom.contains("<title>done</title>"),
        "Chromium did not finish the page {url}:\n{dom}\n{stderr}"
    );
    let json = dom
        .split("<pre id=\"out\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or("")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let results: Vec<Value> = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let mut seen = BTreeMap::new();
    for r in results {
        let id = r["id"].as_str().unwrap_or_default().to_owned();
        seen.insert(
            id,
            Seen {
                readable: r["readable"].as_bool().unwrap_or(false),
                status: r["status"].as_u64(),
                sentence: None,
            },
        );
    }
    // `[…:INFO:CONSOLE:0] "Access to fetch at '…?case=ID' …", source: … (0)`
    for line in stderr.lines() {
        let Some(start) = line.find("\"Access to fetch at '") else {
            continue;
        };
        let Some(end) = line.rfind("\", source: ") else {
            continue;
        };
        let sentence = &line[start + 1..end];
        let Some(id) = sentence
            .split("?case=")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
        else {
            continue;
        };
        if let Some(s) = seen.get_mut(id) {
            s.sentence = Some(sentence.to_owned());
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node, npm packages, a Python venv, nginx and Chromium (scripts/test-all.sh installs them; run with --include-ignored)"]
async fn the_probe_agrees_with_chromium_on_the_seed_articles_servers() {
    let dir = seed_dir();
    let node_modules = dir.join("node/node_modules");
    let python = dir.join("venv/bin/python");
    need(&node_modules.join("express"), "Express 4 (npm)");
    need(&node_modules.join("cors"), "cors (npm)");
    need(&python, "the Python venv with FastAPI");
    let scratch = tempfile::tempdir().expect("scratch");

    // The page server: 127.0.0.1:PAGE (allowed) and localhost:PAGE (another origin).
    let pages: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let page_port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let app = Router::new()
            .route(
                "/run/{name}",
                get(
                    |State(pages): State<Arc<Mutex<BTreeMap<String, String>>>>,
                     UrlPath(name): UrlPath<String>| async move {
                        Html(
                            pages
                                .lock()
                                .expect("lock")
                                .get(&name)
                                .cloned()
                                .unwrap_or_default(),
                        )
                    },
                ),
            )
            .with_state(pages.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        port
    };
    let allowed = format!("http://127.0.0.1:{page_port}");
    let other = format!("http://localhost:{page_port}");

    // The servers.
    let mut ports = BTreeMap::new();
    for name in [
        "express:missing",
        "express:fixed",
        "express:fixed_unset",
        "express:wildcard",
        "express:reflecting",
        "express:reflecting_unset",
        "fastapi:missing",
        "fastapi:fixed",
        "fastapi:auth_first",
    ] {
        ports.insert(name, free_port());
    }
    let group = |prefix: &str| -> String {
        let map: serde_json::Map<String, Value> = ports
            .iter()
            .filter_map(|(name, port)| {
                name.strip_prefix(prefix)
                    .map(|n| (n.to_owned(), json!(port)))
            })
            .collect();
        Value::Object(map).to_string()
    };
    let same_page = scratch.path().join("same.html");
    let mut node = Command::new("node");
    node.arg(format!("{SEED}/express-servers.js"))
        .env("NODE_PATH", &node_modules)
        .env("PORTS", group("express:"))
        .env("PAGE_ORIGIN", &allowed)
        .env("PAGE_FILE", &same_page);
    let mut py = Command::new(&python);
    py.arg(format!("{SEED}/fastapi_servers.py"))
        .env("PORTS", group("fastapi:"))
        .env("PAGE_ORIGIN", &allowed);
    let table = cases();
    // The same-origin page must exist before the server serves it.
    let url_of =
        |case: &Case, port: u16| format!("http://127.0.0.1:{port}{}?case={}", case.path, case.id);
    let _node = start_until_ready(node, "node express-servers.js");
    let _python = start_until_ready(py, "python fastapi_servers.py");
    let nginx_wrong_fixed = nginx(false, ports["express:fixed"], &allowed);
    let nginx_fixed_fixed = nginx(true, ports["express:fixed"], &allowed);
    let nginx_fixed_missing = nginx(true, ports["express:missing"], &allowed);
    let port_of = |server: &str| -> u16 {
        match server {
            "nginx:wrong>fixed" => nginx_wrong_fixed.port,
            "nginx:fixed>fixed" => nginx_fixed_fixed.port,
            "nginx:fixed>missing" => nginx_fixed_missing.port,
            other => ports[other],
        }
    };

    // Chromium, one page per origin.
    let mut by_page: BTreeMap<Page, Vec<Value>> = BTreeMap::new();
    for case in &table {
        let headers: serde_json::Map<String, Value> = case
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), json!(v)))
            .collect();
        by_page.entry(case.page).or_default().push(json!({
            "id": case.id,
            "url": url_of(case, port_of(case.server)),
            "method": case.method,
            "headers": headers,
            "body": case.body,
            "credentials": case.credentials,
        }));
    }
    let mut chrome = BTreeMap::new();
    for (page, list) in &by_page {
        let html = page_html(list);
        let url = match page {
            Page::Allowed => {
                pages
                    .lock()
                    .expect("lock")
                    .insert("allowed".to_owned(), html);
                format!("{allowed}/run/allowed")
            }
            Page::Other => {
                pages.lock().expect("lock").insert("other".to_owned(), html);
                format!("{other}/run/other")
            }
            Page::Same => {
                std::fs::write(&same_page, html).expect("same-origin page");
                format!("http://127.0.0.1:{}/__page", ports["express:missing"])
            }
        };
        chrome.extend(chromium(&url, scratch.path()).await);
    }

    // The probe, and the comparison.
    let mut report =
        String::from("| case | server | Chromium | cors-probe | |\n|---|---|---|---|---|\n");
    let mut failures = Vec::new();
    let mut sentences = 0;
    for case in &table {
        let port = port_of(case.server);
        let url = url_of(case, port);
        let origin = match case.page {
            Page::Allowed => allowed.clone(),
            Page::Other => other.clone(),
            Page::Same => format!("http://127.0.0.1:{port}"),
        };
        let mut probe = Probe::new(&url, &origin);
        probe.method = case.method.to_owned();
        probe.headers = case
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        probe.body = case.body.map(|b| b.as_bytes().to_vec());
        probe.credentials = case.credentials;
        probe.send = true;
        let got = cors_probe::run(&probe).await;
        let seen = chrome.get(case.id).cloned().unwrap_or_default();
        let mut fail = |m: String| failures.push(format!("{} ({}): {m}", case.id, case.desc));

        let probe_readable = got.verdict == Some(Verdict::Allowed);
        if got.error.is_some() {
            fail(format!("probe error {:?}", got.error));
        }
        if seen.readable != probe_readable {
            fail(format!(
                "Chromium {} (status {:?}), cors-probe {:?}",
                if seen.readable { "readable" } else { "blocked" },
                seen.status,
                got.verdict
            ));
        }
        if !seen.readable {
            sentences += 1;
            if seen.sentence.is_none() || seen.sentence != got.console {
                fail(format!(
                    "console sentences differ:\n      Chromium:   {:?}\n      cors-probe: {:?}",
                    seen.sentence, got.console
                ));
            }
        }
        // The case's own expectation, so that agreeing on something unexpected fails too.
        let kind = got.diagnosis.as_ref().map(|d| d.cors_error);
        if kind != case.blocked {
            fail(format!(
                "expected {:?}, cors-probe says {kind:?}",
                case.blocked
            ));
        }
        let hints = got.hints.join("\n");
        for needle in case.hint {
            if !hints.contains(needle) {
                fail(format!("hints lack {needle:?}:\n{hints}"));
            }
        }
        for needle in case.not_hint {
            if hints.contains(needle) {
                fail(format!("hints say {needle:?}:\n{hints}"));
            }
        }
        if case.page == Page::Same && !got.same_origin {
            fail("not reported as same-origin".to_owned());
        }
        let _ = writeln!(
            report,
            "| {} {} | {} | {} | {} | {} |",
            case.id,
            case.desc,
            case.server,
            seen.sentence.as_deref().map_or_else(
                || format!("readable {}", seen.status.unwrap_or(0)),
                |s| s.split("CORS policy: ").nth(1).unwrap_or(s).to_owned()
            ),
            got.console.as_deref().map_or_else(
                || got.verdict.map_or("error", Verdict::as_str).to_owned(),
                |s| s.split("CORS policy: ").nth(1).unwrap_or(s).to_owned()
            ),
            if seen.readable == probe_readable && seen.sentence == got.console {
                "="
            } else {
                "DIFFERENT"
            }
        );
    }
    let _ = writeln!(
        report,
        "\n{} cases, {sentences} blocked with sentences compared, {} failure(s).",
        table.len(),
        failures.len()
    );
    let _ = std::fs::write(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/seed-crosscheck.md"),
        &report,
    );
    eprintln!("{report}");
    assert!(sentences >= 15, "only {sentences} blocked cases");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
#[ignore = "needs node and the npm packages (scripts/test-all.sh installs them; run with --include-ignored)"]
fn express_5_rejects_the_articles_app_options_star() {
    let node_modules = seed_dir().join("node/node_modules");
    need(
        &node_modules.join("express5"),
        "Express 5 (npm, as express5)",
    );
    let output = Command::new("node")
        .arg("-e")
        .arg(
            "const express = require('express5'); const cors = require('cors'); \
             const app = express(); \
             try { app.options('*', cors()); console.log('accepted'); } \
             catch (e) { console.log('rejected: ' + e.message); }",
        )
        .env("NODE_PATH", &node_modules)
        .output()
        .unwrap_or_else(|e| panic!("needs node: {e}"));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.starts_with("rejected: Missing parameter name at index 1: *"),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
