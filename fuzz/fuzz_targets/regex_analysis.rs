//! The analysis of credentialed origin regexes: arbitrary text as an origin regex, built with
//! credentials and with the WebSocket guard. Building never panics and finishes within the
//! fuzzer's time and memory limits; an error lists at least one issue; both settings agree;
//! a regex that builds with credentials also builds without them, and a policy that builds
//! answers a few requests without panicking.
#![no_main]

use http::Request;
use libfuzzer_sys::fuzz_target;
use tower_cors::{CorsPolicy, IssueKind};

const PROBES: &[&str] = &[
    "https://app.example.com",
    "https://evil.com",
    "http://localhost:3000",
    "http://127.0.0.1:8080",
    "https://[::1]",
    "https://example.com.evil.io",
    "capacitor://localhost",
];

fuzz_target!(|data: &[u8]| {
    let Ok(expr) = std::str::from_utf8(data) else {
        return;
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
            assert!(!e.issues().is_empty(), "error without issues");
            assert!(!e.to_string().is_empty(), "empty error message");
            assert!(
                e.issues()
                    .iter()
                    .all(|i| i.kind() == IssueKind::InvalidRegex),
                "{expr:?}: {e}"
            );
        }
    }
    assert_eq!(
        credentialed.is_ok(),
        guarded.is_ok(),
        "{expr:?}: credentials and the guard disagree"
    );
    if let Ok(policy) = &credentialed {
        CorsPolicy::builder()
            .allow_origin_regex(expr)
            .build()
            .unwrap_or_else(|e| panic!("{expr:?} builds with credentials, not without: {e}"));
        for origin in PROBES {
            let req = Request::get("/")
                .header("origin", *origin)
                .body(())
                .expect("request");
            let _ = policy.evaluate(&req.into_parts().0).is_allowed();
        }
    }
});
