//! Checks of the model, against
//! the examples given by the Fetch Standard itself and by web-platform-tests.

use cors_model::*;
use http::{HeaderMap, HeaderName, HeaderValue};

const ORIGIN: &str = "https://rabbit.invalid";

/// Response header lines of a table row.
type Lines<'a> = &'a [(&'a str, &'a str)];
/// Request headers of a table row.
type ReqHeaders<'a> = &'a [(&'a str, &'a [u8])];

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
            HeaderValue::from_str(value).expect("test header value"),
        );
    }
    map
}

fn response(status: u16, pairs: &[(&str, &str)]) -> WireResponse {
    WireResponse {
        status,
        headers: headers(pairs),
    }
}

#[test]
fn cors_check_matches_the_credentials_table_of_the_fetch_standard() {
    // `#cors-protocol-and-credentials`, request from https://rabbit.invalid.
    use CredentialsMode::*;
    let cases: &[(&str, CredentialsMode, Lines<'_>, bool)] = &[
        (
            "omit, *",
            Omit,
            &[("access-control-allow-origin", "*")],
            true,
        ),
        (
            "omit, *, acac true is ignored",
            Omit,
            &[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-credentials", "true"),
            ],
            true,
        ),
        (
            "omit, trailing slash",
            Omit,
            &[("access-control-allow-origin", "https://rabbit.invalid/")],
            false,
        ),
        (
            "omit, exact origin",
            Omit,
            &[("access-control-allow-origin", "https://rabbit.invalid")],
            true,
        ),
        (
            "include, * with true",
            Include,
            &[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-credentials", "true"),
            ],
            false,
        ),
        (
            "include, exact origin with true",
            Include,
            &[
                ("access-control-allow-origin", "https://rabbit.invalid"),
                ("access-control-allow-credentials", "true"),
            ],
            true,
        ),
        (
            "include, exact origin with True",
            Include,
            &[
                ("access-control-allow-origin", "https://rabbit.invalid"),
                ("access-control-allow-credentials", "True"),
            ],
            false,
        ),
        (
            "same-origin mode behaves like omit",
            SameOrigin,
            &[("access-control-allow-origin", "*")],
            true,
        ),
    ];
    for (desc, mode, pairs, shared) in cases {
        let got = cors_check(ORIGIN, *mode, &headers(pairs));
        assert_eq!(got.is_ok(), *shared, "{desc}: {got:?}");
    }
}

#[test]
fn cors_check_requires_one_exact_allow_origin_value() {
    // WPT cors/origin.htm: byte comparison after HTTP whitespace stripping; `getting` combines
    // repeated headers, so two lines fail even when identical.
    let cases: &[(&str, &[&str], bool)] = &[
        ("exact", &["https://rabbit.invalid"], true),
        ("star", &["*"], true),
        (
            "surrounding spaces are stripped",
            &["  https://rabbit.invalid "],
            true,
        ),
        ("star with spaces", &[" *  "], true),
        ("no header", &[], false),
        ("trailing slash", &["https://rabbit.invalid/"], false),
        ("uppercase", &["HTTPS://RABBIT.INVALID"], false),
        ("default port", &["https://rabbit.invalid:443"], false),
        ("other scheme", &["http://rabbit.invalid"], false),
        ("host only", &["rabbit.invalid"], false),
        ("scheme-relative", &["//rabbit.invalid"], false),
        ("query junk", &["https://rabbit.invalid?"], false),
        (
            "two values in one line",
            &["https://rabbit.invalid, https://rabbit.invalid"],
            false,
        ),
        (
            "space separated list",
            &["https://rabbit.invalid https://rabbit.invalid"],
            false,
        ),
        ("origin then star", &["https://rabbit.invalid, *"], false),
        (
            "two identical lines",
            &["https://rabbit.invalid", "https://rabbit.invalid"],
            false,
        ),
        ("two star lines", &["*", "*"], false),
        ("null for a real origin", &["null"], false),
        ("empty value", &[""], false),
    ];
    for (desc, values, ok) in cases {
        let pairs: Vec<(&str, &str)> = values
            .iter()
            .map(|v| ("access-control-allow-origin", *v))
            .collect();
        let got = cors_check(ORIGIN, CredentialsMode::Omit, &headers(&pairs));
        assert_eq!(got.is_ok(), *ok, "{desc}: {got:?}");
    }
}

#[test]
fn cors_check_accepts_null_only_for_an_opaque_origin() {
    let h = headers(&[("access-control-allow-origin", "null")]);
    assert!(
        cors_check("null", CredentialsMode::Omit, &h).is_ok(),
        "null matches null"
    );
    assert!(
        cors_check(ORIGIN, CredentialsMode::Omit, &h).is_err(),
        "null does not match a real origin"
    );
}

#[test]
fn allow_credentials_must_be_exactly_true_once() {
    // WPT cors/credentials-flag.htm.
    let cases: &[(&str, &[&str], bool)] = &[
        ("true", &["true"], true),
        ("true with spaces", &[" true "], true),
        ("absent", &[], false),
        ("True", &["True"], false),
        ("TRUE", &["TRUE"], false),
        ("quoted", &["\"true\""], false),
        ("one", &["1"], false),
        ("two lines", &["true", "true"], false),
        ("list", &["true, true"], false),
    ];
    for (desc, values, ok) in cases {
        let mut pairs = vec![("access-control-allow-origin", ORIGIN)];
        pairs.extend(
            values
                .iter()
                .map(|v| ("access-control-allow-credentials", *v)),
        );
        let got = cors_check(ORIGIN, CredentialsMode::Include, &headers(&pairs));
        assert_eq!(got.is_ok(), *ok, "{desc}: {got:?}");
    }
}

fn put_request(credentials: CredentialsMode) -> FetchRequest {
    FetchRequest::new(ORIGIN, "PUT", &[], credentials)
}

#[test]
fn preflight_needs_an_ok_status() {
    // WPT cors-preflight-status.any.js.
    for status in [200u16, 201, 202, 203, 204, 205, 206, 299] {
        let resp = response(
            status,
            &[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", "PUT"),
            ],
        );
        let got = validate_preflight(&put_request(CredentialsMode::Omit), &resp);
        assert!(got.is_ok(), "status {status} must pass: {got:?}");
    }
    let failing = [
        300u16, 301, 302, 303, 304, 305, 306, 307, 308, 400, 401, 403, 404, 417, 500, 505, 680, 790,
    ];
    for status in failing {
        let resp = response(
            status,
            &[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", "PUT"),
            ],
        );
        let got = validate_preflight(&put_request(CredentialsMode::Omit), &resp);
        assert_eq!(
            got,
            Err(NetworkError::PreflightStatus(status)),
            "status {status} must fail"
        );
    }
}

#[test]
fn preflight_method_rules_follow_cors_preflight_star() {
    // WPT cors-preflight-star.any.js and the method step of `#cors-preflight-fetch-0`.
    use CredentialsMode::*;
    let cases: &[(&str, &str, CredentialsMode, &str, bool)] = &[
        ("listed method", "PUT", Omit, "PUT", true),
        ("star without credentials", "PUT", Omit, "*", true),
        ("star with credentials", "PUT", Include, "*", false),
        (
            "star literal with credentials",
            "PUT",
            Include,
            "*, PUT",
            true,
        ),
        (
            "lowercase put does not allow PUT",
            "PUT",
            Omit,
            "put",
            false,
        ),
        (
            "get allowed does not matter for GET",
            "GET",
            Omit,
            "get",
            true,
        ),
        ("safelisted POST needs nothing", "POST", Include, "", true),
        (
            "patch is compared byte-exactly",
            "patch",
            Omit,
            "PATCH",
            false,
        ),
        ("patch listed", "patch", Omit, "patch", true),
        (
            "list with empty elements and spaces",
            "DELETE",
            Omit,
            " , GET ,, DELETE ,",
            true,
        ),
        ("missing method", "DELETE", Omit, "GET, PUT", false),
    ];
    for (desc, method, mode, acam, ok) in cases {
        let req = FetchRequest::new(ORIGIN, method, &[], *mode);
        let mut pairs = vec![
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", *acam),
        ];
        if mode.is_include() {
            pairs.push(("access-control-allow-credentials", "true"));
        }
        let got = validate_preflight(&req, &response(204, &pairs));
        assert_eq!(got.is_ok(), *ok, "{desc}: {got:?}");
    }
}

#[test]
fn one_bad_token_poisons_the_preflight() {
    // WPT cors-preflight-response-validation.any.js.
    let req = FetchRequest::new(
        ORIGIN,
        "GET",
        &[("x-test", b"1".as_slice())],
        CredentialsMode::Omit,
    );
    let bad_headers = response(
        200,
        &[
            ("access-control-allow-origin", ORIGIN),
            (
                "access-control-allow-headers",
                "x-test, header name with space",
            ),
        ],
    );
    assert_eq!(
        validate_preflight(&req, &bad_headers),
        Err(NetworkError::InvalidAllowHeaders),
        "header name with space"
    );
    let bad_methods = response(
        200,
        &[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-headers", "x-test"),
            ("access-control-allow-methods", "GET, Bad method name"),
        ],
    );
    assert_eq!(
        validate_preflight(&req, &bad_methods),
        Err(NetworkError::InvalidAllowMethods),
        "bad method name"
    );
}

#[test]
fn star_never_covers_authorization_and_needs_no_credentials() {
    use CredentialsMode::*;
    let auth: ReqHeaders<'_> = &[("Authorization", b"Bearer x")];
    let custom: ReqHeaders<'_> = &[("X-Custom", b"1")];
    let cases: &[(&str, ReqHeaders<'_>, CredentialsMode, &str, bool)] = &[
        ("star covers a custom header", custom, Omit, "*", true),
        ("star does not cover authorization", auth, Omit, "*", false),
        ("authorization listed", auth, Omit, "authorization", true),
        (
            "authorization listed beside star",
            auth,
            Omit,
            "*, Authorization",
            true,
        ),
        (
            "star with credentials is literal",
            custom,
            Include,
            "*",
            false,
        ),
        (
            "custom listed with credentials",
            custom,
            Include,
            "x-custom",
            true,
        ),
        (
            "header names are case-insensitive",
            custom,
            Omit,
            "X-CUSTOM",
            true,
        ),
        ("missing header", custom, Omit, "x-other", false),
    ];
    for (desc, req_headers, mode, acah, ok) in cases {
        let req = FetchRequest::new(ORIGIN, "GET", req_headers, *mode);
        let mut pairs = vec![
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-headers", *acah),
        ];
        if mode.is_include() {
            pairs.push(("access-control-allow-credentials", "true"));
        }
        let got = validate_preflight(&req, &response(204, &pairs));
        assert_eq!(got.is_ok(), *ok, "{desc}: {got:?}");
    }
}

#[test]
fn preflight_cors_check_uses_the_actual_request_credentials_mode() {
    let req = put_request(CredentialsMode::Include);
    let without_acac = response(
        204,
        &[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "PUT"),
        ],
    );
    assert_eq!(
        validate_preflight(&req, &without_acac),
        Err(NetworkError::PreflightCorsCheck(
            CorsCheckFailure::CredentialsNotTrue(None)
        )),
        "credentialed preflight without acac"
    );
}

#[test]
fn use_cors_preflight_flag_is_satisfied_without_allow_methods() {
    let mut req = FetchRequest::new(ORIGIN, "POST", &[], CredentialsMode::Omit);
    req.use_cors_preflight = true;
    assert!(needs_preflight(&req), "streamed body preflights");
    let resp = response(204, &[("access-control-allow-origin", ORIGIN)]);
    let got = validate_preflight(&req, &resp).expect("preflight passes");
    assert_eq!(
        got.methods,
        vec!["POST".to_owned()],
        "methods default to the request method"
    );
}

#[test]
fn max_age_defaults_to_five_seconds() {
    let cases: &[(&str, &[&str], u64)] = &[
        ("absent", &[], 5),
        ("valid", &["600"], 600),
        ("not a number", &["abc"], 5),
        ("negative", &["-1"], 5),
        ("duplicated", &["600", "600"], 5),
    ];
    for (desc, values, expected) in cases {
        let mut pairs = vec![
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "PUT"),
        ];
        pairs.extend(values.iter().map(|v| ("access-control-max-age", *v)));
        let got = validate_preflight(&put_request(CredentialsMode::Omit), &response(204, &pairs))
            .expect("preflight passes");
        assert_eq!(got.max_age, *expected, "{desc}");
    }
}

#[test]
fn safelisted_request_headers_follow_the_wpt_vectors() {
    // WPT cors/cors-safelisted-request-header.any.js and the range and size rules.
    let long_accept = "a".repeat(129);
    let cases: Vec<(&str, &str, Vec<u8>, bool)> = vec![
        (
            "content-type text/plain",
            "content-type",
            b"text/plain".to_vec(),
            true,
        ),
        (
            "content-type with params",
            "content-type",
            b"text/plain;charset=utf-8".to_vec(),
            true,
        ),
        (
            "content-type mixed case",
            "Content-Type",
            b"Text/Plain;charset=utf-8".to_vec(),
            true,
        ),
        (
            "content-type empty param",
            "content-type",
            b"text/plain;".to_vec(),
            true,
        ),
        (
            "content-type garbage param",
            "content-type",
            b"text/plain;garbage".to_vec(),
            true,
        ),
        (
            "form",
            "content-type",
            b"application/x-www-form-urlencoded".to_vec(),
            true,
        ),
        (
            "multipart",
            "content-type",
            b"multipart/form-data; boundary=x".to_vec(),
            true,
        ),
        ("json", "content-type", b"application/json".to_vec(), false),
        (
            "space in type",
            "content-type",
            b"text /plain".to_vec(),
            false,
        ),
        (
            "trailing comma",
            "content-type",
            b"text/plain,".to_vec(),
            false,
        ),
        (
            "two types",
            "content-type",
            b"text/plain,text/plain".to_vec(),
            false,
        ),
        (
            "vertical tab",
            "content-type",
            b"text/plain\x0b".to_vec(),
            false,
        ),
        (
            "quote",
            "content-type",
            b"multipart/form-data;\"".to_vec(),
            false,
        ),
        ("accept", "accept", b"*/*".to_vec(), true),
        (
            "accept with unsafe byte",
            "accept",
            b"text/html(".to_vec(),
            false,
        ),
        ("accept too long", "accept", long_accept.into_bytes(), false),
        (
            "accept-language",
            "accept-language",
            b"en-US,en;q=0.9".to_vec(),
            true,
        ),
        (
            "accept-language slash",
            "accept-language",
            b"en/US".to_vec(),
            false,
        ),
        (
            "content-language",
            "content-language",
            b"de-DE".to_vec(),
            true,
        ),
        ("range open", "range", b"bytes=0-".to_vec(), true),
        ("range closed", "range", b"bytes=0-500".to_vec(), true),
        ("range suffix", "range", b"bytes=-500".to_vec(), false),
        ("range multi", "range", b"bytes=0-1,3-4".to_vec(), false),
        ("range spaces", "range", b"bytes = 0-".to_vec(), false),
        ("range wrong unit", "range", b"bytes 0-".to_vec(), false),
        ("range reversed", "range", b"bytes=5-1".to_vec(), false),
        ("custom header", "x-custom", b"1".to_vec(), false),
        (
            "authorization",
            "authorization",
            b"Bearer x".to_vec(),
            false,
        ),
    ];
    for (desc, name, value, safe) in cases {
        assert_eq!(
            is_cors_safelisted_request_header(name, &value),
            safe,
            "{desc}"
        );
    }
}

#[test]
fn unsafe_header_names_are_a_sorted_lowercase_set() {
    let req = FetchRequest::new(
        ORIGIN,
        "GET",
        &[
            ("X-B", b"1".as_slice()),
            ("x-a", b"1"),
            ("X-A", b"2"),
            ("content-type", b"application/json"),
            ("accept", b"*/*"),
            ("Cookie", b"forbidden"),
            ("Sec-Fetch-Mode", b"forbidden"),
            ("X-HTTP-Method-Override", b"TRACE"),
        ],
        CredentialsMode::Omit,
    );
    assert_eq!(
        cors_unsafe_request_header_names(&req.headers),
        vec!["content-type", "x-a", "x-b"],
        "forbidden headers dropped, safelisted kept out, sorted, deduplicated"
    );
    let wire = preflight_request(&req);
    assert_eq!(
        wire.header("access-control-request-headers"),
        Some(b"content-type,x-a,x-b".as_slice()),
        "joined with a comma and no space"
    );
    assert_eq!(
        wire.header("access-control-request-method"),
        Some(b"GET".as_slice()),
        "acrm always present"
    );
    assert!(
        !wire.with_credentials,
        "preflight never carries credentials"
    );
}

#[test]
fn safelisted_values_over_1024_bytes_become_unsafe() {
    let value = vec![b'a'; 100];
    let mut owned: Vec<(String, Vec<u8>)> = Vec::new();
    for _ in 0..11 {
        owned.push(("accept".to_owned(), value.clone()));
    }
    assert_eq!(
        cors_unsafe_request_header_names(&owned),
        vec!["accept"],
        "1100 bytes of safelisted values"
    );
    owned.truncate(10);
    assert!(
        cors_unsafe_request_header_names(&owned).is_empty(),
        "1000 bytes of safelisted values"
    );
}

#[test]
fn methods_are_normalized_and_forbidden_methods_throw() {
    assert_eq!(
        normalize_method("delete"),
        "DELETE",
        "delete is upper-cased"
    );
    assert_eq!(normalize_method("patch"), "patch", "patch is not");
    let req = FetchRequest::new(ORIGIN, "trace", &[], CredentialsMode::Omit);
    let got = fetch(&req, |_| {
        unreachable!("no request is sent for a forbidden method")
    });
    assert_eq!(
        got,
        Err(NetworkError::ForbiddenMethod("trace".to_owned())),
        "trace"
    );
}

#[test]
fn expose_headers_rules_follow_cors_expose_star() {
    // WPT fetch/api/cors/cors-expose-star.js.
    use CredentialsMode::*;
    let base = [
        ("access-control-allow-origin", ORIGIN),
        ("access-control-allow-credentials", "true"),
        ("content-type", "text/plain"),
        ("x-test", "1"),
        ("set-cookie", "a=b"),
        ("*", "star"),
    ];
    // `*` exposes "all unique header names in response's header list" but `Set-Cookie`.
    const ALL: &[&str] = &[
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-expose-headers",
        "content-type",
        "x-test",
        "*",
    ];
    let cases: &[(&str, CredentialsMode, &str, &[&str])] = &[
        ("none exposed", Omit, "", &["content-type"]),
        ("listed", Omit, "X-Test", &["content-type", "x-test"]),
        ("star without credentials", Omit, "*", ALL),
        (
            "star with credentials is literal",
            Include,
            "*",
            &["content-type", "*"],
        ),
        ("star among values", Omit, "x-none, *", ALL),
        ("set-cookie never", Omit, "set-cookie", &["content-type"]),
        (
            "bad token exposes nothing",
            Omit,
            "x-test, bad token",
            &["content-type"],
        ),
    ];
    for (desc, mode, aceh, expected) in cases {
        let mut pairs: Vec<(&str, &str)> = base.to_vec();
        if !aceh.is_empty() {
            pairs.push(("access-control-expose-headers", aceh));
        }
        let req = FetchRequest::new(ORIGIN, "GET", &[], *mode);
        let mut got = readable_header_names(&req, &response(200, &pairs));
        got.sort();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{desc}");
    }
}

#[test]
fn fetch_runs_preflight_then_actual_and_checks_every_status() {
    let req = FetchRequest::new(
        ORIGIN,
        "PUT",
        &[("x-custom", b"1".as_slice())],
        CredentialsMode::Include,
    );
    let mut seen = Vec::new();
    let got = fetch(&req, |wire| {
        seen.push(wire.clone());
        if wire.is_preflight() {
            response(
                204,
                &[
                    ("access-control-allow-origin", ORIGIN),
                    ("access-control-allow-credentials", "true"),
                    ("access-control-allow-methods", "PUT"),
                    ("access-control-allow-headers", "x-custom"),
                ],
            )
        } else {
            response(
                500,
                &[
                    ("access-control-allow-origin", ORIGIN),
                    ("access-control-allow-credentials", "true"),
                ],
            )
        }
    });
    let outcome = got.expect("readable 500");
    assert_eq!(
        outcome.status, 500,
        "error statuses are readable when allowed"
    );
    assert_eq!(seen.len(), 2, "one preflight and one actual request");
    assert!(
        seen[0].is_preflight() && !seen[0].with_credentials,
        "preflight first"
    );
    assert!(
        seen[1].with_credentials,
        "actual request carries credentials"
    );

    let refused = fetch(&req, |wire| {
        if wire.is_preflight() {
            response(403, &[])
        } else {
            unreachable!("the actual request is never sent after a failed preflight")
        }
    });
    assert_eq!(
        refused,
        Err(NetworkError::PreflightCorsCheck(
            CorsCheckFailure::MissingAllowOrigin
        )),
        "bare 403 preflight"
    );
}
