//! The compiled origin matcher: exact set, then subdomain/port patterns, then
//! anchored regexes (feature `regex`). Cheapest check first; empty strategies
//! are skipped.

mod exact;
mod pattern;
#[cfg(feature = "regex")]
mod reach;
#[cfg(feature = "regex")]
mod regex;

use std::fmt;
use std::hash::Hasher;
use std::sync::Arc;

use http::request::Parts;
use http::HeaderValue;

use crate::error::Issue;
use crate::origin::{Origin, MAX_ORIGIN_LEN};
use crate::refusal::Refusal;

#[cfg(feature = "regex")]
pub(crate) use self::regex::Regexes;
use exact::ExactSet;
pub(crate) use pattern::{is_mdns, Patterns};

/// Allowed origins of a non-public policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct OriginMatcher {
    /// Canonical serialized origins; a request's `Origin` bytes are looked up
    /// directly, so one hash lookup decides, however many origins there are.
    exact: ExactSet,
    patterns: Patterns,
    #[cfg(feature = "regex")]
    regexes: Option<Regexes>,
    predicate: Option<OriginFn>,
    null: bool,
    /// Patterns, regexes or a predicate are set: an origin missing from the
    /// exact set must be parsed.
    wildcards: bool,
}

/// The function type of an `allow_origin_fn` predicate.
pub(crate) type OriginPredicate = dyn Fn(&Origin<'_>, &Parts) -> bool + Send + Sync;

/// An `allow_origin_fn` predicate.
#[derive(Clone)]
pub(crate) struct OriginFn(pub(crate) Arc<OriginPredicate>);

impl fmt::Debug for OriginFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OriginFn(..)")
    }
}

impl OriginMatcher {
    pub(crate) fn add_exact(&mut self, canonical: impl AsRef<str>) {
        // A hit answers with the request's own value, so the set needs no
        // header value of its own.
        self.exact.insert(canonical.as_ref().as_bytes());
    }

    /// Whether `origin` is one of the exact origins.
    pub(crate) fn has_exact(&self, origin: &[u8]) -> bool {
        self.exact.contains(origin)
    }

    /// The exact origins, each once, in the order first added.
    pub(crate) fn exact_origins(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.exact.iter()
    }

    pub(crate) fn add_pattern(&mut self, input: &str) -> Result<(), Issue> {
        self.patterns.add(input)?;
        self.wildcards = true;
        Ok(())
    }

    #[cfg(feature = "regex")]
    pub(crate) fn set_regexes(&mut self, regexes: Regexes) {
        self.regexes = Some(regexes);
        self.wildcards = true;
    }

    pub(crate) fn set_predicate(&mut self, predicate: OriginFn) {
        self.predicate = Some(predicate);
        self.wildcards = true;
    }

    /// Whether patterns, regexes or a predicate are configured (origins must
    /// be parsed).
    fn has_wildcards(&self) -> bool {
        self.wildcards
    }

    pub(crate) fn allow_null(&mut self) {
        self.null = true;
    }

    /// The `Access-Control-Allow-Origin` value for the request's single
    /// `Origin` header, or why the origin is refused.
    ///
    /// Only patterns, regexes and the predicate need the origin parsed:
    /// without them, an origin missing from the exact set is refused as
    /// [`Refusal::OriginNotAllowed`] without parsing, malformed or not.
    ///
    /// The predicate runs last, and only with the request head at hand
    /// (`parts`); the policy always passes it when a predicate is set.
    #[inline(always)]
    pub(crate) fn allow(
        &self,
        origin: &HeaderValue,
        parts: Option<&Parts>,
    ) -> Result<HeaderValue, Refusal> {
        let raw = origin.as_bytes();
        // The cap first: nothing below hashes or scans more than
        // `MAX_ORIGIN_LEN` bytes of a request's `Origin`.
        if raw.len() > MAX_ORIGIN_LEN {
            return Err(self.oversized());
        }
        // Configured origins are canonical, so a hit is a valid origin, and
        // the request's value is the answer (its buffer is shared: no copy).
        if self.exact.contains(raw) {
            return Ok(origin.clone());
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
        self.allow_parsed(origin, parts)
    }

    /// The refusal of an `Origin` over the length cap: malformed where the
    /// origin would be parsed, not allowed where only the exact set looks.
    #[cold]
    fn oversized(&self) -> Refusal {
        if self.has_wildcards() {
            Refusal::OriginMalformed
        } else {
            Refusal::OriginNotAllowed
        }
    }

    /// Patterns, regexes and the predicate, which need the origin parsed.
    /// Out of line: an exact-only policy's lookup stays small enough to be
    /// inlined whole.
    #[inline(never)]
    fn allow_parsed(
        &self,
        origin: &HeaderValue,
        parts: Option<&Parts>,
    ) -> Result<HeaderValue, Refusal> {
        let raw = origin.as_bytes();
        let Some(parsed) = Origin::parse_bytes(raw) else {
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
        if let (Some(predicate), Some(parts)) = (&self.predicate, parts) {
            // A panicking predicate refuses the origin instead of taking the
            // request (or, for a report-only candidate, the enforced answer)
            // down with it.
            let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (predicate.0)(&parsed, parts)
            }));
            if matches!(call, Ok(true)) {
                return Ok(origin.clone());
            }
        }
        Err(Refusal::OriginNotAllowed)
    }
}

/// A fast, unkeyed hash for the exact-origin and pattern tables. Their keys
/// come only from the configuration, so a request cannot grow them or
/// lengthen their probe sequences: SipHash's flooding resistance buys nothing
/// here and cost ~240 instructions per lookup.
///
/// Each 8-byte word is mixed with a folded multiply (the high and low halves
/// of a 128-bit product XORed), which spreads every input bit over the whole
/// hash: hashbrown takes its bucket from the low bits and its 7-bit tag from
/// the high bits, and configured origins often differ in a single byte
/// (`https://tenant1.example.com`, `https://tenant2.example.com`).
#[derive(Default)]
pub(crate) struct OriginHasher(u64);

/// An odd constant with well-spread bits (the fractional part of π).
const K: u64 = 0x243f_6a88_85a3_08d3;

fn fold_mul(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

impl OriginHasher {
    fn mix(&mut self, word: u64) {
        self.0 = fold_mul(self.0 ^ word, K);
    }
}

impl Hasher for OriginHasher {
    fn write(&mut self, bytes: &[u8]) {
        let word = |chunk: &[u8]| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from_le_bytes(word)
        };
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.mix(word(chunk));
        }
        if chunks.remainder().is_empty() {
            return;
        }
        // The tail: the last eight bytes, overlapping the chunks before (a
        // fixed-size load instead of a variable-length copy), or the bytes one
        // by one when there are fewer than eight.
        let tail = match bytes.len().checked_sub(8) {
            Some(start) => word(&bytes[start..]),
            None => bytes.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b)),
        };
        self.mix(tail);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, BuildHasherDefault};

    /// Keys differing in one byte anywhere spread over buckets and tags (the
    /// low and the high 7 bits).
    #[test]
    fn one_byte_differences_reach_bucket_and_tag_bits() {
        let build = BuildHasherDefault::<OriginHasher>::default();
        for template in [
            "https://tenant0.example.com",
            "https://app.example.com:8443",
        ] {
            for at in 0..template.len() {
                let hashes: Vec<u64> = (b'0'..=b'9')
                    .chain(b'a'..=b'z')
                    .map(|c| {
                        let mut key = template.as_bytes().to_vec();
                        key[at] = c;
                        build.hash_one(key.as_slice())
                    })
                    .collect();
                let distinct = |f: fn(u64) -> u64| {
                    let mut v: Vec<u64> = hashes.iter().map(|&h| f(h)).collect();
                    v.sort_unstable();
                    v.dedup();
                    v.len()
                };
                // 36 keys into 128 values: a random hash gives ~31 distinct; a
                // multiply without the fold gives 1 tag for a difference in a
                // word's high byte.
                assert!(distinct(|h| h & 127) >= 16, "{template} byte {at}: buckets");
                assert!(distinct(|h| h >> 57) >= 16, "{template} byte {at}: tags");
            }
        }
    }
}
