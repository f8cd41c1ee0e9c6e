#!/usr/bin/env bash
# Prints the path of a Python interpreter that Rasa 3.6 supports (3.10 or 3.9),
# installing Python 3.9 from Debian's previous release when the machine has none.
#
# Debian bookworm ships only Python 3.11. Its predecessor, bullseye, ships 3.9.
# bullseye is added as an extra apt source on the machine's own Debian mirror,
# pinned low so that nothing else is ever taken from it.
set -euo pipefail

log() { echo "[python] $*" >&2; }

works() { "$1" -c 'import sys, distutils.util; assert sys.version_info[:2] in ((3, 9), (3, 10))' >/dev/null 2>&1; }

find_python() {
    local candidate
    for candidate in python3.10 python3.9; do
        if path=$(command -v "$candidate" 2>/dev/null) && works "$path"; then
            echo "$path"; return 0
        fi
    done
    # pyenv keeps interpreters outside PATH behind shims that refuse to run them.
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10 \
                     "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9.*/bin/python3.9 \
                     /usr/bin/python3.10 /usr/bin/python3.9; do
        if [ -x "$candidate" ] && works "$candidate"; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

debian_mirror() {
    local uri
    uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || { log "no Debian mirror configured in /etc/apt"; exit 1; }
    echo "$uri"
}

install_python39() {
    [ "$(id -u)" = 0 ] || { log "installing Python 3.9 needs root (apt-get)"; exit 1; }
    local mirror tmp
    mirror=$(debian_mirror)
    log "installing Python 3.9 from Debian bullseye (mirror: $mirror)"
    cat > /etc/apt/sources.list.d/bullseye.sources <<SOURCES
Types: deb
URIs: $mirror
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    cat > /etc/apt/preferences.d/bullseye-low <<PIN
Package: *
Pin: release n=bullseye
Pin-Priority: 100
PIN
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.9 python3.9-dev >/dev/null
    # distutils and lib2to3 only add files under /usr/lib/python3.9; installing the
    # packages normally would downgrade the system Python, so they are unpacked.
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq python3-distutils=3.9.2-1 python3-lib2to3=3.9.2-1)
    for deb in "$tmp"/*.deb; do dpkg -x "$deb" /; done
    rm -rf "$tmp"
}

if ! find_python; then
    install_python39
    find_python || { log "Python 3.9 was installed but does not work"; exit 1; }
fi
