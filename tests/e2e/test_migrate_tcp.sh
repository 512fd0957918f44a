#!/bin/bash
# Live migration over TCP between two supervisors, each in a network
# namespace of its own (qlaunchd and its QEMUs live there), joined by a
# veth pair with addresses only inside them; they share the image
# directory, and each reaches the other's control socket (a file).  The
# guest's counter in /run and a mark on its disk go A -> B and back over
# the veth (--listen-address), as the URI shows.  Its NIC, on a bridge
# of the same name on both sides, keeps its MAC, and the guest pings
# the bridge's address from wherever it runs.
. "$(dirname "$0")/lib.sh"

need_root "migration between network namespaces"

MARK=QLAUNCH-MIGRATE-TCP-$$
BR=qlmbr0
BR_ADDR=192.168.232.1
GUEST_ADDR=192.168.232.10

# the namespaces, the veth between them (ADDR_A, ADDR_B in
# 192.168.231.0/24), and B's supervisor in its own
setup_net() {
	make_netns_pair qlm 192.168.231 || return 1
	# the guests' bridge, the same on both sides
	for ns in "$NETNS" "$NSB"; do
		ip -n "$ns" link add "$BR" type bridge || return 1
		ip -n "$ns" addr add "$BR_ADDR/24" dev "$BR"
		ip -n "$ns" link set "$BR" up
	done
	start_daemon || return 1
	start_daemon_b
}

mac_of() { QLAUNCH_SOCKET=$1 q iflist mv --json | sed -n 's/.*"mac": "\(.*\)",*/\1/p'; }
# the guest pings the bridge's address (the NIC's link may take a while)
pings() {
	QLAUNCH_SOCKET=$1 wait_gval mv "ping -c 1 -W 1 $BR_ADDR >/dev/null && echo yes" yes
}

t_guest_up() {
	create_guest mv --disk path="$T/mv.qcow2",size=1,format=qcow2 \
	    --network bridge=$BR,model=virtio --start
	wait_ready mv
	gx mv "ip link set eth0 up; ip addr add $GUEST_ADDR/24 dev eth0; echo set" |
	    grep -q set || fail "no address set"
	pings "$T/ctl.sock"
	start_counter
	write_mark
	sleep 1
}

# SOCK_FROM SOCK_TO ADDR_TO
there() {
	local c1 mac
	mac=$(mac_of "$1")
	[ -n "$mac" ] || fail "no MAC"
	c1=$(counter "$1")
	[ "$c1" -gt 0 ] || fail "counter '$c1'"
	QLAUNCH_SOCKET=$1 q migrate mv "unix:$2" --listen-address "$3" --json \
	    >"$T/out" 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	grep -q "\"uri\": \"tcp:$3:[0-9]*\"" "$T/out" || fail "not over TCP to $3: $(tail -5 "$T/out")"
	moved "$1" "$2" "$c1"
	[ "$(mac_of "$2")" = "$mac" ] || fail "the MAC went from $mac to $(mac_of "$2")"
	pings "$2"
}

t_a_to_b() { there "$T/ctl.sock" "$BSOCK" "$ADDR_B"; }
t_b_to_a() { there "$BSOCK" "$T/ctl.sock" "$ADDR_A"; }

t_bad_address() {
	one_line_error "is not an IP address" q migrate mv "unix:$BSOCK" --listen-address nowhere
	[ "$(q state mv)" = running ] || fail "A: $(q state --reason mv)"
	! qb list --all | grep -qw mv || fail "B has mv: $(qb list --all)"
}

setup_net || exit 1
run_tests guest_up a_to_b b_to_a bad_address
