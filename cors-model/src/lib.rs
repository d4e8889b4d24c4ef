//! `cors-model`: a model of what a browser does with the responses of a CORS-enabled server, written from
//! the WHATWG Fetch Standard (fetch.spec.whatwg.org) and nothing else: it never looks at how
//! the middleware decides, only at the bytes it answers with.
//!
//! Covered algorithms (anchors in the Fetch Standard):
//! - `#cors-safelisted-method`, `#cors-safelisted-request-header`,
//!   `#cors-unsafe-request-header-names`, `#forbidden-request-header`: what the page's request
//!   looks like and whether it needs a preflight (`#main-fetch`);
//! - `#cors-preflight-fetch-0`: how the preflight is built and how its response is validated;
//! - `#concept-cors-check`: the CORS check applied to the preflight and to the actual response;
//! - `#extract-header-list-values`, `#concept-header-list-get`: header list parsing;
//! - `#cors-safelisted-response-header-name` and `Access-Control-Expose-Headers` handling in
//!   `#main-fetch`: which response headers the page can read.
//!
//! The spec's lists (safelisted and forbidden methods and headers, the bytes the safelist
//! refuses, …) live in [`tables`], each as the spec states it, with the anchor of its
//! definition.
//!
//! Not modelled: the preflight cache (every fetch runs from a fresh browser), redirects, no-cors
//! mode, service workers, Private Network Access (apart from the request header it forbids).
//!
//! The crate depends on nothing but `http` and on no CORS server implementation: tower-cors's
//! tests use it as the independent judge of what the middleware answers, and `cors-probe` uses
//! it to judge live servers.
//!
//! ```
//! use cors_model::{fetch, CredentialsMode, FetchRequest, WireResponse};
//! use http::{HeaderMap, HeaderValue};
//!
//! let req = FetchRequest::new(
//!     "https://app.example",
//!     "put",
//!     &[("Content-Type", b"application/json".as_slice())],
//!     CredentialsMode::Omit,
//! );
//! // `put` is normalized to `PUT`, which is not safelisted, and so is a JSON content type.
//! assert!(cors_model::needs_preflight(&req));
//! let preflight = cors_model::preflight_request(&req);
//! assert_eq!(preflight.header("access-control-request-headers"), Some(b"content-type".as_slice()));
//!
//! // A server that answers every request with `Access-Control-Allow-Origin: *` only.
//! let result = fetch(&req, |_wire| {
//!     let mut headers = HeaderMap::new();
//!     headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
//!     WireResponse { status: 204, headers }
//! });
//! assert_eq!(result, Err(cors_model::NetworkError::MethodNotAllowed("PUT".into())));
//! ```

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use http::HeaderMap;

pub mod tables;

pub use tables::{
    get_decode_and_split, is_cors_non_wildcard_request_header_name, is_cors_safelisted_method,
    is_cors_safelisted_request_header, is_cors_safelisted_response_header_name,
    is_cors_unsafe_request_header_byte, is_forbidden_method, is_forbidden_request_header,
    is_forbidden_response_header_name, normalize_method,
};
use tables::{is_http_token_code_point, SAFELIST_VALUE_SIZE_MAX, WILDCARD};

/// A request's credentials mode (`#concept-request-credentials-mode`). For a cross-origin
/// request `Omit` and `SameOrigin` behave alike: only `Include` matters to CORS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialsMode {
    /// `omit`: no cookies or HTTP authentication.
    Omit,
    /// `same-origin` (the default): credentials only for same-origin requests.
    SameOrigin,
    /// `include`: credentials attached, the response must opt in with
    /// `Access-Control-Allow-Credentials: true`.
    Include,
}

impl CredentialsMode {
    /// Whether this is `include`, the only mode that changes the CORS checks.
    pub fn is_include(self) -> bool {
        self == CredentialsMode::Include
    }
}

/// What a page asks `fetch()` for, cross-origin, in `cors` mode.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// The byte-serialized request origin (`#byte-serializing-a-request-origin`): a serialized
    /// origin, or `null` for an opaque origin.
    pub origin: String,
    /// The method as passed to `fetch()`; normalized by [`FetchRequest::new`].
    pub method: String,
    /// Author request headers, in the order the page set them.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The credentials mode.
    pub credentials: CredentialsMode,
    /// `#use-cors-preflight-flag`: upload listeners or a streamed body.
    pub use_cors_preflight: bool,
}

impl FetchRequest {
    /// Builds a request the way `new Request()` does: the method is normalized
    /// (`#concept-method-normalize`) and forbidden request-headers are silently dropped
    /// (`Headers` object with guard "request").
    pub fn new(
        origin: &str,
        method: &str,
        headers: &[(&str, &[u8])],
        credentials: CredentialsMode,
    ) -> Self {
        let mut kept = Vec::new();
        for (name, value) in headers {
            if !is_forbidden_request_header(name, value) {
                kept.push(((*name).to_owned(), value.to_vec()));
            }
        }
        FetchRequest {
            origin: origin.to_owned(),
            method: normalize_method(method),
            headers: kept,
            credentials,
            use_cors_preflight: false,
        }
    }
}

/// A request as it goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireRequest {
    /// The request method.
    pub method: String,
    /// The header fields, lowercase names, in sending order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Whether cookies / HTTP authentication are attached.
    pub with_credentials: bool,
}

impl WireRequest {
    /// The first value of the header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Whether this is a CORS-preflight request (`OPTIONS` with
    /// `Access-Control-Request-Method`).
    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS" && self.header("access-control-request-method").is_some()
    }
}

/// A response as the browser receives it.
#[derive(Clone, Debug)]
pub struct WireResponse {
    /// The status code.
    pub status: u16,
    /// Every header field as received, repeated fields kept apart.
    pub headers: HeaderMap,
}

/// Why the CORS check (`#concept-cors-check`) failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsCheckFailure {
    /// Step 2: no `Access-Control-Allow-Origin` at all.
    MissingAllowOrigin,
    /// Step 4: the combined value is not the request's serialized origin (this is also where
    /// `*` with credentials, `null` for a real origin and two ACAO headers fail).
    AllowOriginMismatch(Vec<u8>),
    /// Step 7: credentialed request without `Access-Control-Allow-Credentials: true`.
    CredentialsNotTrue(Option<Vec<u8>>),
}

/// A network error, with the step of the Fetch Standard that produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkError {
    /// `fetch()` throws before any request: the method is forbidden (`#forbidden-method`).
    ForbiddenMethod(String),
    /// The CORS check on the preflight response failed.
    PreflightCorsCheck(CorsCheckFailure),
    /// The preflight response's status is not an ok status (`#ok-status`).
    PreflightStatus(u16),
    /// `Access-Control-Allow-Methods` could not be parsed as `#method`.
    InvalidAllowMethods,
    /// `Access-Control-Allow-Headers` could not be parsed as `#field-name`.
    InvalidAllowHeaders,
    /// Preflight step: the request's method is not covered.
    MethodNotAllowed(String),
    /// Preflight step: `Authorization` set and not listed by name.
    NonWildcardHeaderNotAllowed(String),
    /// Preflight step: an unsafe header name is not covered.
    HeaderNotAllowed(String),
    /// The CORS check on the actual response failed.
    CorsCheck(CorsCheckFailure),
}

/// What a successful preflight leaves behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreflightOutcome {
    /// The parsed `Access-Control-Allow-Methods` (or the request's method, see step 3).
    pub methods: Vec<String>,
    /// The parsed `Access-Control-Allow-Headers`.
    pub header_names: Vec<String>,
    /// Seconds, before any user-agent cap.
    pub max_age: u64,
}

/// What the page gets back from a successful `fetch()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOutcome {
    /// What the preflight left behind, when one was sent.
    pub preflight: Option<PreflightOutcome>,
    /// The actual response's status.
    pub status: u16,
    /// Lowercase names of the response headers the page can read.
    pub readable_headers: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Request side
// ---------------------------------------------------------------------------------------------

/// `#cors-unsafe-request-header-names`, returned as a sorted-lowercase set.
pub fn cors_unsafe_request_header_names(headers: &[(String, Vec<u8>)]) -> Vec<String> {
    // 1–3. unsafeNames, potentiallyUnsafeNames, safelistValueSize.
    let mut unsafe_names = Vec::new();
    let mut potentially_unsafe = Vec::new();
    let mut safelist_value_size = 0usize;
    // 4. For each header of headers:
    for (name, value) in headers {
        if !is_cors_safelisted_request_header(name, value) {
            // 1. not a CORS-safelisted request-header: append its name to unsafeNames.
            unsafe_names.push(name.clone());
        } else {
            // 2. otherwise: to potentiallyUnsafeNames, and count its value's length.
            potentially_unsafe.push(name.clone());
            safelist_value_size += value.len();
        }
    }
    // 5. If safelistValueSize is greater than 1024, every potentially unsafe name is unsafe.
    if safelist_value_size > SAFELIST_VALUE_SIZE_MAX {
        unsafe_names.extend(potentially_unsafe);
    }
    // 6. Return the result of convert header names to a sorted-lowercase set.
    sorted_lowercase_set(unsafe_names)
}

/// `#convert-header-names-to-a-sorted-lowercase-set`.
fn sorted_lowercase_set(names: Vec<String>) -> Vec<String> {
    let mut set: Vec<String> = Vec::new();
    for name in names {
        let lower = name.to_ascii_lowercase();
        if !set.contains(&lower) {
            set.push(lower);
        }
    }
    set.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    set
}

/// `#main-fetch`: the preflight branch is taken when the use-CORS-preflight flag is set, or
/// (the unsafe-request flag is always set for `fetch()`) when the method is not safelisted or
/// there are CORS-unsafe request-header names.
pub fn needs_preflight(req: &FetchRequest) -> bool {
    req.use_cors_preflight
        || !is_cors_safelisted_method(&req.method)
        || !cors_unsafe_request_header_names(&req.headers).is_empty()
}

/// `#cors-preflight-fetch-0`, steps 1–4: the preflight request.
pub fn preflight_request(req: &FetchRequest) -> WireRequest {
    let mut headers = vec![
        ("origin".to_owned(), req.origin.as_bytes().to_vec()),
        ("accept".to_owned(), b"*/*".to_vec()),
        (
            "access-control-request-method".to_owned(),
            req.method.as_bytes().to_vec(),
        ),
    ];
    let names = cors_unsafe_request_header_names(&req.headers);
    if !names.is_empty() {
        // "the items in headers separated from each other by `,`" — no space.
        headers.push((
            "access-control-request-headers".to_owned(),
            names.join(",").into_bytes(),
        ));
    }
    WireRequest {
        method: "OPTIONS".to_owned(),
        headers,
        // "a CORS-preflight request never includes credentials".
        with_credentials: false,
    }
}

/// The actual request as sent after a successful preflight (or without one). With credentials
/// mode `include` a placeholder `cookie: session=1` stands for the browser's cookie jar.
pub fn actual_request(req: &FetchRequest) -> WireRequest {
    let mut headers = vec![("origin".to_owned(), req.origin.as_bytes().to_vec())];
    headers.extend(req.headers.iter().cloned());
    let with_credentials = req.credentials.is_include();
    if with_credentials {
        headers.push(("cookie".to_owned(), b"session=1".to_vec()));
    }
    WireRequest {
        method: req.method.clone(),
        headers,
        with_credentials,
    }
}

// ---------------------------------------------------------------------------------------------
// Response side
// ---------------------------------------------------------------------------------------------

/// `#concept-header-value-normalize`: what HTTP parsing leaves of a field value.
fn normalize_value(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|&b| !is_http_whitespace_byte(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| !is_http_whitespace_byte(b))
        .map_or(start, |p| p + 1);
    &value[start..end.max(start)]
}

/// `#concept-header-list-get`: null when absent, otherwise every value joined with `, `.
pub fn get_header(headers: &HeaderMap, name: &str) -> Option<Vec<u8>> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut out = Vec::new();
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(normalize_value(v.as_bytes()));
    }
    Some(out)
}

/// The result of `#extract-header-list-values`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListValues {
    /// The header is absent.
    Null,
    /// The value does not parse.
    Failure,
    /// The parsed elements, in order.
    Values(Vec<String>),
}

/// Which ABNF a header's value is parsed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abnf {
    /// `#method` / `#field-name`: comma list of tokens, empty elements tolerated.
    TokenList,
    /// `delta-seconds`, single header only.
    DeltaSeconds,
}

/// RFC 9110 `token = 1*tchar`; `tchar` is the HTTP token code points (mimesniff).
fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_http_token_code_point(char::from(b)))
}

/// Fetch "HTTP whitespace byte": 0x0A LF, 0x0D CR, 0x09 HT or 0x20 SP.
fn is_http_whitespace_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\r' | b' ')
}

/// `#extract-header-list-values`.
pub fn extract_header_list_values(headers: &HeaderMap, name: &str, abnf: Abnf) -> ListValues {
    let all: Vec<&[u8]> = headers.get_all(name).iter().map(|v| v.as_bytes()).collect();
    // 1. If list does not contain name, then return null.
    if all.is_empty() {
        return ListValues::Null;
    }
    // 2. If the ABNF for name allows a single header and list contains more than one, then
    //    return failure.
    if abnf == Abnf::DeltaSeconds && all.len() > 1 {
        return ListValues::Failure;
    }
    let mut values = Vec::new();
    for raw in all {
        let value = normalize_value(raw);
        match abnf {
            Abnf::TokenList => {
                // `1#element => element *( OWS "," OWS element )`, recipients tolerate empty
                // elements (RFC 9110 §5.6.1.2).
                for element in value.split(|&b| b == b',') {
                    let element = trim_ows(element);
                    if element.is_empty() {
                        continue;
                    }
                    if !is_token(element) {
                        return ListValues::Failure;
                    }
                    values.push(String::from_utf8_lossy(element).into_owned());
                }
            }
            Abnf::DeltaSeconds => {
                if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                    return ListValues::Failure;
                }
                values.push(String::from_utf8_lossy(value).into_owned());
            }
        }
    }
    ListValues::Values(values)
}

fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

/// `#concept-cors-check`, verbatim in substance.
pub fn cors_check(
    origin: &str,
    credentials: CredentialsMode,
    headers: &HeaderMap,
) -> Result<(), CorsCheckFailure> {
    // 1. Let origin be the result of getting `Access-Control-Allow-Origin`.
    // 2. If origin is null, then return failure.
    let Some(allow_origin) = get_header(headers, "access-control-allow-origin") else {
        return Err(CorsCheckFailure::MissingAllowOrigin);
    };
    // 3. If request's credentials mode is not "include" and origin is `*`, return success.
    if !credentials.is_include() && allow_origin == b"*" {
        return Ok(());
    }
    // 4. If the byte-serialized request origin is not origin, then return failure.
    if allow_origin != origin.as_bytes() {
        return Err(CorsCheckFailure::AllowOriginMismatch(allow_origin));
    }
    // 5. If request's credentials mode is not "include", then return success.
    if !credentials.is_include() {
        return Ok(());
    }
    // 6–8. `Access-Control-Allow-Credentials` must be exactly `true`.
    let allow_credentials = get_header(headers, "access-control-allow-credentials");
    if allow_credentials.as_deref() == Some(b"true".as_slice()) {
        Ok(())
    } else {
        Err(CorsCheckFailure::CredentialsNotTrue(allow_credentials))
    }
}

/// `#ok-status`.
pub fn is_ok_status(status: u16) -> bool {
    (200..=299).contains(&status)
}

/// `#cors-preflight-fetch-0`, step 7: validation of the preflight response for `req`.
pub fn validate_preflight(
    req: &FetchRequest,
    response: &WireResponse,
) -> Result<PreflightOutcome, NetworkError> {
    // "If a CORS check for request and response returns success and response's status is an
    // ok status" — the check is done with the actual request's credentials mode.
    cors_check(&req.origin, req.credentials, &response.headers)
        .map_err(NetworkError::PreflightCorsCheck)?;
    if !is_ok_status(response.status) {
        return Err(NetworkError::PreflightStatus(response.status));
    }
    // 1. methods / headerNames; 2. either failure → network error.
    let methods = extract_header_list_values(
        &response.headers,
        "access-control-allow-methods",
        Abnf::TokenList,
    );
    let header_names = extract_header_list_values(
        &response.headers,
        "access-control-allow-headers",
        Abnf::TokenList,
    );
    let mut methods = match methods {
        ListValues::Failure => return Err(NetworkError::InvalidAllowMethods),
        ListValues::Null => None,
        ListValues::Values(v) => Some(v),
    };
    let header_names = match header_names {
        ListValues::Failure => return Err(NetworkError::InvalidAllowHeaders),
        ListValues::Null => Vec::new(),
        ListValues::Values(v) => v,
    };
    // 3. If methods is null and request's use-CORS-preflight flag is set, then set methods to
    //    a new list containing request's method.
    if methods.is_none() && req.use_cors_preflight {
        methods = Some(vec![req.method.clone()]);
    }
    let methods = methods.unwrap_or_default();
    // 4. If request's method is not in methods, request's method is not a CORS-safelisted
    //    method, and request's credentials mode is "include" or methods does not contain `*`,
    //    then return a network error.
    let method_in_methods = methods.iter().any(|m| m == &req.method);
    if !method_in_methods
        && !is_cors_safelisted_method(&req.method)
        && (req.credentials.is_include() || !methods.iter().any(|m| m == WILDCARD))
    {
        return Err(NetworkError::MethodNotAllowed(req.method.clone()));
    }
    let name_listed = |name: &str| header_names.iter().any(|h| h.eq_ignore_ascii_case(name));
    // 5. If one of request's header list's names is a CORS non-wildcard request-header name
    //    and is not a byte-case-insensitive match for an item in headerNames, network error.
    for (name, _) in &req.headers {
        if is_cors_non_wildcard_request_header_name(name) && !name_listed(name) {
            return Err(NetworkError::NonWildcardHeaderNotAllowed(
                name.to_ascii_lowercase(),
            ));
        }
    }
    // 6. For each unsafeName of the CORS-unsafe request-header names: if unsafeName is not a
    //    byte-case-insensitive match for an item in headerNames and request's credentials mode
    //    is "include" or headerNames does not contain `*`, return a network error.
    let star = header_names.iter().any(|h| h == WILDCARD);
    for unsafe_name in cors_unsafe_request_header_names(&req.headers) {
        if !name_listed(&unsafe_name) && (req.credentials.is_include() || !star) {
            return Err(NetworkError::HeaderNotAllowed(unsafe_name));
        }
    }
    // 7–9. max-age: failure or null → 5 (the user-agent cap is not modelled).
    let max_age = match extract_header_list_values(
        &response.headers,
        "access-control-max-age",
        Abnf::DeltaSeconds,
    ) {
        ListValues::Values(v) => v
            .first()
            .map(|s| s.parse::<u64>().unwrap_or(u64::MAX))
            .unwrap_or(5),
        ListValues::Null | ListValues::Failure => 5,
    };
    Ok(PreflightOutcome {
        methods,
        header_names,
        max_age,
    })
}

/// `#main-fetch` (CORS-exposed header-name list) and the CORS filtered response: the lowercase
/// names of the headers of `response` that the page can read.
pub fn readable_header_names(req: &FetchRequest, response: &WireResponse) -> Vec<String> {
    // Main fetch, response tainting "cors":
    // 1. Let headerNames be the result of extracting header list values given
    //    `Access-Control-Expose-Headers` and response's header list.
    let header_names = extract_header_list_values(
        &response.headers,
        "access-control-expose-headers",
        Abnf::TokenList,
    );
    let all_names = || {
        response
            .headers
            .keys()
            .map(|n| n.as_str().to_owned())
            .collect()
    };
    let exposed: Vec<String> = match header_names {
        // 2. If credentials mode is not "include" and headerNames contains `*`, the
        //    CORS-exposed header-name list is every unique header name of the response.
        ListValues::Values(v)
            if !req.credentials.is_include() && v.iter().any(|h| h == WILDCARD) =>
        {
            all_names()
        }
        // 3. Otherwise, if headerNames is neither null nor failure, it is headerNames.
        ListValues::Values(v) => v,
        ListValues::Null | ListValues::Failure => Vec::new(),
    };
    // The CORS filtered response keeps the headers whose name is a CORS-safelisted
    // response-header name given the CORS-exposed header-name list.
    let mut out = Vec::new();
    for name in response.headers.keys() {
        let name = name.as_str();
        if is_cors_safelisted_response_header_name(name, &exposed)
            && !out.iter().any(|n: &String| n == name)
        {
            out.push(name.to_owned());
        }
    }
    out
}

/// A whole cross-origin `fetch()` in `cors` mode from a fresh browser: preflight if needed,
/// then the actual request; `transport` answers each request on the wire.
pub fn fetch(
    req: &FetchRequest,
    mut transport: impl FnMut(&WireRequest) -> WireResponse,
) -> Result<FetchOutcome, NetworkError> {
    if is_forbidden_method(&req.method) {
        return Err(NetworkError::ForbiddenMethod(req.method.clone()));
    }
    let preflight = if needs_preflight(req) {
        let response = transport(&preflight_request(req));
        Some(validate_preflight(req, &response)?)
    } else {
        None
    };
    let response = transport(&actual_request(req));
    cors_check(&req.origin, req.credentials, &response.headers).map_err(NetworkError::CorsCheck)?;
    Ok(FetchOutcome {
        preflight,
        status: response.status,
        readable_headers: readable_header_names(req, &response),
    })
}
