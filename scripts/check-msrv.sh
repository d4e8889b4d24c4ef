#!/usr/bin/env bash
# Fails when the declared MSRV (`rust-version` of tower-cors) is lower than
# the `rust-version` declared by any crate of its default dependency tree
# (normal and build dependencies, default features, as resolved by the lock
# file). Old toolchains are not installed here, so this checks the declared
# numbers; `cargo clippy` (lint `incompatible_msrv`) checks the standard
# library items the crate itself uses against the same number.
set -euo pipefail
cd "$(dirname "$0")/.."

tree=$(cargo tree -p tower-cors -e normal,build --prefix none --format '{p}' |
  sed -e 's/ (\*)$//' -e 's/ (proc-macro)$//' -e 's/ (.*)$//' | sort -u)
cargo metadata --format-version 1 --locked | TREE="$tree" python3 -c '
import json, os, sys

def key(v):
    return tuple(int(x) for x in (v.split(".") + ["0", "0"])[:3])

meta = json.load(sys.stdin)
ours = next(p for p in meta["packages"] if p["name"] == "tower-cors" and p["source"] is None)
msrv = ours.get("rust_version")
if not msrv:
    sys.exit("tower-cors declares no rust-version")
wanted = {tuple(line.split(" ")[:2]) for line in os.environ["TREE"].splitlines() if line}
rows, too_new = [], []
for p in meta["packages"]:
    if (p["name"], "v" + p["version"]) not in wanted or p is ours:
        continue
    rv = p.get("rust_version")
    rows.append((key(rv) if rv else (0, 0, 0), p["name"], p["version"], rv or "-"))
    if rv and key(rv) > key(msrv):
        too_new.append("%s %s needs Rust %s" % (p["name"], p["version"], rv))
print(f"tower-cors rust-version = {msrv}; default tree ({len(rows)} dependencies):")
for _, name, version, rv in sorted(rows, reverse=True):
    print(f"  {name} {version}: rust-version {rv}")
if too_new:
    sys.exit("rust-version is lower than what the default tree declares:\n  " + "\n  ".join(too_new))
print("ok: no dependency of the default tree declares a higher rust-version")
'
