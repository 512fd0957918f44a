#!/bin/bash
# Snapshots end to end: virsh's snapshot-create-as, -list, -info,
# -current, -revert and -delete against the test guest on a qcow2 virtio
# disk (vda in the guest), checked from inside the guest (bytes on its
# disk, a value in its RAM: its root is a RAM file system) and on the
# host (qemu-img: the snapshots in the image, a base image unchanged
# under its overlay).
. "$(dirname "$0")/lib.sh"

QEMU_IMG=${QEMU_IMG:-qemu-img}
MARK=QLAUNCH-SNAP-$$

# the guest writes TEXT at 1 MiB into its disk, through to the image
# (fsync: a flush, so that QEMU writes its qcow2 metadata too)
disk_write() {
	gx "$1" "printf '%-32s' '$2' | dd of=/dev/vda bs=512 seek=2048 conv=notrunc,fsync 2>/dev/null; echo 3 >/proc/sys/vm/drop_caches; echo written" |
	    grep -q '^written' || fail "no write"
}

# what the guest reads there, past its page cache
disk_read() {
	gval "$1" "echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=512 skip=2048 count=1 2>/dev/null | head -c 32 | tr -d ' '"
}

# a checksum of an image's contents (its format's layout aside)
contents() {
	"$QEMU_IMG" convert -U -O raw "$1" "$T/c.raw" && md5sum <"$T/c.raw" | cut -d' ' -f1
}

t_guest_up() {
	"$QEMU_IMG" create -q -f qcow2 "$T/sn.qcow2" 64M
	create_guest sn --disk "$T/sn.qcow2,format=qcow2" --start
	wait_ready sn
	[ "$(gval sn 'cat /sys/block/vda/size')" = 131072 ] || fail "no 64 MiB vda"
}

# a running VM: its disk and its RAM go back
t_internal_live() {
	disk_write sn "$MARK-A"
	gx sn "echo before >/counter" >/dev/null
	out=$(q snapshot-create-as sn s1 --description "the first")
	[ "$out" = "Domain snapshot s1 created" ] || fail "said: $out"
	"$QEMU_IMG" snapshot -U -l "$T/sn.qcow2" | grep -q ' s1 ' ||
	    fail "not in the image: $("$QEMU_IMG" snapshot -U -l "$T/sn.qcow2")"
	disk_write sn "$MARK-B"
	gx sn "echo after >/counter" >/dev/null
	[ "$(disk_read sn)" = "$MARK-B" ] || fail "B not written"
	out=$(q snapshot-revert sn s1)
	[ -z "$out" ] || fail "said: $out"
	[ "$(q state sn)" = running ] || fail "state $(q state sn)"
	[ "$(gval sn 'cat /counter')" = before ] || fail "RAM: $(gval sn 'cat /counter')"
	[ "$(disk_read sn)" = "$MARK-A" ] || fail "disk: $(disk_read sn)"
}

t_list_info_current() {
	q snapshot-create-as sn s2 >/dev/null
	q snapshot-list sn >"$T/l"
	head -1 "$T/l" | grep -q '^ Name  *Creation Time  *State$' || fail "heading: $(cat "$T/l")"
	grep -Eq '^ s1  *[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [-+][0-9]{4}   running$' "$T/l" ||
	    fail "row: $(cat "$T/l")"
	q snapshot-info sn s1 >"$T/i"
	for l in 'Name:           s1' 'Domain:         sn' 'Current:        no' \
	    'State:          running' 'Location:       internal' 'Parent:         -' \
	    'Children:       1' 'Descendants:    1' 'Metadata:       yes'; do
		grep -qx "$l" "$T/i" || fail "no '$l' in: $(cat "$T/i")"
	done
	[ "$(q snapshot-current sn --name)" = s2 ] || fail "current: $(q snapshot-current sn --name)"
	q snapshot-info sn --current | grep -qx 'Parent:         s1' || fail "parent"
	q snapshot-info sn s2 --json | grep -q '"description": null' || fail "json"
	q snapshot-list sn --json | grep -q '"description": "the first"' || fail "list json"
	printf 's1\n  |\n  +- s2\n    \n' >"$T/want"
	q snapshot-list sn --tree >"$T/tree"
	cmp -s "$T/want" "$T/tree" || fail "tree: $(cat -A "$T/tree")"
}

t_errors() {
	one_line_error "VM 'sn' has a snapshot named 's1' already" q snapshot-create-as sn s1
	one_line_error "VM 'sn' has no snapshot named 'nope'" q snapshot-revert sn nope
	one_line_error "VM 'sn' has no snapshot named 'nope'" q snapshot-delete sn nope
	one_line_error "not a valid snapshot name" q snapshot-create-as sn 'a/b'
	truncate -s 16M "$T/r.img"
	create_guest sr --disk "$T/r.img,format=raw"
	one_line_error "disk vda is raw: internal snapshots need qcow2 disks" \
	    q snapshot-create-as sr x
	one_line_error "VM 'sr' has no current snapshot" q snapshot-current sr
	[ -z "$(q snapshot-list sr --name)" ] || fail "a snapshot left"
}

t_delete() {
	out=$(q snapshot-delete sn s1)
	[ "$out" = "Domain snapshot s1 deleted" ] || fail "said: $out"
	q snapshot-list sn --name | grep -qx s1 && fail "still listed"
	q snapshot-info sn s2 | grep -qx 'Parent:         -' || fail "s2's parent"
	"$QEMU_IMG" snapshot -U -l "$T/sn.qcow2" | grep -q ' s1 ' && fail "still in the image"
	return 0
}

# a shut off VM: qemu-img on its disk, no RAM
t_internal_shutoff() {
	disk_write sn "$MARK-C"
	q destroy sn >/dev/null
	q snapshot-create-as sn off1 >/dev/null
	q snapshot-info sn off1 | grep -qx 'State:          shutoff' || fail "state"
	up sn
	disk_write sn "$MARK-D"
	q destroy sn >/dev/null
	q snapshot-revert sn off1 --running >/dev/null
	wait_ready sn
	[ "$(disk_read sn)" = "$MARK-C" ] || fail "disk: $(disk_read sn)"
}

# --disk-only: an overlay takes the writes, the base stays as it was
t_external_live() {
	before=$(contents "$T/sn.qcow2")
	out=$(q snapshot-create-as sn e1 --disk-only --atomic)
	[ "$out" = "Domain snapshot e1 created" ] || fail "said: $out"
	[ -f "$T/sn.e1.qcow2" ] || fail "no overlay"
	q blklist sn | grep -q "^ vda  *$T/sn.e1.qcow2\$" || fail "blklist: $(q blklist sn)"
	q dumpconfig sn | grep -q "^disk: $T/sn.e1.qcow2" || fail "definition"
	q snapshot-info sn e1 | grep -qx 'Location:       external' || fail "location"
	disk_write sn "$MARK-E"
	[ "$(contents "$T/sn.qcow2")" = "$before" ] || fail "the base changed"
	"$QEMU_IMG" convert -U -O raw "$T/sn.e1.qcow2" "$T/o.raw"
	grep -qa "$MARK-E" "$T/o.raw" || fail "the write is not in the overlay"
	# what the disk commands see of it, and the next start
	q blkinfo sn vda | grep -qx 'Capacity:       67108864' || fail "blkinfo"
	q destroy sn >/dev/null
	up sn
	[ "$(disk_read sn)" = "$MARK-E" ] || fail "after restart: $(disk_read sn)"
}

# progress is shown on a terminal only: the output stays the one line
t_progress_quiet() {
	out=$(q snapshot-create-as sn s3 2>&1)
	[ "$out" = "Domain snapshot s3 created" ] || fail "said: $out"
}

# the images a disk's chain is made of, top first
chain() {
	"$QEMU_IMG" info -U --backing-chain "$1" | sed -n 's/^image: //p' | tr '\n' ' '
}

# revert to an external snapshot: the overlay is made anew over the base,
# what was written since is gone; the VM stops for it, as virsh does
t_external_revert() {
	[ "$(disk_read sn)" = "$MARK-E" ] || fail "not on E: $(disk_read sn)"
	one_line_error "that needs --force" q snapshot-revert sn e1 --running
	[ "$(q state sn)" = running ] || fail "stopped by a refused revert"
	[ "$(disk_read sn)" = "$MARK-E" ] || fail "changed by a refused revert"
	q snapshot-revert sn e1 >/dev/null || fail "revert"
	[ "$(q state sn)" = "shut off" ] || fail "state $(q state sn)"
	[ "$(chain "$T/sn.e1.qcow2")" = "$T/sn.e1.qcow2 $T/sn.qcow2 " ] ||
	    fail "chain: $(chain "$T/sn.e1.qcow2")"
	up sn
	[ "$(disk_read sn)" = "$MARK-C" ] || fail "after revert: $(disk_read sn)"
	disk_write sn "$MARK-F"
	q snapshot-revert sn e1 --running --force >/dev/null || fail "revert --running"
	wait_ready sn
	[ "$(q state sn)" = running ] || fail "state $(q state sn)"
	[ "$(disk_read sn)" = "$MARK-C" ] || fail "after revert --running: $(disk_read sn)"
	[ "$(q snapshot-current sn --name)" = e1 ] || fail "current"
	ls "$T" | grep -q 'tmp$' && fail "files left: $(ls "$T")"
	return 0
}

# delete a snapshot taken while the VM runs: active block-commit of its
# overlay into the image below; the guest keeps its newest data
t_external_delete_live() {
	q snapshot-create-as sn e2 --disk-only >/dev/null
	[ "$(chain "$T/sn.e1.e2.qcow2")" = "$T/sn.e1.e2.qcow2 $T/sn.e1.qcow2 $T/sn.qcow2 " ] ||
	    fail "chain: $(chain "$T/sn.e1.e2.qcow2")"
	disk_write sn "$MARK-G"
	out=$(q snapshot-delete sn e2)
	[ "$out" = "Domain snapshot e2 deleted" ] || fail "said: $out"
	[ "$(disk_read sn)" = "$MARK-G" ] || fail "after delete: $(disk_read sn)"
	q blklist sn | grep -q "^ vda  *$T/sn.e1.qcow2\$" || fail "blklist: $(q blklist sn)"
	[ ! -e "$T/sn.e1.e2.qcow2" ] || fail "the overlay is still there"
	"$QEMU_IMG" convert -U -O raw "$T/sn.e1.qcow2" "$T/o.raw"
	grep -qa "$MARK-G" "$T/o.raw" || fail "G is not merged down"
	q dumpconfig sn | grep -q "^disk: $T/sn.e1.qcow2" || fail "definition"
	q snapshot-list sn --name | grep -qx e2 && fail "still listed"
	# the disk still writes, and e1 goes too: the base is pulled up
	# into e1's overlay, which the VM started on (block-stream)
	disk_write sn "$MARK-H"
	q snapshot-delete sn e1 >/dev/null || fail "delete e1"
	[ "$(chain "$T/sn.e1.qcow2")" = "$T/sn.e1.qcow2 " ] ||
	    fail "chain after e1: $(chain "$T/sn.e1.qcow2")"
	[ "$(disk_read sn)" = "$MARK-H" ] || fail "after delete e1: $(disk_read sn)"
	q destroy sn >/dev/null
	up sn
	[ "$(disk_read sn)" = "$MARK-H" ] || fail "after restart: $(disk_read sn)"
}

# shut off: qemu-img commit, and the definition names the base again
t_external_delete_offline() {
	q destroy sn >/dev/null
	q snapshot-create-as sn e3 --disk-only >/dev/null
	q dumpconfig sn | grep -q "^disk: $T/sn.e1.e3.qcow2" || fail "definition"
	up sn
	disk_write sn "$MARK-I"
	q destroy sn >/dev/null
	q snapshot-delete sn e3 >/dev/null || fail "delete"
	q dumpconfig sn | grep -q "^disk: $T/sn.e1.qcow2" || fail "definition after"
	[ ! -e "$T/sn.e1.e3.qcow2" ] || fail "the overlay is still there"
	up sn
	[ "$(disk_read sn)" = "$MARK-I" ] || fail "after delete: $(disk_read sn)"
}

# a snapshot of the shut off VM, reverted to while it runs: it stops
t_revert_shutoff_live() {
	q destroy sn >/dev/null
	q snapshot-create-as sn off2 >/dev/null
	up sn
	disk_write sn "$MARK-J"
	q snapshot-revert sn off2 >/dev/null || fail "revert"
	[ "$(q state sn)" = "shut off" ] || fail "state $(q state sn)"
	q snapshot-revert sn off2 --paused --force >/dev/null || fail "revert --paused"
	[ "$(q state sn)" = paused ] || fail "state $(q state sn)"
	up sn
	[ "$(disk_read sn)" = "$MARK-I" ] || fail "after revert: $(disk_read sn)"
}

# with --json, the progress events come as JSON lines, with a percent
t_progress_json() {
	q snapshot-create-as sn s4 --json >"$T/pj" || fail "create"
	grep -q '"event": *"JOB_PROGRESS"' "$T/pj" || fail "no event: $(cat "$T/pj")"
	grep -q '"percent": *[0-9]' "$T/pj" || fail "no percent: $(cat "$T/pj")"
}

start_daemon || exit 1
run_tests guest_up internal_live list_info_current errors delete \
    internal_shutoff progress_quiet external_live external_revert \
    external_delete_live external_delete_offline revert_shutoff_live \
    progress_json
