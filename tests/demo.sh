#!/bin/bash
# A short tour: a private qlaunchd boots the test guest under TCG and we
# drive it the way a person would, printing each command first.
set -eu
B=${QLAUNCH_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
SRC=$(cd "$(dirname "$0")/.." && pwd)
GUEST=${QLAUNCH_GUEST_DIR:-$B/images/guest}
D=$(mktemp -d /tmp/qlaunch-demo.XXXXXX)
export QLAUNCH_SOCKET=$D/qlaunchd.sock
PATH=$B/launcher:$PATH

# As root, qlaunchd (and so QEMU and its taps) runs in a network namespace
# of the demo's own, with a bridge br0: nothing touches the host's network.
NS=
NSX=()
if [ "$(id -u)" -eq 0 ] && ip netns add "qldemo$$" 2>/dev/null; then
	NS=qldemo$$
	NSX=(ip netns exec "$NS")
	ip -n "$NS" link set lo up
	ip -n "$NS" link add br0 type bridge
	ip -n "$NS" addr add 192.168.77.1/24 dev br0
	ip -n "$NS" link set br0 up
fi
# the web manager's user: unprivileged, trusted by qlaunchd to say who acts
WEBUSER=
WEBD=()
if [ "$(id -u)" -eq 0 ] && command -v curl >/dev/null &&
    { id qlaunch-web >/dev/null 2>&1 ||
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin qlaunch-web; }; then
	WEBUSER=qlaunch-web
	WEBD=(--web-user "$WEBUSER")
fi

cleanup() {
	qlaunch -N destroy demo >/dev/null 2>&1 || true
	QLAUNCH_SOCKET=$D/other.sock qlaunch -N destroy demo >/dev/null 2>&1 || true
	[ -f "$D/other.pid" ] && kill "$(cat "$D/other.pid")" 2>/dev/null
	[ -f "$D/web.pid" ] && kill "$(cat "$D/web.pid")" 2>/dev/null
	[ -f "$D/qlaunchd.pid" ] && kill "$(cat "$D/qlaunchd.pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$D"
	[ -z "$NS" ] || ip netns del "$NS" || true
}
trap cleanup EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
guest() {
	say "echo '$1' | qlaunch console demo"
	printf '%s\n' "$1" | qlaunch console demo --quiet 800
	echo
}

echo "qlaunch demo: state and sockets under $D"
say "${NS:+ip netns exec $NS }qlaunchd -s $D/state -S $QLAUNCH_SOCKET ${WEBD[*]}"
"${NSX[@]}" "$B/launcher/qlaunchd" -f -s "$D/state" -S "$QLAUNCH_SOCKET" \
    "${WEBD[@]}" 2>"$D/qlaunchd.log" &
echo $! >"$D/qlaunchd.pid"
for _ in $(seq 100); do [ -S "$QLAUNCH_SOCKET" ] && break; sleep 0.05; done

run qlaunch host-check || true
NET=()
[ -z "$NS" ] || NET=(--network bridge=br0,model=virtio)
run qlaunch create demo --memory 256,maxmemory=512,slots=2 --vcpus 1,maxvcpus=2 \
    --iothreads 1 --accel tcg --kernel "$GUEST/bzImage" --initrd "$GUEST/initrd.img" \
    --append "console=ttyS0 panic=-1 quiet memhp_default_state=online" \
    --graphics vnc "${NET[@]}" --channel heartbeat --guest-agent on
run qlaunch cmdline demo
run qlaunch start demo
printf 'waiting for the guest'
for _ in $(seq 300); do
	qlaunch console demo --log | grep -q QLAUNCH-GUEST-READY && break
	printf .; sleep 0.1
done
echo
run qlaunch list
run qlaunch info demo
run qlaunch vncdisplay demo
run qlaunch domid demo
run qlaunch screenshot demo "$D/screen.png"
say "qlaunch send-key demo KEY_LEFTALT KEY_SYSRQ KEY_H   (after sysrq is enabled)"
printf 'echo 1 > /proc/sys/kernel/sysrq\n' | qlaunch console demo --quiet 500 >/dev/null
qlaunch send-key demo KEY_LEFTALT KEY_SYSRQ KEY_H
sleep 1
qlaunch console demo --log | grep 'sysrq: HELP' | tail -1
guest 'uname -r; cat /sys/bus/virtio/devices/*/device'
guest 'grep MemTotal /proc/meminfo'
run qlaunch setmem demo 160M
sleep 2
guest 'grep MemTotal /proc/meminfo'
run qlaunch memstat demo
# a DIMM and a vCPU hot-plugged: the guest onlines them
run qlaunch attach-memory demo 128M --live
sleep 2
guest 'grep MemTotal /proc/meminfo'
run qlaunch setvcpus demo 2 --live
sleep 2
guest 'cat /sys/devices/system/cpu/online'
run qlaunch vcpuinfo demo
run qlaunch vcpupin demo 0 0
run qlaunch vcpupin demo
# an IOThread for the data disk below, pinned like a vCPU
run qlaunch iothreadpin demo 1 0
run qlaunch iothreadinfo demo
# the guest agent, statistics and virt-top's table
run qlaunch agent-info demo
run qlaunch domstats demo
run qlaunch top --batch --iterations 2 --delay 1
# the web manager: it runs as $WEBUSER and asks qlaunchd on behalf of the
# user who logged in with a one-time link (qlaunch web-login)
if [ -n "$WEBUSER" ]; then
	chmod 0755 "$D"
	chmod 0666 "$QLAUNCH_SOCKET"	# the demo has no qlaunch group
	say "qlaunch web --listen 127.0.0.1:0 --user $WEBUSER &"
	qlaunch web --listen 127.0.0.1:0 --user "$WEBUSER" \
	    --assets "$SRC/launcher/web/assets" --vendor "$B/launcher/web/vendor" \
	    --audit-log "$D/audit.log" >"$D/web.log" 2>&1 &
	echo $! >"$D/web.pid"
	for _ in $(seq 100); do grep -q "serving http" "$D/web.log" && break; sleep 0.05; done
	cat "$D/web.log"
	URL=$(sed -n 's/.*serving \(http[^ ]*\) .*/\1/p' "$D/web.log" | head -n 1)
	run qlaunch web-login
	LINK=$(qlaunch web-login)
	say "curl -c cookies '$LINK'; curl -b cookies ${URL%/}/api/vms"
	curl -s -o /dev/null -c "$D/cookies" "$LINK"
	curl -s -b "$D/cookies" "${URL%/}/api/vms" | cut -c1-300
	echo
	run cat "$D/audit.log"
fi
if [ -n "$NS" ]; then
	run qlaunch domiflist demo
	guest 'ip link set eth0 up; ip addr add 192.168.77.10/24 dev eth0; ping -c 1 192.168.77.1'
	run qlaunch domifaddr demo --source arp
	run qlaunch domifstat demo "$(qlaunch iflist demo --json | sed -n 's/.*"interface": "\(.*\)",/\1/p' | head -1)"
fi
run qlaunch save demo "$D/demo.save"
run qlaunch state --reason demo
run qlaunch restore "$D/demo.save"
guest 'echo back after restore: up $(cut -d" " -f1 /proc/uptime) s'
if [ -n "$NS" ]; then
	run qlaunch attach-interface demo --type bridge --source br0 --model virtio --live
	sleep 2
	guest 'ls /sys/class/net'
	run qlaunch domiflist demo
	run qlaunch detach-interface demo bridge --mac "$(qlaunch iflist demo --json | sed -n 's/.*"mac": "\(.*\)",/\1/p' | tail -1)" --live
fi
run qlaunch image create "$D/data.qcow2" 64M
run qlaunch attach-disk demo "$D/data.qcow2" vdb --live --cache=none --subdriver=qcow2 --iothread 1
sleep 2
guest 'cat /sys/block/vda/size'
run qlaunch domblklist demo --details
run qlaunch snapshot-create-as demo before --description "with a data disk"
run qlaunch snapshot-list demo
run qlaunch snapshot-create-as demo ext --disk-only
run qlaunch domblklist demo
guest 'echo written on the overlay | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null'
run qlaunch snapshot-delete demo ext
run qlaunch domblklist demo
guest 'dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | head -1'
run qlaunch detach-disk demo vdb --live
say "qlaunch events demo --json --timeout 3 &"
qlaunch events demo --json --timeout 3 &
EV=$!
sleep 0.3
run qlaunch suspend demo
run qlaunch state demo
run qlaunch resume demo
wait $EV || true
run qlaunch qmp demo '{"execute": "query-status"}'
run qlaunch hmp demo 'info cpus'
# live migration to a second supervisor on this host, and back
say "${NS:+ip netns exec $NS }qlaunchd -s $D/other -S $D/other.sock   # a second supervisor"
"${NSX[@]}" "$B/launcher/qlaunchd" -f -s "$D/other" -S "$D/other.sock" \
    2>"$D/other.log" &
echo $! >"$D/other.pid"
for _ in $(seq 100); do [ -S "$D/other.sock" ] && break; sleep 0.05; done
# the guest dirties memory while it moves; the guest's own heartbeat
# (a tick a millisecond on a virtio-serial port) gives the downtime it saw
run qlaunch workload demo start --size 32 --rate 20
run qlaunch dirtyrate demo --seconds 1
run qlaunch heartbeat demo --reset
run qlaunch migrate demo "unix:$D/other.sock" --stats "$D/mig.csv" --verbose
say "head -3 $D/mig.csv; grep -E 'summary.(total|downtime|guest_downtime)_ms' $D/mig.csv"
head -3 "$D/mig.csv" | cut -c1-150
grep -E 'summary.(total|downtime|guest_downtime)_ms' "$D/mig.csv"
run qlaunch list --all
say "QLAUNCH_SOCKET=$D/other.sock qlaunch list"
QLAUNCH_SOCKET=$D/other.sock qlaunch list
say "echo 'echo still up: \$(cut -d\" \" -f1 /proc/uptime) s' | QLAUNCH_SOCKET=$D/other.sock qlaunch console demo"
printf '%s\n' 'echo still up: $(cut -d" " -f1 /proc/uptime) s' |
    QLAUNCH_SOCKET=$D/other.sock qlaunch console demo --quiet 800
echo
say "QLAUNCH_SOCKET=$D/other.sock qlaunch migrate demo unix:$QLAUNCH_SOCKET --multifd 2 --postcopy --postcopy-after 1 --verbose"
QLAUNCH_SOCKET=$D/other.sock qlaunch migrate demo "unix:$QLAUNCH_SOCKET" \
    --multifd 2 --postcopy --postcopy-after 1 --verbose
run qlaunch heartbeat demo
run qlaunch workload demo stop
# an experiment in one command: ping-pong runs over a sweep, CSV and SVG
run qlaunch migrate-bench demo --to "unix:$D/other.sock" --repeat 1 \
    --vary bandwidth=100,1000 --out "$D/bench"
run ls "$D/bench"
run cat "$D/bench/summary.csv"
# the tutorials' raw way: the incoming side's exact argv
say "qlaunch cmdline demo --incoming tcp:0:7777 | tail -c 300"
qlaunch cmdline demo --incoming tcp:0:7777 | tail -c 300
echo
# Ansible drives fleets: the collection in launcher/ansible, through
# qlaunch --json on the managed host (here localhost)
if command -v ansible-playbook >/dev/null 2>&1; then
	cat >"$D/play.yml" <<EOF2
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: fleet1 defined
      qlaunch.vm.qlaunch_vm:
        name: fleet1
        definition: "name: fleet1\\nmemory: 128\\naccel: tcg\\n"
    - name: again, nothing to change
      qlaunch.vm.qlaunch_vm:
        name: fleet1
        definition: "name: fleet1\\nmemory: 128\\naccel: tcg\\n"
    - qlaunch.vm.qlaunch_info: {name: demo}
      register: facts
    - debug: {msg: "demo is {{ facts.vm.state }}, {{ facts.vm.vcpus }} vCPUs"}
    - qlaunch.vm.qlaunch_vm: {name: fleet1, state: absent}
EOF2
	say "ansible-playbook play.yml   # qlaunch_vm twice (idempotent), qlaunch_info"
	ANSIBLE_COLLECTIONS_PATH=$SRC/launcher/ansible LC_ALL=C.UTF-8 \
	    ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
	    ansible-playbook -i localhost, "$D/play.yml" |
	    grep -E '^(TASK|ok:|changed:|fatal:)|"msg"|changed='
fi
run qlaunch shutdown demo --mode agent --wait=60
run qlaunch state --reason demo
run qlaunch console demo --log
echo
echo "demo done"
