//! Origins: the zero-allocation parse of a request's `Origin` header and the
//! canonical form of configured origins.
//!
//! Browsers serialize origins as `scheme "://" host [ ":" port ]` with a
//! lowercase scheme and host, no default port, no path and punycode hosts
//! (Fetch `#origin-header`, `serialized-origin`). Anything else did not come
//! from a browser's own serialization and is refused.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest `Origin` header value accepted; longer values are refused before
/// any parsing. A DNS name is at most 253 bytes, so real origins stay far
/// below this.
pub(crate) const MAX_ORIGIN_LEN: usize = 1024;

/// A request's origin, parsed: what an
/// [`allow_origin_fn`](crate::PolicyBuilder::allow_origin_fn) predicate is
/// given.
///
/// Only a well-formed origin in the exact form browsers serialize it is ever
/// parsed into an `Origin`: a lowercase scheme, a lowercase ASCII host
/// (punycode for international names, an IPv6 literal in brackets), and a
/// port only when it is not the scheme's default (Fetch `#origin-header`).
/// Schemes other than `http`, `https`, `ws`, `wss`, `ftp` and `file` (the URL
/// standard's "non-special" schemes: `safari-web-extension`, `capacitor`,
/// `tauri`, …) have an opaque host that browsers send as written, so its
/// case is kept: ASCII letters of either case, digits, `-`, `.`, `_`, `~`.
/// `null`, paths, userinfo, uppercase letters, control bytes and values over
/// 1024 bytes never are. Compare its parts, not substrings of the raw text:
/// `origin.as_str().ends_with(".example.com")` also accepts
/// `http://evil.example.com:8080`, a scheme downgrade on any port, where
/// `origin.scheme() == "https" && origin.port().is_none() &&
/// origin.is_within("example.com")` does not.
///
/// ```
/// use tower_cors::Origin;
///
/// let origin = Origin::parse("https://shop.tenant.example.com:8443").unwrap();
/// assert_eq!(origin.scheme(), "https");
/// assert_eq!(origin.host(), "shop.tenant.example.com");
/// assert_eq!(origin.port(), Some(8443));
/// assert!(origin.is_within("example.com"));
/// assert!(!origin.is_within("ample.com"));
///
/// assert_eq!(Origin::parse("https://example.com").unwrap().port(), None);
/// assert!(Origin::parse("https://example.com:443").is_none()); // never sent by browsers
/// assert!(Origin::parse("https://Example.com").is_none());
/// assert!(Origin::parse("null").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The whole serialization.
    pub(crate) serialized: &'a [u8],
    pub(crate) scheme: &'a [u8],
    /// Lowercase host; IPv6 literals keep their brackets.
    pub(crate) host: &'a [u8],
    /// Whether `host` is an IP literal (never matched by subdomain patterns).
    pub(crate) host_is_ip: bool,
    pub(crate) port: Option<u16>,
}

impl<'a> Origin<'a> {
    /// Parses an origin in the exact form browsers send; `None` for anything
    /// else (including `null` and an explicit default port).
    pub fn parse(origin: &'a str) -> Option<Self> {
        Self::parse_bytes(origin.as_bytes())
    }

    /// Parses a request's `Origin` value in the exact form browsers send.
    /// Returns `None` for anything else (including `null`).
    pub(crate) fn parse_bytes(bytes: &'a [u8]) -> Option<Self> {
        if bytes.is_empty() || bytes.len() > MAX_ORIGIN_LEN {
            return None;
        }
        // `scheme "://"`: the longest run of scheme bytes, starting with a
        // letter; the two schemes of nearly every request first.
        let (scheme, authority) = if let Some(rest) = bytes.strip_prefix(b"https://") {
            (&bytes[..5], rest)
        } else if let Some(rest) = bytes.strip_prefix(b"http://") {
            (&bytes[..4], rest)
        } else {
            let scheme_len = bytes.iter().position(|&b| !is_scheme_byte(b))?;
            if !bytes[0].is_ascii_lowercase() {
                return None;
            }
            let (scheme, rest) = bytes.split_at(scheme_len);
            (scheme, rest.strip_prefix(b"://")?)
        };
        let (host, host_is_ip, rest) = if authority.first() == Some(&b'[') {
            let close = authority.iter().position(|&b| b == b']')?;
            let host = &authority[..=close];
            if !is_ipv6_literal(&host[1..close]) {
                return None;
            }
            (host, true, &authority[close + 1..])
        } else {
            let (end, host_is_ip) = match scan_domain_or_ipv4(authority) {
                Some(scanned) => scanned,
                // Hosts of non-special schemes are opaque: browsers keep
                // their case (URL standard, "opaque-host parser").
                None if !is_special_scheme_bytes(scheme) => {
                    let end = authority
                        .iter()
                        .position(|&b| b == b':')
                        .unwrap_or(authority.len());
                    if !is_opaque_host(&authority[..end]) {
                        return None;
                    }
                    (end, false)
                }
                None => return None,
            };
            (&authority[..end], host_is_ip, &authority[end..])
        };
        let port = match rest {
            [] => None,
            [b':', digits @ ..] => {
                let port = parse_port(digits)?;
                // Browsers omit the scheme's default port (URL standard, "serialize an origin").
                if Some(port) == default_port_bytes(scheme) {
                    return None;
                }
                Some(port)
            }
            _ => return None,
        };
        Some(Self {
            serialized: bytes,
            scheme,
            host,
            host_is_ip,
            port,
        })
    }

    /// The scheme, lowercase: `"https"`, `"http"`, `"chrome-extension"`, ….
    pub fn scheme(&self) -> &'a str {
        ascii(self.scheme)
    }

    /// The host, lowercase ASCII: a DNS name (punycode for international
    /// names), a dotted IPv4 address, or an IPv6 address in brackets
    /// (`"[::1]"`); for a non-special scheme, the opaque host in the case it
    /// was sent (`"1B2C3D4E-AAAA"` in `safari-web-extension://1B2C3D4E-AAAA`).
    pub fn host(&self) -> &'a str {
        ascii(self.host)
    }

    /// The port, or `None` when it is the scheme's default (browsers omit it).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The origin as the browser sent it: `scheme://host[:port]`.
    pub fn as_str(&self) -> &'a str {
        ascii(self.serialized)
    }

    /// Whether the host is an IP address literal rather than a domain name.
    pub fn host_is_ip(&self) -> bool {
        self.host_is_ip
    }

    /// Whether the host is `domain` or one of its subdomains, label by label:
    /// `a.example.com` is within `example.com`, `evilexample.com` is not.
    /// IP literals are never within a domain. `domain` is compared
    /// case-insensitively; a leading or trailing `.` never matches.
    pub fn is_within(&self, domain: &str) -> bool {
        let domain = domain.as_bytes();
        if self.host_is_ip
            || domain.is_empty()
            || domain.starts_with(b".")
            || domain.ends_with(b".")
        {
            return false;
        }
        let host = self.host;
        if host.len() == domain.len() {
            return host.eq_ignore_ascii_case(domain);
        }
        host.len() > domain.len()
            && host[host.len() - domain.len() - 1] == b'.'
            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
    }
}

impl std::fmt::Debug for Origin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Origin").field(&self.as_str()).finish()
    }
}

impl std::fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bytes the parser validated as ASCII, as text.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// The URL standard's special schemes: their hosts are domains or IP
/// addresses, lowercased by browsers. Every other scheme has an opaque host,
/// kept as written.
fn is_special_scheme_bytes(scheme: &[u8]) -> bool {
    matches!(
        scheme,
        b"http" | b"https" | b"ws" | b"wss" | b"ftp" | b"file"
    )
}

/// Whether a (lowercase) scheme is a valid one whose hosts are opaque:
/// `chrome-extension`, `capacitor`, `tauri`, … (not `http`, `https`).
pub(crate) fn has_opaque_hosts(scheme: &str) -> bool {
    is_scheme(scheme.as_bytes()) && !is_special_scheme_bytes(scheme.as_bytes())
}

/// An opaque host as browsers and app shells send it: ASCII letters of
/// either case, digits, `-`, `.`, `_` and `~`, at most 253 bytes.
fn is_opaque_host(host: &[u8]) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn default_port_bytes(scheme: &[u8]) -> Option<u16> {
    match scheme {
        b"http" | b"ws" => Some(80),
        b"https" | b"wss" => Some(443),
        _ => None,
    }
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, lowercase only.
fn is_scheme(s: &[u8]) -> bool {
    match s.split_first() {
        Some((first, rest)) => {
            first.is_ascii_lowercase() && rest.iter().all(|&b| is_scheme_byte(b))
        }
        None => false,
    }
}

/// Validates a lowercase ASCII host (DNS name or dotted IPv4). Returns
/// whether it is an IPv4 address.
fn is_domain_or_ipv4(host: &[u8]) -> Option<bool> {
    match scan_domain_or_ipv4(host)? {
        (end, is_ip) if end == host.len() => Some(is_ip),
        _ => None,
    }
}

/// Validates the lowercase ASCII host (DNS name or dotted IPv4) that starts
/// `authority` and ends at a `:` or at the end. Returns its length and
/// whether it is an IPv4 address. One pass, one table load per byte.
fn scan_domain_or_ipv4(authority: &[u8]) -> Option<(usize, bool)> {
    let mut end = authority.len();
    let mut label_start = 0;
    let mut i = 0;
    while i < authority.len() {
        let class = HOST_BYTES[usize::from(authority[i])];
        if class != LABEL {
            if class == DOT {
                if i == label_start || i - label_start > 63 {
                    return None;
                }
                label_start = i + 1;
            } else if class == COLON {
                end = i;
                break;
            } else {
                return None;
            }
        }
        i += 1;
    }
    if end == label_start || end - label_start > 63 || end > 253 {
        return None;
    }
    let host = &authority[..end];
    // Browsers serialize IPv4 hosts in dotted-decimal form; a host whose last
    // label is numeric is an IPv4 address to the URL parser, and nothing else.
    if host[label_start..].iter().all(u8::is_ascii_digit) {
        let text = std::str::from_utf8(host).ok()?;
        let addr: Ipv4Addr = text.parse().ok()?;
        // Canonical only (no leading zeros): re-serializing must give the same length.
        if ipv4_len(addr) != host.len() {
            return None;
        }
        return Some((end, true));
    }
    Some((end, false))
}

/// What a byte can be in a serialized host: invalid, a label byte (`a`-`z`,
/// `0`-`9`, `-`, `_`), a dot, or the `:` that ends the host of an authority.
const INVALID: u8 = 0;
const LABEL: u8 = 1;
const DOT: u8 = 2;
const COLON: u8 = 3;

const HOST_BYTES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = match c {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => LABEL,
            b'.' => DOT,
            b':' => COLON,
            _ => INVALID,
        };
        b += 1;
    }
    table
};

fn ipv4_len(addr: Ipv4Addr) -> usize {
    addr.octets()
        .iter()
        .map(|&o| match o {
            0..=9 => 1,
            10..=99 => 2,
            _ => 3,
        })
        .sum::<usize>()
        + 3
}

/// The inside of `[...]`: lowercase hex digits, `:` and `.` only, and it must
/// parse as an IPv6 address. (Exact RFC 5952 form is enforced by comparing
/// with configured origins, which are canonicalized.)
fn is_ipv6_literal(s: &[u8]) -> bool {
    s.len() <= 45
        && s.iter()
            .all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b':' || b == b'.')
        && std::str::from_utf8(s)
            .ok()
            .and_then(|t| t.parse::<Ipv6Addr>().ok())
            .is_some()
}

/// `1*5DIGIT`, no leading zero, at most 65535.
fn parse_port(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    let mut value: u32 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(d - b'0');
    }
    u16::try_from(value).ok()
}

/// `ALPHA / DIGIT / "+" / "-" / "."`, lowercase only.
fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')
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

/// Whether a request's `Origin` names the same host and port as its `Host`
/// header: what the service's own page would send, and also what a
/// DNS-rebinding page sends. Never a reason to exempt a request; only a hint
/// in a refusal's report that the origin may be an own origin not declared.
/// `Host` is read only up to [`MAX_ORIGIN_LEN`] bytes.
pub(crate) fn origin_matches_host(origin: &[u8], host: &[u8]) -> bool {
    if host.len() > MAX_ORIGIN_LEN {
        return false;
    }
    let Some(origin) = Origin::parse_bytes(origin) else {
        return false;
    };
    let Some((host, port)) = split_authority(host) else {
        return false;
    };
    let default = default_port_bytes(origin.scheme);
    host.eq_ignore_ascii_case(origin.host) && port.or(default) == origin.port.or(default)
}

/// `host[:port]` of a `Host` header (userinfo dropped).
fn split_authority(authority: &[u8]) -> Option<(&[u8], Option<u16>)> {
    let authority = match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let host_end = if authority.first() == Some(&b'[') {
        authority.iter().position(|&b| b == b']')? + 1
    } else {
        authority
            .iter()
            .position(|&b| b == b':')
            .unwrap_or(authority.len())
    };
    let (host, rest) = authority.split_at(host_end);
    let port = match rest {
        [] | [b':'] => None,
        [b':', digits @ ..] => Some(parse_port(digits)?),
        _ => return None,
    };
    (!host.is_empty()).then_some((host, port))
}

/// Parses a numeric port of a configured origin; `None` when invalid.
pub(crate) fn parse_config_port(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Canonicalizes a configured exact origin. `Err` carries the message shown
/// to the user: either why it is no origin, or the corrected form.
pub(crate) fn canonical_origin(input: &str) -> Result<Cow<'_, str>, String> {
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
fn canonical_origin_general(input: &str) -> Result<String, String> {
    match input.trim() {
        "null" => {
            return Err(format!(
                "{input:?} is not an exact origin: use allow_null_origin() to opt in to the opaque origin"
            ))
        }
        "*" => {
            return Err(format!(
                "{input:?} is not an exact origin: use allow_any_origin() for a public policy"
            ))
        }
        t if t.contains('*') => {
            return Err(format!(
                "{input:?} contains a wildcard: use allow_origin_pattern() for subdomain or port patterns"
            ))
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
                return Err(format!(
                    "{input:?} is not an origin: {text:?} is not a port number"
                ))
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
        let why = if parts.fixes.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.fixes.join(", "))
        };
        Err(format!(
            "{input:?} is not an origin as browsers send it{why}: did you mean {canonical:?}?"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_browser_serializations() {
        let cases: &[(&str, &str, &str, bool, Option<u16>)] = &[
            ("https://example.com", "https", "example.com", false, None),
            (
                "http://localhost:3000",
                "http",
                "localhost",
                false,
                Some(3000),
            ),
            (
                "http://127.0.0.1:8080",
                "http",
                "127.0.0.1",
                true,
                Some(8080),
            ),
            ("http://[::1]:8080", "http", "[::1]", true, Some(8080)),
            (
                "chrome-extension://abcdef",
                "chrome-extension",
                "abcdef",
                false,
                None,
            ),
            (
                "https://xn--bcher-kva.example",
                "https",
                "xn--bcher-kva.example",
                false,
                None,
            ),
        ];
        for &(input, scheme, host, ip, port) in cases {
            let o = Origin::parse(input).unwrap_or_else(|| panic!("{input} should parse"));
            assert_eq!(o.scheme, scheme.as_bytes(), "{input}");
            assert_eq!(o.host, host.as_bytes(), "{input}");
            assert_eq!(o.host_is_ip, ip, "{input}");
            assert_eq!(o.port, port, "{input}");
        }
    }

    #[test]
    fn refuses_what_browsers_never_send() {
        let long = format!("https://{}.com", "a".repeat(MAX_ORIGIN_LEN));
        let cases = [
            "",
            "null",
            "example.com",
            "https://",
            "https://example.com/",
            "https://Example.com",
            "HTTPS://example.com",
            "https://user@example.com",
            "https://example.com:",
            "https://example.com:0443",
            "https://example.com:65536",
            "https://example..com",
            "https://.example.com",
            "https://example.com.",
            "https://exa mple.com",
            "https://example.com\r",
            "https://127.000.0.1",
            "https://1.2.3",
            "http://[::1",
            "http://[::g]",
            "https://example.com:80:80",
            long.as_str(),
        ];
        for input in cases {
            assert_eq!(Origin::parse(input), None, "{input:?} should be refused");
        }
    }

    #[test]
    fn host_limits_and_the_ipv4_rule() {
        let label = |n: usize| "a".repeat(n);
        // Labels of at most 63 bytes, first, middle or last; hosts of at most 253.
        for host in [
            format!("{}.example.com", label(63)),
            format!("a.{}.com", label(63)),
            format!("example.{}", label(63)),
            format!("{0}.{0}.{0}.{1}", label(63), label(61)),
        ] {
            let origin = format!("https://{host}:8443");
            let parsed = Origin::parse(&origin).unwrap_or_else(|| panic!("{origin} should parse"));
            assert_eq!(parsed.host, host.as_bytes());
            assert_eq!(parsed.port, Some(8443));
        }
        for host in [
            format!("{}.example.com", label(64)),
            format!("a.{}.com", label(64)),
            format!("example.{}", label(64)),
            format!("{0}.{0}.{0}.{1}", label(63), label(62)),
        ] {
            for origin in [format!("https://{host}"), format!("https://{host}:8443")] {
                assert_eq!(Origin::parse(&origin), None, "{origin} should be refused");
            }
        }
        // A host whose last label is numeric is an IPv4 address, and must be one in
        // dotted-decimal form; a numeric label elsewhere is an ordinary label.
        assert!(Origin::parse("http://10.0.0.1").is_some_and(|o| o.host_is_ip()));
        assert!(Origin::parse("http://10.example.com").is_some_and(|o| !o.host_is_ip()));
        for refused in [
            "http://a.1.2.3",
            "http://1.2.3.4.5",
            "http://01.2.3.4",
            "http://256.1.1.1",
            "http://example.123",
        ] {
            assert_eq!(
                Origin::parse(refused),
                None,
                "{refused:?} should be refused"
            );
        }
    }

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
