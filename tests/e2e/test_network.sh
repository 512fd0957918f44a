#!/bin/bash
# NAT networks end to end, all inside network namespaces of the test's
# own: qlaunchd runs in "host" (where the network's bridge, dnsmasq and
# nft rules go); "client" is joined to the bridge by a veth pair and asks
# for an address with busybox udhcpc; "outside" is reached from "host"
# over another veth pair (203.0.113.0/24) and has no route back to the
# NAT network, so an answer there proves the masquerade, and its
# listener prints the source it sees.  Root only.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "test_network: not root: skipped"
	echo "[==========] 0 test(s) run."
	echo "[  SKIPPED ] 10 test(s)."
	exit 0
fi
for p in busybox python3 nft /usr/sbin/dnsmasq; do
	command -v "$p" >/dev/null || { echo "test_network: $p is missing"; exit 1; }
done

NS=qlt$$
NSH=${NS}h NSC=${NS}c NSO=${NS}o
inh() { ip netns exec "$NSH" "$@"; }
inc() { ip netns exec "$NSC" "$@"; }
ino() { ip netns exec "$NSO" "$@"; }

net_cleanup() {
	cleanup
	ip netns del "$NSH" 2>/dev/null
	ip netns del "$NSC" 2>/dev/null
	ip netns del "$NSO" 2>/dev/null
}
trap net_cleanup EXIT

ip netns add "$NSH" && ip netns add "$NSC" && ip netns add "$NSO" || exit 1
for n in "$NSH" "$NSC" "$NSO"; do ip -n "$n" link set lo up; done
# host <-> outside
ip -n "$NSH" link add vo-h type veth peer name vo-o netns "$NSO"
ip -n "$NSH" addr add 203.0.113.1/24 dev vo-h
ip -n "$NSH" link set vo-h up
ip -n "$NSO" addr add 203.0.113.2/24 dev vo-o
ip -n "$NSO" link set vo-o up
# client <-> host (joined to the bridge once it exists)
ip -n "$NSC" link add vc-c type veth peer name vc-h netns "$NSH"
ip -n "$NSC" link set vc-c address 52:54:00:aa:bb:01 up
# udhcpc's script: the address and the route it was given
cat >"$T/udhcpc.sh" <<'EOF'
#!/bin/sh
case $1 in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$router" ] && ip route replace default via "${router%% *}"
	echo "$ip" >"$(dirname "$0")/leased"
	;;
esac
exit 0
EOF
chmod +x "$T/udhcpc.sh"

NETNS=$NSH
start_daemon || exit 1

jnum() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"; }
dnsmasq_pid() { q net-info "$1" --json | jnum dnsmasq_pid; }
# nothing_changed: the networks, links and nft rules are as saved in $T/before
snapshot() {
	{ q net-list --all; inh ip -o link show | sed 's/^[0-9]*: //; s/[:@].*//' | sort
	  inh nft list ruleset; } >"$T/$1" 2>&1
}
nothing_changed() {
	snapshot after
	diff -u "$T/before" "$T/after" || fail "something changed"
}

t_create() {
	q net-create default --bridge virbr0 --address 192.168.122.1/24 \
	    --dhcp-range 192.168.122.2,192.168.122.254 --forward nat >"$T/out"
	grep -q "Network default created and started" "$T/out" || fail "$(cat "$T/out")"
	q net-list | grep -Eq '^ default +active +no +yes$' || fail "net-list: $(q net-list)"
	q net-info default >"$T/info"
	grep -Eq '^Active: +yes$' "$T/info" || fail "$(cat "$T/info")"
	grep -Eq '^Bridge: +virbr0$' "$T/info" || fail "$(cat "$T/info")"
	grep -Eq '^NAT: +nftables$' "$T/info" || fail "$(cat "$T/info")"
	inh ip -o addr show dev virbr0 | grep -q 'inet 192.168.122.1/24' ||
	    fail "virbr0 lacks its address: $(inh ip addr show dev virbr0)"
	inh ip -o link show dev virbr0 | grep -q 'state UP\|,UP' || fail "virbr0 is down"
	local p
	p=$(dnsmasq_pid default)
	[ -n "$p" ] && [ "$(cat /proc/"$p"/comm)" = dnsmasq ] || fail "no dnsmasq ($p)"
	grep -q "interface=virbr0" "/proc/$p/cmdline" 2>/dev/null ||
	    tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "$T/" || fail "dnsmasq $p is not ours"
	inh nft list chain ip qlaunch net-default | grep -q masquerade ||
	    fail "no masquerade rule"
	# the definition is stored, with the uuid it was given
	grep -q "^uuid: " "$T/state/networks/default.conf" || fail "not stored"
	q net-dumpdef default | grep -q '^address: 192.168.122.1/24$' || fail "dumpdef"
	q net-dumpdef default --json | grep -q '"text": ".*address: 192.168.122.1/24' ||
	    fail "dumpdef --json: $(q net-dumpdef default --json)"
	q net-list --json | grep -q '"bridge": "virbr0"' || fail "net-list --json"
	q net-info default --json | grep -q '"nat": "nftables"' || fail "net-info --json"
}

t_dhcp() {
	ip -n "$NSH" link set vc-h master virbr0 up
	rm -f "$T/leased"
	inc busybox udhcpc -i vc-c -s "$T/udhcpc.sh" -n -q -t 10 -T 1 >"$T/udhcpc.log" 2>&1 ||
	    fail "udhcpc: $(cat "$T/udhcpc.log")"
	local ip
	ip=$(cat "$T/leased")
	case $ip in
	192.168.122.*) ;;
	*) fail "leased '$ip'" ;;
	esac
	local last=${ip##*.}
	[ "$last" -ge 2 ] && [ "$last" -le 254 ] || fail "$ip is outside the range"
	inc ip -o addr show dev vc-c | grep -q "inet $ip/24" || fail "client has no $ip"
	for _ in $(seq 50); do
		q net-dhcp-leases default | grep -q "52:54:00:aa:bb:01" && break
		sleep 0.1
	done
	q net-dhcp-leases default >"$T/leases"
	grep -Eq "52:54:00:aa:bb:01 +ipv4 +$ip/24" "$T/leases" || fail "leases: $(cat "$T/leases")"
	head -1 "$T/leases" | grep -q "Expiry Time *MAC address *Protocol *IP address *Hostname *Client ID or DUID" ||
	    fail "heading: $(head -1 "$T/leases")"
	q net-dhcp-leases default --json | grep -q "\"ip\": \"$ip/24\"" || fail "--json"
	q net-dhcp-leases default --mac 52:54:00:aa:bb:99 | grep -q 52:54 && fail "--mac filters nothing"
	return 0
}

t_nat() {
	# the outside has no route back to 192.168.122.0/24: only NAT answers
	ino ip route show | grep -q 192.168.122 && fail "outside has a route"
	inc busybox ping -c 1 -W 2 203.0.113.2 >/dev/null || fail "no ping through NAT"
	ip netns exec "$NSO" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("203.0.113.2", 7777)); s.listen(1); s.settimeout(10)
c, a = s.accept(); print(a[0]); c.close()' >"$T/peer" 2>&1 &
	local lp=$!
	for _ in $(seq 50); do
		ino ss -ltn 2>/dev/null | grep -q 203.0.113.2:7777 && break
		sleep 0.1
	done
	echo hi | inc busybox nc -w 2 203.0.113.2 7777 || true
	wait "$lp"
	[ "$(cat "$T/peer")" = 203.0.113.1 ] || fail "outside saw '$(cat "$T/peer")', not the NAT address"
}

t_dnsmasq_restart() {
	local old new
	old=$(dnsmasq_pid default)
	kill -9 "$old"
	for _ in $(seq 50); do
		new=$(dnsmasq_pid default)
		[ -n "$new" ] && [ "$new" != 0 ] && [ "$new" != "$old" ] && break
		sleep 0.1
	done
	[ -n "$new" ] && [ "$new" != "$old" ] && [ "$new" != 0 ] || fail "dnsmasq did not come back"
	[ "$(cat /proc/"$new"/comm)" = dnsmasq ] || fail "$new is not dnsmasq"
}

t_readopt() {
	local old
	old=$(dnsmasq_pid default)
	stop_daemon
	kill -0 "$old" || fail "dnsmasq went with qlaunchd"
	start_daemon
	q net-list | grep -Eq '^ default +active' || fail "not re-adopted: $(q net-list --all)"
	[ "$(dnsmasq_pid default)" = "$old" ] || fail "dnsmasq $(dnsmasq_pid default), not $old"
	grep -q "network default: re-adopted" "$T/qlaunchd.log" || fail "log"
	# still watched: a kill brings it back
	kill -9 "$old"
	for _ in $(seq 50); do
		[ "$(dnsmasq_pid default)" != "$old" ] && [ "$(dnsmasq_pid default)" != 0 ] && return 0
		sleep 0.1
	done
	fail "dnsmasq not restarted after re-adoption"
}

t_autostart() {
	cat >"$T/lab.conf" <<'EOF'
name: lab
address: 10.77.0.1/24
forward: none
EOF
	q net-define "$T/lab.conf" | grep -q "Network lab defined from" || fail "define"
	q net-list | grep -q lab && fail "lab is active before a start"
	q net-list --all | grep -Eq '^ lab +inactive +no +yes$' || fail "$(q net-list --all)"
	q net-autostart lab | grep -q "marked as autostarted" || fail "autostart"
	grep -q "^autostart: yes" "$T/state/networks/lab.conf" || fail "not stored"
	stop_daemon
	# a boot: the supervisor's record of its last one gone (autostart
	# runs once a boot, not on every restart of qlaunchd)
	rm -f "$T/state/autostarted"
	start_daemon
	q net-list | grep -Eq '^ lab +active +yes +yes$' || fail "lab did not start: $(q net-list --all)"
	local br
	br=$(q net-info lab --json | sed -n 's/.*"bridge": "\(.*\)".*/\1/p')
	[ "$br" = virbr1 ] || fail "lab's bridge is '$br', not the lowest free virbr1"
	inh ip -o addr show dev "$br" | grep -q "inet 10.77.0.1/24" || fail "no address"
	# forward: none has no NAT chain
	inh nft list chain ip qlaunch net-lab >/dev/null 2>&1 && fail "lab has a NAT chain"
	q net-autostart lab --disable | grep -q unmarked || fail "--disable"
	q net-destroy lab >/dev/null
	q net-undefine lab | grep -q "Network lab has been undefined" || fail "undefine"
	[ ! -e "$T/state/networks/lab.conf" ] || fail "lab.conf stays"
}

t_errors() {
	snapshot before
	one_line_error "address: '192.168.300.1' is not an IPv4 address" \
	    q net-create bad --address 192.168.300.1/24
	one_line_error "is not inside 10.5.0.0/24" \
	    q net-create bad --address 10.5.0.1/24 --dhcp-range 10.5.1.2,10.5.1.9
	one_line_error "bridge virbr0 is in use by network default" \
	    q net-create bad --bridge virbr0 --address 10.6.0.1/24
	nothing_changed
	inh ip link add taken type bridge
	snapshot before
	one_line_error "bridge taken is in use: an interface of that name exists" \
	    q net-create bad --bridge taken --address 10.6.0.1/24
	one_line_error "192.168.0.0/16 overlaps 192.168.122.0/24 of network default" \
	    q net-create bad --address 192.168.0.1/16
	one_line_error "network default is active: net-destroy it first" \
	    q net-undefine default
	one_line_error "network nope does not exist" q net-start nope
	one_line_error "network default is already active" q net-start default
	nothing_changed
	# dnsmasq's own words when it cannot bind (its DNS port is taken):
	# the bridge and the NAT chain it had by then go again
	inh ip link add bind0 type bridge
	inh ip addr add 10.8.0.1/24 dev bind0
	inh ip link set bind0 up
	ip netns exec "$NSH" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.8.0.1", 53)); time.sleep(20)' &
	local bp=$!
	sleep 0.5
	snapshot before
	one_line_error "dnsmasq: failed to create listening socket for 10.8.0.1" \
	    q net-create clash --bridge clash0 --address 10.8.0.1/24
	nothing_changed
	q net-list --all | grep -q clash && fail "clash stays defined"
	kill "$bp"
	inh ip link del bind0
	inh ip link del taken
	return 0
}

t_destroy() {
	local p
	p=$(dnsmasq_pid default)
	q net-destroy default | grep -q "Network default destroyed" || fail "destroy"
	inh ip link show virbr0 >/dev/null 2>&1 && fail "virbr0 stays"
	for _ in $(seq 20); do gone "$p" && break; sleep 0.1; done
	gone "$p" || fail "dnsmasq $p stays"
	inh nft list ruleset | grep -q "net-default" && fail "rules stay: $(inh nft list ruleset)"
	q net-list --all | grep -Eq '^ default +inactive +no +yes$' || fail "$(q net-list --all)"
	[ ! -e "$T/state/netrun/default" ] || fail "runtime directory stays"
	# started again it works as before
	q net-start default | grep -q "Network default started" || fail "start"
	q net-destroy default >/dev/null
	q net-undefine default >/dev/null
	q net-list --all | grep -q default && fail "still defined"
	return 0
}

t_default_on_first_use() {
	# net-start names default, which does not exist: defined, then started
	q net-start default | grep -q "Network default started" || fail "start"
	grep -q "^bridge: virbr0" "$T/state/networks/default.conf" || fail "not virbr0"
	grep -q "^address: 192.168.122.1/24" "$T/state/networks/default.conf" || fail "address"
	q net-destroy default >/dev/null
	q net-undefine default >/dev/null
}

t_transient() {
	cat >"$T/tr.conf" <<'EOF'
name: tr
address: 10.44.0.1/24
EOF
	q net-create "$T/tr.conf" | grep -q "Network tr created from" || fail "create"
	q net-list | grep -Eq '^ tr +active +no +no$' || fail "$(q net-list --all)"
	[ ! -e "$T/state/networks/tr.conf" ] || fail "a transient network is stored"
	one_line_error "network tr is transient: it has no autostart" q net-autostart tr
	q net-destroy tr >/dev/null
	q net-list --all | grep -q ' tr ' && fail "tr stays after destroy"
	return 0
}

run_tests create dhcp nat dnsmasq_restart readopt autostart errors destroy \
    default_on_first_use transient
