#!/usr/bin/env bash
# Debian's chromium (and a small CJK font for readable screenshots) for tests/test_app_browser.py.
# Playwright drives it with executable_path=/usr/bin/chromium; Playwright's own browser download is not used.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && exit 0
"$(dirname "$0")/apt_install.sh" "the browser test needs them" "${need[@]}"
/usr/bin/chromium --version
