#!/bin/bash
# Migration with the disks (--copy-storage) between two supervisors that
# do NOT share an image directory: A's image is in $T/imgA, B makes its
# own in its state directory.  A guest keeps a counter in /run and a
# mark on its virtio disk; it goes A -> B live with its disk (the stream
# and the NBD server over TCP on loopback): the counter
# goes on, the guest on B reads the mark, and once it is shut down B's
# image holds it while A's image is intact.  The destination's QEMU
# killed mid-copy leaves A running and B without images or definition.
# Offline migration of a shut off VM, with and without its disks, then a
# start on B that finds the mark; an offline copy cancelled halfway; a
# live copy with postcopy while the guest writes to its disk.
. "$(dirname "$0")/lib.sh"

need_root "migration between two supervisors"

MARK=QLAUNCH-MIGSTOR-MARK-$$
AIMG=$T/imgA/mv.qcow2
BIMG=$T/stateB/images/mv-vda.qcow2

# the mark in an image file, read with qemu-img (no QEMU may have it open)
mark_in_image() {
	rm -f "$T/raw"
	qemu-img convert -U -f qcow2 -O raw "$1" "$T/raw" || return 1
	dd if="$T/raw" bs=1M skip=1 count=1 2>/dev/null | grep -ac "$MARK"
	rm -f "$T/raw"
}

# nothing of mv on B: no VM, no QEMU, no images
b_clean() {
	for _ in $(seq 100); do
		qb list --all | grep -qw mv || break
		sleep 0.1
	done
	! qb list --all | grep -qw mv || fail "B still has mv: $(qb list --all)"
	! pgrep -f "$T/stateB/.*mv" >/dev/null || fail "a QEMU of B's mv runs"
	[ ! -e "$T/stateB/vms/mv.conf" ] || fail "B kept the definition"
	[ -z "$(ls "$T/stateB/images" 2>/dev/null)" ] ||
	    fail "B kept images: $(ls "$T/stateB/images")"
}

# A's guest runs on its own image, no job or NBD node left
a_runs_on() {
	local c1 c2
	[ "$(q state mv)" = running ] || fail "A's mv is $(q state --reason mv)"
	c1=$(counter "$T/ctl.sock")
	sleep 1
	c2=$(counter "$T/ctl.sock")
	[ -n "$c1" ] && [ "$c2" -gt "$c1" ] || fail "A's counter: $c1 then $c2"
	q qmp mv '{"execute": "query-block-jobs"}' >"$T/jobs"
	! grep -q mig- "$T/jobs" || fail "A keeps a job: $(cat "$T/jobs")"
	q qmp mv '{"execute": "query-named-block-nodes"}' >"$T/nodes"
	! grep -q '"mig-' "$T/nodes" || fail "A keeps an NBD node"
	[ "$(mark_on_disk "$T/ctl.sock")" = 1 ] || fail "the mark is not on A's disk"
}

t_guest_up() {
	mkdir -p "$T/stateB" "$T/imgA"
	start_daemon "$T/stateB" "$BSOCK" || fail "B did not start"
	create_guest mv --disk path="$AIMG",size=1,format=qcow2 --start
	wait_ready mv
	start_counter "$T/ctl.sock"
	sleep 1
	# 24 MiB of data after the mark: the copy has something to do
	gx mv "(printf '$MARK' | dd of=/dev/vda bs=1M seek=1 2>/dev/null; dd if=/dev/urandom of=/dev/vda bs=1M seek=8 count=24 2>/dev/null; sync; echo yes >/run/written) & echo started" |
	    grep -q started || fail "no writer"
	wait_gval mv 'cat /run/written' yes
}

# the destination's QEMU dies while the disk is copied (2 MiB/s: 12 s)
t_kill_destination() {
	local pid= rc=0
	"$QLAUNCH" migrate mv "unix:$BSOCK" --copy-storage --bandwidth 2 \
	    >"$T/mig.out" 2>"$T/mig.err" &
	local mig=$!
	for _ in $(seq 300); do
		pid=$(QLAUNCH_SOCKET=$BSOCK vm_pid mv 2>/dev/null)
		[ -n "$pid" ] && q qmp mv '{"execute": "query-block-jobs"}' 2>/dev/null |
		    grep -q '"mig-vda"' && break
		pid=
		sleep 0.1
	done
	[ -n "$pid" ] || fail "no mirror to B: $(cat "$T/mig.err")"
	local t0
	t0=$(date +%s%N)
	kill -9 "$pid"
	wait "$mig" || rc=$?
	echo "the source noticed in $((($(date +%s%N) - t0) / 1000000)) ms: $(cat "$T/mig.err")"
	[ "$rc" = 1 ] || fail "migrate ended with $rc: $(cat "$T/mig.err")"
	[ "$(wc -l <"$T/mig.err")" -eq 1 ] || fail "not one line: $(cat "$T/mig.err")"
	grep -q "migration of 'mv' to $BSOCK failed" "$T/mig.err" ||
	    fail "said: $(cat "$T/mig.err")"
	a_runs_on
	b_clean
}

t_live() {
	local c1
	c1=$(counter "$T/ctl.sock")
	# over TCP on loopback: the stream and the NBD server both
	q migrate mv "unix:$BSOCK" --copy-storage --listen-address 127.0.0.1 \
	    --json >"$T/out" 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	grep -q '"job": *"copy-storage"' "$T/out" || fail "no copy progress: $(head -c 600 "$T/out")"
	grep -q '"uri": *"tcp:127.0.0.1:' "$T/out" || fail "not over TCP: $(tail -c 600 "$T/out")"
	[ "$(qb state --reason mv)" = "running (migrated)" ] || fail "B: $(qb state --reason mv)"
	! q list --all | grep -qw mv || fail "A still has mv"
	grep -q "^disk: $BIMG," "$T/stateB/vms/mv.conf" || fail "B's definition: $(cat "$T/stateB/vms/mv.conf")"
	counter_goes_on "$BSOCK" "$c1"
	[ "$(mark_on_disk "$BSOCK")" = 1 ] || fail "the guest on B does not read the mark"
	# the data after it too
	local sumb suma
	# (read in the background: under TCG it may outlast the console's wait)
	QLAUNCH_SOCKET=$BSOCK gx mv 'rm -f /run/sum; (echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=1M skip=8 count=24 2>/dev/null | md5sum | cut -c1-32 >/run/sum.t; mv /run/sum.t /run/sum) & echo started' |
	    grep -q started || fail "no reader on B"
	for _ in $(seq 60); do
		sumb=$(QLAUNCH_SOCKET=$BSOCK gval mv 'cat /run/sum 2>/dev/null')
		[ -n "$sumb" ] && break
		sleep 1
	done
	qemu-img convert -U -f qcow2 -O raw "$AIMG" "$T/rawA"
	suma=$(dd if="$T/rawA" bs=1M skip=8 count=24 2>/dev/null | md5sum | cut -c1-32)
	rm -f "$T/rawA"
	[ "$sumb" = "$suma" ] || fail "B's disk ($sumb) differs from A's image ($suma)"
	qb destroy mv >/dev/null
	[ "$(mark_in_image "$BIMG")" = 1 ] || fail "B's image lacks the mark"
	[ "$(mark_in_image "$AIMG")" = 1 ] || fail "A's image lost the mark"
	qemu-img check -q "$AIMG" || fail "A's image is damaged"
}

# shut off: the definition moves, with --copy-storage its image too
t_offline() {
	local aimg2=$T/state/images/mv-vda.qcow2
	QLAUNCH_SOCKET=$BSOCK up mv
	one_line_error "--offline moves a shut off VM" qb migrate mv "unix:$T/ctl.sock" --offline
	qb destroy mv >/dev/null
	# B -> A with the image: A's own copy in its image directory
	qb migrate mv "unix:$T/ctl.sock" --offline --copy-storage --json >"$T/out" 2>"$T/err" ||
	    fail "offline B -> A: $(cat "$T/err")"
	grep -q '"copied_storage": *true' "$T/out" || fail "said: $(cat "$T/out")"
	grep -q '"job": *"copy-storage".*"status": *"completed".*"percent": *100' "$T/out" ||
	    fail "no copy progress: $(head -c 800 "$T/out")"
	! qb list --all | grep -qw mv || fail "B still has mv"
	[ "$(q state --reason mv)" = "shut off (migrated)" ] || fail "A: $(q state --reason mv)"
	grep -q "^disk: $aimg2," "$T/state/vms/mv.conf" || fail "A's definition: $(grep disk: "$T/state/vms/mv.conf")"
	[ "$(mark_in_image "$aimg2")" = 1 ] || fail "A's new image lacks the mark"
	[ "$(mark_in_image "$BIMG")" = 1 ] || fail "B's image was changed"
	q start mv >/dev/null
	wait_ready mv
	[ "$(mark_on_disk "$T/ctl.sock")" = 1 ] || fail "the guest on A does not read the mark"
	q destroy mv >/dev/null
	# A -> B, the definition only, A keeping its copy
	q migrate mv "unix:$BSOCK" --offline --keep-source >/dev/null 2>"$T/err" ||
	    fail "offline A -> B: $(cat "$T/err")"
	[ "$(q state mv)" = "shut off" ] || fail "A: $(q state --reason mv)"
	grep -q "^disk: $aimg2," "$T/stateB/vms/mv.conf" || fail "B's definition: $(grep disk: "$T/stateB/vms/mv.conf")"
	qb start mv >/dev/null
	QLAUNCH_SOCKET=$BSOCK wait_ready mv
	[ "$(mark_on_disk "$BSOCK")" = 1 ] || fail "the guest on B does not read the mark"
	qb destroy mv >/dev/null
	# refused on B (its copy has images of its own): nothing changes
	ls "$T/stateB/images" >"$T/before"
	one_line_error "the destination has VM 'mv' defined already" \
	    q migrate mv "unix:$BSOCK" --offline --copy-storage
	ls "$T/stateB/images" | diff "$T/before" - || fail "B's images changed"
	[ "$(q state mv)" = "shut off" ] || fail "A: $(q state --reason mv)"
	[ "$(qb state mv)" = "shut off" ] || fail "B: $(qb state --reason mv)"
}

# --offline --copy-storage cancelled mid-copy (its qemu-img held with
# SIGSTOP meanwhile): start and undefine are refused while it runs, the
# client says so, B is left clean and A keeps its VM and image
t_offline_cancel() {
	local aimg2=$T/state/images/mv-vda.qcow2 pid="" rc=0
	qb undefine mv >/dev/null || fail "undefine on B"
	rm -f "$BIMG"	# B's from the live migration; the copy makes its own
	qemu-io -f qcow2 -c "write -P 0x5a 64M 384M" "$aimg2" >/dev/null ||
	    fail "cannot fill A's image"
	q migrate mv "unix:$BSOCK" --offline --copy-storage >"$T/mout" 2>"$T/merr" &
	local mpid=$!
	for _ in $(seq 500); do
		pid=$(pgrep -f "qemu-img convert .*$aimg2" | head -n 1)
		[ -n "$pid" ] && break
		sleep 0.01
	done
	[ -n "$pid" ] && kill -STOP "$pid" || fail "no copy to catch"
	one_line_error "VM 'mv' is migrating; start waits" q start mv
	one_line_error "VM 'mv' is migrating; undefine waits" q undefine mv
	one_line_error "VM 'mv' is migrating already" q migrate mv "unix:$BSOCK" --offline
	q migrate-cancel mv >/dev/null || fail "migrate-cancel"
	kill -CONT "$pid"
	wait "$mpid" || rc=$?
	[ $rc -eq 1 ] || fail "exit status $rc: $(cat "$T/merr")"
	grep -q "cancelled by the user" "$T/merr" || fail "error: $(cat "$T/merr")"
	[ "$(wc -l <"$T/merr")" -eq 1 ] || fail "more than one line: $(cat "$T/merr")"
	b_clean
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null || fail "qemu-img $pid still runs: $(ps -o pid,stat,args -p "$pid")"
	[ "$(q state mv)" = "shut off" ] || fail "A: $(q state --reason mv)"
	qemu-img check -q "$aimg2" || fail "A's image is damaged"
	[ "$(mark_in_image "$aimg2")" = 1 ] || fail "A's image lost the mark"
	q start mv >/dev/null || fail "start after the cancel"
	wait_ready mv
}

# --copy-storage with postcopy (the mirrors in write-blocking mode), A
# -> B while the guest writes a sequence number to its disk: B's disk
# and image end with the guest's last number, A's image with an earlier
# one, and the guest goes on
SEQOFF=20000	# sectors: past the mark
t_postcopy() {
	local aimg2=$T/state/images/mv-vda.qcow2 seq disk imgb imga
	gx mv "(i=0; while :; do i=\$((i+1)); echo SEQ-\$i- | dd of=/dev/vda bs=512 seek=$SEQOFF conv=fsync 2>/dev/null; echo \$i >/run/seq; done) & echo \$! >/run/wpid" >/dev/null
	wait_gval mv 'test -s /run/seq && echo yes' yes || fail "no writer"
	# memory dirtied faster than it goes: the first pass does not converge
	gx mv 'qlstress -s 64 -r 40 >/dev/null 2>&1 & echo $! >/run/spid' >/dev/null
	q migrate mv "unix:$BSOCK" --copy-storage --postcopy --postcopy-after 1 \
	    --bandwidth 24 --json >"$T/out" 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	grep -q '"status": *"postcopy-active"' "$T/out" || fail "no postcopy-active: $(tail -c 600 "$T/out")"
	grep -q '"job": *"copy-storage"' "$T/out" || fail "no copy progress"
	[ "$(qb state --reason mv)" = "running (migrated)" ] || fail "B: $(qb state --reason mv)"
	! q list --all | grep -qw mv || fail "A still has mv"
	QLAUNCH_SOCKET=$BSOCK gx mv 'kill $(cat /run/wpid) $(cat /run/spid); sleep 1; echo stopped' >/dev/null
	seq=$(QLAUNCH_SOCKET=$BSOCK gval mv 'cat /run/seq')
	disk=$(QLAUNCH_SOCKET=$BSOCK gval mv "echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=512 skip=$SEQOFF count=1 2>/dev/null | head -c 16 | sed -n 's/^SEQ-\([0-9]*\)-.*/\1/p'")
	[ -n "$seq" ] && [ -n "$disk" ] || fail "seq '$seq', disk '$disk'"
	[ "$disk" -eq "$seq" ] || [ "$disk" -eq $((seq + 1)) ] ||
	    fail "B's disk says $disk, the guest wrote up to $seq"
	qb destroy mv >/dev/null
	qemu-img convert -U -f qcow2 -O raw "$BIMG" "$T/rawB"
	imgb=$(dd if="$T/rawB" bs=512 skip=$SEQOFF count=1 2>/dev/null | head -c 16 | sed -n 's/^SEQ-\([0-9]*\)-.*/\1/p')
	rm -f "$T/rawB"
	qemu-img convert -U -f qcow2 -O raw "$aimg2" "$T/rawA"
	imga=$(dd if="$T/rawA" bs=512 skip=$SEQOFF count=1 2>/dev/null | head -c 16 | sed -n 's/^SEQ-\([0-9]*\)-.*/\1/p')
	rm -f "$T/rawA"
	echo "  the guest wrote up to $seq; B's image has $imgb, A's $imga"
	[ "$imgb" = "$disk" ] || fail "B's image has $imgb, its guest read $disk"
	[ -n "$imga" ] && [ "$imga" -le "$imgb" ] || fail "A's image has $imga, B's $imgb"
	[ "$(mark_in_image "$BIMG")" = 1 ] || fail "B's image lacks the mark"
	qemu-img check -q "$aimg2" || fail "A's image is damaged"
}

start_daemon || exit 1
run_tests guest_up kill_destination live offline offline_cancel postcopy
