//! Fixed policies with reference matchers for their origins and request headers, and the
//! driver that sends one request through a policy and checks the response. Shared by the
//! fuzz targets and the tests that replay their corpora.
//!
//! The including crate declares `harness`, `invariants` and `reference` beside this module.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use super::invariants::{self, Answerer, PolicyShape};
use super::{harness, reference};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use tower_cors::{CorsLayer, CorsPolicy, Decision, Origin, Refusal};

pub(crate) const APP: &str = "https://app.example.com";

/// A fixed policy, what the invariants need to know about it, and a reference matcher for
/// its origins written without the crate's code.
pub(crate) struct Fixture {
    pub(crate) name: &'static str,
    pub(crate) policy: CorsPolicy,
    pub(crate) shape: PolicyShape,
    /// `guard_websockets(true)`.
    pub(crate) guard_websockets: bool,
    /// An origin the policy allows.
    pub(crate) allowed_origin: &'static str,
    pub(crate) reference_origin: fn(&[u8]) -> bool,
    /// Reference for one `Access-Control-Request-Headers` name.
    pub(crate) reference_header: fn(&[u8]) -> bool,
}

const CREDENTIALED_EXACT: &[&str] = &[
    APP,
    "https://admin.example.com",
    "http://localhost:3000",
    "http://[::1]:8080",
    "https://xn--bcher-kva.example",
    // Opaque hosts of non-special schemes, in the case their platforms send.
    "safari-web-extension://1B2C3D4E-AAAA-4BBB-8CCC-0123456789AB",
    "capacitor://localhost",
];

/// `https://pr-*.preview.example.net`: one label of `pr-` and one or more of `[a-z0-9-]`.
fn preview_glob(o: &reference::Parsed<'_>) -> bool {
    o.scheme == "https"
        && o.port.is_none()
        && o.host
            .strip_suffix(".preview.example.net")
            .and_then(|label| label.strip_prefix("pr-"))
            .is_some_and(|run| {
                !run.is_empty()
                    && run
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
}

fn is_proper_subdomain(host: &str, base: &str) -> bool {
    host.len() > base.len() + 1
        && host.ends_with(base)
        && host.as_bytes()[host.len() - base.len() - 1] == b'.'
}

/// `CREDENTIALED_EXACT` + `https://*.example.org` + `https://*.example.com:*` +
/// `http://localhost:*` + `https://pr-*.preview.example.net`.
fn credentialed_origin(raw: &[u8]) -> bool {
    if CREDENTIALED_EXACT.iter().any(|o| o.as_bytes() == raw) {
        return true;
    }
    let Ok(text) = std::str::from_utf8(raw) else {
        return false;
    };
    let Some(o) = reference::parse_serialized_origin(text) else {
        return false;
    };
    (o.scheme == "https" && o.port.is_none() && is_proper_subdomain(o.host, "example.org"))
        || (o.scheme == "https" && is_proper_subdomain(o.host, "example.com"))
        || (o.scheme == "http" && o.host == "localhost")
        || preview_glob(&o)
}

fn credentialed_header(name: &[u8]) -> bool {
    ["content-type", "x-custom", "authorization"]
        .iter()
        .any(|h| h.as_bytes().eq_ignore_ascii_case(name))
}

/// `https://[a-z0-9-]+\.example\.net`, `http://127\.0\.0\.1:[0-9]+` and `null` (as regexes
/// with the `regex` feature; the same set as a pattern and exact origins without it, where
/// the label is fixed to `a`).
fn public_origin(raw: &[u8]) -> bool {
    if raw == b"null" {
        return true;
    }
    let Ok(text) = std::str::from_utf8(raw) else {
        return false;
    };
    if reference::parse_serialized_origin(text).is_none() {
        return false;
    }
    if let Some(label) = text
        .strip_prefix("https://")
        .and_then(|r| r.strip_suffix(".example.net"))
    {
        if cfg!(not(feature = "regex")) {
            return label == "a";
        }
        return !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    }
    // The regex needs a port; the `http://127.0.0.1:*` pattern also takes none.
    (cfg!(not(feature = "regex")) && text == "http://127.0.0.1")
        || text
            .strip_prefix("http://127.0.0.1:")
            .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

fn public_fixture() -> Fixture {
    let builder = CorsPolicy::builder();
    #[cfg(feature = "regex")]
    let builder = builder
        .allow_origin_regex(r"https://[a-z0-9-]+\.example\.net")
        .allow_origin_regex(r"http://127\.0\.0\.1:[0-9]+");
    #[cfg(not(feature = "regex"))]
    let builder = builder
        .allow_origin("https://a.example.net")
        .allow_origin_pattern("http://127.0.0.1:*");
    Fixture {
        name: "public",
        policy: builder
            .allow_null_origin()
            .allow_methods(["*"])
            .allow_headers(["*"])
            .expose_headers(["*"])
            .build()
            .expect("public fixture builds"),
        shape: PolicyShape {
            any_origin: false,
            allow_null: true,
            credentials: false,
            strict: false,
            explain: false,
        },
        allowed_origin: "https://a.example.net",
        reference_origin: public_origin,
        reference_header: wildcard_header,
        guard_websockets: false,
    }
}

/// `APP` + `https://*.example.org`.
fn explaining_origin(raw: &[u8]) -> bool {
    if raw == APP.as_bytes() {
        return true;
    }
    let Ok(text) = std::str::from_utf8(raw) else {
        return false;
    };
    reference::parse_serialized_origin(text).is_some_and(|o| {
        o.scheme == "https" && o.port.is_none() && is_proper_subdomain(o.host, "example.org")
    })
}

fn credentialed_header_but_authorization(name: &[u8]) -> bool {
    credentialed_header(name) && !name.eq_ignore_ascii_case(b"authorization")
}

fn wildcard_header(name: &[u8]) -> bool {
    !name.eq_ignore_ascii_case(b"authorization")
}

fn any_origin(_raw: &[u8]) -> bool {
    true
}

fn any_origin_header(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"x-custom")
}

fn credentialed(strict: bool) -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origins(CREDENTIALED_EXACT)
        .allow_origin_pattern("https://*.example.org")
        .allow_origin_pattern("https://*.example.com:*")
        .allow_origin_pattern("http://localhost:*")
        .allow_origin_pattern("https://pr-*.preview.example.net")
        .allow_methods([Method::PUT, Method::DELETE])
        .allow_methods(["purge"])
        .allow_headers(["content-type", "x-custom", "authorization"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .strict(strict)
        .preflight_status(if strict {
            StatusCode::OK
        } else {
            StatusCode::NO_CONTENT
        })
        .build()
        .expect("credentialed fixture builds")
}

/// Tenants of the predicate fixtures: `https`, default port, these domains and below.
const TENANT_DOMAINS: [&str; 2] = ["tenants.example.com", "acme.test"];

/// `APP`, or an `https` origin on the default port within a tenant domain (whole labels).
fn tenant_origin(raw: &[u8]) -> bool {
    if raw == APP.as_bytes() {
        return true;
    }
    let Ok(text) = std::str::from_utf8(raw) else {
        return false;
    };
    reference::parse_serialized_origin(text).is_some_and(|o| {
        o.scheme == "https"
            && o.port.is_none()
            && TENANT_DOMAINS
                .iter()
                .any(|d| o.host == *d || is_proper_subdomain(o.host, d))
    })
}

/// Credentials, an exact origin and a tenant predicate, with the WebSocket guard.
fn tenant_fixture() -> Fixture {
    Fixture {
        name: "tenant predicate",
        policy: CorsPolicy::builder()
            .allow_origin(APP)
            .allow_origin_fn(|origin: &Origin<'_>, _: &http::request::Parts| {
                origin.scheme() == "https"
                    && origin.port().is_none()
                    && TENANT_DOMAINS.iter().any(|d| origin.is_within(d))
            })
            .allow_methods([Method::PUT])
            .allow_headers(["content-type", "x-custom", "authorization"])
            .expose_headers(["x-request-id"])
            .allow_credentials(true)
            .guard_websockets(true)
            .build()
            .expect("tenant fixture builds"),
        shape: PolicyShape {
            any_origin: false,
            allow_null: false,
            credentials: true,
            strict: false,
            explain: false,
        },
        guard_websockets: true,
        allowed_origin: "https://shop.acme.test",
        reference_origin: tenant_origin,
        reference_header: credentialed_header,
    }
}

/// Origins of the set-backed predicate fixture.
const PREDICATE_SET: [&str; 3] = [
    "http://localhost:3000",
    "https://shop.acme.test",
    "https://api.example.net",
];

/// `PREDICATE_SET` + `https://*.example.org`.
fn set_origin(raw: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(raw) else {
        return false;
    };
    let Some(o) = reference::parse_serialized_origin(text) else {
        return false;
    };
    PREDICATE_SET.contains(&text)
        || (o.scheme == "https" && o.port.is_none() && is_proper_subdomain(o.host, "example.org"))
}

/// A pattern and a predicate over a snapshot set, strict, explaining, with the guard.
fn set_fixture() -> Fixture {
    Fixture {
        name: "set predicate strict",
        policy: CorsPolicy::builder()
            .allow_origin_pattern("https://*.example.org")
            .allow_origin_fn(|origin: &Origin<'_>, _: &http::request::Parts| {
                PREDICATE_SET.contains(&origin.as_str())
            })
            .allow_methods([Method::PUT, Method::DELETE])
            .allow_headers(["content-type", "x-custom"])
            .strict(true)
            .explain_preflight_refusals(true)
            .guard_websockets(true)
            .build()
            .expect("set fixture builds"),
        shape: PolicyShape {
            any_origin: false,
            allow_null: false,
            credentials: false,
            strict: true,
            explain: true,
        },
        guard_websockets: true,
        allowed_origin: "http://localhost:3000",
        reference_origin: set_origin,
        reference_header: credentialed_header_but_authorization,
    }
}

impl Fixture {
    /// What the invariants need to know of the policy.
    pub(crate) fn answerer(&self) -> Answerer {
        Answerer::Policy {
            shape: self.shape,
            guard_websockets: self.guard_websockets,
        }
    }
}

/// Prefixes of the per-path tables the `service` fuzz target builds.
pub(crate) const PREFIXES: &[&str] = &["/", "/api", "/api/v1", "/public", "/apiary", "/ws"];

/// Request targets, with the boundary cases of whole-segment prefixes.
pub(crate) const TARGETS: &[&str] = &[
    "/",
    "/api",
    "/api/",
    "/apiary",
    "/api?x",
    "//api",
    "/API",
    "/api/v1",
    "/api/v1x",
    "/api/v1/users",
    "/public/logo.png",
    "/ws",
    "/other",
    "/%61pi",
    "https://api.example.net/api/v1",
    "https://api.example.net:8443/ws",
];

/// A path as the layer compares it: `%XX` of unreserved characters decoded, empty and `.`
/// segments dropped, `..` removing the segment before.
fn normal_path(path: &str) -> String {
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
                }
                Some(_) => {
                    segment.push('%');
                    segment.push_str(&rest[at + 1..at + 3].to_ascii_uppercase());
                }
                None => {
                    segment.push('%');
                    rest = &rest[at + 1..];
                    continue;
                }
            }
            rest = &rest[at + 3..];
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

/// The index in `entries` (prefix, anything) of the entry covering `target`: the longest
/// prefix made of whole segments of the path, `/` covering every path.
pub(crate) fn reference_entry<T>(entries: &[(&str, T)], target: &str) -> Option<usize> {
    let path = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    let path = normal_path(path.split('?').next().unwrap_or(path));
    let path_segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, usize)> = None;
    for (i, (prefix, _)) in entries.iter().enumerate() {
        let (covers, len) = if *prefix == "/" {
            (true, 0)
        } else {
            let segments: Vec<&str> = prefix.split('/').collect();
            (
                path_segments.len() >= segments.len()
                    && path_segments[..segments.len()] == segments[..],
                segments.len(),
            )
        };
        if covers && best.map_or(true, |(_, l)| len > l) {
            best = Some((i, len));
        }
    }
    best.map(|(i, _)| i)
}

pub(crate) fn fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let credentialed_shape = PolicyShape {
            any_origin: false,
            allow_null: false,
            credentials: true,
            strict: false,
            explain: false,
        };
        vec![
            Fixture {
                name: "credentialed",
                policy: credentialed(false),
                shape: credentialed_shape,
                allowed_origin: APP,
                reference_origin: credentialed_origin,
                reference_header: credentialed_header,
                guard_websockets: false,
            },
            Fixture {
                name: "credentialed strict",
                policy: credentialed(true),
                shape: PolicyShape {
                    strict: true,
                    ..credentialed_shape
                },
                allowed_origin: APP,
                reference_origin: credentialed_origin,
                reference_header: credentialed_header,
                guard_websockets: false,
            },
            public_fixture(),
            Fixture {
                name: "explaining",
                policy: CorsPolicy::builder()
                    .allow_origin(APP)
                    .allow_origin_pattern("https://*.example.org")
                    .allow_methods([Method::PUT])
                    .allow_headers(["content-type", "x-custom"])
                    .allow_private_network(true)
                    .explain_preflight_refusals(true)
                    .strict(true)
                    .build()
                    .expect("explaining fixture builds"),
                shape: PolicyShape {
                    any_origin: false,
                    allow_null: false,
                    credentials: false,
                    strict: true,
                    explain: true,
                },
                allowed_origin: APP,
                reference_origin: explaining_origin,
                reference_header: credentialed_header_but_authorization,
                guard_websockets: false,
            },
            tenant_fixture(),
            set_fixture(),
            Fixture {
                name: "any origin",
                policy: CorsPolicy::builder()
                    .allow_any_origin()
                    .allow_methods([Method::PUT])
                    .allow_headers(["x-custom"])
                    .expose_headers(["x-total"])
                    .build()
                    .expect("public fixture builds"),
                shape: PolicyShape {
                    any_origin: true,
                    allow_null: false,
                    credentials: false,
                    strict: false,
                    explain: false,
                },
                allowed_origin: APP,
                reference_origin: any_origin,
                reference_header: any_origin_header,
                guard_websockets: false,
            },
        ]
    })
}

/// Sends `req` through `policy`, checks every response invariant and that the response
/// agrees with `evaluate`; panics (a fuzz crash) otherwise.
pub(crate) fn exchange(
    policy: &CorsPolicy,
    shape: &PolicyShape,
    inner_headers: HeaderMap,
    inner_status: StatusCode,
    req: Request<()>,
) -> (Decision, harness::Outcome) {
    let mut served = harness::Served::new(&CorsLayer::new(policy.clone()));
    let (decision, out) = exchange_by(
        &mut served,
        Some(policy),
        &Answerer::policy(*shape),
        inner_headers,
        inner_status,
        req,
    );
    (decision.unwrap_or(Decision::NotCors), out)
}

/// [`exchange`] through `fixture`'s policy.
pub(crate) fn exchange_fixture(
    fixture: &Fixture,
    inner_headers: HeaderMap,
    inner_status: StatusCode,
    req: Request<()>,
) -> (Decision, harness::Outcome) {
    let mut served = harness::Served::new(&CorsLayer::new(fixture.policy.clone()));
    let (decision, out) = exchange_by(
        &mut served,
        Some(&fixture.policy),
        &fixture.answerer(),
        inner_headers,
        inner_status,
        req,
    );
    (decision.unwrap_or(Decision::NotCors), out)
}

/// Sends `req` through `served`, which answers it with `policy` (or, with `None`, with no
/// policy: a path no `PathPolicies` entry covers, `answerer` saying how the table fails
/// closed there); checks every response invariant and that the response agrees with the
/// policy's `evaluate`; panics (a fuzz crash) otherwise.
pub(crate) fn exchange_by(
    served: &mut harness::Served,
    policy: Option<&CorsPolicy>,
    answerer: &Answerer,
    inner_headers: HeaderMap,
    inner_status: StatusCode,
    req: Request<()>,
) -> (Option<Decision>, harness::Outcome) {
    let decision = policy.map(|p| p.evaluate_request(&req));
    let method = req.method().clone();
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let out = served.call(inner_headers.clone(), inner_status, req);
    let answerer = *answerer;
    if let Err(e) =
        invariants::check_outcome_by(&answerer, &method, &uri, &headers, &inner_headers, &out)
    {
        panic!("invariant broken: {e}\nrequest: {method} {uri} {headers:?}\nresponse: {out:?}");
    }
    let (Some(decision), Answerer::Policy { shape, .. }) = (&decision, answerer) else {
        return (decision, out);
    };
    let has_acao = out.headers.contains_key("access-control-allow-origin");
    let explainable = shape.may_explain(decision.refusal());
    // A public policy answers `*` to every actual request, whatever `evaluate` says.
    let consistent = if shape.any_origin && !decision.is_preflight() {
        has_acao
    } else if *decision == Decision::SameOrigin {
        // Forwarded like a request without `Origin`.
        !has_acao && out.inner_called
    } else if decision.is_allowed() {
        has_acao
    } else {
        // Under explain_preflight_refusals a refusal for the method or headers may be
        // answered like an allowed preflight; any other refusal never carries an origin.
        !has_acao || explainable
    };
    assert!(
        consistent,
        "evaluate() said {decision:?} but acao present: {has_acao}\nrequest: {method} {uri} {headers:?}"
    );
    (Some(decision.clone()), out)
}

/// An actual `GET` and a preflight for `PUT` + `content-type`, from `origin`.
pub(crate) fn actual_and_preflight(origin: &HeaderValue) -> [Request<()>; 2] {
    let mut get = Request::new(());
    get.headers_mut().insert("origin", origin.clone());
    let mut options = Request::new(());
    *options.method_mut() = Method::OPTIONS;
    let h = options.headers_mut();
    h.insert("origin", origin.clone());
    h.insert(
        "access-control-request-method",
        HeaderValue::from_static("PUT"),
    );
    h.insert(
        "access-control-request-headers",
        HeaderValue::from_static("content-type"),
    );
    [get, options]
}

/// The `origin` fuzz target: `data` as the `Origin` of an actual request and of a preflight,
/// against every fixture; the decision must equal the fixture's reference matcher.
pub(crate) fn check_origin(data: &[u8]) {
    let Ok(origin) = HeaderValue::from_bytes(data) else {
        return;
    };
    for fixture in fixtures() {
        let expected = (fixture.reference_origin)(data);
        for req in actual_and_preflight(&origin) {
            let (decision, _) = exchange_fixture(fixture, HeaderMap::new(), StatusCode::OK, req);
            if fixture.shape.any_origin {
                continue;
            }
            assert_eq!(
                decision.is_allowed(),
                expected,
                "{}: origin {:?} decided {decision:?}",
                fixture.name,
                String::from_utf8_lossy(data)
            );
        }
    }
}

/// Documented cap on the combined `Access-Control-Request-Headers` value.
pub(crate) const REQUEST_HEADERS_CAP: usize = 4096;
/// Documented cap on the number of `Access-Control-Request-Headers` lines (browsers send
/// one).
pub(crate) const REQUEST_HEADERS_MAX_LINES: usize = 16;

/// The `request_headers` fuzz target: `data`, split on `\n` into header lines, as the
/// `Access-Control-Request-Headers` of a preflight from an allowed origin; the decision must
/// follow the `#` list rule, the fixture's reference and the caps (4096 bytes, 16 lines).
pub(crate) fn check_request_headers(data: &[u8]) {
    let lines: Vec<&[u8]> = if data.is_empty() {
        Vec::new()
    } else {
        data.split(|&b| b == b'\n').collect()
    };
    let mut values = Vec::with_capacity(lines.len());
    for line in &lines {
        match HeaderValue::from_bytes(line) {
            Ok(v) => values.push(v),
            Err(_) => return,
        }
    }
    for fixture in fixtures() {
        let mut req = Request::new(());
        *req.method_mut() = Method::OPTIONS;
        let h = req.headers_mut();
        h.insert("origin", HeaderValue::from_static(fixture.allowed_origin));
        h.insert(
            "access-control-request-method",
            HeaderValue::from_static("PUT"),
        );
        for v in &values {
            h.append("access-control-request-headers", v.clone());
        }
        let (decision, _) = exchange_fixture(fixture, HeaderMap::new(), StatusCode::OK, req);
        let too_long = reference::combined_len(&lines) > REQUEST_HEADERS_CAP
            || lines.len() > REQUEST_HEADERS_MAX_LINES;
        let elements = reference::list_elements(&lines);
        let malformed = elements.iter().any(|e| !reference::is_token(e));
        let not_allowed = elements
            .iter()
            .any(|e| reference::is_token(e) && !(fixture.reference_header)(e));
        let desc = format!(
            "{}: acrh lines {:?}",
            fixture.name,
            lines
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect::<Vec<_>>()
        );
        match decision.refusal() {
            None => assert!(
                !too_long && !malformed && !not_allowed,
                "{desc}: allowed (too long {too_long}, malformed {malformed}, not allowed {not_allowed})"
            ),
            Some(Refusal::HeadersTooLong) => assert!(too_long, "{desc}: too long"),
            Some(Refusal::HeadersMalformed) => {
                assert!(!too_long && malformed, "{desc}: malformed")
            }
            Some(Refusal::HeaderNotAllowed) => {
                assert!(!too_long && not_allowed, "{desc}: not allowed")
            }
            Some(other) => panic!("{desc}: unexpected refusal {other:?}"),
        }
    }
}
