//! [`CorsService`]: classifies each request, answers preflights itself and
//! forwards everything else.

use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use crate::body::CorsBody;
use crate::future::ResponseFuture;
use crate::policy::{Action, CorsPolicy};

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
    policy: CorsPolicy,
}

impl<S> CorsService<S> {
    /// Wraps `inner` with `policy`.
    pub fn new(inner: S, policy: CorsPolicy) -> Self {
        Self { inner, policy }
    }

    /// The policy applied.
    pub fn policy(&self) -> &CorsPolicy {
        &self.policy
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
        let decision = self.policy.evaluate_request(&req);
        #[cfg(feature = "tracing")]
        if let Some(refusal) = decision.refusal() {
            tracing::debug!(
                target: "tower_cors",
                origin = %crate::policy::Escaped(req.headers().get(http::header::ORIGIN)),
                preflight = decision.is_preflight(),
                reason = %refusal,
                "CORS request refused",
            );
        }
        match self.policy.action(decision, req.headers()) {
            Action::Answer(answer) => {
                let (status, headers, body) = self.policy.answer(answer);
                ResponseFuture::answer(status, headers, body)
            }
            Action::Forward(decoration) => {
                ResponseFuture::forward(self.inner.call(req), self.policy.clone(), decoration)
            }
        }
    }
}
