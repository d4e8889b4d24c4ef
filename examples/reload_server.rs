//! The server of the reload load run (`scripts/reload-stall.sh`): an axum API behind a
//! reloadable, credentialed `CorsLayer` of 1,000,000 exact origins, listening on loopback
//! only, that replaces its policy with another of 1,000,000 origins every `--swap-every-ms`
//! (0: never) and stops by itself after `--max-seconds`. `--grace-ms` (default 200) is how
//! long the old policy is kept after a swap, `--delay-ms` (default 0) how long the handler
//! takes to answer.
//!
//! Run with:
//!
//! ```sh
//! cargo run --release --example reload_server -- --port 0 --swap-every-ms 3000 --max-seconds 60
//! ```
//!
//! A background thread builds each new policy (never a request), promotes it with
//! `PolicyHandle::replace`, keeps the old one for a grace period (longer than any request
//! in flight) and then drops it itself, so that freeing a large policy does not fall on the
//! request that happens to release the last reference. A counting global allocator tells
//! whether that drop freed the policy (it gives back the policy's bytes) or only released
//! a reference that a request still held.
//!
//! It prints `listening on 127.0.0.1:<port>` once bound, the first policy's build time,
//! heap bytes and the resident memory before and after it, and, when it stops, the swaps
//! made (build and drop times, how many old policies the swapping thread freed itself)
//! and the peak resident memory.

use std::alloc::System;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, HeaderName, Method};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use tower_cors::{CorsLayer, CorsPolicy, PolicyHandle};

/// Counts heap bytes, so that the server can tell who frees an old policy.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The value of `--name value` on the command line, if given.
fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

/// Generation `g`'s policy: origins `i` for `i` in `g % 2 .. n + g % 2`, so that two
/// generations differ in two origins and share every other one, e.g.
/// `https://tenant000500.customer-domain-0.com`.
fn policy(n: usize, generation: usize) -> Result<CorsPolicy, tower_cors::PolicyError> {
    let shift = generation % 2;
    CorsPolicy::builder()
        .allow_origins(
            (shift..n + shift)
                .map(|i| format!("https://tenant{i:06}.customer-domain-{}.com", i % 100)),
        )
        .allow_methods([Method::GET, Method::POST, Method::PUT])
        .allow_headers(["content-type", "authorization"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .build()
}

/// Answers with the request's `Origin` in `x-origin`, so that the load generator can tell
/// which answer belongs to which request, after `delay` (a handler waiting on a database,
/// say: the request holds the policy it started with until it answers).
async fn echo_origin(headers: HeaderMap, delay: Duration) -> impl IntoResponse {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let origin = headers.get(ORIGIN).cloned();
    (
        [(HeaderName::from_static("x-origin"), origin)]
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?)))
            .collect::<HeaderMap>(),
        "[1,2,3]",
    )
}

/// A line of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`), 0 where there is none.
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// What the swapping thread did.
#[derive(Default)]
struct Swaps {
    count: usize,
    build: Vec<Duration>,
    drop: Vec<Duration>,
    /// Swaps whose old policy the swapping thread freed itself: its drop gave back at least
    /// 90 % of a policy's heap bytes (releasing one reference among several frees nothing).
    freed_here: usize,
}

/// Heap bytes in use now, from the counting allocator.
fn live_bytes() -> usize {
    let s = GLOBAL.stats();
    s.bytes_allocated.saturating_sub(s.bytes_deallocated)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = arg("--port").map_or(Ok(0), |p| p.parse())?;
    let max_seconds: u64 = arg("--max-seconds").map_or(Ok(60), |s| s.parse())?;
    let origins: usize = arg("--origins").map_or(Ok(1_000_000), |s| s.parse())?;
    let every_ms: u64 = arg("--swap-every-ms").map_or(Ok(0), |s| s.parse())?;
    let grace = Duration::from_millis(arg("--grace-ms").map_or(Ok(200), |s| s.parse())?);
    let delay = Duration::from_millis(arg("--delay-ms").map_or(Ok(0), |s| s.parse())?);

    // Every policy, the first included, is built on one background thread, so that the
    // allocator reuses one thread's free memory from build to build.
    let (first_tx, first_rx) = std::sync::mpsc::channel();
    let (handle_tx, handle_rx) = std::sync::mpsc::channel::<PolicyHandle>();
    let stop = Arc::new(AtomicBool::new(false));
    let stop_swapping = Arc::clone(&stop);
    let swapper = std::thread::spawn(move || -> Result<Swaps, String> {
        let rss_before = status_kb("VmRSS");
        let heap_before = live_bytes();
        let started = Instant::now();
        let first = policy(origins, 0).map_err(|e| e.to_string())?;
        let policy_bytes = live_bytes().saturating_sub(heap_before);
        println!(
            "policy: origins={origins} build_ms={} heap_bytes={policy_bytes} rss_kb before={rss_before} after={}",
            started.elapsed().as_millis(),
            status_kb("VmRSS"),
        );
        first_tx.send(first).map_err(|e| e.to_string())?;
        let handle = handle_rx.recv().map_err(|e| e.to_string())?;
        let mut swaps = Swaps::default();
        let every = Duration::from_millis(every_ms);
        while every_ms > 0 && !stop_swapping.load(Ordering::Relaxed) {
            let cycle = Instant::now();
            let started = Instant::now();
            let next = policy(origins, swaps.count + 1).map_err(|e| e.to_string())?;
            swaps.build.push(started.elapsed());
            // Keep the old policy: requests in flight may still hold it.
            let old = handle.current();
            handle.replace(next);
            swaps.count += 1;
            std::thread::sleep(grace);
            let (heap, started) = (GLOBAL.stats().bytes_deallocated, Instant::now());
            drop(old);
            swaps.drop.push(started.elapsed());
            let freed = GLOBAL.stats().bytes_deallocated.saturating_sub(heap);
            if freed >= policy_bytes / 10 * 9 {
                swaps.freed_here += 1;
            }
            std::thread::sleep(every.saturating_sub(cycle.elapsed()));
        }
        Ok(swaps)
    });
    let first = first_rx
        .recv()
        .map_err(|_| "the policy thread stopped before building a policy")?;
    let (layer, handle) = CorsLayer::reloadable(first);
    handle_tx.send(handle)?;

    let app = Router::new()
        .route(
            "/api/items",
            get(move |headers: HeaderMap| echo_origin(headers, delay)),
        )
        .layer(layer);
    // Loopback only: the load run never leaves this machine.
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    println!("listening on {}", listener.local_addr()?);

    let deadline = tokio::time::sleep(Duration::from_secs(max_seconds));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = deadline => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        })
        .await?;
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().map_err(|_| "the policy thread panicked")??;
    if every_ms > 0 {
        let max = |v: &[Duration]| v.iter().max().map_or(0.0, |d| d.as_secs_f64() * 1e3);
        let mean = |v: &[Duration]| {
            v.iter().map(Duration::as_secs_f64).sum::<f64>() * 1e3 / v.len().max(1) as f64
        };
        println!(
            "swaps: count={} build_ms mean={:.0} max={:.0} drop_ms mean={:.2} max={:.2} \
             freed_by_swapper={}",
            swaps.count,
            mean(&swaps.build),
            max(&swaps.build),
            mean(&swaps.drop),
            max(&swaps.drop),
            swaps.freed_here,
        );
    }
    println!("rss_kb peak={}", status_kb("VmHWM"));
    println!("stopped");
    Ok(())
}
