//! No credentialed policy may allow an origin a stranger can claim: regexes
//! and patterns that reach foreign registrable domains, public suffixes below
//! a pattern's base, `.local` names, predicates that accept strangers, and
//! any origin with private network access do not build; the safe shapes build
//! and serve, through the service.

use crate::support::harness;

use http::{Method, Request};
use tower_cors::{CorsPolicy, IssueKind, PolicyBuilder};

use harness::{call, plain_inner_headers};

/// The refused origin's answer: no `Access-Control-*` header at all.
fn assert_refused(policy: &CorsPolicy, origin: &str, desc: &str) {
    let req = Request::get("/api/me")
        .header("origin", origin)
        .header("cookie", "session=1")
        .body(())
        .expect("request");
    let out = call(policy, plain_inner_headers(), req);
    assert!(
        out.headers
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-")),
        "{desc}: {origin} got {:?}",
        out.headers
    );
}

fn assert_allowed(policy: &CorsPolicy, origin: &str, desc: &str) {
    let req = Request::get("/api/me")
        .header("origin", origin)
        .body(())
        .expect("request");
    let out = call(policy, plain_inner_headers(), req);
    assert_eq!(
        out.headers
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap_or_default()),
        Some(origin),
        "{desc}"
    );
    assert_eq!(
        out.headers
            .get("access-control-allow-credentials")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..]),
        "{desc}"
    );
}

#[cfg(feature = "regex")]
mod regexes {
    use super::*;

    /// Each regex of the outside reviews, and the stranger's origin the
    /// error must name (or one of them).
    const UNSAFE: &[(&str, &[&str])] = &[
        (
            r".*(?:example|other)\.com/?",
            &["https://evilexample.com", "https://evilother.com"],
        ),
        (r"https://.*example\.com", &["https://evilexample.com"]),
        (
            r"https://[a-z-]*example\.com",
            &["https://evilexample.com", "https://evil-example.com"],
        ),
        (
            r"https?://(www\.)?example\.com.*",
            &["https://example.com.evil.io"],
        ),
        (
            r"https://app\.example\.[a-z]+",
            &["https://app.example.evil"],
        ),
        (
            r"https://[a-z0-9-]+\.(com|net|org|io)",
            &["https://evil.com", "https://evil.io"],
        ),
        (
            r"https://[a-z0-9-]+\.github\.io",
            &["https://evil.github.io"],
        ),
        (
            r"https://[a-z0-9-]+\.s3\.amazonaws\.com",
            &["https://evil.s3.amazonaws.com"],
        ),
        (r"https://[a-z]\.com", &[]),
        (
            r"http://[a-z0-9-]+\.local(:[0-9]+)?",
            &["http://attacker.local"],
        ),
        (r"https?://.+", &[]),
        (r"[a-z]+://.*", &[]),
        (r"[a-z]+://app\.example\.com", &[]),
        (r"chrome-extension://[a-p]{32}", &[]),
        (r"https://(www\.)?github\.io", &["https://github.io"]),
    ];

    #[test]
    fn regexes_reaching_strangers_do_not_build_with_credentials() {
        for &(expr, witnesses) in UNSAFE {
            for (desc, builder) in [
                ("credentials", CorsPolicy::builder().allow_credentials(true)),
                ("guard", CorsPolicy::builder().guard_websockets(true)),
            ] {
                let err = builder
                    .allow_origin_regex(expr)
                    .build()
                    .expect_err(&format!("{desc}: {expr} must not build"));
                let issue = &err.issues()[0];
                assert_eq!(issue.kind(), IssueKind::InvalidRegex, "{expr}");
                let text = issue.to_string();
                assert!(
                    text.contains("a stranger can claim"),
                    "{desc}: {expr}: {text}"
                );
                assert!(
                    witnesses.is_empty()
                        || witnesses.iter().any(|w| text.contains(&format!("{w:?}"))),
                    "{desc}: {expr}: names none of {witnesses:?}: {text}"
                );
            }
            // Without credentials or the guard the same regex is a public
            // policy's business: it builds.
            CorsPolicy::builder()
                .allow_origin_regex(expr)
                .build()
                .unwrap_or_else(|e| panic!("{expr} without credentials: {e}"));
        }
    }

    #[test]
    fn the_witness_is_really_matched_and_refused_as_a_stranger() {
        // The named origin is matched by the regex when it builds without
        // credentials: the error never names an origin the regex does not
        // allow.
        for &(expr, _) in UNSAFE {
            let err = CorsPolicy::builder()
                .allow_credentials(true)
                .allow_origin_regex(expr)
                .build()
                .expect_err(expr);
            let text = err.issues()[0].to_string();
            let witness = text
                .split("it matches \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("{expr}: no witness in {text}"));
            let public = CorsPolicy::builder()
                .allow_origin_regex(expr)
                .build()
                .expect("builds without credentials");
            let req = Request::get("/")
                .header("origin", witness)
                .body(())
                .expect("request");
            let decision = public.evaluate(&req.into_parts().0);
            assert!(
                decision.is_allowed(),
                "{expr}: witness {witness} not matched"
            );
        }
    }

    /// Safe shapes build with credentials and serve: their own names are
    /// allowed, the strangers next to them refused.
    #[test]
    fn safe_shapes_build_and_serve() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                r"https://[a-z0-9-]+\.example\.com",
                &["https://app.example.com", "https://pr-1.example.com"],
                &[
                    "https://example.com",
                    "https://evilexample.com",
                    "https://app.example.com.evil.io",
                    "https://a.b.example.com",
                ],
            ),
            (
                r"https://(app|admin)\.example\.com(:[0-9]+)?",
                &["https://app.example.com", "https://admin.example.com:8443"],
                &["https://evil.example.com", "http://app.example.com"],
            ),
            (
                r"https://app\.example\.(com|org)",
                &["https://app.example.com", "https://app.example.org"],
                &["https://app.example.net", "https://app.example.com.evil"],
            ),
            (
                r"http://localhost:[0-9]+",
                &["http://localhost:3000", "http://localhost:5173"],
                &["http://localhost.evil.com:3000", "https://localhost:3000"],
            ),
            (
                r"(?i)https://APP\.Example\.COM",
                &["https://app.example.com"],
                &["https://evil.com"],
            ),
            (
                r"https://(.*\.)?example\.com",
                &["https://example.com", "https://a.b.example.com"],
                &["https://evilexample.com"],
            ),
            (
                r"https://[a-z0-9-]+\.mybucket\.s3\.amazonaws\.com",
                &["https://app.mybucket.s3.amazonaws.com"],
                &["https://attacker.s3.amazonaws.com"],
            ),
            (
                r"http://127\.0\.0\.1:[0-9]{2,5}",
                &["http://127.0.0.1:8080"],
                &["http://127.0.0.2:8080", "http://10.0.0.1:8080"],
            ),
            (
                r"https://[a-z0-9-]+\.internal",
                &["https://api.internal"],
                &["https://api.internal.evil.com"],
            ),
        ];
        for &(expr, allowed, refused) in cases {
            let policy = CorsPolicy::builder()
                .allow_origin_regex(expr)
                .allow_credentials(true)
                .build()
                .unwrap_or_else(|e| panic!("{expr}: {e}"));
            for origin in allowed {
                assert_allowed(&policy, origin, expr);
            }
            for origin in refused {
                assert_refused(&policy, origin, expr);
            }
        }
    }

    #[test]
    fn anchors_are_built_from_the_syntax_tree() {
        let err = CorsPolicy::builder()
            .allow_origin_regex(r"https://app\.example\.com)|(?:https://nothing\.invalid")
            .build()
            .expect_err("the expression does not parse on its own");
        assert_eq!(err.issues()[0].kind(), IssueKind::InvalidRegex);
        let policy = CorsPolicy::builder()
            .allow_origin_regex(r"https://app\.example\.com|https://admin\.example\.com")
            .build()
            .expect("builds");
        assert_refused(&policy, "https://app.example.com.evil.io", "alternation");
        assert_refused(
            &policy,
            "https://evil.io/https://admin.example.com",
            "alternation",
        );
    }
}

#[test]
fn patterns_over_a_public_suffix_below_their_base_do_not_build() {
    let cases: &[(&str, &str)] = &[
        ("https://*.amazonaws.com", "s3.amazonaws.com"),
        ("https://*.run.app", "run.app"),
        ("https://*.core.windows.net", "windows.net"),
        ("https://*.digitaloceanspaces.com", "digitaloceanspaces.com"),
        ("https://*.fastly.net", "fastly.net"),
        ("https://*.kawasaki.jp", "kawasaki.jp"),
        ("https://*.ck", "ck"),
        ("https://pr-*.amazonaws.com", "amazonaws.com"),
    ];
    for &(pattern, below) in cases {
        for builder in [
            CorsPolicy::builder(),
            CorsPolicy::builder().allow_credentials(true),
        ] {
            let err = builder
                .allow_origin_pattern(pattern)
                .build()
                .expect_err(pattern);
            let issue = &err.issues()[0];
            assert_eq!(issue.kind(), IssueKind::PublicSuffixPattern, "{pattern}");
            assert!(issue.to_string().contains(below), "{pattern}: {issue}");
            assert!(issue.to_string().contains("stranger"), "{pattern}: {issue}");
        }
    }
    // The name a customer owns below the provider's suffix is fine.
    let policy = CorsPolicy::builder()
        .allow_origin_pattern("https://*.mybucket.s3.amazonaws.com")
        .allow_origin_pattern("https://*.myproject.web.app")
        .allow_credentials(true)
        .build()
        .expect("owned names below a provider's suffix");
    assert_allowed(&policy, "https://a.mybucket.s3.amazonaws.com", "owned");
    assert_refused(
        &policy,
        "https://attacker.s3.amazonaws.com",
        "sibling bucket",
    );
    assert_refused(&policy, "https://evil.web.app", "sibling project");
}

#[test]
fn mdns_patterns_do_not_build_with_credentials_or_the_guard() {
    for builder in [
        CorsPolicy::builder().allow_credentials(true),
        CorsPolicy::builder().guard_websockets(true),
    ] {
        let err = builder
            .allow_origin_pattern("http://*.local:*")
            .build()
            .expect_err(".local");
        assert_eq!(err.issues()[0].kind(), IssueKind::PublicSuffixPattern);
        assert!(err.to_string().contains(".local"), "{err}");
    }
    CorsPolicy::builder()
        .allow_origin_pattern("http://*.local:*")
        .build()
        .expect("a public policy may cover the local network");
}

#[test]
fn every_rule_of_the_embedded_list_refuses_patterns_at_or_above_it() {
    let list = include_str!("../../data/public_suffix_list.dat");
    let mut bases = std::collections::BTreeSet::new();
    for rule in list
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
    {
        if rule.starts_with('!') {
            continue;
        }
        let name = rule.trim_start_matches("*.");
        // The rule's name (for a wildcard rule, its base) and every name above it.
        let mut at = name;
        loop {
            bases.insert(at.to_owned());
            match at.split_once('.') {
                Some((_, parent)) => at = parent,
                None => break,
            }
        }
    }
    let mut checked = 0;
    for base in &bases {
        let pattern = format!("https://*.{base}");
        let err = CorsPolicy::builder()
            .allow_origin_pattern(&pattern)
            .allow_credentials(true)
            .build()
            .err()
            .unwrap_or_else(|| {
                panic!("{pattern} builds, though strangers can register below {base}")
            });
        assert!(
            err.issues().iter().all(|i| matches!(
                i.kind(),
                IssueKind::PublicSuffixPattern | IssueKind::InvalidPattern
            )),
            "{pattern}: {err}"
        );
        checked += 1;
    }
    assert!(checked > 9_000, "{checked} bases");
}

#[test]
fn predicates_are_probed_with_strangers_on_real_requests() {
    type Case = (&'static str, fn(PolicyBuilder) -> PolicyBuilder);
    let cases: &[Case] = &[
        ("any IP", |b| b.allow_origin_fn(|o, _| o.host_is_ip())),
        ("any request with a Host", |b| {
            b.allow_origin_fn(|_, p| p.headers.contains_key(http::header::HOST))
        }),
        ("anything but .invalid", |b| {
            b.allow_origin_fn(|o, _| !o.host().ends_with(".invalid"))
        }),
        ("API paths", |b| {
            b.allow_origin_fn(|_, p| p.uri.path().starts_with("/api/"))
        }),
        ("with a cookie", |b| {
            b.allow_origin_fn(|_, p| p.headers.contains_key(http::header::COOKIE))
        }),
        ("POST", |b| {
            b.allow_origin_fn(|_, p| p.method == Method::POST)
        }),
        ("preflights", |b| {
            b.allow_origin_fn(|_, p| p.method == Method::OPTIONS)
        }),
    ];
    for &(desc, with) in cases {
        for base in [
            CorsPolicy::builder().allow_credentials(true),
            CorsPolicy::builder().guard_websockets(true),
        ] {
            let err = with(base).build().expect_err(desc);
            assert_eq!(
                err.issues()[0].kind(),
                IssueKind::PredicateAllowsAnyOrigin,
                "{desc}: {err}"
            );
        }
    }
}

#[test]
fn a_panicking_predicate_is_a_build_issue_and_a_refusal() {
    let err = CorsPolicy::builder()
        .allow_credentials(true)
        .allow_origin_fn(|_, p| p.headers["x-tenant"] == "acme")
        .build()
        .expect_err("panics while probed");
    assert_eq!(err.issues()[0].kind(), IssueKind::PredicatePanicked);
    assert!(err.to_string().contains("headers.get()"), "{err}");

    // A predicate that panics only on some requests: refused, not a crash.
    let policy = CorsPolicy::builder()
        .allow_origin_fn(|o, _| {
            assert!(o.host() != "boom.example.com", "tenant lookup failed");
            o.host() == "tenant.example.com"
        })
        .build()
        .expect("builds without credentials");
    assert_allowed_public(&policy, "https://tenant.example.com");
    assert_refused(&policy, "https://boom.example.com", "panicking predicate");
}

fn assert_allowed_public(policy: &CorsPolicy, origin: &str) {
    let req = Request::get("/")
        .header("origin", origin)
        .body(())
        .expect("request");
    let out = call(policy, plain_inner_headers(), req);
    assert_eq!(
        out.headers
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(origin.as_bytes())
    );
}

#[test]
fn any_origin_with_private_network_access_does_not_build() {
    let err = CorsPolicy::builder()
        .allow_any_origin()
        .allow_private_network(true)
        .build()
        .expect_err("any origin + private network");
    assert_eq!(
        err.issues()[0].kind(),
        IssueKind::AnyOriginWithPrivateNetwork
    );
    CorsPolicy::builder()
        .allow_origin("https://app.example.com")
        .allow_private_network(true)
        .build()
        .expect("listed origins may reach the private network");
}

/// A report-only candidate whose predicate panics never changes or breaks
/// the enforced answer; the difference is still reported.
#[test]
fn a_panicking_report_only_candidate_leaves_the_answer_alone() {
    use std::sync::{Arc, Mutex};
    use tower_cors::CorsLayer;
    use tower_layer::Layer;
    use tower_service::Service;

    let enforced = CorsPolicy::builder()
        .allow_origin("https://app.example.com")
        .build()
        .expect("enforced");
    let candidate = CorsPolicy::builder()
        .allow_origin_fn(|_, p| p.headers["x-tenant"] == "acme")
        .build()
        .expect("builds without credentials: not probed");
    let reports = Arc::new(Mutex::new(0usize));
    let seen = reports.clone();
    for origin in ["https://app.example.com", "https://other.example.com"] {
        let answer = |layer: CorsLayer| {
            let mut service = layer.layer(harness::Inner::new(plain_inner_headers()));
            let req = Request::get("/api")
                .header("origin", origin)
                .body(())
                .expect("request");
            let response = harness::block_on(service.call(req)).unwrap_or_else(|e| match e {});
            let (parts, _) = response.into_parts();
            (parts.status, parts.headers)
        };
        let plain = answer(CorsLayer::new(enforced.clone()));
        let seen = seen.clone();
        let shadowed = answer(
            CorsLayer::new(enforced.clone())
                .report_only(candidate.clone())
                .on_refusal(move |_| *seen.lock().expect("lock") += 1),
        );
        assert_eq!(plain, shadowed, "{origin}");
    }
    // The allowed origin is refused by the (panicking) candidate: reported.
    assert!(*reports.lock().expect("lock") >= 1);
}
