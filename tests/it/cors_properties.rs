//! Property test: for random policies and random cross-origin `fetch()` calls, a browser
//! (the Fetch-Standard model in `support/browser_model.rs`) can read the response if and only
//! if the policy allows the request, and every response the layer produces keeps the
//! invariants of `support/invariants.rs`.
//!
//! "The policy allows the request" is decided by `reference_allows` below, from the random
//! policy description alone, by deliberately simple logic that shares no code with the
//! crate.
//!
//! Each case is a layer and a sequence of steps: one policy (`CorsLayer::new`), a table of
//! policies by path prefix (`CorsLayer::per_path`, the reference picking the longest
//! whole-segment prefix itself) or a reloadable layer whose policy is replaced between calls
//! (and between a preflight and its actual request). Policies may carry an origin predicate
//! (`allow_origin_fn`) whose meaning the reference spells out, and the WebSocket guard. Besides
//! `fetch()` calls through the browser model, steps send raw requests a page cannot shape
//! (WebSocket handshakes, requests from the declared own origin and near misses, with `Host`
//! and `Sec-Fetch-Site`, which never make a request same-origin), whose outcome the
//! reference decides directly. Paths are compared as the layer normalises them.

use crate::support::harness;
use crate::support::invariants;
use crate::support::reference;
use cors_model as browser_model;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use browser_model::{CredentialsMode, FetchRequest, NetworkError, WireRequest, WireResponse};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use invariants::{Answerer, PolicyShape};
use proptest::prelude::*;
use reference::{parse_serialized_origin, Parsed};
use tower_cors::{CorsLayer, CorsPolicy, Decision, IssueKind, Origin, PathPolicies, PolicyError};

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
    /// `scheme://{prefix}*{suffix}.base[:port]`: one label, the `*` one or more of `[a-z0-9-]`.
    Glob {
        scheme: &'static str,
        prefix: &'static str,
        suffix: &'static str,
        base: &'static str,
        port: PortRule,
    },
}

/// Literal parts around a glob's `*` (at least one non-empty).
const GLOB_AFFIXES: &[(&str, &str)] = &[("pr-", ""), ("", "-staging"), ("a", "z"), ("x", "-")];

impl Pattern {
    fn text(&self) -> String {
        match self {
            Pattern::Subdomains { scheme, base, port } => match port {
                PortRule::Default => format!("{scheme}://*.{base}"),
                PortRule::Fixed(p) => format!("{scheme}://*.{base}:{p}"),
                PortRule::Any => format!("{scheme}://*.{base}:*"),
            },
            Pattern::AnyPort { scheme, host } => format!("{scheme}://{host}:*"),
            Pattern::Glob {
                scheme,
                prefix,
                suffix,
                base,
                port,
            } => match port {
                PortRule::Default => format!("{scheme}://{prefix}*{suffix}.{base}"),
                PortRule::Fixed(p) => format!("{scheme}://{prefix}*{suffix}.{base}:{p}"),
                PortRule::Any => format!("{scheme}://{prefix}*{suffix}.{base}:*"),
            },
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

/// Tenant domains of the origin predicates: near the configured origins, so lists, patterns
/// and predicates overlap.
const TENANT_DOMAINS: &[&str] = &[
    "tenants.example.com",
    "example.org",
    "acme.test",
    "globex.example",
    "foo.com",
];

/// Origins a set-backed predicate may hold.
const PREDICATE_SET_POOL: &[&str] = &[
    "https://acme.test",
    "https://shop.acme.test",
    "http://globex.example:8080",
    "https://app.example.com",
    "https://x.foo.com",
    "http://localhost:3000",
];

/// Origin predicates (`allow_origin_fn`), each with a meaning the reference spells out.
#[derive(Clone, Debug)]
enum PredicateDesc {
    /// `https`, default port, host one of the domains or below one (whole labels).
    Tenants(Vec<&'static str>),
    /// `Tenants`, only for request paths at or below a prefix (the predicate reads `Parts`).
    TenantsUnder {
        domains: Vec<&'static str>,
        prefix: &'static str,
    },
    /// The origin's serialization is one of a set (a snapshot of a database table).
    Set(Vec<&'static str>),
    /// Any scheme and port, host `localhost` or below `foo.com` (`host()` and `port()` used
    /// separately).
    AnyPortLocal,
    /// Accepts every origin: refused at build time with credentials.
    Everything,
    /// Every `https` origin, any host: refused at build time with credentials.
    AnyHttps,
}

impl PredicateDesc {
    /// Accepts origins on hosts nobody configured: "reflect every origin", which `build()`
    /// must refuse with credentials.
    fn host_agnostic(&self) -> bool {
        matches!(self, PredicateDesc::Everything | PredicateDesc::AnyHttps)
    }

    /// The reference meaning, from the origin string and the request path.
    fn accepts(&self, origin: &Parsed<'_>, raw: &str, path: &str) -> bool {
        let within = |domains: &[&str]| {
            domains.iter().any(|d| {
                origin.host == *d
                    || (origin.host.len() > d.len() + 1
                        && origin.host.ends_with(d)
                        && origin.host.as_bytes()[origin.host.len() - d.len() - 1] == b'.')
            })
        };
        let tenants =
            |domains: &[&str]| origin.scheme == "https" && origin.port.is_none() && within(domains);
        match self {
            PredicateDesc::Tenants(domains) => tenants(domains),
            PredicateDesc::TenantsUnder { domains, prefix } => {
                tenants(domains) && reference_path_under(path, prefix)
            }
            PredicateDesc::Set(set) => set.contains(&raw),
            PredicateDesc::AnyPortLocal => origin.host == "localhost" || within(&["foo.com"]),
            PredicateDesc::Everything => true,
            PredicateDesc::AnyHttps => origin.scheme == "https",
        }
    }

    /// The predicate handed to the builder, written against the `Origin` API.
    fn function(&self) -> impl Fn(&Origin<'_>, &http::request::Parts) -> bool + Send + Sync {
        let desc = self.clone();
        move |origin: &Origin<'_>, parts: &http::request::Parts| match &desc {
            PredicateDesc::Tenants(domains) => {
                origin.scheme() == "https"
                    && origin.port().is_none()
                    && domains.iter().any(|d| origin.is_within(d))
            }
            PredicateDesc::TenantsUnder { domains, prefix } => {
                let path = parts.uri.path();
                let under = path == *prefix
                    || path
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('/'));
                under
                    && origin.scheme() == "https"
                    && origin.port().is_none()
                    && domains.iter().any(|d| origin.is_within(d))
            }
            PredicateDesc::Set(set) => set.contains(&origin.as_str()),
            PredicateDesc::AnyPortLocal => {
                origin.host() == "localhost" || origin.is_within("foo.com")
            }
            PredicateDesc::Everything => true,
            PredicateDesc::AnyHttps => origin.scheme() == "https",
        }
    }

    /// Domains whose origins the generator draws requests from.
    fn domains(&self) -> Vec<&'static str> {
        match self {
            PredicateDesc::Tenants(d) | PredicateDesc::TenantsUnder { domains: d, .. } => d.clone(),
            PredicateDesc::Set(_) => Vec::new(),
            PredicateDesc::AnyPortLocal => vec!["foo.com", "localhost"],
            PredicateDesc::Everything | PredicateDesc::AnyHttps => vec!["evil.com", "example.com"],
        }
    }
}

/// A path at or below `prefix`, whole segments (the reference for `TenantsUnder`).
fn reference_path_under(path: &str, prefix: &str) -> bool {
    let segments = |p: &str| -> Vec<String> { p.split('/').map(str::to_owned).collect() };
    let (path, prefix) = (segments(path), segments(prefix));
    path.len() >= prefix.len() && path[..prefix.len()] == prefix[..]
}

#[derive(Clone, Debug)]
struct PolicyDesc {
    any: bool,
    exact: Vec<&'static str>,
    patterns: Vec<Pattern>,
    regexes: Vec<RegexRule>,
    predicate: Option<PredicateDesc>,
    guard_websockets: bool,
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
    "PUT", "DELETE", "PATCH", "purge", "OPTIONS", "CUSTOM", "GET", "*",
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
        2 => (
            prop::sample::select(&["https", "http"][..]),
            prop::sample::select(GLOB_AFFIXES),
            prop::sample::select(BASES),
            prop_oneof![
                Just(PortRule::Default),
                Just(PortRule::Fixed(8443)),
                Just(PortRule::Any)
            ],
        )
            .prop_map(|(scheme, (prefix, suffix), base, port)| Pattern::Glob {
                scheme,
                prefix,
                suffix,
                base,
                port
            }),
    ]
}

fn regex_strategy() -> impl Strategy<Value = RegexRule> {
    prop_oneof![
        Just(RegexRule::OneLetterLabel),
        Just(RegexRule::Alternation),
        Just(RegexRule::LocalPorts),
    ]
}

fn predicate_strategy() -> impl Strategy<Value = PredicateDesc> {
    let domains = || prop::sample::subsequence(TENANT_DOMAINS, 1..=3);
    prop_oneof![
        4 => domains().prop_map(PredicateDesc::Tenants),
        2 => (domains(), prop::sample::select(&["/api", "/tenants", "/api/v1"][..]))
            .prop_map(|(domains, prefix)| PredicateDesc::TenantsUnder { domains, prefix }),
        3 => prop::sample::subsequence(PREDICATE_SET_POOL, 1..=4).prop_map(PredicateDesc::Set),
        1 => Just(PredicateDesc::AnyPortLocal),
        1 => Just(PredicateDesc::Everything),
        1 => Just(PredicateDesc::AnyHttps),
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
            prop::option::weighted(0.4, predicate_strategy()),
            prop::bool::weighted(0.3),
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
                (any, exact, patterns, regexes, allow_null, predicate, guard_websockets),
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
                    predicate,
                    guard_websockets,
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
                    p.predicate = None;
                    p.allow_null = false;
                    p.credentials = false;
                    p.private_network = false;
                    // `*` never opens the WebSocket guard: a build error, tested elsewhere.
                    p.guard_websockets = false;
                }
                // A host-agnostic predicate with credentials stays: `build()` must refuse it
                // (checked in `realize`).
                if p.credentials {
                    p.allow_null = false;
                    for list in [&mut p.methods, &mut p.headers, &mut p.expose] {
                        list.retain(|m| *m != "*");
                    }
                }
                if !p.any
                    && p.exact.is_empty()
                    && p.patterns.is_empty()
                    && p.regexes.is_empty()
                    && p.predicate.is_none()
                {
                    p.exact.push("https://app.example.com");
                }
                p
            },
        )
}

/// An origin predicate as the builder takes it.
type PredicateFn = Box<dyn Fn(&Origin<'_>, &http::request::Parts) -> bool + Send + Sync>;

fn build_policy(p: &PolicyDesc) -> Result<CorsPolicy, PolicyError> {
    let predicate = p
        .predicate
        .as_ref()
        .map(|f| Box::new(f.function()) as PredicateFn);
    build_policy_with(p, predicate)
}

/// [`build_policy`] with `predicate` in place of the description's own.
fn build_policy_with(
    p: &PolicyDesc,
    predicate: Option<PredicateFn>,
) -> Result<CorsPolicy, PolicyError> {
    let mut b = CorsPolicy::builder();
    if let Some(predicate) = predicate {
        b = b.allow_origin_fn(predicate);
    }
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
    b.own_origins([OWN_ORIGIN])
        .allow_credentials(p.credentials)
        .allow_private_network(p.private_network)
        .explain_preflight_refusals(p.explain)
        .strict(p.strict)
        .guard_websockets(p.guard_websockets)
        .preflight_status(status)
        .build()
}

/// Builds `p`, checking the build-time rule on predicates: with credentials (or the
/// WebSocket guard), `build()` must
/// refuse exactly the predicates that accept origins on hosts nobody configured, and nothing
/// else. A refused description continues without its predicate. Returns the description the
/// built policy follows.
fn realize(p: &PolicyDesc, cov: &mut Coverage) -> Result<(PolicyDesc, CorsPolicy), TestCaseError> {
    // The WebSocket guard admits origins to cookie-bearing handshakes, so it
    // holds predicates to the credentialed rule too.
    let credentialed = p.credentials || p.guard_websockets;
    let must_refuse = credentialed && p.predicate.as_ref().is_some_and(|f| f.host_agnostic());
    match build_policy(p) {
        Ok(policy) if !must_refuse => Ok((p.clone(), policy)),
        Ok(_) => Err(TestCaseError::fail(format!(
            "build() accepted a predicate accepting every origin with credentials: {p:?}"
        ))),
        Err(e) if !must_refuse => Err(TestCaseError::fail(format!("policy {p:?} must build: {e}"))),
        Err(e) => {
            let kinds: Vec<IssueKind> = e.issues().iter().map(|i| i.kind()).collect();
            prop_assert_eq!(
                kinds.clone(),
                vec![IssueKind::PredicateAllowsAnyOrigin],
                "refused for other reasons: {}",
                e
            );
            cov.build_refused += 1;
            let mut tamed = p.clone();
            tamed.predicate = None;
            if tamed.exact.is_empty() && tamed.patterns.is_empty() && tamed.regexes.is_empty() {
                tamed.exact.push("https://app.example.com");
            }
            let policy = build_policy(&tamed)
                .map_err(|e| TestCaseError::fail(format!("policy {tamed:?} must build: {e}")))?;
            Ok((tamed, policy))
        }
    }
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

/// What a glob's `*` is given: allowed runs and near misses.
const GLOB_RUNS: &[&str] = &["1", "42", "a-b", "-", "", "a.b", "under_score", "z9z", "x"];
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
    /// Draw the origin from the policy's predicate.
    from_predicate: bool,
    /// The request's path (and query).
    path: &'static str,
}

/// Paths near the configured prefixes, with the boundary cases of whole-segment matching.
const PATH_POOL: &[&str] = &[
    "/resource",
    "/api",
    "/api/",
    "/apiary",
    "/api?x",
    "//api",
    "/API",
    "/api/v1",
    "/api/v1/",
    "/api/v1x",
    "/api/v1/admin/users",
    "/public",
    "/public/logo.png",
    "/",
    "/tenants/acme",
    "/api/../public",
    "/%61pi",
];

/// Prefixes of per-path tables, nested and near each other.
const PREFIX_POOL: &[&str] = &[
    "/",
    "/api",
    "/api/v1",
    "/api/v1/admin",
    "/public",
    "/apiary",
    "/tenants",
];

const REQUEST_METHODS: &[&str] = &[
    "GET", "GET", "GET", "HEAD", "POST", "POST", "POST", "PUT", "PUT", "DELETE", "delete", "PATCH",
    "patch", "purge", "PURGE", "OPTIONS", "CUSTOM",
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
            prop::bool::weighted(0.5),
            prop::sample::select(PATH_POOL),
        ),
    )
        .prop_map(
            |(
                (origin_kind, pick, label, mutation, scheme_https, port_choice),
                (
                    method,
                    headers,
                    include_credentials,
                    use_cors_preflight,
                    meddling_inner,
                    from_predicate,
                    path,
                ),
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
                from_predicate,
                path,
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
    if let (true, Some(predicate)) = (s.from_predicate, &p.predicate) {
        let base = match predicate {
            PredicateDesc::Set(set) => set[s.pick % set.len()].to_owned(),
            other => {
                let domains = other.domains();
                let domain = domains[s.pick % domains.len()];
                // Mostly what a tenant predicate accepts: https on the default port.
                let scheme = if s.scheme_https || s.pick % 3 != 0 {
                    "https"
                } else {
                    "http"
                };
                let port = if s.port_choice < 3 {
                    ""
                } else {
                    port_suffix(s.port_choice)
                };
                if s.label % 4 == 3 {
                    format!("{scheme}://{domain}{port}")
                } else {
                    format!("{scheme}://{label}.{domain}{port}")
                }
            }
        };
        return mutate(&base, s.mutation);
    }
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
            Pattern::Glob {
                scheme,
                prefix,
                suffix,
                base,
                port,
            } => {
                let port = match port {
                    PortRule::Default => String::new(),
                    PortRule::Fixed(n) => format!(":{n}"),
                    PortRule::Any => port_suffix(s.port_choice).to_owned(),
                };
                // Both sides of each boundary: a run of one or more, an empty run, a dot or
                // an underscore in the run, a label in front, the base itself.
                let run = GLOB_RUNS[s.label % GLOB_RUNS.len()];
                match s.label % 11 {
                    9 => format!("{scheme}://{base}{port}"),
                    10 => format!("{scheme}://a.{prefix}{run}{suffix}.{base}{port}"),
                    _ => format!("{scheme}://{prefix}{run}{suffix}.{base}{port}"),
                }
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
        Pattern::Glob {
            scheme,
            prefix,
            suffix,
            base,
            port,
        } => {
            let port_ok = match port {
                PortRule::Default => origin.port.is_none(),
                PortRule::Fixed(n) => origin.port == Some(*n),
                PortRule::Any => true,
            };
            // Exactly one label in front of the base: the prefix, one or more of
            // [a-z0-9-], the suffix.
            let label_ok = origin
                .host
                .strip_suffix(base)
                .and_then(|front| front.strip_suffix('.'))
                .and_then(|label| label.strip_prefix(prefix))
                .and_then(|label| label.strip_suffix(suffix))
                .is_some_and(|run| {
                    !run.is_empty()
                        && run
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                });
            origin.scheme == *scheme && port_ok && label_ok
        }
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

/// Whether the exact origins, patterns or regexes allow `raw` (the predicate runs only when
/// none of them does).
fn reference_lists_allow(p: &PolicyDesc, raw: &str) -> bool {
    if p.exact.contains(&raw) {
        return true;
    }
    let Some(parsed) = parse_serialized_origin(raw) else {
        return false;
    };
    p.patterns.iter().any(|pat| pattern_matches(pat, &parsed))
        || p.regexes.iter().any(|r| regex_matches(*r, raw))
}

/// The path of a request target: what precedes `?`.
fn reference_path(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

fn reference_origin_allowed(p: &PolicyDesc, raw: &str, path: &str) -> bool {
    if p.any {
        return true;
    }
    if raw == "null" {
        return p.allow_null;
    }
    if reference_lists_allow(p, raw) {
        return true;
    }
    let Some(parsed) = parse_serialized_origin(raw) else {
        return false;
    };
    p.predicate
        .as_ref()
        .is_some_and(|f| f.accepts(&parsed, raw, reference_path(path)))
}

/// The CORS check of a response: the origin, and credentials if the request includes them.
fn reference_origin_and_credentials(p: &PolicyDesc, req: &FetchRequest, path: &str) -> bool {
    reference_origin_allowed(p, &req.origin, path)
        && (!req.credentials.is_include() || p.credentials)
}

/// What a preflight checks beyond the origin: the method and the request headers.
fn reference_method_and_headers(p: &PolicyDesc, req: &FetchRequest) -> bool {
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

fn reference_allows(p: &PolicyDesc, req: &FetchRequest, path: &str) -> bool {
    reference_origin_and_credentials(p, req, path)
        && (!browser_model::needs_preflight(req) || reference_method_and_headers(p, req))
}

/// Whether a table prefix covers the path of `target`: `/` covers every path, any other
/// prefix the paths whose leading segments are its segments.
fn reference_covers(prefix: &str, target: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    let normal = reference_normal_path(reference_path(target));
    let path: Vec<&str> = normal.split('/').collect();
    let segments: Vec<&str> = prefix.split('/').collect();
    path.len() >= segments.len() && path[..segments.len()] == segments[..]
}

/// A path as the layer compares it (RFC 3986 §6.2.2): `%XX` of unreserved characters
/// decoded, empty and `.` segments dropped, `..` removing the segment before.
fn reference_normal_path(path: &str) -> String {
    let mut segments: Vec<String> = Vec::new();
    for raw in path.split('/') {
        let mut segment = String::new();
        let mut rest = raw;
        while let Some(at) = rest.find('%') {
            segment.push_str(&rest[..at]);
            let hex = rest
                .get(at + 1..at + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => {
                    segment.push(char::from(b));
                    rest = &rest[at + 3..];
                }
                Some(_) => {
                    segment.push('%');
                    segment.push_str(&rest[at + 1..at + 3].to_ascii_uppercase());
                    rest = &rest[at + 3..];
                }
                None => {
                    segment.push('%');
                    rest = &rest[at + 1..];
                }
            }
        }
        segment.push_str(rest);
        match segment.as_str() {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    format!("/{}", segments.join("/"))
}

/// The entry of a per-path table covering `target`: the longest prefix made of whole
/// segments of the path (`/` covers every path), else the fallback, else none.
fn reference_entry<'a>(
    entries: &'a [(&'static str, PolicyDesc)],
    fallback: Option<&'a PolicyDesc>,
    target: &str,
) -> Option<(&'static str, &'a PolicyDesc)> {
    let mut best: Option<(usize, &'static str, &PolicyDesc)> = None;
    for (prefix, desc) in entries {
        let len = if *prefix == "/" {
            0
        } else {
            prefix.split('/').count()
        };
        if reference_covers(prefix, target) && best.map_or(true, |(l, _, _)| len > l) {
            best = Some((len, prefix, desc));
        }
    }
    match best {
        Some((_, prefix, desc)) => Some((prefix, desc)),
        None => fallback.map(|f| ("(fallback)", f)),
    }
}

// ---------------------------------------------------------------------------------------------
// Layers and steps
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum LayoutDesc {
    /// `CorsLayer::new`.
    Single(PolicyDesc),
    /// `CorsLayer::per_path`: distinct prefixes and an optional fallback.
    PerPath {
        entries: Vec<(&'static str, PolicyDesc)>,
        fallback: Option<PolicyDesc>,
    },
    /// `CorsLayer::reloadable`, replaced by the steps.
    Reloadable(PolicyDesc),
}

/// The one origin the policies declare as their own (`own_origins`).
const OWN_ORIGIN: &str = "https://api.example.net";

/// Origins a server at `api.example.net` calls its own, and near misses.
const OWN_ORIGINS: &[&str] = &[
    "https://api.example.net",
    "http://api.example.net",
    "https://api.example.net:8443",
    "http://api.example.net:8080",
    "https://API.example.net",
    "https://api.example.net.evil.com",
    "https://evil.api.example.net",
    "https://example.net",
];

/// `Host` headers of requests to the server (or none: HTTP/2 carries the URI's authority).
const HOSTS: &[Option<&str>] = &[
    None,
    Some("api.example.net"),
    Some("api.example.net:443"),
    Some("api.example.net:8443"),
    Some("API.Example.NET"),
    Some("api.example.net:"),
    Some("api.example.net:80"),
    Some("app.example.com"),
    Some("evil.com"),
    Some("[::1]:8080"),
];

const SEC_FETCH_SITES: &[Option<&str>] = &[
    None,
    None,
    Some("same-origin"),
    Some("same-site"),
    Some("cross-site"),
    Some("none"),
    Some("Same-Origin"),
];

const CONNECTIONS: &[Option<&str>] = &[
    None,
    Some("Upgrade"),
    Some("keep-alive, upgrade"),
    Some("UPGRADE"),
    Some("close"),
];

const UPGRADES: &[Option<&str>] = &[None, Some("websocket"), Some("WebSocket"), Some("h2c")];

const RAW_METHODS: &[&str] = &["GET", "GET", "GET", "POST", "CONNECT", "OPTIONS", "PUT"];

/// A request a page cannot shape with `fetch()`: a WebSocket handshake or a same-origin
/// request, with `Host` and `Sec-Fetch-Site`.
#[derive(Clone, Debug)]
struct RawSeed {
    /// The origin as for a `fetch()`, unless `own` picks one of [`OWN_ORIGINS`].
    origin: RequestSeed,
    own: Option<usize>,
    method: &'static str,
    host: Option<&'static str>,
    /// An absolute URI (`https://api.example.net/…`) rather than a path only.
    absolute: bool,
    sec_fetch_site: Option<&'static str>,
    connection: Option<&'static str>,
    upgrade: Option<&'static str>,
}

#[derive(Clone, Debug)]
enum Step {
    Fetch {
        seed: RequestSeed,
        /// Replaces the policy between the preflight and the actual request (reloadable
        /// layers only).
        mid_swap: Option<PolicyDesc>,
    },
    Raw(RawSeed),
    /// Replaces the policy (reloadable layers only).
    Replace(PolicyDesc),
}

#[derive(Clone, Debug)]
struct CaseDesc {
    layout: LayoutDesc,
    steps: Vec<Step>,
}

fn raw_strategy() -> impl Strategy<Value = RawSeed> {
    (
        request_strategy(),
        prop::option::weighted(0.5, 0..OWN_ORIGINS.len()),
        prop::sample::select(RAW_METHODS),
        prop::sample::select(HOSTS),
        any::<bool>(),
        prop::sample::select(SEC_FETCH_SITES),
        prop::sample::select(CONNECTIONS),
        prop::sample::select(UPGRADES),
    )
        .prop_map(
            |(origin, own, method, host, absolute, sec_fetch_site, connection, upgrade)| RawSeed {
                origin,
                own,
                method,
                host,
                absolute,
                sec_fetch_site,
                connection,
                upgrade,
            },
        )
}

fn step_strategy(reloadable: bool) -> BoxedStrategy<Step> {
    if reloadable {
        let fetch = (
            request_strategy(),
            prop::option::weighted(0.2, policy_strategy()),
        )
            .prop_map(|(seed, mid_swap)| Step::Fetch { seed, mid_swap });
        prop_oneof![
            5 => fetch,
            2 => raw_strategy().prop_map(Step::Raw),
            3 => policy_strategy().prop_map(Step::Replace),
        ]
        .boxed()
    } else {
        let fetch = request_strategy().prop_map(|seed| Step::Fetch {
            seed,
            mid_swap: None,
        });
        prop_oneof![4 => fetch, 1 => raw_strategy().prop_map(Step::Raw)].boxed()
    }
}

fn case_strategy() -> impl Strategy<Value = CaseDesc> {
    let single = (
        policy_strategy(),
        prop::collection::vec(step_strategy(false), 1..=2),
    )
        .prop_map(|(p, steps)| CaseDesc {
            layout: LayoutDesc::Single(p),
            steps,
        });
    let per_path = (
        prop::collection::vec(
            (prop::sample::select(PREFIX_POOL), policy_strategy()),
            1..=4,
        ),
        prop::option::weighted(0.4, policy_strategy()),
        prop::collection::vec(step_strategy(false), 1..=6),
    )
        .prop_map(|(mut entries, fallback, steps)| {
            let mut seen = Vec::new();
            entries.retain(|(prefix, _)| {
                let fresh = !seen.contains(prefix);
                seen.push(*prefix);
                fresh
            });
            CaseDesc {
                layout: LayoutDesc::PerPath { entries, fallback },
                steps,
            }
        });
    let reloadable = (
        policy_strategy(),
        prop::collection::vec(step_strategy(true), 2..=8),
    )
        .prop_map(|(p, steps)| CaseDesc {
            layout: LayoutDesc::Reloadable(p),
            steps,
        });
    prop_oneof![5 => single, 3 => per_path, 3 => reloadable]
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

fn to_http(wire: &WireRequest, path: &str) -> Request<()> {
    let mut builder = Request::builder()
        .method(Method::from_bytes(wire.method.as_bytes()).expect("request method"))
        .uri(format!("https://api.example.net{path}"));
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
    fetches: u32,
    allowed: u32,
    refused: u32,
    preflighted: u32,
    preflight_refused: u32,
    credentialed_allowed: u32,
    null_origin: u32,
    malformed_origin: u32,
    pattern_allowed: u32,
    /// Allowed by the origin predicate only.
    predicate_allowed: u32,
    /// Refused with a predicate in the policy (it ran and said no, or never ran).
    predicate_refused: u32,
    /// Policies `build()` refused for a predicate accepting every origin with credentials.
    build_refused: u32,
    /// Requests through a per-path layer (fetches and raw requests).
    per_path: u32,
    /// ... on a path no prefix covers and no fallback.
    uncovered: u32,
    /// ... covered by a prefix below another prefix that also covers it.
    nested_prefix: u32,
    /// ... answered by the fallback.
    fallback: u32,
    /// Fetches to uncovered paths (not counted in `fetches`).
    uncovered_fetches: u32,
    /// Requests served after the policy was replaced.
    after_swap: u32,
    /// ... whose verdict differs from the one the first policy would have given.
    swap_changed_verdict: u32,
    /// Fetches whose policy was replaced between the preflight and the actual request.
    mid_swaps: u32,
    /// Raw requests.
    raw: u32,
    /// Same-origin requests forwarded where a cross-origin one would have been refused 403.
    same_origin_forwarded: u32,
    /// WebSocket handshakes refused 403 by the guard (not by strict mode).
    websocket_refused: u32,
    /// WebSocket handshakes from allowed origins, forwarded with the origin.
    websocket_allowed: u32,
}

impl Coverage {
    fn add(&mut self, o: &Coverage) {
        let fields = [
            (&mut self.cases, o.cases),
            (&mut self.fetches, o.fetches),
            (&mut self.allowed, o.allowed),
            (&mut self.refused, o.refused),
            (&mut self.preflighted, o.preflighted),
            (&mut self.preflight_refused, o.preflight_refused),
            (&mut self.credentialed_allowed, o.credentialed_allowed),
            (&mut self.null_origin, o.null_origin),
            (&mut self.malformed_origin, o.malformed_origin),
            (&mut self.pattern_allowed, o.pattern_allowed),
            (&mut self.predicate_allowed, o.predicate_allowed),
            (&mut self.predicate_refused, o.predicate_refused),
            (&mut self.build_refused, o.build_refused),
            (&mut self.per_path, o.per_path),
            (&mut self.uncovered, o.uncovered),
            (&mut self.nested_prefix, o.nested_prefix),
            (&mut self.fallback, o.fallback),
            (&mut self.uncovered_fetches, o.uncovered_fetches),
            (&mut self.after_swap, o.after_swap),
            (&mut self.swap_changed_verdict, o.swap_changed_verdict),
            (&mut self.mid_swaps, o.mid_swaps),
            (&mut self.raw, o.raw),
            (&mut self.same_origin_forwarded, o.same_origin_forwarded),
            (&mut self.websocket_refused, o.websocket_refused),
            (&mut self.websocket_allowed, o.websocket_allowed),
        ];
        for (total, n) in fields {
            *total += n;
        }
    }
}

fn shape_of(p: &PolicyDesc) -> PolicyShape {
    PolicyShape {
        any_origin: p.any,
        allow_null: p.allow_null,
        credentials: p.credentials,
        strict: p.strict,
        explain: p.explain,
    }
}

fn answerer_of(p: Option<&PolicyDesc>, closed: Closed) -> Answerer {
    match p {
        Some(p) => Answerer::Policy {
            shape: shape_of(p),
            guard_websockets: p.guard_websockets,
        },
        None => Answerer::Uncovered {
            strict: closed.strict,
            guard_websockets: closed.guard_websockets,
        },
    }
}

/// How a table fails closed on a path no entry covers: strict when an entry is, guarding
/// WebSockets when an entry does.
#[derive(Clone, Copy, Debug, Default)]
struct Closed {
    strict: bool,
    guard_websockets: bool,
}

/// What the predicates were called with: every call must see a well-formed origin no list
/// allows, parsed as the reference parses it.
type PredicateLog = Arc<Mutex<Vec<String>>>;

/// A policy description and the policy built from it.
#[derive(Clone)]
struct Built {
    desc: PolicyDesc,
    policy: CorsPolicy,
}

fn realize_logged(
    p: &PolicyDesc,
    log: &PredicateLog,
    cov: &mut Coverage,
) -> Result<Built, TestCaseError> {
    let (desc, policy) = realize(p, cov)?;
    let Some(predicate) = &desc.predicate else {
        return Ok(Built { desc, policy });
    };
    // The same predicate again, wrapped to log any call it should never get.
    let f = predicate.function();
    let lists = desc.clone();
    let log = Arc::clone(log);
    let witness = move |origin: &Origin<'_>, parts: &http::request::Parts| {
        let raw = origin.as_str();
        let problem = match parse_serialized_origin(raw) {
            None => Some("an origin the reference calls malformed".to_owned()),
            Some(r)
                if r.scheme != origin.scheme()
                    || r.host != origin.host()
                    || r.port != origin.port() =>
            {
                Some(format!(
                    "parsed as ({}, {}, {:?})",
                    origin.scheme(),
                    origin.host(),
                    origin.port()
                ))
            }
            Some(_) if reference_lists_allow(&lists, raw) => {
                Some("an origin the lists already allow".to_owned())
            }
            Some(_) => None,
        };
        if let Some(problem) = problem {
            if let Ok(mut log) = log.lock() {
                log.push(format!("predicate called with {raw:?}: {problem}"));
            }
        }
        f(origin, parts)
    };
    let policy = build_policy_with(&desc, Some(Box::new(witness)))
        .map_err(|e| TestCaseError::fail(format!("policy {desc:?} must build: {e}")))?;
    Ok(Built { desc, policy })
}

/// The entries (prefix, policy) and fallback of a per-path layer.
type Table = (Vec<(&'static str, Built)>, Option<Built>);

/// A layer under test and what the reference knows of it.
struct Subject {
    served: harness::Served,
    handle: Option<tower_cors::PolicyHandle>,
    /// The table of a per-path layer: (prefix, policy), fallback.
    table: Option<Table>,
    /// The policy of a single or reloadable layer, current.
    current: Option<Built>,
    /// The first policy of a reloadable layer.
    first: Option<PolicyDesc>,
    swapped: bool,
}

impl Subject {
    fn new(
        layout: &LayoutDesc,
        log: &PredicateLog,
        cov: &mut Coverage,
    ) -> Result<Self, TestCaseError> {
        Ok(match layout {
            LayoutDesc::Single(p) => {
                let built = realize_logged(p, log, cov)?;
                Subject {
                    served: harness::Served::new(&CorsLayer::new(built.policy.clone())),
                    handle: None,
                    table: None,
                    current: Some(built),
                    first: None,
                    swapped: false,
                }
            }
            LayoutDesc::Reloadable(p) => {
                let built = realize_logged(p, log, cov)?;
                let (layer, handle) = CorsLayer::reloadable(built.policy.clone());
                Subject {
                    served: harness::Served::new(&layer),
                    handle: Some(handle),
                    table: None,
                    first: Some(built.desc.clone()),
                    current: Some(built),
                    swapped: false,
                }
            }
            LayoutDesc::PerPath { entries, fallback } => {
                let mut builder = PathPolicies::builder();
                let mut table = Vec::new();
                for (prefix, p) in entries {
                    let built = realize_logged(p, log, cov)?;
                    builder = builder.prefix(prefix, built.policy.clone());
                    table.push((*prefix, built));
                }
                let fallback = match fallback {
                    Some(p) => {
                        let built = realize_logged(p, log, cov)?;
                        builder = builder.fallback(built.policy.clone());
                        Some(built)
                    }
                    None => None,
                };
                let paths = builder
                    .build()
                    .map_err(|e| TestCaseError::fail(format!("table must build: {e}")))?;
                Subject {
                    served: harness::Served::new(&CorsLayer::per_path(paths)),
                    handle: None,
                    table: Some((table, fallback)),
                    current: None,
                    first: None,
                    swapped: false,
                }
            }
        })
    }

    /// The policy the reference says answers `target`, and how it was chosen.
    /// How the table fails closed on uncovered paths (nothing without a table).
    fn closed(&self) -> Closed {
        let Some((table, fallback)) = &self.table else {
            return Closed::default();
        };
        let descs = || {
            table
                .iter()
                .map(|(_, b)| &b.desc)
                .chain(fallback.iter().map(|f| &f.desc))
        };
        Closed {
            strict: descs().any(|d| d.strict),
            guard_websockets: descs().any(|d| d.guard_websockets),
        }
    }

    fn policy_at(&self, target: &str, cov: &mut Coverage) -> Option<&Built> {
        let Some((table, fallback)) = &self.table else {
            return self.current.as_ref();
        };
        cov.per_path += 1;
        let descs: Vec<(&'static str, PolicyDesc)> =
            table.iter().map(|(p, b)| (*p, b.desc.clone())).collect();
        match reference_entry(&descs, fallback.as_ref().map(|f| &f.desc), target) {
            None => {
                cov.uncovered += 1;
                None
            }
            Some(("(fallback)", _)) => {
                cov.fallback += 1;
                fallback.as_ref()
            }
            Some((prefix, _)) => {
                let shorter_also = descs.iter().any(|(other, _)| {
                    other.len() < prefix.len() && reference_covers(other, target)
                });
                cov.nested_prefix += u32::from(shorter_also);
                table.iter().find(|(p, _)| *p == prefix).map(|(_, b)| b)
            }
        }
    }

    fn replace(
        &mut self,
        p: &PolicyDesc,
        log: &PredicateLog,
        cov: &mut Coverage,
    ) -> Result<(), TestCaseError> {
        let Some(handle) = &self.handle else {
            return Ok(());
        };
        let built = realize_logged(p, log, cov)?;
        handle.replace(built.policy.clone());
        self.current = Some(built);
        self.swapped = true;
        Ok(())
    }
}

/// Checks one response: the invariants for the policy the reference says answered, and that
/// the response agrees with that policy's `evaluate()`.
fn check_response(
    answered_by: Option<&Built>,
    closed: Closed,
    req: &Request<()>,
    inner_headers: &HeaderMap,
    out: &harness::Outcome,
) -> Result<Option<Decision>, String> {
    let answerer = answerer_of(answered_by.map(|b| &b.desc), closed);
    invariants::check_outcome_by(
        &answerer,
        req.method(),
        req.uri(),
        req.headers(),
        inner_headers,
        out,
    )?;
    let Some(built) = answered_by else {
        return Ok(None);
    };
    let decision = built.policy.evaluate_request(req);
    let has_acao = out.headers.contains_key("access-control-allow-origin");
    // Under explain_preflight_refusals a preflight refused for its method or headers
    // may be answered like an allowed one (the browser refuses it itself).
    let explainable = shape_of(&built.desc).may_explain(decision.refusal());
    let consistent = match &decision {
        Decision::SameOrigin => !has_acao && out.inner_called,
        d if d.is_allowed() => has_acao,
        _ => !has_acao || explainable,
    };
    if !consistent {
        return Err(format!(
            "evaluate() said {decision:?} but the response has acao: {has_acao}; {out:?}"
        ));
    }
    Ok(Some(decision))
}

fn run_fetch(
    subject: &mut Subject,
    s: &RequestSeed,
    mid_swap: Option<&PolicyDesc>,
    log: &PredicateLog,
    cov: &mut Coverage,
) -> Result<(), TestCaseError> {
    let path = s.path;
    let Some(first_policy) = subject.policy_at(path, cov).map(|b| b.desc.clone()) else {
        return run_fetch_uncovered(subject, s, cov);
    };
    let header_refs: Vec<(&str, &[u8])> =
        s.headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let credentials = if s.include_credentials {
        CredentialsMode::Include
    } else {
        CredentialsMode::Omit
    };
    let mut req = FetchRequest::new(
        &request_origin(&first_policy, s),
        s.method,
        &header_refs,
        credentials,
    );
    req.use_cors_preflight = s.use_cors_preflight;
    let inner_headers = if s.meddling_inner {
        harness::meddling_inner_headers()
    } else {
        harness::plain_inner_headers()
    };
    let swapped_before = subject.swapped;
    // The policies in force for the preflight and the actual request.
    let mut policies: Vec<PolicyDesc> = Vec::new();
    let mut failure: Option<String> = None;
    let mut wire_count = 0;
    let result = browser_model::fetch(&req, |wire| {
        if wire_count == 1 {
            if let Some(p) = mid_swap {
                if let Err(e) = subject.replace(p, log, cov) {
                    failure.get_or_insert(format!("{e}"));
                }
            }
        }
        wire_count += 1;
        let http_req = to_http(wire, path);
        let (method, uri, headers) = (
            http_req.method().clone(),
            http_req.uri().clone(),
            http_req.headers().clone(),
        );
        let out = subject
            .served
            .call(inner_headers.clone(), StatusCode::OK, http_req);
        let mut probe = Request::new(());
        *probe.method_mut() = method;
        *probe.uri_mut() = uri;
        *probe.headers_mut() = headers;
        let closed = subject.closed();
        let answered_by = subject.policy_at(path, &mut Coverage::default());
        policies.push(answered_by.map_or_else(|| first_policy.clone(), |b| b.desc.clone()));
        if let Err(e) = check_response(answered_by, closed, &probe, &inner_headers, &out) {
            failure.get_or_insert(format!("on {wire:?}: {e}"));
        }
        WireResponse {
            status: out.status,
            headers: out.headers,
        }
    });
    if let Some(f) = failure {
        return Err(TestCaseError::fail(f));
    }
    if let Ok(mut problems) = log.lock() {
        if let Some(problem) = problems.drain(..).next() {
            return Err(TestCaseError::fail(problem));
        }
    }
    // The reference: a preflight judged by the policy in force for it, the actual request's
    // response by the policy in force for it (they differ when the policy was replaced in
    // between).
    let preflight_policy = policies.first().unwrap_or(&first_policy);
    let actual_policy = policies.last().unwrap_or(&first_policy);
    let needs_preflight = browser_model::needs_preflight(&req);
    let expected = if needs_preflight {
        reference_origin_and_credentials(preflight_policy, &req, path)
            && reference_method_and_headers(preflight_policy, &req)
            && reference_origin_and_credentials(actual_policy, &req, path)
    } else {
        reference_allows(actual_policy, &req, path)
    };
    cov.fetches += 1;
    cov.mid_swaps += u32::from(mid_swap.is_some() && needs_preflight);
    if expected {
        cov.allowed += 1;
        cov.credentialed_allowed += u32::from(req.credentials.is_include());
        let p = actual_policy;
        let by_lists = p.any || req.origin == "null" || reference_lists_allow(p, &req.origin);
        let exact = p.exact.contains(&req.origin.as_str());
        cov.pattern_allowed += u32::from(!p.any && !exact && req.origin != "null" && by_lists);
        cov.predicate_allowed += u32::from(!by_lists);
    } else {
        cov.refused += 1;
        cov.predicate_refused += u32::from(actual_policy.predicate.is_some());
    }
    if swapped_before || subject.swapped {
        cov.after_swap += 1;
        if let Some(first) = &subject.first {
            cov.swap_changed_verdict += u32::from(reference_allows(first, &req, path) != expected);
        }
    }
    if needs_preflight {
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
        "browser and policy disagree: request {:?} to {} got {:?}",
        req,
        path,
        result
    );
    if let Ok(outcome) = &result {
        let p = actual_policy;
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

/// A `fetch()` to a path no policy covers: whatever the origin, the browser reads nothing.
fn run_fetch_uncovered(
    subject: &mut Subject,
    s: &RequestSeed,
    cov: &mut Coverage,
) -> Result<(), TestCaseError> {
    let closed = subject.closed();
    let any_policy = PolicyDesc {
        any: false,
        exact: vec!["https://app.example.com"],
        patterns: vec![Pattern::Subdomains {
            scheme: "https",
            base: "example.com",
            port: PortRule::Any,
        }],
        regexes: Vec::new(),
        predicate: None,
        guard_websockets: false,
        allow_null: false,
        methods: Vec::new(),
        headers: Vec::new(),
        expose: Vec::new(),
        credentials: false,
        strict: false,
        status_200: false,
        max_age: None,
        private_network: false,
        explain: false,
    };
    let header_refs: Vec<(&str, &[u8])> =
        s.headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let credentials = if s.include_credentials {
        CredentialsMode::Include
    } else {
        CredentialsMode::Omit
    };
    let mut req = FetchRequest::new(
        &request_origin(&any_policy, s),
        s.method,
        &header_refs,
        credentials,
    );
    req.use_cors_preflight = s.use_cors_preflight;
    let inner_headers = if s.meddling_inner {
        harness::meddling_inner_headers()
    } else {
        harness::plain_inner_headers()
    };
    let mut failure: Option<String> = None;
    let result = browser_model::fetch(&req, |wire| {
        let http_req = to_http(wire, s.path);
        let (method, uri, headers) = (
            http_req.method().clone(),
            http_req.uri().clone(),
            http_req.headers().clone(),
        );
        let out = subject
            .served
            .call(inner_headers.clone(), StatusCode::OK, http_req);
        let mut probe = Request::new(());
        *probe.method_mut() = method;
        *probe.uri_mut() = uri;
        *probe.headers_mut() = headers;
        if let Err(e) = check_response(None, closed, &probe, &inner_headers, &out) {
            failure.get_or_insert(format!("on {wire:?}: {e}"));
        }
        WireResponse {
            status: out.status,
            headers: out.headers,
        }
    });
    if let Some(f) = failure {
        return Err(TestCaseError::fail(f));
    }
    cov.uncovered_fetches += 1;
    prop_assert!(
        result.is_err(),
        "a page read a response from a path no policy covers: {:?} to {}",
        req,
        s.path
    );
    Ok(())
}

/// A raw request: the reference decides the whole outcome.
fn run_raw(subject: &mut Subject, r: &RawSeed, cov: &mut Coverage) -> Result<(), TestCaseError> {
    let path = r.origin.path;
    let closed = subject.closed();
    let answered_by = subject.policy_at(path, cov).cloned();
    let desc = answered_by.as_ref().map(|b| b.desc.clone());
    let origin = match r.own {
        Some(i) => OWN_ORIGINS[i].to_owned(),
        None => {
            let p = desc.clone().unwrap_or_else(subject_any_desc);
            request_origin(&p, &r.origin)
        }
    };
    let uri = if r.absolute {
        format!("https://api.example.net{path}")
    } else {
        path.to_owned()
    };
    let mut builder = Request::builder()
        .method(Method::from_bytes(r.method.as_bytes()).expect("method"))
        .uri(uri.as_str())
        .header("origin", origin.as_str());
    for (name, value) in [
        ("host", r.host),
        ("sec-fetch-site", r.sec_fetch_site),
        ("connection", r.connection),
        ("upgrade", r.upgrade),
    ] {
        if let Some(v) = value {
            builder = builder.header(name, v);
        }
    }
    let req = builder.body(()).expect("request");
    let probe = {
        let mut p = Request::new(());
        *p.method_mut() = req.method().clone();
        *p.uri_mut() = req.uri().clone();
        *p.headers_mut() = req.headers().clone();
        p
    };
    let inner_headers = if r.origin.meddling_inner {
        harness::meddling_inner_headers()
    } else {
        harness::plain_inner_headers()
    };
    let out = subject
        .served
        .call(inner_headers.clone(), StatusCode::OK, req);
    let decision = check_response(answered_by.as_ref(), closed, &probe, &inner_headers, &out)
        .map_err(|e| TestCaseError::fail(format!("raw {r:?} ({origin}): {e}")))?;
    cov.raw += 1;

    // The reference outcome.
    let websocket = r.method == "CONNECT"
        || (r.method == "GET"
            && r.connection.is_some_and(|c| {
                c.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
            && r.upgrade
                .is_some_and(|u| u.eq_ignore_ascii_case("websocket")));
    // Same-origin: the `Origin` is the declared own origin, whatever `Host`,
    // `Sec-Fetch-Site` or the URI's authority say.
    let same_origin = reference::is_own_origin(origin.as_bytes(), &[OWN_ORIGIN]);
    let acao = out
        .headers
        .get("access-control-allow-origin")
        .map(|v| v.as_bytes().to_vec());
    let desc_text = format!("raw {r:?} from {origin:?}: {out:?}, decision {decision:?}");
    let Some(p) = desc else {
        // A table with a strict or guarding entry fails closed where no entry covers.
        let refusable = closed.strict || (closed.guard_websockets && websocket);
        if refusable && !same_origin {
            prop_assert!(
                !out.inner_called && acao.is_none() && out.status == 403,
                "uncovered, failing closed: {}",
                desc_text
            );
        } else {
            prop_assert!(
                out.inner_called && acao.is_none(),
                "uncovered: {}",
                desc_text
            );
        }
        return Ok(());
    };
    // The guard admits no `null`, even allowed.
    let allowed = reference_origin_allowed(&p, &origin, path)
        && !(p.guard_websockets && websocket && origin == "null");
    let refusable = p.strict || (p.guard_websockets && websocket);
    if allowed {
        let expected: &[u8] = if p.any { b"*" } else { origin.as_bytes() };
        prop_assert!(
            out.inner_called && acao.as_deref() == Some(expected),
            "allowed origin: {}",
            desc_text
        );
        cov.websocket_allowed += u32::from(websocket && p.guard_websockets);
    } else if same_origin {
        prop_assert!(
            out.inner_called && acao.is_none() && decision == Some(Decision::SameOrigin),
            "same-origin request: {}",
            desc_text
        );
        cov.same_origin_forwarded += 1;
    } else if refusable {
        prop_assert!(
            !out.inner_called && acao.is_none() && out.status == 403,
            "refused origin: {}",
            desc_text
        );
        cov.websocket_refused += u32::from(websocket && !p.strict);
    } else {
        prop_assert!(
            out.inner_called && acao.is_none(),
            "refused origin, forwarded: {}",
            desc_text
        );
    }
    Ok(())
}

/// Origins for raw requests to a path no policy covers are drawn as for this policy.
fn subject_any_desc() -> PolicyDesc {
    PolicyDesc {
        any: false,
        exact: vec!["https://app.example.com", "http://localhost:3000"],
        patterns: Vec::new(),
        regexes: Vec::new(),
        predicate: None,
        guard_websockets: false,
        allow_null: false,
        methods: Vec::new(),
        headers: Vec::new(),
        expose: Vec::new(),
        credentials: false,
        strict: false,
        status_200: false,
        max_age: None,
        private_network: false,
        explain: false,
    }
}

fn run_case(case: &CaseDesc, cov: &mut Coverage) -> Result<(), TestCaseError> {
    let log: PredicateLog = Arc::default();
    let mut subject = Subject::new(&case.layout, &log, cov)?;
    cov.cases += 1;
    for step in &case.steps {
        match step {
            Step::Fetch { seed, mid_swap } => {
                run_fetch(&mut subject, seed, mid_swap.as_ref(), &log, cov)?
            }
            Step::Raw(raw) => run_raw(&mut subject, raw, cov)?,
            Step::Replace(p) => subject.replace(p, &log, cov)?,
        }
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
    let result = runner.run(&case_strategy(), |case| {
        let mut cov = Coverage::default();
        let outcome = run_case(&case, &mut cov);
        if outcome.is_ok() {
            coverage.borrow_mut().add(&cov);
        }
        outcome
    });
    if let Err(e) = result {
        panic!("property failed: {e}");
    }
    let c = coverage.into_inner();
    println!("coverage: {c:#?}");
    // The generator must exercise every kind of outcome, or the property proves little.
    assert!(c.cases >= 10_000, "ran {} cases", c.cases);
    let share = |n: u32| f64::from(n) / f64::from(c.fetches);
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
        (
            // Host-agnostic predicates are refused with credentials and with
            // the WebSocket guard, so fewer fetches reach a predicate.
            "allowed by the predicate only",
            share(c.predicate_allowed),
            0.012,
        ),
        ("to uncovered paths", share(c.uncovered_fetches), 0.02),
        (
            "refused under a predicate",
            share(c.predicate_refused),
            0.02,
        ),
        ("through a per-path layer", share(c.per_path), 0.1),
        ("after a policy swap", share(c.after_swap), 0.05),
    ];
    for (desc, got, floor) in floors {
        assert!(
            got >= floor,
            "{desc}: {got:.3} of the fetches, expected at least {floor}"
        );
    }
    // Counts of the rarer shapes, each well above zero.
    let minimums = [
        ("policies refused at build time", c.build_refused, 50),
        ("requests to uncovered paths", c.uncovered, 200),
        ("requests under a nested prefix", c.nested_prefix, 200),
        ("requests answered by the fallback", c.fallback, 200),
        ("verdicts changed by a swap", c.swap_changed_verdict, 100),
        ("policies replaced mid-fetch", c.mid_swaps, 50),
        ("raw requests", c.raw, 1_000),
        (
            "same-origin requests forwarded",
            c.same_origin_forwarded,
            100,
        ),
        (
            "WebSocket handshakes refused by the guard",
            c.websocket_refused,
            50,
        ),
        (
            "WebSocket handshakes allowed under the guard",
            c.websocket_allowed,
            20,
        ),
    ];
    for (desc, got, floor) in minimums {
        assert!(got >= floor, "{desc}: {got}, expected at least {floor}");
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
        // A host ending in a number is an IPv4 address to the URL parser.
        ("http://127.0.0.1", true),
        ("http://evil.127.0.0.1", false),
        ("http://127.000.0.1", false),
        ("http://1.2.3", false),
        ("https://a.1x", true),
    ];
    for (desc, ok) in cases {
        assert_eq!(parse_serialized_origin(desc).is_some(), *ok, "{desc}");
    }
}

#[test]
fn reference_globs_match_one_label() {
    let p = Pattern::Glob {
        scheme: "https",
        prefix: "pr-",
        suffix: "",
        base: "example.com",
        port: PortRule::Default,
    };
    let cases: &[(&str, bool)] = &[
        ("https://pr-1.example.com", true),
        ("https://pr-a-b.example.com", true),
        ("https://pr-.example.com", false),
        ("https://pr-a.b.example.com", false),
        ("https://a.pr-1.example.com", false),
        ("https://pr-a_b.example.com", false),
        ("https://pr-1.example.com:8443", false),
        ("http://pr-1.example.com", false),
        ("https://pr-1.evilexample.com", false),
    ];
    for (desc, ok) in cases {
        let parsed = parse_serialized_origin(desc).expect("well-formed");
        assert_eq!(pattern_matches(&p, &parsed), *ok, "{desc}");
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

#[test]
fn reference_prefixes_match_whole_segments() {
    let p = subject_any_desc;
    let entries = [
        ("/", p()),
        ("/api", p()),
        ("/api/v1", p()),
        ("/apiary", p()),
    ];
    let cases: &[(&str, Option<&str>)] = &[
        ("/api", Some("/api")),
        ("/api/", Some("/api")),
        ("/api?x", Some("/api")),
        ("/apiary", Some("/apiary")),
        ("/apiaryx", Some("/")),
        // Paths are compared as the router will serve them.
        ("//api", Some("/api")),
        ("/%61pi", Some("/api")),
        ("/x/../api/v1", Some("/api/v1")),
        ("/API", Some("/")),
        ("/api/v1/x", Some("/api/v1")),
        ("/api/v1x", Some("/api")),
    ];
    for (target, expected) in cases {
        let got = reference_entry(&entries, None, target).map(|(prefix, _)| prefix);
        assert_eq!(got, *expected, "{target}");
    }
    let no_root = [("/api", p())];
    assert!(reference_entry(&no_root, None, "/apiary").is_none());
    let fallback = p();
    assert_eq!(
        reference_entry(&no_root, Some(&fallback), "/x").map(|(prefix, _)| prefix),
        Some("(fallback)")
    );
}

#[test]
fn reference_same_origin_is_an_own_origin_exactly() {
    let own = [OWN_ORIGIN];
    let cases: &[(&str, bool)] = &[
        ("https://api.example.net", true),
        ("http://api.example.net", false),
        ("https://api.example.net:443", false),
        ("https://api.example.net:8443", false),
        ("https://API.example.net", false),
        ("https://api.example.net/", false),
        ("null", false),
    ];
    for (origin, expected) in cases {
        assert_eq!(
            reference::is_own_origin(origin.as_bytes(), &own),
            *expected,
            "{origin}"
        );
    }
}

#[test]
fn reference_paths_are_normalised() {
    for (path, normal) in [
        ("//api", "/api"),
        ("/api/../public", "/public"),
        ("/%61pi", "/api"),
        ("/a%2fb", "/a%2Fb"),
        ("/static//%70rivate/./x", "/static/private/x"),
    ] {
        assert_eq!(reference_normal_path(path), normal, "{path}");
    }
}
