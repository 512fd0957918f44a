#!/bin/bash
# End to end: the test guest under real QEMU (TCG), driven through
# qlaunch, checked from inside the guest through its serial console.
. "$(dirname "$0")/lib.sh"

t_create_start() {
	create_guest g1 --start
	[ "$(q state g1)" = running ] || fail "state $(q state g1)"
	wait_ready g1
	q list | grep -q '^ [-0-9]*  *g1  *running' || fail "list: $(q list)"
}

t_console_command() {
	out=$(gx g1 'echo qlt-$((6*7))')
	echo "$out" | grep -q 'qlt-42' || fail "console said: $out"
}

# On a terminal: raw mode, a banner, Ctrl-] leaves (script(1) gives a pty).
t_console_interactive() {
	command -v script >/dev/null || { echo "SKIP: no script(1)"; return 0; }
	( sleep 1; printf 'echo tty-$((4*4))\r'; sleep 1.5; printf '\035' ) |
	    timeout 20 script -qec "$QLAUNCH console g1" /dev/null >"$T/tty" 2>&1
	grep -q "Connected to g1 (escape character is ^])" "$T/tty" || fail "$(cat "$T/tty")"
	grep -q "tty-16" "$T/tty" || fail "no output: $(cat "$T/tty")"
	# and the console is free again
	gx g1 'echo again-$((1+2))' | grep -q again-3
}

t_guest_sees_balloon() {
	out=$(gx g1 'cat /sys/bus/virtio/devices/*/device')
	echo "$out" | grep -q 0x0005 || fail "no virtio balloon in guest: $out"
}

meminfo_total() {
	gx "$1" 'grep MemTotal /proc/meminfo' | sed -n 's/.*MemTotal: *\([0-9]*\) kB.*/\1/p' | tail -1 || true
}

t_setmem() {
	before=$(meminfo_total g1)
	[ -n "$before" ] || fail "no MemTotal from the guest"
	q setmem g1 128M
	for _ in $(seq 50); do
		now=$(meminfo_total g1)
		# the guest lost about 128 MiB = 131072 kB
		if [ -n "$now" ] && [ $((before - now)) -gt 100000 ]; then
			break
		fi
		sleep 0.2
	done
	[ $((before - now)) -gt 100000 ] || fail "MemTotal $before -> $now"
	q memstat g1 | grep -q '^actual  *131072$' || fail "memstat: $(q memstat g1)"
	q setmem g1 256M
	q info g1 | grep -q 'Balloon: *256 MiB' || sleep 1
	q setmem g1 4G 2>"$T/err" && fail "setmem above memory worked"
	grep -q 'more than the VM' "$T/err" || fail "$(cat "$T/err")"
}

t_suspend_resume() {
	q suspend g1
	[ "$(q state g1)" = paused ] || fail "state $(q state g1)"
	[ "$(q qmp g1 '{"execute":"query-status"}' | sed -n 's/.*"status": "\(.*\)".*/\1/p')" = paused ]
	q resume g1
	[ "$(q state g1)" = running ] || fail "state $(q state g1)"
	gx g1 'echo alive-$((1+1))' | grep -q alive-2
}

t_shutdown_acpi() {
	pid=$(vm_pid g1)
	q shutdown g1 --wait=60
	[ "$(q state --reason g1)" = "shut off (shutdown)" ] || fail "$(q state --reason g1)"
	gone "$pid" || fail "QEMU $pid still runs"
}

t_destroy() {
	up g1
	pid=$(vm_pid g1)
	q destroy g1 >/dev/null
	[ "$(q state --reason g1)" = "shut off (destroyed)" ] || fail "$(q state --reason g1)"
	gone "$pid" || fail "QEMU $pid still runs"
}

# A guest that ignores the power button: shutdown --wait gives up, the
# VM runs on and says why; destroy then says destroyed.
t_shutdown_ignored() {
	up g1
	gx g1 'killall acpid; echo acpid-gone' | grep -q acpid-gone
	q shutdown g1 --wait=3 2>"$T/err" && fail "shutdown --wait worked"
	grep -q "the guest ignored the shutdown request for 3 s and is still running" "$T/err" ||
	    fail "$(cat "$T/err")"
	[ "$(q state --reason g1)" = "running (the guest ignored a shutdown request for 3 s)" ] ||
	    fail "$(q state --reason g1)"
	gx g1 'echo still-$((5+5))' | grep -q still-10
	q destroy g1 >/dev/null
	[ "$(q state --reason g1)" = "shut off (destroyed)" ] || fail "$(q state --reason g1)"
}

# QEMU's reasons for refusing to start run long; they reach the user whole.
t_long_start_error() {
	long=a-device-model-whose-name-goes-on-and-on-well-past-ninety-six-characters-to-the-end
	create_guest g7 --qemu-arg=-device --qemu-arg="$long"
	q start g7 2>"$T/err" && fail "start worked"
	grep -q -- "'$long' is not a valid device model name" "$T/err" || fail "$(cat "$T/err")"
	q state --reason g7 | grep -q -- "$long' is not a valid device model name)$" ||
	    fail "$(q state --reason g7)"
	q undefine g7 >/dev/null
}

t_crash_restart() {
	create_guest g2 --on-crash restart --start
	wait_ready g2
	pid=$(vm_pid g2)
	kill -9 "$pid"
	for _ in $(seq 100); do
		new=$(vm_pid g2)
		[ -n "$new" ] && [ "$new" != "$pid" ] && break
		sleep 0.1
	done
	[ -n "$new" ] && [ "$new" != "$pid" ] || fail "not restarted"
	wait_state g2 running
	wait_ready g2
	gx g2 'echo back-$((2*2))' | grep -q back-4
}

t_crash_default_destroy() {
	create_guest g3 --start
	pid=$(vm_pid g3)
	kill -9 "$pid"
	wait_state g3 crashed
	q info g3 | grep -q 'State: *crashed (QEMU killed by signal 9' || fail "$(q info g3)"
}

t_readopt_after_kill9() {
	up g1
	up g2
	p1=$(vm_pid g1); p2=$(vm_pid g2)
	up1=$(gx g1 'cat /proc/uptime' | grep -o '^[0-9.]*' | tail -1 | cut -d. -f1 || true)
	stop_daemon KILL
	sleep 1
	kill -0 "$p1" && kill -0 "$p2" || fail "a guest died with the supervisor"
	start_daemon
	wait_state g1 running 10
	wait_state g2 running 10
	[ "$(vm_pid g1)" = "$p1" ] && [ "$(vm_pid g2)" = "$p2" ] || fail "pids changed"
	up2=$(gx g1 'cat /proc/uptime' | grep -o '^[0-9.]*' | tail -1 | cut -d. -f1 || true)
	[ "$up2" -gt "$up1" ] || fail "guest uptime $up1 -> $up2"
	# and it is controllable as before
	q shutdown g1 --wait=60 >/dev/null
	q shutdown g2 --wait=60 >/dev/null
	[ "$(q state g1)" = "shut off" ] && [ "$(q state g2)" = "shut off" ]
	gone "$p1" && gone "$p2" || fail "QEMU still runs"
}

t_sigterm_leaves_guests() {
	up g1
	pid=$(vm_pid g1)
	stop_daemon
	kill -0 "$pid" || fail "the guest stopped with the supervisor"
	start_daemon
	wait_state g1 running 10
	q destroy g1 >/dev/null
}

t_reboot() {
	up g1
	q reboot g1 >/dev/null
	wait_ready g1 2
	[ "$(q state g1)" = running ] || fail "state $(q state g1)"
	q destroy g1 >/dev/null
}

t_on_poweroff_preserve() {
	create_guest g4 --on-poweroff preserve --start
	wait_ready g4
	gx g4 'poweroff -f' >/dev/null || true
	wait_state g4 paused
	q state --reason g4 | grep -q preserved
	q destroy g4 >/dev/null
}

t_on_poweroff_restart() {
	create_guest g5 --on-poweroff restart --start
	wait_ready g5
	pid=$(vm_pid g5)
	gx g5 'poweroff -f' >/dev/null || true
	# the same QEMU resets the machine and the guest boots again
	wait_ready g5 2
	[ "$(vm_pid g5)" = "$pid" ] || fail "a new QEMU"
	[ "$(q state g5)" = running ] || fail "state $(q state --reason g5)"
	q destroy g5 >/dev/null
}

t_on_reboot_destroy() {
	create_guest g6 --on-reboot destroy --start
	wait_ready g6
	gx g6 'reboot -f' >/dev/null || true
	wait_state g6 "shut off"
	[ "$(q state --reason g6)" = "shut off (guest rebooted)" ] || fail "$(q state --reason g6)"
}

t_autostart() {
	[ "$(q state g1)" = "shut off" ] || q destroy g1 >/dev/null
	q autostart g1 >/dev/null
	q dumpconfig g1 | grep -q '^autostart: yes$'
	stop_daemon
	# a boot: the supervisor's record of its last one gone
	rm -f "$T/state/autostarted"
	start_daemon
	wait_state g1 running 20
	# once a boot: a restart does not start it again
	q destroy g1 >/dev/null
	stop_daemon
	start_daemon
	sleep 1
	[ "$(q state g1)" = "shut off" ] || fail "autostarted again: $(q state g1)"
	grep -q 'autostart: done already since this boot' "$T/qlaunchd.log" ||
	    fail "no log line"
	q autostart g1 --disable >/dev/null
}

t_two_supervisors() {
	start2() {
		"$QLAUNCHD" -f -s "$T/state2" -S "$T/ctl2.sock" >>"$T/qlaunchd2.log" 2>&1 &
		echo $! >"$T/d2.pid"
		for _ in $(seq 100); do
			[ -S "$T/ctl2.sock" ] && return 0; sleep 0.05
		done
		return 1
	}
	start2
	create_guest twin --start
	QLAUNCH_SOCKET=$T/ctl2.sock create_guest twin --start
	a=$(vm_pid twin); b=$(QLAUNCH_SOCKET=$T/ctl2.sock vm_pid twin)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || fail "pids $a $b"
	wait_ready twin
	QLAUNCH_SOCKET=$T/ctl2.sock wait_ready twin
	QLAUNCH_SOCKET=$T/ctl2.sock q destroy twin >/dev/null
	[ "$(q state twin)" = running ] || fail "the other supervisor's twin stopped"
	q destroy twin >/dev/null
	kill "$(cat "$T/d2.pid")"
}

# virt-install's --import starts the VM it defines; --wait waits until it
# is shut off (here: the guest powers itself off)
t_virt_install_import_wait() {
	q virt-install --name vw --memory 256 --accel tcg,tb-size=32 \
	    --boot kernel="$GUEST/bzImage",initrd="$GUEST/initrd.img",kernel_args="$APPEND" \
	    --import --noautoconsole --wait 5 >"$T/vw.out" 2>"$T/vw.err" &
	pid=$!
	wait_ready vw
	kill -0 "$pid" 2>/dev/null || fail "did not wait: $(cat "$T/vw.out" "$T/vw.err")"
	gx vw 'poweroff -f' >/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] || fail "exit $rc: $(cat "$T/vw.err")"
	[ "$(cat "$T/vw.out")" = "VM vw created and started
VM vw is shut off" ] || fail "said: $(cat "$T/vw.out")"
	[ "$(q state vw)" = "shut off" ] || fail "state $(q state vw)"
	q dumpconfig vw | grep -qx "kernel: $GUEST/bzImage" || fail "$(q dumpconfig vw)"
	q undefine vw >/dev/null
}

start_daemon || exit 1
run_tests create_start console_command console_interactive \
    guest_sees_balloon setmem \
    suspend_resume shutdown_acpi destroy shutdown_ignored long_start_error \
    crash_restart \
    crash_default_destroy readopt_after_kill9 sigterm_leaves_guests reboot \
    on_poweroff_preserve on_poweroff_restart on_reboot_destroy autostart \
    two_supervisors virt_install_import_wait
