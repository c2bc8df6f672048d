# Shared helpers of the bench scripts: install what is missing from Debian's
# packages, build loa, start a local nginx, measure a command.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOA="$ROOT/target/release/loa"

need() { # need CMD PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    need_package "$2"
}

# need_package PACKAGE: installs a Debian package, one apt at a time on this machine.
need_package() {
    echo "installing $1 (Debian package) ..." >&2
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    local lock=""; command -v flock >/dev/null 2>&1 && lock="flock /tmp/apt.lock"
    $sudo $lock apt-get update -qq && $sudo $lock apt-get install -y -qq "$1" >/dev/null
}

build_loa() {
    (cd "$ROOT" && cargo build --release --quiet)
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_nginx DIR PORT: serves DIR statically on 127.0.0.1:PORT (ETag and
# Last-Modified on, as nginx does by default); stopped by stop_nginx.
start_nginx() {
    need nginx nginx
    local dir="$1" port="$2"
    NGINX_PREFIX="$(mktemp -d)"
    mkdir -p "$NGINX_PREFIX/logs"
    # As root, nginx's workers would drop to a user that cannot read a mktemp dir.
    local user=""; [ "$(id -u)" = 0 ] && user="user root;"
    cat >"$NGINX_PREFIX/nginx.conf" <<CONF
$user
worker_processes 2;
error_log $NGINX_PREFIX/logs/error.log warn;
pid $NGINX_PREFIX/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    types { application/rss+xml xml rss; application/atom+xml atom; application/feed+json json; text/html html; text/css css; }
    keepalive_requests 100000;
    client_body_temp_path $NGINX_PREFIX/body;
    proxy_temp_path $NGINX_PREFIX/proxy;
    fastcgi_temp_path $NGINX_PREFIX/fastcgi;
    uwsgi_temp_path $NGINX_PREFIX/uwsgi;
    scgi_temp_path $NGINX_PREFIX/scgi;
    server { listen 127.0.0.1:$port; root $dir; etag on; }
}
CONF
    nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf"
    trap stop_nginx EXIT
}

stop_nginx() {
    [ -n "${NGINX_PREFIX:-}" ] && [ -f "$NGINX_PREFIX/nginx.pid" ] && kill "$(cat "$NGINX_PREFIX/nginx.pid")" 2>/dev/null || true
}

# serve_generated_feeds DIR N M: writes N generated feeds of M items (gen_feeds.py)
# into DIR and serves them with nginx on a free port, set as FEEDS_PORT.
serve_generated_feeds() {
    python3 "$ROOT/bench/gen_feeds.py" "$1" "$2" "$3" >/dev/null
    FEEDS_PORT="$(free_port)"
    start_nginx "$1" "$FEEDS_PORT"
}

# write_cycle_config FILE WORKDIR PORT N [CONCURRENCY=8]: a loa config polling the
# N feeds gen_feeds.py wrote (f0000.xml …) from 127.0.0.1:PORT, store in WORKDIR/db,
# at the concurrency the poll-cycle figures use (8, as issue 18 sets it).
write_cycle_config() {
    local file="$1" work="$2" port="$3" n="$4" conc="${5:-8}"
    {
        printf '[poll]\nconcurrency = %s\nper_host = %s\nhost_spacing = "0s"\ntimeout = "30s"\n\n' "$conc" "$conc"
        printf '[store]\npath = "%s/db"\n\n' "$work"
        for i in $(seq 0 $((n - 1))); do
            printf '[[source]]\nid = "s%04d"\nurl = "http://127.0.0.1:%s/f%04d.xml"\nagency = "ubnd-tinh"\n\n' "$i" "$port" "$i"
        done
    } >"$file"
}

# measure LABEL CMD...: runs CMD under GNU time; prints "LABEL wall cpu maxrss_mib".
measure() {
    measure_quiet "$@"
    printf '%-28s %8.2f s %8.2f s %8.1f MiB\n' "$1" "$WALL" "$CPU" "$RSS"
}

# measure_quiet LABEL CMD...: runs CMD under GNU time and sets WALL, CPU (seconds)
# and RSS (peak, MiB) without printing.
measure_quiet() {
    need /usr/bin/time time
    shift
    local out; out="$(mktemp)"
    /usr/bin/time -f '%e %U %S %M' -o "$out" "$@" >/dev/null 2>&1 || true
    local user sys rss
    read -r WALL user sys rss < <(tail -n 1 "$out")
    rm -f "$out"
    CPU="$(printf '%.2f' "$(echo "$user + $sys" | bc -l)")"
    RSS="$(printf '%.1f' "$(echo "$rss / 1024" | bc -l)")"
}

# median: the median of the numbers on standard input, one per line.
median() {
    sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}

# start_demo WORK: runs `loa demo` on a free loopback port, sets PORT, waits until
# the demo sources have been polled, and on exit stops it and removes WORK.
start_demo() {
    local work="$1"
    PORT="$(free_port)"
    "$LOA" demo --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
    DEMO=$!
    trap 'kill $DEMO 2>/dev/null; rm -rf "'"$work"'"' EXIT
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/feed.json" | grep -q '"items": \[$' && break; sleep 0.2; done
    sleep 1
}
