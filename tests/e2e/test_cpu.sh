#!/bin/bash
# vCPUs end to end: virt-install's --vcpus N,maxvcpus=M; virsh's setvcpus
# --live plugs and unplugs CPU devices and the guest's online CPUs follow
# (its init onlines hot-added CPUs, as udev does); --config changes the
# definition only; vcpupin and emulatorpin set the affinity of QEMU's
# threads (what /proc says of them), and it holds after a restart.
. "$(dirname "$0")/lib.sh"

start_daemon

# The guest with QEMU's default translation buffer: QEMU 7.2's threaded TCG
# aborts when a vCPU is plugged after the others filled a small one
# (tb-size=32: tcg_region_initial_alloc__locked's assertion), and its
# single-threaded TCG cannot unplug (qemu_thread_join: deadlock).
cpu_guest() {
	local name=$1; shift
	q create "$name" --memory 256 --accel tcg \
	    --kernel "$GUEST/bzImage" --initrd "$GUEST/initrd.img" \
	    --append "$APPEND" "$@" >/dev/null
}
online() { gval "$1" 'cat /sys/devices/system/cpu/online'; }
# the thread id of vCPU N
vcpu_tid() { q vcpuinfo "$1" --json | tr -d ' \n' | sed 's/},{/}\n{/g' | grep "\"vcpu\":$2," | sed -n 's/.*"thread_id":\([0-9]*\).*/\1/p'; }
allowed() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$1/task/$2/status"; }

t_setvcpus_live() {
	cpu_guest c1 --vcpus 1,maxvcpus=4 --start
	wait_ready c1
	q cmdline c1 | grep -A1 -x -- -smp | grep -qx '1,maxcpus=4' || fail "cmdline: $(q cmdline c1 | grep -A1 -- -smp)"
	[ "$(online c1)" = 0 ] || fail "online at boot: $(online c1)"
	q setvcpus c1 3 --live
	wait_gval c1 'cat /sys/devices/system/cpu/online' 0-2
	q info c1 --json | tr -d ' ' | grep -q '"vcpus":3,' || fail "info: $(q info c1 --json)"
	# the stored definition did not change
	q dumpxml c1 | grep -q '^vcpus: 1,maxvcpus=4' || fail "stored changed"
	[ "$(q vcpuinfo c1 --json | grep -c '"vcpu"')" = 3 ] || fail "vcpuinfo: $(q vcpuinfo c1)"
	q setvcpus c1 1 --live
	wait_gval c1 'cat /sys/devices/system/cpu/online' 0
	[ "$(q vcpuinfo c1 --json | grep -c '"vcpu"')" = 1 ] || fail "vcpuinfo after unplug"
	# more than maxvcpus, fewer than -smp: one line, nothing changed
	one_line_error "more than the 4 vCPUs" q setvcpus c1 5 --live
	one_line_error "count '0'" q setvcpus c1 0 --live
	[ "$(online c1)" = 0 ] || fail "online after refusals: $(online c1)"
	# under TCG a plug after an unplug would abort QEMU: refused
	one_line_error "plugged after one was unplugged" q setvcpus c1 2 --live
	[ "$(q state c1)" = running ] || fail "c1: $(q state --reason c1)"
	[ "$(online c1)" = 0 ] || fail "online after the refusal: $(online c1)"
}

t_setvcpus_config() {
	up c1
	q setvcpus c1 2 --config
	q dumpxml c1 | grep -q '^vcpus: 2,maxvcpus=4' || fail "stored: $(q dumpxml c1 | grep vcpus)"
	# the running guest is as it was
	[ "$(online c1)" = 0 ] || fail "config changed the guest: $(online c1)"
	q setvcpus c1 3 --maximum --config
	q dumpxml c1 | grep -q '^vcpus: 2,maxvcpus=3' || fail "maximum: $(q dumpxml c1 | grep vcpus)"
	one_line_error "more than maxvcpus 3" q setvcpus c1 4 --config
	q destroy c1 >/dev/null
	q start c1 >/dev/null
	wait_ready c1
	[ "$(online c1)" = 0-1 ] || fail "after restart: $(online c1)"
}

t_vcpupin() {
	up c1
	pid=$(vm_pid c1)
	tid=$(vcpu_tid c1 0)
	[ -n "$tid" ] || fail "no thread for vCPU 0"
	q vcpupin c1 0 1
	[ "$(allowed "$pid" "$tid")" = 1 ] || fail "vCPU 0 thread: $(allowed "$pid" "$tid")"
	q vcpupin c1 | grep -Eq '^ *0 +1$' || fail "table: $(q vcpupin c1)"
	q vcpuinfo c1 | grep -q '^CPU Affinity: *-y' || fail "vcpuinfo: $(q vcpuinfo c1)"
	q emulatorpin c1 0 --live
	[ "$(allowed "$pid" "$pid")" = 0 ] || fail "emulator: $(allowed "$pid" "$pid")"
	q emulatorpin c1 | grep -q '\*: 0$' || fail "emulatorpin: $(q emulatorpin c1)"
	one_line_error "the host has no CPU 64" q vcpupin c1 0 64
	one_line_error "is not a CPU list" q vcpupin c1 0 1-x
	# --config too, and it holds after a restart
	q vcpupin c1 0 1 --config
	q emulatorpin c1 0 --config
	q dumpxml c1 | grep -q '^cputune: emulatorpin=0,vcpupin0=1$' || fail "stored: $(q dumpxml c1 | grep cputune)"
	q destroy c1 >/dev/null
	q start c1 >/dev/null
	wait_ready c1
	pid=$(vm_pid c1)
	tid=$(vcpu_tid c1 0)
	[ "$(allowed "$pid" "$tid")" = 1 ] || fail "after restart: vCPU 0 $(allowed "$pid" "$tid")"
	[ "$(allowed "$pid" "$pid")" = 0 ] || fail "after restart: emulator $(allowed "$pid" "$pid")"
	# a hot-plugged vCPU gets its pin too
	q vcpupin c1 1 0 --config
	q setvcpus c1 2 --live 2>/dev/null || true
	q vcpupin c1 1 0 --live
	tid1=$(vcpu_tid c1 1)
	[ -n "$tid1" ] && [ "$(allowed "$pid" "$tid1")" = 0 ] || fail "vCPU 1: $(allowed "$pid" "$tid1")"
}

# a hot-plugged vCPU is a device with its id in the restored QEMU too
t_save_restore() {
	cpu_guest c2 --vcpus 1,maxvcpus=2 --start
	wait_ready c2
	q setvcpus c2 2 --live
	wait_gval c2 'cat /sys/devices/system/cpu/online' 0-1
	q save c2 "$T/c2.save" >/dev/null
	q restore "$T/c2.save" >/dev/null
	wait_state c2 running
	[ "$(online c2)" = 0-1 ] || fail "after restore: $(online c2)"
	# and it can be unplugged there, by its id
	q setvcpus c2 1 --live
	wait_gval c2 'cat /sys/devices/system/cpu/online' 0
	q destroy c2 >/dev/null
}

# migration to a second supervisor: the destination's QEMU has the
# hot-plugged vCPU as a device (it runs, and unplugs by its id there) and
# the pinning of the running definition
t_migrate() {
	need_root "migration between two supervisors" || return 0
	BSOCK=$T/b.sock
	mkdir -p "$T/stateB"
	start_daemon "$T/stateB" "$BSOCK" || fail "B did not start"
	cpu_guest c3 --vcpus 1,maxvcpus=2 --start
	wait_ready c3
	q setvcpus c3 2 --live
	wait_gval c3 'cat /sys/devices/system/cpu/online' 0-1
	q vcpupin c3 1 0 --live
	q migrate c3 "unix:$BSOCK" >/dev/null 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	[ "$(QLAUNCH_SOCKET=$BSOCK q state c3)" = running ] || fail "B: $(QLAUNCH_SOCKET=$BSOCK q state --reason c3)"
	[ "$(QLAUNCH_SOCKET=$BSOCK online c3)" = 0-1 ] || fail "on B: $(QLAUNCH_SOCKET=$BSOCK online c3)"
	pid=$(QLAUNCH_SOCKET=$BSOCK vm_pid c3)
	tid=$(QLAUNCH_SOCKET=$BSOCK vcpu_tid c3 1)
	[ -n "$tid" ] && [ "$(allowed "$pid" "$tid")" = 0 ] || fail "B's vCPU 1: '$tid' $(allowed "$pid" "$tid")"
	QLAUNCH_SOCKET=$BSOCK q setvcpus c3 1 --live
	QLAUNCH_SOCKET=$BSOCK wait_gval c3 'cat /sys/devices/system/cpu/online' 0
	QLAUNCH_SOCKET=$BSOCK q destroy c3 >/dev/null
}

run_tests setvcpus_live setvcpus_config vcpupin save_restore migrate
