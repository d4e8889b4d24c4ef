//! What a policy decides for one request, and why.

use std::fmt;

use http::HeaderValue;

/// The answer a [`CorsPolicy`](crate::CorsPolicy) gives to one request,
/// computed by [`CorsPolicy::evaluate`](crate::CorsPolicy::evaluate) without
/// side effects.
///
/// ```
/// use http::{Method, Request};
/// use tower_cors::{CorsPolicy, Decision, Refusal};
///
/// let policy = CorsPolicy::builder().allow_origin("https://app.example.com").build()?;
/// let req = Request::get("/").header("origin", "https://evil.example").body(())?;
/// assert_eq!(policy.evaluate_request(&req), Decision::ActualRefused(Refusal::OriginNotAllowed));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// No `Origin` header: not a CORS request. Forwarded to the inner service;
    /// the response gets `Vary: Origin` (or `Access-Control-Allow-Origin: *`
    /// under a public policy).
    NotCors,
    /// A preflight the policy allows: answered directly with an ok status.
    PreflightAllowed {
        /// The value `Access-Control-Allow-Origin` will carry: the request's
        /// origin, or `*` under a public policy.
        allow_origin: HeaderValue,
    },
    /// A preflight the policy refuses: answered `403` with no
    /// `Access-Control-*` header.
    PreflightRefused(Refusal),
    /// An actual request from an allowed origin: forwarded, and its response
    /// (whatever its status) gets the CORS headers.
    ActualAllowed {
        /// The value `Access-Control-Allow-Origin` will carry.
        allow_origin: HeaderValue,
    },
    /// An actual request from a refused origin: forwarded without any
    /// `Access-Control-*` header (so the browser hides the response), or
    /// answered `403` by a [strict](crate::PolicyBuilder::strict) policy and,
    /// for a WebSocket upgrade, under
    /// [`guard_websockets`](crate::PolicyBuilder::guard_websockets).
    ActualRefused(Refusal),
    /// A request from the server's own origin (`Sec-Fetch-Site: same-origin`,
    /// or an `Origin` whose host and port are the request's own `Host`) that
    /// the policy does not list, where a refusal would be answered `403`:
    /// under strict mode, or a WebSocket upgrade under the guard. Forwarded
    /// like a request without `Origin`: same-origin requests are never
    /// refused. (Without strict mode or the guard such a request is
    /// [`ActualRefused`](Self::ActualRefused), which is forwarded the same way.)
    SameOrigin,
}

impl Decision {
    /// Whether a browser will be allowed to use the response.
    pub fn is_allowed(&self) -> bool {
        matches!(
            self,
            Self::PreflightAllowed { .. } | Self::ActualAllowed { .. } | Self::SameOrigin
        )
    }

    /// Whether the request is a CORS preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`).
    pub fn is_preflight(&self) -> bool {
        matches!(
            self,
            Self::PreflightAllowed { .. } | Self::PreflightRefused(_)
        )
    }

    /// Why the request is refused, if it is.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::PreflightRefused(r) | Self::ActualRefused(r) => Some(*r),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotCors => f.write_str("not a CORS request"),
            Self::PreflightAllowed { .. } => f.write_str("preflight allowed"),
            Self::PreflightRefused(r) => write!(f, "preflight refused: {r}"),
            Self::ActualAllowed { .. } => f.write_str("actual request allowed"),
            Self::ActualRefused(r) => write!(f, "actual request refused: {r}"),
            Self::SameOrigin => f.write_str("same-origin request"),
        }
    }
}

/// Why a CORS request is refused.
///
/// Refusals never echo request bytes, so they are safe to log as they are.
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
            _ => "CORS request refused: origin not allowed\n",
        }
    }

    /// The body of a `403` answering a WebSocket upgrade from a refused origin.
    pub(crate) fn websocket_body(&self) -> &'static str {
        match self {
            Self::OriginMalformed => "WebSocket upgrade refused: malformed origin\n",
            Self::OriginDuplicated => "WebSocket upgrade refused: more than one origin header\n",
            Self::NullOriginNotAllowed => "WebSocket upgrade refused: null origin not allowed\n",
            _ => "WebSocket upgrade refused: origin not allowed\n",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Displays a request header value for logs: printable ASCII only (other
/// bytes escaped as `\xNN`, so no log injection, flask-cors CVE-2024-1681),
/// at most 128 bytes.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) struct Escaped<'a>(pub(crate) Option<&'a HeaderValue>);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(value) = self.0 else {
            return f.write_str("-");
        };
        let bytes = value.as_bytes();
        let shown = &bytes[..bytes.len().min(128)];
        write!(f, "\"{}\"", shown.escape_ascii())?;
        if shown.len() < bytes.len() {
            write!(f, "… ({} bytes)", bytes.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_values_are_printable_ascii() {
        let cases: &[(&[u8], &str)] = &[
            (b"https://a.example", "\"https://a.example\""),
            (b"https://a\t\"x\xff", "\"https://a\\t\\\"x\\xff\""),
        ];
        for (raw, expected) in cases {
            let v = HeaderValue::from_bytes(raw).expect("valid header value");
            assert_eq!(Escaped(Some(&v)).to_string(), *expected);
        }
        let long = HeaderValue::from_bytes(&[b'a'; 300]).expect("valid");
        let shown = Escaped(Some(&long)).to_string();
        assert!(shown.ends_with("… (300 bytes)"), "{shown}");
        assert_eq!(Escaped(None).to_string(), "-");
    }
}
