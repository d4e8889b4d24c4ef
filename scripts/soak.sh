#!/usr/bin/env bash
# Soak test: the CORS layer in an axum server (examples/soak_server.rs) under a bounded wrk
# load of mixed valid and hostile requests (scripts/soak.lua), on loopback only.
#
# Not part of `cargo test`. Run from the repository root:
#
#   scripts/soak.sh            # 60 s of load
#   scripts/soak.sh 300        # 300 s
#
# Environment: SOAK_THREADS (wrk threads, default 2), SOAK_CONNECTIONS (default 32),
# SOAK_MAX_GROWTH_KB (allowed resident-memory growth over the run, default 2048).
#
# Prints requests/s, answers per class, wrk's error counts, and the server's resident
# memory (VmRSS) at start, after a 5 s warm-up, every 10 s, and at the end. Fails when
# memory grows by more than SOAK_MAX_GROWTH_KB between the end of the warm-up and the end,
# or when any response allowed an origin the policy does not allow.
set -euo pipefail

duration="${1:-60}"
threads="${SOAK_THREADS:-2}"
connections="${SOAK_CONNECTIONS:-32}"
max_growth_kb="${SOAK_MAX_GROWTH_KB:-2048}"

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "soak: wrk not found (apt-get install wrk)" >&2; exit 2; }

cargo build --quiet --release --example soak_server
workdir="$(mktemp -d)"
# The server stops by itself shortly after the load, whatever happens to this script.
target/release/examples/soak_server --port 0 --max-seconds $((duration + 60)) \
  >"$workdir/server.log" 2>&1 &
server=$!
cleanup() {
  kill -INT "$server" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

port=""
for _ in $(seq 100); do
  port="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$workdir/server.log")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "soak: server did not start" >&2; cat "$workdir/server.log" >&2; exit 1; }
url="http://127.0.0.1:$port/api/items"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$server/status"; }

rss_idle="$(rss_kb)"
wrk -t "$threads" -c "$connections" -d 5s -s scripts/soak.lua "$url" >/dev/null
rss_start="$(rss_kb)"

( while kill -0 "$server" 2>/dev/null; do sleep 10; echo "soak: rss_kb=$(rss_kb)"; done ) \
  >"$workdir/rss.log" 2>/dev/null &
sampler=$!
wrk -t "$threads" -c "$connections" -d "${duration}s" --latency -s scripts/soak.lua "$url" \
  | tee "$workdir/wrk.log"
kill "$sampler" 2>/dev/null || true
rss_end="$(rss_kb)"

echo "soak: rss_kb idle=$rss_idle after_warmup=$rss_start end=$rss_end"
echo "soak: rss_kb samples: $(sed -n 's/^soak: rss_kb=//p' "$workdir/rss.log" | tr '\n' ' ')"
status=0
if [ $((rss_end - rss_start)) -gt "$max_growth_kb" ]; then
  echo "soak: FAIL resident memory grew by $((rss_end - rss_start)) KiB" >&2
  status=1
fi
if ! grep -q 'acao_leaks=0$' "$workdir/wrk.log"; then
  echo "soak: FAIL a response allowed an origin outside the policy" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "soak: ok"
exit "$status"
