#!/usr/bin/env bash
# Reload load run: p99 latency and peak memory of a server whose 1,000,000-origin policy is
# replaced again and again while wrk loads it (examples/reload_server.rs,
# scripts/reload-stall.lua), beside the same server never replacing it. Loopback only.
#
# Not part of `cargo test`. Run from the repository root:
#
#   scripts/reload-stall.sh          # 3 rounds of 20 s without and 20 s with swaps
#   scripts/reload-stall.sh 30 3     # 3 rounds of 30 s
#
# Environment: RELOAD_SWAP_MS (time between swaps, default 3000), RELOAD_GRACE_MS (how
# long the old policy is kept after a swap before the swapping thread drops it, default
# 200), RELOAD_DELAY_MS (how long the handler takes, default 0), RELOAD_ORIGINS (default
# 1000000), RELOAD_THREADS (wrk threads, default 2), RELOAD_CONNECTIONS (default 16).
# `RELOAD_GRACE_MS=0 RELOAD_DELAY_MS=20` shows what the grace period prevents: requests
# still holding the old policy free it themselves, and the run fails.
#
# Prints one line per run and the targets: p99 with swaps within 1.5x of p99 without (the
# medians of the rounds); the peak growth of resident memory with swaps at most twice the
# peak growth without (one policy and its build); every old policy freed by the swapping
# thread, never by a request; every answer right (the allowed origin always allowed, the
# refused one never). Fails when one is missed.
set -euo pipefail

duration="${1:-20}"
rounds="${2:-3}"
swap_ms="${RELOAD_SWAP_MS:-3000}"
grace_ms="${RELOAD_GRACE_MS:-200}"
delay_ms="${RELOAD_DELAY_MS:-0}"
origins="${RELOAD_ORIGINS:-1000000}"
threads="${RELOAD_THREADS:-2}"
connections="${RELOAD_CONNECTIONS:-16}"

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "reload: wrk not found (apt-get install wrk)" >&2; exit 2; }

cargo build --quiet --release --example reload_server
workdir="$(mktemp -d)"
server=""
stop_server() {
  [ -n "$server" ] || return 0
  kill -INT "$server" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
}
cleanup() {
  stop_server
  rm -rf "$workdir"
}
trap cleanup EXIT

# run <label> <swap-every-ms>: one server, a 3 s warm-up, then the measured load.
run() {
  local label="$1" every="$2" log="$workdir/$1.server.log"
  target/release/examples/reload_server --port 0 --origins "$origins" \
    --swap-every-ms "$every" --grace-ms "$grace_ms" --delay-ms "$delay_ms" \
    --max-seconds $((duration + 120)) >"$log" 2>&1 &
  server=$!
  local port=""
  for _ in $(seq 600); do
    port="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")"
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "reload: server did not start" >&2; cat "$log" >&2; exit 1; }
  local url="http://127.0.0.1:$port/api/items"
  wrk -t "$threads" -c "$connections" -d 3s -s scripts/reload-stall.lua "$url" >/dev/null
  wrk -t "$threads" -c "$connections" -d "${duration}s" -s scripts/reload-stall.lua "$url" \
    >"$workdir/$label.wrk.log"
  stop_server
  local policy swaps load latency peak
  policy="$(sed -n 's/^policy: //p' "$log")"
  swaps="$(sed -n 's/^swaps: //p' "$log")"
  load="$(sed -n 's/^load: requests/requests/p' "$workdir/$label.wrk.log")"
  latency="$(sed -n 's/^load: latency_us //p' "$workdir/$label.wrk.log")"
  peak="$(sed -n 's/^rss_kb peak=//p' "$log")"
  echo "reload: $label $load latency_us $latency peak_rss_kb=$peak $policy${swaps:+ swaps: $swaps}"
}

field() { sed -n "s/.*[ ]$1=\([0-9.]*\).*/\1/p"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

results="$workdir/results"
for round in $(seq "$rounds"); do
  run "round$round-still" 0 | tee -a "$results"
  run "round$round-swaps" "$swap_ms" | tee -a "$results"
done

p99_still="$(grep -- '-still ' "$results" | field p99 | median)"
p99_swaps="$(grep -- '-swaps ' "$results" | field p99 | median)"
before="$(grep -- '-still ' "$results" | field before | median)"
peak_still="$(grep -- '-still ' "$results" | field peak_rss_kb | sort -n | tail -n 1)"
peak_swaps="$(grep -- '-swaps ' "$results" | field peak_rss_kb | sort -n | tail -n 1)"
heap="$(grep -- '-still ' "$results" | field heap_bytes | median)"
swaps="$(grep -- '-swaps ' "$results" | field count | awk '{ s += $1 } END { print s + 0 }')"
freed="$(grep -- '-swaps ' "$results" | field freed_by_swapper | awk '{ s += $1 } END { print s + 0 }')"
wrong="$(field wrong <"$results" | awk '{ s += $1 } END { print s + 0 }')"
errors="$(field errors <"$results" | awk '{ s += $1 } END { print s + 0 }')"
one=$((peak_still - before))

status=0
ratio="$(awk -v a="$p99_swaps" -v b="$p99_still" 'BEGIN { printf "%.2f", a / b }')"
echo "reload: p99_us still=$p99_still swaps=$p99_swaps ratio=$ratio (target <= 1.5)"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }' || { echo "reload: FAIL p99 with swaps" >&2; status=1; }
echo "reload: policy_heap_kb=$((heap / 1024)) rss_kb before_policy=$before" \
  "peak_growth_still=$one peak_growth_swaps=$((peak_swaps - before)) (target <= $((2 * one)))"
[ $((peak_swaps - before)) -le $((2 * one)) ] || { echo "reload: FAIL peak memory" >&2; status=1; }
echo "reload: swaps=$swaps old_policies_freed_by_the_swapping_thread=$freed"
[ "$swaps" -gt 0 ] && [ "$freed" -eq "$swaps" ] \
  || { echo "reload: FAIL an old policy was freed elsewhere (or no swap)" >&2; status=1; }
echo "reload: wrong_answers=$wrong socket_errors=$errors"
[ "$wrong" -eq 0 ] || { echo "reload: FAIL wrong answers" >&2; status=1; }
[ "$status" -eq 0 ] && echo "reload: ok"
exit "$status"
