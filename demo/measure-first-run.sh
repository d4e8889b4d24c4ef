#!/usr/bin/env bash
# The demo's first run as a new user sees it: a fresh clone, an empty target
# directory, `cargo run -p tower-cors-demo`. Prints how many crates compiled
# and how long until the page answered, counted from the command's start.
#
#   demo/measure-first-run.sh [CLONE_DIR]   (default: a new temporary directory, removed after)
#
# Dependencies already in ~/.cargo/registry are not downloaded again; the
# machine's load (uptime) is printed before and after, since other builds
# slow this one.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$(mktemp -d)}"
cleanup() {
  [ -n "${pid:-}" ] && kill -- -"$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
rm -rf "$dir"
git clone -q "$repo" "$dir"
cd "$dir"
echo "load before: $(uptime)"
start=$(date +%s.%N)
set -m
CARGO_TARGET_DIR="$dir/target" cargo run -p tower-cors-demo >run.log 2>build.log &
pid=$!
set +m
url=""
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the demo stopped:" >&2; cat build.log run.log >&2; exit 1
  fi
  [ -z "$url" ] && url=$(sed -n 's/^  open: //p' run.log)
  if [ -n "$url" ] && curl -fsS -o /dev/null "$url" 2>/dev/null; then break; fi
  sleep 0.2
done
end=$(date +%s.%N)
echo "load after:  $(uptime)"
echo "crates compiled: $(grep -c '^ *Compiling ' build.log)"
printf 'page answered after: %.1f s (%s)\n' "$(echo "$end - $start" | bc)" "$url"
