#!/usr/bin/env bash
# Fuzzing for CI: replays every committed corpus in fuzz/corpus/, then fuzzes each target
# for a bounded time (default 30 s). Works on the stable toolchain (RUSTC_BOOTSTRAP=1 lets
# cargo-fuzz use the sanitizer flags) and installs cargo-fuzz when it is missing.
#
#   scripts/fuzz-ci.sh          # 30 s per target
#   scripts/fuzz-ci.sh 600      # 10 minutes per target
#
# New inputs found while fuzzing go to a scratch directory, never into the committed corpus.
# A crash stops the script with a non-zero status; the input is in fuzz/artifacts/<target>/.
set -euo pipefail

seconds="${1:-${FUZZ_SECONDS:-30}}"
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# target:max_len — inputs must be able to exceed the layer's caps (Origin 1024 bytes,
# Access-Control-Request-Headers 4096 bytes, an origin regex 4096 bytes).
targets=(origin:2048 request_headers:16384 policy_build:4096 service:4096 regex_analysis:4200)

cargo fuzz build

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

for entry in "${targets[@]}"; do
  target="${entry%%:*}"
  max_len="${entry##*:}"
  corpus="corpus/$target"
  count="$(find "$corpus" -type f | wc -l)"
  echo "fuzz: $target: replaying $count corpus inputs"
  cargo fuzz run "$target" "$corpus" -- -runs=0 -max_len="$max_len"

  echo "fuzz: $target: fuzzing for ${seconds}s"
  mkdir -p "$scratch/$target"
  cp "$corpus"/* "$scratch/$target/"
  log="$scratch/$target.log"
  if ! cargo fuzz run "$target" "$scratch/$target" -- \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target: crash (input in fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
done
echo "fuzz: all targets replayed and fuzzed for ${seconds}s each without a crash"
