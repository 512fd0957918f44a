#!/bin/bash
# virsh's newer commands against the supervisor: ids of running VMs,
# screenshot, send-key, shutdown --force, setmem's scope flags and events
# of several VMs.  Boots the test guest where the guest must see it.
. "$(dirname "$0")/lib.sh"

# fw NAME [flags]: a VM that stays in its firmware, with a VGA display
# (the std VGA that --graphics vnc brings)
fw() {
	local name=$1; shift
	q create "$name" --memory 64 --accel tcg,tb-size=32 --graphics vnc \
	    "$@" >/dev/null
}

t_running_ids() {
	fw id1 --start --paused
	fw id2 --start --paused
	q create id3 --accel tcg >/dev/null
	u1=$(q dumpconfig id1 | sed -n 's/^uuid: //p')
	i1=$(q domid id1)
	i2=$(q domid id2)
	[[ $i1 =~ ^[0-9]+$ ]] || fail "domid id1: '$i1'"
	[[ $i2 =~ ^[0-9]+$ ]] || fail "domid id2: '$i2'"
	[ "$i1" != "$i2" ] || fail "two VMs with id $i1"
	[ "$(q domid "$u1")" = "$i1" ] || fail "domid by uuid"
	[ "$(q domid id3)" = - ] || fail "domid of a shut off VM"
	[ "$(q domname "$i1")" = id1 ] || fail "domname $i1: $(q domname "$i1")"
	[ "$(q domuuid "$i1")" = "$u1" ] || fail "domuuid $i1"
	q domid id1 --json | grep -q "\"id\": $i1" || fail "json: $(q domid id1 --json)"
	q list | grep -q "^ $i1  *id1  *paused " || fail "list: $(q list)"
	q list --all | grep -q '^ -  *id3  *shut off ' || fail "list --all: $(q list --all)"
	q list --json | grep -q "\"id\": $i1" || fail "list json"
	q info id1 | head -1 | grep -q "^Id: *$i1$" || fail "info: $(q info id1 | head -2)"
	q info id3 | grep -q '^Id:' && fail "an Id for a shut off VM"
	# any command takes a VM by id or UUID, as virsh takes a domain
	q info "$i1" | grep -q '^Name: *id1$' || fail "info by id: $(q info "$i1")"
	[ "$(q state "$u1")" = paused ] || fail "state by uuid"
	q resume "$i1" >/dev/null && [ "$(q state id1)" = running ] || fail "resume by id"
	q suspend "$i1" >/dev/null
	q list --name | grep -qx id1 || fail "list --name"
	q list --name | grep -qx id3 && fail "list --name shows a shut off VM"
	q destroy id2 >/dev/null
	[ "$(q domid id2)" = - ] || fail "domid after destroy: $(q domid id2)"
	one_line_error "no VM with id $i2" q domname "$i2"
	q undefine id2 >/dev/null
	q undefine id3 >/dev/null
}

t_screenshot() {
	mkdir -p "$T/shots"
	( cd "$T/shots" && q screenshot id1 ) >"$T/out" || fail "screenshot"
	f=$(sed -n 's/^Screenshot saved to \(.*\), with type of .*/\1/p' "$T/out")
	mime=$(sed -n 's/.*, with type of \(.*\)$/\1/p' "$T/out")
	[[ $f =~ ^id1-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}\.(png|ppm)$ ]] ||
	    fail "default file name: $(cat "$T/out")"
	[ -s "$T/shots/$f" ] || fail "$f is empty or missing"
	case $f in
	*.png)	[ "$mime" = image/png ] || fail "mime $mime"
		head -c 4 "$T/shots/$f" | grep -q PNG || fail "not a PNG" ;;
	*.ppm)	[ "$mime" = image/x-portable-pixmap ] || fail "mime $mime"
		[ "$(head -c 2 "$T/shots/$f")" = P6 ] || fail "not a PPM" ;;
	esac
	# a file given is replaced, as virsh does
	echo junk >"$T/shots/mine"
	q screenshot id1 "$T/shots/mine" | grep -qx \
	    "Screenshot saved to $T/shots/mine, with type of $mime" || fail "given file"
	grep -qx junk "$T/shots/mine" && fail "not replaced"
	[ -s "$T/shots/mine" ] || fail "empty"
	q screenshot id1 --file "$T/shots/other" >/dev/null
	[ -s "$T/shots/other" ] || fail "--file"
	q create off1 --accel tcg >/dev/null
	one_line_error "off1" q screenshot off1 "$T/shots/off"
	[ ! -e "$T/shots/off" ] || fail "a file for a shut off VM"
	q undefine off1 >/dev/null
}

# Alt+SysRq+H makes the guest's kernel print its SysRq help on ttyS0:
# the keys reached the guest's keyboard.
sysrq_help_count() { q console skg --log | grep -c 'sysrq: HELP' || true; }
wait_sysrq_help() {
	for _ in $(seq 50); do
		[ "$(sysrq_help_count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "no SysRq help ($1) in the console: $(q console skg --log | tail -3)"
}

t_send_key() {
	create_guest skg --start
	wait_ready skg
	gx skg 'echo 1 > /proc/sys/kernel/sysrq' >/dev/null
	q send-key skg KEY_LEFTALT KEY_SYSRQ KEY_H | grep -qx "VM skg: 3 keys sent"
	wait_sysrq_help 1
	q send-key skg --codeset qcode alt sysrq h >/dev/null
	wait_sysrq_help 2
	q send-key skg --holdtime 50 56 99 35 >/dev/null	# linux numbers
	wait_sysrq_help 3
	q send-key skg --codeset qnum 0x38 0x54 0x23 >/dev/null
	wait_sysrq_help 4
	q send-key skg --codeset xt 56 35 >/dev/null	# no SysRq in 1-83
	one_line_error "no VM named 'nope'" q send-key nope KEY_A
}

# A guest in its firmware ignores the power button.
t_shutdown_force() {
	fw sd1 --start
	one_line_error "sd1" q shutdown sd1 --wait=2
	grep -q "still running" "$T/err" || fail "$(cat "$T/err")"
	[ "$(q state sd1)" != "shut off" ] || fail "shut off without --force"
	q shutdown sd1 --wait=2 --force >"$T/out" || fail "$(cat "$T/out")"
	grep -qx "VM sd1 is shut off (destroyed after 2 s)" "$T/out" || fail "$(cat "$T/out")"
	q state --reason sd1 | grep -q '^shut off (destroyed' || fail "$(q state --reason sd1)"
	q undefine sd1 >/dev/null
}

t_setmem_scope() {
	q setmem skg 200M --live | grep -qx "VM skg balloon target 200 MiB"
	q setmem skg 192 --config | grep -qx "VM skg has 192 MiB from its next start"
	q setmem skg 224 --live --config >/dev/null
	q setmem skg 256 >/dev/null	# running: the balloon
	q create sm1 --accel tcg --memory 256 >/dev/null
	q setmem sm1 128 >/dev/null	# shut off: the definition
	q setmem sm1 128 --config >/dev/null
	one_line_error "sm1" q setmem sm1 128 --live
	q undefine sm1 >/dev/null
}

t_events_of_several() {
	fw ev1 --start --paused
	fw ev2 --start --paused
	q events ev1 ev2 --json --timeout 4 >"$T/events" &
	ev=$!
	sleep 0.5
	for n in ev1 ev2 id1; do
		q resume "$n" >/dev/null
		q suspend "$n" >/dev/null
	done
	wait $ev || true
	grep -q '"vm": *"ev1"' "$T/events" || fail "no events of ev1: $(cat "$T/events")"
	grep -q '"vm": *"ev2"' "$T/events" || fail "no events of ev2"
	grep -q '"vm": *"id1"' "$T/events" && fail "events of id1 too"
	one_line_error "nope" q events ev1 nope --timeout 1
	q destroy ev1 >/dev/null
	q destroy ev2 >/dev/null
}

start_daemon || exit 1
run_tests running_ids screenshot send_key shutdown_force setmem_scope \
    events_of_several
