#!/bin/bash
# Statistics and top end to end, inside a network namespace of the test's
# own: two small TCG guests, one with a disk and a NIC on a bridge there,
# one idle.  domstats gives each vCPU's time, the disk's bytes written
# (they grow when the guest writes with dd) and the NIC's (they grow with
# pings from the namespace); the guest running a CPU hog shows a higher
# %CPU in top --batch than the idle one; --csv records; domstats --watch
# --json streams one object a line with rates.
. "$(dirname "$0")/lib.sh"

need_root "a network namespace"
NET=192.168.78		# on br0, in the namespace only

# js FILE 'PYTHON EXPRESSION on d': a figure of a JSON file
js() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# vmjs NAME 'EXPR on v': of VM NAME in domstats --json
vmjs() {
	q domstats "$1" --json >"$T/ds.json"
	js "$T/ds.json" "[$2 for v in d['vms'] if v['name'] == '$1'][0]"
}

t_guests() {
	create_guest hog --disk path="$T/hog.qcow2",size=1,format=qcow2 \
	    --network bridge=br0,model=virtio --start
	create_guest idle --start
	create_guest off
	wait_ready hog
	wait_ready idle
	gx hog "ip link set eth0 up; ip addr add $NET.11/24 dev eth0" >/dev/null
}

# each vCPU's thread (query-cpus-fast) and time; QEMU's whole time above
t_vcpu_times() {
	pid=$(vm_pid hog)
	n=$(vmjs hog "len(v['cpu']['vcpus'])")
	[ "$n" = 1 ] || fail "vcpus: $n"
	tid=$(vmjs hog "v['cpu']['vcpus'][0]['thread_id']")
	[ -d "/proc/$pid/task/$tid" ] || fail "vCPU thread $tid is not QEMU $pid's"
	grep -q "CPU" "/proc/$pid/task/$tid/comm" || fail "thread $tid: $(cat /proc/$pid/task/$tid/comm)"
	t=$(vmjs hog "v['cpu']['vcpus'][0]['time_ms']")
	all=$(vmjs hog "v['cpu']['time_ms']")
	[ "$t" -gt 0 ] && [ "$all" -ge "$t" ] || fail "times: vcpu $t, qemu $all"
	# the balloon's view, and the guest's own figures (the balloon
	# polls them every 2 s)
	[ "$(vmjs hog "v['balloon']['maximum_mib']")" = 256 ] || fail "balloon: $(cat "$T/ds.json")"
	for _ in $(seq 20); do
		g=$(vmjs hog "v['balloon'].get('guest', {}).get('stat-total-memory', 0)")
		[ "$g" -gt 0 ] && break
		sleep 0.5
	done
	# the guest's MemTotal, in bytes
	m=$(gval hog "sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo")
	[ "$g" = $((m * 1024)) ] || fail "guest total $g, MemTotal $m kB"
	q domstats hog | grep -q "^  balloon.available=$m\$" || fail "text: $(q domstats hog)"
}

# the guest writes 4 MiB to its disk: the disk's write bytes grow by that
t_block_write() {
	disk=$(vmjs hog "v['block'][0]['name']")
	[ -n "$disk" ] || fail "no disk"
	w0=$(vmjs hog "sum(b['wr_bytes'] for b in v['block'])")
	gx hog "dd if=/dev/zero of=/dev/vda bs=64k count=64 conv=fsync 2>/dev/null; echo done" >/dev/null
	for _ in $(seq 20); do
		w1=$(vmjs hog "sum(b['wr_bytes'] for b in v['block'])")
		[ $((w1 - w0)) -ge 4194304 ] && break
		sleep 0.5
	done
	[ $((w1 - w0)) -ge 4194304 ] || fail "written: $w0 -> $w1"
	# the idle guest has no disk, hence no rows
	[ "$(vmjs idle "len(v['block'])")" = 0 ] || fail "idle's disks: $(cat "$T/ds.json")"
}

# pings from the namespace: the NIC's counters (the guest's view) grow
t_net_ping() {
	r0=$(vmjs hog "v['net'][0]['rx_bytes']")
	t0=$(vmjs hog "v['net'][0]['tx_bytes']")
	nsx busybox ping -c 5 -W 3 $NET.11 >/dev/null || fail "no answer from the guest"
	r1=$(vmjs hog "v['net'][0]['rx_bytes']")
	t1=$(vmjs hog "v['net'][0]['tx_bytes']")
	# 5 echo requests of 98 bytes in, 5 replies out, at least
	[ $((r1 - r0)) -ge 490 ] || fail "rx: $r0 -> $r1"
	[ $((t1 - t0)) -ge 490 ] || fail "tx: $t0 -> $t1"
	[ "$(vmjs hog "v['net'][0]['name']")" = "$(q iflist hog --json | sed -n 's/.*"interface": "\(.*\)",*/\1/p')" ] ||
	    fail "not the tap: $(cat "$T/ds.json")"
	# virsh's lines
	q domstats hog >"$T/ds.txt"
	grep -q "^  net.0.rx.bytes=[1-9]" "$T/ds.txt" || fail "text: $(cat "$T/ds.txt")"
	grep -q "^  vcpu.0.time=[1-9]" "$T/ds.txt" || fail "text: $(cat "$T/ds.txt")"
	grep -q "^  block.count=1$" "$T/ds.txt" || fail "text: $(cat "$T/ds.txt")"
}

# a VM shut off: its state only
t_shut_off() {
	[ "$(vmjs off "v['state']")" = "shut off" ] || fail "state: $(cat "$T/ds.json")"
	[ "$(vmjs off "'cpu' in v or 'block' in v")" = False ] || fail "figures: $(cat "$T/ds.json")"
}

# the hog: %CPU well above the idle guest's (the machine is shared: not
# a fixed 100%)
t_top_batch() {
	gx hog 'while :; do :; done &' >/dev/null
	sleep 1
	q top --batch --iterations 2 --delay 1 --csv "$T/top.csv" >"$T/top.out"
	[ "$(grep -c '^qlaunch top' "$T/top.out")" = 2 ] || fail "refreshes: $(cat "$T/top.out")"
	for n in hog idle off; do
		[ "$(grep -c " $n\$" "$T/top.out")" = 2 ] || fail "rows of $n: $(cat "$T/top.out")"
	done
	h=$(awk '$NF == "hog" { print $3 }' "$T/top.out" | tail -1)
	i=$(awk '$NF == "idle" { print $3 }' "$T/top.out" | tail -1)
	echo "top: hog ${h}% idle ${i}%"
	python3 -c "import sys; h, i = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if h >= 10 and h > 2 * i + 5 else 1)" "$h" "$i" ||
	    fail "hog ${h}%, idle ${i}%: $(cat "$T/top.out")"
	head -1 "$T/top.csv" | grep -q '^time,id,name,state,cpu_pct,mem_mib,' || fail "csv: $(cat "$T/top.csv")"
	[ "$(grep -c ',hog,running,' "$T/top.csv")" = 2 ] || fail "csv: $(cat "$T/top.csv")"
	[ "$(grep -c ',idle,running,' "$T/top.csv")" = 2 ] || fail "csv: $(cat "$T/top.csv")"
	# sorted by %CPU: the hog first
	[ "$(awk '$1 ~ /^[0-9-]+$/ && NF >= 9 { print $NF; exit }' "$T/top.out")" = hog ] ||
	    fail "order: $(cat "$T/top.out")"
	q top --batch --iterations 1 --delay 0.5 --sort name >"$T/top.out"
	[ "$(awk '$1 ~ /^[0-9-]+$/ && NF >= 9 { print $NF; exit }' "$T/top.out")" = hog ] ||
	    fail "by name: $(cat "$T/top.out")"
}

# on a terminal (script's): redrawn in place, N sorts by name, q quits
t_top_terminal() {
	(sleep 2; printf N; sleep 1.5; printf q) |
	    timeout 20 script -qfec "$QLAUNCH top --delay 0.5" /dev/null >"$T/tty.out" ||
	    fail "top on a terminal: $(tail -5 "$T/tty.out")"
	grep -q $'\033\[H\033\[2J' "$T/tty.out" || fail "not redrawn: $(head -5 "$T/tty.out")"
	grep -q "sorted by cpu" "$T/tty.out" || fail "no table by cpu"
	tr -d '\r' <"$T/tty.out" | awk '/sorted by name/ { s = 1 } s && $1 ~ /^[0-9-]+$/ && NF >= 9 { print $NF; exit }' >"$T/first"
	[ "$(cat "$T/first")" = hog ] || fail "by name after N: $(tail -8 "$T/tty.out")"
}

# the web page's stream: one JSON object a line, with rates
t_watch_json() {
	q domstats --watch --json --delay 0.5 --iterations 3 hog idle >"$T/w.out"
	[ "$(wc -l <"$T/w.out")" = 3 ] || fail "lines: $(cat "$T/w.out")"
	python3 - "$T/w.out" <<'PY' || fail "stream: $(cat "$T/w.out")"
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    names = sorted(v["name"] for v in d["vms"])
    assert names == ["hog", "idle"], names
    for v in d["vms"]:
        assert "rates" in v and v["rates"]["cpu_pct"] >= 0, v
PY
}

t_errors() {
	one_line_error "no VM named 'nosuch'" q domstats nosuch
	one_line_error "no VM named 'nosuch'" q domstats --watch --iterations 1 nosuch
	one_line_error "--delay '0': seconds" q top --delay 0
	one_line_error "--sort 'x': one of" q top --sort x
	usage_error "--delay and --iterations go with --watch" q domstats --delay 1
}

make_netns || exit 1
nsx ip link add br0 type bridge
nsx ip addr add $NET.1/24 dev br0
nsx ip link set br0 up
start_daemon || exit 1
run_tests guests vcpu_times block_write net_ping shut_off top_batch \
    top_terminal watch_json errors
