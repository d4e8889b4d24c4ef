//! One model that composes: a policy is a table with only a fallback, every
//! constructor and `replace` takes either, configuration files have a
//! per-path form, code goes on top of configuration, and every issue names
//! its place in the front end that produced it — never a rewritten message.

use crate::support::harness;

use std::sync::{Arc, Mutex};

use http::{HeaderMap, Request, StatusCode};
use tower_cors::{
    CorsConfig, CorsLayer, CorsPolicy, Decision, IssueKind, Origin, PathPolicies, PolicyBuilder,
    Setting,
};

use harness::Served;

const APP: &str = "https://app.example.com";

fn get(path: &str, origin: &str) -> Request<()> {
    Request::get(path)
        .header("origin", origin)
        .body(())
        .expect("request")
}

fn preflight(path: &str, origin: &str, method: &str) -> Request<()> {
    Request::options(path)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .body(())
        .expect("request")
}

fn acao(served: &mut Served, req: Request<()>) -> Option<String> {
    let outcome = served.call(HeaderMap::new(), StatusCode::OK, req);
    outcome
        .headers
        .get("access-control-allow-origin")
        .map(|v| v.to_str().expect("ascii").to_owned())
}

fn public() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_any_origin()
        .build()
        .expect("public")
}

fn api(origin: &str) -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origin(origin)
        .allow_credentials(true)
        .build()
        .expect("api")
}

fn table(api_origin: &str) -> PathPolicies {
    PathPolicies::builder()
        .prefix("/public", public())
        .prefix("/api", api(api_origin))
        .build()
        .expect("table")
}

#[test]
fn a_policy_is_a_table_with_only_a_fallback() {
    let policy = api(APP);
    let paths = PathPolicies::from(policy.clone());
    for path in ["/", "/api/x", "/anything/at/all", "//odd/../path"] {
        assert_eq!(
            paths.policy_for(path).to_string(),
            policy.to_string(),
            "{path}"
        );
    }
    let (parts, ()) = get("/x", APP).into_parts();
    assert_eq!(paths.evaluate(&parts), policy.evaluate(&parts));
    // Both forms through `CorsLayer::new`, with the same answers.
    for layer in [CorsLayer::new(policy.clone()), CorsLayer::new(paths)] {
        let mut served = Served::new(&layer);
        assert_eq!(acao(&mut served, get("/x", APP)).as_deref(), Some(APP));
        assert_eq!(acao(&mut served, get("/x", "https://evil.example")), None);
    }
}

#[test]
fn a_whole_table_reloads_atomically() {
    let (layer, handle) = CorsLayer::reloadable(api(APP));
    let mut served = Served::new(&layer);
    assert_eq!(
        acao(&mut served, get("/public/x", "https://a.example")),
        None
    );

    handle.replace(table("https://admin.example.com"));
    assert_eq!(
        acao(&mut served, get("/public/x", "https://a.example")).as_deref(),
        Some("*")
    );
    assert_eq!(acao(&mut served, get("/api/x", APP)), None);
    assert_eq!(
        acao(&mut served, get("/api/x", "https://admin.example.com")).as_deref(),
        Some("https://admin.example.com")
    );
    let (parts, ()) = get("/api/x", "https://admin.example.com").into_parts();
    assert!(handle.current().evaluate(&parts).is_allowed());

    // Back to a single policy: one `replace`, no table left behind.
    handle.replace(api(APP));
    assert_eq!(
        acao(&mut served, get("/public/x", "https://a.example")),
        None
    );
    assert_eq!(acao(&mut served, get("/api/x", APP)).as_deref(), Some(APP));
}

#[test]
fn a_report_only_candidate_may_be_a_table() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let layer = CorsLayer::new(public())
        .report_only(table(APP))
        .on_refusal(move |report| log.lock().unwrap().push(report.to_string()));
    let mut served = Served::new(&layer);
    // Enforced: public everywhere. The candidate refuses strangers on /api only.
    assert_eq!(
        acao(
            &mut served,
            get("/api/orders/1", "https://stranger.example")
        )
        .as_deref(),
        Some("*")
    );
    assert_eq!(
        acao(
            &mut served,
            get("/public/logo.png", "https://stranger.example")
        )
        .as_deref(),
        Some("*")
    );
    let lines = seen.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("report-only, not enforced: "),
        "{lines:?}"
    );
    assert!(lines[0].contains("GET /api/orders/1"), "{lines:?}");
}

#[cfg(feature = "serde")]
#[test]
fn configuration_files_have_a_per_path_form() {
    let config: CorsConfig = toml::from_str(
        r#"
        allow_origins = ["https://fallback.example.com"]

        [paths."/public"]
        allow_any_origin = true

        [paths."/api"]
        allow_origins = ["https://app.example.com", "https://pr-*.preview.example.com"]
        allow_credentials = true
        "#,
    )
    .expect("toml");
    let paths = config.build_paths().expect("builds");
    let mut served = Served::new(&CorsLayer::new(paths));
    assert_eq!(
        acao(&mut served, get("/public/x", "https://a.example")).as_deref(),
        Some("*")
    );
    assert_eq!(
        acao(
            &mut served,
            get("/api/x", "https://pr-7.preview.example.com")
        )
        .as_deref(),
        Some("https://pr-7.preview.example.com")
    );
    assert_eq!(
        acao(&mut served, get("/other", "https://fallback.example.com")).as_deref(),
        Some("https://fallback.example.com")
    );
    // `build()` is for one policy.
    let err = config.build().expect_err("a table is not one policy");
    assert_eq!(err.issues()[0].field().as_deref(), Some("paths"));
    assert!(err.to_string().contains("build_paths()"), "{err}");

    // Without a top-level origin, uncovered paths get no CORS: not an error.
    let config: CorsConfig = toml::from_str(
        r#"
        [paths."/api"]
        allow_origins = ["https://app.example.com"]
        "#,
    )
    .expect("toml");
    let mut served = Served::new(&CorsLayer::new(config.build_paths().expect("builds")));
    let outcome = served.call(
        HeaderMap::new(),
        StatusCode::OK,
        preflight("/elsewhere", APP, "PUT"),
    );
    assert_eq!(outcome.status, 403);
    assert_eq!(acao(&mut served, get("/api", APP)).as_deref(), Some(APP));
}

#[cfg(feature = "serde")]
#[test]
fn table_errors_name_their_place() {
    let config: CorsConfig = toml::from_str(
        r#"
        [paths."/api"]
        allow_origins = ["https://app.example.com", "https://example.com/"]
        allow_any_origin = true
        allow_credentials = true

        [paths."/api/"]
        allow_any_origin = true

        [paths."/nested"]
        allow_any_origin = true
        [paths."/nested".paths."/deeper"]
        allow_any_origin = true
        "#,
    )
    .expect("toml");
    let err = config.build_paths().expect_err("bad table");
    let lines: Vec<String> = err.issues().iter().map(ToString::to_string).collect();
    let has = |needle: &str| lines.iter().any(|l| l.starts_with(needle));
    assert!(
        has(
            r#"paths["/api"].allow_origins[1]: "https://example.com/" is not an origin as browsers send it"#
        ),
        "{lines:#?}"
    );
    assert!(
        has(
            r#"paths["/api"]: allow_any_origin = true cannot be combined with allow_credentials = true"#
        ),
        "{lines:#?}"
    );
    assert!(
        has(r#"paths["/nested"]: a per-path table holds its own paths"#),
        "{lines:#?}"
    );
    assert!(
        has(r#"paths["/api/"]: path prefix "/api/" ends with "/""#),
        "{lines:#?}"
    );
    let suggestion = err
        .issues()
        .iter()
        .find(|i| i.kind() == IssueKind::InvalidOrigin)
        .expect("origin issue");
    assert_eq!(suggestion.suggestion(), Some("https://example.com"));
    assert_eq!(suggestion.setting(), Some(Setting::AllowOrigins));
    assert_eq!(suggestion.index(), Some(1));
    no_builder_names(&lines);
}

/// Configuration and environment issues speak of fields and variables,
/// never of builder methods.
fn no_builder_names(lines: &[String]) {
    for line in lines {
        assert!(!line.contains("()"), "a builder method in {line:?}");
    }
}

#[test]
fn code_goes_on_top_of_configuration() {
    let config = CorsConfig {
        allow_origins: vec![APP.into()],
        allow_credentials: true,
        ..CorsConfig::default()
    };
    let tenants = ["https://acme.tenant.example.net"];
    let policy = PolicyBuilder::from(config.clone())
        .allow_origin_fn(move |origin: &Origin<'_>, _: &http::request::Parts| {
            tenants.contains(&origin.as_str())
        })
        .build()
        .expect("builds");
    let allowed = |origin: &str| policy.evaluate_request(&get("/", origin)).is_allowed();
    assert!(allowed(APP));
    assert!(allowed("https://acme.tenant.example.net"));
    assert!(!allowed("https://other.tenant.example.net"));

    // A reflecting predicate on top of a credentialed configuration: the
    // configuration's settings are named as fields, the predicate as code.
    let err = PolicyBuilder::from(CorsConfig {
        allow_origins: vec!["https://example.com/".into()],
        ..config
    })
    .allow_origin_fn(|_: &Origin<'_>, _: &http::request::Parts| true)
    .build()
    .expect_err("reflects every origin");
    let text = err.to_string();
    assert!(
        text.contains("allow_origins[0]: \"https://example.com/\""),
        "{text}"
    );
    assert!(
        text.contains("the allow_origin_fn() function accepts origins no one trusts"),
        "{text}"
    );
    assert!(
        text.contains("with allow_credentials = true that lets"),
        "{text}"
    );
}

#[test]
fn the_environment_names_variables_everywhere() {
    let vars = |pairs: &[(&str, &str)]| CorsConfig::from_vars("CORS", pairs.iter().copied());
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("CORS_ALLOW_ANY_ORIGIN", "true"), ("CORS_ALLOW_CREDENTIALS", "true")],
            "CORS_ALLOW_ANY_ORIGIN=true cannot be combined with CORS_ALLOW_CREDENTIALS=true",
        ),
        (
            &[("CORS_ALLOW_NULL_ORIGIN", "true"), ("CORS_ALLOW_CREDENTIALS", "true"), ("CORS_ALLOW_ORIGINS", APP)],
            "CORS_ALLOW_NULL_ORIGIN=true cannot be combined with CORS_ALLOW_CREDENTIALS=true",
        ),
        (
            &[("CORS_ALLOW_ANY_ORIGIN", "true"), ("CORS_GUARD_WEBSOCKETS", "true")],
            "CORS_ALLOW_ANY_ORIGIN=true cannot be combined with CORS_GUARD_WEBSOCKETS=true",
        ),
        (&[("CORS_MAX_AGE", "60")], "no origin is allowed: list origins or patterns with CORS_ALLOW_ORIGINS, or set CORS_ALLOW_ANY_ORIGIN=true"),
    ];
    for (pairs, expected) in cases {
        let config = vars(pairs).expect("each value is fine alone");
        let err = config.build().expect_err("a combination");
        let lines: Vec<String> = err.issues().iter().map(ToString::to_string).collect();
        assert!(lines.iter().any(|l| l.starts_with(expected)), "{lines:#?}");
        no_builder_names(&lines);
        for line in &lines {
            assert!(!line.contains(" = true"), "a field in {line:?}");
        }
    }
}

#[test]
fn star_with_credentials_points_at_listing_origins() {
    let builder = CorsPolicy::builder()
        .allow_origin("*")
        .allow_credentials(true)
        .build()
        .expect_err("star with credentials");
    let text = builder.to_string();
    assert!(
        !text.contains("allow_any_origin"),
        "a hint in a loop: {text}"
    );
    assert!(
        text.contains("list the trusted origins with allow_origin()"),
        "{text}"
    );
    assert!(text.contains("allow_origin_fn()"), "{text}");
    assert_eq!(builder.issues()[0].instead(), None);

    let env = CorsConfig::from_vars(
        "CORS",
        [
            ("CORS_ALLOW_ORIGINS", "*"),
            ("CORS_ALLOW_CREDENTIALS", "true"),
        ],
    )
    .expect_err("reported with the variable");
    let text = env.to_string();
    assert!(
        !text.contains("ALLOW_ANY_ORIGIN"),
        "a hint in a loop: {text}"
    );
    assert!(
        text.contains("CORS_ALLOW_ORIGINS[0]: \"*\" is not an origin, and with CORS_ALLOW_CREDENTIALS=true no wildcard may stand for every origin: list the trusted origins with CORS_ALLOW_ORIGINS"),
        "{text}"
    );

    // Without credentials, `*` points at the public switch, as data too.
    let open = CorsPolicy::builder()
        .allow_origin("*")
        .build()
        .expect_err("star");
    assert_eq!(open.issues()[0].instead(), Some(Setting::AllowAnyOrigin));
    assert!(
        open.to_string().contains("use allow_any_origin()"),
        "{open}"
    );
}

#[test]
fn environment_first_contact_hints() {
    for (value, separator) in [
        ("https://a.example.com https://b.example.com", "spaces"),
        ("https://a.example.com;https://b.example.com", "semicolons"),
        (
            "https://a.example.com; https://b.example.com",
            "semicolons and spaces",
        ),
    ] {
        let err =
            CorsConfig::from_vars("CORS", [("CORS_ALLOW_ORIGINS", value)]).expect_err(separator);
        let text = err.to_string();
        assert!(
            text.contains("CORS_ALLOW_ORIGINS[0]:")
                && text.ends_with("holds several origins: separate them with commas"),
            "{separator}: {text}"
        );
    }
    let err =
        CorsConfig::from_vars("CORS", [("COSR_ALLOW_ORIGINS", APP)]).expect_err("near-miss prefix");
    assert_eq!(err.issues()[0].kind(), IssueKind::UnknownSetting);
    assert_eq!(
        err.to_string(),
        "invalid CORS policy: COSR_ALLOW_ORIGINS: the prefix is CORS, so this variable is not read: did you mean CORS_ALLOW_ORIGINS?"
    );
    // Unrelated variables and other prefixes are no one's business.
    for name in ["PATH", "CARGO_HOME", "CORSET_SIZE", "APP_ALLOW_ORIGINS"] {
        assert!(
            CorsConfig::from_vars("CORS", [(name, "x")]).is_ok(),
            "{name}"
        );
    }
}

#[test]
fn a_refusal_report_names_the_near_miss() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let policy = CorsPolicy::builder()
        .allow_origins([
            "http://app.example.com",
            "https://shop.example.com",
            "https://www.blog.example.com",
            "https://api.example.com:8443",
        ])
        .build()
        .expect("policy");
    let layer = CorsLayer::new(policy).on_refusal(move |r| log.lock().unwrap().push(r.to_string()));
    let mut served = Served::new(&layer);
    let cases = [
        (
            "https://app.example.com",
            Some(("http://app.example.com", "the scheme differs")),
        ),
        (
            "https://shop.example.com:8080",
            Some(("https://shop.example.com", "the port differs")),
        ),
        (
            "http://shop.example.com:3000",
            Some(("https://shop.example.com", "the scheme and port differ")),
        ),
        (
            "https://blog.example.com",
            Some(("https://www.blog.example.com", "\"www.\" differs")),
        ),
        ("https://evil.example", None),
        // Another port that is not the default is not guessed.
        ("https://api.example.com", None),
    ];
    for (origin, near) in cases {
        seen.lock().unwrap().clear();
        assert_eq!(acao(&mut served, get("/x", origin)), None, "{origin}");
        let lines = seen.lock().unwrap().clone();
        assert_eq!(lines.len(), 1, "{origin}: {lines:?}");
        match near {
            Some((allowed, differs)) => assert!(
                lines[0].ends_with(&format!("; the policy allows \"{allowed}\": {differs}")),
                "{origin}: {}",
                lines[0]
            ),
            None => assert!(!lines[0].contains("the policy allows"), "{}", lines[0]),
        }
    }
}

#[test]
fn a_refused_handshake_report_quotes_the_websocket_console() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let policy = CorsPolicy::builder()
        .allow_origin(APP)
        .guard_websockets(true)
        .build()
        .expect("policy");
    let layer = CorsLayer::new(policy).on_refusal(move |r| log.lock().unwrap().push(r.to_string()));
    let mut served = Served::new(&layer);
    let handshake = Request::get("/ws")
        .header("origin", "https://evil.example")
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .body(())
        .expect("request");
    let outcome = served.call(HeaderMap::new(), StatusCode::OK, handshake);
    assert_eq!(outcome.status, 403);
    let lines = seen.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:?}");
    // The sentence the browser suite reads in Chromium's console.
    assert!(
        lines[0].ends_with("Chrome's console: \"WebSocket connection to '...' failed: Error during WebSocket handshake: Unexpected response code: 403\""),
        "{}",
        lines[0]
    );
    assert!(!lines[0].contains("blocked by CORS policy"), "{}", lines[0]);
    assert!(
        lines[0].starts_with(
            "WebSocket handshake refused: origin \"https://evil.example\" not allowed (GET /ws,"
        ),
        "{}",
        lines[0]
    );
}

#[test]
fn is_allowed_means_the_response_carries_allow_origin() {
    let policy = CorsPolicy::builder()
        .allow_origin(APP)
        .own_origins(["https://api.example.com"])
        .build()
        .expect("policy");
    let same = policy.evaluate_request(&get("/", "https://api.example.com"));
    assert_eq!(same, Decision::SameOrigin);
    assert!(!same.is_allowed() && !same.is_refused());
    let outcome = harness::call(
        &policy,
        HeaderMap::new(),
        get("/", "https://api.example.com"),
    );
    assert!(outcome.headers.get("access-control-allow-origin").is_none());
    assert!(policy.evaluate_request(&get("/", APP)).is_allowed());
}

#[test]
fn an_entry_with_a_wildcard_is_a_pattern_whichever_method_gave_it() {
    let policy = CorsPolicy::builder()
        .allow_origin("https://*.example.com")
        .allow_origin_pattern("https://exact.example.org")
        .build()
        .expect("one allow-list");
    let allowed = |origin: &str| policy.evaluate_request(&get("/", origin)).is_allowed();
    assert!(allowed("https://a.example.com"));
    assert!(allowed("https://exact.example.org"));
    assert!(!allowed("https://example.com"));
}
