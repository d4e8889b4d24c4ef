//! Judging answers: the browser's decision (from `cors-model`), Chrome's name and console
//! sentence for a failure, and the fixes for the common causes. Pure functions, no I/O: the
//! property tests throw arbitrary answers at them.

use cors_model::{
    CorsCheckFailure, CredentialsMode, FetchRequest, NetworkError, PreflightOutcome, WireResponse,
};
use http::HeaderMap;

/// Why the browser blocks the response, as Chrome reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// Chrome's DevTools Protocol `corsError` name, for example
    /// `PreflightMissingAllowOriginHeader`.
    pub cors_error: &'static str,
    /// The reason part of Chrome's console sentence (after "blocked by CORS policy: ").
    pub reason: String,
    /// How to fix it, most likely cause first.
    pub hints: Vec<String>,
}

/// The outcome of checking a preflight response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreflightVerdict {
    /// The browser goes on with the actual request.
    Passed {
        /// What the preflight allowed.
        outcome: PreflightOutcome,
        /// Things the browser accepts but warns about (or that the spec forbids).
        warnings: Vec<String>,
    },
    /// The browser stops here.
    Failed(Diagnosis),
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    cors_model::get_header(headers, name).map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// Chrome's `corsError` name and sentence for a failed CORS check (`#concept-cors-check`).
/// Chrome tells the cases of step 4 apart: `*` with credentials, several values (a space or a
/// comma in the value), a value that is not a URL, and a plain mismatch.
fn cors_check_error(failure: &CorsCheckFailure) -> (&'static str, String) {
    // Chromium 156 prints neither the "If an opaque response serves your needs…" clause of
    // older versions nor its tail after "a valid value" (checked against the browser).
    const VALID: &str = "Have the server send the header with a valid value.";
    match failure {
        CorsCheckFailure::MissingAllowOrigin => (
            "MissingAllowOriginHeader",
            "No 'Access-Control-Allow-Origin' header is present on the requested resource."
                .to_owned(),
        ),
        CorsCheckFailure::AllowOriginMismatch(value) => {
            let v = String::from_utf8_lossy(value);
            if v == "*" {
                (
                    "WildcardOriginNotAllowed",
                    "The value of the 'Access-Control-Allow-Origin' header in the response must \
                     not be the wildcard '*' when the request's credentials mode is 'include'."
                        .to_owned(),
                )
            } else if v.contains([' ', ',']) {
                (
                    "MultipleAllowOriginValues",
                    format!(
                        "The 'Access-Control-Allow-Origin' header contains multiple values \
                         '{v}', but only one is allowed. {VALID}"
                    ),
                )
            } else if v != "null" && !looks_like_url(&v) {
                (
                    "InvalidAllowOriginValue",
                    format!(
                        "The 'Access-Control-Allow-Origin' header contains the invalid value \
                         '{v}'. {VALID}"
                    ),
                )
            } else {
                (
                    "AllowOriginMismatch",
                    format!(
                        "The 'Access-Control-Allow-Origin' header has a value '{v}' that is not \
                         equal to the supplied origin. {VALID}"
                    ),
                )
            }
        }
        CorsCheckFailure::CredentialsNotTrue(value) => {
            let v = value
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            (
                "InvalidAllowCredentials",
                format!(
                    "The value of the 'Access-Control-Allow-Credentials' header in the response \
                     is '{v}' which must be 'true' when the request's credentials mode is \
                     'include'."
                ),
            )
        }
    }
}

/// Whether `v` parses as an absolute URL with a host (what Chrome requires of a non-`null`
/// `Access-Control-Allow-Origin` before comparing it).
fn looks_like_url(v: &str) -> bool {
    let Some((scheme, rest)) = v.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    scheme_ok && !host.is_empty() && !host.contains(char::is_whitespace)
}

/// Who answered "no", as the answer itself tells.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cause {
    /// A CORS layer refused on purpose and said so: `layer` names it, `text` is what it said.
    Refusal { layer: &'static str, text: String },
    /// Authentication answered: `401`, or a `WWW-Authenticate` challenge.
    Auth,
    /// Nothing in the answer tells.
    Unknown,
}

/// Reads who refused from the answer's status, headers and body start.
fn cause(response: &WireResponse, body: &[u8]) -> Cause {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let line = text.lines().next().unwrap_or("").trim();
    // tower-cors: `403` with "CORS preflight refused: …", "CORS request refused: …" or
    // "WebSocket upgrade refused: …" (the reason, with the refused value when explained).
    for prefix in [
        "CORS preflight refused: ",
        "CORS request refused: ",
        "WebSocket upgrade refused: ",
    ] {
        if response.status == 403 && line.starts_with(prefix) {
            return Cause::Refusal {
                layer: "tower-cors",
                text: line.to_owned(),
            };
        }
    }
    // Starlette / FastAPI `CORSMiddleware`: `400` "Disallowed CORS origin, method, headers".
    if response.status == 400 && line.starts_with("Disallowed CORS ") {
        return Cause::Refusal {
            layer: "Starlette's CORSMiddleware (FastAPI)",
            text: line.to_owned(),
        };
    }
    // Spring's `DefaultCorsProcessor`: `403` "Invalid CORS request".
    if response.status == 403 && line == "Invalid CORS request" {
        return Cause::Refusal {
            layer: "Spring's CORS processor",
            text: line.to_owned(),
        };
    }
    if response.status == 401 || response.headers.contains_key("www-authenticate") {
        return Cause::Auth;
    }
    Cause::Unknown
}

/// What a refusal text names: origin, method, header or path (several for Starlette).
fn refused_subjects(text: &str) -> (bool, bool, bool, bool) {
    let after = text
        .split_once(':')
        .map_or(text, |(_, rest)| rest)
        .to_ascii_lowercase();
    let after = if text.starts_with("Disallowed CORS ") {
        text.trim_start_matches("Disallowed CORS ")
            .to_ascii_lowercase()
    } else if text == "Invalid CORS request" {
        String::new()
    } else {
        after
    };
    (
        after.contains("origin"),
        after.contains("method"),
        after.contains("header"),
        after.contains("path"),
    )
}

/// The hint for a CORS layer's deliberate refusal: what the policy does not contain, and that
/// changing it is the API owner's decision. Never advice to allow anything unconditionally.
fn refusal_hint(req: &FetchRequest, layer: &str, text: &str) -> String {
    let origin = &req.origin;
    let (by_origin, by_method, by_header, by_path) = refused_subjects(text);
    let tower = layer == "tower-cors";
    let log = if tower {
        " The server's refusal log names the refused value (`CorsLayer::on_refusal`, or the \
         `tracing` event \"CORS request refused\")."
    } else {
        ""
    };
    let not_auth = "This is not authentication, and no middleware order changes it.";
    let mut parts = Vec::new();
    if by_origin {
        let how = if tower {
            format!(" (`allow_origin(\"{origin}\")`)")
        } else {
            String::new()
        };
        parts.push(format!(
            "the origin {origin} is not in the server's CORS allow-list. Whether this origin may \
             use the API is the decision of whoever owns the server's CORS policy: if it should, \
             they add {origin} to the allow-list{how}, and if the list comes from the \
             environment, they check it is set where the server runs (an empty or unset list \
             allows no origin); if it should not, the browser is doing its job"
        ));
    }
    if by_method {
        let how = if tower { " (`allow_methods`)" } else { "" };
        parts.push(format!(
            "the method {} is not among the server's allowed methods; adding it{how} is the API \
             owner's decision, for an endpoint meant to accept {} from browser pages",
            req.method, req.method
        ));
    }
    if by_header {
        let asked = cors_model::cors_unsafe_request_header_names(&req.headers).join(", ");
        let how = if tower {
            " (`allow_headers`; `explain_preflight_refusals(true)` makes the console name the \
             refused header)"
        } else {
            ""
        };
        parts.push(format!(
            "a request header the page sends is not among the server's allowed headers (the \
             preflight asks for: {asked}). Either the page stops sending it, or the API owner \
             adds it{how}; to find which one, run cors-probe again with one -H less at a time"
        ));
    }
    if by_path {
        parts.push(format!(
            "no CORS policy covers this path; covering it (a `PathPolicies` entry or a fallback) \
             is the API owner's decision, as is allowing {origin} there"
        ));
    }
    if parts.is_empty() {
        parts.push(format!(
            "the origin {origin}, the method {} or a request header is not in the server's CORS \
             policy (the answer does not say which: run cors-probe again without the -H headers, \
             then with GET, to find out); changing the policy is the API owner's decision",
            req.method
        ));
    }
    format!(
        "{layer} refused this request on purpose (its answer says \"{text}\"): {}. {not_auth}{log}",
        parts.join("; and ")
    )
}

/// `Access-Control-*` headers that arrive more than once: several lines, or one line whose
/// comma-separated value repeats (`true, true`). Each with its values as received.
fn duplicated_headers(response: &WireResponse) -> Vec<(String, Vec<String>)> {
    let mut names: Vec<&str> = Vec::new();
    for name in response.headers.keys() {
        if name.as_str().starts_with("access-control-") && !names.contains(&name.as_str()) {
            names.push(name.as_str());
        }
    }
    let mut found = Vec::new();
    for name in names {
        let lines: Vec<String> = response
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let single = matches!(
            name,
            "access-control-allow-origin"
                | "access-control-allow-credentials"
                | "access-control-max-age"
        );
        let repeats = single && lines.len() == 1 && lines[0].contains(',') && {
            let parts: Vec<&str> = lines[0].split(',').map(str::trim).collect();
            parts.iter().all(|p| p.eq_ignore_ascii_case(parts[0]))
        };
        if lines.len() > 1 || repeats {
            found.push((name.to_owned(), lines));
        }
    }
    found
}

/// `access-control-allow-origin` → `Access-Control-Allow-Origin`.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// One hint covering every duplicated `Access-Control-*` header, so that fixing the first one
/// does not lead straight to the next failure.
fn duplicates_hint(dups: &[(String, Vec<String>)]) -> String {
    let listed: Vec<String> = dups
        .iter()
        .map(|(name, lines)| {
            let values: Vec<String> = lines.iter().map(|v| format!("'{v}'")).collect();
            format!("{} ({})", canonical(name), values.join(" + "))
        })
        .collect();
    let hide: Vec<String> = dups
        .iter()
        .map(|(name, _)| format!("proxy_hide_header {};", canonical(name)))
        .collect();
    format!(
        "these CORS headers arrive twice: {}. Two layers add them — usually a proxy (nginx \
         `add_header`) and the application's CORS middleware. Let one layer own all of them \
         and remove every one of them from the other, not only the first: in nginx, `{}` (or \
         drop its `add_header` lines and let the application answer)",
        listed.join(", "),
        hide.join(" ")
    )
}

/// The fixes for a failed CORS check on `response` (the preflight's when `preflight`).
fn cors_check_hints(
    req: &FetchRequest,
    failure: &CorsCheckFailure,
    response: &WireResponse,
    body: &[u8],
    preflight: bool,
    preflight_passed: bool,
) -> Vec<String> {
    let origin = &req.origin;
    let status = response.status;
    let mut hints = Vec::new();
    let dups = duplicated_headers(response);
    let cause = cause(response, body);
    if let Cause::Refusal { layer, text } = &cause {
        hints.push(refusal_hint(req, layer, text));
        return hints;
    }
    match failure {
        CorsCheckFailure::MissingAllowOrigin => {
            if preflight {
                hints.extend(status_hints(req, status, &cause));
                if (200..300).contains(&status) {
                    hints.push(silent_preflight_hint(req, response));
                }
            } else if status >= 400 {
                if preflight_passed {
                    hints.push(format!(
                        "the preflight carried the CORS headers, but this {status} answer has \
                         none: the server adds them to successful answers only. In nginx, \
                         `add_header` applies to 2xx and 3xx answers only: add `always` to each \
                         CORS `add_header` line. In an application, make the CORS middleware \
                         the outermost layer so that error answers pass through it too"
                    ));
                } else {
                    hints.push(format!(
                        "this {status} answer carries no CORS headers. Either the server adds \
                         them to successful answers only — nginx `add_header` without \
                         `always`, or an error answered outside the CORS middleware: then add \
                         `always` to each CORS `add_header` line, or make the CORS middleware \
                         the outermost layer — or {origin} is not in the server's allow-list \
                         (possibly an empty or unset one), which only the API owner can \
                         change. Whatever the cause, the page sees a CORS error instead of \
                         the {status}: a request this endpoint accepts (the right body, \
                         cookies or token) tells which"
                    ));
                }
                if cause == Cause::Auth {
                    hints.push(format!(
                        "the {status} is an authentication answer: the page must send the \
                         credentials the API expects (cookies need `credentials: 'include'`)"
                    ));
                }
            } else if preflight_passed {
                hints.push(format!(
                    "the preflight carried `Access-Control-Allow-Origin` but the actual answer \
                     does not: send `Access-Control-Allow-Origin: {origin}` (and \
                     `Access-Control-Allow-Credentials: true` when credentialed) on every \
                     answer, not only on OPTIONS"
                ));
            } else {
                hints.push(no_cors_headers_hint(origin));
            }
        }
        CorsCheckFailure::AllowOriginMismatch(value) => {
            let v = String::from_utf8_lossy(value);
            let lines = response
                .headers
                .get_all("access-control-allow-origin")
                .iter()
                .count();
            if !dups.is_empty() {
                hints.push(duplicates_hint(&dups));
            } else if v == "*" {
                hints.push(format!(
                    "`*` never allows a credentialed request: answer the request's own origin \
                     `{origin}` (checked against an allow-list) with \
                     `Access-Control-Allow-Credentials: true` and `Vary: Origin`, or fetch \
                     without credentials"
                ));
            } else if lines > 1 || v.contains([',', ' ']) {
                hints.push(format!(
                    "`Access-Control-Allow-Origin` must be one origin, sent once; this answer has \
                     {lines} header line(s) with '{v}'. To allow several origins, pick the \
                     request's origin from an allow-list and answer only that one, with \
                     `Vary: Origin`"
                ));
            } else if v.strip_suffix('/') == Some(origin.as_str()) {
                hints.push(format!(
                    "the allowed origin '{v}' ends with a slash: an origin is \
                     scheme://host[:port] without a path, compared byte for byte. Configure \
                     `{origin}` without the trailing '/'"
                ));
            } else if v.eq_ignore_ascii_case(origin) {
                hints.push(format!(
                    "'{v}' differs from the origin '{origin}' only in letter case, and the \
                     comparison is byte for byte: configure the origin in lowercase, exactly as \
                     the browser sends it"
                ));
            } else if v == "null" {
                hints.push(
                    "the server answered `null`: never allow `null` (sandboxed iframes and data: \
                     URLs of any site send it); list the real origins"
                        .to_owned(),
                );
            } else {
                hints.push(format!(
                    "the server allows only '{v}', and {origin} is not it (scheme, host and \
                     port must all match). If the page really runs on {origin} and is meant to \
                     use this API, adding {origin} to the server's allow-list is the API \
                     owner's decision; otherwise point the page at the origin the server \
                     expects"
                ));
            }
            if preflight {
                hints.extend(status_hints(req, status, &cause));
            }
        }
        CorsCheckFailure::CredentialsNotTrue(value) => {
            if !dups.is_empty() {
                hints.push(duplicates_hint(&dups));
                return hints;
            }
            let what = match value {
                None => "is missing".to_owned(),
                Some(v) => format!("is '{}'", String::from_utf8_lossy(v)),
            };
            let on = if preflight {
                "on the preflight answer too (the browser checks it there although the preflight \
                 itself carries no cookies)"
            } else {
                "on the answer"
            };
            hints.push(format!(
                "the request is credentialed and `Access-Control-Allow-Credentials` {what}: send \
                 `Access-Control-Allow-Credentials: true` (exactly, lowercase) {on}, or fetch \
                 without credentials"
            ));
        }
    }
    hints
}

/// No CORS header at all on a successful simple request.
fn no_cors_headers_hint(origin: &str) -> String {
    format!(
        "the server sent no CORS headers. Either CORS is not enabled for this path, or it is \
         and {origin} is not in its allow-list — an allow-list that is empty or unset (say, \
         an environment variable missing where the server runs) allows no origin and says \
         nothing. If this page is meant to read the API, the API owner allows {origin} \
         (`Access-Control-Allow-Origin: {origin}` with `Vary: Origin`), or `*` for a public \
         resource read without credentials"
    )
}

/// A `2xx` preflight answer without `Access-Control-Allow-Origin`.
fn silent_preflight_hint(req: &FetchRequest, response: &WireResponse) -> String {
    let origin = &req.origin;
    let others: Vec<&str> = response
        .headers
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|n| n.starts_with("access-control-"))
        .collect();
    if others.is_empty() {
        format!(
            "the server answers the preflight {} without any CORS header. Either no CORS layer \
             handles this path (enable one that answers preflights itself, for every route), or \
             one does and refuses {origin} silently, for example because its allow-list is \
             empty or unset. Allowing {origin} is the API owner's decision",
            response.status
        )
    } else {
        format!(
            "a CORS layer answered the preflight (it sent {}) but left out \
             `Access-Control-Allow-Origin`: it does not allow {origin}. The origin is not in its \
             allow-list, or the allow-list is empty or unset where the server runs. Whether \
             {origin} may use the API is the API owner's decision; if it may, they add it to \
             the allow-list",
            others.join(", ")
        )
    }
}

/// Fixes that follow from a preflight's status and who answered it.
fn status_hints(req: &FetchRequest, status: u16, cause: &Cause) -> Vec<String> {
    let hint = match (status, cause) {
        (_, Cause::Refusal { layer, text }) => refusal_hint(req, layer, text),
        (401, _) | (_, Cause::Auth) => format!(
            "the preflight was answered {status}: CORS sits behind authentication. A \
             browser never sends cookies or `Authorization` on a preflight, so answer OPTIONS \
             preflights before any authentication check: put the CORS layer outside (before) \
             the auth middleware, or exempt OPTIONS requests carrying \
             `Access-Control-Request-Method`"
        ),
        (403, _) => format!(
            "the preflight was answered 403, and the answer does not say who refused. Either authentication or authorization runs before CORS (a browser \
             sends no cookies or `Authorization` on a preflight: answer preflights before any \
             auth check, CORS layer outermost), or a CORS layer refuses {}, the method or a \
             header on purpose, which only the API owner can change. The server's log tells \
             which; a preflight from an origin the server is meant to allow gets a 2xx only in \
             the second case",
            req.origin
        ),
        (404 | 405 | 501, _) => format!(
            "the preflight was answered {status}: the server does not handle OPTIONS on this \
             path. Add CORS middleware that answers preflights for every route (or an OPTIONS \
             handler returning 204 with the Access-Control-Allow-* headers)"
        ),
        (300..=399, _) => format!(
            "the preflight was answered {status} (a redirect): browsers do not follow redirects \
             for preflights. Point the page at the final URL (a missing or extra trailing slash, \
             http→https) or answer the preflight at this URL"
        ),
        (200..=299, _) => return Vec::new(),
        _ => format!(
            "the preflight was answered {status}: a preflight must get a 2xx answer (204 is \
             usual); make sure OPTIONS requests reach the CORS layer and that its answer \
             carries the CORS headers"
        ),
    };
    vec![hint]
}

/// Whether `response` is a redirect the browser would follow (`#redirect-status` with a
/// `Location`).
pub fn redirect_location(response: &WireResponse) -> Option<String> {
    if matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        header_text(&response.headers, "location")
    } else {
        None
    }
}

/// Checks a preflight response the way Chrome does: a redirect fails first, then the steps of
/// `#cors-preflight-fetch-0` (CORS check, ok status, methods, headers). One deviation from the
/// Fetch Standard, taken because every browser ships it: `*` in
/// `Access-Control-Allow-Headers` covers `Authorization` for a request without credentials
/// (with a warning; whatwg/fetch#1919).
pub fn check_preflight(req: &FetchRequest, response: &WireResponse) -> PreflightVerdict {
    check_preflight_answer(req, response, &[])
}

/// [`check_preflight`] with the start of the answer's body, which tells a CORS layer's own
/// refusal (tower-cors, Starlette, Spring) from authentication in front of CORS.
pub(crate) fn check_preflight_answer(
    req: &FetchRequest,
    response: &WireResponse,
    body: &[u8],
) -> PreflightVerdict {
    let failed = |cors_error: &'static str, reason: String, hints: Vec<String>| {
        PreflightVerdict::Failed(Diagnosis {
            cors_error,
            reason,
            hints,
        })
    };
    if redirect_location(response).is_some() {
        return failed(
            "PreflightDisallowedRedirect",
            "Redirect is not allowed for a preflight request.".to_owned(),
            status_hints(req, response.status, &cause(response, body)),
        );
    }
    let mut warnings = Vec::new();
    let mut result = cors_model::validate_preflight(req, response);
    if let Err(NetworkError::NonWildcardHeaderNotAllowed(_)) = result {
        if allow_headers_has_star(response) && !req.credentials.is_include() {
            let mut without = req.clone();
            without
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
            result = cors_model::validate_preflight(&without, response);
            if result.is_ok() {
                warnings.push(
                    "`Access-Control-Allow-Headers: *` covers `Authorization` in today's \
                     browsers, but the Fetch Standard says it does not and Chrome prints a \
                     deprecation warning: list `authorization` explicitly"
                        .to_owned(),
                );
            }
        }
    }
    match result {
        Ok(outcome) => PreflightVerdict::Passed { outcome, warnings },
        Err(error) => {
            let d = diagnose_preflight_error(req, response, body, &error);
            PreflightVerdict::Failed(d)
        }
    }
}

fn diagnose_preflight_error(
    req: &FetchRequest,
    response: &WireResponse,
    body: &[u8],
    error: &NetworkError,
) -> Diagnosis {
    let credentialed = req.credentials.is_include();
    match error {
        NetworkError::PreflightCorsCheck(failure) => {
            let (code, reason) = cors_check_error(failure);
            let cors_error = match code {
                "MissingAllowOriginHeader" => "PreflightMissingAllowOriginHeader",
                "WildcardOriginNotAllowed" => "PreflightWildcardOriginNotAllowed",
                "MultipleAllowOriginValues" => "PreflightMultipleAllowOriginValues",
                "InvalidAllowOriginValue" => "PreflightInvalidAllowOriginValue",
                "AllowOriginMismatch" => "PreflightAllowOriginMismatch",
                _ => "PreflightInvalidAllowCredentials",
            };
            Diagnosis {
                cors_error,
                reason,
                hints: cors_check_hints(req, failure, response, body, true, false),
            }
        }
        NetworkError::PreflightStatus(status) => Diagnosis {
            cors_error: "PreflightInvalidStatus",
            reason: "It does not have HTTP ok status.".to_owned(),
            hints: status_hints(req, *status, &cause(response, body)),
        },
        NetworkError::InvalidAllowMethods => Diagnosis {
            cors_error: "InvalidAllowMethodsPreflightResponse",
            reason: "Cannot parse Access-Control-Allow-Methods response header field in \
                     preflight response."
                .to_owned(),
            hints: vec![format!(
                "`Access-Control-Allow-Methods` must be a comma-separated list of method \
                 tokens; one bad element fails the whole preflight. The server sent {:?}",
                header_text(&response.headers, "access-control-allow-methods").unwrap_or_default()
            )],
        },
        NetworkError::InvalidAllowHeaders => Diagnosis {
            cors_error: "InvalidAllowHeadersPreflightResponse",
            reason: "Cannot parse Access-Control-Allow-Headers response header field in \
                     preflight response."
                .to_owned(),
            hints: vec![format!(
                "`Access-Control-Allow-Headers` must be a comma-separated list of header names; \
                 one bad element fails the whole preflight. The server sent {:?}",
                header_text(&response.headers, "access-control-allow-headers").unwrap_or_default()
            )],
        },
        NetworkError::MethodNotAllowed(method) => {
            let listed = match cors_model::extract_header_list_values(
                &response.headers,
                "access-control-allow-methods",
                cors_model::Abnf::TokenList,
            ) {
                cors_model::ListValues::Values(v) => v,
                _ => Vec::new(),
            };
            let hint = if let Some(other) = listed.iter().find(|m| m.eq_ignore_ascii_case(method)) {
                format!(
                    "the server allows '{other}' but the page sends '{method}': methods are \
                     compared byte for byte, and fetch() upper-cases only DELETE, GET, HEAD, \
                     OPTIONS, POST and PUT. Send '{other}' from the page (for PATCH: \
                     `method: 'PATCH'`) or list '{method}' exactly"
                )
            } else if credentialed && listed.iter().any(|m| m == "*") {
                format!(
                    "`*` in `Access-Control-Allow-Methods` is a wildcard only for requests \
                     without credentials: list `{method}` by name"
                )
            } else {
                format!(
                    "the server's CORS policy does not allow {method}. If this endpoint is meant \
                     to accept {method} from browser pages, the API owner decides to add \
                     `{method}` to `Access-Control-Allow-Methods` on the preflight answer; \
                     otherwise the page uses a method the API allows"
                )
            };
            Diagnosis {
                cors_error: "MethodDisallowedByPreflightResponse",
                reason: format!(
                    "Method {method} is not allowed by Access-Control-Allow-Methods in preflight \
                     response."
                ),
                hints: vec![hint],
            }
        }
        NetworkError::NonWildcardHeaderNotAllowed(name) | NetworkError::HeaderNotAllowed(name) => {
            let hint = if allow_headers_has_star(response) && credentialed {
                format!(
                    "`*` in `Access-Control-Allow-Headers` is a wildcard only for requests \
                     without credentials: list `{name}` by name"
                )
            } else {
                format!(
                    "the server's CORS policy does not allow the request header `{name}`: either \
                     the page stops sending it, or the API owner decides to add `{name}` to \
                     `Access-Control-Allow-Headers` on the preflight answer (names are \
                     case-insensitive)"
                )
            };
            Diagnosis {
                cors_error: "HeaderDisallowedByPreflightResponse",
                reason: format!(
                    "Request header field {name} is not allowed by Access-Control-Allow-Headers \
                     in preflight response."
                ),
                hints: vec![hint],
            }
        }
        NetworkError::ForbiddenMethod(_) | NetworkError::CorsCheck(_) => Diagnosis {
            // Not produced by preflight validation; kept total for safety.
            cors_error: "Unexpected",
            reason: format!("unexpected failure for {method:?}", method = req.method),
            hints: Vec::new(),
        },
    }
}

/// Applies the CORS check to the actual response; `preflight_passed` tells whether a preflight
/// was sent and passed (evidence for the hints).
pub fn check_actual(
    req: &FetchRequest,
    response: &WireResponse,
    preflight_passed: bool,
) -> Result<(), Diagnosis> {
    check_actual_answer(req, response, preflight_passed, &[])
}

/// [`check_actual`] with the start of the answer's body (see [`check_preflight_answer`]).
pub(crate) fn check_actual_answer(
    req: &FetchRequest,
    response: &WireResponse,
    preflight_passed: bool,
    body: &[u8],
) -> Result<(), Diagnosis> {
    let credentials = if req.credentials.is_include() {
        CredentialsMode::Include
    } else {
        CredentialsMode::Omit
    };
    cors_model::cors_check(&req.origin, credentials, &response.headers).map_err(|failure| {
        let (cors_error, reason) = cors_check_error(&failure);
        Diagnosis {
            cors_error,
            reason,
            hints: cors_check_hints(req, &failure, response, body, false, preflight_passed),
        }
    })
}

/// Whether `Vary` on `response` names `Origin` (or is `*`).
pub fn varies_on_origin(response: &WireResponse) -> bool {
    response.headers.get_all("vary").iter().any(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(',')
            .map(str::trim)
            .any(|t| t.eq_ignore_ascii_case("origin") || t == "*")
    })
}

/// Whether the answer's `Access-Control-Allow-Origin` is the request's origin echoed (the only
/// case where a cache keyed without `Origin` can serve one origin's answer to another).
pub fn echoes_origin(req: &FetchRequest, response: &WireResponse) -> bool {
    cors_model::get_header(&response.headers, "access-control-allow-origin").as_deref()
        == Some(req.origin.as_bytes())
}

/// Chrome's whole console sentence for a blocked fetch of `url` from `origin`.
pub fn console_sentence(url: &str, origin: &str, diagnosis: &Diagnosis) -> String {
    // Chrome prefixes the `Preflight…` errors only (blink's `IsPreflightError`).
    let preflight = if diagnosis.cors_error.starts_with("Preflight") {
        "Response to preflight request doesn't pass access control check: "
    } else {
        ""
    };
    format!(
        "Access to fetch at '{url}' from origin '{origin}' has been blocked by CORS policy: \
         {preflight}{}",
        diagnosis.reason
    )
}

/// Whether the preflight answer's `Access-Control-Allow-Headers` lists `*`.
fn allow_headers_has_star(response: &WireResponse) -> bool {
    matches!(
        cors_model::extract_header_list_values(
            &response.headers,
            "access-control-allow-headers",
            cors_model::Abnf::TokenList
        ),
        cors_model::ListValues::Values(v) if v.iter().any(|h| h == "*")
    )
}
