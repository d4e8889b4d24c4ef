//! Hostile input, one named test per attack class: every attack is refused, the response
//! carries no `Access-Control-*` header, every response invariant holds, and the work done is
//! bounded (no allocation while deciding, a small fixed amount while answering, however large
//! the input).
//!
//! Each attack is sent three ways: as an actual request, as a preflight, and as an actual
//! request to a strict policy (which must answer 403 without calling the application).

use crate::support::harness;
use crate::support::invariants;
use cors_model as browser_model;

use std::alloc::System;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method, Request};
use invariants::PolicyShape;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tower_cors::{CorsPolicy, Decision, IssueKind, Refusal};

/// The binary's global allocator (`main.rs`), whose counts a [`Region`] reads.
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocation counts are process-wide: the tests of this binary run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

pub(crate) fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Most bytes one refused request may allocate end to end (response head, refusal body,
/// bookkeeping), whatever the size of the request.
const MAX_CALL_BYTES: usize = 16 * 1024;

const APP: &str = "https://app.example.com";
const ADMIN: &str = "https://admin.example.com";

/// A credentialed policy: two exact origins and a subdomain pattern.
fn policy(strict: bool) -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origins([APP, ADMIN])
        .allow_origin_pattern("https://*.example.org")
        .allow_methods([Method::PUT, Method::DELETE])
        .allow_headers(["content-type", "x-custom", "authorization"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .strict(strict)
        .build()
        .expect("valid policy")
}

const SHAPE: PolicyShape = PolicyShape {
    any_origin: false,
    allow_null: false,
    credentials: true,
    strict: false,
    explain: false,
};

fn request(method: &str, headers: &[(&str, &[u8])]) -> Request<()> {
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri("https://api.example.net/resource");
    for (name, value) in headers {
        builder = builder.header(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_bytes(value).expect("header value"),
        );
    }
    builder.body(()).expect("request")
}

fn actual(origin: &[u8]) -> Request<()> {
    request("GET", &[("origin", origin)])
}

fn preflight(origin: &[u8]) -> Request<()> {
    request(
        "OPTIONS",
        &[
            ("origin", origin),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-headers", b"content-type"),
        ],
    )
}

fn copy(req: &Request<()>) -> Request<()> {
    let mut out = Request::new(());
    *out.method_mut() = req.method().clone();
    *out.uri_mut() = req.uri().clone();
    *out.headers_mut() = req.headers().clone();
    out
}

/// Sends `req` to `policy` and checks that it is refused, leaks nothing and costs little.
/// Returns the refusal.
fn assert_refused(
    desc: &str,
    policy: &CorsPolicy,
    shape: PolicyShape,
    req: Request<()>,
) -> Refusal {
    // Deciding: pure and allocation-free (its cost on hostile input is counted in
    // instructions by `scripts/bench-instructions.sh`, not timed here). The first call warms up any lazily built state.
    // The counter is process-wide and the test harness's own thread allocates now and then
    // (it prints results while the next test runs), so the least of up to twenty runs
    // counts: a decision that allocates does so every time.
    let _ = policy.evaluate_request(&req);
    let mut allocated = usize::MAX;
    let mut decision = Decision::NotCors;
    for _ in 0..20 {
        let region = Region::new(GLOBAL);
        decision = policy.evaluate_request(&req);
        allocated = allocated.min(region.change().bytes_allocated);
        if allocated == 0 {
            break;
        }
    }
    assert!(!decision.is_allowed(), "{desc}: allowed: {decision:?}");
    let refusal = decision
        .refusal()
        .unwrap_or_else(|| panic!("{desc}: no refusal in {decision:?}"));
    assert_eq!(allocated, 0, "{desc}: deciding allocated {allocated} bytes");

    // Answering: no Access-Control-* header, invariants, bounded allocation.
    let method = req.method().clone();
    let headers = req.headers().clone();
    let inner_headers = harness::meddling_inner_headers();
    let region = Region::new(GLOBAL);
    let out = harness::call(policy, inner_headers.clone(), req);
    let allocated = region.change().bytes_allocated;
    if let Some(name) = out
        .headers
        .keys()
        .find(|n| n.as_str().starts_with("access-control-"))
    {
        panic!("{desc}: refused response carries {name}: {out:?}");
    }
    if let Err(e) = invariants::check_outcome(&shape, &method, &headers, &inner_headers, &out) {
        panic!("{desc}: {e}: {out:?}");
    }
    assert!(
        allocated <= MAX_CALL_BYTES,
        "{desc}: answering allocated {allocated} bytes"
    );
    // A refusal names no request byte: it is safe to log and to show.
    let body = String::from_utf8_lossy(&out.body);
    if !out.inner_called {
        assert!(
            body.ends_with('\n') && !body[..body.len() - 1].contains(['\r', '\n']),
            "{desc}: body {body:?}"
        );
    }
    refusal
}

/// The three ways of sending one hostile `Origin` value.
fn assert_origin_refused(desc: &str, origin: &[u8]) {
    let lenient = policy(false);
    let strict = policy(true);
    assert_refused(&format!("{desc} (actual)"), &lenient, SHAPE, actual(origin));
    let refusal = assert_refused(
        &format!("{desc} (preflight)"),
        &lenient,
        SHAPE,
        preflight(origin),
    );
    assert!(
        matches!(
            refusal,
            Refusal::OriginNotAllowed
                | Refusal::OriginMalformed
                | Refusal::NullOriginNotAllowed
                | Refusal::OriginDuplicated
        ),
        "{desc}: refused for {refusal:?}, not for its origin"
    );
    let strict_shape = PolicyShape {
        strict: true,
        ..SHAPE
    };
    let req = actual(origin);
    let out = harness::call(&strict, harness::plain_inner_headers(), copy(&req));
    assert_eq!(out.status, 403, "{desc} (strict): status");
    assert!(
        !out.inner_called,
        "{desc} (strict): reached the application"
    );
    assert_refused(&format!("{desc} (strict)"), &strict, strict_shape, req);
}

fn assert_all_origins_refused(class: &str, origins: &[&[u8]]) {
    for origin in origins {
        let desc = format!("{class}: {:?}", String::from_utf8_lossy(origin));
        assert_origin_refused(&desc, origin);
    }
}

/// The allocation counter sees allocations, so "allocated 0 bytes" above means something.
#[test]
fn allocation_counter_counts() {
    let _g = serial();
    let region = Region::new(GLOBAL);
    let v = std::hint::black_box(vec![0u8; 4096]);
    let bytes = region.change().bytes_allocated;
    drop(v);
    assert!(
        bytes >= 4096,
        "counted {bytes} bytes for a 4096-byte vector"
    );
}

/// The allowed requests the attacks are near misses of really are allowed (so the refusals
/// above are not an artefact of a policy that refuses everything).
#[test]
fn controls_are_allowed() {
    let _g = serial();
    let p = policy(false);
    for origin in [
        APP,
        ADMIN,
        "https://a.example.org",
        "https://a.b.example.org",
    ] {
        for req in [actual(origin.as_bytes()), preflight(origin.as_bytes())] {
            let decision = p.evaluate_request(&req);
            assert!(decision.is_allowed(), "{origin}: {decision:?}");
            let out = harness::call(&p, harness::plain_inner_headers(), req);
            assert_eq!(
                out.headers
                    .get("access-control-allow-origin")
                    .map(|v| v.as_bytes()),
                Some(origin.as_bytes()),
                "{origin}: acao"
            );
        }
    }
}

#[test]
fn scheme_downgrade() {
    let _g = serial();
    assert_all_origins_refused(
        "scheme downgrade",
        &[
            b"http://app.example.com",
            b"http://admin.example.com",
            b"http://a.example.org",
            b"ws://app.example.com",
            b"wss://app.example.com",
            b"ftp://app.example.com",
            b"file://app.example.com",
            b"HTTPS://app.example.com",
            b"Https://app.example.com",
            b"https:app.example.com",
            b"https:/app.example.com",
            b"https:///app.example.com",
            b"//app.example.com",
            b"app.example.com",
            b"https+http://app.example.com",
        ],
    );
}

#[test]
fn prefix_and_suffix_tricks() {
    let _g = serial();
    assert_all_origins_refused(
        "prefix or suffix",
        &[
            b"https://app.example.com.evil.com",
            b"https://app.example.comevil.com",
            b"https://app.example.co",
            b"https://pp.example.com",
            b"https://xapp.example.com",
            b"https://evil-app.example.com",
            b"https://evil.app.example.com",
            b"https://app.example.com:8443",
            b"https://app.example.com:443",
            b"https://evilexample.org",
            b"https://example.org",
            b"https://example.org.evil.com",
            b"https://a.example.org.evil.com",
            b"https://aexample.org",
            b"https://a.example.org:8443",
            b"https://a.example.orgx",
            b"https://a.example.or",
        ],
    );
}

#[test]
fn unescaped_dot() {
    let _g = serial();
    // Dots in configured origins and patterns are literal.
    assert_all_origins_refused(
        "unescaped dot",
        &[
            b"https://appxexample.com",
            b"https://app-example.com",
            b"https://appXexample.com",
            b"https://app.examplexcom",
            b"https://a.examplexorg",
            b"https://a-example.org",
        ],
    );
    #[cfg(feature = "regex")]
    {
        // A bare `.` in a regex is refused at build time...
        let err = CorsPolicy::builder()
            .allow_origin_regex("https://app.example.net")
            .build()
            .expect_err("bare dot");
        assert!(
            err.issues()
                .iter()
                .any(|i| i.kind() == IssueKind::InvalidRegex),
            "bare dot: {err}"
        );
        // ...and an escaped one only matches a dot.
        let p = CorsPolicy::builder()
            .allow_origin_regex(r"https://[a-z]+\.example\.net")
            .build()
            .expect("escaped regex");
        let shape = PolicyShape {
            credentials: false,
            ..SHAPE
        };
        for origin in [
            b"https://appxexample.net".as_slice(),
            b"https://app.examplexnet",
            b"https://app.example.net.evil.com",
            b"https://evil.com/https://app.example.net",
        ] {
            let desc = format!("regex: {:?}", String::from_utf8_lossy(origin));
            assert_refused(&desc, &p, shape, actual(origin));
            assert_refused(&desc, &p, shape, preflight(origin));
        }
        assert!(
            p.evaluate_request(&actual(b"https://app.example.net"))
                .is_allowed(),
            "regex control"
        );
    }
}

#[test]
fn userinfo_and_odd_host_characters() {
    let _g = serial();
    let long_label = format!("https://{}.example.org", "a".repeat(64));
    let long_host = format!("https://{}example.org", "abcdefghi.".repeat(26));
    let cyrillic = "https://\u{430}pp.example.com".to_owned();
    let fullwidth_dot = "https://a\u{3002}example.org".to_owned();
    let mut origins: Vec<&[u8]> = vec![
        b"https://user@app.example.com",
        b"https://user:pass@app.example.com",
        b"https://app.example.com@evil.com",
        b"https://app.example.com:443@evil.com",
        b"https://evil.com#@app.example.com",
        b"https://evil.com?.app.example.com",
        b"https://evil.com/.app.example.com",
        b"https://app.example.com/",
        b"https://app.example.com/path",
        b"https://app.example.com?",
        b"https://app.example.com#",
        b"https://app.example.com%2eevil.com",
        b"https://app%2eexample.com",
        b"https://app.example.com\\.evil.com",
        b"https://app.example.com].evil.com",
        b"https://[app.example.com]",
        b"https://APP.example.com",
        b"https://app.example.com.",
        b"https://app..example.com",
        b"https://.app.example.com",
        b"https://app.example.com:",
        b"https://app.example.com:0",
        b"https://app.example.com:0443",
        b"https://app.example.com:99999",
        b"https://app.example.com:+443",
        b"https://app.example.com:44 3",
        b"https://app.example.com;evil.com",
        b"https://app example.com",
        b"https://app.example.com ",
        b" https://app.example.com",
        b"https://a.example.org:80:80",
        b"https://a.exa*ple.org",
        b"https://*.example.org",
        b"https://a.example.org\xc2\xa0",
        b"https://[::1",
        b"https://[::g]",
        b"https://0x7f.0.0.1",
        b"https://127.000.000.001",
    ];
    origins.push(long_label.as_bytes());
    origins.push(long_host.as_bytes());
    origins.push(cyrillic.as_bytes());
    origins.push(fullwidth_dot.as_bytes());
    assert_all_origins_refused("userinfo or odd host", &origins);
}

#[test]
fn null_in_all_spellings() {
    let _g = serial();
    let spellings: &[&[u8]] = &[
        b"null",
        b"NULL",
        b"Null",
        b"nUlL",
        b" null",
        b"null ",
        b"\"null\"",
        b"'null'",
        b"null\t",
        b"nul",
        b"nulll",
        b"null,null",
        b"null, https://app.example.com",
        b"https://app.example.com, null",
        b"null null",
        b"undefined",
        b"none",
        b"0",
        b"",
        b"*",
        b"file://",
        b"data:",
        b"about:blank",
        b"null://app.example.com",
        b"https://null",
    ];
    assert_all_origins_refused("null spelling", spellings);

    // Opting in to `null` (never possible with credentials) allows exactly `null`.
    let err = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_null_origin()
        .allow_credentials(true)
        .build()
        .expect_err("null with credentials");
    assert!(
        err.issues()
            .iter()
            .any(|i| i.kind() == IssueKind::NullOriginWithCredentials),
        "null with credentials: {err}"
    );
    let opted_in = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_null_origin()
        .build()
        .expect("null without credentials");
    let shape = PolicyShape {
        allow_null: true,
        credentials: false,
        ..SHAPE
    };
    assert!(
        opted_in.evaluate_request(&actual(b"null")).is_allowed(),
        "exact null with opt-in"
    );
    for spelling in &spellings[1..] {
        let desc = format!("null opt-in: {:?}", String::from_utf8_lossy(spelling));
        assert_refused(&desc, &opted_in, shape, actual(spelling));
        assert_refused(&desc, &opted_in, shape, preflight(spelling));
    }
}

#[test]
fn multi_valued_and_duplicated_origin() {
    let _g = serial();
    // One header line holding several origins.
    assert_all_origins_refused(
        "multi-valued origin",
        &[
            b"https://app.example.com, https://evil.com",
            b"https://evil.com, https://app.example.com",
            b"https://app.example.com,https://app.example.com",
            b"https://app.example.com https://admin.example.com",
            b"https://app.example.com,",
            b",https://app.example.com",
        ],
    );
    // Several header lines.
    let pairs: &[(&str, &[u8], &[u8])] = &[
        ("allowed then evil", APP.as_bytes(), b"https://evil.com"),
        ("evil then allowed", b"https://evil.com", APP.as_bytes()),
        ("same allowed twice", APP.as_bytes(), APP.as_bytes()),
        ("two allowed", APP.as_bytes(), ADMIN.as_bytes()),
        ("allowed then null", APP.as_bytes(), b"null"),
    ];
    for (desc, first, second) in pairs {
        for strict in [false, true] {
            let p = policy(strict);
            let shape = PolicyShape { strict, ..SHAPE };
            let req = request("GET", &[("origin", first), ("origin", second)]);
            let refusal = assert_refused(&format!("duplicated ({desc})"), &p, shape, req);
            assert_eq!(refusal, Refusal::OriginDuplicated, "duplicated ({desc})");
            let req = request(
                "OPTIONS",
                &[
                    ("origin", first),
                    ("origin", second),
                    ("access-control-request-method", b"PUT"),
                ],
            );
            assert_refused(&format!("duplicated preflight ({desc})"), &p, shape, req);
        }
    }
    // Two Access-Control-Request-Method lines.
    let req = request(
        "OPTIONS",
        &[
            ("origin", APP.as_bytes()),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-method", b"DELETE"),
        ],
    );
    let refusal = assert_refused("duplicated acrm", &policy(false), SHAPE, req);
    assert_eq!(refusal, Refusal::MethodMalformed, "duplicated acrm");
}

#[test]
fn control_bytes() {
    let _g = serial();
    // `http` (like any HTTP/1 parser) refuses NUL, CR, LF, DEL and other controls in a field
    // value before the layer sees it; tab and obs-text bytes do get through.
    for byte in (0u8..0x20).filter(|b| *b != b'\t').chain([0x7f]) {
        let mut value = APP.as_bytes().to_vec();
        value.push(byte);
        assert!(
            HeaderValue::from_bytes(&value).is_err(),
            "byte {byte:#04x} accepted by http"
        );
    }
    assert_all_origins_refused(
        "control or high byte",
        &[
            b"https://app.example.com\t",
            b"https://app.\texample.com",
            b"\thttps://app.example.com",
            b"https://app.example.com\x80",
            b"https://app.example.com\xff",
            b"https://app.example.com\xc0\x80",
            b"https://app.example.com\xe2\x80\x8b",
            b"https://app\xc2\xadexample.com",
            b"https://a.example.org\xef\xbb\xbf",
        ],
    );
    // Control-like bytes in the other preflight headers.
    for (desc, acrm, acrh) in [
        (
            "tab in acrm",
            b"PU\tT".as_slice(),
            b"content-type".as_slice(),
        ),
        ("high byte in acrm", b"PUT\xff", b"content-type"),
        ("tab in acrh name", b"PUT", b"content\t-type"),
        ("high byte in acrh", b"PUT", b"content-type\x80"),
    ] {
        let req = request(
            "OPTIONS",
            &[
                ("origin", APP.as_bytes()),
                ("access-control-request-method", acrm),
                ("access-control-request-headers", acrh),
            ],
        );
        assert_refused(desc, &policy(false), SHAPE, req);
    }
}

#[test]
fn oversized_values() {
    let _g = serial();
    let just_over = format!("{APP}{}", "a".repeat(1025 - APP.len()));
    assert_eq!(just_over.len(), 1025, "one byte over the cap");
    let long_sub = format!("https://{}.example.org", "a.".repeat(600));
    let kib64 = format!("{APP}{}", "a".repeat(64 * 1024));
    let mib = format!("https://{}", "a".repeat(1024 * 1024));
    for (desc, origin) in [
        ("origin 1025 bytes", just_over.as_bytes()),
        ("subdomain over 1024 bytes", long_sub.as_bytes()),
        ("origin 64 KiB", kib64.as_bytes()),
        ("origin 1 MiB", mib.as_bytes()),
    ] {
        assert_origin_refused(desc, origin);
        let refusal = policy(false)
            .evaluate_request(&actual(origin))
            .refusal()
            .expect("refused");
        assert_eq!(refusal, Refusal::OriginMalformed, "{desc}");
    }
    // An oversized method and an oversized header list from an allowed origin.
    let method = "X".repeat(64 * 1024);
    let req = request(
        "OPTIONS",
        &[
            ("origin", APP.as_bytes()),
            ("access-control-request-method", method.as_bytes()),
        ],
    );
    assert_refused("acrm 64 KiB", &policy(false), SHAPE, req);
    let names = format!("content-type,{}", "x".repeat(4096));
    let req = request(
        "OPTIONS",
        &[
            ("origin", APP.as_bytes()),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-headers", names.as_bytes()),
        ],
    );
    let refusal = assert_refused("acrh over 4 KiB", &policy(false), SHAPE, req);
    assert_eq!(refusal, Refusal::HeadersTooLong, "acrh over 4 KiB");
}

fn acrh_request(lines: &[&[u8]]) -> Request<()> {
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("origin", APP.as_bytes()),
        ("access-control-request-method", b"PUT"),
    ];
    for line in lines {
        headers.push(("access-control-request-headers", line));
    }
    request("OPTIONS", &headers)
}

#[test]
fn header_list_bombs() {
    let _g = serial();
    let commas = vec![b','; 1024 * 1024];
    let spaces = vec![b' '; 1024 * 1024];
    let token = vec![b'x'; 1024 * 1024];
    let pairs = b"a,".repeat(2049);
    let allowed_repeated = b"content-type,".repeat(400);
    let line = vec![b'a'; 64];
    let many_lines: Vec<&[u8]> = (0..5_000).map(|_| b"a".as_slice()).collect();
    let medium_lines: Vec<&[u8]> = (0..100).map(|_| line.as_slice()).collect();
    let empty_lines: Vec<&[u8]> = (0..5_000).map(|_| b"".as_slice()).collect();
    let cases: Vec<(&str, Vec<&[u8]>)> = vec![
        ("1 MiB of commas", vec![commas.as_slice()]),
        ("1 MiB of spaces", vec![spaces.as_slice()]),
        ("one 1 MiB token", vec![token.as_slice()]),
        ("2049 one-letter names", vec![pairs.as_slice()]),
        ("allowed name 400 times", vec![allowed_repeated.as_slice()]),
        ("5000 lines", many_lines),
        ("100 lines of 64 bytes", medium_lines),
        ("5000 empty lines", empty_lines),
    ];
    for (desc, lines) in cases {
        let refusal = assert_refused(desc, &policy(false), SHAPE, acrh_request(&lines));
        assert_eq!(refusal, Refusal::HeadersTooLong, "{desc}");
    }
    // Within the cap, a list of commas is harmless and still costs nothing to decide.
    let under_cap = vec![b','; 4000];
    let req = acrh_request(&[under_cap.as_slice()]);
    let region = Region::new(GLOBAL);
    let decision = policy(false).evaluate_request(&req);
    let policy_bytes = region.change().bytes_allocated;
    assert!(decision.is_allowed(), "commas under the cap: {decision:?}");
    assert!(
        policy_bytes < MAX_CALL_BYTES,
        "commas under the cap: {policy_bytes} bytes (policy build included)"
    );
}

#[test]
fn cve_2018_20744_rs_cors_reflect_any_origin_with_credentials() {
    let _g = serial();
    // rs/cors turned a wildcard policy into reflecting any Origin with credentials.
    let err = CorsPolicy::builder()
        .allow_any_origin()
        .allow_credentials(true)
        .build()
        .expect_err("any origin with credentials");
    assert!(
        err.issues()
            .iter()
            .any(|i| i.kind() == IssueKind::AnyOriginWithCredentials),
        "any with credentials: {err}"
    );
    let err = CorsPolicy::builder()
        .allow_origin("*")
        .allow_credentials(true)
        .build()
        .expect_err("literal * origin");
    assert!(!err.issues().is_empty(), "literal *: {err}");
    // A credentialed policy reflects nothing it was not given.
    assert_all_origins_refused(
        "reflect any",
        &[
            b"https://evil.com",
            b"https://attacker.invalid",
            b"http://localhost",
        ],
    );
    #[cfg(feature = "regex")]
    for expr in [
        ".*",
        "https?://.+",
        "https://.*",
        r"[a-z]+://[a-z.]+(:\d+)?",
    ] {
        let err = CorsPolicy::builder()
            .allow_origin_regex(expr)
            .allow_credentials(true)
            .build()
            .expect_err(expr);
        assert!(
            err.issues()
                .iter()
                .any(|i| i.kind() == IssueKind::InvalidRegex),
            "{expr}: {err}"
        );
    }
}

#[test]
fn cve_2026_54290_hono_credentials_with_default_origin() {
    let _g = serial();
    // hono: `credentials: true` with the default origin "*" reflected every origin. Here a
    // policy with no origin does not build, so there is no default to fall back on.
    let err = CorsPolicy::builder()
        .allow_credentials(true)
        .build()
        .expect_err("credentials without origins");
    assert!(
        err.issues().iter().any(|i| i.kind() == IssueKind::NoOrigin),
        "credentials without origins: {err}"
    );
    let err = CorsPolicy::builder().build().expect_err("empty policy");
    assert!(
        err.issues().iter().any(|i| i.kind() == IssueKind::NoOrigin),
        "empty policy: {err}"
    );
    assert_all_origins_refused("hono default", &[b"https://evil.com", b"https://hono.dev"]);
}

#[test]
fn cve_2026_37737_sanic_cors_prefix_regex() {
    let _g = serial();
    // sanic-cors matched regex origins with `re.match`, a prefix match.
    assert_all_origins_refused(
        "prefix match",
        &[
            b"https://app.example.com.attacker.io",
            b"https://app.example.com.attacker.io:443",
            b"https://a.example.org.attacker.io",
        ],
    );
    #[cfg(feature = "regex")]
    {
        let p = CorsPolicy::builder()
            .allow_origin_regex(r"https://trusted\.example")
            .allow_credentials(true)
            .build()
            .expect("anchored regex");
        for origin in [
            b"https://trusted.example.attacker.io".as_slice(),
            b"https://trusted.example:8443",
            b"https://trusted.examples",
            b"xhttps://trusted.example",
        ] {
            let desc = format!("regex prefix: {:?}", String::from_utf8_lossy(origin));
            assert_refused(&desc, &p, SHAPE, actual(origin));
            assert_refused(&desc, &p, SHAPE, preflight(origin));
        }
        assert!(
            p.evaluate_request(&actual(b"https://trusted.example"))
                .is_allowed(),
            "regex control"
        );
    }
}

#[test]
fn ghsa_vhxv_fg4m_p2w8_jub0bs_shared_suffix() {
    let _g = serial();
    // jub0bs/cors: allowing foo.com and bar.com also allowed barfoo.com.
    let exact = CorsPolicy::builder()
        .allow_origins(["https://foo.com", "https://bar.com"])
        .allow_credentials(true)
        .build()
        .expect("exact");
    let patterns = CorsPolicy::builder()
        .allow_origin_pattern("https://*.foo.com")
        .allow_origin_pattern("https://*.bar.com")
        .allow_credentials(true)
        .build()
        .expect("patterns");
    for (which, p) in [("exact", &exact), ("patterns", &patterns)] {
        for origin in [
            b"https://barfoo.com".as_slice(),
            b"https://foobar.com",
            b"https://x.barfoo.com",
            b"https://x.foobar.com",
            b"https://bar.foo.co",
            b"https://oo.com",
        ] {
            let desc = format!("{which}: {:?}", String::from_utf8_lossy(origin));
            assert_refused(&desc, p, SHAPE, actual(origin));
            assert_refused(&desc, p, SHAPE, preflight(origin));
        }
    }
    assert!(
        exact
            .evaluate_request(&actual(b"https://bar.com"))
            .is_allowed(),
        "exact control"
    );
    assert!(
        patterns
            .evaluate_request(&actual(b"https://x.bar.com"))
            .is_allowed(),
        "pattern control"
    );
}

#[test]
fn ghsa_6cqp_g7gg_8hr5_netty_null_origin_short_circuit() {
    let _g = serial();
    // Netty: `Origin: null` found a configuration even when null was not allowed, so the
    // short circuit let the request through to the application.
    let strict = policy(true);
    let out = harness::call(&strict, harness::plain_inner_headers(), actual(b"null"));
    assert_eq!(out.status, 403, "strict null: status");
    assert!(!out.inner_called, "strict null reached the application");
    let decision = strict.evaluate_request(&actual(b"null"));
    assert!(
        matches!(decision, Decision::ActualRefused(_)),
        "strict null decision {decision:?}"
    );
    assert_eq!(
        decision.refusal(),
        Some(Refusal::NullOriginNotAllowed),
        "strict null decision"
    );
    assert_origin_refused("netty null", b"null");
    // Differential control: the same request with null allowed is forwarded.
    let opted_in = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_null_origin()
        .strict(true)
        .build()
        .expect("null opt-in");
    let out = harness::call(&opted_in, harness::plain_inner_headers(), actual(b"null"));
    assert!(out.inner_called, "null opt-in is forwarded");
}

#[test]
fn cve_2025_47908_rs_cors_header_list_of_commas() {
    let _g = serial();
    // rs/cors: one preflight whose ACRH was a long run of commas cost 121 MB.
    let commas = vec![b','; 16 * 1024 * 1024];
    let req = acrh_request(&[commas.as_slice()]);
    let refusal = assert_refused("16 MiB of commas", &policy(false), SHAPE, req);
    assert_eq!(refusal, Refusal::HeadersTooLong, "16 MiB of commas");
    // rs/cors 1.11.0 then broke lists split over several lines; those still work.
    let req = acrh_request(&[b"content-type", b"x-custom", b"authorization"]);
    assert!(
        policy(false).evaluate_request(&req).is_allowed(),
        "list over several lines"
    );
}

#[test]
fn cve_2024_1681_flask_cors_log_injection() {
    let _g = serial();
    // flask-cors logged request data with CR/LF unescaped. Refusals here never echo request
    // bytes: not in the body, not in any header, not in the refusal's text.
    let injected: &[&[u8]] = &[
        b"https://evil.com%0d%0aSet-Cookie:%20a=b",
        b"https://evil.com\\r\\nX-Injected: 1",
        b"https://evil.com\xe2\x80\xa8X-Injected: 1",
        b"https://evil.com\xc5\x8d\xc4\x8aX-Injected",
    ];
    for origin in injected {
        let desc = format!("log injection: {:?}", String::from_utf8_lossy(origin));
        assert_origin_refused(&desc, origin);
        for (req, strict) in [(preflight(origin), false), (actual(origin), true)] {
            let p = policy(strict);
            let decision = p.evaluate_request(&req);
            for text in [decision.to_string(), format!("{decision:?}")] {
                assert!(
                    !text.contains("evil") && !text.contains(['\r', '\n']),
                    "{desc}: decision text {text:?}"
                );
            }
            let out = harness::call(&p, harness::plain_inner_headers(), req);
            assert!(!out.inner_called, "{desc}: answered by the layer");
            let body = String::from_utf8_lossy(&out.body);
            assert!(!body.contains("evil"), "{desc}: body {body:?}");
            for (name, value) in &out.headers {
                assert!(
                    !String::from_utf8_lossy(value.as_bytes()).contains("evil"),
                    "{desc}: {name} echoes the request"
                );
            }
        }
    }
}

#[test]
fn cve_2024_6221_flask_cors_private_network_access_off_by_default() {
    let _g = serial();
    // flask-cors sent Access-Control-Allow-Private-Network: true by default.
    let p = policy(false);
    let req = request(
        "OPTIONS",
        &[
            ("origin", APP.as_bytes()),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-private-network", b"true"),
        ],
    );
    let out = harness::call(&p, harness::meddling_inner_headers(), req);
    assert!(
        out.headers.contains_key("access-control-allow-origin"),
        "allowed preflight: {out:?}"
    );
    assert!(
        !out.headers
            .contains_key("access-control-allow-private-network"),
        "allowed preflight grants private network access: {out:?}"
    );
    // Nor on an actual response, even when the application sets it.
    let req = request(
        "GET",
        &[
            ("origin", APP.as_bytes()),
            ("access-control-request-private-network", b"true"),
        ],
    );
    let out = harness::call(&p, harness::meddling_inner_headers(), req);
    assert!(out.inner_called, "actual request forwarded");
    assert!(
        !out.headers
            .contains_key("access-control-allow-private-network"),
        "actual response grants private network access: {out:?}"
    );
    let req = request(
        "OPTIONS",
        &[
            ("origin", b"https://evil.com"),
            ("access-control-request-method", b"GET"),
            ("access-control-request-private-network", b"true"),
        ],
    );
    assert_refused("private network from a refused origin", &p, SHAPE, req);
}

#[test]
fn application_cors_headers_never_reach_a_refused_origin() {
    let _g = serial();
    // The layer owns the whole `Access-Control-*` namespace of the response: whatever the
    // application sets there, including names the layer does not emit itself (the
    // short-lived `Access-Control-Allow-Local-Network` of Private/Local Network Access, or
    // a misspelt header), is gone when the origin is refused.
    let mut inner = harness::meddling_inner_headers();
    for (name, value) in [
        ("access-control-allow-local-network", "true"),
        ("access-control-allow-origin-list", "*"),
        ("access-control-request-headers", "x"),
    ] {
        inner.append(name, value.parse().expect("static"));
    }
    let p = policy(false);
    for origin in [b"https://evil.com".as_slice(), b"null", b""] {
        let desc = format!("application headers: {:?}", String::from_utf8_lossy(origin));
        let out = harness::call(&p, inner.clone(), actual(origin));
        assert!(out.inner_called, "{desc}: forwarded");
        if let Some(name) = out
            .headers
            .keys()
            .find(|n| n.as_str().starts_with("access-control-"))
        {
            panic!("{desc}: refused response carries the application's {name}");
        }
    }
}

/// Whether a browser that is laxer than the Fetch Standard would accept this preflight
/// answer: all three engines let `*` in `Access-Control-Allow-Headers` cover `Authorization`
/// (whatwg/fetch#1919). Methods are compared byte for byte, as Chromium 156, Firefox ESR 153
/// and WebKitGTK 2.50 do (`patch` is blocked against `PATCH`).
fn lax_browser_accepts(out: &harness::Outcome, method: &str, headers: &[&str]) -> bool {
    let list = |name: &str| -> Vec<String> {
        out.headers
            .get_all(name)
            .iter()
            .flat_map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split(',')
                    .map(|t| t.trim().to_owned())
                    .collect::<Vec<_>>()
            })
            .filter(|t| !t.is_empty())
            .collect()
    };
    let ok = (200..300).contains(&out.status)
        && out.headers.get("access-control-allow-origin").is_some();
    let methods = list("access-control-allow-methods");
    let names = list("access-control-allow-headers");
    let method_ok = ["GET", "HEAD", "POST"].contains(&method)
        || methods.iter().any(|m| m == "*" || m == method);
    let headers_ok = headers
        .iter()
        .all(|h| names.iter().any(|n| n == "*" || n.eq_ignore_ascii_case(h)));
    ok && method_ok && headers_ok
}

#[test]
fn explained_refusals_stay_refused_in_lax_browsers() {
    let _g = serial();
    // `explain_preflight_refusals` answers a refused preflight like an allowed one and lets
    // the browser refuse it, so the browser's own rules decide; where real browsers are laxer
    // than the policy, the explanation must not turn a refusal into an allow.
    let p = CorsPolicy::builder()
        .allow_origin(APP)
        .allow_methods(["PATCH"])
        .allow_headers(["*"])
        .explain_preflight_refusals(true)
        .build()
        .expect("explaining policy");
    let cases: &[(&str, &str, &[&str])] = &[
        ("authorization under *", "GET", &["authorization"]),
        (
            "authorization beside a custom header",
            "GET",
            &["x-custom", "authorization"],
        ),
        ("lowercase patch against PATCH", "patch", &[]),
    ];
    for (desc, method, headers) in cases {
        let mut pairs: Vec<(&str, &[u8])> = vec![
            ("origin", APP.as_bytes()),
            ("access-control-request-method", method.as_bytes()),
        ];
        let joined = headers.join(",");
        if !headers.is_empty() {
            pairs.push(("access-control-request-headers", joined.as_bytes()));
        }
        let req = request("OPTIONS", &pairs);
        let decision = p.evaluate_request(&req);
        assert!(
            !decision.is_allowed(),
            "{desc}: the policy refuses: {decision:?}"
        );
        let out = harness::call(&p, harness::plain_inner_headers(), req);
        assert!(
            !out.inner_called,
            "{desc}: preflight reached the application"
        );
        assert!(
            !lax_browser_accepts(&out, method, headers),
            "{desc}: a real browser would accept the explained answer {out:?}"
        );
    }
}

#[test]
fn explained_method_refusal_survives_the_use_cors_preflight_flag() {
    let _g = serial();
    // Fetch #cors-preflight-fetch-0: "If methods is null and request's use-CORS-preflight
    // flag is set, then set methods to a new list containing request's method." A request
    // with upload listeners or a streamed body preflights even for POST; an explained refusal
    // without Access-Control-Allow-Methods would make the browser allow any method.
    for methods in [&[][..], &["PATCH"][..]] {
        let mut builder = CorsPolicy::builder()
            .allow_origin(APP)
            .explain_preflight_refusals(true);
        if !methods.is_empty() {
            builder = builder.allow_methods(methods.iter().copied());
        }
        let p = builder.build().expect("explaining policy");
        for method in ["PUT", "DELETE", "patch"] {
            let desc = format!("methods {methods:?}, request {method}");
            let mut req = browser_model::FetchRequest::new(
                APP,
                method,
                &[],
                browser_model::CredentialsMode::Omit,
            );
            req.use_cors_preflight = true;
            let result = browser_model::fetch(&req, |wire| {
                let mut http_req = Request::builder()
                    .method(wire.method.as_str())
                    .uri("https://api.example.net/resource");
                for (name, value) in &wire.headers {
                    http_req = http_req.header(name.as_str(), value.as_slice());
                }
                let out = harness::call(
                    &p,
                    harness::plain_inner_headers(),
                    http_req.body(()).expect("request"),
                );
                browser_model::WireResponse {
                    status: out.status,
                    headers: out.headers,
                }
            });
            assert!(
                matches!(
                    result,
                    Err(browser_model::NetworkError::MethodNotAllowed(_))
                        | Err(browser_model::NetworkError::PreflightCorsCheck(_))
                ),
                "{desc}: the browser was let through: {result:?}"
            );
        }
    }
}
