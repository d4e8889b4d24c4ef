//! Private Network Access and Local Network Access, measured: what each
//! engine does today when a page in the *public* address space fetches a
//! server on loopback whose tower-cors policy answers Private Network Access
//! preflights (`allow_private_network(true)`, mounted at `/pna`), and one whose
//! policy does not (`/plain`).
//!
//! Chromium is told that the page server's address is public with
//! `--ip-address-space-overrides=127.0.0.1:<page>=public`; the API stays on
//! loopback. Chromium 142+ replaced the Private Network Access preflight
//! (`Access-Control-Request-Private-Network: true`, answered with
//! `Access-Control-Allow-Private-Network: true`) with the Local Network
//! Access permission; this test pins down what that means on the wire:
//!
//! - without the permission (a WebDriver session has nobody to answer the
//!   prompt) the fetch fails before anything reaches the server, with or
//!   without `Access-Control-Allow-Private-Network` in the policy;
//! - with the permission granted (WebDriver "Set Permission",
//!   `loopback-network`) the request is ordinary CORS: the preflight carries
//!   no `Access-Control-Request-Private-Network`, so tower-cors adds no
//!   `Access-Control-Allow-Private-Network`, and the page reads the answer
//!   from either policy;
//! - a public page that is not a secure context is refused even with the
//!   permission;
//! - the switches of the Private Network Access era
//!   (`--enable-features=PrivateNetworkAccessSendPreflights,
//!   PrivateNetworkAccessRespectPreflightResults` with
//!   `--disable-features=LocalNetworkAccessChecks`) do not bring the
//!   preflight header back.
//!
//! Firefox ESR places a page in the public space with the preference
//! `network.lna.address_space.public.override` (and the API in the private
//! one with `….private.override`); with its defaults the fetch
//! waits for an answer to the permission prompt and nothing is sent; denied
//! (WebDriver "Set Permission"), it fails before anything is sent; granted,
//! it is ordinary CORS without Private Network Access headers. WebKitGTK
//! lists Local Network Access as an unstable feature, off by default, and has
//! no way to place a page in the public space: page and API on loopback, it
//! is ordinary CORS without those headers. docs/private-network.md states
//! these results.

use serde_json::{json, Value};

use super::backends::Ports;
use super::harness::{Browser, Engine, LaunchOptions, Logs, ReasonSource};
use super::scenarios::{Credentials, Request, GET};
use super::servers::{self, Journal, Traffic};
use super::{collect_logs, parse_attempts, spec_for, target_dir, Attempt};

/// The policy with `allow_private_network(true)`.
const PNA: &str = "/pna";
/// The same policy without it.
const PLAIN: &str = "/plain";
const MOUNTS: [&str; 2] = [PNA, PLAIN];

/// A secure context (`http://127.0.0.1` is potentially trustworthy).
const PAGE: &str = "http://127.0.0.1:{page}";
/// Not a secure context; resolves to the same page server.
const PAGE_INSECURE: &str = "http://app.example.test:{page}";

const PUT: Request = Request {
    method: "PUT",
    body: Some("{}"),
    headers: &[("content-type", "application/json")],
    credentials: Credentials::Omit,
    ..GET
};
const SIMPLE: Request = Request {
    credentials: Credentials::Omit,
    ..GET
};

/// What an engine must do with one fetch.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// Refused before any byte reaches the server. Chromium reports
    /// `cors_error` over CDP and `console` in its console line.
    Refused {
        cors_error: &'static str,
        console: &'static str,
    },
    /// Ordinary CORS: readable 200; a preflight for the PUT, none for the GET;
    /// no `Access-Control-Request-Private-Network` on any request and no
    /// `Access-Control-Allow-Private-Network` on any answer.
    PlainCors,
    /// Refused before any byte reaches the server (the reason is not checked).
    Blocked,
    /// The fetch neither completes nor fails (a permission prompt waits for
    /// an answer nobody gives) and nothing reaches the server.
    Pending,
}

const DENIED_LOOPBACK: Want = Want::Refused {
    cors_error: "LocalNetworkAccessPermissionDenied",
    console: "Permission was denied for this request to access the `loopback` address space.",
};
const DENIED_LOCAL: Want = Want::Refused {
    cors_error: "LocalNetworkAccessPermissionDenied",
    console: "Permission was denied for this request to access the `local` address space.",
};
const INSECURE_PUBLIC: Want = Want::Refused {
    cors_error: "InsecureLocalNetwork",
    console: "The request client is not a secure context and the resource is in \
              more-private address space `loopback`.",
};

/// The permission a step asks WebDriver to grant the page's origin.
#[derive(Clone, Copy, Debug)]
enum Grant {
    /// None: the browser decides as it would with nobody at the prompt.
    Nothing,
    /// Set to a state ("granted", "denied"), as a user answering the prompt would.
    Set(&'static str, &'static str),
    /// WebDriver refuses to grant it (the error must contain the phrase).
    Refused(&'static str, &'static str),
}

/// One page load and the fetches it makes (GET and PUT, to both mounts).
#[derive(Clone, Copy, Debug)]
struct Step {
    desc: &'static str,
    page: &'static str,
    grant: Grant,
    want: Want,
}

/// One browser launch.
struct Run {
    desc: &'static str,
    engine: Engine,
    options: LaunchOptions,
    steps: Vec<Step>,
}

fn public_page(ports: Ports) -> String {
    format!(
        "--ip-address-space-overrides=127.0.0.1:{}=public",
        ports.page
    )
}

fn chromium_runs(ports: Ports) -> Vec<Run> {
    vec![
        Run {
            desc: "page public, Chromium's defaults",
            engine: Engine::Chromium,
            options: LaunchOptions {
                chromium_args: vec![public_page(ports)],
                ..LaunchOptions::default()
            },
            steps: vec![
                Step {
                    desc: "no permission: refused before the request is sent",
                    page: PAGE,
                    grant: Grant::Nothing,
                    want: DENIED_LOOPBACK,
                },
                Step {
                    desc: "loopback-network granted: ordinary CORS, no PNA headers",
                    page: PAGE,
                    grant: Grant::Set("loopback-network", "granted"),
                    want: Want::PlainCors,
                },
                Step {
                    desc: "public page that is not a secure context: no permission, refused",
                    page: PAGE_INSECURE,
                    grant: Grant::Refused(
                        "loopback-network",
                        "feature cannot be used in insecure context",
                    ),
                    want: INSECURE_PUBLIC,
                },
            ],
        },
        Run {
            desc: "page public, API in the local (private) address space",
            engine: Engine::Chromium,
            options: LaunchOptions {
                chromium_args: vec![format!(
                    "--ip-address-space-overrides=127.0.0.1:{}=public,127.0.0.1:{}=local",
                    ports.page, ports.api
                )],
                ..LaunchOptions::default()
            },
            steps: vec![
                Step {
                    desc: "no permission: refused before the request is sent",
                    page: PAGE,
                    grant: Grant::Nothing,
                    want: DENIED_LOCAL,
                },
                Step {
                    desc: "local-network granted: ordinary CORS, no PNA headers",
                    page: PAGE,
                    grant: Grant::Set("local-network", "granted"),
                    want: Want::PlainCors,
                },
            ],
        },
        Run {
            desc: "page public, Private Network Access switches of older Chromium",
            engine: Engine::Chromium,
            options: LaunchOptions {
                chromium_args: vec![
                    public_page(ports),
                    "--disable-features=LocalNetworkAccessChecks".to_owned(),
                    "--enable-features=PrivateNetworkAccessSendPreflights,\
                     PrivateNetworkAccessRespectPreflightResults"
                        .to_owned(),
                ],
                ..LaunchOptions::default()
            },
            steps: vec![Step {
                desc: "no preflight header comes back: ordinary CORS",
                page: PAGE,
                grant: Grant::Nothing,
                want: Want::PlainCors,
            }],
        },
    ]
}

fn firefox_public_page(ports: Ports) -> (&'static str, Value) {
    (
        "network.lna.address_space.public.override",
        json!(format!("127.0.0.1:{}", ports.page)),
    )
}

fn firefox_runs(ports: Ports) -> Vec<Run> {
    vec![
        Run {
            desc: "page public, Firefox's defaults",
            engine: Engine::Firefox,
            options: LaunchOptions {
                firefox_prefs: vec![firefox_public_page(ports)],
                ..LaunchOptions::default()
            },
            steps: vec![
                Step {
                    desc: "no answer to the prompt: the fetch waits, nothing is sent",
                    page: PAGE,
                    grant: Grant::Nothing,
                    want: Want::Pending,
                },
                Step {
                    desc: "loopback-network denied: refused before the request is sent",
                    page: PAGE,
                    grant: Grant::Set("loopback-network", "denied"),
                    want: Want::Blocked,
                },
                Step {
                    desc: "loopback-network granted: ordinary CORS, no PNA headers",
                    page: PAGE,
                    grant: Grant::Set("loopback-network", "granted"),
                    want: Want::PlainCors,
                },
            ],
        },
        Run {
            desc: "page public, API in the private address space",
            engine: Engine::Firefox,
            options: LaunchOptions {
                firefox_prefs: vec![
                    firefox_public_page(ports),
                    (
                        "network.lna.address_space.private.override",
                        json!(format!("127.0.0.1:{}", ports.api)),
                    ),
                ],
                ..LaunchOptions::default()
            },
            steps: vec![
                Step {
                    desc: "local-network denied: refused before the request is sent",
                    page: PAGE,
                    grant: Grant::Set("local-network", "denied"),
                    want: Want::Blocked,
                },
                Step {
                    desc: "local-network granted: ordinary CORS, no PNA headers",
                    page: PAGE,
                    grant: Grant::Set("local-network", "granted"),
                    want: Want::PlainCors,
                },
            ],
        },
    ]
}

fn webkit_runs(_ports: Ports) -> Vec<Run> {
    vec![Run {
        desc: "WebKitGTK has no address-space setting: page and API on loopback",
        engine: Engine::WebKit,
        options: LaunchOptions::default(),
        steps: vec![Step {
            desc: "ordinary CORS, no PNA headers",
            page: PAGE,
            grant: Grant::Nothing,
            want: Want::PlainCors,
        }],
    }]
}

/// WebKitGTK lists Local Network Access among its features, unstable and
/// off by default; WebKit never sent Private Network Access preflights.
fn webkit_local_network_access_is_off() -> Vec<String> {
    let features = super::harness::webkit_features();
    // "  - LocalNetworkAccess (unstable): Local Network Access"
    let line = features.lines().find(|l| {
        l.trim_start()
            .get(1..)
            .is_some_and(|rest| rest.trim_start().starts_with("LocalNetworkAccess "))
    });
    match line {
        Some(l) if l.trim_start().starts_with('-') => vec![],
        other => vec![format!(
            "WebKit: MiniBrowser --features=help should list LocalNetworkAccess as off by \
             default (\"  - LocalNetworkAccess …\"), it shows {other:?}"
        )],
    }
}

fn token(engine: Engine, run: usize, step: usize, fetch: usize) -> String {
    format!("lna-{}-{run}-{step}-{fetch}", engine.slug())
}

/// The fetches of one step: (mount, request).
fn fetches() -> Vec<(&'static str, Request)> {
    MOUNTS
        .iter()
        .flat_map(|mount| [(*mount, SIMPLE), (*mount, PUT)])
        .collect()
}

/// How long a fetch may stay unsettled before it counts as pending.
const PENDING_AFTER_MS: u64 = 4000;

/// What became of one fetch.
#[derive(Debug)]
enum Fetch {
    Settled(Attempt),
    /// Still unsettled after `PENDING_AFTER_MS`.
    Pending,
}

struct Fetched {
    desc: String,
    token: String,
    request: Request,
    want: Want,
    attempt: Fetch,
}

async fn run_one(index: usize, run: &Run, ports: Ports) -> (Vec<Fetched>, Logs) {
    let engine = run.engine;
    let browser = Browser::launch_with(engine, &target_dir().join("tmp"), &run.options).await;
    let mut fetched = Vec::new();
    for (s, step) in run.steps.iter().enumerate() {
        let page = ports.fill(step.page);
        browser.open(&format!("{page}/runner")).await;
        let step_desc = format!("{}: {}: {}", engine.name(), run.desc, step.desc);
        match step.grant {
            Grant::Nothing => {}
            Grant::Set(name, state) => {
                if let Err(e) = browser.set_permission(name, state).await {
                    panic!("{step_desc}: cannot set {name:?} to {state:?}: {e}");
                }
                // The permission holds for the origin; a fresh load starts clean.
                browser.open(&format!("{page}/runner")).await;
            }
            Grant::Refused(name, phrase) => match browser.set_permission(name, "granted").await {
                Err(e) if e.contains(phrase) => {}
                other => panic!(
                    "{step_desc}: granting {name:?} should fail with {phrase:?}, got {other:?}"
                ),
            },
        }
        for (f, (mount, request)) in fetches().into_iter().enumerate() {
            let token = token(engine, index, s, f);
            let url = format!("http://127.0.0.1:{}{mount}/data?t={token}", ports.api);
            let desc = format!("{step_desc}: {} {mount}", request.method);
            // A fetch waiting on a permission prompt never settles: give up
            // after PENDING_AFTER and say so.
            let result = browser
                .run_async(
                    "const [spec, wait, done] = arguments; \
                     const timer = new Promise(r => setTimeout(() => r('pending'), wait)); \
                     Promise.race([window.runScenario(spec), timer]) \
                       .then(done, e => done(String(e)));",
                    vec![spec_for(&url, &request), json!(PENDING_AFTER_MS)],
                )
                .await;
            let attempt = if result == "pending" {
                Fetch::Pending
            } else {
                Fetch::Settled(
                    parse_attempts(&result, &desc)
                        .into_iter()
                        .next()
                        .unwrap_or_else(|| panic!("{desc}: the runner made no attempt")),
                )
            };
            fetched.push(Fetched {
                desc,
                token,
                request,
                want: step.want,
                attempt,
            });
        }
    }
    let needles: Vec<String> = fetched
        .iter()
        .filter(|f| matches!(f.want, Want::Refused { .. }))
        .map(|f| format!("t={}", f.token))
        .collect();
    let logs = collect_logs(&browser, &needles).await;
    browser.close().await;
    (fetched, logs)
}

fn check(engine: Engine, fetched: &Fetched, logs: &Logs, traffic: &Traffic) -> Vec<String> {
    let desc = &fetched.desc;
    let mut failures = Vec::new();
    let mut fail = |msg: String| failures.push(format!("{desc}: {msg}"));
    let needle = format!("t={}", fetched.token);
    let settled = match (&fetched.attempt, fetched.want) {
        (Fetch::Settled(attempt), _) => attempt,
        (Fetch::Pending, Want::Pending) => {
            if !traffic.seen.is_empty() {
                fail(format!(
                    "nothing should reach the server while the fetch waits, it received {:?}",
                    traffic.seen
                ));
            }
            return failures;
        }
        (Fetch::Pending, want) => {
            fail(format!(
                "expected {want:?}, the fetch had not settled after {PENDING_AFTER_MS} ms \
                 (server saw {:?})",
                traffic.seen
            ));
            return failures;
        }
    };
    match (fetched.want, settled) {
        (Want::Pending, attempt) => fail(format!(
            "expected the fetch to wait for a permission answer, it settled: {attempt:?} \
             (server saw {:?})",
            traffic.seen
        )),
        (Want::Refused { cors_error, console }, Attempt::Blocked { error }) => {
            if error != engine.blocked_error() {
                fail(format!(
                    "the page should see {:?}, it saw {error:?}",
                    engine.blocked_error()
                ));
            }
            if !traffic.seen.is_empty() {
                fail(format!(
                    "nothing should reach the server, it received {:?}",
                    traffic.seen
                ));
            }
            if engine.reason_source() == ReasonSource::ChromeDevTools {
                match logs.cors_error(&needle) {
                    Some((code, _)) if code == cors_error => {}
                    other => fail(format!("expected corsError {cors_error}, got {other:?}")),
                }
                match logs.console_block(&needle) {
                    Some(line) if line.contains(console) => {}
                    other => fail(format!("console should say {console:?}, got {other:?}")),
                }
            }
        }
        (Want::Blocked, Attempt::Blocked { error }) => {
            if error != engine.blocked_error() {
                fail(format!(
                    "the page should see {:?}, it saw {error:?}",
                    engine.blocked_error()
                ));
            }
            if !traffic.seen.is_empty() {
                fail(format!(
                    "nothing should reach the server, it received {:?}",
                    traffic.seen
                ));
            }
        }
        (Want::Refused { .. } | Want::Blocked, Attempt::Readable { status, .. }) => {
            fail(format!(
                "expected refused, the page read status {status} (server saw {:?})",
                traffic.seen
            ))
        }
        (Want::PlainCors, Attempt::Blocked { error }) => fail(format!(
            "expected readable 200, blocked ({error}); corsError {:?}, console {:?}, server saw {:?}",
            logs.cors_error(&needle),
            logs.console_block(&needle),
            traffic.seen
        )),
        (Want::PlainCors, Attempt::Readable { status, .. }) => {
            if *status != 200 {
                fail(format!("expected status 200, got {status}"));
            }
            let want_preflights = usize::from(fetched.request.method == "PUT");
            if traffic.preflights() != want_preflights || traffic.inner_calls != 1 {
                fail(format!(
                    "expected {want_preflights} preflight(s) and one call of the application, \
                     the server saw {:?} ({} call(s))",
                    traffic.seen, traffic.inner_calls
                ));
            }
            if traffic.seen.iter().any(|s| s.asked_private_network) {
                fail(format!(
                    "a request carried Access-Control-Request-Private-Network: {:?}",
                    traffic.seen
                ));
            }
            if traffic.seen.iter().any(|s| s.allowed_private_network) {
                fail(format!(
                    "an answer carried Access-Control-Allow-Private-Network: {:?}",
                    traffic.seen
                ));
            }
        }
    }
    failures
}

fn policy(ports: Ports, private_network: bool) -> tower_cors::CorsPolicy {
    tower_cors::CorsPolicy::builder()
        .allow_origin(ports.fill(PAGE))
        .allow_origin(ports.fill(PAGE_INSECURE))
        .allow_methods(["PUT"])
        .allow_headers(["content-type"])
        .allow_private_network(private_network)
        .build()
        .unwrap_or_else(|e| panic!("the policy does not build: {e}"))
}

async fn serve() -> (Journal, Ports) {
    let journal = Journal::default();
    let (page_listener, page) = servers::bind().await;
    let (api_listener, api) = servers::bind().await;
    let ports = Ports { page, api };
    let mounts = MOUNTS
        .iter()
        .map(|mount| {
            let layer = tower_cors::CorsLayer::new(policy(ports, *mount == PNA));
            let app = servers::application(journal.clone());
            let router = axum::Router::new().fallback_service(tower::Layer::layer(&layer, app));
            ((*mount).to_owned(), router)
        })
        .collect();
    servers::serve_api(api_listener, journal.clone(), mounts);
    servers::serve_page(page_listener);
    (journal, ports)
}

/// Sanity check of the server side: tower-cors answers a Private Network
/// Access preflight when the policy says so, so the browser results above
/// are about the browsers.
async fn server_answers_pna_preflights(ports: Ports) -> Vec<String> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, http_body_util::Empty<bytes::Bytes>>(
        hyper_util::client::legacy::connect::HttpConnector::new(),
    );
    let mut failures = Vec::new();
    for mount in MOUNTS {
        let request = http::Request::builder()
            .method("OPTIONS")
            .uri(format!("http://127.0.0.1:{}{mount}/data", ports.api))
            .header("origin", ports.fill(PAGE))
            .header("access-control-request-method", "PUT")
            .header("access-control-request-private-network", "true")
            .body(http_body_util::Empty::new())
            .expect("preflight request");
        let response = client
            .request(request)
            .await
            .unwrap_or_else(|e| panic!("cannot reach the API server: {e}"));
        let got = response
            .headers()
            .get("access-control-allow-private-network")
            .map(|v| v.as_bytes().to_vec());
        let want = (mount == PNA).then(|| b"true".to_vec());
        if got != want {
            failures.push(format!(
                "{mount}: a PNA preflight should get Access-Control-Allow-Private-Network \
                 {want:?}, it got {got:?}"
            ));
        }
    }
    failures
}

fn runs_for(engine: Engine, ports: Ports) -> Vec<Run> {
    match engine {
        Engine::Chromium => chromium_runs(ports),
        Engine::Firefox => firefox_runs(ports),
        Engine::WebKit => webkit_runs(ports),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium, Firefox ESR + geckodriver and WebKitGTK (scripts/test-all.sh installs them)"]
async fn local_network_access_in_chromium_firefox_and_webkit() {
    let (journal, ports) = serve().await;
    let mut failures = server_answers_pna_preflights(ports).await;
    let mut report = Vec::new();
    for engine in Engine::selected() {
        if engine == Engine::WebKit {
            failures.extend(webkit_local_network_access_is_off());
        }
        for (index, run) in runs_for(engine, ports).iter().enumerate() {
            let (fetched, logs) = run_one(index, run, ports).await;
            for f in &fetched {
                let traffic = journal.traffic(&f.token);
                report.push(json!({
                    "fetch": f.desc,
                    "attempt": format!("{:?}", f.attempt),
                    "cors_error": logs.cors_error(&format!("t={}", f.token)).map(|c| c.0),
                    "seen": format!("{:?}", traffic.seen),
                }));
                failures.extend(check(engine, f, &logs, &traffic));
            }
        }
    }
    let report_path = target_dir().join("browser-local-network.json");
    let _ = std::fs::write(
        &report_path,
        serde_json::to_string_pretty(&Value::Array(report)).unwrap_or_default(),
    );
    assert!(
        failures.is_empty(),
        "{} local network expectation(s) failed (all fetches: {}):\n  {}",
        failures.len(),
        report_path.display(),
        failures.join("\n  ")
    );
}
