#!/usr/bin/env bash
# Debian's Chromium for the Playwright tests; Playwright must never download a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
    SKYLEDGER_SETUP_ONLY_APT=1 scripts/setup.sh chromium
fi
