#!/usr/bin/env bash
# Installs the Debian package into a clean Debian 12 root and checks it as an
# operator would find it:
#
#   scripts/install-test.sh [PACKAGE.deb]     # default: the newest target/debian/loa_*.deb
#
# - `dpkg -i` (with apt resolving its dependencies) in a fresh chroot made with
#   debootstrap (minbase, plus systemd and man-db as a server has them);
# - every file in place, /etc/loa/loa.toml a conffile, the unit installed but
#   neither enabled nor started, `systemd-analyze verify` on it;
# - `loa check` on the installed config, with -c and by the default search path;
# - the installed config run as it is (only its port moved): loa serves `/` and
#   empty feeds and polls nothing;
# - an edit of /etc/loa/loa.toml survives reinstalling the package.
#
# The root is not booted: outside a systemd host, systemd-nspawn needs --keep-unit,
# shares the caller's cgroup, and terminated this script with its container.
#
# Needs root and Debian's mirror (set LOA_DEBIAN_MIRROR for another). Without
# debootstrap or chroot rights it falls back to dpkg-deb checks of the archive.
# Exits non-zero on the first check that fails.
source "$(dirname "$0")/../bench/lib.sh"
need dpkg-deb dpkg
need curl curl

deb="${1:-$(ls -t "$ROOT"/target/debian/loa_*.deb 2>/dev/null | head -n 1)}"
[ -f "$deb" ] || { echo "no package: run scripts/package.sh first" >&2; exit 1; }
echo "package: $deb"

WORK="$(mktemp -d)"
R="$WORK/root"
cleanup() {
    [ -n "${LOA_PID:-}" ] && kill "$LOA_PID" 2>/dev/null
    mountpoint -q "$R/proc" 2>/dev/null && umount "$R/proc"
    rm -rf "$WORK"
}
trap cleanup EXIT
ok() { echo "ok    $*"; }
fail() { echo "FAIL  $*" >&2; exit 1; }

# What the archive holds, checked even where no chroot can be made.
listing="$(dpkg-deb -c "$deb")"
for f in ./usr/bin/loa ./etc/loa/loa.toml ./usr/lib/systemd/system/loa.service ./usr/share/doc/loa/README.md \
    ./usr/share/doc/loa/examples/bentre.toml ./usr/share/doc/loa/examples/nginx-proxy.conf ./usr/share/doc/loa/copyright ./usr/share/man/man1/loa.1.gz; do
    grep -q " $f\$" <<<"$listing" || fail "the package lacks $f"
done
ok "the package holds the binary, the config, the unit, the docs and the man page"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = "/etc/loa/loa.toml" ] || fail "conffiles"
ok "/etc/loa/loa.toml is a conffile"
dpkg-deb -f "$deb" Depends | grep -q ca-certificates || fail "Depends lacks ca-certificates"

if [ "$(id -u)" != 0 ] || ! { need debootstrap debootstrap &&
    debootstrap --variant=minbase --include=systemd,man-db bookworm "$R" \
        "${LOA_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log" 2>&1; }; then
    echo "no clean root could be made (root and debootstrap needed): archive checks only" >&2
    exit 0
fi
ok "a clean Debian 12 root (debootstrap minbase + systemd, man-db)"
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }

cp "$deb" "$R/tmp/loa.deb"
in_root apt-get install -y -q /tmp/loa.deb >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; fail "install"; }
ok "apt-get install ./loa.deb (dpkg -i with its dependencies)"
for f in /usr/bin/loa /etc/loa/loa.toml /usr/lib/systemd/system/loa.service /usr/share/doc/loa/README.md; do
    [ -e "$R$f" ] || fail "$f is not installed"
done
ok "files in place: $(in_root loa --version)"
in_root dpkg-query -W -f='${Conffiles}\n' loa | grep -q /etc/loa/loa.toml || fail "dpkg does not know the conffile"
state="$(in_root systemctl is-enabled loa.service 2>&1 || true)"
[ "$state" = disabled ] || fail "the unit is \"$state\", not disabled: it must wait for the operator's sources"
ok "loa.service installed, disabled, not started"
in_root systemd-analyze verify /usr/lib/systemd/system/loa.service || fail "systemd-analyze verify"
ok "systemd-analyze verify loa.service"
out="$(in_root loa check -c /etc/loa/loa.toml)" || fail "loa check: $out"
[[ "$out" == "/etc/loa/loa.toml: ok, 0 sources"* ]] || fail "loa check: $out"
out="$(in_root sh -c 'cd / && loa check')" || fail "loa check (default path): $out"
[[ "$out" == "/etc/loa/loa.toml: ok"* ]] || fail "the default search path did not find /etc/loa/loa.toml: $out"
ok "loa check on the installed config: $out"

# The installed config as it is, on a free port, as the unit runs it.
port="$(free_port)"
sed "s|^# listen   = \"127.0.0.1:8080\"|listen = \"127.0.0.1:$port\"|" "$R/etc/loa/loa.toml" >"$R/tmp/run.toml"
grep -q "^listen = \"127.0.0.1:$port\"" "$R/tmp/run.toml" || fail "the installed config has no commented listen line"
mkdir -p "$R/var/lib/loa"
mount -t proc proc "$R/proc" 2>/dev/null || true
chroot "$R" sh -c 'cd /var/lib/loa && exec loa run -c /tmp/run.toml' >"$WORK/run.log" 2>&1 &
LOA_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
ctype="$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$port/")"
[[ "$ctype" == text/html* ]] || { cat "$WORK/run.log"; fail "/ answered \"$ctype\""; }
items="$(curl -s "http://127.0.0.1:$port/feed.json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"
[ "$items" = 0 ] || fail "the unedited config published $items items"
grep -q "no \[\[source\]\]: nothing is polled" "$WORK/run.log" || fail "loa did not say that nothing is polled"
kill "$LOA_PID"; wait "$LOA_PID" 2>/dev/null || true; LOA_PID=""
mountpoint -q "$R/proc" && umount "$R/proc"
ok "the unedited config runs: / is $ctype, the feed is empty, the log says nothing is polled"

echo "# edited by the operator" >>"$R/etc/loa/loa.toml"
in_root dpkg -i --force-confold /tmp/loa.deb >"$WORK/reinstall.log" 2>&1 || fail "reinstall"
grep -q "^# edited by the operator" "$R/etc/loa/loa.toml" || fail "reinstalling lost the operator's edit"
ok "reinstalling keeps the operator's /etc/loa/loa.toml"
echo "install test passed"
