#!/bin/sh
# The systemd units (launcher/systemd): systemd-analyze verify on them,
# with ExecStart the built qlaunchd; the directives the supervisor
# relies on are there.  Skipped without systemd-analyze.
srcdir=%SRCDIR%
builddir=%BUILDDIR%
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze is not installed: skipped"
	echo "[  SKIPPED ] 1 test(s)."
	exit 0
fi
T=$(mktemp -d /tmp/qlunits.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
ok() { echo "[       OK ] $1"; passed=$((passed + 1)); }
ko() { echo "[  FAILED  ] $1: $2"; failed=$((failed + 1)); }

echo "[==========] Running units tests."
sed "s|@sbindir@|$builddir/launcher|g" "$srcdir/launcher/systemd/qlaunchd.service.in" \
    >"$T/qlaunchd.service"
cp "$srcdir/launcher/systemd/qlaunchd.socket" "$T/"
if out=$(systemd-analyze verify --man=no "$T/qlaunchd.service" \
    "$T/qlaunchd.socket" 2>&1) && [ -z "$out" ]; then
	ok verify
else
	ko verify "$out"
fi
# a broken unit is caught (the test can fail)
sed 's/^Type=notify/Type=notifyy/' "$T/qlaunchd.service" >"$T/broken.service"
if systemd-analyze verify --man=no "$T/broken.service" 2>&1 | grep -q notifyy; then
	ok verify_catches
else
	ko verify_catches "a bad Type= passed"
fi
for d in Type=notify KillMode=process RuntimeDirectoryPreserve=yes \
    "DeviceAllow=/dev/kvm rw" "DeviceAllow=/dev/net/tun rw"; do
	grep -qx "$d" "$T/qlaunchd.service" && ok "has $d" || ko "has $d" missing
done
grep -qx "ListenStream=/run/qlaunch/qlaunchd.sock" "$T/qlaunchd.socket" &&
    ok socket_path || ko socket_path missing
echo "[==========] $((passed + failed)) test(s) run."
echo "[  PASSED  ] $passed test(s)."
[ $failed -eq 0 ] || { echo "[  FAILED  ] $failed test(s), listed above."; exit 1; }
