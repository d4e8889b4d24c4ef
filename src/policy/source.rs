//! Where a layer takes each request's policy from: one fixed policy, a
//! fixed [`PathPolicies`] table, or a table replaced at run time through a
//! `PolicyHandle`.

#[cfg(feature = "reload")]
use std::fmt;
use std::sync::Arc;

#[cfg(feature = "reload")]
use arc_swap::{ArcSwap, Guard};

use super::paths::Table;
use super::{CorsPolicy, PathPolicies};

/// Replaces the policy of a layer made by
/// [`CorsLayer::reloadable`](crate::CorsLayer::reloadable), while it serves:
/// one [`CorsPolicy`] or a whole [`PathPolicies`] table.
///
/// [`replace`](Self::replace) swaps the whole compiled table atomically:
/// every request that starts after it sees the new one, a request in
/// flight finishes with the one it started with, and no answer ever mixes
/// two tables (nor two policies). Requests read the current policy without a lock
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
/// let (parts, ()) = http::Request::get("/").header("origin", "https://b.example.com").body(())?.into_parts();
/// assert!(handle.current().evaluate(&parts).is_allowed());
///
/// // A whole per-path table reloads the same way.
/// let table = tower_cors::PathPolicies::builder()
///     .prefix("/public", CorsPolicy::builder().allow_any_origin().build()?)
///     .build()?;
/// handle.replace(table);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "reload")]
#[cfg_attr(docsrs, doc(cfg(feature = "reload")))]
#[derive(Clone)]
pub struct PolicyHandle {
    // `CorsPolicy` rather than its compiled inside, so that a request reads it
    // through a guard (`load`: no reference count touched) and clones it only
    // when the response needs it.
    current: Arc<ArcSwap<PathPolicies>>,
}

#[cfg(feature = "reload")]
impl PolicyHandle {
    pub(crate) fn new(paths: PathPolicies) -> Self {
        Self {
            current: Arc::new(ArcSwap::from_pointee(paths)),
        }
    }

    /// Makes `paths` (a [`CorsPolicy`] or a [`PathPolicies`] table) the one
    /// applied to every request from now on.
    pub fn replace(&self, paths: impl Into<PathPolicies>) {
        self.current.store(Arc::new(paths.into()));
    }

    /// The table applied now ([`PathPolicies::evaluate`] asks it what it
    /// answers).
    pub fn current(&self) -> PathPolicies {
        PathPolicies::clone(&self.current.load())
    }

    /// A per-service view of the table in force: a load checks one pointer
    /// and takes the new table only after a `replace`.
    pub(crate) fn cache(&self) -> TableCache {
        arc_swap::Cache::new(Arc::clone(&self.current))
    }

    /// The table applied now, for the duration of one call.
    #[inline(always)]
    pub(crate) fn load(&self) -> Guard<Arc<PathPolicies>> {
        self.current.load()
    }
}

#[cfg(feature = "reload")]
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
    #[cfg(feature = "reload")]
    Reloadable(PolicyHandle),
    Paths(Arc<Table>),
    /// An enforced source with a report-only candidate beside it (boxed, so
    /// that layers without one stay as small as before).
    ReportOnly(Arc<ReportOnlySource>),
}

/// A source whose policy answers every request, and a candidate evaluated
/// beside it whose differences are only reported.
#[derive(Debug)]
pub(crate) struct ReportOnlySource {
    /// Never itself `Source::ReportOnly`.
    pub(crate) enforced: Source,
    pub(crate) candidate: PathPolicies,
}

impl From<PathPolicies> for Source {
    /// A table of one policy is served as that policy, with no path lookup.
    fn from(paths: PathPolicies) -> Self {
        match paths.split() {
            Ok(policy) => Source::Fixed(policy),
            Err(table) => Source::Paths(table),
        }
    }
}

impl Source {
    /// `self` with `candidate` evaluated beside it (replacing an earlier
    /// candidate).
    pub(crate) fn with_candidate(self, candidate: PathPolicies) -> Self {
        let enforced = match self {
            Source::ReportOnly(shadowed) => shadowed.enforced.clone(),
            other => other,
        };
        Source::ReportOnly(Arc::new(ReportOnlySource {
            enforced,
            candidate,
        }))
    }

    /// The policy for one request, whose path `path` gives; a reloadable
    /// source's is read once into `current`, which keeps it for the request.
    /// A source with a report-only candidate has no single policy: it is
    /// returned as the error.
    #[inline(always)]
    #[cfg_attr(not(feature = "reload"), allow(unused_variables))]
    pub(crate) fn policy<'a, 'p>(
        &'a self,
        path: impl FnOnce() -> &'p str,
        current: &'a mut Option<Current>,
    ) -> Result<&'a CorsPolicy, &'a ReportOnlySource> {
        match self {
            Source::Fixed(policy) => Ok(policy),
            #[cfg(feature = "reload")]
            // One read of the current policy answers the whole request.
            Source::Reloadable(handle) => Ok(current.insert(handle.load()).policy_for(path())),
            Source::Paths(table) => Ok(table.policy_for(path())),
            Source::ReportOnly(shadowed) => Err(shadowed),
        }
    }
}

/// A service's cached view of a reloadable table (see [`PolicyHandle::cache`]).
#[cfg(feature = "reload")]
pub(crate) type TableCache = arc_swap::Cache<Arc<ArcSwap<PathPolicies>>, Arc<PathPolicies>>;

/// What [`Source::policy`] keeps of a reloadable policy for one request.
#[cfg(feature = "reload")]
pub(crate) type Current = Guard<Arc<PathPolicies>>;
/// What [`Source::policy`] keeps of a reloadable policy for one request.
#[cfg(not(feature = "reload"))]
pub(crate) type Current = std::convert::Infallible;
