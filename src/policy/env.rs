//! [`CorsConfig::from_env`]: a configuration read from environment
//! variables named after its fields (`CORS_ALLOW_ORIGINS`, …).

use std::ffi::OsStr;

use super::compile::compile;
use super::config::CorsConfig;
use crate::error::{env_var, Front, Issue, IssueKind, PolicyError, Setting};

impl CorsConfig {
    /// Reads a configuration from environment variables named after the
    /// fields: with prefix `"CORS"`, `CORS_ALLOW_ORIGINS`,
    /// `CORS_ALLOW_CREDENTIALS`, `CORS_MAX_AGE`, … (the field name in
    /// uppercase after the prefix and `_`).
    ///
    /// - Lists are comma-separated; spaces around entries and empty entries
    ///   are ignored: `CORS_ALLOW_ORIGINS="https://a.com, https://*.b.com"`.
    ///   Origins separated by spaces or `;` are an error saying to separate
    ///   them with commas.
    /// - Switches are `true` or `false` (any case).
    /// - `CORS_MAX_AGE` is whole seconds, `CORS_PREFLIGHT_STATUS` `200` or `204`.
    /// - A variable set to the empty string (or only spaces) counts as unset.
    /// - Any other variable starting with `CORS_` is an error, with a "did
    ///   you mean" hint: a misspelt `CORS_ALLOWED_ORIGINS` would otherwise be
    ///   ignored silently. So is a variable whose prefix is a near miss
    ///   (`COSR_ALLOW_ORIGINS`).
    /// - Per-path tables have no environment form: use a file.
    ///
    /// The configuration remembers the prefix ([`env_prefix`](Self::env_prefix)),
    /// so every issue of its [`build`](Self::build), cross-field ones
    /// included, names variables:
    /// `CORS_ALLOW_ANY_ORIGIN=true cannot be combined with CORS_ALLOW_CREDENTIALS=true`.
    /// Values are checked here as `build()` checks them, so a bad origin,
    /// method or header is reported at once, naming the variable and
    /// position (`CORS_ALLOW_ORIGINS[1]`); problems of a combination of
    /// settings (no origin at all, `*` with credentials) are left to
    /// `build()`, as code may still add to the configuration before it
    /// ([`PolicyBuilder::from`](crate::PolicyBuilder::from)).
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
    ///
    /// let open = CorsConfig::from_vars("CORS", [
    ///     ("CORS_ALLOW_ANY_ORIGIN", "true"),
    ///     ("CORS_ALLOW_CREDENTIALS", "true"),
    /// ])?;
    /// assert!(open.build().unwrap_err().to_string().starts_with(
    ///     "invalid CORS policy: CORS_ALLOW_ANY_ORIGIN=true cannot be combined with CORS_ALLOW_CREDENTIALS=true",
    /// ));
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
    /// ignored (unless the prefix is a near miss); a later pair for the same
    /// variable replaces an earlier one.
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
        let mut config = Self {
            env_prefix: Some(prefix.to_owned()),
            ..Self::default()
        };
        let mut issues = Vec::new();
        for (name, value) in vars {
            let Some(name) = name.as_ref().to_str() else {
                continue;
            };
            let Some(rest) = name.strip_prefix(&head) else {
                issues.extend(near_miss(prefix, name));
                continue;
            };
            let Some(setting) = Setting::FIELDS
                .into_iter()
                .find(|s| s.field().is_some_and(|f| rest == f.to_ascii_uppercase()))
            else {
                issues.push(unknown_variable(prefix, name));
                continue;
            };
            let bad = |input: &str, message: String| {
                Issue::new(IssueKind::InvalidSetting, input, message).on(setting)
            };
            let Some(text) = value.as_ref().to_str() else {
                let shown = value.as_ref().to_string_lossy().into_owned();
                let message = format!("{shown:?} is not valid UTF-8");
                issues.push(bad(&shown, message));
                continue;
            };
            let text = text.trim();
            if let Err(expected) = config.set(setting, text) {
                issues.push(bad(text, format!("{text:?} is not {expected}")));
            }
        }
        // Problems of one value; combinations of settings wait for `build()`.
        if let Err(err) = compile(&config, &[], &Front::Builder) {
            issues.extend(
                err.issues()
                    .iter()
                    .filter(|i| i.setting().is_some())
                    .cloned(),
            );
        }
        crate::list::sort_by_key(&mut issues, |issue| crate::list::issue_place(issue, true));
        if issues.is_empty() {
            Ok(config)
        } else {
            Err(PolicyError::new(issues).produced_by(&config.front(), None))
        }
    }

    /// Sets a field from a variable's trimmed text (empty: the default), or
    /// says what the text should have been.
    fn set(&mut self, setting: Setting, text: &str) -> Result<(), &'static str> {
        let list = || {
            text.split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let flag = || match text {
            "" => Ok(false),
            t if t.eq_ignore_ascii_case("true") => Ok(true),
            t if t.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err("true or false"),
        };
        fn number<T: std::str::FromStr>(
            text: &str,
            expected: &'static str,
        ) -> Result<Option<T>, &'static str> {
            match text {
                "" => Ok(None),
                t => t.parse().map(Some).map_err(|_| expected),
            }
        }
        match setting {
            Setting::AllowOrigins => self.allow_origins = list(),
            Setting::AllowOriginRegexes => self.allow_origin_regexes = list(),
            Setting::OwnOrigins => self.own_origins = list(),
            Setting::AllowMethods => self.allow_methods = list(),
            Setting::AllowHeaders => self.allow_headers = list(),
            Setting::ExposeHeaders => self.expose_headers = list(),
            Setting::MaxAge => self.max_age = number(text, "a number of seconds, e.g. 600")?,
            Setting::PreflightStatus => {
                self.preflight_status = number(text, "an HTTP status: use 204 (default) or 200")?
            }
            Setting::AllowAnyOrigin => self.allow_any_origin = flag()?,
            Setting::AllowNullOrigin => self.allow_null_origin = flag()?,
            Setting::AllowCredentials => self.allow_credentials = flag()?,
            Setting::Strict => self.strict = flag()?,
            Setting::GuardWebSockets => self.guard_websockets = flag()?,
            Setting::AllowPrivateNetwork => self.allow_private_network = flag()?,
            Setting::ExplainPreflightRefusals => self.explain_preflight_refusals = flag()?,
            // Settings without a variable: not in `Setting::FIELDS`.
            _ => {}
        }
        Ok(())
    }
}

/// The variable names of every field.
fn variables(prefix: &str) -> impl Iterator<Item = String> + '_ {
    Setting::FIELDS
        .into_iter()
        .filter_map(move |s| s.field().map(|f| env_var(prefix, f)))
}

fn unknown_variable(prefix: &str, name: &str) -> Issue {
    let best = variables(prefix)
        .map(|c| (edit_distance(name, &c), c))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, c)| *d <= (c.len() / 3).max(2));
    let message = match best {
        Some((_, c)) => format!("unknown variable: did you mean {c}?"),
        None => {
            let all: Vec<String> = variables(prefix).collect();
            format!(
                "unknown variable: the known ones are {}",
                crate::list::join(&all, ", ")
            )
        }
    };
    unknown(name, message)
}

/// A variable named after a field under a prefix one or two letters from
/// the configured one (`COSR_ALLOW_ORIGINS` for `CORS`): without this, the
/// configuration would silently lack it.
fn near_miss(prefix: &str, name: &str) -> Option<Issue> {
    let intended = Setting::FIELDS.into_iter().find_map(|s| {
        let field = s.field()?.to_ascii_uppercase();
        let other = name.strip_suffix(&field)?.strip_suffix('_')?;
        let distance = edit_distance(other, prefix);
        let field = s.field()?;
        (distance > 0 && distance <= 2 && !other.is_empty()).then(|| env_var(prefix, field))
    })?;
    Some(unknown(
        name,
        format!("the prefix is {prefix}, so this variable is not read: did you mean {intended}?"),
    ))
}

fn unknown(name: &str, message: String) -> Issue {
    Issue::new(IssueKind::UnknownSetting, name, message)
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
