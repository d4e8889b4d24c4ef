//! [`CorsService`]: classifies each request, answers preflights itself and
//! forwards everything else.

use std::task::{Context, Poll};

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Method, Request, Response, Uri};
use tower_service::Service;

use crate::body::CorsBody;
use crate::future::ResponseFuture;
#[cfg(feature = "reload")]
use crate::policy::TableCache;
use crate::policy::{Action, CorsPolicy, Decision, PathPolicies, ReportOnlySource, Source};
#[cfg(feature = "tracing")]
use crate::refusal::Escaped;
use crate::refusal::{RefusalReport, ReportOnly};

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
    on_refusal: Option<OnRefusal>,
    /// For a reloadable source: this service's view of the table in force,
    /// one pointer comparison per request until the next `replace`.
    #[cfg(feature = "reload")]
    cache: Option<TableCache>,
}

impl<S> CorsService<S> {
    /// Wraps `inner` with a [`CorsPolicy`] or a [`PathPolicies`] table.
    pub fn new(inner: S, policy: impl Into<PathPolicies>) -> Self {
        Self::from_source(inner, Source::from(policy.into()), None)
    }

    pub(crate) fn from_source(inner: S, source: Source, on_refusal: Option<OnRefusal>) -> Self {
        Self {
            #[cfg(feature = "reload")]
            cache: match &source {
                Source::Reloadable(handle) => Some(handle.cache()),
                _ => None,
            },
            inner,
            source,
            on_refusal,
        }
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
        let inner = &mut self.inner;
        let hook = self.on_refusal.as_ref();
        // The common case first, on its own: a fixed policy, no hook, no
        // predicate that needs the request head as `Parts`.
        if let (Source::Fixed(policy), None) = (&self.source, hook) {
            if !policy.needs_parts() {
                return serve!(plain: inner, policy, None, req);
            }
        }
        // A reloadable table is read through this service's cache: the one in
        // force, without touching the shared storage unless it was replaced.
        #[cfg(feature = "reload")]
        let cached = self
            .cache
            .as_mut()
            .map(|c| c.load().policy_for(req.uri().path()));
        #[cfg(not(feature = "reload"))]
        let cached: Option<&CorsPolicy> = None;
        let mut current = None;
        let policy = match cached {
            Some(policy) => policy,
            None => match self.source.policy(|| req.uri().path(), &mut current) {
                Ok(policy) => policy,
                Err(shadowed) => return serve_report_only(inner, shadowed, hook, req),
            },
        };
        // A policy chosen at run time, written out here too; what is rarer
        // (a refusal hook) runs out of line.
        match hook {
            None if !policy.needs_parts() => serve!(plain: inner, policy, None, req),
            None => serve_parts(inner, policy, None, req),
            Some(_) => serve_hooked(inner, policy, hook, req),
        }
    }
}

/// [`serve!`] out of line, for a layer with a refusal hook: the hook's
/// report-building code stays out of [`CorsService::call`].
#[inline(never)]
fn serve_hooked<S, ReqBody, ResBody>(
    inner: &mut S,
    policy: &CorsPolicy,
    hook: Option<&OnRefusal>,
    req: Request<ReqBody>,
) -> ResponseFuture<S::Future>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    serve!(inner, policy, hook, req)
}

/// Applies one policy to one request: `serve!(inner, policy, hook, req)`.
///
/// A macro, not a function: a request (240 bytes for `Request<()>`) passed by
/// value into an inlined function is copied once more on the way, on every
/// request; written out in the caller, it goes from the caller's argument
/// straight to the inner service.
macro_rules! serve {
    ($inner:expr, $policy:expr, $hook:expr, $req:ident) => {{
        let (inner, policy, hook): (&mut S, &CorsPolicy, Option<&OnRefusal>) =
            ($inner, $policy, $hook);
        if policy.needs_parts() {
            serve_parts(inner, policy, hook, $req)
        } else {
            serve!(plain: inner, policy, hook, $req)
        }
    }};
    // For a policy without a predicate over `Parts`.
    (plain: $inner:expr, $policy:expr, $hook:expr, $req:ident) => {{
        let (inner, policy, hook): (&mut S, &CorsPolicy, Option<&OnRefusal>) =
            ($inner, $policy, $hook);
        let decision = policy.decide($req.method(), $req.headers(), None);
        observe(hook, policy, &decision, $req.method(), $req.uri(), $req.headers());
        match policy.action(decision, $req.method(), $req.headers(), None) {
            Action::Answer(answer) => {
                let (status, headers, body) = policy.answer(answer);
                ResponseFuture::answer(status, headers, body)
            }
            Action::Forward(decoration) => {
                ResponseFuture::forward(inner.call($req), policy.clone(), decoration)
            }
        }
    }};
}
use serve;

/// The [`on_refusal`](crate::CorsLayer::on_refusal) hook: called with
/// every refused request.
#[derive(Clone)]
pub(crate) struct OnRefusal(Arc<dyn Fn(&RefusalReport<'_>) + Send + Sync>);

impl OnRefusal {
    pub(crate) fn new(f: impl Fn(&RefusalReport<'_>) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl fmt::Debug for OnRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnRefusal(..)")
    }
}

/// [`serve!`] for a policy whose origin predicate takes the request head as
/// `Parts`: the request is taken apart and put back together, without copying.
#[inline(always)]
fn serve_parts<S, ReqBody, ResBody>(
    inner: &mut S,
    policy: &CorsPolicy,
    hook: Option<&OnRefusal>,
    req: Request<ReqBody>,
) -> ResponseFuture<S::Future>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    let (parts, body) = req.into_parts();
    let decision = policy.evaluate(&parts);
    observe(
        hook,
        policy,
        &decision,
        &parts.method,
        &parts.uri,
        &parts.headers,
    );
    match policy.action(decision, &parts.method, &parts.headers, Some(&parts)) {
        Action::Answer(answer) => {
            let (status, headers, body) = policy.answer(answer);
            ResponseFuture::answer(status, headers, body)
        }
        Action::Forward(decoration) => ResponseFuture::forward(
            inner.call(Request::from_parts(parts, body)),
            policy.clone(),
            decoration,
        ),
    }
}

/// Applies the enforced policy of a report-only layer to one request, and
/// reports how its candidate would answer differently. Out of line: layers
/// without a candidate never run it.
#[inline(never)]
fn serve_report_only<S, ReqBody, ResBody>(
    inner: &mut S,
    shadowed: &ReportOnlySource,
    hook: Option<&OnRefusal>,
    req: Request<ReqBody>,
) -> ResponseFuture<S::Future>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    let mut current = None;
    let policy = match shadowed.enforced.policy(|| req.uri().path(), &mut current) {
        Ok(policy) => policy,
        // `Source::with_candidate` never nests candidates.
        Err(nested) => return serve_report_only(inner, nested, hook, req),
    };
    let candidate = shadowed.candidate.policy_for(req.uri().path());
    if policy.same_as(candidate) {
        // Promoted: the candidate is the enforced policy, nothing can differ.
        return serve!(inner, policy, hook, req);
    }
    let (parts, body) = req.into_parts();
    let decision = policy.evaluate(&parts);
    let shadow = candidate.evaluate(&parts);
    let (method, headers) = (&parts.method, &parts.headers);
    let enforced_answer = policy.wire_answer(&decision, method, headers, Some(&parts));
    let candidate_answer = candidate.wire_answer(&shadow, method, headers, Some(&parts));
    let differs = enforced_answer != candidate_answer;
    if differs {
        report_difference(
            hook,
            &decision,
            &shadow,
            &enforced_answer.differences(&candidate_answer),
            &parts,
        );
    }
    let enforced_report_only =
        (differs && shadow.refused().is_none()).then_some(ReportOnly::CandidateAllows);
    observe_as(
        hook,
        policy,
        &decision,
        method,
        &parts.uri,
        headers,
        enforced_report_only,
    );
    let action = policy.action(decision, method, headers, Some(&parts));
    let req = Request::from_parts(parts, body);
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

/// A request the report-only candidate answers differently: a `tracing`
/// event, and the candidate's refusal (if it refuses) to the hook.
#[cold]
#[inline(never)]
fn report_difference(
    hook: Option<&OnRefusal>,
    enforced: &Decision,
    candidate: &Decision,
    differences: &str,
    parts: &http::request::Parts,
) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "tower_cors",
        origin = %Escaped::value(parts.headers.get(http::header::ORIGIN)),
        method = %Escaped::bare(parts.method.as_str().as_bytes(), 32),
        path = %Escaped::bare(parts.uri.path().as_bytes(), 256),
        enforced = %enforced,
        candidate = %candidate,
        differs = differences,
        "CORS report-only policy answers differently",
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (enforced, differences);
    if let (Some(hook), Some(refused)) = (hook, candidate.refused()) {
        let report = RefusalReport::new(
            refused,
            candidate.is_preflight(),
            &parts.method,
            &parts.uri,
            &parts.headers,
        )
        .with_report_only(Some(ReportOnly::CandidateRefusal));
        (hook.0)(&report);
    }
}

/// Reports a refusal to the hook and, with feature `tracing`, as an event.
/// Without either, one test of a null pointer: nothing else runs.
#[inline(always)]
fn observe(
    hook: Option<&OnRefusal>,
    policy: &CorsPolicy,
    decision: &Decision,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) {
    observe_as(hook, policy, decision, method, uri, headers, None);
}

/// [`observe`], marking the report with what a report-only candidate does.
#[inline(always)]
fn observe_as(
    hook: Option<&OnRefusal>,
    policy: &CorsPolicy,
    decision: &Decision,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    report_only: Option<ReportOnly>,
) {
    #[cfg(not(feature = "tracing"))]
    if hook.is_none() {
        return;
    }
    if let Some(refused) = decision.refused() {
        let report = RefusalReport::new(refused, decision.is_preflight(), method, uri, headers)
            .with_report_only(report_only)
            .with_policy(policy);
        refused_request(hook, &report);
    }
}

#[cold]
#[inline(never)]
fn refused_request(hook: Option<&OnRefusal>, report: &RefusalReport<'_>) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "tower_cors",
        origin = %Escaped::value(report.origin()),
        path = %Escaped::bare(report.path().as_bytes(), 256),
        preflight = report.is_preflight(),
        reason = %report.refusal(),
        refused = %report.subject().map_or(Escaped::NONE, Escaped::quoted),
        "CORS request refused",
    );
    if let Some(hook) = hook {
        (hook.0)(report);
    }
}
