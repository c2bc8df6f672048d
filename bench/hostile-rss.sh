#!/usr/bin/env bash
# Peak RSS of `loa fetch` while one source serves a gzip bomb (1 GiB of zeros in
# ~1 MB) and another an endless body, beside a healthy source. Target: < 100 MiB.
# Then the time to read a valid feed made of what once took quadratic time (a
# 500 KB title, 2 MB of &nbsp;, 300 000 bare &, markup nested 20 000 deep, a 2 MB
# href): a second or two, not minutes.
#
#   bench/hostile-rss.sh [RUNS=3]
source "$(dirname "$0")/lib.sh"
RUNS="${1:-3}"
need bc bc
build_loa
WORK="$(mktemp -d)"
PORT="$(free_port)"
python3 "$ROOT/bench/hostile_server.py" "$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1
printf '%-28s %10s %10s %12s\n' "run" "wall" "cpu" "peak RSS"
for run in $(seq 1 "$RUNS"); do
    rm -rf "$WORK/db"
    cat >"$WORK/loa.toml" <<CONF
[poll]
per_host = 3
max_body = "10MiB"
timeout = "30s"
[store]
path = "$WORK/db"
[[source]]
id = "bomb"
url = "http://127.0.0.1:$PORT/bomb"
agency = "tinh-uy"
[[source]]
id = "endless"
url = "http://127.0.0.1:$PORT/endless"
agency = "tinh-uy"
[[source]]
id = "good"
url = "http://127.0.0.1:$PORT/good"
agency = "tinh-uy"
CONF
    measure "bomb + endless (run $run)" "$LOA" fetch -c "$WORK/loa.toml"
    rm -rf "$WORK/db"
    printf '[store]\npath = "%s/db"\n[poll]\nmax_body = "10MiB"\n[[source]]\nid = "dense"\nurl = "http://127.0.0.1:%s/dense"\nagency = "tinh-uy"\n' \
        "$WORK" "$PORT" >"$WORK/dense.toml"
    measure "dense feed (run $run)" "$LOA" fetch -c "$WORK/dense.toml"
done
"$LOA" fetch -c "$WORK/loa.toml" || true
