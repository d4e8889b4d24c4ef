//! Three browser engines behind one WebDriver abstraction (`fantoccini`):
//!
//! | engine | driver | browser | blocked request's reason |
//! |---|---|---|---|
//! | Chromium | `chromedriver` | `chromium --headless` | CDP `corsError` + console, from the `goog:loggingPrefs` logs |
//! | Firefox | `geckodriver --websocket-port 0` | `firefox-esr -headless` | console line, from WebDriver BiDi `log.entryAdded` |
//! | WebKit | `WebKitWebDriver` under `xvfb-run -a` | WebKitGTK's `MiniBrowser --automation` | not readable: WebKitWebDriver has no log endpoint and no BiDi |
//!
//! `Browser::launch` starts the driver in its own process group, opens a
//! session with a fresh profile, and kills the whole group on drop (killing a
//! driver alone leaves its browser running). A missing browser or driver is a
//! panic with a clear message, never a skip.
//!
//! Host names under `.test` (RFC 6761) reach loopback in every engine, so
//! scenarios can use subdomains and look-alike hosts without touching DNS:
//! Chromium maps them with `--host-resolver-rules`; Firefox and WebKit, which
//! have no per-name mapping that takes a wildcard, send them to a loopback HTTP
//! proxy of the suite that forwards `*.test` to 127.0.0.1 on the same port
//! (bytes unchanged, `Host` kept) and refuses every other name. `localhost`
//! and `127.0.0.1` go direct. Nothing leaves the machine.

use std::collections::HashMap;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use futures_util::{SinkExt, StreamExt};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// Chromium maps `.test` to loopback; every other name fails to resolve.
const HOST_RULES: &str =
    "--host-resolver-rules=MAP *.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1";

/// How long a new WebDriver session may take on the first attempt (a browser
/// that cannot start makes some drivers wait forever); each later attempt
/// waits this much longer, since on a loaded machine (other tests of the
/// binary run beside the browser) a start can be slow rather than hung.
const SESSION_TIMEOUT: Duration = Duration::from_secs(12);
const START_ATTEMPTS: usize = 4;

/// A browser engine the suite runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Engine {
    Chromium,
    Firefox,
    WebKit,
}

/// What an engine lets the suite read about a blocked request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReasonSource {
    /// CDP `Network.loadingFailed.corsErrorStatus` and the console line.
    ChromeDevTools,
    /// The console line, through WebDriver BiDi `log.entryAdded`.
    Bidi,
    /// Nothing: the page's `TypeError` and the server's journal only.
    None,
}

/// Settings a test adds to an engine's launch; the suite's own stay.
#[derive(Clone, Debug, Default)]
pub(crate) struct LaunchOptions {
    /// Chromium switches. `--enable-features=` and `--disable-features=`
    /// lists are merged with the suite's (Chromium reads only the last of
    /// each switch).
    pub(crate) chromium_args: Vec<String>,
    /// Firefox preferences, beside the suite's.
    pub(crate) firefox_prefs: Vec<(&'static str, Value)>,
}

impl Engine {
    pub(crate) const ALL: [Engine; 3] = [Engine::Chromium, Engine::Firefox, Engine::WebKit];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "Chromium",
            Engine::Firefox => "Firefox",
            Engine::WebKit => "WebKit",
        }
    }

    /// Lower-case slug for tokens, file names and `CORS_ENGINES`.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
        }
    }

    /// What `String(error)` reads in the page when `fetch()` is blocked.
    pub(crate) fn blocked_error(self) -> &'static str {
        match self {
            Engine::Chromium => "TypeError: Failed to fetch",
            Engine::Firefox => "TypeError: NetworkError when attempting to fetch resource.",
            Engine::WebKit => "TypeError: Load failed",
        }
    }

    pub(crate) fn reason_source(self) -> ReasonSource {
        match self {
            Engine::Chromium => ReasonSource::ChromeDevTools,
            Engine::Firefox => ReasonSource::Bidi,
            Engine::WebKit => ReasonSource::None,
        }
    }

    /// The engines to run: all three, or those named in `CORS_ENGINES`
    /// (comma-separated slugs) while iterating on one engine.
    pub(crate) fn selected() -> Vec<Engine> {
        match std::env::var("CORS_ENGINES") {
            Ok(list) if !list.trim().is_empty() => {
                let picked: Vec<Engine> = Engine::ALL
                    .into_iter()
                    .filter(|e| list.split(',').any(|s| s.trim() == e.slug()))
                    .collect();
                assert!(
                    !picked.is_empty(),
                    "CORS_ENGINES={list:?} names no engine (chromium, firefox, webkit)"
                );
                picked
            }
            _ => Engine::ALL.to_vec(),
        }
    }
}

fn locate(var: &str, candidates: &[PathBuf], install: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{var} points at {}, which does not exist",
            path.display()
        );
        return path;
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "browser tests need one of {candidates:?}: {install} (or set {var}); \
                 `scripts/test-all.sh` installs everything"
            )
        })
}

/// `name` on `PATH`, then the given fallbacks.
fn on_path(name: &str, fallbacks: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join(name)).collect())
        .unwrap_or_default();
    out.extend_from_slice(fallbacks);
    out
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
        PathBuf::from,
    );
    home.join("bin").join(name)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("no free loopback port for the driver")
        .port()
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// A driver process and everything it started (same process group).
struct DriverProcess {
    name: &'static str,
    child: Child,
    profile: PathBuf,
    log: PathBuf,
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        // The driver was started with process_group(0): its pid is the group id,
        // and the browser with all its child processes inherited that group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
        if std::thread::panicking() {
            eprintln!("{} log kept at {}", self.name, self.log.display());
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// Console lines an engine reported over WebDriver BiDi.
#[derive(Clone, Debug, Default)]
struct BidiLog(Arc<Mutex<Vec<String>>>);

/// One browser with a WebDriver session.
pub(crate) struct Browser {
    engine: Engine,
    client: Client,
    bidi: Option<BidiLog>,
    // Dropped after `client` (field order): the session goes first, then the processes.
    _driver: DriverProcess,
}

impl Browser {
    /// Starts `engine`'s driver and browser with a fresh profile under `scratch`.
    ///
    /// A session that does not open in time (`SESSION_TIMEOUT`, then twice,
    /// three and four times that: a browser that hangs at start-up, or a
    /// slow start on a loaded machine) is killed with its driver and started
    /// afresh, up to `START_ATTEMPTS` times; then the run fails, quoting
    /// each driver's last log lines.
    pub(crate) async fn launch(engine: Engine, scratch: &Path) -> Browser {
        Browser::launch_with(engine, scratch, &LaunchOptions::default()).await
    }

    /// `launch` with extra switches or preferences.
    pub(crate) async fn launch_with(
        engine: Engine,
        scratch: &Path,
        options: &LaunchOptions,
    ) -> Browser {
        let mut hangs = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            let wait = SESSION_TIMEOUT * attempt as u32;
            match Browser::try_launch(engine, scratch, options, wait).await {
                Ok(browser) => {
                    for hang in &hangs {
                        eprintln!("{}: started again after: {hang}", engine.name());
                    }
                    return browser;
                }
                Err(hang) => hangs.push(hang),
            }
        }
        panic!(
            "{} did not start in {START_ATTEMPTS} attempts:\n  {}",
            engine.name(),
            hangs.join("\n  ")
        );
    }

    async fn try_launch(
        engine: Engine,
        scratch: &Path,
        options: &LaunchOptions,
        wait: Duration,
    ) -> Result<Browser, String> {
        let suffix = unique_suffix();
        let profile = scratch.join(format!("{}-profile-{suffix}", engine.slug()));
        std::fs::create_dir_all(&profile).expect("cannot create the browser profile directory");
        let log = scratch.join(format!("{}-driver-{suffix}.log", engine.slug()));
        let port = free_port();
        let log_file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let (driver_name, mut command, capabilities) = match engine {
            Engine::Chromium => chromium_setup(port, &profile, &log, &options.chromium_args),
            Engine::Firefox => firefox_setup(port, &profile, &options.firefox_prefs).await,
            Engine::WebKit => webkit_setup(port).await,
        };
        // chromedriver writes its own log (`--log-path`); the others log to stderr.
        let (stdout, stderr) = if engine == Engine::Chromium {
            (Stdio::null(), Stdio::null())
        } else {
            (
                Stdio::from(log_file.try_clone().expect("log file handle")),
                Stdio::from(log_file),
            )
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_name}: {e}"));
        let mut driver = DriverProcess {
            name: driver_name,
            child,
            profile,
            log: log.clone(),
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        wait_until_ready(&mut driver, &webdriver, &log).await;
        let Value::Object(capabilities) = capabilities else {
            unreachable!("capabilities are a JSON object")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let connect = builder.connect(&webdriver);
        let client = match tokio::time::timeout(wait, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!(
                "{driver_name} could not start {}: {e} (driver log: {})",
                engine.name(),
                log.display()
            ),
            Err(_) => {
                return Err(format!(
                    "{driver_name} did not open a {} session within {wait:?} (driver log, last lines: {})",
                    engine.name(),
                    log_tail(&log),
                ))
            }
        };
        let bidi = match engine.reason_source() {
            ReasonSource::Bidi => Some(subscribe_to_log(&client).await),
            _ => None,
        };
        Ok(Browser {
            engine,
            client,
            bidi,
            _driver: driver,
        })
    }

    pub(crate) fn engine(&self) -> Engine {
        self.engine
    }

    /// "Chromium 156.0…", "Firefox 153.8.0", "WebKitGTK 2.50.6 (MiniBrowser)".
    pub(crate) fn version(&self) -> String {
        let caps = self.client.capabilities();
        let field = |name: &str| {
            caps.and_then(|c| c.get(name))
                .and_then(Value::as_str)
                .unwrap_or("(unknown)")
                .to_owned()
        };
        let version = field("browserVersion");
        match self.engine {
            Engine::Chromium => format!("Chromium {version}"),
            Engine::Firefox => format!("Firefox ESR {version}"),
            Engine::WebKit => format!("WebKitGTK {version} ({})", field("browserName")),
        }
    }

    /// The WebDriver client.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Navigates to `url` and waits for the page to load.
    pub(crate) async fn open(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot open {url}: {e}", self.engine.name()));
    }

    /// Runs an async script: `args` are passed as `arguments[0..]`, the script
    /// calls `arguments[arguments.length - 1](result)` when done.
    pub(crate) async fn run_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("{}: script failed in the browser: {e}", self.engine.name()))
    }

    /// Drains what the engine reported about blocked requests so far.
    pub(crate) async fn drain_logs(&self) -> Logs {
        let mut logs = Logs::default();
        match self.engine.reason_source() {
            ReasonSource::ChromeDevTools => {
                for entry in self.read_log("browser").await {
                    if let Some(message) = entry.get("message").and_then(Value::as_str) {
                        logs.console.push(message.to_owned());
                    }
                }
                for entry in self.read_log("performance").await {
                    let Some(message) = entry.get("message").and_then(Value::as_str) else {
                        continue;
                    };
                    let Ok(event) = serde_json::from_str::<Value>(message) else {
                        continue;
                    };
                    logs.ingest_cdp(&event["message"]);
                }
            }
            ReasonSource::Bidi => {
                if let Some(bidi) = &self.bidi {
                    let mut lines = bidi.0.lock().unwrap();
                    logs.console.append(&mut lines);
                }
            }
            ReasonSource::None => {}
        }
        logs
    }

    async fn read_log(&self, kind: &'static str) -> Vec<Value> {
        match self.client.issue_cmd(ReadLog(kind)).await {
            Ok(Value::Array(entries)) => entries,
            Ok(other) => panic!("unexpected {kind} log answer from chromedriver: {other}"),
            Err(e) => panic!("cannot read the {kind} log from chromedriver: {e}"),
        }
    }

    /// Saves a PNG screenshot of the current page.
    pub(crate) async fn screenshot(&self, path: &Path) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("{}: screenshot failed: {e}", self.engine.name()));
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Sets a permission for the current page's origin (W3C Permissions,
    /// "Set Permission" extension command), as a user answering a prompt
    /// would; the driver's error if it refuses.
    pub(crate) async fn set_permission(&self, name: &str, state: &str) -> Result<(), String> {
        self.client
            .issue_cmd(SetPermission {
                name: name.to_owned(),
                state: state.to_owned(),
            })
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Ends the WebDriver session cleanly (the processes are killed on drop anyway).
    pub(crate) async fn close(self) {
        let Browser {
            client, _driver, ..
        } = self;
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        drop(_driver);
    }
}

fn chromium_setup(
    port: u16,
    profile: &Path,
    log: &Path,
    extra: &[String],
) -> (&'static str, Command, Value) {
    let chromium = locate(
        "CHROMIUM",
        &on_path("chromium", &[]),
        "apt-get install chromium",
    );
    let chromedriver = locate(
        "CHROMEDRIVER",
        &on_path("chromedriver", &[]),
        "apt-get install chromium-driver",
    );
    let mut command = Command::new(chromedriver);
    command
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()));
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--no-proxy-server".to_owned(),
        // Keep sandboxed iframes in the page's process, so their console
        // lines and network events reach the page's logs (process placement
        // only; CORS is unchanged).
        "--disable-features=IsolateSandboxedIframes".to_owned(),
        "--window-size=1280,1000".to_owned(),
        HOST_RULES.to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    for arg in extra {
        let merged = ["--enable-features=", "--disable-features="]
            .into_iter()
            .find_map(|switch| {
                let list = arg.strip_prefix(switch)?;
                let ours = args.iter_mut().find(|a| a.starts_with(switch))?;
                ours.push(',');
                ours.push_str(list);
                Some(())
            });
        if merged.is_none() {
            args.push(arg.clone());
        }
    }
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.to_string_lossy(),
            "args": args,
            "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
        },
        "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" },
    });
    ("chromedriver", command, capabilities)
}

async fn firefox_setup(
    port: u16,
    profile: &Path,
    extra_prefs: &[(&'static str, Value)],
) -> (&'static str, Command, Value) {
    let firefox = locate(
        "FIREFOX",
        &on_path("firefox-esr", &on_path("firefox", &[])),
        "apt-get install firefox-esr",
    );
    let geckodriver = locate(
        "GECKODRIVER",
        &on_path("geckodriver", &[cargo_bin("geckodriver")]),
        "cargo install geckodriver --locked",
    );
    let proxy = start_test_proxy().await;
    let mut command = Command::new(geckodriver);
    command
        .arg(format!("--port={port}"))
        // BiDi on a free port: the only way Firefox reports why a request was blocked.
        .args(["--websocket-port", "0"]);
    let mut capabilities = json!({
        "browserName": "firefox",
        "webSocketUrl": true,
        "moz:firefoxOptions": {
            "binary": firefox.to_string_lossy(),
            "args": ["-headless", "-profile", profile.to_string_lossy()],
            "prefs": {
                // `.test` through the suite's loopback proxy; localhost and
                // 127.0.0.1 are never proxied by Firefox.
                "network.proxy.type": 1,
                "network.proxy.http": "127.0.0.1",
                "network.proxy.http_port": proxy,
                "network.proxy.no_proxies_on": "localhost, 127.0.0.1",
                "network.proxy.allow_hijacking_localhost": false,
                // Plain http stays plain http, as in the other engines.
                "dom.security.https_first": false,
                "dom.security.https_only_mode": false,
                "network.http.http3.enable": false,
                "browser.shell.checkDefaultBrowser": false,
                "app.update.disabledForTesting": true,
            },
        },
    });
    for (name, value) in extra_prefs {
        capabilities["moz:firefoxOptions"]["prefs"][*name] = value.clone();
    }
    ("geckodriver", command, capabilities)
}

/// WebKitGTK's MiniBrowser, the browser WebKitWebDriver drives.
fn minibrowser() -> PathBuf {
    locate(
        "MINIBROWSER",
        &[
            PathBuf::from("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"),
            PathBuf::from("/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser"),
            PathBuf::from("/usr/libexec/webkit2gtk-4.1/MiniBrowser"),
        ],
        "apt-get install webkit2gtk-driver (MiniBrowser comes with libwebkit2gtk-4.1-0)",
    )
}

/// `program` on a virtual X display (WebKitGTK has no headless mode), or on
/// the real one with `WEBKIT_USE_DISPLAY`.
/// The last lines of a driver's log, on one line, for a start that failed.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(5)..].join(" | ");
    if tail.is_empty() {
        "empty".to_owned()
    } else {
        tail
    }
}

fn on_display(program: &Path) -> Command {
    if std::env::var_os("WEBKIT_USE_DISPLAY").is_some() {
        Command::new(program)
    } else {
        let xvfb_run = locate(
            "XVFB_RUN",
            &on_path("xvfb-run", &[]),
            "apt-get install xvfb",
        );
        let mut c = Command::new(xvfb_run);
        c.args(["-a", "-s", "-screen 0 1280x4200x24 -nolisten tcp"])
            .arg(program);
        c
    }
}

/// MiniBrowser's list of WebKit features (`--features=help`): one line per
/// feature, `+` when on by default, `-` when off.
pub(crate) fn webkit_features() -> String {
    let output = on_display(&minibrowser())
        .arg("--features=help")
        .env("NO_AT_BRIDGE", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run MiniBrowser --features=help: {e}"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn webkit_setup(port: u16) -> (&'static str, Command, Value) {
    let driver = locate(
        "WEBKITWEBDRIVER",
        &on_path("WebKitWebDriver", &[]),
        "apt-get install webkit2gtk-driver",
    );
    let minibrowser = minibrowser();
    let proxy = start_test_proxy().await;
    let mut command = on_display(&driver);
    command
        .arg(format!("--port={port}"))
        // No accessibility bus on a test machine: GTK must not wait for one.
        .env("NO_AT_BRIDGE", "1");
    let capabilities = json!({
        "browserName": "MiniBrowser",
        "proxy": {
            "proxyType": "manual",
            "httpProxy": format!("127.0.0.1:{proxy}"),
            "noProxy": ["localhost", "127.0.0.1"],
        },
        "webkitgtk:browserOptions": {
            "binary": minibrowser.to_string_lossy(),
            "args": ["--automation"],
        },
    });
    ("WebKitWebDriver", command, capabilities)
}

async fn wait_until_ready(driver: &mut DriverProcess, webdriver: &str, log: &Path) {
    let status = format!("{webdriver}/status");
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, http_body_util::Empty<bytes::Bytes>>(HttpConnector::new());
    loop {
        if let Ok(Some(code)) = driver.child.try_wait() {
            panic!(
                "{} exited at start-up ({code}); see {}",
                driver.name,
                log.display()
            );
        }
        let uri: http::Uri = status.parse().expect("status url");
        if let Ok(Ok(response)) =
            tokio::time::timeout(Duration::from_secs(2), client.get(uri)).await
        {
            if response.status().is_success() {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} did not answer on {status} within 30 s; see {}",
            driver.name,
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Connects to the session's BiDi socket and collects `log.entryAdded` texts.
async fn subscribe_to_log(client: &Client) -> BidiLog {
    let url = client
        .capabilities()
        .and_then(|c| c.get("webSocketUrl"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("the driver returned no webSocketUrl (BiDi)"))
        .to_owned();
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the BiDi socket {url}: {e}"));
    let subscribe = json!({
        "id": 1,
        "method": "session.subscribe",
        "params": { "events": ["log.entryAdded"] },
    });
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            subscribe.to_string(),
        ))
        .await
        .unwrap_or_else(|e| panic!("cannot subscribe to BiDi log events: {e}"));
    // Wait for the subscription's answer, so no later entry is missed.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), socket.next()).await;
        let Ok(Some(Ok(message))) = next else {
            panic!("the BiDi socket closed before answering session.subscribe");
        };
        if let Ok(text) = message.to_text() {
            let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if value["id"] == 1 {
                assert!(
                    value["type"] == "success",
                    "session.subscribe failed: {value}"
                );
                break;
            }
        }
        assert!(Instant::now() < deadline, "no answer to session.subscribe");
    }
    let log = BidiLog::default();
    let sink = log.clone();
    tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Ok(text) = message.to_text() else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            if value["method"] == "log.entryAdded" {
                if let Some(line) = value["params"]["text"].as_str() {
                    sink.0.lock().unwrap().push(line.to_owned());
                }
            }
        }
    });
    log
}

/// Starts the loopback proxy that gives Firefox and WebKit the `.test` names:
/// `http://<name>.test:<port>/…` is forwarded to `127.0.0.1:<port>` unchanged
/// (same `Host` header); any other host gets 502, so nothing leaves the machine.
async fn start_test_proxy() -> u16 {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::http::{StatusCode, Uri};
    use axum::response::IntoResponse;

    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Body>(HttpConnector::new());
    let forward = move |mut request: Request| {
        let client = client.clone();
        async move {
            let host = request
                .uri()
                .host()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let port = request.uri().port_u16().unwrap_or(80);
            let loopback = host.ends_with(".test")
                || host == "test"
                || host == "localhost"
                || host == "127.0.0.1";
            if !loopback {
                return (StatusCode::BAD_GATEWAY, "the test proxy only serves *.test")
                    .into_response();
            }
            let path = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let Ok(uri) = format!("http://127.0.0.1:{port}{path}").parse::<Uri>() else {
                return StatusCode::BAD_REQUEST.into_response();
            };
            *request.uri_mut() = uri;
            request.headers_mut().remove("proxy-connection");
            request.headers_mut().remove("proxy-authorization");
            match client.request(request).await {
                Ok(response) => response.map(Body::new),
                Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
            }
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("cannot bind the test proxy");
    let port = listener.local_addr().expect("proxy address").port();
    let router = axum::Router::new().fallback(forward);
    tokio::spawn(async move {
        let _: Result<(), _> = axum::serve(listener, router).await;
    });
    port
}

/// `POST /session/{id}/se/log` — ChromeDriver's log endpoint (W3C mode); the
/// `goog:loggingPrefs` capability decides what is recorded. Reading drains.
#[derive(Debug)]
struct ReadLog(&'static str);

impl WebDriverCompatibleCommand for ReadLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("none")))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.0 }).to_string()),
        )
    }
}

/// `POST /session/{id}/permissions` — W3C Permissions' "Set Permission"
/// extension command.
#[derive(Debug)]
struct SetPermission {
    name: String,
    state: String,
}

impl WebDriverCompatibleCommand for SetPermission {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/permissions",
            session_id.unwrap_or("none")
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "descriptor": { "name": self.name }, "state": self.state });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// A request as the browser's network stack reported it over CDP.
#[derive(Clone, Debug, Default)]
pub(crate) struct NetRequest {
    pub(crate) url: String,
    pub(crate) method: String,
    /// `Network.loadingFailed` → `corsErrorStatus.corsError`.
    pub(crate) cors_error: Option<String>,
    /// `Network.loadingFailed` → `corsErrorStatus.failedParameter`.
    pub(crate) failed_parameter: Option<String>,
    pub(crate) error_text: Option<String>,
    pub(crate) status: Option<u64>,
    /// CDP marks preflights with resource type `Preflight`.
    pub(crate) preflight: bool,
}

/// Console lines (Chromium's log, Firefox's BiDi entries) and CDP network
/// events, accumulated over drains.
#[derive(Debug, Default)]
pub(crate) struct Logs {
    pub(crate) console: Vec<String>,
    pub(crate) requests: HashMap<String, NetRequest>,
    order: Vec<String>,
}

impl Logs {
    /// Merges a later drain into this one.
    pub(crate) fn merge(&mut self, other: Logs) {
        self.console.extend(other.console);
        for id in other.order {
            if let Some(req) = other.requests.get(&id) {
                let slot = self.requests.entry(id.clone()).or_insert_with(|| {
                    self.order.push(id.clone());
                    NetRequest::default()
                });
                merge_request(slot, req);
            }
        }
    }

    fn slot(&mut self, id: &str) -> &mut NetRequest {
        if !self.requests.contains_key(id) {
            self.order.push(id.to_owned());
        }
        self.requests.entry(id.to_owned()).or_default()
    }

    fn ingest_cdp(&mut self, message: &Value) {
        let params = &message["params"];
        let Some(id) = params["requestId"].as_str() else {
            return;
        };
        match message["method"].as_str().unwrap_or_default() {
            "Network.requestWillBeSent" => {
                let slot = self.slot(id);
                // A redirect re-uses the request id: keep the latest URL.
                slot.url = params["request"]["url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                slot.method = params["request"]["method"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                slot.preflight = params["type"].as_str() == Some("Preflight");
            }
            "Network.responseReceived" => {
                self.slot(id).status = params["response"]["status"].as_u64();
            }
            "Network.loadingFailed" => {
                let slot = self.slot(id);
                slot.error_text = params["errorText"].as_str().map(str::to_owned);
                if let Some(cors) = params.get("corsErrorStatus") {
                    slot.cors_error = cors["corsError"].as_str().map(str::to_owned);
                    slot.failed_parameter = cors["failedParameter"].as_str().map(str::to_owned);
                }
            }
            _ => {}
        }
    }

    /// Every request whose URL contains `needle`, in the order they were sent.
    pub(crate) fn requests_matching<'a>(
        &'a self,
        needle: &'a str,
    ) -> impl Iterator<Item = &'a NetRequest> {
        self.order
            .iter()
            .filter_map(|id| self.requests.get(id))
            .filter(move |r| r.url.contains(needle))
    }

    /// The first CORS error Chrome reported for a request whose URL contains `needle`.
    pub(crate) fn cors_error(&self, needle: &str) -> Option<(String, Option<String>)> {
        self.requests_matching(needle)
            .find_map(|r| Some((r.cors_error.clone()?, r.failed_parameter.clone())))
    }

    /// The console line in which the engine explains why a fetch of `needle`
    /// was blocked (Chromium: "has been blocked by CORS policy"; Firefox:
    /// "Cross-Origin Request Blocked").
    pub(crate) fn console_block(&self, needle: &str) -> Option<&str> {
        self.console
            .iter()
            .find(|line| {
                line.contains(needle)
                    && (line.contains("has been blocked by CORS policy")
                        || line.contains("Cross-Origin Request Blocked"))
            })
            .map(String::as_str)
    }
}

fn merge_request(into: &mut NetRequest, from: &NetRequest) {
    if !from.url.is_empty() {
        into.url.clone_from(&from.url);
        into.method.clone_from(&from.method);
        into.preflight = from.preflight;
    }
    if from.status.is_some() {
        into.status = from.status;
    }
    if from.cors_error.is_some() {
        into.cors_error.clone_from(&from.cors_error);
        into.failed_parameter.clone_from(&from.failed_parameter);
    }
    if from.error_text.is_some() {
        into.error_text.clone_from(&from.error_text);
    }
}
