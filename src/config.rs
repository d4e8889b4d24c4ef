//! [`CorsConfig`]: a policy as plain data, read from a configuration file
//! (feature `serde`) or from environment variables, and compiled with the
//! same checks as [`PolicyBuilder`].

use std::ffi::OsStr;
use std::time::Duration;

use http::StatusCode;

use crate::error::{Issue, IssueKind, List, PolicyError};
use crate::policy::{CorsPolicy, PolicyBuilder};

/// A CORS policy as plain data: what to read from a configuration file or
/// from the environment, per deployment, without rebuilding.
///
/// Every field mirrors a [`PolicyBuilder`] method of the same name, and a
/// missing field takes its default (nothing allowed, every switch off).
/// [`build`](Self::build) compiles it with the builder's checks and reports
/// every problem at once, each naming its field and position
/// (`allow_origins[1]`) and the bad value, with the builder's fix.
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
///
/// `"*"` in `allow_origins` is an error pointing at `allow_any_origin`, and
/// `"null"` one pointing at `allow_null_origin`: opening a policy to every
/// origin takes its own switch.
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
/// assert_eq!(err.issues()[0].field(), Some("allow_origins[1]"));
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
}

/// How a field is written in the environment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    List,
    Bool,
    Seconds,
    Status,
}

/// Every field, in declaration order, with its shape.
const FIELDS: [(&str, Shape); 15] = [
    ("allow_origins", Shape::List),
    ("allow_origin_regexes", Shape::List),
    ("allow_any_origin", Shape::Bool),
    ("allow_null_origin", Shape::Bool),
    ("own_origins", Shape::List),
    ("allow_methods", Shape::List),
    ("allow_headers", Shape::List),
    ("expose_headers", Shape::List),
    ("allow_credentials", Shape::Bool),
    ("max_age", Shape::Seconds),
    ("preflight_status", Shape::Status),
    ("strict", Shape::Bool),
    ("guard_websockets", Shape::Bool),
    ("allow_private_network", Shape::Bool),
    ("explain_preflight_refusals", Shape::Bool),
];

/// How issues name their source: configuration fields or environment
/// variables with a prefix.
enum Naming<'a> {
    Fields,
    Env(&'a str),
}

impl Naming<'_> {
    /// `allow_origins` or `CORS_ALLOW_ORIGINS`.
    fn field(&self, field: &str) -> String {
        match self {
            Self::Fields => field.to_owned(),
            Self::Env(prefix) => format!("{prefix}_{}", field.to_ascii_uppercase()),
        }
    }

    /// `allow_origins[1]` or `CORS_ALLOW_ORIGINS[1]`.
    fn entry(&self, field: &str, index: usize) -> String {
        format!("{}[{index}]", self.field(field))
    }

    /// `allow_credentials = true` or `CORS_ALLOW_CREDENTIALS=true`.
    fn set(&self, field: &str, value: &str) -> String {
        match self {
            Self::Fields => format!("{field} = {value}"),
            Self::Env(_) => format!("{}={value}", self.field(field)),
        }
    }

    /// Where an issue goes in a list sorted like the fields and their
    /// entries; issues about no field last.
    fn rank(&self, issue: &Issue) -> (usize, usize) {
        let Some(field) = issue.field() else {
            return (usize::MAX, 0);
        };
        let (name, index) = match field.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse().unwrap_or(0)),
            None => (field, 0),
        };
        let name = match self {
            Self::Fields => Some(name.to_owned()),
            Self::Env(prefix) => name
                .strip_prefix(prefix)
                .map(|n| n.trim_start_matches('_').to_ascii_lowercase()),
        };
        let position = name
            .and_then(|n| FIELDS.iter().position(|(f, _)| *f == n))
            .unwrap_or(usize::MAX - 1);
        (position, index)
    }

    /// The message of a problem of several settings, in terms of this source.
    fn combination(&self, kind: IssueKind) -> Option<String> {
        let origins = self.field("allow_origins");
        let any = self.set("allow_any_origin", "true");
        let null = self.set("allow_null_origin", "true");
        let credentials = self.set("allow_credentials", "true");
        Some(match kind {
            IssueKind::NoOrigin => {
                format!("no origin is allowed: list origins or patterns in {origins}, or set {any}")
            }
            IssueKind::AnyOriginWithExplicitOrigins => format!(
                "{any} already allows every origin: empty {origins} and {} and unset {null}, or unset {any}",
                self.field("allow_origin_regexes")
            ),
            IssueKind::AnyOriginWithCredentials => format!(
                "{any} cannot be combined with {credentials}: browsers reject \"*\" with credentials, and reflecting every origin instead would let any site read credentialed responses; list the trusted origins in {origins}"
            ),
            IssueKind::AnyOriginWithPrivateNetwork => format!(
                "{any} cannot be combined with {}: every public website could then reach this private-network service from its visitors' browsers; list the public origins that may reach it in {origins}",
                self.set("allow_private_network", "true")
            ),
            IssueKind::AnyOriginWithWebSocketGuard => format!(
                "{any} cannot be combined with {}: a WebSocket handshake always carries the user's cookies, so the guard admits only origins that could read a credentialed answer; list the origins that may open a socket in {origins}",
                self.set("guard_websockets", "true")
            ),
            IssueKind::NullOriginWithCredentials => format!(
                "{null} cannot be combined with {credentials}: any page can send \"Origin: null\" from a sandboxed iframe and read credentialed responses; unset one of them"
            ),
            _ => return None,
        })
    }

    /// Rewrites a builder message in terms of this source: builder methods
    /// become the fields or variables that set them.
    fn rewrite(&self, message: &str) -> String {
        let replacements = [
            (
                "allow_credentials(true)",
                self.set("allow_credentials", "true"),
            ),
            ("allow_any_origin()", self.set("allow_any_origin", "true")),
            (
                "allow_private_network(true)",
                self.set("allow_private_network", "true"),
            ),
            (
                "guard_websockets(true)",
                self.set("guard_websockets", "true"),
            ),
            ("allow_null_origin()", self.set("allow_null_origin", "true")),
            ("allow_origin_pattern()", self.field("allow_origins")),
            ("allow_origin_regex()", self.field("allow_origin_regexes")),
            ("allow_origins()", self.field("allow_origins")),
            ("allow_origin()", self.field("allow_origins")),
            ("allow_methods()", self.field("allow_methods")),
            ("allow_headers()", self.field("allow_headers")),
            ("expose_headers()", self.field("expose_headers")),
            (
                "StatusCode::NO_CONTENT (default) or StatusCode::OK",
                "204 (default) or 200".to_owned(),
            ),
        ];
        let mut text = message.to_owned();
        for (from, to) in &replacements {
            text = text.replace(from, to);
        }
        text
    }
}

impl CorsConfig {
    /// Validates the configuration and compiles it into a [`CorsPolicy`],
    /// with every check of [`PolicyBuilder::build`].
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] listing every problem at once. An issue about one
    /// value names its field and position ([`Issue::field`],
    /// `allow_origins[1]`) and quotes the value; its fix names fields, not
    /// builder methods.
    ///
    /// # Panics
    ///
    /// Never.
    pub fn build(&self) -> Result<CorsPolicy, PolicyError> {
        self.compile(&Naming::Fields)
    }

    fn compile(&self, naming: &Naming<'_>) -> Result<CorsPolicy, PolicyError> {
        let mut issues = Vec::new();
        let mut builder = PolicyBuilder::default();
        // Where each exact origin and each pattern came from in `allow_origins`.
        let (mut exact_at, mut pattern_at) = (Vec::new(), Vec::new());
        for (i, entry) in self.allow_origins.iter().enumerate() {
            let trimmed = entry.trim();
            let refuse = |why: String| {
                Issue::new(IssueKind::InvalidOrigin, entry.as_str(), String::new())
                    .located(Some(naming.entry("allow_origins", i)), why)
            };
            if trimmed == "*" {
                issues.push(refuse(format!(
                    "{entry:?} is not an origin: set {} for a public policy",
                    naming.set("allow_any_origin", "true")
                )));
            } else if trimmed == "null" {
                issues.push(refuse(format!(
                    "{entry:?} is not an origin: set {} to allow the opaque origin",
                    naming.set("allow_null_origin", "true")
                )));
            } else if entry.contains('*') {
                builder = builder.allow_origin_pattern(entry);
                pattern_at.push(i);
            } else {
                builder = builder.allow_origin(entry);
                exact_at.push(i);
            }
        }
        let origins_refused = !issues.is_empty();
        #[cfg(feature = "regex")]
        for regex in &self.allow_origin_regexes {
            builder = builder.allow_origin_regex(regex);
        }
        #[cfg(not(feature = "regex"))]
        for (i, regex) in self.allow_origin_regexes.iter().enumerate() {
            issues.push(
                Issue::new(IssueKind::InvalidSetting, regex.as_str(), String::new()).located(
                    Some(naming.entry("allow_origin_regexes", i)),
                    format!(
                        "{regex:?} needs the crate feature \"regex\": enable it, or write a pattern such as \"https://*.example.com\" in {}",
                        naming.field("allow_origins")
                    ),
                ),
            );
        }
        if self.allow_any_origin {
            builder = builder.allow_any_origin();
        }
        if self.allow_null_origin {
            builder = builder.allow_null_origin();
        }
        builder = builder
            .own_origins(&self.own_origins)
            .allow_methods(self.allow_methods.iter().map(String::as_str))
            .allow_headers(self.allow_headers.iter().map(String::as_str))
            .expose_headers(self.expose_headers.iter().map(String::as_str))
            .allow_credentials(self.allow_credentials)
            .strict(self.strict)
            .guard_websockets(self.guard_websockets)
            .allow_private_network(self.allow_private_network)
            .explain_preflight_refusals(self.explain_preflight_refusals);
        if let Some(seconds) = self.max_age {
            builder = builder.max_age(Duration::from_secs(seconds));
        }
        if let Some(code) = self.preflight_status {
            match StatusCode::from_u16(code) {
                Ok(status) => builder = builder.preflight_status(status),
                Err(_) => issues.push(
                    Issue::new(
                        IssueKind::InvalidPreflightStatus,
                        code.to_string(),
                        String::new(),
                    )
                    .located(
                        Some(naming.field("preflight_status")),
                        format!("{code} is not an HTTP status: use 204 (default) or 200"),
                    ),
                ),
            }
        }
        let built = builder.build();
        let policy = match built {
            Ok(policy) if issues.is_empty() => return Ok(policy),
            Ok(_) => None,
            Err(err) => Some(err),
        };
        for issue in policy.iter().flat_map(|e| e.issues()) {
            let field = match (issue.entry(), issue.kind()) {
                (Some((list, i)), _) => {
                    let (name, index) = match list {
                        List::Origins => ("allow_origins", exact_at.get(i).copied()),
                        List::Patterns => ("allow_origins", pattern_at.get(i).copied()),
                        List::Regexes => ("allow_origin_regexes", Some(i)),
                        List::Methods => ("allow_methods", Some(i)),
                        List::Headers => ("allow_headers", Some(i)),
                        List::Expose => ("expose_headers", Some(i)),
                        List::OwnOrigins => ("own_origins", Some(i)),
                    };
                    Some(naming.entry(name, index.unwrap_or(i)))
                }
                (None, IssueKind::InvalidPreflightStatus) => Some(naming.field("preflight_status")),
                // Entries of `allow_origins` already refused: no second issue saying
                // that no origin is left.
                (None, IssueKind::NoOrigin) if origins_refused => continue,
                (None, kind) => {
                    let message = naming
                        .combination(kind)
                        .unwrap_or_else(|| naming.rewrite(issue.message()));
                    issues.push(issue.clone().located(None, message));
                    continue;
                }
            };
            let message = naming.rewrite(issue.message());
            issues.push(issue.clone().located(field, message));
        }
        // In the order of the fields and their entries; combinations last.
        issues.sort_by_key(|issue| naming.rank(issue));
        Err(PolicyError::new(issues))
    }

    /// Reads a configuration from environment variables named after the
    /// fields: with prefix `"CORS"`, `CORS_ALLOW_ORIGINS`,
    /// `CORS_ALLOW_CREDENTIALS`, `CORS_MAX_AGE`, … (the field name in
    /// uppercase after the prefix and `_`).
    ///
    /// - Lists are comma-separated; spaces around entries and empty entries
    ///   are ignored: `CORS_ALLOW_ORIGINS="https://a.com, https://*.b.com"`.
    /// - Switches are `true` or `false` (any case).
    /// - `CORS_MAX_AGE` is whole seconds, `CORS_PREFLIGHT_STATUS` `200` or `204`.
    /// - A variable set to the empty string (or only spaces) counts as unset.
    /// - Any other variable starting with `CORS_` is an error, with a "did
    ///   you mean" hint: a misspelt `CORS_ALLOWED_ORIGINS` would otherwise be
    ///   ignored silently.
    ///
    /// Values are checked as [`build`](Self::build) checks them, so a bad
    /// origin, method or header is reported here, naming the variable and
    /// position (`CORS_ALLOW_ORIGINS[1]`); problems of a combination of
    /// settings (credentials with `*`, no origin at all) are left to
    /// `build()`, as fields may still be changed in code before it.
    ///
    /// ```
    /// use tower_cors::CorsConfig;
    ///
    /// // Usually: let config = CorsConfig::from_env("CORS")?;
    /// let config = CorsConfig::from_vars("CORS", [
    ///     ("CORS_ALLOW_ORIGINS", "https://app.example.com, https://*.example.com"),
    ///     ("CORS_ALLOW_CREDENTIALS", "true"),
    ///     ("CORS_MAX_AGE", "600"),
    ///     ("PATH", "/usr/bin"),
    /// ])?;
    /// assert_eq!(config.allow_origins, ["https://app.example.com", "https://*.example.com"]);
    /// let policy = config.build()?;
    ///
    /// let err = CorsConfig::from_vars("CORS", [("CORS_ALLOWED_ORIGINS", "https://a.com")])
    ///     .unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid CORS policy: CORS_ALLOWED_ORIGINS: unknown variable: did you mean CORS_ALLOW_ORIGINS?",
    /// );
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] listing every bad variable at once, each naming the
    /// variable and its value.
    pub fn from_env(prefix: &str) -> Result<Self, PolicyError> {
        Self::from_vars(prefix, std::env::vars_os())
    }

    /// [`from_env`](Self::from_env) from the given name-value pairs instead
    /// of the process environment (for tests, or variables gathered
    /// elsewhere). Pairs whose name does not start with the prefix are
    /// ignored; a later pair for the same variable replaces an earlier one.
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env).
    pub fn from_vars<I, K, V>(prefix: &str, vars: I) -> Result<Self, PolicyError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let prefix = prefix.trim_end_matches('_');
        let head = format!("{prefix}_");
        let mut config = Self::default();
        let mut issues = Vec::new();
        for (name, value) in vars {
            let Some(name) = name.as_ref().to_str() else {
                continue;
            };
            let Some(rest) = name.strip_prefix(&head) else {
                continue;
            };
            let Some((field, shape)) = FIELDS.iter().find(|(f, _)| rest == f.to_ascii_uppercase())
            else {
                issues.push(unknown_variable(prefix, name));
                continue;
            };
            let located = |kind, input: &str, message: String| {
                Issue::new(kind, input, String::new()).located(Some(name.to_owned()), message)
            };
            let Some(text) = value.as_ref().to_str() else {
                let shown = value.as_ref().to_string_lossy().into_owned();
                issues.push(located(
                    IssueKind::InvalidSetting,
                    &shown,
                    format!("{shown:?} is not valid UTF-8"),
                ));
                continue;
            };
            let text = text.trim();
            if text.is_empty() {
                config.reset(field);
                continue;
            }
            let bad = |expected: &str| {
                located(
                    IssueKind::InvalidSetting,
                    text,
                    format!("{text:?} is not {expected}"),
                )
            };
            match shape {
                Shape::List => config.set_list(field, text),
                Shape::Bool => match parse_bool(text) {
                    Some(b) => config.set_bool(field, b),
                    None => issues.push(bad("true or false")),
                },
                Shape::Seconds => match text.parse::<u64>() {
                    Ok(n) => config.max_age = Some(n),
                    Err(_) => issues.push(bad("a number of seconds, e.g. 600")),
                },
                Shape::Status => match text.parse::<u16>() {
                    Ok(n) => config.preflight_status = Some(n),
                    Err(_) => issues.push(bad("an HTTP status: use 204 (default) or 200")),
                },
            }
        }
        // Only problems of one value, checked without credentials (which
        // make `*` and broad regexes errors): combinations of settings may
        // still change in code before `build()`.
        let probe = Self {
            allow_credentials: false,
            ..config.clone()
        };
        if let Err(err) = probe.compile(&Naming::Env(prefix)) {
            issues.extend(err.issues().iter().filter(|i| i.field().is_some()).cloned());
        }
        issues.sort_by_key(|issue| Naming::Env(prefix).rank(issue));
        if issues.is_empty() {
            Ok(config)
        } else {
            Err(PolicyError::new(issues))
        }
    }

    fn reset(&mut self, field: &str) {
        let default = Self::default();
        match field {
            "max_age" => self.max_age = default.max_age,
            "preflight_status" => self.preflight_status = default.preflight_status,
            _ => match self.list_mut(field) {
                Some(list) => list.clear(),
                None => self.set_bool(field, false),
            },
        }
    }

    fn list_mut(&mut self, field: &str) -> Option<&mut Vec<String>> {
        match field {
            "allow_origins" => Some(&mut self.allow_origins),
            "allow_origin_regexes" => Some(&mut self.allow_origin_regexes),
            "own_origins" => Some(&mut self.own_origins),
            "allow_methods" => Some(&mut self.allow_methods),
            "allow_headers" => Some(&mut self.allow_headers),
            "expose_headers" => Some(&mut self.expose_headers),
            _ => None,
        }
    }

    fn set_list(&mut self, field: &str, text: &str) {
        if let Some(list) = self.list_mut(field) {
            *list = text
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect();
        }
    }

    fn set_bool(&mut self, field: &str, value: bool) {
        let slot = match field {
            "allow_any_origin" => &mut self.allow_any_origin,
            "allow_null_origin" => &mut self.allow_null_origin,
            "allow_credentials" => &mut self.allow_credentials,
            "strict" => &mut self.strict,
            "guard_websockets" => &mut self.guard_websockets,
            "allow_private_network" => &mut self.allow_private_network,
            "explain_preflight_refusals" => &mut self.explain_preflight_refusals,
            _ => return,
        };
        *slot = value;
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn unknown_variable(prefix: &str, name: &str) -> Issue {
    let candidates = FIELDS
        .iter()
        .map(|(f, _)| format!("{prefix}_{}", f.to_ascii_uppercase()));
    let best = candidates
        .map(|c| (edit_distance(name, &c), c))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, c)| *d <= (c.len() / 3).max(2));
    let message = match best {
        Some((_, c)) => format!("unknown variable: did you mean {c}?"),
        None => {
            let all: Vec<String> = FIELDS
                .iter()
                .map(|(f, _)| format!("{prefix}_{}", f.to_ascii_uppercase()))
                .collect();
            format!("unknown variable: the known ones are {}", all.join(", "))
        }
    };
    Issue::new(IssueKind::UnknownSetting, name, String::new())
        .located(Some(name.to_owned()), message)
}

/// Levenshtein distance over bytes, case-insensitive; two rows.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(!ca.eq_ignore_ascii_case(&cb));
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        let cases = [
            ("", "", 0),
            ("abc", "abc", 0),
            ("abc", "ABC", 0),
            ("kitten", "sitting", 3),
            ("CORS_ALLOWED_ORIGINS", "CORS_ALLOW_ORIGINS", 2),
            ("", "abc", 3),
        ];
        for (a, b, d) in cases {
            assert_eq!(edit_distance(a, b), d, "{a:?} {b:?}");
            assert_eq!(edit_distance(b, a), d, "{b:?} {a:?}");
        }
    }
}
