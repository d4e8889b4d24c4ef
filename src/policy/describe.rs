//! `Display` for [`CorsPolicy`]: the compiled policy in a few lines, for
//! start-up logs.

use std::fmt;

use http::HeaderValue;

use super::{CorsPolicy, Origins as Compiled};

/// The allowed patterns and regexes as configured, kept for `Display` only
/// (the exact origins are read from the matcher, which holds them once).
#[derive(Debug, Default)]
pub(super) struct Origins {
    pub(super) null: bool,
    pub(super) patterns: Vec<String>,
    pub(super) regexes: Vec<String>,
}

/// Prints the compiled policy in a few lines: origins, patterns, regexes,
/// methods, headers, exposed headers, credentials, max-age, the preflight
/// status and the modes. Every value comes from the configuration (never
/// from a request), so it is safe to log as it is.
///
/// ```
/// use std::time::Duration;
/// use tower_cors::CorsPolicy;
///
/// let policy = CorsPolicy::builder()
///     .allow_origin("https://app.example.com")
///     .allow_origin_pattern("https://*.example.com")
///     .allow_methods(["PUT", "DELETE"])
///     .allow_headers(["content-type", "authorization"])
///     .allow_credentials(true)
///     .max_age(Duration::from_secs(600))
///     .own_origins(["https://api.example.com"])
///     .strict(true)
///     .build()?;
/// assert_eq!(
///     policy.to_string(),
///     "CORS policy:
///   origins:     https://app.example.com
///   patterns:    https://*.example.com
///   own:         https://api.example.com
///   methods:     GET, HEAD, POST (always allowed), PUT, DELETE
///   headers:     content-type, authorization
///   exposed:     none
///   credentials: allowed
///   max-age:     600 s
///   preflight:   answered 204
///   modes:       strict",
/// );
/// # Ok::<(), tower_cors::PolicyError>(())
/// ```
impl fmt::Display for CorsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &*self.inner;
        let d = &c.described;
        f.write_str("CORS policy:")?;
        match &c.origins {
            Compiled::Any => row(f, "origins:", "any (Access-Control-Allow-Origin: *)")?,
            Compiled::Nobody => row(f, "origins:", "none (a path no policy covers)")?,
            Compiled::List(m) => {
                let mut exact: Vec<String> = m
                    .exact_origins()
                    .map(|o| String::from_utf8_lossy(o).into_owned())
                    .collect();
                if d.null {
                    exact.push("null".to_owned());
                }
                row(f, "origins:", &joined(&exact))?;
                if !d.patterns.is_empty() {
                    row(f, "patterns:", &joined(&d.patterns))?;
                }
                if !d.regexes.is_empty() {
                    row(f, "regexes:", &joined(&d.regexes))?;
                }
                if c.needs_parts {
                    row(f, "function:", "allow_origin_fn decides the other origins")?;
                }
            }
        }
        if !c.own.is_empty() {
            let own: Vec<String> = c
                .own
                .iter()
                .map(|o| String::from_utf8_lossy(o).into_owned())
                .collect();
            row(f, "own:", &joined(&own))?;
        }
        let mut methods = "GET, HEAD, POST (always allowed)".to_owned();
        if c.any_method {
            methods.push_str(", * (any)");
        }
        for m in &c.methods {
            methods.push_str(", ");
            methods.push_str(m.as_str());
        }
        row(f, "methods:", &methods)?;
        row(f, "headers:", &list(c.allow_headers.as_ref()))?;
        row(f, "exposed:", &list(c.expose_headers.as_ref()))?;
        let credentials = if c.credentials {
            "allowed"
        } else {
            "not allowed"
        };
        row(f, "credentials:", credentials)?;
        match &c.max_age {
            Some(v) => row(
                f,
                "max-age:",
                &format!("{} s", String::from_utf8_lossy(v.as_bytes())),
            )?,
            None => row(f, "max-age:", "not sent (browsers cache preflights 5 s)")?,
        }
        row(
            f,
            "preflight:",
            &format!("answered {}", c.preflight_status.as_u16()),
        )?;
        let modes: Vec<&str> = [
            (c.strict, "strict"),
            (c.guard_websockets, "WebSocket guard"),
            (c.private_network, "private network access"),
            (c.explain, "explain preflight refusals"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
        let modes = if modes.is_empty() {
            "none".to_owned()
        } else {
            crate::list::join(&modes, ", ")
        };
        row(f, "modes:", &modes)
    }
}

fn row(f: &mut fmt::Formatter<'_>, label: &str, value: &str) -> fmt::Result {
    write!(f, "\n  {label:<13}{value}")
}

fn joined(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        crate::list::join(items, ", ")
    }
}

fn list(value: Option<&HeaderValue>) -> String {
    value.map_or_else(
        || "none".to_owned(),
        |v| String::from_utf8_lossy(v.as_bytes()).into_owned(),
    )
}
