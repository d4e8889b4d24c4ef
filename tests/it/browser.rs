//! Real-browser conformance suite: every scenario of `browser/scenarios.rs`
//! runs in Chromium, Firefox and WebKit (one engine abstraction,
//! `browser/harness.rs`), against tower-cors (asserted: what the page saw and
//! what the server received, in every engine) and tower-http's `CorsLayer`
//! (recorded side by side in `target/browser-comparison.md`, the source of
//! `docs/comparison.md`).
//!
//! Run everything with `scripts/test-all.sh` (installs what is missing), or
//! `cargo test --test it browser:: -- --include-ignored` once the browsers and
//! drivers are installed. `CORS_ENGINES=firefox` (comma-separated) runs a
//! subset while iterating; the comparison is only written when all three ran.

#[path = "browser/backends.rs"]
mod backends;
/// Multi-step scenarios: reloaded and per-path policies, WebSockets, same-origin pages.
#[path = "browser/flows.rs"]
mod flows;
/// gRPC-web from a page in Chromium, through `tonic_web` inside the layer.
#[path = "browser/grpc_web.rs"]
mod grpc_web;
#[path = "browser/harness.rs"]
mod harness;
/// Private Network Access / Local Network Access in every engine.
#[path = "browser/local_network.rs"]
mod local_network;
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
// The demo's servers, shared with `cargo run -p tower-cors-demo`.
use tower_cors_demo as demo;

use backends::{Backend, Ports};
use harness::{Browser, Engine, Logs, ReasonSource};
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

/// Why the engine blocked a request, as far as it tells.
#[derive(Debug, Default)]
struct Reason {
    /// Chromium: CDP `corsErrorStatus` (code, failed parameter).
    cors_error: Option<(String, Option<String>)>,
    /// Chromium's console line, or Firefox's (over BiDi).
    console: Option<String>,
}

/// Everything observed for one (engine, backend, scenario) run.
#[derive(Debug)]
struct Observed {
    attempts: Vec<Attempt>,
    reason: Reason,
    traffic: Traffic,
}

/// The `(Reason: …)` part of Firefox's "Cross-Origin Request Blocked" line.
fn firefox_reason(line: &str) -> Option<&str> {
    let start = line.find("(Reason: ")? + "(Reason: ".len();
    let rest = &line[start..];
    Some(rest.find(')').map_or(rest, |end| &rest[..end]))
}

impl Observed {
    /// What the page saw and the server received, in terms every engine shares.
    fn neutral(&self, scenario: &Scenario) -> String {
        self.cell(scenario, false)
    }

    /// One cell of the comparison: `neutral` plus the engine's reason.
    fn summary(&self, scenario: &Scenario) -> String {
        self.cell(scenario, true)
    }

    fn cell(&self, scenario: &Scenario, with_reason: bool) -> String {
        let mut cell = self.page_only(with_reason);
        let expected = &scenario.expected;
        if expected.preflights.is_some() || self.traffic.preflights() > 0 {
            let _ = write!(cell, "; {} preflight(s)", self.traffic.preflights());
        }
        if expected.inner_calls.is_some() {
            let _ = write!(cell, "; app called {}×", self.traffic.inner_calls);
        }
        cell
    }

    /// What the page saw, without the server's counts.
    fn page_only(&self, with_reason: bool) -> String {
        let mut parts: Vec<String> = Vec::new();
        for attempt in &self.attempts {
            let text = match attempt {
                Attempt::Readable { status, .. } => format!("readable {status}"),
                Attempt::Blocked { .. } if !with_reason => "blocked".to_owned(),
                Attempt::Blocked { .. } => match (&self.reason.cors_error, &self.reason.console) {
                    (Some((code, Some(parameter))), _) if !parameter.is_empty() => {
                        format!("blocked: `{code}` ({parameter})")
                    }
                    (Some((code, _)), _) => format!("blocked: `{code}`"),
                    (None, Some(line)) => match firefox_reason(line) {
                        Some(reason) => format!("blocked: {reason}"),
                        None => "blocked".to_owned(),
                    },
                    (None, None) => "blocked".to_owned(),
                },
            };
            if parts.last() != Some(&text) {
                parts.push(text);
            }
        }
        parts.join(", then ")
    }
}

fn token(engine: Engine, backend: Backend, index: usize) -> String {
    format!("{}-{}-{index:03}", engine.slug(), backend.slug())
}

/// The URL the page fetches, with the token that keys logs and traffic.
fn url_for(
    engine: Engine,
    backend: Backend,
    index: usize,
    request: &Request,
    ports: Ports,
) -> String {
    let token = token(engine, backend, index);
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
    let engine = browser.engine();
    let mut current_page = String::new();
    let mut all = Vec::with_capacity(table.len());
    for (index, scenario) in table.iter().enumerate() {
        let page = ports.fill(scenario.request.page);
        if page != current_page {
            browser.open(&format!("{page}/runner")).await;
            current_page = page;
        }
        let url = url_for(engine, backend, index, &scenario.request, ports);
        let result = browser
            .run_async(
                "const [spec, done] = arguments; \
                 window.runScenario(spec).then(done, e => done(String(e)));",
                vec![spec_for(&url, &scenario.request)],
            )
            .await;
        all.push(parse_attempts(
            &result,
            &format!("{}: {}", engine.name(), scenario.desc),
        ));
    }
    all
}

/// Drains the logs until every blocked run has its reason (where the engine tells).
async fn collect_logs(browser: &Browser, needles: &[String]) -> Logs {
    let mut logs = Logs::default();
    let source = browser.engine().reason_source();
    if source == ReasonSource::None {
        return logs;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        logs.merge(browser.drain_logs().await);
        let complete = needles.iter().all(|n| {
            logs.console_block(n).is_some()
                && (source != ReasonSource::ChromeDevTools || logs.cors_error(n).is_some())
        });
        if complete || Instant::now() > deadline {
            return logs;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One engine's run of the whole table against both backends.
struct EngineRun {
    engine: Engine,
    version: String,
    results: BTreeMap<(usize, Backend), Observed>,
    elapsed: Duration,
}

async fn run_engine(
    engine: Engine,
    table: &[Scenario],
    ports: Ports,
    journal: Journal,
) -> EngineRun {
    let started = Instant::now();
    let browser = Browser::launch(engine, &target_dir().join("tmp")).await;
    let version = browser.version();
    // The session cookie for each API host, set first-party.
    for host in scenarios::COOKIE_HOSTS {
        browser
            .open(&format!("{}/__cookie", ports.fill(host)))
            .await;
    }
    let mut attempts = BTreeMap::new();
    for backend in Backend::ALL {
        for (index, runs) in run_backend(&browser, backend, table, ports)
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
        .map(|((index, backend), _)| format!("t={}", token(engine, *backend, *index)))
        .collect();
    let logs = collect_logs(&browser, &needles).await;
    browser.close().await;

    let mut results = BTreeMap::new();
    for ((index, backend), runs) in attempts {
        let token = token(engine, backend, index);
        let needle = format!("t={token}");
        let observed = Observed {
            attempts: runs,
            reason: Reason {
                cors_error: logs.cors_error(&needle),
                console: logs.console_block(&needle).map(str::to_owned),
            },
            traffic: journal.traffic(&token),
        };
        results.insert((index, backend), observed);
    }
    EngineRun {
        engine,
        version,
        results,
        elapsed: started.elapsed(),
    }
}

/// Checks one tower-cors run in one engine against the table; returns the failures.
fn check(engine: Engine, scenario: &Scenario, observed: &Observed, ports: Ports) -> Vec<String> {
    let desc = format!("{}: {}", engine.name(), scenario.desc);
    let (expected, _) = scenario.expected.for_engine(engine);
    let mut failures = Vec::new();
    let mut fail = |msg: String| failures.push(format!("{desc}: {msg}"));
    let reason = &observed.reason;

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
                 reason {reason:?}"
            )),
            (Outcome::Blocked(want), Attempt::Readable { status, .. }) => fail(format!(
                "attempt {i}: expected blocked ({want}), but the page read status {status}"
            )),
            (Outcome::Blocked(want), Attempt::Blocked { error }) => {
                if error != engine.blocked_error() {
                    fail(format!(
                        "attempt {i}: the page should see {:?}, it saw {error:?}",
                        engine.blocked_error()
                    ));
                }
                match engine.reason_source() {
                    ReasonSource::ChromeDevTools => {
                        check_chromium_reason(want, expected.failed_parameter, reason, &mut fail)
                    }
                    ReasonSource::Bidi => check_firefox_reason(want, reason, &mut fail),
                    // WebKitWebDriver exposes neither logs nor BiDi: the page's
                    // TypeError and the server's journal are all there is.
                    ReasonSource::None => {}
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
        let most = expected.preflights_at_most.unwrap_or(want);
        let got = traffic.preflights();
        if got < want || got > most {
            let want = if most == want {
                want.to_string()
            } else {
                format!("{want} to {most}")
            };
            fail(format!(
                "expected {want} preflight(s), the server received {got}: {:?}",
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
    if let Some(want) = expected.last_cookie {
        let got = traffic.seen.last().map(|s| s.cookie);
        if got != Some(want) {
            fail(format!(
                "expected the last request {} the session cookie, the server saw {got:?}",
                if want { "to carry" } else { "not to carry" }
            ));
        }
    }
    failures
}

fn check_chromium_reason(
    want: &str,
    failed_parameter: Option<&str>,
    reason: &Reason,
    fail: &mut impl FnMut(String),
) {
    match &reason.cors_error {
        Some((code, parameter)) => {
            if code != want {
                fail(format!("expected corsError {want}, Chrome reported {code}"));
            }
            if let Some(param) = failed_parameter {
                if parameter.as_deref() != Some(param) {
                    fail(format!(
                        "expected failedParameter {param:?}, got {parameter:?}"
                    ));
                }
            }
        }
        None => fail(format!("expected corsError {want}, Chrome reported none")),
    }
    let Some(phrase) = scenarios::console_phrase(want) else {
        fail(format!("no console phrase known for {want}"));
        return;
    };
    match &reason.console {
        Some(line) if line.contains(phrase) => {}
        other => fail(format!("console should say {phrase:?}, got {other:?}")),
    }
    if want.starts_with("Preflight")
        && !reason.console.as_deref().is_some_and(|l| {
            l.contains("Response to preflight request doesn't pass access control check")
        })
    {
        fail("console should name the preflight".to_owned());
    }
}

fn check_firefox_reason(want: &str, reason: &Reason, fail: &mut impl FnMut(String)) {
    let Some(phrase) = scenarios::firefox_phrase(want) else {
        fail(format!("no Firefox reason known for {want}"));
        return;
    };
    match reason.console.as_deref().and_then(firefox_reason) {
        Some(got) if got.contains(phrase) => {}
        Some(got) => fail(format!(
            "Firefox should give the reason {phrase:?}, it gave {got:?}"
        )),
        None => fail(format!(
            "Firefox should log \"Cross-Origin Request Blocked … (Reason: {phrase})\" over \
             BiDi, it logged {:?}",
            reason.console
        )),
    }
}

fn clean(note: &str) -> String {
    note.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// docs/comparison.md: engines × layers, then every difference between engines.
fn comparison(table: &[Scenario], runs: &[EngineRun]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- generated by `cargo test --test it browser:: -- --include-ignored` \
         (target/browser-comparison.md); do not edit by hand -->\n"
    );
    out.push_str(COMPARISON_INTRO);
    let _ = writeln!(out, "\nEngines in this run:\n");
    for run in runs {
        let _ = writeln!(out, "- {}", run.version);
    }
    let _ = writeln!(out, "\n## Scenarios\n");
    let mut header = "| # | Scenario |".to_owned();
    let mut rule = "|---|---|".to_owned();
    for backend in Backend::ALL {
        for run in runs {
            let _ = write!(header, " {} in {} |", backend.name(), run.engine.name());
            rule.push_str("---|");
        }
    }
    header.push_str(" Why tower-http differs |");
    rule.push_str("---|");
    let _ = writeln!(out, "{header}\n{rule}");
    let mut differing = 0;
    for (index, scenario) in table.iter().enumerate() {
        let mut row = format!("| {} | {} |", index + 1, scenario.desc);
        for backend in Backend::ALL {
            for run in runs {
                let _ = write!(
                    row,
                    " {} |",
                    run.results[&(index, backend)].summary(scenario)
                );
            }
        }
        let differs = runs.iter().any(|run| {
            let ours = &run.results[&(index, Backend::TowerCors)];
            let theirs = &run.results[&(index, Backend::TowerHttp)];
            // Where the engine's preflight count varies from run to run, only
            // what the page saw can tell the layers apart.
            let counts_vary = scenario
                .expected
                .for_engine(run.engine)
                .0
                .preflights_at_most
                .is_some();
            if counts_vary {
                ours.page_only(true) != theirs.page_only(true)
            } else {
                ours.summary(scenario) != theirs.summary(scenario)
            }
        });
        let why = if !differs {
            "—".to_owned()
        } else {
            differing += 1;
            if scenario.tower_http_note.is_empty() {
                "(not explained)".to_owned()
            } else {
                clean(scenario.tower_http_note)
            }
        };
        let _ = writeln!(row, " {why} |");
        out.push_str(&row);
    }
    let _ = writeln!(
        out,
        "\n{} scenarios; the two middlewares differ in {differing} (in at least one engine).",
        table.len()
    );

    let _ = writeln!(out, "\n## Differences between engines\n");
    let _ = writeln!(
        out,
        "What the page sees when `fetch()` is blocked (the same in every scenario):\n"
    );
    for run in runs {
        let _ = writeln!(
            out,
            "- {}: `{}`; the reason is {}",
            run.engine.name(),
            run.engine.blocked_error(),
            match run.engine.reason_source() {
                ReasonSource::ChromeDevTools =>
                    "read from the DevTools `corsError` and the console (`goog:loggingPrefs`)",
                ReasonSource::Bidi =>
                    "read from the console over WebDriver BiDi (`log.entryAdded`)",
                ReasonSource::None =>
                    "not readable (WebKitWebDriver has no log endpoint and no BiDi), so WebKit \
                     cells show only what the page and the server saw",
            }
        );
    }
    let _ = writeln!(
        out,
        "\nScenarios where the engines did not all see and send the same (reasons aside, \
         which every engine words its own way):\n"
    );
    let mut engine_diffs = 0;
    for (index, scenario) in table.iter().enumerate() {
        for backend in Backend::ALL {
            let cells: Vec<String> = runs
                .iter()
                .map(|run| run.results[&(index, backend)].neutral(scenario))
                .collect();
            if cells.windows(2).all(|w| w[0] == w[1]) {
                continue;
            }
            engine_diffs += 1;
            let seen: Vec<String> = runs
                .iter()
                .zip(&cells)
                .map(|(run, cell)| format!("{}: {cell}", run.engine.name()))
                .collect();
            let whys: Vec<String> = runs
                .iter()
                .filter_map(|run| scenario.expected.for_engine(run.engine).1)
                .map(clean)
                .collect();
            let why = if whys.is_empty() {
                "(not explained)".to_owned()
            } else {
                whys.join(" ")
            };
            let _ = writeln!(
                out,
                "- #{} {} — {}: {}. {why}",
                index + 1,
                scenario.desc,
                backend.name(),
                seen.join("; ")
            );
        }
    }
    if engine_diffs == 0 {
        let _ = writeln!(out, "- none");
    }
    let _ = writeln!(
        out,
        "\nHow the engines worded the reasons of this run's blocked requests (WebKit: not \
         readable):\n"
    );
    let mut pairs: Vec<String> = Vec::new();
    for index in 0..table.len() {
        for backend in Backend::ALL {
            let words: Vec<String> = runs
                .iter()
                .filter(|run| run.engine.reason_source() != ReasonSource::None)
                .map(|run| {
                    let cell = run.results[&(index, backend)].page_only(true);
                    format!("{}: {cell}", run.engine.name())
                })
                .collect();
            if words.iter().any(|w| w.contains("blocked")) {
                let line = format!("- {}", words.join(" — "));
                if !pairs.contains(&line) {
                    pairs.push(line);
                }
            }
        }
    }
    for line in pairs {
        let _ = writeln!(out, "{line}");
    }
    out
}

const COMPARISON_INTRO: &str = "\
# tower-cors and tower-http in three browser engines

Every scenario of the browser suite (`tests/it/browser.rs`, table in
`tests/it/browser/scenarios.rs`) runs in Chromium, Firefox and WebKit, each time
twice: once against `tower_cors::CorsLayer`, once against
`tower_http::cors::CorsLayer` (0.7) configured as closely as tower-http allows.
The suite asserts tower-cors' expected outcome in every engine (what the page
saw and what the server received); tower-http's columns are only recorded.

How tower-http was configured for each policy:

- exact origins: `AllowOrigin::list`; origin patterns (`https://*.example.com`,
  `http://localhost:*`), which tower-http does not have: `AllowOrigin::predicate`
  with a hand-written matcher that checks scheme, port and whole DNS labels
  like the pattern means; origin regexes (`allow_origin_regex`):
  `AllowOrigin::predicate` around the same expression (`regex` crate),
  matched against the whole origin;
- `*` in methods, headers or exposed headers: `AllowMethods::any()`,
  `AllowHeaders::any()`, `ExposeHeaders::any()` (tower-http cannot put `*`
  beside explicit names); otherwise the same lists;
- credentials and max-age: the same; strict mode: not available.

Page and API are on loopback: `http://127.0.0.1:<page>` calling
`http://localhost:<api>` (cross-site), `http://127.0.0.1:<api>` (same-site,
for cookies), and names under `.test` (`*.example.test`,
`*.s3.amazonaws.test`) that reach 127.0.0.1 (Chromium:
`--host-resolver-rules`; Firefox and WebKit: a loopback proxy of the suite
that forwards only `*.test` to 127.0.0.1 on the same port).
A cell reads \"readable N\" when the page could read the response with status N,
or \"blocked\" with the engine's reason: Chromium's DevTools `corsError` code
(and its `failedParameter`, in parentheses), Firefox's console reason; WebKit
does not expose one. The counts are what the server saw: CORS preflights
received and calls that reached the application behind the layer.

Regenerate with `scripts/test-all.sh` (or `cargo test --test it browser:: --
--include-ignored`), which writes `target/browser-comparison.md`; this file is
a copy of it.
";

/// Engines run one after the other unless `CORS_ENGINES_PARALLEL=1`: on 2
/// cores, three browsers at once were slower than three in a row (measured,
/// see docs/comparison.md), and the demo test already runs beside this one.
fn run_in_parallel() -> bool {
    std::env::var("CORS_ENGINES_PARALLEL").is_ok_and(|v| v == "1")
}

async fn for_each_engine<F, Fut, T>(engines: &[Engine], run: F) -> Vec<(Engine, Result<T, String>)>
where
    F: Fn(Engine) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut out = Vec::new();
    if run_in_parallel() {
        let handles: Vec<_> = engines
            .iter()
            .map(|&engine| (engine, tokio::spawn(run(engine))))
            .collect();
        for (engine, handle) in handles {
            out.push((engine, handle.await.map_err(panic_text)));
        }
    } else {
        for &engine in engines {
            let result = tokio::spawn(run(engine)).await.map_err(panic_text);
            out.push((engine, result));
        }
    }
    out
}

fn panic_text(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned()),
        Err(e) => e.to_string(),
    }
}

/// Serves the page and the API with every scenario mounted under
/// `/{backend}/{index}` for both backends; returns the shared journal and the ports.
async fn serve_table(table: &[Scenario]) -> (Journal, Ports) {
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
    (journal, ports)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium, Firefox ESR + geckodriver and WebKitGTK (scripts/test-all.sh installs them)"]
async fn every_scenario_in_chromium_firefox_and_webkit() {
    let started = Instant::now();
    let table: &'static [Scenario] = scenarios::table().leak();
    assert!(
        table.len() >= 40,
        "the suite must keep at least 40 scenarios"
    );

    let (journal, ports) = serve_table(table).await;

    let engines = Engine::selected();
    let outcomes = for_each_engine(&engines, |engine| {
        run_engine(engine, table, ports, journal.clone())
    })
    .await;

    let mut failures = Vec::new();
    let mut runs = Vec::new();
    for (engine, outcome) in outcomes {
        match outcome {
            Ok(run) => runs.push(run),
            Err(panic) => failures.push(format!("{}: the run failed: {panic}", engine.name())),
        }
    }
    for run in &runs {
        eprintln!(
            "{}: {} scenarios × {} backends in {:.1?}",
            run.version,
            table.len(),
            Backend::ALL.len(),
            run.elapsed
        );
        for (index, scenario) in table.iter().enumerate() {
            let observed = &run.results[&(index, Backend::TowerCors)];
            failures.extend(check(run.engine, scenario, observed, ports));
        }
    }
    if runs.len() == Engine::ALL.len() {
        let report = comparison(table, &runs);
        let report_path = target_dir().join("browser-comparison.md");
        std::fs::write(&report_path, &report)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", report_path.display()));
        eprintln!("comparison written to {}", report_path.display());
    }
    eprintln!(
        "{} engine(s) in {:.1?} ({})",
        engines.len(),
        started.elapsed(),
        if run_in_parallel() {
            "in parallel"
        } else {
            "in sequence"
        }
    );
    assert!(
        failures.is_empty(),
        "{} browser expectation(s) failed for tower-cors:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Waits for the demo page of this load to finish and returns `window.demoResults`.
async fn demo_results(browser: &Browser) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let value = browser
            .client()
            .execute("return window.demoResults || null;", vec![])
            .await
            .unwrap_or_else(|e| panic!("cannot read the demo's results: {e}"));
        if !value.is_null() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{}: the demo page did not finish its scenarios within 60 s",
            browser.engine().name()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks one load's results; returns the failures and the load's tokens.
fn check_demo(engine: Engine, results: &Value) -> (Vec<String>, Vec<String>) {
    let mut failures = Vec::new();
    let mut tokens = Vec::new();
    let Some(results) = results.as_array() else {
        return (
            vec![format!("demoResults is not an array: {results}")],
            tokens,
        );
    };
    if results.len() != demo::SCENARIOS.len() {
        failures.push(format!(
            "the page ran {} of {} scenarios",
            results.len(),
            demo::SCENARIOS.len()
        ));
    }
    let load = results
        .first()
        .and_then(|r| r["load"].as_str())
        .unwrap_or_default()
        .to_owned();
    for (scenario, got) in demo::SCENARIOS.iter().zip(results) {
        let desc = format!("{}: {}", engine.name(), scenario.name);
        let token = got["token"].as_str().unwrap_or_default().to_owned();
        if load.is_empty() || !token.contains(&load) || got["load"].as_str() != Some(&load) {
            failures.push(format!(
                "{desc}: token {token:?} does not carry this load's id {load:?}"
            ));
        }
        tokens.push(token.clone());
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
            None if result["error"].as_str() != Some(engine.blocked_error()) => {
                failures.push(format!(
                    "{desc}: the page should see {:?}, it saw {}",
                    engine.blocked_error(),
                    result["error"]
                ));
            }
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
        // Only this load's requests carry this token: the decisions must be
        // about this scenario's path and include the expected one.
        if decisions.is_empty() || !decisions.iter().all(|d| d.contains(scenario.path)) {
            failures.push(format!(
                "{desc}: the decisions for {token} should all be about {}: {decisions:?}",
                scenario.path
            ));
        }
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
    (failures, tokens)
}

/// Loads the demo page twice in `engine`; both loads must pass on their own
/// decisions (unique tokens per load).
async fn demo_in(engine: Engine) -> Vec<String> {
    let (page, _) = servers::bind().await;
    let (api, _) = servers::bind().await;
    let running = demo::start(page, api).expect("the demo starts");
    let browser = Browser::launch(engine, &target_dir().join("tmp")).await;
    browser.open(&running.page_url).await;
    let first = demo_results(&browser).await;
    // Reload: the new load must not see the first load's decisions.
    browser.open(&running.page_url).await;
    let second = demo_results(&browser).await;

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
    // Let the engine paint the resized, settled page first (WebKitGTK's
    // screenshot otherwise showed an earlier frame).
    let _ = browser
        .client()
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await;
    let screenshot = target_dir().join(format!("demo-screenshot-{}.png", engine.slug()));
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

    let (mut failures, first_tokens) = check_demo(engine, &first);
    let (second_failures, second_tokens) = check_demo(engine, &second);
    failures.extend(second_failures);
    if let Some(shared) = second_tokens.iter().find(|t| first_tokens.contains(t)) {
        failures.push(format!(
            "{}: the reloaded page re-used the token {shared}",
            engine.name()
        ));
    }
    let want_summary = format!(
        "{0} of {0} scenarios behaved as expected",
        demo::SCENARIOS.len()
    );
    if summary.as_str() != Some(want_summary.as_str()) {
        failures.push(format!(
            "{}: page summary: expected {want_summary:?}, got {summary}",
            engine.name()
        ));
    }
    if !page_text
        .as_str()
        .is_some_and(|t| t.contains(&running.api_origin))
    {
        failures.push(format!(
            "{}: the page should name the api origin {}",
            engine.name(),
            running.api_origin
        ));
    }
    let png = std::fs::read(&screenshot).unwrap_or_default();
    if !png.starts_with(b"\x89PNG") {
        failures.push(format!("no screenshot at {}", screenshot.display()));
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium, Firefox ESR + geckodriver and WebKitGTK (scripts/test-all.sh installs them)"]
async fn demo_page_in_chromium_firefox_and_webkit() {
    let engines = Engine::selected();
    let mut failures = Vec::new();
    for (engine, outcome) in for_each_engine(&engines, demo_in).await {
        match outcome {
            Ok(f) => failures.extend(f),
            Err(panic) => failures.push(format!("{}: the run failed: {panic}", engine.name())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} demo expectation(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
