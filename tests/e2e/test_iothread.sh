#!/bin/bash
# IOThreads end to end: virt-install's --iothreads 2 and a virtio disk on
# iothread 1 (driver.iothread=1), pinned by cputune's iothreadpin1.  The
# iothread's host thread (query-iothreads' thread-id, named "IO
# iothread1" by QEMU) has the pinned CPUs in /proc/PID/task/TID/status,
# after a restart too; iothreadpin --live changes it and emulatorpin
# leaves it alone; the guest writes a file on the disk and reads it back
# from a fresh mount; iothreadadd/iothreaddel --live add and remove the
# thread in QEMU; attach-disk --iothread puts a hot-plugged disk on one;
# a migration's destination pins it again; refusals are one line each.
. "$(dirname "$0")/lib.sh"
QEMU_IMG=${QEMU_IMG:-qemu-img}

start_daemon

# The host's last CPU and the first: the pins move between them.
LAST=$(($(nproc) - 1))

# the thread id of iothread ID of VM NAME, from QEMU's query-iothreads
io_tid() {
	q qemu-monitor-command "$1" '{"execute": "query-iothreads"}' |
	    tr -d ' \n' | sed 's/},{/}\n{/g' | grep "\"id\":\"iothread$2\"" |
	    sed -n 's/.*"thread-id":\([0-9]*\).*/\1/p'
}
allowed() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$1/task/$2/status"; }
# the affinity of iothread ID of NAME as /proc says it
io_allowed() {
	local pid tid
	pid=$(vm_pid "$1")
	tid=$(io_tid "$1" "$2")
	[ -n "$tid" ] || { echo "no-thread"; return; }
	allowed "$pid" "$tid"
}

io_guest() {
	local name=$1; shift
	truncate -s 32M "$T/fs.raw"
	mkfs.ext4 -q -F "$T/fs.raw" || return 1
	"$QEMU_IMG" convert -f raw -O qcow2 "$T/fs.raw" "$T/$name.qcow2" || return 1
	rm -f "$T/fs.raw"
	create_guest "$name" --iothreads 2 \
	    --disk "$T/$name.qcow2,format=qcow2,driver.iothread=1" \
	    --cputune "iothreadpin1=$LAST" "$@"
}

# the guest writes WORD into a file on its disk, then reads it back from
# a fresh mount (its page cache dropped)
write_read() {
	local word=$2
	gx "$1" "mkdir -p /mnt/d && mount /dev/vda /mnt/d && echo $word >/mnt/d/f && sync && umount /mnt/d && echo 3 >/proc/sys/vm/drop_caches && echo done" >/dev/null
	[ "$(gval "$1" 'mount /dev/vda /mnt/d && cat /mnt/d/f; umount /mnt/d')" = "$word" ] ||
	    fail "the guest read '$(gval "$1" 'mount /dev/vda /mnt/d; cat /mnt/d/f; umount /mnt/d')', not $word"
}

t_pinned() {
	io_guest io1 --start || return 1
	wait_ready io1
	q dumpconfig io1 | grep -qx 'iothreads: 2' || fail "no iothreads line: $(q dumpconfig io1)"
	q cmdline io1 >"$T/cmdline"
	grep -A1 -x -- -object "$T/cmdline" | grep -cx 'iothread,id=iothread[12]' | grep -qx 2 ||
	    fail "cmdline: $(grep -A1 -- -object "$T/cmdline")"
	grep -q '"driver":"virtio-blk-pci","id":"vda",.*"iothread":"iothread1"' "$T/cmdline" ||
	    fail "disk device: $(grep virtio-blk "$T/cmdline")"
	pid=$(vm_pid io1)
	tid=$(io_tid io1 1)
	[ -n "$tid" ] || fail "query-iothreads has no iothread1"
	[ "$(cat "/proc/$pid/task/$tid/comm")" = "IO iothread1" ] ||
	    fail "thread $tid is '$(cat "/proc/$pid/task/$tid/comm")'"
	[ "$(allowed "$pid" "$tid")" = "$LAST" ] || fail "iothread1: $(allowed "$pid" "$tid")"
	q iothreadinfo io1 >"$T/info"
	grep -Eq "^ *1 +$LAST\$" "$T/info" || fail "iothreadinfo: $(cat "$T/info")"
	grep -Eq '^ *2 +[0-9]' "$T/info" || fail "iothreadinfo: $(cat "$T/info")"
	q iothreadinfo io1 --json | tr -d ' \n' | grep -q "\"id\":1,\"thread_id\":$tid," ||
	    fail "--json: $(q iothreadinfo io1 --json)"
	write_read io1 iothread-$RANDOM
}

t_restart() {
	up io1
	q destroy io1 >/dev/null
	q start io1 >/dev/null
	wait_ready io1
	[ "$(io_allowed io1 1)" = "$LAST" ] || fail "after restart: $(io_allowed io1 1)"
	write_read io1 again-$RANDOM
}

t_iothreadpin_live() {
	up io1
	q iothreadpin io1 1 0 --live
	[ "$(io_allowed io1 1)" = 0 ] || fail "after iothreadpin --live: $(io_allowed io1 1)"
	q iothreadinfo io1 | grep -Eq '^ *1 +0$' || fail "iothreadinfo: $(q iothreadinfo io1)"
	# the stored definition keeps its pin; --config shows it
	q dumpconfig io1 | grep -qx "cputune: iothreadpin1=$LAST" || fail "stored: $(q dumpconfig io1 | grep cputune)"
	q iothreadinfo io1 --config | grep -Eq "^ *1 +$LAST\$" || fail "--config: $(q iothreadinfo io1 --config)"
	# the emulator's pin leaves the iothreads alone
	q emulatorpin io1 "$LAST" --live
	[ "$(io_allowed io1 1)" = 0 ] || fail "emulatorpin moved iothread1: $(io_allowed io1 1)"
	[ "$(allowed "$(vm_pid io1)" "$(vm_pid io1)")" = "$LAST" ] || fail "emulator not pinned"
	# iothread 2 has no pin of its own: it is an iothread, not the emulator
	[ "$(io_allowed io1 2)" != no-thread ] || fail "no iothread2"
	one_line_error "the host has no CPU 64" q iothreadpin io1 1 64
	one_line_error "is not a CPU list" q iothreadpin io1 1 1-x
	one_line_error "it has no iothread 5" q iothreadpin io1 5 0
	[ "$(io_allowed io1 1)" = 0 ] || fail "a refusal changed the pin"
	write_read io1 pinned-$RANDOM
}

t_add_del() {
	up io1
	q iothreadadd io1 3 --live
	[ "$(io_allowed io1 3)" != no-thread ] || fail "QEMU has no iothread3"
	q iothreadinfo io1 | grep -Eq '^ *3 ' || fail "iothreadinfo: $(q iothreadinfo io1)"
	q iothreadpin io1 3 0 --live
	[ "$(io_allowed io1 3)" = 0 ] || fail "iothread3: $(io_allowed io1 3)"
	one_line_error "has iothread 3 already" q iothreadadd io1 3
	one_line_error "iothread 1 is used by disk vda" q iothreaddel io1 1
	q iothreaddel io1 3 --live
	[ "$(io_allowed io1 3)" = no-thread ] || fail "iothread3 still there"
	# a hot-plugged disk on iothread 2: QEMU's device has it, the guest
	# sees the disk, and iothread 2 cannot go while it is there
	truncate -s 64M "$T/hp.img"
	q attach-disk io1 "$T/hp.img" vdb --live --subdriver raw --iothread 2 >/dev/null
	q qemu-monitor-command io1 '{"execute": "qom-get", "arguments": {"path": "/machine/peripheral/vdb", "property": "iothread"}}' |
	    grep -q iothread2 || fail "vdb's iothread: $(q qemu-monitor-command io1 '{"execute": "qom-get", "arguments": {"path": "/machine/peripheral/vdb", "property": "iothread"}}')"
	wait_gval io1 'cat /sys/block/vdb/size' 131072
	one_line_error "iothread 2 is used by disk vdb" q iothreaddel io1 2 --live
	q detach-disk io1 vdb --live >/dev/null
	q iothreaddel io1 2 --live
	[ "$(io_allowed io1 2)" = no-thread ] || fail "iothread2 still there"
	q iothreadadd io1 2 --live
	q iothreadinfo io1 | grep -Eq '^ *3 ' && fail "iothreadinfo after del: $(q iothreadinfo io1)"
	# --config: the stored definition only
	q iothreadadd io1 4 --config
	q dumpconfig io1 | grep -qx 'iothreads: 3,ids=1-2,,4' || fail "stored: $(q dumpconfig io1 | grep iothreads)"
	[ "$(io_allowed io1 4)" = no-thread ] || fail "--config added a thread"
	q iothreaddel io1 4 --config
	q dumpconfig io1 | grep -qx 'iothreads: 2' || fail "stored after del: $(q dumpconfig io1 | grep iothreads)"
	# a definition naming a missing iothread: file, line and key
	printf 'name: bad\naccel: tcg\niothreads: 1\ndisk: %s,format=raw,iothread=2\n' "$T/x.img" >"$T/bad.conf"
	one_line_error "bad.conf:4: disk: vda: iothread=2: the VM has no iothread 2" q define "$T/bad.conf"
	printf 'name: bad\naccel: tcg\niothreads: 1\ndisk: %s,format=raw,bus=scsi,iothread=1\n' "$T/x.img" >"$T/bad.conf"
	one_line_error "bad.conf:4: disk: iothread=1: only a virtio disk has an iothread" q define "$T/bad.conf"
	! q list --all | grep -qw bad || fail "bad was defined"
}

# a migration's destination pins the iothread as the source's running
# definition says
t_migrate() {
	need_root "migration between two supervisors" || return 0
	BSOCK=$T/b.sock
	mkdir -p "$T/stateB"
	start_daemon "$T/stateB" "$BSOCK" || fail "B did not start"
	up io1
	q iothreadpin io1 1 0 --live
	q migrate io1 "unix:$BSOCK" >/dev/null 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	[ "$(QLAUNCH_SOCKET=$BSOCK q state io1)" = running ] || fail "B: $(QLAUNCH_SOCKET=$BSOCK q state --reason io1)"
	[ "$(QLAUNCH_SOCKET=$BSOCK io_allowed io1 1)" = 0 ] || fail "B's iothread1: $(QLAUNCH_SOCKET=$BSOCK io_allowed io1 1)"
	QLAUNCH_SOCKET=$BSOCK write_read io1 moved-$RANDOM
	QLAUNCH_SOCKET=$BSOCK q destroy io1 >/dev/null
}

run_tests pinned restart iothreadpin_live add_del migrate
