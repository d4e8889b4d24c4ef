//! Request bytes as logs may show them: printable ASCII only, quotes and
//! backslashes escaped, cut at a maximum length.

use std::fmt;

use http::HeaderValue;

/// Displays request bytes for logs: printable ASCII only (other bytes
/// escaped as `\xNN`, quotes and backslashes escaped, so no log injection,
/// flask-cors CVE-2024-1681), cut at a maximum length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Escaped<'a> {
    bytes: Option<&'a [u8]>,
    max: usize,
    quoted: bool,
}

impl<'a> Escaped<'a> {
    /// `-`, for a missing value.
    pub(crate) const NONE: Escaped<'static> = Escaped {
        bytes: None,
        max: 0,
        quoted: false,
    };

    /// In double quotes, at most 128 bytes.
    pub(crate) fn quoted(bytes: &'a [u8]) -> Self {
        Self {
            bytes: Some(bytes),
            max: 128,
            quoted: true,
        }
    }

    /// Without quotes, at most `max` bytes.
    pub(crate) fn bare(bytes: &'a [u8], max: usize) -> Self {
        Self {
            bytes: Some(bytes),
            max,
            quoted: false,
        }
    }

    /// A header value in double quotes, or `-` when absent.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn value(value: Option<&'a HeaderValue>) -> Self {
        value.map_or(Self::NONE, |v| Self::quoted(v.as_bytes()))
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(bytes) = self.bytes else {
            return f.write_str("-");
        };
        let shown = &bytes[..bytes.len().min(self.max)];
        let quote = if self.quoted { "\"" } else { "" };
        write!(f, "{quote}{}{quote}", shown.escape_ascii())?;
        if shown.len() < bytes.len() {
            write!(f, "... ({} bytes)", bytes.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_values_are_printable_ascii() {
        let cases: &[(&[u8], &str)] = &[
            (b"https://a.example", "\"https://a.example\""),
            (b"https://a\t\"x\xff", "\"https://a\\t\\\"x\\xff\""),
            (b"a\r\nb", "\"a\\r\\nb\""),
        ];
        for (raw, expected) in cases {
            assert_eq!(Escaped::quoted(raw).to_string(), *expected);
        }
        let long = [b'a'; 300];
        let shown = Escaped::quoted(&long).to_string();
        assert!(shown.ends_with("... (300 bytes)"), "{shown}");
        assert_eq!(Escaped::value(None).to_string(), "-");
        assert_eq!(Escaped::bare(b"it's", 10).to_string(), "it\\'s");
    }
}
