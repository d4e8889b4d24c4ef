//! The compiled origin matcher: exact set, then subdomain/port patterns, then
//! anchored regexes (feature `regex`). Cheapest check first; empty strategies
//! are skipped.

mod pattern;
#[cfg(feature = "regex")]
mod regex;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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
    exact: HashMap<Box<[u8]>, HeaderValue, BuildHasherDefault<OriginHasher>>,
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

    /// Whether patterns or regexes are configured (origins must be parsed).
    fn has_wildcards(&self) -> bool {
        #[cfg(feature = "regex")]
        if self.regexes.is_some() {
            return true;
        }
        !self.patterns.is_empty()
    }

    pub(crate) fn allow_null(&mut self) {
        self.null = true;
    }

    /// The `Access-Control-Allow-Origin` value for the request's single
    /// `Origin` header, or why the origin is refused.
    ///
    /// Only patterns and regexes need the origin parsed: without them, an
    /// origin missing from the exact set is refused as
    /// [`Refusal::OriginNotAllowed`] without parsing, malformed or not.
    #[inline(always)]
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
        if !self.has_wildcards() {
            return Err(Refusal::OriginNotAllowed);
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

/// A fast, unkeyed hash for the exact-origin table (FxHash's word-at-a-time
/// mixing). The table's keys come only from the configuration, so a request
/// cannot grow it or lengthen its probe sequences: SipHash's flooding
/// resistance buys nothing here and cost ~240 instructions per lookup.
#[derive(Default)]
pub(crate) struct OriginHasher(u64);

impl Hasher for OriginHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let word = |chunk: &[u8]| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from_le_bytes(word)
        };
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.0 = (self.0 ^ word(chunk)).wrapping_mul(K);
        }
        let rest = chunks.remainder().len();
        if rest == 0 {
            return;
        }
        // The tail: the last eight bytes, overlapping the chunks before (a
        // fixed-size load instead of a variable-length copy), or the bytes one
        // by one when there are fewer than eight.
        let tail = match bytes.len().checked_sub(8) {
            Some(start) => word(&bytes[start..]),
            None => bytes.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b)),
        };
        self.0 = (self.0 ^ tail).wrapping_mul(K);
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }

    fn finish(&self) -> u64 {
        // hashbrown takes its 7-bit tag from the top bits: fold the well-mixed
        // high half into them.
        self.0.rotate_left(26)
    }
}
