//! Where a layer takes each request's policy from: one fixed policy, a
//! policy replaced at run time through a [`PolicyHandle`], or
//! [`PathPolicies`].

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::{Compiled, CorsPolicy, PathPolicies};

/// Replaces the policy of a layer made by
/// [`CorsLayer::reloadable`](crate::CorsLayer::reloadable), while it serves.
///
/// [`replace`](Self::replace) swaps the whole compiled policy atomically:
/// every request that starts after it sees the new policy, a request in
/// flight finishes with the policy it started with, and no answer ever mixes
/// two policies. Requests read the current policy without a lock
/// ([`arc_swap`](https://docs.rs/arc-swap): no reader ever waits for a
/// writer or for another reader). Cloning a handle is cheap; every clone
/// controls the same layer (and every service it made).
///
/// ```
/// use tower_cors::{CorsLayer, CorsPolicy};
///
/// let before = CorsPolicy::builder().allow_origin("https://a.example.com").build()?;
/// let (layer, handle) = CorsLayer::reloadable(before);
///
/// // Later: from an admin endpoint, a SIGHUP handler, a background refresh.
/// let after = CorsPolicy::builder().allow_origin("https://b.example.com").build()?;
/// handle.replace(after);
///
/// let req = http::Request::get("/").header("origin", "https://b.example.com").body(())?;
/// assert!(handle.current().evaluate_request(&req).is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PolicyHandle {
    current: Arc<ArcSwap<Compiled>>,
}

impl PolicyHandle {
    pub(crate) fn new(policy: CorsPolicy) -> Self {
        Self {
            current: Arc::new(ArcSwap::new(policy.inner)),
        }
    }

    /// Makes `policy` the one applied to every request from now on.
    pub fn replace(&self, policy: CorsPolicy) {
        self.current.store(policy.inner);
    }

    /// The policy applied now.
    pub fn current(&self) -> CorsPolicy {
        CorsPolicy {
            inner: self.current.load_full(),
        }
    }
}

impl fmt::Debug for PolicyHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PolicyHandle")
            .field(&self.current())
            .finish()
    }
}

/// The policy source of a layer and its services.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Fixed(CorsPolicy),
    Reloadable(PolicyHandle),
    Paths(PathPolicies),
}
