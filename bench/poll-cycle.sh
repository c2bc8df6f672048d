#!/usr/bin/env bash
# A cold poll cycle and an all-304 cycle of N sources of M items each, served by a
# local nginx: wall time, CPU time and peak RSS of `loa fetch`.
#
#   bench/poll-cycle.sh [N=1000] [M=30] [RUNS=3]
#
# Installs nginx and GNU time from Debian's packages if missing; loopback only.
source "$(dirname "$0")/lib.sh"
N="${1:-1000}"; M="${2:-30}"; RUNS="${3:-3}"
need bc bc
need newsboat newsboat
build_loa
WORK="$(mktemp -d)"
serve_generated_feeds "$WORK/feeds" "$N" "$M"

echo "# $N sources x $M items, loa fetch (concurrency 32, all on one local host)"
printf '%-28s %10s %10s %12s\n' "cycle" "wall" "cpu" "peak RSS"
for run in $(seq 1 "$RUNS"); do
    rm -rf "$WORK/db"
    write_cycle_config "$WORK/loa.toml" "$WORK" "$FEEDS_PORT" "$N"
    measure "cold (run $run)" "$LOA" fetch -c "$WORK/loa.toml"
    "$LOA" sources -c "$WORK/loa.toml" | awk 'NR>1 && $NF != "" && $2 != "200" && $2 != "304" {bad++} END {if (bad) print bad " sources failed; see loa sources"}'
    measure "all 304 (run $run)" "$LOA" fetch -c "$WORK/loa.toml"
    # The peer: newsboat reloading the same URLs with as many threads.
    rm -f "$WORK/newsboat.db"
    seq 0 $((N - 1)) | xargs -I{} printf 'http://127.0.0.1:%s/f%04d.xml\n' "$FEEDS_PORT" {} >"$WORK/urls"
    printf 'reload-threads 32\n' >"$WORK/newsboat.conf"
    HOME="$WORK" measure "newsboat cold (run $run)" newsboat -u "$WORK/urls" -c "$WORK/newsboat.db" -C "$WORK/newsboat.conf" -x reload
    HOME="$WORK" measure "newsboat again (run $run)" newsboat -u "$WORK/urls" -c "$WORK/newsboat.db" -C "$WORK/newsboat.conf" -x reload
done
rm -rf "$WORK"
