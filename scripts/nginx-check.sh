#!/usr/bin/env bash
# The README's two nginx snippets, checked against Debian's nginx with its stock
# nginx.conf (mime.types, default_type application/octet-stream, gzip on):
#
#   scripts/nginx-check.sh
#
# - config/examples/nginx-proxy.conf in front of `loa demo`: `/` is text/html,
#   every feed keeps loa's Content-Type, br/gzip, ETag and Vary; If-None-Match and
#   If-Modified-Since get loa's 304; HEAD works.
# - config/examples/nginx-static.conf over what `loa export` wrote from the demo's
#   sources: the same types, the .gz twins, 304s.
# Both snippets must appear verbatim in README.md. Installs nginx and curl from
# Debian's packages if missing; exits non-zero on the first check that fails.
source "$(dirname "$0")/../bench/lib.sh"
need nginx nginx
need curl curl
build_loa

WORK="$(mktemp -d)"
chmod 755 "$WORK" # nginx's workers run as www-data
cleanup() {
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
    [ -n "${DEMO:-}" ] && kill "$DEMO" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
# header URL NAME [curl options]: the value of one response header.
header() {
    local url="$1" name="$2"; shift 2
    curl -s -o /dev/null -D - "$@" "$url" | tr -d '\r' | sed -n "s|^$name: ||Ip" | head -n 1
}
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
ok() { echo "ok    $*"; }
fail() { echo "FAIL  $*" >&2; [ -f "$WORK/error.log" ] && tail -n 5 "$WORK/error.log" >&2; exit 1; }

for snippet in nginx-proxy.conf nginx-static.conf; do
    python3 - "$ROOT/config/examples/$snippet" "$ROOT/README.md" <<'PY' || fail "README.md does not show config/examples/$snippet as it is"
import sys
snippet, readme = (open(p, encoding="utf-8").read() for p in sys.argv[1:])
sys.exit(0 if snippet.strip() in readme else 1)
PY
done
ok "README.md shows both snippets as they are in config/examples/"

# loa demo, and a store exported as static files from its feed sources.
PORT="$(free_port)"
"$LOA" demo --listen "127.0.0.1:$PORT" >"$WORK/demo.out" 2>"$WORK/demo.err" &
DEMO=$!
# Every sample source polled, and the feeds rendered since (their ETag stays put).
settled() {
    curl -fs "http://127.0.0.1:$PORT/status" | python3 -c '
import json, sys
sources = json.load(sys.stdin)["sources"]
sys.exit(0 if sources and all(s.get("last_success") for s in sources) else 1)' || return 1
    local a b
    a="$(header "http://127.0.0.1:$PORT/feed.rss" ETag)"; sleep 1
    b="$(header "http://127.0.0.1:$PORT/feed.rss" ETag)"
    [ -n "$a" ] && [ "$a" = "$b" ]
}
for _ in $(seq 60); do settled && break; sleep 0.5; done
settled || fail "the demo's feeds did not settle: $(cat "$WORK/demo.err")"
samples="$(sed -n 's|^loa demo: .* sample sources on \(http://[0-9.:]*\)/$|\1|p' "$WORK/demo.out")"
[ -n "$samples" ] || fail "loa demo did not start: $(cat "$WORK/demo.err")"
cat >"$WORK/export.toml" <<EOF
[store]
path = "$WORK/db"
[[source]]
id = "tinhuy"
url = "$samples/tin-hoat-dong.rss"
agency = "tinh-uy"
[[source]]
id = "ubnd"
url = "$samples/tin-tuc-su-kien.atom"
agency = "ubnd-tinh"
EOF
"$LOA" fetch -c "$WORK/export.toml" >/dev/null || fail "loa fetch from the demo's sources"
"$LOA" export -c "$WORK/export.toml" --out "$WORK/static" >/dev/null || fail "loa export"
chmod -R a+rX "$WORK/static"

# Debian's stock nginx.conf, with its sites replaced by the two snippets.
PROXY_PORT="$(free_port)"
STATIC_PORT="$(free_port)"
mkdir -p "$WORK/sites"
sed -e "s|^pid .*|pid $WORK/nginx.pid;|" -e "s|error_log .*|error_log $WORK/error.log;|" \
    -e "s|access_log .*|access_log $WORK/access.log;|" -e "s|include /etc/nginx/conf.d/\*.conf;||" \
    -e "s|include /etc/nginx/sites-enabled/\*;|include $WORK/sites/*;|" /etc/nginx/nginx.conf >"$WORK/nginx.conf"
grep -q "include /etc/nginx/mime.types;" "$WORK/nginx.conf" || fail "Debian's nginx.conf no longer includes mime.types"
sed -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$PORT;|" -e "s|listen 80;|listen 127.0.0.1:$PROXY_PORT;|" \
    -e "/listen \[::\]:80;/d" "$ROOT/config/examples/nginx-proxy.conf" >"$WORK/sites/proxy"
sed -e "s|root /var/www/loa;|root $WORK/static;|" -e "s|listen 80;|listen 127.0.0.1:$STATIC_PORT;|" \
    -e "/listen \[::\]:80;/d" "$ROOT/config/examples/nginx-static.conf" >"$WORK/sites/static"
nginx -t -c "$WORK/nginx.conf" >/dev/null 2>&1 || fail "nginx -t: $(nginx -t -c "$WORK/nginx.conf" 2>&1)"
nginx -c "$WORK/nginx.conf" || fail "nginx did not start"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PROXY_PORT/healthz" && break; sleep 0.1; done
ok "Debian's nginx $(nginx -v 2>&1 | sed 's|.*/||') with its stock nginx.conf and both snippets"


check_site() { # check_site LABEL BASE: the checks both setups must pass
    local label="$1" base="$2"
    local t; t="$(header "$base/" Content-Type)"
    [[ "$t" == text/html* ]] || fail "$label: / is \"$t\", not text/html"
    ok "$label: / is $t"
    for f in feed.atom:application/atom+xml feed.rss:application/rss+xml feed.json:application/feed+json \
        agency/ban-dan-van-tinh-uy.atom:application/atom+xml feeds.opml:text/x-opml; do
        t="$(header "$base/${f%%:*}" Content-Type)"
        [[ "$t" == "${f#*:}"* ]] || fail "$label: /${f%%:*} is \"$t\", not ${f#*:}"
    done
    ok "$label: the feeds keep their types (atom+xml, rss+xml, feed+json, x-opml)"
    local etag lm
    etag="$(header "$base/feed.atom" ETag -H 'Accept-Encoding: gzip')"
    lm="$(header "$base/feed.atom" Last-Modified -H 'Accept-Encoding: gzip')"
    [ -n "$etag" ] && [ -n "$lm" ] || fail "$label: /feed.atom has no ETag or Last-Modified"
    [ "$(header "$base/feed.atom" Content-Encoding -H 'Accept-Encoding: gzip')" = gzip ] ||
        fail "$label: /feed.atom is not served gzip-compressed"
    [ "$(status -H 'Accept-Encoding: gzip' -H "If-None-Match: $etag" "$base/feed.atom")" = 304 ] ||
        fail "$label: If-None-Match $etag did not get 304"
    [ "$(status -H 'Accept-Encoding: gzip' -H "If-Modified-Since: $lm" "$base/feed.atom")" = 304 ] ||
        fail "$label: If-Modified-Since did not get 304"
    ok "$label: gzip, ETag $etag and Last-Modified kept; If-None-Match and If-Modified-Since get 304"
}

check_site proxy "http://127.0.0.1:$PROXY_PORT"
direct="http://127.0.0.1:$PORT"
proxied="http://127.0.0.1:$PROXY_PORT"
for enc in identity gzip br; do
    for f in feed.atom feed.rss feed.json; do
        a="$(header "$direct/$f" ETag -H "Accept-Encoding: $enc")"
        b="$(header "$proxied/$f" ETag -H "Accept-Encoding: $enc")"
        [ -n "$a" ] && [ "$a" = "$b" ] || fail "proxy: /$f ($enc) ETag $b, loa says $a"
    done
done
[ "$(header "$proxied/feed.json" Content-Encoding -H 'Accept-Encoding: br')" = br ] || fail "proxy: br lost"
[[ "$(header "$proxied/feed.json" Vary)" == *Accept-Encoding* ]] || fail "proxy: Vary lost"
[ "$(curl -s -o /dev/null -w '%{http_code}' -I "$proxied/feed.rss")" = 200 ] || fail "proxy: HEAD"
ok "proxy: every representation's ETag is loa's own; br, Vary and HEAD pass"

check_site static "http://127.0.0.1:$STATIC_PORT"
t="$(header "http://127.0.0.1:$STATIC_PORT/feed.xsl" Content-Type)"
[[ "$t" == text/xsl* ]] || fail "static: /feed.xsl is \"$t\""
echo "nginx check passed"
