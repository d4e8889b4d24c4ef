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
    const VALID: &str = "Have the server send the header with a valid value, or, if an opaque \
        response serves your needs, set the request's mode to 'no-cors' to fetch the resource \
        with CORS disabled.";
    match failure {
        CorsCheckFailure::MissingAllowOrigin => (
            "MissingAllowOriginHeader",
            "No 'Access-Control-Allow-Origin' header is present on the requested resource. If an \
             opaque response serves your needs, set the request's mode to 'no-cors' to fetch the \
             resource with CORS disabled."
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

/// The fixes for a failed CORS check on `response` (the preflight's when `preflight`).
fn cors_check_hints(
    req: &FetchRequest,
    failure: &CorsCheckFailure,
    response: &WireResponse,
    preflight: bool,
    preflight_passed: bool,
) -> Vec<String> {
    let origin = &req.origin;
    let status = response.status;
    let mut hints = Vec::new();
    match failure {
        CorsCheckFailure::MissingAllowOrigin => {
            if preflight {
                hints.extend(preflight_status_hints(status));
                if (200..300).contains(&status) {
                    hints.push(format!(
                        "the server answers OPTIONS {status} but without CORS headers: enable \
                         CORS for this path and let the CORS layer answer preflights itself, with \
                         `Access-Control-Allow-Origin: {origin}` and the Allow-Methods/Headers \
                         the request needs"
                    ));
                }
            } else if status >= 400 {
                let evidence = if preflight_passed {
                    "the preflight carried the CORS headers, but this "
                } else {
                    "this "
                };
                hints.push(format!(
                    "{evidence}{status} error answer has none: the CORS headers are added to \
                     successful answers only. In nginx, `add_header` applies to 2xx and 3xx \
                     answers only: add `always` to every CORS `add_header` (`add_header \
                     Access-Control-Allow-Origin {origin} always;`). In an application, make the \
                     CORS middleware the outermost layer so that error pages pass through it too"
                ));
            } else if preflight_passed {
                hints.push(format!(
                    "the preflight carried `Access-Control-Allow-Origin` but the actual answer \
                     does not: send `Access-Control-Allow-Origin: {origin}` (and \
                     `Access-Control-Allow-Credentials: true` when credentialed) on every \
                     answer, not only on OPTIONS"
                ));
            } else {
                hints.push(format!(
                    "the server sent no CORS headers: allow the origin {origin} \
                     (`Access-Control-Allow-Origin: {origin}` and `Vary: Origin`), or `*` for a \
                     public resource read without credentials"
                ));
            }
        }
        CorsCheckFailure::AllowOriginMismatch(value) => {
            let v = String::from_utf8_lossy(value);
            let lines = response
                .headers
                .get_all("access-control-allow-origin")
                .iter()
                .count();
            if v == "*" {
                hints.push(format!(
                    "`*` never allows a credentialed request: answer the request's own origin \
                     `{origin}` (checked against an allow-list) with \
                     `Access-Control-Allow-Credentials: true` and `Vary: Origin`, or fetch \
                     without credentials"
                ));
            } else if lines > 1 || v.contains([',', ' ']) {
                hints.push(format!(
                    "`Access-Control-Allow-Origin` must be one origin, sent once; this answer has \
                     {lines} header line(s) with '{v}'. Usually two layers both add it (the \
                     application and a proxy): keep one of them (in nginx, \
                     `proxy_hide_header Access-Control-Allow-Origin;` drops the upstream's). To \
                     allow several origins, pick the request's origin from an allow-list and \
                     answer only that one, with `Vary: Origin`"
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
                    "the server allows '{v}', not '{origin}': add `{origin}` to the server's \
                     allowed origins (scheme, host and port must all match), or check that the \
                     page really runs on the origin the server expects"
                ));
            }
            if preflight {
                hints.extend(preflight_status_hints(status));
            }
        }
        CorsCheckFailure::CredentialsNotTrue(value) => {
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

/// Fixes that follow from a preflight's status alone.
fn preflight_status_hints(status: u16) -> Vec<String> {
    let hint = match status {
        401 | 403 => format!(
            "the preflight was answered {status}: CORS sits behind authentication. A browser \
             never sends cookies or `Authorization` on a preflight, so answer OPTIONS preflights \
             before any authentication check: put the CORS layer outside (before) the auth \
             middleware, or exempt OPTIONS requests carrying `Access-Control-Request-Method`"
        ),
        404 | 405 | 501 => format!(
            "the preflight was answered {status}: the server does not handle OPTIONS on this \
             path. Add CORS middleware that answers preflights for every route (or an OPTIONS \
             handler returning 204 with the Access-Control-Allow-* headers)"
        ),
        300..=399 => format!(
            "the preflight was answered {status} (a redirect): browsers do not follow redirects \
             for preflights. Point the page at the final URL (a missing or extra trailing slash, \
             http→https) or answer the preflight at this URL"
        ),
        200..=299 => return Vec::new(),
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
            preflight_status_hints(response.status),
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
            let d = diagnose_preflight_error(req, response, &error);
            PreflightVerdict::Failed(d)
        }
    }
}

fn diagnose_preflight_error(
    req: &FetchRequest,
    response: &WireResponse,
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
                hints: cors_check_hints(req, failure, response, true, false),
            }
        }
        NetworkError::PreflightStatus(status) => Diagnosis {
            cors_error: "PreflightInvalidStatus",
            reason: "It does not have HTTP ok status.".to_owned(),
            hints: preflight_status_hints(*status),
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
                format!("add `{method}` to `Access-Control-Allow-Methods` on the preflight answer")
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
                    "add `{name}` to `Access-Control-Allow-Headers` on the preflight answer \
                     (names are case-insensitive)"
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
            hints: cors_check_hints(req, &failure, response, false, preflight_passed),
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
