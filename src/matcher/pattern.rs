//! Subdomain and port patterns: `https://*.example.com`,
//! `https://*.example.com:8443`, `https://*.example.com:*`,
//! `http://localhost:*`.
//!
//! A subdomain pattern matches one or more whole DNS labels in front of its
//! base domain, never the base domain itself and never a host that merely
//! ends with the same characters (`evilexample.com`). Matching works on the
//! parsed host, label by label, never on substrings of the raw header.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use super::OriginHasher;
use crate::error::{Issue, IssueKind};
use crate::origin::{
    add_scheme_hint, default_port, parse_config_port, split_config_origin, Origin,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Port {
    /// A fixed port; `None` is the scheme's default (absent from the origin).
    Exact(Option<u16>),
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    scheme: Box<[u8]>,
    /// `true`: host must be a proper subdomain of the key; `false`: host must
    /// equal the key.
    subdomains: bool,
    port: Port,
}

/// Compiled patterns, keyed by base domain (or host, for port-only patterns).
#[derive(Debug, Clone, Default)]
pub(crate) struct Patterns {
    /// Keys come only from the configuration, so the unkeyed hash of the exact
    /// set serves here too (see [`OriginHasher`]).
    rules: HashMap<Box<[u8]>, Vec<Rule>, BuildHasherDefault<OriginHasher>>,
    /// Most labels in any subdomain base: suffixes with more labels are never
    /// looked up, so a host of many labels costs at most this many lookups.
    max_base_labels: usize,
    any_exact_host: bool,
}

impl Patterns {
    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Parses and adds one pattern, or explains why it is refused.
    pub(crate) fn add(&mut self, input: &str) -> Result<(), Issue> {
        let (key, rule) = parse(input)?;
        if rule.subdomains {
            let labels = key.iter().filter(|&&b| b == b'.').count() + 1;
            self.max_base_labels = self.max_base_labels.max(labels);
        } else {
            self.any_exact_host = true;
        }
        let rules = self.rules.entry(key).or_default();
        if !rules.contains(&rule) {
            rules.push(rule);
        }
        Ok(())
    }

    /// Whether a parsed request origin matches a pattern.
    pub(crate) fn matches(&self, origin: &Origin<'_>) -> bool {
        if self.any_exact_host && self.lookup(origin.host, false, origin) {
            return true;
        }
        if origin.host_is_ip {
            return false;
        }
        // Walk proper suffixes from the right, one label at a time:
        // "a.b.example.com" → "com", "example.com", "b.example.com".
        let host = origin.host;
        let mut end_labels = 0;
        let mut i = host.len();
        while end_labels < self.max_base_labels {
            let Some(dot) = host[..i].iter().rposition(|&b| b == b'.') else {
                return false;
            };
            end_labels += 1;
            if self.lookup(&host[dot + 1..], true, origin) {
                return true;
            }
            i = dot;
        }
        false
    }

    fn lookup(&self, key: &[u8], subdomains: bool, origin: &Origin<'_>) -> bool {
        self.rules.get(key).is_some_and(|rules| {
            rules.iter().any(|r| {
                r.subdomains == subdomains
                    && *r.scheme == *origin.scheme
                    && match r.port {
                        Port::Any => true,
                        Port::Exact(p) => p == origin.port,
                    }
            })
        })
    }
}

fn invalid(input: &str, why: &str) -> Issue {
    Issue::new(
        IssueKind::InvalidPattern,
        input,
        format!("{input:?} is not a valid origin pattern: {why}"),
    )
}

const WILDCARD_RULE: &str = "\"*\" must be the whole leftmost label (\"https://*.example.com\") or the whole port (\"http://localhost:*\")";

fn parse(input: &str) -> Result<(Box<[u8]>, Rule), Issue> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid(
            input,
            "it is empty: write a pattern such as \"https://*.example.com\"",
        ));
    }
    if !trimmed.contains("://") {
        return Err(invalid(input, &add_scheme_hint(trimmed)));
    }
    let (subdomains, text) = match input.split_once("://*.") {
        Some((scheme, rest)) => (true, format!("{scheme}://{rest}")),
        None => (false, input.to_owned()),
    };
    let head = text.split_once("://").map_or(text.as_str(), |(_, r)| r);
    let host_part = head.rsplit_once(':').map_or(head, |(h, _)| h);
    if host_part.contains('*') {
        return Err(invalid(input, WILDCARD_RULE));
    }
    let parts = split_config_origin(&text).map_err(|e| invalid(input, &e))?;
    let port = match parts.port.as_deref() {
        Some("*") => Port::Any,
        Some(p) if p.contains('*') => return Err(invalid(input, WILDCARD_RULE)),
        Some(p) => match parse_config_port(p) {
            Some(n) if Some(n) == default_port(&parts.scheme) => Port::Exact(None),
            Some(n) => Port::Exact(Some(n)),
            None => return Err(invalid(input, &format!("{p:?} is not a port number"))),
        },
        None => Port::Exact(None),
    };
    let host_is_ip =
        Origin::parse(&format!("{}://{}", parts.scheme, parts.host)).is_some_and(|o| o.host_is_ip);
    if !subdomains && port != Port::Any {
        return Err(Issue::new(
            IssueKind::InvalidPattern,
            input,
            format!("{input:?} has no wildcard: use allow_origin() for an exact origin"),
        ));
    }
    if subdomains && host_is_ip {
        return Err(invalid(input, "an IP address has no subdomains"));
    }
    if subdomains && is_public_suffix(&parts.host) {
        return Err(Issue::new(
            IssueKind::PublicSuffixPattern,
            input,
            format!(
                "{input:?} covers the public suffix {:?}, under which anyone can register a domain: use a pattern over a domain you control, e.g. \"{}://*.example.{}\"",
                parts.host, parts.scheme, parts.host
            ),
        ));
    }
    let canonical = rebuild(&parts.scheme, subdomains, &parts.host, port);
    if !parts.fixes.is_empty() || canonical != input {
        let why = if parts.fixes.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.fixes.join(", "))
        };
        return Err(invalid(
            input,
            &format!("write it as browsers send origins{why}: did you mean {canonical:?}?"),
        ));
    }
    let rule = Rule {
        scheme: parts.scheme.into_bytes().into_boxed_slice(),
        subdomains,
        port,
    };
    Ok((parts.host.into_bytes().into_boxed_slice(), rule))
}

fn rebuild(scheme: &str, subdomains: bool, host: &str, port: Port) -> String {
    let star = if subdomains { "*." } else { "" };
    match port {
        Port::Any => format!("{scheme}://{star}{host}:*"),
        Port::Exact(Some(p)) => format!("{scheme}://{star}{host}:{p}"),
        Port::Exact(None) => format!("{scheme}://{star}{host}"),
    }
}

/// Whether `domain` is itself a public suffix listed in the Public Suffix
/// List (`com`, `co.uk`, `github.io`). Names under an unlisted top-level
/// domain (`localhost`, `internal`, `test`) are not treated as public.
///
/// The list is a snapshot embedded as data (`data/public_suffix_list.dat`,
/// refreshed with `scripts/update-psl.sh`) and read with the `publicsuffix`
/// crate the first time a pattern is checked, then kept for the life of the
/// process. A list compiled to code (the `psl` crate) would cost every
/// release build of this crate several seconds of optimization for a check
/// that runs only while a policy is built.
fn is_public_suffix(domain: &str) -> bool {
    use publicsuffix::Psl;
    static LIST: OnceLock<Option<publicsuffix::List>> = OnceLock::new();
    let list = LIST.get_or_init(|| PUBLIC_SUFFIX_LIST.parse().ok());
    match list {
        Some(list) => list
            .suffix(domain.as_bytes())
            .is_some_and(|s| s.is_known() && s.as_bytes() == domain.as_bytes()),
        // The embedded list is checked by a test; should it ever fail to
        // load, refuse every subdomain pattern over a single label rather
        // than silently accept `https://*.com`.
        None => !domain.contains('.'),
    }
}

/// The embedded Public Suffix List (MPL-2.0, see the file's header).
const PUBLIC_SUFFIX_LIST: &str = include_str!("../../data/public_suffix_list.dat");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_public_suffix_list_loads_both_sections() {
        let list: publicsuffix::List = PUBLIC_SUFFIX_LIST.parse().expect("list parses");
        assert!(!list.is_empty());
        for suffix in ["com", "co.uk", "github.io", "s3.amazonaws.com", "xn--p1ai"] {
            assert!(is_public_suffix(suffix), "{suffix}");
        }
        // Wildcard rules (`*.kawasaki.jp`) and their exceptions.
        assert!(is_public_suffix("foo.kawasaki.jp"));
        assert!(!is_public_suffix("city.kawasaki.jp"));
        for domain in [
            "example.com",
            "example.co.uk",
            "user.github.io",
            "localhost",
            "internal",
            "app.test",
        ] {
            assert!(!is_public_suffix(domain), "{domain}");
        }
    }

    fn compile(patterns: &[&str]) -> Patterns {
        let mut p = Patterns::default();
        for pat in patterns {
            p.add(pat).unwrap_or_else(|e| panic!("{pat}: {e}"));
        }
        p
    }

    fn matches(p: &Patterns, origin: &str) -> bool {
        p.matches(&Origin::parse(origin).unwrap())
    }

    #[test]
    fn subdomain_patterns_match_whole_labels() {
        let p = compile(&["https://*.example.com"]);
        let cases = [
            ("https://a.example.com", true),
            ("https://a.b.example.com", true),
            ("https://example.com", false),
            ("https://evilexample.com", false),
            ("https://example.com.evil.com", false),
            ("http://a.example.com", false),
            ("https://a.example.com:8443", false),
            ("https://a.example.co", false),
        ];
        for (origin, expected) in cases {
            assert_eq!(matches(&p, origin), expected, "{origin}");
        }
    }

    #[test]
    fn shared_suffixes_do_not_leak_between_patterns() {
        // jub0bs/cors GHSA-vhxv-fg4m-p2w8: foo.com and bar.com allowed barfoo.com.
        let p = compile(&["https://*.foo.com", "https://*.bar.com"]);
        assert!(!matches(&p, "https://barfoo.com"));
        assert!(!matches(&p, "https://x.barfoo.com"));
        assert!(matches(&p, "https://x.foo.com"));
    }

    #[test]
    fn port_patterns() {
        let p = compile(&[
            "http://localhost:*",
            "https://*.example.com:*",
            "https://*.dev.test:8443",
        ]);
        let cases = [
            ("http://localhost:3000", true),
            ("http://localhost", true),
            ("https://localhost:3000", false),
            ("http://a.localhost:3000", false),
            ("https://a.example.com:1", true),
            ("https://a.example.com", true),
            ("https://a.dev.test:8443", true),
            ("https://a.dev.test", false),
        ];
        for (origin, expected) in cases {
            assert_eq!(matches(&p, origin), expected, "{origin}");
        }
    }

    #[test]
    fn refuses_bad_patterns() {
        let cases = [
            ("https://*.com", IssueKind::PublicSuffixPattern),
            ("https://*.co.uk", IssueKind::PublicSuffixPattern),
            ("https://*.github.io", IssueKind::PublicSuffixPattern),
            ("https://*example.com", IssueKind::InvalidPattern),
            ("https://a.*.example.com", IssueKind::InvalidPattern),
            ("https://*", IssueKind::InvalidPattern),
            ("https://example.com", IssueKind::InvalidPattern),
            ("https://*.Example.com", IssueKind::InvalidPattern),
            ("https://*.example.com/", IssueKind::InvalidPattern),
            ("https://*.127.0.0.1", IssueKind::InvalidPattern),
            ("https://*.example.com:8*", IssueKind::InvalidPattern),
        ];
        for (input, kind) in cases {
            let err = Patterns::default().add(input).expect_err(input);
            assert_eq!(err.kind(), kind, "{input}: {err}");
        }
    }

    #[test]
    fn unlisted_top_level_domains_are_allowed() {
        compile(&["http://*.localhost:*", "https://*.internal"]);
    }
}
