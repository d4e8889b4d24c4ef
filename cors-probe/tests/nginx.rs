//! A real nginx (Debian `nginx-light`) in front of an upstream that answers 500, with the two
//! configurations of the usual advice: CORS `add_header`s without `always` (lost on the error)
//! and with `always` (kept). nginx runs as the test's child with its own configuration, pid,
//! logs and temp paths in a scratch directory, on a free loopback port.
//!
//! `cargo test -p cors-probe --test nginx -- --include-ignored`; set `NGINX` to use another
//! binary than `/usr/sbin/nginx`.

mod support;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::Router;
use support::{probe_json, serve, ORIGIN};

/// The nginx configuration, `always` or not on the CORS `add_header`s.
pub(crate) fn config(dir: &Path, port: u16, upstream: &str, always: bool) -> String {
    let always = if always { " always" } else { "" };
    let dir = dir.display();
    format!(
        r#"daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/client_body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location /api/ {{
      if ($request_method = 'OPTIONS') {{
        add_header Access-Control-Allow-Origin '{ORIGIN}'{always};
        add_header Access-Control-Allow-Methods 'GET, POST, PUT, DELETE, OPTIONS'{always};
        add_header Access-Control-Allow-Headers 'Content-Type, Authorization'{always};
        add_header Access-Control-Allow-Credentials 'true'{always};
        add_header Access-Control-Max-Age 600{always};
        add_header Content-Length 0;
        return 204;
      }}
      add_header Access-Control-Allow-Origin '{ORIGIN}'{always};
      add_header Access-Control-Allow-Credentials 'true'{always};
      proxy_pass {upstream};
      proxy_set_header Host $host;
    }}
  }}
}}
"#
    )
}

/// A running nginx, stopped (and its scratch directory removed) on drop.
pub(crate) struct Nginx {
    child: Child,
    dir: PathBuf,
    pub(crate) url: String,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nginx_binary() -> PathBuf {
    let path =
        std::env::var_os("NGINX").map_or_else(|| PathBuf::from("/usr/sbin/nginx"), PathBuf::from);
    assert!(
        path.exists(),
        "needs nginx: {} does not exist. Install it (`apt-get install -y nginx-light`) or set \
         NGINX to its path",
        path.display()
    );
    path
}

/// Starts nginx in front of `upstream` on a free loopback port.
pub(crate) fn start(upstream: &str, always: bool) -> Nginx {
    let binary = nginx_binary();
    let port = StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = std::env::temp_dir().join(format!("cors-probe-nginx-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, config(&dir, port, upstream, always)).expect("write nginx.conf");
    let child = Command::new(&binary)
        .arg("-p")
        .arg(&dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let mut nginx = Nginx {
        child,
        dir,
        url: format!("http://127.0.0.1:{port}/api/items"),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = nginx.child.try_wait() {
            let log = std::fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default();
            panic!("nginx exited with {status}: {log}");
        }
        assert!(
            Instant::now() < deadline,
            "nginx did not listen on {port} within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    nginx
}

/// The upstream application: every request fails with 500.
pub(crate) async fn failing_upstream() -> String {
    let app = Router::new().fallback(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") });
    serve(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx (Debian nginx-light; run with --include-ignored)"]
async fn add_header_without_always_loses_the_cors_headers_on_errors() {
    let upstream = failing_upstream().await;
    let nginx = start(&upstream, false);

    for (desc, args) in [
        ("simple GET", vec!["--credentials"]),
        (
            "preflighted PUT",
            vec![
                "--credentials",
                "-X",
                "PUT",
                "--send",
                "-H",
                "Content-Type: application/json",
            ],
        ),
    ] {
        let mut all = vec![nginx.url.as_str(), "--origin", ORIGIN];
        all.extend(args);
        let run = probe_json(&all).await;
        assert_eq!(
            (run.verdict(), run.code, run.cors_error()),
            ("blocked", 1, "MissingAllowOriginHeader"),
            "{desc}: {}",
            run.json
        );
        let last = run.json["steps"]
            .as_array()
            .and_then(|s| s.last())
            .cloned()
            .unwrap_or_default();
        assert_eq!(last["received"]["status"], 500, "{desc}: {}", run.json);
        assert!(
            run.hints()
                .contains("add `always` to each CORS `add_header` line"),
            "{desc}: the fix must recommend `always`: {}",
            run.hints()
        );
        if desc == "preflighted PUT" {
            assert_eq!(run.json["steps"][0]["passed"], true, "{}", run.json);
            assert!(run
                .hints()
                .contains("the preflight carried the CORS headers"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx (Debian nginx-light; run with --include-ignored)"]
async fn add_header_always_keeps_the_cors_headers_on_errors() {
    let upstream = failing_upstream().await;
    let nginx = start(&upstream, true);
    for args in [
        vec!["--credentials"],
        vec![
            "--credentials",
            "-X",
            "PUT",
            "--send",
            "-H",
            "Content-Type: application/json",
        ],
    ] {
        let mut all = vec![nginx.url.as_str(), "--origin", ORIGIN];
        all.extend(args);
        let run = probe_json(&all).await;
        assert_eq!((run.verdict(), run.code), ("allowed", 0), "{}", run.json);
        let last = run.json["steps"]
            .as_array()
            .and_then(|s| s.last())
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            last["received"]["status"], 500,
            "the page reads the 500: {}",
            run.json
        );
        assert!(run.json["error"].is_null(), "{}", run.json);
    }
}
