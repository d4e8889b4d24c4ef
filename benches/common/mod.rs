//! Stacks, policies and requests shared by the benchmarks.
//!
//! Every comparison uses one configuration, the same for tower-cors and tower-http:
//! exact allowed origins (the allowed one last), credentials on, methods `GET` and `POST`,
//! headers `content-type` and `authorization`, max-age 600 s. The inner service answers an
//! empty `200` from a named `Service` whose future is ready at the first poll.

#![allow(dead_code, unreachable_pub)]

pub mod floor;

use std::{
    convert::Infallible,
    fmt::Write as _,
    future::{ready, Future, Ready},
    pin::pin,
    sync::{Arc, OnceLock},
    task::{Context, Poll, Wake, Waker},
    time::Duration,
};

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Method, Request, Response};
use http_body_util::Empty;
use tower::{Layer, Service};

/// The allowed origin; it is the last entry of every exact-origin list.
///
/// The other entries, and the refused origin, have the same length.
pub const ALLOWED_ORIGIN: &str = "https://app.example.com";
/// An origin that no policy allows.
pub const REFUSED_ORIGIN: &str = "https://bad.example.com";
/// Size of the `Access-Control-Request-Headers` value made only of commas.
pub const COMMAS_LEN: usize = 1 << 20;
/// Number of names in the hostile `Access-Control-Request-Headers` inputs.
pub const HOSTILE_NAMES: usize = 10_000;

/// Body of the requests and of the inner service's responses.
pub type BenchBody = Empty<Bytes>;

/// The inner service: an empty `200` for every request, ready at the first poll.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ok200;

impl<B> Service<Request<B>> for Ok200 {
    type Response = Response<BenchBody>;
    type Error = Infallible;
    type Future = Ready<Result<Response<BenchBody>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        drop(req);
        ready(Ok(Response::new(Empty::new())))
    }
}

/// Which allowed origins a policy holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origins {
    /// `n` exact origins, `ALLOWED_ORIGIN` last.
    Exact(usize),
    /// `n` subdomain patterns `https://*.tenant{i}.example.com`, the matching one last.
    Patterns(usize),
    /// `n` anchored regular expressions, the matching one last.
    Regex(usize),
    /// `n` exact origins like [`Origins::Exact`], strict, guarding WebSockets, with an own
    /// origin: the policy whose refusals answer `403`.
    Strict(usize),
}

impl Origins {
    /// The dimension as it appears in benchmark names, e.g. `origins=3`.
    pub fn label(self) -> String {
        match self {
            Origins::Exact(n) => format!("origins={n}"),
            Origins::Patterns(n) => format!("patterns={n}"),
            Origins::Regex(n) => format!("regex={n}"),
            Origins::Strict(n) => format!("strict-origins={n}"),
        }
    }

    /// Parses a label made by [`Origins::label`].
    pub fn parse(s: &str) -> Option<Self> {
        let (kind, n) = s.split_once('=')?;
        let n = n.parse().ok()?;
        match kind {
            "origins" => Some(Origins::Exact(n)),
            "patterns" => Some(Origins::Patterns(n)),
            "regex" => Some(Origins::Regex(n)),
            "strict-origins" => Some(Origins::Strict(n)),
            _ => None,
        }
    }

    /// The exact origins of the list, allowed one last. Every origin has the length of the
    /// allowed one, so a linear scan compares bytes rather than lengths.
    pub fn exact_list(n: usize) -> Vec<String> {
        let mut list: Vec<String> = (0..n.saturating_sub(1))
            .map(|i| format!("https://{}.example.com", base36(i)))
            .collect();
        list.push(ALLOWED_ORIGIN.to_owned());
        list
    }

    /// The subdomain patterns, the one covering the allowed tenant last.
    pub fn pattern_list(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("https://*.tenant{}.example.com", n - 1 - i))
            .collect()
    }

    /// The regular expressions, the one covering the allowed tenant last.
    pub fn regex_list(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!(r"https://[a-z0-9.-]+\.tenant{}\.example\.com", n - 1 - i))
            .collect()
    }

    /// An allowed origin for this policy; for patterns and regexes, `len` bytes long
    /// (0: the shortest, `https://app.tenant0.example.com`).
    pub fn allowed_origin(self, len: usize) -> String {
        const SUFFIX: &str = ".tenant0.example.com";
        match self {
            Origins::Exact(_) | Origins::Strict(_) => ALLOWED_ORIGIN.to_owned(),
            Origins::Patterns(_) | Origins::Regex(_) if len == 0 => {
                format!("https://app{SUFFIX}")
            }
            Origins::Patterns(_) | Origins::Regex(_) => {
                // Labels of at most 63 bytes in front of the suffix, `len` bytes in all.
                let mut need = len.saturating_sub("https://".len() + SUFFIX.len()).max(1);
                let mut host = String::new();
                while need > 63 {
                    let label = (need - 2).min(63);
                    host.push_str(&"a".repeat(label));
                    host.push('.');
                    need -= label + 1;
                }
                host.push_str(&"b".repeat(need));
                format!("https://{host}{SUFFIX}")
            }
        }
    }
}

/// `i` as three base-36 digits: `000`, `001`, … (never `app`, nor `bad`, below 13,885).
fn base36(i: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    [i / 1296 % 36, i / 36 % 36, i % 36]
        .iter()
        .map(|&d| DIGITS[d] as char)
        .collect()
}

/// The tower-cors layer for a set of origins.
pub fn tower_cors_layer(origins: Origins) -> tower_cors::CorsLayer {
    tower_cors::CorsLayer::new(tower_cors_policy(
        origins,
        tower_cors::CorsPolicy::builder(),
    ))
}

/// The same policy, replaceable through a handle.
pub fn tower_cors_reloadable(origins: Origins) -> tower_cors::CorsLayer {
    tower_cors::CorsLayer::reloadable(tower_cors_policy(
        origins,
        tower_cors::CorsPolicy::builder(),
    ))
    .0
}

/// Number of prefixes of [`tower_cors_per_path`].
pub const PREFIXES: usize = 10;

/// The same policy under the last of [`PREFIXES`] path prefixes tried (`/`, the shortest:
/// the requests' path is `/`), the others `/service-{i}`.
fn per_path_table(origins: Origins) -> tower_cors::PathPolicies {
    let policy = tower_cors_policy(origins, tower_cors::CorsPolicy::builder());
    (0..PREFIXES - 1)
        .fold(tower_cors::PathPolicies::builder(), |b, i| {
            b.prefix(format!("/service-{i}"), policy.clone())
        })
        .prefix("/", policy)
        .build()
        .expect("benchmark prefixes are valid")
}

/// The table of [`per_path_table`] in a fixed layer.
pub fn tower_cors_per_path(origins: Origins) -> tower_cors::CorsLayer {
    tower_cors::CorsLayer::new(per_path_table(origins))
}

/// The table of [`per_path_table`], replaceable through a handle: each service reads the
/// table in force through its cache.
pub fn tower_cors_reloadable_per_path(origins: Origins) -> tower_cors::CorsLayer {
    tower_cors::CorsLayer::reloadable(per_path_table(origins)).0
}

/// The same policy with its origins decided by an `allow_origin_fn` predicate instead of
/// the exact list: a lookup in a `HashSet<String>` of the same origins (std's SipHash), as a
/// tenant table kept in memory would be.
pub fn tower_cors_predicate(origins: Origins) -> tower_cors::CorsLayer {
    let Origins::Exact(n) = origins else {
        panic!("the predicate policy stands for an exact list")
    };
    let allowed: std::collections::HashSet<String> = Origins::exact_list(n).into_iter().collect();
    let builder = tower_cors::CorsPolicy::builder().allow_origin_fn(
        move |origin: &tower_cors::Origin<'_>, _: &http::request::Parts| {
            allowed.contains(origin.as_str())
        },
    );
    tower_cors::CorsLayer::new(with_bench_settings(builder))
}

/// The benchmark policy for a set of origins, added to `builder`.
pub fn tower_cors_policy(
    origins: Origins,
    builder: tower_cors::PolicyBuilder,
) -> tower_cors::CorsPolicy {
    let builder = match origins {
        Origins::Exact(n) => builder.allow_origins(Origins::exact_list(n)),
        Origins::Strict(n) => builder
            .allow_origins(Origins::exact_list(n))
            .own_origins(["https://api.example.com"])
            .strict(true)
            .guard_websockets(true),
        Origins::Patterns(n) => Origins::pattern_list(n)
            .into_iter()
            .fold(builder, |b, p| b.allow_origin_pattern(p)),
        #[cfg(feature = "regex")]
        Origins::Regex(n) => Origins::regex_list(n)
            .into_iter()
            .fold(builder, |b, r| b.allow_origin_regex(r)),
        #[cfg(not(feature = "regex"))]
        Origins::Regex(_) => panic!("regex origins need `--features regex`"),
    };
    with_bench_settings(builder)
}

/// The benchmark policy's settings beside its origins.
pub fn with_bench_settings(builder: tower_cors::PolicyBuilder) -> tower_cors::CorsPolicy {
    builder
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(["content-type", "authorization"])
        .max_age(Duration::from_secs(600))
        .build()
        .expect("benchmark policy builds")
}

/// The tower-http layer for a set of exact origins (it has no pattern matcher).
pub fn tower_http_layer(origins: Origins) -> tower_http::cors::CorsLayer {
    let Origins::Exact(n) = origins else {
        panic!("tower-http has no origin patterns; only exact lists are compared")
    };
    let list = Origins::exact_list(n)
        .into_iter()
        .map(|o| HeaderValue::from_str(&o).expect("valid origin"));
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::list(list))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .max_age(Duration::from_secs(600))
}

/// The request kinds measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `GET` without `Origin`.
    NoOrigin,
    /// `GET` from the allowed origin.
    Allowed,
    /// `GET` from a refused origin.
    Refused,
    /// Preflight for `POST` with `content-type,authorization` from the allowed origin.
    Preflight,
    /// Preflight for `PUT` (not allowed) from the allowed origin.
    PreflightRefused,
    /// Preflight whose `Access-Control-Request-Headers` is 1 MiB of commas.
    HostileCommas,
    /// Preflight whose `Access-Control-Request-Headers` is one line of 10,000 names.
    HostileNames,
    /// Preflight with 10,000 `Access-Control-Request-Headers` lines of one one-byte name each
    /// (the most lines under a byte cap).
    HostileLines,
    /// `GET` with a 1 MiB `Origin`.
    OriginHuge,
    /// `GET` with an `Origin` one byte over the 1,024-byte cap.
    OriginOverCap,
    /// Preflight from the allowed origin whose `Access-Control-Request-Method` is 1 MiB.
    AcrmHuge,
    /// The same with a method one byte over the 64-byte cap.
    AcrmOverCap,
    /// `POST` from a refused origin with a 1 MiB `Host` (a strict policy refuses it).
    HostHuge,
    /// The same with a `Host` of 1,025 bytes.
    HostOverCap,
}

/// Size of the oversized `Origin`, `Access-Control-Request-Method` and `Host` values.
pub const HUGE_LEN: usize = 1 << 20;

/// Pairs of kinds whose cost must be equal: an input of 1 MiB and one just over its cap.
pub const CAPPED: [(Kind, Kind); 3] = [
    (Kind::OriginHuge, Kind::OriginOverCap),
    (Kind::AcrmHuge, Kind::AcrmOverCap),
    (Kind::HostHuge, Kind::HostOverCap),
];

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 14] = [
        Kind::NoOrigin,
        Kind::Allowed,
        Kind::Refused,
        Kind::Preflight,
        Kind::PreflightRefused,
        Kind::HostileCommas,
        Kind::HostileNames,
        Kind::HostileLines,
        Kind::OriginHuge,
        Kind::OriginOverCap,
        Kind::AcrmHuge,
        Kind::AcrmOverCap,
        Kind::HostHuge,
        Kind::HostOverCap,
    ];

    /// The dimension value as it appears in benchmark names.
    pub fn label(self) -> &'static str {
        match self {
            Kind::NoOrigin => "no-origin",
            Kind::Allowed => "allowed",
            Kind::Refused => "refused",
            Kind::Preflight => "preflight",
            Kind::PreflightRefused => "preflight-refused",
            Kind::HostileCommas => "preflight-acrh-1mib-commas",
            Kind::HostileNames => "preflight-acrh-10000-names",
            Kind::HostileLines => "preflight-acrh-10000-lines",
            Kind::OriginHuge => "origin-1mib",
            Kind::OriginOverCap => "origin-1025b",
            Kind::AcrmHuge => "preflight-acrm-1mib",
            Kind::AcrmOverCap => "preflight-acrm-65b",
            Kind::HostHuge => "post-host-1mib",
            Kind::HostOverCap => "post-host-1025b",
        }
    }

    /// Parses a label made by [`Kind::label`].
    pub fn parse(s: &str) -> Option<Self> {
        Kind::ALL.into_iter().find(|k| k.label() == s)
    }
}

/// One request shape: a kind, and the length of the `Origin` it sends.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    /// What is asked.
    pub kind: Kind,
    /// The `Origin` value sent (ignored for [`Kind::NoOrigin`]).
    pub origin: String,
}

/// A header value backed by shared `Bytes`, as hyper hands them over: cloning it is a
/// reference-count increment, never a copy.
fn shared(value: &[u8]) -> HeaderValue {
    let value = HeaderValue::from_maybe_shared(Bytes::copy_from_slice(value)).expect("valid value");
    // The first clone turns the buffer into a shared one; later clones only count references.
    drop(value.clone());
    value
}

/// `prefix` followed by lowercase letters, `len` bytes in all: a valid header value.
fn oversized(prefix: &[u8], len: usize) -> Vec<u8> {
    // Exact capacity, so that `Bytes::from` takes the buffer as it is.
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(prefix);
    v.resize(len, b'a');
    v
}

/// [`shared`] for a value moved in whole, without a copy.
fn shared_vec(value: Vec<u8>) -> HeaderValue {
    let value = HeaderValue::from_maybe_shared(Bytes::from(value)).expect("valid value");
    drop(value.clone());
    value
}

/// Builds requests of one shape; header values are shared between them like hyper's.
#[derive(Debug)]
pub struct RequestFactory {
    method: Method,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl RequestFactory {
    /// Prepares the header values once.
    pub fn new(spec: &RequestSpec) -> Self {
        // Oversized values are moved into their buffer, never copied: a freed 1 MiB block
        // would change the allocator's thresholds, and so every later request's cost.
        let host = match spec.kind {
            Kind::HostHuge => shared_vec(oversized(b"", HUGE_LEN)),
            Kind::HostOverCap => shared_vec(oversized(b"", 1025)),
            _ => shared(b"api.example.com"),
        };
        let mut headers = vec![(header::HOST, host)];
        let origin = match spec.kind {
            Kind::NoOrigin => None,
            Kind::Refused | Kind::HostHuge | Kind::HostOverCap => {
                Some(shared(REFUSED_ORIGIN.as_bytes()))
            }
            Kind::OriginHuge => Some(shared_vec(oversized(b"https://", HUGE_LEN))),
            Kind::OriginOverCap => Some(shared_vec(oversized(b"https://", 1025))),
            _ => Some(shared(spec.origin.as_bytes())),
        };
        if let Some(origin) = origin {
            headers.push((header::ORIGIN, origin));
        }
        let preflight = |method: HeaderValue, acrh: Option<HeaderValue>| {
            let mut h = vec![(header::ACCESS_CONTROL_REQUEST_METHOD, method)];
            h.extend(acrh.map(|v| (header::ACCESS_CONTROL_REQUEST_HEADERS, v)));
            h
        };
        let names = || (0..HOSTILE_NAMES).map(|i| format!("x-h-{i}"));
        let method = match spec.kind {
            Kind::NoOrigin
            | Kind::Allowed
            | Kind::Refused
            | Kind::OriginHuge
            | Kind::OriginOverCap => Method::GET,
            Kind::HostHuge | Kind::HostOverCap => Method::POST,
            Kind::AcrmHuge => {
                headers.extend(preflight(shared_vec(oversized(b"", HUGE_LEN)), None));
                Method::OPTIONS
            }
            Kind::AcrmOverCap => {
                headers.extend(preflight(shared_vec(oversized(b"", 65)), None));
                Method::OPTIONS
            }
            Kind::Preflight => {
                headers.extend(preflight(
                    shared(b"POST"),
                    Some(shared(b"content-type,authorization")),
                ));
                Method::OPTIONS
            }
            Kind::PreflightRefused => {
                headers.extend(preflight(shared(b"PUT"), Some(shared(b"content-type"))));
                Method::OPTIONS
            }
            Kind::HostileCommas => {
                headers.extend(preflight(
                    shared(b"POST"),
                    Some(shared(&vec![b','; COMMAS_LEN])),
                ));
                Method::OPTIONS
            }
            Kind::HostileNames => {
                let line = names().collect::<Vec<_>>().join(",");
                headers.extend(preflight(shared(b"POST"), Some(shared(line.as_bytes()))));
                Method::OPTIONS
            }
            Kind::HostileLines => {
                headers.extend(preflight(shared(b"POST"), None));
                let name = shared(b"a");
                headers.extend(
                    (0..HOSTILE_NAMES)
                        .map(|_| (header::ACCESS_CONTROL_REQUEST_HEADERS, name.clone())),
                );
                Method::OPTIONS
            }
        };
        Self { method, headers }
    }

    /// One request with the given body.
    pub fn make<B>(&self, body: B) -> Request<B> {
        let mut req = Request::new(body);
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = http::Uri::from_static("/");
        let map = req.headers_mut();
        map.reserve(self.headers.len());
        for (name, value) in &self.headers {
            map.append(name.clone(), value.clone());
        }
        req
    }
}

/// A waker that does nothing; the futures measured are ready at the first poll.
fn noop_waker() -> &'static Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    static WAKER: OnceLock<Waker> = OnceLock::new();
    WAKER.get_or_init(|| Waker::from(Arc::new(Noop)))
}

/// Calls `svc` once as a server would: `poll_ready`, `call`, one poll of the future.
///
/// # Panics
///
/// If the service is not ready or its future is pending after one poll.
#[inline(always)]
pub fn call_once<S, B>(svc: &mut S, req: Request<B>) -> S::Response
where
    S: Service<Request<B>>,
{
    let mut cx = Context::from_waker(noop_waker());
    match svc.poll_ready(&mut cx) {
        Poll::Ready(Ok(())) => {}
        _ => panic!("service not ready"),
    }
    let fut = pin!(svc.call(req));
    match fut.poll(&mut cx) {
        Poll::Ready(Ok(res)) => res,
        _ => panic!("response not ready after one poll"),
    }
}

/// An axum `Router` with one route answering an empty `200` to every method.
pub fn router() -> axum::Router {
    axum::Router::new().route("/", axum::routing::any(|| async { http::StatusCode::OK }))
}

/// Serves each request the way `axum::serve` does: the router with its state applied (done
/// once per connection, which turns every handler into a route), then per request a clone
/// of it and `oneshot`.
#[derive(Clone, Debug)]
pub struct ServeLike(axum::Router);

impl ServeLike {
    /// Prepares `router` as `axum::serve` does for a connection.
    pub fn new(router: axum::Router) -> Self {
        Self(router.with_state(()))
    }
}

impl Service<Request<axum::body::Body>> for ServeLike {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = tower::util::Oneshot<axum::Router, Request<axum::body::Body>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<axum::body::Body>) -> Self::Future {
        tower::util::Oneshot::new(self.0.clone(), req)
    }
}

/// The stacks compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stack {
    /// The inner service alone.
    None,
    /// tower-http's `CorsLayer` around the inner service.
    TowerHttp,
    /// tower-cors's `CorsLayer` around the inner service.
    TowerCors,
    /// An axum `Router` with one route, served like `axum::serve`.
    Axum,
    /// The same router with tower-http's `CorsLayer` (`Router::layer`).
    AxumTowerHttp,
    /// The same router with tower-cors's `CorsLayer` (`Router::layer`).
    AxumTowerCors,
    /// [`floor::Floor`] around the inner service: the least work any CORS layer does
    /// (3 exact origins only).
    Floor,
    /// tower-cors's `CorsLayer::reloadable` with the same policy.
    Reloadable,
    /// tower-cors's `CorsLayer::per_path` with [`PREFIXES`] prefixes, the same policy.
    PerPath,
    /// tower-cors with the exact origins decided by an `allow_origin_fn` predicate.
    Predicate,
    /// tower-cors's `CorsLayer::reloadable` holding the [`PREFIXES`]-prefix table.
    ReloadablePerPath,
}

impl Stack {
    /// Every stack.
    pub const ALL: [Stack; 11] = [
        Stack::None,
        Stack::Floor,
        Stack::TowerHttp,
        Stack::TowerCors,
        Stack::Axum,
        Stack::AxumTowerHttp,
        Stack::AxumTowerCors,
        Stack::Reloadable,
        Stack::PerPath,
        Stack::Predicate,
        Stack::ReloadablePerPath,
    ];

    /// The tower-cors stacks with a policy that changes at run time or depends on the
    /// request, measured beside [`Stack::TowerCors`] for the main requests.
    pub const RUNTIME: [Stack; 4] = [
        Stack::Reloadable,
        Stack::PerPath,
        Stack::ReloadablePerPath,
        Stack::Predicate,
    ];

    /// The name used on the command line and in benchmark names.
    pub fn label(self) -> &'static str {
        match self {
            Stack::None => "none",
            Stack::TowerHttp => "tower-http",
            Stack::TowerCors => "tower-cors",
            Stack::Axum => "axum",
            Stack::AxumTowerHttp => "axum+tower-http",
            Stack::AxumTowerCors => "axum+tower-cors",
            Stack::Floor => "floor",
            Stack::Reloadable => "tower-cors-reloadable",
            Stack::PerPath => "tower-cors-per-path",
            Stack::Predicate => "tower-cors-predicate",
            Stack::ReloadablePerPath => "tower-cors-reloadable-per-path",
        }
    }

    /// Parses a label made by [`Stack::label`].
    pub fn parse(s: &str) -> Option<Self> {
        Stack::ALL.into_iter().find(|k| k.label() == s)
    }

    /// The stack without any CORS layer that this one is compared with.
    pub fn baseline(self) -> Stack {
        match self {
            Stack::None
            | Stack::TowerHttp
            | Stack::TowerCors
            | Stack::Floor
            | Stack::Reloadable
            | Stack::PerPath
            | Stack::Predicate
            | Stack::ReloadablePerPath => Stack::None,
            Stack::Axum | Stack::AxumTowerHttp | Stack::AxumTowerCors => Stack::Axum,
        }
    }
}

/// Applies `f` to the stack, built for `origins`, and requests of its body type.
///
/// This is how one generic function is monomorphized for every stack.
pub fn with_stack<R>(stack: Stack, origins: Origins, f: impl StackFn<Output = R>) -> R {
    match stack {
        Stack::None => f.run(Ok200, |r: &RequestFactory| r.make(BenchBody::new())),
        Stack::TowerHttp => f.run(
            tower_http_layer(origins).layer(Ok200),
            |r: &RequestFactory| r.make(BenchBody::new()),
        ),
        Stack::TowerCors => f.run(
            tower_cors_layer(origins).layer(Ok200),
            |r: &RequestFactory| r.make(BenchBody::new()),
        ),
        Stack::Floor => f.run(floor::Floor::new(Ok200), |r: &RequestFactory| {
            r.make(BenchBody::new())
        }),
        Stack::Reloadable => f.run(
            tower_cors_reloadable(origins).layer(Ok200),
            |r: &RequestFactory| r.make(BenchBody::new()),
        ),
        Stack::PerPath => f.run(
            tower_cors_per_path(origins).layer(Ok200),
            |r: &RequestFactory| r.make(BenchBody::new()),
        ),
        Stack::Predicate => f.run(
            tower_cors_predicate(origins).layer(Ok200),
            |r: &RequestFactory| r.make(BenchBody::new()),
        ),
        Stack::ReloadablePerPath => f.run(
            tower_cors_reloadable_per_path(origins).layer(Ok200),
            |r: &RequestFactory| r.make(BenchBody::new()),
        ),
        Stack::Axum => f.run(ServeLike::new(router()), |r: &RequestFactory| {
            r.make(axum::body::Body::empty())
        }),
        Stack::AxumTowerHttp => f.run(
            ServeLike::new(router().layer(tower_http_layer(origins))),
            |r: &RequestFactory| r.make(axum::body::Body::empty()),
        ),
        Stack::AxumTowerCors => f.run(
            ServeLike::new(router().layer(tower_cors_layer(origins))),
            |r: &RequestFactory| r.make(axum::body::Body::empty()),
        ),
    }
}

/// A function generic over the stack (closures cannot be generic).
pub trait StackFn {
    /// What the function returns.
    type Output;
    /// Runs with `svc` and a way to make its requests.
    fn run<S, B, RB>(self, svc: S, make: impl Fn(&RequestFactory) -> Request<B>) -> Self::Output
    where
        S: Service<Request<B>, Response = Response<RB>>;
}

/// One measured configuration: a policy, a request shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Case {
    /// The policy's allowed origins.
    pub origins: Origins,
    /// The request.
    pub kind: Kind,
    /// Length of the `Origin` sent, for patterns and regexes.
    pub origin_len: Option<usize>,
}

impl Case {
    /// A case with the shortest allowed origin.
    pub fn new(origins: Origins, kind: Kind) -> Self {
        Self {
            origins,
            kind,
            origin_len: None,
        }
    }

    /// The same case with an `Origin` of `len` bytes.
    pub fn with_origin_len(mut self, len: usize) -> Self {
        self.origin_len = Some(len);
        self
    }

    /// The dimensions, as in `origins=3/request=allowed`.
    pub fn label(&self) -> String {
        let mut s = format!("{}/request={}", self.origins.label(), self.kind.label());
        if let Some(len) = self.origin_len {
            let _ = write!(s, "/origin-len={len}");
        }
        s
    }

    /// Parses a label made by [`Case::label`].
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split('/');
        let origins = Origins::parse(parts.next()?)?;
        let kind = Kind::parse(parts.next()?.strip_prefix("request=")?)?;
        let origin_len = match parts.next() {
            Some(p) => Some(p.strip_prefix("origin-len=")?.parse().ok()?),
            None => None,
        };
        parts.next().is_none().then_some(Self {
            origins,
            kind,
            origin_len,
        })
    }

    /// The request shape.
    pub fn spec(&self) -> RequestSpec {
        RequestSpec {
            kind: self.kind,
            origin: self.origins.allowed_origin(self.origin_len.unwrap_or(0)),
        }
    }

    /// What the measurement depends on: the whole case, or only the request for a stack
    /// without a layer.
    pub fn key(&self, stack: Stack) -> String {
        if stack.baseline() == stack {
            let spec = self.spec();
            format!("{}/{}", spec.kind.label(), spec.origin)
        } else {
            self.label()
        }
    }
}

/// The cells of the report, grouped in tables.
pub struct Plan {
    /// The requests of the main tables (3 exact origins).
    pub direct: Vec<Case>,
    /// Larger policies and hostile requests.
    pub scale: Vec<Case>,
}

/// Every cell measured.
pub fn plan() -> Plan {
    let base = Origins::Exact(3);
    let direct = [
        Kind::NoOrigin,
        Kind::Allowed,
        Kind::Refused,
        Kind::Preflight,
        Kind::PreflightRefused,
    ]
    .into_iter()
    .map(|k| Case::new(base, k))
    .collect();
    let mut scale = vec![
        Case::new(Origins::Exact(100), Kind::Allowed),
        Case::new(Origins::Exact(10_000), Kind::Allowed),
        Case::new(Origins::Exact(10_000), Kind::Refused),
        Case::new(Origins::Patterns(1), Kind::Allowed),
        Case::new(Origins::Patterns(100), Kind::Allowed),
        Case::new(Origins::Patterns(100), Kind::Refused),
    ];
    if cfg!(feature = "regex") {
        scale.extend([
            Case::new(Origins::Regex(1), Kind::Allowed).with_origin_len(256),
            Case::new(Origins::Regex(50), Kind::Allowed).with_origin_len(32),
            Case::new(Origins::Regex(50), Kind::Allowed).with_origin_len(128),
            Case::new(Origins::Regex(50), Kind::Allowed).with_origin_len(256),
        ]);
    }
    scale.extend([
        Case::new(base, Kind::HostileCommas),
        Case::new(base, Kind::HostileNames),
        Case::new(base, Kind::HostileLines),
    ]);
    for (huge, capped) in capped_cases() {
        scale.extend([huge, capped]);
    }
    Plan { direct, scale }
}

/// Whether tower-http can express the policy of a case.
pub fn tower_http_can(case: &Case) -> bool {
    matches!(case.origins, Origins::Exact(_))
}

/// The cells of the capped inputs, each pair on the policy it concerns.
pub fn capped_cases() -> Vec<(Case, Case)> {
    CAPPED
        .into_iter()
        .map(|(huge, capped)| {
            let origins = match huge {
                Kind::HostHuge => Origins::Strict(3),
                _ => Origins::Exact(3),
            };
            (Case::new(origins, huge), Case::new(origins, capped))
        })
        .collect()
}
