#!/usr/bin/env bash
# Screenshots of what a person sees, for review: the reading view's front page
# (/), an agency's page and a story's page (the one most sites carried), each at a
# phone's width (390 px) and a desktop's (1280 px), and /feed.atom opened in a
# browser (through the XSL stylesheet), in headless Chromium from Debian's
# packages, against `loa demo`. Installs Chromium and a font with Vietnamese if
# missing. Writes {index,agency,story}-{390,1280}.png and feed.png to DIR.
#
#   scripts/screenshot.sh [DIR=screenshots]
source "$(dirname "$0")/../bench/lib.sh"
OUT="$(realpath -m "${1:-screenshots}")"
need chromium chromium
need fc-list fontconfig
# The pages name no font file: the system's own must carry Vietnamese.
[ -n "$(fc-list :lang=vi)" ] || need_package fonts-noto-core
build_loa
mkdir -p "$OUT"
WORK="$(mktemp -d)"
start_demo "$WORK"
BASE="http://127.0.0.1:$PORT"
# The story with the most copies, and its primary agency.
read -r STORY AGENCY < <(curl -fs "$BASE/" | python3 -c '
import re, sys
best = max(re.findall(r"<article class=\"story\">(.*?)</article>", sys.stdin.read(), re.S), key=lambda a: a.count("<a "))
story = re.search(r"<h2><a href=\"([^\"]+)\"", best).group(1)
agency = re.search(r"<a href=\"([^\"]+/agency/[^\"]+)\"", best).group(1)
print(story, agency)')
shot() { # shot URL WIDTH HEIGHT FILE
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$WORK/profile" --hide-scrollbars \
        --window-size="$2,$3" --screenshot="$4" "$1" >/dev/null 2>&1
    echo "$4"
}
for width in 390 1280; do
    height=$([ "$width" = 390 ] && echo 2400 || echo 1600)
    shot "$BASE/" "$width" "$height" "$OUT/index-$width.png"
    shot "$AGENCY" "$width" "$height" "$OUT/agency-$width.png"
    shot "$STORY" "$width" "$height" "$OUT/story-$width.png"
done
shot "$BASE/feed.atom" 1280 1400 "$OUT/feed.png"
