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
#   - for cors-probe's tests against the seed article's servers: Node.js and npm,
#     python3-venv (Debian), then `npm ci` of cors-probe/tests/seed/package-lock.json
#     (Express 4, cors, and Express 5 to show it rejects `app.options('*')`) and a
#     venv with cors-probe/tests/seed/requirements.txt (FastAPI, uvicorn), both
#     under $SEED_SERVERS_DIR (default target/seed-servers), redone only when the
#     pinned files change;
#   - geckodriver (Firefox's WebDriver), which Debian does not package:
#     `cargo install geckodriver --locked --debug` into $GECKODRIVER_ROOT/bin
#     (default: $CARGO_HOME, i.e. ~/.cargo/bin), a cached location that later
#     runs reuse (a debug build: about 2 minutes instead of 5, and fast enough).
#
# Then checks the documentation (scripts/check-docs.sh: `cargo doc` under every
# feature set with broken intra-doc links as errors, and the doc tests), and runs
# $TEST_CMD (default: the README's full test command). A missing
# browser after this point fails the browser tests; nothing is skipped.
# Plain `cargo test` remains the quick, browser-free path.
set -euo pipefail
cd "$(dirname "$0")/.."

TEST_CMD="${TEST_CMD:-cargo test --workspace --all-features -- --include-ignored}"
GECKODRIVER_VERSION="${GECKODRIVER_VERSION:-0.37.1}"
GECKODRIVER_ROOT="${GECKODRIVER_ROOT:-${CARGO_HOME:-$HOME/.cargo}}"
APT_PACKAGES=(chromium chromium-driver firefox-esr webkit2gtk-driver xvfb xauth nginx-light valgrind)
SEED_SERVERS_DIR="${SEED_SERVERS_DIR:-$PWD/target/seed-servers}"
SEED_SOURCES=cors-probe/tests/seed
# Node.js and Python may come from elsewhere (nvm, pyenv): install Debian's only when missing.
command -v node >/dev/null && command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)
if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  APT_PACKAGES+=(python3 python3-venv)
fi

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

# ---- the seed article's servers (npm and PyPI) -------------------------------
mkdir -p "$SEED_SERVERS_DIR/node"
stamp() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }
node_stamp="$(stamp "$SEED_SOURCES/package.json" "$SEED_SOURCES/package-lock.json")"
if [ "$(cat "$SEED_SERVERS_DIR/node/.stamp" 2>/dev/null)" != "$node_stamp" ]; then
  log "npm ci (Express 4, cors, Express 5) into $SEED_SERVERS_DIR/node"
  cp "$SEED_SOURCES/package.json" "$SEED_SOURCES/package-lock.json" "$SEED_SERVERS_DIR/node/"
  (cd "$SEED_SERVERS_DIR/node" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$node_stamp" >"$SEED_SERVERS_DIR/node/.stamp"
fi
venv_stamp="$(stamp "$SEED_SOURCES/requirements.txt")"
if [ "$(cat "$SEED_SERVERS_DIR/venv/.stamp" 2>/dev/null)" != "$venv_stamp" ]; then
  log "venv with FastAPI and uvicorn in $SEED_SERVERS_DIR/venv"
  rm -rf "$SEED_SERVERS_DIR/venv"
  python3 -m venv "$SEED_SERVERS_DIR/venv"
  "$SEED_SERVERS_DIR/venv/bin/pip" install --quiet --disable-pip-version-check -r "$SEED_SOURCES/requirements.txt"
  echo "$venv_stamp" >"$SEED_SERVERS_DIR/venv/.stamp"
fi
export SEED_SERVERS_DIR

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
log "seed servers"
node --version
"$SEED_SERVERS_DIR/venv/bin/python" -c 'import fastapi, uvicorn; print("fastapi", fastapi.__version__, "uvicorn", uvicorn.__version__)'

# ---- the documentation -----------------------------------------------------
# Intra-doc links under every feature set, and the doc tests (README, guides).
log "scripts/check-docs.sh"
scripts/check-docs.sh

# ---- the suite --------------------------------------------------------------
log "$TEST_CMD"
exec $TEST_CMD
