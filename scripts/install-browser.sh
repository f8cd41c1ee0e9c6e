#!/usr/bin/env bash
# Installs Debian's Chromium for the headless browser test of the agent console.
# Safe to run again: does nothing when /usr/bin/chromium is already there.
# Needs root (apt-get); prints one progress line and stays quiet otherwise.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "[browser] chromium is already installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "[browser] /usr/bin/chromium is missing; run this script as root to install it" >&2
    exit 1
fi
echo "[browser] installing Debian's chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "[browser] apt-get could not install chromium" >&2
    exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
    echo "[browser] apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
