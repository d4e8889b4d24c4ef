//! Origins beyond `https://host`: single-label globs for preview deployments, and the
//! origins browser extensions and app shells send (non-special schemes, whose hosts keep
//! their case), through the service.

use std::convert::Infallible;

use http::header::{ACCESS_CONTROL_ALLOW_CREDENTIALS as ACAC, ACCESS_CONTROL_ALLOW_ORIGIN as ACAO};
use http::{Method, Request, Response, StatusCode};
use tower::{service_fn, Layer, ServiceExt};
use tower_cors::{CorsLayer, CorsPolicy, IssueKind};

/// What the layer answers to an actual `GET` and to a preflight for `PUT` from `origin`:
/// `(status, Access-Control-Allow-Origin)` of each.
async fn exchange(policy: &CorsPolicy, origin: &str) -> [(StatusCode, Option<String>); 2] {
    let svc = CorsLayer::new(policy.clone()).layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::from("ok")))
    }));
    let actual = Request::get("/")
        .header("origin", origin)
        .body(())
        .expect("request");
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/")
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .body(())
        .expect("request");
    let mut out = Vec::new();
    for req in [actual, preflight] {
        let res = svc.clone().oneshot(req).await.expect("infallible");
        let acao = res
            .headers()
            .get(ACAO)
            .map(|v| v.to_str().expect("ascii").to_owned());
        out.push((res.status(), acao));
    }
    [out[0].clone(), out[1].clone()]
}

/// Asserts that `origin` is allowed for both the actual request and the preflight, with
/// its own value reflected, or refused for both, with no `Access-Control-Allow-Origin`.
async fn assert_allowed(desc: &str, policy: &CorsPolicy, origin: &str, allowed: bool) {
    let [(actual_status, actual), (preflight_status, preflight)] = exchange(policy, origin).await;
    assert_eq!(
        actual_status,
        StatusCode::OK,
        "{desc}: {origin}: actual status"
    );
    if allowed {
        assert_eq!(actual.as_deref(), Some(origin), "{desc}: {origin}: actual");
        assert_eq!(
            preflight.as_deref(),
            Some(origin),
            "{desc}: {origin}: preflight"
        );
        assert_eq!(preflight_status, StatusCode::NO_CONTENT, "{desc}: {origin}");
    } else {
        assert_eq!(actual, None, "{desc}: {origin}: actual");
        assert_eq!(preflight, None, "{desc}: {origin}: preflight");
        assert_eq!(preflight_status, StatusCode::FORBIDDEN, "{desc}: {origin}");
    }
}

fn preview_policy() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origin("https://app.example.com")
        .allow_origin_pattern("https://pr-*.preview.example.com")
        .allow_origin_pattern("https://*-staging.example.com:*")
        .allow_methods([Method::PUT])
        .allow_credentials(true)
        .build()
        .expect("valid policy")
}

#[tokio::test]
async fn globs_allow_one_label_on_each_side_of_every_boundary() {
    let policy = preview_policy();
    let cases = [
        ("run of one", "https://pr-1.preview.example.com", true),
        ("run of many", "https://pr-1234.preview.example.com", true),
        (
            "run with hyphens",
            "https://pr-fix-login.preview.example.com",
            true,
        ),
        ("empty run", "https://pr-.preview.example.com", false),
        ("prefix missing", "https://1.preview.example.com", false),
        (
            "prefix in another case",
            "https://PR-1.preview.example.com",
            false,
        ),
        (
            "dot in the run",
            "https://pr-1.x.preview.example.com",
            false,
        ),
        (
            "label in front",
            "https://a.pr-1.preview.example.com",
            false,
        ),
        (
            "underscore in the run",
            "https://pr-a_b.preview.example.com",
            false,
        ),
        ("the base itself", "https://preview.example.com", false),
        ("base one label up", "https://pr-1.example.com", false),
        (
            "base as a substring",
            "https://pr-1.evilpreview.example.com",
            false,
        ),
        (
            "base then more",
            "https://pr-1.preview.example.com.evil.com",
            false,
        ),
        ("other scheme", "http://pr-1.preview.example.com", false),
        ("other port", "https://pr-1.preview.example.com:8443", false),
        ("suffix glob", "https://feature-x-staging.example.com", true),
        (
            "suffix glob, any port",
            "https://a-staging.example.com:3000",
            true,
        ),
        (
            "suffix glob, empty run",
            "https://-staging.example.com",
            false,
        ),
        (
            "suffix glob, suffix only",
            "https://staging.example.com",
            false,
        ),
        (
            "suffix glob, text after",
            "https://a-staging2.example.com",
            false,
        ),
    ];
    for (desc, origin, allowed) in cases {
        assert_allowed(desc, &policy, origin, allowed).await;
    }
}

#[tokio::test]
async fn a_glob_under_a_public_suffix_never_builds() {
    for pattern in [
        "https://myapp-*.vercel.app",
        "https://*--mysite.netlify.app",
        "https://deploy-preview-*.pages.dev",
    ] {
        let err = CorsPolicy::builder()
            .allow_origin_pattern(pattern)
            .build()
            .expect_err(pattern);
        assert_eq!(
            err.issues()[0].kind(),
            IssueKind::PublicSuffixPattern,
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("allow_origin()") && text.contains("allow_origin_regex()"),
            "{pattern}: {text}"
        );
    }
    // The exact list the error points to works for the same deployments.
    let policy = CorsPolicy::builder()
        .allow_origins(["https://myapp-git-main.vercel.app"])
        .allow_methods([Method::PUT])
        .build()
        .expect("exact list");
    assert_allowed(
        "exact list",
        &policy,
        "https://myapp-git-main.vercel.app",
        true,
    )
    .await;
    assert_allowed(
        "exact list",
        &policy,
        "https://myapp-evil.vercel.app",
        false,
    )
    .await;
}

/// One row of the table "Origins of extensions and app shells" in docs/policy-rules.md: what the platform
/// sends, and what it never sends (a case or scheme it does not use).
struct Row {
    platform: &'static str,
    sends: &'static str,
    never: &'static [&'static str],
}

const ROWS: &[Row] = &[
    Row {
        platform: "Chrome, Edge, Brave, Opera extension",
        sends: "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
        never: &["chrome-extension://ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP"],
    },
    Row {
        platform: "Firefox extension",
        sends: "moz-extension://0b6f9c4a-8f0a-4f3e-9a6c-2f1e3d4c5b6a",
        never: &["moz-extension://0B6F9C4A-8F0A-4F3E-9A6C-2F1E3D4C5B6A"],
    },
    Row {
        platform: "Safari web extension",
        sends: "safari-web-extension://1B2C3D4E-AAAA-4BBB-8CCC-0123456789AB",
        never: &["safari-web-extension://1b2c3d4e-aaaa-4bbb-8ccc-0123456789ab"],
    },
    Row {
        platform: "Capacitor, iOS",
        sends: "capacitor://localhost",
        never: &["capacitor://LOCALHOST", "http://localhost"],
    },
    Row {
        platform: "Capacitor 6+, Android",
        sends: "https://localhost",
        never: &["http://localhost", "capacitor://localhost"],
    },
    Row {
        platform: "Ionic Web View (Cordova), iOS",
        sends: "ionic://localhost",
        never: &["ionic://Localhost", "capacitor://localhost"],
    },
    Row {
        platform: "Tauri 2, macOS, Linux and iOS",
        sends: "tauri://localhost",
        never: &["tauri://LocalHost", "http://tauri.localhost"],
    },
    Row {
        platform: "Tauri 2, Windows and Android",
        sends: "http://tauri.localhost",
        never: &["https://tauri.localhost", "tauri://localhost"],
    },
];

#[tokio::test]
async fn each_platform_gets_exactly_the_origin_it_sends() {
    for row in ROWS {
        // Configured exactly as the table writes it, with credentials.
        let policy = CorsPolicy::builder()
            .allow_origin(row.sends)
            .allow_methods([Method::PUT])
            .allow_credentials(true)
            .build()
            .unwrap_or_else(|e| panic!("{}: {e}", row.platform));
        assert_allowed(row.platform, &policy, row.sends, true).await;
        for never in row.never {
            assert_allowed(row.platform, &policy, never, false).await;
        }
        // The same holds beside patterns, where unlisted origins are parsed first.
        let with_patterns = CorsPolicy::builder()
            .allow_origin(row.sends)
            .allow_origin_pattern("https://*.example.com")
            .allow_methods([Method::PUT])
            .build()
            .unwrap_or_else(|e| panic!("{}: {e}", row.platform));
        assert_allowed(row.platform, &with_patterns, row.sends, true).await;
        for never in row.never {
            assert_allowed(row.platform, &with_patterns, never, false).await;
        }
    }
}

#[tokio::test]
async fn file_pages_send_null_which_never_takes_credentials() {
    // Electron and Cordova pages loaded from file:// send `Origin: null`.
    let public = CorsPolicy::builder()
        .allow_null_origin()
        .build()
        .expect("null without credentials");
    let [(_, actual), _] = exchange(&public, "null").await;
    assert_eq!(actual.as_deref(), Some("null"));
    let err = CorsPolicy::builder()
        .allow_null_origin()
        .allow_credentials(true)
        .build()
        .expect_err("null with credentials");
    assert_eq!(err.issues()[0].kind(), IssueKind::NullOriginWithCredentials);
}

#[tokio::test]
async fn configured_extension_ids_in_the_wrong_case_are_corrected_at_build() {
    let cases = [
        (
            "chrome-extension://ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP",
            "did you mean \"chrome-extension://abcdefghijklmnopabcdefghijklmnop\"?",
        ),
        (
            "safari-web-extension://1b2c3d4e-aaaa",
            "did you mean \"safari-web-extension://1B2C3D4E-AAAA\"?",
        ),
        ("Tauri://localhost", "did you mean \"tauri://localhost\"?"),
        // App shells send their host in lowercase: another case never matches.
        (
            "capacitor://LOCALHOST",
            "did you mean \"capacitor://localhost\"?",
        ),
        ("ionic://Localhost", "did you mean \"ionic://localhost\"?"),
        ("tauri://LocalHost", "did you mean \"tauri://localhost\"?"),
        (
            "moz-extension://0A1B2C3D-AAAA-4BBB-8CCC-0123456789AB",
            "did you mean \"moz-extension://0a1b2c3d-aaaa-4bbb-8ccc-0123456789ab\"?",
        ),
    ];
    for (input, fix) in cases {
        let err = CorsPolicy::builder()
            .allow_origin(input)
            .build()
            .expect_err(input);
        assert_eq!(err.issues()[0].kind(), IssueKind::InvalidOrigin, "{err}");
        assert!(err.to_string().ends_with(fix), "{input}: {err}");
    }
    for pattern in ["chrome-extension://*", "tauri://localhost:*"] {
        let err = CorsPolicy::builder()
            .allow_origin_pattern(pattern)
            .build()
            .expect_err(pattern);
        assert_eq!(err.issues()[0].kind(), IssueKind::InvalidPattern, "{err}");
        assert!(
            err.to_string().contains("list each origin exactly"),
            "{pattern}: {err}"
        );
    }
    // Credentials are granted to the exact origin only.
    let policy = CorsPolicy::builder()
        .allow_origin("capacitor://localhost")
        .allow_credentials(true)
        .build()
        .expect("valid");
    let svc = CorsLayer::new(policy).layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    }));
    let res = svc
        .oneshot(
            Request::get("/")
                .header("origin", "capacitor://localhost")
                .body(())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(
        res.headers().get(ACAC).map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
}

#[tokio::test]
async fn configuration_without_code_takes_globs_and_opaque_hosts() {
    let config = tower_cors::CorsConfig {
        allow_origins: vec![
            "https://pr-*.preview.example.com".to_owned(),
            "safari-web-extension://1B2C3D4E-AAAA".to_owned(),
        ],
        allow_methods: vec!["PUT".to_owned()],
        ..Default::default()
    };
    let policy = config.build().expect("valid configuration");
    assert_allowed(
        "config glob",
        &policy,
        "https://pr-9.preview.example.com",
        true,
    )
    .await;
    assert_allowed(
        "config glob",
        &policy,
        "https://pr-9.x.preview.example.com",
        false,
    )
    .await;
    assert_allowed(
        "config opaque",
        &policy,
        "safari-web-extension://1B2C3D4E-AAAA",
        true,
    )
    .await;
    let err = tower_cors::CorsConfig {
        allow_origins: vec!["https://myapp-*.vercel.app".to_owned()],
        ..Default::default()
    }
    .build()
    .expect_err("glob under a public suffix");
    assert_eq!(
        err.issues()[0].kind(),
        IssueKind::PublicSuffixPattern,
        "{err}"
    );
}
