//! Inputs found by the fuzz targets in `fuzz/`, each a named test, and a replay of the
//! committed seed corpora of the byte-input targets (`origin`, `request_headers`,
//! `regex_analysis`) through the same checks, so `cargo test` exercises them without
//! cargo-fuzz.

use crate::support::fixtures;
use crate::support::reference;

use std::path::PathBuf;

use http::{HeaderMap, HeaderValue, Request, StatusCode};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("corpus entry").path();
            let bytes = std::fs::read(&path).expect("corpus file");
            (path.display().to_string(), bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn origin_corpus_replays() {
    let files = corpus("origin");
    assert!(files.len() >= 10, "origin corpus has {} files", files.len());
    for (_path, bytes) in &files {
        fixtures::check_origin(bytes);
    }
}

#[test]
fn request_headers_corpus_replays() {
    let files = corpus("request_headers");
    assert!(
        files.len() >= 10,
        "request_headers corpus has {} files",
        files.len()
    );
    for (_path, bytes) in &files {
        fixtures::check_request_headers(bytes);
    }
}

/// `origin` target, first crash: `https://app.example.com:0`. A port of a single zero is a
/// valid serialization (only leading zeros are not); the `https://*.example.com:*` pattern
/// allows it. The reference parser had refused it.
#[test]
fn origin_port_zero_matches_a_port_wildcard() {
    fixtures::check_origin(b"https://app.example.com:0");
    assert!(
        reference::parse_serialized_origin("https://app.example.com:0").is_some(),
        "port 0"
    );
    assert!(
        reference::parse_serialized_origin("https://app.example.com:00").is_none(),
        "port 00"
    );
}

/// `origin` target, second crash: a 64-byte label under an allowed base. DNS cannot carry
/// it (RFC 1035: labels of at most 63 bytes, names of at most 253), so no page is served
/// from it and the layer refuses it as malformed; the reference parser had accepted it.
#[test]
fn origin_label_over_63_bytes_is_refused() {
    let label = "x".repeat(64);
    let origin = format!("https://{label}.example.net");
    fixtures::check_origin(origin.as_bytes());
    let at_limit = format!("https://{}.example.net", "x".repeat(63));
    fixtures::check_origin(at_limit.as_bytes());
    assert!(
        reference::parse_serialized_origin(&origin).is_none(),
        "64-byte label"
    );
    assert!(
        reference::parse_serialized_origin(&at_limit).is_some(),
        "63-byte label"
    );
}

/// `service` target, first crash (kept in `fuzz/corpus/service/` as
/// `regression-application-access-control-header`): a `GET` without `Origin`, and an
/// application that sets an `Access-Control-*` header the layer does not emit itself
/// (`access-control-request-method: `). It reached the client although no origin was
/// allowed: the layer must own the whole `Access-Control-*` namespace of the response, not
/// only the seven names it writes.
#[test]
fn service_application_access_control_header_without_origin() {
    let fixture = fixtures::fixtures()
        .iter()
        .find(|f| f.name == "public")
        .expect("public fixture");
    let mut inner = HeaderMap::new();
    inner.insert(
        "access-control-request-method",
        HeaderValue::from_static(""),
    );
    fixtures::exchange(
        &fixture.policy,
        &fixture.shape,
        inner,
        StatusCode::OK,
        Request::new(()),
    );
}

/// `request_headers` target: 123 header lines (417 bytes, mostly empty lines). The layer
/// reads at most 16 `Access-Control-Request-Headers` lines (browsers send one) and refuses
/// more as too long, whatever their size; the reference had only the 4096-byte cap.
#[test]
fn request_headers_more_than_16_lines_are_too_long() {
    let mut many = b"content-type".to_vec();
    many.resize(many.len() + 122, b'\n');
    fixtures::check_request_headers(&many);
    let sixteen = ["x-custom"; 16].join("\n");
    fixtures::check_request_headers(sixteen.as_bytes());
    let seventeen = ["x-custom"; 17].join("\n");
    fixtures::check_request_headers(seventeen.as_bytes());
}

/// The `regex_analysis` target's checks: with credentials and with the WebSocket guard the
/// regex builds or fails alike, an error lists its issues, and a regex that builds with
/// credentials builds without them.
#[cfg(feature = "regex")]
fn check_regex_analysis(bytes: &[u8]) -> Result<(), String> {
    use tower_cors::{CorsPolicy, IssueKind};
    let Ok(expr) = std::str::from_utf8(bytes) else {
        return Ok(());
    };
    let credentialed = CorsPolicy::builder()
        .allow_origin_regex(expr)
        .allow_credentials(true)
        .build();
    let guarded = CorsPolicy::builder()
        .allow_origin_regex(expr)
        .guard_websockets(true)
        .build();
    for built in [&credentialed, &guarded] {
        if let Err(e) = built {
            assert!(!e.issues().is_empty(), "{expr:?}: error without issues");
            assert!(
                e.issues()
                    .iter()
                    .all(|i| i.kind() == IssueKind::InvalidRegex),
                "{expr:?}: {e}"
            );
        }
    }
    assert_eq!(credentialed.is_ok(), guarded.is_ok(), "{expr:?}");
    if credentialed.is_ok() {
        CorsPolicy::builder()
            .allow_origin_regex(expr)
            .build()
            .unwrap_or_else(|e| panic!("{expr:?} builds with credentials, not without: {e}"));
    }
    match credentialed {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(feature = "regex")]
#[test]
fn regex_analysis_corpus_replays() {
    let files = corpus("regex_analysis");
    assert!(
        files.len() >= 20,
        "regex_analysis corpus has {} files",
        files.len()
    );
    let built = files
        .iter()
        .filter(|(_, bytes)| check_regex_analysis(bytes).is_ok())
        .count();
    // The corpus holds safe and unsafe regexes alike.
    assert!(built >= 5 && built + 5 <= files.len(), "{built} build");
}

/// `regex_analysis` target, slowest unit (10 s under the fuzzer's sanitizers, about 0.2 s in
/// a release build): a class whose range `\x18-9` covers `.`, `/` and `:` repeated in front
/// of a provider's suffix, `s3.amazonaws.com`, with public suffixes below every name the walk
/// reads, so the walk spends its whole budget. It is refused as too complex to prove.
#[cfg(feature = "regex")]
#[test]
fn regex_analysis_class_over_punctuation_before_a_provider_suffix_is_too_complex() {
    let mut expr = b"https://[a-z0".to_vec();
    expr.extend([0; 10]);
    expr.extend(b"\x18-9-]+s3\\.amazonaws\\.com");
    let err = check_regex_analysis(&expr).expect_err("refused with credentials");
    assert!(err.contains("too complex"), "{err}");
}
