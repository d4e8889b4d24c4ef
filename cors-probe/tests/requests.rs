//! Requests as the page makes them, and nothing more: a same-origin page sends no CORS request,
//! a method that may change data is not sent without `--send`, the body and the cookies go with
//! the actual request only, and what was sent is in the report.

mod support;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::response::IntoResponse;
use axum::Router;
use support::{probe_json, probe_text, serve, ORIGIN};

type Seen = Arc<Mutex<Vec<(Method, HeaderMap, Bytes)>>>;

/// Records every request with its body; allows everything for `ORIGIN` with credentials.
async fn recording(State(seen): State<Seen>, request: Request) -> impl IntoResponse {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    seen.lock()
        .expect("lock")
        .push((parts.method.clone(), parts.headers.clone(), body));
    [
        ("access-control-allow-origin", ORIGIN),
        ("access-control-allow-credentials", "true"),
        ("access-control-allow-methods", "PUT, DELETE, POST, OPTIONS"),
        ("access-control-allow-headers", "content-type"),
        ("vary", "Origin"),
    ]
}

async fn recorder() -> (String, Seen) {
    let seen = Seen::default();
    let base = serve(Router::new().fallback(recording).with_state(seen.clone())).await;
    (base, seen)
}

fn methods(seen: &Seen) -> Vec<Method> {
    seen.lock()
        .expect("lock")
        .iter()
        .map(|(m, _, _)| m.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_the_urls_own_origin_is_not_cors_and_nothing_is_sent() {
    let (base, seen) = recorder().await;
    let url = format!("{base}/api/users");
    // The base is `http://127.0.0.1:PORT`: the page's origin exactly.
    let run = probe_json(&[&url, "--origin", &base, "--method", "POST", "-H", "Content-Type: application/json"]).await;
    assert_eq!((run.verdict(), run.code), ("allowed", 0), "{}", run.json);
    assert_eq!(run.json["same_origin"], true, "{}", run.json);
    assert_eq!(run.json["cors_applies"], false, "{}", run.json);
    assert_eq!(run.json["steps"].as_array().map(Vec::len), Some(0));
    assert!(methods(&seen).is_empty(), "sent {:?}", methods(&seen));
    let notes = run.json["notes"].to_string();
    assert!(notes.contains("CORS does not apply"), "{notes}");
    assert!(notes.contains("`Sec-Fetch-Site: same-origin`"), "{notes}");
    assert!(notes.contains(&format!("`Origin: {base}`")), "{notes}");
    assert!(run.json["error"].is_null());
    assert_eq!(run.json["hints"].as_array().map(Vec::len), Some(0));

    // Default ports and letter case do not make another origin.
    let (code, text) = probe_text(&[
        "http://LOCALHOST:80/api/users",
        "--origin",
        "http://localhost",
    ])
    .await;
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Same origin: CORS does not apply."), "{text}");

    // Another port is another origin.
    let other = format!("http://127.0.0.1:{}", 1 + base[17..].parse::<u16>().expect("port"));
    let run = probe_json(&[&url, "--origin", &other]).await;
    assert_eq!(run.json["same_origin"], false, "{}", run.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_that_may_change_data_is_sent_only_with_send() {
    let (base, seen) = recorder().await;
    let url = format!("{base}/api/users/7");

    // A preflighted DELETE: the preflight goes, the DELETE does not; exit status 3.
    let run = probe_json(&[&url, "--origin", ORIGIN, "--method", "DELETE"]).await;
    assert_eq!((run.verdict(), run.code), ("not-checked", 3), "{}", run.json);
    assert_eq!(methods(&seen), [Method::OPTIONS]);
    assert_eq!(run.json["actual_request"]["sent"], false);
    let reason = run.json["actual_request"]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("the preflight passed"), "{reason}");
    assert!(reason.contains("--send"), "{reason}");
    let (code, text) = probe_text(&[&url, "--origin", ORIGIN, "--method", "DELETE"]).await;
    assert_eq!(code, 3);
    assert!(text.contains("verdict: NOT CHECKED: the actual DELETE request was not sent"), "{text}");

    // A simple POST needs no preflight: nothing at all is sent.
    seen.lock().expect("lock").clear();
    let run = probe_json(&[&url, "--origin", ORIGIN, "--method", "POST", "--data", "a=1"]).await;
    assert_eq!((run.verdict(), run.code), ("not-checked", 3), "{}", run.json);
    assert!(methods(&seen).is_empty(), "sent {:?}", methods(&seen));
    assert!(run.json["actual_request"]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("it needs no preflight")));

    // A refused preflight is still a verdict: blocked, exit 1, and nothing else sent.
    seen.lock().expect("lock").clear();
    let run = probe_json(&[&url, "--origin", ORIGIN, "--method", "PATCH"]).await;
    assert_eq!((run.verdict(), run.code), ("blocked", 1), "{}", run.json);
    assert_eq!(methods(&seen), [Method::OPTIONS]);

    // With --send the DELETE goes.
    seen.lock().expect("lock").clear();
    let run = probe_json(&[&url, "--origin", ORIGIN, "--method", "DELETE", "--send"]).await;
    assert_eq!((run.verdict(), run.code), ("allowed", 0), "{}", run.json);
    assert_eq!(methods(&seen), [Method::OPTIONS, Method::DELETE]);
    assert_eq!(run.json["actual_request"]["sent"], true);

    // GET, HEAD and OPTIONS need no flag.
    for method in ["GET", "HEAD", "OPTIONS"] {
        seen.lock().expect("lock").clear();
        let run = probe_json(&[&url, "--origin", ORIGIN, "--method", method]).await;
        assert_eq!(run.json["actual_request"]["sent"], true, "{method}: {}", run.json);
    }
}
