//! Regular-expression origins (feature `regex`), always anchored to the
//! whole origin.
//!
//! Each expression is compiled as `^(?:expr)$`: it can never match a prefix
//! (sanic-cors CVE-2026-37737, Starlette PR #801) or a substring (Kong
//! #3832). A bare `.` outside a repetition is refused at build time because
//! in a host it almost always meant a literal dot (`www.example.com` also
//! matches `wwwXexample.com`). Matching runs in time linear in the origin's
//! length (the `regex` crate has no backtracking).

use regex::bytes::RegexSet;
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::error::{Issue, IssueKind, List};

/// Origins that, with credentials, no regex may match: a regex matching them
/// matches (nearly) every origin.
const FOREIGN_ORIGINS: [&str; 4] = [
    "https://attacker.invalid",
    "http://attacker.invalid",
    "https://a.b.attacker.invalid:8443",
    "http://127.0.0.1:1",
];

#[derive(Debug, Clone)]
pub(crate) struct Regexes {
    set: RegexSet,
}

impl Regexes {
    /// Compiles the expressions, collecting every problem.
    pub(crate) fn compile(
        exprs: &[String],
        credentials: bool,
        issues: &mut Vec<Issue>,
    ) -> Option<Self> {
        let mut anchored = Vec::with_capacity(exprs.len());
        let mut ok = true;
        for (i, expr) in exprs.iter().enumerate() {
            match check(expr, credentials) {
                Ok(a) => anchored.push(a),
                Err(issue) => {
                    issues.push(issue.at(List::Regexes, i));
                    ok = false;
                }
            }
        }
        if !ok || anchored.is_empty() {
            return None;
        }
        match RegexSet::new(&anchored) {
            Ok(set) => Some(Self { set }),
            Err(e) => {
                issues.push(Issue::new(
                    IssueKind::InvalidRegex,
                    exprs.join(" | "),
                    format!("the origin regexes could not be compiled together: {e}"),
                ));
                None
            }
        }
    }

    pub(crate) fn matches(&self, origin: &[u8]) -> bool {
        self.set.is_match(origin)
    }
}

fn bad(expr: &str, why: impl std::fmt::Display) -> Issue {
    Issue::new(
        IssueKind::InvalidRegex,
        expr,
        format!("{expr:?} is not a safe origin regex: {why}"),
    )
}

fn check(expr: &str, credentials: bool) -> Result<String, Issue> {
    let anchored = format!("^(?:{expr})$");
    let hir = regex_syntax::Parser::new()
        .parse(&anchored)
        .map_err(|e| bad(expr, format!("{e}").replace('\n', " ")))?;
    if has_bare_dot(&hir, false) {
        return Err(bad(
            expr,
            "a bare \".\" matches any character (\"www.example.com\" also matches \"wwwXexample.com\"): write \"\\.\" for a literal dot",
        ));
    }
    let single = regex::bytes::Regex::new(&anchored).map_err(|e| bad(expr, e))?;
    if credentials {
        if let Some(foreign) = FOREIGN_ORIGINS
            .iter()
            .find(|o| single.is_match(o.as_bytes()))
        {
            return Err(bad(
                expr,
                format!("with credentials it must not match unrelated origins, but it matches {foreign:?}"),
            ));
        }
    }
    if single.is_match(b"null") {
        return Err(bad(
            expr,
            "it matches \"null\": use allow_null_origin() if you mean it",
        ));
    }
    Ok(anchored)
}

/// Whether the expression has a "any character" class that is not under a
/// repetition (`.` alone, as opposed to `.*` or `.+`).
fn has_bare_dot(hir: &Hir, repeated: bool) -> bool {
    match hir.kind() {
        HirKind::Class(class) => !repeated && is_any_char(class),
        HirKind::Repetition(rep) => has_bare_dot(&rep.sub, rep.max.map_or(true, |m| m > 1)),
        HirKind::Capture(cap) => has_bare_dot(&cap.sub, repeated),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().any(|s| has_bare_dot(s, repeated))
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => false,
    }
}

fn is_any_char(class: &Class) -> bool {
    // `.` is every character except `\n`: at least the whole of a-z, `.`, `/`
    // and `:` — wider than anything a host part should allow.
    let probe = ['a', 'z', '.', '/', ':', '#', '@'];
    match class {
        Class::Unicode(c) => probe
            .iter()
            .all(|&p| c.ranges().iter().any(|r| r.start() <= p && p <= r.end())),
        Class::Bytes(c) => probe.iter().all(|&p| {
            c.ranges()
                .iter()
                .any(|r| r.start() <= p as u8 && p as u8 <= r.end())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(exprs: &[&str], credentials: bool) -> Result<Regexes, Vec<Issue>> {
        let exprs: Vec<String> = exprs.iter().map(|s| s.to_string()).collect();
        let mut issues = Vec::new();
        Regexes::compile(&exprs, credentials, &mut issues).ok_or(issues)
    }

    #[test]
    fn anchored_to_the_whole_origin() {
        let r = compile(&[r"https://[a-z0-9-]+\.example\.com"], true).unwrap();
        let cases = [
            ("https://app.example.com", true),
            ("https://app.example.com.evil.io", false),
            ("xhttps://app.example.com", false),
            ("https://a.b.example.com", false),
        ];
        for (origin, expected) in cases {
            assert_eq!(r.matches(origin.as_bytes()), expected, "{origin}");
        }
    }

    #[test]
    fn refuses_unsafe_regexes() {
        let cases = [
            (r"https://www.example.com", false, "bare"),
            (r"https://(", false, "not a safe origin regex"),
            (r".*", true, "unrelated origins"),
            (r"https?://.+", true, "unrelated origins"),
            (r"null|https://a\.com", false, "null"),
        ];
        for (expr, credentials, needle) in cases {
            let issues = compile(&[expr], credentials)
                .err()
                .unwrap_or_else(|| panic!("{expr} should fail"));
            assert!(
                issues[0].to_string().contains(needle),
                "{expr}: {}",
                issues[0]
            );
            assert_eq!(issues[0].kind(), IssueKind::InvalidRegex);
        }
    }

    #[test]
    fn repeated_dots_are_accepted() {
        compile(&[r"https://.+\.example\.com"], false).unwrap();
    }
}
