//! [`PathPolicies`]: several policies in one layer, chosen by path prefix.

use std::fmt;
use std::sync::Arc;

use http::request::Parts;
use http::{HeaderMap, StatusCode};

use super::{describe, Compiled, CorsPolicy, Decision, Origins};
use crate::error::{Issue, IssueKind, PolicyError, Setting};

/// Several [`CorsPolicy`]s in one layer, each for the paths under a prefix:
/// the longest whole-segment prefix wins. Applied with
/// [`CorsLayer::per_path`](crate::CorsLayer::per_path).
///
/// - `prefix("/api", p)` covers `/api` and `/api/…`, never `/apiary`;
///   `prefix("/", p)` covers every path.
/// - A path no prefix covers gets the [`fallback`](PathPoliciesBuilder::fallback)
///   policy, or, without one, no `Access-Control-*` header at all: its
///   preflights are refused `403` and never reach the application.
/// - Preflights are judged by the policy of their own path and answered by
///   the layer, like with one policy.
///
/// Prefixes are compared, case-sensitively, with the path as the service
/// behind the layer will serve it: unreserved characters percent-decoded
/// (`/static/%70rivate` is `/static/private`, as `ServeDir` reads it),
/// repeated `/` collapsed (`//api/ws` is `/api/ws`, as
/// `NormalizePathLayer::trim_trailing_slash` makes it) and dot segments
/// resolved (`/a/./b/../c` is `/a/c`); other escapes stay encoded. A path
/// already in that form (no `%`, `//` or `/.`) is compared without a copy.
/// A path holding an encoded separator (`%2F`, `%5C`) that `ServeDir` would
/// serve from another entry than a router would (`/static/private%2Fkey`) is
/// treated as covered by no entry, whatever the fallback. The whole
/// reasoning, against axum's router, `NormalizePathLayer` and `ServeDir`, is
/// in [`docs::ordering`](crate::docs::ordering).
///
/// Where any entry is [strict](crate::PolicyBuilder::strict) or
/// [guards WebSockets](crate::PolicyBuilder::guard_websockets), a path no
/// entry covers (without a fallback) fails closed the same way: its
/// cross-origin WebSocket handshakes, and under strict mode its cross-origin
/// actual requests, are answered `403`. Requests from the
/// [own origins](crate::PolicyBuilder::own_origins) of any entry are
/// same-origin there.
///
/// ```
/// use tower_cors::{CorsLayer, CorsPolicy, PathPolicies};
///
/// let public = CorsPolicy::builder().allow_any_origin().build()?;
/// let api = CorsPolicy::builder()
///     .allow_origin("https://app.example.com")
///     .allow_credentials(true)
///     .build()?;
/// let paths = PathPolicies::builder()
///     .prefix("/public", public)
///     .prefix("/api", api)
///     .build()?;
/// assert!(paths.policy_for("/api/users").allows_credentials());
/// assert!(!paths.policy_for("/public/logo.png").allows_credentials());
/// let layer = CorsLayer::per_path(paths);
/// # Ok::<(), tower_cors::PolicyError>(())
/// ```
///
/// # The axum trap this replaces
///
/// A CORS layer attached to one method router, `get(handler).layer(cors)` or
/// `route_layer`, never sees the browser's `OPTIONS` preflight: axum answers
/// it `405 Method Not Allowed` (or the auth layer `401`) before the CORS
/// layer runs, and the browser reports "Response to preflight request doesn't
/// pass access control check". Different rules for different routes belong in
/// one `CorsLayer::per_path` around the whole router.
#[derive(Clone)]
pub struct PathPolicies {
    repr: Repr,
}

/// One policy for every path, or a table of prefixes.
#[derive(Clone)]
enum Repr {
    One(CorsPolicy),
    Table(Arc<Table>),
}

/// A single policy is a table with only a fallback: it applies to every
/// path. Everything that takes a table ([`CorsLayer::new`](crate::CorsLayer::new),
/// `CorsLayer::reloadable`, `PolicyHandle::replace`,
/// [`CorsLayer::report_only`](crate::CorsLayer::report_only)) takes a policy.
impl From<CorsPolicy> for PathPolicies {
    fn from(policy: CorsPolicy) -> Self {
        Self {
            repr: Repr::One(policy),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Table {
    /// Longest prefix first, so the first match is the longest; `/` is kept
    /// apart, in `root`.
    entries: Box<[(Box<str>, CorsPolicy)]>,
    /// The length of the shortest entry: a shorter path is covered by none.
    shortest: usize,
    /// The policy of prefix `/`, which covers every path no entry covers.
    root: Option<CorsPolicy>,
    /// The fallback, or the policy of uncovered paths.
    fallback: CorsPolicy,
    has_fallback: bool,
    /// The policy of a path no entry covers: no origin allowed, strict and
    /// guarding when any entry is. For ambiguous paths, and for uncovered
    /// ones without a fallback.
    closed: CorsPolicy,
}

impl PathPolicies {
    /// Starts a [`PathPoliciesBuilder`].
    pub fn builder() -> PathPoliciesBuilder {
        PathPoliciesBuilder::default()
    }

    /// The policy applied to requests for `path` (the path of the request's
    /// URI, without the query), compared in its normal form (see above).
    #[inline]
    pub fn policy_for(&self, path: &str) -> &CorsPolicy {
        match &self.repr {
            Repr::One(policy) => policy,
            Repr::Table(table) => table.policy_for(path),
        }
    }

    /// What the policy of the request's path answers (see
    /// [`CorsPolicy::evaluate`]).
    pub fn evaluate(&self, parts: &Parts) -> Decision {
        self.policy_for(parts.uri.path()).evaluate(parts)
    }

    /// The single policy of a table that has nothing but a fallback made
    /// from one policy, or the table of prefixes.
    #[inline(always)]
    pub(crate) fn split(self) -> Result<CorsPolicy, Arc<Table>> {
        match self.repr {
            Repr::One(policy) => Ok(policy),
            Repr::Table(table) => Err(table),
        }
    }
}

impl Table {
    /// [`PathPolicies::policy_for`] of a table of prefixes.
    #[inline]
    pub(crate) fn policy_for(&self, path: &str) -> &CorsPolicy {
        if super::path::is_normal(path.as_bytes()) {
            self.lookup(path)
        } else {
            self.lookup_normalized(path)
        }
    }

    /// [`lookup`](Self::lookup) for a path that is not normal, normalised
    /// first; one whose encoded separators would pick another entry when
    /// decoded is covered by none.
    #[cold]
    #[inline(never)]
    fn lookup_normalized(&self, path: &str) -> &CorsPolicy {
        let normal = super::path::normalize_owned(path);
        let chosen = self.lookup(&normal);
        if super::path::has_encoded_separator(&normal) {
            let decoded = super::path::decode_separators(&normal);
            if !self.lookup(&decoded).same_as(chosen) {
                return &self.closed;
            }
        }
        chosen
    }

    /// The entry whose prefix is the longest whole-segment prefix of the
    /// normal path `path`, or the fallback.
    #[inline]
    fn lookup(&self, path: &str) -> &CorsPolicy {
        let path = path.as_bytes();
        let entries = &self.entries;
        if path.len() >= self.shortest {
            // Longest first: skip, by binary search, the prefixes longer than the path.
            let fits = entries.partition_point(|(prefix, _)| prefix.len() > path.len());
            for (prefix, policy) in entries.get(fits..).unwrap_or_default() {
                let prefix = prefix.as_bytes();
                // Whole segments only: `/api` covers `/api` and `/api/x`, not `/apiary`.
                if path.starts_with(prefix)
                    && (path.len() == prefix.len() || path[prefix.len()] == b'/')
                {
                    return policy;
                }
            }
        }
        self.root.as_ref().unwrap_or(&self.fallback)
    }
}

impl fmt::Debug for PathPolicies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        match &self.repr {
            Repr::One(policy) => {
                map.entry(&"(fallback)", policy);
            }
            Repr::Table(table) => {
                for (prefix, policy) in table.entries.iter() {
                    map.entry(prefix, policy);
                }
                if let Some(root) = &table.root {
                    map.entry(&"/", root);
                }
                if table.has_fallback {
                    map.entry(&"(fallback)", &table.fallback);
                }
            }
        }
        map.finish()
    }
}

/// Collects the prefixes of a [`PathPolicies`]; [`build`](Self::build)
/// checks them all.
#[derive(Debug, Clone, Default)]
#[must_use = "call build() to get a PathPolicies"]
pub struct PathPoliciesBuilder {
    prefixes: Vec<(String, CorsPolicy)>,
    fallback: Option<CorsPolicy>,
}

impl PathPoliciesBuilder {
    /// Applies `policy` to `prefix` and every path below it. A prefix starts
    /// with `/`, holds no `?` or `#`, does not end with `/` (except `/`
    /// itself) and is given once.
    pub fn prefix(mut self, prefix: impl AsRef<str>, policy: CorsPolicy) -> Self {
        self.prefixes.push((prefix.as_ref().to_owned(), policy));
        self
    }

    /// The policy of every path no prefix covers. Without it, such paths
    /// allow no origin.
    pub fn fallback(mut self, policy: CorsPolicy) -> Self {
        self.fallback = Some(policy);
        self
    }

    /// Checks every prefix and compiles the table.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] listing every bad prefix
    /// ([`IssueKind::InvalidPathPrefix`]).
    pub fn build(self) -> Result<PathPolicies, PolicyError> {
        let mut issues = Vec::new();
        for (i, (prefix, _)) in self.prefixes.iter().enumerate() {
            if let Some(issue) = prefix_issue(prefix) {
                issues.push(issue.at(Setting::Paths, i));
            } else if self.prefixes[..i].iter().any(|(p, _)| p == prefix) {
                issues.push(
                    Issue::new(
                        IssueKind::InvalidPathPrefix,
                        prefix,
                        format!("path prefix {prefix:?} is given twice: keep one policy for it"),
                    )
                    .at(Setting::Paths, i),
                );
            }
        }
        if !issues.is_empty() {
            return Err(PolicyError::new(issues));
        }
        let mut entries: Vec<(Box<str>, CorsPolicy)> = self
            .prefixes
            .into_iter()
            .map(|(p, policy)| (p.into_boxed_str(), policy))
            .collect();
        crate::list::sort_by_key(&mut entries, |e| u64::MAX - e.0.len() as u64);
        let policies = || entries.iter().map(|(_, p)| p).chain(self.fallback.as_ref());
        let closed = CorsPolicy::uncovered(
            policies().flat_map(CorsPolicy::own_origins),
            policies().any(CorsPolicy::is_strict),
            policies().any(CorsPolicy::guards_websockets),
        );
        let root = entries
            .iter()
            .position(|(p, _)| &**p == "/")
            .map(|i| entries.remove(i).1);
        Ok(PathPolicies {
            repr: Repr::Table(Arc::new(Table {
                shortest: entries
                    .iter()
                    .map(|(p, _)| p.len())
                    .min()
                    .unwrap_or(usize::MAX),
                entries: entries.into_boxed_slice(),
                root,
                has_fallback: self.fallback.is_some(),
                fallback: self.fallback.unwrap_or_else(|| closed.clone()),
                closed,
            })),
        })
    }
}

/// The issue of a prefix [`PathPoliciesBuilder::build`] would refuse.
pub(super) fn prefix_issue(prefix: &str) -> Option<Issue> {
    let why = prefix_problem(prefix)?;
    Some(
        Issue::new(
            IssueKind::InvalidPathPrefix,
            prefix,
            format!("path prefix {prefix:?} {why}"),
        )
        .on(Setting::Paths),
    )
}

/// What is wrong with a prefix, with the fix.
fn prefix_problem(prefix: &str) -> Option<String> {
    if !prefix.starts_with('/') {
        return Some(format!(
            "does not start with \"/\": did you mean {:?}?",
            format!("/{}", prefix.trim_start_matches('/'))
        ));
    }
    if prefix.contains(['?', '#']) {
        let path = prefix.split(['?', '#']).next().unwrap_or("/");
        return Some(format!(
            "holds a query or fragment, which are not part of the path: did you mean {path:?}?"
        ));
    }
    if let Some(c) = prefix.chars().find(|&c| {
        !c.is_ascii_graphic() || matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
    }) {
        return Some(format!(
            "holds {c:?}, which a request path never holds unencoded: percent-encode it as the client sends it"
        ));
    }
    let normal = if super::path::is_normal(prefix.as_bytes()) {
        prefix.to_owned()
    } else {
        super::path::normalize_owned(prefix)
    };
    if normal != prefix && normal.trim_end_matches('/') != prefix.trim_end_matches('/') {
        return Some(format!(
            "is not in the form paths are compared in (unreserved characters decoded, one \"/\" between segments, no \".\" or \"..\" segments): did you mean {:?}?",
            match normal.trim_end_matches('/') {
                "" => "/",
                trimmed => trimmed,
            }
        ));
    }
    if prefix.len() > 1 && prefix.ends_with('/') {
        return Some(format!(
            "ends with \"/\": write {:?}, which covers it and every path below it",
            match prefix.trim_end_matches('/') {
                "" => "/",
                trimmed => trimmed,
            }
        ));
    }
    None
}

impl CorsPolicy {
    /// The policy of a path no [`PathPolicies`] entry covers: no origin is
    /// allowed, and nothing about the answer depends on the origin. Requests
    /// from `own` origins are same-origin; cross-origin ones are refused
    /// `403` under `strict`, WebSocket handshakes under `guard`.
    pub(crate) fn uncovered<'a>(
        own: impl Iterator<Item = &'a [u8]>,
        strict: bool,
        guard: bool,
    ) -> Self {
        let mut own_list: Vec<Box<[u8]>> = Vec::new();
        for o in own {
            if !own_list.iter().any(|x| **x == *o) {
                own_list.push(o.into());
            }
        }
        let mut compiled = Compiled {
            origins: Origins::Nobody,
            credentials: false,
            methods: Vec::new(),
            any_method: false,
            header_bytes: Box::default(),
            any_header: false,
            allow_methods: None,
            allow_headers: None,
            expose_headers: None,
            max_age: None,
            preflight_status: StatusCode::NO_CONTENT,
            strict,
            guard_websockets: guard,
            refuses_some: strict || guard,
            guard_null: false,
            own: own_list.into_boxed_slice(),
            needs_parts: false,
            private_network: false,
            explain: false,
            preflight_headers: HeaderMap::new(),
            described: describe::Origins::default(),
        };
        compiled.preflight_headers = compiled.preflight_template();
        Self {
            inner: Arc::new(compiled),
        }
    }
}
