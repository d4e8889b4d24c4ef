//! The browser model's Fetch tables (`cors-model`, written from the spec text and checked
//! against it in `cors-model/tests/spec_tables.rs`) against the library's, for a broad
//! generated set of header names and methods: every name the spec lists, in several cases,
//! near misses, `sec-` / `proxy-` prefixed names and random tokens.
//!
//! The library's tables are read through its public behaviour only: which names `build()`
//! refuses, what a policy decides for a preflight, and what a browser (the model) can do with
//! the layer's answers. A disagreement lists every name on which the two differ.

use crate::support::harness;

use cors_model::tables::{self, SpecList};
use cors_model::{
    CorsCheckFailure, CredentialsMode, FetchRequest, NetworkError, WireRequest, WireResponse,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use tower_cors::{CorsPolicy, IssueKind};

const ORIGIN: &str = "https://app.example.com";

/// A deterministic generator (SplitMix64), so a failure names the same inputs every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A token of 1 to `max` bytes: mostly letters and `-`, sometimes any `tchar`.
    fn token(&mut self, max: usize) -> String {
        const COMMON: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789--";
        const TCHAR: &[u8] = b"!#$%&'*+-.^_`|~0123456789aZ";
        let len = 1 + self.below(max);
        (0..len)
            .map(|_| {
                let alphabet = if self.below(8) == 0 { TCHAR } else { COMMON };
                char::from(alphabet[self.below(alphabet.len())])
            })
            .collect()
    }
}

/// Spellings a byte-case-insensitive comparison treats alike.
fn case_variants(name: &str) -> Vec<String> {
    let alternating: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    vec![
        name.to_owned(),
        name.to_ascii_lowercase(),
        name.to_ascii_uppercase(),
        alternating,
    ]
}

fn near_misses(name: &str) -> Vec<String> {
    let mut out = vec![format!("{name}x"), format!("x{name}"), format!("{name}-")];
    if name.len() > 1 {
        out.push(name[1..].to_owned());
        out.push(name[..name.len() - 1].to_owned());
    }
    out
}

/// The header-name lists of the model, and names of the safelist switch.
const NAME_TABLES: [SpecList; 7] = [
    tables::FORBIDDEN_REQUEST_HEADER_NAME,
    tables::FORBIDDEN_REQUEST_HEADER_PREFIX,
    tables::METHOD_OVERRIDE_HEADER_NAME,
    tables::PRIVATE_NETWORK_ACCESS_FORBIDDEN_REQUEST_HEADER_NAME,
    tables::CORS_NON_WILDCARD_REQUEST_HEADER_NAME,
    tables::CORS_SAFELISTED_RESPONSE_HEADER_NAME,
    tables::FORBIDDEN_RESPONSE_HEADER_NAME,
];

/// The header names the Fetch Standard's §2.2.2 "Headers" lists, as its text spells them:
/// independent of the model's tables, so that a name missing from one still gets checked.
const SPEC_NAMES: &[&str] = &[
    // "forbidden request-header", steps 1–3.
    "Accept-Charset",
    "Accept-Encoding",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Method",
    "Connection",
    "Content-Length",
    "Cookie",
    "Cookie2",
    "Date",
    "DNT",
    "Expect",
    "Host",
    "Keep-Alive",
    "Origin",
    "Referer",
    "Set-Cookie",
    "TE",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "Via",
    "proxy-",
    "sec-",
    "X-HTTP-Method",
    "X-HTTP-Method-Override",
    "X-Method-Override",
    // Private Network Access, "Forbidden header names".
    "Access-Control-Request-Private-Network",
    // "CORS non-wildcard request-header name", "privileged no-CORS request-header name".
    "Authorization",
    "Range",
    // "CORS-safelisted response-header name", "forbidden response-header name".
    "Cache-Control",
    "Content-Language",
    "Content-Type",
    "Expires",
    "Last-Modified",
    "Pragma",
    "Set-Cookie2",
    // "no-CORS-safelisted request-header name", "request-body-header name".
    "Accept",
    "Accept-Language",
    "Content-Encoding",
    "Content-Location",
];

/// Other names: the safelisted request headers, everyday request and response headers, the
/// CORS response headers, and names the spec once listed.
const OTHER_NAMES: &[&str] = &[
    "Accept",
    "Accept-Language",
    "Content-Language",
    "Content-Type",
    "Range",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Allow-Private-Network",
    "Access-Control-Request-Local-Network",
    "Authorization-Token",
    "Cache-Control",
    "Content-Encoding",
    "Content-Disposition",
    "DPR",
    "Downlink",
    "ETag",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "Last-Event-ID",
    "Location",
    "Save-Data",
    "Server",
    "Timing-Allow-Origin",
    "User-Agent",
    "Vary",
    "Viewport-Width",
    "Width",
    "WWW-Authenticate",
    "X-Api-Key",
    "X-CSRF-Token",
    "X-Forwarded-For",
    "X-Requested-With",
    "grpc-timeout",
    "x-grpc-web",
    "x-user-agent",
];

/// Every header name of the cross-check, each spelling once.
fn header_names() -> Vec<String> {
    let mut seeds: Vec<String> = NAME_TABLES
        .iter()
        .flat_map(|t| t.items.iter())
        .chain(SPEC_NAMES)
        .chain(OTHER_NAMES)
        .map(|s| (*s).to_owned())
        .collect();
    let mut rng = SplitMix(0x5EC0_F37C);
    seeds.extend((0..1500).map(|_| rng.token(24)));
    let mut names = Vec::new();
    for seed in &seeds {
        names.extend(case_variants(seed));
        names.extend(near_misses(seed));
    }
    // The prefix rule: its prefixes in any case, without the dash, doubled, inside a name.
    let prefixes = [
        "sec-", "Sec-", "SEC-", "proxy-", "Proxy-", "PROXY-", "sec", "proxy", "sec_", "proxy.",
        "x-sec-", "x-proxy-", "sec--", "secx-", "proxyx-",
    ];
    let tails: Vec<String> = OTHER_NAMES
        .iter()
        .chain(SPEC_NAMES)
        .map(|s| (*s).to_owned())
        .chain((0..200).map(|_| rng.token(12)))
        .chain([String::new()])
        .collect();
    for prefix in prefixes {
        for tail in &tails {
            names.push(format!("{prefix}{tail}"));
        }
    }
    for _ in 0..500 {
        let prefix = rng.pick(&prefixes);
        let tail = rng.token(16);
        names.push(format!("{prefix}{tail}"));
    }
    names.retain(|n| HeaderName::from_bytes(n.as_bytes()).is_ok());
    names.sort();
    names.dedup();
    names
}

/// Every method of the cross-check: the spec's methods, the registered ones, case variants,
/// near misses and random tokens.
fn methods() -> Vec<String> {
    const REGISTERED: &[&str] = &[
        "PATCH",
        "PROPFIND",
        "PROPPATCH",
        "MKCOL",
        "COPY",
        "MOVE",
        "LOCK",
        "UNLOCK",
        "SEARCH",
        "QUERY",
        "REPORT",
        "PRI",
        "LINK",
        "UNLINK",
        "MERGE",
        "BIND",
        "ACL",
    ];
    let mut seeds: Vec<String> = [
        tables::CORS_SAFELISTED_METHOD,
        tables::FORBIDDEN_METHOD,
        tables::NORMALIZED_METHOD,
    ]
    .iter()
    .flat_map(|t| t.items.iter())
    .chain(REGISTERED)
    .map(|s| (*s).to_owned())
    .collect();
    let mut rng = SplitMix(0x3E7_40D5);
    seeds.extend((0..400).map(|_| rng.token(12)));
    let mut out = Vec::new();
    for seed in &seeds {
        out.extend(case_variants(seed));
        out.extend(near_misses(seed));
    }
    out.retain(|m| !m.is_empty() && m.len() <= 64 && Method::from_bytes(m.as_bytes()).is_ok());
    out.sort();
    out.dedup();
    out
}

/// Fails listing every input on which the model and the library differ.
fn assert_agree(what: &str, checked: usize, disagreements: &[String]) {
    assert!(
        disagreements.is_empty(),
        "{what}: the model and the library differ on {} of {checked} inputs:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

fn preflight(method: &str, request_headers: Option<&str>) -> Request<()> {
    let mut req = Request::builder()
        .method(Method::OPTIONS)
        .uri("https://api.example.net/r")
        .header("origin", ORIGIN)
        .header("access-control-request-method", method);
    if let Some(names) = request_headers {
        req = req.header("access-control-request-headers", names);
    }
    req.body(()).expect("preflight")
}

fn to_http(wire: &WireRequest) -> Request<()> {
    let mut builder = Request::builder()
        .method(Method::from_bytes(wire.method.as_bytes()).expect("request method"))
        .uri("https://api.example.net/r");
    for (name, value) in &wire.headers {
        builder = builder.header(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_bytes(value).expect("header value"),
        );
    }
    builder.body(()).expect("request")
}

/// A `fetch()` by the model through `CorsLayer::new(policy)`; the application answers every
/// request with `inner` headers.
fn fetch_through(
    policy: &CorsPolicy,
    req: &FetchRequest,
    inner: &HeaderMap,
) -> Result<cors_model::FetchOutcome, NetworkError> {
    cors_model::fetch(req, |wire| {
        let out = harness::call(policy, inner.clone(), to_http(wire));
        WireResponse {
            status: out.status,
            headers: out.headers,
        }
    })
}

fn policy() -> tower_cors::PolicyBuilder {
    CorsPolicy::builder().allow_origin(ORIGIN)
}

#[test]
fn forbidden_request_header_names_agree() {
    let names = header_names();
    let mut disagreements = Vec::new();
    let mut forbidden = 0;
    for name in &names {
        // A name is forbidden when the page cannot set it whatever its value; step 3 of the
        // definition forbids the method-override names only for some values.
        let model = cors_model::is_forbidden_request_header(name, b"");
        let library = match policy().allow_headers([name.as_str()]).build() {
            Ok(_) => false,
            Err(e) => e
                .issues()
                .iter()
                .any(|i| i.kind() == IssueKind::ForbiddenHeaderName),
        };
        forbidden += usize::from(model);
        if model != library {
            disagreements.push(format!("{name:?}: model {model}, library {library}"));
        }
    }
    eprintln!(
        "{} header names, {forbidden} of them forbidden",
        names.len()
    );
    assert!(
        forbidden > 1000,
        "the set holds forbidden names: {forbidden}"
    );
    assert!(names.len() - forbidden > 5000, "and allowed ones");
    assert_agree(
        "allow_headers refusing forbidden request headers",
        names.len(),
        &disagreements,
    );
}

#[test]
fn forbidden_response_header_names_agree() {
    let names = header_names();
    let mut disagreements = Vec::new();
    for name in &names {
        let model = cors_model::is_forbidden_response_header_name(name);
        let library = match policy().expose_headers([name.as_str()]).build() {
            Ok(_) => false,
            Err(e) => e
                .issues()
                .iter()
                .any(|i| i.kind() == IssueKind::ForbiddenHeaderName),
        };
        if model != library {
            disagreements.push(format!("{name:?}: model {model}, library {library}"));
        }
    }
    assert_agree(
        "expose_headers refusing forbidden response headers",
        names.len(),
        &disagreements,
    );
}

#[test]
fn the_wildcard_covers_every_name_but_the_non_wildcard_ones() {
    let star = policy().allow_headers(["*"]).build().expect("policy");
    let names = header_names();
    let mut disagreements = Vec::new();
    let mut checked = 0;
    let mut refused = 0;
    for name in names
        .iter()
        .filter(|n| !cors_model::is_forbidden_request_header(n, b""))
    {
        checked += 1;
        let model = !cors_model::is_cors_non_wildcard_request_header_name(name);
        refused += usize::from(!model);
        // The policy's decision on the preflight a browser sends for the name.
        let lowercase = name.to_ascii_lowercase();
        let decided = star
            .evaluate_request(&preflight("GET", Some(&lowercase)))
            .is_allowed();
        // The model's fetch through the layer, with a value too long to be safelisted.
        let req = FetchRequest::new(
            ORIGIN,
            "GET",
            &[(name.as_str(), [b'a'; 129].as_slice())],
            CredentialsMode::Omit,
        );
        let fetched = fetch_through(&star, &req, &HeaderMap::new()).is_ok();
        if decided != model || fetched != model {
            disagreements.push(format!(
                "{name:?}: model covered {model}, policy allowed {decided}, fetch succeeded {fetched}"
            ));
        }
    }
    assert!(refused >= 4, "the set holds Authorization in several cases");
    assert_agree("`*` in allow_headers", checked, &disagreements);
}

#[test]
fn a_listed_name_covers_its_every_spelling() {
    let names = header_names();
    let mut disagreements = Vec::new();
    let mut checked = 0;
    for name in names
        .iter()
        .filter(|n| !cors_model::is_forbidden_request_header(n, b""))
    {
        checked += 1;
        // Listed in the spelling the spec or the generator gave, requested in another.
        let listed = policy()
            .allow_headers([name.as_str()])
            .build()
            .expect("a name the page can set is accepted");
        let other_case = name.to_ascii_uppercase();
        let req = FetchRequest::new(
            ORIGIN,
            "GET",
            &[(other_case.as_str(), [b'a'; 129].as_slice())],
            CredentialsMode::Omit,
        );
        if let Err(e) = fetch_through(&listed, &req, &HeaderMap::new()) {
            disagreements.push(format!("{name:?} requested as {other_case:?}: {e:?}"));
        }
    }
    assert_agree("allow_headers([name])", checked, &disagreements);
}

#[test]
fn response_headers_are_readable_as_the_safelist_and_the_exposed_list_say() {
    let names = header_names();
    let plain = policy().build().expect("policy");
    let mut disagreements = Vec::new();
    let mut checked = 0;
    for name in &names {
        let lowercase = name.to_ascii_lowercase();
        // Headers the layer owns on a response are its own, not the application's.
        if lowercase.starts_with("access-control-") || lowercase == "vary" {
            continue;
        }
        checked += 1;
        let mut inner = HeaderMap::new();
        inner.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("generated name"),
            HeaderValue::from_static("1"),
        );
        let req = FetchRequest::new(ORIGIN, "GET", &[], CredentialsMode::Omit);
        let readable = |policy: &CorsPolicy| match fetch_through(policy, &req, &inner) {
            Ok(outcome) => outcome.readable_headers.contains(&lowercase),
            Err(_) => false,
        };
        // Without an exposed list, the page reads the CORS-safelisted response headers only.
        let model = tables::CORS_SAFELISTED_RESPONSE_HEADER_NAME.matches(name.as_bytes());
        let got = readable(&plain);
        if got != model {
            disagreements.push(format!("{name:?} not exposed: model {model}, read {got}"));
        }
        // Listed in expose_headers, every name but the forbidden ones is readable.
        if let Ok(exposing) = policy().expose_headers([name.as_str()]).build() {
            let model = !cors_model::is_forbidden_response_header_name(name);
            let got = readable(&exposing);
            if got != model {
                disagreements.push(format!("{name:?} exposed: model {model}, read {got}"));
            }
        }
    }
    assert_agree("readable response headers", checked, &disagreements);
}

#[test]
fn safelisted_methods_agree() {
    let bare = policy().allow_headers(["x-probe"]).build().expect("policy");
    let methods = methods();
    let mut disagreements = Vec::new();
    let mut safelisted = 0;
    for method in &methods {
        // The policy allows no method of its own: it allows exactly the safelisted ones.
        let model = cors_model::is_cors_safelisted_method(method);
        safelisted += usize::from(model);
        let decided = bare.evaluate_request(&preflight(method, None)).is_allowed();
        // What a page calling fetch() with this method gets, the method normalized first.
        let req = FetchRequest::new(
            ORIGIN,
            method,
            &[("X-Probe", b"1".as_slice())],
            CredentialsMode::Omit,
        );
        let fetched = fetch_through(&bare, &req, &HeaderMap::new()).map(|_| ());
        // A forbidden method throws before any request; a method that is not safelisted once
        // normalized is refused by the policy at the preflight (`403`, no CORS headers).
        let normalized = cors_model::normalize_method(method);
        let fetch_agrees = if cors_model::is_forbidden_method(method) {
            fetched == Err(NetworkError::ForbiddenMethod(method.clone()))
        } else if cors_model::is_cors_safelisted_method(&normalized) {
            fetched.is_ok()
        } else {
            fetched
                == Err(NetworkError::PreflightCorsCheck(
                    CorsCheckFailure::MissingAllowOrigin,
                ))
        };
        if decided != model || !fetch_agrees {
            disagreements.push(format!(
                "{method:?}: model safelisted {model}, policy allowed {decided}; fetch of {normalized:?}: {fetched:?}"
            ));
        }
    }
    eprintln!("{} methods, {safelisted} of them safelisted", methods.len());
    assert!(methods.len() > 2000, "{} methods", methods.len());
    assert_eq!(safelisted, 3, "GET, HEAD and POST, in no other case");
    assert_agree("safelisted methods", methods.len(), &disagreements);
}

#[test]
fn forbidden_and_normalized_methods_agree() {
    let methods = methods();
    let mut disagreements = Vec::new();
    let (mut forbidden, mut normalized) = (0, 0);
    for method in &methods {
        let messages: Vec<String> = match policy().allow_methods([method.as_str()]).build() {
            Ok(_) => Vec::new(),
            Err(e) => e
                .issues()
                .iter()
                .filter(|i| i.kind() == IssueKind::InvalidMethod)
                .map(ToString::to_string)
                .collect(),
        };
        let says = |phrase: &str| messages.iter().any(|m| m.contains(phrase));
        let model_forbidden = cors_model::is_forbidden_method(method);
        // A listed method browsers upper-case before sending can never match.
        let model_normalized = !model_forbidden && cors_model::normalize_method(method) != *method;
        forbidden += usize::from(model_forbidden);
        normalized += usize::from(model_normalized);
        let library_forbidden = says("is a forbidden method");
        let library_normalized = says("is upper-cased by browsers");
        if (model_forbidden, model_normalized) != (library_forbidden, library_normalized) {
            disagreements.push(format!(
                "{method:?}: model forbidden {model_forbidden} normalized {model_normalized}, library {messages:?}"
            ));
        }
    }
    eprintln!("{forbidden} forbidden and {normalized} normalized methods");
    assert!(
        forbidden >= 9 && normalized >= 12,
        "{forbidden} forbidden, {normalized} normalized"
    );
    assert_agree("allow_methods refusals", methods.len(), &disagreements);
}
