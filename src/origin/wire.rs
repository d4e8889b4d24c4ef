//! The request side of origins: the zero-allocation parse of a request's
//! `Origin` header bytes, in the exact form browsers serialize them, and the
//! comparison of an `Origin` with the request's `Host` header.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Origin, MAX_ORIGIN_LEN};

impl<'a> Origin<'a> {
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
}

/// The URL standard's special schemes: their hosts are domains or IP
/// addresses, lowercased by browsers. Every other scheme has an opaque host,
/// kept as written.
pub(super) fn is_special_scheme_bytes(scheme: &[u8]) -> bool {
    matches!(
        scheme,
        b"http" | b"https" | b"ws" | b"wss" | b"ftp" | b"file"
    )
}

/// An opaque host as browsers and app shells send it: ASCII letters of
/// either case, digits, `-`, `.`, `_` and `~`, at most 253 bytes.
pub(super) fn is_opaque_host(host: &[u8]) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

pub(super) fn default_port_bytes(scheme: &[u8]) -> Option<u16> {
    match scheme {
        b"http" | b"ws" => Some(80),
        b"https" | b"wss" => Some(443),
        _ => None,
    }
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, lowercase only.
pub(super) fn is_scheme(s: &[u8]) -> bool {
    match s.split_first() {
        Some((first, rest)) => {
            first.is_ascii_lowercase() && rest.iter().all(|&b| is_scheme_byte(b))
        }
        None => false,
    }
}

/// Validates the lowercase ASCII host (DNS name or dotted IPv4) that starts
/// `authority` and ends at a `:` or at the end. Returns its length and
/// whether it is an IPv4 address. One pass, one table load per byte.
pub(super) fn scan_domain_or_ipv4(authority: &[u8]) -> Option<(usize, bool)> {
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
}
