//! Headless Chromium driven through ChromeDriver with `fantoccini`.
//!
//! `Browser::launch` starts `chromedriver` in its own process group, opens a
//! WebDriver session with a fresh profile, and kills the whole group on drop
//! (killing `chromedriver` alone leaves Chromium and its child processes running).
//! A missing browser or driver is a panic with a clear message, never a skip.

use std::collections::HashMap;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// Where Debian's `chromium` and `chromium-driver` packages install their binaries.
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Host names under `.test` (RFC 6761) resolve to loopback inside the browser,
/// so scenarios can use subdomains and look-alike hosts without touching DNS.
/// Every other name fails to resolve: the browser never leaves the machine.
const HOST_RULES: &str =
    "--host-resolver-rules=MAP *.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1";

fn locate(var: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "browser tests need {} (not found at {}): install the Debian package `{package}` \
         (apt-get install -y chromium chromium-driver) or set {var} to its path",
        Path::new(default).file_name().unwrap().to_string_lossy(),
        path.display(),
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("no free loopback port for chromedriver")
        .port()
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// The `chromedriver` process and everything it started (same process group).
struct DriverProcess {
    child: Child,
    profile: PathBuf,
    log: PathBuf,
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        // chromedriver was started with process_group(0): its pid is the group id,
        // and Chromium with all its child processes inherited that group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
        if std::thread::panicking() {
            eprintln!("chromedriver log kept at {}", self.log.display());
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// One headless Chromium with a WebDriver session.
pub(crate) struct Browser {
    client: Client,
    // Dropped after `client` (field order): the session goes first, then the processes.
    _driver: DriverProcess,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile under `scratch`.
    pub(crate) async fn launch(scratch: &Path) -> Browser {
        let chromium = locate("CHROMIUM", DEFAULT_CHROMIUM, "chromium");
        let chromedriver = locate("CHROMEDRIVER", DEFAULT_CHROMEDRIVER, "chromium-driver");
        let suffix = unique_suffix();
        let profile = scratch.join(format!("chromium-profile-{suffix}"));
        std::fs::create_dir_all(&profile).expect("cannot create the browser profile directory");
        let driver_log = scratch.join(format!("chromedriver-{suffix}.log"));
        let port = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", driver_log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let mut driver = DriverProcess {
            child,
            profile,
            log: driver_log.clone(),
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        wait_until_ready(&mut driver, &webdriver, &driver_log).await;

        let args = vec![
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
            format!("--user-data-dir={}", driver.profile.display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": args,
                "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
            },
            "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "chromedriver could not start {}: {e} (driver log: {})",
                    chromium.display(),
                    driver_log.display()
                )
            });
        Browser {
            client,
            _driver: driver,
        }
    }

    /// "Chromium <version>", from the session's capabilities.
    pub(crate) fn version(&self) -> String {
        let version = self
            .client
            .capabilities()
            .and_then(|c| c.get("browserVersion"))
            .and_then(Value::as_str)
            .unwrap_or("(unknown version)");
        format!("Chromium {version}")
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
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Runs an async script: `args` are passed as `arguments[0..]`, the script
    /// calls `arguments[arguments.length - 1](result)` when done.
    pub(crate) async fn run_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed in the browser: {e}"))
    }

    /// Drains the browser's console log and CDP performance log.
    pub(crate) async fn drain_logs(&self) -> Logs {
        let console = self.read_log("browser").await;
        let performance = self.read_log("performance").await;
        let mut logs = Logs::default();
        for entry in console {
            if let Some(message) = entry.get("message").and_then(Value::as_str) {
                logs.console.push(message.to_owned());
            }
        }
        for entry in performance {
            let Some(message) = entry.get("message").and_then(Value::as_str) else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<Value>(message) else {
                continue;
            };
            logs.ingest_cdp(&event["message"]);
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
            .unwrap_or_else(|e| panic!("screenshot failed: {e}"));
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Ends the WebDriver session cleanly (the processes are killed on drop anyway).
    pub(crate) async fn close(self) {
        let Browser { client, _driver } = self;
        let _ = client.close().await;
        drop(_driver);
    }
}

async fn wait_until_ready(driver: &mut DriverProcess, webdriver: &str, log: &Path) {
    let status = format!("{webdriver}/status");
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, http_body_util::Empty<bytes::Bytes>>(HttpConnector::new());
    loop {
        if let Ok(Some(code)) = driver.child.try_wait() {
            panic!(
                "chromedriver exited at start-up ({code}); see {}",
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
            "chromedriver did not answer on {status} within 20 s; see {}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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

/// Console lines and CDP network events, accumulated over drains.
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

    /// The console line in which Chrome explains why a fetch of `needle` was blocked.
    pub(crate) fn console_block(&self, needle: &str) -> Option<&str> {
        self.console
            .iter()
            .find(|line| line.contains(needle) && line.contains("has been blocked by CORS policy"))
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
