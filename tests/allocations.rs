//! Heap allocations per request, counted exactly by a counting global allocator.
//!
//! The layer's only allocations are the response's own header storage (the `HeaderMap`
//! index table and entry vector): at most 2 per request on every path, hostile
//! `Access-Control-Request-Headers` included. Counts are exact, so they are asserted exactly:
//! a change that adds or removes an allocation must update the table below.
//!
//! The requests and policies are those of `benches/instructions.rs` (same module), built
//! before counting starts. Everything runs in one test so that no other test thread
//! allocates while counting.

#[path = "../benches/common/mod.rs"]
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
        Kind::NoOrigin | Kind::Allowed | Kind::Refused => 2,
        // Answered by the layer: the header map of its own response, nothing else, however
        // large `Access-Control-Request-Headers` is.
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

#[test]
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
}
