#!/usr/bin/env bash
# wrk against loa's /feed.atom (50 entries), an agency feed, the reading view's
# front page (/, the same 50 stories as HTML) and 304 requests, and against nginx
# serving the same bytes as static files, in the same run; then / against
# /feed.atom on loa itself.
#
#   bench/serve.sh [SECONDS=10] [CONNECTIONS=64] [RUNS=3]
#
# Installs nginx, wrk and GNU time from Debian's packages if missing; loopback only.
source "$(dirname "$0")/lib.sh"
SECS="${1:-10}"; CONNS="${2:-64}"; RUNS="${3:-3}"
need wrk wrk
need bc bc
build_loa
WORK="$(mktemp -d)"
serve_generated_feeds "$WORK/feeds" 100 30
LOA_PORT="$(free_port)"; NGINX_PORT="$(free_port)"
{
    printf '[server]\nlisten = "127.0.0.1:%s"\nbase_url = "http://127.0.0.1:%s"\n' "$LOA_PORT" "$LOA_PORT"
    printf '[store]\npath = "%s/db"\n[poll]\nconcurrency = 16\nper_host = 16\nhost_spacing = "0s"\ninterval = "1d"\nmax_interval = "1d"\n' "$WORK"
    for i in $(seq 0 99); do
        printf '[[source]]\nid = "s%04d"\nurl = "http://127.0.0.1:%s/f%04d.xml"\nagency = "ubnd-tinh"\n' "$i" "$FEEDS_PORT" "$i"
    done
} >"$WORK/loa.toml"
"$LOA" fetch -c "$WORK/loa.toml" >/dev/null || true
# nginx serves the very bytes loa serves: loa's own static export.
"$LOA" export -c "$WORK/loa.toml" --out "$WORK/static" --max-pages 1 >/dev/null
stop_nginx
start_nginx "$WORK/static" "$NGINX_PORT"
"$LOA" run -c "$WORK/loa.toml" 2>/dev/null &
LOA_PID=$!
trap 'kill $LOA_PID 2>/dev/null; stop_nginx; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$LOA_PORT/healthz" >/dev/null && break; sleep 0.2; done
AGENCY="$(curl -s "http://127.0.0.1:$LOA_PORT/feeds.opml" | grep -o 'agency/[a-z0-9-]*\.atom' | head -1)"
ETAG="$(curl -sI "http://127.0.0.1:$LOA_PORT/feed.atom" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')"
NETAG="$(curl -sI "http://127.0.0.1:$NGINX_PORT/feed.atom" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')"
PETAG="$(curl -sI "http://127.0.0.1:$LOA_PORT/" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')"
NPETAG="$(curl -sI "http://127.0.0.1:$NGINX_PORT/" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')"

rate() { # rate URL [HEADER] -> requests/s
    local args=(-t2 -c"$CONNS" -d"${SECS}s" --latency)
    [ -n "${2:-}" ] && args+=(-H "$2")
    wrk "${args[@]}" "$1" | awk '/Requests\/sec/ {print $2}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '# wrk -t2 -c%s -d%ss, %s runs, medians (requests/s); feed.atom is %s bytes, / is %s bytes\n' \
    "$CONNS" "$SECS" "$RUNS" "$(stat -c %s "$WORK/static/feed.atom")" "$(stat -c %s "$WORK/static/index.html")"
printf '%-26s %12s %12s %8s\n' "request" "loa" "nginx" "ratio"
declare -A LOA_RATE
for case in "feed.atom|" "$AGENCY|" "/ (reading view)|" "feed.atom 304|etag" "/ 304|page-etag"; do
    path="${case%%|*}"; kind="${case##*|}"; path="${path% 304}"; path="${path% (reading view)}"; path="${path#/}"
    l=(); n=()
    for _ in $(seq 1 "$RUNS"); do
        if [ "$kind" = etag ]; then
            l+=("$(rate "http://127.0.0.1:$LOA_PORT/$path" "If-None-Match: $ETAG")")
            n+=("$(rate "http://127.0.0.1:$NGINX_PORT/$path" "If-None-Match: $NETAG")")
        elif [ "$kind" = page-etag ]; then
            l+=("$(rate "http://127.0.0.1:$LOA_PORT/$path" "If-None-Match: $PETAG")")
            n+=("$(rate "http://127.0.0.1:$NGINX_PORT/$path" "If-None-Match: $NPETAG")")
        else
            l+=("$(rate "http://127.0.0.1:$LOA_PORT/$path")")
            n+=("$(rate "http://127.0.0.1:$NGINX_PORT/$path")")
        fi
    done
    lm="$(printf '%s\n' "${l[@]}" | median)"; nm="$(printf '%s\n' "${n[@]}" | median)"
    LOA_RATE["${case%%|*}"]="$lm"
    printf '%-26s %12s %12s %8.2f\n' "${case%%|*}" "$lm" "$nm" "$(echo "$lm / $nm" | bc -l)"
done
# Target (issue 16): serving the HTML front page within 10 % of serving /feed.atom.
printf '%-26s %12.2f\n' "loa: / ÷ /feed.atom" "$(echo "${LOA_RATE["/ (reading view)"]} / ${LOA_RATE[feed.atom]}" | bc -l)"
