#!/usr/bin/env bash
# Feeds loa publishes, read by a real feed reader: newsboat (Debian package) must
# list every entry of the merged feed and of an agency feed, in Atom and RSS.
#
#   scripts/newsboat-check.sh
#
# Runs `loa demo` on a loopback port; exits non-zero if newsboat misses an entry.
source "$(dirname "$0")/../bench/lib.sh"
need newsboat newsboat
build_loa
WORK="$(mktemp -d)"
start_demo "$WORK"
export HOME="$WORK"
fail=0
printf '%-48s %8s %8s\n' "feed" "entries" "newsboat"
for path in feed.atom feed.rss agency/ban-dan-van-tinh-uy.atom agency/ban-dan-van-tinh-uy.rss; do
    json="${path%.*}.json"
    want="$(curl -s "http://127.0.0.1:$PORT/$json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"
    echo "http://127.0.0.1:$PORT/$path" >"$WORK/urls"
    rm -f "$WORK/cache.db"
    : >"$WORK/config"
    newsboat -u "$WORK/urls" -c "$WORK/cache.db" -C "$WORK/config" -x reload >/dev/null 2>&1
    got="$(newsboat -u "$WORK/urls" -c "$WORK/cache.db" -C "$WORK/config" -x print-unread 2>/dev/null | awk '{print $1}')"
    printf '%-48s %8s %8s\n' "$path" "$want" "$got"
    [ "$want" = "$got" ] || fail=1
done
[ "$fail" = 0 ] && echo "newsboat lists every entry" || { echo "newsboat missed entries"; exit 1; }
