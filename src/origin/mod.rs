//! Origins: the [`Origin`] type a request's `Origin` header parses into.
//!
//! Browsers serialize origins as `scheme "://" host [ ":" port ]` with a
//! lowercase scheme and host, no default port, no path and punycode hosts
//! (Fetch `#origin-header`, `serialized-origin`). Anything else did not come
//! from a browser's own serialization and is refused.
//!
//! - `wire`: the zero-allocation parse of a request's `Origin` header bytes,
//!   and its comparison with the `Host` header;
//! - `canonical`: the configuration's form of an origin: parsing and
//!   validating an allow-list entry, the "did you mean" fix, punycode hosts.

mod canonical;
mod wire;

pub(crate) use canonical::{
    add_scheme_hint, canonical_origin, default_port, has_opaque_hosts, parse_config_port,
    split_config_origin, ConfigOrigin, NotCanonical,
};
pub(crate) use wire::origin_matches_host;

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
