//! Reference definitions written from the Fetch Standard and RFC 9110 for the property
//! test and the fuzz targets, independent of the crate's own parsers.
#![allow(dead_code)]

use std::net::Ipv6Addr;

/// A request origin in the form browsers serialize it: `scheme://host[:port]`, lowercase
/// scheme and (for `http`, `https`, `ws`, `wss`, `ftp`, `file`) host, DNS labels of letters, digits, `-` and `_` (at most 63 bytes each, 253
/// in all), or a bracketed IPv6 address; other schemes have an opaque host of ASCII letters
/// in either case, digits, `-`, `.`, `_`, `~`; a port of at most five digits without leading zero, never the scheme's default.
pub(crate) struct Parsed<'a> {
    pub(crate) scheme: &'a str,
    pub(crate) host: &'a str,
    pub(crate) port: Option<u16>,
}

pub(crate) fn parse_serialized_origin(s: &str) -> Option<Parsed<'_>> {
    let (scheme, rest) = s.split_once("://")?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !first_ok
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
    {
        return None;
    }
    let (host, port_text) = if rest.starts_with('[') {
        let close = rest.find(']')?;
        let inside = &rest[1..close];
        if inside.bytes().any(|b| b.is_ascii_uppercase()) || inside.parse::<Ipv6Addr>().is_err() {
            return None;
        }
        let after = &rest[close + 1..];
        let port = if after.is_empty() {
            None
        } else {
            Some(after.strip_prefix(':')?)
        };
        (&rest[..=close], port)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let special = matches!(scheme, "http" | "https" | "ws" | "wss" | "ftp" | "file");
    if !special && !host.starts_with('[') {
        // The URL standard's non-special schemes have opaque hosts, sent in their own case.
        let opaque_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !opaque_ok {
            return None;
        }
    } else if !host.starts_with('[') {
        // DNS limits (RFC 1035 §2.3.4): no page is served from a longer name.
        if host.len() > 253 {
            return None;
        }
        let labels_ok = host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        });
        if !labels_ok {
            return None;
        }
        // URL standard, "ends in a number": a host whose last label is numeric is parsed as
        // an IPv4 address, and serialized in dotted-decimal form.
        let last = host.rsplit('.').next().unwrap_or(host);
        if last.bytes().all(|b| b.is_ascii_digit()) {
            let canonical = host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|a| a.to_string() == host);
            if !canonical {
                return None;
            }
        }
    }
    let port = match port_text {
        None => None,
        Some(t) => {
            if t.is_empty()
                || t.len() > 5
                || (t.len() > 1 && t.starts_with('0'))
                || !t.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let port = t.parse::<u16>().ok()?;
            // The URL standard's origin serialization omits the scheme's default port.
            let default = match scheme {
                "http" | "ws" => Some(80),
                "https" | "wss" => Some(443),
                _ => None,
            };
            if Some(port) == default {
                return None;
            }
            Some(port)
        }
    };
    Some(Parsed { scheme, host, port })
}

/// `tchar` (RFC 9110 §5.6.2).
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `token = 1*tchar`.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// The elements of a `#` list spread over several field lines: split on `,`, optional
/// whitespace (SP / HTAB) trimmed, empty elements dropped (RFC 9110 §5.6.1).
pub(crate) fn list_elements<'a>(lines: &[&'a [u8]]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    for line in lines {
        for element in line.split(|&b| b == b',') {
            let start = element
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(element.len());
            let end = element
                .iter()
                .rposition(|&b| b != b' ' && b != b'\t')
                .map_or(start, |p| p + 1);
            if end > start {
                out.push(&element[start..end]);
            }
        }
    }
    out
}

/// The size of a field whose lines are combined with one separator byte each.
pub(crate) fn combined_len(lines: &[&[u8]]) -> usize {
    lines.iter().map(|l| l.len()).sum::<usize>() + lines.len().saturating_sub(1)
}

/// `host[:port]` of a `Host` header or URI authority (RFC 9110 §7.2: `uri-host [ ":" port ]`,
/// `port = *DIGIT`), or `None` when it is not one.
pub(crate) fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let close = rest.find(']')?;
        let after = &rest[close + 1..];
        let port = if after.is_empty() {
            None
        } else {
            Some(after.strip_prefix(':')?)
        };
        (&authority[..close + 2], port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains('@') {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(digits) => {
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(digits.parse::<u16>().ok()?)
        }
    };
    Some((host, port))
}

/// The default port of a scheme, for comparing an origin with an authority.
pub(crate) fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// Whether a request comes from the service's own pages: its `Origin` is one of the
/// declared own origins, byte for byte. `Host`, the URI's authority and `Sec-Fetch-Site`
/// never count (a DNS-rebinding page sends all of them).
pub(crate) fn is_own_origin(origin: &[u8], own: &[&str]) -> bool {
    own.iter().any(|o| o.as_bytes() == origin)
}
