#!/usr/bin/env bash
# Screenshots of what a person sees: loa's index page, and /feed.atom opened in a
# browser (rendered through the XSL stylesheet), in headless Chromium (Debian
# package). Writes index.png and feed.png to DIR.
#
#   scripts/screenshot.sh [DIR=screenshots]
source "$(dirname "$0")/../bench/lib.sh"
OUT="$(realpath -m "${1:-screenshots}")"
need chromium chromium
build_loa
mkdir -p "$OUT"
WORK="$(mktemp -d)"
start_demo "$WORK"
shot() { # shot URL FILE
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$WORK/profile" --hide-scrollbars \
        --window-size=1200,1400 --screenshot="$2" "$1" >/dev/null 2>&1
    echo "$2"
}
shot "http://127.0.0.1:$PORT/" "$OUT/index.png"
shot "http://127.0.0.1:$PORT/feed.atom" "$OUT/feed.png"
