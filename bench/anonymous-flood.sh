#!/usr/bin/env bash
# What anonymous clients can buy from `loa run` holding a few thousand stories:
# resident memory before and after rounds of 200 requests with distinct `?limit=`
# and 200 distinct searches that match nothing (the costliest), and the time they
# take. Target: growth within the query cache's 4 MiB plus what the allocator
# keeps of freed render buffers, and no more round after round; a search's cost
# bounded by the 20 000 newest stories, not by the store.
#
#   [WARM=1] bench/anonymous-flood.sh [FEEDS=100] [ITEMS=30]
#
# Environment variables reach loa: MALLOC_MMAP_THRESHOLD_=131072 shows how much
# of the growth is glibc keeping freed buffers (its mmap threshold otherwise rises).
source "$(dirname "$0")/lib.sh"
FEEDS="${1:-100}"; ITEMS="${2:-30}"
need bc bc
build_loa
WORK="$(mktemp -d)"
serve_generated_feeds "$WORK/feeds" "$FEEDS" "$ITEMS"
LOA_PORT="$(free_port)"
{
    printf '[server]\nlisten = "127.0.0.1:%s"\nbase_url = "http://127.0.0.1:%s"\n' "$LOA_PORT" "$LOA_PORT"
    printf '[store]\npath = "%s/db"\n[poll]\nconcurrency = 16\nper_host = 16\nhost_spacing = "0s"\ninterval = "1d"\nmax_interval = "1d"\n' "$WORK"
    for i in $(seq 0 $((FEEDS - 1))); do
        printf '[[source]]\nid = "s%04d"\nurl = "http://127.0.0.1:%s/f%04d.xml"\nagency = "ubnd-tinh"\n' "$i" "$FEEDS_PORT" "$i"
    done
} >"$WORK/loa.toml"
"$LOA" fetch -c "$WORK/loa.toml" >/dev/null || true
"$LOA" run -c "$WORK/loa.toml" 2>/dev/null &
LOA_PID=$!
trap 'kill $LOA_PID 2>/dev/null; stop_nginx; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$LOA_PORT/healthz" >/dev/null && break; sleep 0.2; done
BASE="http://127.0.0.1:$LOA_PORT"
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$LOA_PID/status"; }
STORIES="$(curl -s "$BASE/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stories"])')"
# One search first (the index exists before measuring), and with WARM=1 every
# older page read once, so that sled's page cache (bounded by [store].cache_capacity)
# already holds the store and the growth measured is the query cache's.
curl -s -o /dev/null "$BASE/feed.json?q=warmup"
if [ "${WARM:-0}" = 1 ]; then
    url="$BASE/feed.json?limit=100"
    while [ -n "$url" ]; do
        url="$(curl -s "$url" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("next_url", ""))')"
    done
fi
BEFORE="$(kib VmRSS)"
ETAG="$(curl -sI "$BASE/feed.atom" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')"
KINDS=(atom rss json)
# flood ROUND: 200 distinct ?limit= (clamped to 100) and 200 distinct empty
# searches, each round its own values; prints what it cost.
flood() {
    local round="$1" start mid end after
    start="$(date +%s.%N)"
    for n in $(seq 1 200); do
        curl -s -o /dev/null --compressed "$BASE/feed.${KINDS[$((n % 3))]}?limit=$((n + 200 * (round - 1)))"
    done
    mid="$(date +%s.%N)"
    for n in $(seq 1 200); do
        curl -s -o /dev/null --compressed "$BASE/feed.${KINDS[$((n % 3))]}?q=khong+co+gi+$round+$n"
    done
    end="$(date +%s.%N)"
    after="$(kib VmRSS)"
    printf 'round %s: resident %s KiB (growth since before: %s KiB); %.1f ms per ?limit=, %.1f ms per empty search (curl included)\n' \
        "$round" "$after" "$((after - BEFORE))" "$(echo "($mid - $start) * 5" | bc -l)" "$(echo "($end - $mid) * 5" | bc -l)"
}
printf 'stories in the store: %s; resident before: %s KiB\n' "$STORIES" "$BEFORE"
for round in 1 2 3 4 5; do flood "$round"; done
STATUS="$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$BASE/feed.atom")"
printf 'peak resident: %s KiB; first page afterwards: HTTP %s to its earlier ETag\n' "$(kib VmHWM)" "$STATUS"
