//! DESIGN §2: every configuration rule is checked by `build()`, all problems
//! at once, each with the input and a fix, in an exact `Display` text.

use std::time::Duration;

use http::{HeaderName, Method, StatusCode};
use tower_cors::{CorsPolicy, IssueKind, PolicyBuilder, PolicyError};

fn error(builder: PolicyBuilder) -> PolicyError {
    builder.build().expect_err("configuration must be refused")
}

/// Asserts the single issue's kind, input and exact message.
fn assert_issue(desc: &str, builder: PolicyBuilder, kind: IssueKind, input: &str, message: &str) {
    let err = error(builder);
    assert_eq!(err.issues().len(), 1, "{desc}: {err}");
    let issue = &err.issues()[0];
    assert_eq!(issue.kind(), kind, "{desc}");
    assert_eq!(issue.input(), input, "{desc}");
    assert_eq!(issue.to_string(), message, "{desc}");
    assert_eq!(
        err.to_string(),
        format!("invalid CORS policy: {message}"),
        "{desc}"
    );
}

fn origin(o: &str) -> PolicyBuilder {
    CorsPolicy::builder().allow_origin(o)
}

#[test]
fn origins_must_be_in_browser_serialization() {
    let cases = [
        ("trailing slash", "https://example.com/", "\"https://example.com/\" is not an origin as browsers send it (remove the trailing \"/\"): did you mean \"https://example.com\"?"),
        ("path", "https://example.com/app", "\"https://example.com/app\" is not an origin as browsers send it (remove the path, query and fragment): did you mean \"https://example.com\"?"),
        ("uppercase host", "https://Example.com", "\"https://Example.com\" is not an origin as browsers send it (lowercase the host): did you mean \"https://example.com\"?"),
        ("uppercase scheme", "HTTPS://example.com", "\"HTTPS://example.com\" is not an origin as browsers send it (lowercase the scheme): did you mean \"https://example.com\"?"),
        ("default port", "https://example.com:443", "\"https://example.com:443\" is not an origin as browsers send it (remove the default port): did you mean \"https://example.com\"?"),
        ("unicode host", "https://bücher.example", "\"https://bücher.example\" is not an origin as browsers send it (use the punycode form of the host, as browsers send it): did you mean \"https://xn--bcher-kva.example\"?"),
        ("unicode host needing mapping", "https://straße.de", "\"https://straße.de\" is not an origin: write the host \"straße.de\" in the ASCII (xn--) form browsers send in the Origin header; 'ß' needs Unicode mapping (UTS 46) that is not guessed here, so copy the form from the browser's Origin header or an IDNA converter"),
        ("whitespace", " https://example.com", "\" https://example.com\" is not an origin as browsers send it (remove the surrounding whitespace): did you mean \"https://example.com\"?"),
        ("ipv6 not canonical", "http://[0:0:0:0:0:0:0:1]:8080", "\"http://[0:0:0:0:0:0:0:1]:8080\" is not an origin as browsers send it (write the IPv6 address in its canonical form): did you mean \"http://[::1]:8080\"?"),
        ("no scheme", "example.com", "\"example.com\" is not an origin: add the scheme, e.g. \"https://example.com\""),
        ("localhost without scheme", "localhost:5173", "\"localhost:5173\" is not an origin: add the scheme, e.g. \"http://localhost:5173\" (development servers on localhost are plain HTTP)"),
        ("loopback IPv4 without scheme", "127.0.0.1:8080", "\"127.0.0.1:8080\" is not an origin: add the scheme, e.g. \"http://127.0.0.1:8080\" (development servers on localhost are plain HTTP)"),
        ("loopback IPv6 without scheme", "[::1]:3000", "\"[::1]:3000\" is not an origin: add the scheme, e.g. \"http://[::1]:3000\" (development servers on localhost are plain HTTP)"),
        ("dev subdomain of localhost", "app.localhost:3000", "\"app.localhost:3000\" is not an origin: add the scheme, e.g. \"http://app.localhost:3000\" (development servers on localhost are plain HTTP)"),
        ("empty", "", "\"\" is empty: remove it, or write an origin as browsers send it, e.g. \"https://app.example.com\""),
        ("blank", "  ", "\"  \" is empty: remove it, or write an origin as browsers send it, e.g. \"https://app.example.com\""),
        ("userinfo", "https://user@example.com", "\"https://user@example.com\" is not an origin: remove the user info before \"@\" (browsers never send it)"),
        ("bad port", "https://example.com:http", "\"https://example.com:http\" is not an origin: \"http\" is not a port number"),
        ("null spelled as origin", "null", "\"null\" is not an origin: use allow_null_origin() to allow the opaque origin"),
        ("star spelled as origin", "*", "\"*\" is not an origin: use allow_any_origin() for a public policy"),
        ("empty host", "https://", "\"https://\" is not an origin: the host is empty"),
        ("bad host characters", "https://exa mple.com", "\"https://exa mple.com\" is not an origin: \"exa mple.com\" is not a valid host name (letters, digits, \"-\", \"_\" and non-empty labels separated by \".\")"),
    ];
    for (desc, input, message) in cases {
        assert_issue(
            desc,
            origin(input),
            IssueKind::InvalidOrigin,
            input,
            message,
        );
    }
    for ok in [
        "https://example.com",
        "http://localhost:3000",
        "http://127.0.0.1:8080",
        "http://[::1]:8080",
        "chrome-extension://abcdefghijklmnop",
        "https://xn--bcher-kva.example",
    ] {
        origin(ok).build().unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn subdomain_patterns_over_public_suffixes_are_refused() {
    for (suffix, pattern) in [
        ("com", "https://*.com"),
        ("co.uk", "https://*.co.uk"),
        ("github.io", "https://*.github.io"),
    ] {
        assert_issue(
            pattern,
            CorsPolicy::builder().allow_origin_pattern(pattern),
            IssueKind::PublicSuffixPattern,
            pattern,
            &format!("{pattern:?} covers the public suffix {suffix:?}, under which anyone can register a domain: use a pattern over a domain you control, e.g. \"https://*.example.{suffix}\""),
        );
    }
}

#[test]
fn globs_directly_under_public_suffixes_are_refused() {
    for (suffix, pattern, sibling) in [
        (
            "vercel.app",
            "https://myapp-*.vercel.app",
            "https://myapp-attacker.vercel.app",
        ),
        (
            "netlify.app",
            "https://*--mysite.netlify.app",
            "https://attacker--mysite.netlify.app",
        ),
        ("com", "https://*example.com", "https://attackerexample.com"),
        (
            "github.io",
            "https://me-*.github.io",
            "https://me-attacker.github.io",
        ),
    ] {
        assert_issue(
            pattern,
            CorsPolicy::builder().allow_origin_pattern(pattern),
            IssueKind::PublicSuffixPattern,
            pattern,
            &format!("{pattern:?} puts its wildcard directly under the public suffix {suffix:?}, where anyone can register a name, so it also matches a stranger's {sibling:?}: list your preview origins exactly with allow_origin(), or write an anchored regex with allow_origin_regex() (feature \"regex\") that only your own names can match"),
        );
    }
    // One label further down is a registrable domain's own subdomain: allowed.
    for ok in ["https://pr-*.myapp.vercel.app", "https://pr-*.example.com"] {
        CorsPolicy::builder()
            .allow_origin_pattern(ok)
            .build()
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn patterns_have_one_whole_label_or_port_wildcard() {
    let rule = "\"*\" may appear once, in the leftmost label: as the whole label (\"https://*.example.com\"), inside it (\"https://pr-*.preview.example.com\"), or as the whole port (\"http://localhost:*\")";
    let cases = [
        ("two stars in a label", "https://pr-*-*.example.com", format!("\"https://pr-*-*.example.com\" is not a valid origin pattern: {rule}")),
        ("inner label", "https://a.*.example.com", format!("\"https://a.*.example.com\" is not a valid origin pattern: {rule}")),
        ("bare star host", "https://*", format!("\"https://*\" is not a valid origin pattern: {rule}, in front of a domain")),
        ("opaque-host scheme", "chrome-extension://*", "\"chrome-extension://*\" is a pattern over the \"chrome-extension\" scheme, whose hosts are opaque names (extension IDs, app shells) with no subdomains to match: list each origin exactly with allow_origin(), as the browser or app sends it".to_owned()),
        ("partial port", "http://localhost:80*", format!("\"http://localhost:80*\" is not a valid origin pattern: {rule}")),
        ("ip address", "https://*.10.0.0.1", "\"https://*.10.0.0.1\" is not a valid origin pattern: an IP address has no subdomains".to_owned()),
        ("not canonical", "https://*.Example.com", "\"https://*.Example.com\" is not a valid origin pattern: write it as browsers send origins (lowercase the host): did you mean \"https://*.example.com\"?".to_owned()),
    ];
    for (desc, input, message) in cases {
        assert_issue(
            desc,
            CorsPolicy::builder().allow_origin_pattern(input),
            IssueKind::InvalidPattern,
            input,
            &message,
        );
    }
    for ok in [
        "https://*.example.com",
        "http://localhost:*",
        "https://*.example.com:*",
        "https://*.example.co.uk:8443",
        "https://pr-*.preview.example.com",
        "https://*-staging.example.com",
        "https://*--preview.example.co.uk:*",
        "http://*.localhost:*",
    ] {
        CorsPolicy::builder()
            .allow_origin_pattern(ok)
            .build()
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn any_origin_with_credentials_is_impossible_to_build() {
    assert_issue(
        "any origin + credentials",
        CorsPolicy::builder().allow_any_origin().allow_credentials(true),
        IssueKind::AnyOriginWithCredentials,
        "",
        "allow_any_origin() cannot be combined with allow_credentials(true): browsers reject \"*\" with credentials, and reflecting every origin instead would let any site read credentialed responses; list the trusted origins with allow_origin() or allow_origin_pattern() (patterns such as \"http://localhost:*\" for development, \"https://pr-*.preview.example.com\" for previews) or decide them in code with allow_origin_fn(); the credentials guide (tower_cors::docs::credentials) shows how for development, previews and tenants",
    );
}

#[test]
fn any_origin_with_explicit_origins_is_refused() {
    let message = "allow_any_origin() already allows every origin: remove the origins and patterns (allow_origin()), regexes (allow_origin_regex()), allow_origin_fn(), and allow_null_origin(), or remove allow_any_origin()";
    let cases = [
        (
            "exact",
            CorsPolicy::builder()
                .allow_any_origin()
                .allow_origin("https://a.example"),
        ),
        (
            "pattern",
            CorsPolicy::builder()
                .allow_any_origin()
                .allow_origin_pattern("https://*.example.com"),
        ),
        (
            "null",
            CorsPolicy::builder().allow_any_origin().allow_null_origin(),
        ),
    ];
    for (desc, builder) in cases {
        assert_issue(
            desc,
            builder,
            IssueKind::AnyOriginWithExplicitOrigins,
            "",
            message,
        );
    }
}

#[test]
fn null_origin_with_credentials_is_impossible_to_build() {
    assert_issue(
        "null + credentials",
        origin("https://a.example").allow_null_origin().allow_credentials(true),
        IssueKind::NullOriginWithCredentials,
        "null",
        "allow_null_origin() cannot be combined with allow_credentials(true): any page can send \"Origin: null\" from a sandboxed iframe and read credentialed responses; remove one of them",
    );
}

#[test]
fn some_origin_must_be_allowed() {
    assert_issue(
        "empty builder",
        CorsPolicy::builder().allow_credentials(true),
        IssueKind::NoOrigin,
        "",
        "no origin is allowed: list origins or patterns with allow_origin(), or use allow_any_origin()",
    );
}

#[test]
fn wildcards_are_only_valid_without_credentials() {
    let credentialed = || origin("https://a.example").allow_credentials(true);
    let cases = [
        ("methods", credentialed().allow_methods(["*"]), "\"*\" in allow_methods() is read literally by browsers when credentials are allowed: list the methods explicitly, or remove allow_credentials(true)"),
        ("headers", credentialed().allow_headers(["*", "authorization"]), "\"*\" in allow_headers() is read literally by browsers when credentials are allowed: list the header names explicitly, or remove allow_credentials(true)"),
        ("exposed", credentialed().expose_headers(["*"]), "\"*\" in expose_headers() is read literally by browsers when credentials are allowed: list the header names explicitly, or remove allow_credentials(true)"),
    ];
    for (desc, builder, message) in cases {
        assert_issue(
            desc,
            builder,
            IssueKind::WildcardWithCredentials,
            "*",
            message,
        );
    }
    // Without credentials `*` is valid, beside explicit names.
    CorsPolicy::builder()
        .allow_any_origin()
        .allow_methods(["*"])
        .allow_headers(["*", "authorization"])
        .expose_headers(["*"])
        .build()
        .expect("wildcards without credentials");
}

#[test]
fn methods_must_be_valid_tokens() {
    let cases = [
        ("not a token", "GET POST", "\"GET POST\" is not a valid method: a method is one token (letters, digits and !#$%&'*+-.^_`|~)"),
        ("forbidden", "CONNECT", "\"CONNECT\" is a forbidden method that browsers never send: remove it"),
        ("forbidden any case", "trace", "\"trace\" is a forbidden method that browsers never send: remove it"),
        ("normalized method in lowercase", "put", "\"put\" is upper-cased by browsers before sending, so it never matches: did you mean \"PUT\"?"),
        ("registered method in lowercase", "patch", "\"patch\" is the registered method \"PATCH\" in another case: methods compare byte for byte and clients send \"PATCH\", so \"patch\" would refuse them: did you mean \"PATCH\"?"),
        ("registered method in mixed case", "Propfind", "\"Propfind\" is the registered method \"PROPFIND\" in another case: methods compare byte for byte and clients send \"PROPFIND\", so \"Propfind\" would refuse them: did you mean \"PROPFIND\"?"),
    ];
    for (desc, input, message) in cases {
        assert_issue(
            desc,
            origin("https://a.example").allow_methods([input]),
            IssueKind::InvalidMethod,
            input,
            message,
        );
    }
    // Extension methods are compared byte-exactly, so lowercase is legitimate.
    origin("https://a.example")
        .allow_methods([Method::PATCH])
        .allow_methods(["purge", "PROPFIND"])
        .build()
        .expect("custom methods");
}

#[test]
fn header_names_must_be_valid_tokens() {
    assert_issue(
        "allow not a token",
        origin("https://a.example").allow_headers(["x bad"]),
        IssueKind::InvalidHeaderName,
        "x bad",
        "\"x bad\" in allow_headers() is not a valid header name: a header name is one token (letters, digits and !#$%&'*+-.^_`|~)",
    );
    assert_issue(
        "expose not a token",
        origin("https://a.example").expose_headers(["x:y"]),
        IssueKind::InvalidHeaderName,
        "x:y",
        "\"x:y\" in expose_headers() is not a valid header name: a header name is one token (letters, digits and !#$%&'*+-.^_`|~)",
    );
    assert_issue(
        "cookie",
        origin("https://a.example").allow_headers(["Cookie"]),
        IssueKind::ForbiddenHeaderName,
        "cookie",
        "\"cookie\" in allow_headers() is a forbidden request header that scripts cannot set: remove it (cookies are sent when allow_credentials(true) is set and the request uses credentials)",
    );
    assert_issue(
        "host",
        origin("https://a.example").allow_headers([HeaderName::from_static("host")]),
        IssueKind::ForbiddenHeaderName,
        "host",
        "\"host\" in allow_headers() is a forbidden request header that scripts cannot set, so browsers never ask for it: remove it",
    );
    assert_issue(
        "set-cookie exposed",
        origin("https://a.example").expose_headers(["set-cookie"]),
        IssueKind::ForbiddenHeaderName,
        "set-cookie",
        "\"set-cookie\" in expose_headers() is never exposed to scripts by browsers: remove it",
    );
    // Any case is accepted and compared case-insensitively.
    origin("https://a.example")
        .allow_headers(["Content-Type", "X-Request-ID"])
        .expose_headers([HeaderName::from_static("x-request-id")])
        .build()
        .expect("mixed case");
}

#[test]
fn preflight_status_is_200_or_204() {
    assert_issue(
        "500",
        origin("https://a.example").preflight_status(StatusCode::INTERNAL_SERVER_ERROR),
        IssueKind::InvalidPreflightStatus,
        "500",
        "preflight status 500 is not 200 or 204: use 204 (default) or 200",
    );
}

#[test]
fn max_age_above_browser_caps_is_allowed() {
    // Chromium caps at 7200 s, Firefox at 86400 s, WebKit at 600 s; larger is sent as given.
    origin("https://a.example")
        .max_age(Duration::from_secs(86_400 * 7))
        .build()
        .expect("large max-age");
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = CorsPolicy::builder()
        .allow_any_origin()
        .allow_origin("https://example.com/")
        .allow_credentials(true)
        .allow_methods(["put"])
        .allow_headers(["*", "bad header"])
        .preflight_status(StatusCode::ACCEPTED)
        .build()
        .expect_err("many problems");
    let kinds: Vec<IssueKind> = err.issues().iter().map(|i| i.kind()).collect();
    assert_eq!(
        kinds,
        [
            IssueKind::InvalidOrigin,
            IssueKind::AnyOriginWithExplicitOrigins,
            IssueKind::AnyOriginWithCredentials,
            IssueKind::InvalidMethod,
            IssueKind::WildcardWithCredentials,
            IssueKind::InvalidHeaderName,
            IssueKind::InvalidPreflightStatus,
        ]
    );
    let text = err.to_string();
    assert!(
        text.starts_with("invalid CORS policy (7 problems):\n  - \"https://example.com/\""),
        "{text}"
    );
    assert_eq!(text.lines().count(), 8, "{text}");
}

#[cfg(feature = "regex")]
#[test]
fn regexes_are_anchored_and_checked() {
    let cases = [
        ("unescaped dot", "https://www.example.com", false, "\"https://www.example.com\" is not a safe origin regex: a bare \".\" matches any character (\"www.example.com\" also matches \"wwwXexample.com\"): write \"\\.\" for a literal dot"),
        ("matches everything with credentials", r"https://.+", true, "\"https://.+\" is not a safe origin regex: with allow_credentials(true) it may match only origins on registrable domains it spells out (at most 16), localhost or loopback addresses, but it matches \"https://evil.com\", which a stranger can claim: anchor the host to your own domain, e.g. \"https://[a-z0-9-]+\\\\.example\\\\.com\" or the pattern \"https://*.example.com\""),
        ("matches null", r"null|https://a\.example", false, "\"null|https://a\\\\.example\" is not a safe origin regex: it matches \"null\": use allow_null_origin() if you mean it"),
    ];
    for (desc, input, credentials, message) in cases {
        assert_issue(
            desc,
            CorsPolicy::builder()
                .allow_origin_regex(input)
                .allow_credentials(credentials),
            IssueKind::InvalidRegex,
            input,
            message,
        );
    }
    let policy = CorsPolicy::builder()
        .allow_origin_regex(r"https://pr-[0-9]+\.preview\.example\.com")
        .allow_credentials(true)
        .build()
        .expect("safe regex");
    let decide = |o: &str| {
        let req = http::Request::get("/")
            .header("origin", o)
            .body(())
            .expect("request");
        policy.evaluate_request(&req).is_allowed()
    };
    assert!(decide("https://pr-42.preview.example.com"));
    assert!(
        !decide("https://pr-42.preview.example.com.evil.example"),
        "anchored at the end"
    );
    assert!(
        !decide("https://x.pr-42.preview.example.com"),
        "anchored at the start"
    );
}

#[test]
fn policy_is_cheap_to_clone_and_thread_safe() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<CorsPolicy>();
    assert_traits::<tower_cors::CorsLayer>();
    assert_traits::<PolicyError>();
}

#[test]
fn patterns_without_scheme_say_so() {
    let pattern = |p: &str| CorsPolicy::builder().allow_origin_pattern(p);
    let cases = [
        ("subdomain pattern", "*.example.com", "\"*.example.com\" is not a valid origin pattern: add the scheme, e.g. \"https://*.example.com\""),
        ("localhost port pattern", "localhost:*", "\"localhost:*\" is not a valid origin pattern: add the scheme, e.g. \"http://localhost:*\" (development servers on localhost are plain HTTP)"),
    ];
    for (desc, input, message) in cases {
        assert_issue(
            desc,
            pattern(input),
            IssueKind::InvalidPattern,
            input,
            message,
        );
    }
}

#[test]
fn policy_error_debug_prints_the_readable_list() {
    // `fn main() -> Result<(), Box<dyn Error>>` prints errors with Debug.
    let err = error(origin("https://a.example/").allow_methods(["patch"]));
    let boxed: Box<dyn std::error::Error> = Box::new(err.clone());
    assert_eq!(format!("{boxed:?}"), err.to_string());
    assert!(!format!("{err:?}").contains("Issue {"), "{err:?}");
}
