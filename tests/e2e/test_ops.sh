#!/bin/bash
# Running the supervisor as an operator does (issue 12): qlaunchd.conf
# read with -c (a bad line refuses to start, naming file:line); a guest
# flooding its serial console leaves console.log under its cap beside
# its rotated files, and `console --log` still shows the latest output;
# on_stop=shutdown shuts the guests down when the supervisor stops;
# on_stop=suspend saves them and the next supervisor restores them,
# the guest's memory intact; vnc_listen gives displays their address.
. "$(dirname "$0")/lib.sh"

CONF=$T/qlaunchd.conf
REAL_QLAUNCHD=$QLAUNCHD
# start_daemon runs $QLAUNCHD: the same binary, with our file
QLAUNCHD=$T/qlaunchd-conf
printf '#!/bin/sh\nexec %s -c %s "$@"\n' "$REAL_QLAUNCHD" "$CONF" >"$QLAUNCHD"
chmod +x "$QLAUNCHD"
printf 'console_log_max = 16K\nlog_rotate = 2\n' >"$CONF"
LOG=$T/state/run/og/qemu/console.log

# stop the supervisor and wait for it (on_stop may take a while)
stop_wait() {
	local pid
	pid=$(cat "$T/daemon.pid")
	kill -TERM "$pid"
	for _ in $(seq 900); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "qlaunchd $pid did not stop"
}

qemu_gone() {
	local pid=$1
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "QEMU $pid still runs"
}

t_bad_config() {
	printf 'log_rotate = 2\n\non_stop = hibernate\n' >"$T/bad.conf"
	one_line_error "$T/bad.conf:3: on_stop: 'hibernate': expected shutdown, suspend or leave" \
	    "$REAL_QLAUNCHD" -f -c "$T/bad.conf" -s "$T/bad" -S "$T/bad.sock"
	[ -e "$T/bad.sock" ] && fail "it listened"
	one_line_error "$T/none.conf: No such file" \
	    "$REAL_QLAUNCHD" -f -c "$T/none.conf" -s "$T/bad" -S "$T/bad.sock"
}

t_console_rotation() {
	create_guest og --start
	wait_ready og
	# five bursts of ~18 KB, a second apart: the supervisor checks the
	# logs every second
	gx og 'i=0; while [ $i -lt 2500 ]; do echo "flood-line-$i-xxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); [ $((i % 500)) = 0 ] && sleep 1.2; done; echo flood-$((40+2))-end' >/dev/null
	for _ in $(seq 100); do
		q console og --log | grep -q '^flood-42-end' && break
		sleep 0.2
	done
	sleep 2.5	# a check of the supervisor's after the last line
	size=$(stat -c %s "$LOG")
	[ "$size" -le 16384 ] || fail "console.log is $size bytes"
	[ -s "$LOG.1" ] && [ -s "$LOG.2" ] || fail "no rotated files: $(ls -l "$(dirname "$LOG")")"
	[ -e "$LOG.3" ] && fail "more than log_rotate files kept"
	# the guest wrote ~120 KB: the rest is gone, as it should be
	total=$(cat "$LOG.2" "$LOG.1" "$LOG" | wc -c)
	[ "$total" -le $((3 * 16384 + 65536)) ] || fail "kept $total bytes"
	q console og --log | tail -3 | grep -q '^flood-42-end' ||
	    fail "console --log: $(q console og --log | tail -3)"
	# the lines kept are the latest, in order, none lost at the cuts (a
	# line QEMU's serial mangled, a doubled character now and then under
	# TCG, excuses one gap next to it)
	cat "$LOG.2" "$LOG.1" "$LOG" | tr -d '\r' >"$T/all"
	# the last lines are there (one may be mangled, see above)
	last=$(sed -n 's/^flood-line-\([0-9]*\)-x\{20\}$/\1/p' "$T/all" | tail -1)
	[ "${last:-0}" -ge 2495 ] || fail "the last line kept is $last"
	grep -q 'flood-42-end' "$T/all" || fail "the end is not kept"
	awk '/^flood-line-[0-9]+-x{20}$/ { split($0, f, "-"); n = f[3] + 0
		if (seen && n != prev + 1 && !mangled) { print prev, n; bad = 1 }
		prev = n; seen = 1; mangled = 0; next }
	    seen { mangled = 1 }
	    END { exit bad }' "$T/all" >"$T/gaps" ||
	    fail "lines missing between rotations: $(head -3 "$T/gaps")"
	# and the guest's console still works
	[ "$(gval og 'echo alive')" = alive ] || fail "console after rotation"
}

t_stop_shutdown() {
	q state og | grep -q running || fail "og: $(q state og)"
	pid=$(vm_pid og)
	# a guest with an agent is shut down through it
	create_guest ag --guest-agent on --start
	wait_ready ag
	apid=$(vm_pid ag)
	printf 'on_stop = shutdown\nstop_timeout = 60\n' >"$CONF"
	# the file is read at start: a supervisor that read it
	stop_daemon
	start_daemon
	[ "$(vm_pid og)" = "$pid" ] || fail "not re-adopted"
	stop_wait
	qemu_gone "$pid"
	qemu_gone "$apid"
	grep -q 'og: shutdown done' "$T/qlaunchd.log" || fail "log: $(tail -5 "$T/qlaunchd.log")"
	grep -q 'og: shutdown (ACPI)' "$T/qlaunchd.log" || fail "og not by ACPI"
	grep -q 'ag: shutdown (the guest agent)' "$T/qlaunchd.log" || fail "ag not by its agent"
	grep -q 'ag: shutdown done' "$T/qlaunchd.log" || fail "ag: $(grep ag: "$T/qlaunchd.log")"
	grep -q 'ag: shutdown through the agent at stop' "$T/qlaunchd.log" &&
	    fail "the agent failed: $(grep ag: "$T/qlaunchd.log")"
	grep -q 'ag: shutdown (ACPI)' "$T/qlaunchd.log" && fail "ag fell back to ACPI"
	# back to the default for what follows
	printf '\n' >"$CONF"
	start_daemon
	[ "$(q state og)" = "shut off" ] || fail "og is $(q state og)"
	[ "$(q state ag)" = "shut off" ] || fail "ag is $(q state ag)"
	q undefine ag >/dev/null
}

t_stop_suspend() {
	if [ "$(q state og)" != running ]; then
		q start og >/dev/null
		wait_ready og
	fi
	gx og 'echo mark-$((6*7)) >/tmp/mark; echo ok' | grep -q ok || fail "no mark"
	pid=$(vm_pid og)
	printf 'on_stop = suspend\n' >"$CONF"
	stop_daemon
	start_daemon
	stop_wait
	qemu_gone "$pid"
	[ -s "$T/state/managedsave/og.qlsave" ] || fail "no saved state: $(ls -l "$T/state/managedsave")"
	# restored whatever the next supervisor's on_stop (here the default)
	printf '\n' >"$CONF"
	start_daemon
	wait_state og running 60
	[ "$(gval og 'cat /tmp/mark')" = mark-42 ] || fail "memory lost: $(gval og 'cat /tmp/mark')"
	[ -e "$T/state/managedsave/og.qlsave" ] && fail "saved state kept after restore"
	grep -q 'og: restore done' "$T/qlaunchd.log" || fail "log"
	# leave (the default): a stop leaves it running
	pid=$(vm_pid og)
	stop_wait
	kill -0 "$pid" || fail "on_stop=leave stopped the guest"
	start_daemon
	[ "$(q state og)" = running ] || fail "not re-adopted: $(q state og)"
}

# systemd's socket activation, as systemd-socket-activate does it
t_socket_activation() {
	act=$(command -v systemd-socket-activate || echo /lib/systemd/systemd-socket-activate)
	[ -x "$act" ] || { echo "no systemd-socket-activate: skipped"; return 0; }
	"$act" -l "$T/act.sock" "$REAL_QLAUNCHD" -f -c /dev/null -s "$T/act" \
	    -S "$T/act.sock" >"$T/act.log" 2>&1 &
	apid=$!
	for _ in $(seq 50); do [ -S "$T/act.sock" ] && break; sleep 0.1; done
	# the first connection starts it; it serves on the socket it was given
	QLAUNCH_SOCKET=$T/act.sock q version --json | grep -q '"statedir"' ||
	    fail "no answer: $(cat "$T/act.log")"
	dpid=$(QLAUNCH_SOCKET=$T/act.sock q version --json | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
	[ "$dpid" = "$apid" ] || fail "pid $dpid, not $apid (exec'd in place)"
	kill "$apid"
	for _ in $(seq 50); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
	# systemd's socket is left where it is
	[ -S "$T/act.sock" ] || fail "the activated socket was removed"
	rm -f "$T/act.sock"
	# a socket at another path is refused, in one line
	"$act" -l "$T/other.sock" "$REAL_QLAUNCHD" -f -c /dev/null -s "$T/act" \
	    -S "$T/act2.sock" >"$T/act2.log" 2>&1 &
	apid=$!
	for _ in $(seq 50); do [ -S "$T/other.sock" ] && break; sleep 0.1; done
	QLAUNCH_SOCKET=$T/other.sock q version >/dev/null 2>&1 && fail "it served"
	for _ in $(seq 50); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$apid" 2>/dev/null && { kill "$apid"; fail "still running"; }
	grep -q "is bound to '$T/other.sock', not $T/act2.sock" "$T/act2.log" ||
	    fail "$(cat "$T/act2.log")"
}

# vnc_listen: the address a display without listen= gets when QEMU
# starts (QEMU's own word through vncdisplay); listen= wins; nothing of
# it goes into the definition
t_vnc_listen() {
	printf 'vnc_listen = 127.0.0.2\n' >"$CONF"
	stop_daemon
	start_daemon
	q create vl --accel tcg --graphics vnc --start --paused >/dev/null
	q create vl1 --accel tcg --graphics vnc,listen=127.0.0.1 --start --paused >/dev/null
	port=$(q vncdisplay vl --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p')
	q vncdisplay vl | grep -qx "127.0.0.2:$((port - 5900))" || fail "vl: $(q vncdisplay vl)"
	ss -ltn | grep -q "127.0.0.2:$port " || fail "nothing listens on 127.0.0.2:$port"
	q dominfo vl | grep -qx "VNC: *127.0.0.2:$port" || fail "dominfo: $(q dominfo vl)"
	q dumpconfig vl | grep -qx 'graphics: vnc,port=auto' || fail "stored: $(q dumpconfig vl | grep graphics)"
	p1=$(q vncdisplay vl1 --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p')
	q vncdisplay vl1 | grep -qx "127.0.0.1:$((p1 - 5900))" || fail "vl1: $(q vncdisplay vl1)"
	ss -ltn | grep -q "127.0.0.1:$p1 " || fail "nothing listens on 127.0.0.1:$p1"
	q destroy vl >/dev/null
	q destroy vl1 >/dev/null
	q undefine vl >/dev/null
	q undefine vl1 >/dev/null
	printf 'vnc_listen = localhost\n' >"$T/bad.conf"
	one_line_error "$T/bad.conf:1: vnc_listen: 'localhost' is not an IP address" \
	    "$REAL_QLAUNCHD" -f -c "$T/bad.conf" -s "$T/bad" -S "$T/bad.sock"
	printf '\n' >"$CONF"
	stop_daemon
	start_daemon
}

start_daemon || exit 1
run_tests bad_config socket_activation console_rotation vnc_listen \
    stop_shutdown stop_suspend
