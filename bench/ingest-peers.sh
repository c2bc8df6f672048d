#!/usr/bin/env bash
# Parse and ingest on a generated corpus of realistic Vietnamese feeds: raw feed-rs,
# loa's reading alone (decode, parse, normalize), loa's whole ingest path, and
# Python's feedparser on the same files.
#
#   bench/ingest-peers.sh [FEEDS=334] [ITEMS=30] [RUNS=5]     (about 10 000 items)
#
# Installs feedparser from PyPI if missing.
source "$(dirname "$0")/lib.sh"
FEEDS="${1:-334}"; ITEMS="${2:-30}"; RUNS="${3:-5}"
need bc bc
python3 -c 'import feedparser' 2>/dev/null || pip install -q feedparser
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/gen_feeds.py" "$WORK/corpus" "$FEEDS" "$ITEMS" >/dev/null
(cd "$ROOT" && cargo build --release --quiet --example ingest_corpus)
"$ROOT/target/release/examples/ingest_corpus" "$WORK/corpus" "$RUNS" >"$WORK/rust.txt"
python3 - "$WORK/corpus" "$RUNS" >"$WORK/py.txt" <<'PY'
import feedparser, os, statistics, sys, time
d, runs = sys.argv[1], int(sys.argv[2])
files = [open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d))]
times, n = [], 0
for _ in range(runs):
    t = time.perf_counter()
    n = sum(len(feedparser.parse(b).entries) for b in files)
    times.append(time.perf_counter() - t)
print("feedparser", n, f"{statistics.median(times):.4f}")
PY
printf '# %s feeds x %s items, medians of %s runs\n' "$FEEDS" "$ITEMS" "$RUNS"
printf '%-16s %8s %10s %12s\n' "what" "items" "seconds" "items/s"
while read -r name items secs; do
    printf '%-16s %8s %10s %12.0f\n' "$name" "$items" "$secs" "$(echo "$items / $secs" | bc -l)"
done < <(cat "$WORK/rust.txt" "$WORK/py.txt")
raw=$(awk '$1=="feed_rs_parse" {print $3}' "$WORK/rust.txt")
loa=$(awk '$1=="loa_ingest" {print $3}' "$WORK/rust.txt")
read=$(awk '$1=="loa_read" {print $3}' "$WORK/rust.txt")
fp=$(awk '$1=="feedparser" {print $3}' "$WORK/py.txt")
printf 'loa ingest / raw feed-rs parse: %.3f x\n' "$(echo "$raw / $loa" | bc -l)"
printf 'loa ingest / feedparser parse:  %.1f x\n' "$(echo "$fp / $loa" | bc -l)"
printf 'loa read (no store) / raw feed-rs parse: %.3f x\n' "$(echo "$raw / $read" | bc -l)"
