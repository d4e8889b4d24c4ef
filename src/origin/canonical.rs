//! The configuration's form of an origin: parsing and validating an
//! allow-list entry (or the origin part of a pattern), normalizing what can be
//! normalized (case, punycode for international names, default ports, IPv4
//! and IPv6 spellings) and, when the entry is not exactly what browsers send,
//! the error that says what to change ("did you mean …?").

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::wire::{
    default_port_bytes, is_opaque_host, is_scheme, is_special_scheme_bytes, scan_domain_or_ipv4,
};

/// Whether a (lowercase) scheme is a valid one whose hosts are opaque:
/// `chrome-extension`, `capacitor`, `tauri`, … (not `http`, `https`).
pub(crate) fn has_opaque_hosts(scheme: &str) -> bool {
    is_scheme(scheme.as_bytes()) && !is_special_scheme_bytes(scheme.as_bytes())
}

/// Validates a lowercase ASCII host (DNS name or dotted IPv4). Returns
/// whether it is an IPv4 address.
fn is_domain_or_ipv4(host: &[u8]) -> Option<bool> {
    match scan_domain_or_ipv4(host)? {
        (end, is_ip) if end == host.len() => Some(is_ip),
        _ => None,
    }
}

/// The default port of a scheme, which browsers omit from origins.
pub(crate) fn default_port(scheme: &str) -> Option<u16> {
    default_port_bytes(scheme.as_bytes())
}

/// A configured origin split into parts, before canonicalization.
#[derive(Debug)]
pub(crate) struct ConfigOrigin {
    pub(crate) scheme: String,
    pub(crate) host: String,
    /// `None` when absent; the raw text when present (may be `*` for patterns).
    pub(crate) port: Option<String>,
    /// What was dropped or changed, for the fix hint.
    pub(crate) fixes: Vec<&'static str>,
}

impl ConfigOrigin {
    /// The fixes for an error message: ` (fix, fix)`, or nothing.
    pub(crate) fn fixes_note(&self) -> String {
        if self.fixes.is_empty() {
            String::new()
        } else {
            format!(" ({})", crate::list::join(&self.fixes, ", "))
        }
    }
}

/// Splits a configured origin (or pattern) into scheme, host and port,
/// normalizing what can be normalized and recording each change.
pub(crate) fn split_config_origin(input: &str) -> Result<ConfigOrigin, String> {
    let mut fixes = Vec::new();
    let trimmed = input.trim();
    if trimmed.len() != input.len() {
        fixes.push("remove the surrounding whitespace");
    }
    if trimmed.is_empty() {
        return Err(format!(
            "{input:?} is empty: remove it, or write an origin as browsers send it, e.g. \"https://app.example.com\""
        ));
    }
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return Err(format!(
            "{input:?} is not an origin: {}",
            add_scheme_hint(trimmed)
        ));
    };
    if scheme.is_empty() || !is_scheme(scheme.to_ascii_lowercase().as_bytes()) {
        return Err(format!(
            "{input:?} is not an origin: {scheme:?} is not a valid scheme"
        ));
    }
    if scheme.bytes().any(|b| b.is_ascii_uppercase()) {
        fixes.push("lowercase the scheme");
    }
    let scheme = scheme.to_ascii_lowercase();

    let mut authority = rest;
    if let Some(cut) = rest.find(['/', '?', '#']) {
        authority = &rest[..cut];
        if &rest[cut..] == "/" {
            fixes.push("remove the trailing \"/\"");
        } else {
            fixes.push("remove the path, query and fragment");
        }
    }
    if authority.contains('@') {
        return Err(format!(
            "{input:?} is not an origin: remove the user info before \"@\" (browsers never send it)"
        ));
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return Err(format!(
                "{input:?} is not an origin: unclosed \"[\" in the host"
            ));
        };
        let literal = &inner[..close];
        let Ok(addr) = literal.parse::<Ipv6Addr>() else {
            return Err(format!(
                "{input:?} is not an origin: {literal:?} is not an IPv6 address"
            ));
        };
        let canonical = format!("[{addr}]");
        if canonical[1..canonical.len() - 1] != *literal {
            fixes.push("write the IPv6 address in its canonical form");
        }
        let after = &inner[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.to_owned()),
            None if after.is_empty() => None,
            None => {
                return Err(format!(
                    "{input:?} is not an origin: unexpected {after:?} after the host"
                ))
            }
        };
        (canonical, port)
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.to_owned())),
            None => (authority, None),
        };
        let host = if has_opaque_hosts(&scheme) {
            canonical_opaque_host(input, &scheme, host, &mut fixes)?
        } else {
            canonical_host(input, host, &mut fixes)?
        };
        (host, port)
    };
    Ok(ConfigOrigin {
        scheme,
        host,
        port,
        fixes,
    })
}

/// Validates the opaque host of a configured origin of a non-special
/// scheme, keeping its case: browsers send an opaque host as it is written
/// (`safari-web-extension://1B2C3D4E-…`, `capacitor://localhost`). The
/// schemes of browsers that do change the case have it fixed here: Chromium
/// and Firefox lowercase their extension IDs, and Safari writes its
/// extension UUIDs in uppercase.
fn canonical_opaque_host(
    input: &str,
    scheme: &str,
    host: &str,
    fixes: &mut Vec<&'static str>,
) -> Result<String, String> {
    if host.is_empty() {
        return Err(format!("{input:?} is not an origin: the host is empty"));
    }
    if !is_opaque_host(host.as_bytes()) {
        return Err(format!(
            "{input:?} is not an origin: {host:?} is not a host browsers send for the {scheme:?} scheme (ASCII letters, digits, \"-\", \".\", \"_\" and \"~\")"
        ));
    }
    Ok(match scheme {
        "chrome-extension" | "moz-extension" if host.bytes().any(|b| b.is_ascii_uppercase()) => {
            fixes.push("lowercase the extension ID, as the browser sends it");
            host.to_ascii_lowercase()
        }
        // App shells serve their pages from a host name of their
        // configuration (`localhost` by default) that their WebViews send in
        // lowercase: `capacitor://LOCALHOST` is never sent.
        "capacitor" | "ionic" | "tauri" if host.bytes().any(|b| b.is_ascii_uppercase()) => {
            fixes.push("lowercase the host, as the app shell sends it");
            host.to_ascii_lowercase()
        }
        "safari-web-extension" if host.bytes().any(|b| b.is_ascii_lowercase()) => {
            fixes.push("uppercase the extension UUID, as Safari sends it");
            host.to_ascii_uppercase()
        }
        _ => host.to_owned(),
    })
}

/// The fix for an origin or pattern written without a scheme: `http://` for
/// localhost and loopback addresses (development servers are plain HTTP),
/// `https://` otherwise.
pub(crate) fn add_scheme_hint(without_scheme: &str) -> String {
    let example = without_scheme.trim_end_matches('/');
    let host = match example.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => example.rsplit_once(':').map_or(example, |(h, _)| h),
    };
    let host = host.trim_start_matches("*.").to_ascii_lowercase();
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
        || host.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    if loopback {
        format!("add the scheme, e.g. \"http://{example}\" (development servers on localhost are plain HTTP)")
    } else {
        format!("add the scheme, e.g. \"https://{example}\"")
    }
}

/// Lowercases, converts to punycode and validates a configured DNS or IPv4 host.
fn canonical_host(
    input: &str,
    host: &str,
    fixes: &mut Vec<&'static str>,
) -> Result<String, String> {
    if host.is_empty() {
        return Err(format!("{input:?} is not an origin: the host is empty"));
    }
    if host == "*" || host.starts_with("*.") {
        // Patterns handle their wildcard label before calling this.
        return Err(format!(
            "{input:?} is not an origin: the host is a wildcard"
        ));
    }
    let ascii = if host.is_ascii() {
        if host.bytes().any(|b| b.is_ascii_uppercase()) {
            fixes.push("lowercase the host");
        }
        host.to_ascii_lowercase()
    } else {
        match crate::punycode::host_to_ascii(host) {
            Ok(a) => {
                fixes.push("use the punycode form of the host, as browsers send it");
                a
            }
            Err(crate::punycode::NoHint::NeedsMapping(c)) => {
                return Err(format!(
                    "{input:?} is not an origin: write the host {host:?} in the ASCII (xn--) form browsers send in the Origin header; {c:?} needs Unicode mapping (UTS 46) that is not guessed here, so copy the form from the browser's Origin header or an IDNA converter"
                ))
            }
            Err(crate::punycode::NoHint::Invalid) => {
                return Err(format!(
                    "{input:?} is not an origin: {host:?} is not a valid host name"
                ))
            }
        }
    };
    match is_domain_or_ipv4(ascii.as_bytes()) {
        Some(_) => Ok(ascii),
        None => {
            // Maybe an IPv4 address in a non-canonical spelling.
            if let Ok(addr) = ascii.parse::<Ipv4Addr>() {
                fixes.push("write the IPv4 address in dotted-decimal form");
                return Ok(addr.to_string());
            }
            Err(format!(
                "{input:?} is not an origin: {host:?} is not a valid host name (letters, digits, \"-\", \"_\" and non-empty labels separated by \".\")"
            ))
        }
    }
}

/// Parses a numeric port of a configured origin; `None` when invalid.
pub(crate) fn parse_config_port(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Why a configured origin is not in browser serialization: the message
/// shown to the user, and the corrected form when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotCanonical {
    pub(crate) message: String,
    pub(crate) suggestion: Option<String>,
}

impl From<String> for NotCanonical {
    fn from(message: String) -> Self {
        Self {
            message,
            suggestion: None,
        }
    }
}

impl std::fmt::Display for NotCanonical {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::ops::Deref for NotCanonical {
    type Target = str;

    fn deref(&self) -> &str {
        &self.message
    }
}

/// Canonicalizes a configured exact origin. `Err` says why it is no origin,
/// with the corrected form when there is one.
pub(crate) fn canonical_origin(input: &str) -> Result<Cow<'_, str>, NotCanonical> {
    if is_canonical_web_origin(input.as_bytes()) {
        return Ok(Cow::Borrowed(input));
    }
    canonical_origin_general(input).map(Cow::Owned)
}

/// Whether `input` is an `http` or `https` origin exactly as browsers send
/// it: lowercase scheme and host (a DNS name or dotted IPv4), and no port or
/// a non-default one without leading zeros. The general path returns such an
/// input unchanged; this one pass spares a policy of a million origins its
/// allocations and formatting.
fn is_canonical_web_origin(input: &[u8]) -> bool {
    let (default, rest) = if let Some(rest) = input.strip_prefix(b"https://") {
        (443, rest)
    } else if let Some(rest) = input.strip_prefix(b"http://") {
        (80, rest)
    } else {
        return false;
    };
    let Some((end, _)) = scan_domain_or_ipv4(rest) else {
        return false;
    };
    match rest.get(end..) {
        Some([]) => true,
        Some([b':', port @ ..]) => std::str::from_utf8(port)
            .ok()
            .and_then(parse_config_port)
            .is_some_and(|p| p != default && !port.starts_with(b"0")),
        _ => false,
    }
}

/// [`canonical_origin`] for every input: splits, normalizes and compares.
fn canonical_origin_general(input: &str) -> Result<String, NotCanonical> {
    // Policies give `null`, `*` and patterns their own settings before
    // asking here; the messages stay true for any caller.
    match input.trim() {
        "null" => {
            return Err(format!(
                "{input:?} is not an exact origin: the opaque origin has a setting of its own"
            )
            .into())
        }
        t if t.contains('*') => {
            return Err(format!("{input:?} is not an exact origin: it holds a wildcard").into())
        }
        _ => {}
    }
    let mut parts = split_config_origin(input)?;
    let port = match parts.port.as_deref() {
        None => None,
        Some(text) => match parse_config_port(text) {
            Some(p) if Some(p) == default_port(&parts.scheme) => {
                parts.fixes.push("remove the default port");
                None
            }
            Some(p) => {
                if text.starts_with('0') {
                    parts.fixes.push("remove the leading zeros of the port");
                }
                Some(p)
            }
            None if text.is_empty() => {
                parts.fixes.push("remove the empty port");
                None
            }
            None => {
                return Err(
                    format!("{input:?} is not an origin: {text:?} is not a port number").into(),
                )
            }
        },
    };
    let canonical = match port {
        Some(p) => format!("{}://{}:{p}", parts.scheme, parts.host),
        None => format!("{}://{}", parts.scheme, parts.host),
    };
    if canonical == input {
        Ok(canonical)
    } else {
        let why = parts.fixes_note();
        Err(NotCanonical {
            message: format!(
                "{input:?} is not an origin as browsers send it{why}: did you mean {canonical:?}?"
            ),
            suggestion: Some(canonical),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Origin;
    #[test]
    fn opaque_hosts_of_non_special_schemes_keep_their_case() {
        for input in [
            "safari-web-extension://1B2C3D4E-AAAA-4BBB-8CCC-0123456789AB",
            "capacitor://localhost",
            "tauri://localhost",
            "ionic://localhost",
            "app://My.App_~1",
            "moz-extension://0b6f9c4a-8f0a-4f3e-9a6c-2f1e3d4c5b6a",
        ] {
            let o = Origin::parse(input).unwrap_or_else(|| panic!("{input} should parse"));
            assert_eq!(o.as_str(), input);
            assert!(!o.host_is_ip(), "{input}");
            assert_eq!(canonical_origin(input).as_deref(), Ok(input), "{input}");
        }
        // Special schemes keep lowercase hosts only; opaque hosts keep a safe alphabet.
        for input in [
            "https://Example.com",
            "http://LOCALHOST:3000",
            "ws://A.example",
            "capacitor://",
            "capacitor://local host",
            "capacitor://a%41",
            "capacitor://a@b",
            "Capacitor://localhost",
        ] {
            assert_eq!(Origin::parse(input), None, "{input:?} should be refused");
        }
        let fixes = [
            (
                "Capacitor://localhost",
                "capacitor://localhost",
                "lowercase the scheme",
            ),
            (
                "chrome-extension://ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP",
                "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
                "lowercase the extension ID, as the browser sends it",
            ),
            (
                "moz-extension://0B6F9C4A-8F0A-4F3E-9A6C-2F1E3D4C5B6A",
                "moz-extension://0b6f9c4a-8f0a-4f3e-9a6c-2f1e3d4c5b6a",
                "lowercase the extension ID, as the browser sends it",
            ),
            (
                "safari-web-extension://1b2c3d4e-aaaa",
                "safari-web-extension://1B2C3D4E-AAAA",
                "uppercase the extension UUID, as Safari sends it",
            ),
            (
                "tauri://localhost/",
                "tauri://localhost",
                "remove the trailing",
            ),
        ];
        for (input, canonical, why) in fixes {
            let err = canonical_origin(input).unwrap_err();
            assert!(
                err.contains(why) && err.ends_with(&format!("did you mean {canonical:?}?")),
                "{input}: {err}"
            );
        }
        let err = canonical_origin("capacitor://local host").unwrap_err();
        assert!(err.contains("is not a host browsers send"), "{err}");
    }

    #[test]
    fn canonicalizes_configured_origins() {
        let ok = [
            "https://example.com",
            "http://localhost:3000",
            "http://[::1]:8080",
            "http://127.0.0.1",
        ];
        for input in ok {
            assert_eq!(canonical_origin(input).as_deref(), Ok(input));
        }
        let fixes = [
            ("https://example.com/", "https://example.com"),
            ("https://Example.COM", "https://example.com"),
            ("HTTPS://example.com", "https://example.com"),
            ("https://example.com:443", "https://example.com"),
            ("http://example.com:80/path?q", "http://example.com"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
            (" https://example.com ", "https://example.com"),
            ("http://[0:0::1]:8080", "http://[::1]:8080"),
        ];
        for (input, canonical) in fixes {
            let err = canonical_origin(input).unwrap_err();
            assert!(
                err.ends_with(&format!("did you mean {canonical:?}?")),
                "{input}: {err}"
            );
        }
    }

    /// The one-pass check for origins already canonical agrees with the
    /// general path on every input, canonical or not.
    #[test]
    fn canonical_fast_path_agrees_with_the_general_path() {
        let fast = [
            "https://app.example.com",
            "http://localhost:3000",
            "https://tenant000123.customer-domain-23.com",
            "http://127.0.0.1:8080",
            "https://a_b.example.com",
            "https://example.com:65535",
            "https://example.com:1",
        ];
        let general = [
            "https://App.example.com",
            "HTTPS://app.example.com",
            "https://app.example.com/",
            "https://app.example.com:443",
            "http://app.example.com:80",
            "https://app.example.com:0443",
            "https://app.example.com:0",
            "https://app.example.com:",
            "https://app.example.com:65536",
            "https://app.example.com:8a",
            "https://app.example.com.",
            "https://app..example.com",
            "https://[::1]:8080",
            "https://[0:0::1]",
            "https://user@app.example.com",
            "https://*.example.com",
            "https://bücher.example",
            " https://app.example.com",
            "https://app.example.com ",
            "http://01.2.3.4",
            "http://0x7f.0.0.1",
            "ws://app.example.com",
            "chrome-extension://abc",
            "app.example.com",
            "null",
            "*",
            "",
            "https://",
        ];
        for input in fast {
            assert!(
                is_canonical_web_origin(input.as_bytes()),
                "{input}: fast path"
            );
            assert_eq!(
                canonical_origin_general(input).as_deref(),
                Ok(input),
                "{input}"
            );
        }
        for input in general {
            assert!(
                !is_canonical_web_origin(input.as_bytes()),
                "{input}: general path"
            );
        }
        for input in fast.iter().chain(&general) {
            assert_eq!(
                canonical_origin(input).map(Cow::into_owned),
                canonical_origin_general(input),
                "{input}"
            );
        }
    }
}
