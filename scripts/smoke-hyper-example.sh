#!/usr/bin/env bash
# Runs `examples/hyper_server.rs` on a free port and checks that it answers a
# preflight from its allowed origin.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --example hyper_server
out=$(mktemp)
PORT=0 target/debug/examples/hyper_server >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$out" && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$out")
[ -n "$url" ] || { echo "the example did not start" >&2; exit 1; }
headers=$(curl -s -D - -o /dev/null -X OPTIONS "$url/notes" \
  -H 'Origin: http://localhost:5173' \
  -H 'Access-Control-Request-Method: PUT' \
  -H 'Access-Control-Request-Headers: content-type')
printf '%s\n' "$headers"
printf '%s\n' "$headers" | grep -qi '^access-control-allow-origin: http://localhost:5173' ||
  { echo "no Access-Control-Allow-Origin in the preflight answer" >&2; exit 1; }
echo "ok: the hyper example answers the preflight"
