#!/bin/bash
# migrate's further options between two supervisors, each in a network
# namespace of its own joined by a veth pair (as test_migrate_tcp.sh),
# the stream over TCP across the veth: multifd with compression, xbzrle
# with its cache, auto-converge; postcopy after one pass, and switched
# by hand (migrate-postcopy) during a slow run; the timeout's pause,
# which lets a migration that cannot converge (qlstress dirtying memory
# faster than the bandwidth) complete, the guest running on the
# destination afterwards; the refusals, one line each; and the stall
# detector, when the veth is cut mid-migration: the source guest runs
# on, nothing stays on the destination; a postcopy migration broken
# (veth cut, migrate-cancel --postcopy) and resumed with --postcopy-resume.
# Each time the guest's counter goes on and the mark on its disk is intact.
. "$(dirname "$0")/lib.sh"

need_root "migration options between network namespaces"

MARK=QLAUNCH-MIGRATE-OPTS-$$

# the namespaces, the veth (ADDR_A, ADDR_B in 192.168.233.0/24), both
# supervisors
setup_net() {
	make_netns_pair qlo 192.168.233 || return 1
	start_daemon || return 1
	start_daemon_b
}

status_of() {
	QLAUNCH_SOCKET=$1 q migrate-info mv --json 2>/dev/null |
	    sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p'
}

t_guest_up() { mig_guest_up; }

# the guest runs where SOCK is, its counter going, its mark on the
# disk; the other side (OTHER) has no mv
runs_at() {
	local c1 c2
	[ "$(QLAUNCH_SOCKET=$1 q state mv)" = running ] ||
	    fail "mv at $1: $(QLAUNCH_SOCKET=$1 q state --reason mv)"
	c1=$(counter "$1")
	sleep 1
	c2=$(counter "$1")
	[ -n "$c1" ] && [ "$c2" -gt "$c1" ] || fail "the counter: $c1 then $c2"
	[ "$(mark_on_disk "$1")" = 1 ] || fail "the mark is not on the disk"
	for _ in $(seq 100); do
		QLAUNCH_SOCKET=$2 q list --all | grep -qw mv || break
		sleep 0.1
	done
	! QLAUNCH_SOCKET=$2 q list --all | grep -qw mv || fail "$2 still has mv"
}

# FROM TO ADDR_TO OPTIONS...: migrate, --json into $T/out; the counter
# went on from where it was
mig() {
	local from=$1 to=$2 addr=$3 c1 c2
	shift 3
	c1=$(counter "$from")
	[ "$c1" -gt 0 ] || fail "counter '$c1'"
	QLAUNCH_SOCKET=$from timeout 300 "$QLAUNCH" migrate mv "unix:$to" \
	    --listen-address "$addr" --json "$@" >"$T/out" 2>"$T/err" ||
	    fail "migrate $*: $(cat "$T/err")"
	grep -q "\"uri\": \"tcp:$addr:[0-9]*\"" "$T/out" || fail "not over TCP: $(tail -3 "$T/out")"
	[ "$(QLAUNCH_SOCKET=$to q state --reason mv)" = "running (migrated)" ] ||
	    fail "destination: $(QLAUNCH_SOCKET=$to q state --reason mv)"
	c2=$(counter "$to")
	[ -n "$c2" ] && [ "$c2" -ge "$c1" ] || fail "counter went from $c1 to '$c2'"
	runs_at "$to" "$from"
}

t_multifd_xbzrle() {
	mig "$T/ctl.sock" "$BSOCK" "$ADDR_B" --multifd 2 --multifd-compression zlib
	mig "$BSOCK" "$T/ctl.sock" "$ADDR_A" --xbzrle=64M --auto-converge
	mig "$T/ctl.sock" "$BSOCK" "$ADDR_B" --multifd 2 --multifd-compression zstd --xbzrle
	mig "$BSOCK" "$T/ctl.sock" "$ADDR_A"
}

# qlstress dirties 48 MiB at 200 MiB/s, more than 8 MiB/s moves: a
# migration at that bandwidth cannot converge by itself
# (a busy guest answers its console slowly: what it did is asked again)
stress_on() {
	QLAUNCH_SOCKET=$1 gx mv '(qlstress -s 48 -r 200 -d 300 >/dev/null 2>&1 &) ; echo stressing' >/dev/null
	QLAUNCH_SOCKET=$1 wait_gval mv 'pidof qlstress >/dev/null && echo yes' yes
	sleep 2
}
stress_off() {
	QLAUNCH_SOCKET=$1 wait_gval mv 'kill $(pidof qlstress) 2>/dev/null; sleep 0.3; pidof qlstress || echo none' none
}

# the switch after the first pass: progress says postcopy-active, the
# summary says postcopy
t_postcopy_after() {
	stress_on "$T/ctl.sock"
	mig "$T/ctl.sock" "$BSOCK" "$ADDR_B" --postcopy --postcopy-after 1 --bandwidth 8
	grep -q "\"status\": *\"postcopy-active\"" "$T/out" || fail "no postcopy-active in the progress events"
	grep -q '"postcopy": *true' "$T/out" || fail "summary: $(tail -1 "$T/out")"
	stress_off "$BSOCK"
}

# migrate-postcopy during a slow run (B -> A)
t_postcopy_by_hand() {
	local c1 rc=0
	c1=$(counter "$BSOCK")
	QLAUNCH_SOCKET=$BSOCK timeout 300 "$QLAUNCH" migrate mv "unix:$T/ctl.sock" \
	    --listen-address "$ADDR_A" --json --postcopy --bandwidth 1 >"$T/out" 2>"$T/err" &
	local pid=$!
	for _ in $(seq 300); do
		[ "$(status_of "$BSOCK")" = active ] && break
		sleep 0.1
	done
	[ "$(status_of "$BSOCK")" = active ] || fail "not active: $(cat "$T/err")"
	sleep 1
	qb migrate-postcopy mv >/dev/null 2>"$T/err2" || fail "migrate-postcopy: $(cat "$T/err2")"
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "migrate ended with $rc: $(cat "$T/err")"
	grep -q '"postcopy": *true' "$T/out" || fail "summary: $(tail -1 "$T/out")"
	[ "$(q state --reason mv)" = "running (migrated)" ] || fail "A: $(q state --reason mv)"
	[ "$(counter "$T/ctl.sock")" -ge "$c1" ] || fail "the counter went back"
	runs_at "$T/ctl.sock" "$BSOCK"
}

# under qlstress: the timeout's pause lets it complete, and the guest
# runs on at B
t_timeout_pause() {
	stress_on "$T/ctl.sock"
	mig "$T/ctl.sock" "$BSOCK" "$ADDR_B" --bandwidth 8 --timeout 4 --timeout-action pause
	grep -q '"timeout_action": *"pause"' "$T/out" || fail "not paused by the timeout: $(tail -1 "$T/out")"
	stress_off "$BSOCK"
	mig "$BSOCK" "$T/ctl.sock" "$ADDR_A"
}

# under qlstress: the timeout switches to postcopy
t_timeout_postcopy() {
	stress_on "$T/ctl.sock"
	mig "$T/ctl.sock" "$BSOCK" "$ADDR_B" --postcopy --bandwidth 8 --timeout 4 \
	    --timeout-action postcopy
	grep -q '"timeout_action": *"postcopy"' "$T/out" || fail "not switched by the timeout: $(tail -3 "$T/out")"
	grep -q '"postcopy": *true' "$T/out" || fail "summary: $(tail -3 "$T/out")"
	stress_off "$BSOCK"
	mig "$BSOCK" "$T/ctl.sock" "$ADDR_A"
}

t_refusals() {
	q list --all | awk '{ print $1, $2, $3, $4 }' >"$T/before"
	one_line_error "postcopy-after needs postcopy" q migrate mv "unix:$BSOCK" --postcopy-after 1
	one_line_error "the timeout action postcopy needs postcopy" \
	    q migrate mv "unix:$BSOCK" --timeout 5 --timeout-action postcopy
	one_line_error "a timeout action needs a timeout" q migrate mv "unix:$BSOCK" --timeout-action pause
	one_line_error "timeout action 'later' is not cancel, pause or postcopy" \
	    q migrate mv "unix:$BSOCK" --timeout 5 --timeout-action later
	one_line_error "multifd compression needs multifd" \
	    q migrate mv "unix:$BSOCK" --multifd-compression zstd
	one_line_error "multifd compression 'lz4' is not zstd, zlib or none" \
	    q migrate mv "unix:$BSOCK" --multifd 2 --multifd-compression lz4
	one_line_error "the xbzrle cache size is a power of two" q migrate mv "unix:$BSOCK" --xbzrle=3M
	one_line_error "--xbzrle 'lots'" q migrate mv "unix:$BSOCK" --xbzrle=lots
	one_line_error "--postcopy-after '0'" q migrate mv "unix:$BSOCK" --postcopy --postcopy-after 0
	one_line_error "--stall-timeout 'soon'" q migrate mv "unix:$BSOCK" --stall-timeout soon
	one_line_error "postcopy-bandwidth needs postcopy" q migrate mv "unix:$BSOCK" --postcopy-bandwidth 5
	one_line_error "VM 'mv' is not migrating from here" q migrate-postcopy mv
	q list --all | awk '{ print $1, $2, $3, $4 }' >"$T/after"
	diff "$T/before" "$T/after" || fail "the list changed"
	! qb list --all | grep -qw mv || fail "B has mv"
	# a migration without --postcopy cannot switch
	"$QLAUNCH" migrate mv "unix:$BSOCK" --listen-address "$ADDR_B" --bandwidth 1 \
	    >/dev/null 2>"$T/err" &
	local pid=$!
	for _ in $(seq 300); do
		[ "$(status_of "$T/ctl.sock")" = active ] && break
		sleep 0.1
	done
	one_line_error "is migrating without postcopy" q migrate-postcopy mv
	q migrate-cancel mv >/dev/null || fail "no cancel"
	wait "$pid" || true
	runs_at "$T/ctl.sock" "$BSOCK"
}

# the veth cut mid-migration: nothing moves; after 5 s it is cancelled
t_stall() {
	local rc=0
	"$QLAUNCH" migrate mv "unix:$BSOCK" --listen-address "$ADDR_B" --bandwidth 1 \
	    --stall-timeout 5 >"$T/out" 2>"$T/err" &
	local pid=$!
	for _ in $(seq 300); do
		[ "$(status_of "$T/ctl.sock")" = active ] && break
		sleep 0.1
	done
	[ "$(status_of "$T/ctl.sock")" = active ] || fail "not active: $(cat "$T/err")"
	sleep 1
	ip -n "$NETNS" link set "$VETH_A" down
	wait "$pid" || rc=$?
	ip -n "$NETNS" link set "$VETH_A" up
	[ "$rc" = 1 ] || fail "migrate ended with $rc: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "not one line: $(cat "$T/err")"
	grep -q "no data moved for 5 s: the stream to tcp:$ADDR_B:[0-9]* stalled" "$T/err" ||
	    fail "said: $(cat "$T/err")"
	runs_at "$T/ctl.sock" "$BSOCK"
	! pgrep -f "$T/stateB/.*mv" >/dev/null || fail "a QEMU of B's mv runs"
}

# postcopy broken and resumed (virsh's domjobabort --postcopy, then
# migrate --postcopy-resume): the veth cut in postcopy, migrate-cancel
# --postcopy stops the stream, both QEMUs wait in postcopy-paused with
# nothing undone; the veth back, --postcopy-resume finishes it and the
# guest runs on at B
t_postcopy_resume() {
	local rc=0 st
	stress_on "$T/ctl.sock"
	"$QLAUNCH" migrate mv "unix:$BSOCK" --listen-address "$ADDR_B" \
	    --postcopy --bandwidth 2 --postcopy-bandwidth 2 >"$T/out" 2>"$T/err" &
	local pid=$!
	for _ in $(seq 300); do
		[ "$(status_of "$T/ctl.sock")" = active ] && break
		sleep 0.1
	done
	[ "$(status_of "$T/ctl.sock")" = active ] || fail "not active: $(cat "$T/err")"
	one_line_error "VM 'mv' is not in postcopy" q migrate-cancel mv --postcopy
	q migrate-postcopy mv >/dev/null || fail "migrate-postcopy"
	for _ in $(seq 100); do
		[ "$(status_of "$T/ctl.sock")" = postcopy-active ] && break
		sleep 0.1
	done
	[ "$(status_of "$T/ctl.sock")" = postcopy-active ] || fail "not in postcopy: $(status_of "$T/ctl.sock")"
	sleep 1
	ip -n "$NETNS" link set "$VETH_A" down
	q migrate-cancel mv --postcopy >/dev/null || fail "migrate-cancel --postcopy"
	wait "$pid" || rc=$?
	[ "$rc" = 1 ] || fail "migrate ended with $rc: $(cat "$T/err")"
	grep -q "broke in postcopy" "$T/err" || fail "said: $(cat "$T/err")"
	ip -n "$NETNS" link set "$VETH_A" up
	[ "$(status_of "$T/ctl.sock")" = postcopy-paused ] || fail "A: $(status_of "$T/ctl.sock")"
	# B keeps its half as it is, at once: its QEMU, whose main loop may
	# wait for a page the cut stream will not bring, is not asked (in
	# band) and not given up on; it may not have seen the cut yet
	for _ in $(seq 50); do
		grep -q "mv: incoming migration: .*this side stays as it is" "$T/qlaunchd.log" && break
		sleep 0.1
	done
	grep -q "mv: incoming migration: .*this side stays as it is" "$T/qlaunchd.log" ||
	    fail "B did not keep its half: $(grep 'mv:' "$T/qlaunchd.log" | tail -5)"
	st=$(qb dominfo mv --json | sed -n 's/.*"migration": *"\([a-z-]*\)".*/\1/p')
	case "$st" in
	postcopy-active|postcopy-paused) ;;
	*) fail "B's QEMU: $st" ;;
	esac
	# a wrong kind of request: refused, nothing changes
	usage_error "takes no other kind" q migrate mv "unix:$BSOCK" --postcopy-resume --offline
	q migrate mv "unix:$BSOCK" --listen-address "$ADDR_B" --postcopy-resume \
	    --json >"$T/out" 2>"$T/err" || fail "resume: $(cat "$T/err")"
	grep -q '"postcopy_resumed": *true' "$T/out" || fail "said: $(cat "$T/out")"
	grep -q "\"uri\": \"tcp:$ADDR_B:[0-9]*\"" "$T/out" || fail "not over TCP: $(cat "$T/out")"
	stress_off "$BSOCK"
	runs_at "$BSOCK" "$T/ctl.sock"
	one_line_error "has no paused postcopy migration" qb migrate mv "unix:$T/ctl.sock" --postcopy-resume
}

setup_net || exit 1
run_tests guest_up refusals multifd_xbzrle postcopy_after postcopy_by_hand \
    timeout_pause timeout_postcopy stall postcopy_resume
