//! The probe of an `allow_origin_fn` predicate under credentials or the
//! WebSocket guard: strangers' origins on typical requests. A probe, not a
//! proof: a predicate is trusted code.

use http::request::Parts;
use http::{HeaderName, HeaderValue, Method, Request, Uri};

use crate::error::{Issue, IssueKind, Message, Setting};
use crate::matcher::OriginFn;
use crate::origin::Origin;

/// Origins no trusted list should hold: names under the reserved
/// `.invalid`, `.example` and `.test` top-level domains (RFC 2606) and
/// documentation IP addresses (RFC 5737, RFC 3849), over both schemes.
const PROBE_ORIGINS: [&str; 7] = [
    "https://tower-cors-probe.invalid",
    "http://tower-cors-probe.invalid",
    "https://evil.tower-cors-probe.invalid:8443",
    "https://stranger.example",
    "https://attacker.test",
    "http://203.0.113.7",
    "https://[2001:db8::7]:8443",
];

/// The requests each probe origin is sent with: a simple `GET`, an
/// authenticated API call with a `Host` and a cookie, a form `POST`, a
/// preflight, and a WebSocket handshake, on several paths.
fn probe_requests(origin: &str) -> impl Iterator<Item = Parts> + '_ {
    type Shape = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );
    let shapes: [Shape; 6] = [
        ("GET", "/", &[]),
        (
            "GET",
            "/api/v1/users/me",
            &[("host", "api.example.com"), ("cookie", "session=1")],
        ),
        (
            "POST",
            "/api/transfer",
            &[("host", "app.example.com"), ("content-type", "text/plain")],
        ),
        (
            "OPTIONS",
            "/api/items/1",
            &[
                ("host", "api.example.com"),
                ("access-control-request-method", "DELETE"),
                ("access-control-request-headers", "authorization"),
            ],
        ),
        (
            "GET",
            "/ws",
            &[
                ("host", "localhost:3000"),
                ("connection", "upgrade"),
                ("upgrade", "websocket"),
            ],
        ),
        ("GET", "/public/index.html?q=1", &[("host", "example.com")]),
    ];
    shapes
        .into_iter()
        .filter_map(move |(method, path, headers)| {
            let (mut parts, ()) = Request::new(()).into_parts();
            parts.method = Method::from_bytes(method.as_bytes()).ok()?;
            parts.uri = Uri::from_static(path);
            for &(name, value) in headers {
                let name = HeaderName::from_static(name);
                parts.headers.append(name, HeaderValue::from_static(value));
            }
            let origin = HeaderValue::from_str(origin).ok()?;
            parts.headers.append(http::header::ORIGIN, origin);
            Some(parts)
        })
}

/// Calls a credentialed predicate with strangers' origins on typical
/// requests; the first one it accepts, or a panic, is an issue. This proves
/// nothing about origins it was not shown: a predicate is trusted code.
pub(super) fn probe_predicate(predicate: &OriginFn, setting: Setting) -> Option<Issue> {
    for probe in PROBE_ORIGINS {
        let Some(origin) = Origin::parse(probe) else {
            continue;
        };
        for parts in probe_requests(probe) {
            let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (predicate.0)(&origin, &parts)
            }));
            let on = format!("{probe:?} on {} {}", parts.method, parts.uri);
            match call {
                Ok(false) => {}
                Ok(true) => {
                    return Some(Issue::new(
                        IssueKind::PredicateAllowsAnyOrigin,
                        probe,
                        Message::from("the ")
                            .name(Setting::AllowOriginFn)
                            .text(format!(" function accepts origins no one trusts (it accepted {on}): with "))
                            .on(setting)
                            .text(" that lets any site read your users' responses (CVE-2018-20744); compare origin.scheme(), origin.host() and origin.port() with the origins you trust"),
                    ))
                }
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    return Some(Issue::new(
                        IssueKind::PredicatePanicked,
                        probe,
                        Message::from("the ")
                            .name(Setting::AllowOriginFn)
                            .text(format!(" function panicked when called with {on} ({what:?}): it runs on every request whose origin the lists do not allow, so it must not panic; read headers with parts.headers.get(), which returns an Option")),
                    ));
                }
            }
        }
    }
    None
}
