#!/bin/bash
# mkguest.sh - build the qlaunch test guest from Debian 12 packages.
#
# Usage: images/mkguest.sh [--force] OUTDIR
#
# Fetches linux-image-cloud-amd64 (and the versioned kernel package it
# depends on) and busybox-static with `apt-get download`, unpacks them with
# dpkg-deb -x (nothing is installed) and writes into OUTDIR:
#
#   bzImage     the kernel as shipped (vmlinuz)
#   vmlinux     the uncompressed ELF extracted from the bzImage's LZ4
#               payload; boots directly with PVH (-kernel vmlinux)
#   initrd.img  gzip'd newc cpio: busybox-static, the virtio/ACPI button/
#               evdev modules and the NIC drivers (virtio_net, e1000, e1000e,
#               8139cp for QEMU's rtl8139) in dependency order, udhcpc's
#               lease script, and images/guest-init as /init
#               and /bin/qlstress (images/guesttools/qlstress.c, built
#               here with the host's gcc -static: the workload and the
#               heartbeat of migration experiments), /bin/qlagent
#               (guesttools/qlagent.c: the guest agent on the port
#               org.qemu.guest_agent.0)
#   VERSION     the kernel release (uname -r in the guest), one line
#   guest.iso   a bootable isolinux CD-ROM (genisoimage): isolinux/vmlinuz
#               (the bzImage) and isolinux/initrd.img, booted at once on the
#               serial console with "console=ttyS0 panic=-1 quiet qlt=cdrom",
#               and the marker file qlaunch-guest.txt (QLAUNCH-GUEST-ISO)
#
# The guest (see guest-init) loads its modules, starts acpid (an ACPI power
# button press powers it off) and runs a root shell on ttyS0 that prints
# QLAUNCH-GUEST-READY once, just before its first "# " prompt. The console
# does not echo input. Another root shell runs on tty1, the VGA text console
# (seen over VNC when the VM has a video device). Kernel command line:
# console=ttyS0 panic=-1 quiet
#
# The result is cached: when OUTDIR holds every output and they were built
# from the current mkguest.sh, guest-init, qlstress.c and qlagent.c (.stamp holds
# their hashes),
# nothing is downloaded. --force rebuilds. The build runs in a temporary
# directory inside OUTDIR, removed on exit; outputs are renamed into place
# and .stamp is written last, so an interrupted build is rebuilt next time.
# The guest sees a CD-ROM on the IDE bus of pc (ata_piix, sr_mod) and
# mounts it (isofs); the cloud kernel has no AHCI driver, so a CD-ROM on
# q35 must be bus=scsi.
# The cloud kernel has no e1000, e1000e or 8139cp either: those are built
# from linux-source (the kernel's version) against its linux-headers and
# linux-kbuild, all fetched with apt-get download, about 150 MB, once.
# Host tools: apt-get, dpkg-deb, cpio, gzip, lz4, coreutils, findutils,
# genisoimage, isolinux and syslinux-common; make and the kernel's
# compiler (gcc-12) when drivers are built (see srcmods); gcc and the
# static C library (libc6-dev) for qlstress.

# bash is needed (pipefail, local, ${var//x/y}), even when run as "sh mkguest.sh"
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -eu
set -o pipefail

prog=mkguest
here=$(cd "$(dirname "$0")" && pwd)
init_src=$here/guest-init
stress_src=$here/guesttools/qlstress.c
agent_src=$here/guesttools/qlagent.c

# Modules the guest loads (with their dependencies); built-ins are skipped.
# NICs: virtio_net, e1000, e1000e, and 8139cp for QEMU's rtl8139 (an
# 8139C+, which 8139too declines).  virtio_mem: setmem --hotplug's
# virtio-mem device (Debian builds it as a module).
modules="virtio_pci virtio_mmio virtio_blk virtio_net virtio_balloon
virtio_scsi sd_mod virtio_console virtio_input button evdev
ata_piix sr_mod isofs e1000 e1000e 8139cp virtio_mem"
# The cloud kernel lacks some drivers: those of this list it lacks are
# built from Debian's linux-source against its linux-headers (same
# version), "module:source file or directory" (a directory's Makefile
# uses CONFIG_<MODULE>).
srcmods="e1000:drivers/net/ethernet/intel/e1000
e1000e:drivers/net/ethernet/intel/e1000e
8139cp:drivers/net/ethernet/realtek/8139cp.c
mii:drivers/net/mii.c"
# Module parameters, "name:params". scan=sync: SCSI disks exist before the
# ready line.
modparams="scsi_mod:scan=sync"

outputs="bzImage vmlinux initrd.img VERSION guest.iso"

# isolinux 6 needs ldlinux.c32 beside isolinux.bin
isolinux_bin=/usr/lib/ISOLINUX/isolinux.bin
ldlinux_c32=/usr/lib/syslinux/modules/bios/ldlinux.c32

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}

usage() {
	printf 'usage: %s [--force] OUTDIR\n' "$0" >&2
	exit 2
}

force=0
outdir=
for arg in "$@"; do
	case $arg in
	--force|-f) force=1 ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) [ -z "$outdir" ] || usage; outdir=$arg ;;
	esac
done
[ -n "$outdir" ] || usage

[ -r "$init_src" ] || die "$init_src: missing"
[ -r "$stress_src" ] || die "$stress_src: missing"
[ -r "$agent_src" ] || die "$agent_src: missing"
stamp_want=$(cat "$0" "$init_src" "$stress_src" "$agent_src" | sha256sum | cut -d' ' -f1)

cached() {
	local f
	for f in $outputs .stamp; do
		[ -s "$outdir/$f" ] || return 1
	done
	[ "$(cat "$outdir/.stamp")" = "$stamp_want" ]
}

if [ "$force" = 0 ] && cached; then
	exit 0
fi

need() { # tool debian-package
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 not found: install the Debian package $2"
}
need apt-get apt
need dpkg-deb dpkg
need cpio cpio
need gzip gzip
need lz4 lz4
need od coreutils
need sha256sum coreutils
need find findutils
need dd coreutils
need genisoimage genisoimage
need gcc gcc
[ -r "$isolinux_bin" ] || die "$isolinux_bin not found: install the Debian package isolinux"
[ -r "$ldlinux_c32" ] || die "$ldlinux_c32 not found: install the Debian package syslinux-common"

mkdir -p "$outdir" || die "cannot create $outdir"
outdir=$(cd "$outdir" && pwd)
# The work directory lives in OUTDIR so outputs are renamed, not copied.
tmp=$(mktemp -d "$outdir/.mkguest.XXXXXX") || die "cannot create a temporary directory in $outdir"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

debs=$tmp/debs
kroot=$tmp/kernel
broot=$tmp/busybox
root=$tmp/root
new=$tmp/out
mkdir "$debs" "$kroot" "$broot" "$root" "$new"

# download PACKAGE... into $debs; one error line on failure
download() {
	local log=$tmp/apt.log err
	if ! (cd "$debs" && apt-get download "$@") >"$log" 2>&1; then
		err=$(grep '^E:' "$log" | sed -n 1p || true)
		[ -n "$err" ] || err=$(tail -n 1 "$log")
		die "apt-get download $* failed: ${err:-no output} (run apt-get update?)"
	fi
}

download linux-image-cloud-amd64:amd64 busybox-static:amd64

first() { [ -e "$1" ] && printf '%s\n' "$1"; return 0; }

meta=$(first "$debs"/linux-image-cloud-amd64_*.deb)
[ -n "$meta" ] || die "apt-get download did not produce linux-image-cloud-amd64"
# Depends: linux-image-6.1.0-NN-cloud-amd64 (= 6.1.x-y)
dep=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' |
	sed -n 's/^ *\(linux-image-[0-9][^ ]*\) *(= *\([^)]*\)).*/\1=\2/p;
		s/^ *\(linux-image-[0-9][^ (]*\) *$/\1/p' | sed -n 1p)
[ -n "$dep" ] || die "cannot find the kernel package in the Depends of $(basename "$meta")"
kpkg=${dep%%=*}
case $dep in
*=*) download "$kpkg:amd64=${dep#*=}" ;;
*) download "$kpkg:amd64" ;;
esac

kdeb=$(first "$debs/${kpkg}"_*.deb)
bdeb=$(first "$debs"/busybox-static_*.deb)
[ -n "$kdeb" ] || die "apt-get download did not produce $kpkg"
[ -n "$bdeb" ] || die "apt-get download did not produce busybox-static"
kvers=$(dpkg-deb -f "$kdeb" Version)
dpkg-deb -x "$kdeb" "$kroot" || die "dpkg-deb -x $(basename "$kdeb") failed"
dpkg-deb -x "$bdeb" "$broot" || die "dpkg-deb -x $(basename "$bdeb") failed"
rm -f "$debs"/*.deb

kver=${kpkg#linux-image-}
vmlinuz=$kroot/boot/vmlinuz-$kver
moddir=$kroot/lib/modules/$kver
[ -s "$vmlinuz" ] || die "$kpkg has no /boot/vmlinuz-$kver"
[ -d "$moddir/kernel" ] || die "$kpkg has no /lib/modules/$kver/kernel"
[ -x "$broot/bin/busybox" ] || die "busybox-static has no /bin/busybox"

# ---- drivers the kernel lacks (srcmods), built into $moddir/kernel/extra

# module names the kernel package has, as files or built in
has_module() {
	local n=${1//-/_}
	[ -n "$(find "$moddir/kernel" -name "$1.ko*" -print -quit)" ] ||
		[ -n "$(find "$moddir/kernel" -name "$n.ko*" -print -quit)" ] ||
		grep -q "/$1\.ko\$" "$moddir/modules.builtin" 2>/dev/null
}

build_srcmods() {
	local kmm kabi want='' names='' line m src hdr ksrc=$tmp/ksrc nic=$tmp/nicsrc cc
	for line in $srcmods; do
		has_module "${line%%:*}" && continue
		want="$want $line"
		names="$names ${line%%:*}"
	done
	[ -n "$want" ] || return 0
	need make make
	need xz xz-utils
	kmm=$(printf '%s\n' "$kver" | sed -n 's/^\([0-9]*\.[0-9]*\)\..*/\1/p')
	kabi=${kver%-cloud-amd64}
	if [ -z "$kmm" ] || [ "$kabi" = "$kver" ]; then
		die "cannot tell the linux-source and linux-headers packages of kernel $kver"
	fi
	download "linux-source-$kmm=$kvers" "linux-headers-$kver:amd64=$kvers" \
		"linux-headers-$kabi-common=$kvers" "linux-kbuild-$kmm:amd64=$kvers"
	mkdir -p "$ksrc" "$nic"
	for d in "$debs"/linux-headers-*.deb "$debs"/linux-kbuild-*.deb; do
		dpkg-deb -x "$d" "$ksrc" || die "dpkg-deb -x $(basename "$d") failed"
	done
	hdr=$ksrc/usr/src/linux-headers-$kver
	[ -f "$hdr/Makefile" ] || die "linux-headers-$kver has no Makefile"
	# its Makefile includes the common headers by their installed path
	sed -i "s|^include /usr/src/|include $ksrc/usr/src/|" "$hdr/Makefile"
	cc=$(sed -n 's/^CC = .*\(gcc-[0-9]*\).*/\1/p' "$hdr/.kernelvariables" 2>/dev/null)
	need "${cc:-gcc}" "${cc:-gcc}"
	local members=
	for line in $want; do
		members="$members linux-source-$kmm/${line#*:}"
	done
	# shellcheck disable=SC2086 # members is a word list
	dpkg-deb --fsys-tarfile "$debs"/linux-source-"$kmm"_*.deb |
		tar -xO "./usr/src/linux-source-$kmm.tar.xz" | xz -dc |
		tar -x -C "$ksrc" $members ||
		die "cannot unpack${members} from linux-source-$kmm"
	rm -f "$debs"/*.deb
	: >"$nic/Kbuild"
	local flags=
	for line in $want; do
		m=${line%%:*} src=$ksrc/linux-source-$kmm/${line#*:}
		if [ -d "$src" ]; then
			cp -r "$src" "$nic/$m"
			printf 'obj-m += %s/\n' "$m" >>"$nic/Kbuild"
			flags="$flags CONFIG_$(printf '%s' "$m" | tr '[:lower:]' '[:upper:]')=m"
		else
			cp "$src" "$nic/"
			printf 'obj-m += %s.o\n' "$(basename "${src%.c}")" >>"$nic/Kbuild"
		fi
	done
	# shellcheck disable=SC2086 # flags is a word list
	if ! make -C "$hdr" M="$nic" $flags -j"$(nproc)" modules >"$tmp/kbuild.log" 2>&1; then
		die "building${names} failed: $(grep -m1 -i 'error' "$tmp/kbuild.log" || tail -n 1 "$tmp/kbuild.log")"
	fi
	mkdir -p "$moddir/kernel/extra"
	for line in $want; do
		m=${line%%:*}
		find "$nic" -name "$m.ko" -exec cp {} "$moddir/kernel/extra/" \;
		[ -s "$moddir/kernel/extra/$m.ko" ] || die "building $m gave no $m.ko"
	done
	built_src=$names
}
built_src=
build_srcmods

# ---- vmlinux: the bzImage's LZ4 payload, located through the setup header

le32() { # file offset -> unsigned little-endian 32-bit value
	od -An -tu1 -j "$2" -N4 "$1" |
		awk '{ print $1 + $2 * 256 + $3 * 65536 + $4 * 16777216 }'
}

[ "$(od -An -c -j 514 -N4 "$vmlinuz" | tr -d ' ')" = HdrS ] ||
	die "vmlinuz-$kver is not a bzImage (no HdrS setup header)"
setup_sects=$(od -An -tu1 -j 497 -N1 "$vmlinuz" | tr -d ' ')
[ "$setup_sects" -ne 0 ] || setup_sects=4
payload_off=$(( (setup_sects + 1) * 512 + $(le32 "$vmlinuz" 584) ))
payload_len=$(le32 "$vmlinuz" 588)
magic=$(od -An -tx1 -j "$payload_off" -N4 "$vmlinuz" | tr -d ' ')
[ "$magic" = 02214c18 ] ||
	die "vmlinuz-$kver payload is not LZ4 (magic $magic); cannot extract vmlinux"
# The payload is the LZ4 legacy frame followed by the 32-bit output size.
if ! dd if="$vmlinuz" bs=1M skip="$payload_off" count="$((payload_len - 4))" \
	iflag=skip_bytes,count_bytes status=none | lz4 -dc >"$new/vmlinux" 2>"$tmp/lz4.log"; then
	die "lz4 failed to decompress the vmlinuz-$kver payload: $(head -n 1 "$tmp/lz4.log")"
fi
want_size=$(le32 "$vmlinuz" $((payload_off + payload_len - 4)))
got_size=$(wc -c <"$new/vmlinux")
[ "$got_size" -eq "$want_size" ] ||
	die "vmlinux is $got_size bytes, the bzImage says $want_size"
# ELF, 64-bit, little-endian, x86-64 (e_machine 62)
if [ "$(od -An -tx1 -N6 "$new/vmlinux" | tr -d ' ')" != 7f454c460201 ] ||
	[ "$(od -An -tu1 -j 18 -N1 "$new/vmlinux" | tr -d ' ')" != 62 ]; then
	die "the vmlinuz-$kver payload is not an x86-64 ELF"
fi
cp "$vmlinuz" "$new/bzImage"

# ---- modules: copy each wanted module and its dependencies, in load order

# index: "name relative-path" for every module file (name with - as _)
(cd "$moddir" && find kernel -name '*.ko*') |
	awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko(\..*)?$/, "", n);
		gsub(/-/, "_", n); print n, $0 }' >"$tmp/modindex"
: >"$tmp/builtin"
[ ! -f "$moddir/modules.builtin" ] ||
	awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko$/, "", n);
		gsub(/-/, "_", n); print n }' "$moddir/modules.builtin" >"$tmp/builtin"

rootmod=/lib/modules/$kver
mkdir -p "$root$rootmod"
: >"$tmp/modorder"
seen=" "
loaded=
builtin=

add_module() {
	local name=${1//-/_} rel dst deps d params
	case $seen in *" $name "*) return 0 ;; esac
	seen="$seen$name "
	if grep -qx "$name" "$tmp/builtin"; then
		builtin="$builtin $name"
		return 0
	fi
	rel=$(awk -v n="$name" '$1 == n { print $2; exit }' "$tmp/modindex")
	[ -n "$rel" ] || die "kernel module $name not found in $kpkg"
	dst=$root$rootmod/${rel%.ko*}.ko
	mkdir -p "$(dirname "$dst")"
	case $rel in
	*.ko) cp "$moddir/$rel" "$dst" ;;
	*.ko.xz) need xz xz-utils; xz -dc "$moddir/$rel" >"$dst" ;;
	*.ko.zst) need zstd zstd; zstd -qdc "$moddir/$rel" >"$dst" ;;
	*.ko.gz) gzip -dc "$moddir/$rel" >"$dst" ;;
	*) die "$rel: unknown module compression" ;;
	esac || die "cannot copy module $rel"
	deps=$(tr '\0' '\n' <"$dst" | sed -n 's/^depends=//p' | sed -n 1p)
	for d in ${deps//,/ }; do
		add_module "$d"
	done
	params=$(printf '%s\n' $modparams | sed -n "s/^$name://p" | tr ',' ' ')
	printf '%s %s\n' "$rootmod/${rel%.ko*}.ko" "$params" >>"$tmp/modorder"
	loaded="$loaded $name"
}

for m in $modules; do
	add_module "$m"
done

# ---- the initramfs tree

mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin \
	"$root"/dev "$root"/proc "$root"/sys "$root"/tmp "$root"/run \
	"$root"/var/log "$root"/var/run "$root"/root "$root"/mnt "$root"/etc
cp "$broot/bin/busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$init_src" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox"
# the guest's own programs: static, on the host's C library
if ! gcc -static -O2 -std=c11 -D_GNU_SOURCE -Wall -o "$root/bin/qlstress" \
	"$stress_src" 2>"$tmp/gcc.log"; then
	die "building qlstress failed (gcc -static needs libc6-dev): $(grep -m1 -i 'error' "$tmp/gcc.log" || tail -n 1 "$tmp/gcc.log")"
fi
if ! gcc -static -O2 -std=c11 -D_GNU_SOURCE -Wall -o "$root/bin/qlagent" \
	"$agent_src" 2>"$tmp/gcc.log"; then
	die "building qlagent failed: $(grep -m1 -i 'error' "$tmp/gcc.log" || tail -n 1 "$tmp/gcc.log")"
fi
sed 's/ *$//' "$tmp/modorder" >"$root/etc/modules"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
# root's password is locked; the agent's guest-set-user-password sets it
printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
chmod 600 "$root/etc/shadow"
printf 'root:x:0:\n' >"$root/etc/group"
printf '%s\n' "$kver" >"$root/etc/qlaunch-guest-version"
# busybox udhcpc applies a lease through this script: "udhcpc -i eth0"
# configures eth0's address, default route and resolv.conf.
mkdir -p "$root/etc/udhcpc"
cat >"$root/etc/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc's lease script: $1 is deconfig, bound, renew or nak.
case $1 in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" ${broadcast:+broadcast "$broadcast"} dev "$interface"
	for r in $router; do
		ip route replace default via "$r" dev "$interface"
		break
	done
	: >/etc/resolv.conf
	for d in $dns; do
		echo "nameserver $d" >>/etc/resolv.conf
	done
	;;
esac
exit 0
EOF
chmod 755 "$root/etc/udhcpc/default.script"

# Fixed mtimes and sorted names: the same packages give the same initrd.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9n >"$new/initrd.img" ||
	die "cannot create initrd.img (cpio or gzip failed)"

printf '%s\n' "$kver" >"$new/VERSION"

# ---- guest.iso: the same kernel and initrd on an isolinux CD-ROM

iso=$tmp/iso
mkdir -p "$iso/isolinux"
cp "$new/bzImage" "$iso/isolinux/vmlinuz"
cp "$new/initrd.img" "$iso/isolinux/initrd.img"
cp "$isolinux_bin" "$ldlinux_c32" "$iso/isolinux/"
cat >"$iso/isolinux/isolinux.cfg" <<'EOF'
SERIAL 0 115200
DEFAULT guest
PROMPT 0
TIMEOUT 1
LABEL guest
  KERNEL /isolinux/vmlinuz
  INITRD /isolinux/initrd.img
  APPEND console=ttyS0 panic=-1 quiet qlt=cdrom
EOF
printf 'QLAUNCH-GUEST-ISO\n' >"$iso/qlaunch-guest.txt"
find "$iso" -exec touch -h -d @0 {} +
if ! genisoimage -quiet -o "$new/guest.iso" -V QLAUNCH_GUEST -R -J \
	-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot \
	-boot-load-size 4 -boot-info-table "$iso" 2>"$tmp/iso.log"; then
	die "genisoimage failed: $(head -n 1 "$tmp/iso.log")"
fi

# ---- install: drop the stamp, rename the outputs, write the stamp last

rm -f "$outdir/.stamp"
for f in $outputs; do
	mv -f "$new/$f" "$outdir/$f" || die "cannot move $f into $outdir"
done
printf '%s\n' "$stamp_want" >"$tmp/stamp"
mv -f "$tmp/stamp" "$outdir/.stamp" || die "cannot write $outdir/.stamp"

printf '%s: %s: kernel %s; modules:%s; built in:%s; built from source:%s\n' \
	"$prog" "$outdir" "$kver" "${loaded:- none}" "${builtin:- none}" \
	"${built_src:- none}"
