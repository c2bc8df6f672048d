#!/usr/bin/env bash
# /feed.atom under wrk load while loa ingests a cold cycle of N sources, then the
# same with 2000 idle connections held open: failed requests, p99 latency and RSS.
#
#   bench/serve-under-ingest.sh [N=1000] [SECONDS=60]
source "$(dirname "$0")/lib.sh"
N="${1:-1000}"; SECS="${2:-60}"
need wrk wrk
build_loa
WORK="$(mktemp -d)"
serve_generated_feeds "$WORK/feeds" "$N" 30
LOA_PORT="$(free_port)"
{
    printf '[server]\nlisten = "127.0.0.1:%s"\nbase_url = "http://127.0.0.1:%s"\n' "$LOA_PORT" "$LOA_PORT"
    printf '[store]\npath = "%s/db"\n[poll]\nconcurrency = 32\nper_host = 32\nhost_spacing = "0s"\n' "$WORK"
    for i in $(seq 0 $((N - 1))); do
        printf '[[source]]\nid = "s%04d"\nurl = "http://127.0.0.1:%s/f%04d.xml"\nagency = "ubnd-tinh"\n' "$i" "$FEEDS_PORT" "$i"
    done
} >"$WORK/loa.toml"
"$LOA" run -c "$WORK/loa.toml" 2>"$WORK/loa.log" &
LOA_PID=$!
trap 'kill $LOA_PID 2>/dev/null; kill $IDLE 2>/dev/null; stop_nginx; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$LOA_PORT/healthz" >/dev/null && break; sleep 0.05; done
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$LOA_PID/status"; }
echo "# $N sources ingesting cold while wrk -t2 -c64 -d${SECS}s reads /feed.atom"
echo "RSS before: $(rss)"
wrk -t2 -c64 -d"${SECS}s" --latency "http://127.0.0.1:$LOA_PORT/feed.atom" >"$WORK/wrk1.txt"
echo "RSS after:  $(rss)   stories: $(curl -s "http://127.0.0.1:$LOA_PORT/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stories"])')"
grep -E "Requests/sec|99%|Non-2xx|Socket errors" "$WORK/wrk1.txt" || true
grep -q "Non-2xx\|Socket errors" "$WORK/wrk1.txt" && echo "FAILED requests" || echo "no failed request"

echo "# the same read while 2000 idle connections are held open"
python3 - "$LOA_PORT" <<'PY' &
import socket, sys, time
socks = []
for _ in range(2000):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    socks.append(s)
time.sleep(600)
PY
IDLE=$!
sleep 1
wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$LOA_PORT/feed.atom" >"$WORK/wrk2.txt"
grep -E "Requests/sec|99%|Non-2xx|Socket errors" "$WORK/wrk2.txt" || true
grep -q "Non-2xx\|Socket errors" "$WORK/wrk2.txt" && echo "FAILED requests" || echo "no failed request"
