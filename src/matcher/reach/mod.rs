//! What an origin regex can reach (feature `regex`): the proof that decides
//! whether a regex may allow credentialed requests.
//!
//! A regex is safe with credentials only if every origin it can match, as
//! browsers serialize origins (`scheme://host[:port]`), has a host
//!
//! - equal to or under one of at most [`MAX_SITES`] registrable domains
//!   (Public Suffix List) — the ones the regex spells out — with no public
//!   suffix below the part the regex leaves open, or
//! - under an unlisted top-level domain other than `local` (`internal`,
//!   `test`: names no stranger can register, as for patterns), or
//! - `localhost`, a name under it, or a loopback IP literal, or
//! - one of at most [`MAX_SITES`] IP literals or opaque hosts it spells out.
//!
//! The proof runs on the regex's automaton, not on samples: the anchored
//! expression is determinized (a dense DFA, within a size budget), the
//! schemes it can start with are enumerated, and for each scheme the hosts
//! are walked from their end, label by label, on the reversed automaton. A
//! walk stops as soon as the labels read name a registrable domain with no
//! public suffix below it: every longer host then belongs to that domain's
//! owner. A regex whose walk does not end within the budget is refused as
//! too complex to prove safe.

mod dfa;
mod host;
mod walk;

use regex_syntax::hir::Hir;

use dfa::Dfa;
use walk::Walk;

/// Most registrable domains (or IP literals, or opaque hosts) a credentialed
/// regex may reach: more is a class of strangers' names, not a list of one's
/// own (`https://[a-z]\.com` reaches 26).
pub(crate) const MAX_SITES: usize = 16;
/// Most states the walks may visit before the regex is called too complex.
const MAX_NODES: usize = 20_000;
/// Most distinct schemes a credentialed regex may match.
const MAX_SCHEMES: usize = 8;
/// Longest scheme the enumeration follows.
const MAX_SCHEME_LEN: usize = 40;
/// Memory budget of the automaton and of its construction.
const DFA_BYTES: usize = 2 << 20;

/// Why a credentialed regex is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unsafe {
    /// It matches `witness`, an origin a stranger can claim; `why` says how
    /// (empty: its hosts are not confined to the domains it spells out).
    Reaches { witness: String, why: String },
    /// The proof did not finish within its budget.
    TooComplex,
}

/// What owns the hosts of one branch of the walk.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Site {
    /// A registrable domain: `example.com`.
    Domain(String),
    /// An unlisted top-level domain: `internal`.
    Private(String),
    /// An IP literal or an opaque host, spelled out.
    Literal(String),
}

/// Checks that every origin the anchored expression `hir` can match stays
/// within the sites it spells out.
///
/// `hints`: names the expression spells out (`example.com`), from which the
/// error's example of a stranger's origin is built.
pub(crate) fn check(hir: &Hir, hints: &[String]) -> Result<(), Unsafe> {
    let dfa = Dfa::build(hir)?;
    let mut budget = MAX_NODES;
    // The schemes of nearly every credentialed origin first, so that the
    // witness is the one a reader recognises.
    let mut schemes = Vec::new();
    for scheme in ["https", "http"] {
        if let Some(state) = dfa.feed(dfa.start, format!("{scheme}://").as_bytes()) {
            schemes.push((scheme.to_owned(), state));
        }
    }
    for (scheme, state) in &schemes {
        Walk::new(&dfa, scheme, *state, hints, &mut budget).run()?;
    }
    let all = dfa.schemes(&mut budget)?;
    for (scheme, state) in all {
        if scheme == "https" || scheme == "http" {
            continue;
        }
        Walk::new(&dfa, &scheme, state, hints, &mut budget).run()?;
    }
    Ok(())
}

fn spend(budget: &mut usize) -> Result<(), Unsafe> {
    *budget = budget.checked_sub(1).ok_or(Unsafe::TooComplex)?;
    Ok(())
}

const SCHEME_BYTES: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789+-.";
/// Bytes of a host of a special scheme, label bytes first and `.` last.
const HOST_BYTES: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_.";
/// Bytes of an opaque host (non-special schemes keep their case).
const OPAQUE_HOST_BYTES: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~";
const IPV6_BYTES: &[u8] = b"0123456789abcdef:.";

fn is_special(scheme: &str) -> bool {
    matches!(scheme, "http" | "https" | "ws" | "wss" | "ftp" | "file")
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_syntax::hir::Look;

    fn verdict(expr: &str) -> Result<(), Unsafe> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(expr)
            .expect("parses");
        check(
            &Hir::concat(vec![Hir::look(Look::Start), hir, Hir::look(Look::End)]),
            &[],
        )
    }

    /// `ck`, `er`, `fk`, `jm`, `mm`, `np`, `pg` have no rule of their own,
    /// only `*.ck` (and so on): every name two labels below them is a
    /// stranger's registrable domain.
    #[test]
    fn a_top_level_domain_known_only_through_a_wildcard_rule_is_not_private() {
        for (expr, witness) in [
            (r"https://[a-z0-9-]+\.co\.ck", "https://evil.co.ck"),
            (r"https://(?:[a-z]+\.)+ck", ".ck"),
            (r"https://[a-z0-9-]+\.com\.er", ".com.er"),
            (r"https://[a-z]+\.ck", ".ck"),
        ] {
            match verdict(expr) {
                Err(Unsafe::Reaches { witness: w, .. }) => {
                    assert!(w.ends_with(witness) || w == witness, "{expr}: {w}");
                }
                other => panic!("{expr}: {other:?}"),
            }
        }
        // The exception `!www.ck` is a registrable domain; names below a
        // registrable domain and unlisted top-level domains stay owned.
        for expr in [
            r"https://[a-z]+\.www\.ck",
            r"https://[a-z0-9-]+\.example\.co\.ck",
            r"https://[a-z0-9-]+\.internal",
        ] {
            assert_eq!(verdict(expr), Ok(()), "{expr}");
        }
    }
}
