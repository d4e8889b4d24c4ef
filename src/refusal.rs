//! Why a request is refused, and what: [`Refusal`] (the kind), [`Refused`]
//! (the kind and where its subject sits in the request) and
//! [`RefusalReport`] (one refusal with its request, for logs and hooks).
//!
//! This module sits low in the crate: the header parser and the origin
//! matcher name their refusals here without knowing about policies.

use std::fmt;

pub(crate) use crate::escape::Escaped;

use http::header::{
    ACCESS_CONTROL_REQUEST_HEADERS as ACRH, ACCESS_CONTROL_REQUEST_METHOD as ACRM, HOST, ORIGIN,
};
use http::{HeaderMap, HeaderValue, Method, Uri};

/// Why a CORS request is refused: the kind of refusal, a small `Copy` value.
///
/// A `Refusal` never holds request bytes, so it is safe to log and to use as
/// a metrics label as it is. What was refused (the origin, the method, the
/// header name) comes with a [`Refused`], from the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// The origin is well-formed but not allowed by the policy.
    OriginNotAllowed,
    /// The `Origin` value is not a browser-serialized origin (empty, longer
    /// than 1024 bytes, control bytes, a path, uppercase, …). Reported when
    /// the policy has patterns or regexes, which need the origin parsed; with
    /// exact origins only, any origin missing from the list is
    /// [`OriginNotAllowed`](Self::OriginNotAllowed).
    OriginMalformed,
    /// The request has more than one `Origin` header.
    OriginDuplicated,
    /// `Origin: null` without [`allow_null_origin`](crate::PolicyBuilder::allow_null_origin).
    NullOriginNotAllowed,
    /// The preflight's `Access-Control-Request-Method` is not allowed
    /// (compared byte for byte).
    MethodNotAllowed,
    /// `Access-Control-Request-Method` is not a single method token.
    MethodMalformed,
    /// A name in `Access-Control-Request-Headers` is not allowed.
    HeaderNotAllowed,
    /// `Access-Control-Request-Headers` holds something other than header names.
    HeadersMalformed,
    /// `Access-Control-Request-Headers` is longer than 4096 bytes in total,
    /// or split over more than 16 header lines.
    HeadersTooLong,
    /// No policy of a [`PathPolicies`](crate::PathPolicies) covers the
    /// request's path, and it has no fallback.
    PathNotCovered,
}

impl Refusal {
    /// A short lowercase description, as written in logs and in the body of a
    /// refused preflight.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::OriginNotAllowed => "origin not allowed",
            Self::OriginMalformed => "malformed origin",
            Self::OriginDuplicated => "more than one origin header",
            Self::NullOriginNotAllowed => "null origin not allowed",
            Self::MethodNotAllowed => "method not allowed",
            Self::MethodMalformed => "malformed access-control-request-method",
            Self::HeaderNotAllowed => "request header not allowed",
            Self::HeadersMalformed => "malformed access-control-request-headers",
            Self::HeadersTooLong => "access-control-request-headers too long",
            Self::PathNotCovered => "no CORS policy for this path",
        }
    }

    /// The body of a `403` answering a refused preflight.
    pub(crate) fn preflight_body(&self) -> &'static str {
        match self {
            Self::OriginNotAllowed => "CORS preflight refused: origin not allowed\n",
            Self::OriginMalformed => "CORS preflight refused: malformed origin\n",
            Self::OriginDuplicated => "CORS preflight refused: more than one origin header\n",
            Self::NullOriginNotAllowed => "CORS preflight refused: null origin not allowed\n",
            Self::MethodNotAllowed => "CORS preflight refused: method not allowed\n",
            Self::MethodMalformed => {
                "CORS preflight refused: malformed access-control-request-method\n"
            }
            Self::HeaderNotAllowed => "CORS preflight refused: request header not allowed\n",
            Self::HeadersMalformed => {
                "CORS preflight refused: malformed access-control-request-headers\n"
            }
            Self::HeadersTooLong => {
                "CORS preflight refused: access-control-request-headers too long\n"
            }
            Self::PathNotCovered => "CORS preflight refused: no CORS policy for this path\n",
        }
    }

    /// The body of a `403` answering a refused actual request under a strict policy.
    pub(crate) fn actual_body(&self) -> &'static str {
        match self {
            Self::OriginMalformed => "CORS request refused: malformed origin\n",
            Self::OriginDuplicated => "CORS request refused: more than one origin header\n",
            Self::NullOriginNotAllowed => "CORS request refused: null origin not allowed\n",
            Self::PathNotCovered => "CORS request refused: no CORS policy for this path\n",
            _ => "CORS request refused: origin not allowed\n",
        }
    }

    /// The body of a `403` answering a WebSocket upgrade from a refused origin.
    pub(crate) fn websocket_body(&self) -> &'static str {
        match self {
            Self::OriginMalformed => "WebSocket upgrade refused: malformed origin\n",
            Self::OriginDuplicated => "WebSocket upgrade refused: more than one origin header\n",
            Self::NullOriginNotAllowed => "WebSocket upgrade refused: null origin not allowed\n",
            Self::PathNotCovered => "WebSocket upgrade refused: no CORS policy for this path\n",
            _ => "WebSocket upgrade refused: origin not allowed\n",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the subject of a refusal sits in the request's headers: a few
/// integers, so a decision names its subject without copying or allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum At {
    /// Nothing to name (an oversized header list, a path without policy).
    Nothing,
    /// The first `Origin` value.
    Origin,
    /// The first `Access-Control-Request-Method` value.
    Method,
    /// Bytes `start..end` of line `line` of `Access-Control-Request-Headers`.
    Headers { line: u8, start: u16, end: u16 },
}

/// A refusal and what it refuses: the [`Refusal`] kind, and the refused
/// origin, method or header name, located in the request.
///
/// `Refused` is `Copy` and holds no request bytes (the request path never
/// allocates for it): [`subject`](Self::subject) reads the refused value out
/// of the request's headers, and [`RefusalReport`] pairs both for logs.
///
/// ```
/// use http::Request;
/// use tower_cors::{CorsPolicy, Refusal};
///
/// let policy = CorsPolicy::builder()
///     .allow_origin("https://app.example.com")
///     .allow_headers(["content-type"])
///     .build()?;
/// let req = Request::options("/api")
///     .header("origin", "https://app.example.com")
///     .header("access-control-request-method", "GET")
///     .header("access-control-request-headers", "content-type, x-debug")
///     .body(())?;
/// let refused = policy.evaluate_request(&req).refused().expect("refused");
/// assert_eq!(refused.refusal(), Refusal::HeaderNotAllowed);
/// assert_eq!(refused.subject(req.headers()), Some(&b"x-debug"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Refused {
    refusal: Refusal,
    at: At,
    explained: bool,
}

impl Refused {
    /// A refusal about the request's `Origin`.
    pub(crate) fn origin(refusal: Refusal) -> Self {
        Self {
            refusal,
            at: At::Origin,
            explained: false,
        }
    }

    /// A refusal about `Access-Control-Request-Method`.
    pub(crate) fn method(refusal: Refusal) -> Self {
        Self {
            refusal,
            at: At::Method,
            explained: false,
        }
    }

    /// A refusal naming no request value.
    pub(crate) fn bare(refusal: Refusal) -> Self {
        Self {
            refusal,
            at: At::Nothing,
            explained: false,
        }
    }

    /// A refusal about bytes `start..end` of line `line` of
    /// `Access-Control-Request-Headers` (lines and lengths are capped far
    /// below `u8` and `u16`; larger values name nothing).
    pub(crate) fn headers(refusal: Refusal, line: usize, start: usize, end: usize) -> Self {
        let at = match (u8::try_from(line), u16::try_from(start), u16::try_from(end)) {
            (Ok(line), Ok(start), Ok(end)) => At::Headers { line, start, end },
            _ => At::Nothing,
        };
        Self {
            refusal,
            at,
            explained: false,
        }
    }

    /// The same refusal, answered under
    /// [`explain_preflight_refusals`](crate::PolicyBuilder::explain_preflight_refusals).
    pub(crate) fn explained(mut self, explained: bool) -> Self {
        self.explained = explained;
        self
    }

    /// The kind of refusal.
    pub fn refusal(&self) -> Refusal {
        self.refusal
    }

    /// Whether the preflight is answered like an allowed one, so that the
    /// browser names the refused method or header itself
    /// ([`explain_preflight_refusals`](crate::PolicyBuilder::explain_preflight_refusals)).
    pub fn is_explained(&self) -> bool {
        self.explained
    }

    /// The refused value as the request sent it, read from `headers` (the
    /// headers of the request the decision was made for): the whole `Origin`
    /// for origin refusals, the `Access-Control-Request-Method` for method
    /// refusals, the first refused name of `Access-Control-Request-Headers`
    /// for header refusals (the element where parsing stopped, when it is
    /// malformed). `None` for refusals that name nothing (an oversized header
    /// list, a path without policy) or when `headers` are not the request's.
    ///
    /// These are request bytes: escape them before logging (the `Display` of
    /// [`RefusalReport`] does).
    pub fn subject<'a>(&self, headers: &'a HeaderMap) -> Option<&'a [u8]> {
        match self.at {
            At::Nothing => None,
            At::Origin => headers.get(ORIGIN).map(HeaderValue::as_bytes),
            At::Method => headers.get(ACRM).map(HeaderValue::as_bytes),
            At::Headers { line, start, end } => headers
                .get_all(ACRH)
                .iter()
                .nth(usize::from(line))
                .and_then(|v| v.as_bytes().get(usize::from(start)..usize::from(end))),
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.refusal, f)
    }
}

/// One refused request: what was refused and the request it came in, as the
/// [`on_refusal`](crate::CorsLayer::on_refusal) hook receives it, or as
/// [`Decision::report`](crate::Decision::report) makes it.
///
/// Its `Display` is one log line: the refusal with its subject, the
/// request's method, path and origin, and the sentence Chrome's console
/// shows the user for that refusal, so the server's log and the user's
/// DevTools say the same thing. Every request byte in it is escaped:
/// printable ASCII only (`\n`, `\r`, `\t`, `\"`, `\xNN`), values cut at
/// 128 bytes (paths at 256), so no request can forge or split a log line
/// (flask-cors CVE-2024-1681).
///
/// ```
/// use http::Request;
/// use tower_cors::CorsPolicy;
///
/// let policy = CorsPolicy::builder().allow_origin("https://app.example.com").build()?;
/// let req = Request::options("/api/items")
///     .header("origin", "https://app.example.com")
///     .header("access-control-request-method", "GET")
///     .header("access-control-request-headers", "x-debug")
///     .body(())?;
/// let decision = policy.evaluate_request(&req);
/// let report = decision.report(&req).expect("refused");
/// assert_eq!(report.subject(), Some(&b"x-debug"[..]));
/// assert_eq!(
///     report.to_string(),
///     "CORS preflight refused: request header \"x-debug\" not allowed \
///      (OPTIONS /api/items, origin \"https://app.example.com\"); \
///      Chrome's console: \"...from origin 'https://app.example.com' has been blocked by CORS policy: \
///      Response to preflight request doesn't pass access control check: \
///      No 'Access-Control-Allow-Origin' header is present on the requested resource.\"",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RefusalReport<'a> {
    refused: Refused,
    preflight: bool,
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    report_only: Option<ReportOnly>,
    /// The policy that refused, for what only it knows: the near miss of a
    /// refused origin, whether a refused handshake was answered `403`. Asked
    /// only when the report is displayed.
    policy: Option<&'a dyn PolicyView>,
}

/// What a report asks of the policy that refused, when it is displayed.
pub(crate) trait PolicyView: fmt::Debug + Sync {
    /// An allowed origin that differs from `origin` only in its scheme, its
    /// port or a `www.` label, and which of them differs.
    fn near_miss(&self, origin: &[u8]) -> Option<(String, &'static str)>;
    /// Whether this request is a WebSocket handshake the policy answers
    /// `403` (the WebSocket guard).
    fn guards_handshake(&self, method: &Method, headers: &HeaderMap) -> bool;
}

/// What Chromium's console says of a WebSocket handshake answered `403`
/// (`websocket_stream.cc`); the browser suite reads it from the console.
pub(crate) const REFUSED_HANDSHAKE: &str =
    "Error during WebSocket handshake: Unexpected response code: 403";

/// How a [`report_only`](crate::CorsLayer::report_only) candidate policy
/// relates to a [`RefusalReport`]: see [`RefusalReport::report_only`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReportOnly {
    /// The refusal is the candidate's and was **not** enforced: the enforced
    /// policy answered the request otherwise (allowed it, or refused it for
    /// another reason or with another answer), and its answer was sent
    /// unchanged. Under the candidate, the request would have been refused
    /// like this.
    CandidateRefusal,
    /// The refusal is the enforced policy's (the request was refused); the
    /// candidate would have allowed it.
    CandidateAllows,
}

impl<'a> RefusalReport<'a> {
    pub(crate) fn new(
        refused: Refused,
        preflight: bool,
        method: &'a Method,
        uri: &'a Uri,
        headers: &'a HeaderMap,
    ) -> Self {
        Self {
            refused,
            preflight,
            method,
            uri,
            headers,
            report_only: None,
            policy: None,
        }
    }

    /// The report with the policy that refused, which its `Display` asks
    /// for a near miss.
    pub(crate) fn with_policy(mut self, policy: &'a dyn PolicyView) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The report marked as involving a report-only candidate.
    pub(crate) fn with_report_only(mut self, report_only: Option<ReportOnly>) -> Self {
        self.report_only = report_only;
        self
    }

    /// Whether, and how, a [`report_only`](crate::CorsLayer::report_only)
    /// candidate answers this request differently: `None` for a refusal of
    /// the enforced policy that the candidate would make the same way, and
    /// for layers without a candidate.
    ///
    /// A hook that only counts enforced refusals skips
    /// [`ReportOnly::CandidateRefusal`] reports: those requests were not
    /// refused.
    pub fn report_only(&self) -> Option<ReportOnly> {
        self.report_only
    }

    /// The refusal.
    pub fn refused(&self) -> Refused {
        self.refused
    }

    /// The kind of refusal.
    pub fn refusal(&self) -> Refusal {
        self.refused.refusal
    }

    /// Whether the request is a preflight.
    pub fn is_preflight(&self) -> bool {
        self.preflight
    }

    /// The request's method (`OPTIONS` for a preflight).
    pub fn method(&self) -> &'a Method {
        self.method
    }

    /// The request's path, as sent (not decoded).
    pub fn path(&self) -> &'a str {
        self.uri.path()
    }

    /// The request's (first) `Origin` header, as sent: escape it before logging.
    pub fn origin(&self) -> Option<&'a HeaderValue> {
        self.headers.get(ORIGIN)
    }

    /// The refused origin, method or header name, as sent (see
    /// [`Refused::subject`]): escape it before logging.
    pub fn subject(&self) -> Option<&'a [u8]> {
        self.refused.subject(self.headers)
    }

    /// The request's headers.
    pub fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    /// Whether the refused origin has the request's own `Host` (host and
    /// port): the service's own page, not declared with
    /// [`own_origins`](crate::PolicyBuilder::own_origins) — or a
    /// DNS-rebinding page, which sends the same. Never a reason to let the
    /// request through; the report's `Display` then says how to declare the
    /// origin. `Host` is read only when it is at most 1024 bytes long.
    pub fn origin_matches_host(&self) -> bool {
        self.refused.refusal == Refusal::OriginNotAllowed
            && matches!(
                (self.origin(), self.headers.get(HOST)),
                (Some(origin), Some(host))
                    if crate::origin::origin_matches_host(origin.as_bytes(), host.as_bytes())
            )
    }

    /// The reason Chrome's console gives for this refusal, after "has been
    /// blocked by CORS policy: " (Chromium `cors_error_string.cc`).
    pub fn console_reason(&self) -> impl fmt::Display + 'a {
        ConsoleReason {
            refused: self.refused,
            preflight: self.preflight,
            headers: self.headers,
        }
    }
}

impl fmt::Display for RefusalReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let handshake = !self.preflight
            && self
                .policy
                .is_some_and(|p| p.guards_handshake(self.method, self.headers));
        let kind = match (self.preflight, handshake) {
            (true, _) => "CORS preflight",
            (false, true) => "WebSocket handshake",
            (false, false) => "CORS request",
        };
        if self.report_only == Some(ReportOnly::CandidateRefusal) {
            f.write_str("report-only, not enforced: ")?;
        }
        write!(f, "{kind} refused: ")?;
        let subject = self.subject().map(Escaped::quoted);
        match (self.refused.refusal, subject) {
            (Refusal::OriginNotAllowed, Some(s)) => write!(f, "origin {s} not allowed")?,
            (Refusal::OriginMalformed, Some(s)) => write!(f, "malformed origin {s}")?,
            (Refusal::OriginDuplicated, Some(s)) => {
                write!(f, "more than one origin header (the first {s})")?
            }
            (Refusal::MethodNotAllowed, Some(s)) => write!(f, "method {s} not allowed")?,
            (Refusal::MethodMalformed, Some(s)) => {
                write!(f, "malformed access-control-request-method {s}")?
            }
            (Refusal::HeaderNotAllowed, Some(s)) => write!(f, "request header {s} not allowed")?,
            (Refusal::HeadersMalformed, Some(s)) => {
                write!(f, "malformed access-control-request-headers at {s}")?
            }
            (r, _) => f.write_str(r.as_str())?,
        }
        write!(
            f,
            " ({} {}, origin {}); ",
            Escaped::bare(self.method.as_str().as_bytes(), 32),
            Escaped::bare(self.uri.path().as_bytes(), 256),
            self.origin()
                .map_or(Escaped::NONE, |o| Escaped::quoted(o.as_bytes())),
        )?;
        if handshake {
            // Browsers apply no CORS to WebSockets: the console speaks of the
            // handshake's status, not of a CORS policy.
            write!(
                f,
                "Chrome's console: \"WebSocket connection to '...' failed: {REFUSED_HANDSHAKE}\""
            )?;
        } else {
            write!(
                f,
                "Chrome's console: \"...from origin '{}' has been blocked by CORS policy: {}\"",
                self.origin()
                    .map_or(Escaped::NONE, |o| Escaped::bare(o.as_bytes(), 128)),
                self.console_reason(),
            )?;
        }
        if let (Refusal::OriginNotAllowed, Some(policy), Some(origin)) =
            (self.refused.refusal, self.policy, self.origin())
        {
            if let Some((allowed, differs)) = policy.near_miss(origin.as_bytes()) {
                write!(
                    f,
                    "; the policy allows {}: {differs}",
                    Escaped::quoted(allowed.as_bytes())
                )?;
            }
        }
        if self.report_only == Some(ReportOnly::CandidateAllows) {
            f.write_str("; the report-only policy would allow it")?;
        }
        if self.origin_matches_host() {
            write!(
                f,
                "; the origin has this request's Host: if {} serves this service's own pages, declare it with own_origins (CORS_OWN_ORIGINS); a Host alone never makes a request same-origin (DNS rebinding sends it too)",
                self.origin()
                    .map_or(Escaped::NONE, |o| Escaped::quoted(o.as_bytes())),
            )?;
        }
        Ok(())
    }
}

/// The reason Chrome's console gives for a refusal (see
/// [`RefusalReport::console_reason`]); request bytes in it are escaped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConsoleReason<'a> {
    refused: Refused,
    preflight: bool,
    headers: &'a HeaderMap,
}

impl fmt::Display for ConsoleReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NO_ACAO: &str =
            "No 'Access-Control-Allow-Origin' header is present on the requested resource.";
        let subject = self.refused.subject(self.headers);
        match (self.refused.refusal, self.refused.explained, subject) {
            // Explained refusals reach the browser's own preflight checks, which name
            // the method or header (MethodDisallowedByPreflightResponse,
            // HeaderDisallowedByPreflightResponse).
            (Refusal::MethodNotAllowed, true, Some(m)) => write!(
                f,
                "Method {} is not allowed by Access-Control-Allow-Methods in preflight response.",
                Escaped::bare(m, 128)
            ),
            (Refusal::HeaderNotAllowed, true, Some(h)) => write!(
                f,
                "Request header field {} is not allowed by Access-Control-Allow-Headers in preflight response.",
                Escaped::bare(h, 128)
            ),
            // A bare 403 fails the CORS check before its status is looked at
            // (PreflightMissingAllowOriginHeader).
            _ if self.preflight => write!(
                f,
                "Response to preflight request doesn't pass access control check: {NO_ACAO}"
            ),
            // MissingAllowOriginHeader: a forwarded response without the header,
            // or a strict policy's 403.
            _ => write!(
                f,
                "{NO_ACAO} If an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_locations_out_of_range_name_nothing() {
        let r = Refused::headers(Refusal::HeaderNotAllowed, 300, 0, 1);
        assert_eq!(r.subject(&HeaderMap::new()), None);
        let r = Refused::headers(Refusal::HeaderNotAllowed, 0, 5, 9);
        let mut headers = HeaderMap::new();
        headers.insert(ACRH, HeaderValue::from_static("a,b"));
        assert_eq!(r.subject(&headers), None, "range beyond the value");
    }
}
