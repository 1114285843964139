#!/usr/bin/env bash
# Debian's LibreOffice Impress for PPTX decks (deck/pptx.py: `soffice --headless --convert-to pdf` draws their
# pages) and tests/test_deck.py's PPTX tests. A no-op where soffice is installed.
set -euo pipefail
command -v soffice >/dev/null && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "tools/setup_libreoffice.sh: need root to apt-get install libreoffice-impress (PPTX decks need it)" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends libreoffice-impress >/dev/null
soffice --version
