//! Property test: for random policies and random cross-origin `fetch()` calls, a browser
//! (the Fetch-Standard model in `support/browser_model.rs`) can read the response if and only
//! if the policy allows the request, and every response the layer produces keeps the
//! invariants of `support/invariants.rs`.
//!
//! "The policy allows the request" is decided by `reference_allows` below, from the random
//! policy description alone, by deliberately simple logic that shares no code with the
//! crate.

use cors_model as browser_model;
#[path = "support/harness.rs"]
mod harness;
#[path = "support/invariants.rs"]
mod invariants;
#[path = "support/reference.rs"]
mod reference;

use std::time::Duration;

use browser_model::{CredentialsMode, FetchRequest, NetworkError, WireRequest, WireResponse};
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use invariants::PolicyShape;
use proptest::prelude::*;
use reference::{parse_serialized_origin, Parsed};
use tower_cors::CorsPolicy;

// ---------------------------------------------------------------------------------------------
// Random policies
// ---------------------------------------------------------------------------------------------

const EXACT_POOL: &[&str] = &[
    "https://app.example.com",
    "https://admin.example.com",
    "http://app.example.com",
    "https://app.example.com:8443",
    "https://foo.com",
    "https://bar.com",
    "https://api.example.org",
    "http://localhost:3000",
    "http://127.0.0.1:8080",
    "http://[::1]:8080",
    "https://xn--bcher-kva.example",
];

const BASES: &[&str] = &[
    "example.com",
    "example.org",
    "foo.com",
    "bar.com",
    "dev.test",
];
const PORT_ANY_HOSTS: &[&str] = &["localhost", "127.0.0.1", "app.example.com"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PortRule {
    Default,
    Fixed(u16),
    Any,
}

#[derive(Clone, Debug)]
enum Pattern {
    /// `scheme://*.base[:port]`
    Subdomains {
        scheme: &'static str,
        base: &'static str,
        port: PortRule,
    },
    /// `scheme://host:*`
    AnyPort {
        scheme: &'static str,
        host: &'static str,
    },
}

impl Pattern {
    fn text(&self) -> String {
        match self {
            Pattern::Subdomains { scheme, base, port } => match port {
                PortRule::Default => format!("{scheme}://*.{base}"),
                PortRule::Fixed(p) => format!("{scheme}://*.{base}:{p}"),
                PortRule::Any => format!("{scheme}://*.{base}:*"),
            },
            Pattern::AnyPort { scheme, host } => format!("{scheme}://{host}:*"),
        }
    }
}

/// Regular expressions whose meaning the reference logic spells out by hand.
#[derive(Clone, Copy, Debug)]
enum RegexRule {
    /// `https://[a-z]+\.example\.com`
    OneLetterLabel,
    /// `https://(?:app|admin)\.example\.org`
    Alternation,
    /// `http://localhost:(?:3000|8080)`
    LocalPorts,
}

impl RegexRule {
    #[cfg_attr(not(feature = "regex"), allow(dead_code))]
    fn text(self) -> &'static str {
        match self {
            RegexRule::OneLetterLabel => r"https://[a-z]+\.example\.com",
            RegexRule::Alternation => r"https://(?:app|admin)\.example\.org",
            RegexRule::LocalPorts => r"http://localhost:(?:3000|8080)",
        }
    }
}

#[derive(Clone, Debug)]
struct PolicyDesc {
    any: bool,
    exact: Vec<&'static str>,
    patterns: Vec<Pattern>,
    regexes: Vec<RegexRule>,
    allow_null: bool,
    methods: Vec<&'static str>,
    headers: Vec<&'static str>,
    expose: Vec<&'static str>,
    credentials: bool,
    strict: bool,
    status_200: bool,
    max_age: Option<u64>,
    private_network: bool,
    explain: bool,
}

const METHOD_POOL: &[&str] = &[
    "PUT", "DELETE", "PATCH", "patch", "OPTIONS", "CUSTOM", "GET", "*",
];
const HEADER_POOL: &[&str] = &[
    "content-type",
    "x-custom",
    "X-Request-Id",
    "authorization",
    "x-other",
    "*",
];
const EXPOSE_POOL: &[&str] = &["x-request-id", "x-total", "*"];

fn pattern_strategy() -> impl Strategy<Value = Pattern> {
    prop_oneof![
        3 => (
            prop::sample::select(&["https", "http"][..]),
            prop::sample::select(BASES),
            prop_oneof![
                Just(PortRule::Default),
                Just(PortRule::Fixed(8443)),
                Just(PortRule::Any)
            ],
        )
            .prop_map(|(scheme, base, port)| Pattern::Subdomains { scheme, base, port }),
        1 => (
            prop::sample::select(&["https", "http"][..]),
            prop::sample::select(PORT_ANY_HOSTS),
        )
            .prop_map(|(scheme, host)| Pattern::AnyPort { scheme, host }),
    ]
}

fn regex_strategy() -> impl Strategy<Value = RegexRule> {
    prop_oneof![
        Just(RegexRule::OneLetterLabel),
        Just(RegexRule::Alternation),
        Just(RegexRule::LocalPorts),
    ]
}

fn policy_strategy() -> impl Strategy<Value = PolicyDesc> {
    (
        (
            prop::bool::weighted(0.15),
            prop::collection::vec(prop::sample::select(EXACT_POOL), 0..4),
            prop::collection::vec(pattern_strategy(), 0..3),
            prop::collection::vec(regex_strategy(), 0..2),
            prop::bool::weighted(0.2),
        ),
        (
            prop::sample::subsequence(METHOD_POOL, 0..=METHOD_POOL.len()),
            prop::sample::subsequence(HEADER_POOL, 0..=HEADER_POOL.len()),
            prop::sample::subsequence(EXPOSE_POOL, 0..=EXPOSE_POOL.len()),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            prop::option::of(0u64..100_000),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.3),
        ),
    )
        .prop_map(
            |(
                (any, exact, patterns, regexes, allow_null),
                (
                    methods,
                    headers,
                    expose,
                    credentials,
                    strict,
                    status_200,
                    max_age,
                    private_network,
                    explain,
                ),
            )| {
                let mut p = PolicyDesc {
                    any,
                    exact,
                    patterns,
                    regexes: if cfg!(feature = "regex") {
                        regexes
                    } else {
                        Vec::new()
                    },
                    allow_null,
                    methods,
                    headers,
                    expose,
                    credentials,
                    strict,
                    status_200,
                    max_age,
                    private_network,
                    explain,
                };
                // Keep only configurations that must build: the insecure combinations are
                // tested for refusal elsewhere.
                if p.any {
                    p.exact.clear();
                    p.patterns.clear();
                    p.regexes.clear();
                    p.allow_null = false;
                    p.credentials = false;
                }
                if p.credentials {
                    p.allow_null = false;
                    for list in [&mut p.methods, &mut p.headers, &mut p.expose] {
                        list.retain(|m| *m != "*");
                    }
                }
                if !p.any && p.exact.is_empty() && p.patterns.is_empty() && p.regexes.is_empty() {
                    p.exact.push("https://app.example.com");
                }
                p
            },
        )
}

fn build_policy(p: &PolicyDesc) -> CorsPolicy {
    let mut b = CorsPolicy::builder();
    if p.any {
        b = b.allow_any_origin();
    }
    if !p.exact.is_empty() {
        b = b.allow_origins(p.exact.iter());
    }
    for pattern in &p.patterns {
        b = b.allow_origin_pattern(pattern.text());
    }
    #[cfg(feature = "regex")]
    for r in &p.regexes {
        b = b.allow_origin_regex(r.text());
    }
    if p.allow_null {
        b = b.allow_null_origin();
    }
    if !p.methods.is_empty() {
        b = b.allow_methods(p.methods.iter().copied());
    }
    if !p.headers.is_empty() {
        b = b.allow_headers(p.headers.iter().copied());
    }
    if !p.expose.is_empty() {
        b = b.expose_headers(p.expose.iter().copied());
    }
    if let Some(secs) = p.max_age {
        b = b.max_age(Duration::from_secs(secs));
    }
    let status = if p.status_200 {
        StatusCode::OK
    } else {
        StatusCode::NO_CONTENT
    };
    b.allow_credentials(p.credentials)
        .allow_private_network(p.private_network)
        .explain_preflight_refusals(p.explain)
        .strict(p.strict)
        .preflight_status(status)
        .build()
        .unwrap_or_else(|e| panic!("policy {p:?} must build: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Random requests
// ---------------------------------------------------------------------------------------------

/// Hosts near the configured ones (shared labels, shared suffixes) and far from them.
const HOST_POOL: &[&str] = &[
    "app.example.com",
    "admin.example.com",
    "example.com",
    "a.b.example.com",
    "evilexample.com",
    "example.com.evil.com",
    "app.example.com.evil.com",
    "appexample.com",
    "app-example.com",
    "wwwxexample.com",
    "foo.com",
    "bar.com",
    "barfoo.com",
    "x.barfoo.com",
    "x.foo.com",
    "api.example.org",
    "admin.example.org",
    "evil.example.org",
    "x.dev.test",
    "localhost",
    "a.localhost",
    "127.0.0.1",
    "[::1]",
    "evil.com",
    "xn--bcher-kva.example",
];

const LABELS: &[&str] = &["a", "app", "x-y", "a.b", "evil", "z9", "under_score"];

#[derive(Clone, Debug)]
struct RequestSeed {
    origin_kind: u8,
    pick: usize,
    label: usize,
    mutation: u8,
    scheme_https: bool,
    port_choice: u8,
    method: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    include_credentials: bool,
    use_cors_preflight: bool,
    meddling_inner: bool,
}

const REQUEST_METHODS: &[&str] = &[
    "GET", "GET", "GET", "HEAD", "POST", "POST", "POST", "PUT", "PUT", "DELETE", "delete", "PATCH",
    "patch", "OPTIONS", "CUSTOM",
];

const REQUEST_HEADERS: &[(&str, &str)] = &[
    ("content-type", "text/plain"),
    ("content-type", "application/json"),
    ("x-custom", "1"),
    ("X-Request-Id", "abc"),
    ("authorization", "Bearer t"),
    ("accept", "*/*"),
    ("accept-language", "en"),
    ("range", "bytes=0-"),
    ("x-other", "1"),
    ("Content-Language", "de"),
];

fn request_strategy() -> impl Strategy<Value = RequestSeed> {
    (
        (
            0u8..100,
            any::<usize>(),
            any::<usize>(),
            0u8..100,
            any::<bool>(),
            0u8..6,
        ),
        (
            prop::sample::select(REQUEST_METHODS),
            prop_oneof![
                2 => Just(Vec::new()),
                3 => prop::collection::vec(prop::sample::select(REQUEST_HEADERS), 1..4),
            ],
            prop::bool::weighted(0.35),
            prop::bool::weighted(0.05),
            prop::bool::weighted(0.3),
        ),
    )
        .prop_map(
            |(
                (origin_kind, pick, label, mutation, scheme_https, port_choice),
                (method, headers, include_credentials, use_cors_preflight, meddling_inner),
            )| RequestSeed {
                origin_kind,
                pick,
                label,
                mutation,
                scheme_https,
                port_choice,
                method,
                headers,
                include_credentials,
                use_cors_preflight,
                meddling_inner,
            },
        )
}

fn port_suffix(choice: u8) -> &'static str {
    match choice {
        0 | 1 => "",
        2 => ":3000",
        3 => ":8080",
        4 => ":8443",
        _ => ":443",
    }
}

/// Applies one hostile or accidental change to a well-formed origin (mutation < 50 keeps it).
fn mutate(origin: &str, mutation: u8) -> String {
    let (scheme, rest) = origin.split_once("://").unwrap_or(("https", origin));
    let flip = if scheme == "https" { "http" } else { "https" };
    match mutation {
        0..=49 => origin.to_owned(),
        50..=53 => format!("{flip}://{rest}"),
        54..=56 => format!("{origin}:8443"),
        57..=59 => match rest.rsplit_once(':') {
            Some((host, port))
                if !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit())
                    && (host.ends_with(']') || !host.contains('[')) =>
            {
                format!("{scheme}://{host}")
            }
            _ => format!("{origin}:3000"),
        },
        60..=63 => format!("{scheme}://evil.{rest}"),
        64..=67 => format!("{origin}.evil.com"),
        68..=71 => format!("{scheme}://evil{rest}"),
        72..=74 => format!("{origin}/"),
        75..=77 => origin.to_ascii_uppercase(),
        78..=80 => format!("{scheme}://user@{rest}"),
        81..=83 => format!("{origin}."),
        84..=86 => {
            let default = if scheme == "https" { ":443" } else { ":80" };
            format!("{origin}{default}")
        }
        87..=89 => format!("{origin}/path"),
        90..=92 => format!("{scheme}://{}", rest.replacen('.', "x", 1)),
        93..=95 => format!(" {origin}"),
        _ => format!("{scheme}://{rest}\t"),
    }
}

/// The `Origin` the browser model sends: mostly drawn from the policy itself, so both
/// allowed origins and their near misses are frequent.
fn request_origin(p: &PolicyDesc, s: &RequestSeed) -> String {
    let scheme = if s.scheme_https { "https" } else { "http" };
    let label = LABELS[s.label % LABELS.len()];
    let base = match s.origin_kind {
        0..=34 if !p.exact.is_empty() => p.exact[s.pick % p.exact.len()].to_owned(),
        0..=59 if !p.patterns.is_empty() => match &p.patterns[s.pick % p.patterns.len()] {
            Pattern::Subdomains { scheme, base, port } => {
                let port = match port {
                    PortRule::Default => String::new(),
                    PortRule::Fixed(n) => format!(":{n}"),
                    PortRule::Any => port_suffix(s.port_choice).to_owned(),
                };
                if s.label % 9 == 8 {
                    // The apex itself.
                    format!("{scheme}://{base}{port}")
                } else {
                    format!("{scheme}://{label}.{base}{port}")
                }
            }
            Pattern::AnyPort { scheme, host } => {
                format!("{scheme}://{host}{}", port_suffix(s.port_choice))
            }
        },
        0..=69 if !p.regexes.is_empty() => match p.regexes[s.pick % p.regexes.len()] {
            RegexRule::OneLetterLabel => format!("https://{label}.example.com"),
            RegexRule::Alternation => {
                let host = ["app", "admin", "evil", "app.admin"][s.label % 4];
                format!("https://{host}.example.org")
            }
            RegexRule::LocalPorts => format!("http://localhost{}", port_suffix(s.port_choice)),
        },
        0..=89 => format!(
            "{scheme}://{}{}",
            HOST_POOL[s.pick % HOST_POOL.len()],
            port_suffix(s.port_choice)
        ),
        _ => return "null".to_owned(),
    };
    mutate(&base, s.mutation)
}

// ---------------------------------------------------------------------------------------------
// Reference logic: does the policy allow the request?
// ---------------------------------------------------------------------------------------------

fn pattern_matches(pattern: &Pattern, origin: &Parsed<'_>) -> bool {
    match pattern {
        Pattern::Subdomains { scheme, base, port } => {
            let port_ok = match port {
                PortRule::Default => origin.port.is_none(),
                PortRule::Fixed(n) => origin.port == Some(*n),
                PortRule::Any => true,
            };
            // One or more whole labels in front of the base, never the base itself.
            let below = origin.host.len() > base.len() + 1
                && origin.host.ends_with(base)
                && origin.host.as_bytes()[origin.host.len() - base.len() - 1] == b'.';
            origin.scheme == *scheme && port_ok && below
        }
        Pattern::AnyPort { scheme, host } => origin.scheme == *scheme && origin.host == *host,
    }
}

fn regex_matches(rule: RegexRule, raw: &str) -> bool {
    match rule {
        RegexRule::OneLetterLabel => raw
            .strip_prefix("https://")
            .and_then(|r| r.strip_suffix(".example.com"))
            .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_lowercase())),
        RegexRule::Alternation => {
            raw == "https://app.example.org" || raw == "https://admin.example.org"
        }
        RegexRule::LocalPorts => raw == "http://localhost:3000" || raw == "http://localhost:8080",
    }
}

fn reference_origin_allowed(p: &PolicyDesc, raw: &str) -> bool {
    if p.any {
        return true;
    }
    if raw == "null" {
        return p.allow_null;
    }
    if p.exact.contains(&raw) {
        return true;
    }
    let Some(parsed) = parse_serialized_origin(raw) else {
        return false;
    };
    p.patterns.iter().any(|pat| pattern_matches(pat, &parsed))
        || p.regexes.iter().any(|r| regex_matches(*r, raw))
}

fn reference_allows(p: &PolicyDesc, req: &FetchRequest) -> bool {
    if !reference_origin_allowed(p, &req.origin) {
        return false;
    }
    if req.credentials.is_include() && !p.credentials {
        return false;
    }
    if !browser_model::needs_preflight(req) {
        return true;
    }
    let method_ok = browser_model::is_cors_safelisted_method(&req.method)
        || p.methods.contains(&req.method.as_str())
        || p.methods.contains(&"*");
    let headers_ok = browser_model::cors_unsafe_request_header_names(&req.headers)
        .iter()
        .all(|name| {
            p.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
                || (p.headers.contains(&"*") && name != "authorization")
        });
    method_ok && headers_ok
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

fn to_http(wire: &WireRequest) -> Request<()> {
    let mut builder = Request::builder()
        .method(Method::from_bytes(wire.method.as_bytes()).expect("request method"))
        .uri("https://api.example.net/resource");
    for (name, value) in &wire.headers {
        builder = builder.header(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_bytes(value).expect("header value"),
        );
    }
    builder.body(()).expect("request")
}

/// What kind of exchange a case produced, to show the generator covers every outcome.
#[derive(Clone, Copy, Debug, Default)]
struct Coverage {
    cases: u32,
    allowed: u32,
    refused: u32,
    preflighted: u32,
    preflight_refused: u32,
    credentialed_allowed: u32,
    null_origin: u32,
    malformed_origin: u32,
    pattern_allowed: u32,
}

fn run_case(p: &PolicyDesc, s: &RequestSeed, cov: &mut Coverage) -> Result<(), TestCaseError> {
    let policy = build_policy(p);
    let shape = PolicyShape {
        any_origin: p.any,
        allow_null: p.allow_null,
        credentials: p.credentials,
        strict: p.strict,
        explain: p.explain,
    };
    let header_refs: Vec<(&str, &[u8])> =
        s.headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let credentials = if s.include_credentials {
        CredentialsMode::Include
    } else {
        CredentialsMode::Omit
    };
    let mut req = FetchRequest::new(&request_origin(p, s), s.method, &header_refs, credentials);
    req.use_cors_preflight = s.use_cors_preflight;

    let inner_headers = if s.meddling_inner {
        harness::meddling_inner_headers()
    } else {
        harness::plain_inner_headers()
    };
    let mut failure: Option<String> = None;
    let result = browser_model::fetch(&req, |wire| {
        let http_req = to_http(wire);
        let decision = policy.evaluate_request(&http_req);
        let (method, headers) = (http_req.method().clone(), http_req.headers().clone());
        let out = harness::call(&policy, inner_headers.clone(), http_req);
        if let Err(e) = invariants::check_outcome(&shape, &method, &headers, &inner_headers, &out) {
            failure.get_or_insert(format!(
                "invariant broken on {wire:?}: {e}; response {out:?}"
            ));
        }
        let has_acao = out.headers.contains_key("access-control-allow-origin");
        // Under explain_preflight_refusals a preflight refused for its method or headers
        // may be answered like an allowed one (the browser refuses it itself).
        let explainable = shape.may_explain(decision.refusal());
        let consistent = if decision.is_allowed() {
            has_acao
        } else {
            !has_acao || explainable
        };
        if !consistent {
            failure.get_or_insert(format!(
                "evaluate() said {decision:?} but the response has acao: {has_acao}; {out:?}"
            ));
        }
        WireResponse {
            status: out.status,
            headers: out.headers,
        }
    });
    if let Some(f) = failure {
        return Err(TestCaseError::fail(f));
    }
    let expected = reference_allows(p, &req);
    cov.cases += 1;
    if expected {
        cov.allowed += 1;
        cov.credentialed_allowed += u32::from(req.credentials.is_include());
        let exact = p.exact.contains(&req.origin.as_str());
        cov.pattern_allowed += u32::from(!p.any && !exact && req.origin != "null");
    } else {
        cov.refused += 1;
    }
    if browser_model::needs_preflight(&req) {
        cov.preflighted += 1;
        if matches!(
            result,
            Err(NetworkError::PreflightCorsCheck(_)
                | NetworkError::MethodNotAllowed(_)
                | NetworkError::HeaderNotAllowed(_)
                | NetworkError::NonWildcardHeaderNotAllowed(_))
        ) {
            cov.preflight_refused += 1;
        }
    }
    cov.null_origin += u32::from(req.origin == "null");
    cov.malformed_origin +=
        u32::from(req.origin != "null" && parse_serialized_origin(&req.origin).is_none());
    prop_assert_eq!(
        result.is_ok(),
        expected,
        "browser and policy disagree: request {:?} got {:?}",
        req,
        result
    );
    if let Ok(outcome) = &result {
        // What the policy exposes is readable; `*` exposes everything without credentials.
        for name in &p.expose {
            let readable = outcome.readable_headers.iter().any(|h| h == name);
            if *name != "*" {
                prop_assert!(readable, "exposed {} not readable: {:?}", name, outcome);
            }
        }
        if p.expose.contains(&"*") && !req.credentials.is_include() {
            prop_assert!(
                outcome.readable_headers.iter().any(|h| h == "x-total"),
                "* did not expose x-total: {:?}",
                outcome
            );
        }
        prop_assert!(
            !outcome.readable_headers.iter().any(|h| h == "x-leak"),
            "the inner service's own expose list leaked through: {:?}",
            outcome
        );
    } else if let Err(NetworkError::ForbiddenMethod(m)) = &result {
        return Err(TestCaseError::fail(format!(
            "generator produced forbidden method {m}"
        )));
    }
    Ok(())
}

#[test]
fn browser_reads_the_response_iff_the_policy_allows_the_request() {
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::RefCell;

    let mut runner = TestRunner::new(Config {
        cases: 10_000,
        max_shrink_iters: 2_000,
        ..Config::default()
    });
    let coverage = RefCell::new(Coverage::default());
    let result = runner.run(
        &(policy_strategy(), request_strategy()),
        |(policy, request)| {
            let mut cov = Coverage::default();
            let outcome = run_case(&policy, &request, &mut cov);
            if outcome.is_ok() {
                let mut total = coverage.borrow_mut();
                total.cases += cov.cases;
                total.allowed += cov.allowed;
                total.refused += cov.refused;
                total.preflighted += cov.preflighted;
                total.preflight_refused += cov.preflight_refused;
                total.credentialed_allowed += cov.credentialed_allowed;
                total.null_origin += cov.null_origin;
                total.malformed_origin += cov.malformed_origin;
                total.pattern_allowed += cov.pattern_allowed;
            }
            outcome
        },
    );
    if let Err(e) = result {
        panic!("property failed: {e}");
    }
    let c = coverage.into_inner();
    println!("coverage: {c:?}");
    // The generator must exercise every kind of outcome, or the property proves little.
    assert!(c.cases >= 10_000, "ran {} cases", c.cases);
    let share = |n: u32| f64::from(n) / f64::from(c.cases);
    let floors = [
        ("allowed", share(c.allowed), 0.15),
        ("refused", share(c.refused), 0.15),
        ("preflighted", share(c.preflighted), 0.2),
        ("preflight refused", share(c.preflight_refused), 0.05),
        ("credentialed allowed", share(c.credentialed_allowed), 0.01),
        ("null origin", share(c.null_origin), 0.02),
        ("malformed origin", share(c.malformed_origin), 0.05),
        (
            "allowed by a pattern or regex",
            share(c.pattern_allowed),
            0.02,
        ),
    ];
    for (desc, got, floor) in floors {
        assert!(
            got >= floor,
            "{desc}: {got:.3} of the cases, expected at least {floor}"
        );
    }
}

#[test]
fn reference_origin_parser_follows_the_serialization() {
    let cases: &[(&str, bool)] = &[
        ("https://a.example.com", true),
        ("http://localhost:3000", true),
        ("http://[::1]:8080", true),
        ("https://a.example.com/", false),
        ("https://A.example.com", false),
        ("HTTPS://a.example.com", false),
        ("https://user@a.example.com", false),
        ("https://a.example.com.", false),
        ("https://a.example.com:", false),
        ("https://a.example.com:0443", false),
        ("https://a.example.com:65536", false),
        ("https://[::G]", false),
        (" https://a.example.com", false),
    ];
    for (desc, ok) in cases {
        assert_eq!(parse_serialized_origin(desc).is_some(), *ok, "{desc}");
    }
}

#[test]
fn reference_patterns_match_whole_labels() {
    let p = Pattern::Subdomains {
        scheme: "https",
        base: "example.com",
        port: PortRule::Default,
    };
    let cases: &[(&str, bool)] = &[
        ("https://a.example.com", true),
        ("https://a.b.example.com", true),
        ("https://example.com", false),
        ("https://evilexample.com", false),
        ("https://a.example.com:8443", false),
        ("http://a.example.com", false),
        ("https://example.com.evil.com", false),
    ];
    for (desc, ok) in cases {
        let parsed = parse_serialized_origin(desc).expect("well-formed");
        assert_eq!(pattern_matches(&p, &parsed), *ok, "{desc}");
    }
}
