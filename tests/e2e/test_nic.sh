#!/bin/bash
# NICs end to end, inside a network namespace of the test's own (qlaunchd,
# QEMU and the taps all live there; the only addresses are on its bridge
# and in the guests): two guests on one bridge ping each other, virsh's
# attach-interface and detach-interface on a running guest, domiflist,
# domifaddr, domifstat and domif-setlink as the guest sees them, and the
# taps gone whatever way QEMU ends.  As virt-install's --network and
# virsh's flags write them.
. "$(dirname "$0")/lib.sh"

need_root "a network namespace"
NET=192.168.77		# on br0, in the namespace only

tap_of() { q iflist "$1" --json | sed -n 's/.*"interface": "\(.*\)",*/\1/p' | sed -n "${2:-1}p"; }
mac_of() { q iflist "$1" --json | sed -n 's/.*"mac": "\(.*\)",*/\1/p' | sed -n "${2:-1}p"; }
# the taps on br0 (names)
bridged() { nsx ip -o link show master br0 | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p'; }
# IFACE ADDR in the guest
guest_ip() { gx "$1" "ip link set $2 up; ip addr add $3/24 dev $2" >/dev/null; }
pings() { [ "$(gval "$1" "ping -c 3 -W 3 $2 >/dev/null 2>&1 && echo ok || echo no")" = ok ]; }

t_two_guests() {
	create_guest n1 --network bridge=br0,model=virtio --start
	create_guest n2 -w bridge:br0 --start
	wait_ready n1
	wait_ready n2
	# the MAC the supervisor gave is the one the guest has
	m1=$(mac_of n1)
	case $m1 in 52:54:00:??:??:??) ;; *) fail "MAC '$m1'" ;; esac
	[ "$(gval n1 'cat /sys/class/net/eth0/address')" = "$m1" ] || fail "guest MAC"
	[ "$m1" != "$(mac_of n2)" ] || fail "both have $m1"
	# the tap: on the bridge, named for the VM, its alias says whose
	t1=$(tap_of n1)
	bridged | grep -qx "$t1" || fail "$t1 not on br0: $(bridged)"
	nsx ip -d link show "$t1" | grep -q "alias qlaunch n1 $m1" ||
	    fail "alias: $(nsx ip -d link show "$t1")"
	guest_ip n1 eth0 $NET.11
	guest_ip n2 eth0 $NET.12
	pings n1 $NET.12 || fail "n1 cannot reach n2"
	pings n2 $NET.11 || fail "n2 cannot reach n1"
	pings n1 $NET.1 || fail "n1 cannot reach the bridge"
}

# domifaddr from the bridge's neighbour table; domifstat counts
t_addresses_and_counters() {
	t1=$(tap_of n1)
	rx0=$(q domifstat n1 "$t1" --json | sed -n 's/.*"rx_packets": \([0-9]*\).*/\1/p')
	nsx busybox ping -c 2 -W 3 $NET.11 >/dev/null || fail "the host cannot reach n1"
	q ifaddr n1 --source arp >"$T/ifa"
	grep -q "$t1 .*$(mac_of n1) .*ipv4 .*$NET.11 .*arp" "$T/ifa" || fail "ifaddr: $(cat "$T/ifa")"
	rx1=$(q domifstat n1 "$t1" --json | sed -n 's/.*"rx_packets": \([0-9]*\).*/\1/p')
	[ "$rx1" -ge $((rx0 + 2)) ] || fail "rx_packets $rx0 then $rx1"
	q domifstat n1 "$(mac_of n1)" | grep -q "^$t1 tx_bytes [1-9]" || fail "domifstat by MAC"
	q iflist n1 >"$T/il"
	grep -q "^ $t1 *bridge *br0 *virtio *$(mac_of n1)" "$T/il" || fail "iflist: $(cat "$T/il")"
}

# domif-setlink: the guest sees its carrier go and come back
t_setlink() {
	t1=$(tap_of n1)
	q domif-setlink n1 "$t1" down >/dev/null
	[ "$(q domif-getlink n1 "$t1")" = "$t1 down" ] || fail "getlink"
	wait_gval n1 'cat /sys/class/net/eth0/carrier' 0
	pings n1 $NET.12 && fail "pings with the link down"
	q domif-setlink n1 "$t1" up >/dev/null
	wait_gval n1 'cat /sys/class/net/eth0/carrier' 1
	pings n1 $NET.12 || fail "no ping with the link up again"
}

# attach-interface live: a second NIC in the running guest, used, detached
t_hotplug() {
	out=$(q attach-interface n1 --type bridge --source br0 --model virtio)
	[ "$out" = "Interface attached successfully" ] || fail "said: $out"
	wait_gval n1 'ls /sys/class/net | grep -c eth' 2
	m=$(mac_of n1 2)
	t=$(tap_of n1 2)
	[ "$(gval n1 'cat /sys/class/net/eth1/address')" = "$m" ] || fail "eth1's MAC"
	bridged | grep -qx "$t" || fail "$t not on br0"
	# eth1 the only way out (two NICs on one subnet answer each
	# other's ARP)
	gx n1 'ip link set eth0 down' >/dev/null
	guest_ip n1 eth1 $NET.21
	pings n1 $NET.12 || fail "no ping over eth1"
	gx n1 'ip link set eth0 up' >/dev/null
	# not in what is stored: it was live only
	[ "$(q iflist n1 --inactive --json | grep -c '"mac"')" = 1 ] || fail "stored"
	q detach-interface n1 bridge --mac "$m" >/dev/null
	wait_gval n1 'ls /sys/class/net | grep -c eth' 1
	bridged | grep -qx "$t" && fail "$t still on br0"
	nsx ip link show "$t" >/dev/null 2>&1 && fail "$t still there"
	[ "$(q iflist n1 --json | grep -c '"mac"')" = 1 ] || fail "iflist after detach"
}

# the tutorial's line, as written: for the next start only
t_attach_config() {
	q attach-interface n2 --type bridge --model virtio --source br0 --config >/dev/null
	[ "$(q iflist n2 --json | grep -c '"mac"')" = 1 ] || fail "live too"
	[ "$(q iflist n2 --inactive --json | grep -c '"mac"')" = 2 ] || fail "not stored"
	q destroy n2 >/dev/null
	q start n2 >/dev/null
	wait_ready n2
	[ "$(gval n2 'ls /sys/class/net | grep -c eth')" = 2 ] || fail "the guest has no eth1"
	[ "$(bridged | grep -c "^$(tap_of n2 | sed 's/\.0$//')\.")" = 2 ] || fail "taps: $(bridged)"
}

# a missing bridge: start fails with the reason; no tap, no QEMU left
t_missing_bridge() {
	create_guest nb --network bridge=br9
	one_line_error "bridge br9 does not exist" q start nb
	[ "$(q state nb)" = "shut off" ] || fail "state $(q state nb)"
	nsx ip -d link show | grep -q "qlaunch nb " && fail "a tap of nb is left"
	pgrep -f "qemu.*-name nb," >/dev/null && fail "a QEMU of nb runs"
	# live attach to it: refused, nothing changed
	n=$(q iflist n1 --json | grep -c '"mac"')
	one_line_error "bridge br9 does not exist" q attach-interface n1 --type bridge --source br9
	[ "$(q iflist n1 --json | grep -c '"mac"')" = "$n" ] || fail "n1's NICs changed"
	[ "$(bridged | grep -c .)" = "$(nsx ip -o link show type tun | grep -c .)" ] ||
	    fail "a tap off the bridge: $(nsx ip -o link show type tun)"
}

# destroy, kill -9 of QEMU, and a QEMU that died while qlaunchd was away:
# the tap goes each time
t_tap_cleanup() {
	t=$(tap_of n2)
	q destroy n2 >/dev/null
	nsx ip link show "$t" >/dev/null 2>&1 && fail "$t after destroy"
	q start n2 >/dev/null
	t=$(tap_of n2)
	kill -9 "$(vm_pid n2)"
	wait_state n2 crashed
	nsx ip link show "$t" >/dev/null 2>&1 && fail "$t after kill -9"
	q start n2 >/dev/null
	t=$(tap_of n2)
	p=$(vm_pid n2)
	stop_daemon
	kill -9 "$p"
	start_daemon
	[ "$(q state n2)" = "shut off" ] || [ "$(q state n2)" = crashed ] || fail "state $(q state n2)"
	nsx ip link show "$t" >/dev/null 2>&1 && fail "$t after a crash while away"
	# a QEMU that lived on is re-adopted with its taps
	t1=$(tap_of n1)
	stop_daemon
	start_daemon
	[ "$(tap_of n1)" = "$t1" ] || fail "re-adopted n1's tap: '$(tap_of n1)'"
	pings n1 $NET.1 || fail "n1 lost its network"
}

# MACs: unique among the VMs, kept by a restart, new in a clone
t_macs() {
	m=$(mac_of n1)
	q dumpxml n1 | grep -q "^network: bridge=br0,model=virtio,mac=$m$" || fail "stored: $(q dumpxml n1)"
	one_line_error "MAC $m belongs to VM 'n1' already" \
	    q create dup --memory 64 --accel tcg --network "bridge=br0,mac=$m"
	q destroy n2 >/dev/null 2>&1 || true	# shut off after tap_cleanup
	q clone n2 n3 >/dev/null
	[ "$(mac_of n3)" != "$(mac_of n2)" ] || fail "the clone has n2's MAC"
	q start n2 >/dev/null
	[ "$(mac_of n2)" = "$(q iflist n2 --inactive --json | sed -n 's/.*"mac": "\(.*\)",*/\1/p' | head -1)" ] ||
	    fail "MAC changed"
}

# A NIC on libvirt's NAT network "default": named, it is defined, not
# started; started, the guest gets an address by DHCP (busybox udhcpc),
# domifaddr and net-dhcp-leases report it, and the guest reaches an
# address beyond the network (a namespace with no route back: only the
# masquerade answers)
t_nat_network() {
	create_guest nn --network network=default
	q net-list --all >"$T/nl"
	grep -q "^ default *inactive" "$T/nl" || fail "default not defined: $(cat "$T/nl")"
	one_line_error "network default is not active" q start nn
	q net-start default >/dev/null
	q start nn >/dev/null
	wait_ready nn
	# the link up first (udhcpc does not), the client in the background
	gx nn 'ip link set eth0 up; udhcpc -i eth0 -n -q -t 10 >/dev/null 2>&1 &' >/dev/null
	for _ in $(seq 30); do
		ip=$(gval nn "ip -4 -o addr show eth0 | sed -n 's|.* inet \\([0-9.]*\\)/.*|\\1|p'")
		case $ip in 192.168.122.*) break ;; esac
		sleep 1
	done
	case $ip in 192.168.122.*) ;; *) fail "the guest's address: '$ip'" ;; esac
	q ifaddr nn --source lease >"$T/ifa"
	grep -q "$(mac_of nn) .*ipv4 .*$ip .*lease" "$T/ifa" || fail "ifaddr: $(cat "$T/ifa")"
	q net-dhcp-leases default >"$T/lz"
	grep -q "$(mac_of nn).*$ip" "$T/lz" || fail "leases: $(cat "$T/lz")"
	# beyond: 203.0.113.0/24 (TEST-NET-3) between this namespace and another
	out=${NETNS}o
	ip netns add "$out"
	nsx ip link add qlvo type veth peer name qlvi netns "$out"
	nsx ip addr add 203.0.113.1/24 dev qlvo
	nsx ip link set qlvo up
	ip -n "$out" addr add 203.0.113.2/24 dev qlvi
	ip -n "$out" link set qlvi up
	for _ in $(seq 10); do
		ok=$(gval nn 'ping -c 1 -W 2 203.0.113.2 >/dev/null 2>&1 && echo ok || echo no')
		[ "$ok" = ok ] && break
	done
	ip netns del "$out"
	[ "$ok" = ok ] || fail "no way out through the masquerade"
	# the network stopped and started under the running guest: its tap
	# is back on the new bridge
	q net-destroy default >/dev/null
	nsx ip link show virbr0 >/dev/null 2>&1 && fail "virbr0 after net-destroy"
	q net-start default >/dev/null
	nsx ip -o link show master virbr0 | grep -q "$(tap_of nn)" ||
	    fail "the tap is not back on virbr0: $(nsx ip -o link show master virbr0)"
	for _ in $(seq 10); do
		ok=$(gval nn 'ping -c 1 -W 2 192.168.122.1 >/dev/null 2>&1 && echo ok || echo no')
		[ "$ok" = ok ] && break
	done
	[ "$ok" = ok ] || fail "the guest lost its network after a restart of it"
	q destroy nn >/dev/null
	q net-destroy default >/dev/null
}

# the tutorial's virt-install line, as written (the ISO: the test guest's),
# on a host with its br0: installed from the CD, on the bridge
t_tutorial_line() {
	q create --name vm1 --ram 2048 --vcpus 2 \
	    --disk path="$T/vm1.qcow2",size=1,format=qcow2 --os-variant ubuntu22.04 \
	    --network bridge=br0,model=virtio --graphics vnc,listen=0.0.0.0 \
	    --noautoconsole --cdrom "$GUEST/guest.iso" --accel tcg >"$T/out" ||
	    fail "$(cat "$T/out")"
	wait_ready vm1
	[ "$(gval vm1 'cat /sys/class/net/eth0/address')" = "$(mac_of vm1)" ] ||
	    fail "the guest's NIC"
	bridged | grep -qx "$(tap_of vm1)" || fail "not on br0"
	guest_ip vm1 eth0 $NET.31
	pings vm1 $NET.1 || fail "vm1 cannot reach the bridge"
	q destroy vm1 >/dev/null
}

t_errors() {
	usage_error "--model 'ne2k': not" q attach-interface n1 --type bridge --source br0 --model ne2k
	usage_error "--type bridge needs --source" q attach-interface n1 --type bridge
	usage_error "--type 'direct': not" q attach-interface n1 --type direct --source eth0
	one_line_error "no bridge interface with MAC 52:54:00:ff:ff:ff" \
	    q detach-interface n1 bridge --mac 52:54:00:ff:ff:ff
	one_line_error "has no interface 'vnet9'" q domifstat n1 vnet9
	one_line_error "mac 'xx' is not a unicast MAC address" \
	    q attach-interface n1 --type bridge --source br0 --mac xx
	one_line_error "network: 'br0' is not bridge=NAME" q create bad --memory 64 --network br0
	one_line_error "no VM named 'bad'" q info bad
}

make_netns || exit 1
nsx ip link add br0 type bridge
nsx ip addr add $NET.1/24 dev br0
nsx ip link set br0 up
start_daemon || exit 1
run_tests two_guests addresses_and_counters setlink hotplug attach_config \
    missing_bridge tap_cleanup macs nat_network tutorial_line errors
