#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs whatever is missing, then
# runs every test, the three browser engines included.
#
#   scripts/test-all.sh
#
# Installs (only what is missing):
#   - Debian packages: chromium chromium-driver (Chromium + chromedriver),
#     firefox-esr, webkit2gtk-driver (WebKitWebDriver + MiniBrowser), xvfb xauth
#     (a virtual display for WebKitGTK, which has no headless mode), and
#     nginx-light valgrind, which other parts of the suite use;
#   - geckodriver (Firefox's WebDriver), which Debian does not package:
#     `cargo install geckodriver --locked --debug` into $GECKODRIVER_ROOT/bin
#     (default: $CARGO_HOME, i.e. ~/.cargo/bin), a cached location that later
#     runs reuse (a debug build: about 2 minutes instead of 5, and fast enough).
#
# Then runs $TEST_CMD (default: the README's full test command). A missing
# browser after this point fails the browser tests; nothing is skipped.
# Plain `cargo test` remains the quick, browser-free path.
set -euo pipefail
cd "$(dirname "$0")/.."

TEST_CMD="${TEST_CMD:-cargo test --workspace --all-features -- --include-ignored}"
GECKODRIVER_VERSION="${GECKODRIVER_VERSION:-0.37.1}"
GECKODRIVER_ROOT="${GECKODRIVER_ROOT:-${CARGO_HOME:-$HOME/.cargo}}"
APT_PACKAGES=(chromium chromium-driver firefox-esr webkit2gtk-driver xvfb xauth nginx-light valgrind)

log() { printf '== %s\n' "$*" >&2; }
# PostgreSQL, which the two-replica test of examples/tenants_postgres.rs starts
# in a temporary directory (the Debian package's binaries; no cluster needed).
APT_PACKAGES+=(postgresql)

# ---- Debian packages ----------------------------------------------------
missing=()
for package in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  if ! command -v apt-get >/dev/null; then
    echo "error: ${missing[*]} missing and apt-get is not available; install them by hand" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# ---- geckodriver ----------------------------------------------------------
geckodriver="$GECKODRIVER_ROOT/bin/geckodriver"
if command -v geckodriver >/dev/null && [ ! -x "$geckodriver" ]; then
  geckodriver="$(command -v geckodriver)"
fi
if [ ! -x "$geckodriver" ]; then
  log "installing geckodriver $GECKODRIVER_VERSION into $GECKODRIVER_ROOT/bin"
  env -u RUSTFLAGS cargo install geckodriver --locked --debug --version "$GECKODRIVER_VERSION" --root "$GECKODRIVER_ROOT"
  geckodriver="$GECKODRIVER_ROOT/bin/geckodriver"
fi
export GECKODRIVER="$geckodriver"

# ---- what the browser suite will use ---------------------------------------
log "engines"
chromium --version
chromedriver --version
firefox-esr --version 2>/dev/null || firefox --version
# Whole output: `| head` would close the pipe early and geckodriver panics
# on the broken pipe, which `pipefail` turns into a failed run.
"$GECKODRIVER" --version
dpkg-query -W -f='WebKitGTK ${Version} (webkit2gtk-driver)\n' webkit2gtk-driver

# ---- the suite --------------------------------------------------------------
log "$TEST_CMD"
exec $TEST_CMD
