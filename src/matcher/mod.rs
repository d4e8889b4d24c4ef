//! The compiled origin matcher: exact set, then subdomain/port patterns, then
//! anchored regexes (feature `regex`). Cheapest check first; empty strategies
//! are skipped.

mod pattern;
#[cfg(feature = "regex")]
mod regex;

use std::collections::HashMap;

use http::HeaderValue;

use crate::error::Issue;
use crate::origin::Origin;
use crate::policy::Refusal;

#[cfg(feature = "regex")]
pub(crate) use self::regex::Regexes;
pub(crate) use pattern::Patterns;

/// Allowed origins of a non-public policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct OriginMatcher {
    /// Canonical serialized origins; a request's `Origin` bytes are looked up
    /// directly, so one hash lookup decides, however many origins there are.
    /// The value is the origin's precomputed `Access-Control-Allow-Origin`.
    exact: HashMap<Box<[u8]>, HeaderValue>,
    patterns: Patterns,
    #[cfg(feature = "regex")]
    regexes: Option<Regexes>,
    null: bool,
}

impl OriginMatcher {
    pub(crate) fn add_exact(&mut self, canonical: String) {
        if let Ok(value) = HeaderValue::from_str(&canonical) {
            // One clone makes the buffer shared: later clones never allocate.
            drop(value.clone());
            self.exact
                .insert(canonical.into_bytes().into_boxed_slice(), value);
        }
    }

    pub(crate) fn add_pattern(&mut self, input: &str) -> Result<(), Issue> {
        self.patterns.add(input)
    }

    #[cfg(feature = "regex")]
    pub(crate) fn set_regexes(&mut self, regexes: Regexes) {
        self.regexes = Some(regexes);
    }

    pub(crate) fn allow_null(&mut self) {
        self.null = true;
    }

    /// The `Access-Control-Allow-Origin` value for the request's single
    /// `Origin` header, or why the origin is refused.
    pub(crate) fn allow(&self, origin: &HeaderValue) -> Result<HeaderValue, Refusal> {
        let raw = origin.as_bytes();
        // Configured origins are canonical, so a hit is a valid origin.
        if let Some(value) = self.exact.get(raw) {
            return Ok(value.clone());
        }
        if raw == b"null" {
            return if self.null {
                Ok(HeaderValue::from_static("null"))
            } else {
                Err(Refusal::NullOriginNotAllowed)
            };
        }
        let Some(parsed) = Origin::parse(raw) else {
            return Err(Refusal::OriginMalformed);
        };
        if !self.patterns.is_empty() && self.patterns.matches(&parsed) {
            return Ok(origin.clone());
        }
        #[cfg(feature = "regex")]
        if let Some(regexes) = &self.regexes {
            if regexes.matches(raw) {
                return Ok(origin.clone());
            }
        }
        Err(Refusal::OriginNotAllowed)
    }
}
