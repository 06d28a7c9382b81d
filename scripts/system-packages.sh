#!/usr/bin/env bash
# The Debian packages outside Python that nkflows uses:
#   chromium               the browser test (tests/test_browser.py) opens the report in it
#   fonts-wqy-microhei     Korean and Chinese glyphs, for source titles in the PDF and the browser
#   fonts-ipafont-gothic   Japanese glyphs, likewise
#   fonts-lohit-taml       Tamil glyphs (one source URL is in Tamil script), likewise
# Installs the missing ones with apt-get when run as root on a system that has apt-get.
# Otherwise it says what is missing and what that affects, and exits 0: the browser test
# then skips with that reason, and the PDF shows boxes for the missing glyphs.
set -uo pipefail

PACKAGES=(chromium fonts-wqy-microhei fonts-ipafont-gothic fonts-lohit-taml)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "system packages: not a Debian system with apt-get; install Chromium and CJK fonts yourself" \
         "(without Chromium the browser test is skipped)."
    exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
    echo "system packages: ${PACKAGES[*]} are installed."
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "system packages: missing ${missing[*]}; run 'sudo apt-get install ${missing[*]}'" \
         "(without chromium the browser test is skipped)."
    exit 0
fi
echo "system packages: installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    echo "system packages: apt-get install failed; refreshing the package lists and trying once more"
    apt-get update && apt-get install -y --no-install-recommends "${missing[@]}" \
        || echo "system packages: could not install ${missing[*]} (without chromium the browser test is skipped)."
fi
exit 0
