//! `PolicyBuilder::build` from arbitrary configuration: it never panics; an error lists at
//! least one issue; a policy that builds is never one of the insecure combinations, and
//! every response it gives to a few probe requests keeps the invariants.
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use std::time::Duration;

use arbitrary::Arbitrary;
use common::invariants::PolicyShape;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower_cors::CorsPolicy;

const SCHEMES: &[&str] = &[
    "https",
    "http",
    "HTTPS",
    "ws",
    "chrome-extension",
    "safari-web-extension",
    "capacitor",
    "",
    "null",
];
const HOSTS: &[&str] = &[
    "app.example.com",
    "*.example.com",
    "*.com",
    "*.co.uk",
    "*.github.io",
    "*",
    "localhost",
    "*.localhost",
    "127.0.0.1",
    "[::1]",
    "[0:0::1]",
    "bücher.example",
    "Example.COM",
    "*example.com",
    "a.*.example.com",
    "xn--bcher-kva.example",
    "pr-*.preview.example.com",
    "*-staging.example.com",
    "PR-*.example.com",
    "myapp-*.vercel.app",
    "*--mysite.netlify.app",
    "pr-*-*.example.com",
    "pr-*",
    "1B2C3D4E-AAAA",
    "",
];
const PORTS: &[&str] = &["", ":443", ":80", ":8080", ":*", ":0", ":65536", ":8*", ":"];
const SUFFIXES: &[&str] = &["", "/", "/path", "?q", "#f", " ", "."];
const REGEXES: &[&str] = &[
    r"https://[a-z]+\.example\.com",
    r"https://www.example.com",
    r".*",
    r"https?://.+",
    r"null|https://a\.com",
    r"https://(",
    r"http://localhost:\d+",
    r"(?i)HTTPS://APP\.EXAMPLE\.COM",
];
const METHODS: &[&str] = &[
    "GET",
    "PUT",
    "patch",
    "delete",
    "*",
    "TRACE",
    "CONNECT",
    "bad method",
    "",
];
const HEADERS: &[&str] = &[
    "content-type",
    "X-Custom",
    "authorization",
    "*",
    "cookie",
    "set-cookie",
    "sec-fetch-mode",
    "bad header",
    "",
    "x-request-id",
];

#[derive(Arbitrary, Debug)]
enum Text {
    Known(u8),
    Composed(u8, u8, u8, u8),
    Raw(String),
}

impl Text {
    fn origin(&self) -> String {
        match self {
            Text::Known(i) => {
                let all = [
                    "https://app.example.com",
                    "https://app.example.com/",
                    "null",
                    "*",
                    "http://localhost:3000",
                    "https://*.example.com",
                    "https://pr-*.preview.example.com",
                    "https://pr-7.preview.example.com",
                    "safari-web-extension://1B2C3D4E-AAAA",
                ];
                all[usize::from(*i) % all.len()].to_owned()
            }
            Text::Composed(s, h, p, x) => format!(
                "{}://{}{}{}",
                SCHEMES[usize::from(*s) % SCHEMES.len()],
                HOSTS[usize::from(*h) % HOSTS.len()],
                PORTS[usize::from(*p) % PORTS.len()],
                SUFFIXES[usize::from(*x) % SUFFIXES.len()]
            ),
            Text::Raw(s) => s.clone(),
        }
    }

    fn pick(&self, list: &[&str]) -> String {
        match self {
            Text::Known(i) | Text::Composed(i, ..) => list[usize::from(*i) % list.len()].to_owned(),
            Text::Raw(s) => s.chars().take(64).collect(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Probe {
    origin: Text,
    preflight: bool,
    method: Text,
    request_headers: Text,
}

#[derive(Arbitrary, Debug)]
struct Config {
    origins: Vec<Text>,
    patterns: Vec<Text>,
    regexes: Vec<Text>,
    any_origin: bool,
    null_origin: bool,
    methods: Vec<Text>,
    headers: Vec<Text>,
    expose: Vec<Text>,
    credentials: bool,
    max_age: Option<u32>,
    preflight_status: Option<u16>,
    strict: bool,
    probes: Vec<Probe>,
}

fuzz_target!(|config: Config| {
    let origins: Vec<String> = config.origins.iter().map(Text::origin).collect();
    let patterns: Vec<String> = config.patterns.iter().map(Text::origin).collect();
    let regexes: Vec<String> = config.regexes.iter().map(|t| t.pick(REGEXES)).collect();
    let methods: Vec<String> = config.methods.iter().map(|t| t.pick(METHODS)).collect();
    let headers: Vec<String> = config.headers.iter().map(|t| t.pick(HEADERS)).collect();
    let expose: Vec<String> = config.expose.iter().map(|t| t.pick(HEADERS)).collect();

    let mut b = CorsPolicy::builder();
    if config.any_origin {
        b = b.allow_any_origin();
    }
    if config.null_origin {
        b = b.allow_null_origin();
    }
    b = b.allow_origins(&origins);
    for p in &patterns {
        b = b.allow_origin_pattern(p);
    }
    for r in &regexes {
        b = b.allow_origin_regex(r);
    }
    b = b
        .allow_methods(methods.iter().map(String::as_str))
        .allow_headers(headers.iter().map(String::as_str))
        .expose_headers(expose.iter().map(String::as_str))
        .allow_credentials(config.credentials)
        .strict(config.strict);
    if let Some(secs) = config.max_age {
        b = b.max_age(Duration::from_secs(u64::from(secs)));
    }
    if let Some(code) = config
        .preflight_status
        .and_then(|c| StatusCode::from_u16(c).ok())
    {
        b = b.preflight_status(code);
    }
    let policy = match b.build() {
        Ok(p) => p,
        Err(e) => {
            assert!(!e.issues().is_empty(), "error without issues");
            assert!(!e.to_string().is_empty(), "empty error message");
            for issue in e.issues() {
                let _ = (issue.kind(), issue.input(), issue.to_string());
            }
            return;
        }
    };
    // Insecure combinations never build.
    assert!(
        !(config.any_origin && config.credentials),
        "any origin with credentials built"
    );
    assert!(
        !(config.null_origin && config.credentials),
        "null with credentials built"
    );
    if config.credentials {
        for list in [&methods, &headers, &expose] {
            assert!(!list.iter().any(|m| m == "*"), "* with credentials built");
        }
    }
    let shape = PolicyShape {
        any_origin: config.any_origin,
        allow_null: config.null_origin,
        credentials: config.credentials,
        strict: config.strict,
        explain: false,
    };
    for probe in config.probes.iter().take(4) {
        let Ok(origin) = HeaderValue::from_str(&probe.origin.origin()) else {
            continue;
        };
        let mut req = Request::new(());
        req.headers_mut().insert("origin", origin);
        if probe.preflight {
            *req.method_mut() = Method::OPTIONS;
            let Ok(m) = HeaderValue::from_str(&probe.method.pick(METHODS)) else {
                continue;
            };
            req.headers_mut().insert("access-control-request-method", m);
            let Ok(h) = HeaderValue::from_str(&probe.request_headers.pick(HEADERS)) else {
                continue;
            };
            req.headers_mut()
                .insert("access-control-request-headers", h);
        }
        common::exchange(&policy, &shape, HeaderMap::new(), StatusCode::OK, req);
    }
});
