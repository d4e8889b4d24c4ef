//! Loopback servers and a runner for the `cors-probe` binary.
#![allow(dead_code)]

use std::process::Stdio;

use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;

/// The page's origin in every test.
pub(crate) const ORIGIN: &str = "https://app.example.com";

/// Serves `app` on a free loopback port; returns `http://127.0.0.1:PORT`.
pub(crate) async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://127.0.0.1:{port}")
}

/// What one run of the binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) json: Value,
    pub(crate) stderr: String,
}

/// Runs `cors-probe ARGS --json`.
pub(crate) async fn probe_json(args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_cors-probe"))
        .args(args)
        .arg("--json")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run cors-probe");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let json: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("cors-probe printed no JSON object ({e}): {stdout:?}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        json,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `cors-probe ARGS` (text report).
pub(crate) async fn probe_text(args: &[&str]) -> (i32, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_cors-probe"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run cors-probe");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

impl Run {
    pub(crate) fn verdict(&self) -> &str {
        self.json["verdict"].as_str().unwrap_or("(none)")
    }

    pub(crate) fn cors_error(&self) -> &str {
        self.json["error"]["cors_error"]
            .as_str()
            .unwrap_or("(none)")
    }

    pub(crate) fn console(&self) -> &str {
        self.json["error"]["console"].as_str().unwrap_or("")
    }

    pub(crate) fn hints(&self) -> String {
        self.json["hints"]
            .as_array()
            .map(|h| {
                h.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    pub(crate) fn warnings(&self) -> String {
        self.json["warnings"]
            .as_array()
            .map(|h| {
                h.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }
}
