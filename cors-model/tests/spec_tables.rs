//! The model's tables against the spec's lists as the spec text states them.
//!
//! Each test quotes the definition from the WHATWG Fetch Standard (or mimesniff, or the WICG
//! Private Network Access draft), naming its section, and reads the expected items out of the
//! quote itself (the `` `…` `` items, the `0xNN` bytes): the expectations come from the spec's
//! words, not from any implementation. Each table is checked twice: its items equal the quote's,
//! and the function that reads it answers as the definition says for the quoted items, their
//! case variants and near misses.

use std::collections::BTreeSet;

use cors_model::tables::{self, Matching, SpecList};
use cors_model::*;

/// The items a definition quotes between backticks, in order.
fn backticked(quote: &str) -> Vec<&str> {
    quote.split('`').skip(1).step_by(2).collect()
}

/// The bytes a definition names as `0xNN`, in order.
fn hex_bytes(quote: &str) -> Vec<u8> {
    quote
        .match_indices("0x")
        .filter_map(|(i, _)| quote.get(i + 2..i + 4))
        .filter_map(|hex| u8::from_str_radix(hex, 16).ok())
        .collect()
}

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    items.into_iter().collect()
}

/// Spellings of `name` a byte-case-insensitive comparison must treat alike.
fn case_variants(name: &str) -> Vec<String> {
    let alternating: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    vec![
        name.to_owned(),
        name.to_ascii_lowercase(),
        name.to_ascii_uppercase(),
        alternating,
    ]
}

/// Names that differ from `name` by one byte at either end.
fn near_misses(name: &str) -> Vec<String> {
    vec![
        format!("{name}x"),
        format!("x{name}"),
        format!("{name}-"),
        name[1..].to_owned(),
        name[..name.len() - 1].to_owned(),
    ]
}

fn assert_table(table: &SpecList, quote: &str, matching: Matching) {
    assert_eq!(
        set(table.items.iter().copied()),
        set(backticked(quote)),
        "{}: items as quoted",
        table.defined_at
    );
    assert_eq!(
        table.items.len(),
        backticked(quote).len(),
        "{}: no item twice",
        table.defined_at
    );
    assert_eq!(table.matching, matching, "{}: comparison", table.defined_at);
}

// ---------------------------------------------------------------------------------------------
// Fetch §2.2.1 Methods
// ---------------------------------------------------------------------------------------------

#[test]
fn cors_safelisted_methods_are_get_head_post_byte_for_byte() {
    // Fetch §2.2.1 Methods, "CORS-safelisted method".
    const SPEC: &str = "A CORS-safelisted method is a method that is `GET`, `HEAD`, or `POST`.";
    assert_table(&tables::CORS_SAFELISTED_METHOD, SPEC, Matching::Is);
    for method in backticked(SPEC) {
        assert!(is_cors_safelisted_method(method), "{method}");
        for other in case_variants(method).iter().filter(|m| *m != method) {
            assert!(
                !is_cors_safelisted_method(other),
                "{other}: \"is\" compares bytes"
            );
        }
    }
    for method in ["PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "GETX", ""] {
        assert!(!is_cors_safelisted_method(method), "{method}");
    }
}

#[test]
fn forbidden_methods_match_byte_case_insensitively() {
    // Fetch §2.2.1 Methods, "forbidden method".
    const SPEC: &str = "A forbidden method is a method that is a byte-case-insensitive match for \
                        `CONNECT`, `TRACE`, or `TRACK`.";
    assert_table(
        &tables::FORBIDDEN_METHOD,
        SPEC,
        Matching::ByteCaseInsensitive,
    );
    for method in backticked(SPEC) {
        for variant in case_variants(method) {
            assert!(is_forbidden_method(&variant), "{variant}");
        }
        for miss in near_misses(method) {
            assert!(!is_forbidden_method(&miss), "{miss}");
        }
    }
    for method in ["GET", "POST", "OPTIONS", "PATCH", ""] {
        assert!(!is_forbidden_method(method), "{method}");
    }
}

#[test]
fn normalize_uppercases_only_the_six_listed_methods() {
    // Fetch §2.2.1 Methods, "normalize" a method.
    const SPEC: &str = "To normalize a method, if it is a byte-case-insensitive match for \
                        `DELETE`, `GET`, `HEAD`, `OPTIONS`, `POST`, or `PUT`, byte-uppercase it.";
    assert_table(
        &tables::NORMALIZED_METHOD,
        SPEC,
        Matching::ByteCaseInsensitive,
    );
    for method in backticked(SPEC) {
        for variant in case_variants(method) {
            assert_eq!(normalize_method(&variant), method, "{variant}");
        }
    }
    // The spec's example: "Using `patch` is highly likely to result in a `405 Method Not
    // Allowed`."
    for method in ["patch", "Patch", "connect", "gett", "x-get", "propfind"] {
        assert_eq!(
            normalize_method(method),
            method,
            "{method} is kept as it is"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Fetch §2.2.2 Headers: forbidden request-header
// ---------------------------------------------------------------------------------------------

/// Fetch §2.2.2 Headers, "forbidden request-header", step 1.
const FORBIDDEN_STEP_1: &str = "If name is a byte-case-insensitive match for one of: \
    `Accept-Charset` `Accept-Encoding` `Access-Control-Request-Headers` \
    `Access-Control-Request-Method` `Connection` `Content-Length` `Cookie` `Cookie2` `Date` \
    `DNT` `Expect` `Host` `Keep-Alive` `Origin` `Referer` `Set-Cookie` `TE` `Trailer` \
    `Transfer-Encoding` `Upgrade` `Via` then return true.";

/// Fetch §2.2.2 Headers, "forbidden request-header", step 2.
const FORBIDDEN_STEP_2: &str =
    "If name when byte-lowercased starts with `proxy-` or `sec-`, then return true.";

/// Fetch §2.2.2 Headers, "forbidden request-header", step 3.
const FORBIDDEN_STEP_3: &str = "If name is a byte-case-insensitive match for one of: \
    `X-HTTP-Method` `X-HTTP-Method-Override` `X-Method-Override` then: Let parsedValues be the \
    result of getting, decoding, and splitting value. For each method of parsedValues: if the \
    isomorphic encoding of method is a forbidden method, then return true.";

/// WICG Private Network Access, §"Forbidden header names".
const PNA_FORBIDDEN: &str = "A new entry is added to the list of forbidden request-header names: \
    `Access-Control-Request-Private-Network`.";

#[test]
fn forbidden_request_header_step_1_lists_21_names() {
    assert_table(
        &tables::FORBIDDEN_REQUEST_HEADER_NAME,
        FORBIDDEN_STEP_1,
        Matching::ByteCaseInsensitive,
    );
    assert_eq!(backticked(FORBIDDEN_STEP_1).len(), 21);
    for name in backticked(FORBIDDEN_STEP_1) {
        for variant in case_variants(name) {
            for value in [&b""[..], b"1", b"GET"] {
                assert!(
                    is_forbidden_request_header(&variant, value),
                    "{variant}: {value:?}"
                );
            }
        }
        for miss in near_misses(name) {
            let by_prefix = miss.to_ascii_lowercase().starts_with("sec-")
                || miss.to_ascii_lowercase().starts_with("proxy-");
            let listed = backticked(FORBIDDEN_STEP_1)
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&miss));
            assert_eq!(
                is_forbidden_request_header(&miss, b""),
                by_prefix || listed,
                "{miss}"
            );
        }
    }
}

#[test]
fn forbidden_request_header_step_2_is_a_prefix_rule() {
    assert_table(
        &tables::FORBIDDEN_REQUEST_HEADER_PREFIX,
        FORBIDDEN_STEP_2,
        Matching::ByteLowercasedStartsWith,
    );
    for prefix in backticked(FORBIDDEN_STEP_2) {
        for tail in ["", "a", "Fetch-Site", "Authorization", "-", "x-y-z"] {
            for variant in case_variants(&format!("{prefix}{tail}")) {
                assert!(is_forbidden_request_header(&variant, b""), "{variant}");
            }
        }
        // Without its dash, inside a name or after another byte, the prefix does not apply.
        let bare = prefix.trim_end_matches('-');
        for name in [
            bare.to_owned(),
            format!("{bare}x-a"),
            format!("x-{prefix}a"),
            format!("{bare}_a"),
        ] {
            assert!(!is_forbidden_request_header(&name, b""), "{name}");
        }
    }
}

#[test]
fn forbidden_request_header_step_3_reads_the_value_for_a_forbidden_method() {
    assert_table(
        &tables::METHOD_OVERRIDE_HEADER_NAME,
        FORBIDDEN_STEP_3,
        Matching::ByteCaseInsensitive,
    );
    // (value, forbidden): parsedValues per "get, decode, and split", each compared with the
    // forbidden methods byte-case-insensitively.
    let cases: &[(&[u8], bool)] = &[
        (b"TRACE", true),
        (b"track", true),
        (b"Connect", true),
        (b"GET", false),
        (b"PATCH", false),
        (b"", false),
        (b"GET, TRACE", true),
        (b"GET,TRACE", true),
        (b" \tTRACE \t", true),
        (b"TRACE;", false),
        (b"TRACEX", false),
        // A quoted string keeps its quotes and its commas.
        (b"\"TRACE\"", false),
        (b"\"GET, TRACE\"", false),
        (b"\"GET, TRACE, PUT\"", false),
        (b"\"GET\", TRACE", true),
        (b"x\"y,TRACE\"", false),
        // Bytes 0x80 and above decode to one code point each and match nothing.
        (b"TRACE\xC3\xA9", false),
    ];
    for name in backticked(FORBIDDEN_STEP_3) {
        for variant in case_variants(name) {
            for (value, forbidden) in cases {
                assert_eq!(
                    is_forbidden_request_header(&variant, value),
                    *forbidden,
                    "{variant}: {:?}",
                    String::from_utf8_lossy(value)
                );
            }
        }
    }
    // Other names never read their value.
    for name in [
        "X-Method",
        "X-HTTP-Method-Overrides",
        "Method",
        "X-Http-Method-Override2",
    ] {
        assert!(!is_forbidden_request_header(name, b"TRACE"), "{name}");
    }
}

#[test]
fn private_network_access_adds_one_forbidden_name() {
    assert_table(
        &tables::PRIVATE_NETWORK_ACCESS_FORBIDDEN_REQUEST_HEADER_NAME,
        PNA_FORBIDDEN,
        Matching::ByteCaseInsensitive,
    );
    for name in backticked(PNA_FORBIDDEN) {
        for variant in case_variants(name) {
            assert!(is_forbidden_request_header(&variant, b"true"), "{variant}");
        }
    }
    // Its response counterpart is not a request header at all.
    assert!(!is_forbidden_request_header(
        "Access-Control-Allow-Private-Network",
        b"true"
    ));
}

#[test]
fn get_decode_and_split_follows_the_spec_examples() {
    // Fetch §2.2.2 Headers, "get, decode, and split", the example table (one header line each).
    let cases: &[(&str, &[&str])] = &[
        ("nosniff,", &["nosniff", ""]),
        ("", &[""]),
        ("text/html;\", x/x", &["text/html;\", x/x"]),
        ("x/x;test=\"hi\",y/y", &["x/x;test=\"hi\"", "y/y"]),
        ("x / x,,,1", &["x / x", "", "", "1"]),
        ("\"1,2\", 3", &["\"1,2\"", "3"]),
    ];
    for (value, expected) in cases {
        assert_eq!(
            get_decode_and_split(value.as_bytes()),
            *expected,
            "{value:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Fetch §2.2.2 Headers: names `*` does not cover, response-header names
// ---------------------------------------------------------------------------------------------

#[test]
fn authorization_is_the_only_cors_non_wildcard_request_header_name() {
    // Fetch §2.2.2 Headers, "CORS non-wildcard request-header name".
    const SPEC: &str = "A CORS non-wildcard request-header name is a header name that is a \
                        byte-case-insensitive match for `Authorization`.";
    assert_table(
        &tables::CORS_NON_WILDCARD_REQUEST_HEADER_NAME,
        SPEC,
        Matching::ByteCaseInsensitive,
    );
    for name in backticked(SPEC) {
        for variant in case_variants(name) {
            assert!(
                is_cors_non_wildcard_request_header_name(&variant),
                "{variant}"
            );
        }
        for miss in near_misses(name) {
            assert!(!is_cors_non_wildcard_request_header_name(&miss), "{miss}");
        }
    }
    for name in [
        "Proxy-Authorization",
        "Cookie",
        "X-Api-Key",
        "WWW-Authenticate",
    ] {
        assert!(!is_cors_non_wildcard_request_header_name(name), "{name}");
    }
}

#[test]
fn cors_safelisted_response_header_names_are_seven_plus_the_exposed_list() {
    // Fetch §2.2.2 Headers, "CORS-safelisted response-header name".
    const SPEC: &str = "A CORS-safelisted response-header name, given a list of header names \
        list, is a header name that is a byte-case-insensitive match for one of `Cache-Control` \
        `Content-Language` `Content-Length` `Content-Type` `Expires` `Last-Modified` `Pragma` \
        Any item in list that is not a forbidden response-header name.";
    assert_table(
        &tables::CORS_SAFELISTED_RESPONSE_HEADER_NAME,
        SPEC,
        Matching::ByteCaseInsensitive,
    );
    for name in backticked(SPEC) {
        for variant in case_variants(name) {
            assert!(
                is_cors_safelisted_response_header_name(&variant, &[]),
                "{variant}"
            );
        }
        for miss in near_misses(name) {
            assert!(
                !is_cors_safelisted_response_header_name(&miss, &[]),
                "{miss}"
            );
        }
    }
    let list = vec![
        "X-Total".to_owned(),
        "set-cookie".to_owned(),
        "*".to_owned(),
    ];
    assert!(is_cors_safelisted_response_header_name("x-total", &list));
    assert!(
        !is_cors_safelisted_response_header_name("Set-Cookie", &list),
        "forbidden"
    );
    assert!(
        !is_cors_safelisted_response_header_name("x-other", &list),
        "`*` is an item, not a wildcard, here"
    );
    assert!(is_cors_safelisted_response_header_name("*", &list));
    for name in ["ETag", "Date", "Server", "Vary", "Content-Encoding"] {
        assert!(
            !is_cors_safelisted_response_header_name(name, &[]),
            "{name}"
        );
    }
}

#[test]
fn forbidden_response_header_names_are_set_cookie_and_set_cookie2() {
    // Fetch §2.2.2 Headers, "forbidden response-header name".
    const SPEC: &str = "A forbidden response-header name is a header name that is a \
                        byte-case-insensitive match for one of: `Set-Cookie` `Set-Cookie2`";
    assert_table(
        &tables::FORBIDDEN_RESPONSE_HEADER_NAME,
        SPEC,
        Matching::ByteCaseInsensitive,
    );
    for name in backticked(SPEC) {
        for variant in case_variants(name) {
            assert!(is_forbidden_response_header_name(&variant), "{variant}");
        }
    }
    for name in ["Set-Cookie3", "Cookie", "Set-Cookies", "X-Set-Cookie"] {
        assert!(!is_forbidden_response_header_name(name), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Fetch §2.2.2 Headers: CORS-safelisted request-header
// ---------------------------------------------------------------------------------------------

#[test]
fn cors_unsafe_request_header_bytes_are_the_control_bytes_and_thirteen_more() {
    // Fetch §2.2.2 Headers, "CORS-unsafe request-header byte".
    const SPEC_RULE: &str = "byte is less than 0x20 and is not 0x09 HT";
    const SPEC_LIST: &str = "byte is 0x22 (\"), 0x28 (left parenthesis), 0x29 (right \
        parenthesis), 0x3A (:), 0x3C (<), 0x3E (>), 0x3F (?), 0x40 (@), 0x5B ([), 0x5C (\\), \
        0x5D (]), 0x7B ({), 0x7D (}), or 0x7F DEL.";
    let listed = hex_bytes(SPEC_LIST);
    assert_eq!(listed.len(), 14);
    assert_eq!(hex_bytes(SPEC_RULE), [0x20, 0x09]);
    assert_eq!(
        tables::CORS_UNSAFE_REQUEST_HEADER_BYTES
            .iter()
            .collect::<BTreeSet<_>>(),
        listed.iter().collect::<BTreeSet<_>>()
    );
    for byte in 0..=u8::MAX {
        let expected = (byte < 0x20 && byte != 0x09) || listed.contains(&byte);
        assert_eq!(
            is_cors_unsafe_request_header_byte(byte),
            expected,
            "{byte:#04x}"
        );
        // `accept` is safelisted exactly when its value holds no such byte.
        assert_eq!(
            is_cors_safelisted_request_header("Accept", &[b'a', byte]),
            !expected,
            "accept with {byte:#04x}"
        );
    }
}

#[test]
fn language_values_take_alphanumerics_and_seven_more_bytes() {
    // Fetch §2.2.2 Headers, "CORS-safelisted request-header", `accept-language` /
    // `content-language`.
    const SPEC: &str = "If value contains a byte that is not in the range 0x30 (0) to 0x39 (9), \
        inclusive, is not in the range 0x41 (A) to 0x5A (Z), inclusive, is not in the range 0x61 \
        (a) to 0x7A (z), inclusive, and is not 0x20 (SP), 0x2A (*), 0x2C (,), 0x2D (-), 0x2E \
        (.), 0x3B (;), or 0x3D (=), then return false.";
    let bytes = hex_bytes(SPEC);
    let (ranges, extra) = bytes.split_at(6);
    assert_eq!(extra, tables::LANGUAGE_VALUE_EXTRA_BYTES);
    for byte in 0..=u8::MAX {
        let expected =
            ranges.chunks(2).any(|r| (r[0]..=r[1]).contains(&byte)) || extra.contains(&byte);
        for name in ["accept-language", "Content-Language"] {
            assert_eq!(
                is_cors_safelisted_request_header(name, &[byte]),
                expected,
                "{name}: {byte:#04x}"
            );
        }
    }
}

#[test]
fn content_type_is_parsed_as_a_mime_type_and_its_essence_checked() {
    // Fetch §2.2.2 Headers, "CORS-safelisted request-header", `content-type` step 4.
    const SPEC: &str = "If mimeType's essence is not \"`application/x-www-form-urlencoded`\", \
                        \"`multipart/form-data`\", or \"`text/plain`\", then return false.";
    assert_table(&tables::SAFELISTED_CONTENT_TYPE_ESSENCE, SPEC, Matching::Is);
    for essence in backticked(SPEC) {
        for variant in case_variants(essence) {
            assert!(
                is_cors_safelisted_request_header("content-type", variant.as_bytes()),
                "{variant}"
            );
        }
    }
    // web-platform-tests cors/cors-safelisted-request-header.any.js and mimesniff's parse.
    let cases: &[(&str, bool)] = &[
        ("text/plain;charset=utf-8", true),
        ("Text/Plain;charset=utf-8", true),
        ("text/plain;", true),
        ("text/plain;garbage", true),
        (" text/plain ", true),
        ("text/plain \t;x", true),
        ("text /plain", false),
        ("text/plain,", false),
        ("text/plain,text/plain", false),
        ("text/plain\x0b", false),
        ("multipart/form-data;\"", false),
        ("text/plainx", false),
        ("application/json", false),
        ("application/csp-report", false),
        ("text", false),
        ("/plain", false),
        ("text/", false),
        ("", false),
    ];
    for (value, safelisted) in cases {
        assert_eq!(
            is_cors_safelisted_request_header("Content-Type", value.as_bytes()),
            *safelisted,
            "{value:?}"
        );
    }
}

#[test]
fn range_is_a_single_range_with_a_start() {
    // Fetch §2.2.2 Headers, "CORS-safelisted request-header", `range`: "If rangeValue[0] is
    // null, then return false. As web browsers have historically not emitted ranges such as
    // `bytes=-500` this algorithm does not safelist them."
    let cases: &[(&str, bool)] = &[
        ("bytes=0-", true),
        ("bytes=0-0", true),
        ("bytes=10-20", true),
        ("bytes=007-7", true),
        ("bytes=-500", false),
        ("bytes=20-10", false),
        ("bytes=0-1,2-3", false),
        ("bytes = 0-", false),
        ("bytes=0 -", false),
        ("bytes 0-", false),
        ("Bytes=0-", false),
        ("bytes=-", false),
        ("bytes=", false),
        ("items=0-", false),
        ("bytes=0-x", false),
        // Numbers of any size, compared as numbers.
        (
            "bytes=99999999999999999999999999-99999999999999999999999998",
            false,
        ),
        (
            "bytes=99999999999999999999999998-99999999999999999999999999",
            true,
        ),
        ("bytes=18446744073709551616-18446744073709551615", false),
    ];
    for (value, safelisted) in cases {
        assert_eq!(
            is_cors_safelisted_request_header("Range", value.as_bytes()),
            *safelisted,
            "{value:?}"
        );
    }
    // allowWhitespace true (used by range requests elsewhere) takes HTTP tab or space.
    assert!(tables::parse_single_range_header_value(b"bytes \t= 1 - 2", true).is_some());
    assert!(tables::parse_single_range_header_value(b"bytes \t= 1 - 2", false).is_none());
}

#[test]
fn only_the_five_switch_names_can_be_safelisted() {
    // Fetch §2.2.2 Headers, "CORS-safelisted request-header" step 2: "Byte-lowercase name and
    // switch on the result: `accept` … `accept-language` `content-language` … `content-type` …
    // `range` … Otherwise Return false."
    const SPEC: &str = "`accept` `accept-language` `content-language` `content-type` `range`";
    let good: &[(&str, &[u8])] = &[
        ("accept", b"*/*"),
        ("accept-language", b"en-US,en;q=0.5"),
        ("content-language", b"de"),
        ("content-type", b"text/plain"),
        ("range", b"bytes=0-"),
    ];
    assert_eq!(
        set(good.iter().map(|(n, _)| *n)),
        set(backticked(SPEC)),
        "one safelisted value per switch case"
    );
    for (name, value) in good {
        for variant in case_variants(name) {
            assert!(
                is_cors_safelisted_request_header(&variant, value),
                "{variant}"
            );
        }
    }
    let values: Vec<&[u8]> = good.iter().map(|(_, v)| *v).collect();
    let others = backticked(FORBIDDEN_STEP_1)
        .into_iter()
        .chain([
            "Authorization",
            "X-Requested-With",
            "Accept-Encoding",
            "Content-Encoding",
        ])
        .chain([
            "DPR",
            "Downlink",
            "Save-Data",
            "Viewport-Width",
            "Width",
            "Last-Event-ID",
        ]);
    for name in others {
        for value in &values {
            assert!(
                !is_cors_safelisted_request_header(name, value),
                "{name}: {:?}",
                String::from_utf8_lossy(value)
            );
        }
    }
}

#[test]
fn values_longer_than_128_bytes_and_totals_over_1024_are_unsafe() {
    // Fetch §2.2.2 Headers: "If value's length is greater than 128, then return false." and
    // "If safelistValueSize is greater than 1024, then for each name of
    // potentiallyUnsafeNames, append name to unsafeNames."
    assert_eq!(tables::SAFELISTED_VALUE_MAX_LEN, 128);
    assert_eq!(tables::SAFELIST_VALUE_SIZE_MAX, 1024);
    assert!(is_cors_safelisted_request_header("accept", &[b'a'; 128]));
    assert!(!is_cors_safelisted_request_header("accept", &[b'a'; 129]));

    let header = |name: &str, len: usize| (name.to_owned(), vec![b'a'; len]);
    // Eight safelisted values of 128 bytes: exactly 1024, nothing unsafe.
    let at_limit: Vec<_> = (0..8).map(|_| header("accept", 128)).collect();
    assert!(cors_unsafe_request_header_names(&at_limit).is_empty());
    // One byte more (a ninth value of 1 byte): every safelisted name becomes unsafe.
    let mut over = at_limit.clone();
    over.push(header("Content-Language", 1));
    assert_eq!(
        cors_unsafe_request_header_names(&over),
        ["accept", "content-language"]
    );
}
