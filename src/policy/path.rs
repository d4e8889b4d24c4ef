//! The normal form of a request path in which [`PathPolicies`](super::PathPolicies)
//! compares prefixes: the path the router or file server will actually serve.
//!
//! Three normalisations, all of RFC 3986 §6.2.2 and all ones a server behind
//! the layer may apply before it picks a handler or a file:
//!
//! - `%XX` of an unreserved character (`A-Z a-z 0-9 - . _ ~`) is decoded
//!   (§6.2.2.2): `/static/%70rivate` is `/static/private`. Chromium sends
//!   `%70` as written, and `ServeDir` decodes it before opening the file.
//!   Other escapes stay encoded, their hex digits upper-cased (§6.2.2.1).
//! - Repeated `/` collapse into one: `//api/ws` is `/api/ws`.
//!   `NormalizePathLayer::trim_trailing_slash` strips leading and trailing
//!   runs of `/` and `ServeDir` skips empty segments.
//! - Dot segments are resolved (§5.2.4): `/a/./b/../c` is `/a/c`, `%2e` too.
//!   Browsers resolve them before sending; other clients may not, and
//!   `ServeDir` would refuse `..` itself.
//!
//! A path with no `%`, no `//` and no `/.` is already normal and is used
//! as it is, without a copy.

#[cfg(test)]
use std::borrow::Cow;

/// Whether `path` is normal as it is: it holds no `%`, no `//` and no `/.`
/// (one pass, no allocation).
#[inline(always)]
pub(crate) fn is_normal(path: &[u8]) -> bool {
    let mut previous = 0u8;
    for &b in path {
        if b == b'%' || (previous == b'/' && (b == b'/' || b == b'.')) {
            return false;
        }
        previous = b;
    }
    true
}

/// The normal form of `path` (see the module docs): borrowed when `path` is
/// already normal.
#[cfg(test)]
pub(crate) fn normalize(path: &str) -> Cow<'_, str> {
    if is_normal(path.as_bytes()) {
        return Cow::Borrowed(path);
    }
    Cow::Owned(normalize_owned(path))
}

/// Whether a normal path holds an encoded `/` or `\` (`%2F`, `%5C`): a
/// separator to a file server that decodes the whole path (`ServeDir`), one
/// segment's bytes to a router.
pub(crate) fn has_encoded_separator(normal: &str) -> bool {
    normal.contains("%2F") || normal.contains("%5C")
}

/// `normal` with `%2F` and `%5C` decoded as `/`, normalised again: the path
/// as a file server that decodes everything sees it.
pub(crate) fn decode_separators(normal: &str) -> String {
    normalize_owned(&normal.replace("%2F", "/").replace("%5C", "/"))
}

/// The byte two hex digits (either case) stand for.
fn hex_byte(digits: &[u8]) -> Option<u8> {
    let digit = |d: u8| char::from(d).to_digit(16);
    match digits {
        [hi, lo] => Some(u8::try_from(digit(*hi)? * 16 + digit(*lo)?).ok()?),
        _ => None,
    }
}

/// The normal form of a path that is not normal.
pub(crate) fn normalize_owned(path: &str) -> String {
    let bytes = path.as_bytes();
    // Segment boundaries in `out`: each entry is where a segment's `/` starts.
    let mut out = String::with_capacity(path.len() + 1);
    let mut starts: Vec<usize> = Vec::new();
    let trailing = bytes.last() == Some(&b'/');
    for raw in path.split('/') {
        let start = out.len();
        out.push('/');
        let mut i = 0;
        let raw = raw.as_bytes();
        while i < raw.len() {
            let b = raw[i];
            if b == b'%' {
                if let Some(v) = raw.get(i + 1..i + 3).and_then(hex_byte) {
                    if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                        out.push(char::from(v));
                    } else {
                        out.push('%');
                        out.push(char::from(raw[i + 1].to_ascii_uppercase()));
                        out.push(char::from(raw[i + 2].to_ascii_uppercase()));
                    }
                    i += 3;
                    continue;
                }
            }
            // Copy the run up to the next `%` (keeps multi-byte characters whole).
            let end = raw[i + 1..]
                .iter()
                .position(|&c| c == b'%')
                .map_or(raw.len(), |p| i + 1 + p);
            out.push_str(std::str::from_utf8(&raw[i..end]).unwrap_or(""));
            i = end;
        }
        match &out[start + 1..] {
            "" | "." => out.truncate(start),
            ".." => {
                out.truncate(start);
                if let Some(previous) = starts.pop() {
                    out.truncate(previous);
                }
            }
            _ => starts.push(start),
        }
    }
    if out.is_empty() || trailing {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_forms() {
        let cases: &[(&str, &str)] = &[
            ("/", "/"),
            ("/api/ws", "/api/ws"),
            ("//api/ws", "/api/ws"),
            ("///api///ws", "/api/ws"),
            ("/api/ws/", "/api/ws/"),
            ("/api//", "/api/"),
            ("/static/%70rivate/secret.txt", "/static/private/secret.txt"),
            ("/static/%50rivate", "/static/Private"),
            ("/static//private/a", "/static/private/a"),
            ("/%61%70%69", "/api"),
            ("/a%2fb", "/a%2Fb"),
            ("/a%20b", "/a%20b"),
            ("/a%zzb", "/a%zzb"),
            ("/a%", "/a%"),
            ("/a%4", "/a%4"),
            ("/a%+a", "/a%+a"),
            ("/a%-1", "/a%-1"),
            ("/a/./b", "/a/b"),
            ("/a/../b", "/b"),
            ("/../../b", "/b"),
            ("/a/%2e%2E/b", "/b"),
            ("/a/%2e/b", "/a/b"),
            ("/a/..", "/"),
            ("/a/b/..", "/a"),
            ("/.well-known/x", "/.well-known/x"),
            ("/a/..b", "/a/..b"),
            ("/caf%C3%A9/x", "/caf%C3%A9/x"),
            ("/café//x", "/café/x"),
        ];
        for (path, want) in cases {
            assert_eq!(normalize(path), *want, "{path:?}");
        }
    }

    #[test]
    fn normal_paths_are_borrowed() {
        for path in [
            "/",
            "/api/ws",
            "/static/private/secret.txt",
            "/a-b_c~d",
            "/a.b/c",
        ] {
            assert!(matches!(normalize(path), Cow::Borrowed(_)), "{path:?}");
        }
        for path in ["//api", "/%61", "/./a", "/a/.."] {
            assert!(matches!(normalize(path), Cow::Owned(_)), "{path:?}");
        }
    }

    #[test]
    fn encoded_separators() {
        let normal = normalize("/static/private%2fsecret.txt");
        assert!(has_encoded_separator(&normal));
        assert_eq!(decode_separators(&normal), "/static/private/secret.txt");
        assert_eq!(decode_separators("/a%5C..%5Cb"), "/b");
        assert!(!has_encoded_separator("/a%20b"));
    }
}
