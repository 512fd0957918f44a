#!/bin/bash
# PCI placement and hot-plug on q35, end to end: the test guest boots on
# machine q35 (TCG), with its devices on pcie-root-ports; a virtio disk
# hot-plugged lands on the first free root port, which the guest's own
# view of its PCI tree shows; the guest writes to it; detach, and the host
# finds the data in the image.  Then a disk plugged and the VM saved and
# restored: the restored QEMU's PCI tree is the one the saved QEMU had,
# and the guest reads its hot-plugged disk.
. "$(dirname "$0")/lib.sh"

QEMU_IMG=${QEMU_IMG:-qemu-img}
MARK=QLAUNCH-Q35-MARK-$$

image_has_mark() {
	rm -f "$T/conv.raw"
	"$QEMU_IMG" convert -O raw "$1" "$T/conv.raw" || return 2
	grep -qa "$MARK" "$T/conv.raw"
}

# QEMU's PCI tree: one "BUS SLOT.FUNCTION ID" line per device, from
# query-pci, devices behind bridges under their own bus number
pci_tree() {
	q qmp "$1" '{"execute": "query-pci"}' | python3 -c '
import json, sys
def walk(devs):
    for d in devs:
        print(d["bus"], "%d.%d" % (d["slot"], d["function"]), d.get("qdev_id", ""))
        walk(d.get("pci_bridge", {}).get("devices", []))
for b in json.load(sys.stdin):
    walk(b["devices"])' | sort
}

# the guest's sysfs path of a block device names its PCI path
guest_pci_path() {
	gval "$1" "readlink /sys/block/$2 | sed -n 's|.*pci0000:00/\\([^v]*\\)/virtio.*|\\1|p'"
}

t_guest_up() {
	"$QEMU_IMG" create -q -f qcow2 "$T/root.qcow2" 32M
	create_guest qz --machine q35 --disk "$T/root.qcow2",format=qcow2 --start
	wait_ready qz
	# vda on root port 4: pcie.0 slot 2, function 3
	[ "$(guest_pci_path qz vda)" = "0000:00:02.3/0000:04:00.0" ] ||
	    fail "vda at '$(guest_pci_path qz vda)'"
	# the balloon on port 3, the spare ports 5 to 8 empty, in QEMU
	pci_tree qz >"$T/tree"
	grep -q ' 0.0 balloon0$' "$T/tree" || fail "tree: $(cat "$T/tree")"
	[ "$(grep -c ' 2\.[0-7] pci\.[0-9]*$' "$T/tree")" = 8 ] ||
	    fail "not 8 root ports: $(cat "$T/tree")"
}

# the virtio disk goes on the first free root port (5): the guest sees it
# there, writes, and after detach the host reads it in the image
t_hotplug() {
	"$QEMU_IMG" create -q -f qcow2 "$T/hot.qcow2" 64M
	out=$(q attach-disk qz "$T/hot.qcow2" vdb --live --subdriver=qcow2)
	[ "$out" = "Disk attached successfully" ] || fail "said: $out"
	wait_gval qz 'ls /sys/block | grep -c ^vd' 2
	# the guest calls it vdb too: the second virtio disk it found
	wait_gval qz 'cat /sys/block/vdb/size' 131072
	[ "$(guest_pci_path qz vdb)" = "0000:00:02.4/0000:05:00.0" ] ||
	    fail "vdb at '$(guest_pci_path qz vdb)'"
	gx_grep qz "printf '$MARK' | dd of=/dev/vdb bs=1M seek=1 2>/dev/null; sync; echo written" '^written' "$T/gx.out" || fail "no write"
	out=$(q detach-disk qz vdb --live)
	[ "$out" = "Disk detached successfully" ] || fail "said: $out"
	wait_gval qz 'ls /sys/block | grep -c ^vd' 1
	image_has_mark "$T/hot.qcow2" || fail "the mark is not in the image"
	# vda did not move
	[ "$(guest_pci_path qz vda)" = "0000:00:02.3/0000:04:00.0" ] ||
	    fail "vda moved to '$(guest_pci_path qz vda)'"
}

# save and restore after a hot-plug: the restored QEMU has the tree the
# saved one had, and the guest reads its plugged disk again
t_save_restore() {
	"$QEMU_IMG" create -q -f qcow2 "$T/sr.qcow2" 16M
	q attach-disk qz "$T/sr.qcow2" vdc --live --subdriver=qcow2 >/dev/null
	wait_gval qz 'ls /sys/block | grep -c ^vd' 2
	# vdc is the guest's second virtio disk: its vdb
	gx_grep qz "printf '$MARK' | dd of=/dev/vdb bs=4096 seek=2 2>/dev/null; sync; echo written" '^written' "$T/gx.out" || fail "no write"
	pci_tree qz >"$T/before"
	grep -q ' vdc$' "$T/before" || fail "no vdc: $(cat "$T/before")"
	q save qz "$T/qz.sav" >"$T/out" || fail "save: $(cat "$T/out")"
	[ "$(q restore "$T/qz.sav")" = "Domain restored from $T/qz.sav" ] ||
	    fail "restore"
	pci_tree qz >"$T/after"
	diff "$T/before" "$T/after" >/dev/null ||
	    fail "the tree changed: $(diff "$T/before" "$T/after")"
	[ "$(gval qz "dd if=/dev/vdb bs=4096 skip=2 count=1 2>/dev/null | grep -ac $MARK")" = 1 ] ||
	    fail "the guest does not read its mark"
	# and it unplugs from the restored QEMU
	q detach-disk qz vdc >/dev/null
	wait_gval qz 'ls /sys/block | grep -c ^vd' 1
	q destroy qz >/dev/null
}

# a slot pinned on the command line of create (virt-install's words) is
# the one cmdline shows and the guest sees; a conflict is one line at
# define, naming both devices, and defines nothing
t_pinned() {
	"$QEMU_IMG" create -q -f qcow2 "$T/pin.qcow2" 16M
	create_guest qp --machine q35 \
	    --disk "$T/pin.qcow2",format=qcow2,address.type=pci,address.slot=7
	q dumpconfig qp | grep -q "^disk: .*addr=7" || fail "dumpconfig: $(q dumpconfig qp)"
	q cmdline qp | grep -qx '{"driver":"virtio-blk-pci","id":"vda","drive":"fmt-vda","bus":"pci.7","addr":"0x0"}' ||
	    fail "cmdline: $(q cmdline qp | grep vda)"
	q start qp >/dev/null
	wait_ready qp
	# port 7: pcie.0 slot 2, function 6
	[ "$(guest_pci_path qp vda)" = "0000:00:02.6/0000:07:00.0" ] ||
	    fail "vda at '$(guest_pci_path qp vda)'"
	q destroy qp >/dev/null
	one_line_error "disk vda and balloon0 are both on root port 3" \
	    q create qc --machine q35 --accel tcg --disk "$T/pin.qcow2",format=qcow2,addr=3
	one_line_error "no VM named 'qc'" q info qc
	printf 'name: qd\naccel: tcg\npcie_root_ports: 4\n' >"$T/qd.conf"
	one_line_error "pcie_root_ports: only q35 has PCIe root ports" \
	    q define "$T/qd.conf"
	printf 'name: qd\nmachine: q35\naccel: tcg\npcie_root_ports: 2\n' >"$T/qd.conf"
	one_line_error "balloon0 is on root port 3" q define "$T/qd.conf"
	one_line_error "no VM named 'qd'" q info qd
}

start_daemon || exit 1
run_tests guest_up hotplug save_restore pinned
