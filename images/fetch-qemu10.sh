#!/bin/sh
# fetch-qemu10.sh - QEMU 10.0 from bookworm-backports, unpacked beside the
# system's QEMU 7.2 (nothing is installed), for cross-version migration.
#
# Usage: images/fetch-qemu10.sh CACHEDIR
#
# Prints the path of the unpacked qemu-system-x86_64 on stdout.  apt-get
# runs with a private configuration in CACHEDIR (its own sources list
# with bookworm and bookworm-backports, its own package lists and
# archives), so the host's apt sources and state are not touched;
# `apt-get download` fetches qemu-system-x86, qemu-system-common and
# qemu-system-data of the newest 10.0 version backports has, and
# `dpkg-deb -x` unpacks them into CACHEDIR/root.  Every library QEMU 10.0
# links is in bookworm; the emulator runs with the system's seabios and
# ipxe (its search path names /usr/share/seabios and /usr/lib/ipxe/qemu),
# and qlaunchd gives it -L CACHEDIR/root/usr/share/qemu, its own data
# files (see launcher/daemon/emudata.c).
#
# Idempotent: when CACHEDIR/root holds a QEMU 10.0 that runs, nothing is
# downloaded.  Fails with one line on stderr (no network, no 10.0 in
# backports, an emulator that does not run): callers skip on failure.
set -eu

prog=fetch-qemu10
[ $# -eq 1 ] || { echo "usage: $0 CACHEDIR" >&2; exit 2; }
mkdir -p "$1"
cache=$(cd "$1" && pwd)
emu=$cache/root/usr/bin/qemu-system-x86_64

runs() { "$emu" -version 2>/dev/null | grep -q '^QEMU emulator version 10\.0'; }

if [ -x "$emu" ] && runs; then
	echo "$emu"
	exit 0
fi

die() { echo "$prog: $*" >&2; exit 1; }

mkdir -p "$cache/lists/partial" "$cache/archives/partial" "$cache/debs"
cat >"$cache/sources.list" <<EOF
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-backports main
EOF
apt() {
	"$@" -q -o Dir::Etc::SourceList="$cache/sources.list" \
	    -o Dir::Etc::SourceParts=/dev/null \
	    -o Dir::State::Lists="$cache/lists" \
	    -o Dir::Cache="$cache" -o Dir::Cache::pkgcache= \
	    -o Dir::Cache::srcpkgcache= \
	    -o APT::Sandbox::User=root
}
apt apt-get update >"$cache/apt.log" 2>&1 ||
    die "apt-get update failed (see $cache/apt.log)"
ver=$(apt apt-cache madison qemu-system-x86 2>/dev/null |
    awk -F'|' '$2 ~ /1:10\.0\./ { gsub(/ /, "", $2); print $2; exit }')
[ -n "$ver" ] || die "bookworm-backports has no qemu-system-x86 10.0"
rm -f "$cache/debs/"*.deb
(cd "$cache/debs" && apt apt-get download qemu-system-x86="$ver" \
    qemu-system-common="$ver" qemu-system-data="$ver") >>"$cache/apt.log" 2>&1 ||
    die "apt-get download of QEMU $ver failed (see $cache/apt.log)"
rm -rf "$cache/root.new"
mkdir "$cache/root.new"
for d in "$cache/debs/"*.deb; do
	dpkg-deb -x "$d" "$cache/root.new" || die "cannot unpack $d"
done
rm -rf "$cache/root"
mv "$cache/root.new" "$cache/root"
runs || die "the unpacked QEMU $ver does not run: $("$emu" -version 2>&1 | head -1)"
echo "$emu"
