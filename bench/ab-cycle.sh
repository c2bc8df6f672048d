#!/usr/bin/env bash
# The cold poll cycle of two loa binaries, alternating on the same feeds, so that a
# change is measured against the machine's drift rather than across it.
#
#   bench/ab-cycle.sh OLD_LOA NEW_LOA [N=1000] [RUNS=4]
#
# e.g. build the old commit, copy target/release/loa to /tmp/loa-old, rebuild, then
#   bench/ab-cycle.sh /tmp/loa-old target/release/loa
source "$(dirname "$0")/lib.sh"
OLD="$1"; NEW="$2"; N="${3:-1000}"; RUNS="${4:-4}"
need bc bc
WORK="$(mktemp -d)"
serve_generated_feeds "$WORK/feeds" "$N" 30
trap 'stop_nginx; rm -rf "$WORK"' EXIT
write_cycle_config "$WORK/loa.toml" "$WORK" "$FEEDS_PORT" "$N"
echo "# cold cycle of $N sources x 30 items, old and new alternating, $RUNS runs each"
printf '%-28s %10s %10s %12s\n' "binary" "wall" "cpu" "peak RSS"
for run in $(seq 1 "$RUNS"); do
    for which in old new; do
        bin="$OLD"; [ "$which" = new ] && bin="$NEW"
        rm -rf "$WORK/db"
        measure "$which (run $run)" "$bin" fetch -c "$WORK/loa.toml"
    done
done | tee "$WORK/runs"
for which in old new; do
    printf '%s median wall: %s s\n' "$which" "$(awk -v w="$which" '$1==w {print $4}' "$WORK/runs" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"
done
