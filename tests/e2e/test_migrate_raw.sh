#!/bin/bash
# The tutorials' raw way: `qlaunch cmdline NAME --incoming tcp:0:7777`
# prints the incoming side's argv (the destination supervisor's, the
# machine type pinned to the one the source runs, -incoming, no -S); the
# test runs it by hand, then `qlaunch qemu-monitor-command NAME --hmp
# 'migrate -d tcp:127.0.0.1:7777'` on the source.  The guest (a counter in
# /run, a mark on its disk) goes on in the hand-started QEMU: its QMP
# says running, and its serial console answers with the counter grown
# and the mark, and its NIC is a tap the hand-started QEMU made by name,
# up and on the bridge through our qemu-ifup.  Everything runs in a network namespace of its own (the
# fixed port 7777 clashes with nothing), and the hand-started QEMU in a
# mount namespace where the VM's runtime directory is a directory of the
# test's: on one host the argv's paths (QMP socket, console, pidfile) are
# the running source's.
. "$(dirname "$0")/lib.sh"

need_root "the raw migration (namespaces)"

MARK=QLAUNCH-MIGRATE-RAW-$$
HAND=$T/hand
RUN=$T/state/run/mv
BR=qlbrraw
BRADDR=192.168.239.1
GADDR=192.168.239.10

# hand_qmp COMMAND: one QMP command to the hand-started QEMU, its return
hand_qmp() {
	python3 - "$HAND/qemu/qmp.sock" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            break
print(json.dumps(m.get("return", m)))
EOF
}

# hand_gval 'COMMAND': the guest's answer on the hand-started QEMU's
# serial console (its console socket), as gval gives it
hand_gval() {
	python3 - "$HAND/qemu/console.sock" "$1" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(0.5)
buf = b""
for attempt in range(10):
    s.sendall(("echo VAL=$(%s)\n" % sys.argv[2]).encode())
    end = time.time() + 3
    while time.time() < end:
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        if not d:
            break
        buf += d
        # whole lines only: the answer comes a few bytes at a time
        for line in buf.decode(errors="replace").split("\n")[:-1]:
            line = line.rstrip("\r")
            if line.startswith("VAL=") and line != "VAL=$(%s)" % sys.argv[2]:
                print(line[4:].strip())
                sys.exit(0)
sys.exit(1)
EOF
}

# the guest's NIC on a bridge of the test's namespace, its address set
t_guest_up() {
	ip -n "$NETNS" link add "$BR" type bridge || fail "bridge"
	ip -n "$NETNS" addr add "$BRADDR/24" dev "$BR"
	ip -n "$NETNS" link set "$BR" up
	mig_guest_up --network bridge="$BR",model=virtio
	[ "$(gval mv "ip link set eth0 up; ip addr add $GADDR/24 dev eth0; ping -c 1 -W 3 $BRADDR >/dev/null && echo pong")" = pong ] ||
	    fail "the guest does not reach the bridge"
}

t_cmdline() {
	local machine
	q cmdline mv --incoming tcp:0:7777 >"$T/argv" 2>"$T/err" || fail "cmdline: $(cat "$T/err")"
	q cmdline mv >"$T/argv.start" || fail "cmdline"
	# the start's argv, -S out, the machine pinned, -incoming at the end,
	# the tap by name with our scripts on the NIC's bridge (env first)
	machine=$(tr '\0' '\n' <"/proc/$(vm_pid mv)/cmdline" | sed -n '/^-machine$/{n;p}')
	[ "$machine" = pc ] || fail "the running QEMU's -machine is $machine"
	[ "$(sed -n '/^-machine$/{n;p}' "$T/argv")" = pc-i440fx-7.2 ] ||
	    fail "machine not pinned: $(sed -n '/^-machine$/{n;p}' "$T/argv")"
	! grep -qx -- -S "$T/argv" || fail "-S in the incoming argv"
	[ "$(tail -2 "$T/argv" | tr '\n' ' ')" = "-incoming tcp:0:7777 " ] ||
	    fail "ends with $(tail -2 "$T/argv" | tr '\n' ' ')"
	[ "$(head -2 "$T/argv" | tr '\n' ' ')" = "env QLAUNCH_BRIDGE=$BR " ] ||
	    fail "begins with $(head -2 "$T/argv" | tr '\n' ' ')"
	local nd
	nd=$(sed -n '/^-netdev$/{n;p}' "$T/argv")
	case $nd in
	*'"fd"'*) fail "a descriptor in the hand-started netdev: $nd" ;;
	*'"ifname":"qlh'*'"script":"'*/qemu-ifup'","downscript":"'*/qemu-ifdown'"'*) ;;
	*) fail "the netdev: $nd" ;;
	esac
	sed -n '/^-netdev$/{n;p}' "$T/argv.start" | grep -q '"fd":"3"' ||
	    fail "the start's netdev: $(sed -n '/^-netdev$/{n;p}' "$T/argv.start")"
	diff <(grep -vx -- -S "$T/argv.start" | sed 's/^pc$/pc-i440fx-7.2/; /"type":"tap"/d') \
	    <(head -n -2 "$T/argv" | tail -n +3 | sed '/"type":"tap"/d') >"$T/diff" ||
	    fail "not start's argv: $(cat "$T/diff")"
	one_line_error "--incoming needs a URI" q cmdline mv --incoming ''
}

t_raw_migrate() {
	local c1 c2 c3 st
	c1=$(counter "$T/ctl.sock")
	[ "$c1" -gt 0 ] || fail "counter '$c1'"
	mkdir -p "$HAND/qemu"
	mapfile -t argv <"$T/argv"
	# by hand: the printed argv as it is, in its own mount namespace
	nsx unshare -m bash -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
	    _ "$HAND" "$RUN" "${argv[@]}" >"$T/hand.log" 2>&1 &
	echo $! >"$T/hand.pid"
	for _ in $(seq 100); do
		[ -S "$HAND/qemu/qmp.sock" ] && break
		sleep 0.1
	done
	[ -S "$HAND/qemu/qmp.sock" ] || fail "the hand-started QEMU: $(cat "$T/hand.log")"
	[ "$(hand_qmp query-status)" != "" ] || fail "no QMP"
	hand_qmp query-status | grep -q '"status": "inmigrate"' ||
	    fail "hand QEMU: $(hand_qmp query-status)"
	q qemu-monitor-command mv --hmp 'migrate -d tcp:127.0.0.1:7777' >"$T/out" 2>"$T/err" ||
	    fail "hmp migrate: $(cat "$T/err")"
	for _ in $(seq 600); do
		st=$(q qemu-monitor-command mv --hmp 'info migrate' | tr -d '\r' | sed -n 's/^Migration status: //p')
		case $st in completed|failed|cancelled) break ;; esac
		sleep 0.1
	done
	[ "$st" = completed ] || fail "source's migration: $st"
	for _ in $(seq 50); do
		hand_qmp query-status | grep -q '"status": "running"' && break
		sleep 0.1
	done
	hand_qmp query-status | grep -q '"status": "running"' ||
	    fail "hand QEMU: $(hand_qmp query-status)"
	c2=$(hand_gval 'cat /run/c')
	[ -n "$c2" ] && [ "$c2" -ge "$c1" ] || fail "counter went from $c1 to '$c2'"
	sleep 1
	c3=$(hand_gval 'cat /run/c')
	[ "$c3" -gt "$c2" ] || fail "the counter stopped at $c2 ($c3)"
	[ "$(hand_gval "echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=1M skip=1 count=1 2>/dev/null | grep -ac $MARK")" = 1 ] ||
	    fail "the mark is not on the disk"
	grep -q "VAL=$c3" "$HAND/qemu/console.log" ||
	    fail "the hand QEMU's console log lacks VAL=$c3"
	# its NIC: a tap QEMU made, put on the bridge by qemu-ifup
	local tap
	tap=$(sed -n '/^-netdev$/{n;p}' "$T/argv" | sed -n 's/.*"ifname":"\([^"]*\)".*/\1/p')
	ip -n "$NETNS" -o link show master "$BR" | grep -q " $tap[:@]" ||
	    fail "tap $tap is not on $BR: $(ip -n "$NETNS" -o link show master "$BR")"
	# (the guest's own ping over it is left out: with the paused source's
	# tap, same MAC, on the same bridge it failed once in a full run)
	[ "$(ip -n "$NETNS" -o link show "$tap" | grep -c 'state UP\|LOWER_UP')" = 1 ] ||
	    fail "tap $tap is not up: $(ip -n "$NETNS" -o link show "$tap")"
	# QEMU itself (its -pidfile, bind-mounted here), not the subshell
	# that started it
	kill "$(cat "$HAND/qemu/qemu.pid")" || fail "no hand QEMU to stop"
	for _ in $(seq 50); do
		ip -n "$NETNS" link show "$tap" >/dev/null 2>&1 || break
		sleep 0.1
	done
	! ip -n "$NETNS" link show "$tap" >/dev/null 2>&1 || fail "qemu-ifdown left $tap: $(cat "$T/hand.log")"
}

make_netns || exit 1
start_daemon || exit 1
run_tests guest_up cmdline raw_migrate
