#!/bin/bash
# Guest memory end to end, as the guest sees it: a DIMM hot-plugged with
# attach-memory (MemTotal grows; the guest onlines it through
# memhp_default_state=online) and kept by the definition across a
# restart, save/restore and a migration; detach-memory of a DIMM the
# guest onlined as movable (MemTotal comes back); virtio-mem grown and
# shrunk with setmem --hotplug (MemTotal follows); hugepages reserved on the host and taken by
# QEMU (memfd, and a hugetlbfs mount of the test's own), a clear error
# and nothing running without them; two NUMA nodes in the guest.
. "$(dirname "$0")/lib.sh"

need_root "reserving hugepages"
HP=/proc/sys/vm/nr_hugepages
HP_SAVED=$(cat $HP)
FREE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
trap 'echo "$HP_SAVED" >$HP; cleanup' EXIT

# mkvm NAME MEMORY APPEND [create flags...]: create_guest's, with these
mkvm() {
	local name=$1 mem=$2 app=$3; shift 3
	q create "$name" --memory "$mem" --accel tcg,tb-size=32 \
	    --kernel "$GUEST/bzImage" --initrd "$GUEST/initrd.img" \
	    --append "$app" "$@" >/dev/null
}

memtotal() { gval "$1" "sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo"; }

t_dimm_hotplug() {
	mkvm m1 256,maxmemory=1024,slots=4 "$APPEND memhp_default_state=online" \
	    --start
	wait_ready m1
	q cmdline m1 | grep -A1 -x -- -m | grep -qx "256M,slots=4,maxmem=1024M" ||
	    fail "cmdline: $(q cmdline m1)"
	before=$(memtotal m1)
	[ -n "$before" ] || fail "no MemTotal"
	t0=$(date +%s%N)
	q attach-memory m1 128M --live --config >/dev/null
	echo "attach-memory took $((($(date +%s%N) - t0) / 1000000)) ms"
	# the guest onlines the new block: about 128 MiB more
	for _ in $(seq 30); do
		after=$(memtotal m1)
		[ $((after - before)) -ge $((120 * 1024)) ] && break
		sleep 1
	done
	grow=$((after - before))
	echo "MemTotal $before kB -> $after kB (+$((grow / 1024)) MiB)"
	[ $grow -ge $((120 * 1024)) ] && [ $grow -le $((136 * 1024)) ] ||
	    fail "MemTotal grew by $grow kB"
	# the definition has it: a restart brings it back
	q dumpconfig m1 | grep -q "^dimm: 128M,id=0$" || fail "def: $(q dumpconfig m1)"
	# past maxmemory: one line, nothing changes
	one_line_error "more than maxmemory 1024M" q attach-memory m1 768M --live
	q destroy m1 >/dev/null
	q start m1 >/dev/null
	wait_ready m1
	again=$(memtotal m1)
	[ $((again - before)) -ge $((120 * 1024)) ] ||
	    fail "after restart MemTotal $again kB (was $before without the DIMM)"
	q destroy m1 >/dev/null
}

# A DIMM plugged live only (the stored definition lacks it): save and
# restore, then a migration to a second supervisor, bring the same objects
# and devices (the guest keeps its memory; QEMU refuses a stream whose
# RAM blocks it lacks)
t_dimm_save_migrate() {
	mkvm m2 256,maxmemory=1024,slots=4 "$APPEND memhp_default_state=online" \
	    --start
	wait_ready m2
	before=$(memtotal m2)
	q attach-memory m2 128M --live >/dev/null
	wait_grown() {
		for _ in $(seq 30); do
			[ $(($(memtotal m2) - before)) -ge $((120 * 1024)) ] && return 0
			sleep 1
		done
		fail "MemTotal $(memtotal m2) kB, $before kB before"
	}
	wait_grown
	! q dumpconfig m2 | grep -q "^dimm:" || fail "--live only went to the definition"
	q save m2 "$T/m2.sav" >/dev/null
	q restore "$T/m2.sav" >/dev/null
	wait_state m2 running
	wait_grown
	start_daemon "$T/stateB" "$T/b.sock" || fail "B did not start"
	q migrate m2 "unix:$T/b.sock" >/dev/null 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	after=$(QLAUNCH_SOCKET=$T/b.sock memtotal m2)
	[ $((after - before)) -ge $((120 * 1024)) ] || fail "on B MemTotal $after kB"
	QLAUNCH_SOCKET=$T/b.sock q cmdline m2 | grep -q '"id":"memdimm0","memdev":"mem-0"' ||
	    fail "B's cmdline: $(QLAUNCH_SOCKET=$T/b.sock q cmdline m2)"
	QLAUNCH_SOCKET=$T/b.sock q destroy m2 >/dev/null
}

# detach-memory: a guest that onlines new memory as movable lets it go;
# MemTotal comes back, and the definition loses the line.  The DIMM's
# memory blocks must be in ZONE_MOVABLE: offlining a block of
# ZONE_NORMAL waits on (or fails at) the kernel's own unmovable pages
# there.  The test guest's init used to write "online" into
# auto_online_blocks after boot, overriding the command line's
# memhp_default_state=online_movable: the DIMM went to ZONE_NORMAL and
# its unplug outlasted the 30 s wait (every time with the guest of then
# on this machine, once in a while in a full run).
t_dimm_unplug() {
	local t0 zones
	mkvm m3 256,maxmemory=1024,slots=4 \
	    "$APPEND memhp_default_state=online_movable" --start
	wait_ready m3
	before=$(memtotal m3)
	q attach-memory m3 128M --live --config >/dev/null
	for _ in $(seq 30); do
		[ $(($(memtotal m3) - before)) -ge $((120 * 1024)) ] && break
		sleep 1
	done
	[ $(($(memtotal m3) - before)) -ge $((120 * 1024)) ] || fail "not plugged"
	# the DIMM's blocks (those that can be offlined) are all movable
	zones=$(gval m3 'cat /sys/devices/system/memory/memory*/valid_zones | grep -v none | sort | uniq -c | tr -s " \n" " "')
	echo "memory block zones: $zones"
	case $zones in *Movable*) ;; *) fail "no movable block: $zones" ;; esac
	t0=$(date +%s%N)
	q detach-memory m3 memdimm0 --live --config >/dev/null 2>"$T/err" ||
	    fail "detach: $(cat "$T/err")"
	echo "detach-memory took $((($(date +%s%N) - t0) / 1000000)) ms"
	after=$(memtotal m3)
	echo "MemTotal $before kB, after unplug $after kB"
	[ "$after" = "$before" ] || fail "MemTotal $after kB, $before kB before"
	! q dumpconfig m3 | grep -q "^dimm:" || fail "def kept it"
	q qmp m3 '{"execute": "query-memory-devices"}' | grep -q memdimm0 &&
	    fail "QEMU still has memdimm0"
	q destroy m3 >/dev/null
}

# virtio-mem: setmem --hotplug sets the device's requested size; the
# guest's virtio_mem driver plugs that much (MemTotal grows by it) and
# unplugs it again when the size goes back to 0 (MemTotal as before);
# QEMU's plugged size follows, and the definition keeps the request
t_virtio_mem() {
	local before after want size
	mkvm v1 256,maxmemory=1024,slots=2 "$APPEND" --virtio-mem 512M --start
	wait_ready v1
	[ "$(gval v1 'ls /sys/bus/virtio/drivers/virtio_mem | grep -c virtio')" = 1 ] ||
	    fail "the guest's virtio_mem driver has no device"
	before=$(memtotal v1)
	q setmem v1 256M --hotplug --live --config >/dev/null
	q qmp v1 '{"execute": "query-memory-devices"}' >"$T/md"
	grep -q '"type": "virtio-mem"' "$T/md" || fail "no virtio-mem: $(cat "$T/md")"
	tr -d ' \n' <"$T/md" | grep -q '"requested-size":268435456' ||
	    fail "requested-size: $(cat "$T/md")"
	want=$((before + 256 * 1024))
	for _ in $(seq 60); do
		after=$(memtotal v1)
		[ "$after" -ge "$want" ] && break
		sleep 1
	done
	echo "virtio-mem 256M: MemTotal $before kB -> $after kB"
	[ "$after" = "$want" ] || fail "MemTotal $after kB, $want kB wanted"
	size=$(q qmp v1 '{"execute": "query-memory-devices"}' | tr -d ' \n' |
	    sed -n 's/.*"size":\([0-9]*\),.*/\1/p')
	[ "$size" = 268435456 ] || fail "QEMU's plugged size $size"
	q dumpconfig v1 | grep -q "^virtio_mem: 512M,requested=256M$" ||
	    fail "def: $(q dumpconfig v1)"
	one_line_error "1024M is more than the virtio-mem device's size 512M" \
	    q setmem v1 1G --hotplug --live
	# back to 0: the guest gives all of it back
	q setmem v1 0 --hotplug --live >/dev/null
	for _ in $(seq 60); do
		after=$(memtotal v1)
		[ "$after" -le "$before" ] && break
		sleep 1
	done
	echo "virtio-mem 0: MemTotal $after kB"
	[ "$after" = "$before" ] || fail "MemTotal $after kB, $before kB before"
	size=$(q qmp v1 '{"execute": "query-memory-devices"}' | tr -d ' \n' |
	    sed -n 's/.*"size":\([0-9]*\),.*/\1/p')
	[ "$size" = 0 ] || fail "QEMU's plugged size $size after shrinking"
	q destroy v1 >/dev/null
}

t_hugepages_memfd() {
	echo $((HP_SAVED + 40)) >$HP
	free0=$(cat $FREE)
	[ "$free0" -ge 32 ] || fail "could not reserve 40 hugepages ($free0 free)"
	mkvm h1 64 "$APPEND" --memorybacking hugepages=2M,prealloc=on \
	    --start
	free1=$(cat $FREE)
	echo "HugePages free $free0 -> $free1"
	[ $((free0 - free1)) -eq 32 ] || fail "free hugepages $free0 -> $free1"
	q cmdline h1 | grep -q '"qom-type":"memory-backend-memfd","id":"pc.ram","size":67108864,"hugetlb":true,"hugetlbsize":2097152' ||
	    fail "cmdline: $(q cmdline h1)"
	q destroy h1 >/dev/null
	[ "$(cat $FREE)" -eq "$free0" ] || fail "pages not given back"
}

t_hugepages_hugetlbfs() {
	echo $((HP_SAVED + 40)) >$HP
	mkdir -p "$T/hugepages"
	mount -t hugetlbfs -o pagesize=2M none "$T/hugepages"
	free0=$(cat $FREE)
	mkvm h2 64 "$APPEND" \
	    --memorybacking "hugepages=2M,source=file,path=$T/hugepages,prealloc=on" \
	    --start
	free1=$(cat $FREE)
	echo "HugePages free $free0 -> $free1"
	[ $((free0 - free1)) -eq 32 ] || fail "free hugepages $free0 -> $free1"
	q destroy h2 >/dev/null
	umount "$T/hugepages"
}

# Too few pages: one clear line, no QEMU left, the VM shut off
t_hugepages_missing() {
	echo "$HP_SAVED" >$HP
	free0=$(cat $FREE)
	[ "$free0" -lt 32 ] || { echo "$free0 pages free already: skipped"; return 0; }
	mkvm h3 64 "$APPEND" --memorybacking hugepages=2M
	one_line_error "32 hugepages of 2048 kB needed, the host has" \
	    q start h3
	[ "$(q state h3)" = "shut off" ] || fail "state $(q state h3)"
	! pgrep -f "h3,debug-threads=on.*$T/" >/dev/null || fail "a QEMU runs"
	# a host node that is not there
	mkvm h4 128 "$APPEND" --memorybacking hostnodes=63
	one_line_error "hostnodes: the host has no NUMA node 63" q start h4
	[ "$(q state h4)" = "shut off" ] || fail "state $(q state h4)"
}

t_numa() {
	create_guest n1 --vcpus 2 \
	    --numa "node0=cpus=0,mem=128M; node1=cpus=1,mem=128M" --start
	wait_ready n1
	nodes=$(gval n1 "ls -d /sys/devices/system/node/node[0-9]* | wc -l")
	[ "$nodes" = 2 ] || fail "the guest has $nodes nodes"
	cpus1=$(gval n1 "cat /sys/devices/system/node/node1/cpulist")
	[ "$cpus1" = 1 ] || fail "node1 has cpus '$cpus1'"
	q destroy n1 >/dev/null
}

start_daemon || exit 1
run_tests dimm_hotplug dimm_save_migrate dimm_unplug virtio_mem hugepages_memfd \
    hugepages_hugetlbfs hugepages_missing numa
