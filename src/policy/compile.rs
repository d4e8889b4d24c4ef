//! The one compiler: a policy's settings ([`CorsConfig`]) and what only code
//! can give (predicates), checked all at once and compiled into a
//! [`CorsPolicy`], the only way one is made.

use std::sync::Arc;

use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use super::config::CorsConfig;
use super::probe::probe_predicate;
use super::{describe, Compiled, CorsPolicy, Origins};
use crate::error::{Front, Issue, IssueKind, Message, PolicyError, Setting};
use crate::headers::{
    is_forbidden_method, is_forbidden_request_header, is_forbidden_response_header, MAX_METHOD_LEN,
    NORMALIZED_METHODS, REGISTERED_METHODS,
};
use crate::matcher::{is_mdns, OriginFn, OriginMatcher};
use crate::origin::{canonical_origin, NotCanonical, Origin};

/// Checks and compiles `spec` with `predicates`; every issue is named the
/// way `front` names settings.
pub(crate) fn compile(
    spec: &CorsConfig,
    predicates: &[OriginFn],
    front: &Front,
) -> Result<CorsPolicy, PolicyError> {
    let mut compiler = Compiler {
        spec,
        predicates,
        issues: Vec::new(),
    };
    let compiled = compiler.run();
    let mut issues = compiler.issues;
    if issues.is_empty() {
        if let Some(compiled) = compiled {
            return Ok(CorsPolicy {
                inner: Arc::new(compiled),
            });
        }
    }
    if *front != Front::Builder {
        // In the order of the fields and their entries; combinations last.
        crate::list::sort_by_key(&mut issues, |issue| crate::list::issue_place(issue, false));
    }
    Err(PolicyError::new(issues).produced_by(front, None))
}

struct Compiler<'a> {
    spec: &'a CorsConfig,
    predicates: &'a [OriginFn],
    issues: Vec<Issue>,
}

impl Compiler<'_> {
    fn run(&mut self) -> Option<Compiled> {
        let spec = self.spec;
        if !spec.paths.is_empty() {
            self.issues.push(
                Issue::new(
                    IssueKind::InvalidSetting,
                    "",
                    "a configuration with per-path tables is a table, not one policy: compile it with CorsConfig::build_paths()",
                )
                .on(Setting::Paths),
            );
        }
        let origins = self.origins();
        let own = self.own_origins();
        let methods = self.methods();
        let headers = self.names(Setting::AllowHeaders, &spec.allow_headers, |n| {
            is_forbidden_request_header(n).then(|| {
                if n == "cookie" || n == "cookie2" {
                    Message::from("is a forbidden request header that scripts cannot set: remove it (cookies are sent when ")
                        .on(Setting::AllowCredentials)
                        .text(" is set and the request uses credentials)")
                } else {
                    Message::from("is a forbidden request header that scripts cannot set, so browsers never ask for it: remove it")
                }
            })
        });
        let expose = self.names(Setting::ExposeHeaders, &spec.expose_headers, |n| {
            is_forbidden_response_header(n)
                .then(|| Message::from("is never exposed to scripts by browsers: remove it"))
        });
        let status = self.preflight_status();
        if !self.issues.is_empty() {
            return None;
        }
        let (methods, any_method) = methods;
        let (headers, any_header) = headers;
        let (expose, any_expose) = expose;
        let allow_methods = join(methods.iter().map(Method::as_str), any_method);
        let allow_headers = join(headers.iter().map(HeaderName::as_str), any_header);
        let expose_headers = join(expose.iter().map(HeaderName::as_str), any_expose);
        let max_age = spec.max_age.map(|s| shared(HeaderValue::from(s)));
        let mut compiled = Compiled {
            origins: origins.unwrap_or(Origins::Any),
            credentials: spec.allow_credentials,
            methods,
            any_method,
            header_bytes: headers
                .iter()
                .map(|h| h.as_str().as_bytes().into())
                .collect(),
            any_header,
            allow_methods,
            allow_headers,
            expose_headers,
            max_age,
            preflight_status: status,
            strict: spec.strict,
            guard_websockets: spec.guard_websockets,
            refuses_some: spec.strict || spec.guard_websockets,
            guard_null: spec.guard_websockets && spec.allow_null_origin,
            own,
            needs_parts: !self.predicates.is_empty(),
            private_network: spec.allow_private_network,
            explain: spec.explain_preflight_refusals,
            preflight_headers: HeaderMap::new(),
            described: self.describe_origins(),
        };
        compiled.preflight_headers = compiled.preflight_template();
        Some(compiled)
    }

    /// The setting that makes origins credentialed, if any: credentials, or
    /// the WebSocket guard (a WebSocket handshake always carries cookies, so
    /// an origin the guard admits reads a credentialed answer).
    fn credentialed(&self) -> Option<Setting> {
        if self.spec.allow_credentials {
            Some(Setting::AllowCredentials)
        } else if self.spec.guard_websockets {
            Some(Setting::GuardWebSockets)
        } else {
            None
        }
    }

    /// The allowed patterns and regexes as `Display` shows them: as given
    /// (valid ones are already canonical).
    fn describe_origins(&self) -> describe::Origins {
        describe::Origins {
            null: self.spec.allow_null_origin,
            patterns: self
                .spec
                .allow_origins
                .iter()
                .filter(|o| o.contains('*'))
                .cloned()
                .collect(),
            regexes: self.spec.allow_origin_regexes.clone(),
        }
    }

    fn origins(&mut self) -> Option<Origins> {
        let spec = self.spec;
        let mut matcher = OriginMatcher::default();
        let credentialed = self.credentialed();
        for (i, input) in spec.allow_origins.iter().enumerate() {
            let trimmed = input.trim();
            if let Some(issue) = self.special_origin(input) {
                self.issues.push(issue.at(Setting::AllowOrigins, i));
            } else if trimmed.contains('*') {
                if let Err(issue) = matcher.add_pattern(input) {
                    self.issues.push(issue.at(Setting::AllowOriginPatterns, i));
                } else if let (Some(setting), true) = (credentialed, is_mdns(input)) {
                    self.issues.push(
                        Issue::new(
                            IssueKind::PublicSuffixPattern,
                            input,
                            Message::from(format!(
                                "{input:?} covers \".local\" names, which any device on the local network can answer for (mDNS has no owner): with "
                            ))
                            .on(setting)
                            .text(" list the devices you trust exactly with ")
                            .name(Setting::AllowOrigins),
                        )
                        .at(Setting::AllowOriginPatterns, i),
                    );
                }
            } else {
                match canonical_origin(input) {
                    Ok(canonical) => matcher.add_exact(canonical),
                    Err(e) => self
                        .issues
                        .push(not_canonical(input, e).at(Setting::AllowOrigins, i)),
                }
            }
        }
        let has_regex = !spec.allow_origin_regexes.is_empty();
        self.regexes(&mut matcher);
        if spec.allow_null_origin {
            matcher.allow_null();
        }
        if let Some(predicate) = self.predicate() {
            matcher.set_predicate(predicate);
        }
        let explicit = !spec.allow_origins.is_empty()
            || has_regex
            || spec.allow_null_origin
            || !self.predicates.is_empty();
        if spec.allow_any_origin {
            self.any_origin_combinations(explicit);
            return Some(Origins::Any);
        }
        if spec.allow_null_origin && spec.allow_credentials {
            self.issues.push(
                Issue::new(
                    IssueKind::NullOriginWithCredentials,
                    "null",
                    Message::default()
                        .on(Setting::AllowNullOrigin)
                        .text(" cannot be combined with ")
                        .on(Setting::AllowCredentials)
                        .text(": any page can send \"Origin: null\" from a sandboxed iframe and read credentialed responses; remove one of them"),
                ),
            );
        }
        // A list whose entries are all refused already says what is wrong.
        if !explicit {
            self.issues.push(Issue::new(
                IssueKind::NoOrigin,
                "",
                Message::from("no origin is allowed: list origins or patterns with ")
                    .name(Setting::AllowOrigins)
                    .text(", or ")
                    .use_(Setting::AllowAnyOrigin),
            ));
        }
        Some(Origins::List(matcher))
    }

    /// `"*"` and `"null"` in a list of origins: each has its own setting,
    /// and a list with several origins in one entry.
    fn special_origin(&self, input: &str) -> Option<Issue> {
        let trimmed = input.trim();
        let credentialed = self.credentialed();
        let issue = |message: Message| Some(Issue::new(IssueKind::InvalidOrigin, input, message));
        match (trimmed, credentialed) {
            ("*", Some(setting)) => issue(
                Message::from(format!("{input:?} is not an origin, and with "))
                    .on(setting)
                    .text(" no wildcard may stand for every origin: list the trusted origins with ")
                    .name(Setting::AllowOrigins)
                    .text(
                        ", or patterns such as \"https://*.example.com\" or \"http://localhost:*\"",
                    )
                    .code_only(
                        Message::from(", or decide them in code with ")
                            .name(Setting::AllowOriginFn),
                    ),
            ),
            ("*", None) => issue(
                Message::from(format!("{input:?} is not an origin: "))
                    .use_(Setting::AllowAnyOrigin)
                    .text(" for a public policy"),
            )
            .map(|i| i.use_instead(Setting::AllowAnyOrigin)),
            ("null", Some(setting)) => issue(
                Message::from(format!(
                    "{input:?} is not an origin, and the opaque origin cannot be allowed with "
                ))
                .on(setting)
                .text(": any page can send it from a sandboxed iframe"),
            ),
            ("null", None) => issue(
                Message::from(format!("{input:?} is not an origin: "))
                    .use_(Setting::AllowNullOrigin)
                    .text(" to allow the opaque origin"),
            )
            .map(|i| i.use_instead(Setting::AllowNullOrigin)),
            _ if trimmed.matches("://").count() > 1
                && trimmed.contains(|c: char| c == ';' || c.is_whitespace()) =>
            {
                issue(Message::from(format!("{input:?} holds several origins: ")).separate())
            }
            _ => None,
        }
    }

    #[cfg(feature = "regex")]
    fn regexes(&mut self, matcher: &mut OriginMatcher) {
        let credentialed = self.credentialed();
        if let Some(r) = crate::matcher::Regexes::compile(
            &self.spec.allow_origin_regexes,
            credentialed,
            &mut self.issues,
        ) {
            matcher.set_regexes(r);
        }
    }

    #[cfg(not(feature = "regex"))]
    fn regexes(&mut self, _: &mut OriginMatcher) {
        for (i, regex) in self.spec.allow_origin_regexes.iter().enumerate() {
            self.issues.push(
                Issue::new(
                    IssueKind::InvalidSetting,
                    regex.as_str(),
                    Message::from(format!(
                        "{regex:?} needs the crate feature \"regex\": enable it, or write a pattern such as \"https://*.example.com\" with "
                    ))
                    .name(Setting::AllowOriginPatterns),
                )
                .at(Setting::AllowOriginRegexes, i),
            );
        }
    }

    /// `allow_any_origin` with what it cannot be combined with.
    fn any_origin_combinations(&mut self, explicit: bool) {
        let spec = self.spec;
        let any = || Message::default().on(Setting::AllowAnyOrigin);
        if explicit {
            self.issues.push(Issue::new(
                IssueKind::AnyOriginWithExplicitOrigins,
                "",
                any()
                    .text(" already allows every origin: remove the origins and patterns (")
                    .name(Setting::AllowOrigins)
                    .text("), regexes (")
                    .name(Setting::AllowOriginRegexes)
                    .text("), ")
                    .code_only(Message::default().name(Setting::AllowOriginFn).text(", "))
                    .text("and ")
                    .on(Setting::AllowNullOrigin)
                    .text(", or remove ")
                    .on(Setting::AllowAnyOrigin),
            ));
        }
        let list = |m: Message| {
            m.text("; list the trusted origins with ")
                .name(Setting::AllowOrigins)
                .code_only(Message::from(" or ").name(Setting::AllowOriginPatterns))
                .text(" (patterns such as \"http://localhost:*\" for development, \"https://pr-*.preview.example.com\" for previews)")
                .code_only(Message::from(" or decide them in code with ").name(Setting::AllowOriginFn))
                .text("; the credentials guide (tower_cors::docs::credentials) shows how for development, previews and tenants")
        };
        if spec.allow_credentials {
            self.issues.push(Issue::new(
                IssueKind::AnyOriginWithCredentials,
                "",
                list(any()
                    .text(" cannot be combined with ")
                    .on(Setting::AllowCredentials)
                    .text(": browsers reject \"*\" with credentials, and reflecting every origin instead would let any site read credentialed responses")),
            ));
        }
        if spec.allow_private_network {
            self.issues.push(Issue::new(
                IssueKind::AnyOriginWithPrivateNetwork,
                "",
                any()
                    .text(" cannot be combined with ")
                    .on(Setting::AllowPrivateNetwork)
                    .text(": every public website could then reach this private-network service from its visitors' browsers; list the public origins that may reach it with ")
                    .name(Setting::AllowOrigins),
            ));
        }
        if spec.guard_websockets {
            self.issues.push(Issue::new(
                IssueKind::AnyOriginWithWebSocketGuard,
                "",
                any()
                    .text(" cannot be combined with ")
                    .on(Setting::GuardWebSockets)
                    .text(": a WebSocket handshake always carries the user's cookies, so the guard admits only origins that could read a credentialed answer; list the origins that may open a socket with ")
                    .name(Setting::AllowOrigins)
                    .code_only(Message::from(" or decide them with ").name(Setting::AllowOriginFn)),
            ));
        }
    }

    /// The own origins in browser serialization; a malformed one is an issue.
    fn own_origins(&mut self) -> Box<[Box<[u8]>]> {
        let mut own: Vec<Box<[u8]>> = Vec::new();
        for (i, input) in self.spec.own_origins.iter().enumerate() {
            let canonical = match input.trim() {
                "null" => Err(format!(
                    "{input:?} is not an own origin: an opaque origin is never a service's own page, and any page can send it from a sandboxed iframe; remove it"
                ).into()),
                t if t.contains('*') => Err(format!(
                    "{input:?} is not an own origin: list the exact origins this service's own pages are served from"
                ).into()),
                _ => canonical_origin(input),
            };
            match canonical {
                Ok(c) if !own.iter().any(|o| **o == *c.as_bytes()) => {
                    own.push(c.into_owned().into_bytes().into_boxed_slice());
                }
                Ok(_) => {}
                Err(e) => self
                    .issues
                    .push(not_canonical(input, e).at(Setting::OwnOrigins, i)),
            }
        }
        own.into_boxed_slice()
    }

    /// One function for all `allow_origin_fn` predicates; with credentials,
    /// a predicate accepting an unrelated origin is an issue.
    fn predicate(&mut self) -> Option<OriginFn> {
        let predicate = match self.predicates {
            [] => return None,
            [one] => one.clone(),
            many => {
                let all: Box<[OriginFn]> = many.into();
                OriginFn(Arc::new(move |origin: &Origin<'_>, parts: &Parts| {
                    all.iter().any(|p| (p.0)(origin, parts))
                }))
            }
        };
        if let Some(setting) = self.credentialed() {
            if let Some(issue) = probe_predicate(&predicate, setting) {
                self.issues.push(issue.on(Setting::AllowOriginFn));
            }
        }
        Some(predicate)
    }

    fn preflight_status(&mut self) -> StatusCode {
        match self.spec.preflight_status {
            None | Some(204) => StatusCode::NO_CONTENT,
            Some(200) => StatusCode::OK,
            Some(code) => {
                self.issues.push(
                    Issue::new(
                        IssueKind::InvalidPreflightStatus,
                        code.to_string(),
                        format!(
                            "preflight status {code} is not 200 or 204: use 204 (default) or 200"
                        ),
                    )
                    .on(Setting::PreflightStatus)
                    .suggest("204"),
                );
                StatusCode::NO_CONTENT
            }
        }
    }

    fn methods(&mut self) -> (Vec<Method>, bool) {
        let mut methods: Vec<Method> = Vec::new();
        let mut any = false;
        let credentials = self.spec.allow_credentials;
        for (i, name) in self.spec.allow_methods.iter().enumerate() {
            let mut push = |issue: Issue| self.issues.push(issue.at(Setting::AllowMethods, i));
            if name == "*" {
                if credentials {
                    push(wildcard_with_credentials(Setting::AllowMethods, "methods"));
                }
                any = true;
                continue;
            }
            match check_method(name) {
                Ok(method) if !methods.contains(&method) => methods.push(method),
                Ok(_) => {}
                Err(issue) => push(issue),
            }
        }
        (methods, any)
    }

    /// Validates header names for `allow_headers`/`expose_headers`; returns
    /// the lowercase names (without `*`) and whether `*` was given.
    fn names(
        &mut self,
        setting: Setting,
        list: &[String],
        forbidden: fn(&str) -> Option<Message>,
    ) -> (Vec<HeaderName>, bool) {
        let mut names: Vec<HeaderName> = Vec::new();
        let mut any = false;
        for (i, raw) in list.iter().enumerate() {
            let mut push = |issue: Issue| self.issues.push(issue.at(setting, i));
            let Ok(name) = HeaderName::from_bytes(raw.as_bytes()) else {
                push(Issue::new(
                    IssueKind::InvalidHeaderName,
                    raw.as_str(),
                    Message::from(format!("{raw:?} in "))
                        .name(setting)
                        .text(" is not a valid header name: a header name is one token (letters, digits and !#$%&'*+-.^_`|~)"),
                ));
                continue;
            };
            if name.as_str() == "*" {
                if self.spec.allow_credentials {
                    push(wildcard_with_credentials(setting, "header names"));
                }
                any = true;
                continue;
            }
            if let Some(why) = forbidden(name.as_str()) {
                let message = Message::from(format!("{:?} in ", name.as_str()))
                    .name(setting)
                    .text(" ");
                push(Issue::new(
                    IssueKind::ForbiddenHeaderName,
                    name.as_str(),
                    message.extend(why),
                ));
                continue;
            }
            if !names.contains(&name) {
                names.push(name);
            }
        }
        (names, any)
    }
}

/// The issue of an entry that is not an origin as browsers send it, with
/// the corrected form as data when there is one.
fn not_canonical(input: &str, e: NotCanonical) -> Issue {
    let issue = Issue::new(IssueKind::InvalidOrigin, input, e.message);
    match e.suggestion {
        Some(fixed) => issue.suggest(fixed),
        None => issue,
    }
}

/// A method as written in a configuration, or why it never matches.
fn check_method(name: &str) -> Result<Method, Issue> {
    let refuse = |message: String| Err(Issue::new(IssueKind::InvalidMethod, name, message));
    let Ok(method) = Method::from_bytes(name.as_bytes()) else {
        return refuse(format!("{name:?} is not a valid method: a method is one token (letters, digits and !#$%&'*+-.^_`|~)"));
    };
    if name.len() > MAX_METHOD_LEN {
        return refuse(format!("{name:?} is longer than {MAX_METHOD_LEN} bytes, the longest Access-Control-Request-Method read: remove it"));
    }
    if is_forbidden_method(name) {
        return refuse(format!(
            "{name:?} is a forbidden method that browsers never send: remove it"
        ));
    }
    if let Some(upper) = NORMALIZED_METHODS
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name) && **n != name)
    {
        return refuse(format!("{name:?} is upper-cased by browsers before sending, so it never matches: did you mean {upper:?}?"))
            .map_err(|i: Issue| i.suggest(*upper));
    }
    if let Some(registered) = REGISTERED_METHODS
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name) && **n != name)
    {
        return refuse(format!("{name:?} is the registered method {registered:?} in another case: methods compare byte for byte and clients send {registered:?}, so {name:?} would refuse them: did you mean {registered:?}?"))
            .map_err(|i: Issue| i.suggest(*registered));
    }
    Ok(method)
}

fn wildcard_with_credentials(setting: Setting, what: &str) -> Issue {
    Issue::new(
        IssueKind::WildcardWithCredentials,
        "*",
        Message::from("\"*\" in ")
            .name(setting)
            .text(format!(
                " is read literally by browsers when credentials are allowed: list the {what} explicitly, or remove "
            ))
            .on(Setting::AllowCredentials),
    )
}

/// The wire value of a list header: `*` first when given, then the names,
/// separated by `", "`. `None` when empty.
fn join<'a>(names: impl Iterator<Item = &'a str>, wildcard: bool) -> Option<HeaderValue> {
    let mut text = String::new();
    if wildcard {
        text.push('*');
    }
    for n in names {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(n);
    }
    if text.is_empty() {
        return None;
    }
    HeaderValue::from_str(&text).ok().map(shared)
}

/// Cloning a value once turns its buffer into a shared one, so clones on the
/// request path are reference-count increments, never allocations.
fn shared(value: HeaderValue) -> HeaderValue {
    drop(value.clone());
    value
}
