#!/bin/bash
# Live migration between two supervisors on one host, A (the main one)
# and B (its own state directory and socket), sharing the image
# directory: a guest keeps a counter in /run (a tmpfs: a reboot would
# lose it) and a mark on its virtio disk; it goes A -> B and back, and
# the counter goes on, the mark is on the disk, the VM runs on one side
# and is gone from the other (or kept shut off with --keep-source).
# Failures: the destination's QEMU killed mid-way, migrate-cancel, the
# client's Ctrl-C and the timeout leave the source guest running and
# nothing on the destination; refusals are one line and change nothing.
# The source's supervisor killed mid-way: the destination cleans up on
# its own (its source's connection closed), and the restarted source
# supervisor re-adopts the guest, running.
. "$(dirname "$0")/lib.sh"

need_root "migration between two supervisors"

BSOCK=$T/b.sock
MARK=QLAUNCH-MIGRATE-MARK-$$

qb() { QLAUNCH_SOCKET=$BSOCK q "$@"; }

# the guest's counter: one more every 0.2 s, in /run
start_counter() {
	gx "$1" 'i=0; (while :; do i=$((i+1)); echo $i >/run/c; sleep 0.2; done) & echo started' |
	    grep -q started || fail "no counter"
	sleep 1
}

# SIDE: "a" or "b"; the counter and the disk's mark, read on that side
counter() { if [ "$1" = a ]; then gval mv 'cat /run/c'; else QLAUNCH_SOCKET=$BSOCK gval mv 'cat /run/c'; fi; }
mark_on_disk() {
	local s=$T/ctl.sock
	[ "$1" = a ] || s=$BSOCK
	QLAUNCH_SOCKET=$s gval mv "echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=1M skip=1 count=1 2>/dev/null | grep -ac $MARK"
}

# nothing of mv on B: no VM, no QEMU, no runtime directory
b_clean() {
	local i
	for i in $(seq 100); do
		qb list --all | grep -qw mv || break
		sleep 0.1
	done
	! qb list --all | grep -qw mv || fail "B still has mv: $(qb list --all)"
	! pgrep -f "$T/stateB/.*mv" >/dev/null || fail "a QEMU of B's mv runs"
	[ ! -e "$T/stateB/vms/mv.conf" ] || fail "B kept the definition"
	[ ! -e "$T/stateB/run/mv/qemu/qemu.pid" ] || fail "B kept mv's runtime files"
}

# A's guest runs on, its counter going
a_runs_on() {
	local c1 c2
	[ "$(q state mv)" = running ] || fail "A's mv is $(q state --reason mv)"
	c1=$(counter a)
	sleep 1
	c2=$(counter a)
	[ -n "$c1" ] && [ "$c2" -gt "$c1" ] || fail "A's counter: $c1 then $c2"
}

# a slow migration in the background (1 MiB/s: minutes for the guest)
# (the client's pid in MIGPID: the test's subshell waits for it)
MIGPID=
slow_migrate() {
	"$QLAUNCH" migrate mv "unix:$BSOCK" --bandwidth 1 "$@" >"$T/mig.out" 2>"$T/mig.err" &
	MIGPID=$!
	for _ in $(seq 300); do
		[ "$(q migrate-info mv --json 2>/dev/null | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p')" = active ] &&
		    return 0
		sleep 0.1
	done
	fail "the migration did not become active: $(cat "$T/mig.err")"
}

# the background migration's end: status 1 and one line holding TEXT
slow_migrate_failed() {
	local rc=0
	wait "$MIGPID" || rc=$?
	[ "$rc" = 1 ] || fail "migrate ended with $rc: $(cat "$T/mig.err")"
	[ "$(wc -l <"$T/mig.err")" -eq 1 ] || fail "not one line: $(cat "$T/mig.err")"
	grep -qF -- "$1" "$T/mig.err" || fail "'$(cat "$T/mig.err")' lacks '$1'"
}

t_guest_up() {
	mkdir -p "$T/stateB"
	start_daemon "$T/stateB" "$BSOCK" || fail "B did not start"
	create_guest mv --disk path="$T/mv.qcow2",size=1,format=qcow2 --start
	wait_ready mv
	start_counter mv
	gx_grep mv "printf '$MARK' | dd of=/dev/vda bs=1M seek=1 2>/dev/null; sync; echo written" '^written' "$T/gx.out" || fail "no mark written"
}

t_a_to_b() {
	local c1 c2 c3
	c1=$(counter a)
	[ "$c1" -gt 0 ] || fail "counter '$c1'"
	q migrate mv "unix:$BSOCK" --verbose >"$T/out" 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	grep -q "^Domain 'mv' migrated to $BSOCK\$" "$T/out" || fail "said: $(cat "$T/out")"
	grep -q '^Total downtime: ' "$T/out" || fail "no figures: $(cat "$T/out")"
	[ "$(qb state --reason mv)" = "running (migrated)" ] || fail "B: $(qb state --reason mv)"
	! q list --all | grep -qw mv || fail "A still has mv: $(q list --all)"
	[ -e "$T/stateB/vms/mv.conf" ] || fail "B has no stored definition"
	c2=$(counter b)
	[ -n "$c2" ] && [ "$c2" -ge "$c1" ] || fail "counter went from $c1 to '$c2'"
	sleep 1
	c3=$(counter b)
	[ "$c3" -gt "$c2" ] || fail "the counter stopped at $c2 ($c3)"
	[ "$(mark_on_disk b)" = 1 ] || fail "the mark is not on B's disk"
}

# back with --keep-source: A runs it, B keeps it shut off
t_b_to_a_keep() {
	local c1 c2
	c1=$(counter b)
	qb migrate mv "unix:$T/ctl.sock" --keep-source >/dev/null 2>"$T/err" ||
	    fail "migrate back: $(cat "$T/err")"
	[ "$(q state mv)" = running ] || fail "A: $(q state --reason mv)"
	[ "$(qb state --reason mv)" = "shut off (migrated)" ] || fail "B: $(qb state --reason mv)"
	c2=$(counter a)
	[ -n "$c2" ] && [ "$c2" -ge "$c1" ] || fail "counter went from $c1 to '$c2'"
	[ "$(mark_on_disk a)" = 1 ] || fail "the mark is not on A's disk"
	# the kept copy (same name, same UUID) takes it again
	q migrate mv "unix:$BSOCK" >/dev/null 2>"$T/err" || fail "to the copy: $(cat "$T/err")"
	[ "$(qb state mv)" = running ] || fail "B: $(qb state --reason mv)"
	! q list --all | grep -qw mv || fail "A still has mv: $(q list --all)"
	qb migrate mv "unix:$T/ctl.sock" >/dev/null 2>"$T/err" || fail "back: $(cat "$T/err")"
	a_runs_on
	b_clean
}

# the options: each set on both sides, and it still arrives
t_options() {
	local c1 c2
	c1=$(counter a)
	q migrate mv "unix:$BSOCK" --multifd 2 --auto-converge --xbzrle \
	    --downtime 500 --bandwidth 2000 >/dev/null 2>"$T/err" ||
	    fail "migrate: $(cat "$T/err")"
	[ "$(qb state mv)" = running ] || fail "B: $(qb state --reason mv)"
	c2=$(counter b)
	[ -n "$c2" ] && [ "$c2" -ge "$c1" ] || fail "counter went from $c1 to '$c2'"
	qb migrate mv "unix:$T/ctl.sock" --json >"$T/out" 2>"$T/err" || fail "back: $(cat "$T/err")"
	grep -q '"downtime_ms"' "$T/out" || fail "no JSON summary: $(cat "$T/out")"
	a_runs_on
	b_clean
}

# the destination's QEMU dies mid-way
t_kill_destination() {
	local pid
	slow_migrate
	pid=$(QLAUNCH_SOCKET=$BSOCK vm_pid mv)
	[ -n "$pid" ] || fail "no QEMU on B"
	kill -9 "$pid"
	slow_migrate_failed "migration of 'mv' to $BSOCK failed"
	a_runs_on
	b_clean
}

t_cancel() {
	slow_migrate
	q migrate-cancel mv >/dev/null || fail "migrate-cancel failed"
	slow_migrate_failed "cancelled by the user"
	a_runs_on
	b_clean
	one_line_error "is not migrating from here" q migrate-cancel mv
}

t_ctrl_c() {
	slow_migrate
	kill -INT "$MIGPID" || fail "no client to interrupt"
	slow_migrate_failed "cancelled by the user"
	a_runs_on
	b_clean
}

t_timeout() {
	slow_migrate --timeout 3
	slow_migrate_failed "did not complete in 3 s"
	a_runs_on
	b_clean
}

t_info() {
	q migrate-info mv --json >"$T/out" || fail "migrate-info failed"
	grep -q '"status": "cancelled"' "$T/out" || fail "info: $(cat "$T/out")"
	q migrate-info mv >"$T/out"
	grep -q '^Job status: *cancelled$' "$T/out" || fail "info: $(cat "$T/out")"
}

t_errors() {
	q list --all | awk '{ print $1, $2, $3, $4 }' >"$T/before"
	one_line_error "cannot connect to the destination" q migrate mv "unix:$T/nothing.sock"
	one_line_error "unknown key 'sock'" q migrate mv 'ssh://h/?sock=/x'
	usage_error "DEST is unix:PATH" q migrate mv "$BSOCK"
	one_line_error "--multifd '0'" q migrate mv "unix:$BSOCK" --multifd 0
	one_line_error "this supervisor's own socket" q migrate mv "unix:$T/ctl.sock"
	# the name is taken on B by another VM (another UUID)
	QLAUNCH_SOCKET=$BSOCK create_guest mv
	one_line_error "the destination has VM 'mv' already" q migrate mv "unix:$BSOCK"
	qb undefine mv >/dev/null
	a_runs_on
	q list --all | awk '{ print $1, $2, $3, $4 }' >"$T/after"
	diff "$T/before" "$T/after" || fail "the list changed"
	b_clean
}

# A's qlaunchd killed mid-way (kill -9): B cleans up by itself, since the
# connection migrate-prepare came on closed; A's QEMU, in its own
# session, outlives its supervisor, its migration failing when B's QEMU
# goes, and the restarted A re-adopts it, running
t_kill_source() {
	local qpid rc=0 t0
	slow_migrate
	qpid=$(vm_pid mv)
	[ -n "$qpid" ] || fail "no QEMU on A"
	t0=$(date +%s)
	stop_daemon KILL || fail "A's qlaunchd did not die"
	b_clean
	echo "B clean $(($(date +%s) - t0)) s after A's supervisor died"
	grep -q "mv: incoming migration: the source's control connection closed before the migration completed" \
	    "$T/qlaunchd.log" || fail "B did not say why: $(tail -5 "$T/qlaunchd.log")"
	wait "$MIGPID" || rc=$?
	[ "$rc" != 0 ] || fail "the client said the migration worked"
	[ "$(wc -l <"$T/mig.err")" -eq 1 ] || fail "the client's error is not one line: $(cat "$T/mig.err")"
	echo "the client said: $(cat "$T/mig.err")"
	kill -0 "$qpid" || fail "A's QEMU died with its supervisor"
	start_daemon || fail "A did not restart"
	[ "$(vm_pid mv)" = "$qpid" ] || fail "A re-adopted pid '$(vm_pid mv)', not $qpid"
	wait_state mv running 20 || fail "A's mv is $(q state --reason mv)"
	a_runs_on
	b_clean
}

start_daemon || exit 1
run_tests guest_up a_to_b b_to_a_keep options kill_destination cancel \
    ctrl_c timeout info errors kill_source
