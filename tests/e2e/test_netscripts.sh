#!/bin/bash
# End to end: the shipped netscripts/qemu-ifup and qemu-ifdown from a
# hand-written QEMU command line, as in the tutorials, inside a network
# namespace this test creates (and removes) with a bridge in it.  The test
# guest gets a static address through its serial console (a pair of
# FIFOs, -chardev pipe) and pings the bridge's address, and the
# namespace pings the guest.  Addresses exist only inside the namespace.
# Needs root; skipped otherwise.
. "$(dirname "$0")/lib.sh"

S=$(cd "$(dirname "$0")/../../netscripts" && pwd)
QEMU=${QEMU:-qemu-system-x86_64}
NS=qlt-ifup-$$
BRADDR=192.168.77.1
GADDR=192.168.77.2

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test_netscripts.sh needs root (network namespaces)"
	echo "[  SKIPPED ] 7 test(s)."
	exit 0
fi

: >"$T/qlaunchd.log"	# run_tests shows it on failure; no qlaunchd here
ns() { ip netns exec "$NS" "$@"; }
# iputils' ping, else busybox's
if command -v ping >/dev/null; then PING=ping; else PING="busybox ping"; fi

netns_cleanup() {
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	cleanup
}
trap netns_cleanup EXIT

# A fresh namespace: lo up, bridge br0 (MTU 1400, so the tap's MTU shows
# it took the bridge's) with BRADDR.
setup_ns() {
	ip netns del "$NS" 2>/dev/null || true
	ip netns add "$NS"
	ns ip link set lo up
	ns ip link add br0 type bridge
	ns ip link set br0 mtu 1400
	ns ip addr add "$BRADDR/24" dev br0
	ns ip link set br0 up
}

# link_field IFACE FIELD: /sys/class/net/IFACE/FIELD seen in the namespace
link_field() { ns cat "/sys/class/net/$1/$2"; }
master_of() { ns sh -c "readlink /sys/class/net/$1/master" | sed 's,.*/,,'; }
ports_of() { ns ls "/sys/class/net/$1/brif"; }

# gsay 'COMMAND' WANT: type COMMAND on the guest's console; wait until WANT
# is in its output (45 s).  The console does not echo input, so WANT is
# written so that only the command's output holds it (echo X-$((1+1))).
gsay() {
	printf '%s\n' "$1" >&3
	for _ in $(seq 450); do
		grep -q -- "$2" "$T/con.log" && return 0
		sleep 0.1
	done
	fail "no '$2' from the guest after '$1'; console: $(tail -5 "$T/con.log")"
}

# boot_guest TAP MODEL [QEMU ARGS...]: QEMU in the namespace with a NIC
# of MODEL on the tap, put on br0 by the scripts; its console in
# $T/con.log, input on fd 3.
boot_guest() {
	local tap=$1 model=$2; shift 2
	rm -f "$T/con.in" "$T/con.out" "$T/con.log"
	mkfifo "$T/con.in" "$T/con.out"
	ns env QLAUNCH_BRIDGE=br0 "$QEMU" -accel tcg,tb-size=32 -m 256 \
	    -nodefaults -no-user-config -display none \
	    -kernel "$GUEST/bzImage" -initrd "$GUEST/initrd.img" \
	    -append "$APPEND" -chardev pipe,id=con,path="$T/con" \
	    -serial chardev:con \
	    -netdev "tap,id=n0,ifname=$tap,script=$S/qemu-ifup,downscript=$S/qemu-ifdown" \
	    -device "$model,netdev=n0,mac=52:54:00:77:00:02" "$@" \
	    >"$T/qemu.out" 2>&1 &
	echo $! >"$T/qemu.pid"
	cat "$T/con.out" >"$T/con.log" &
	exec 3>"$T/con.in"
	for _ in $(seq 600); do
		grep -q QLAUNCH-GUEST-READY "$T/con.log" && return 0
		kill -0 "$(cat "$T/qemu.pid")" 2>/dev/null ||
			fail "QEMU exited: $(cat "$T/qemu.out")" || return 1
		sleep 0.1
	done
	fail "the guest did not come up: $(tail -5 "$T/con.log")"
}

# wait_qemu_exit SECONDS
wait_qemu_exit() {
	local pid
	pid=$(cat "$T/qemu.pid")
	for _ in $(seq $(($1 * 10))); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	fail "QEMU $pid still runs"
}

# ping_through MODEL DRIVER: a guest with a NIC of MODEL, which its
# DRIVER drives, on a persistent tap made beforehand (the tutorials' way);
# QEMU runs the scripts on it.  The tap outlives QEMU, so qemu-ifdown's
# work shows.
ping_through() {
	local model=$1 driver=$2
	setup_ns
	ns ip tuntap add dev qt0 mode tap
	[ "$(link_field qt0 mtu)" = 1500 ] || fail "new tap MTU $(link_field qt0 mtu)"
	boot_guest qt0 "$model"
	# qemu-ifup: on br0, up, the bridge's MTU
	[ "$(master_of qt0)" = br0 ] || fail "qt0 is on '$(master_of qt0)'"
	[ "$(link_field qt0 mtu)" = 1400 ] || fail "qt0 MTU $(link_field qt0 mtu)"
	[ $(($(link_field qt0 flags) & 1)) -eq 1 ] || fail "qt0 is down"
	gsay "echo DRV-\$(basename \$(readlink /sys/class/net/eth0/device/driver))-\$((1+1))" "DRV-.*-2"
	grep -q "DRV-$driver-2" "$T/con.log" || fail "eth0's driver: $(grep DRV- "$T/con.log")"
	gsay "ip addr add $GADDR/24 dev eth0 && ip link set eth0 up && echo ADDR-\$((20+1))" ADDR-21
	# a NIC's link may come up a while after "ip link set up" (e1000e
	# negotiates): one ping a second, 30 at most
	gsay "i=0; until ping -c 1 -W 1 $BRADDR >/dev/null; do i=\$((i+1)); [ \$i -lt 30 ] || break; done; [ \$i -lt 30 ] && echo PING-\$((30+3)) || echo PING-FAILED" 'PING-\(33\|FAILED\)'
	grep -q PING-33 "$T/con.log" || fail "the guest cannot ping $BRADDR"
	ns $PING -c 1 -w 10 "$GADDR" >/dev/null || fail "the namespace cannot ping the guest"
	# the guest powers off: QEMU exits and runs qemu-ifdown first
	printf 'poweroff -f\n' >&3
	wait_qemu_exit 30
	exec 3>&-
	ns test -e /sys/class/net/qt0 || fail "the persistent tap went away"
	[ -z "$(master_of qt0)" ] || fail "qt0 is still on $(master_of qt0)"
	[ -z "$(ports_of br0)" ] || fail "br0 still has ports: $(ports_of br0)"
	[ $(($(link_field qt0 flags) & 1)) -eq 0 ] || fail "qt0 is still up"
	ns ip link del qt0
}

t_bridge_ping() { ping_through virtio-net-pci virtio_net; }
# the other models the guest has drivers for
t_e1000() { ping_through e1000 e1000; }
t_e1000e() { ping_through e1000e e1000e; }
t_rtl8139() { ping_through rtl8139 8139cp; }

# Without a persistent tap QEMU makes it; a missing bridge stops QEMU
# with qemu-ifup's line, and no tap is left.
t_qemu_missing_bridge() {
	setup_ns
	rc=0
	ns env QLAUNCH_BRIDGE=br9 "$QEMU" -accel tcg -m 64 -nodefaults \
	    -no-user-config -display none -S \
	    -netdev "tap,id=n0,ifname=qt1,script=$S/qemu-ifup,downscript=$S/qemu-ifdown" \
	    >"$T/out" 2>&1 || rc=$?
	[ $rc -ne 0 ] || fail "QEMU started without the bridge"
	grep -q 'qemu-ifup: bridge br9 does not exist' "$T/out" ||
		fail "QEMU said: $(cat "$T/out")"
	! ns test -e /sys/class/net/qt1 || fail "tap qt1 left behind"
	[ -z "$(ports_of br0)" ] || fail "br0 has ports: $(ports_of br0)"
}

# The scripts by hand: bad names, a missing bridge, a non-bridge, a
# missing interface: one line, status 1, the tap unchanged.
t_errors() {
	setup_ns
	ns ip tuntap add dev qt2 mode tap
	ns ip link add ve0 type veth peer name ve1
	before=$(ns ip -o link show qt2)
	for s in qemu-ifup qemu-ifdown; do
		one_line_error "'tap/0' is not a valid interface name" ns "$S/$s" tap/0
		one_line_error "'-x' is not a valid interface name" ns "$S/$s" -x
		one_line_error "'waytoolongname16' is not a valid" ns "$S/$s" waytoolongname16
		one_line_error "usage: $s IFACE" ns "$S/$s"
		one_line_error "nosuch0 does not exist" ns "$S/$s" nosuch0
	done
	one_line_error "bridge br9 does not exist" ns env QLAUNCH_BRIDGE=br9 "$S/qemu-ifup" qt2
	one_line_error "bridge br9 does not exist" ns env BRIDGE=br9 "$S/qemu-ifup" qt2
	one_line_error "ve0 is not a bridge" ns env QLAUNCH_BRIDGE=ve0 "$S/qemu-ifup" qt2
	one_line_error "bridge 'b r' is not a valid" ns env QLAUNCH_BRIDGE='b r' "$S/qemu-ifup" qt2
	[ "$(ns ip -o link show qt2)" = "$before" ] || fail "qt2 changed: $(ns ip -o link show qt2)"
	[ -z "$(ports_of br0)" ] || fail "br0 has ports: $(ports_of br0)"
	# $BRIDGE, the hand-written scripts' name, works too
	ns env BRIDGE=br0 "$S/qemu-ifup" qt2
	[ "$(master_of qt2)" = br0 ] || fail "BRIDGE=br0: qt2 on '$(master_of qt2)'"
	ns "$S/qemu-ifdown" qt2
	[ -z "$(master_of qt2)" ] || fail "qt2 still on $(master_of qt2)"
}

# Without ip: brctl and /sys do the same work.
t_brctl_fallback() {
	command -v brctl >/dev/null || { echo "SKIP: no brctl (bridge-utils)"; return 0; }
	setup_ns
	ns ip tuntap add dev qt3 mode tap
	ipbin=$(readlink -f "$(command -v ip)")
	# a mount namespace where ip is not executable
	ns unshare -m sh -c 'mount --bind /dev/null "$1" && ! command -v ip &&
	    "$2/qemu-ifup" qt3' - "$ipbin" "$S" >"$T/out" 2>&1 ||
		fail "qemu-ifup without ip: $(cat "$T/out")"
	[ "$(master_of qt3)" = br0 ] || fail "qt3 is on '$(master_of qt3)'"
	[ "$(link_field qt3 mtu)" = 1400 ] || fail "qt3 MTU $(link_field qt3 mtu)"
	[ $(($(link_field qt3 flags) & 1)) -eq 1 ] || fail "qt3 is down"
	ns unshare -m sh -c 'mount --bind /dev/null "$1" && "$2/qemu-ifdown" qt3' \
	    - "$ipbin" "$S" >"$T/out" 2>&1 || fail "qemu-ifdown without ip: $(cat "$T/out")"
	[ -z "$(master_of qt3)" ] || fail "qt3 still on $(master_of qt3)"
	[ $(($(link_field qt3 flags) & 1)) -eq 0 ] || fail "qt3 is still up"
	# and without either: one line
	one_line_error "neither ip (iproute2) nor brctl" ns unshare -m sh -c \
	    'mount --bind /dev/null "$1" && mount --bind /dev/null "$2" &&
	    exec "$3/qemu-ifup" qt3' - "$ipbin" "$(readlink -f "$(command -v brctl)")" "$S"
}

run_tests bridge_ping e1000 e1000e rtl8139 qemu_missing_bridge errors brctl_fallback
