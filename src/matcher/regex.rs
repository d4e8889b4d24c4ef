//! Regular-expression origins (feature `regex`), anchored to the whole
//! origin by construction.
//!
//! Each expression is parsed into a syntax tree, and the tree is wrapped in
//! start-of-text and end-of-text assertions: no text inside the expression
//! (`…)|(?:…`) can escape the anchors, so a regex can never match a prefix
//! (sanic-cors CVE-2026-37737, Starlette PR #801) or a substring (Kong
//! #3832). Expressions are ASCII: origins are, and `(?i)` folds ASCII case.
//! A bare `.` outside a repetition is refused because in a host it almost
//! always meant a literal dot (`www.example.com` also matches
//! `wwwXexample.com`). With credentials or the WebSocket guard, every
//! expression must pass the proof in [`super::reach`]. Matching runs in time
//! linear in the origin's length (no backtracking).

use regex_automata::meta;
use regex_automata::Input;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

use super::reach::{self, Unsafe, MAX_SITES};
use crate::error::{Issue, IssueKind, Message, Setting};

/// Deepest nesting of groups and repetitions accepted.
const NEST_LIMIT: u32 = 64;
/// Longest expression accepted.
const MAX_LEN: usize = 4096;

#[derive(Debug, Clone)]
pub(crate) struct Regexes {
    set: meta::Regex,
}

impl Regexes {
    /// Compiles the expressions, collecting every problem. `credentialed`:
    /// credentials or the WebSocket guard are on, so each expression must be
    /// proven to stay within the sites it spells out; `why` names that
    /// setting in messages.
    pub(crate) fn compile(
        exprs: &[String],
        credentialed: Option<Setting>,
        issues: &mut Vec<Issue>,
    ) -> Option<Self> {
        let mut anchored = Vec::with_capacity(exprs.len());
        let mut ok = true;
        for (i, expr) in exprs.iter().enumerate() {
            match check(expr, credentialed) {
                Ok(hir) => anchored.push(hir),
                Err(issue) => {
                    issues.push(issue.at(Setting::AllowOriginRegexes, i));
                    ok = false;
                }
            }
        }
        if !ok || anchored.is_empty() {
            return None;
        }
        match build(&anchored) {
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
        self.set.is_match(Input::new(origin))
    }
}

fn build(anchored: &[Hir]) -> Result<meta::Regex, Box<meta::BuildError>> {
    meta::Builder::new()
        .configure(
            meta::Config::new().which_captures(regex_automata::nfa::thompson::WhichCaptures::None),
        )
        .build_many_from_hir(anchored)
        .map_err(Box::new)
}

fn bad(expr: &str, why: impl Into<Message>) -> Issue {
    Issue::new(
        IssueKind::InvalidRegex,
        expr,
        Message::from(format!("{expr:?} is not a safe origin regex: ")).extend(why.into()),
    )
}

/// Parses one expression and returns it anchored at both ends, or why it is
/// refused.
fn check(expr: &str, credentialed: Option<Setting>) -> Result<Hir, Issue> {
    if expr.len() > MAX_LEN {
        return Err(bad(expr, format!("it is longer than {MAX_LEN} bytes")));
    }
    if !expr.is_ascii() {
        return Err(bad(
            expr,
            "origins are ASCII: write an international name in the xn-- form browsers send (see Origin)",
        ));
    }
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(expr)
        .map_err(|e| match e {
            regex_syntax::Error::Translate(ref t)
                if matches!(t.kind(), regex_syntax::hir::ErrorKind::UnicodeNotAllowed
                    | regex_syntax::hir::ErrorKind::UnicodePerlClassNotFound
                    | regex_syntax::hir::ErrorKind::UnicodePropertyNotFound
                    | regex_syntax::hir::ErrorKind::UnicodePropertyValueNotFound
                    | regex_syntax::hir::ErrorKind::UnicodeCaseUnavailable) =>
            {
                bad(
                    expr,
                    "Unicode classes and flags ((?u), \\p{..}) have no place in an origin, which is ASCII: use ASCII classes such as [a-z0-9-]",
                )
            }
            other => bad(expr, format!("{other}").replace('\n', " ")),
        })?;
    if has_bare_dot(&hir, false) {
        return Err(bad(
            expr,
            "a bare \".\" matches any character (\"www.example.com\" also matches \"wwwXexample.com\"): write \"\\.\" for a literal dot",
        ));
    }
    let anchored = Hir::concat(vec![Hir::look(Look::Start), hir, Hir::look(Look::End)]);
    let single = build(std::slice::from_ref(&anchored)).map_err(|e| bad(expr, e.to_string()))?;
    if let Some(setting) = credentialed {
        match reach::check(&anchored, &spelled_names(expr)) {
            Ok(()) => {}
            Err(Unsafe::Reaches { witness, why }) => {
                let detail = if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({why})")
                };
                return Err(bad(
                    expr,
                    Message::from("with ").on(setting).text(format!(
                        " it may match only origins on registrable domains it spells out (at most {MAX_SITES}), localhost or loopback addresses, but it matches {witness:?}, which a stranger can claim{detail}: anchor the host to your own domain, e.g. \"https://[a-z0-9-]+\\\\.example\\\\.com\" or the pattern \"https://*.example.com\"",
                    )),
                ))
            }
            Err(Unsafe::TooComplex) => {
                return Err(bad(
                    expr,
                    Message::from("with ").on(setting).text(
                        " it must be proven to match only origins on registrable domains it spells out, and it is too complex to prove within the analysis budget: split it into simpler regexes, or use exact origins and patterns",
                    ),
                ))
            }
        }
    }
    if single.is_match(Input::new("null")) {
        return Err(bad(
            expr,
            Message::from("it matches \"null\": use ")
                .on(Setting::AllowNullOrigin)
                .text(" if you mean it"),
        ));
    }
    Ok(anchored)
}

/// Dotted names the expression spells out literally (`app\.example\.com` →
/// `app.example.com`), lowercase: the seeds of the example of a stranger's
/// origin in an error.
pub(super) fn spelled_names(expr: &str) -> Vec<String> {
    let text = expr.to_ascii_lowercase().replace("\\.", "\u{1}");
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '\u{1}'))
        .map(|run| run.trim_matches('\u{1}').replace('\u{1}', "."))
        .filter(|name| name.contains('.') && !name.contains(".."))
        .collect()
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

    const WITH: Option<Setting> = Some(Setting::AllowCredentials);

    fn compile(exprs: &[&str], credentialed: Option<Setting>) -> Result<Regexes, Vec<Issue>> {
        let exprs: Vec<String> = exprs.iter().map(|s| s.to_string()).collect();
        let mut issues = Vec::new();
        Regexes::compile(&exprs, credentialed, &mut issues).ok_or(issues)
    }

    #[test]
    fn anchored_to_the_whole_origin() {
        let r = compile(&[r"https://[a-z0-9-]+\.example\.com"], WITH).unwrap();
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
    fn text_cannot_escape_the_anchors() {
        // Wrapped as text (`^(?:…)$`), this would be two alternatives, the
        // first unanchored at its end.
        let issues = compile(
            &[r"https://app\.example\.com)|(?:https://nothing\.invalid"],
            None,
        )
        .expect_err("unbalanced parentheses do not parse");
        assert_eq!(issues[0].kind(), IssueKind::InvalidRegex);
        let r = compile(
            &[r"https://app\.example\.com|https://b\.example\.com"],
            WITH,
        )
        .unwrap();
        assert!(!r.matches(b"https://app.example.com.evil.io"));
        assert!(!r.matches(b"evil://x/https://b.example.com"));
    }

    #[test]
    fn refuses_unsafe_regexes() {
        let cases = [
            (r"https://www.example.com", None, "bare"),
            (r"https://(", None, "not a safe origin regex"),
            (r".*", WITH, "a stranger can claim"),
            (r"https?://.+", WITH, "a stranger can claim"),
            (r"null|https://a\.com", None, "null"),
            (r"https://\p{Greek}+\.example\.com", None, "ASCII"),
            (r"https://bücher\.example", None, "xn--"),
        ];
        for (expr, credentialed, needle) in cases {
            let issues = compile(&[expr], credentialed)
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
    fn case_insensitive_flag_folds_ascii() {
        let r = compile(&[r"(?i)https://APP\.example\.com"], WITH).unwrap();
        assert!(r.matches(b"https://app.example.com"));
    }

    #[test]
    fn repeated_dots_are_accepted() {
        compile(&[r"https://.+\.example\.com"], WITH).unwrap();
    }
}
