//! Time per request, tower-cors beside tower-http 0.7 and the same stack without a layer.
//!
//! Run with: `cargo bench --features regex --bench cors`
//! (one dimension only: `cargo bench --features regex --bench cors -- origins=10000`).
//!
//! Names carry their dimensions: `stack=tower-cors/origins=3/request=preflight`. The request is
//! built outside the timed routine; the routine is `poll_ready`, `call`, one poll, and dropping
//! the response. Wall-clock time on a shared machine is noisy: for exact, comparable numbers
//! use `scripts/bench-instructions.sh` (instructions and allocations under callgrind).

mod common;

use std::{hint::black_box, time::Duration};

use common::{
    call_once, plan, tower_http_can, with_stack, Case, Kind, RequestFactory, Stack, StackFn,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http::{Request, Response};
use tower::Service;

struct Bench<'a> {
    c: &'a mut Criterion,
    stack: Stack,
    case: Case,
}

impl StackFn for Bench<'_> {
    type Output = ();

    fn run<S, B, RB>(self, mut svc: S, make: impl Fn(&RequestFactory) -> Request<B>)
    where
        S: Service<Request<B>, Response = Response<RB>>,
    {
        let factory = RequestFactory::new(&self.case.spec());
        let mut c = self
            .c
            .benchmark_group(format!("stack={}", self.stack.label()));
        if self.case.kind == Kind::HostileLines {
            // Building a request of 10,000 header lines dominates the run: fewer samples.
            c.sample_size(10);
        }
        c.bench_function(self.case.label(), |b| {
            b.iter_batched(
                || make(&factory),
                |req| drop(black_box(call_once(&mut svc, req))),
                BatchSize::SmallInput,
            )
        });
        c.finish();
    }
}

fn bench_case(c: &mut Criterion, stack: Stack, case: &Case) {
    let bench = Bench {
        c,
        stack,
        case: case.clone(),
    };
    with_stack(stack, case.origins, bench);
}

fn direct(c: &mut Criterion) {
    for case in &plan().direct {
        for stack in [Stack::None, Stack::TowerHttp, Stack::TowerCors] {
            bench_case(c, stack, case);
        }
    }
}

fn axum(c: &mut Criterion) {
    for case in &plan().direct {
        for stack in [Stack::Axum, Stack::AxumTowerHttp, Stack::AxumTowerCors] {
            bench_case(c, stack, case);
        }
    }
}

fn scale(c: &mut Criterion) {
    for case in &plan().scale {
        if matches!(
            case.kind,
            Kind::HostileCommas | Kind::HostileNames | Kind::HostileLines
        ) {
            bench_case(c, Stack::None, case);
        }
        if tower_http_can(case) {
            bench_case(c, Stack::TowerHttp, case);
        }
        bench_case(c, Stack::TowerCors, case);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = direct, axum, scale
}
criterion_main!(benches);
