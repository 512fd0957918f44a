#!/bin/bash
# The client's surface: flags, definitions, errors (one line, nothing
# changed), edit, rename, undefine, cmdline, owners, lookups by id and
# uuid, and the checks made before anything is sent.  Boots QEMU only
# where the failure must come from QEMU itself.
. "$(dirname "$0")/lib.sh"

# exit_status N COMMAND...: the command exits with status N
exit_status() {
	local want=$1 rc=0; shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ $rc -eq "$want" ] || fail "'$*': exit status $rc, not $want ($(cat "$T/err"))"
}

t_usage_errors() {
	rc=0
	q bogus-command 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || fail "unknown command: exit status $rc, not 2"
	q sta x 2>&1 | grep -q "ambiguous: start state" || fail "prefix"
	one_line_error "no VM named 'nope'" q info nope
	usage_error "qlaunch start: unknown option --bogus" q start x --bogus
}

t_create_bad_values_change_nothing() {
	before=$(q list --all --json)
	one_line_error "memory: 'lots': not a size" q create v1 --memory lots
	usage_error "create: unknown option --colour" q create v1 --colour red
	one_line_error "vcpus: maxvcpus 1 is less than 2" q create v1 --vcpus 2,maxvcpus=1
	one_line_error "graphics: 'spice' is not vnc or none" q create v1 --graphics spice
	one_line_error "kernel: 'rel/path' is not an absolute path" q create v1 --kernel rel/path
	[ "$(q list --all --json)" = "$before" ] || fail "something was created"
	[ ! -e "$T/state/vms/v1.conf" ] || fail "a file was written"
}

t_create_flags_and_dumpconfig() {
	q create web1 --memory 1G,maxmemory=2G --vcpus 2,maxvcpus=4 --machine q35 \
	    --accel tcg --graphics vnc,port=auto --qemu-arg -global \
	    --qemu-arg kvm-pit.lost_tick_policy=discard --on-crash restart \
	    --description "a web box" >/dev/null
	d=$(q dumpconfig web1)
	for l in 'name: web1' 'memory: 1024,maxmemory=2048,slots=16' \
	    'vcpus: 2,maxvcpus=4' 'machine: q35' 'accel: tcg' \
	    'graphics: vnc,port=auto' 'on_crash: restart' \
	    'qemu-arg: -global' 'qemu-arg: kvm-pit.lost_tick_policy=discard' \
	    'description: a web box'; do
		echo "$d" | grep -qxF "$l" || fail "dumpconfig lacks '$l': $d"
	done
	# the file on disk is private and holds the same
	[ "$(stat -c %a "$T/state/vms/web1.conf")" = 600 ] || fail "mode"
	[ "$(cat "$T/state/vms/web1.conf")" = "$d" ] || fail "file differs"
	q dumpxml web1 >/dev/null	# virsh's name works too
	q create web1 --memory 512 2>&1 | grep -q "exists already" || fail "dup"
}

t_define_round_trip() {
	q dumpconfig web1 >"$T/web1.conf"
	sed -i 's/^memory: .*/memory: 768,maxmemory=2048/' "$T/web1.conf"
	q define "$T/web1.conf" | grep -q "VM web1 redefined" || fail "define"
	q dumpconfig web1 | grep -qx 'memory: 768,maxmemory=2048' || fail "not changed"
	# the uuid survives a redefinition
	[ "$(q dumpconfig web1 | grep uuid)" = "$(grep uuid "$T/web1.conf")" ]
	printf 'name: web1\nmemory: 512\nbogus: 1\n' >"$T/bad.conf"
	one_line_error "$T/bad.conf:3: bogus: unknown key" q define "$T/bad.conf"
	q dumpconfig web1 | grep -qx 'memory: 768,maxmemory=2048' || fail "a bad define changed it"
	printf '# a comment\n\nname: fromfile\naccel: tcg\n' | q define - >/dev/null
	q info fromfile | grep -q "State: *shut off" || fail "define from stdin"
	# the file keeps its author's comments and layout, and its new uuid
	q dumpconfig fromfile >"$T/ff"
	head -3 "$T/ff" | grep -qx '# a comment' || fail "comment lost: $(cat "$T/ff")"
	grep -q '^uuid: ' "$T/ff" || fail "no uuid kept"
	u=$(grep '^uuid: ' "$T/ff")
	q autostart fromfile >/dev/null
	q dumpconfig fromfile | grep -qx 'autostart: yes' || fail "autostart"
	q dumpconfig fromfile | grep -qx '# a comment' || fail "comment lost"
	q autostart fromfile --disable >/dev/null
	q dumpconfig fromfile | grep -c '^autostart:' | grep -qx 1 || fail "two lines"
	# a redefinition without a uuid line keeps the VM's uuid
	printf 'name: fromfile\naccel: tcg\n# changed\n' | q define - >/dev/null
	[ "$(q dumpconfig fromfile | grep '^uuid: ')" = "$u" ] || fail "uuid changed"
}

t_edit() {
	printf '#!/bin/sh\nsed -i "s/^vcpus: .*/vcpus: 3,maxvcpus=4/" "$1"\n' >"$T/ed-ok"
	printf '#!/bin/sh\necho "vcpus: many" >>"$1"\n' >"$T/ed-bad"
	chmod +x "$T/ed-ok" "$T/ed-bad"
	EDITOR=$T/ed-ok q edit web1 </dev/null | grep -q "VM web1 changed"
	q dumpconfig web1 | grep -qx 'vcpus: 3,maxvcpus=4' || fail "edit lost"
	if EDITOR=$T/ed-bad q edit web1 </dev/null 2>"$T/err"; then
		fail "a bad edit was accepted"
	fi
	grep -q "vcpus: given twice" "$T/err" || fail "$(cat "$T/err")"
	q dumpconfig web1 | grep -qx 'vcpus: 3,maxvcpus=4' || fail "bad edit changed it"
}

t_cmdline() {
	q cmdline web1 >"$T/cmd"
	for l in -S -nodefaults -no-user-config -no-shutdown q35 'tcg' \
	    '768M,slots=16,maxmem=2048M' '3,maxcpus=4' -global \
	    'kvm-pit.lost_tick_policy=discard' \
	    "socket,id=qmp,path=$T/state/run/web1/qemu/qmp.sock,server=on,wait=off"; do
		grep -qxF -- "$l" "$T/cmd" || fail "cmdline lacks '$l'"
	done
	# the researcher's arguments come last, in order
	[ "$(tail -2 "$T/cmd" | head -1)" = -global ] || fail "order"
	q cmdline web1 --json | grep -q '"-nodefaults"' || fail "json"
}

t_rename_undefine() {
	q rename fromfile other >/dev/null
	q info other >/dev/null
	q dumpconfig other | grep -qx 'name: other' || fail "name line"
	q dumpconfig other | grep -qx '# changed' || fail "comment lost"
	one_line_error "no VM named 'fromfile'" q info fromfile
	[ -e "$T/state/vms/other.conf" ] && [ ! -e "$T/state/vms/fromfile.conf" ]
	q undefine other >/dev/null
	one_line_error "no VM named 'other'" q info other
	[ ! -e "$T/state/vms/other.conf" ] || fail "file left"
}

t_start_failures_are_clear() {
	q create nokern --accel tcg --kernel /nonexistent/vmlinuz >/dev/null
	one_line_error "kernel: cannot read /nonexistent/vmlinuz: No such file or directory" \
	    q start nokern
	[ "$(q state nokern)" = "shut off" ] || fail "state"
	# QEMU itself refuses: its own words reach the user
	q create badarg --accel tcg --qemu-arg -no-such-option >/dev/null
	one_line_error "-no-such-option: invalid option" q start badarg
	[ "$(q state badarg)" = "shut off" ] || fail "state"
	q undefine nokern >/dev/null
	q undefine badarg >/dev/null
}

t_running_vm_guards() {
	# a VM that stays in its firmware is enough here
	q create fw --memory 64 --accel tcg,tb-size=32 --start --paused >/dev/null
	[ "$(q state fw)" = paused ] || fail "state $(q state fw)"
	one_line_error "VM 'fw' is paused; destroy it first" q undefine fw
	one_line_error "only a shut off VM can be renamed" q rename fw fw2
	one_line_error "VM 'fw' is already paused" q start fw
	q qmp fw '{"execute":"query-name"}' | grep -q '"name": "fw"' || fail qmp
	one_line_error "CommandNotFound: The command no-such has not been found" \
	    q qmp fw '{"execute":"no-such"}'
	q hmp fw 'info name' | grep -q '^fw' || fail hmp
	q info fw --json | grep -q '"qemu_version"' || fail "info json"
	q list --json | grep -q '"name": "fw"' || fail "list json"
	q state fw --json | grep -q '"state": "paused"' || fail "state json"
	q events fw --json --timeout 3 >"$T/events" &
	ev=$!
	sleep 0.5
	q resume fw >/dev/null
	q suspend fw >/dev/null
	wait $ev || true
	grep -q '"event": *"RESUME"' "$T/events" || fail "no RESUME: $(cat "$T/events")"
	grep -q '"event": *"VM_STATE"' "$T/events" || fail "no VM_STATE"
	grep -q '"vm": *"fw"' "$T/events" || fail "no vm name"
}

t_vnc() {
	q create vncbox --memory 64 --accel tcg,tb-size=32 --graphics vnc \
	    --start --paused >/dev/null
	port=$(q vncdisplay vncbox --json | sed -n 's/.*"port": \([0-9]*\).*/\1/p')
	[ "$port" -ge 5900 ] || fail "port $port"
	q vncdisplay vncbox | grep -qx "127.0.0.1:$((port - 5900))" || fail "display"
	# QEMU listens there, on loopback only
	ss -ltn | grep -q "127.0.0.1:$port " || fail "nothing listens on $port"
	q destroy vncbox >/dev/null
	one_line_error "VM 'vncbox' is not running" q vncdisplay vncbox
	q create novnc --accel tcg >/dev/null
	one_line_error "VM 'novnc' has no VNC display" q vncdisplay novnc
	q undefine novnc >/dev/null
}

t_owner_refused() {
	id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; return 0; }
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; return 0; }
	q create rootvm --accel tcg >/dev/null
	chmod 0666 "$T/ctl.sock"
	chmod 0755 "$T"
	as_nobody() { runuser -u nobody -- env QLAUNCH_SOCKET="$T/ctl.sock" \
	    QLAUNCH_NO_AUTOSTART=1 "$QLAUNCH" "$@"; }
	as_nobody info rootvm >"$T/out" 2>"$T/err" && fail "nobody saw rootvm"
	grep -q "VM 'rootvm' belongs to another user" "$T/err" || fail "$(cat "$T/err")"
	as_nobody undefine rootvm 2>/dev/null && fail "nobody undefined rootvm"
	as_nobody list --all --json | grep -q '"name"' && fail "list shows others' VMs"
	as_nobody create mine --accel tcg --owner root 2>"$T/err" && fail "gave it away"
	grep -q "only root may define a VM for another user" "$T/err"
	as_nobody create mine --accel tcg >/dev/null
	q dumpconfig mine | grep -qx 'owner: nobody' || fail "owner not set"
	as_nobody info mine >/dev/null
	# a root supervisor runs an owner's QEMU as the owner
	as_nobody start mine --paused >/dev/null
	pid=$(vm_pid mine)
	[ "$(ps -o user= -p "$pid")" = nobody ] || fail "QEMU runs as $(ps -o user= -p "$pid")"
	as_nobody destroy mine >/dev/null
	# the owner controls qemu/ only; root never follows links there
	echo "root secret" >"$T/secret"
	chmod 600 "$T/secret"
	qd=$T/state/run/mine/qemu
	[ "$(stat -c %U "$qd")" = nobody ] || fail "qemu/ is not the owner's"
	[ "$(stat -c %U "$T/state/run/mine")" = root ] || fail "run dir given away"
	runuser -u nobody -- ln -sf "$T/secret" "$qd/console.log"
	q console mine --log | grep -q "root secret" && fail "followed a link"
	as_nobody start mine --paused >/dev/null
	[ "$(cat "$T/secret")" = "root secret" ] || fail "the secret changed"
	[ "$(stat -c %U "$T/secret")" = root ] || fail "the secret was given away"
	# what the owner leaves in qemu/ does not stop the next start
	runuser -u nobody -- mkdir -p "$qd/sub/dir"
	runuser -u nobody -- ln -s / "$qd/sub/root"
	as_nobody destroy mine >/dev/null
	as_nobody start mine --paused >/dev/null
	as_nobody destroy mine >/dev/null
	q undefine mine >/dev/null
	[ ! -e "$T/state/run/mine" ] || fail "undefine left $T/state/run/mine"
	q undefine rootvm >/dev/null
	chmod 0700 "$T"
}

# A full disk: one clear error, and the definitions already there survive.
t_full_disk() {
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to mount a tmpfs"; return 0; }
	mkdir -p "$T/small"
	mount -t tmpfs -o size=256k tmpfs "$T/small" || { echo "SKIP: no tmpfs"; return 0; }
	so=$T/small.sock
	"$QLAUNCHD" -f -s "$T/small/st" -r "$T/smallrun" -S "$so" >>"$T/small.log" 2>&1 &
	dp=$!
	for _ in $(seq 100); do [ -S "$so" ] && break; sleep 0.05; done
	QLAUNCH_SOCKET=$so q create keep --accel tcg --memory 128 >/dev/null
	before=$(cat "$T/small/st/vms/keep.conf")
	# fill the file system to the last block
	dd if=/dev/zero of="$T/small/fill" bs=4k 2>/dev/null || true
	rc=0
	QLAUNCH_SOCKET=$so q create more --accel tcg 2>"$T/err" || rc=$?
	[ $rc -eq 1 ] || fail "create on a full disk: exit $rc"
	grep -q "cannot write .*more.conf: No space left on device" "$T/err" ||
	    fail "$(cat "$T/err")"
	QLAUNCH_SOCKET=$so q info more >/dev/null 2>&1 && fail "half-created VM"
	rc=0
	QLAUNCH_SOCKET=$so q autostart keep 2>"$T/err" || rc=$?
	[ $rc -eq 1 ] || fail "autostart on a full disk: exit $rc"
	[ "$(cat "$T/small/st/vms/keep.conf")" = "$before" ] || fail "keep.conf changed"
	QLAUNCH_SOCKET=$so q dumpconfig keep | grep -qx 'autostart: no' || fail "live state changed"
	ls "$T/small/st/vms" | grep -q tmp && fail "temporary files left"
	kill "$dp"
	for _ in $(seq 100); do kill -0 "$dp" 2>/dev/null || break; sleep 0.05; done
	umount "$T/small"
}

# With nothing listening, qlaunch starts qlaunchd itself (as tmux does).
t_autostart_supervisor() {
	so=$T/auto.sock
	out=$(env -u QLAUNCH_NO_AUTOSTART QLAUNCH_SOCKET=$so \
	    QLAUNCH_STATEDIR=$T/auto "$QLAUNCH" version --json)
	pid=$(echo "$out" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
	[ -n "$pid" ] && kill -0 "$pid" || fail "no supervisor: $out"
	echo "$out" | grep -q "\"statedir\": \"$T/auto\"" || fail "$out"
	# it detached: not our child, and it keeps serving
	QLAUNCH_SOCKET=$so q list --all >/dev/null
	# -N: no supervisor is started
	env -u QLAUNCH_NO_AUTOSTART QLAUNCH_SOCKET=$T/none.sock "$QLAUNCH" -N \
	    list 2>"$T/err" && fail "-N started one"
	grep -q "is qlaunchd running" "$T/err" || fail "$(cat "$T/err")"
	kill "$pid"
}

t_host_check() {
	q host-check >"$T/hc" || true
	grep -q 'PASS  QEMU' "$T/hc" || fail "$(cat "$T/hc")"
	q host-check --json | grep -q '"result": "PASS"' || fail json
}

# list's Id column, --name and --uuid, with VMs that are defined only
t_list_names_uuids() {
	q create ln1 --accel tcg >/dev/null
	q create ln2 --accel tcg >/dev/null
	u1=$(q dumpconfig ln1 | sed -n 's/^uuid: //p')
	u2=$(q dumpconfig ln2 | sed -n 's/^uuid: //p')
	[ -n "$u1" ] && [ -n "$u2" ] || fail "no uuids"
	q list --all >"$T/list"
	head -1 "$T/list" | grep -q '^ Id  *Name  *State ' || fail "header: $(head -1 "$T/list")"
	sed -n 2p "$T/list" | grep -q '^---*$' || fail "no dashes: $(cat "$T/list")"
	grep -q '^ -  *ln1  *shut off ' "$T/list" || fail "no row for ln1: $(cat "$T/list")"
	q list --all --name >"$T/names"
	grep -qx ln1 "$T/names" && grep -qx ln2 "$T/names" || fail "names: $(cat "$T/names")"
	grep -q ' ' "$T/names" && fail "not bare names: $(cat "$T/names")"
	q list --name | grep -qx ln1 && fail "ln1 listed without --all"
	q list --all --uuid >"$T/uuids"
	grep -qx "$u1" "$T/uuids" && grep -qx "$u2" "$T/uuids" || fail "uuids: $(cat "$T/uuids")"
	q list --all --uuid --name | grep -qx "$u1  ln1" || fail "uuid and name"
	q list --uuid | grep -qx "$u1" && fail "ln1's uuid listed without --all"
	exit_status 2 q list --json --name
	grep -q "mutually exclusive" "$T/err" || fail "$(cat "$T/err")"
	q list --all --json | grep -q '"name": "ln1"' || fail "json"
}

# domid, domname and domuuid resolve names, ids and uuids from list
t_domid_domname_domuuid() {
	u1=$(q dumpconfig ln1 | sed -n 's/^uuid: //p')
	[ "$(q domuuid ln1)" = "$u1" ] || fail "domuuid: $(q domuuid ln1)"
	[ "$(q domname "$u1")" = ln1 ] || fail "domname by uuid"
	upper=$(echo "$u1" | tr a-f A-F)
	[ "$(q domname "$upper")" = ln1 ] || fail "domname by upper-case uuid"
	[ "$(q domid ln1)" = - ] || fail "domid of a shut off VM: $(q domid ln1)"
	[ "$(q domid "$u1")" = - ] || fail "domid by uuid"
	q domuuid ln1 --json | grep -q "\"uuid\": \"$u1\"" || fail "json"
	q domid ln1 --json | grep -q '"id": null' || fail "json id: $(q domid ln1 --json)"
	one_line_error "no VM with id 4242" q domname 4242
	one_line_error "no VM with id 4242" q domuuid 4242
	one_line_error "no VM with uuid 00000000-0000-4000-8000-000000000000" \
	    q domname 00000000-0000-4000-8000-000000000000
	one_line_error "no VM named 'nope'" q domuuid nope
	one_line_error "no VM named 'nope'" q domid nope
	one_line_error "'ln1' is not a VM id or uuid" q domname ln1
	exit_status 2 q domname
}

t_dominfo_alias() {
	q dominfo ln1 >"$T/a"
	q info ln1 >"$T/b"
	cmp -s "$T/a" "$T/b" || fail "dominfo differs from info"
	grep -q '^Name: *ln1$' "$T/a" || fail "$(cat "$T/a")"
	grep -q '^Id:' "$T/a" && fail "an Id for a shut off VM"
	q dominfo ln1 --json | grep -q '"name": "ln1"' || fail "json"
}

# virsh's scope flags: checked before anything is sent
t_setmem_flags() {
	one_line_error "setmem: 'lots': not a size" q setmem ln1 lots --live --config
	one_line_error "setmem: '100K' is not a whole number of MiB" \
	    q setmem ln1 100K --config
	exit_status 2 q setmem ln1 64 --current --live
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "not one line: $(cat "$T/err")"
	grep -q "qlaunch setmem: --current and --live are mutually exclusive" "$T/err" ||
	    fail "$(cat "$T/err")"
	exit_status 2 q setmem ln1 64 --current --config
	exit_status 2 q setmem ln1 64 --bogus
	exit_status 2 q memstat ln1 --current --live
	one_line_error "setmem: --live=1 takes no value" q setmem ln1 64 --live=1
}

# send-key checks every key before anything is sent
t_send_key_errors() {
	one_line_error "send-key: unknown key 'KEY_BOGUS' in codeset linux" \
	    q send-key ln1 KEY_A KEY_BOGUS
	one_line_error "send-key: unknown codeset 'atset1' (the codesets are linux, xt, qnum, qcode)" \
	    q send-key ln1 --codeset atset1 30
	one_line_error "send-key: unknown key 'ctrl' in codeset linux" q send-key ln1 ctrl
	one_line_error "send-key: unknown key 'KEY_LEFTCTRL' in codeset qcode" \
	    q send-key ln1 --codeset qcode KEY_LEFTCTRL
	one_line_error "send-key: unknown key '84' in codeset xt" q send-key ln1 --codeset xt 84
	one_line_error "send-key: unknown key '0x300' in codeset linux" q send-key ln1 0x300
	one_line_error "send-key: 17 keys; at most 16 at once" \
	    q send-key ln1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
	one_line_error "--holdtime 'long': not a number" q send-key ln1 --holdtime long KEY_A
	exit_status 2 q send-key ln1
	# the keys are good: the supervisor has the word (ln1 is not running)
	q send-key ln1 KEY_LEFTCTRL key_a 0x1e 30 >/dev/null 2>"$T/err" && fail "sent to a shut off VM"
	grep -q "unknown key\|codeset" "$T/err" && fail "$(cat "$T/err")"
	true
}

t_lifecycle_flags() {
	one_line_error "shutdown: mode 'initctl' is not supported; the modes are acpi and agent" \
	    q shutdown ln1 --mode initctl
	one_line_error "shutdown: mode 'signal' is not supported" q shutdown ln1 --mode acpi,signal
	one_line_error "reboot: mode 'initctl' is not supported; the modes are acpi and agent" \
	    q reboot ln1 --mode initctl
	exit_status 2 q shutdown ln1 --force
	grep -q "qlaunch shutdown: --force needs --wait" "$T/err" || fail "$(cat "$T/err")"
	one_line_error "--wait '0': " q shutdown ln1 --wait=0 --force
	# accepted: the supervisor answers that ln1 is not running
	for c in "destroy ln1 --graceful" "shutdown ln1 --mode acpi" \
	    "reboot ln1 --mode acpi" "shutdown ln1 --wait=5 --force"; do
		one_line_error "VM 'ln1' is" q $c
	done
}

t_screenshot_errors() {
	one_line_error "screenshot: only screen 0 is supported" q screenshot ln1 --screen 1
	one_line_error "--screen 'x': not a number" q screenshot ln1 --screen x
	exit_status 2 q screenshot ln1 a.png b.png
	exit_status 2 q screenshot
	q undefine ln1 >/dev/null
	q undefine ln2 >/dev/null
}


# virt-install's command line, translated without sending anything
t_virt_install_print() {
	q virt-install --name vm1 --ram 2048 --vcpus 2 \
	    --disk path=/var/lib/libvirt/images/vm1.qcow2,size=20,format=qcow2 \
	    --os-variant ubuntu22.04 --network bridge=br0,model=virtio \
	    --graphics vnc,listen=0.0.0.0 --noautoconsole --cdrom /tmp/x,y.iso \
	    --print-xml >"$T/out" 2>"$T/err" || fail "$(cat "$T/err")"
	[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
	cat >"$T/want" <<'END'
name: vm1
memory: 2048
vcpus: 2
graphics: vnc,listen=0.0.0.0
disk: path=/var/lib/libvirt/images/vm1.qcow2,size=20,format=qcow2,bus=virtio
disk: path=/tmp/x,,y.iso,device=cdrom
network: bridge=br0,model=virtio
video: virtio
# install: cdrom
END
	diff -u "$T/want" "$T/out" || fail "print-xml differs"
	# old Windows on q35: SATA, e1000, std VGA; --location's arguments
	q create -n w7 --machine q35 --os-variant win7 --disk /w.img -w bridge=br0 \
	    --graphics vnc -l /srv/inst -x "console=ttyS0 ks=x" --print-xml >"$T/out"
	for l in 'disk: /w.img,bus=sata' 'network: bridge=br0,model=e1000' \
	    'video: std' '# location: /srv/inst' '# extra_args: console=ttyS0 ks=x'; do
		grep -qxF -- "$l" "$T/out" || fail "lacks '$l': $(cat "$T/out")"
	done
	# an unknown OS: one warning line, and on
	q create w --os-variant plan9 --disk /g.img --print-xml >"$T/out" 2>"$T/err"
	[ "$(cat "$T/err")" = "qlaunch: warning: unknown --os-variant 'plan9'; using generic defaults" ] ||
	    fail "warning: $(cat "$T/err")"
	grep -qx 'disk: /g.img' "$T/out" || fail "$(cat "$T/out")"
	# --dry-run checks here as the supervisor would, and sends nothing
	q create dr --memory 64 --virt-type qemu --dry-run >"$T/out" || fail "dry run"
	[ ! -s "$T/out" ] || fail "dry run printed $(cat "$T/out")"
	one_line_error "memory: 'lots': not a size" q create dr --memory lots --dry-run
	one_line_error "no VM named 'dr'" q info dr
}

t_virt_install_errors() {
	before=$(q list --all --json)
	usage_error "qlaunch create: unknown option --colour" q virt-install -n v1 --colour red
	usage_error "qlaunch create: unknown option -Z" q create v1 -Z
	usage_error "qlaunch create: --disk needs a value" q create v1 --disk
	usage_error "qlaunch create: --vcpus is given twice" q create v1 --vcpus 1 --vcpus=2
	usage_error "qlaunch create: --memory: memory is set already by --ram" \
	    q create v1 --ram 512 --memory 1G
	usage_error "qlaunch create: the name is given twice" q create --name a -n b
	usage_error "qlaunch create: no name given (--name NAME)" q create --memory 64
	usage_error "qlaunch create: --cdrom and --import: give one install method" \
	    q create v1 --cdrom /x.iso --import
	usage_error "qlaunch create: --extra-args needs --location" q create v1 -x quiet
	one_line_error "create: --connect 'qemu+ssh://h/system': qlaunch talks to its own qlaunchd only" \
	    q create v1 --connect qemu+ssh://h/system
	one_line_error "create: -n: 'a b' is not a valid name" q create -n 'a b'
	one_line_error "create: --virt-type 'xen': qlaunch runs kvm or qemu (TCG)" \
	    q create v1 --virt-type xen
	one_line_error "create: --pxe: network installs are not supported" q create v1 --pxe
	[ "$(q list --all --json)" = "$before" ] || fail "something was created"
}

# a virt-install line the supervisor takes today: defined, not started
t_virt_install_create() {
	q virt-install --name vi1 --ram 128 --vcpus 2,maxvcpus=4 --cpu host-passthrough \
	    --machine q35 --virt-type qemu --os-variant ubuntu22.04 \
	    --graphics vnc,listen=127.0.0.1 --connect qemu:///system \
	    --metadata description="a web box" --console pty,target_type=serial \
	    --qemu-commandline="-global kvm-pit.lost_tick_policy=discard" \
	    --boot hd,menu=on --events on_crash=restart --force --os-type linux \
	    >"$T/out" || fail "create"
	grep -qx "VM vi1 created" "$T/out" || fail "$(cat "$T/out")"
	[ "$(q state vi1)" = "shut off" ] || fail "started"
	d=$(q dumpconfig vi1)
	for l in 'memory: 128' 'vcpus: 2,maxvcpus=4' 'cpu: host' 'machine: q35' \
	    'accel: tcg' 'graphics: vnc,listen=127.0.0.1,port=auto' 'video: virtio' \
	    'description: a web box' 'console: serial' 'qemu-arg: -global' \
	    'qemu-arg: kvm-pit.lost_tick_policy=discard' 'boot: hd,menu=on' \
	    'on_crash: restart'; do
		echo "$d" | grep -qxF "$l" || fail "dumpconfig lacks '$l': $d"
	done
	q cmdline vi1 | grep -q '"driver":"virtio-vga"' || fail "no virtio-vga: $(q cmdline vi1)"
	q undefine vi1 >/dev/null
}

# the disk commands' flags, checked before anything is sent
t_disk_flags() {
	q attach-disk kvm2 /data/add01.qcow2 vdb --live --cache=none \
	    --subdriver=qcow2 --print-xml >"$T/out" || fail "print-xml"
	[ "$(cat "$T/out")" = "disk: path=/data/add01.qcow2,target=vdb,format=qcow2,cache=none" ] ||
	    fail "$(cat "$T/out")"
	(cd "$T" && q attach-disk k a,b.img vdc --type cdrom --mode readonly \
	    --io native --targetbus sata --serial S1 --print-xml) >"$T/out"
	[ "$(cat "$T/out")" = "disk: path=$T/a,,b.img,target=vdc,bus=sata,aio=native,device=cdrom,serial=S1,readonly=on" ] ||
	    fail "$(cat "$T/out")"
	q attach-disk --domain k --source "" --target hdc --type cdrom --print-xml >"$T/out"
	[ "$(cat "$T/out")" = "disk: target=hdc,device=cdrom" ] || fail "$(cat "$T/out")"
	usage_error "qlaunch attach-disk: unknown option --bogus" q attach-disk k /x vdb --bogus
	usage_error "usage: qlaunch attach-disk" q attach-disk k /x
	usage_error "--current and --live are mutually exclusive" \
	    q attach-disk k /x vdb --current --live
	usage_error "--persistent and --current are mutually exclusive" \
	    q attach-disk k /x vdb --persistent --current
	usage_error "--type 'lun': not disk, cdrom or floppy" q attach-disk k /x vdb --type lun
	usage_error "--mode 'rw': not readonly or shareable" q attach-disk k /x vdb --mode rw
	usage_error "--io 'aio': not threads, native, io_uring or default" \
	    q attach-disk k /x vdb --io aio
	usage_error "--driver 'file': not qemu" q attach-disk k /x vdb --driver file
	usage_error "usage: qlaunch detach-disk" q detach-disk k
	usage_error "--current and --config are mutually exclusive" \
	    q detach-disk k vdb --config --current
	usage_error "--eject, --insert and --update are mutually exclusive" \
	    q change-media k hdc --eject --insert /x.iso
	usage_error "--eject takes no source" q change-media k hdc /x.iso --eject
	usage_error "--insert needs a source" q change-media k hdc --insert
	usage_error "--current and --live are mutually exclusive" \
	    q change-media k hdc /x.iso --live --current
	usage_error "usage: qlaunch blkinfo" q blkinfo k
	usage_error "--all and a target are mutually exclusive" q domblkinfo k vda --all
	usage_error "usage: qlaunch blklist" q domblklist
}

start_daemon || exit 1
run_tests usage_errors create_bad_values_change_nothing \
    virt_install_print virt_install_errors virt_install_create disk_flags \
    create_flags_and_dumpconfig define_round_trip edit cmdline \
    rename_undefine start_failures_are_clear running_vm_guards vnc \
    owner_refused full_disk autostart_supervisor host_check \
    list_names_uuids domid_domname_domuuid dominfo_alias setmem_flags \
    send_key_errors lifecycle_flags screenshot_errors
