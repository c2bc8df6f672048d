#!/usr/bin/env bash
# Builds the Debian package (cargo-deb) and checks it with lintian.
#
#   scripts/package.sh            # → target/debian/loa_<version>_<arch>.deb
#
# Installs what is missing: cargo-deb (from crates.io, with cargo), lintian (from
# Debian's packages). DEBFULLNAME and DEBEMAIL, if set, name the maintainer
# (e.g. your IT office) instead of the placeholder in Cargo.toml. Exits non-zero
# if the build fails or lintian reports an error.
source "$(dirname "$0")/../bench/lib.sh"
need lintian lintian
need dpkg-deb dpkg
if ! command -v cargo-deb >/dev/null 2>&1; then
    echo "installing cargo-deb (cargo install) ..." >&2
    cargo install cargo-deb --locked
fi
cd "$ROOT"
args=()
[ -n "${DEBEMAIL:-}" ] && args+=(--maintainer "${DEBFULLNAME:-loa maintainers} <$DEBEMAIL>")
deb="$(cargo deb "${args[@]}" | tail -n 1)"
[ -f "$deb" ] || { echo "cargo deb did not produce a package" >&2; exit 1; }
echo "package: $deb ($(du -k "$deb" | cut -f1) KiB; /usr/bin/loa $(du -k target/release/loa | cut -f1) KiB)"
# Errors fail the build; warnings and notes are shown for the record.
lintian --fail-on error --display-info "$deb"
echo "lintian: no errors"
