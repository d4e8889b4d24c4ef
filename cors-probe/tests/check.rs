//! `cors-probe check`: the example table against the real demo server (`tower-cors-demo`, started
//! in the test), a table with mismatches (exit status 1, the table, JUnit XML), and files that
//! cannot be used (exit status 2).

mod support;

use std::process::Stdio;

use axum::Router;
use support::{serve, ORIGIN};
use tokio::net::TcpListener;
use tower_cors_demo as app;

async fn check(args: &[&str]) -> (i32, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_cors-probe"))
        .arg("check")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run cors-probe check");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_table_passes_against_the_demo_server() {
    let page = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let api = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let page_origin = format!("http://{}", page.local_addr().expect("address"));
    let api_origin = format!("http://{}", api.local_addr().expect("address"));
    let _demo = app::start(page, api).expect("the demo starts");

    let dir = tempfile::tempdir().expect("temp dir");
    let junit = dir.path().join("junit.xml");
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo.toml");
    let (code, out, err) = check(&[
        example,
        "--base",
        &api_origin,
        "--origin",
        &page_origin,
        "--junit",
        junit.to_str().expect("path"),
    ])
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("8 check(s), 4 at a time"), "{out}");
    assert!(out.contains("8 passed, 0 failed"), "{out}");
    assert!(
        out.contains("  ok     blocked blocked     another site cannot read it"),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).expect("JUnit file");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cors-probe\" tests=\"8\" failures=\"0\" errors=\"0\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 8, "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatches_fail_the_run_with_a_table_and_junit_failures() {
    // Allows ORIGIN, with PUT.
    let policy = tower_cors::CorsPolicy::builder()
        .allow_origin(ORIGIN)
        .allow_methods(["PUT"])
        .build()
        .expect("policy");
    let app = Router::new()
        .route("/api", axum::routing::any(|| async { "ok" }))
        .layer(tower_cors::CorsLayer::new(policy));
    let base = serve(app).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let table = dir.path().join("checks.toml");
    std::fs::write(
        &table,
        format!(
            r#"
[defaults]
base = "{base}"
origin = "{ORIGIN}"
concurrency = 2

[[check]]
name = "GET is allowed"
url = "/api"
expect = "allowed"

[[check]]
name = "wrongly expected: another origin <allowed> & read"
url = "/api"
origin = "https://evil.example"
expect = "allowed"

[[check]]
name = "PUT without send checks nothing"
url = "/api"
method = "PUT"
expect = "blocked"

[[check]]
name = "the right verdict, the wrong corsError"
url = "/api"
origin = "https://evil.example"
expect = "blocked"
cors_error = "AllowOriginMismatch"

[[check]]
name = "nothing listens there"
url = "http://127.0.0.1:9/api"
expect = "allowed"
"#
        ),
    )
    .expect("write table");
    let junit = dir.path().join("junit.xml");
    let (code, out, err) = check(&[
        table.to_str().expect("path"),
        "--junit",
        junit.to_str().expect("path"),
    ])
    .await;
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("5 check(s), 2 at a time"), "{out}");
    assert!(out.contains("1 passed, 4 failed"), "{out}");
    assert!(
        out.contains("  ok     allowed allowed     GET is allowed"),
        "{out}"
    );
    assert!(
        out.contains("  FAIL   allowed blocked     wrongly expected"),
        "{out}"
    );
    assert!(out.contains("expected allowed, got blocked"), "{out}");
    assert!(out.contains("console: Access to fetch at"), "{out}");
    assert!(
        out.contains("not checked: the PUT request was not sent (add `send = true`"),
        "{out}"
    );
    assert!(
        out.contains("expected corsError AllowOriginMismatch, got MissingAllowOriginHeader"),
        "{out}"
    );
    assert!(
        out.contains("network error: cannot connect to 127.0.0.1:9"),
        "{out}"
    );

    let xml = std::fs::read_to_string(&junit).expect("JUnit file");
    assert!(
        xml.contains("tests=\"5\" failures=\"3\" errors=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("name=\"wrongly expected: another origin &lt;allowed&gt; &amp; read\""),
        "{xml}"
    );
    assert!(
        xml.contains("<failure message=\"expected allowed, got blocked\" type=\"blocked\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<error message=\"network error: cannot connect to 127.0.0.1:9"),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 5, "{xml}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_cannot_be_used_exits_with_status_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.toml");
    for (text, says) in [
        ("[[check]]\nurl = \"/x\"\nexpect = \"allowed\"\n", "no base"),
        (
            "[[check]]\nurl = \"http://127.0.0.1:9/x\"\nexpect = \"allowed\"\n",
            "no origin",
        ),
        (
            "[[check]]\nurl = \"/x\"\nexpect = \"maybe\"\n",
            "unknown variant",
        ),
        ("", "no [[check]] rows"),
    ] {
        std::fs::write(&path, text).expect("write");
        let (code, out, err) = check(&[path.to_str().expect("path")]).await;
        assert_eq!(code, 2, "{text:?}: {out}\n{err}");
        assert!(err.contains(says), "{text:?}: {err}");
    }
    let (code, _, err) = check(&["/nonexistent/checks.toml"]).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read /nonexistent/checks.toml"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_concurrency_probes_run_at_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (n, m) = (now.clone(), most.clone());
    let app = Router::new().fallback(move || {
        let (n, m) = (n.clone(), m.clone());
        async move {
            let inside = n.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(inside, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            n.fetch_sub(1, Ordering::SeqCst);
            [("access-control-allow-origin", "*")]
        }
    });
    let base = serve(app).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let table = dir.path().join("checks.toml");
    let mut text =
        format!("[defaults]\nbase = \"{base}\"\norigin = \"{ORIGIN}\"\nconcurrency = 3\n");
    for i in 0..9 {
        text.push_str(&format!(
            "\n[[check]]\nurl = \"/r{i}\"\nexpect = \"allowed\"\n"
        ));
    }
    std::fs::write(&table, text).expect("write");
    let (code, out, err) = check(&[table.to_str().expect("path")]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("9 passed, 0 failed"), "{out}");
    // `*` is static: no vary check, one request per row.
    assert_eq!(most.load(Ordering::SeqCst), 3, "{out}");
}
