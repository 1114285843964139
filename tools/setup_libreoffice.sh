#!/usr/bin/env bash
# Debian's LibreOffice Impress for PPTX decks (deck/pptx.py: `soffice --headless --convert-to pdf` draws their
# pages) and tests/test_deck.py's PPTX tests, and a CJK font for it (LibreOffice 7.4, tried, did not use the
# variable Noto Sans CJK in the project's font wheel). A no-op where both are installed.
set -euo pipefail
need=()
command -v soffice >/dev/null || need+=(libreoffice-impress)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && exit 0
"$(dirname "$0")/apt_install.sh" "PPTX decks need them" "${need[@]}"
soffice --version
