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
//! Not modelled: the preflight cache (every fetch runs from a fresh browser), redirects, no-cors
//! mode, service workers, Private Network Access.
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

/// `#cors-safelisted-method`.
pub fn is_cors_safelisted_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "POST")
}

/// `#forbidden-method` (byte-case-insensitive).
pub fn is_forbidden_method(method: &str) -> bool {
    ["CONNECT", "TRACE", "TRACK"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// `#concept-method-normalize`.
pub fn normalize_method(method: &str) -> String {
    for m in ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"] {
        if m.eq_ignore_ascii_case(method) {
            return m.to_owned();
        }
    }
    method.to_owned()
}

/// `#forbidden-request-header`.
pub fn is_forbidden_request_header(name: &str, value: &[u8]) -> bool {
    const FORBIDDEN: &[&str] = &[
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    ];
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN.contains(&lower.as_str())
        || lower.starts_with("proxy-")
        || lower.starts_with("sec-")
    {
        return true;
    }
    if matches!(
        lower.as_str(),
        "x-http-method" | "x-http-method-override" | "x-method-override"
    ) {
        // "If parsing the value ... any of the results is a forbidden method".
        let text = String::from_utf8_lossy(value);
        return text
            .split(',')
            .map(|v| v.trim_matches(|c| c == ' ' || c == '\t'))
            .any(is_forbidden_method);
    }
    false
}

/// `#cors-unsafe-request-header-byte`.
pub fn is_cors_unsafe_request_header_byte(b: u8) -> bool {
    (b < 0x20 && b != 0x09)
        || matches!(
            b,
            b'"' | b'('
                | b')'
                | b':'
                | b'<'
                | b'>'
                | b'?'
                | b'@'
                | b'['
                | b'\\'
                | b']'
                | b'{'
                | b'}'
                | 0x7F
        )
}

/// `#cors-safelisted-request-header`.
pub fn is_cors_safelisted_request_header(name: &str, value: &[u8]) -> bool {
    // 1. If value's length is greater than 128, then return false.
    if value.len() > 128 {
        return false;
    }
    // 2. Byte-lowercase name and switch on the result.
    match name.to_ascii_lowercase().as_str() {
        "accept" => !value.iter().any(|&b| is_cors_unsafe_request_header_byte(b)),
        "accept-language" | "content-language" => value.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b' ' | b'*' | b',' | b'-' | b'.' | b';' | b'=')
        }),
        "content-type" => {
            if value.iter().any(|&b| is_cors_unsafe_request_header_byte(b)) {
                return false;
            }
            match mime_essence(value) {
                Some(essence) => matches!(
                    essence.as_str(),
                    "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
                ),
                None => false,
            }
        }
        "range" => matches!(parse_single_range(value), Some((Some(_), _))),
        _ => false,
    }
}

fn is_http_whitespace(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\r' | b' ')
}

fn is_http_token_code_point(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// The essence of "parse a MIME type" (mimesniff `#parse-a-mime-type`), steps 1–9; parameters
/// never make parsing fail, so they are not parsed.
fn mime_essence(value: &[u8]) -> Option<String> {
    // 1. Remove any leading and trailing HTTP whitespace.
    let start = value.iter().position(|&b| !is_http_whitespace(b))?;
    let end = value.iter().rposition(|&b| !is_http_whitespace(b))? + 1;
    let input = &value[start..end];
    // 3–4. type: up to "/", non-empty, HTTP token code points only.
    let slash = input.iter().position(|&b| b == b'/')?;
    let ty = &input[..slash];
    if ty.is_empty() || !ty.iter().all(|&b| is_http_token_code_point(b)) {
        return None;
    }
    // 5–8. subtype: up to ";", trailing HTTP whitespace removed, non-empty, token only.
    let rest = &input[slash + 1..];
    let semi = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
    let mut subtype = &rest[..semi];
    while let Some((&last, init)) = subtype.split_last() {
        if is_http_whitespace(last) {
            subtype = init;
        } else {
            break;
        }
    }
    if subtype.is_empty() || !subtype.iter().all(|&b| is_http_token_code_point(b)) {
        return None;
    }
    let mut essence = String::from_utf8_lossy(ty).to_ascii_lowercase();
    essence.push('/');
    essence.push_str(&String::from_utf8_lossy(subtype).to_ascii_lowercase());
    Some(essence)
}

/// "parse a single range header value" (`#simple-range-header-value`) with allowWhitespace
/// false: `bytes=` start? `-` end?, at least one present, start <= end.
fn parse_single_range(value: &[u8]) -> Option<(Option<u64>, Option<u64>)> {
    let rest = value.strip_prefix(b"bytes")?;
    let rest = rest.strip_prefix(b"=")?;
    let digits = |s: &[u8]| -> (Option<u64>, usize) {
        let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return (None, 0);
        }
        let parsed = std::str::from_utf8(&s[..n])
            .ok()
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        (Some(parsed), n)
    };
    let (start, n) = digits(rest);
    let rest = rest[n..].strip_prefix(b"-")?;
    let (end, m) = digits(rest);
    if m != rest.len() {
        return None;
    }
    if start.is_none() && end.is_none() {
        return None;
    }
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return None;
        }
    }
    Some((start, end))
}

/// `#cors-unsafe-request-header-names`, returned as a sorted-lowercase set.
pub fn cors_unsafe_request_header_names(headers: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut unsafe_names = Vec::new();
    let mut potentially_unsafe = Vec::new();
    let mut safelist_value_size = 0usize;
    for (name, value) in headers {
        if !is_cors_safelisted_request_header(name, value) {
            unsafe_names.push(name.clone());
        } else {
            potentially_unsafe.push(name.clone());
            safelist_value_size += value.len();
        }
    }
    if safelist_value_size > 1024 {
        unsafe_names.extend(potentially_unsafe);
    }
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
        .position(|&b| !is_http_whitespace(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| !is_http_whitespace(b))
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

fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_http_token_code_point(b))
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
        && (req.credentials.is_include() || !methods.iter().any(|m| m == "*"))
    {
        return Err(NetworkError::MethodNotAllowed(req.method.clone()));
    }
    let name_listed = |name: &str| header_names.iter().any(|h| h.eq_ignore_ascii_case(name));
    // 5. If one of request's header list's names is a CORS non-wildcard request-header name
    //    and is not a byte-case-insensitive match for an item in headerNames, network error.
    for (name, _) in &req.headers {
        if name.eq_ignore_ascii_case("authorization") && !name_listed(name) {
            return Err(NetworkError::NonWildcardHeaderNotAllowed(
                name.to_ascii_lowercase(),
            ));
        }
    }
    // 6. For each unsafeName of the CORS-unsafe request-header names: if unsafeName is not a
    //    byte-case-insensitive match for an item in headerNames and request's credentials mode
    //    is "include" or headerNames does not contain `*`, return a network error.
    let star = header_names.iter().any(|h| h == "*");
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

/// `#cors-safelisted-response-header-name` (without the exposed list).
fn is_cors_safelisted_response_header_name(name: &str) -> bool {
    matches!(
        name,
        "cache-control"
            | "content-language"
            | "content-length"
            | "content-type"
            | "expires"
            | "last-modified"
            | "pragma"
    )
}

/// `#forbidden-response-header-name`.
fn is_forbidden_response_header_name(name: &str) -> bool {
    matches!(name, "set-cookie" | "set-cookie2")
}

/// `#main-fetch` (CORS-exposed header-name list) and the CORS filtered response: the lowercase
/// names of the headers of `response` that the page can read.
pub fn readable_header_names(req: &FetchRequest, response: &WireResponse) -> Vec<String> {
    let exposed = match extract_header_list_values(
        &response.headers,
        "access-control-expose-headers",
        Abnf::TokenList,
    ) {
        ListValues::Values(v) => v,
        ListValues::Null | ListValues::Failure => Vec::new(),
    };
    let star = !req.credentials.is_include() && exposed.iter().any(|h| h == "*");
    let mut out = Vec::new();
    for name in response.headers.keys() {
        let name = name.as_str();
        let readable = if is_forbidden_response_header_name(name) {
            false
        } else {
            is_cors_safelisted_response_header_name(name)
                || star
                || exposed.iter().any(|h| h.eq_ignore_ascii_case(name))
        };
        if readable && !out.iter().any(|n: &String| n == name) {
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
