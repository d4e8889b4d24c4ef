//! Heap allocations per request, counted exactly by a counting global allocator.
//!
//! The layer's only allocations are the response's own header storage (the `HeaderMap`
//! index table and entry vector): at most 2 per request on every path, hostile
//! `Access-Control-Request-Headers` included. When the application's response already has
//! a header map, the layer adds none to it, except one for merging `Origin` into an
//! application's `Vary` that lacks it; removing the application's `Access-Control-*`
//! headers allocates nothing. Counts are exact, so they are asserted exactly:
//! a change that adds or removes an allocation must update the table below.
//!
//! The requests and policies are those of `benches/instructions.rs` (same module), built
//! before counting starts. The binary has no test harness (`harness = false`): its `main`
//! runs the checks one after the other on the main thread, so no other thread allocates
//! while counting — not another test, and not libtest's own "has been running for over 60
//! seconds" notice on a slow machine. The attack corpus, which counts too, has a binary of
//! its own for the same reason.

#[path = "../../benches/common/mod.rs"]
mod common;

use std::{alloc::System, hint::black_box};

use common::{call_once, plan, with_stack, Case, Kind, RequestFactory, Stack, StackFn};
use http::{Request, Response};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tower::Service;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Requests counted per case; the total must be exactly this many times the per-request count.
const REQUESTS: usize = 8;

struct Count {
    case: Case,
}

impl StackFn for Count {
    type Output = usize;

    fn run<S, B, RB>(self, mut svc: S, make: impl Fn(&RequestFactory) -> Request<B>) -> usize
    where
        S: Service<Request<B>, Response = Response<RB>>,
    {
        let factory = RequestFactory::new(&self.case.spec());
        // First calls may initialise lazily (regex caches, tracing call sites).
        for _ in 0..4 {
            drop(black_box(call_once(&mut svc, make(&factory))));
        }
        let reqs: Vec<_> = (0..REQUESTS).map(|_| make(&factory)).collect();
        let region = Region::new(GLOBAL);
        for req in reqs {
            drop(black_box(call_once(&mut svc, req)));
        }
        let change = region.change();
        change.allocations + change.reallocations
    }
}

/// Allocations per request that tower-cors makes for a kind of request.
fn expected(kind: Kind) -> usize {
    match kind {
        // Forwarded: `Vary` (and, when allowed, `Access-Control-Allow-Origin` and
        // `-Credentials`) go into the inner service's empty header map, which allocates
        // its index table and its entry vector.
        Kind::NoOrigin | Kind::Allowed | Kind::Refused | Kind::OriginHuge | Kind::OriginOverCap => {
            2
        }
        // Answered by the layer: the header map of its own response, nothing else, however
        // large `Access-Control-Request-Headers`, `-Method` or `Host` is (a strict policy
        // refuses the oversized-`Host` POST).
        Kind::AcrmHuge | Kind::AcrmOverCap | Kind::HostHuge | Kind::HostOverCap => 2,
        Kind::Preflight
        | Kind::PreflightRefused
        | Kind::HostileCommas
        | Kind::HostileNames
        | Kind::HostileLines => 2,
    }
}

/// Allocations per request that tower-cors adds to the axum router (`Router::layer`).
fn expected_through_axum(kind: Kind) -> usize {
    match kind {
        // The header map's two blocks, and axum boxing `CorsBody` into its own body type.
        // The map keeps the spare room of a first insert, so axum's `content-length` does
        // not grow it: a map cloned whole would have none and reallocate here.
        Kind::NoOrigin | Kind::Allowed | Kind::Refused => 3,
        // The answer's header map and the box, without the handler's own allocation. A
        // `403` is made with room for `content-length`.
        _ => 2,
    }
}

fn allocations_per_request_are_exact() {
    let plan = plan();
    for kind in [Kind::HostileCommas, Kind::HostileNames, Kind::HostileLines] {
        assert!(
            plan.scale.iter().any(|c| c.kind == kind),
            "{} is measured",
            kind.label()
        );
    }
    let mut failures = Vec::new();
    for case in plan.direct.iter().chain(&plan.scale) {
        let runtime = Stack::RUNTIME
            .into_iter()
            .filter(|_| plan.direct.contains(case))
            .map(|stack| (stack, expected(case.kind)));
        for (stack, want) in [(Stack::None, 0), (Stack::TowerCors, expected(case.kind))]
            .into_iter()
            .chain(runtime)
        {
            let got = with_stack(stack, case.origins, Count { case: case.clone() });
            if got != want * REQUESTS {
                failures.push(format!(
                    "{} {}: {got} allocations for {REQUESTS} requests, expected {want} per request",
                    stack.label(),
                    case.label()
                ));
            }
        }
    }
    for case in &plan.direct {
        let count = |stack| with_stack(stack, case.origins, Count { case: case.clone() });
        let (router, layered) = (count(Stack::Axum), count(Stack::AxumTowerCors));
        let want = expected_through_axum(case.kind);
        if layered != router + want * REQUESTS {
            failures.push(format!(
                "axum {}: {layered} allocations with the layer, {router} without, for \
                 {REQUESTS} requests; expected {want} more per request",
                case.label()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    allocations_when_the_application_sets_vary_and_access_control_headers();
}

/// An inner service whose responses already carry headers: `Vary` and `Access-Control-*`
/// values that the layer merges into or removes.
#[derive(Clone, Copy)]
struct SetsHeaders(&'static [(&'static str, &'static str)]);

impl<B> Service<Request<B>> for SetsHeaders {
    type Response = Response<common::BenchBody>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        drop(req);
        let mut res = Response::new(common::BenchBody::new());
        for (name, value) in self.0 {
            res.headers_mut().append(
                http::HeaderName::from_static(name),
                http::HeaderValue::from_static(value),
            );
        }
        std::future::ready(Ok(res))
    }
}

/// The layer's own allocations when the application sets `Vary` and `Access-Control-*`
/// headers: removing the application's `Access-Control-*` headers allocates nothing, and
/// merging `Origin` into a `Vary` that lacks it allocates the merged value once. The
/// application's own header map (2 allocations, 3 with a repeated name) is counted in both
/// runs. So the layer itself never allocates more than 2 times per request.
/// (Called from the one test of this file: no other test thread may allocate while counting.)
fn allocations_when_the_application_sets_vary_and_access_control_headers() {
    const VARY_OTHER: &[(&str, &str)] = &[
        ("vary", "accept-encoding"),
        ("access-control-allow-origin", "*"),
    ];
    const VARY_ORIGIN: &[(&str, &str)] = &[
        ("vary", "Origin"),
        ("access-control-allow-local-network", "true"),
        ("access-control-allow-credentials", "true"),
    ];
    const TWO_VARY_LINES: &[(&str, &str)] = &[
        ("vary", "accept-encoding"),
        ("vary", "accept-language"),
        ("access-control-expose-headers", "x-secret"),
    ];
    const AC_ONLY: &[(&str, &str)] = &[("access-control-allow-origin", "*")];
    let mut failures = Vec::new();
    // (inner, its headers, the application's own allocations, the layer's merge)
    for (inner_desc, headers, app, merge) in [
        ("Vary: accept-encoding, ACAO", VARY_OTHER, 2, 1),
        (
            "Vary: Origin, two Access-Control-* headers",
            VARY_ORIGIN,
            2,
            0,
        ),
        // A second value of one name takes the map's extra-values vector.
        ("two Vary lines, ACEH", TWO_VARY_LINES, 3, 1),
        ("ACAO only", AC_ONLY, 2, 0),
    ] {
        for case in &plan().direct {
            let count = |layered: bool| {
                let inner = SetsHeaders(headers);
                let counter = Count { case: case.clone() };
                if layered {
                    let layer = common::tower_cors_layer(case.origins);
                    counter.run(tower::Layer::layer(&layer, inner), |r: &RequestFactory| {
                        r.make(common::BenchBody::new())
                    })
                } else {
                    counter.run(inner, |r: &RequestFactory| r.make(common::BenchBody::new()))
                }
            };
            let (alone, layered) = (count(false), count(true));
            // Forwarded requests: the application's map plus the merge; preflights are
            // answered by the layer (its own map, 2) and never reach the application.
            let (want_alone, want_layered) = match case.kind {
                Kind::NoOrigin | Kind::Allowed | Kind::Refused => (app, app + merge),
                _ => (app, 2),
            };
            if (alone, layered) != (want_alone * REQUESTS, want_layered * REQUESTS) {
                failures.push(format!(
                    "{inner_desc}, {}: {alone} allocations without the layer and {layered} \
                     with it for {REQUESTS} requests; expected {want_alone} and {want_layered} \
                     per request",
                    case.label()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn main() {
    allocations_per_request_are_exact();
    println!("allocations_per_request_are_exact ... ok");
}
