//! The compiled origin matcher: exact set, then subdomain/port patterns, then
//! anchored regexes (feature `regex`). Cheapest check first; empty strategies
//! are skipped.

mod pattern;
#[cfg(feature = "regex")]
mod regex;

use std::collections::HashSet;

use crate::error::Issue;
use crate::origin::Origin;

#[cfg(feature = "regex")]
pub(crate) use self::regex::Regexes;
pub(crate) use pattern::Patterns;

/// Allowed origins of a non-public policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct OriginMatcher {
    /// Canonical serialized origins; a request's `Origin` bytes are looked up
    /// directly, so one hash lookup decides, however many origins there are.
    exact: HashSet<Box<[u8]>>,
    patterns: Patterns,
    #[cfg(feature = "regex")]
    regexes: Option<Regexes>,
    null: bool,
}

impl OriginMatcher {
    pub(crate) fn add_exact(&mut self, canonical: String) {
        self.exact.insert(canonical.into_bytes().into_boxed_slice());
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

    /// Whether the raw value of a request's single `Origin` header is allowed.
    pub(crate) fn matches(&self, raw: &[u8]) -> Result<(), crate::Refusal> {
        use crate::Refusal;
        // Configured origins are canonical, so a hit is a valid origin.
        if self.exact.contains(raw) {
            return Ok(());
        }
        if raw == b"null" {
            return if self.null {
                Ok(())
            } else {
                Err(Refusal::NullOriginNotAllowed)
            };
        }
        let Some(origin) = Origin::parse(raw) else {
            return Err(Refusal::OriginMalformed);
        };
        if !self.patterns.is_empty() && self.patterns.matches(&origin) {
            return Ok(());
        }
        #[cfg(feature = "regex")]
        if let Some(regexes) = &self.regexes {
            if regexes.matches(raw) {
                return Ok(());
            }
        }
        Err(Refusal::OriginNotAllowed)
    }
}
