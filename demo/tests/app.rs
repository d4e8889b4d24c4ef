//! The demo's servers without a browser: the page names what it runs, and
//! each scenario of the table, sent as a browser would send it, gets the
//! server decision and the answer the table expects.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower_cors_demo::{Demo, Runner, Scenario, SCENARIOS};

/// One HTTP/1.1 exchange as read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request on a fresh connection and reads the whole answer.
async fn send(
    origin: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let host = origin.trim_start_matches("http://");
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() || method == "POST" || method == "PUT" {
        request.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);

    let exchange = async {
        let mut stream = TcpStream::connect(host).await.expect("connect");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read answer");
        raw
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {target}: no answer within 10 s"));
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {target}: no end of head in {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{method} {target}: no status line in {head:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

async fn start() -> Demo {
    let page = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let api = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    tower_cors_demo::start(page, api).expect("the demo starts")
}

#[tokio::test]
async fn the_page_names_its_origins_and_every_scenario() {
    let demo = start().await;
    let page_origin = demo.page_url.trim_end_matches('/');
    let page = send(page_origin, "GET", "/", &[], None).await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
    for needle in [
        page_origin,
        demo.api_origin.as_str(),
        demo.other_origin.as_str(),
        "<div id=\"summary\">",
        "scenarios behaved as expected",
    ] {
        assert!(page.body.contains(needle), "the page lacks {needle:?}");
    }
    for scenario in SCENARIOS {
        assert!(
            page.body.contains(scenario.name),
            "the page lacks the scenario {:?}",
            scenario.name
        );
    }
    // Three distinct origins: the refused one is neither the page's nor the API's.
    assert_ne!(demo.other_origin, page_origin);
    assert_ne!(demo.other_origin, demo.api_origin);
    let frame = send(&demo.other_origin, "GET", "/frame", &[], None).await;
    assert_eq!(frame.status, 200);
    assert!(frame.body.contains(page_origin));
}

/// The method as `fetch` sends it: only the six standard names are upper-cased.
fn normalized(method: &str) -> String {
    let upper = method.to_ascii_uppercase();
    if ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"].contains(&upper.as_str()) {
        upper
    } else {
        method.to_owned()
    }
}

/// Whether `fetch` preflights the scenario: a method other than GET, HEAD and
/// POST, or a header that is not CORS-safelisted (of the table's headers,
/// only a `content-type` of the three form types would be).
fn preflighted(scenario: &Scenario) -> bool {
    let simple_type = |v: &str| {
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "text/plain",
        ]
        .contains(&v)
    };
    !["GET", "HEAD", "POST"].contains(&normalized(scenario.method).as_str())
        || scenario
            .headers
            .iter()
            .any(|(name, value)| !(*name == "content-type" && simple_type(value)))
}

/// Sends one scenario as a browser would and returns what the page could
/// read (`None`: blocked), checking the CORS headers on the way.
async fn run(
    demo: &Demo,
    scenario: &Scenario,
    token: &str,
    cookie: &mut Option<String>,
) -> Option<Answer> {
    let page_origin = demo.page_url.trim_end_matches('/');
    let origin = match scenario.from {
        Runner::Page => page_origin,
        Runner::Other => demo.other_origin.as_str(),
    };
    let target = format!("{}?t={token}", scenario.path);
    let method = normalized(scenario.method);
    if preflighted(scenario) {
        let mut names: Vec<&str> = scenario.headers.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        let names = names.join(",");
        let mut headers = vec![
            ("origin", origin),
            ("access-control-request-method", method.as_str()),
        ];
        if !names.is_empty() {
            headers.push(("access-control-request-headers", names.as_str()));
        }
        let preflight = send(&demo.api_origin, "OPTIONS", &target, &headers, None).await;
        let allowed = (200..300).contains(&preflight.status)
            && preflight.header("access-control-allow-origin") == Some(origin);
        if !allowed {
            return None;
        }
    }
    let mut headers: Vec<(&str, &str)> = vec![("origin", origin)];
    headers.extend(scenario.headers.iter().copied());
    let sent_cookie = cookie.clone();
    if scenario.credentials {
        if let Some(c) = sent_cookie.as_deref() {
            headers.push(("cookie", c));
        }
    }
    let answer = send(&demo.api_origin, &method, &target, &headers, scenario.body).await;
    let readable = answer.header("access-control-allow-origin") == Some(origin)
        && (!scenario.credentials
            || answer.header("access-control-allow-credentials") == Some("true"));
    if !readable {
        return None;
    }
    if scenario.credentials {
        if let Some(set) = answer.header("set-cookie") {
            *cookie = set.split(';').next().map(str::to_owned);
        }
    }
    if let Some(name) = scenario.read {
        let exposed = answer
            .header("access-control-expose-headers")
            .unwrap_or_default();
        assert!(
            exposed
                .split(',')
                .any(|h| h.trim().eq_ignore_ascii_case(name)),
            "{}: {name} is not exposed ({exposed:?})",
            scenario.name
        );
    }
    Some(answer)
}

#[tokio::test]
async fn every_scenario_gets_the_decision_and_the_answer_the_table_expects() {
    let demo = start().await;
    let page_origin = demo.page_url.trim_end_matches('/').to_owned();
    let mut cookie = None;
    let mut failures = Vec::new();
    for (i, scenario) in SCENARIOS.iter().enumerate() {
        let token = format!("plain-{i:02}");
        let seen = run(&demo, scenario, &token, &mut cookie).await;
        match (scenario.expect_status, &seen) {
            (Some(want), Some(answer)) if answer.status != want => failures.push(format!(
                "{}: expected status {want}, got {}",
                scenario.name, answer.status
            )),
            (Some(_), None) => {
                failures.push(format!("{}: expected readable, blocked", scenario.name))
            }
            (None, Some(answer)) => failures.push(format!(
                "{}: expected blocked, readable {}",
                scenario.name, answer.status
            )),
            _ => {}
        }
        if let (Some(needle), Some(answer)) = (scenario.expect_body, &seen) {
            if !answer.body.contains(needle) {
                failures.push(format!(
                    "{}: body lacks {needle:?}: {:?}",
                    scenario.name, answer.body
                ));
            }
        }
        let decisions = send(
            &page_origin,
            "GET",
            &format!("/decisions?t={token}"),
            &[],
            None,
        )
        .await;
        if !decisions.body.contains(scenario.expect_decision) {
            failures.push(format!(
                "{}: expected the decision {:?}, the server recorded {}",
                scenario.name, scenario.expect_decision, decisions.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} difference(s) from the table of {} scenarios:\n  {}",
        failures.len(),
        SCENARIOS.len(),
        failures.join("\n  ")
    );
}

#[test]
fn decisions_stay_bounded() {
    let decisions = tower_cors_demo::Decisions::default();
    let long = "t".repeat(tower_cors_demo::MAX_TOKEN_LEN + 1);
    decisions.push(&long, "ignored".to_owned());
    assert!(decisions.get(&long).is_empty());

    for i in 0..tower_cors_demo::MAX_DECISIONS_PER_TOKEN + 3 {
        decisions.push("one", format!("line {i}"));
    }
    assert_eq!(
        decisions.get("one").len(),
        tower_cors_demo::MAX_DECISIONS_PER_TOKEN
    );

    // One token past the limit forgets the oldest, "one", and keeps the newest.
    for i in 0..tower_cors_demo::MAX_TOKENS {
        decisions.push(&format!("t{i}"), "seen".to_owned());
    }
    assert!(decisions.get("one").is_empty());
    assert_eq!(decisions.get("t1").len(), 1);
    let last = format!("t{}", tower_cors_demo::MAX_TOKENS - 1);
    assert_eq!(decisions.get(&last), vec!["seen".to_owned()]);
}
