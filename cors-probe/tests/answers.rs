//! What goes on the wire, and robustness: arbitrary answers (parsed headers and raw bytes) never
//! make the probe panic, and its verdict is the Fetch-Standard model's.

mod support;

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::IntoResponse;
use axum::Router;
use cors_model::{CredentialsMode, FetchRequest, WireResponse};
use cors_probe::{check_actual, check_preflight, PreflightVerdict};
use proptest::prelude::*;
use support::{probe_json, serve, ORIGIN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Seen = Arc<Mutex<Vec<(Method, HeaderMap)>>>;

/// Records every request; allows everything for `ORIGIN` with credentials.
async fn recording(State(seen): State<Seen>, request: Request) -> impl IntoResponse {
    seen.lock()
        .expect("lock")
        .push((request.method().clone(), request.headers().clone()));
    [
        ("access-control-allow-origin", ORIGIN),
        ("access-control-allow-credentials", "true"),
        ("access-control-allow-methods", "PUT"),
        (
            "access-control-allow-headers",
            "authorization, content-type, x-alpha, x-zeta",
        ),
        ("vary", "Origin"),
    ]
}

fn names(headers: &HeaderMap) -> Vec<&str> {
    let mut v: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
    v.sort_unstable();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preflight_and_the_actual_request_carry_exactly_the_browser_headers() {
    let seen = Seen::default();
    let base = serve(Router::new().fallback(recording).with_state(seen.clone())).await;
    let url = format!("{base}/api");
    let run = probe_json(&[
        &url,
        "--origin",
        ORIGIN,
        "--method",
        "put",
        "--credentials",
        "--send",
        "-H",
        "X-Zeta: 1",
        "-H",
        "Content-Type: application/json",
        "-H",
        "Authorization: Bearer t",
        "-H",
        "X-Alpha: 2",
        "-H",
        "Cookie: a=b",
    ])
    .await;
    assert_eq!((run.verdict(), run.code), ("allowed", 0), "{}", run.json);
    assert!(run
        .warnings()
        .contains("`Cookie` (a forbidden request header)"));
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 2, "one preflight, one actual request: {seen:?}");

    let (method, preflight) = &seen[0];
    assert_eq!(method, Method::OPTIONS);
    assert_eq!(
        names(preflight),
        [
            "accept",
            "access-control-request-headers",
            "access-control-request-method",
            "host",
            "origin",
            "user-agent"
        ],
        "{preflight:?}"
    );
    assert_eq!(preflight["origin"], ORIGIN);
    assert_eq!(
        preflight["user-agent"],
        concat!("cors-probe/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(preflight["access-control-request-method"], "PUT");
    assert_eq!(
        preflight["access-control-request-headers"],
        "authorization,content-type,x-alpha,x-zeta"
    );

    let (method, actual) = &seen[1];
    assert_eq!(method, Method::PUT);
    assert_eq!(actual["origin"], ORIGIN);
    assert_eq!(actual["authorization"], "Bearer t");
    assert_eq!(actual["x-zeta"], "1");
    assert!(!actual.contains_key("cookie"), "{actual:?}");
    assert!(!actual.contains_key("access-control-request-method"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out_with_a_progress_line_and_exit_status_2() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let url = format!("http://127.0.0.1:{port}/slow");
    let run = probe_json(&[&url, "--origin", ORIGIN, "--timeout", "4"]).await;
    assert_eq!(run.code, 2, "{}", run.json);
    assert!(run.json["verdict"].is_null(), "{}", run.json);
    assert_eq!(run.json["error"]["kind"], "network", "{}", run.json);
    assert!(
        run.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("did not answer in time")),
        "{}",
        run.json
    );
    assert!(
        run.stderr
            .contains("still waiting for actual GET 127.0.0.1"),
        "stderr: {:?}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_with_status_2() {
    for args in [
        vec![
            "http://127.0.0.1:1/",
            "--origin",
            "https://app.example.com/",
        ],
        vec!["ftp://127.0.0.1/", "--origin", ORIGIN],
        vec![
            "http://127.0.0.1:1/",
            "--origin",
            "https://app.example.com:443",
        ],
        vec![
            "http://127.0.0.1:1/",
            "--origin",
            ORIGIN,
            "--data",
            "a body on a GET",
        ],
        vec![
            "http://127.0.0.1:1/",
            "--origin",
            ORIGIN,
            "--cookie",
            "no-equals-sign",
        ],
        vec!["ws://127.0.0.1:1/", "--origin", ORIGIN, "-X", "POST"],
        vec![
            "http://127.0.0.1:1/",
            "--origin",
            ORIGIN,
            "--method",
            "TRACE",
        ],
    ] {
        let run = probe_json(&args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.json);
        assert_eq!(run.json["error"]["kind"], "usage", "{args:?}: {}", run.json);
    }
    let (code, _) = support::probe_text(&["http://127.0.0.1:1/"]).await;
    assert_eq!(code, 2, "a missing --origin is a usage error");
}

// ---- arbitrary answers ---------------------------------------------------------------------

fn header_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
        "access-control-expose-headers",
        "vary",
        "location",
        "x-other",
    ])
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "*",
            ORIGIN,
            "https://app.example.com/",
            "null",
            "true",
            "True",
            "PUT",
            "put",
            "GET, PUT",
            "x-api-key",
            "authorization",
            "*, x-api-key",
            "Origin",
            "600",
            "-1",
            "a b",
            ",,",
            "https://app.example.com, https://app.example.com",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff], 0..40),
    ]
}

fn answer() -> impl Strategy<Value = WireResponse> {
    (
        prop_oneof![
            Just(200u16),
            Just(204),
            Just(302),
            Just(308),
            Just(403),
            100u16..1000
        ],
        prop::collection::vec((header_name(), header_value()), 0..8),
    )
        .prop_map(|(status, lines)| {
            let mut headers = HeaderMap::new();
            for (name, value) in lines {
                if let Ok(v) = HeaderValue::from_bytes(&value) {
                    headers.append(HeaderName::from_static(name), v);
                }
            }
            WireResponse { status, headers }
        })
}

fn request() -> impl Strategy<Value = FetchRequest> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "patch", "DELETE"]),
        prop::sample::subsequence(
            vec![
                ("X-Api-Key", "1"),
                ("Authorization", "Bearer t"),
                ("Content-Type", "application/json"),
                ("Accept", "text/html"),
            ],
            0..4,
        ),
        any::<bool>(),
    )
        .prop_map(|(method, headers, credentials)| {
            let headers: Vec<(&str, &[u8])> =
                headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
            let mode = if credentials {
                CredentialsMode::Include
            } else {
                CredentialsMode::Omit
            };
            FetchRequest::new(ORIGIN, method, &headers, mode)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The probe's judgement is the model's, except the two documented browser behaviours: a
    /// redirected preflight fails first, and `*` covers `Authorization` without credentials.
    #[test]
    fn judgements_agree_with_the_fetch_model(req in request(), response in answer()) {
        let model = cors_model::validate_preflight(&req, &response);
        let probe = check_preflight(&req, &response);
        let redirected = cors_probe::redirect_location(&response).is_some();
        match (&probe, &model) {
            (PreflightVerdict::Passed { .. }, Ok(_)) => prop_assert!(!redirected),
            (PreflightVerdict::Failed(d), Err(_)) => {
                prop_assert!(!d.reason.is_empty() && d.cors_error != "Unexpected");
                prop_assert!(!d.hints.is_empty() || d.cors_error.starts_with("Preflight"));
            }
            (PreflightVerdict::Failed(d), Ok(_)) => {
                prop_assert!(redirected, "failed {d:?} where the model passes");
                prop_assert_eq!(d.cors_error, "PreflightDisallowedRedirect");
            }
            (PreflightVerdict::Passed { warnings, .. }, Err(e)) => {
                prop_assert!(
                    matches!(e, cors_model::NetworkError::NonWildcardHeaderNotAllowed(_)),
                    "passed where the model fails with {e:?}"
                );
                prop_assert!(!req.credentials.is_include());
                prop_assert!(warnings.iter().any(|w| w.contains("authorization")));
            }
        }
        let actual = check_actual(&req, &response, false);
        let model = cors_model::cors_check(&req.origin, req.credentials, &response.headers);
        prop_assert_eq!(actual.is_ok(), model.is_ok());
        if let Err(d) = actual {
            prop_assert!(!d.hints.is_empty(), "no fix for {d:?}");
            let sentence = cors_probe::console_sentence("http://x/", ORIGIN, &d);
            prop_assert!(sentence.starts_with("Access to fetch at 'http://x/' from origin"));
        }
    }
}

/// A server that writes `bytes` (after reading the request) and closes.
async fn raw_server(bytes: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let bytes = bytes.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(&bytes).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/api")
}

fn raw_answer() -> impl Strategy<Value = Vec<u8>> {
    let head = prop::sample::select(vec![
        "",
        "HTTP/1.1 200 OK\r\n",
        "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: https://app.example.com\r\n",
        "HTTP/1.0 302 Found\r\nLocation: /x\r\n",
        "HTTP/1.1 999 ?\r\n",
    ]);
    let tail = prop::collection::vec(
        prop_oneof![
            Just(b"\r\n".to_vec()),
            Just(b"Access-Control-Allow-Methods: ".to_vec()),
            Just(b"Content-Length: 5\r\n".to_vec()),
            Just(b"Transfer-Encoding: chunked\r\n".to_vec()),
            prop::collection::vec(any::<u8>(), 0..16),
        ],
        0..8,
    );
    (head, tail).prop_map(|(h, t)| {
        let mut bytes = h.as_bytes().to_vec();
        bytes.extend(t.into_iter().flatten());
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever bytes come back, the probe ends with a verdict or a network error.
    #[test]
    fn raw_answers_never_panic(bytes in raw_answer(), preflight in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let report = runtime.block_on(async {
            let url = raw_server(bytes).await;
            let mut probe = cors_probe::Probe::new(&url, ORIGIN);
            probe.timeout = std::time::Duration::from_secs(5);
            if preflight {
                probe.method = "PUT".to_owned();
            }
            cors_probe::run(&probe).await
        });
        let code = report.exit_code();
        prop_assert!(matches!(code, 0..=2));
        prop_assert_eq!(code == 2, report.verdict.is_none());
        let _ = report.to_text();
        let _ = report.to_json();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_goes_through_tls_and_reports_a_failed_handshake_as_a_network_error() {
    // A plain-HTTP server: the TLS handshake must fail cleanly (exit 2), not hang or panic.
    let base = serve(Router::new().fallback(|| async { "plain" })).await;
    let url = base.replace("http://", "https://") + "/api";
    let run = probe_json(&[&url, "--origin", ORIGIN, "--timeout", "10"]).await;
    assert_eq!(run.code, 2, "{}", run.json);
    assert_eq!(run.json["error"]["kind"], "network", "{}", run.json);
    assert!(
        run.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("TLS with 127.0.0.1 failed")),
        "{}",
        run.json
    );
}
