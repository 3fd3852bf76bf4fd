#!/usr/bin/env bash
# One-shot, idempotent set-up for a fresh Debian or Ubuntu machine:
#   system packages -> .venv from a Python that can load SQLite extensions
#   -> pinned dependencies -> migrations -> demo data (once).
# Every step checks first and skips what is already done, so a second run is quick.
# Usage: scripts/setup.sh [--no-demo]
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
SEED_DEMO=1
[ "${1:-}" = "--no-demo" ] && SEED_DEMO=0

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

# 1. System packages (GDAL/GEOS/PROJ for GeoDjango, mod_spatialite, venv support).
SYSTEM_PACKAGES="gdal-bin libsqlite3-mod-spatialite python3-venv"
# shellcheck disable=SC2086
ensure_apt_packages() {
    local missing=""
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    if ! command -v apt-get >/dev/null; then
        die "Missing system packages:$missing. This machine has no apt-get: install GDAL, GEOS, PROJ and SpatiaLite (mod_spatialite) with your package manager, then run this again."
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null \
            || die "Missing system packages:$missing. Run as root: apt-get install -y$missing"
        sudo="sudo"
    fi
    say "Installing system packages:$missing"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
}
# Other scripts reuse the package step alone: SKYLEDGER_SETUP_ONLY_APT=1 setup.sh PACKAGE...
if [ "${SKYLEDGER_SETUP_ONLY_APT:-}" = "1" ]; then
    ensure_apt_packages "$@"
    exit 0
fi
ensure_apt_packages $SYSTEM_PACKAGES

# 2. A Python >= 3.11 whose sqlite3 can load mod_spatialite (pyenv builds often cannot).
python_ok() {
    "$1" - <<'PY' >/dev/null 2>&1
import sqlite3, sys
assert sys.version_info >= (3, 11)
import venv  # noqa: F401  (Debian splits it into python3-venv)
import ensurepip  # noqa: F401
c = sqlite3.connect(":memory:")
c.enable_load_extension(True)
c.load_extension("mod_spatialite")
PY
}

pick_python() {
    local candidate
    for candidate in ${PYTHON:-} /usr/bin/python3 python3.13 python3.12 python3.11 python3; do
        local path
        path=$(command -v "$candidate" 2>/dev/null) || continue
        if python_ok "$path"; then echo "$path"; return 0; fi
    done
    return 1
}

if [ -x "$VENV/bin/python" ] && python_ok "$VENV/bin/python"; then
    :
else
    [ -d "$VENV" ] && say "Existing .venv cannot load SQLite extensions; rebuilding it."
    PY=$(pick_python) || die "No Python >= 3.11 here can load SQLite extensions (needed for SpatiaLite).
Fix: apt-get install -y python3 python3-venv libsqlite3-mod-spatialite
     (Debian's /usr/bin/python3 can load them; pyenv builds usually cannot),
     or rebuild your Python with PYTHON_CONFIGURE_OPTS=--enable-loadable-sqlite-extensions,
     or point PYTHON=/path/to/python3 at one that can, then run this again."
    say "Creating .venv with $PY"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
fi

# 3. Pinned dependencies; reinstall only when pyproject.toml or constraints.txt change.
STAMP="$VENV/.skyledger-installed"
WANT=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    say "Installing pinned Python dependencies"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip==24.3.1
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        -c constraints.txt -e ".[dev]"
    echo "$WANT" > "$STAMP"
fi

# 4. Database and demo data (both idempotent themselves).
mkdir -p var
"$VENV/bin/python" manage.py migrate --no-input -v 0
if [ "$SEED_DEMO" = "1" ]; then
    "$VENV/bin/python" manage.py seed_demo 
fi
say "Ready."
