#!/bin/bash
# Live migration over TCP between two supervisors, each in a network
# namespace of its own (qlaunchd and its QEMUs live there), joined by a
# veth pair with addresses only inside them; they share the image
# directory, and each reaches the other's control socket (a file).  The
# guest's counter in /run and a mark on its disk go A -> B and back over
# the veth (--listen-address), as the URI shows.
. "$(dirname "$0")/lib.sh"

need_root "migration between network namespaces"

BSOCK=$T/b.sock
NSB=qlmb$$
ADDR_A=192.168.231.1
ADDR_B=192.168.231.2
MARK=QLAUNCH-MIGRATE-TCP-$$

qb() { QLAUNCH_SOCKET=$BSOCK q "$@"; }

all_cleanup() {
	cleanup
	ip netns del "$NSB" 2>/dev/null
}
trap all_cleanup EXIT

# the namespaces, the veth between them, and B's supervisor in its own
setup_net() {
	make_netns || return 1
	ip netns add "$NSB" || return 1
	ip -n "$NSB" link set lo up
	ip link add qlmA$$ netns "$NETNS" type veth peer name qlmB$$ netns "$NSB" || return 1
	ip -n "$NETNS" addr add "$ADDR_A/24" dev qlmA$$
	ip -n "$NSB" addr add "$ADDR_B/24" dev qlmB$$
	ip -n "$NETNS" link set qlmA$$ up
	ip -n "$NSB" link set qlmB$$ up
	start_daemon || return 1
	mkdir -p "$T/stateB"
	ip netns exec "$NSB" "$QLAUNCHD" -f -s "$T/stateB" -S "$BSOCK" \
	    >>"$T/qlaunchd.log" 2>&1 &
	disown $! 2>/dev/null || true
	for _ in $(seq 100); do
		qb version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "B did not come up"
	return 1
}

counter() { QLAUNCH_SOCKET=$1 gval mv 'cat /run/c'; }

t_guest_up() {
	create_guest mv --disk path="$T/mv.qcow2",size=1,format=qcow2 --start
	wait_ready mv
	gx mv 'i=0; (while :; do i=$((i+1)); echo $i >/run/c; sleep 0.2; done) & echo started' |
	    grep -q started || fail "no counter"
	gx mv "printf '$MARK' | dd of=/dev/vda bs=1M seek=1 2>/dev/null; sync; echo written" |
	    grep -q written || fail "no mark written"
	sleep 1
}

# SOCK_FROM SOCK_TO ADDR_TO
there() {
	local c1 c2 c3
	c1=$(counter "$1")
	[ "$c1" -gt 0 ] || fail "counter '$c1'"
	QLAUNCH_SOCKET=$1 q migrate mv "unix:$2" --listen-address "$3" --json \
	    >"$T/out" 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	grep -q "\"uri\": \"tcp:$3:[0-9]*\"" "$T/out" || fail "not over TCP to $3: $(tail -5 "$T/out")"
	[ "$(QLAUNCH_SOCKET=$2 q state --reason mv)" = "running (migrated)" ] ||
	    fail "destination: $(QLAUNCH_SOCKET=$2 q state --reason mv)"
	! QLAUNCH_SOCKET=$1 q list --all | grep -qw mv || fail "the source still has mv"
	c2=$(counter "$2")
	[ -n "$c2" ] && [ "$c2" -ge "$c1" ] || fail "counter went from $c1 to '$c2'"
	sleep 1
	c3=$(counter "$2")
	[ "$c3" -gt "$c2" ] || fail "the counter stopped at $c2 ($c3)"
	[ "$(QLAUNCH_SOCKET=$2 gval mv "echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=1M skip=1 count=1 2>/dev/null | grep -ac $MARK")" = 1 ] ||
	    fail "the mark is not on the disk"
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
