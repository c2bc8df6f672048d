#!/usr/bin/env bash
# Peak RSS of `loa fetch` on one RSS document of 100 000 tiny items (9 MB, under
# the 10 MiB body cap), served by nginx on loopback: the hostile shape of issue 13.
# Only `[poll].max_items` (1 000) of them are read. Target: <= 128 MiB (goal 64).
#
#   bench/big-feed.sh [ITEMS=100000] [RUNS=3]
source "$(dirname "$0")/lib.sh"
ITEMS="${1:-100000}"
RUNS="${2:-3}"
need bc bc
build_loa
WORK="$(mktemp -d)"
mkdir -p "$WORK/www"
python3 "$ROOT/bench/big_feed.py" "$WORK/www/big.xml" "$ITEMS"
PORT="$(free_port)"
start_nginx "$WORK/www" "$PORT"
trap 'stop_nginx; rm -rf "$WORK"' EXIT
printf '%s: %s bytes, %s items\n' "big.xml" "$(stat -c %s "$WORK/www/big.xml")" "$ITEMS"
printf '%-28s %10s %10s %12s\n' "run" "wall" "cpu" "peak RSS"
for run in $(seq 1 "$RUNS"); do
    rm -rf "$WORK/db"
    printf '[store]\npath = "%s/db"\n[[source]]\nid = "big"\nurl = "http://127.0.0.1:%s/big.xml"\nagency = "tinh-uy"\n' \
        "$WORK" "$PORT" >"$WORK/loa.toml"
    measure "loa fetch, new store ($run)" "$LOA" fetch -c "$WORK/loa.toml"
done
"$LOA" fetch -c "$WORK/loa.toml"
