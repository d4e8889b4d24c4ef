//! Configuration errors: [`PolicyError`] lists every [`Issue`] found by
//! [`PolicyBuilder::build`](crate::PolicyBuilder::build) at once.

use std::fmt;

/// Every problem found in a CORS configuration, reported together.
///
/// Returned by [`PolicyBuilder::build`](crate::PolicyBuilder::build). Its
/// `Display` lists each problem on its own line with the offending input and a
/// fix hint, so a misconfigured service fails at start-up with one readable
/// message instead of misbehaving at run time.
///
/// ```
/// use tower_cors::{CorsPolicy, IssueKind};
///
/// let err = CorsPolicy::builder()
///     .allow_any_origin()
///     .allow_credentials(true)
///     .allow_headers(["bad header"])
///     .build()
///     .unwrap_err();
/// assert_eq!(err.issues().len(), 2);
/// assert_eq!(err.issues()[0].kind(), IssueKind::AnyOriginWithCredentials);
/// assert!(err.to_string().contains("allow_credentials(true)"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PolicyError {
    issues: Vec<Issue>,
}

impl PolicyError {
    pub(crate) fn new(issues: Vec<Issue>) -> Self {
        Self { issues }
    }

    /// The problems, in the order the configuration was checked (never empty).
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.issues.as_slice() {
            [one] => write!(f, "invalid CORS policy: {one}"),
            many => {
                write!(f, "invalid CORS policy ({} problems):", many.len())?;
                for issue in many {
                    write!(f, "\n  - {issue}")?;
                }
                Ok(())
            }
        }
    }
}

/// The same readable list as `Display`: `fn main() -> Result<(), Box<dyn Error>>`
/// prints an error with `Debug`, and a derived one would be a single line of
/// escaped quotes.
impl fmt::Debug for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for PolicyError {}

/// The builder list a value came from, for [`Issue`]s about one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum List {
    Origins,
    Patterns,
    #[cfg_attr(not(feature = "regex"), allow(dead_code))]
    Regexes,
    Methods,
    Headers,
    Expose,
    OwnOrigins,
}

/// One problem in a CORS configuration: what kind, the offending input, and
/// how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    kind: IssueKind,
    input: String,
    message: String,
    /// The configuration field or environment variable the input came from.
    field: Option<String>,
    /// The builder list and position of the input, when the issue is about one entry.
    entry: Option<(List, usize)>,
}

impl Issue {
    pub(crate) fn new(
        kind: IssueKind,
        input: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            input: input.into(),
            message: message.into(),
            field: None,
            entry: None,
        }
    }

    /// Records which entry of a builder list the issue is about.
    pub(crate) fn at(mut self, list: List, index: usize) -> Self {
        self.entry = Some((list, index));
        self
    }

    pub(crate) fn entry(&self) -> Option<(List, usize)> {
        self.entry
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The same issue, named after the configuration field or variable it
    /// came from, with its message rewritten for that source.
    pub(crate) fn located(mut self, field: Option<String>, message: String) -> Self {
        self.field = field;
        self.message = message;
        self
    }

    /// The class of problem.
    pub fn kind(&self) -> IssueKind {
        self.kind
    }

    /// The configuration value at fault, as given (empty when the problem is a
    /// combination of settings rather than one value).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Where the input came from, for issues found by
    /// [`CorsConfig`](crate::CorsConfig): the field and position
    /// (`allow_origins[1]`) or the environment variable
    /// (`CORS_ALLOW_ORIGINS[1]`, `CORS_MAX_AGE`). `None` for issues found by
    /// the builder, and for problems of a combination of settings.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The class of an [`Issue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IssueKind {
    /// No origin is allowed: neither an origin, a pattern, a regex,
    /// `allow_null_origin()` nor `allow_any_origin()` was configured.
    NoOrigin,
    /// An exact origin is not in the form browsers send (`scheme://host[:port]`,
    /// lowercase, no default port, no path, punycode host).
    InvalidOrigin,
    /// A subdomain or port pattern is malformed.
    InvalidPattern,
    /// A subdomain pattern or glob covers names strangers can register: its
    /// base is a public suffix (`https://*.com`,
    /// `https://myapp-*.vercel.app`), a public suffix lies below its base
    /// (`https://*.amazonaws.com` covers `attacker.s3.amazonaws.com`), or,
    /// with credentials or the WebSocket guard, it covers `.local` names,
    /// which any device on the local network can answer for.
    PublicSuffixPattern,
    /// A regular expression origin is invalid or unsafe: it does not parse,
    /// has a bare `.`, matches `null`, or — with credentials or the WebSocket
    /// guard — can match an origin whose host lies outside the registrable
    /// domains it spells out, or is too complex to prove it cannot.
    InvalidRegex,
    /// `allow_any_origin()` together with `allow_credentials(true)`: browsers
    /// reject `*` with credentials, and reflecting every origin instead would
    /// let any site read credentialed responses (CVE-2018-20744 class). See
    /// [`docs::credentials`](crate::docs::credentials) for what to use instead.
    AnyOriginWithCredentials,
    /// `allow_any_origin()` together with explicit origins, patterns, regexes
    /// or `allow_null_origin()`.
    AnyOriginWithExplicitOrigins,
    /// `allow_null_origin()` together with `allow_credentials(true)`.
    NullOriginWithCredentials,
    /// `allow_any_origin()` together with `guard_websockets(true)`: the guard
    /// admits only origins that could read a credentialed answer (a WebSocket
    /// handshake always carries cookies), never `*`.
    AnyOriginWithWebSocketGuard,
    /// A `*` wildcard in allowed methods, allowed headers or exposed headers
    /// together with credentials (browsers then read `*` literally).
    WildcardWithCredentials,
    /// A method that is not a valid token, a forbidden method, or one of the
    /// methods browsers upper-case written in another case.
    InvalidMethod,
    /// A header name that is not a valid token.
    InvalidHeaderName,
    /// A header name that browsers never let scripts send (in
    /// `allow_headers`) or never expose (in `expose_headers`).
    ForbiddenHeaderName,
    /// A preflight status other than 200 or 204.
    InvalidPreflightStatus,
    /// With credentials or the WebSocket guard, an `allow_origin_fn`
    /// predicate accepts one of the unrelated origins `build()` probes it
    /// with: it reflects (nearly) every origin (CVE-2018-20744 class).
    PredicateAllowsAnyOrigin,
    /// An `allow_origin_fn` predicate panicked while `build()` probed it.
    PredicatePanicked,
    /// `allow_any_origin()` together with `allow_private_network(true)`:
    /// every public website could then reach the private network service.
    AnyOriginWithPrivateNetwork,
    /// A [`PathPolicies`](crate::PathPolicies) prefix that does not start
    /// with `/`, holds `?`, `#` or a character not allowed in a path, ends
    /// with `/`, or appears twice.
    InvalidPathPrefix,
    /// A [`CorsConfig`](crate::CorsConfig) value that does not parse (an
    /// environment variable that is not `true`/`false` or not a number), or
    /// one that needs a crate feature that is off.
    InvalidSetting,
    /// An environment variable with the configuration's prefix that names no
    /// setting (a misspelling would otherwise be ignored silently).
    UnknownSetting,
}
