//! Tokens, methods and header names, and the bounded parser for
//! `Access-Control-Request-Headers`.

use http::header::GetAll;
use http::HeaderValue;

use crate::refusal::{Refusal, Refused};

/// Largest total size, over all lines, of `Access-Control-Request-Headers`
/// that is parsed. Browsers send the sorted, comma-joined list of the
/// non-safelisted header names a script set; 4 KiB is far above any real
/// request. Larger values are refused before parsing (rs/cors
/// CVE-2025-47908: one request of commas cost 121 MB).
pub(crate) const MAX_REQUEST_HEADERS_LEN: usize = 4096;

/// Most `Access-Control-Request-Headers` lines read. Browsers send one; a
/// request of thousands of short lines would otherwise cost one step per
/// line up to the byte cap.
pub(crate) const MAX_REQUEST_HEADERS_LINES: usize = 16;

/// Longest `Access-Control-Request-Method` read, and longest method a policy
/// may allow. Registered methods have at most 17 bytes
/// (`BASELINE-CONTROL`, `VERSION-CONTROL`); a longer value is refused as
/// malformed before it is scanned.
pub(crate) const MAX_METHOD_LEN: usize = 64;

/// `tchar` of RFC 9110 §5.6.2, one table load per byte.
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = tchar_rule(b as u8);
        b += 1;
    }
    table
};

const fn tchar_rule(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// `token = 1*tchar`.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// CORS-safelisted methods (Fetch `#cors-safelisted-method`): a preflight
/// never needs `Access-Control-Allow-Methods` to cover them. Byte-exact.
pub(crate) fn is_safelisted_method(m: &[u8]) -> bool {
    matches!(m, b"GET" | b"HEAD" | b"POST")
}

/// Methods that `fetch()` and XHR upper-case before sending (Fetch
/// `#concept-method-normalize`).
pub(crate) const NORMALIZED_METHODS: [&str; 6] =
    ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];

/// The methods of the IANA HTTP Method Registry, in their registered
/// (uppercase) spelling. A configured method equal to one of them but for
/// case is a typo: methods compare byte for byte, so it matches nothing that
/// clients send.
pub(crate) const REGISTERED_METHODS: [&str; 40] = [
    "ACL",
    "BASELINE-CONTROL",
    "BIND",
    "CHECKIN",
    "CHECKOUT",
    "CONNECT",
    "COPY",
    "DELETE",
    "GET",
    "HEAD",
    "LABEL",
    "LINK",
    "LOCK",
    "MERGE",
    "MKACTIVITY",
    "MKCALENDAR",
    "MKCOL",
    "MKREDIRECTREF",
    "MKWORKSPACE",
    "MOVE",
    "OPTIONS",
    "ORDERPATCH",
    "PATCH",
    "POST",
    "PRI",
    "PROPFIND",
    "PROPPATCH",
    "PUT",
    "QUERY",
    "REBIND",
    "REPORT",
    "SEARCH",
    "TRACE",
    "UNBIND",
    "UNCHECKOUT",
    "UNLINK",
    "UNLOCK",
    "UPDATE",
    "UPDATEREDIRECTREF",
    "VERSION-CONTROL",
];

/// Forbidden methods (Fetch `#forbidden-method`): browsers never send them.
pub(crate) fn is_forbidden_method(m: &str) -> bool {
    ["CONNECT", "TRACE", "TRACK"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(m))
}

/// Forbidden request-header names (Fetch `#forbidden-request-header`):
/// scripts cannot set them, so they never appear in
/// `Access-Control-Request-Headers`. `name` is lowercase.
pub(crate) fn is_forbidden_request_header(name: &str) -> bool {
    const NAMES: [&str; 21] = [
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    NAMES.contains(&name) || name == "via" || name.starts_with("proxy-") || name.starts_with("sec-")
}

/// Forbidden response-header names (Fetch `#forbidden-response-header-name`):
/// never exposed to scripts. `name` is lowercase.
pub(crate) fn is_forbidden_response_header(name: &str) -> bool {
    matches!(name, "set-cookie" | "set-cookie2")
}

/// Calls `allowed` for every name in `Access-Control-Request-Headers`, in one
/// pass without allocating.
///
/// The header may be split over several lines, unsorted, in any case, with
/// optional whitespace and empty elements (`#` list rule, RFC 9110 §5.6.1).
/// The total size is checked against [`MAX_REQUEST_HEADERS_LEN`] before any
/// element is read. Stops at the first element that is not a token
/// ([`Refusal::HeadersMalformed`]) or that `allowed` rejects
/// ([`Refusal::HeaderNotAllowed`]), and locates it in the request.
pub(crate) fn check_request_headers(
    lines: GetAll<'_, HeaderValue>,
    mut allowed: impl FnMut(&[u8]) -> bool,
) -> Result<(), Refused> {
    let mut total = 0usize;
    for (i, line) in lines.iter().enumerate() {
        // One separator byte between lines, as if they were joined.
        total += line.len() + 1;
        if total > MAX_REQUEST_HEADERS_LEN + 1 || i == MAX_REQUEST_HEADERS_LINES {
            return Err(Refused::bare(Refusal::HeadersTooLong));
        }
    }
    for (n, line) in lines.iter().enumerate() {
        for_each_list_element(line.as_bytes(), &mut allowed)
            .map_err(|(refusal, start, end)| Refused::headers(refusal, n, start, end))?;
    }
    Ok(())
}

/// One pass over one line of a `#field-name` list: `OWS name OWS` elements
/// separated by commas, empty elements skipped (RFC 9110 §5.6.1). A refusal
/// comes with the byte range of its element: the refused name, or the
/// element up to and including the byte where parsing stopped.
fn for_each_list_element(
    bytes: &[u8],
    allowed: &mut impl FnMut(&[u8]) -> bool,
) -> Result<(), (Refusal, usize, usize)> {
    let is_ows = |b: u8| b == b' ' || b == b'\t';
    let mut i = 0;
    loop {
        while i < bytes.len() && is_ows(bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && is_tchar(bytes[i]) {
            i += 1;
        }
        let end = i;
        while i < bytes.len() && is_ows(bytes[i]) {
            i += 1;
        }
        // Only a comma or the end may follow an element.
        if i < bytes.len() && bytes[i] != b',' {
            return Err((Refusal::HeadersMalformed, start, i + 1));
        }
        if end > start && !allowed(&bytes[start..end]) {
            return Err((Refusal::HeaderNotAllowed, start, end));
        }
        if i >= bytes.len() {
            return Ok(());
        }
        i += 1;
    }
}

/// Strips optional whitespace (SP / HTAB) from both ends.
fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Whether a comma-separated header value contains `token`
/// (case-insensitive), or `*`.
pub(crate) fn list_contains(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .any(|t| t == b"*" || t.eq_ignore_ascii_case(token.as_bytes()))
}

/// Whether a comma-separated header value holds `token` as one element
/// (case-insensitive; `token` is lowercase). Unlike [`list_contains`], `*`
/// is an ordinary element here.
pub(crate) fn list_has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .any(|t| t.eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::ACCESS_CONTROL_REQUEST_HEADERS as ACRH;
    use http::HeaderMap;

    fn names(lines: &[&str]) -> Result<Vec<String>, Refusal> {
        let mut map = HeaderMap::new();
        for l in lines {
            map.append(ACRH, HeaderValue::from_str(l).unwrap());
        }
        let mut seen = Vec::new();
        check_request_headers(map.get_all(ACRH), |n| {
            seen.push(String::from_utf8(n.to_vec()).unwrap());
            true
        })
        .map(|()| seen)
        .map_err(|r| r.refusal())
    }

    #[test]
    fn parses_lists_tolerantly() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "browser form",
                &["content-type,x-id"],
                &["content-type", "x-id"],
            ),
            ("spaces and tabs", &[" a ,\tb\t, c"], &["a", "b", "c"]),
            ("empty elements", &[",,a,,b,"], &["a", "b"]),
            ("several lines", &["a", "b, c"], &["a", "b", "c"]),
            ("mixed case kept for comparison", &["X-Id"], &["X-Id"]),
            ("empty value", &[""], &[]),
        ];
        for (desc, lines, expected) in cases {
            assert_eq!(
                names(lines),
                Ok(expected.iter().map(|s| s.to_string()).collect()),
                "{desc}"
            );
        }
    }

    #[test]
    fn refuses_malformed_and_oversized_lists() {
        assert_eq!(
            names(&["a b"]),
            Err(Refusal::HeadersMalformed),
            "space inside a name"
        );
        assert_eq!(
            names(&["a;b"]),
            Err(Refusal::HeadersMalformed),
            "separator inside a name"
        );
        let commas = ",".repeat(MAX_REQUEST_HEADERS_LEN + 1);
        assert_eq!(
            names(&[&commas]),
            Err(Refusal::HeadersTooLong),
            "one long line"
        );
        let half = "a".repeat(MAX_REQUEST_HEADERS_LEN / 2);
        assert_eq!(
            names(&[&half, &half, "b"]),
            Err(Refusal::HeadersTooLong),
            "split over lines"
        );
        let lines = vec!["a"; MAX_REQUEST_HEADERS_LINES + 1];
        assert_eq!(
            names(&lines),
            Err(Refusal::HeadersTooLong),
            "too many lines"
        );
        assert!(names(&lines[1..]).is_ok(), "exactly at the line cap");
        let at_cap = "a".repeat(MAX_REQUEST_HEADERS_LEN);
        assert!(names(&[&at_cap]).is_ok(), "exactly at the cap");
    }

    #[test]
    fn stops_at_first_disallowed_name() {
        let mut map = HeaderMap::new();
        map.insert(ACRH, HeaderValue::from_static("a,b,c"));
        let mut calls = 0;
        let r = check_request_headers(map.get_all(ACRH), |n| {
            calls += 1;
            n != b"b"
        });
        let refused = r.expect_err("b is refused");
        assert_eq!(refused.refusal(), Refusal::HeaderNotAllowed);
        assert_eq!(refused.subject(&map), Some(&b"b"[..]));
        assert_eq!(calls, 2);
    }
}
