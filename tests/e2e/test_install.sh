#!/bin/bash
# Install media end to end, as virt-install's --cdrom and --location:
# the test guest booted from its CD-ROM (guest.iso, isolinux) and from
# the kernel and initrd taken out of that ISO or of an install tree, each
# checked from inside the guest (its kernel command line, the CD-ROM, its
# disk); the guest's reboot ending the install, after which the VM runs
# again, from a new QEMU, with the disk first in its boot order (SeaBIOS
# says so on its debug port); the install phase surviving a restart of
# the supervisor; and the errors of bad media.
. "$(dirname "$0")/lib.sh"

ISO=$GUEST/guest.iso
MACHINE=(--memory 256 --accel tcg,tb-size=32)

# SeaBIOS's messages on its debug port (0x402), into a file per VM
debugcon() {
	printf '%s\n' --qemu-commandline \
	    "-chardev file,id=bios,path=$T/$1.bios -device isa-debugcon,iobase=0x402,chardev=bios"
}

# reboot_guest NAME: the guest reboots; wait for the new QEMU to be up
reboot_guest() {
	local name=$1 old
	old=$(vm_pid "$name")
	printf 'reboot -f\n' | q console "$name" --quiet 300 --timeout 5 >/dev/null || true
	for _ in $(seq 300); do
		pid=$(vm_pid "$name")
		[ -n "$pid" ] && [ "$pid" != "$old" ] && [ "$(q state "$name")" = running ] &&
		    return 0
		sleep 0.1
	done
	fail "$name did not start again: $(q state --reason "$name"), pid $(vm_pid "$name")"
}

# bootindex NAME DEVICE: what the running QEMU has for the device
bootindex() {
	q qmp "$1" "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/$2\", \"property\": \"bootindex\"}}" |
	    tr -d ' \n'
}

# The CD-ROM install: boots the CD, sees its disk; its reboot ends the
# install and the VM runs again with the disk first.
t_cdrom_install() {
	mapfile -t bios < <(debugcon inst)
	q create inst "${MACHINE[@]}" --cdrom "$ISO" --disk size=0.1 \
	    "${bios[@]}" --noautoconsole >"$T/out"
	grep -qx "VM inst created and started" "$T/out" || fail "said: $(cat "$T/out")"
	q dumpconfig inst >"$T/conf"
	grep -qx "install: cdrom" "$T/conf" || fail "dumpconfig: $(cat "$T/conf")"
	grep -q "^disk: $T/state/images/inst-vda.qcow2,.*boot_order=1" "$T/conf" ||
	    fail "the disk's boot order: $(cat "$T/conf")"
	grep -q "^disk: $ISO,.*device=cdrom,.*boot_order=2" "$T/conf" ||
	    fail "the CD-ROM's boot order: $(cat "$T/conf")"
	# the install phase: the CD first, a reboot stops QEMU
	q cmdline inst >"$T/cmd"
	grep -q '"id":"hda".*"bootindex":1' "$T/cmd" || fail "cmdline: $(cat "$T/cmd")"
	grep -q '"id":"vda".*"bootindex":2' "$T/cmd" || fail "cmdline: $(cat "$T/cmd")"
	grep -qx 'reboot=shutdown' "$T/cmd" || fail "no reboot=shutdown: $(cat "$T/cmd")"
	wait_ready inst
	[ "$(bootindex inst hda)" = 1 ] || fail "hda bootindex $(bootindex inst hda)"
	# the guest runs from the CD: isolinux's command line
	gval inst 'cat /proc/cmdline' | grep -q 'qlt=cdrom' ||
	    fail "cmdline in the guest: $(gval inst 'cat /proc/cmdline')"
	grep -q 'Booting from DVD/CD' "$T/inst.bios" || fail "bios: $(cat "$T/inst.bios")"
	grep -q 'Booting from Hard Disk' "$T/inst.bios" &&
	    fail "the disk was tried first: $(cat "$T/inst.bios")"
	# it sees its disk (0.1 GiB) and the CD-ROM, with the marker on it
	wait_gval inst 'cat /sys/block/vda/size' 209716
	wait_gval inst 'ls /sys/block | grep -c ^sr0' 1
	[ "$(gval inst 'mount -t iso9660 -o ro /dev/sr0 /mnt && cat /mnt/qlaunch-guest.txt; umount /mnt')" = \
	    QLAUNCH-GUEST-ISO ] || fail "no marker on the CD-ROM"
	# the guest reboots: the install is over, a new QEMU boots the disk
	# first (empty: SeaBIOS goes on to the CD-ROM, which stays attached)
	reboot_guest inst
	q dumpconfig inst | grep -q '^install:' && fail "install kept: $(q dumpconfig inst)"
	q cmdline inst >"$T/cmd"
	grep -q '"id":"vda".*"bootindex":1' "$T/cmd" || fail "cmdline: $(cat "$T/cmd")"
	grep -q '"id":"hda".*"bootindex":2' "$T/cmd" || fail "cmdline: $(cat "$T/cmd")"
	grep -qx 'reboot=shutdown' "$T/cmd" && fail "still reboot=shutdown"
	wait_ready inst
	[ "$(bootindex inst vda)" = 1 ] || fail "vda bootindex $(bootindex inst vda)"
	[ "$(bootindex inst hda)" = 2 ] || fail "hda bootindex $(bootindex inst hda)"
	sed -n '/Booting from/p' "$T/inst.bios" >"$T/boots"
	[ "$(sed -n 1p "$T/boots")" = "Booting from Hard Disk..." ] ||
	    fail "bios: $(cat "$T/inst.bios")"
	grep -q 'Booting from DVD/CD' "$T/boots" || fail "bios: $(cat "$T/inst.bios")"
	# on_reboot is the VM's own again: a reboot now is a plain reset
	pid=$(vm_pid inst)
	printf 'reboot -f\n' | q console inst --quiet 300 --timeout 5 >/dev/null || true
	sleep 1
	wait_state inst running
	[ "$(vm_pid inst)" = "$pid" ] || fail "a new QEMU after the install"
	q destroy inst >/dev/null
	q undefine inst >/dev/null
}

# --location ISO: the installer's kernel and initrd come out of the ISO
t_location_iso() {
	q create loc "${MACHINE[@]}" --location "$ISO" \
	    --extra-args "console=ttyS0 panic=-1 quiet qlt=loc" \
	    --disk size=0.1 --noautoconsole >/dev/null
	cmp -s "$T/state/boot/loc/vmlinuz" "$GUEST/bzImage" || fail "no kernel in boot/loc"
	cmp -s "$T/state/boot/loc/initrd" "$GUEST/initrd.img" || fail "no initrd in boot/loc"
	q dumpconfig loc >"$T/conf"
	grep -qx "install: kernel=$T/state/boot/loc/vmlinuz,initrd=$T/state/boot/loc/initrd,append=console=ttyS0 panic=-1 quiet qlt=loc,location=$ISO" \
	    "$T/conf" || fail "dumpconfig: $(cat "$T/conf")"
	# the ISO is a CD-ROM too, for the installer's packages
	grep -q "^disk: $ISO,.*device=cdrom" "$T/conf" || fail "no CD-ROM: $(cat "$T/conf")"
	wait_ready loc
	gval loc 'cat /proc/cmdline' | grep -q 'qlt=loc' ||
	    fail "cmdline in the guest: $(gval loc 'cat /proc/cmdline')"
	wait_gval loc 'ls /sys/block | grep -c ^sr0' 1
	wait_gval loc 'cat /sys/block/vda/size' 209716
	# the reboot ends it: no kernel lines, the copies gone; the disk is
	# empty, so the CD-ROM boots, with isolinux's command line
	reboot_guest loc
	q dumpconfig loc | grep -q '^install:' && fail "install kept: $(q dumpconfig loc)"
	[ ! -e "$T/state/boot/loc" ] || fail "boot/loc is still there"
	q cmdline loc | grep -qx -- '-kernel' && fail "-kernel after the install"
	wait_ready loc
	gval loc 'cat /proc/cmdline' | grep -q 'qlt=cdrom' ||
	    fail "cmdline in the guest: $(gval loc 'cat /proc/cmdline')"
	q destroy loc >/dev/null
	q undefine loc >/dev/null
}

# --location DIR: an install tree works the same, without a CD-ROM; the
# install phase outlives a destroy and a restart of the supervisor
t_location_tree() {
	mkdir -p "$T/tree/isolinux"
	cp "$GUEST/bzImage" "$T/tree/isolinux/vmlinuz"
	cp "$GUEST/initrd.img" "$T/tree/isolinux/initrd.img"
	(cd "$T" && q create tree "${MACHINE[@]}" --location tree \
	    --extra-args "console=ttyS0 panic=-1 quiet qlt=tree" --noautoconsole >/dev/null)
	cmp -s "$T/state/boot/tree/vmlinuz" "$GUEST/bzImage" || fail "no kernel in boot/tree"
	q dumpconfig tree | grep -q "^install: kernel=.*,location=$T/tree\$" ||
	    fail "dumpconfig: $(q dumpconfig tree)"
	q blklist tree | grep -q 'hda' && fail "a CD-ROM for a tree: $(q blklist tree)"
	wait_ready tree
	gval tree 'cat /proc/cmdline' | grep -q 'qlt=tree' || fail "cmdline in the guest"
	# destroyed mid-install: the next start installs again
	q destroy tree >/dev/null
	q dumpconfig tree | grep -q '^install: kernel=' || fail "the install was lost"
	q start tree >/dev/null
	wait_ready tree
	# the supervisor restarts; the new one knows the install from the file
	stop_daemon
	start_daemon || fail "qlaunchd did not come back"
	wait_state tree running
	reboot_guest tree
	q dumpconfig tree | grep -q '^install:' && fail "install kept: $(q dumpconfig tree)"
	[ ! -e "$T/state/boot/tree" ] || fail "boot/tree is still there"
	q destroy tree >/dev/null
	q undefine tree >/dev/null
}

# undefine removes the copied installer files
t_undefine_removes() {
	q create gone "${MACHINE[@]}" --location "$ISO" --noautoconsole --wait 0 >/dev/null
	[ -s "$T/state/boot/gone/vmlinuz" ] || fail "no kernel in boot/gone"
	q destroy gone >/dev/null
	q undefine gone >/dev/null
	[ ! -e "$T/state/boot/gone" ] || fail "boot/gone is still there"
}

# Bad media: one clear line each, and nothing defined or left behind.
t_errors() {
	one_line_error "$T/none.iso: No such file or directory" \
	    q create e1 "${MACHINE[@]}" --cdrom "$T/none.iso" --noautoconsole
	one_line_error "no VM named 'e1'" q info e1
	one_line_error "location: $T/none.iso: No such file or directory" \
	    q create e2 "${MACHINE[@]}" --location "$T/none.iso" --noautoconsole
	one_line_error "no VM named 'e2'" q info e2
	# an ISO image without an installer's kernel
	mkdir -p "$T/plain/doc"
	echo hello >"$T/plain/doc/README"
	genisoimage -quiet -R -o "$T/plain.iso" "$T/plain"
	one_line_error "location: $T/plain.iso: no installer kernel in this ISO image (looked for install.amd/vmlinuz, " \
	    q create e3 "${MACHINE[@]}" --location "$T/plain.iso" --noautoconsole
	one_line_error "no VM named 'e3'" q info e3
	# garbage
	head -c 100000 /dev/urandom >"$T/garbage.iso"
	one_line_error "location: $T/garbage.iso: not an ISO image or an install tree" \
	    q create e4 "${MACHINE[@]}" --location "$T/garbage.iso" --disk size=0.1 --noautoconsole
	one_line_error "no VM named 'e4'" q info e4
	[ ! -e "$T/state/images/e4-vda.qcow2" ] || fail "e4's image was left"
	# a tree without a layout, a URL
	one_line_error "location: $T/plain: no installer kernel in this install tree" \
	    q create e5 "${MACHINE[@]}" --location "$T/plain" --noautoconsole
	one_line_error "a URL is not supported" q create e6 "${MACHINE[@]}" \
	    --location http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/ \
	    --noautoconsole
	for n in e1 e2 e3 e4 e5 e6; do
		[ ! -e "$T/state/boot/$n" ] || fail "boot/$n was left"
		[ ! -e "$T/state/vms/$n.conf" ] || fail "$n.conf was left"
	done
}

[ -s "$ISO" ] || { echo "no $ISO: run make guest"; exit 1; }
start_daemon || exit 1
run_tests cdrom_install location_iso location_tree undefine_removes errors
