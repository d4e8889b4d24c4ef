//! The documented screenshot command (demo/README.md) captures the page's
//! final state: headless Chromium with a virtual-time budget waits until
//! every scenario is decided and the summary line is written.
//!
//! Needs Chromium (`apt-get install chromium`; `CHROMIUM` names another
//! binary): `cargo test -p tower-cors-demo -- --include-ignored`.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::net::TcpListener;
use tower_cors_demo::SCENARIOS;

/// The flags demo/README.md documents, in its order.
const DOCUMENTED_FLAGS: &[&str] = &[
    "--headless",
    "--hide-scrollbars",
    "--window-size=1280,1000",
    "--virtual-time-budget=30000",
];

/// Runs Chromium with the documented flags, `extra`, and the page's URL.
async fn chromium(profile: &Path, extra: &str, url: &str) -> Output {
    let program = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_owned());
    let mut command = tokio::process::Command::new(&program);
    command
        .args(DOCUMENTED_FLAGS)
        // Chromium's sandbox refuses to start as root (containers, CI).
        .arg("--no-sandbox")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(extra)
        .arg(url)
        // Its own process group, so a timeout ends its helper processes too.
        .process_group(0)
        .kill_on_drop(true);
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}): install Chromium (apt-get install chromium) or set CHROMIUM")
        });
    let group = child.id();
    match tokio::time::timeout(Duration::from_secs(120), child.wait_with_output()).await {
        Ok(output) => output.unwrap_or_else(|e| panic!("{program} {extra}: {e}")),
        Err(_) => {
            if let Some(group) = group {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{group}")])
                    .status();
            }
            panic!("{program} {extra} did not finish within 120 s")
        }
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("demo-headless-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") || png.get(12..16) != Some(b"IHDR") {
        return None;
    }
    let word = |at: usize| {
        png.get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
    };
    Some((word(16)?, word(20)?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium (apt-get install chromium)"]
async fn the_documented_screenshot_command_captures_the_final_state() {
    let page = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let api = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let demo = tower_cors_demo::start(page, api).expect("the demo starts");

    // The DOM at the moment the screenshot would be taken.
    let dom_profile = scratch("dom");
    let dump = chromium(&dom_profile, "--dump-dom", &demo.page_url).await;
    let dom = String::from_utf8_lossy(&dump.stdout);
    let summary = format!(
        "<div id=\"summary\" class=\"pass\">{0} of {0} scenarios behaved as expected</div>",
        SCENARIOS.len()
    );
    assert!(
        dom.contains(&summary),
        "the page did not settle on {summary:?} within the virtual-time budget:\n{}\nstderr: {}",
        dom.lines()
            .filter(|l| l.contains("summary") || l.contains("<tr class="))
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&dump.stderr)
    );
    assert_eq!(
        dom.matches("<tr class=\"pass\">").count(),
        SCENARIOS.len(),
        "every scenario's row is decided and passes"
    );
    assert_eq!(dom.matches("<tr class=\"fail\">").count(), 0);

    // The screenshot itself: a PNG of the documented window size, kept in
    // the target directory for a look.
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-headless-screenshot.png");
    let _ = std::fs::remove_file(&png);
    let png_profile = scratch("png");
    let shot = chromium(
        &png_profile,
        &format!("--screenshot={}", png.display()),
        &demo.page_url,
    )
    .await;
    let bytes = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot at {} ({e}); stderr: {}",
            png.display(),
            String::from_utf8_lossy(&shot.stderr)
        )
    });
    assert_eq!(png_size(&bytes), Some((1280, 1000)));
    for profile in [dom_profile, png_profile] {
        let _ = std::fs::remove_dir_all(profile);
    }
}
