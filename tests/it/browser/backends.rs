//! One policy description, two middlewares: `tower_cors::CorsLayer` and
//! `tower_http::cors::CorsLayer` configured as closely as each allows.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use axum::Router;

use super::servers::{application, Journal};

/// Fills `{page}` and `{api}` in origin and URL templates.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ports {
    pub(crate) page: u16,
    pub(crate) api: u16,
}

impl Ports {
    pub(crate) fn fill(&self, template: &str) -> String {
        template
            .replace("{page}", &self.page.to_string())
            .replace("{api}", &self.api.to_string())
    }
}

/// A CORS policy, independent of the middleware that enforces it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Policy {
    /// Exact origins and patterns (`*.` subdomain or `:*` port), as templates.
    pub(crate) origins: &'static [&'static str],
    /// `allow_origin_regex` expressions (feature `regex`; a table built
    /// without it has no scenario that sets them).
    pub(crate) regexes: &'static [&'static str],
    /// The public `*` policy.
    pub(crate) any_origin: bool,
    /// Allow `Origin: null` (opaque origins such as sandboxed iframes).
    pub(crate) null_origin: bool,
    pub(crate) methods: &'static [&'static str],
    pub(crate) headers: &'static [&'static str],
    pub(crate) expose: &'static [&'static str],
    pub(crate) credentials: bool,
    pub(crate) max_age: Option<u64>,
    /// Refused actual requests answered 403 without calling the application.
    pub(crate) strict: bool,
    /// `explain_preflight_refusals`: method/header refusals of allowed
    /// origins answered with the allowed lists.
    pub(crate) explain: bool,
    /// `guard_websockets`: WebSocket handshakes from refused origins answered
    /// 403 before the handler runs. tower-http has no such guard.
    pub(crate) guard_websockets: bool,
    /// `own_origins`: the origins of the service's own pages, as templates.
    pub(crate) own: &'static [&'static str],
}

/// The middleware under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Backend {
    TowerCors,
    TowerHttp,
}

impl Backend {
    pub(crate) const ALL: [Backend; 2] = [Backend::TowerCors, Backend::TowerHttp];

    /// Path segment and token prefix.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Backend::TowerCors => "tc",
            Backend::TowerHttp => "th",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Backend::TowerCors => "tower-cors",
            Backend::TowerHttp => "tower-http",
        }
    }

    /// The application wrapped in this backend's CORS layer.
    pub(crate) fn wrap(self, policy: &Policy, ports: Ports, journal: Journal) -> Router {
        let app = application(journal);
        match self {
            Backend::TowerCors => {
                let built = tower_cors_policy(policy, ports);
                Router::new()
                    .fallback_service(tower::Layer::layer(&tower_cors::CorsLayer::new(built), app))
            }
            Backend::TowerHttp => app.layer(tower_http_layer(policy, ports)),
        }
    }
}

/// The policy as a `tower_cors::CorsPolicy`.
pub(crate) fn tower_cors_policy(policy: &Policy, ports: Ports) -> tower_cors::CorsPolicy {
    let mut builder = tower_cors::CorsPolicy::builder();
    if policy.any_origin {
        builder = builder.allow_any_origin();
    }
    if policy.null_origin {
        builder = builder.allow_null_origin();
    }
    for origin in policy.origins {
        let origin = ports.fill(origin);
        builder = if origin.contains('*') {
            builder.allow_origin_pattern(origin)
        } else {
            builder.allow_origin(origin)
        };
    }
    #[cfg(feature = "regex")]
    for regex in policy.regexes {
        builder = builder.allow_origin_regex(regex);
    }
    #[cfg(not(feature = "regex"))]
    assert!(
        policy.regexes.is_empty(),
        "a scenario with allow_origin_regex needs the `regex` feature"
    );
    builder
        .own_origins(policy.own.iter().map(|o| ports.fill(o)))
        .allow_methods(policy.methods.iter().copied())
        .allow_headers(policy.headers.iter().copied())
        .expose_headers(policy.expose.iter().copied())
        .allow_credentials(policy.credentials)
        .strict(policy.strict)
        .explain_preflight_refusals(policy.explain)
        .guard_websockets(policy.guard_websockets)
        .max_age_opt(policy.max_age)
        .build()
        .unwrap_or_else(|e| panic!("scenario policy does not build: {e}"))
}

trait MaxAgeOpt {
    fn max_age_opt(self, seconds: Option<u64>) -> Self;
}

impl MaxAgeOpt for tower_cors::PolicyBuilder {
    fn max_age_opt(self, seconds: Option<u64>) -> Self {
        match seconds {
            Some(s) => self.max_age(Duration::from_secs(s)),
            None => self,
        }
    }
}

/// The policy as a `tower_http::cors::CorsLayer`. tower-http has no origin
/// patterns: the closest is a predicate, here one that matches whole labels,
/// scheme and port like the pattern means. It has no strict mode either.
pub(crate) fn tower_http_layer(policy: &Policy, ports: Ports) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, Any, ExposeHeaders};

    let mut layer = tower_http::cors::CorsLayer::new();
    if policy.any_origin {
        layer = layer.allow_origin(Any);
    } else {
        let mut origins: Vec<String> = policy.origins.iter().map(|o| ports.fill(o)).collect();
        if policy.null_origin {
            origins.push("null".to_owned());
        }
        let regexes = whole_match_regexes(policy.regexes);
        if origins.iter().any(|o| o.contains('*')) || !regexes.is_empty() {
            layer = layer.allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
                let Ok(origin) = origin.to_str() else {
                    return false;
                };
                origins
                    .iter()
                    .any(|allowed| origin_matches(allowed, origin))
                    || regexes.iter().any(|r| whole_match(r, origin))
            }));
        } else {
            let values: Vec<HeaderValue> = origins.iter().map(|o| o.parse().unwrap()).collect();
            layer = layer.allow_origin(AllowOrigin::list(values));
        }
    }
    if policy.methods.contains(&"*") {
        layer = layer.allow_methods(AllowMethods::any());
    } else if !policy.methods.is_empty() {
        let methods: Vec<Method> = policy
            .methods
            .iter()
            .map(|m| Method::from_bytes(m.as_bytes()).unwrap())
            .collect();
        layer = layer.allow_methods(methods);
    }
    if policy.headers.contains(&"*") {
        layer = layer.allow_headers(AllowHeaders::any());
    } else if !policy.headers.is_empty() {
        let headers: Vec<HeaderName> = policy.headers.iter().map(|h| h.parse().unwrap()).collect();
        layer = layer.allow_headers(headers);
    }
    if policy.expose.contains(&"*") {
        layer = layer.expose_headers(ExposeHeaders::any());
    } else if !policy.expose.is_empty() {
        let headers: Vec<HeaderName> = policy.expose.iter().map(|h| h.parse().unwrap()).collect();
        layer = layer.expose_headers(headers);
    }
    if policy.credentials {
        layer = layer.allow_credentials(true);
    }
    if let Some(seconds) = policy.max_age {
        layer = layer.max_age(Duration::from_secs(seconds));
    }
    layer
}

/// tower-http has no regex origins: its users write a predicate around the
/// `regex` crate. Here the expression must match the whole origin, as
/// tower-cors' `allow_origin_regex` means.
#[cfg(feature = "regex")]
type WholeMatch = regex::Regex;
#[cfg(not(feature = "regex"))]
type WholeMatch = std::convert::Infallible;

#[cfg(feature = "regex")]
fn whole_match_regexes(regexes: &[&str]) -> Vec<WholeMatch> {
    regexes
        .iter()
        .map(|r| {
            regex::Regex::new(&format!(r"\A(?:{r})\z"))
                .unwrap_or_else(|e| panic!("scenario regex {r:?}: {e}"))
        })
        .collect()
}

#[cfg(not(feature = "regex"))]
fn whole_match_regexes(regexes: &[&str]) -> Vec<WholeMatch> {
    assert!(
        regexes.is_empty(),
        "a scenario with allow_origin_regex needs the `regex` feature"
    );
    Vec::new()
}

#[cfg(feature = "regex")]
fn whole_match(regex: &WholeMatch, origin: &str) -> bool {
    regex.is_match(origin)
}

#[cfg(not(feature = "regex"))]
fn whole_match(regex: &WholeMatch, _origin: &str) -> bool {
    match *regex {}
}

/// Exact origin, `scheme://*.host[:port]` (one or more whole labels before
/// `host`), `scheme://pre*suf.host[:port]` (one label) or `scheme://host:*`
/// (any port), compared on the serialized origin.
fn origin_matches(allowed: &str, origin: &str) -> bool {
    if !allowed.contains('*') {
        return allowed == origin;
    }
    let (Some((a_scheme, a_rest)), Some((o_scheme, o_rest))) =
        (allowed.split_once("://"), origin.split_once("://"))
    else {
        return false;
    };
    if a_scheme != o_scheme {
        return false;
    }
    let (a_host, a_port) = split_port(a_rest);
    let (o_host, o_port) = split_port(o_rest);
    let port_ok = a_port == Some("*") || a_port == o_port;
    let host_ok = match a_host.strip_prefix("*.") {
        Some(base) => o_host
            .strip_suffix(base)
            .and_then(|front| front.strip_suffix('.'))
            .is_some_and(|front| !front.is_empty()),
        None => match a_host.split_once('.') {
            // A glob label `pre*suf`: one label, the `*` one or more of [a-z0-9-].
            Some((label, base)) if label.contains('*') => {
                let (pre, suf) = label.split_once('*').unwrap_or((label, ""));
                o_host
                    .strip_suffix(base)
                    .and_then(|front| front.strip_suffix('.'))
                    .and_then(|front| front.strip_prefix(pre))
                    .and_then(|front| front.strip_suffix(suf))
                    .is_some_and(|run| {
                        !run.is_empty()
                            && run
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    })
            }
            _ => a_host == o_host,
        },
    };
    port_ok && host_ok
}

fn split_port(rest: &str) -> (&str, Option<&str>) {
    match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    }
}
