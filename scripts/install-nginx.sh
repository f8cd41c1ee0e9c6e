#!/usr/bin/env bash
# Installs Debian's nginx for the production layout (`make run-prod`) and its test.
# Safe to run again: does nothing when /usr/sbin/nginx is already there.
# The system's nginx service is not started: the assistant runs nginx itself,
# in the foreground, with its own configuration under var/prod/.
# Needs root (apt-get); prints one progress line and stays quiet otherwise.
set -euo pipefail

if [ -x /usr/sbin/nginx ]; then
    echo "[nginx] nginx is already installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "[nginx] /usr/sbin/nginx is missing; run this script as root to install it" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
policy=/usr/sbin/policy-rc.d
cleanup() {
    rm -f "$log"
    if [ -n "${own_policy:-}" ]; then rm -f "$policy"; fi
}
trap cleanup EXIT
# Debian's maintainer scripts start a freshly installed service unless
# policy-rc.d says no (exit 101); a policy the machine already has is kept.
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
fi
candidate() {
    apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'
}
if ! apt-get update -qq >"$log" 2>&1; then
    cat "$log" >&2
    echo "[nginx] apt-get update failed" >&2
    exit 1
fi
# Bookworm ships the binary in `nginx`; older releases only in flavours such as nginx-light.
package=""
for name in nginx nginx-light; do
    version=$(candidate "$name")
    if [ -n "$version" ] && [ "$version" != "(none)" ]; then
        package=$name
        break
    fi
done
if [ -z "$package" ]; then
    echo "[nginx] neither nginx nor nginx-light is available from the machine's apt sources" >&2
    exit 1
fi
echo "[nginx] installing Debian's $package with apt-get"
if ! apt-get install -y -qq --no-install-recommends "$package" >"$log" 2>&1; then
    cat "$log" >&2
    echo "[nginx] apt-get could not install $package" >&2
    exit 1
fi
if [ ! -x /usr/sbin/nginx ]; then
    echo "[nginx] apt-get finished but /usr/sbin/nginx is still missing" >&2
    exit 1
fi
