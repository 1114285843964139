#!/usr/bin/env bash
# apt-get install the Debian packages named, as root (or through password-less sudo): what the setup scripts
# (setup_chromium.sh, setup_libreoffice.sh) share. Usage: tools/apt_install.sh WHY PACKAGE...
set -euo pipefail
why=$1; shift
[ $# -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "$(basename "$0"): need root to apt-get install $* ($why)" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
