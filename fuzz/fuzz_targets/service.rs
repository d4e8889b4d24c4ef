//! A full service call on arbitrary requests: arbitrary method and headers (the CORS ones
//! drawn often), an application that answers any status with arbitrary headers of its own,
//! four fixed policies. No panic, and every response invariant holds.
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use arbitrary::Arbitrary;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "access-control-request-private-network",
    "vary",
    "authorization",
    "content-type",
    "cookie",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "access-control-allow-private-network",
    "x-custom",
];
const VALUES: &[&str] = &[
    common::APP,
    "https://admin.example.com",
    "https://a.example.org",
    "https://a.example.net",
    "http://localhost:3000",
    "https://evil.com",
    "null",
    "PUT",
    "GET",
    "patch",
    "content-type",
    "x-custom, authorization",
    "*",
    "true",
    "Origin",
    "Accept-Encoding, origin",
    "",
];
const METHODS: &[&str] = &["GET", "OPTIONS", "POST", "PUT", "HEAD", "patch"];

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Known(u8),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    fixture: u8,
    method: Name,
    headers: Vec<(Name, Value)>,
    inner_headers: Vec<(Name, Value)>,
    inner_status: u16,
}

fn header_map(pairs: &[(Name, Value)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = match name {
            Name::Known(i) => HeaderName::from_static(NAMES[usize::from(*i) % NAMES.len()]),
            Name::Raw(s) => match HeaderName::from_bytes(s.as_bytes()) {
                Ok(n) => n,
                Err(_) => continue,
            },
        };
        let value = match value {
            Value::Known(i) => HeaderValue::from_static(VALUES[usize::from(*i) % VALUES.len()]),
            Value::Raw(b) => match HeaderValue::from_bytes(b) {
                Ok(v) => v,
                Err(_) => continue,
            },
        };
        map.append(name, value);
    }
    map
}

fuzz_target!(|input: Input| {
    let fixtures = common::fixtures();
    let fixture = &fixtures[usize::from(input.fixture) % fixtures.len()];
    let method = match &input.method {
        Name::Known(i) => Method::from_bytes(METHODS[usize::from(*i) % METHODS.len()].as_bytes()),
        Name::Raw(s) => Method::from_bytes(s.as_bytes()),
    };
    let Ok(method) = method else {
        return;
    };
    let status = StatusCode::from_u16(input.inner_status).unwrap_or(StatusCode::OK);
    let mut req = Request::new(());
    *req.method_mut() = method;
    *req.headers_mut() = header_map(&input.headers);
    common::exchange(
        &fixture.policy,
        &fixture.shape,
        header_map(&input.inner_headers),
        status,
        req,
    );
});
