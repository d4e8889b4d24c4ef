//! The Public Suffix List, read from the embedded snapshot: which names
//! anyone can register below, and which registrable domain a host belongs to.
//!
//! The list is data (`data/public_suffix_list.dat`, refreshed with
//! `scripts/update-psl.sh`, rules already in their ASCII `xn--` form), parsed
//! once, the first time a policy needs it, into three sets. Lookups follow the
//! list's algorithm (<https://github.com/publicsuffix/list/wiki/Format>): the
//! longest matching rule wins, an exception rule (`!city.kawasaki.jp`) beats
//! the wildcard (`*.kawasaki.jp`) it cancels, and a name under no rule has its
//! last label as its public suffix (the implicit `*` rule), marked unlisted.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The embedded Public Suffix List (MPL-2.0, see the file's header).
const LIST: &str = include_str!("../data/public_suffix_list.dat");

struct Rules {
    /// Plain rules: `com`, `co.uk`, `s3.amazonaws.com`.
    plain: HashSet<&'static str>,
    /// The base of each wildcard rule: `kawasaki.jp` for `*.kawasaki.jp`.
    wildcard: HashSet<&'static str>,
    /// Exception rules without their `!`: `city.kawasaki.jp`.
    exception: HashSet<&'static str>,
    /// Every name some public suffix lies strictly below: the proper suffixes
    /// of each plain rule, and each wildcard base with its proper suffixes
    /// (`*.ck` puts a public suffix below `ck`).
    above_a_suffix: HashSet<&'static str>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules = Rules {
            plain: HashSet::new(),
            wildcard: HashSet::new(),
            exception: HashSet::new(),
            above_a_suffix: HashSet::new(),
        };
        for line in LIST.lines() {
            let rule = line.split_whitespace().next().unwrap_or("");
            if rule.is_empty() || rule.starts_with("//") {
                continue;
            }
            if let Some(name) = rule.strip_prefix('!') {
                rules.exception.insert(name);
            } else if let Some(base) = rule.strip_prefix("*.") {
                rules.wildcard.insert(base);
                rules.above_a_suffix.insert(base);
                rules.above_a_suffix.extend(proper_suffixes(base));
            } else {
                rules.plain.insert(rule);
                rules.above_a_suffix.extend(proper_suffixes(rule));
            }
        }
        rules
    })
}

/// `b.c` and `c` for `a.b.c`.
fn proper_suffixes(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices('.').map(move |(i, _)| &name[i + 1..])
}

/// A name's public suffix under the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Suffix<'a> {
    /// The suffix itself: a tail of the name, whole labels.
    pub(crate) name: &'a str,
    /// Whether a rule of the list gave it (false: the implicit `*` rule over
    /// an unlisted top-level domain such as `internal` or `localhost`).
    pub(crate) listed: bool,
}

/// The public suffix of a lowercase DNS name (no leading or trailing dot).
pub(crate) fn public_suffix(name: &str) -> Suffix<'_> {
    let rules = rules();
    // Suffixes from the longest (the whole name) to the last label: the
    // first rule found is the longest match.
    let mut start = Some(0);
    while let Some(at) = start {
        let tail = &name[at..];
        let parent = tail.find('.').map(|dot| at + dot + 1);
        if rules.exception.contains(tail) {
            if let Some(parent) = parent {
                return Suffix {
                    name: &name[parent..],
                    listed: true,
                };
            }
        }
        if rules.plain.contains(tail) {
            return Suffix {
                name: tail,
                listed: true,
            };
        }
        if let Some(parent) = parent {
            if rules.wildcard.contains(&name[parent..]) {
                return Suffix {
                    name: tail,
                    listed: true,
                };
            }
        }
        start = parent;
    }
    let last = name.rfind('.').map_or(0, |dot| dot + 1);
    Suffix {
        name: &name[last..],
        listed: false,
    }
}

/// Whether a name is itself a listed public suffix (`com`, `co.uk`,
/// `github.io`, `foo.kawasaki.jp`), so that anyone can register directly
/// below it. Names under an unlisted top-level domain (`localhost`,
/// `internal`, `test`) are not.
pub(crate) fn is_public_suffix(name: &str) -> bool {
    let suffix = public_suffix(name);
    suffix.listed && suffix.name.len() == name.len()
}

/// Whether some public suffix of the list lies strictly below `name`: then a
/// stranger can register a name under it (`bucket.s3.amazonaws.com` under
/// `amazonaws.com`, `evil.co.ck` under `ck`).
pub(crate) fn has_public_suffix_below(name: &str) -> bool {
    rules().above_a_suffix.contains(name)
}

#[cfg_attr(not(feature = "regex"), allow(dead_code))]
/// The registrable domain of a name (its public suffix and one more label),
/// or `None` when the name is a public suffix itself.
pub(crate) fn registrable_domain(name: &str) -> Option<&str> {
    let suffix = public_suffix(name);
    if suffix.name.len() >= name.len() {
        return None;
    }
    let head = &name[..name.len() - suffix.name.len() - 1];
    let start = head.rfind('.').map_or(0, |dot| dot + 1);
    Some(&name[start..])
}

/// A public suffix of the list that lies strictly below `name`, as a name a
/// stranger could register under (`s3.amazonaws.com` below `amazonaws.com`,
/// `co.ck` below `ck`): the closest one, for error messages.
pub(crate) fn a_public_suffix_below(name: &str) -> Option<String> {
    if !has_public_suffix_below(name) {
        return None;
    }
    let dotted = format!(".{name}");
    let labels = |s: &str| s.matches('.').count();
    let plain = LIST
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|rule| !rule.starts_with(['/', '!', '*']) && rule.ends_with(&dotted))
        .min_by_key(|rule| (labels(rule), rule.len()))
        .map(str::to_owned);
    plain.or_else(|| {
        let rules = rules();
        let base = rules
            .wildcard
            .iter()
            .filter(|base| **base == name || base.ends_with(&dotted))
            // The name itself breaks ties: a set's order varies between runs.
            .min_by_key(|base| (labels(base), base.len(), **base))?;
        // A label the wildcard covers and no exception takes back.
        ["co", "com", "x"]
            .iter()
            .map(|label| format!("{label}.{base}"))
            .find(|candidate| !rules.exception.contains(candidate.as_str()))
    })
}

/// Every rule of the embedded list, as written (`com`, `*.ck`,
/// `!www.ck`): for tests that sweep the whole list.
#[cfg(test)]
pub(crate) fn all_rules() -> impl Iterator<Item = &'static str> {
    LIST.lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|rule| !rule.is_empty() && !rule.starts_with("//"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_follow_the_list_algorithm() {
        let cases = [
            ("example.com", "com", true),
            ("a.b.example.co.uk", "co.uk", true),
            ("user.github.io", "github.io", true),
            ("bucket.s3.amazonaws.com", "s3.amazonaws.com", true),
            ("foo.kawasaki.jp", "foo.kawasaki.jp", true),
            ("a.foo.kawasaki.jp", "foo.kawasaki.jp", true),
            ("city.kawasaki.jp", "kawasaki.jp", true),
            ("a.city.kawasaki.jp", "kawasaki.jp", true),
            ("evil.co.ck", "co.ck", true),
            ("www.ck", "ck", true),
            ("app.internal", "internal", false),
            ("localhost", "localhost", false),
            ("xn--p1ai", "xn--p1ai", true),
        ];
        for (name, suffix, listed) in cases {
            assert_eq!(
                public_suffix(name),
                Suffix {
                    name: suffix,
                    listed
                },
                "{name}"
            );
        }
    }

    #[test]
    fn registrable_domains() {
        let cases = [
            ("example.com", Some("example.com")),
            ("a.b.example.com", Some("example.com")),
            ("com", None),
            ("github.io", None),
            ("x.user.github.io", Some("user.github.io")),
            ("a.city.kawasaki.jp", Some("city.kawasaki.jp")),
            ("foo.kawasaki.jp", None),
            ("app.internal", Some("app.internal")),
        ];
        for (name, expected) in cases {
            assert_eq!(registrable_domain(name), expected, "{name}");
        }
    }

    #[test]
    fn names_with_a_public_suffix_below() {
        for name in [
            "com",
            "amazonaws.com",
            "run.app",
            "app",
            "windows.net",
            "core.windows.net",
            "digitaloceanspaces.com",
            "fastly.net",
            "kawasaki.jp",
            "ck",
        ] {
            assert!(has_public_suffix_below(name), "{name}");
        }
        for name in [
            "example.com",
            "user.github.io",
            "city.kawasaki.jp",
            "internal",
            "mybucket.s3.amazonaws.com",
        ] {
            assert!(!has_public_suffix_below(name), "{name}");
        }
    }

    /// The publicsuffix crate (an independent implementation) agrees on
    /// every rule of the list and on names one and two labels below each,
    /// except where it misses a wildcard rule: for `r.cloud.int.apple`,
    /// `*.cloud.int.apple` is the longest matching rule, but the crate
    /// answers `int.apple` because `r` also starts the deeper rule
    /// `*.r.cloud.int.apple`. Each such difference is checked to be exactly
    /// that case.
    #[test]
    fn agrees_with_an_independent_implementation_on_every_rule() {
        use publicsuffix::Psl;
        let list: publicsuffix::List = LIST.parse().expect("the list parses");
        let rules = rules();
        let (mut checked, mut wildcard_misses) = (0, 0);
        for rule in all_rules() {
            let name = rule.trim_start_matches('!').trim_start_matches("*.");
            for probe in [name.to_owned(), format!("a.{name}"), format!("a.b.{name}")] {
                let theirs = list.suffix(probe.as_bytes()).expect("a suffix");
                let ours = public_suffix(&probe);
                checked += 1;
                if ours.name.as_bytes() == theirs.as_bytes() {
                    assert_eq!(ours.listed, theirs.is_known(), "{probe}");
                    continue;
                }
                // Ours must be a wildcard match `L.X` (`*.X` listed) longer
                // than theirs, whose label `L` starts a deeper rule.
                let (_, base) = ours.name.split_once('.').expect("a wildcard match");
                assert!(rules.wildcard.contains(base), "{probe}: {ours:?}");
                assert!(ours.name.len() > theirs.as_bytes().len(), "{probe}");
                assert!(has_public_suffix_below(ours.name), "{probe}");
                wildcard_misses += 1;
            }
        }
        assert!(checked > 25_000, "{checked}");
        assert!(wildcard_misses < 100, "{wildcard_misses}");
    }
}
