#!/bin/bash
# The VM page's management sections (Snapshots, Disks, NICs, Memory and
# CPUs) in headless Chromium: a root qlaunchd trusting the web manager's
# user, the web process started as root and running as that user, a
# user's VM (the test guest on a qcow2 disk, 1 of at most 2 vCPUs, QEMU's
# default translation buffer as test_cpu.sh needs for hot-plug) and a
# second user.  tests/browser/test_web_manage.js drives the page and
# checks the guest through its console: a snapshot made and reverted
# from the page (a file written after it is gone), another deleted, setmem (dommemstat),
# setvcpus (the guest's online CPUs), a NIC on a bridge; root's page attaches and
# detaches a new disk (the supervisor makes images for root only: the
# user's page gets its refusal); a POST without the CSRF token and the
# second user change nothing.  Here: the audit lines.  Screenshots go to
# tests/artifacts/.
. "$(dirname "$0")/lib.sh"

need_root "the web manager (users of their own, a root supervisor)"
QEMU_IMG=${QEMU_IMG:-qemu-img}
WEBUSER=qltwman
U1=qltwman1
U2=qltwman2
. "$(dirname "$0")/weblib.sh"
web_setup test_web_manage.sh
VM=wm1
# the media the page puts in the VM's empty CD-ROM drive
MEDIA=$T/media1.raw
export QLAUNCH VM CHROMIUM MEDIA

setup() {
	chmod 0755 "$T"
	# the supervisor (and so QEMU and its taps) in a namespace of the
	# test's own, with a bridge for the page's NIC; the web process and
	# the browser stay on this side's loopback
	make_netns || return 1
	nsx ip link add br0 type bridge && nsx ip link set br0 up || return 1
	# not through nsx: $! must be qlaunchd's own pid (ip netns exec execs)
	ip netns exec "$NETNS" "$QLAUNCHD" -f -s "$T/state" -S "$QLAUNCH_SOCKET" --web-user "$WEBUSER" \
	    >>"$T/qlaunchd.log" 2>&1 &
	echo $! >"$T/daemon.pid"
	disown $! 2>/dev/null || true
	for _ in $(seq 100); do
		q version >/dev/null 2>&1 && break
		sleep 0.05
	done
	chmod 0666 "$QLAUNCH_SOCKET"
	# the user's own image (QEMU runs as the VM's owner)
	"$QEMU_IMG" create -q -f qcow2 "$T/wm.qcow2" 64M &&
	truncate -s 2M "$MEDIA" &&
	chown $U1 "$T/wm.qcow2" "$MEDIA" &&
	q create $VM --memory 256 --accel tcg --vcpus 1,maxvcpus=2 \
	    --kernel "$GUEST/bzImage" --initrd "$GUEST/initrd.img" \
	    --append "$APPEND" --disk "$T/wm.qcow2,format=qcow2" \
	    --disk target=sda,device=cdrom,bus=scsi \
	    --owner $U1 --start >/dev/null &&
	start_web
}

t_page() {
	local rc=0
	wait_ready $VM
	NODE_PATH=$MODS LINK1=$(as $U1 web-login) LINK2=$(as $U2 web-login) \
	    LINKROOT=$(q web-login) timeout 600 node \
	    "$SRC/tests/browser/test_web_manage.js" >"$T/browser" 2>&1 || rc=$?
	cat "$T/browser"
	if [ $rc -ne 0 ]; then
		echo "--- $VM's qemu.log"; tail -20 "$T/state/run/$VM/qemu.log"
		fail "the browser test failed"
	fi
	local u1 u2
	u1=$(id -u $U1)
	u2=$(id -u $U2)
	for a in snapshot-create snapshot-revert snapshot-delete setmem setvcpus \
	    change-media; do
		grep -q "uid=$u1 .*action=$a vm=$VM outcome=\"ok\"" "$T/audit.log" ||
		    fail "no audit line for $a: $(cat "$T/audit.log")"
	done
	grep -q "uid=$u1 .*action=attach-disk vm=$VM outcome=\"disk .*only root" \
	    "$T/audit.log" || fail "no audit line for the user's refused attach-disk"
	grep -q "uid=$u1 .*action=attach-interface vm=$VM outcome=\".*only an administrator" \
	    "$T/audit.log" || fail "no audit line for the user's refused attach-interface"
	for a in attach-disk detach-disk attach-interface detach-interface; do
		grep -q "uid=0 .*action=$a vm=$VM outcome=\"ok\"" "$T/audit.log" ||
		    fail "no audit line for root's $a"
	done
	grep -q "uid=$u2 .*action=snapshot-create vm=$VM outcome=\"VM '$VM' belongs to another user\"" \
	    "$T/audit.log" || fail "no audit line for user 2's refused snapshot"
	grep -q 'refused: no valid CSRF token' "$T/audit.log" || fail "no CSRF refusal line"
	# what the CSRF-less and user 2's requests would have made: none of it
	! q snapshot-list $VM --name | grep -qx 'nocsrf\|theirs' ||
	    fail "a refused snapshot exists: $(q snapshot-list $VM --name)"
}

setup || exit 1
run_tests page
