//! [`CorsConfig`]: a policy's settings as plain data — the spec every front
//! end writes (files, the environment, [`PolicyBuilder`]'s methods) and the
//! one compiler reads.

use std::collections::BTreeMap;

use super::compile::compile;
#[cfg(doc)]
use super::PolicyBuilder;
use super::{CorsPolicy, PathPolicies};
use crate::error::{Front, Issue, IssueKind, PolicyError, Setting};

/// A CORS policy as plain data: what to read from a configuration file or
/// from the environment, per deployment, without rebuilding.
///
/// It is the same data a [`PolicyBuilder`] writes with its methods, and one
/// compiler checks both: a missing field takes its default (nothing
/// allowed, every switch off). [`build`](Self::build) reports every problem
/// at once, each naming its field and position (`allow_origins[1]`) and the
/// bad value, with the fix in the fields' terms. [`build_paths`](Self::build_paths)
/// compiles a configuration with per-path tables (`[paths."/api"]`), and
/// [`PolicyBuilder::from`] adds what only code can give (predicates).
///
/// | field | builder method | default |
/// |---|---|---|
/// | `allow_origins` | [`allow_origin`](PolicyBuilder::allow_origin) for an exact origin, [`allow_origin_pattern`](PolicyBuilder::allow_origin_pattern) for an entry with a `*` | empty |
/// | `allow_origin_regexes` | `allow_origin_regex` (feature `regex`; without it an entry is an error) | empty |
/// | `allow_any_origin` | [`allow_any_origin`](PolicyBuilder::allow_any_origin) | `false` |
/// | `allow_null_origin` | [`allow_null_origin`](PolicyBuilder::allow_null_origin) | `false` |
/// | `own_origins` | [`own_origins`](PolicyBuilder::own_origins): the origins of the service's own pages | empty |
/// | `allow_methods` | [`allow_methods`](PolicyBuilder::allow_methods) | empty (`GET`, `HEAD`, `POST` are always allowed) |
/// | `allow_headers` | [`allow_headers`](PolicyBuilder::allow_headers) | empty |
/// | `expose_headers` | [`expose_headers`](PolicyBuilder::expose_headers) | empty |
/// | `allow_credentials` | [`allow_credentials`](PolicyBuilder::allow_credentials) | `false` |
/// | `max_age` | [`max_age`](PolicyBuilder::max_age), in seconds | none (browsers cache 5 s) |
/// | `preflight_status` | [`preflight_status`](PolicyBuilder::preflight_status): `200` or `204` | `204` |
/// | `strict` | [`strict`](PolicyBuilder::strict) | `false` |
/// | `guard_websockets` | [`guard_websockets`](PolicyBuilder::guard_websockets) | `false` |
/// | `allow_private_network` | [`allow_private_network`](PolicyBuilder::allow_private_network) | `false` |
/// | `explain_preflight_refusals` | [`explain_preflight_refusals`](PolicyBuilder::explain_preflight_refusals) | `false` |
/// | `paths` | per-path tables, see [`build_paths`](Self::build_paths) | empty |
///
/// `"*"` in `allow_origins` is an error pointing at `allow_any_origin` (with
/// credentials, at listing origins), and `"null"` one pointing at
/// `allow_null_origin`: opening a policy to every origin takes its own
/// switch. An entry with a `*` is a pattern, whichever front end gave it.
///
/// With feature `serde` it is `Serialize` and `Deserialize`, with unknown
/// fields refused: a misspelt key (`allow_origin`) is an error, not a policy
/// silently more open or more closed than written. With the `config` or
/// `figment` crates it is one line,
/// `figment.extract::<CorsConfig>()?` or `config.try_deserialize::<CorsConfig>()?`.
///
/// ```
/// use tower_cors::CorsConfig;
///
/// let config = CorsConfig {
///     allow_origins: vec!["https://app.example.com".into(), "https://*.example.com".into()],
///     allow_methods: vec!["PUT".into(), "DELETE".into()],
///     allow_credentials: true,
///     max_age: Some(600),
///     ..CorsConfig::default()
/// };
/// let policy = config.build()?;
/// assert!(policy.allows_credentials());
///
/// let bad = CorsConfig {
///     allow_origins: vec!["https://app.example.com".into(), "https://example.com/".into()],
///     ..CorsConfig::default()
/// };
/// let err = bad.build().unwrap_err();
/// assert_eq!(err.issues()[0].field().as_deref(), Some("allow_origins[1]"));
/// assert_eq!(
///     err.to_string(),
///     "invalid CORS policy: allow_origins[1]: \"https://example.com/\" is not an origin as browsers send it (remove the trailing \"/\"): did you mean \"https://example.com\"?",
/// );
/// # Ok::<(), tower_cors::PolicyError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct CorsConfig {
    /// Exact origins (`https://app.example.com`) and patterns
    /// (`https://*.example.com`, `http://localhost:*`): an entry with a `*`
    /// is a pattern.
    pub allow_origins: Vec<String>,
    /// Anchored regular expressions over the whole origin (feature `regex`).
    pub allow_origin_regexes: Vec<String>,
    /// The public policy, `Access-Control-Allow-Origin: *`.
    pub allow_any_origin: bool,
    /// Allows the opaque origin `null`.
    pub allow_null_origin: bool,
    /// The origins the service's own pages are served from: requests from
    /// them are same-origin (never refused by `strict` or the WebSocket
    /// guard, never reported).
    pub own_origins: Vec<String>,
    /// Methods beyond `GET`, `HEAD` and `POST`, byte for byte.
    pub allow_methods: Vec<String>,
    /// Request header names, any case.
    pub allow_headers: Vec<String>,
    /// Response header names scripts may read.
    pub expose_headers: Vec<String>,
    /// Allows credentialed requests.
    pub allow_credentials: bool,
    /// `Access-Control-Max-Age`, in seconds.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub max_age: Option<u64>,
    /// Status of an allowed preflight's answer, `200` or `204` (default).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub preflight_status: Option<u16>,
    /// Answers actual requests from refused origins with `403`.
    pub strict: bool,
    /// Answers WebSocket handshakes from refused origins with `403`.
    pub guard_websockets: bool,
    /// Answers Private Network Access preflights.
    pub allow_private_network: bool,
    /// Lets the browser's console name a refused method or header
    /// (development aid).
    pub explain_preflight_refusals: bool,
    /// Per-path tables (one level): the policy of the paths under each
    /// prefix, compiled by [`build_paths`](Self::build_paths). The top-level
    /// fields are then the policy of the paths no prefix covers; entries do
    /// not inherit them.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "BTreeMap::is_empty"))]
    pub paths: BTreeMap<String, CorsConfig>,
    /// The environment prefix this configuration was read with
    /// ([`from_env`](Self::from_env)): its issues then name variables
    /// (`CORS_ALLOW_ORIGINS[1]`) instead of fields. `None` for configurations
    /// from files or code. Never read from or written to a file.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub env_prefix: Option<String>,
}

impl CorsConfig {
    /// Validates the configuration and compiles it into a [`CorsPolicy`],
    /// with the checks of [`PolicyBuilder::build`] (the same compiler).
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] listing every problem at once. An issue about one
    /// value names its field and position ([`Issue::field`],
    /// `allow_origins[1]`) and quotes the value; its fix names fields (or,
    /// for a configuration [read from the environment](Self::from_env),
    /// variables), never builder methods. A configuration with `paths` is a
    /// table: use [`build_paths`](Self::build_paths).
    pub fn build(&self) -> Result<CorsPolicy, PolicyError> {
        compile(self, &[], &self.front())
    }

    /// Compiles a configuration with per-path tables into [`PathPolicies`]
    /// (one for a layer: [`CorsLayer::new`](crate::CorsLayer::new) takes it).
    /// Without `paths`, the table has only a fallback: the policy
    /// [`build`](Self::build) compiles.
    ///
    /// ```
    /// use tower_cors::CorsConfig;
    ///
    /// # #[cfg(feature = "serde")] {
    /// let config: CorsConfig = toml::from_str(r#"
    ///     [paths."/public"]
    ///     allow_any_origin = true
    ///
    ///     [paths."/api"]
    ///     allow_origins = ["https://app.example.com", "https://pr-*.preview.example.com"]
    ///     allow_credentials = true
    /// "#).unwrap();
    /// let paths = config.build_paths()?;
    /// assert!(paths.policy_for("/api/users").allows_credentials());
    ///
    /// let bad: CorsConfig = toml::from_str(r#"
    ///     [paths."/api"]
    ///     allow_origins = ["https://app.example.com", "https://example.com/"]
    /// "#).unwrap();
    /// let err = bad.build_paths().unwrap_err();
    /// assert_eq!(err.issues()[0].field().as_deref(), Some(r#"paths["/api"].allow_origins[1]"#));
    /// # }
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    ///
    /// - The top-level fields are the fallback, the policy of the paths no
    ///   prefix covers. With `paths` set, a top level that allows no origin
    ///   is not an error: uncovered paths then get no CORS headers and their
    ///   preflights `403` (see [`PathPolicies`]).
    /// - Entries do not inherit the top level: each prefix states its whole
    ///   policy (credentials, own origins, …), so no setting reaches a path
    ///   unseen.
    /// - A `paths` table inside an entry is an error; so is a prefix that
    ///   [`PathPolicies`] refuses (no leading `/`, a trailing `/`, `?`, `#`).
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] listing every problem of every entry, each naming
    /// its place: `paths["/api"].allow_origins[1]: …`.
    pub fn build_paths(&self) -> Result<PathPolicies, PolicyError> {
        let front = self.front();
        let mut issues = Vec::new();
        let mut table = PathPolicies::builder();
        let top = Self {
            paths: BTreeMap::new(),
            ..self.clone()
        };
        if self.paths.is_empty() || top.allows_some_origin() {
            match compile(&top, &[], &front) {
                Ok(policy) => table = table.fallback(policy),
                Err(err) => issues.extend(err.issues().iter().cloned()),
            }
        }
        for (prefix, entry) in &self.paths {
            let mut found: Vec<Issue> = super::paths::prefix_issue(prefix).into_iter().collect();
            if !entry.paths.is_empty() {
                found.push(
                    Issue::new(
                        IssueKind::InvalidSetting,
                        "",
                        "a per-path table holds its own paths: tables nest one level only; list every prefix at the top level",
                    )
                    .on(Setting::Paths),
                );
            }
            let flat = Self {
                paths: BTreeMap::new(),
                ..entry.clone()
            };
            match compile(&flat, &[], &front) {
                Ok(policy) => table = table.prefix(prefix, policy),
                Err(err) => found.extend(err.issues().iter().cloned()),
            }
            issues.extend(
                found
                    .into_iter()
                    .map(|i| i.produced_by(&front, Some(prefix))),
            );
        }
        if !issues.is_empty() {
            return Err(PolicyError::new(issues));
        }
        table.build().map_err(|err| err.produced_by(&front, None))
    }

    /// Whether any origin setting is given.
    fn allows_some_origin(&self) -> bool {
        !self.allow_origins.is_empty()
            || !self.allow_origin_regexes.is_empty()
            || self.allow_any_origin
            || self.allow_null_origin
    }

    /// How this configuration's issues name settings.
    pub(crate) fn front(&self) -> Front {
        match &self.env_prefix {
            Some(prefix) => Front::Env(prefix.as_str().into()),
            None => Front::Config,
        }
    }
}
