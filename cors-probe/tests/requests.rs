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
use serde_json::Value;
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
    let run = probe_json(&[
        &url,
        "--origin",
        &base,
        "--method",
        "POST",
        "-H",
        "Content-Type: application/json",
    ])
    .await;
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
    let other = format!(
        "http://127.0.0.1:{}",
        1 + base[17..].parse::<u16>().expect("port")
    );
    let run = probe_json(&[&url, "--origin", &other]).await;
    assert_eq!(run.json["same_origin"], false, "{}", run.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_that_may_change_data_is_sent_only_with_send() {
    let (base, seen) = recorder().await;
    let url = format!("{base}/api/users/7");

    // A preflighted DELETE: the preflight goes, the DELETE does not; exit status 3.
    let run = probe_json(&[&url, "--origin", ORIGIN, "--method", "DELETE"]).await;
    assert_eq!(
        (run.verdict(), run.code),
        ("not-checked", 3),
        "{}",
        run.json
    );
    assert_eq!(methods(&seen), [Method::OPTIONS]);
    assert_eq!(run.json["actual_request"]["sent"], false);
    let reason = run.json["actual_request"]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("the preflight passed"), "{reason}");
    assert!(reason.contains("--send"), "{reason}");
    let (code, text) = probe_text(&[&url, "--origin", ORIGIN, "--method", "DELETE"]).await;
    assert_eq!(code, 3);
    assert!(
        text.contains("verdict: NOT CHECKED: the actual DELETE request was not sent"),
        "{text}"
    );

    // A simple POST needs no preflight: nothing at all is sent.
    seen.lock().expect("lock").clear();
    let run = probe_json(&[
        &url, "--origin", ORIGIN, "--method", "POST", "--data", "a=1",
    ])
    .await;
    assert_eq!(
        (run.verdict(), run.code),
        ("not-checked", 3),
        "{}",
        run.json
    );
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
        assert_eq!(
            run.json["actual_request"]["sent"], true,
            "{method}: {}",
            run.json
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_and_the_cookies_go_with_the_actual_request_as_the_page_sends_them() {
    let (base, seen) = recorder().await;
    let url = format!("{base}/api/users");

    // A JSON body with its Content-Type: preflighted, the body on the actual request only.
    let run = probe_json(&[
        &url,
        "--origin",
        ORIGIN,
        "-X",
        "POST",
        "--send",
        "-H",
        "Content-Type: application/json",
        "--data",
        r#"{"name":"ada"}"#,
        "--credentials",
        "--cookie",
        "session=s1",
        "-b",
        "theme=dark",
    ])
    .await;
    assert_eq!((run.verdict(), run.code), ("allowed", 0), "{}", run.json);
    {
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), 2, "{seen:?}");
        let (method, preflight, body) = &seen[0];
        assert_eq!(method, Method::OPTIONS);
        assert!(body.is_empty(), "a preflight has no body");
        assert!(
            !preflight.contains_key("cookie"),
            "a preflight has no cookies"
        );
        let (method, actual, body) = &seen[1];
        assert_eq!(method, Method::POST);
        assert_eq!(&body[..], br#"{"name":"ada"}"#);
        assert_eq!(actual["content-type"], "application/json");
        assert_eq!(actual["cookie"], "session=s1; theme=dark");
        assert_eq!(
            actual["user-agent"],
            concat!("cors-probe/", env!("CARGO_PKG_VERSION"))
        );
    }
    assert_eq!(run.json["request"]["body_bytes"], 14, "{}", run.json);
    assert_eq!(
        run.json["request"]["cookies"][1], "theme=dark",
        "{}",
        run.json
    );
    assert_eq!(
        run.json["steps"][1]["sent"]["body_bytes"], 14,
        "{}",
        run.json
    );

    // A body without Content-Type is text/plain;charset=UTF-8, as fetch() sends a string:
    // safelisted, so no preflight. Cookies without --credentials are not sent, and it says so.
    seen.lock().expect("lock").clear();
    let run = probe_json(&[
        &url,
        "--origin",
        ORIGIN,
        "-X",
        "POST",
        "--send",
        "-d",
        "hello",
        "--cookie",
        "session=s1",
    ])
    .await;
    assert_eq!((run.verdict(), run.code), ("allowed", 0), "{}", run.json);
    assert_eq!(run.json["preflight"], false, "{}", run.json);
    {
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), 1, "{seen:?}");
        let (_, actual, body) = &seen[0];
        assert_eq!(actual["content-type"], "text/plain;charset=UTF-8");
        assert!(!actual.contains_key("cookie"));
        assert_eq!(&body[..], b"hello");
    }
    assert!(run.json["warnings"]
        .to_string()
        .contains("--cookie given without --credentials: not sent"));
    assert!(run.json["notes"]
        .to_string()
        .contains("`Content-Type: text/plain;charset=UTF-8`"));

    // --data-file reads the body from a file.
    seen.lock().expect("lock").clear();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("body.json");
    std::fs::write(&file, b"[1,2,3]").expect("write");
    let run = probe_json(&[
        &url,
        "--origin",
        ORIGIN,
        "-X",
        "PUT",
        "--send",
        "-H",
        "Content-Type: application/json",
        "--data-file",
        file.to_str().expect("path"),
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.json);
    assert_eq!(&seen.lock().expect("lock")[1].2[..], b"[1,2,3]");

    // fetch() refuses a body on GET: so does the probe, as a usage error.
    let run = probe_json(&[&url, "--origin", ORIGIN, "--data", "x"]).await;
    assert_eq!(
        (run.code, run.json["error"]["kind"].as_str()),
        (2, Some("usage"))
    );
    assert!(run.json["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Request with GET/HEAD method cannot have body.")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_needs_a_body_is_judged_on_its_answer_to_one() {
    // Answers 400 without CORS headers to an empty body (a validation error before the CORS
    // layer), and 201 with them to a body: the browser's real request, with a body, is readable.
    let app = Router::new().fallback(|method: Method, body: Bytes| async move {
        let cors = [
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "POST"),
            ("access-control-allow-headers", "content-type"),
        ];
        if method == Method::OPTIONS {
            (axum::http::StatusCode::NO_CONTENT, cors).into_response()
        } else if body.is_empty() {
            (axum::http::StatusCode::BAD_REQUEST, "empty body").into_response()
        } else {
            (axum::http::StatusCode::CREATED, cors, "created").into_response()
        }
    });
    let base = serve(app).await;
    let url = format!("{base}/api/users");
    let json = ["-H", "Content-Type: application/json"];
    let mut args = vec![url.as_str(), "--origin", ORIGIN, "-X", "POST", "--send"];
    args.extend(json);
    let without = probe_json(&args).await;
    assert_eq!(without.verdict(), "blocked", "{}", without.json);
    assert_eq!(without.json["request"]["body_bytes"], Value::Null);
    args.extend(["--data", r#"{"name":"ada"}"#]);
    let with = probe_json(&args).await;
    assert_eq!((with.verdict(), with.code), ("allowed", 0), "{}", with.json);
    let actual = with.json["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["step"] == "actual"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(actual["received"]["status"], 201, "{}", with.json);
    assert_eq!(actual["sent"]["body_bytes"], 14, "{}", with.json);
}
