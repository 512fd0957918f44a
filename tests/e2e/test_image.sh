#!/bin/bash
# qlaunch image: create, info, resize, convert, check and snapshot-list
# with the real qemu-img on real qcow2 and raw files, and their errors
# (one line, exit 1, nothing changed).  No qlaunchd: the image commands
# run qemu-img as the calling user and never use the control socket.
. "$(dirname "$0")/lib.sh"

QIMG=${QEMU_IMG:-qemu-img}
D=$T/img
mkdir -p "$D"

# KiB allocated on the host
allocated_k() { du -k "$1" | cut -f1; }

# jget FILE KEY: a top-level number or string of a JSON object
jget() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# a qcow2 of SIZE with 32 MiB of random data at its start
data_qcow2() {
	dd if=/dev/urandom of="$D/data.raw" bs=1M count=32 status=none
	truncate -s "$2" "$D/data.raw"
	"$QIMG" convert -f raw -O qcow2 "$D/data.raw" "$1"
	rm -f "$D/data.raw"
}

t_create_sparse() {
	q image create "$D/a.qcow2" 10G >"$T/out"
	grep -qxF "Image $D/a.qcow2 created: qcow2, 10 GiB" "$T/out" || fail "$(cat "$T/out")"
	q image create "$D/a.raw" 1G --format raw >/dev/null
	[ "$(allocated_k "$D/a.qcow2")" -lt 1024 ] || fail "qcow2 not sparse: $(allocated_k "$D/a.qcow2") KiB"
	[ "$(allocated_k "$D/a.raw")" -lt 1024 ] || fail "raw not sparse: $(allocated_k "$D/a.raw") KiB"
	[ "$(stat -c %s "$D/a.raw")" -eq 1073741824 ] || fail "raw size"
	# qemu-img's own rule: a bare number is bytes
	q image create "$D/b.raw" 1048576 --format raw >/dev/null
	[ "$(stat -c %s "$D/b.raw")" -eq 1048576 ] || fail "1048576 is not bytes"
	# preallocated: all of it on the host
	q image create "$D/p.raw" 8M --format raw --preallocation full >/dev/null
	[ "$(allocated_k "$D/p.raw")" -ge 8192 ] || fail "not preallocated"
	[ ! -S "$T/ctl.sock" ] || fail "a supervisor was involved"
}

t_info() {
	q image create "$D/i.qcow2" 2G >/dev/null
	q image info "$D/i.qcow2" >"$T/out"
	for l in "image: $D/i.qcow2" "file format: qcow2" \
	    "virtual size: 2 GiB (2147483648 bytes)" "cluster_size: 65536"; do
		grep -qxF "$l" "$T/out" || fail "info lacks '$l': $(cat "$T/out")"
	done
	grep -q '^disk size: .* KiB (sparse)$' "$T/out" || fail "disk size: $(cat "$T/out")"
	q image info "$D/i.qcow2" --json >"$T/json"
	[ "$(jget "$T/json" virtual-size)" = 2147483648 ] || fail "json size"
	[ "$(jget "$T/json" format)" = qcow2 ] || fail "json format"
	[ "$(jget "$T/json" actual-size)" -lt 1048576 ] || fail "json actual size"
	# the format can be given; a wrong one is qemu-img's error
	q image info "$D/i.qcow2" --format qcow2 >/dev/null
	q image create "$D/i.raw" 1M --format raw >/dev/null
	one_line_error "Image is not in qcow2 format" q image info "$D/i.raw" --format qcow2
}

t_resize() {
	q image create "$D/r.qcow2" 1G >/dev/null
	q image resize "$D/r.qcow2" +1G >"$T/out"
	grep -qxF "Image $D/r.qcow2 resized to 2 GiB (2147483648 bytes)" "$T/out" || fail "$(cat "$T/out")"
	one_line_error "give --shrink" q image resize "$D/r.qcow2" -- -1G
	one_line_error "shrinking it from 2 GiB to 512 MiB" q image resize "$D/r.qcow2" 512M
	q image info "$D/r.qcow2" | grep -qxF "virtual size: 2 GiB (2147483648 bytes)" || fail "shrunk anyway"
	q image resize "$D/r.qcow2" -1G --shrink >/dev/null
	q image info "$D/r.qcow2" | grep -qxF "virtual size: 1 GiB (1073741824 bytes)" || fail "not shrunk"
	q image resize "$D/r.qcow2" 3221225472 >/dev/null
	q image info "$D/r.qcow2" | grep -qxF "virtual size: 3 GiB (3221225472 bytes)" || fail "bytes"
	one_line_error "less than the 4 GiB to take off" q image resize "$D/r.qcow2" -4G --shrink
}

t_convert_progress() {
	data_qcow2 "$D/src.qcow2" 256M
	# a terminal: a bar on stderr, updated with carriage returns, ended
	# by a newline
	script -qec "$QLAUNCH image convert $D/src.qcow2 $D/dst.raw -O raw" /dev/null >"$T/tty"
	grep -q $'\r\\[#' "$T/tty" || fail "no bar drawn: $(od -c "$T/tty" | head)"
	bars=$(tr '\r' '\n' <"$T/tty" | grep -c '^\[')
	[ "$bars" -ge 2 ] || fail "the bar was drawn $bars times"
	last=$(tr '\r' '\n' <"$T/tty" | grep '^\[' | tail -1)
	case $last in
	"[########################################] 100%") ;;
	*) fail "the bar ends at '$last'" ;;
	esac
	grep -qF "Image $D/dst.raw written: raw, 256 MiB" "$T/tty" || fail "$(cat "$T/tty")"
	"$QIMG" compare -f qcow2 -F raw "$D/src.qcow2" "$D/dst.raw" >/dev/null || fail "contents differ"
	# sparse by default: about the 32 MiB of data on the host
	[ "$(allocated_k "$D/dst.raw")" -lt 65536 ] || fail "not sparse: $(allocated_k "$D/dst.raw") KiB"
	# not a terminal: no bar
	q image convert "$D/src.qcow2" "$D/dst2.qcow2" -O qcow2 >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ] || fail "stderr without a terminal: $(od -c "$T/err" | head -3)"
	# --no-sparse writes every byte
	q image convert -f qcow2 "$D/src.qcow2" "$D/full.raw" --no-sparse >/dev/null 2>&1
	[ "$(allocated_k "$D/full.raw")" -ge 262144 ] || fail "--no-sparse: $(allocated_k "$D/full.raw") KiB"
	# --json: PROGRESS events, then the result, one JSON object a line
	q image convert "$D/src.qcow2" "$D/dst3.raw" --json >"$T/json" 2>"$T/err"
	[ ! -s "$T/err" ] || fail "stderr with --json"
	python3 - "$T/json" "$D/dst3.raw" <<-'EOF' || fail "json lines: $(cat "$T/json")"
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1])]
	prog = [l["data"]["percent"] for l in lines[:-1]]
	assert all(l["event"] == "PROGRESS" for l in lines[:-1])
	assert prog == sorted(prog) and prog[-1] == 100, prog
	r = lines[-1]
	assert r["destination"] == sys.argv[2] and r["format"] == "raw", r
	assert r["virtual-size"] == 256 << 20, r
	EOF
}

t_backing() {
	q image create "$D/base.qcow2" 1G >/dev/null
	# no SIZE: the backing file's; no --backing-format: probed
	(cd "$D" && q image create overlay.qcow2 --backing base.qcow2) >"$T/out"
	grep -qxF "Image overlay.qcow2 created: qcow2, 1 GiB, backing base.qcow2" "$T/out" || fail "$(cat "$T/out")"
	q image info "$D/overlay.qcow2" >"$T/out"
	grep -q "^backing file: base.qcow2" "$T/out" || fail "no backing: $(cat "$T/out")"
	grep -qxF "backing file format: qcow2" "$T/out" || fail "no backing format: $(cat "$T/out")"
	q image info "$D/overlay.qcow2" --json >"$T/json"
	[ "$(jget "$T/json" backing-filename)" = base.qcow2 ] || fail "json backing"
	q image create "$D/o2.qcow2" 2G --backing "$D/base.qcow2" --backing-format qcow2 >/dev/null
	q image info "$D/o2.qcow2" | grep -qxF "backing file: $D/base.qcow2" || fail "absolute backing"
	one_line_error "backing file $D/nope.qcow2: Could not open" \
	    q image create "$D/o3.qcow2" --backing nope.qcow2
	[ ! -e "$D/o3.qcow2" ] || fail "o3 was left behind"
}

t_check() {
	q image create "$D/good.qcow2" 64M >/dev/null
	q image check "$D/good.qcow2" >"$T/out"
	grep -qxF "No errors were found on the image." "$T/out" || fail "$(cat "$T/out")"
	q image check "$D/good.qcow2" --json >"$T/json"
	[ "$(jget "$T/json" check-errors)" = 0 ] || fail "json check"

	# a broken header (the version) cannot even be opened
	data_qcow2 "$D/bad.qcow2" 64M
	printf '\377' | dd of="$D/bad.qcow2" bs=1 seek=4 conv=notrunc status=none
	one_line_error "cannot check $D/bad.qcow2: Could not open" q image check "$D/bad.qcow2"
	grep -qF "Unsupported qcow2 version" "$T/err" || fail "$(cat "$T/err")"

	# zeroed refcounts: corruptions found
	data_qcow2 "$D/rc.qcow2" 64M
	rt=$(od -An -t u8 --endian=big -j 48 -N 8 "$D/rc.qcow2" | tr -d ' ')
	rb=$(od -An -t u8 --endian=big -j "$rt" -N 8 "$D/rc.qcow2" | tr -d ' ')
	dd if=/dev/zero of="$D/rc.qcow2" bs=1 seek="$rb" count=64 conv=notrunc status=none
	one_line_error "errors were found on the image; data may be corrupted" \
	    q image check "$D/rc.qcow2"
	[ ! -s "$T/out" ] || fail "stdout: $(cat "$T/out")"
	rc=0
	q image check "$D/rc.qcow2" --json >"$T/json" 2>/dev/null || rc=$?
	[ $rc -eq 1 ] || fail "--json on a corrupt image: status $rc"
	[ "$(jget "$T/json" corruptions)" -gt 0 ] || fail "no corruptions in $(cat "$T/json")"
}

t_snapshot_list() {
	q image create "$D/s.qcow2" 64M >/dev/null
	q image snapshot-list "$D/s.qcow2" >"$T/out"
	[ "$(wc -l <"$T/out")" -eq 1 ] || fail "snapshots out of nowhere: $(cat "$T/out")"
	q image snapshot-list "$D/s.qcow2" --json | python3 -c 'import json,sys; assert json.load(sys.stdin) == []'
	"$QIMG" snapshot -c s1 "$D/s.qcow2"
	q image snapshot-list "$D/s.qcow2" >"$T/out"
	grep -q '^1 *s1 ' "$T/out" || fail "no s1: $(cat "$T/out")"
	q image snapshot-list "$D/s.qcow2" --json >"$T/json"
	python3 -c 'import json,sys; s = json.load(open(sys.argv[1])); assert [x["name"] for x in s] == ["s1"], s' "$T/json" ||
	    fail "json: $(cat "$T/json")"
	q image info "$D/s.qcow2" | grep -qxF "snapshots: 1" || fail "info does not count it"
}

t_errors() {
	one_line_error "cannot read $D/missing.qcow2: Could not open '$D/missing.qcow2': No such file or directory" \
	    q image info "$D/missing.qcow2"
	one_line_error "cannot check $D/missing.qcow2: Could not open" q image check "$D/missing.qcow2"
	one_line_error "cannot create $D/no/dir.qcow2: Could not create '$D/no/dir.qcow2': No such file or directory" \
	    q image create "$D/no/dir.qcow2" 1G
	# an existing file is never overwritten
	echo precious >"$D/keep.img"
	one_line_error "cannot create $D/keep.img: it exists already" q image create "$D/keep.img" 1G
	q image create "$D/e.qcow2" 1M >/dev/null
	one_line_error "$D/keep.img exists already" q image convert "$D/e.qcow2" "$D/keep.img"
	[ "$(cat "$D/keep.img")" = precious ] || fail "keep.img was changed"
	# sizes
	one_line_error "size 'lots': not a size (bytes, or a number with a K, M, G or T suffix)" \
	    q image create "$D/x.qcow2" lots
	one_line_error "size '1Q': unknown size suffix" q image create "$D/x.qcow2" 1Q
	one_line_error "size '-5': not a size" q image create "$D/x.qcow2" -5
	one_line_error "preallocation 'some' is not off or full" \
	    q image create "$D/x.qcow2" 1G --preallocation some
	[ ! -e "$D/x.qcow2" ] || fail "x.qcow2 was made"
	# a convert that fails leaves no half-written target
	one_line_error "cannot convert $D/missing.qcow2 to $D/y.raw: Could not open" \
	    q image convert "$D/missing.qcow2" "$D/y.raw"
	[ ! -e "$D/y.raw" ] || fail "y.raw was left behind"
	# usage: exit 2
	rc=0; q image >/dev/null 2>&1 || rc=$?
	[ $rc -eq 2 ] || fail "no subcommand: $rc"
	rc=0; q image frobnicate x 2>"$T/err" || rc=$?
	[ $rc -eq 2 ] && grep -qF "unknown subcommand 'frobnicate'" "$T/err" || fail "unknown subcommand: $rc"
	rc=0; q image info 2>"$T/err" || rc=$?
	[ $rc -eq 2 ] && grep -qxF "usage: qlaunch image info PATH [--format F] [--json]" "$T/err" ||
	    fail "usage: $rc $(cat "$T/err")"
	rc=0; q image convert a b --sparse --no-sparse 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || fail "--sparse --no-sparse: $rc"
	rc=0; q image info x --bogus 2>"$T/err" || rc=$?
	[ $rc -eq 2 ] && grep -qF "qlaunch image info: unknown option --bogus" "$T/err" || fail "option: $rc"
	# a prefix of one subcommand is enough
	q image snap "$D/e.qcow2" >/dev/null
}

run_tests create_sparse info resize convert_progress backing check \
    snapshot_list errors
