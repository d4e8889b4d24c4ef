//! Instructions and heap allocations per request, tower-cors beside tower-http.
//!
//! Run with: `scripts/bench-instructions.sh` (needs valgrind).
//!
//! The binary has three modes:
//!
//! - `run <stack> <case> <n>` builds one stack and `n` requests up front, serves them, and
//!   prints the heap allocations made while serving. Under `valgrind --tool=callgrind
//!   --collect-atstart=no --toggle-collect='*measured_requests*'` only the serving is counted,
//!   so building the requests is excluded for every stack alike.
//! - `report [--quick]` (also what `cargo bench --bench instructions` runs) runs every cell
//!   twice under callgrind, with `n` and `n + N` requests, and divides the difference by `N`:
//!   start-up and first-request costs cancel. It prints markdown tables and the targets.
//! - without arguments (`cargo test --benches`) it serves one request of every cell natively
//!   and checks the answers, so the harness cannot silently measure the wrong path.
//!
//! A case names its dimensions: `origins=3/request=allowed`, `regex=50/request=allowed/origin-len=256`.

mod common;

use std::{
    alloc::System,
    collections::HashMap,
    env,
    fmt::Write as _,
    hint::black_box,
    path::PathBuf,
    process::{self, Command},
};

use common::{
    call_once, plan, tower_http_can, with_stack, Case, Kind, Origins, RequestFactory, RequestSpec,
    Stack, StackFn,
};
use http::{header, Request, Response, StatusCode};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tower::Service;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Requests served before counting starts (lazy initialisation, first-touch growth).
const WARMUP: usize = 16;

/// Heap activity while serving.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Heap {
    /// `alloc` + `alloc_zeroed` + `realloc` calls.
    allocations: u64,
    /// Bytes requested by them.
    bytes: u64,
}

/// Serves `reqs` on `svc`. The only function callgrind counts.
#[inline(never)]
fn measured_requests<S, B>(svc: &mut S, reqs: Vec<Request<B>>)
where
    S: Service<Request<B>>,
{
    for req in reqs {
        drop(black_box(call_once(svc, req)));
    }
}

struct Measure {
    spec: RequestSpec,
    n: usize,
}

impl StackFn for Measure {
    type Output = Heap;

    fn run<S, B, RB>(self, mut svc: S, make: impl Fn(&RequestFactory) -> Request<B>) -> Heap
    where
        S: Service<Request<B>, Response = Response<RB>>,
    {
        let factory = RequestFactory::new(&self.spec);
        for _ in 0..WARMUP {
            drop(black_box(call_once(&mut svc, make(&factory))));
        }
        let reqs: Vec<_> = (0..self.n).map(|_| make(&factory)).collect();
        let region = Region::new(GLOBAL);
        measured_requests(&mut svc, reqs);
        let change = region.change();
        Heap {
            allocations: (change.allocations + change.reallocations) as u64,
            bytes: change.bytes_allocated as u64,
        }
    }
}

/// What one request gets back: status, `Access-Control-Allow-Origin`.
struct Probe {
    spec: RequestSpec,
}

impl StackFn for Probe {
    type Output = (StatusCode, Option<String>);

    fn run<S, B, RB>(self, mut svc: S, make: impl Fn(&RequestFactory) -> Request<B>) -> Self::Output
    where
        S: Service<Request<B>, Response = Response<RB>>,
    {
        let res = call_once(&mut svc, make(&RequestFactory::new(&self.spec)));
        let acao = res
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        (res.status(), acao)
    }
}

/// Whether the floor stack measures `case`: the four cells of the comparison.
fn floor_can(case: &Case) -> bool {
    case.origins == Origins::Exact(3)
        && matches!(
            case.kind,
            Kind::NoOrigin | Kind::Allowed | Kind::Refused | Kind::Preflight
        )
}

/// Checks that a cell takes the path its name says.
fn check(stack: Stack, case: &Case) -> Result<(), String> {
    let spec = case.spec();
    let (status, acao) = with_stack(stack, case.origins, Probe { spec: spec.clone() });
    let cors = stack.baseline() != stack;
    // The stacks answering preflights `204` (tower-http answers `200`).
    let tower_cors = matches!(
        stack,
        Stack::TowerCors
            | Stack::AxumTowerCors
            | Stack::Floor
            | Stack::Reloadable
            | Stack::PerPath
            | Stack::Predicate
            | Stack::ReloadablePerPath
    );
    let want_acao = cors
        && match case.kind {
            Kind::Allowed | Kind::Preflight => true,
            Kind::NoOrigin
            | Kind::Refused
            | Kind::OriginHuge
            | Kind::OriginOverCap
            | Kind::HostHuge
            | Kind::HostOverCap => false,
            // tower-http does not look at the requested method or headers.
            _ => !tower_cors,
        };
    let mut problems = Vec::new();
    if want_acao != (acao.as_deref() == Some(spec.origin.as_str())) {
        problems.push(format!("Access-Control-Allow-Origin is {acao:?}"));
    }
    let preflight = !matches!(
        case.kind,
        Kind::NoOrigin
            | Kind::Allowed
            | Kind::Refused
            | Kind::OriginHuge
            | Kind::OriginOverCap
            | Kind::HostHuge
            | Kind::HostOverCap
    );
    // A strict policy answers a refused actual request itself.
    let strict_refusal = cors
        && tower_cors
        && !preflight
        && !want_acao
        && matches!(case.origins, Origins::Strict(_))
        && case.kind != Kind::NoOrigin;
    let want_status = match (cors && preflight, tower_cors, want_acao) {
        _ if strict_refusal => StatusCode::FORBIDDEN,
        (false, _, _) => StatusCode::OK,
        (true, true, true) => StatusCode::NO_CONTENT,
        (true, true, false) => StatusCode::FORBIDDEN,
        (true, false, _) => StatusCode::OK,
    };
    if status != want_status {
        problems.push(format!("status is {status}, expected {want_status}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} {}: {}",
            stack.label(),
            case.label(),
            problems.join("; ")
        ))
    }
}

/// Requests counted for a cell (the difference between the two runs).
fn requests_for(stack: Stack, case: &Case, quick: bool) -> usize {
    let n = match (stack, case.origins, case.kind) {
        // Building 10,000 header lines per request: keep memory small.
        (_, _, Kind::HostileLines) => 100,
        // tower-http scans its list: 10,000 comparisons per request.
        (Stack::TowerHttp, Origins::Exact(n), _) if n >= 1_000 => 1_000,
        _ => 10_000,
    };
    if quick {
        (n / 10).max(10)
    } else {
        n
    }
}

/// Per-request counts of one cell.
#[derive(Clone, Copy, Debug)]
struct Counts {
    instructions: f64,
    allocations: f64,
    /// Whether the first requests allocated differently from the later ones.
    uneven: bool,
}

struct Runner {
    exe: PathBuf,
    out_dir: PathBuf,
    quick: bool,
    cache: HashMap<(Stack, String), Counts>,
}

impl Runner {
    /// One callgrind run: (instructions, heap).
    fn callgrind(&self, stack: Stack, case: &Case, n: usize) -> (u64, Heap) {
        let out = self
            .out_dir
            .join(format!("callgrind.{}.{n}.out", process::id()));
        let output = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg("--collect-atstart=no")
            .arg("--toggle-collect=*measured_requests*")
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&self.exe)
            .args(["run", stack.label(), &case.label(), &n.to_string()])
            .output()
            .unwrap_or_else(|e| fail(&format!("cannot run valgrind: {e}")));
        if !output.status.success() {
            fail(&format!(
                "valgrind failed for {} {}:\n{}",
                stack.label(),
                case.label(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let heap = parse_heap(&stdout)
            .unwrap_or_else(|| fail(&format!("unexpected runner output: {stdout}")));
        let profile = std::fs::read_to_string(&out)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", out.display())));
        let _ = std::fs::remove_file(&out);
        let instructions = profile
            .lines()
            .find_map(|l| {
                l.strip_prefix("totals:")
                    .or_else(|| l.strip_prefix("summary:"))
            })
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| fail("no totals in the callgrind output"));
        (instructions, heap)
    }

    fn counts(&mut self, stack: Stack, case: &Case) -> Counts {
        let key = (stack, case.key(stack));
        if let Some(c) = self.cache.get(&key) {
            return *c;
        }
        if let Err(e) = check(stack, case) {
            fail(&format!("wrong path measured: {e}"));
        }
        let n = requests_for(stack, case, self.quick);
        let small = n / 10;
        eprintln!("  {} {} ({n} requests)", stack.label(), case.label());
        let (i0, h0) = self.callgrind(stack, case, small);
        let (i1, h1) = self.callgrind(stack, case, small + n);
        let per = |a: u64, b: u64| (b.saturating_sub(a)) as f64 / n as f64;
        let allocations = per(h0.allocations, h1.allocations);
        let counts = Counts {
            instructions: per(i0, i1),
            allocations,
            uneven: (h0.allocations as f64 - allocations * small as f64).abs() > 0.5,
        };
        self.cache.insert(key, counts);
        counts
    }
}

fn parse_heap(stdout: &str) -> Option<Heap> {
    let mut heap = Heap::default();
    for word in stdout.split_whitespace() {
        if let Some(v) = word.strip_prefix("allocations=") {
            heap.allocations = v.parse().ok()?;
        } else if let Some(v) = word.strip_prefix("bytes=") {
            heap.bytes = v.parse().ok()?;
        }
    }
    Some(heap)
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    process::exit(1)
}

/// `12345.6` → `12,346`.
fn thousands(v: f64) -> String {
    let v = v.round() as i64;
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 {
        out.insert(0, '-');
    }
    out
}

fn signed(v: f64) -> String {
    if v.round() >= 0.0 {
        format!("+{}", thousands(v))
    } else {
        thousands(v)
    }
}

fn allocs(c: &Counts) -> String {
    let mut s = if (c.allocations - c.allocations.round()).abs() < 1e-9 {
        format!("{}", c.allocations.round())
    } else {
        format!("{:.2}", c.allocations)
    };
    if c.uneven {
        s.push('*');
    }
    s
}

fn ratio(tc: f64, th: f64) -> String {
    if th <= 0.0 {
        "—".into()
    } else {
        format!("{:.0} %", 100.0 * tc / th)
    }
}

fn request_name(case: &Case) -> String {
    match case.kind {
        Kind::NoOrigin => "no `Origin`".into(),
        Kind::Allowed => "allowed actual GET".into(),
        Kind::Refused => "refused actual GET".into(),
        Kind::Preflight => "allowed preflight (POST, 2 headers)".into(),
        Kind::PreflightRefused => "refused preflight (PUT)".into(),
        _ => format!("`{}`", case.label()),
    }
}

/// A target and whether it is met.
struct Target {
    what: String,
    value: String,
    met: bool,
}

fn report(quick: bool) {
    let exe = env::current_exe().unwrap_or_else(|e| fail(&format!("no current exe: {e}")));
    let out_dir = env::temp_dir();
    let mut runner = Runner {
        exe,
        out_dir,
        quick,
        cache: HashMap::new(),
    };
    let plan = plan();
    let mut out = String::new();
    let mut targets = Vec::new();

    let _ = writeln!(
        out,
        "Instructions (callgrind) and heap allocations per request; overhead = stack − the same \
         stack without a CORS layer. Policy: 3 exact origins (allowed one last), credentials, \
         methods GET POST, headers content-type authorization, max-age 600.\n"
    );
    for (title, base, th_stack, tc_stack) in [
        (
            "Direct tower stack (inner service: empty 200, polled once)",
            Stack::None,
            Stack::TowerHttp,
            Stack::TowerCors,
        ),
        (
            "Through axum (`Router` with one route, `Router::layer`, clone + `oneshot` per request like `axum::serve`)",
            Stack::Axum,
            Stack::AxumTowerHttp,
            Stack::AxumTowerCors,
        ),
    ] {
        eprintln!("{title}");
        let _ = writeln!(out, "#### {title}\n");
        let direct = base == Stack::None;
        let _ = writeln!(
            out,
            "| request | no layer | tower-http 0.7 | tower-cors | tower-cors / tower-http overhead |{} allocations (no layer / tower-http / tower-cors) |",
            if direct { " floor overhead (its share of tower-http's) |" } else { "" }
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|{}---:|", if direct { "---:|" } else { "" });
        for case in &plan.direct {
            let b = runner.counts(base, case);
            let th = runner.counts(th_stack, case);
            let tc = runner.counts(tc_stack, case);
            let (tho, tco) = (th.instructions - b.instructions, tc.instructions - b.instructions);
            let floor = if direct && floor_can(case) {
                let fl = runner.counts(Stack::Floor, case).instructions - b.instructions;
                format!(" {} ({}) |", signed(fl), ratio(fl, tho))
            } else if direct {
                " — |".into()
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} ({}) | {} ({}) | {} |{} {} / {} / {} |",
                request_name(case),
                thousands(b.instructions),
                thousands(th.instructions),
                signed(tho),
                thousands(tc.instructions),
                signed(tco),
                ratio(tco, tho),
                floor,
                allocs(&b),
                allocs(&th),
                allocs(&tc),
            );
            if base == Stack::None && case.kind != Kind::PreflightRefused {
                targets.push(Target {
                    what: format!("{}: overhead ≤ 20 % of tower-http's", request_name(case)),
                    value: ratio(tco, tho),
                    met: tco <= 0.2 * tho,
                });
            }
            if base == Stack::None {
                targets.push(Target {
                    what: format!("{}: ≤ 2 allocations", request_name(case)),
                    value: allocs(&tc),
                    met: tc.allocations <= 2.0 && !tc.uneven,
                });
            }
        }
        let _ = writeln!(out);
    }

    eprintln!("Runtime policies");
    let _ = writeln!(
        out,
        "#### Policies that change at run time or depend on the request (direct stack)\n"
    );
    let _ = writeln!(
        out,
        "Instructions per request of the whole stack; in brackets, the difference from \
         `CorsLayer::new` with the same policy.\n"
    );
    let _ = writeln!(
        out,
        "| request | `CorsLayer::new` | `reloadable` | `per_path` ({} prefixes) | `reloadable` table of {} prefixes | `allow_origin_fn` | allocations (new / reloadable / per_path / reloadable table / predicate) |",
        common::PREFIXES,
        common::PREFIXES
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    for case in &plan.direct {
        let tc = runner.counts(Stack::TowerCors, case);
        let mut cells = String::new();
        let mut heap = vec![allocs(&tc)];
        for stack in Stack::RUNTIME {
            let c = runner.counts(stack, case);
            let change = c.instructions / tc.instructions - 1.0;
            let _ = write!(
                cells,
                " {} ({:+.1} %) |",
                thousands(c.instructions),
                change * 100.0
            );
            heap.push(allocs(&c));
            targets.push(Target {
                what: format!(
                    "{}, `{}`: within 10 % of `CorsLayer::new`",
                    request_name(case),
                    stack.label()
                ),
                value: format!("{:+.1} %", change * 100.0),
                met: change.abs() <= 0.10,
            });
            targets.push(Target {
                what: format!(
                    "{}, `{}`: ≤ 2 allocations",
                    request_name(case),
                    stack.label()
                ),
                value: allocs(&c),
                met: c.allocations <= 2.0 && !c.uneven,
            });
        }
        let _ = writeln!(
            out,
            "| {} | {} |{} {} |",
            request_name(case),
            thousands(tc.instructions),
            cells,
            heap.join(" / ")
        );
    }
    let _ = writeln!(out);

    eprintln!("Scale and hostile input");
    let _ = writeln!(out, "#### Scale and hostile input (direct stack)\n");
    let _ = writeln!(
        out,
        "| case | no layer | tower-http 0.7 overhead | tower-cors overhead | allocations (tower-http / tower-cors) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let mut overhead = HashMap::new();
    for case in plan.direct.iter().chain(&plan.scale) {
        let b = runner.counts(Stack::None, case);
        let tc = runner.counts(Stack::TowerCors, case);
        let tco = tc.instructions - b.instructions;
        overhead.insert(case.label(), tco);
        if plan.direct.contains(case) && !matches!(case.kind, Kind::Allowed | Kind::Preflight) {
            continue;
        }
        let th = tower_http_can(case).then(|| runner.counts(Stack::TowerHttp, case));
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} / {} |",
            case.label(),
            thousands(b.instructions),
            th.map_or("—".into(), |th| signed(th.instructions - b.instructions)),
            signed(tco),
            th.map_or("—".into(), |th| allocs(&th)),
            allocs(&tc),
        );
        if plan.scale.contains(case) {
            targets.push(Target {
                what: format!("`{}`: ≤ 2 allocations", case.label()),
                value: allocs(&tc),
                met: tc.allocations <= 2.0 && !tc.uneven,
            });
        }
    }
    let _ = writeln!(out);

    let get = |label: &str| overhead.get(label).copied();
    let mut compare = |what: &str, a: &str, b: &str, limit: f64| {
        if let (Some(a), Some(b)) = (get(a), get(b)) {
            targets.push(Target {
                what: what.into(),
                value: format!("{:.2}×", a / b),
                met: a <= limit * b,
            });
        }
    };
    compare(
        "allowed GET, 10,000 exact origins within 10 % of 3",
        "origins=10000/request=allowed",
        "origins=3/request=allowed",
        1.10,
    );
    compare(
        "allowed GET, 100 patterns within 2× of 1",
        "patterns=100/request=allowed",
        "patterns=1/request=allowed",
        2.0,
    );
    compare(
        "regex set of 50, origin 128 → 256 bytes grows at most linearly (≤ 2×)",
        "regex=50/request=allowed/origin-len=256",
        "regex=50/request=allowed/origin-len=128",
        2.0,
    );
    compare(
        "regex set of 50, origin 32 → 256 bytes grows at most linearly (≤ 8×)",
        "regex=50/request=allowed/origin-len=256",
        "regex=50/request=allowed/origin-len=32",
        8.0,
    );
    for (huge, capped) in common::capped_cases() {
        let (a, b) = (huge.label(), capped.label());
        compare(
            &format!("`{a}` costs what `{b}` does (≤ 1.02×)"),
            &a,
            &b,
            1.02,
        );
    }
    for k in [Kind::HostileCommas, Kind::HostileNames, Kind::HostileLines] {
        compare(
            &format!("`{}` ≤ 4× an allowed preflight", k.label()),
            &format!("origins=3/request={}", k.label()),
            "origins=3/request=preflight",
            4.0,
        );
    }

    let _ = writeln!(out, "#### Targets\n");
    let _ = writeln!(out, "| target | measured | met |");
    let _ = writeln!(out, "|---|---:|:---:|");
    for t in &targets {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            t.what,
            t.value,
            if t.met { "yes" } else { "**no**" }
        );
    }
    if runner.cache.values().any(|c| c.uneven) {
        let _ = writeln!(
            out,
            "\n`*`: the first requests of the run allocated differently from the later ones."
        );
    }
    print!("{out}");
    if targets.iter().any(|t| !t.met) {
        eprintln!("some targets are not met");
    }
}

fn run_one(stack: &str, case: &str, n: &str) {
    let stack = Stack::parse(stack).unwrap_or_else(|| fail(&format!("unknown stack {stack:?}")));
    let case = Case::parse(case).unwrap_or_else(|| fail(&format!("unknown case {case:?}")));
    let n: usize = n
        .parse()
        .unwrap_or_else(|_| fail(&format!("not a count: {n:?}")));
    let heap = with_stack(
        stack,
        case.origins,
        Measure {
            spec: case.spec(),
            n,
        },
    );
    println!(
        "allocations={} bytes={} n={n}",
        heap.allocations, heap.bytes
    );
}

/// Each oversized input costs what an input just over its cap costs: instructions per
/// request under callgrind (this binary, whatever its profile), equal within 2 %. Needs
/// valgrind, and fails without it. Returns the number of checks.
fn check_caps(failures: &mut Vec<String>) -> usize {
    if !has_valgrind() {
        failures.push("valgrind is needed to count instructions (apt-get install valgrind)".into());
        return 1;
    }
    let exe = env::current_exe().unwrap_or_else(|e| fail(&format!("no current exe: {e}")));
    let runner = Runner {
        exe,
        out_dir: env::temp_dir(),
        quick: true,
        cache: HashMap::new(),
    };
    let per_request = |case: &Case| {
        let (small, large) = (4, 24);
        let (i0, _) = runner.callgrind(Stack::TowerCors, case, small);
        let (i1, _) = runner.callgrind(Stack::TowerCors, case, large);
        i1.saturating_sub(i0) as f64 / (large - small) as f64
    };
    let pairs = common::capped_cases();
    for (huge, capped) in &pairs {
        let (h, c) = (per_request(huge), per_request(capped));
        println!(
            "{}: {h:.0} instructions per request; {}: {c:.0}",
            huge.label(),
            capped.label()
        );
        if h > 1.02 * c || c > 1.02 * h {
            failures.push(format!(
                "{} costs {h:.0} instructions per request, {} {c:.0}: the cap does not hold",
                huge.label(),
                capped.label()
            ));
        }
    }
    pairs.len()
}

/// One request of every cell, natively, checked.
fn self_check() {
    let plan = plan();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in plan.direct.iter().chain(&plan.scale) {
        for stack in Stack::ALL {
            let axum = stack.baseline() == Stack::Axum;
            let is_tower_http = matches!(stack, Stack::TowerHttp | Stack::AxumTowerHttp);
            let runtime = Stack::RUNTIME.contains(&stack);
            if ((axum || runtime) && !plan.direct.contains(case))
                || (is_tower_http && !tower_http_can(case))
                || (stack == Stack::Floor && !floor_can(case))
            {
                continue;
            }
            checked += 1;
            if let Err(e) = check(stack, case) {
                failures.push(e);
            }
        }
    }
    checked += check_caps(&mut failures);
    for f in &failures {
        eprintln!("FAILED {f}");
    }
    println!(
        "{} passed, {} failed",
        checked - failures.len(),
        failures.len()
    );
    if !failures.is_empty() {
        process::exit(1);
    }
}

fn has_valgrind() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["run", stack, case, n] => run_one(stack, case, n),
        ["report", rest @ ..] => report(rest.contains(&"--quick")),
        // `cargo bench` runs every bench target: without valgrind, say so and move on.
        [.., "--bench"] | ["--bench", ..] if !has_valgrind() => {
            eprintln!(
                "instructions: valgrind not found, skipped (see scripts/bench-instructions.sh)"
            );
        }
        [.., "--bench"] | ["--bench", ..] => report(false),
        _ => self_check(),
    }
}
