//! `CorsConfig`: every field and every environment variable, with good and bad values;
//! configuration files in TOML, JSON and YAML (feature `serde`); the built policy's
//! behaviour, not only that it builds.

use http::{Method, Request, StatusCode};
use tower_cors::{CorsConfig, CorsPolicy, Decision, IssueKind, PolicyError};

const APP: &str = "https://app.example.com";

fn preflight(origin: &str, method: &str, headers: Option<&str>) -> Request<()> {
    let mut req = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api")
        .header("origin", origin)
        .header("access-control-request-method", method);
    if let Some(h) = headers {
        req = req.header("access-control-request-headers", h);
    }
    req.body(()).expect("request")
}

fn get(origin: &str) -> Request<()> {
    Request::get("/api")
        .header("origin", origin)
        .body(())
        .expect("request")
}

fn allowed(policy: &CorsPolicy, req: &Request<()>) -> bool {
    policy.evaluate_request(req).is_allowed()
}

fn config(origins: &[&str]) -> CorsConfig {
    CorsConfig {
        allow_origins: origins.iter().map(|s| s.to_string()).collect(),
        ..CorsConfig::default()
    }
}

/// `(field, value)` of every issue, and the whole message, for assertions.
fn issues(err: &PolicyError) -> Vec<(Option<String>, String)> {
    err.issues()
        .iter()
        .map(|i| (i.field(), i.to_string()))
        .collect()
}

fn build_err(config: &CorsConfig) -> PolicyError {
    match config.build() {
        Ok(p) => panic!("{config:?} built: {p:?}"),
        Err(e) => e,
    }
}

/// A description, a configuration, and the expected `(field, message)` of each issue.
type ConfigCase = (&'static str, CorsConfig, Vec<(&'static str, &'static str)>);
/// A description, variables, and the expected issue messages.
type EnvCase = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

fn vars(pairs: &[(&str, &str)]) -> Result<CorsConfig, PolicyError> {
    CorsConfig::from_vars("CORS", pairs.iter().copied())
}

#[test]
fn default_config_allows_no_origin() {
    let err = build_err(&CorsConfig::default());
    assert_eq!(err.issues().len(), 1);
    assert_eq!(err.issues()[0].kind(), IssueKind::NoOrigin);
    assert_eq!(
        err.to_string(),
        "invalid CORS policy: no origin is allowed: list origins or patterns with allow_origins, or set allow_any_origin = true"
    );
}

#[test]
fn every_field_changes_the_policy() {
    // Each field, set to a good value, and a request whose answer shows it took effect.
    let base = || config(&[APP]);
    let p = base().build().expect("base");
    assert!(allowed(&p, &get(APP)), "allow_origins: exact");
    assert!(
        !allowed(&p, &get("https://x.example.com")),
        "not a pattern yet"
    );

    let p = config(&[APP, "https://*.example.com"])
        .build()
        .expect("pattern");
    assert!(
        allowed(&p, &get("https://x.example.com")),
        "allow_origins: pattern"
    );
    assert!(!allowed(&p, &get("https://example.com")), "apex refused");

    let p = config(&["http://localhost:*"])
        .build()
        .expect("port pattern");
    assert!(allowed(&p, &get("http://localhost:5173")), "port pattern");

    let p = CorsConfig {
        allow_any_origin: true,
        ..CorsConfig::default()
    }
    .build()
    .expect("any");
    assert_eq!(
        p.evaluate_request(&get("https://anything.example")),
        Decision::ActualAllowed {
            allow_origin: http::HeaderValue::from_static("*")
        },
        "allow_any_origin"
    );

    let p = CorsConfig {
        own_origins: vec!["https://api.example.com".into()],
        strict: true,
        ..base()
    }
    .build()
    .expect("own origins");
    let own = Request::post("/")
        .header("origin", "https://api.example.com")
        .body(())
        .unwrap();
    assert_eq!(
        p.evaluate_request(&own),
        Decision::SameOrigin,
        "own_origins"
    );

    let p = CorsConfig {
        allow_null_origin: true,
        ..base()
    }
    .build()
    .expect("null");
    assert!(allowed(&p, &get("null")), "allow_null_origin");
    assert!(
        !allowed(&base().build().expect("base"), &get("null")),
        "null refused by default"
    );

    let p = CorsConfig {
        allow_methods: vec!["PUT".into(), "purge".into()],
        ..base()
    }
    .build()
    .expect("methods");
    assert!(allowed(&p, &preflight(APP, "PUT", None)), "allow_methods");
    assert!(
        allowed(&p, &preflight(APP, "purge", None)),
        "extension method"
    );
    assert!(!allowed(&p, &preflight(APP, "DELETE", None)), "unlisted");

    let p = CorsConfig {
        allow_headers: vec!["X-Request-Id".into(), "content-type".into()],
        ..base()
    }
    .build()
    .expect("headers");
    assert!(
        allowed(
            &p,
            &preflight(APP, "GET", Some("content-type,x-request-id"))
        ),
        "allow_headers"
    );
    assert!(
        !allowed(&p, &preflight(APP, "GET", Some("x-other"))),
        "unlisted header"
    );

    let svc_headers = |p: CorsPolicy, req: Request<()>| {
        let (status, headers) = answer(p, req);
        (status, headers)
    };
    let (_, h) = svc_headers(
        CorsConfig {
            expose_headers: vec!["x-request-id".into()],
            ..base()
        }
        .build()
        .expect("expose"),
        get(APP),
    );
    assert_eq!(
        h.get("access-control-expose-headers").map(|v| v.as_bytes()),
        Some(&b"x-request-id"[..]),
        "expose_headers"
    );

    let p = CorsConfig {
        allow_credentials: true,
        ..base()
    }
    .build()
    .expect("credentials");
    assert!(p.allows_credentials(), "allow_credentials");

    let (status, h) = svc_headers(
        CorsConfig {
            max_age: Some(600),
            preflight_status: Some(200),
            ..base()
        }
        .build()
        .expect("max age"),
        preflight(APP, "GET", None),
    );
    assert_eq!(status, StatusCode::OK, "preflight_status");
    assert_eq!(
        h.get("access-control-max-age").map(|v| v.as_bytes()),
        Some(&b"600"[..]),
        "max_age"
    );

    let p = CorsConfig {
        guard_websockets: true,
        ..base()
    }
    .build()
    .expect("guard");
    assert!(p.guards_websockets(), "guard_websockets");
    let p = CorsConfig {
        strict: true,
        ..base()
    }
    .build()
    .expect("strict");
    assert!(p.is_strict(), "strict");
    let (status, _) = answer(p, get("https://evil.example"));
    assert_eq!(status, StatusCode::FORBIDDEN, "strict answers 403");

    let pna = preflight(APP, "GET", None);
    let mut pna = pna;
    pna.headers_mut().insert(
        "access-control-request-private-network",
        http::HeaderValue::from_static("true"),
    );
    let (_, h) = svc_headers(
        CorsConfig {
            allow_private_network: true,
            ..base()
        }
        .build()
        .expect("pna"),
        pna,
    );
    assert!(
        h.contains_key("access-control-allow-private-network"),
        "allow_private_network"
    );

    let (status, h) = svc_headers(
        CorsConfig {
            allow_methods: vec!["PUT".into()],
            explain_preflight_refusals: true,
            ..base()
        }
        .build()
        .expect("explain"),
        preflight(APP, "DELETE", None),
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "explain_preflight_refusals");
    assert!(h.contains_key("access-control-allow-origin"), "explained");
}

#[cfg(feature = "regex")]
#[test]
fn regex_field_with_the_feature() {
    let p = CorsConfig {
        allow_origin_regexes: vec![r"https://pr-[0-9]+\.preview\.example\.com".into()],
        ..CorsConfig::default()
    }
    .build()
    .expect("regex");
    assert!(allowed(&p, &get("https://pr-12.preview.example.com")));
    assert!(!allowed(&p, &get("https://pr-x.preview.example.com")));
    let err = build_err(&CorsConfig {
        allow_origin_regexes: vec!["https://ok\\.example\\.com".into(), "https://a.b".into()],
        ..CorsConfig::default()
    });
    assert_eq!(
        issues(&err)[0].0.as_deref(),
        Some("allow_origin_regexes[1]"),
        "{err}"
    );
}

#[cfg(not(feature = "regex"))]
#[test]
fn regex_field_without_the_feature_is_an_error() {
    let err = build_err(&CorsConfig {
        allow_origin_regexes: vec![r"https://pr-[0-9]+\.example\.com".into()],
        ..config(&[APP])
    });
    assert_eq!(
        issues(&err),
        [(
            Some("allow_origin_regexes[0]".to_owned()),
            "allow_origin_regexes[0]: \"https://pr-[0-9]+\\\\.example\\\\.com\" needs the crate feature \"regex\": enable it, or write a pattern such as \"https://*.example.com\" with allow_origins".to_owned()
        )]
    );
    assert_eq!(err.issues()[0].kind(), IssueKind::InvalidSetting);
}

/// Calls a layer with the policy and returns the status and headers.
fn answer(policy: CorsPolicy, req: Request<()>) -> (StatusCode, http::HeaderMap) {
    use tower::{service_fn, Layer, ServiceExt};
    let svc = tower_cors::CorsLayer::new(policy).layer(service_fn(|_req: Request<()>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    }));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let res = rt.block_on(svc.oneshot(req)).expect("infallible");
    (res.status(), res.headers().clone())
}

#[test]
fn bad_values_name_their_field_and_position() {
    let cases: Vec<ConfigCase> = vec![
        (
            "trailing slash",
            config(&[APP, "https://example.com/"]),
            vec![("allow_origins[1]", "allow_origins[1]: \"https://example.com/\" is not an origin as browsers send it (remove the trailing \"/\"): did you mean \"https://example.com\"?")],
        ),
        (
            "pattern without scheme",
            config(&["*.example.com"]),
            vec![("allow_origins[0]", "allow_origins[0]: \"*.example.com\" is not a valid origin pattern: add the scheme, e.g. \"https://*.example.com\"")],
        ),
        (
            "pattern over a public suffix",
            config(&[APP, "https://*.co.uk"]),
            vec![("allow_origins[1]", "allow_origins[1]: \"https://*.co.uk\" covers the public suffix \"co.uk\", under which anyone can register a domain: use a pattern over a domain you control, e.g. \"https://*.example.co.uk\"")],
        ),
        (
            "localhost without scheme",
            config(&["localhost:5173"]),
            vec![("allow_origins[0]", "allow_origins[0]: \"localhost:5173\" is not an origin: add the scheme, e.g. \"http://localhost:5173\" (development servers on localhost are plain HTTP)")],
        ),
        (
            "empty origin",
            config(&[APP, ""]),
            vec![("allow_origins[1]", "allow_origins[1]: \"\" is empty: remove it, or write an origin as browsers send it, e.g. \"https://app.example.com\"")],
        ),
        (
            "star",
            config(&["*"]),
            vec![("allow_origins[0]", "allow_origins[0]: \"*\" is not an origin: set allow_any_origin = true for a public policy")],
        ),
        (
            "null",
            config(&[APP, "null"]),
            vec![("allow_origins[1]", "allow_origins[1]: \"null\" is not an origin: set allow_null_origin = true to allow the opaque origin")],
        ),
        (
            "methods",
            CorsConfig { allow_methods: vec!["PUT".into(), "patch".into(), "GET POST".into()], ..config(&[APP]) },
            vec![
                ("allow_methods[1]", "allow_methods[1]: \"patch\" is the registered method \"PATCH\" in another case: methods compare byte for byte and clients send \"PATCH\", so \"patch\" would refuse them: did you mean \"PATCH\"?"),
                ("allow_methods[2]", "allow_methods[2]: \"GET POST\" is not a valid method: a method is one token (letters, digits and !#$%&'*+-.^_`|~)"),
            ],
        ),
        (
            "headers",
            CorsConfig { allow_headers: vec!["content-type".into(), "cookie".into()], ..config(&[APP]) },
            vec![("allow_headers[1]", "allow_headers[1]: \"cookie\" in allow_headers is a forbidden request header that scripts cannot set: remove it (cookies are sent when allow_credentials = true is set and the request uses credentials)")],
        ),
        (
            "exposed headers",
            CorsConfig { expose_headers: vec!["x y".into()], ..config(&[APP]) },
            vec![("expose_headers[0]", "expose_headers[0]: \"x y\" in expose_headers is not a valid header name: a header name is one token (letters, digits and !#$%&'*+-.^_`|~)")],
        ),
        (
            "preflight status",
            CorsConfig { preflight_status: Some(500), ..config(&[APP]) },
            vec![("preflight_status", "preflight_status: preflight status 500 is not 200 or 204: use 204 (default) or 200")],
        ),
        (
            "preflight status out of range",
            CorsConfig { preflight_status: Some(42), ..config(&[APP]) },
            vec![("preflight_status", "preflight_status: preflight status 42 is not 200 or 204: use 204 (default) or 200")],
        ),
        (
            "wildcard with credentials",
            CorsConfig { allow_headers: vec!["*".into()], allow_credentials: true, ..config(&[APP]) },
            vec![("allow_headers[0]", "allow_headers[0]: \"*\" in allow_headers is read literally by browsers when credentials are allowed: list the header names explicitly, or remove allow_credentials = true")],
        ),
    ];
    for (desc, config, expected) in cases {
        let err = build_err(&config);
        let got = issues(&err);
        let want: Vec<(Option<String>, String)> = expected
            .iter()
            .map(|(f, m)| (Some(f.to_string()), m.to_string()))
            .collect();
        assert_eq!(got, want, "{desc}");
    }
}

#[test]
fn combination_problems_speak_of_fields() {
    let err = build_err(&CorsConfig {
        allow_any_origin: true,
        allow_credentials: true,
        ..config(&[APP])
    });
    let text = err.to_string();
    assert_eq!(err.issues().len(), 2, "{text}");
    assert!(err.issues().iter().all(|i| i.field().is_none()), "{text}");
    assert!(
        text.contains("allow_any_origin = true cannot be combined with allow_credentials = true"),
        "{text}"
    );
    assert!(!text.contains("()"), "no builder method names: {text}");
    let err = build_err(&CorsConfig {
        allow_null_origin: true,
        allow_credentials: true,
        ..config(&[APP])
    });
    assert!(
        err.to_string()
            .contains("allow_null_origin = true cannot be combined with allow_credentials = true"),
        "{err}"
    );
    let err = build_err(&CorsConfig {
        allow_any_origin: true,
        guard_websockets: true,
        ..CorsConfig::default()
    });
    assert_eq!(
        err.to_string(),
        "invalid CORS policy: allow_any_origin = true cannot be combined with guard_websockets = true: a WebSocket handshake always carries the user's cookies, so the guard admits only origins that could read a credentialed answer; list the origins that may open a socket with allow_origins"
    );
}

#[test]
fn every_problem_at_once() {
    let err = build_err(&CorsConfig {
        allow_origins: vec!["https://a.com/".into(), "*.b.com".into(), "*".into()],
        allow_methods: vec!["delete".into()],
        allow_headers: vec!["bad header".into()],
        preflight_status: Some(302),
        ..CorsConfig::default()
    });
    let fields: Vec<Option<String>> = err.issues().iter().map(|i| i.field()).collect();
    let fields: Vec<Option<&str>> = fields.iter().map(|f| f.as_deref()).collect();
    assert_eq!(
        fields,
        [
            Some("allow_origins[0]"),
            Some("allow_origins[1]"),
            Some("allow_origins[2]"),
            Some("allow_methods[0]"),
            Some("allow_headers[0]"),
            Some("preflight_status"),
        ],
        "{err}"
    );
}

#[test]
fn policy_error_debug_is_the_readable_list() {
    let err = build_err(&config(&["https://a.com/", "b.com"]));
    assert_eq!(format!("{err:?}"), err.to_string());
    assert!(format!("{err:?}").contains("\n  - "), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Environment variables
// ---------------------------------------------------------------------------------------------

#[test]
fn regex_variable() {
    let result = vars(&[(
        "CORS_ALLOW_ORIGIN_REGEXES",
        r"https://pr-[0-9]+\.example\.com, https://a.b",
    )]);
    let err = result.expect_err("one bad regex, or no regex feature");
    let fields: Vec<Option<String>> = err.issues().iter().map(|i| i.field()).collect();
    let fields: Vec<Option<&str>> = fields.iter().map(|f| f.as_deref()).collect();
    #[cfg(feature = "regex")]
    assert_eq!(fields, [Some("CORS_ALLOW_ORIGIN_REGEXES[1]")], "{err}");
    #[cfg(not(feature = "regex"))]
    assert_eq!(
        fields,
        [
            Some("CORS_ALLOW_ORIGIN_REGEXES[0]"),
            Some("CORS_ALLOW_ORIGIN_REGEXES[1]")
        ],
        "{err}"
    );
    #[cfg(feature = "regex")]
    {
        let config = vars(&[(
            "CORS_ALLOW_ORIGIN_REGEXES",
            r"https://pr-[0-9]+\.example\.com",
        )])
        .expect("valid regex");
        let p = config.build().expect("builds");
        assert!(allowed(&p, &get("https://pr-7.example.com")));
    }
}

#[test]
fn variables_fill_every_field() {
    let config = vars(&[
        (
            "CORS_ALLOW_ORIGINS",
            " https://app.example.com ,https://*.example.com,, ",
        ),
        ("CORS_ALLOW_ANY_ORIGIN", "false"),
        ("CORS_ALLOW_NULL_ORIGIN", "TRUE"),
        ("CORS_OWN_ORIGINS", "https://api.example.com"),
        ("CORS_ALLOW_METHODS", "PUT,DELETE"),
        ("CORS_ALLOW_HEADERS", "content-type, x-request-id"),
        ("CORS_EXPOSE_HEADERS", "x-request-id"),
        ("CORS_ALLOW_CREDENTIALS", "False"),
        ("CORS_MAX_AGE", "600"),
        ("CORS_PREFLIGHT_STATUS", "200"),
        ("CORS_STRICT", "true"),
        ("CORS_GUARD_WEBSOCKETS", "true"),
        ("CORS_ALLOW_PRIVATE_NETWORK", "true"),
        ("CORS_EXPLAIN_PREFLIGHT_REFUSALS", "true"),
        ("CORS_ALLOW_ORIGIN_REGEXES", "  "),
        ("OTHER_ALLOW_ORIGINS", "ignored"),
        ("CORSX", "ignored"),
    ])
    .expect("valid variables");
    assert_eq!(
        config,
        CorsConfig {
            allow_origins: vec![
                "https://app.example.com".into(),
                "https://*.example.com".into()
            ],
            allow_origin_regexes: vec![],
            allow_any_origin: false,
            allow_null_origin: true,
            own_origins: vec!["https://api.example.com".into()],
            allow_methods: vec!["PUT".into(), "DELETE".into()],
            allow_headers: vec!["content-type".into(), "x-request-id".into()],
            expose_headers: vec!["x-request-id".into()],
            allow_credentials: false,
            max_age: Some(600),
            preflight_status: Some(200),
            strict: true,
            guard_websockets: true,
            allow_private_network: true,
            explain_preflight_refusals: true,
            paths: Default::default(),
            env_prefix: Some("CORS".into()),
        }
    );
    let p = config.build().expect("builds");
    assert!(allowed(&p, &get("https://x.example.com")));
    assert!(allowed(&p, &preflight(APP, "DELETE", Some("x-request-id"))));
    assert!(p.is_strict());
    // Switches on, then off again by a later variable; an empty value is the default.
    let config = vars(&[
        ("CORS_ALLOW_ORIGINS", APP),
        ("CORS_ALLOW_ANY_ORIGIN", "true"),
        ("CORS_ALLOW_CREDENTIALS", "true"),
        ("CORS_MAX_AGE", ""),
    ])
    .expect("combination problems are left to build()");
    assert!(config.allow_any_origin && config.allow_credentials);
    assert_eq!(config.max_age, None);
    let err = config.build().expect_err("any origin with credentials");
    assert_eq!(err.issues().len(), 2, "{err}");
}

#[test]
fn bad_variables_name_the_variable_and_value() {
    let cases: &[EnvCase] = &[
        (
            "bool",
            &[("CORS_ALLOW_CREDENTIALS", "yes")],
            &["CORS_ALLOW_CREDENTIALS: \"yes\" is not true or false"],
        ),
        (
            "every bool",
            &[
                ("CORS_ALLOW_ANY_ORIGIN", "1"),
                ("CORS_ALLOW_NULL_ORIGIN", "on"),
                ("CORS_STRICT", "no"),
                ("CORS_GUARD_WEBSOCKETS", "yes"),
                ("CORS_ALLOW_PRIVATE_NETWORK", "t"),
                ("CORS_EXPLAIN_PREFLIGHT_REFUSALS", "truee"),
            ],
            &[
                "CORS_ALLOW_ANY_ORIGIN: \"1\" is not true or false",
                "CORS_ALLOW_NULL_ORIGIN: \"on\" is not true or false",
                "CORS_STRICT: \"no\" is not true or false",
                "CORS_GUARD_WEBSOCKETS: \"yes\" is not true or false",
                "CORS_ALLOW_PRIVATE_NETWORK: \"t\" is not true or false",
                "CORS_EXPLAIN_PREFLIGHT_REFUSALS: \"truee\" is not true or false",
            ],
        ),
        (
            "max age",
            &[("CORS_MAX_AGE", "10m")],
            &["CORS_MAX_AGE: \"10m\" is not a number of seconds, e.g. 600"],
        ),
        (
            "negative max age",
            &[("CORS_MAX_AGE", "-1")],
            &["CORS_MAX_AGE: \"-1\" is not a number of seconds, e.g. 600"],
        ),
        (
            "preflight status",
            &[("CORS_PREFLIGHT_STATUS", "ok")],
            &["CORS_PREFLIGHT_STATUS: \"ok\" is not an HTTP status: use 204 (default) or 200"],
        ),
        (
            "preflight status not 200/204",
            &[("CORS_PREFLIGHT_STATUS", "302")],
            &["CORS_PREFLIGHT_STATUS: preflight status 302 is not 200 or 204: use 204 (default) or 200"],
        ),
        (
            "origins",
            &[("CORS_ALLOW_ORIGINS", "https://a.com, https://b.com/, *.c.com, localhost:3000")],
            &[
                "CORS_ALLOW_ORIGINS[1]: \"https://b.com/\" is not an origin as browsers send it (remove the trailing \"/\"): did you mean \"https://b.com\"?",
                "CORS_ALLOW_ORIGINS[2]: \"*.c.com\" is not a valid origin pattern: add the scheme, e.g. \"https://*.c.com\"",
                "CORS_ALLOW_ORIGINS[3]: \"localhost:3000\" is not an origin: add the scheme, e.g. \"http://localhost:3000\" (development servers on localhost are plain HTTP)",
            ],
        ),
        (
            "star origin",
            &[("CORS_ALLOW_ORIGINS", "*")],
            &["CORS_ALLOW_ORIGINS[0]: \"*\" is not an origin: set CORS_ALLOW_ANY_ORIGIN=true for a public policy"],
        ),
        (
            "methods",
            &[("CORS_ALLOW_METHODS", "PUT, patch")],
            &["CORS_ALLOW_METHODS[1]: \"patch\" is the registered method \"PATCH\" in another case: methods compare byte for byte and clients send \"PATCH\", so \"patch\" would refuse them: did you mean \"PATCH\"?"],
        ),
        (
            "headers",
            &[("CORS_ALLOW_HEADERS", "x-ok, x;bad")],
            &["CORS_ALLOW_HEADERS[1]: \"x;bad\" in CORS_ALLOW_HEADERS is not a valid header name: a header name is one token (letters, digits and !#$%&'*+-.^_`|~)"],
        ),
        (
            "exposed headers",
            &[("CORS_EXPOSE_HEADERS", "set-cookie")],
            &["CORS_EXPOSE_HEADERS[0]: \"set-cookie\" in CORS_EXPOSE_HEADERS is never exposed to scripts by browsers: remove it"],
        ),
        (
            "unknown variable, close",
            &[("CORS_ALLOWED_ORIGINS", "https://a.com")],
            &["CORS_ALLOWED_ORIGINS: unknown variable: did you mean CORS_ALLOW_ORIGINS?"],
        ),
        (
            "unknown variable, singular",
            &[("CORS_ALLOW_HEADER", "x")],
            &["CORS_ALLOW_HEADER: unknown variable: did you mean CORS_ALLOW_HEADERS?"],
        ),
        (
            "unknown variable, typo",
            &[("CORS_MAXAGE", "5")],
            &["CORS_MAXAGE: unknown variable: did you mean CORS_MAX_AGE?"],
        ),
        (
            "unknown variable, lowercase field",
            &[("CORS_max_age", "5")],
            &["CORS_max_age: unknown variable: did you mean CORS_MAX_AGE?"],
        ),
    ];
    for (desc, pairs, expected) in cases {
        let err = vars(pairs).expect_err(desc);
        let got: Vec<String> = err.issues().iter().map(ToString::to_string).collect();
        assert_eq!(got, *expected, "{desc}");
        for issue in err.issues() {
            assert!(issue.field().is_some(), "{desc}: {issue}");
        }
    }
    // Far from every name: the list of known variables.
    let err = vars(&[("CORS_TIMEOUT_SECONDS_FOR_ALL", "5")]).expect_err("unknown");
    assert_eq!(err.issues()[0].kind(), IssueKind::UnknownSetting);
    let text = err.to_string();
    assert!(
        text.contains(
            "unknown variable: the known ones are CORS_ALLOW_ORIGINS, CORS_ALLOW_ORIGIN_REGEXES,"
        ) && text.contains("CORS_EXPLAIN_PREFLIGHT_REFUSALS"),
        "{text}"
    );
    // Every bad variable at once.
    let err = vars(&[
        ("CORS_MAX_AGE", "x"),
        ("CORS_STRICT", "y"),
        ("CORS_ORIGINS", "z"),
    ])
    .expect_err("three problems");
    assert_eq!(err.issues().len(), 3, "{err}");
}

#[test]
fn prefix_may_end_with_an_underscore() {
    let a = CorsConfig::from_vars("APP_CORS", [("APP_CORS_MAX_AGE", "5")]).expect("a");
    let b = CorsConfig::from_vars("APP_CORS_", [("APP_CORS_MAX_AGE", "5")]).expect("b");
    assert_eq!(a, b);
    assert_eq!(a.max_age, Some(5));
}

#[cfg(unix)]
#[test]
fn non_utf8_values_are_errors() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let err = CorsConfig::from_vars(
        "CORS",
        [(
            OsStr::new("CORS_ALLOW_ORIGINS"),
            OsStr::from_bytes(b"https://a.com\xff"),
        )],
    )
    .expect_err("not UTF-8");
    assert_eq!(
        err.to_string(),
        "invalid CORS policy: CORS_ALLOW_ORIGINS: \"https://a.com\u{fffd}\" is not valid UTF-8"
    );
}

/// The environment is process-wide and this binary's other tests run beside this one, so
/// the variables are not set here: a child process runs this test again with them set from
/// its start, and must pass.
#[test]
fn from_env_reads_the_process_environment() {
    if std::env::var_os("TCORS_FROM_ENV_ALLOW_ORIGINS").is_some() {
        return from_env_in_the_child();
    }
    let valid = [
        ("TCORS_FROM_ENV_ALLOW_ORIGINS", "https://app.example.com"),
        ("TCORS_FROM_ENV_MAX_AGE", "120"),
    ];
    run_in_a_child(&valid);
    run_in_a_child(&[valid[0], valid[1], ("TCORS_FROM_ENV_MAX_AGES", "120")]);
}

/// Runs [`from_env_reads_the_process_environment`] alone in a new process of this test
/// binary whose environment has `vars`.
fn run_in_a_child(vars: &[(&str, &str)]) {
    let path = concat!(module_path!(), "::from_env_reads_the_process_environment");
    // Test names leave out the crate's name.
    let name = path.split_once("::").map_or(path, |(_, name)| name);
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", name, "--test-threads=1"])
        .envs(vars.iter().copied())
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{vars:?}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The child's side: its environment holds the variables since it started.
fn from_env_in_the_child() {
    let result = CorsConfig::from_env("TCORS_FROM_ENV");
    if std::env::var_os("TCORS_FROM_ENV_MAX_AGES").is_none() {
        let config = result.expect("valid");
        assert_eq!(config.allow_origins, ["https://app.example.com"]);
        assert_eq!(config.max_age, Some(120));
    } else {
        let err = result.expect_err("unknown variable");
        assert_eq!(
            err.to_string(),
            "invalid CORS policy: TCORS_FROM_ENV_MAX_AGES: unknown variable: did you mean TCORS_FROM_ENV_MAX_AGE?"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration files (feature `serde`)
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "serde")]
mod files {
    use super::*;

    fn check_behaviour(config: &CorsConfig, desc: &str) {
        let p = config.build().unwrap_or_else(|e| panic!("{desc}: {e}"));
        assert!(allowed(&p, &get(APP)), "{desc}: exact origin");
        assert!(
            allowed(&p, &get("https://tenant.example.com")),
            "{desc}: pattern"
        );
        assert!(
            !allowed(&p, &get("https://evil.example")),
            "{desc}: other origin"
        );
        assert!(
            allowed(
                &p,
                &preflight(APP, "PUT", Some("content-type,authorization"))
            ),
            "{desc}: method and headers"
        );
        assert!(
            !allowed(&p, &preflight(APP, "DELETE", None)),
            "{desc}: unlisted method"
        );
        assert!(p.allows_credentials(), "{desc}: credentials");
        let (_, h) = answer(p, preflight(APP, "PUT", None));
        assert_eq!(
            h.get("access-control-max-age").map(|v| v.as_bytes()),
            Some(&b"600"[..]),
            "{desc}: max age"
        );
    }

    fn expected() -> CorsConfig {
        CorsConfig {
            allow_origins: vec![APP.into(), "https://*.example.com".into()],
            allow_methods: vec!["PUT".into()],
            allow_headers: vec!["content-type".into(), "authorization".into()],
            allow_credentials: true,
            max_age: Some(600),
            ..CorsConfig::default()
        }
    }

    #[test]
    fn toml() {
        let text = r#"
            allow_origins = ["https://app.example.com", "https://*.example.com"]
            allow_methods = ["PUT"]
            allow_headers = ["content-type", "authorization"]
            allow_credentials = true
            max_age = 600
        "#;
        let config: CorsConfig = ::toml::from_str(text).expect("toml");
        assert_eq!(config, expected());
        check_behaviour(&config, "toml");
        let back: CorsConfig =
            ::toml::from_str(&::toml::to_string(&config).expect("serialize")).expect("again");
        assert_eq!(back, config, "round trip");
    }

    #[test]
    fn json() {
        let text = r#"{
            "allow_origins": ["https://app.example.com", "https://*.example.com"],
            "allow_methods": ["PUT"],
            "allow_headers": ["content-type", "authorization"],
            "allow_credentials": true,
            "max_age": 600
        }"#;
        let config: CorsConfig = serde_json::from_str(text).expect("json");
        assert_eq!(config, expected());
        check_behaviour(&config, "json");
        let back: CorsConfig =
            serde_json::from_str(&serde_json::to_string(&config).expect("serialize"))
                .expect("again");
        assert_eq!(back, config, "round trip");
    }

    #[test]
    fn yaml() {
        let text = "
allow_origins:
  - https://app.example.com
  - https://*.example.com
allow_methods: [PUT]
allow_headers: [content-type, authorization]
allow_credentials: true
max_age: 600
";
        let config: CorsConfig = serde_saphyr::from_str(text).expect("yaml");
        assert_eq!(config, expected());
        check_behaviour(&config, "yaml");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let toml_err = ::toml::from_str::<CorsConfig>("allow_origin = [\"https://a.com\"]")
            .expect_err("misspelt key");
        assert!(
            toml_err
                .to_string()
                .contains("unknown field `allow_origin`"),
            "{toml_err}"
        );
        let json_err = serde_json::from_str::<CorsConfig>(r#"{"allowed_origins": []}"#)
            .expect_err("misspelt key");
        assert!(
            json_err
                .to_string()
                .contains("unknown field `allowed_origins`"),
            "{json_err}"
        );
        let yaml_err =
            serde_saphyr::from_str::<CorsConfig>("credentials: true\n").expect_err("misspelt key");
        assert!(yaml_err.to_string().contains("credentials"), "{yaml_err}");
        // Wrong types too.
        assert!(::toml::from_str::<CorsConfig>("max_age = \"10m\"").is_err());
        assert!(::toml::from_str::<CorsConfig>("allow_origins = \"https://a.com\"").is_err());
    }

    #[test]
    fn missing_keys_take_their_defaults() {
        let config: CorsConfig = ::toml::from_str("").expect("empty");
        assert_eq!(config, CorsConfig::default());
        let config: CorsConfig = serde_json::from_str("{}").expect("empty");
        assert_eq!(config, CorsConfig::default());
    }

    #[test]
    fn serialized_keys_are_the_environment_fields() {
        // Every key of the file format is a variable of from_vars, and back: set each
        // variable and check that the field of the same name changed.
        let json = serde_json::to_value(CorsConfig {
            max_age: Some(1),
            preflight_status: Some(200),
            ..CorsConfig::default()
        })
        .expect("json");
        let keys: Vec<String> = json.as_object().expect("object").keys().cloned().collect();
        assert_eq!(keys.len(), 15, "{keys:?}");
        for key in keys {
            let value = match &json[&key] {
                serde_json::Value::Bool(_) => "true",
                serde_json::Value::Array(_) => "x-a",
                _ => "200",
            };
            let var = format!("CORS_{}", key.to_ascii_uppercase());
            let config = match CorsConfig::from_vars("CORS", [(var.as_str(), value)]) {
                Ok(c) => c,
                // Values that are valid for some lists are not for others (origins,
                // regexes without the feature): the variable was still recognised.
                Err(e) => {
                    assert!(
                        e.issues()
                            .iter()
                            .all(|i| i.kind() != IssueKind::UnknownSetting),
                        "{var}: {e}"
                    );
                    continue;
                }
            };
            let after = serde_json::to_value(&config).expect("json");
            assert_ne!(
                after[&key],
                serde_json::to_value(CorsConfig::default())
                    .expect("json")
                    .get(&key)
                    .cloned()
                    .unwrap_or(serde_json::Value::Null),
                "{var} sets {key}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The policy explains itself
// ---------------------------------------------------------------------------------------------

#[test]
fn policy_display_lists_every_setting() {
    let public = CorsConfig {
        allow_any_origin: true,
        allow_methods: vec!["*".into()],
        allow_headers: vec!["*".into(), "authorization".into()],
        expose_headers: vec!["x-request-id".into()],
        preflight_status: Some(200),
        explain_preflight_refusals: true,
        ..CorsConfig::default()
    }
    .build()
    .expect("public");
    assert_eq!(
        public.to_string(),
        "CORS policy:
  origins:     any (Access-Control-Allow-Origin: *)
  methods:     GET, HEAD, POST (always allowed), * (any)
  headers:     *, authorization
  exposed:     x-request-id
  credentials: not allowed
  max-age:     not sent (browsers cache preflights 5 s)
  preflight:   answered 200
  modes:       explain preflight refusals"
    );
    let listed = CorsConfig {
        allow_origins: vec![
            "https://app.example.com".into(),
            "HTTPS://ADMIN.example.com:443".into(),
            "http://localhost:*".into(),
        ],
        allow_null_origin: true,
        allow_private_network: true,
        ..CorsConfig::default()
    };
    // Not canonical: an error, so shown canonical only once fixed.
    assert!(listed.build().is_err());
    let listed = CorsConfig {
        allow_origins: vec![
            "https://app.example.com".into(),
            "https://admin.example.com".into(),
            "http://localhost:*".into(),
        ],
        ..listed
    }
    .build()
    .expect("listed");
    let text = listed.to_string();
    assert!(
        text.contains("\n  origins:     https://app.example.com, https://admin.example.com, null\n  patterns:    http://localhost:*\n  methods:"),
        "{text}"
    );
    assert!(
        text.ends_with("\n  modes:       private network access"),
        "{text}"
    );
    let err = CorsConfig {
        allow_any_origin: true,
        allow_private_network: true,
        ..CorsConfig::default()
    }
    .build()
    .expect_err("any origin with private network access");
    assert_eq!(
        err.to_string(),
        "invalid CORS policy: allow_any_origin = true cannot be combined with allow_private_network = true: every public website could then reach this private-network service from its visitors' browsers; list the public origins that may reach it with allow_origins"
    );
}

#[test]
fn policy_display_mentions_an_origin_function() {
    let p = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_origin_fn(|origin, _parts| origin.host().ends_with(".tenant.example"))
        .guard_websockets(true)
        .build()
        .expect("predicate");
    let text = p.to_string();
    assert!(
        text.contains("\n  function:    allow_origin_fn decides the other origins\n"),
        "{text}"
    );
    assert!(text.ends_with("\n  modes:       WebSocket guard"), "{text}");
}
