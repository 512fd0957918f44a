#!/bin/bash
# save, restore (after a hot-plug too), clone, virt-clone and move-disk
# end to end, checked from
# inside the guest: a counter the guest keeps in /run (a tmpfs, so a
# reboot would lose it) goes on from where it was after a restore, and
# its uptime with it; a clone boots beside its source with its own UUID
# and its own image (a write in the clone does not reach the source's);
# a linked clone's image has the source's as its backing file; a moved
# disk boots from its new place.  Each refusal is one line and changes
# nothing.
. "$(dirname "$0")/lib.sh"

QEMU_IMG=${QEMU_IMG:-qemu-img}
MARK=QLAUNCH-CLONE-MARK-$$

uuid_of() { q info "$1" --json | sed -n 's/.*"uuid": "\(.*\)",*/\1/p'; }

# the marker somewhere in an image, read by the host (qcow2 made raw)
image_has_mark() {
	rm -f "$T/conv.raw"
	"$QEMU_IMG" convert -O raw "$1" "$T/conv.raw" || return 2
	grep -qa "$MARK" "$T/conv.raw"
}

# the guest's counter: one more every 0.2 s, in /run
start_counter() {
	gx "$1" 'i=0; (while :; do i=$((i+1)); echo $i >/run/c; sleep 0.2; done) & echo started' |
	    grep -q started || fail "no counter"
	sleep 1
}

t_guest_up() {
	create_guest sv --disk path="$T/sv.qcow2",size=1,format=qcow2 --start
	wait_ready sv
	start_counter sv
}

# the counter goes on from where it was, not from zero; so does uptime
t_save_restore() {
	local c1 c2 c3 u1 u2
	c1=$(gval sv 'cat /run/c')
	u1=$(gval sv 'cut -d. -f1 /proc/uptime')
	[ "$c1" -gt 0 ] || fail "counter '$c1'"
	q save sv "$T/sv.sav" >"$T/out" || fail "save: $(cat "$T/out")"
	grep -q "^Domain 'sv' saved to $T/sv.sav\$" "$T/out" || fail "said: $(cat "$T/out")"
	[ "$(q state --reason sv)" = "shut off (saved)" ] || fail "state: $(q state --reason sv)"
	[ -s "$T/sv.sav" ] || fail "no file"
	[ "$(stat -c %a "$T/sv.sav")" = 600 ] || fail "mode $(stat -c %a "$T/sv.sav")"
	head -c 8 "$T/sv.sav" | grep -q QLSAVE || fail "no header"
	sleep 2
	[ "$(q restore "$T/sv.sav")" = "Domain restored from $T/sv.sav" ] || fail "restore said"
	[ "$(q state --reason sv)" = "running (restored)" ] || fail "state: $(q state --reason sv)"
	c2=$(gval sv 'cat /run/c')
	u2=$(gval sv 'cut -d. -f1 /proc/uptime')
	# from where it was: not lost (a reboot empties /run), not restarted
	[ -n "$c2" ] && [ "$c2" -ge "$c1" ] || fail "counter went from $c1 to '$c2'"
	[ "$u2" -ge "$u1" ] || fail "uptime went from $u1 to $u2"
	sleep 1
	c3=$(gval sv 'cat /run/c')
	[ "$c3" -gt "$c2" ] || fail "the counter stopped at $c2 ($c3)"
}

# --paused: it stays paused, the counter with it, until resume
t_restore_paused() {
	local c1 c2
	q save sv "$T/p.sav" --verbose >"$T/out"
	grep -q '^Data processed: ' "$T/out" || fail "no figures: $(cat "$T/out")"
	grep -q '^Time elapsed: ' "$T/out" || fail "no time: $(cat "$T/out")"
	q restore "$T/p.sav" --paused >/dev/null
	[ "$(q state sv)" = paused ] || fail "state: $(q state --reason sv)"
	q resume sv >/dev/null
	c1=$(gval sv 'cat /run/c')
	sleep 1
	c2=$(gval sv 'cat /run/c')
	[ "$c2" -gt "$c1" ] || fail "counter $c1 then $c2"
}

# progress as JSON lines; saving a paused VM restores it paused
t_save_json_paused() {
	q suspend sv >/dev/null
	q save sv "$T/j.sav" --json >"$T/out"
	grep -q '"event":"JOB_PROGRESS"' "$T/out" || fail "no progress: $(cat "$T/out")"
	grep -q '"state": "paused"' "$T/out" || fail "$(cat "$T/out")"
	q restore "$T/j.sav" >/dev/null
	[ "$(q state sv)" = paused ] || fail "state: $(q state --reason sv)"
	q restore "$T/j.sav" --running >/dev/null 2>&1 && fail "restored over a live VM"
	q destroy sv >/dev/null
	q restore "$T/j.sav" --running >/dev/null
	[ "$(q state sv)" = running ] || fail "state: $(q state --reason sv)"
}

# the slot QEMU has a device on, on the root bus
pci_slot() {
	q qmp "$1" '{"execute": "query-pci"}' |
	    python3 -c 'import json, sys
for d in json.load(sys.stdin)[0]["devices"]:
    if d.get("qdev_id") == sys.argv[1]: print(d["slot"])' "$2"
}

# a disk hot-plugged, then save and restore: the restored QEMU has it at
# the same PCI slot, the guest reads what it wrote there, and its counter
# goes on; the disk unplugs from the restored QEMU
t_save_hotplugged() {
	local c1 c2 slot
	"$QEMU_IMG" create -q -f qcow2 "$T/hp.qcow2" 16M
	q attach-disk sv "$T/hp.qcow2" vdb --live --subdriver=qcow2 >/dev/null
	wait_gval sv 'cat /sys/block/vdb/size' 32768
	gx_grep sv "printf '$MARK' | dd of=/dev/vdb bs=4096 seek=2 2>/dev/null; sync; echo written" '^written' "$T/gx.out" || fail "no write"
	slot=$(pci_slot sv vdb)
	[ -n "$slot" ] || fail "QEMU has no vdb"
	c1=$(gval sv 'cat /run/c')
	q save sv "$T/hp.sav" >"$T/out" || fail "save: $(cat "$T/out")"
	q restore "$T/hp.sav" >/dev/null || fail "restore"
	[ "$(pci_slot sv vdb)" = "$slot" ] || fail "vdb moved from slot $slot to '$(pci_slot sv vdb)'"
	[ "$(gval sv "dd if=/dev/vdb bs=4096 skip=2 count=1 2>/dev/null | grep -ac $MARK")" = 1 ] ||
	    fail "the guest does not read its mark"
	c2=$(gval sv 'cat /run/c')
	[ -n "$c2" ] && [ "$c2" -ge "$c1" ] || fail "counter went from $c1 to '$c2'"
	q detach-disk sv vdb >/dev/null
	wait_gval sv 'ls /sys/block | grep -c ^vd' 1
}

# --bypass-cache: the stream is written past the page cache (O_DIRECT),
# complete (it restores, the counter goes on); the header records the
# machine version QEMU ran, and the restored QEMU runs that version
t_save_bypass_cache() {
	local c1 c2 res
	c1=$(gval sv 'cat /run/c')
	q save sv "$T/b.sav" --bypass-cache --json >"$T/out" || fail "save: $(cat "$T/out")"
	grep -q '"machine": "pc-i440fx-[0-9.]*"' "$T/out" || fail "no machine: $(cat "$T/out")"
	grep -q '"bypass_cache": true' "$T/out" || fail "$(cat "$T/out")"
	head -c 4096 "$T/b.sav" | grep -qa 'pc-i440fx-' || fail "no machine in the header"
	[ "$(dd if="$T/b.sav" bs=4096 skip=1 count=1 2>/dev/null | head -c 4)" = QEVM ] ||
	    fail "no stream at 4096"
	# in the page cache: the header's page and the tail's, no more
	res=$(fincore -b -n -o RES "$T/b.sav" | tr -d ' ')
	[ "$res" -le 65536 ] || fail "$res bytes of $(stat -c %s "$T/b.sav") in the page cache"
	q restore "$T/b.sav" --bypass-cache >/dev/null || fail "restore"
	[ "$(q state sv)" = running ] || fail "state: $(q state --reason sv)"
	tr '\0' ' ' </proc/"$(vm_pid sv)"/cmdline | grep -q -- '-machine pc-i440fx-[0-9.]*' ||
	    fail "machine: $(tr '\0' ' ' </proc/"$(vm_pid sv)"/cmdline)"
	sleep 1
	c2=$(gval sv 'cat /run/c')
	[ -n "$c2" ] && [ "$c2" -gt "$c1" ] || fail "counter went from $c1 to '$c2'"
	# without it, the same save stays in the cache: the check above can fail
	q save sv "$T/c.sav" >/dev/null
	res=$(fincore -b -n -o RES "$T/c.sav" | tr -d ' ')
	[ "$res" -gt 1048576 ] || fail "a cached save has only $res bytes cached"
	q restore "$T/c.sav" >/dev/null
}

# a full clone boots beside its source; its writes stay its own
t_clone() {
	q destroy sv >/dev/null
	out=$(q clone sv cl)
	[ "$out" = "Clone 'cl' created successfully." ] || fail "said: $out"
	[ -f "$T/cl-vda.qcow2" ] || fail "no image beside the source's"
	q blklist cl | grep -q "vda  *$T/cl-vda.qcow2\$" || fail "$(q blklist cl)"
	[ "$(uuid_of sv)" != "$(uuid_of cl)" ] || fail "same uuid"
	q start sv >/dev/null
	q start cl >/dev/null
	wait_ready sv
	wait_ready cl
	[ "$(q state sv)" = running ] && [ "$(q state cl)" = running ] || fail "not both running"
	gx_grep cl "printf '$MARK' | dd of=/dev/vda bs=1M seek=1 2>/dev/null; sync; echo written" '^written' "$T/gx.out" || fail "no write"
	q destroy cl >/dev/null
	q destroy sv >/dev/null
	image_has_mark "$T/cl-vda.qcow2" || fail "the clone's image lacks its write"
	if image_has_mark "$T/sv.qcow2"; then fail "the write reached the source"; fi
}

# --linked: a qcow2 overlay on the source's image, and it boots
t_clone_linked() {
	q clone sv ln --linked >/dev/null
	"$QEMU_IMG" info "$T/ln-vda.qcow2" | grep -q "^backing file: $T/sv.qcow2" ||
	    fail "$("$QEMU_IMG" info "$T/ln-vda.qcow2")"
	q start ln >/dev/null
	wait_ready ln
	[ "$(gval ln 'cat /sys/block/vda/size')" = 2097152 ] || fail "no 1 GiB disk"
	q destroy ln >/dev/null
}

# virt-clone's own spelling
t_virt_clone() {
	q virt-clone --original sv --name vc --auto-clone >/dev/null
	[ -f "$T/vc-vda.qcow2" ] || fail "no auto-named image"
	q virt-clone -o sv -n vc2 -f "$T/vc2-own.qcow2" >/dev/null
	q blklist vc2 | grep -q "$T/vc2-own.qcow2" || fail "$(q blklist vc2)"
	one_line_error "--auto-clone" q virt-clone -o sv -n vc3
	if q list --all | grep -q ' vc3 '; then fail "vc3 defined"; fi
}

# move-disk, then start: the old path is gone
t_move_disk() {
	mkdir -p "$T/moved"
	out=$(q move-disk vc vda "$T/moved/vc.qcow2")
	[ "$out" = "Disk vda moved to $T/moved/vc.qcow2" ] || fail "said: $out"
	[ ! -e "$T/vc-vda.qcow2" ] || fail "the old image is still there"
	[ -f "$T/moved/vc.qcow2" ] || fail "no new image"
	q dumpconfig vc | grep -q "^disk: $T/moved/vc.qcow2," || fail "$(q dumpconfig vc)"
	# another file system (a tmpfs of its own): copied, the old one removed
	mkdir -p "$T/other"
	if mount -t tmpfs -o size=64m tmpfs "$T/other" 2>/dev/null; then
		out=$(q move-disk vc vda "$T/other/vc.qcow2")
		case $out in *"copied across file systems"*) ;; *) fail "said: $out" ;; esac
		[ ! -e "$T/moved/vc.qcow2" ] || fail "the copied image stayed"
		"$QEMU_IMG" info "$T/other/vc.qcow2" | grep -q '^file format: qcow2' ||
		    fail "not qcow2: $("$QEMU_IMG" info "$T/other/vc.qcow2")"
		q move-disk vc vda "$T/moved/vc.qcow2" >/dev/null
		[ ! -e "$T/other/vc.qcow2" ] || fail "left on the tmpfs"
		umount "$T/other"
	else
		echo "not root: the copy across file systems is not tried"
	fi
	q start vc >/dev/null
	wait_ready vc
	[ "$(gval vc 'cat /sys/block/vda/size')" = 2097152 ] || fail "no disk"
	one_line_error "move-disk needs it shut off" q move-disk vc vda "$T/x.qcow2"
	q destroy vc >/dev/null
}

t_errors() {
	q list --all >"$T/before"
	images() { ls "$T" | grep -e '\.qcow2$' -e '\.sav$'; }
	images >"$T/files.before"
	q start sv >/dev/null
	wait_ready sv
	echo keep >"$T/exists.sav"
	one_line_error "exists" q save sv "$T/exists.sav"
	[ "$(cat "$T/exists.sav")" = keep ] || fail "the file was changed"
	[ "$(q state sv)" = running ] || fail "state: $(q state --reason sv)"
	head -c 4096 /dev/urandom >"$T/garbage.sav"
	one_line_error "is not a qlaunch save file" q restore "$T/garbage.sav"
	one_line_error "clone needs it shut off or paused" q clone sv c9
	q destroy sv >/dev/null
	one_line_error "VM 'cl' exists already" q clone sv cl
	one_line_error "exists already" q clone sv c8 --file "$T/sv.qcow2"
	q list --all >"$T/after"
	diff "$T/before" "$T/after" || fail "the list changed"
	images | grep -v -e '^garbage.sav$' -e '^exists.sav$' >"$T/files.after"
	diff "$T/files.before" "$T/files.after" || fail "files changed"
}

start_daemon || exit 1
run_tests guest_up save_restore restore_paused save_json_paused save_hotplugged \
    save_bypass_cache clone clone_linked \
    virt_clone move_disk errors
