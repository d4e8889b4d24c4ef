//! What a policy decides for one request, and why.

use std::fmt;

use http::{HeaderValue, Request};

use crate::refusal::{Refusal, RefusalReport, Refused};

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
/// let decision = policy.evaluate_request(&req);
/// assert!(matches!(decision, Decision::ActualRefused(_)));
/// assert_eq!(decision.refusal(), Some(Refusal::OriginNotAllowed));
/// let refused = decision.refused().expect("refused");
/// assert_eq!(refused.subject(req.headers()), Some(&b"https://evil.example"[..]));
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
    /// `Access-Control-*` header (or, under
    /// [`explain_preflight_refusals`](crate::PolicyBuilder::explain_preflight_refusals),
    /// like an allowed one for a refused method or header).
    PreflightRefused(Refused),
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
    ActualRefused(Refused),
    /// A request from one of the service's own origins
    /// ([`own_origins`](crate::PolicyBuilder::own_origins): its `Origin`
    /// equals one exactly) that the allow-list does not allow: forwarded like
    /// a request without `Origin`, with no `Access-Control-*` header, never
    /// refused by strict mode or the WebSocket guard, never reported as a
    /// refusal. `Host` and `Sec-Fetch-Site` never make a request same-origin:
    /// a DNS-rebinding page sends both.
    SameOrigin,
}

impl Decision {
    /// Whether the policy refuses the request (a preflight, or an actual
    /// request from a refused origin). `false` for a request without
    /// `Origin`, which CORS does not concern.
    pub fn is_refused(&self) -> bool {
        matches!(self, Self::PreflightRefused(_) | Self::ActualRefused(_))
    }

    /// Whether the policy allows a CORS request: exactly when the response
    /// carries `Access-Control-Allow-Origin` for it.
    ///
    /// `false` for [`NotCors`](Self::NotCors) and [`SameOrigin`](Self::SameOrigin)
    /// too, which are **not** refusals: such requests are forwarded and
    /// answered without `Access-Control-*` headers. To tell them apart,
    /// match on the variants or use [`is_refused`](Self::is_refused).
    pub fn is_allowed(&self) -> bool {
        matches!(
            self,
            Self::PreflightAllowed { .. } | Self::ActualAllowed { .. }
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

    /// Why the request is refused, if it is: the kind of refusal.
    pub fn refusal(&self) -> Option<Refusal> {
        self.refused().map(|r| r.refusal())
    }

    /// The refusal with its subject, if the request is refused: read the
    /// refused origin, method or header name with [`Refused::subject`].
    pub fn refused(&self) -> Option<Refused> {
        match self {
            Self::PreflightRefused(r) | Self::ActualRefused(r) => Some(*r),
            _ => None,
        }
    }

    /// The refusal with the request it was made for, for a log line
    /// ([`RefusalReport`]'s `Display`: the refused value, method, path,
    /// origin and Chrome's console sentence, escaped). `None` unless the
    /// request is refused. `request` must be the request this decision was
    /// made for.
    pub fn report<'a, B>(&self, request: &'a Request<B>) -> Option<RefusalReport<'a>> {
        let refused = self.refused()?;
        Some(RefusalReport::new(
            refused,
            self.is_preflight(),
            request.method(),
            request.uri(),
            request.headers(),
        ))
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
