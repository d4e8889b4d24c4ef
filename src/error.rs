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

    /// The same issues, produced by `front`, in the table entry `path`.
    pub(crate) fn produced_by(self, front: &Front, path: Option<&str>) -> Self {
        Self::new(
            self.issues
                .into_iter()
                .map(|i| i.produced_by(front, path))
                .collect(),
        )
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

/// A setting of a policy, as [`Issue::setting`] names it: the builder
/// method, the [`CorsConfig`](crate::CorsConfig) field and the environment
/// variable that set it are three spellings of one setting, and an issue's
/// text is rendered in the spelling of the front end that produced the
/// policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Setting {
    /// Exact origins: `allow_origin()`, field `allow_origins`.
    AllowOrigins,
    /// Origin patterns: `allow_origin_pattern()`, field `allow_origins`
    /// (an entry with a `*`).
    AllowOriginPatterns,
    /// Origin regexes: `allow_origin_regex()`, field `allow_origin_regexes`.
    AllowOriginRegexes,
    /// Origin predicates: `allow_origin_fn()` (code only).
    AllowOriginFn,
    /// `allow_any_origin()`, field `allow_any_origin`.
    AllowAnyOrigin,
    /// `allow_null_origin()`, field `allow_null_origin`.
    AllowNullOrigin,
    /// `own_origins()`, field `own_origins`.
    OwnOrigins,
    /// `allow_methods()`, field `allow_methods`.
    AllowMethods,
    /// `allow_headers()`, field `allow_headers`.
    AllowHeaders,
    /// `expose_headers()`, field `expose_headers`.
    ExposeHeaders,
    /// `allow_credentials()`, field `allow_credentials`.
    AllowCredentials,
    /// `max_age()`, field `max_age`.
    MaxAge,
    /// `preflight_status()`, field `preflight_status`.
    PreflightStatus,
    /// `strict()`, field `strict`.
    Strict,
    /// `guard_websockets()`, field `guard_websockets`.
    GuardWebSockets,
    /// `allow_private_network()`, field `allow_private_network`.
    AllowPrivateNetwork,
    /// `explain_preflight_refusals()`, field `explain_preflight_refusals`.
    ExplainPreflightRefusals,
    /// The per-path tables of a configuration, field `paths`; path prefixes
    /// of [`PathPolicies`](crate::PathPolicies).
    Paths,
}

impl Setting {
    /// Every setting with a configuration field, in the fields' order.
    pub(crate) const FIELDS: [Setting; 15] = [
        Setting::AllowOrigins,
        Setting::AllowOriginRegexes,
        Setting::AllowAnyOrigin,
        Setting::AllowNullOrigin,
        Setting::OwnOrigins,
        Setting::AllowMethods,
        Setting::AllowHeaders,
        Setting::ExposeHeaders,
        Setting::AllowCredentials,
        Setting::MaxAge,
        Setting::PreflightStatus,
        Setting::Strict,
        Setting::GuardWebSockets,
        Setting::AllowPrivateNetwork,
        Setting::ExplainPreflightRefusals,
    ];

    /// The [`CorsConfig`](crate::CorsConfig) field that holds the setting
    /// (`None` for `allow_origin_fn`, which only code can give).
    pub fn field(self) -> Option<&'static str> {
        Some(match self {
            Self::AllowOrigins | Self::AllowOriginPatterns => "allow_origins",
            Self::AllowOriginRegexes => "allow_origin_regexes",
            Self::AllowOriginFn => return None,
            Self::AllowAnyOrigin => "allow_any_origin",
            Self::AllowNullOrigin => "allow_null_origin",
            Self::OwnOrigins => "own_origins",
            Self::AllowMethods => "allow_methods",
            Self::AllowHeaders => "allow_headers",
            Self::ExposeHeaders => "expose_headers",
            Self::AllowCredentials => "allow_credentials",
            Self::MaxAge => "max_age",
            Self::PreflightStatus => "preflight_status",
            Self::Strict => "strict",
            Self::GuardWebSockets => "guard_websockets",
            Self::AllowPrivateNetwork => "allow_private_network",
            Self::ExplainPreflightRefusals => "explain_preflight_refusals",
            Self::Paths => "paths",
        })
    }

    /// Where issues about the setting go in a list sorted like the fields.
    pub(crate) fn rank(self) -> usize {
        let same_field = match self {
            Self::AllowOriginPatterns => Self::AllowOrigins,
            other => other,
        };
        Self::FIELDS
            .iter()
            .position(|s| *s == same_field)
            .unwrap_or(Self::FIELDS.len())
    }

    /// The [`PolicyBuilder`](crate::PolicyBuilder) method that sets it.
    fn method(self) -> &'static str {
        match self {
            Self::AllowOrigins => "allow_origin",
            Self::AllowOriginPatterns => "allow_origin_pattern",
            Self::AllowOriginRegexes => "allow_origin_regex",
            Self::AllowOriginFn => "allow_origin_fn",
            Self::OwnOrigins => "own_origins",
            Self::Paths => "PathPolicies::builder().prefix",
            other => other.field().unwrap_or_default(),
        }
    }

    /// Whether the builder method takes a `bool` (`allow_credentials(true)`)
    /// rather than nothing (`allow_any_origin()`).
    fn takes_bool(self) -> bool {
        matches!(
            self,
            Self::AllowCredentials
                | Self::Strict
                | Self::GuardWebSockets
                | Self::AllowPrivateNetwork
                | Self::ExplainPreflightRefusals
        )
    }
}

/// The front end that produced a policy's settings, which names them in
/// issues: builder methods, configuration fields, or environment variables
/// with a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Front {
    #[default]
    Builder,
    Config,
    Env(std::sync::Arc<str>),
}

impl Front {
    /// The setting by name: `allow_origin()`, `allow_origins`,
    /// `CORS_ALLOW_ORIGINS`. A setting only code can give keeps its
    /// builder name.
    fn name(&self, setting: Setting) -> String {
        match (self, setting.field()) {
            (Self::Config, Some(field)) => field.to_owned(),
            (Self::Env(prefix), Some(field)) => env_var(prefix, field),
            _ => format!("{}()", setting.method()),
        }
    }

    /// The setting switched on: `allow_credentials(true)`,
    /// `allow_credentials = true`, `CORS_ALLOW_CREDENTIALS=true`.
    fn on(&self, setting: Setting) -> String {
        match (self, setting.field()) {
            (Self::Config, Some(field)) => format!("{field} = true"),
            (Self::Env(prefix), Some(field)) => format!("{}=true", env_var(prefix, field)),
            _ if setting.takes_bool() => format!("{}(true)", setting.method()),
            _ => format!("{}()", setting.method()),
        }
    }

    /// How to give several entries of a list.
    fn separate(&self) -> &'static str {
        match self {
            Self::Builder => "pass each one as its own item",
            Self::Config => "write each one as its own list entry",
            Self::Env(_) => "separate them with commas",
        }
    }
}

/// `CORS_ALLOW_ORIGINS` for prefix `CORS` and field `allow_origins`.
pub(crate) fn env_var(prefix: &str, field: &str) -> String {
    format!("{prefix}_{}", field.to_ascii_uppercase())
}

/// A piece of an issue's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Text(String),
    /// A setting by name.
    Name(Setting),
    /// A setting switched on.
    On(Setting),
    /// An instruction to switch a setting on: "use `allow_any_origin()`",
    /// "set `allow_any_origin = true`".
    Use(Setting),
    /// How to give several entries of a list.
    Separate,
    /// Text only for a policy built in code (about `allow_origin_fn`,
    /// which configurations cannot hold).
    CodeOnly(Vec<Part>),
}

/// An issue's text, as prose and references to settings: rendered when
/// displayed, in the front end's spelling.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Message(Vec<Part>);

impl Message {
    /// Appends text.
    pub(crate) fn text(mut self, text: impl Into<String>) -> Self {
        self.0.push(Part::Text(text.into()));
        self
    }

    /// Appends a setting's name.
    pub(crate) fn name(mut self, setting: Setting) -> Self {
        self.0.push(Part::Name(setting));
        self
    }

    /// Appends a setting switched on.
    pub(crate) fn on(mut self, setting: Setting) -> Self {
        self.0.push(Part::On(setting));
        self
    }

    /// Appends an instruction to switch a setting on.
    pub(crate) fn use_(mut self, setting: Setting) -> Self {
        self.0.push(Part::Use(setting));
        self
    }

    /// Appends how to give several entries of a list.
    pub(crate) fn separate(mut self) -> Self {
        self.0.push(Part::Separate);
        self
    }

    /// Appends a message shown only for policies built in code.
    pub(crate) fn code_only(mut self, other: Message) -> Self {
        self.0.push(Part::CodeOnly(other.0));
        self
    }

    /// Appends another message.
    pub(crate) fn extend(mut self, other: Message) -> Self {
        self.0.extend(other.0);
        self
    }

    fn render(&self, front: &Front, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.0 {
            match part {
                Part::Text(text) => f.write_str(text)?,
                Part::Name(setting) => f.write_str(&front.name(*setting))?,
                Part::On(setting) => f.write_str(&front.on(*setting))?,
                Part::Use(setting) if *front == Front::Builder => {
                    write!(f, "use {}", front.on(*setting))?
                }
                Part::Use(setting) => write!(f, "set {}", front.on(*setting))?,
                Part::Separate => f.write_str(front.separate())?,
                Part::CodeOnly(parts) if *front == Front::Builder => {
                    Message(parts.clone()).render(front, f)?
                }
                Part::CodeOnly(_) => {}
            }
        }
        Ok(())
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self(vec![Part::Text(text)])
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::from(text.to_owned())
    }
}

/// One problem in a CORS configuration, as data: its kind, the setting and
/// entry it concerns, the offending input and the fix (a suggested value,
/// another setting to use). Its text is rendered when displayed, naming
/// settings the way the front end that produced the policy does: builder
/// methods (`allow_origin()`), configuration fields
/// (`paths["/api"].allow_origins[1]`) or environment variables
/// (`CORS_ALLOW_ORIGINS[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue(Box<IssueData>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct IssueData {
    kind: IssueKind,
    input: String,
    message: Message,
    setting: Option<Setting>,
    index: Option<usize>,
    suggestion: Option<String>,
    instead: Option<Setting>,
    /// The per-path table entry of a configuration the issue is in.
    path: Option<String>,
    front: Front,
}

impl Issue {
    pub(crate) fn new(
        kind: IssueKind,
        input: impl Into<String>,
        message: impl Into<Message>,
    ) -> Self {
        Self::of(kind, input.into(), message.into())
    }

    /// [`Issue::new`] without its conversions, compiled once.
    fn of(kind: IssueKind, input: String, message: Message) -> Self {
        Self(Box::new(IssueData {
            kind,
            input,
            message,
            setting: None,
            index: None,
            suggestion: None,
            instead: None,
            path: None,
            front: Front::Builder,
        }))
    }

    /// Records which entry of a list the issue is about.
    pub(crate) fn at(mut self, setting: Setting, index: usize) -> Self {
        self.0.setting = Some(setting);
        self.0.index = Some(index);
        self
    }

    /// Records the setting the issue is about.
    pub(crate) fn on(mut self, setting: Setting) -> Self {
        self.0.setting = Some(setting);
        self
    }

    /// Records a corrected value.
    pub(crate) fn suggest(mut self, value: impl Into<String>) -> Self {
        self.0.suggestion = Some(value.into());
        self
    }

    /// Records another setting to use instead.
    pub(crate) fn use_instead(mut self, setting: Setting) -> Self {
        self.0.instead = Some(setting);
        self
    }

    /// The same issue, produced by `front`, in the table entry `path`.
    pub(crate) fn produced_by(mut self, front: &Front, path: Option<&str>) -> Self {
        self.0.front = front.clone();
        if self.0.path.is_none() {
            self.0.path = path.map(str::to_owned);
        }
        self
    }

    /// The class of problem.
    pub fn kind(&self) -> IssueKind {
        self.0.kind
    }

    /// The configuration value at fault, as given (empty when the problem is a
    /// combination of settings rather than one value).
    pub fn input(&self) -> &str {
        &self.0.input
    }

    /// The setting at fault, when the problem is about one setting.
    pub fn setting(&self) -> Option<Setting> {
        self.0.setting
    }

    /// The position of the input in its list (`allow_origins[1]` is 1).
    pub fn index(&self) -> Option<usize> {
        self.0.index
    }

    /// The corrected value, when there is one
    /// (`"https://example.com"` for `"https://example.com/"`).
    pub fn suggestion(&self) -> Option<&str> {
        self.0.suggestion.as_deref()
    }

    /// Another setting to use instead (`allow_any_origin` for `"*"` in a
    /// list of origins without credentials).
    pub fn instead(&self) -> Option<Setting> {
        self.0.instead
    }

    /// Where the input is, for issues of a policy read by
    /// [`CorsConfig`](crate::CorsConfig): the field and position
    /// (`allow_origins[1]`, `paths["/api"].allow_origins[1]`) or the
    /// environment variable (`CORS_ALLOW_ORIGINS[1]`, `CORS_MAX_AGE`).
    /// `None` for issues of a builder, and for problems of a combination of
    /// settings.
    pub fn field(&self) -> Option<String> {
        if self.0.kind == IssueKind::UnknownSetting && self.0.front != Front::Builder {
            return Some(self.0.input.clone());
        }
        let field = self.0.setting?.field()?;
        let name = match (&self.0.front, self.0.setting, &self.0.path) {
            (Front::Builder, ..) => return None,
            // A table entry is named by its prefix, not by a position.
            (Front::Config, Some(Setting::Paths), Some(path)) => {
                return Some(format!("paths[{path:?}]"))
            }
            (Front::Config, Some(Setting::Paths), None) if !self.0.input.is_empty() => {
                return Some(format!("paths[{:?}]", self.0.input))
            }
            (Front::Config, _, Some(path)) => format!("paths[{path:?}].{field}"),
            (Front::Config, ..) => field.to_owned(),
            (Front::Env(prefix), ..) => env_var(prefix, field),
        };
        Some(match self.0.index {
            Some(i) => format!("{name}[{i}]"),
            None => name,
        })
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field() {
            Some(field) => write!(f, "{field}: ")?,
            None => {
                if let (Front::Config, Some(path)) = (&self.0.front, &self.0.path) {
                    write!(f, "paths[{path:?}]: ")?;
                }
            }
        }
        self.0.message.render(&self.0.front, f)
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
