#!/bin/bash
# The Debian package (issue 12): built with dpkg-buildpackage from a clean
# export of the tree, lintian-clean apart from debian/'s overrides;
# installed with apt into a fresh Debian 12 root (mmdebstrap, minbase),
# where `qlaunch version` starts the installed qlaunchd and `qlaunch
# host-check` reports on a host without KVM; its files where dpkg says,
# its systemd units enabled; purged, nothing of it is left.  No guest
# boots.  The root is made from tarballs cached in CACHE (created on the
# first run), so a second run needs no network.
. "$(dirname "$0")/lib.sh"
need_root "installing a package into a chroot"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${QLAUNCH_TEST_CACHE:-/var/cache/qlaunch-test}
SOURCES=/etc/apt/sources.list.d/debian.sources
[ -f "$SOURCES" ] || SOURCES=/etc/apt/sources.list
BASE=$CACHE/bookworm-minbase.tar
R=$T/root
OUT=$T/out.deb	# dpkg-buildpackage's results: the export's parent
# what apt and dpkg keep about themselves, not the package's files
STATE='^\./var/(lib/(dpkg|apt)|cache/(apt|debconf|ldconfig)|log)(/|$)'

for p in dpkg-buildpackage lintian mmdebstrap unshare; do
	command -v $p >/dev/null ||
	    { echo "FAIL: $p not found (tests/install-deps.sh installs it)"; exit 1; }
done

# in_root SCRIPT: run SCRIPT with sh in the root, in namespaces of its
# own (mounts, network, processes): /proc and a tmpfs /run as a booted
# system has them, nothing reaching the host's network, and whatever it
# started (qlaunchd) killed when it ends.  NET=1 keeps the host's
# network (apt fetching the dependencies, the first time).
in_root() {
	local net=--net
	[ -z "${NET:-}" ] || net=
	unshare --mount $net --pid --fork --mount-proc="$R/proc" \
	    sh -c 'mount -t tmpfs tmpfs "$0/run" && exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 /bin/sh -ec "$1"' \
	    "$R" "$1"
}

# the file list of the root, apt's and dpkg's own state left out
snapshot() {
	(cd "$R" && find . -xdev \( -path ./proc -o -path ./run -o -path ./dev \
	    -o -path ./sys -o -path ./tmp \) -prune -o -print) |
	    grep -Ev "$STATE" | sort
}

# The root, unpacked from the cached tarball; mmdebstrap makes the
# tarball once (it keeps apt's lists, so that apt resolves offline).
# Skipped, saying so, only when there is no tarball and mmdebstrap
# cannot reach the mirror.
if [ ! -f "$BASE" ]; then
	mkdir -p "$CACHE"
	echo "creating $BASE with mmdebstrap (from $SOURCES)"
	start=$(date +%s)
	if ! mmdebstrap --variant=minbase --skip=cleanup/apt/lists \
	    --format=tar bookworm "$BASE.tmp" "$SOURCES" </dev/null >"$T/mmdebstrap.log" 2>&1; then
		rm -f "$BASE.tmp"
		if grep -qE "Could not resolve|Failed to fetch|Unable to connect|Temporary failure|Connection failed|Could not connect" \
		    "$T/mmdebstrap.log"; then
			echo "$(basename "$0"): mmdebstrap cannot reach the apt mirror in $SOURCES: skipped"
			grep -E "Could not|Failed to fetch|Unable to connect" "$T/mmdebstrap.log" | head -3
			echo "[  SKIPPED ] 1 test(s)."
			exit 0
		fi
		echo "FAIL: mmdebstrap failed:"; tail -20 "$T/mmdebstrap.log"; exit 1
	fi
	mv "$BASE.tmp" "$BASE"
	echo "measure: chroot tarball created in $(($(date +%s) - start)) s ($(du -m "$BASE" | cut -f1) MB)"
fi

t_build() {
	local start
	# a clean export: the tree's files as git knows them (uncommitted
	# changes included), nothing of a build
	mkdir -p "$OUT/qlaunch"
	if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$SRC" && git ls-files -co --exclude-standard -z) |
		    (cd "$SRC" && tar --null -cf - -T -) | tar -xf - -C "$OUT/qlaunch"
	else
		cp -a "$SRC/." "$OUT/qlaunch/"
	fi
	(cd "$OUT/qlaunch" && find . -path ./debian -prune -o -print | sort) >"$T/tree.before"
	start=$(date +%s)
	# the unit tests run in 'make check' already
	(cd "$OUT/qlaunch" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) \
	    >"$T/build.log" 2>&1 || fail "dpkg-buildpackage: $(tail -15 "$T/build.log")"
	echo "measure: package built in $(($(date +%s) - start)) s"
	ls "$OUT"/qlaunch_*.deb >/dev/null || fail "no .deb"
	# it wrote nothing into the tree outside debian/ (debian/build,
	# debhelper's files)
	(cd "$OUT/qlaunch" && find . -path ./debian -prune -o -print | sort) >"$T/tree.after"
	diff "$T/tree.before" "$T/tree.after" >"$T/tree.diff" ||
	    fail "the build changed the tree: $(cat "$T/tree.diff")"
	# the test guest is not in it
	dpkg-deb -c "$OUT"/qlaunch_*.deb >"$T/contents"
	! grep -E "bzImage|initrd|guest\.iso|qlstress" "$T/contents" ||
	    fail "the test guest is packaged"
}

t_lintian() {
	# only overridden tags (debian/qlaunch.lintian-overrides) may remain
	lintian --fail-on error,warning "$OUT"/qlaunch_*.changes >"$T/lintian" 2>&1 ||
	    fail "lintian: $(cat "$T/lintian")"
	! grep -E '^[EW]:' "$T/lintian" || fail "lintian: $(cat "$T/lintian")"
}

# the package's dependencies first, so that the file list compared after
# the purge is the one before the package itself came: the root with them
# installed is cached too, as CACHE/bookworm-deps-KEY.tar, KEY naming the
# dependencies (a package with others makes another, and the old goes)
t_root() {
	local deps deb key tar start=$(date +%s)
	deb=$(ls "$OUT"/qlaunch_*.deb)
	deps="$(dpkg-deb -f "$deb" Depends), $(dpkg-deb -f "$deb" Recommends)"
	key=$(printf '%s' "$deps" | sha256sum | cut -c1-12)
	tar=$CACHE/bookworm-deps-$key.tar
	mkdir -p "$R"
	if [ -f "$tar" ]; then
		tar -xf "$tar" -C "$R"
	else
		tar -xf "$BASE" -C "$R"
		# apt fetches them, on the host's network
		NET=1 in_root "apt-get satisfy -y -q '$deps' && apt-get clean" \
		    </dev/null >"$T/deps.log" 2>&1 ||
		    fail "installing the dependencies: $(tail -5 "$T/deps.log")"
		rm -f "$CACHE"/bookworm-deps-*.tar
		tar -cf "$tar.tmp" -C "$R" . && mv "$tar.tmp" "$tar"
	fi
	echo "measure: root with the dependencies ready in $(($(date +%s) - start)) s"
	cp "$deb" "$R/tmp/"
	snapshot >"$T/files.before"
}

t_install() {
	in_root 'apt-get install -y -q /tmp/qlaunch_*.deb' >"$T/install.log" 2>&1 ||
	    fail "apt-get install: $(tail -5 "$T/install.log")"
	in_root 'dpkg-query -W -f="\${Status} \${Version}" qlaunch' >"$T/status"
	grep -qx "install ok installed $(cat "$SRC/VERSION")" "$T/status" ||
	    fail "dpkg says: $(cat "$T/status")"
}

t_version() {
	local v
	# the client starts the installed supervisor (as root: /run/qlaunch,
	# /var/lib/qlaunch), which is then stopped
	in_root 'out=$(qlaunch version); echo "$out"; pid=${out##*pid }; pid=${pid%)}
		test -S /run/qlaunch/qlaunchd.sock; grep -qx qlaunchd /proc/$pid/comm
		kill -TERM $pid; i=0
		while [ $i -lt 50 ] && [ -e /proc/$pid ] && ! grep -q "^State:.*Z" /proc/$pid/status 2>/dev/null; do
			sleep 0.1; i=$((i + 1)); done; [ $i -lt 50 ]' \
	    >"$T/version" 2>&1 || fail "qlaunch version: $(cat "$T/version")"
	v=$(cat "$SRC/VERSION")
	grep -Eq "^qlaunch $v, qlaunchd $v \(pid [0-9]+\)$" "$T/version" ||
	    fail "version: $(cat "$T/version")"
	[ -f "$R/var/lib/qlaunch/qlaunchd.lock" ] || fail "qlaunchd made no /var/lib/qlaunch"
}

t_host_check() {
	local rc=0
	# no /dev/kvm in the root: WARNs only, status 0 (qlaunch(1): 1 only
	# when a check failed, that is QEMU or qemu-img missing)
	in_root 'qlaunch host-check' >"$T/hc" 2>&1 || rc=$?
	[ $rc -eq 0 ] || fail "host-check exited $rc: $(cat "$T/hc")"
	grep -Eq '^ *WARN +KVM device: +/dev/kvm missing' "$T/hc" ||
	    fail "no KVM warning: $(cat "$T/hc")"
	grep -Eq '^ *PASS +QEMU: +/usr/bin/qemu-system-x86_64 ' "$T/hc" ||
	    fail "no QEMU PASS: $(cat "$T/hc")"
	! grep -Eq '^ *FAIL ' "$T/hc" || fail "a FAIL: $(cat "$T/hc")"
	in_root 'qlaunch host-check --json' >"$T/hc.json" 2>&1 ||
	    fail "host-check --json: $(cat "$T/hc.json")"
	grep -q '"check"' "$T/hc.json" || fail "host-check --json: $(cat "$T/hc.json")"
	# and the FAIL it is there for: the QEMU binary missing
	rc=0
	in_root 'QEMU=/nonexistent qlaunch host-check' >"$T/hc2" 2>&1 || rc=$?
	[ $rc -eq 1 ] || fail "host-check without QEMU exited $rc: $(cat "$T/hc2")"
	grep -q FAIL "$T/hc2" || fail "no FAIL: $(cat "$T/hc2")"
}

t_files() {
	local f
	in_root 'dpkg -L qlaunch' >"$T/dpkgL" || fail "dpkg -L"
	# every path dpkg lists is there
	while read -r f; do
		[ -e "$R$f" ] || fail "dpkg lists $f, missing"
	done <"$T/dpkgL"
	for f in /usr/bin/qlaunch /usr/sbin/qlaunchd /etc/qlaunch/qlaunchd.conf \
	    /etc/qlaunch/qemu-ifup /etc/qlaunch/qemu-ifdown \
	    /lib/systemd/system/qlaunchd.service /lib/systemd/system/qlaunchd.socket \
	    /usr/share/man/man1/qlaunch.1.gz /usr/share/man/man8/qlaunchd.8.gz \
	    /usr/share/man/man5/qlaunch.conf.5.gz /usr/share/man/man5/qlaunchd.conf.5.gz \
	    /usr/share/bash-completion/completions/qlaunch \
	    /usr/share/qlaunch/web/index.html /usr/share/qlaunch/web/vendor/xterm/xterm.js \
	    /usr/share/qlaunch/web/vendor/novnc/core/rfb.js \
	    /usr/share/doc/qlaunch/copyright; do
		grep -qx "$f" "$T/dpkgL" || fail "not in dpkg -L: $f"
	done
	grep -q '^ExecStart=/usr/sbin/qlaunchd -f$' "$R/lib/systemd/system/qlaunchd.service" ||
	    fail "ExecStart: $(grep ExecStart "$R/lib/systemd/system/qlaunchd.service")"
	# the configuration is a conffile, so a purge removes it
	in_root 'dpkg-query -W -f="\${Conffiles}" qlaunch' >"$T/conffiles"
	grep -q '/etc/qlaunch/qlaunchd.conf ' "$T/conffiles" ||
	    fail "conffiles: $(cat "$T/conffiles")"
	# both units enabled (debian/rules: as libvirt's)
	[ "$(readlink "$R/etc/systemd/system/multi-user.target.wants/qlaunchd.service")" = \
	    /lib/systemd/system/qlaunchd.service ] || fail "qlaunchd.service not enabled"
	[ "$(readlink "$R/etc/systemd/system/sockets.target.wants/qlaunchd.socket")" = \
	    /lib/systemd/system/qlaunchd.socket ] || fail "qlaunchd.socket not enabled"
}

t_purge() {
	# an admin's change to the configuration: remove keeps it, purge not
	echo "on_stop = shutdown" >>"$R/etc/qlaunch/qlaunchd.conf"
	in_root 'apt-get remove -y -q qlaunch' >"$T/remove.log" 2>&1 ||
	    fail "apt-get remove: $(tail -5 "$T/remove.log")"
	grep -q '^on_stop = shutdown' "$R/etc/qlaunch/qlaunchd.conf" ||
	    fail "remove did not keep the changed configuration"
	in_root 'apt-get purge -y -q qlaunch' >"$T/purge.log" 2>&1 ||
	    fail "apt-get purge: $(tail -5 "$T/purge.log")"
	[ ! -e "$R/etc/qlaunch" ] || fail "/etc/qlaunch left: $(ls -A "$R/etc/qlaunch")"
	[ ! -e "$R/var/lib/qlaunch" ] || fail "/var/lib/qlaunch left: $(ls -AR "$R/var/lib/qlaunch")"
	rm -f "$R"/tmp/qlaunch_*.deb
	cp "$OUT"/qlaunch_*.deb "$R/tmp/"
	snapshot >"$T/files.after"
	diff "$T/files.before" "$T/files.after" >"$T/files.diff" ||
	    fail "left behind or removed: $(cat "$T/files.diff")"
	echo "measure: installed size $(dpkg-deb -f "$OUT"/qlaunch_*.deb Installed-Size) KiB"
}

run_tests build lintian root install version host_check files purge
