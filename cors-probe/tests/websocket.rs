//! `ws://` URLs: a browser's handshake against an axum WebSocket endpoint, open to any origin
//! (the hijacking warning) and guarded by tower-cors (`guard_websockets`: the browser's error
//! sentence and a refusal that is the API owner's decision), and against endpoints that are not
//! WebSockets at all.

mod support;

use std::sync::{Arc, Mutex};

use axum::extract::ws::WebSocketUpgrade;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use support::{probe_json, probe_text, serve, ORIGIN};

type Seen = Arc<Mutex<Vec<HeaderMap>>>;

fn socket_app(seen: Seen) -> Router {
    Router::new().route(
        "/ws",
        get(move |headers: HeaderMap, upgrade: WebSocketUpgrade| {
            let seen = seen.clone();
            async move {
                seen.lock().expect("lock").push(headers);
                upgrade.on_upgrade(|_socket| async {})
            }
        }),
    )
}

fn guarded(app: Router) -> Router {
    let policy = tower_cors::CorsPolicy::builder()
        .allow_origin(ORIGIN)
        .guard_websockets(true)
        .build()
        .expect("policy");
    app.layer(tower_cors::CorsLayer::new(policy))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_socket_is_reported_with_the_hijacking_warning() {
    let seen = Seen::default();
    let base = serve(socket_app(seen.clone())).await;
    let url = format!("{}/ws", base.replace("http://", "ws://"));
    let run = probe_json(&[
        &url,
        "--origin",
        "https://evil.example",
        "--cookie",
        "session=s1",
    ])
    .await;
    assert_eq!((run.verdict(), run.code), ("allowed", 0), "{}", run.json);
    assert_eq!(run.json["websocket"], true);
    assert_eq!(
        run.json["steps"][0]["received"]["status"], 101,
        "{}",
        run.json
    );
    assert!(
        run.warnings().contains(
            "cross-site WebSocket hijacking: the server accepts handshakes \
                                 from any origin (it accepted https://evil.example and \
                                 https://cors-probe.invalid alike)"
        ),
        "{}",
        run.json
    );
    let headers = seen.lock().expect("lock")[0].clone();
    assert_eq!(headers["origin"], "https://evil.example");
    assert_eq!(headers["sec-websocket-version"], "13");
    assert_eq!(headers["upgrade"], "websocket");
    // A browser sends the cookies with every handshake.
    assert_eq!(headers["cookie"], "session=s1");
    assert_eq!(headers["sec-websocket-key"].len(), 24);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_socket_refuses_another_origin_with_chromiums_sentence() {
    let seen = Seen::default();
    let base = serve(guarded(socket_app(seen.clone()))).await;
    let url = format!("{}/ws", base.replace("http://", "ws://"));

    let run = probe_json(&[&url, "--origin", ORIGIN]).await;
    assert_eq!((run.verdict(), run.code), ("allowed", 0), "{}", run.json);
    assert!(run.warnings().is_empty(), "{}", run.json);
    assert_eq!(run.json["steps"][1]["step"], "origin-check", "{}", run.json);
    assert_eq!(
        run.json["steps"][1]["received"]["status"], 403,
        "{}",
        run.json
    );
    assert_eq!(run.json["steps"][1]["passed"], true, "{}", run.json);

    let run = probe_json(&[&url, "--origin", "https://evil.example"]).await;
    assert_eq!((run.verdict(), run.code), ("blocked", 1), "{}", run.json);
    assert_eq!(
        run.console(),
        format!(
            "WebSocket connection to '{url}' failed: Error during WebSocket handshake: \
             Unexpected response code: 403"
        )
    );
    assert_eq!(run.json["error"]["kind"], "websocket");
    let hints = run.hints();
    assert!(
        hints.contains(
            "tower-cors refused this handshake on purpose (its answer says \
                        \"WebSocket upgrade refused: origin not allowed\")"
        ),
        "{hints}"
    );
    assert!(hints.contains("the API owner's decision"), "{hints}");
    assert_eq!(
        seen.lock().expect("lock").len(),
        1,
        "only the allowed origin's handshake got through"
    );

    let (code, text) = probe_text(&[&url, "--origin", "https://evil.example"]).await;
    assert_eq!(code, 1);
    assert!(text.contains("cors-probe: new WebSocket('"), "{text}");
    assert!(
        text.contains("verdict: BLOCKED: the handshake fails"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_endpoint_is_not_a_websocket() {
    let base = serve(Router::new().route("/ws", get(|| async { "hello" }))).await;
    let url = format!("{}/ws", base.replace("http://", "ws://"));
    let run = probe_json(&[&url, "--origin", ORIGIN]).await;
    assert_eq!((run.verdict(), run.code), ("blocked", 1), "{}", run.json);
    assert!(run
        .console()
        .ends_with("Error during WebSocket handshake: Unexpected response code: 200"));
    assert!(run.hints().contains("instead of 101"), "{}", run.json);

    // Headers a page cannot set are a usage error; subprotocols are not.
    let run = probe_json(&[&url, "--origin", ORIGIN, "-H", "Authorization: Bearer t"]).await;
    assert_eq!(
        (run.code, run.json["error"]["kind"].as_str()),
        (2, Some("usage"))
    );
    let app = Router::new().route(
        "/ws",
        get(|upgrade: WebSocketUpgrade| async move {
            upgrade
                .protocols(["chat"])
                .on_upgrade(|_socket| async {})
                .into_response()
        }),
    );
    let base = serve(app).await;
    let url = format!("{}/ws", base.replace("http://", "ws://"));
    let run = probe_json(&[
        &url,
        "--origin",
        ORIGIN,
        "-H",
        "Sec-WebSocket-Protocol: chat",
    ])
    .await;
    assert_eq!((run.verdict(), run.code), ("allowed", 0), "{}", run.json);
}
