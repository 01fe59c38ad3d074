#!/usr/bin/env bash
# Installs Debian's Chromium for tests/test_browser.py (driven by Playwright with the system browser: Playwright's
# own browser downloads are not possible here). `make test` calls it. Does nothing when `chromium` is already on
# PATH; without root or apt-get it says so and returns (the browser test then skips with that reason).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium not installed and no root apt-get here: tests/test_browser.py will skip (install Debian's chromium to run it)"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y chromium
