//! Properties every response of the CORS layer must have, whatever the request, checked from
//! the request and response bytes alone. Shared by the property test, the attack corpus and
//! the fuzz targets.
#![allow(dead_code)]

use http::{HeaderMap, Method, Uri};
use tower_cors::Refusal;

/// The few facts about a policy the response invariants depend on.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PolicyShape {
    /// `allow_any_origin()`: `Access-Control-Allow-Origin: *` for everyone.
    pub(crate) any_origin: bool,
    /// `allow_null_origin()`.
    pub(crate) allow_null: bool,
    /// `allow_credentials(true)`.
    pub(crate) credentials: bool,
    /// `strict(true)`: refused actual requests are answered 403 by the layer.
    pub(crate) strict: bool,
    /// `explain_preflight_refusals(true)`: a preflight from an allowed origin refused for its
    /// method or headers is answered like an allowed one (the browser then refuses it).
    pub(crate) explain: bool,
}

impl PolicyShape {
    /// Whether `explain_preflight_refusals` may answer a preflight refused for `refusal`
    /// like an allowed one (the browser then refuses it itself).
    pub(crate) fn may_explain(&self, refusal: Option<Refusal>) -> bool {
        self.explain
            && matches!(
                refusal,
                Some(
                    Refusal::MethodNotAllowed
                        | Refusal::MethodMalformed
                        | Refusal::HeaderNotAllowed
                        | Refusal::HeadersMalformed
                )
            )
    }
}

/// What answered a request: a policy, or nothing (a path no `PathPolicies` entry covers and
/// no fallback).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Answerer {
    Policy {
        shape: PolicyShape,
        /// `guard_websockets(true)`: refused WebSocket upgrades are answered 403 by the layer.
        guard_websockets: bool,
    },
    /// A path no entry covers: the table fails closed (refused actual requests `403`)
    /// under `strict` when an entry is strict, for WebSocket handshakes when an entry
    /// guards them.
    Uncovered {
        strict: bool,
        guard_websockets: bool,
    },
}

impl Answerer {
    /// A path no entry of a table without strict or guarding entries covers.
    pub(crate) const UNCOVERED: Answerer = Answerer::Uncovered {
        strict: false,
        guard_websockets: false,
    };

    /// A policy without the WebSocket guard.
    pub(crate) fn policy(shape: PolicyShape) -> Self {
        Answerer::Policy {
            shape,
            guard_websockets: false,
        }
    }
}

/// The request side of one exchange.
pub(crate) struct Exchange<'a> {
    pub(crate) method: &'a Method,
    pub(crate) request: &'a HeaderMap,
    /// The request's URI authority (HTTP/2 requests carry no `Host`).
    pub(crate) authority: Option<&'a str>,
    pub(crate) status: u16,
    pub(crate) response: &'a HeaderMap,
    /// Whether the inner service was called.
    pub(crate) inner_called: bool,
    /// The headers the inner service set on its response (its own `Vary` may repeat a
    /// token; the layer must not add one it already has).
    pub(crate) inner_headers: &'a HeaderMap,
}

/// [`check`] on what [`harness::call`](super::harness::call) returned for a request of
/// `method` and `request` headers, the inner service having set `inner_headers`.
pub(crate) fn check_outcome(
    shape: &PolicyShape,
    method: &Method,
    request: &HeaderMap,
    inner_headers: &HeaderMap,
    out: &super::harness::Outcome,
) -> Result<(), String> {
    check(
        shape,
        &Exchange {
            method,
            request,
            authority: None,
            status: out.status,
            response: &out.headers,
            inner_called: out.inner_called,
            inner_headers,
        },
    )
}

/// [`check_answered`] on what [`harness::call`](super::harness::call) (or a
/// [`harness::Served`](super::harness::Served)) returned for a request of `method`, `uri`
/// and `request` headers.
pub(crate) fn check_outcome_by(
    answerer: &Answerer,
    method: &Method,
    uri: &Uri,
    request: &HeaderMap,
    inner_headers: &HeaderMap,
    out: &super::harness::Outcome,
) -> Result<(), String> {
    check_answered(
        answerer,
        &Exchange {
            method,
            request,
            authority: uri.authority().map(|a| a.as_str()),
            status: out.status,
            response: &out.headers,
            inner_called: out.inner_called,
            inner_headers,
        },
    )
}

/// [`check`] for a policy, with the WebSocket guard taken into account, or [`check_uncovered`].
pub(crate) fn check_answered(answerer: &Answerer, ex: &Exchange<'_>) -> Result<(), String> {
    match answerer {
        Answerer::Policy {
            shape,
            guard_websockets,
        } => check_policy(shape, *guard_websockets, ex),
        Answerer::Uncovered {
            strict,
            guard_websockets,
        } => check_uncovered(*strict, *guard_websockets, ex),
    }
}

/// Whether a request is a CORS preflight (Fetch `#cors-preflight-request`).
pub(crate) fn is_preflight(method: &Method, request: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && request.contains_key("origin")
        && request.contains_key("access-control-request-method")
}

fn token_list(value: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    for element in value.split(|&b| b == b',') {
        let element = trim(element);
        if element.is_empty() {
            continue;
        }
        let is_tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
        if !element.iter().all(is_tchar) {
            return None;
        }
        out.push(element);
    }
    Some(out)
}

fn trim(s: &[u8]) -> &[u8] {
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

/// The `Vary` tokens of a response, lowercased.
pub(crate) fn vary_tokens(response: &HeaderMap) -> Vec<String> {
    let mut out = Vec::new();
    for value in response.get_all("vary") {
        for t in value.as_bytes().split(|&b| b == b',') {
            let t = trim(t);
            if !t.is_empty() {
                out.push(String::from_utf8_lossy(t).to_ascii_lowercase());
            }
        }
    }
    out
}

const PREFLIGHT_ONLY: [&str; 3] = [
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
];

/// Checks every response invariant; `Err` names the first one broken.
///
/// 1. Every `Access-Control-*` response header appears at most once.
/// 2. `Access-Control-Allow-Origin` is `*` under a public policy; otherwise it is the
///    request's single `Origin` value, byte for byte.
/// 3. Never `*` with credentials; `Access-Control-Allow-Credentials` is exactly `true`, only
///    for a credentialed policy, and only beside an origin.
/// 4. Never `null`, unless the policy opted in to the null origin and the request's origin is
///    exactly `null`.
/// 5. No `Access-Control-Allow-Origin`, no `Access-Control-*` header at all (a refused origin
///    learns nothing about the policy).
/// 6. `Vary` contains `Origin` on every response of a policy whose answer depends on the
///    origin, and on every preflight answer; the layer adds no token twice.
/// 7. Preflights never reach the inner service and are answered 200/204 when allowed, 403
///    when refused; preflight-only headers never appear on other responses.
/// 8. An actual request is forwarded, except a refused one under a strict policy (403).
///    Under `guard_websockets`, a refused WebSocket upgrade may be answered 403 too.
///    (A request from a declared own origin is always forwarded: the callers that know the
///    own origins check it.)
/// 9. List-valued headers are clean token lists (one bad token and the browser rejects the
///    whole preflight); `*` in them only without credentials.
pub(crate) fn check(shape: &PolicyShape, ex: &Exchange<'_>) -> Result<(), String> {
    check_policy(shape, false, ex)
}

/// The invariants of a path no `PathPolicies` entry covers (and no fallback): the layer adds
/// nothing to any response (no `Access-Control-*` header, no `Vary`, the application's own
/// `Access-Control-*` headers removed), answers preflights 403 without calling the
/// application, and forwards every other request — except, when the table fails closed, a
/// cross-origin actual request under `strict` or WebSocket handshake under
/// `guard_websockets`, which may be answered 403.
pub(crate) fn check_uncovered(
    strict: bool,
    guard_websockets: bool,
    ex: &Exchange<'_>,
) -> Result<(), String> {
    if let Some(name) = ex
        .response
        .keys()
        .find(|n| n.as_str().starts_with("access-control-"))
    {
        return Err(format!("{name} on a path no policy covers"));
    }
    let inner_vary = if ex.inner_called {
        vary_tokens(ex.inner_headers)
    } else {
        Vec::new()
    };
    let vary = vary_tokens(ex.response);
    if vary != inner_vary {
        return Err(format!(
            "vary {vary:?} on a path no policy covers (the application set {inner_vary:?})"
        ));
    }
    if is_preflight(ex.method, ex.request) {
        if ex.inner_called || ex.status != 403 {
            return Err(format!(
                "preflight on a path no policy covers: status {}, forwarded {}",
                ex.status, ex.inner_called
            ));
        }
    } else if !ex.inner_called {
        let refusable = ex.request.contains_key("origin")
            && (strict || (guard_websockets && is_websocket_upgrade(ex.method, ex.request)));
        if !refusable || ex.status != 403 {
            return Err(format!(
                "request on a path no policy covers not forwarded (status {})",
                ex.status
            ));
        }
    }
    Ok(())
}

/// A WebSocket opening handshake (RFC 6455 §4.1: `GET` with the `upgrade` token in
/// `Connection` and `websocket` in `Upgrade`, any case), or an extended `CONNECT` (RFC 8441).
/// A `Connection` or `Upgrade` value over 256 bytes, or more than 16 lines of one, counts as
/// holding the token (the layer does not scan them, and fails closed).
pub(crate) fn is_websocket_upgrade(method: &Method, request: &HeaderMap) -> bool {
    let has = |name: &str, token: &[u8]| {
        request.get_all(name).iter().count() > 16
            || request.get_all(name).iter().any(|v| {
                v.len() > 256
                    || v.as_bytes()
                        .split(|&b| b == b',')
                        .any(|t| trim(t).eq_ignore_ascii_case(token))
            })
    };
    method == Method::CONNECT
        || (method == Method::GET && has("connection", b"upgrade") && has("upgrade", b"websocket"))
}

fn check_policy(
    shape: &PolicyShape,
    guard_websockets: bool,
    ex: &Exchange<'_>,
) -> Result<(), String> {
    let resp = ex.response;
    // 1.
    for name in resp.keys() {
        if name.as_str().starts_with("access-control-") && resp.get_all(name).iter().count() > 1 {
            return Err(format!("{name} appears more than once"));
        }
    }
    let origins: Vec<&[u8]> = ex
        .request
        .get_all("origin")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let acao = resp
        .get("access-control-allow-origin")
        .map(|v| v.as_bytes());
    let acac = resp
        .get("access-control-allow-credentials")
        .map(|v| v.as_bytes());
    // 2.
    if let Some(acao) = acao {
        if shape.any_origin {
            if acao != b"*" {
                return Err(format!(
                    "public policy answered access-control-allow-origin {:?}",
                    String::from_utf8_lossy(acao)
                ));
            }
        } else if origins.len() != 1 || origins[0] != acao {
            return Err(format!(
                "access-control-allow-origin {:?} is not the request's single origin {:?}",
                String::from_utf8_lossy(acao),
                origins
                    .iter()
                    .map(|o| String::from_utf8_lossy(o).into_owned())
                    .collect::<Vec<_>>()
            ));
        }
    }
    // 3.
    if let Some(acac) = acac {
        if acac != b"true" {
            return Err(format!(
                "access-control-allow-credentials is {:?}",
                String::from_utf8_lossy(acac)
            ));
        }
        if !shape.credentials {
            return Err(
                "access-control-allow-credentials from a policy without credentials".into(),
            );
        }
        match acao {
            None => return Err("access-control-allow-credentials without an origin".into()),
            Some(b"*") => return Err("access-control-allow-origin * with credentials".into()),
            Some(_) => {}
        }
    }
    // 4.
    if acao == Some(b"null".as_slice()) && !(shape.allow_null && origins == [b"null".as_slice()]) {
        return Err("access-control-allow-origin null".into());
    }
    // 5.
    if acao.is_none() {
        if let Some(name) = resp
            .keys()
            .find(|n| n.as_str().starts_with("access-control-"))
        {
            return Err(format!("{name} without access-control-allow-origin"));
        }
    }
    // 6.
    let preflight = is_preflight(ex.method, ex.request);
    let vary = vary_tokens(resp);
    if (!shape.any_origin || preflight) && !vary.iter().any(|t| t == "origin" || t == "*") {
        return Err(format!("vary {vary:?} lacks origin"));
    }
    let inner_vary = if ex.inner_called {
        vary_tokens(ex.inner_headers)
    } else {
        Vec::new()
    };
    for t in &vary {
        let count = vary.iter().filter(|v| *v == t).count();
        let inner_count = inner_vary.iter().filter(|v| *v == t).count();
        if count > inner_count.max(1) {
            return Err(format!("vary token {t:?} added twice: {vary:?}"));
        }
    }
    // 7.
    if preflight {
        if ex.inner_called {
            return Err("a preflight reached the inner service".into());
        }
        let expected: &[u16] = if acao.is_some() { &[200, 204] } else { &[403] };
        if !expected.contains(&ex.status) {
            return Err(format!(
                "preflight answered {} (allowed: {})",
                ex.status,
                acao.is_some()
            ));
        }
    } else {
        for name in PREFLIGHT_ONLY {
            if resp.contains_key(name) {
                return Err(format!("{name} on a response that is not a preflight's"));
            }
        }
        // 8.
        if !ex.inner_called {
            let refusable =
                shape.strict || (guard_websockets && is_websocket_upgrade(ex.method, ex.request));
            let refused_strictly =
                refusable && !origins.is_empty() && acao.is_none() && ex.status == 403;
            if !refused_strictly {
                return Err(format!(
                    "actual request not forwarded (status {}, acao {:?})",
                    ex.status,
                    acao.map(String::from_utf8_lossy)
                ));
            }
        }
    }
    // 9.
    for name in [
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
    ] {
        if let Some(value) = resp.get(name) {
            let Some(tokens) = token_list(value.as_bytes()) else {
                return Err(format!("{name} {value:?} is not a token list"));
            };
            if shape.credentials && tokens.contains(&b"*".as_slice()) {
                return Err(format!("{name} has * with credentials"));
            }
        }
    }
    if let Some(max_age) = resp.get("access-control-max-age") {
        let v = max_age.as_bytes();
        if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
            return Err(format!(
                "access-control-max-age {max_age:?} is not delta-seconds"
            ));
        }
    }
    Ok(())
}
