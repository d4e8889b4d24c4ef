//! Claims of the documentation that no other test checks: each test here names the
//! document and the sentence it backs.

use std::convert::Infallible;
use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderValue, Method, Request, Response};
use proptest::prelude::*;
use tower::{service_fn, Layer, ServiceExt};
use tower_cors::{CorsConfig, CorsLayer, CorsPolicy, Decision, PolicyBuilder};

const APP: &str = "https://app.example.com";
const OWN: &str = "https://api.example.com";

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn request(method: &str, headers: &[(&str, &str)]) -> Request<()> {
    let mut req = Request::builder().method(method).uri("/api/items");
    for (name, value) in headers {
        req = req.header(*name, HeaderValue::from_str(value).expect("header value"));
    }
    req.body(()).expect("request")
}

/// Status of `req` through `layer`, with an application that answers `200`.
async fn status(layer: &CorsLayer, req: Request<()>) -> u16 {
    let svc = layer.layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    }));
    let res = svc.oneshot(req).await.expect("infallible");
    res.status().as_u16()
}

/// docs/dynamic-policies.md: a request that is not a preflight from an own origin is never
/// refused nor reported; a preflight from an own origin is decided like any other, refused
/// and reported unless the allow-list admits it.
#[tokio::test]
async fn own_origins_exempt_requests_but_not_preflights() {
    let policy = CorsPolicy::builder()
        .allow_origin(APP)
        .own_origins([OWN])
        .strict(true)
        .build()
        .expect("valid policy");
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&reports);
    let layer = CorsLayer::new(policy.clone())
        .on_refusal(move |report| seen.lock().expect("lock").push(report.to_string()));
    let take = || std::mem::take(&mut *reports.lock().expect("lock"));

    let post = request("POST", &[("origin", OWN)]);
    assert!(matches!(
        policy.evaluate_request(&post),
        Decision::SameOrigin
    ));
    assert_eq!(status(&layer, post).await, 200, "strict mode forwards it");
    assert!(take().is_empty(), "a same-origin POST is never reported");

    let preflight = || {
        request(
            "OPTIONS",
            &[("origin", OWN), ("access-control-request-method", "PUT")],
        )
    };
    assert!(
        matches!(
            policy.evaluate_request(&preflight()),
            Decision::PreflightRefused(_)
        ),
        "{:?}",
        policy.evaluate_request(&preflight())
    );
    assert_eq!(status(&layer, preflight()).await, 403);
    let reported = take();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].contains(OWN), "{}", reported[0]);

    // Once the allow-list admits the own origin, its preflight is allowed.
    let listed = CorsPolicy::builder()
        .allow_origins([APP, OWN])
        .own_origins([OWN])
        .allow_methods([Method::PUT])
        .build()
        .expect("valid policy");
    assert!(matches!(
        listed.evaluate_request(&preflight()),
        Decision::PreflightAllowed { .. }
    ));
}

/// Strings near what `build()` checks (origins, patterns, globs, opaque hosts, tokens) and
/// arbitrary text.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9*:/.%@\\[\\]\\-_ ]{0,40}",
        "(https?|wss?|chrome-extension|capacitor|null)(://)?[a-z0-9*.\\-]{0,24}(:[0-9*]{0,6})?/?",
        "(https?://)?(\\*|[a-z]{0,4}\\*[a-z]{0,4})\\.[a-z.]{0,20}",
        "[A-Za-z!#$%&'*+.^_`|~\\-]{0,12}",
    ]
}

fn texts() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 0..4)
}

/// Configurations of arbitrary text and switches: every field of `CorsConfig`.
fn config() -> impl Strategy<Value = CorsConfig> {
    (
        (texts(), texts(), texts(), texts(), texts(), texts()),
        (
            any::<[bool; 8]>(),
            any::<Option<u64>>(),
            any::<Option<u16>>(),
        ),
    )
        .prop_map(
            |((origins, regexes, own, methods, headers, expose), (b, max_age, status))| {
                // Every field is set; the update keeps this compiling when fields are added.
                #[allow(clippy::needless_update)]
                CorsConfig {
                    allow_origins: origins,
                    // Regexes are exercised in their own test, with the feature.
                    allow_origin_regexes: if cfg!(feature = "regex") {
                        Vec::new()
                    } else {
                        regexes
                    },
                    allow_any_origin: b[0],
                    allow_null_origin: b[1],
                    own_origins: own,
                    allow_methods: methods,
                    allow_headers: headers,
                    expose_headers: expose,
                    allow_credentials: b[2],
                    max_age,
                    preflight_status: status,
                    strict: b[3],
                    guard_websockets: b[4],
                    allow_private_network: b[5],
                    explain_preflight_refusals: b[6],
                    ..CorsConfig::default()
                }
            },
        )
}

fn builder_from(
    origins: &[String],
    patterns: &[String],
    methods: &[String],
    headers: &[String],
    b: [bool; 8],
) -> PolicyBuilder {
    let mut builder = CorsPolicy::builder()
        .allow_origins(origins)
        .allow_methods(methods.iter().map(String::as_str))
        .allow_headers(headers.iter().map(String::as_str))
        .expose_headers(headers.iter().map(String::as_str))
        .own_origins(patterns)
        .allow_credentials(b[0])
        .strict(b[1])
        .guard_websockets(b[2])
        .allow_private_network(b[3])
        .explain_preflight_refusals(b[4])
        .max_age(Duration::from_secs(600));
    for pattern in patterns {
        builder = builder.allow_origin_pattern(pattern);
    }
    if b[5] {
        builder = builder.allow_any_origin();
    }
    if b[6] {
        builder = builder.allow_null_origin();
    }
    builder
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// `PolicyBuilder::build` and `CorsConfig::build` document "# Panics: Never": whatever
    /// they are given, they return a policy or an error.
    #[test]
    fn building_never_panics(
        origins in texts(),
        patterns in texts(),
        methods in texts(),
        headers in texts(),
        b in any::<[bool; 8]>(),
        config in config(),
    ) {
        let built = builder_from(&origins, &patterns, &methods, &headers, b).build();
        if let Err(err) = &built {
            prop_assert!(!err.issues().is_empty());
        }
        let built = config.build();
        if let Err(err) = &built {
            prop_assert!(!err.issues().is_empty());
        }
    }
}

#[cfg(feature = "regex")]
proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The same for regular-expression origins (feature `regex`), with and without
    /// credentials (which runs the analysis of what the regex can match).
    #[test]
    fn building_with_regexes_never_panics(
        regexes in prop::collection::vec(
            prop_oneof![
                any::<String>(),
                "(https?://)?[a-z0-9.*+?()\\[\\]\\\\|^$\\-]{0,24}(\\\\.[a-z]{2,6})?",
            ],
            1..3,
        ),
        credentials in any::<bool>(),
    ) {
        let mut builder = CorsPolicy::builder().allow_credentials(credentials);
        for regex in &regexes {
            builder = builder.allow_origin_regex(regex);
        }
        if let Err(err) = builder.build() {
            prop_assert!(!err.issues().is_empty());
        }
        let config = CorsConfig {
            allow_origin_regexes: regexes,
            allow_credentials: credentials,
            ..CorsConfig::default()
        };
        if let Err(err) = config.build() {
            prop_assert!(!err.issues().is_empty());
        }
    }
}

/// The rows of the first Markdown table after `heading` in `text`: cells, trimmed.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("{heading:?} not found"));
    text[start..]
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The names in backticks of a Markdown cell.
fn ticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// README.md: the Cargo features table and the default dependencies are Cargo.toml's.
#[test]
fn readme_features_and_dependencies_are_cargo_tomls() {
    let manifest: toml::Table = toml::from_str(&read("Cargo.toml")).expect("Cargo.toml");
    let readme = read("README.md");

    let deps = manifest["dependencies"].as_table().expect("[dependencies]");
    let mut default: Vec<&str> = deps
        .iter()
        .filter(|(_, spec)| spec.get("optional").and_then(toml::Value::as_bool) != Some(true))
        .map(|(name, _)| name.as_str())
        .collect();
    default.sort_unstable();
    let sentence = readme
        .split("Without features the library depends on ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("the README names the default dependencies");
    let mut named = ticked(sentence);
    named.sort_unstable();
    assert_eq!(named, default, "README.md: {sentence:?}");

    let features = manifest["features"].as_table().expect("[features]");
    let rows = table_after(&readme, "Cargo features");
    let mut documented: Vec<String> = rows.iter().map(|row| ticked(&row[0])[0].clone()).collect();
    documented.sort_unstable();
    let mut declared: Vec<String> = features
        .keys()
        .filter(|name| *name != "default")
        .cloned()
        .collect();
    declared.sort_unstable();
    assert_eq!(documented, declared, "every feature has one row");
    for row in &rows {
        let name = &ticked(&row[0])[0];
        let mut brings: Vec<String> = features[name.as_str()]
            .as_array()
            .expect("feature list")
            .iter()
            .map(|v| {
                let v = v.as_str().expect("feature entry");
                v.strip_prefix("dep:").unwrap_or(v).to_owned()
            })
            .collect();
        brings.sort_unstable();
        let mut said = ticked(&row[2]);
        said.sort_unstable();
        assert_eq!(said, brings, "feature {name}");
    }
}

/// Until a repository and a release exist, nothing points at them: no `repository` or
/// `documentation` URL in Cargo.toml, no link to this crate on docs.rs in the documents.
#[test]
fn no_invented_urls() {
    let manifest: toml::Table = toml::from_str(&read("Cargo.toml")).expect("Cargo.toml");
    let package = manifest["package"].as_table().expect("[package]");
    for key in ["repository", "documentation", "homepage"] {
        assert!(!package.contains_key(key), "Cargo.toml names a {key}");
    }
    let mut documents = vec![
        "README.md".to_owned(),
        "SECURITY.md".to_owned(),
        "cors-probe/README.md".to_owned(),
    ];
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    for entry in fs::read_dir(docs).expect("docs/") {
        let name = entry.expect("entry").file_name();
        documents.push(format!("docs/{}", name.to_string_lossy()));
    }
    // Spelt in two halves, so that this file does not contain it either.
    let docs_rs = format!("docs.rs/{}", "tower-cors");
    for document in documents {
        assert!(
            !read(&document).contains(&docs_rs),
            "{document} links {docs_rs}, which does not exist before a release"
        );
    }
}

/// SECURITY.md: every test it names exists. A list item `` - `FILE`: `a`, `b` `` names
/// the test functions `a` and `b` of `FILE`.
#[test]
fn security_md_names_tests_that_exist() {
    let security = read("SECURITY.md");
    let mut named = 0;
    for line in security.lines() {
        let Some(item) = line.trim_start().strip_prefix("- `") else {
            continue;
        };
        let Some((file, rest)) = item.split_once("`: ") else {
            continue;
        };
        if !file.ends_with(".rs") {
            continue;
        }
        let source = read(file);
        for name in ticked(rest) {
            assert!(
                source.contains(&format!("fn {name}(")),
                "SECURITY.md names {file}: {name}, which does not exist"
            );
            named += 1;
        }
    }
    assert!(named >= 30, "SECURITY.md names {named} tests");
}

/// README.md stays a first contact: at most 200 lines, everything longer in `docs/`.
#[test]
fn readme_stays_under_200_lines() {
    let lines = read("README.md").lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines: move the details to a guide in docs/"
    );
}

/// docs/migrating-from-tower-http.md: tower-http panics when a layer with `Any` and
/// credentials wraps a service; tower-cors refuses the policy in `build()`.
#[test]
fn tower_http_panics_where_tower_cors_refuses_to_build() {
    use tower_http::cors::{Any, CorsLayer as TowerHttpCors};

    let layer = TowerHttpCors::new()
        .allow_origin(Any)
        .allow_credentials(true);
    let wrap = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        layer.layer(service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(String::new()))
        }))
    }));
    assert!(
        wrap.is_err(),
        "tower-http wrapped a service with Any and credentials"
    );

    let built = CorsPolicy::builder()
        .allow_any_origin()
        .allow_credentials(true)
        .build();
    assert!(built.is_err(), "tower-cors built Any with credentials");
}
