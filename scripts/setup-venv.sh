#!/usr/bin/env bash
# Creates .venv with a Python that Rasa supports and installs the locked
# dependencies into it with uv. Safe to run again: uv only changes what differs.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
python=$(scripts/provision-python.sh)
echo "[venv] using $python ($("$python" --version 2>&1))"

uv_bin=$(command -v uv || true)
if [ -z "$uv_bin" ]; then
    if [ ! -x build/tools/bin/uv ]; then
        echo "[venv] installing uv $UV_VERSION into build/tools"
        if ! python3 -m venv --help >/dev/null 2>&1; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        fi
        python3 -m venv build/tools
        build/tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
    fi
    uv_bin=build/tools/bin/uv
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] in ((3, 9), (3, 10))' 2>/dev/null; then
    rm -rf .venv
    "$uv_bin" venv --quiet --python "$python" .venv
fi
echo "[venv] installing locked dependencies (requirements.lock)"
"$uv_bin" pip sync --python .venv/bin/python requirements.lock
