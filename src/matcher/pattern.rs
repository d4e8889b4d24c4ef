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

use super::OriginHasher;
use crate::error::{Issue, IssueKind, Message, Setting};
use crate::origin::{
    add_scheme_hint, default_port, has_opaque_hosts, parse_config_port, split_config_origin,
    ConfigOrigin, Origin,
};
use crate::psl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Port {
    /// A fixed port; `None` is the scheme's default (absent from the origin).
    Exact(Option<u16>),
    Any,
}

/// What a rule asks of the host, relative to its key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    /// The host equals the key (port-only patterns).
    Exact,
    /// One or more whole labels in front of the key.
    Subdomains,
    /// Exactly one label in front of the key: `prefix`, then one or more of
    /// `[a-z0-9-]`, then `suffix`.
    Glob {
        prefix: Box<[u8]>,
        suffix: Box<[u8]>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    scheme: Box<[u8]>,
    host: Host,
    port: Port,
}

/// Compiled patterns, keyed by base domain (or host, for port-only patterns).
#[derive(Debug, Clone, Default)]
pub(crate) struct Patterns {
    /// Keys come only from the configuration, so the unkeyed hash of the exact
    /// set serves here too (see [`OriginHasher`]).
    rules: HashMap<Box<[u8]>, Vec<Rule>, BuildHasherDefault<OriginHasher>>,
    /// Most labels in any subdomain or glob base: suffixes with more labels
    /// are never looked up, so a host of many labels costs at most this many
    /// lookups.
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
        if rule.host == Host::Exact {
            self.any_exact_host = true;
        } else {
            let labels = key.iter().filter(|&&b| b == b'.').count() + 1;
            self.max_base_labels = self.max_base_labels.max(labels);
        }
        let rules = self.rules.entry(key).or_default();
        if !rules.contains(&rule) {
            rules.push(rule);
        }
        Ok(())
    }

    /// Whether a parsed request origin matches a pattern.
    pub(crate) fn matches(&self, origin: &Origin<'_>) -> bool {
        if self.any_exact_host && self.lookup(origin.host, None, origin) {
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
            if self.lookup(&host[dot + 1..], Some(&host[..dot]), origin) {
                return true;
            }
            i = dot;
        }
        false
    }

    /// Whether a rule keyed `key` matches; `front` is what the host has in
    /// front of `key` and its dot (`None`: the host is the key).
    fn lookup(&self, key: &[u8], front: Option<&[u8]>, origin: &Origin<'_>) -> bool {
        self.rules.get(key).is_some_and(|rules| {
            rules.iter().any(|r| {
                *r.scheme == *origin.scheme
                    && match r.port {
                        Port::Any => true,
                        Port::Exact(p) => p == origin.port,
                    }
                    && match (&r.host, front) {
                        (Host::Exact, None) => true,
                        (Host::Subdomains, Some(_)) => true,
                        (Host::Glob { prefix, suffix }, Some(front)) => {
                            glob_matches(prefix, suffix, front)
                        }
                        _ => false,
                    }
            })
        })
    }
}

/// Whether `label` is `prefix`, one or more of `[a-z0-9-]`, then `suffix`:
/// one whole label (no dot), never an empty run.
fn glob_matches(prefix: &[u8], suffix: &[u8], label: &[u8]) -> bool {
    label.len() > prefix.len() + suffix.len()
        && label.starts_with(prefix)
        && label.ends_with(suffix)
        && label[prefix.len()..label.len() - suffix.len()]
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn invalid(input: &str, why: &str) -> Issue {
    Issue::new(
        IssueKind::InvalidPattern,
        input,
        format!("{input:?} is not a valid origin pattern: {why}"),
    )
}

const WILDCARD_RULE: &str = "\"*\" may appear once, in the leftmost label: as the whole label (\"https://*.example.com\"), inside it (\"https://pr-*.preview.example.com\"), or as the whole port (\"http://localhost:*\")";

/// The leftmost label of a pattern's host, as written.
enum Label<'a> {
    /// No wildcard in the host.
    Plain,
    /// `*`: one or more whole labels.
    Star,
    /// `prefix*suffix`: one label.
    Glob(&'a str, &'a str),
}

fn parse(input: &str) -> Result<(Box<[u8]>, Rule), Issue> {
    let (scheme, rest) = split_scheme(input)?;
    let (first, label) = wildcard_label(input, rest)?;
    // The pattern without its wildcard label, checked as an origin.
    let text = match label {
        Label::Plain => input.to_owned(),
        Label::Star | Label::Glob(..) => format!("{scheme}://{}", &rest[first.len() + 1..]),
    };
    let mut parts = split_config_origin(&text).map_err(|e| invalid(input, &e))?;
    let port = pattern_port(input, &parts)?;
    let host_is_ip =
        Origin::parse(&format!("{}://{}", parts.scheme, parts.host)).is_some_and(|o| o.host_is_ip);
    let host = pattern_host(input, label, port, &mut parts.fixes)?;
    if host != Host::Exact && host_is_ip {
        return Err(invalid(input, "an IP address has no subdomains"));
    }
    if host != Host::Exact {
        if let Some(issue) = strangers_below(input, &parts.scheme, &host, &parts.host) {
            return Err(issue);
        }
    }
    let canonical = rebuild(&parts.scheme, &host, &parts.host, port);
    if !parts.fixes.is_empty() || canonical != input {
        let why = parts.fixes_note();
        return Err(invalid(
            input,
            &format!("write it as browsers send origins{why}: did you mean {canonical:?}?"),
        ));
    }
    let rule = Rule {
        scheme: parts.scheme.into_bytes().into_boxed_slice(),
        host,
        port,
    };
    Ok((parts.host.into_bytes().into_boxed_slice(), rule))
}

/// The scheme of a pattern, as written, and what follows its `://`; refuses
/// an empty pattern, one without a scheme, and one over a scheme whose hosts
/// are opaque.
fn split_scheme(input: &str) -> Result<(&str, &str), Issue> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid(
            input,
            "it is empty: write a pattern such as \"https://*.example.com\"",
        ));
    }
    let Some((scheme, rest)) = input.split_once("://") else {
        return Err(invalid(input, &add_scheme_hint(trimmed)));
    };
    let lower_scheme = scheme.trim().to_ascii_lowercase();
    if has_opaque_hosts(&lower_scheme) {
        return Err(Issue::new(
            IssueKind::InvalidPattern,
            input,
            Message::from(format!(
                "{input:?} is a pattern over the {lower_scheme:?} scheme, whose hosts are opaque names (extension IDs, app shells) with no subdomains to match: list each origin exactly with "
            ))
            .name(Setting::AllowOrigins)
            .text(", as the browser or app sends it"),
        ));
    }
    Ok((scheme, rest))
}

/// The leftmost label of a pattern's host (`rest`: what follows `://`), and
/// its wildcard; refuses a wildcard anywhere else, or more than one.
fn wildcard_label<'a>(input: &str, rest: &'a str) -> Result<(&'a str, Label<'a>), Issue> {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_part = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let (first, below) = host_part.split_once('.').unwrap_or((host_part, ""));
    if below.contains('*') || first.matches('*').count() > 1 {
        return Err(invalid(input, WILDCARD_RULE));
    }
    let label = match first.split_once('*') {
        None => Label::Plain,
        Some(_) if below.is_empty() => {
            return Err(invalid(
                input,
                &format!("{WILDCARD_RULE}, in front of a domain"),
            ))
        }
        Some(("", "")) => Label::Star,
        Some((prefix, suffix)) => Label::Glob(prefix, suffix),
    };
    Ok((first, label))
}

/// The port of a pattern: `*`, a number, or the scheme's default.
fn pattern_port(input: &str, parts: &ConfigOrigin) -> Result<Port, Issue> {
    Ok(match parts.port.as_deref() {
        Some("*") => Port::Any,
        Some(p) if p.contains('*') => return Err(invalid(input, WILDCARD_RULE)),
        Some(p) => match parse_config_port(p) {
            Some(n) if Some(n) == default_port(&parts.scheme) => Port::Exact(None),
            Some(n) => Port::Exact(Some(n)),
            None => return Err(invalid(input, &format!("{p:?} is not a port number"))),
        },
        None => Port::Exact(None),
    })
}

/// What a pattern asks of the host, from its wildcard label; records in
/// `fixes` a glob label to lowercase.
fn pattern_host(
    input: &str,
    label: Label<'_>,
    port: Port,
    fixes: &mut Vec<&'static str>,
) -> Result<Host, Issue> {
    Ok(match label {
        Label::Plain if port != Port::Any => {
            return Err(Issue::new(
                IssueKind::InvalidPattern,
                input,
                Message::from(format!("{input:?} has no wildcard: list it with "))
                    .name(Setting::AllowOrigins)
                    .text(" as an exact origin"),
            ))
        }
        Label::Plain => Host::Exact,
        Label::Star => Host::Subdomains,
        Label::Glob(prefix, suffix) => {
            let literal = |part: &str| {
                part.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            };
            if !literal(prefix) || !literal(suffix) {
                return Err(invalid(
                    input,
                    "the label around \"*\" may hold only letters, digits, \"-\" and \"_\" (a glob cannot cover an international name)",
                ));
            }
            if (prefix.len() + suffix.len()) >= 63 {
                return Err(invalid(
                    input,
                    "the label around \"*\" leaves no room for the wildcard (a DNS label has at most 63 characters)",
                ));
            }
            let upper = prefix
                .bytes()
                .chain(suffix.bytes())
                .any(|b| b.is_ascii_uppercase());
            if upper && !fixes.contains(&"lowercase the host") {
                fixes.push("lowercase the host");
            }
            Host::Glob {
                prefix: prefix.to_ascii_lowercase().into_bytes().into(),
                suffix: suffix.to_ascii_lowercase().into_bytes().into(),
            }
        }
    })
}

/// Why a wildcard over `base` also covers names strangers can register, if
/// it does: `base` is a public suffix of the list (`*.com`, `*.github.io`),
/// or a public suffix lies below it (`*.amazonaws.com` covers
/// `attacker.s3.amazonaws.com`, `*.ck` covers `evil.co.ck`).
fn strangers_below(input: &str, scheme: &str, host: &Host, base: &str) -> Option<Issue> {
    let (suffix, directly) = if psl::is_public_suffix(base) {
        (base.to_owned(), true)
    } else {
        (psl::a_public_suffix_below(base)?, false)
    };
    let issue = |message: Message| Some(Issue::new(IssueKind::PublicSuffixPattern, input, message));
    match host {
        Host::Glob { prefix, suffix: end } if directly => {
            let sibling = format!(
                "{scheme}://{}attacker{}.{base}",
                String::from_utf8_lossy(prefix),
                String::from_utf8_lossy(end),
            );
            issue(
                Message::from(format!(
                    "{input:?} puts its wildcard directly under the public suffix {base:?}, where anyone can register a name, so it also matches a stranger's {sibling:?}: list your preview origins exactly with "
                ))
                .name(Setting::AllowOrigins)
                .text(", or write an anchored regex with ")
                .name(Setting::AllowOriginRegexes)
                .text(" (feature \"regex\") that only your own names can match"),
            )
        }
        _ if directly => issue(Message::from(format!(
            "{input:?} covers the public suffix {base:?}, under which anyone can register a domain: use a pattern over a domain you control, e.g. \"{scheme}://*.example.{base}\""
        ))),
        _ => issue(Message::from(format!(
            "{input:?} covers {suffix:?}, a public suffix under which anyone can register a name, so it also matches a stranger's \"{scheme}://attacker.{suffix}\": use a pattern over the name you own below it, e.g. \"{scheme}://*.your-name.{suffix}\""
        ))),
    }
}

/// Whether a pattern's base is an mDNS name (`.local`): any device on the
/// local network can answer for such a name, so it is refused with
/// credentials.
pub(crate) fn is_mdns(input: &str) -> bool {
    let authority = input.split_once("://").map_or("", |(_, rest)| rest);
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host);
    host == "local" || host.ends_with(".local")
}

fn rebuild(scheme: &str, host: &Host, base: &str, port: Port) -> String {
    let label = match host {
        Host::Exact => String::new(),
        Host::Subdomains => "*.".to_owned(),
        Host::Glob { prefix, suffix } => format!(
            "{}*{}.",
            String::from_utf8_lossy(prefix),
            String::from_utf8_lossy(suffix)
        ),
    };
    match port {
        Port::Any => format!("{scheme}://{label}{base}:*"),
        Port::Exact(Some(p)) => format!("{scheme}://{label}{base}:{p}"),
        Port::Exact(None) => format!("{scheme}://{label}{base}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            ("https://*example.com", IssueKind::PublicSuffixPattern),
            ("https://myapp-*.vercel.app", IssueKind::PublicSuffixPattern),
            (
                "https://*--mysite.netlify.app",
                IssueKind::PublicSuffixPattern,
            ),
            ("https://pr-*.com", IssueKind::PublicSuffixPattern),
            ("https://pr-*.co.uk", IssueKind::PublicSuffixPattern),
            ("https://pr-*-*.example.com", IssueKind::InvalidPattern),
            ("https://**.example.com", IssueKind::InvalidPattern),
            ("https://pr-*.*.example.com", IssueKind::InvalidPattern),
            ("https://pr.*-x.example.com", IssueKind::InvalidPattern),
            ("https://pr-*", IssueKind::InvalidPattern),
            ("http://dev-*:3000", IssueKind::InvalidPattern),
            ("https://PR-*.example.com", IssueKind::InvalidPattern),
            ("https://pr_ü*.example.com", IssueKind::InvalidPattern),
            ("https://pr-*.10.0.0.1", IssueKind::InvalidPattern),
            ("https://pr-*.example.com/", IssueKind::InvalidPattern),
            ("https://pr-*.example.com:443", IssueKind::InvalidPattern),
            ("chrome-extension://*", IssueKind::InvalidPattern),
            ("capacitor://localhost:*", IssueKind::InvalidPattern),
            ("tauri://*.localhost", IssueKind::InvalidPattern),
            ("moz-extension://a-*.example.com", IssueKind::InvalidPattern),
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
    fn globs_match_one_label_of_letters_digits_and_hyphens() {
        let p = compile(&[
            "https://pr-*.preview.example.com",
            "https://*-staging.example.com",
            "https://a*z.example.org:*",
        ]);
        let cases = [
            // prefix glob: one or more of [a-z0-9-] after "pr-"
            ("https://pr-1.preview.example.com", true),
            ("https://pr-123.preview.example.com", true),
            ("https://pr-a-b.preview.example.com", true),
            ("https://pr--.preview.example.com", true),
            ("https://pr-.preview.example.com", false), // empty run
            ("https://pr.preview.example.com", false),
            ("https://xpr-1.preview.example.com", false),
            ("https://pr-1.x.preview.example.com", false), // never a dot
            ("https://a.pr-1.preview.example.com", false),
            ("https://pr-a_b.preview.example.com", false), // "_" is not in the run
            ("https://pr-1.preview.example.com.evil.com", false),
            ("https://pr-1.evilpreview.example.com", false),
            ("https://pr-1.example.com", false),
            ("https://preview.example.com", false),
            ("http://pr-1.preview.example.com", false),
            ("https://pr-1.preview.example.com:8443", false),
            // suffix glob
            ("https://a-staging.example.com", true),
            ("https://feature-x-staging.example.com", true),
            ("https://-staging.example.com", false),
            ("https://staging.example.com", false),
            ("https://a.b-staging.example.com", false),
            ("https://a-staging2.example.com", false),
            // both sides, any port
            ("https://abz.example.org", true),
            ("https://a0z.example.org:8443", true),
            ("https://az.example.org", false),
            ("https://a.z.example.org", false),
            ("https://ab.example.org", false),
        ];
        for (origin, expected) in cases {
            assert_eq!(matches(&p, origin), expected, "{origin}");
        }
    }

    #[test]
    fn a_glob_and_a_subdomain_pattern_share_a_base() {
        let p = compile(&["https://pr-*.example.com", "http://*.example.com"]);
        assert!(matches(&p, "https://pr-7.example.com"));
        assert!(!matches(&p, "https://a.pr-7.example.com"));
        assert!(matches(&p, "http://a.pr-7.example.com"));
        assert!(!matches(&p, "https://qa-7.example.com"));
    }

    #[test]
    fn globs_longest_label() {
        // A DNS label holds at most 63 bytes: a prefix of 62 leaves one for the run.
        let prefix = "a".repeat(62);
        let p = compile(&[format!("https://{prefix}*.example.com").as_str()]);
        assert!(matches(&p, &format!("https://{prefix}b.example.com")));
        assert!(!matches(&p, &format!("https://{prefix}.example.com")));
        let err = Patterns::default()
            .add(&format!("https://{}*.example.com", "a".repeat(63)))
            .expect_err("no room for the run");
        assert_eq!(err.kind(), IssueKind::InvalidPattern, "{err}");
    }

    #[test]
    fn glob_errors_explain_the_fix() {
        let err = Patterns::default()
            .add("https://myapp-*.vercel.app")
            .expect_err("public suffix");
        assert_eq!(
            err.to_string(),
            "\"https://myapp-*.vercel.app\" puts its wildcard directly under the public suffix \"vercel.app\", where anyone can register a name, so it also matches a stranger's \"https://myapp-attacker.vercel.app\": list your preview origins exactly with allow_origin(), or write an anchored regex with allow_origin_regex() (feature \"regex\") that only your own names can match"
        );
        let err = Patterns::default()
            .add("https://PR-*.Example.com")
            .expect_err("not canonical");
        assert!(
            err.to_string()
                .ends_with("(lowercase the host): did you mean \"https://pr-*.example.com\"?"),
            "{err}"
        );
        let err = Patterns::default()
            .add("capacitor://localhost:*")
            .expect_err("opaque host");
        assert!(
            err.to_string()
                .contains("list each origin exactly with allow_origin()"),
            "{err}"
        );
    }

    #[test]
    fn unlisted_top_level_domains_are_allowed() {
        compile(&[
            "http://*.localhost:*",
            "https://*.internal",
            "http://pr-*.localhost:*",
        ]);
    }
}
