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
PORT="$(free_port)"
"$LOA" demo --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
DEMO=$!
trap 'kill $DEMO 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/feed.json" | grep -q '"items": \[$' && break; sleep 0.2; done
sleep 1
shot() { # shot URL FILE
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$WORK/profile" --hide-scrollbars \
        --window-size=1200,1400 --screenshot="$2" "$1" >/dev/null 2>&1
    echo "$2"
}
shot "http://127.0.0.1:$PORT/" "$OUT/index.png"
shot "http://127.0.0.1:$PORT/feed.atom" "$OUT/feed.png"
