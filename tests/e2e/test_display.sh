#!/bin/bash
# End to end: the guest's screen over VNC, seen by a real VNC client.
#
# A VM defined with "graphics: vnc" gets a video device (std VGA), so a VNC
# client shows the guest's VGA text console: SeaBIOS's banner, then what
# the guest writes to tty1 (the test guest runs a second shell there; the
# serial console stays the kernel's console, so no console=tty0 is needed).
# Without a video device QEMU's VNC server shows only "This VM has no
# graphic display device." on a 640x480 screen; that screen is captured from
# a bare QEMU in the same run as the reference that the VM must not match.
#
# What this file expects from qlaunch:
#   qlaunch create NAME ... --graphics vnc   adds the video device by itself
#   qlaunch vncdisplay NAME        prints 127.0.0.1:N (port 5900 + N)
#   qlaunch screenshot NAME FILE   writes the VM's screen (QMP screendump)
#                                  to FILE as a PNG
#   qlaunch send-key NAME [--codeset linux] KEY_...
#                                  presses the keys together, then releases
#                                  them (Linux key names, as virsh send-key);
#                                  an unknown key name is an error
#
# Host tools: vncsnapshot (the VNC client; it writes a JPEG), djpeg from
# libjpeg-turbo-progs (JPEG to PPM) and python3 (screen.py beside this file
# reads PPM and PNG with the standard library only).
#
# Screens are compared as text cells (screen.py map): 80x25 cells of 9x16
# pixels in VGA text mode, '#' for a cell with light pixels, '.' for a dark
# one. The blinking cursor lights at most one cell.
. "$(dirname "$0")/lib.sh"

SCREEN="python3 $(dirname "$0")/screen.py"
VM=d1

for tool in vncsnapshot djpeg python3; do
	command -v "$tool" >/dev/null ||
	    { echo "test_display: no $tool here; tests/install-deps.sh installs it"; exit 1; }
done

smap() { $SCREEN map "$1"; }

# lit_cells FILE [FIRST-ROW [LAST-ROW]]: light cells in text rows (from 1)
lit_cells() {
	smap "$1" | sed -n "${2:-1},${3:-\$}p" | tr -cd '#' | wc -c
}

# snap HOST:DISPLAY FILE: one capture with the VNC client, as PPM
snap() {
	rm -f "$2.jpg"
	timeout 30 vncsnapshot -quiet -allowblank -nojpeg -quality 100 \
	    "$1" "$2.jpg" >"$T/vncsnapshot.log" 2>&1 ||
	    { echo "vncsnapshot $1 failed:"; cat "$T/vncsnapshot.log"; return 1; }
	djpeg -pnm "$2.jpg" >"$2"
}

# snap_until HOST:DISPLAY FILE CHECK...: capture until "CHECK... FILE"
# holds (the VNC server redraws the text screen on its own timer)
snap_until() {
	local addr=$1 f=$2; shift 2
	for _ in $(seq 40); do
		snap "$addr" "$f" || return 1
		"$@" "$f" && return 0
		sleep 0.25
	done
	echo "the screen at $addr never passed '$*'; it shows:"
	$SCREEN size "$f"
	smap "$f"
	return 1
}

# reference: the "no graphic display device" screen of a QEMU without a
# video device, once per run, in $T/nodisplay.ppm
reference() {
	local ret port
	[ -s "$T/nodisplay.ppm" ] && return 0
	qemu-system-x86_64 -nodefaults -no-user-config -machine pc -accel tcg \
	    -display none -vnc 127.0.0.1:0,to=99 -S \
	    -qmp "unix:$T/ref.qmp,server=on,wait=off" -pidfile "$T/ref.pid" \
	    -daemonize >"$T/ref.log" 2>&1 || { cat "$T/ref.log"; return 1; }
	ret=$($SCREEN qmp "$T/ref.qmp" '{"execute": "query-vnc"}')
	port=$(echo "$ret" | sed -n 's/.*"service": "\([0-9]*\)".*/\1/p')
	snap "127.0.0.1:$((port - 5900))" "$T/ref.ppm"
	kill "$(cat "$T/ref.pid")"
	[ "$($SCREEN size "$T/ref.ppm")" = "640 480" ] ||
	    fail "no-display screen is $($SCREEN size "$T/ref.ppm")"
	# one line of text in the middle, nothing else
	if [ "$(smap "$T/ref.ppm" | grep -c '#')" -ne 1 ] ||
	    [ "$(lit_cells "$T/ref.ppm" 15 15)" -lt 20 ]; then
		smap "$T/ref.ppm"
		fail "not the no-display screen"
	fi
	mv "$T/ref.ppm" "$T/nodisplay.ppm"
}

# vga_guest: $VM runs, with graphics: vnc and nothing else for the display,
# and is at its shell
vga_guest() {
	q info "$VM" >/dev/null 2>&1 || create_guest "$VM" --graphics vnc
	up "$VM"
}

vnc_addr() { q vncdisplay "$VM"; }

# the text console of a booted test guest: VGA text mode; its last two rows
# of text are the guest's on tty1, QLAUNCH-GUEST-READY (19 characters) and
# the prompt "# "
is_guest_console() {
	[ "$($SCREEN size "$1")" = "720 400" ] || return 1
	smap "$1" | grep '#' | tail -2 >"$1.rows"
	head -1 "$1.rows" | grep -qx '#\{19\}\.*' &&
	    tail -1 "$1.rows" | grep -q '^#\.'
}

# cleared: nothing on the screen but the cursor
is_cleared() { [ "$(lit_cells "$1")" -le 1 ]; }

# the pattern that show_pattern writes: ten rows of 79 '#', then nothing
is_pattern() {
	smap "$1" | awk 'NR <= 10 { if (gsub(/#/, "#") < 75) bad = 1; next }
	    { rest += gsub(/#/, "#") } END { exit bad || rest > 1 }'
}

# the echo of "touch /run/typed-here" on the first row: 20 characters that
# are not blank
is_typed_line() { [ "$(lit_cells "$1" 1 1)" -ge 20 ]; }

show_pattern() {
	gx "$VM" 'clear >/dev/tty0; for i in 1 2 3 4 5 6 7 8 9 10; do printf "%79s\n" "" | tr " " "#"; done >/dev/tty0' >/dev/null
}

t_no_display_reference() {
	reference
}

t_vnc_shows_guest_console() {
	reference
	# a fresh boot: the screen holds what the guest wrote by itself
	if q info "$VM" >/dev/null 2>&1; then
		[ "$(q state "$VM")" = "shut off" ] || q destroy "$VM" >/dev/null
	fi
	vga_guest
	addr=$(vnc_addr)
	echo "$addr" | grep -qx '127\.0\.0\.1:[0-9]*' || fail "vncdisplay said '$addr'"
	if ! snap_until "$addr" "$T/console.ppm" is_guest_console; then
		[ "$($SCREEN diff "$T/console.ppm" "$T/nodisplay.ppm")" -ge 5 ] ||
		    echo "that is QEMU's no-display screen: the VM has no video device"
		return 1
	fi
	# (a) not (nearly) black
	[ "$($SCREEN lit "$T/console.ppm")" -ge 1000 ] || fail "a (nearly) black screen"
	# (b) not the no-display screen
	[ "$($SCREEN diff "$T/console.ppm" "$T/nodisplay.ppm")" -ge 100 ] ||
	    fail "the no-display screen"
	# above the guest's lines, SeaBIOS's "SeaBIOS (version ..." on the
	# first row, as the BIOS left it
	smap "$T/console.ppm" | head -1 | grep -q '^#######\.########\.#' ||
	    { smap "$T/console.ppm"; fail "no SeaBIOS banner on the first row"; }
}

# (c) the screen is the guest's live console: it follows what the guest
# writes to tty0, cleared, then a pattern of known rows
t_vnc_follows_guest_writes() {
	vga_guest
	addr=$(vnc_addr)
	gx "$VM" 'clear >/dev/tty0' >/dev/null
	snap_until "$addr" "$T/cleared.ppm" is_cleared
	show_pattern
	snap_until "$addr" "$T/pattern.ppm" is_pattern
	[ "$($SCREEN diff "$T/cleared.ppm" "$T/pattern.ppm")" -ge 50 ] ||
	    fail "the pattern changed too few pixels"
}

t_screenshot_png() {
	vga_guest
	addr=$(vnc_addr)
	show_pattern
	snap_until "$addr" "$T/vnc.ppm" is_pattern
	rm -f "$T/shot.png"
	q screenshot "$VM" "$T/shot.png"
	[ -s "$T/shot.png" ] || fail "no $T/shot.png"
	[ "$(head -c 8 "$T/shot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	    fail "not a PNG: $(head -c 8 "$T/shot.png" | od -An -c)"
	# IHDR first, then its width and height (big-endian)
	[ "$(dd if="$T/shot.png" bs=1 skip=12 count=4 2>/dev/null)" = IHDR ] || fail "no IHDR"
	size=$($SCREEN size "$T/shot.png")
	[ "$size" = "720 400" ] || fail "screenshot is $size, not the 720x400 text mode"
	[ "$($SCREEN lit "$T/shot.png")" -ge 1000 ] || fail "a (nearly) black screenshot"
	# the VNC client and QEMU's own screen dump show the same cells
	is_pattern "$T/shot.png" || { smap "$T/shot.png"; fail "screenshot lacks the pattern"; }
	d=$(diff <(smap "$T/vnc.ppm") <(smap "$T/shot.png") | grep -c '^>' || true)
	[ "$d" -le 1 ] || fail "$d text rows differ between VNC and the screenshot"
	[ "$($SCREEN diff "$T/vnc.ppm" "$T/shot.png")" -le 5 ] ||
	    fail "VNC and the screenshot differ in pixels"
}

# type_keys WORDS: one send-key per character (a-z, space, '/', '-'), then
# Enter
type_keys() {
	local s=$1 c k i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-z]) k=KEY_${c^^} ;;
		' ') k=KEY_SPACE ;;
		/) k=KEY_SLASH ;;
		-) k=KEY_MINUS ;;
		*) fail "type_keys: '$c'" ;;
		esac
		q send-key "$VM" "$k" >/dev/null
	done
	q send-key "$VM" KEY_ENTER >/dev/null
}

# Keys go to the guest's PS/2 keyboard, and so to the shell on tty1: a
# typed command runs, and its echo shows on the VNC screen.
t_send_key_types_on_console() {
	vga_guest
	addr=$(vnc_addr)
	gx "$VM" 'rm -f /run/typed-here; clear >/dev/tty0' >/dev/null
	snap_until "$addr" "$T/before.ppm" is_cleared
	type_keys "touch /run/typed-here"
	out=
	for _ in $(seq 50); do
		out=$(gx "$VM" 'ls /run/typed-here')
		echo "$out" | grep -q '^/run/typed-here' && break
		sleep 0.2
	done
	echo "$out" | grep -q '^/run/typed-here' || fail "the typed command did not run: $out"
	snap_until "$addr" "$T/typed.ppm" is_typed_line
	# an unknown key is an error, and nothing is typed
	if q send-key "$VM" KEY_NO_SUCH_KEY 2>"$T/err"; then
		fail "send-key of KEY_NO_SUCH_KEY worked"
	fi
	[ -s "$T/err" ] || fail "no message for an unknown key"
}

# Keys pressed together: Alt+SysRq+H makes the kernel print its SysRq help,
# which comes out on the serial console.
t_send_key_chord_sysrq() {
	vga_guest
	gx "$VM" 'echo 1 >/proc/sys/kernel/sysrq' >/dev/null
	sysrq_help() { q console "$VM" --log | grep -c 'sysrq: HELP' || true; }
	n0=$(sysrq_help)
	q send-key "$VM" KEY_LEFTALT KEY_SYSRQ KEY_H >/dev/null
	for _ in $(seq 50); do [ "$(sysrq_help)" -gt "$n0" ] && break; sleep 0.1; done
	[ "$(sysrq_help)" -eq $((n0 + 1)) ] || fail "SysRq help: $(sysrq_help) lines, not $((n0 + 1))"
	q send-key "$VM" --codeset linux KEY_LEFTALT KEY_SYSRQ KEY_H >/dev/null
	for _ in $(seq 50); do [ "$(sysrq_help)" -gt $((n0 + 1)) ] && break; sleep 0.1; done
	[ "$(sysrq_help)" -eq $((n0 + 2)) ] || fail "SysRq help with --codeset linux: $(sysrq_help) lines"
}

# pci_ids NAME: the guest's PCI devices, one "VENDOR:DEVICE" a line
pci_ids() {
	gx "$1" 'for d in /sys/bus/pci/devices/*; do echo "pci=$(cat $d/vendor):$(cat $d/device)"; done' |
	    sed -n 's/^pci=0x\([0-9a-f]*\):0x\([0-9a-f]*\).*/\1:\2/p'
}

# What the devices are, seen from inside the guest: with graphics vnc the
# std VGA (1234:1111) and the USB controller of the tablet (qemu-xhci,
# 1b36:000d; the test guest's kernel has no USB, so QEMU tells the tablet:
# an absolute pointer, which is what lets the VNC pointer track).
t_guest_sees_display_devices() {
	ids=$(pci_ids "$VM")
	echo "$ids" | grep -qx 1234:1111 || fail "no VGA in the guest: $ids"
	echo "$ids" | grep -qx 1b36:000d || fail "no xHCI in the guest: $ids"
	q qmp "$VM" '{"execute": "query-mice"}' >"$T/mice"
	python3 - "$T/mice" <<'PY' || fail "no absolute tablet: $(cat "$T/mice")"
import json, sys
mice = json.load(open(sys.argv[1]))
sys.exit(0 if any(m["absolute"] and "Tablet" in m["name"] for m in mice) else 1)
PY
}

# Other models, as virt-install's --video and --input give them; the guest
# sees the virtio GPU (1af4:1050) and a virtio tablet with absolute axes.
t_guest_sees_virtio_display() {
	create_guest d2 --graphics vnc --video virtio --input tablet,bus=virtio --start
	wait_ready d2
	ids=$(pci_ids d2)
	echo "$ids" | grep -qx 1af4:1050 || fail "no virtio GPU in the guest: $ids"
	echo "$ids" | grep -qx 1234:1111 && fail "a std VGA besides the virtio GPU"
	gx d2 'cat /proc/bus/input/devices' >"$T/input"
	grep -q 'N: Name="QEMU Virtio Tablet"' "$T/input" || fail "no virtio tablet: $(cat "$T/input")"
	sed -n '/QEMU Virtio Tablet/,/^$/p' "$T/input" | grep -q '^B: ABS=' || fail "no absolute axes"
	q destroy d2 >/dev/null
}

# graphics none: no display device at all in the guest
t_no_graphics_no_display() {
	create_guest d3 --start
	wait_ready d3
	ids=$(pci_ids d3)
	[ -n "$ids" ] || fail "no PCI devices read"
	echo "$ids" | grep -qE '^(1234:1111|1b36:000d|1af4:1050)$' && fail "display devices: $ids"
	q destroy d3 >/dev/null
}

t_destroy() {
	q destroy "$VM" >/dev/null
	[ "$(q state "$VM")" = "shut off" ] || fail "state $(q state "$VM")"
}

start_daemon || exit 1
run_tests no_display_reference vnc_shows_guest_console \
    vnc_follows_guest_writes screenshot_png send_key_types_on_console \
    send_key_chord_sysrq guest_sees_display_devices guest_sees_virtio_display \
    no_graphics_no_display destroy
