//! [`CorsLayer`]: applies a [`CorsPolicy`] to any service.

use tower_layer::Layer;

#[cfg(doc)]
use crate::policy::CorsPolicy;
#[cfg(feature = "reload")]
use crate::policy::PolicyHandle;
use crate::policy::{PathPolicies, Source};
use crate::refusal::RefusalReport;
use crate::service::{CorsService, OnRefusal};

/// A [`Layer`] that wraps services in [`CorsService`], applying one
/// [`CorsPolicy`] or a [`PathPolicies`] table (one policy per path prefix),
/// fixed ([`new`](Self::new)) or replaced at run time (`reloadable`,
/// feature `reload`).
///
/// Register it **outside** authentication, rate limiting and routing, so
/// that it sees preflights first (see the [ordering guide](crate::docs::ordering)).
///
/// ```
/// use axum::{routing::get, Router};
/// use tower_cors::{CorsLayer, CorsPolicy};
///
/// let policy = CorsPolicy::builder().allow_origin("https://app.example.com").build()?;
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .layer(CorsLayer::new(policy));
/// # Ok::<(), tower_cors::PolicyError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CorsLayer {
    source: Source,
    on_refusal: Option<OnRefusal>,
}

impl CorsLayer {
    /// A layer applying a [`CorsPolicy`], or a [`PathPolicies`] table: to
    /// each request, the policy of the longest prefix covering its path. A
    /// single policy is served as fast as ever: no path is looked at.
    pub fn new(policy: impl Into<PathPolicies>) -> Self {
        Self {
            source: Source::from(policy.into()),
            on_refusal: None,
        }
    }

    /// A layer applying `policy` until it is replaced through the returned
    /// [`PolicyHandle`]: for allow-lists edited at run time (an admin UI, a
    /// tenant table, a configuration reload on `SIGHUP`).
    ///
    /// Each request reads the current policy once, without a lock, and is
    /// answered entirely by it; a request in flight when the policy is
    /// replaced finishes with the one it started with.
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use tower_cors::{CorsLayer, CorsPolicy};
    ///
    /// let policy = CorsPolicy::builder().allow_origin("https://app.example.com").build()?;
    /// let (layer, handle) = CorsLayer::reloadable(policy);
    /// let app: Router = Router::new().route("/", get(|| async { "hello" })).layer(layer);
    ///
    /// // Elsewhere, later:
    /// handle.replace(
    ///     CorsPolicy::builder()
    ///         .allow_origins(["https://app.example.com", "https://new.example.com"])
    ///         .build()?,
    /// );
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    ///
    /// For allow-lists kept in a database or fetched from a service, rebuild
    /// the policy in a background task and swap it in; a list that no longer
    /// builds is reported and the current policy stays:
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use tower_cors::{CorsLayer, CorsPolicy};
    ///
    /// async fn load_origins() -> Vec<String> {
    ///     // SELECT origin FROM tenant_origins …
    ///     vec!["https://acme.example.com".into()]
    /// }
    ///
    /// # async fn run() -> Result<(), tower_cors::PolicyError> {
    /// let first = CorsPolicy::builder().allow_origins(load_origins().await).build()?;
    /// let (layer, handle) = CorsLayer::reloadable(first);
    /// tokio::spawn(async move {
    ///     let mut every = tokio::time::interval(Duration::from_secs(30));
    ///     loop {
    ///         every.tick().await;
    ///         match CorsPolicy::builder().allow_origins(load_origins().await).build() {
    ///             Ok(policy) => handle.replace(policy),
    ///             Err(e) => eprintln!("origins not reloaded: {e}"),
    ///         }
    ///     }
    /// });
    /// # let _ = layer;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "reload")]
    #[cfg_attr(docsrs, doc(cfg(feature = "reload")))]
    pub fn reloadable(policy: impl Into<PathPolicies>) -> (Self, PolicyHandle) {
        let handle = PolicyHandle::new(policy.into());
        let layer = Self {
            source: Source::Reloadable(handle.clone()),
            on_refusal: None,
        };
        (layer, handle)
    }

    /// A layer applying, to each request, the policy of the longest
    /// [`PathPolicies`] prefix covering its path.
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use tower_cors::{CorsLayer, CorsPolicy, PathPolicies};
    ///
    /// let paths = PathPolicies::builder()
    ///     .prefix("/public", CorsPolicy::builder().allow_any_origin().build()?)
    ///     .prefix(
    ///         "/api",
    ///         CorsPolicy::builder()
    ///             .allow_origin("https://app.example.com")
    ///             .allow_credentials(true)
    ///             .build()?,
    ///     )
    ///     .build()?;
    /// let app: Router = Router::new()
    ///     .route("/public/status", get(|| async { "ok" }))
    ///     .route("/api/me", get(|| async { "me" }))
    ///     .layer(CorsLayer::per_path(paths)); // around the whole router
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    pub fn per_path(paths: PathPolicies) -> Self {
        Self::new(paths)
    }

    /// Calls `f` with every refused request, for metrics or an audit log:
    /// the [`RefusalReport`] gives the request's method, path and origin, the
    /// [`Refusal`](crate::Refusal) and its subject (the refused origin,
    /// method or header name), and `Display`s as one escaped log line.
    ///
    /// Works with every constructor ([`new`](Self::new), `reloadable`,
    /// [`per_path`](Self::per_path)); a second call replaces the first hook. `f` runs on the request path,
    /// before the answer: keep it short (count, or hand the line to a
    /// logger). Requests without `Origin` and same-origin requests that are
    /// not preflights (from an [`own_origins`](crate::PolicyBuilder::own_origins)
    /// entry) are not refusals and never reach it; a preflight from an own
    /// origin is decided, and reported, like any other.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use axum::{routing::get, Router};
    /// use tower_cors::{CorsLayer, CorsPolicy};
    ///
    /// let refused = Arc::new(AtomicU64::new(0));
    /// let counter = refused.clone();
    /// let policy = CorsPolicy::builder().allow_origin("https://app.example.com").build()?;
    /// let layer = CorsLayer::new(policy).on_refusal(move |report| {
    ///     counter.fetch_add(1, Ordering::Relaxed);
    ///     eprintln!("{report}"); // escaped: safe for any log
    /// });
    /// let app: Router = Router::new().route("/", get(|| async { "hi" })).layer(layer);
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    pub fn on_refusal<F>(mut self, f: F) -> Self
    where
        F: Fn(&RefusalReport<'_>) + Send + Sync + 'static,
    {
        self.on_refusal = Some(OnRefusal::new(f));
        self
    }
}

impl CorsLayer {
    /// Evaluates `candidate` beside the enforced policy on every request,
    /// without enforcing it, and reports each request the candidate would
    /// answer differently (Envoy calls this shadow mode): for rolling out a
    /// stricter allow-list once the reports show that no legitimate origin
    /// depends on what it removes.
    ///
    /// **Responses never change**: the enforced policy answers every
    /// request. A request "answered differently" is one where the candidate
    /// would send another status, body or any other `Access-Control-*` or
    /// `Vary` header (a refused origin, a refused method or header, other
    /// credentials, exposed headers or max-age). Each is reported:
    ///
    /// - to the [`on_refusal`](Self::on_refusal) hook, when the candidate
    ///   would refuse it: a [`RefusalReport`] whose
    ///   [`report_only()`](RefusalReport::report_only) is
    ///   [`ReportOnly::CandidateRefusal`](crate::ReportOnly::CandidateRefusal)
    ///   (the request was not refused); and when the enforced policy refuses
    ///   a request the candidate would allow, its own report says
    ///   [`ReportOnly::CandidateAllows`](crate::ReportOnly::CandidateAllows);
    /// - with feature `tracing`, as an `info` event of target `tower_cors`,
    ///   "CORS report-only policy answers differently", with the escaped
    ///   origin, method and path, both decisions, and `differs`: what would
    ///   change (`status`, `body`, the names of the headers whose values
    ///   differ, or `forwarded / answered by the layer`).
    ///
    /// It composes with every constructor, and the candidate is a policy or
    /// a whole [`PathPolicies`] table: each request is compared with the
    /// candidate's policy for its path. With `reloadable` (feature
    /// `reload`), promote the candidate with one `PolicyHandle::replace` of
    /// the same policy or table (a clone): from then on the enforced policy
    /// *is* the candidate, nothing differs, and nothing is evaluated twice.
    /// A second call replaces the candidate.
    ///
    /// Cost: without a candidate, one policy evaluates each request. With
    /// one, every request carrying `Origin` is evaluated by both policies and
    /// both answers are built to be compared (a few small header maps).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tower::{service_fn, Layer, ServiceExt};
    /// use tower_cors::{CorsLayer, CorsPolicy, ReportOnly};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let today = CorsPolicy::builder()
    ///     .allow_origin_pattern("https://*.example.com")
    ///     .build()?;
    /// let stricter = CorsPolicy::builder()
    ///     .allow_origins(["https://app.example.com", "https://admin.example.com"])
    ///     .build()?;
    ///
    /// let would_break = Arc::new(Mutex::new(Vec::new()));
    /// let seen = would_break.clone();
    /// let (layer, handle) = CorsLayer::reloadable(today);
    /// let layer = layer.report_only(stricter.clone()).on_refusal(move |report| {
    ///     if report.report_only() == Some(ReportOnly::CandidateRefusal) {
    ///         let origin = report.origin().and_then(|o| o.to_str().ok()).unwrap_or("-");
    ///         seen.lock().unwrap().push(origin.to_owned());
    ///     }
    /// });
    /// let svc = layer.layer(service_fn(|_req: http::Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// }));
    ///
    /// let req = http::Request::get("/").header("origin", "https://legacy.example.com").body(())?;
    /// let res = svc.clone().oneshot(req).await?;
    /// // Still allowed: the candidate is only reported.
    /// assert_eq!(res.headers()["access-control-allow-origin"], "https://legacy.example.com");
    /// assert_eq!(*would_break.lock().unwrap(), ["https://legacy.example.com"]);
    ///
    /// // The reports are quiet: promote the candidate.
    /// handle.replace(stricter);
    /// let req = http::Request::get("/").header("origin", "https://legacy.example.com").body(())?;
    /// let res = svc.oneshot(req).await?;
    /// assert!(res.headers().get("access-control-allow-origin").is_none());
    /// assert_eq!(would_break.lock().unwrap().len(), 1); // the refusal is now enforced, not reported as report-only
    /// # Ok(())
    /// # }
    /// ```
    pub fn report_only(mut self, candidate: impl Into<PathPolicies>) -> Self {
        self.source = self.source.with_candidate(candidate.into());
        self
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = CorsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CorsService::from_source(inner, self.source.clone(), self.on_refusal.clone())
    }
}
