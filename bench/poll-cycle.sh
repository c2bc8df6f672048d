#!/usr/bin/env bash
# loa against newsboat on the same poll cycles: N sources of M items each, served by
# a local nginx (its own ETag and Last-Modified), both at the same concurrency, in
# the same runs. A cold cycle into an empty store, then the same cycle again (loa:
# every source answers 304). GNU time gives wall, user+system CPU and peak RSS;
# the last lines are the medians and the ratios.
#
#   bench/poll-cycle.sh [N=1000] [M=30] [RUNS=3] [CONCURRENCY=8]
#
# Installs nginx, newsboat, bc and GNU time from Debian's packages if missing;
# loopback only.
source "$(dirname "$0")/lib.sh"
N="${1:-1000}"; M="${2:-30}"; RUNS="${3:-3}"; CONC="${4:-8}"
need bc bc
need newsboat newsboat
build_loa
WORK="$(mktemp -d)"
serve_generated_feeds "$WORK/feeds" "$N" "$M"
trap 'stop_nginx; rm -rf "$WORK"' EXIT
seq 0 $((N - 1)) | xargs -I{} printf 'http://127.0.0.1:%s/f%04d.xml\n' "$FEEDS_PORT" {} >"$WORK/urls"
printf 'reload-threads %s\n' "$CONC" >"$WORK/newsboat.conf"

echo "# $N sources x $M items on one local nginx, concurrency $CONC; loa fetch vs newsboat 2.x -x reload"
printf '%-10s %-6s | %9s %8s %10s | %9s %8s %10s\n' "cycle" "run" "loa wall" "loa cpu" "loa RSS" "nb wall" "nb cpu" "nb RSS"
: >"$WORK/rows"
for run in $(seq 1 "$RUNS"); do
    rm -rf "$WORK/db" "$WORK/newsboat.db"
    write_cycle_config "$WORK/loa.toml" "$WORK" "$FEEDS_PORT" "$N" "$CONC"
    for cycle in cold again; do
        measure_quiet loa "$LOA" fetch -c "$WORK/loa.toml"
        lw=$WALL lc=$CPU lr=$RSS
        if [ "$cycle" = cold ]; then
            "$LOA" sources -c "$WORK/loa.toml" | awk '/^s[0-9]/ && $NF != "ok" {bad++} END {if (bad) print bad " sources failed; see loa sources"}'
        fi
        HOME="$WORK" measure_quiet newsboat newsboat -u "$WORK/urls" -c "$WORK/newsboat.db" -C "$WORK/newsboat.conf" -x reload
        printf '%-10s %-6s | %7s s %6s s %6s MiB | %7s s %6s s %6s MiB\n' "$cycle" "$run" "$lw" "$lc" "$lr" "$WALL" "$CPU" "$RSS"
        echo "$cycle $lw $lc $lr $WALL $CPU $RSS" >>"$WORK/rows"
    done
done
for cycle in cold again; do
    col() { awk -v c="$cycle" -v k="$1" '$1==c {print $k}' "$WORK/rows" | median; }
    lw=$(col 2) lc=$(col 3) lr=$(col 4) nw=$(col 5) nc=$(col 6) nr=$(col 7)
    printf '%-10s %-6s | %7s s %6s s %6s MiB | %7s s %6s s %6s MiB\n' "$cycle" median "$lw" "$lc" "$lr" "$nw" "$nc" "$nr"
    printf '  %s: newsboat/loa wall %.1fx, loa/newsboat peak RSS %.2fx\n' "$cycle" "$(echo "$nw / $lw" | bc -l)" "$(echo "$lr / $nr" | bc -l)"
done
