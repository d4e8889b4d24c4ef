#!/usr/bin/env bash
# Instructions (valgrind callgrind) and heap allocations per request, tower-cors beside
# tower-http and the same stack without a CORS layer. Prints markdown tables.
#
# Usage: scripts/bench-instructions.sh [--quick]
#   --quick  count 1,000 requests per cell instead of 10,000 (same per-request numbers,
#            about five times faster)
#
# Each cell runs the `instructions` bench binary twice under callgrind, counting only its
# serving loop (`--toggle-collect`), with n and n + N prebuilt requests; the difference
# divided by N is the per-request cost, so start-up and first-request costs cancel.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  echo "error: valgrind is needed (apt-get install valgrind)" >&2
  exit 1
fi

exe=$(cargo bench --features regex --bench instructions --no-run --message-format=json \
  | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
if [ -z "$exe" ]; then
  echo "error: could not find the instructions bench binary" >&2
  exit 1
fi

lock_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print }' Cargo.lock
}

echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(uname -sm)"
echo "Toolchain: $(rustc -V), $(valgrind --version); tower-http $(lock_version tower-http | tail -n 1), axum $(lock_version axum | tail -n 1), http $(lock_version http | tail -n 1)"
echo "Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
echo
"$exe" report "$@"
