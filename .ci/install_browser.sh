#!/usr/bin/env bash
# Installs Debian's Chromium for tests/test_browser.py (driven by Playwright with the system browser: Playwright's
# own browser downloads are not possible here). Does nothing when `chromium` is already on PATH. Needs root (CI is).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    echo "chromium already installed: $(command -v chromium)"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y chromium
