//! Full service calls on arbitrary requests: arbitrary method, target and headers (the CORS
//! ones, `Host`, `Sec-Fetch-Site` and the WebSocket handshake's drawn often), an application
//! that answers any status with arbitrary headers of its own. The layer is one of the fixed
//! policies (origin predicates among them), a per-path table of them, or a reloadable layer
//! whose policy is replaced between calls. No panic, and every response invariant holds for
//! the policy that answers it (none on a path no prefix covers).
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use arbitrary::Arbitrary;
use common::harness::Served;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use libfuzzer_sys::fuzz_target;
use tower_cors::{CorsLayer, PathPolicies};

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
    "host",
    "sec-fetch-site",
    "connection",
    "upgrade",
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
    "https://shop.acme.test",
    "https://acme.test:8443",
    "http://x.tenants.example.com",
    "https://api.example.net",
    "http://api.example.net:8443",
    "api.example.net",
    "api.example.net:443",
    "API.example.net:8443",
    "same-origin",
    "cross-site",
    "Upgrade",
    "keep-alive, upgrade",
    "websocket",
];
const METHODS: &[&str] = &["GET", "OPTIONS", "POST", "PUT", "HEAD", "patch", "CONNECT"];

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

/// How the fixtures are put in a layer.
#[derive(Arbitrary, Debug)]
enum Layout {
    /// `CorsLayer::new` of the fixture.
    Fixed,
    /// `CorsLayer::per_path`: (prefix, fixture) pairs (a repeated prefix is skipped) and an
    /// optional fallback fixture.
    PerPath {
        table: Vec<(u8, u8)>,
        fallback: Option<u8>,
    },
    /// `CorsLayer::reloadable` of the fixture, replaced by the steps.
    Reloadable,
}

/// A further request on the same service, after an optional policy replacement.
#[derive(Arbitrary, Debug)]
struct Step {
    swap_to: Option<u8>,
    method: Name,
    target: u8,
    headers: Vec<(Name, Value)>,
    inner_status: u16,
}

#[derive(Arbitrary, Debug)]
struct Input {
    fixture: u8,
    method: Name,
    headers: Vec<(Name, Value)>,
    inner_headers: Vec<(Name, Value)>,
    inner_status: u16,
    layout: Layout,
    target: u8,
    steps: Vec<Step>,
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

fn request(method: &Name, target: u8, headers: &[(Name, Value)]) -> Option<Request<()>> {
    let method = match method {
        Name::Known(i) => Method::from_bytes(METHODS[usize::from(*i) % METHODS.len()].as_bytes()),
        Name::Raw(s) => Method::from_bytes(s.as_bytes()),
    }
    .ok()?;
    let target = common::TARGETS[usize::from(target) % common::TARGETS.len()];
    let mut req = Request::new(());
    *req.method_mut() = method;
    *req.uri_mut() = Uri::from_static(target);
    *req.headers_mut() = header_map(headers);
    Some(req)
}

/// Which fixture answers a request (`None`: no policy covers its path).
enum Answering {
    One(usize),
    Table(Vec<(&'static str, usize)>, Option<usize>),
}

impl Answering {
    /// How a path no entry covers is answered: the table fails closed like its strictest
    /// entries (strict, guarding WebSockets).
    fn uncovered(&self) -> common::invariants::Answerer {
        let fixtures = common::fixtures();
        let used: Vec<&common::Fixture> = match self {
            Answering::One(i) => vec![&fixtures[*i]],
            Answering::Table(entries, fallback) => entries
                .iter()
                .map(|(_, i)| *i)
                .chain(*fallback)
                .map(|i| &fixtures[i])
                .collect(),
        };
        common::invariants::Answerer::Uncovered {
            strict: used.iter().any(|f| f.shape.strict),
            guard_websockets: used.iter().any(|f| f.guard_websockets),
        }
    }

    fn fixture_for(&self, req: &Request<()>) -> Option<usize> {
        match self {
            Answering::One(i) => Some(*i),
            Answering::Table(entries, fallback) => {
                match common::reference_entry(entries, &req.uri().to_string()) {
                    Some(e) => Some(entries[e].1),
                    None => *fallback,
                }
            }
        }
    }
}

fn send(
    served: &mut Served,
    answering: &Answering,
    inner_headers: &HeaderMap,
    status: u16,
    req: Request<()>,
) {
    let fixtures = common::fixtures();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let fixture = answering.fixture_for(&req).map(|i| &fixtures[i]);
    let answerer = match fixture {
        Some(f) => f.answerer(),
        None => answering.uncovered(),
    };
    common::exchange_by(
        served,
        fixture.map(|f| &f.policy),
        &answerer,
        inner_headers.clone(),
        status,
        req,
    );
}

fuzz_target!(|input: Input| {
    let fixtures = common::fixtures();
    let pick = |i: u8| usize::from(i) % fixtures.len();
    let first = pick(input.fixture);
    let (layer, handle, mut answering) = match &input.layout {
        Layout::Fixed => (
            CorsLayer::new(fixtures[first].policy.clone()),
            None,
            Answering::One(first),
        ),
        Layout::Reloadable => {
            let (layer, handle) = CorsLayer::reloadable(fixtures[first].policy.clone());
            (layer, Some(handle), Answering::One(first))
        }
        Layout::PerPath { table, fallback } => {
            let mut builder = PathPolicies::builder();
            let mut entries: Vec<(&'static str, usize)> = Vec::new();
            for (prefix, fixture) in table.iter().take(8) {
                let prefix = common::PREFIXES[usize::from(*prefix) % common::PREFIXES.len()];
                if entries.iter().any(|(p, _)| *p == prefix) {
                    continue;
                }
                builder = builder.prefix(prefix, fixtures[pick(*fixture)].policy.clone());
                entries.push((prefix, pick(*fixture)));
            }
            let fallback = fallback.map(pick);
            if let Some(f) = fallback {
                builder = builder.fallback(fixtures[f].policy.clone());
            }
            let paths = builder
                .build()
                .expect("distinct, well-formed prefixes build");
            (
                CorsLayer::per_path(paths),
                None,
                Answering::Table(entries, fallback),
            )
        }
    };
    let mut served = Served::new(&layer);
    let inner_headers = header_map(&input.inner_headers);
    if let Some(req) = request(&input.method, input.target, &input.headers) {
        send(
            &mut served,
            &answering,
            &inner_headers,
            input.inner_status,
            req,
        );
    }
    for step in input.steps.iter().take(16) {
        if let (Some(handle), Some(to)) = (&handle, step.swap_to) {
            let to = pick(to);
            handle.replace(fixtures[to].policy.clone());
            answering = Answering::One(to);
        }
        if let Some(req) = request(&step.method, step.target, &step.headers) {
            send(
                &mut served,
                &answering,
                &inner_headers,
                step.inner_status,
                req,
            );
        }
    }
});
