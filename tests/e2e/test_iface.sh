#!/bin/bash
# End to end: iface-bridge and iface-unbridge.  qlaunchd runs inside a
# network namespace this test creates, where one end of a veth pair
# stands in for the host's NIC (an address, a route on the link and a
# default route on it); the other end is in a second namespace, the
# "LAN", with an address beyond the default route.  The client talks to
# qlaunchd over its socket file from outside.  Addresses exist only in
# the two namespaces.  Needs root; skipped otherwise.
. "$(dirname "$0")/lib.sh"

NS=qlt-if-$$
LAN=qlt-ifl-$$
NICADDR=192.168.88.2/24
V6ADDR=2001:db8:88::2/64
GW=192.168.88.1
FAR=192.168.99.1

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test_iface.sh needs root (network namespaces)"
	echo "[  SKIPPED ] 4 test(s)."
	exit 0
fi

ns() { ip netns exec "$NS" "$@"; }
# one ping, retried for up to $1 seconds (STP holds a new port for 4 s)
reach() {
	local s=$1; shift
	for _ in $(seq "$s"); do
		ns busybox ping -c 1 -W 1 "$@" >/dev/null 2>&1 && return 0
	done
	return 1
}

netns_cleanup() {
	ip netns del "$NS" 2>/dev/null
	ip netns del "$LAN" 2>/dev/null
	cleanup
}
trap netns_cleanup EXIT

# addresses, routes and links of the namespace, for before/after
snapshot() {
	{
		ns ip -o addr show | awk '{ print $2, $3, $4 }' | grep -v ' fe80:'
		ns ip route show
		ns ip -6 route show | grep -v '^fe80:\|^multicast\|^ff00:'
		ns ip -o link show | sed 's/^[0-9]*: //; s/ qlen.*//; s/link\/ether.*//'
	} | sort
}

setup() {
	ip netns add "$NS"
	ip netns add "$LAN"
	ip link add eth7 netns "$NS" type veth peer name lan0 netns "$LAN"
	ns ip link set lo up
	ip -n "$LAN" link set lo up
	ip -n "$LAN" addr add "$GW/24" dev lan0
	ip -n "$LAN" addr add "$FAR/32" dev lo
	ip -n "$LAN" link set lan0 up
	ns ip addr add "$NICADDR" dev eth7
	ns ip addr add "$V6ADDR" dev eth7 nodad
	ns ip link set eth7 up
	ns ip route add default via "$GW" metric 50
	ns ip route add 192.168.97.0/24 dev eth7
	# qlaunchd in the namespace; its socket is a file, seen from outside
	ns "$QLAUNCHD" -f -s "$T/state" -S "$T/ctl.sock" >>"$T/qlaunchd.log" 2>&1 &
	DPID=$!
	echo "$DPID" >"$T/daemon.pid"
	for _ in $(seq 100); do
		q version >/dev/null 2>&1 && break
		sleep 0.05
	done
	q version >/dev/null || { cat "$T/qlaunchd.log"; fail "no qlaunchd"; }
}

t_bridge_unbridge() {
	reach 5 "$FAR" || fail "no route to $FAR before"
	before=$(snapshot)
	q iface-bridge eth7 br7 >"$T/out"
	grep -q "Created bridge br7 with attached device eth7" "$T/out" || fail "$(cat "$T/out")"
	[ "$(ns cat /sys/class/net/eth7/master/uevent | sed -n 's/^INTERFACE=//p')" = br7 ] ||
		fail "eth7 is not on br7"
	[ "$(ns cat /sys/class/net/br7/bridge/stp_state)" = 1 ] || fail "STP is off"
	ns ip -o addr show dev br7 | grep -q "inet ${NICADDR%/*}/24" || fail "no address on br7: $(ns ip addr)"
	ns ip -o addr show dev br7 | grep -q "inet6 ${V6ADDR%/*}/64" || fail "no IPv6 address on br7"
	ns ip -o addr show dev eth7 | grep -q ' inet ' && fail "eth7 kept its address"
	ns ip route show default | grep -q "via $GW dev br7 metric 50" || fail "routes: $(ns ip route)"
	ns ip route show 192.168.97.0/24 | grep -q "dev br7" || fail "routes: $(ns ip route)"
	reach 15 "$FAR" || fail "no route to $FAR through br7"
	ip netns exec "$LAN" busybox ping -c 1 -W 2 "${NICADDR%/*}" >/dev/null ||
		fail "the LAN cannot reach the host"
	q iface-unbridge br7 >"$T/out"
	grep -q "Device eth7 un-attached from bridge br7" "$T/out" || fail "$(cat "$T/out")"
	! ns test -e /sys/class/net/br7 || fail "br7 is still there"
	[ "$(snapshot)" = "$before" ] || fail "not as before: $(diff <(echo "$before") <(snapshot))"
	reach 5 "$FAR" || fail "no route to $FAR after"
	# --no-stp and --delay, named operands, --json
	q iface-bridge --interface eth7 --bridge br8 --no-stp --delay 3 --json >"$T/out"
	grep -q '"default via 192.168.88.1 metric 50"' "$T/out" || fail "$(cat "$T/out")"
	[ "$(ns cat /sys/class/net/br8/bridge/stp_state)" = 0 ] || fail "STP is on"
	[ "$(ns cat /sys/class/net/br8/bridge/forward_delay)" = 300 ] || fail "delay"
	reach 3 "$FAR" || fail "no route to $FAR through br8 without STP"
	q iface-unbridge --bridge br8 >/dev/null
	[ "$(snapshot)" = "$before" ] || fail "not as before: $(diff <(echo "$before") <(snapshot))"
}

t_errors() {
	before=$(snapshot)
	one_line_error "no interface named eth9" q iface-bridge eth9 br7
	one_line_error "an interface named eth7 exists" q iface-bridge lo eth7
	one_line_error "'a/b' is not a valid interface name" q iface-bridge a/b br7
	one_line_error "bridge br9 does not exist" q iface-unbridge br9
	one_line_error "eth7 is not a bridge" q iface-unbridge eth7
	usage_error "usage" q iface-bridge eth7
	one_line_error "delay '31'" q iface-bridge eth7 br7 --delay 31
	ns ip link add br6 type bridge
	one_line_error "bridge br6 has no interface to move back" q iface-unbridge br6
	one_line_error "br6 is a bridge" q iface-bridge br6 br7
	ns ip tuntap add dev qt6 mode tap
	ns ip link set qt6 master br6
	one_line_error "bridge br6 still has the taps qt6" q iface-unbridge br6
	one_line_error "qt6 is on bridge br6 already" q iface-bridge qt6 br7
	ns ip link del qt6
	ns ip link del br6
	[ "$(snapshot)" = "$before" ] || fail "changed: $(diff <(echo "$before") <(snapshot))"
}

# A failing step undoes the others.  The loopback cannot join the bridge
# just made.  With IPv6 off on the new bridge, the NIC's IPv6 address
# cannot follow its IPv4 address and routes; with IPv6 off on the NIC,
# it cannot come back from the bridge.
t_rollback() {
	before=$(snapshot)
	one_line_error "cannot add lo to bridge br7" q iface-bridge lo br7
	[ "$(snapshot)" = "$before" ] || fail "lo: $(diff <(echo "$before") <(snapshot))"

	ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	rc=0
	q iface-bridge eth7 br7 --no-stp 2>"$T/err" || rc=$?
	ns sysctl -qw net.ipv6.conf.default.disable_ipv6=0
	[ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] || fail "rc $rc: $(cat "$T/err")"
	grep -q "cannot add address ${V6ADDR} to br7" "$T/err" || fail "$(cat "$T/err")"
	[ "$(snapshot)" = "$before" ] || fail "bridge: $(diff <(echo "$before") <(snapshot))"

	q iface-bridge eth7 br7 --no-stp >/dev/null
	bridged=$(snapshot)
	ns sysctl -qw net.ipv6.conf.eth7.disable_ipv6=1
	bridged=$(snapshot)
	rc=0
	q iface-unbridge br7 2>"$T/err" || rc=$?
	[ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] || fail "rc $rc: $(cat "$T/err")"
	grep -q "cannot add address ${V6ADDR} to eth7" "$T/err" || fail "$(cat "$T/err")"
	[ "$(snapshot)" = "$bridged" ] || fail "unbridge: $(diff <(echo "$bridged") <(snapshot))"
	ns sysctl -qw net.ipv6.conf.eth7.disable_ipv6=0
	q iface-unbridge br7 >/dev/null
	[ "$(snapshot)" = "$before" ] || fail "after: $(diff <(echo "$before") <(snapshot))"
}

t_not_admin() {
	id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; return 0; }
	chmod 0666 "$T/ctl.sock"
	chmod 0755 "$T"
	rc=0
	runuser -u nobody -- env QLAUNCH_SOCKET="$T/ctl.sock" \
	    QLAUNCH_NO_AUTOSTART=1 "$QLAUNCH" iface-bridge eth7 br7 \
	    >"$T/out" 2>"$T/err" || rc=$?
	chmod 0700 "$T"
	[ $rc -eq 1 ] || fail "exit status $rc"
	grep -q "iface-bridge: only root may do that" "$T/err" || fail "$(cat "$T/err")"
	! ns test -e /sys/class/net/br7 || fail "br7 made"
}

setup
run_tests bridge_unbridge errors rollback not_admin
