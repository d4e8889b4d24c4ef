//! [`CorsService`]: classifies each request, answers preflights itself and
//! forwards everything else.

use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use crate::body::CorsBody;
use crate::future::ResponseFuture;
use crate::policy::{Action, CorsPolicy, Source};

/// A service applying a [`CorsPolicy`] to an inner service; made by
/// [`CorsLayer`](crate::CorsLayer).
///
/// - Preflights are answered directly and never reach the inner service.
/// - Every other request (including `OPTIONS` without
///   `Access-Control-Request-Method`) is forwarded, and the response —
///   whatever its status — gets the CORS headers the policy grants.
/// - Refused origins never get an `Access-Control-*` header, not even one
///   the inner service set.
///
/// The response body is wrapped in [`CorsBody`], so no `ResBody: Default`
/// bound is needed.
#[derive(Debug, Clone)]
pub struct CorsService<S> {
    inner: S,
    source: Source,
}

impl<S> CorsService<S> {
    /// Wraps `inner` with `policy`.
    pub fn new(inner: S, policy: CorsPolicy) -> Self {
        Self::from_source(inner, Source::Fixed(policy))
    }

    pub(crate) fn from_source(inner: S, source: Source) -> Self {
        Self { inner, source }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CorsService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<CorsBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        match &self.source {
            Source::Fixed(policy) => serve(&mut self.inner, policy, req),
            Source::Reloadable(handle) => {
                // One read of the current policy answers the whole request.
                let policy = handle.current();
                serve(&mut self.inner, &policy, req)
            }
            Source::Paths(paths) => {
                let policy = paths.policy_for(req.uri().path());
                serve(&mut self.inner, policy, req)
            }
        }
    }
}

/// Applies one policy to one request.
#[inline(always)]
fn serve<S, ReqBody, ResBody>(
    inner: &mut S,
    policy: &CorsPolicy,
    req: Request<ReqBody>,
) -> ResponseFuture<S::Future>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    let (action, req) = if policy.needs_parts() {
        // An origin predicate takes the request head as `Parts`: take the
        // request apart and put it back together, without copying.
        let (parts, body) = req.into_parts();
        let decision = policy.evaluate(&parts);
        trace(&decision, &parts.headers);
        let action = policy.action(decision, &parts.method, &parts.headers, Some(&parts));
        (action, Request::from_parts(parts, body))
    } else {
        let decision = policy.evaluate_request(&req);
        trace(&decision, req.headers());
        let action = policy.action(decision, req.method(), req.headers(), None);
        (action, req)
    };
    match action {
        Action::Answer(answer) => {
            let (status, headers, body) = policy.answer(answer);
            ResponseFuture::answer(status, headers, body)
        }
        Action::Forward(decoration) => {
            ResponseFuture::forward(inner.call(req), policy.clone(), decoration)
        }
    }
}

#[inline(always)]
fn trace(decision: &crate::Decision, headers: &http::HeaderMap) {
    #[cfg(feature = "tracing")]
    if let Some(refusal) = decision.refusal() {
        tracing::debug!(
            target: "tower_cors",
            origin = %crate::policy::Escaped(headers.get(http::header::ORIGIN)),
            preflight = decision.is_preflight(),
            reason = %refusal,
            "CORS request refused",
        );
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (decision, headers);
}
