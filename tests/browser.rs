//! Real-browser conformance suite: headless Chromium driven through
//! ChromeDriver runs every scenario of `browser/scenarios.rs` against
//! tower-cors (asserted) and tower-http's `CorsLayer` (recorded side by side
//! in `target/browser-comparison.md`).
//!
//! Run with `cargo test --test browser -- --include-ignored`; needs the Debian
//! packages `chromium` and `chromium-driver` (or `CHROMIUM` / `CHROMEDRIVER`).

#[path = "browser/backends.rs"]
mod backends;
/// The demo's servers, shared with `cargo run --example demo`.
#[path = "../examples/demo/app.rs"]
mod demo;
#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/probe_crosscheck.rs"]
mod probe_crosscheck;
#[path = "browser/scenarios.rs"]
mod scenarios;
#[path = "browser/servers.rs"]
mod servers;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use backends::{Backend, Ports};
use harness::{Browser, Logs};
use scenarios::{Outcome, Request, Scenario};
use servers::{Journal, Traffic};

fn target_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target directory")
        .to_path_buf()
}

/// One `fetch()` as the page saw it.
#[derive(Debug)]
enum Attempt {
    Readable {
        status: u16,
        body: String,
        headers: BTreeMap<String, Option<String>>,
        redirected: bool,
    },
    Blocked {
        error: String,
    },
}

/// Everything observed for one (backend, scenario) run.
#[derive(Debug)]
struct Observed {
    attempts: Vec<Attempt>,
    /// CDP `corsErrorStatus` (code, failed parameter).
    cors_error: Option<(String, Option<String>)>,
    console: Option<String>,
    traffic: Traffic,
}

impl Observed {
    /// A one-cell summary for the comparison table.
    fn summary(&self, scenario: &Scenario) -> String {
        let mut parts: Vec<String> = Vec::new();
        for attempt in &self.attempts {
            let text = match attempt {
                Attempt::Readable { status, .. } => format!("readable {status}"),
                Attempt::Blocked { .. } => match &self.cors_error {
                    Some((code, Some(parameter))) if !parameter.is_empty() => {
                        format!("blocked: `{code}` ({parameter})")
                    }
                    Some((code, _)) => format!("blocked: `{code}`"),
                    None => "blocked (no corsError reported)".to_owned(),
                },
            };
            if parts.last() != Some(&text) {
                parts.push(text);
            }
        }
        let mut cell = parts.join(", then ");
        if scenario.expected.preflights.is_some() || self.traffic.preflights() > 0 {
            let _ = write!(cell, "; {} preflight(s)", self.traffic.preflights());
        }
        if scenario.expected.inner_calls.is_some() {
            let _ = write!(cell, "; app called {}×", self.traffic.inner_calls);
        }
        cell
    }
}

fn token(backend: Backend, index: usize) -> String {
    format!("{}-{index:03}", backend.slug())
}

/// The URL the page fetches, with the token that keys logs and traffic.
fn url_for(backend: Backend, index: usize, request: &Request, ports: Ports) -> String {
    let token = token(backend, index);
    let prefix = format!("/{}/{index:03}", backend.slug());
    let mut url = format!(
        "{}{prefix}{}?t={token}",
        ports.fill(request.api),
        request.path
    );
    if !request.query.is_empty() {
        url.push('&');
        url.push_str(&ports.fill(request.query));
    }
    if let Some(redirect) = request.redirect {
        let target = format!(
            "{}{prefix}{}?t={token}&hop=2",
            ports.fill(redirect.to),
            redirect.path
        );
        let _ = write!(
            url,
            "&status={}&redirect={}",
            redirect.status,
            percent_encode(&target)
        );
    }
    url
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn spec_for(url: &str, request: &Request) -> Value {
    let headers: serde_json::Map<String, Value> = request
        .headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect();
    let mut init = json!({
        "method": request.method,
        "headers": headers,
        "credentials": request.credentials.as_str(),
        "mode": "cors",
    });
    if let Some(body) = request.body {
        init["body"] = Value::String(body.to_owned());
    }
    json!({
        "url": url,
        "init": init,
        "repeat": request.repeat,
        "read": request.read,
        "prime": request.prime_without_origin,
        "sandboxed": request.sandboxed,
    })
}

fn parse_attempts(value: &Value, desc: &str) -> Vec<Attempt> {
    let Some(list) = value.as_array() else {
        panic!("{desc}: the runner returned {value}");
    };
    list.iter()
        .map(|a| {
            if a["readable"].as_bool() == Some(true) {
                let headers = a["headers"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
                            .collect()
                    })
                    .unwrap_or_default();
                Attempt::Readable {
                    status: a["status"].as_u64().unwrap_or(0) as u16,
                    body: a["body"].as_str().unwrap_or_default().to_owned(),
                    headers,
                    redirected: a["redirected"].as_bool().unwrap_or(false),
                }
            } else {
                Attempt::Blocked {
                    error: a["error"].as_str().unwrap_or_default().to_owned(),
                }
            }
        })
        .collect()
}

/// Runs every scenario against `backend`, navigating only when the page origin changes.
async fn run_backend(
    browser: &Browser,
    backend: Backend,
    table: &[Scenario],
    ports: Ports,
) -> Vec<Vec<Attempt>> {
    let mut current_page = String::new();
    let mut all = Vec::with_capacity(table.len());
    for (index, scenario) in table.iter().enumerate() {
        let page = ports.fill(scenario.request.page);
        if page != current_page {
            browser.open(&format!("{page}/runner")).await;
            current_page = page;
        }
        let url = url_for(backend, index, &scenario.request, ports);
        let result = browser
            .run_async(
                "const [spec, done] = arguments; \
                 window.runScenario(spec).then(done, e => done(String(e)));",
                vec![spec_for(&url, &scenario.request)],
            )
            .await;
        all.push(parse_attempts(&result, scenario.desc));
    }
    all
}

/// Drains the logs until every blocked run has its CDP error and console line.
async fn collect_logs(browser: &Browser, needles: &[String]) -> Logs {
    let mut logs = Logs::default();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        logs.merge(browser.drain_logs().await);
        let complete = needles
            .iter()
            .all(|n| logs.cors_error(n).is_some() && logs.console_block(n).is_some());
        if complete || Instant::now() > deadline {
            return logs;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks one tower-cors run against the table; returns the failures.
fn check(scenario: &Scenario, observed: &Observed, ports: Ports) -> Vec<String> {
    let desc = scenario.desc;
    let expected = &scenario.expected;
    let mut failures = Vec::new();
    let mut fail = |msg: String| failures.push(format!("{desc}: {msg}"));

    for (i, attempt) in observed.attempts.iter().enumerate() {
        match (expected.outcome, attempt) {
            (
                Outcome::Readable(want),
                Attempt::Readable {
                    status,
                    body,
                    headers,
                    redirected,
                },
            ) => {
                if *status != want {
                    fail(format!("attempt {i}: expected status {want}, got {status}"));
                }
                for needle in expected.body_has {
                    let needle = ports.fill(needle);
                    if !body.contains(&needle) {
                        fail(format!("attempt {i}: body lacks {needle:?}: {body:?}"));
                    }
                }
                for (name, want) in expected.headers {
                    let got = headers.get(*name).cloned().flatten();
                    if got.as_deref() != *want {
                        fail(format!(
                            "attempt {i}: header {name}: expected {want:?}, got {got:?}"
                        ));
                    }
                }
                if let Some(want) = expected.redirected {
                    if *redirected != want {
                        fail(format!("attempt {i}: expected redirected={want}"));
                    }
                }
            }
            (Outcome::Readable(want), Attempt::Blocked { error }) => fail(format!(
                "attempt {i}: expected readable {want}, but the browser blocked it ({error}); \
                 corsError {:?}; console {:?}",
                observed.cors_error, observed.console
            )),
            (Outcome::Blocked(want), Attempt::Readable { status, .. }) => fail(format!(
                "attempt {i}: expected blocked ({want}), but the page read status {status}"
            )),
            (Outcome::Blocked(want), Attempt::Blocked { .. }) => {
                match &observed.cors_error {
                    Some((code, parameter)) => {
                        if code != want {
                            fail(format!("expected corsError {want}, Chrome reported {code}"));
                        }
                        if let Some(param) = expected.failed_parameter {
                            if parameter.as_deref() != Some(param) {
                                fail(format!(
                                    "expected failedParameter {param:?}, got {parameter:?}"
                                ));
                            }
                        }
                    }
                    None => fail(format!("expected corsError {want}, Chrome reported none")),
                }
                let phrase = scenarios::console_phrase(want)
                    .unwrap_or_else(|| panic!("{desc}: no console phrase known for {want}"));
                match &observed.console {
                    Some(line) if line.contains(phrase) => {}
                    other => fail(format!("console should say {phrase:?}, got {other:?}")),
                }
                if want.starts_with("Preflight")
                    && !observed.console.as_deref().is_some_and(|l| {
                        l.contains(
                            "Response to preflight request doesn't pass access control check",
                        )
                    })
                {
                    fail("console should name the preflight".to_owned());
                }
            }
        }
    }
    let attempts = observed.attempts.len();
    if attempts != usize::from(scenario.request.repeat) {
        fail(format!(
            "expected {} attempts, got {attempts}",
            scenario.request.repeat
        ));
    }
    let traffic = &observed.traffic;
    if let Some(want) = expected.preflights {
        if traffic.preflights() != want {
            fail(format!(
                "expected {want} preflight(s), the server received {}: {:?}",
                traffic.preflights(),
                traffic.seen
            ));
        }
    }
    if let Some(want) = expected.inner_calls {
        if traffic.inner_calls != want {
            fail(format!(
                "expected the application to be called {want}×, it was called {}×",
                traffic.inner_calls
            ));
        }
    }
    if let Some(want) = expected.server_status {
        let last = traffic.seen.iter().rev().find(|s| !s.preflight);
        if last.map(|s| s.status) != Some(want) {
            let got = last.map(|s| format!("{} answered {}", s.method, s.status));
            fail(format!("expected the server to answer {want}, got {got:?}"));
        }
    }
    if let Some(want) = expected.last_origin {
        let want = ports.fill(want);
        let got = traffic.seen.last().and_then(|s| s.origin.clone());
        if got.as_deref() != Some(want.as_str()) {
            fail(format!(
                "expected the last Origin {want:?}, the server saw {got:?}"
            ));
        }
    }
    failures
}

fn comparison_table(
    table: &[Scenario],
    results: &BTreeMap<(usize, Backend), Observed>,
    chrome: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- generated by `cargo test --test browser -- --include-ignored`; do not edit by hand -->\n"
    );
    let _ = writeln!(
        out,
        "Browser: {chrome}, headless, driven through ChromeDriver. \
         Each cell is what the page could see (readable status, or blocked and \
         Chrome's CDP `corsError`), plus what the server received.\n"
    );
    let _ = writeln!(
        out,
        "| # | Scenario | {} | {} | Why they differ |",
        Backend::TowerCors.name(),
        Backend::TowerHttp.name()
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    let mut differing = 0;
    for (index, scenario) in table.iter().enumerate() {
        let ours = results[&(index, Backend::TowerCors)].summary(scenario);
        let theirs = results[&(index, Backend::TowerHttp)].summary(scenario);
        let why = if ours == theirs {
            "—".to_owned()
        } else {
            differing += 1;
            if scenario.tower_http_note.is_empty() {
                "(not explained)".to_owned()
            } else {
                scenario
                    .tower_http_note
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {ours} | {theirs} | {why} |",
            index + 1,
            scenario.desc
        );
    }
    let _ = writeln!(
        out,
        "\n{} scenarios; the two middlewares differ in {differing}.",
        table.len()
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and ChromeDriver (run with --include-ignored)"]
async fn chromium_conformance_and_tower_http_comparison() {
    let started = Instant::now();
    let table = scenarios::table();
    assert!(
        table.len() >= 40,
        "the suite must keep at least 40 scenarios"
    );

    let journal = Journal::default();
    let (page_listener, page) = servers::bind().await;
    let (api_listener, api) = servers::bind().await;
    let ports = Ports { page, api };
    let mut mounts = Vec::new();
    for backend in Backend::ALL {
        for (index, scenario) in table.iter().enumerate() {
            let prefix = format!("/{}/{index:03}", backend.slug());
            mounts.push((
                prefix,
                backend.wrap(&scenario.policy, ports, journal.clone()),
            ));
        }
    }
    servers::serve_api(api_listener, journal.clone(), mounts);
    servers::serve_page(page_listener);

    let browser = Browser::launch(&target_dir().join("tmp")).await;
    let chrome = browser.version();
    // The session cookie for the API host, set first-party.
    browser
        .open(&format!("http://127.0.0.1:{api}/__cookie"))
        .await;

    let mut attempts = BTreeMap::new();
    for backend in Backend::ALL {
        for (index, runs) in run_backend(&browser, backend, &table, ports)
            .await
            .into_iter()
            .enumerate()
        {
            attempts.insert((index, backend), runs);
        }
    }
    let needles: Vec<String> = attempts
        .iter()
        .filter(|(_, runs)| runs.iter().any(|a| matches!(a, Attempt::Blocked { .. })))
        .map(|((index, backend), _)| format!("t={}", token(*backend, *index)))
        .collect();
    let logs = collect_logs(&browser, &needles).await;
    browser.close().await;

    let mut results = BTreeMap::new();
    for ((index, backend), runs) in attempts {
        let needle = format!("t={}", token(backend, index));
        let observed = Observed {
            attempts: runs,
            cors_error: logs.cors_error(&needle),
            console: logs.console_block(&needle).map(str::to_owned),
            traffic: journal.traffic(&token(backend, index)),
        };
        results.insert((index, backend), observed);
    }

    let report = comparison_table(&table, &results, &chrome);
    let report_path = target_dir().join("browser-comparison.md");
    std::fs::write(&report_path, &report)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", report_path.display()));

    let mut failures = Vec::new();
    for (index, scenario) in table.iter().enumerate() {
        let observed = &results[&(index, Backend::TowerCors)];
        failures.extend(check(scenario, observed, ports));
    }
    eprintln!(
        "{} scenarios × {} backends in {:.1?}; comparison written to {}",
        table.len(),
        Backend::ALL.len(),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and ChromeDriver (run with --include-ignored)"]
async fn demo_page_runs_every_scenario_in_chromium() {
    let (page, _) = servers::bind().await;
    let (api, _) = servers::bind().await;
    let running = demo::start(page, api);
    let browser = Browser::launch(&target_dir().join("tmp")).await;
    browser.open(&running.page_url).await;

    // The page runs its scenarios one after the other, then sets window.demoResults.
    let deadline = Instant::now() + Duration::from_secs(60);
    let results = loop {
        let value = browser
            .client()
            .execute("return window.demoResults || null;", vec![])
            .await
            .unwrap_or_else(|e| panic!("cannot read the demo's results: {e}"));
        if !value.is_null() {
            break value;
        }
        assert!(
            Instant::now() < deadline,
            "the demo page did not finish its scenarios within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Grow the window to the whole page so the screenshot shows every row.
    let height = browser
        .client()
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .ok()
        .and_then(|h| h.as_u64())
        .unwrap_or(1000);
    let height = u32::try_from(height).unwrap_or(1000).clamp(600, 4000) + 160;
    let _ = browser.client().set_window_size(1280, height).await;
    let screenshot = target_dir().join("demo-screenshot.png");
    browser.screenshot(&screenshot).await;
    let page_text = browser
        .client()
        .execute("return document.body.innerText;", vec![])
        .await
        .unwrap_or_else(|e| panic!("cannot read the demo page: {e}"));
    let summary = browser
        .client()
        .execute(
            "return document.getElementById('summary').textContent;",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("cannot read the demo's summary: {e}"));
    browser.close().await;

    let results = results.as_array().expect("demoResults is an array");
    assert_eq!(
        results.len(),
        demo::SCENARIOS.len(),
        "the page ran {} of {} scenarios",
        results.len(),
        demo::SCENARIOS.len()
    );
    let mut failures = Vec::new();
    for (scenario, got) in demo::SCENARIOS.iter().zip(results) {
        let desc = scenario.name;
        let result = &got["result"];
        let readable = result["readable"].as_bool() == Some(true);
        let status = result["status"].as_u64().map(|s| s as u16);
        match scenario.expect_status {
            Some(want) if !readable => failures.push(format!(
                "{desc}: expected readable {want}, the browser blocked it ({})",
                result["error"]
            )),
            Some(want) if status != Some(want) => {
                failures.push(format!("{desc}: expected status {want}, got {status:?}"));
            }
            None if readable => failures.push(format!(
                "{desc}: expected blocked, the page read status {status:?}"
            )),
            _ => {}
        }
        if let Some(needle) = scenario.expect_body {
            let body = result["body"].as_str().unwrap_or_default();
            if !body.contains(needle) {
                failures.push(format!("{desc}: body lacks {needle:?}: {body:?}"));
            }
        }
        let decisions: Vec<&str> = got["decisions"]
            .as_array()
            .map(|d| d.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !decisions
            .iter()
            .any(|d| d.contains(scenario.expect_decision))
        {
            failures.push(format!(
                "{desc}: the server should have recorded {:?}, it recorded {decisions:?}",
                scenario.expect_decision
            ));
        }
        if got["pass"].as_bool() != Some(true) {
            failures.push(format!("{desc}: the page shows this row as failed"));
        }
    }
    let want_summary = format!(
        "{0} of {0} scenarios behaved as expected",
        demo::SCENARIOS.len()
    );
    if summary.as_str() != Some(want_summary.as_str()) {
        failures.push(format!(
            "page summary: expected {want_summary:?}, got {summary}"
        ));
    }
    if !page_text
        .as_str()
        .is_some_and(|t| t.contains(&running.api_origin))
    {
        failures.push(format!(
            "the page should name the api origin {}",
            running.api_origin
        ));
    }
    let png = std::fs::read(&screenshot).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG"),
        "no screenshot at {}",
        screenshot.display()
    );
    assert!(
        failures.is_empty(),
        "{} demo expectation(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
