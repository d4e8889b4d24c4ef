//! WebSocket handshakes judged by Chromium and by the probe: an open socket, one guarded by
//! tower-cors (from an allowed and from a refused origin), an endpoint that is not a WebSocket,
//! and raw servers answering `101` with a wrong `Sec-WebSocket-Accept` or without `Upgrade`.
//! Chromium's verdict and console sentence (read through ChromeDriver's browser log, where the
//! WebSocket errors are) must be the probe's.
//!
//! `cargo test -p cors-probe --test websocket_chromium -- --include-ignored`; `CHROMEDRIVER`
//! selects the driver (default `chromedriver`, which starts Debian's `chromium`).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::extract::ws::WebSocketUpgrade;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use cors_probe::{Probe, Verdict};
use serde_json::{json, Value};
use support::serve;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// ChromeDriver in its own process group, stopped with its browsers.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Killing the driver alone leaves its browser running: end the whole group.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn driver() -> Driver {
    use std::os::unix::process::CommandExt;
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("needs ChromeDriver: cannot run {binary:?}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "ChromeDriver did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, port }
}

/// One WebDriver command over HTTP/1.1.
fn webdriver(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to ChromeDriver");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    // ChromeDriver keeps the connection open: read the head, then Content-Length bytes.
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "ChromeDriver closed the connection");
        answer.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Content-Length: {head}"));
    while answer.len() < head_end + length {
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "ChromeDriver closed the connection");
        answer.extend_from_slice(&buf[..n]);
    }
    let json = &answer[head_end..head_end + length];
    serde_json::from_slice(json)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&answer)))
}

/// A raw server that answers every connection with `answer`.
async fn raw(answer: &'static str) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tcp.write_all(answer.as_bytes()).await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            });
        }
    });
    port
}

fn socket() -> Router {
    Router::new().route(
        "/ws",
        get(|upgrade: WebSocketUpgrade| async move { upgrade.on_upgrade(|_socket| async {}) }),
    )
}

/// The page: opens each socket in turn, records open or error.
fn page(urls: &[(String, String)]) -> String {
    let cases: Vec<Value> = urls
        .iter()
        .map(|(id, url)| json!({"id": id, "url": url}))
        .collect();
    format!(
        r#"<!doctype html><title>running</title><script>
window.results = null;
const cases = {};
(async () => {{
  const out = {{}};
  for (const c of cases) {{
    out[c.id] = await new Promise((resolve) => {{
      const ws = new WebSocket(c.url);
      ws.onopen = () => {{ ws.close(); resolve('open'); }};
      ws.onerror = () => resolve('error');
    }});
  }}
  window.results = out;
}})();
</script>"#,
        Value::Array(cases)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and ChromeDriver (run with --include-ignored)"]
async fn the_probe_agrees_with_chromium_on_websocket_handshakes() {
    let policy = tower_cors::CorsPolicy::builder();
    let page_base = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        port
    };
    let allowed = format!("http://127.0.0.1:{page_base}");
    let other = format!("http://localhost:{page_base}");
    let guard = policy
        .allow_origin(allowed.as_str())
        .guard_websockets(true)
        .build()
        .expect("policy");

    let open = serve(socket()).await.replace("http://", "ws://");
    let guarded = serve(socket().layer(tower_cors::CorsLayer::new(guard)))
        .await
        .replace("http://", "ws://");
    let plain = serve(Router::new().route("/ws", get(|| async { "hello" })))
        .await
        .replace("http://", "ws://");
    let bad_accept = raw(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
    )
    .await;
    let no_upgrade = raw(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
    )
    .await;

    // (id, page origin, URL, Chromium's expected outcome)
    let cases: Vec<(&str, &str, String, bool)> = vec![
        ("open", &allowed, format!("{open}/ws?case=open"), true),
        (
            "guarded-allowed",
            &allowed,
            format!("{guarded}/ws?case=guarded-allowed"),
            true,
        ),
        (
            "guarded-refused",
            &other,
            format!("{guarded}/ws?case=guarded-refused"),
            false,
        ),
        ("plain", &allowed, format!("{plain}/ws?case=plain"), false),
        (
            "bad-accept",
            &allowed,
            format!("ws://127.0.0.1:{bad_accept}/ws?case=bad-accept"),
            false,
        ),
        (
            "no-upgrade",
            &allowed,
            format!("ws://127.0.0.1:{no_upgrade}/ws?case=no-upgrade"),
            false,
        ),
    ];
    let for_page = |origin: &str| -> String {
        page(
            &cases
                .iter()
                .filter(|(_, o, _, _)| *o == origin)
                .map(|(id, _, url, _)| ((*id).to_owned(), url.clone()))
                .collect::<Vec<_>>(),
        )
    };
    let (allowed_html, other_html) = (for_page(&allowed), for_page(&other));
    let pages = Router::new()
        .route(
            "/allowed",
            get(move || async move { Html(allowed_html).into_response() }),
        )
        .route(
            "/other",
            get(move || async move { Html(other_html).into_response() }),
        );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", page_base))
        .await
        .expect("bind the page port");
    tokio::spawn(async move {
        let _ = axum::serve(listener, pages).await;
    });

    let scratch = tempfile::tempdir().expect("profile");
    let (results, log) = tokio::task::spawn_blocking({
        let (allowed, other) = (allowed.clone(), other.clone());
        let profile = scratch.path().display().to_string();
        move || {
            let driver = driver();
            let session = webdriver(
                driver.port,
                "POST",
                "/session",
                Some(json!({"capabilities": {"alwaysMatch": {
                    "goog:chromeOptions": {"args": [
                        "--headless", "--no-sandbox", "--disable-gpu",
                        format!("--user-data-dir={profile}"),
                    ]},
                    "goog:loggingPrefs": {"browser": "ALL"},
                }}})),
            );
            let id = session["value"]["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("no session: {session}"))
                .to_owned();
            let mut results = serde_json::Map::new();
            let mut log = Vec::new();
            for url in [format!("{allowed}/allowed"), format!("{other}/other")] {
                webdriver(
                    driver.port,
                    "POST",
                    &format!("/session/{id}/url"),
                    Some(json!({ "url": url })),
                );
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    let r = webdriver(
                        driver.port,
                        "POST",
                        &format!("/session/{id}/execute/sync"),
                        Some(json!({"script": "return window.results;", "args": []})),
                    );
                    if let Some(map) = r["value"].as_object() {
                        results.extend(map.clone());
                        break;
                    }
                    assert!(Instant::now() < deadline, "the page did not finish: {r}");
                    std::thread::sleep(Duration::from_millis(100));
                }
                let entries = webdriver(
                    driver.port,
                    "POST",
                    &format!("/session/{id}/se/log"),
                    Some(json!({"type": "browser"})),
                );
                for entry in entries["value"].as_array().into_iter().flatten() {
                    if let Some(m) = entry["message"].as_str() {
                        log.push(m.to_owned());
                    }
                }
            }
            webdriver(driver.port, "DELETE", &format!("/session/{id}"), None);
            (results, log)
        }
    })
    .await
    .expect("driver thread");

    let mut failures = Vec::new();
    for (id, origin, url, opens) in &cases {
        let chromium_opens = results.get(*id).and_then(Value::as_str) == Some("open");
        if chromium_opens != *opens {
            failures.push(format!(
                "{id}: Chromium {:?}, expected open = {opens}",
                results.get(*id)
            ));
        }
        let sentence = log.iter().find_map(|line| {
            line.find("WebSocket connection to ")
                .filter(|_| line.contains(&format!("case={id}'")))
                .map(|start| line[start..].trim_end_matches('"').to_owned())
        });
        let report = cors_probe::run(&Probe::new(url, origin)).await;
        let probe_opens = report.verdict == Some(Verdict::Allowed);
        if probe_opens != chromium_opens {
            failures.push(format!(
                "{id}: Chromium opens = {chromium_opens}, cors-probe {:?}",
                report.verdict
            ));
        }
        if !chromium_opens && sentence != report.console {
            failures.push(format!(
                "{id}: sentences differ:\n    Chromium:   {sentence:?}\n    cors-probe: {:?}",
                report.console
            ));
        }
        let hijack = report
            .warnings
            .iter()
            .any(|w| w.contains("cross-site WebSocket hijacking"));
        if hijack != (*id == "open") {
            failures.push(format!(
                "{id}: hijacking warning {hijack}: {:?}",
                report.warnings
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nlog: {log:#?}",
        failures.join("\n")
    );
}
