#!/bin/bash
# Disks end to end: virsh's attach-disk, detach-disk, change-media,
# domblklist and domblkinfo against the test guest, checked from inside
# the guest (/sys/block, what it writes) and on the host (the image
# files, with qemu-img); and virt-install's --disk through create.
#
# The guest names its disks itself: a target is the name qlaunch and virsh
# use (vdb), and a guest with no other virtio disk calls it vda, as it does
# under libvirt.  So the guest's view is read from vda (or by serial).
. "$(dirname "$0")/lib.sh"

QEMU_IMG=${QEMU_IMG:-qemu-img}
MARK=QLAUNCH-DISK-MARK-$$


# the marker somewhere in an image, read by the host (qcow2 made raw)
image_has_mark() {
	local img=$1
	if [ "$("$QEMU_IMG" info "$img" | sed -n 's/^file format: //p')" = qcow2 ]; then
		"$QEMU_IMG" convert -O raw "$img" "$T/conv.raw" || return 1
		img=$T/conv.raw
	fi
	grep -qa "$MARK" "$img"
}

# pci_slot NAME ID: the slot QEMU has the device on, on the root bus
pci_slot() {
	q qmp "$1" '{"execute": "query-pci"}' |
	    python3 -c 'import json, sys
for d in json.load(sys.stdin)[0]["devices"]:
    if d.get("qdev_id") == sys.argv[1]: print(d["slot"])' "$2"
}

t_guest_up() {
	create_guest dk --start
	wait_ready dk
	[ "$(gval dk 'ls /sys/block | grep -c ^vd')" = 0 ] || fail "a disk already"
}

# the tutorial's line, as written: a qcow2 hot-plugged into the running
# guest, written by the guest, detached, and the data found on the host
t_attach_live_qcow2() {
	"$QEMU_IMG" create -q -f qcow2 "$T/add01.qcow2" 64M
	out=$(q attach-disk dk "$T/add01.qcow2" vdb --live --cache=none --subdriver=qcow2)
	[ "$out" = "Disk attached successfully" ] || fail "said: $out"
	# 64 MiB in 512-byte sectors, in the guest's only virtio disk
	wait_gval dk 'cat /sys/block/vda/size' 131072
	q domblklist dk >"$T/bl"
	grep -q "^ vdb  *$T/add01.qcow2\$" "$T/bl" || fail "blklist: $(cat "$T/bl")"
	head -1 "$T/bl" | grep -q '^ Target  *Source$' || fail "heading: $(cat "$T/bl")"
	q blklist dk --details | grep -q "^ file  *disk  *vdb  *$T/add01.qcow2\$" ||
	    fail "details: $(q blklist dk --details)"
	q domblkinfo dk vdb >"$T/bi"
	grep -qx 'Capacity:       67108864' "$T/bi" || fail "blkinfo: $(cat "$T/bi")"
	grep -q '^Allocation: ' "$T/bi" && grep -q '^Physical: ' "$T/bi" || fail "$(cat "$T/bi")"
	q blkinfo dk vdb --human | grep -qx 'Capacity:       64.000 MiB' ||
	    fail "human: $(q blkinfo dk vdb --human)"
	q blkinfo dk vdb --json | grep -q '"capacity": 67108864' || fail "json"
	q blkinfo dk --all | grep -q '^ vdb  *67108864 ' || fail "all: $(q blkinfo dk --all)"
	# on the lowest free PCI slot (the balloon has 6), which QEMU shows
	pci_slot dk vdb | grep -qx 7 || fail "vdb on slot '$(pci_slot dk vdb)'"
	# a new supervisor knows what runs: the disk, and its slot
	stop_daemon
	start_daemon
	wait_state dk running 10
	q blklist dk | grep -q "^ vdb " || fail "lost at re-adoption: $(q blklist dk)"
	q blklist dk --inactive | grep -q vdb && fail "stored: $(q blklist dk --inactive)"
	# the guest writes, the host reads it once the disk is detached
	gx_grep dk "printf '$MARK' | dd of=/dev/vda bs=1M seek=1 2>/dev/null; sync; echo written" '^written' "$T/gx.out" || fail "no write"
	out=$(q detach-disk dk vdb --live)
	[ "$out" = "Disk detached successfully" ] || fail "said: $out"
	wait_gval dk 'ls /sys/block | grep -c ^vd' 0
	q blklist dk | grep -q vdb && fail "still listed: $(q blklist dk)"
	image_has_mark "$T/add01.qcow2" || fail "the mark is not in the image"
}

# a raw file, read-only, then writable; the host reads the file itself
t_attach_raw() {
	truncate -s 32M "$T/raw.img"
	q attach-disk dk "$T/raw.img" vdc --subdriver raw --mode readonly --live >/dev/null
	wait_gval dk 'cat /sys/block/vda/ro' 1
	q detach-disk dk vdc >/dev/null
	wait_gval dk 'ls /sys/block | grep -c ^vd' 0
	q attach-disk dk "$T/raw.img" vdc --subdriver raw --serial RAW1 >/dev/null
	wait_gval dk 'cat /sys/block/vda/size' 65536
	[ "$(gval dk 'cat /sys/block/vda/serial')" = RAW1 ] || fail "serial"
	gx_grep dk "printf '$MARK' | dd of=/dev/vda bs=4096 seek=3 2>/dev/null; sync; echo written" '^written' "$T/gx.out" || fail "no write"
	q detach-disk dk vdc --current >/dev/null
	wait_gval dk 'ls /sys/block | grep -c ^vd' 0
	dd if="$T/raw.img" bs=4096 skip=3 count=1 2>/dev/null | grep -qa "$MARK" ||
	    fail "the mark is not at 12 KiB in the raw file"
}

# --config on a shut off VM, then --persistent on the running one
t_config_and_persistent() {
	create_guest dc
	"$QEMU_IMG" create -q -f qcow2 "$T/cfg.qcow2" 16M
	q attach-disk dc "$T/cfg.qcow2" vdb --config --subdriver qcow2 >/dev/null
	q dumpconfig dc | grep -q "^disk: .*$T/cfg.qcow2.*target=vdb" ||
	    fail "dumpconfig: $(q dumpconfig dc)"
	q dumpconfig dc | grep -q "^disk: .*format=qcow2" || fail "no format"
	q blklist dc --inactive | grep -q "^ vdb  *$T/cfg.qcow2\$" || fail "inactive list"
	q start dc >/dev/null
	wait_ready dc
	wait_gval dc 'cat /sys/block/vda/size' 32768
	out=$(q detach-disk dc vdb --persistent)
	[ "$out" = "Disk detached successfully" ] || fail "said: $out"
	wait_gval dc 'ls /sys/block | grep -c ^vd' 0
	q dumpconfig dc | grep -q '^disk:' && fail "still defined: $(q dumpconfig dc)"
	# --persistent attaches to the running guest and to the definition
	q attach-disk dc "$T/cfg.qcow2" vdd --persistent >/dev/null
	wait_gval dc 'cat /sys/block/vda/size' 32768
	q dumpconfig dc | grep -q "^disk: .*$T/cfg.qcow2.*target=vdd" || fail "not kept"
	q destroy dc >/dev/null
	q blklist dc | grep -q "^ vdd " || fail "lost at stop: $(q blklist dc)"
}

# a SCSI CD-ROM: insert, update (by target), eject (by its source)
t_change_media() {
	truncate -s 2M "$T/media1.raw"
	truncate -s 4M "$T/media2.raw"
	create_guest dm --disk target=sda,device=cdrom,bus=scsi --start
	wait_ready dm
	q blklist dm | grep -q '^ sda  *-$' || fail "empty: $(q blklist dm)"
	q blklist dm --details | grep -q '^ file  *cdrom  *sda  *-$' || fail "details"
	out=$(q change-media dm sda "$T/media1.raw" --insert)
	[ "$out" = "Successfully inserted media." ] || fail "said: $out"
	q blklist dm | grep -q "^ sda  *$T/media1.raw\$" || fail "$(q blklist dm)"
	q blkinfo dm sda | grep -qx 'Capacity:       2097152' || fail "$(q blkinfo dm sda)"
	# the guest has a CD-ROM drive (SCSI type 5) on its virtio-scsi bus
	[ "$(gval dm 'cat /sys/bus/scsi/devices/*/type | grep -cx 5')" = 1 ] ||
	    fail "no SCSI CD-ROM in the guest"
	out=$(q change-media dm sda "$T/media2.raw" --live)
	[ "$out" = "Successfully updated media." ] || fail "said: $out"
	q blkinfo dm sda | grep -qx 'Capacity:       4194304' || fail "$(q blkinfo dm sda)"
	out=$(q change-media dm "$T/media2.raw" --eject --force)
	[ "$out" = "Successfully ejected media." ] || fail "said: $out"
	q blklist dm | grep -q '^ sda  *-$' || fail "not ejected: $(q blklist dm)"
	one_line_error "sdz" q change-media dm sdz "$T/media1.raw"
	q destroy dm >/dev/null
}

# virt-install's --disk through create: the supervisor makes the image
t_create_with_disk() {
	q virt-install --name vd --memory 256 --accel tcg,tb-size=32 \
	    --disk path="$T/vd.qcow2",size=1,format=qcow2 --os-variant debian12 \
	    --boot kernel="$GUEST/bzImage",initrd="$GUEST/initrd.img",kernel_args="$APPEND" \
	    --import --noautoconsole >/dev/null
	q blklist vd --details | grep -q "^ file  *disk  *vda  *$T/vd.qcow2\$" ||
	    fail "blklist: $(q blklist vd --details)"
	q dumpconfig vd | grep -q "^disk: $T/vd.qcow2,.*format=qcow2" ||
	    fail "dumpconfig: $(q dumpconfig vd)"
	[ "$("$QEMU_IMG" info -U "$T/vd.qcow2" | sed -n 's/^virtual size: .*(\([0-9]*\) bytes)/\1/p')" = 1073741824 ] ||
	    fail "image: $("$QEMU_IMG" info -U "$T/vd.qcow2" 2>&1)"
	wait_ready vd
	wait_gval vd 'cat /sys/block/vda/size' 2097152
	q destroy vd >/dev/null
}

# the tutorial's whole line, on a host without its bridge: one line, and
# nothing defined or made (test_nic.sh runs it with a br0)
t_tutorial_line() {
	touch "$T/x.iso"
	one_line_error "bridge br0 does not exist" q create --name vm1 --ram 2048 --vcpus 2 \
	    --disk path="$T/vm1.qcow2",size=1,format=qcow2 --os-variant ubuntu22.04 \
	    --network bridge=br0,model=virtio --graphics vnc,listen=0.0.0.0 \
	    --noautoconsole --cdrom "$T/x.iso"
	one_line_error "no VM named 'vm1'" q info vm1
	[ ! -e "$T/vm1.qcow2" ] || fail "its image is left"
}

# A missing or corrupted image: one clear line, and nothing defined or
# changed (no definition, no image left behind, the VM's disks as before).
t_bad_images() {
	one_line_error "$T/none.qcow2" q create bad1 --accel tcg --disk "$T/none.qcow2"
	one_line_error "no VM named 'bad1'" q info bad1
	# the first 512 bytes of a qcow2 overwritten: qemu-img cannot tell
	# what it is, or takes it for raw; with format=qcow2 the start fails
	"$QEMU_IMG" create -q -f qcow2 "$T/broken.qcow2" 16M
	printf 'QFI\373garbage' | dd of="$T/broken.qcow2" bs=1 seek=0 conv=notrunc 2>/dev/null
	q create bad2 --accel tcg --memory 128 --disk "$T/broken.qcow2",format=qcow2 >/dev/null
	one_line_error "broken.qcow2" q start bad2
	[ "$(q state bad2)" = "shut off" ] || fail "state $(q state bad2)"
	q undefine bad2 >/dev/null
	# a disk whose image cannot be made: the definition is not stored
	one_line_error "cannot" q create bad3 --accel tcg --disk "$T/no/such/dir/x.qcow2,size=1"
	one_line_error "no VM named 'bad3'" q info bad3
	# attaching it to a running VM changes nothing
	before=$(q blklist dk)
	one_line_error "Unsupported qcow2 version" q attach-disk dk "$T/broken.qcow2" vdb --subdriver qcow2 --live
	[ "$(q blklist dk)" = "$before" ] || fail "the disks changed: $(q blklist dk)"
}

t_errors() {
	one_line_error "no VM named 'nope'" q attach-disk nope "$T/raw.img" vdb
	one_line_error "vdq" q detach-disk dk vdq
	one_line_error "vdq" q blkinfo dk vdq
}

start_daemon || exit 1
run_tests guest_up attach_live_qcow2 attach_raw config_and_persistent \
    change_media create_with_disk tutorial_line bad_images errors
