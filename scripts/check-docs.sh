#!/usr/bin/env bash
# The documentation builds and resolves under every feature set, and its
# examples pass:
#
#   scripts/check-docs.sh
#
# - `cargo doc` of the library with warnings and broken intra-doc links as
#   errors, with no feature, each feature alone and all of them: a link to an
#   item behind a feature breaks the build without it;
# - `cargo test --doc --all-features`: the Rust blocks of the crate's docs,
#   of README.md and of the guides in docs/ (included as `tower_cors::docs`).
#
# Every feature set runs even when one fails; the script fails at the end,
# naming the sets that failed.
set -uo pipefail
cd "$(dirname "$0")/.."

FEATURE_SETS=("" regex tracing serde reload watch --all-features)
export RUSTDOCFLAGS="-D warnings -D rustdoc::broken_intra_doc_links"

log() { printf '== %s\n' "$*" >&2; }
failed=()
for set in "${FEATURE_SETS[@]}"; do
  case "$set" in
    "") name="no feature"; args=() ;;
    --all-features) name="all features"; args=(--all-features) ;;
    *) name="feature $set"; args=(--no-default-features --features "$set") ;;
  esac
  log "cargo doc ($name)"
  cargo doc --no-deps -p tower-cors "${args[@]}" || failed+=("cargo doc ($name)")
done

log "cargo test --doc --all-features"
cargo test --doc --all-features -p tower-cors || failed+=("doc tests")

if ((${#failed[@]})); then
  printf 'check-docs: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
log "docs: every feature set resolves, every example passes"
