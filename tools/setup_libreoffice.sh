#!/usr/bin/env bash
# Debian's LibreOffice Impress for PPTX decks (deck/pptx.py: `soffice --headless --convert-to pdf` draws their
# pages) and tests/test_deck.py's PPTX tests, and a CJK font for it (LibreOffice 7.4, tried, did not use the variable Noto
# Sans CJK in the project's font wheel: Chinese slides would come out as boxes). A no-op where both are installed.
set -euo pipefail
need=()
command -v soffice >/dev/null || need+=(libreoffice-impress)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "tools/setup_libreoffice.sh: need root to apt-get install ${need[*]} (PPTX decks need them)" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
soffice --version
