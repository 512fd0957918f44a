#!/bin/bash
# Live migration across QEMU versions: A's qlaunchd runs the system's
# QEMU 7.2, B's runs QEMU 10.0 from bookworm-backports (unpacked by
# images/fetch-qemu10.sh, nothing installed; B's default emulator, -q).
# The guest (machine "pc", which 7.2 resolves to pc-i440fx-7.2) keeps a
# counter in /run and a file of random bytes there, and a mark on its
# disk; it goes 7.2 -> 10.0: B's QEMU is 10.0 and runs pc-i440fx-7.2, the
# counter goes on, the file's checksum and the mark are the same.  Then
# back 10.0 -> 7.2, which QEMU supports for a machine type 7.2 knows; and
# 7.2 -> 10.0 again with --multifd 2 --auto-converge --downtime 500
# (probed on both QEMUs; multifd set on 10.0 before migrate-incoming).
# Skipped, saying why, only when QEMU 10.0 cannot be fetched.
. "$(dirname "$0")/lib.sh"

need_root "migration between two supervisors"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
QEMU10=$(sh "$SRC/images/fetch-qemu10.sh" "$B/images/qemu10" 2>"$T/fetch.err") || {
	echo "$(basename "$0"): QEMU 10.0 cannot be fetched from bookworm-backports: skipped ($(cat "$T/fetch.err"))"
	echo "[  SKIPPED ] 1 test(s)."
	exit 0
}
BSOCK=$T/b.sock
MARK=QLAUNCH-MIGRATE-Q10-$$

qb() { QLAUNCH_SOCKET=$BSOCK q "$@"; }
sock_of() { if [ "$1" = a ]; then echo "$T/ctl.sock"; else echo "$BSOCK"; fi; }
counter() { QLAUNCH_SOCKET=$(sock_of "$1") gval mv 'cat /run/c'; }
sum_of() { QLAUNCH_SOCKET=$(sock_of "$1") gval mv 'md5sum </run/f | cut -c1-32'; }
mark_on_disk() {
	QLAUNCH_SOCKET=$(sock_of "$1") gval mv "echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=1M skip=1 count=1 2>/dev/null | grep -ac $MARK"
}
# SIDE: the QEMU of mv there, its version line and its -machine
qemu_of() {
	local pid
	pid=$(QLAUNCH_SOCKET=$(sock_of "$1") vm_pid mv)
	[ -n "$pid" ] || return 1
	"$(readlink "/proc/$pid/exe")" -version | head -1
	tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n '/^-machine$/{n;p};/^-L$/{n;s/^/L=/p}'
}

t_guest_up() {
	mkdir -p "$T/stateB"
	"$QLAUNCHD" -f -s "$T/stateB" -S "$BSOCK" -q "$QEMU10" >>"$T/qlaunchd.log" 2>&1 &
	disown $! 2>/dev/null || true
	for _ in $(seq 100); do
		qb version >/dev/null 2>&1 && break
		sleep 0.05
	done
	qb version >/dev/null || fail "B did not start"
	create_guest mv --disk path="$T/mv.qcow2",size=1,format=qcow2 --start
	wait_ready mv
	qemu_of a | grep -q 'version 7\.2' || fail "A's QEMU: $(qemu_of a)"
	gx mv 'i=0; (while :; do i=$((i+1)); echo $i >/run/c; sleep 0.2; done) & echo started' |
	    grep -q started || fail "no counter"
	gx_grep mv "dd if=/dev/urandom of=/run/f bs=1M count=8 2>/dev/null; printf '$MARK' | dd of=/dev/vda bs=1M seek=1 2>/dev/null; sync; echo written" '^written' "$T/gx.out" || fail "no file or mark written"
	sleep 1
}

# FROM TO WANT-VERSION [MIGRATE-OPTIONS...]: migrate, and the guest goes
# on there
there() {
	local c1 c2 c3 s1 from=$1 to=$2 want=$3
	shift 3
	c1=$(counter "$from")
	s1=$(sum_of "$from")
	[ "$c1" -gt 0 ] && [ ${#s1} -eq 32 ] || fail "counter '$c1', sum '$s1'"
	QLAUNCH_SOCKET=$(sock_of "$from") q migrate mv "unix:$(sock_of "$to")" "$@" \
	    >"$T/out" 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	[ "$(QLAUNCH_SOCKET=$(sock_of "$to") q state --reason mv)" = "running (migrated)" ] ||
	    fail "$to: $(QLAUNCH_SOCKET=$(sock_of "$to") q state --reason mv)"
	qemu_of "$to" >"$T/qemu"
	grep -q "version $want" "$T/qemu" || fail "$to's QEMU: $(cat "$T/qemu")"
	grep -qx 'pc-i440fx-7\.2' "$T/qemu" || fail "$to's machine: $(cat "$T/qemu")"
	c2=$(counter "$to")
	[ -n "$c2" ] && [ "$c2" -ge "$c1" ] || fail "counter went from $c1 to '$c2'"
	sleep 1
	c3=$(counter "$to")
	[ "$c3" -gt "$c2" ] || fail "the counter stopped at $c2 ($c3)"
	[ "$(sum_of "$to")" = "$s1" ] || fail "the file changed: $s1 to $(sum_of "$to")"
	[ "$(mark_on_disk "$to")" = 1 ] || fail "the mark is not on the disk"
}

t_7_to_10() {
	there a b '10\.0'
	# its own data files first: -L the directory unpacked beside it
	grep -qx "L=$(dirname "$(dirname "$QEMU10")")/share/qemu" "$T/qemu" ||
	    fail "B's QEMU has no -L to its data: $(cat "$T/qemu")"
}
t_10_to_7() { there b a '7\.2'; }

# options both QEMUs are probed for: multifd set on the destination
# before migrate-incoming, auto-converge
t_options_7_to_10() {
	there a b '10\.0' --multifd 2 --auto-converge --downtime 500
	there b a '7\.2'
}

start_daemon || exit 1
run_tests guest_up 7_to_10 10_to_7 options_7_to_10
