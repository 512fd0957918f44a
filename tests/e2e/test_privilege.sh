#!/bin/bash
# Privileges per interface (issue 12): a user who is not an admin (UA, a
# throwaway system user) cannot see, start, stop, console into, migrate,
# snapshot, save, change or remove another user's VM: root's running
# guest (rvm, its console counter going) or a second user's (UB's bvm,
# its QEMU running paused as UB).
# - the CLI: every verb of `qlaunch -h` is in a table below (the VM's verbs
#   with their arguments, or the verbs that name no VM with the reason),
#   so a new verb fails here until it is classified; each VM verb as UA on
#   each VM exits 1 with one line naming the refusal; `qlaunch proxy` (the
#   ssh:// path) likewise; migrate to ssh:// is refused before any ssh runs
# - the raw control socket: every request the supervisor lists
#   ("commands") is sent as UA naming each VM: refused, or (the few that
#   name no VM) answered without showing it; malformed requests get one
#   error each and the supervisor answers on
# - after each: nothing changed (states, QEMU pids, definitions,
#   snapshots, files), and rvm's guest counts on (read through root)
# - restore: UA's own save file edited to run UA's VM as root or as UB is
#   refused (the saved definition is what runs)
# - UA's own VM defined on root's image: its snapshots (qemu-img run by
#   the supervisor) are refused, the image untouched
# The web's refusals are in test_web*.sh, Ansible's in its own test.
. "$(dirname "$0")/lib.sh"
need_root "users and owners"

UA=qlpa$$
UB=qlpb$$
PRIVREQ=$(dirname "$0")/privreq.py
D2SOCK=$T/d2.sock

userdel_all() {
	userdel "$UA" 2>/dev/null
	userdel "$UB" 2>/dev/null
}
trap 'cleanup; userdel_all' EXIT

# as USER ARGS...: qlaunch as that user, in its own directory ($T/a for
# UA, $T/b for UB), 30 s at most (nothing here may wait)
as() {
	local u=$1 d=$T/a; shift
	[ "$u" != "$UB" ] || d=$T/b
	(cd "$d" && timeout 30 runuser -u "$u" -- \
	    env QLAUNCH_SOCKET="$T/ctl.sock" QLAUNCH_NO_AUTOSTART=1 \
	    QLAUNCH_SSH="$T/fakessh" EDITOR=true "$QLAUNCH" "$@")
}

# The root guest's counter, read as root
rcount() { gval rvm 'cat /run/c'; }

# fingerprint: what UA must not change, as root sees it
fingerprint() {
	local v
	for v in rvm bvm; do
		echo "== $v"
		q state "$v"
		vm_pid "$v"
		q dumpconfig "$v" | sha1sum
		q snapshot-list "$v" --name
		q blklist "$v"
		q iflist "$v"
	done
	ls "$T/state/vms"
	QLAUNCH_SOCKET=$D2SOCK q list --all --name
}

t_setup() {
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$UA"
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$UB"
	chmod 0666 "$T/ctl.sock"
	chmod 0755 "$T"
	mkdir -p "$T/a" "$T/b"
	chown "$UA" "$T/a"
	chown "$UB" "$T/b"
	# an ssh that only tells it ran
	printf '#!/bin/sh\ntouch %s/a/ssh-ran\nexit 1\n' "$T" >"$T/fakessh"
	chmod 0755 "$T/fakessh"
	# a second supervisor to migrate to
	start_daemon "$T/state2" "$D2SOCK"
	chmod 0666 "$D2SOCK"
	# root's guest, counting, with a snapshot
	create_guest rvm --disk path="$T/rvm.qcow2",size=1,format=qcow2 --start
	wait_ready rvm
	gx rvm 'i=0; (while :; do i=$((i+1)); echo $i >/run/c; sleep 0.2; done) & echo started' |
	    grep -q started || fail "no counter"
	q snapshot-create-as rvm s1 >/dev/null
	# UB's VM, its QEMU running paused as UB, with a snapshot
	qemu-img create -q -f qcow2 "$T/b/bvm.qcow2" 64M
	chown "$UB" "$T/b/bvm.qcow2"
	(cd "$T/b" && runuser -u "$UB" -- env QLAUNCH_SOCKET="$T/ctl.sock" \
	    QLAUNCH_NO_AUTOSTART=1 "$QLAUNCH" create bvm --memory 128 \
	    --accel tcg,tb-size=32 --kernel "$GUEST/bzImage" \
	    --initrd "$GUEST/initrd.img" --append "$APPEND" \
	    --disk path="$T/b/bvm.qcow2",format=qcow2 >/dev/null)
	as "$UB" snapshot-create-as bvm bs1 >/dev/null
	as "$UB" start bvm --paused >/dev/null
	[ "$(ps -o user= -p "$(vm_pid bvm)")" = "$UB" ] || fail "bvm's QEMU is not $UB's"
	q dumpconfig bvm | grep -qx "owner: $UB" || fail "bvm is not $UB's"
	fingerprint >"$T/fp.before"
}

# The CLI's verbs.  VM verbs: "VERB ARGS" with @ for the VM; each must
# fail as UA.  Verbs that name no VM: "-VERB reason"; checked elsewhere.
cat >"$T/verbs" <<'EOF'
create @ --memory 128 --accel tcg
define @FILE
dumpconfig @
dumpxml @
edit @
undefine @
rename @ stolen
cmdline @
autostart @
start @
shutdown @
destroy @
reboot @
reset @
suspend @
resume @
info @
dominfo @
state @
vncdisplay @
domid @
domuuid @
console @
console @ --log
console-ticket @ --kind serial
console-fd @ --kind serial
setmem @ 200M
memstat @
attach-memory @ 128M
detach-memory @ memdimm0
heartbeat @
agent @|{"execute":"guest-ping"}
agent-info @
set-user-password @ root secret
fsfreeze @
fsthaw @
blklist @
domblklist @
blkinfo @ --all
attach-disk @ @UAFILE vdc
detach-disk @ vda
change-media @ hdc --eject
setvcpus @ 2
vcpuinfo @
vcpupin @
emulatorpin @
iothreadinfo @
iothreadpin @ 1 0
iothreadadd @ 5
iothreaddel @ 1
iflist @
ifaddr @
domifstat @ eth0
domif-getlink @ eth0
attach-interface @ --type user
detach-interface @ --type user
domif-setlink @ eth0 down
snapshot-create-as @ stolen
snapshot-list @
snapshot-info @ --current
snapshot-current @
snapshot-revert @ s1
snapshot-revert @ bs1
snapshot-delete @ s1
snapshot-delete @ bs1
save @ @UADIR/stolen.sav
migrate @ unix:@D2SOCK
migrate @ unix:@D2SOCK --offline
migrate @ ssh://127.0.0.1
migrate-info @
migrate-cancel @
migrate-postcopy @
migrate-bench @ --to unix:@D2SOCK --repeat 1 --out @UADIR/bench
dirtyrate @ --seconds 1
domstats @
workload @ status
clone @ stolen
virt-clone --original @ --name stolen
move-disk @ vda @UADIR/moved.qcow2
screenshot @ @UADIR/shot.png
send-key @ KEY_A
qmp @|{"execute":"query-status"}
qmp @ --hmp|info status
hmp @|info status
events @ --timeout 1
-restore t_restore_owner: UA's own save file, edited
-list t_see_nothing: UA's list --all, domstats and top show neither VM
-domname t_see_nothing: by the VM's id
-top t_see_nothing
-net-define admin, no VM: refused to any user (t_see_nothing)
-net-create admin, no VM
-net-start admin, no VM
-net-destroy admin, no VM
-net-undefine admin, no VM
-net-autostart admin, no VM
-net-list networks, no VM
-net-info networks, no VM
-net-dumpdef networks, no VM
-net-dhcp-leases networks, no VM
-image qemu-img on paths, as the user, no supervisor
-iface-bridge admin, no VM
-iface-unbridge admin, no VM
-host-check the host, no VM
-version no VM
-proxy t_proxy: the ssh:// path's proxy as UA
-web t_web*: the web manager's own tests
-web-login a login link for the caller itself
EOF

# Every verb of qlaunch -h is in the table.
t_verbs_classified() {
	local v missing=
	for v in $(q -h 2>&1 | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p; s/^  \([a-z][a-z-]*\)$/\1/p'); do
		grep -Eq "^-?$v( |\$)" "$T/verbs" || missing="$missing $v"
	done
	[ -z "$missing" ] || fail "verbs not in test_privilege.sh's table:$missing"
	[ "$(q -h 2>&1 | grep -c '^  [a-z]')" -gt 80 ] || fail "qlaunch -h lists too few verbs"
}

# One VM verb as UA: exit 1, one line, a refusal.  Prints a FAIL line
# (not fatal: every verb is tried) when not.
try_verb() {
	local vm=$1 line=$2 rc=0 args
	line=${line//@UAFILE/$T/a/disk.img}
	line=${line//@UADIR/$T/a}
	line=${line//@D2SOCK/$D2SOCK}
	line=${line//@FILE/$T/a/$vm.def}
	line=${line//@/$vm}
	if [ "${line#define }" != "$line" ]; then
		printf 'name: %s\nmemory: 128\naccel: tcg\n' "$vm" >"$T/a/$vm.def"
		chmod 0644 "$T/a/$vm.def"
	fi
	case $line in
	*'|'*)
		# after |, one argument (JSON, a monitor command)
		as "$UA" ${line%%|*} "${line#*|}" </dev/null >"$T/out" 2>"$T/err" || rc=$?
		;;
	*)
		as "$UA" $line </dev/null >"$T/out" 2>"$T/err" || rc=$?
		;;
	esac
	echo "$line => $rc $(head -c 160 "$T/err")" >>"$T/cli.log"
	if [ $rc -ne 1 ]; then
		echo "FAIL: as $UA, '$line': exit $rc ($(cat "$T/err"))"
		return 1
	fi
	if [ "$(wc -l <"$T/err")" -ne 1 ]; then
		echo "FAIL: as $UA, '$line': stderr is not one line: $(cat "$T/err")"
		return 1
	fi
	if ! grep -Eq "belongs to another user|only root may|exists already|no VM named|is not running on" "$T/err"; then
		echo "FAIL: as $UA, '$line': not a refusal: $(cat "$T/err")"
		return 1
	fi
	if [ -s "$T/out" ] && grep -q "$vm" "$T/out"; then
		echo "FAIL: as $UA, '$line' printed the VM: $(head -3 "$T/out")"
		return 1
	fi
}

# nothing_changed: as root sees it, and rvm's guest still counts
nothing_changed() {
	local c1 c2
	fingerprint >"$T/fp.after"
	diff "$T/fp.before" "$T/fp.after" || fail "something changed"
	[ ! -e "$T/a/ssh-ran" ] || fail "ssh ran before the refusal"
	ls "$T/a" | grep -Eq 'stolen|shot|moved|bench' && fail "files made: $(ls "$T/a")"
	c1=$(rcount)
	sleep 1
	c2=$(rcount)
	[ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -gt "$c1" ] ||
	    fail "rvm's counter: '$c1' then '$c2'"
}

t_cli_refused() {
	local vm line n=0 bad=0
	: >"$T/cli.log"
	for vm in rvm bvm; do
		while IFS= read -r line; do
			case $line in -*|'') continue ;; esac
			n=$((n + 1))
			try_verb "$vm" "$line" || bad=$((bad + 1))
		done <"$T/verbs"
	done
	echo "CLI: $n verb runs as $UA, $bad not refused"
	[ $bad -eq 0 ] || fail "$bad CLI verbs were not refused"
	nothing_changed
}

# console NAME: refused with one line, nothing attached (the guest's
# console is root's: no second client is taken, root's console works)
t_console_not_attached() {
	local rc=0
	printf 'echo STOLEN\n' | as "$UA" console rvm >"$T/out" 2>"$T/err" || rc=$?
	[ $rc -eq 1 ] || fail "console: exit $rc"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "console: $(cat "$T/err")"
	grep -q "belongs to another user" "$T/err" || fail "console: $(cat "$T/err")"
	[ ! -s "$T/out" ] || fail "console printed: $(head -3 "$T/out")"
	q console rvm --log | grep -q STOLEN && fail "UA's line reached the guest"
	[ -n "$(rcount)" ] || fail "root's console does not answer"
}

# list, domstats, top and domname as UA show neither VM
t_see_nothing() {
	local id
	as "$UA" list --all --name >"$T/out"
	grep -Eq 'rvm|bvm' "$T/out" && fail "list --all shows: $(cat "$T/out")"
	as "$UA" list --all --json >"$T/out"
	grep -Eq 'rvm|bvm' "$T/out" && fail "list --json shows them"
	as "$UA" domstats >"$T/out" 2>&1 || true
	grep -Eq 'rvm|bvm' "$T/out" && fail "domstats shows: $(cat "$T/out")"
	as "$UA" top --batch --iterations 1 >"$T/out" 2>&1 || true
	grep -Eq 'rvm|bvm' "$T/out" && fail "top shows: $(cat "$T/out")"
	for vm in rvm bvm; do
		id=$(q domid "$vm")
		one_line_error "" as "$UA" domname "$id"
		grep -q "$vm" "$T/err" "$T/out" && fail "domname $id shows $vm"
	done
	one_line_error "only root may" as "$UA" net-create qlpn --address 192.0.2.1/24
	one_line_error "only root may" as "$UA" iface-unbridge qlpbr0
	one_line_error "only root may" as "$UA" events
	nothing_changed
}

# qlaunch proxy (what ssh:// runs on the far side) as UA: the same rules
t_proxy() {
	local vm
	for vm in rvm bvm; do
		printf '{"execute": "destroy", "id": 1, "arguments": {"name": "%s"}}\n{"execute": "info", "id": 2, "arguments": {"name": "%s"}}\n' "$vm" "$vm" |
		    as "$UA" proxy >"$T/out" 2>"$T/err" || true
		[ "$(grep -c 'belongs to another user' "$T/out")" -eq 2 ] ||
		    fail "proxy as $UA on $vm: $(cat "$T/out" "$T/err")"
	done
	nothing_changed
}

# The raw socket: every request the supervisor has, naming each VM
t_socket_refused() {
	local vm n
	for vm in rvm bvm; do
		runuser -u "$UA" -- python3 "$PRIVREQ" "$T/ctl.sock" "$vm" commands \
		    >"$T/sock-$vm.log" 2>&1 || { cat "$T/sock-$vm.log"; fail "socket: a request on $vm was not refused"; }
	done
	n=$(sed -n 's/^total //p' "$T/sock-rvm.log")
	[ "$n" -gt 90 ] || fail "the supervisor lists only '$n' requests"
	grep -q '^destroy PermissionDenied' "$T/sock-rvm.log" || fail "destroy: $(grep ^destroy "$T/sock-rvm.log")"
	echo "socket: $n requests x 2 VMs as $UA, none let through (answers by class):" \
	    $(cat "$T"/sock-*.log | awk '$1 != "total" { print $2 }' | sort | uniq -c)
	nothing_changed
}

t_socket_malformed() {
	runuser -u "$UA" -- python3 "$PRIVREQ" "$T/ctl.sock" rvm malformed \
	    >"$T/malformed.log" 2>&1 || { cat "$T/malformed.log"; fail "malformed requests"; }
	grep -q '^on-behalf-of-root PermissionDenied' "$T/malformed.log" ||
	    fail "on-behalf-of from UA: $(grep on-behalf "$T/malformed.log")"
	q version >/dev/null || fail "the supervisor is gone"
	nothing_changed
}

# UA saves its own VM and edits the save file's definition to give the
# VM to root (no owner) or to UB: restore refuses, nothing runs
t_restore_owner() {
	local sav=$T/a/avm.sav owner
	(cd "$T/a" && runuser -u "$UA" -- env QLAUNCH_SOCKET="$T/ctl.sock" \
	    QLAUNCH_NO_AUTOSTART=1 "$QLAUNCH" create avm --memory 128 \
	    --accel tcg,tb-size=32 --kernel "$GUEST/bzImage" \
	    --initrd "$GUEST/initrd.img" --append "$APPEND" --start --paused >/dev/null)
	as "$UA" save avm "$sav" >/dev/null
	[ "$(q state avm)" = "shut off" ] || fail "avm: $(q state avm)"
	# the definition in the header, rewritten in place (28-byte header)
	cp -p "$sav" "$sav.orig"
	for owner in '' "$UB"; do
		cp -p "$sav.orig" "$sav"
		runuser -u "$UA" -- python3 - "$sav" "$UA" "$owner" <<'EOF'
import struct, sys
path, me, to = sys.argv[1], sys.argv[2], sys.argv[3]
b = bytearray(open(path, "rb").read())
ver, flags, ln, ml, off = struct.unpack(">IIIII", b[8:28])
text = bytes(b[28:28 + ln])
mach = bytes(b[28 + ln:28 + ln + ml])
old = ("owner: %s\n" % me).encode()
assert old in text, text
new = text.replace(old, ("owner: %s\n" % to).encode() if to else b"")
assert len(new) <= ln and 28 + len(new) + ml <= off
hdr = b[:16] + struct.pack(">I", len(new)) + b[20:28]
pad = bytes(off - 28 - len(new) - ml)
open(path, "wb").write(hdr + new + mach + pad + bytes(b[off:]))
EOF
		one_line_error "only root may change it" as "$UA" restore "$sav"
		grep -q "owner" "$T/err" || fail "$(cat "$T/err")"
		[ "$(q state avm)" = "shut off" ] || fail "avm ran: $(q state avm)"
		# the file was good: root (an admin) may restore it
	done
	q restore "$sav" --paused >/dev/null || fail "root could not restore the edited file"
	[ "$(ps -o user= -p "$(vm_pid avm)")" = "$UB" ] || fail "root's restore runs as $(ps -o user= -p "$(vm_pid avm)")"
	q destroy avm >/dev/null
	q undefine avm >/dev/null
	nothing_changed
}

# UA's own VM on root's image: the supervisor's qemu-img (a shut off
# VM's snapshots, its blkinfo) works on it only as UA could, so nothing
# is written or read
t_own_vm_others_image() {
	local img=$T/rootimg.qcow2 sum
	qemu-img create -q -f qcow2 "$img" 64M
	qemu-img snapshot -c keep "$img"
	chmod 0600 "$img"
	sum=$(sha1sum <"$img")
	as "$UA" create adisk --memory 128 --accel tcg \
	    --disk path="$img",format=qcow2 >/dev/null
	one_line_error "Permission denied" as "$UA" snapshot-create-as adisk x
	# nor read: qemu-img info would tell the image's sizes
	one_line_error "disk vda: $img: Permission denied" as "$UA" domblkinfo adisk vda
	one_line_error "" as "$UA" snapshot-revert adisk keep
	one_line_error "" as "$UA" snapshot-delete adisk keep
	[ "$(sha1sum <"$img")" = "$sum" ] || fail "root's image changed"
	qemu-img snapshot -l "$img" | grep -q ' x ' && fail "a snapshot in root's image"
	as "$UA" undefine adisk >/dev/null
	[ -f "$img" ] || fail "root's image is gone"
	nothing_changed
}

# UA's own VM to a supervisor UA may not reach: refused before anything
# (the source supervisor, root, would reach it for UA)
t_own_vm_unreachable_dest() {
	as "$UA" create amig --memory 64 --accel tcg,tb-size=32 --start --paused >/dev/null
	chmod 0600 "$D2SOCK"
	one_line_error "the destination $D2SOCK: Permission denied" \
	    as "$UA" migrate amig "unix:$D2SOCK"
	chmod 0666 "$D2SOCK"
	[ "$(q state amig)" = paused ] || fail "amig is $(q state amig)"
	QLAUNCH_SOCKET=$D2SOCK q list --all --name | grep -qx amig && fail "amig on D2"
	as "$UA" destroy amig >/dev/null
	as "$UA" undefine amig >/dev/null
	nothing_changed
}

start_daemon || exit 1
T0=$(date +%s)
run_tests setup verbs_classified cli_refused console_not_attached \
    see_nothing proxy socket_refused socket_malformed restore_owner \
    own_vm_others_image own_vm_unreachable_dest
rc=$?
echo "test_privilege.sh: $(($(date +%s) - T0)) s"
exit $rc
