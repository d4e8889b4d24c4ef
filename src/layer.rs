//! [`CorsLayer`]: applies a [`CorsPolicy`] to any service.

use tower_layer::Layer;

use crate::policy::CorsPolicy;
use crate::service::CorsService;

/// A [`Layer`] that wraps services in [`CorsService`], applying one
/// [`CorsPolicy`].
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
    policy: CorsPolicy,
}

impl CorsLayer {
    /// A layer applying `policy`.
    pub fn new(policy: CorsPolicy) -> Self {
        Self { policy }
    }

    /// The policy this layer applies.
    pub fn policy(&self) -> &CorsPolicy {
        &self.policy
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = CorsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CorsService::new(inner, self.policy.clone())
    }
}
