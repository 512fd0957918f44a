#!/bin/bash
# The guest agent, end to end: a guest with "guest-agent: on" runs the
# test guest's agent (qlagent, started by /init) on the virtio-serial port
# org.qemu.guest_agent.0, and the supervisor talks to it over the VM's
# agent socket.  agent-info gives the guest's hostname (changed in the
# guest first) and file systems (an ext4 disk the guest mounted), and
# the parts an agent gives when it withholds others; set-user-password
# changes root's entry in the guest's /etc/shadow; ifaddr
# --source agent lists an address only the guest has; agent passes a
# request through (guest-exec too); fsfreeze blocks the guest's writes
# until fsthaw; a disk-only snapshot freezes and thaws; an agent that is
# silent, floods or lies makes commands fail in one line while the
# supervisor stays responsive, its memory bounded, and a good agent is
# used again afterwards;
# reboot --mode agent reboots the guest in the same QEMU; shutdown --mode
# agent powers the guest off; the errors are one line.
. "$(dirname "$0")/lib.sh"

# restart_agent NAME [MODE]: the guest's qlagent replaced by one in MODE
restart_agent() {
	gx "$1" "kill \$(pidof qlagent) 2>/dev/null; sleep 0.5; setsid qlagent ${2:-} </dev/null >/dev/null 2>/var/log/qlagent.log & sleep 0.5; echo started" >/dev/null
	[ -n "$(gval "$1" 'pidof qlagent')" ] || fail "no qlagent ${2:-} in the guest"
}

# rss: qlaunchd's resident memory in KiB
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$(cat "$T/daemon.pid")/status"; }

t_guest_up() {
	truncate -s 32M "$T/fs.raw"
	mkfs.ext4 -q -F "$T/fs.raw" || return 1
	"$QEMU_IMG" convert -f raw -O qcow2 "$T/fs.raw" "$T/ga.qcow2" || return 1
	rm -f "$T/fs.raw"
	create_guest ga --guest-agent on --disk "$T/ga.qcow2,format=qcow2" --start
	wait_ready ga
	q dumpconfig ga | grep -qx 'guest-agent: on' || fail "no guest-agent line"
	[ "$(gval ga 'cat /sys/class/virtio-ports/*/name')" = org.qemu.guest_agent.0 ] ||
	    fail "no agent port in the guest"
	gx ga 'mkdir -p /mnt/d && mount /dev/vda /mnt/d' >/dev/null
	[ "$(gval ga 'grep -c "^/dev/vda /mnt/d ext4" /proc/mounts')" = 1 ] ||
	    fail "the guest did not mount its disk"
}

t_agent_info() {
	local name
	name=ga-$RANDOM
	gx ga "hostname $name" >/dev/null
	q agent-info ga >"$T/out" || return 1
	grep -q "^Hostname: *$name\$" "$T/out" || fail "hostname: $(cat "$T/out")"
	grep -q '^Users: *root$' "$T/out" || fail "users: $(cat "$T/out")"
	grep -q '^  /mnt/d  *vda  *ext4 ' "$T/out" || fail "no /mnt/d: $(cat "$T/out")"
	q agent-info ga --json >"$T/json"
	grep -q "\"hostname\": \"$name\"" "$T/json" || fail "json: $(cat "$T/json")"
	grep -q '"kernel-release": "'"$(cat "$GUEST/VERSION")"'"' "$T/json" ||
	    fail "kernel: $(grep kernel-release "$T/json")"
	# as many file systems as the guest has, pseudo ones aside
	local n
	n=$(gval ga "grep -cvE ' (proc|sysfs|devtmpfs|devpts) ' /proc/mounts")
	[ "$(grep -c '"mountpoint"' "$T/json")" = "$n" ] ||
	    fail "$(grep -c '"mountpoint"' "$T/json") file systems, the guest has $n"
}

t_ifaddr_agent() {
	gx ga 'ip addr add 198.51.100.7/32 dev lo' >/dev/null
	q ifaddr ga --source agent >"$T/out" || return 1
	grep -q ' ipv4  *198\.51\.100\.7/32  *agent *$' "$T/out" || fail "$(cat "$T/out")"
	grep -q '^ lo  *00:00:00:00:00:00  *ipv4  *127\.0\.0\.1/8  *agent' "$T/out" || fail "$(cat "$T/out")"
	q ifaddr ga --source agent --json | grep -q '"prefix": 32' || fail "no prefix in json"
}

t_passthrough() {
	[ "$(q agent ga '{"execute":"guest-ping"}')" = '{"return":{}}' ] || fail "ping"
	local h
	h=$(gval ga hostname)
	[ "$(q agent ga '{"execute": "guest-get-host-name"}')" = "{\"return\":{\"host-name\":\"$h\"}}" ] ||
	    fail "host-name: $(q agent ga '{"execute": "guest-get-host-name"}')"
	one_line_error "The command guest-nope has not been found" \
	    q agent ga '{"execute":"guest-nope"}'
	grep -q 'CommandNotFound: The command' "$T/err" || fail "class lost: $(cat "$T/err")"
	one_line_error "not a guest agent request" q agent ga '[1,2]'
	one_line_error "not a guest agent request" q agent ga '{"execute":'
	one_line_error "guest-sync-delimited is the supervisor's" \
	    q agent ga '{"execute":"guest-sync-delimited","arguments":{"id":1}}'
	[ "$(q agent ga '{"execute":"guest-sync","arguments":{"id":77}}')" = '{"return":77}' ] ||
	    fail "guest-sync"
}

# the guest's writes wait while frozen
t_freeze() {
	[ "$(q fsfreeze ga)" = "Froze 1 filesystem(s)" ] || fail "fsfreeze"
	[ "$(q agent ga '{"execute":"guest-fsfreeze-status"}')" = '{"return":"frozen"}' ] ||
	    fail "not frozen"
	gx ga 'rm -f /tmp/w; (echo x >/mnt/d/f; sync; echo done >/tmp/w) >/dev/null 2>&1 &' >/dev/null
	sleep 2
	[ "$(gval ga 'cat /tmp/w 2>/dev/null')" = "" ] || fail "a write went through while frozen"
	[ "$(q fsthaw ga)" = "Thawed 1 filesystem(s)" ] || fail "fsthaw"
	wait_gval ga 'cat /tmp/w 2>/dev/null' done
	[ "$(q agent ga '{"execute":"guest-fsfreeze-status"}')" = '{"return":"thawed"}' ] ||
	    fail "not thawed"
}

t_snapshot_freezes() {
	q snapshot-create-as ga s1 --disk-only >/dev/null || return 1
	for _ in $(seq 50); do
		grep -q 'ga: guest file systems thawed (1)' "$T/qlaunchd.log" && break
		sleep 0.1
	done
	grep -q 'ga: guest file systems frozen (1) for a disk-only snapshot' "$T/qlaunchd.log" ||
	    fail "not frozen: $(grep ga: "$T/qlaunchd.log" | tail -3)"
	grep -q 'ga: guest file systems thawed (1)' "$T/qlaunchd.log" || fail "not thawed"
	[ "$(q agent ga '{"execute":"guest-fsfreeze-status"}')" = '{"return":"thawed"}' ] ||
	    fail "left frozen"
}

# guest-exec through the passthrough: the guest runs it, its output comes back
t_exec() {
	local pid out
	pid=$(q agent ga '{"execute":"guest-exec","arguments":{"path":"sh","arg":["-c","hostname; exit 3"],"capture-output":true}}' |
	    sed -n 's/^{"return":{"pid":\([0-9]*\)}}$/\1/p')
	[ -n "$pid" ] || fail "no pid"
	for _ in $(seq 20); do
		out=$(q agent ga "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
		case $out in *'"exited":true'*) break ;; esac
		sleep 0.2
	done
	case $out in *'"exitcode":3'*) ;; *) fail "status: $out" ;; esac
	[ "$(printf '%s' "$out" | sed -n 's/.*"out-data":"\([^"]*\)".*/\1/p' | base64 -d)" = "$(gval ga hostname)" ] ||
	    fail "output: $out"
}

# root's entry in the guest's /etc/shadow
shadow_pw() { gval ga "sed -n 's/^root:\([^:]*\):.*/\1/p' /etc/shadow"; }

# the guest's /etc/shadow changes: a plain password is hashed there (the
# guest's own mkpasswd gives the same hash with that salt), a crypted one
# is stored as given; the rest of the entry stays
t_set_password() {
	local field salt want hash
	[ "$(shadow_pw)" = '*' ] || fail "root's password is not locked at first: $(shadow_pw)"
	q set-user-password ga root 's3cret word' >"$T/out" || return 1
	grep -qx 'Password set successfully for root in ga' "$T/out" || fail "$(cat "$T/out")"
	field=$(shadow_pw)
	case $field in '$6$'*) ;; *) fail "root's password '$field' is not a SHA-512 hash" ;; esac
	salt=$(printf '%s' "$field" | cut -d'$' -f3)
	want=$(gval ga "mkpasswd -m sha512 's3cret word' '$salt'")
	[ -n "$want" ] && [ "$field" = "$want" ] ||
	    fail "'$field' is not the hash of the password ('$want')"
	hash=$(gval ga "mkpasswd -m sha512 other saltsalt")
	q set-user-password ga root "$hash" --encrypted >/dev/null || return 1
	[ "$(shadow_pw)" = "$hash" ] || fail "crypted: '$(shadow_pw)', not '$hash'"
	[ "$(gval ga 'sed -n "s/^root:[^:]*://p" /etc/shadow')" = '19000:0:99999:7:::' ] ||
	    fail "the entry's other fields changed: $(gval ga 'cat /etc/shadow')"
	one_line_error "no such user" q set-user-password ga nosuchuser x
	one_line_error "forbidden characters in raw password" \
	    q set-user-password ga root 'a:b' --encrypted
	[ "$(shadow_pw)" = "$hash" ] || fail "a refused change changed it: $(shadow_pw)"
}

# parts the agent does not give (qemu-ga's --block-rpcs): the others are
# shown, each missing one is a line on stderr and in --json's errors;
# exit status 0; with none, one line and status 1
t_agent_info_partial() {
	local h
	h=$(gval ga hostname)
	restart_agent ga "-b guest-get-users,guest-get-fsinfo"
	q agent-info ga >"$T/out" 2>"$T/err" || fail "agent-info: $(cat "$T/err")"
	grep -q "^Hostname: *$h\$" "$T/out" || fail "hostname: $(cat "$T/out")"
	grep -q "^Kernel: *$(cat "$GUEST/VERSION") " "$T/out" || fail "kernel: $(cat "$T/out")"
	[ "$(wc -l <"$T/err")" = 2 ] || fail "not a line per missing part: $(cat "$T/err")"
	grep -qx 'qlaunch: agent-info: guest-get-users: CommandNotFound: The command guest-get-users has been disabled for this instance' "$T/err" ||
	    fail "users: $(cat "$T/err")"
	grep -q '^qlaunch: agent-info: guest-get-fsinfo: CommandNotFound: ' "$T/err" ||
	    fail "fsinfo: $(cat "$T/err")"
	q agent-info ga --json >"$T/json" 2>/dev/null || fail "--json failed"
	tr -d ' \n' <"$T/json" >"$T/json1"
	grep -q "\"hostname\":\"$h\"" "$T/json1" || fail "json: $(cat "$T/json")"
	grep -q '"errors":\[{"part":"users","command":"guest-get-users","class":"CommandNotFound",' "$T/json1" ||
	    fail "json errors: $(cat "$T/json")"
	grep -q '"part":"filesystems"' "$T/json1" || fail "json errors: $(cat "$T/json")"
	! grep -q '"users":\[' "$T/json1" || fail "users given: $(cat "$T/json")"
	restart_agent ga "-b guest-get-osinfo,guest-get-host-name,guest-get-users,guest-get-fsinfo"
	one_line_error "agent-info: no part answered: guest-get-osinfo: CommandNotFound: The command guest-get-osinfo has been disabled" \
	    q agent-info ga
	grep -q 'guest-get-fsinfo: CommandNotFound' "$T/err" || fail "$(cat "$T/err")"
	restart_agent ga
	q agent-info ga >"$T/out" 2>"$T/err" || fail "agent-info: $(cat "$T/err")"
	[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
}

# a silent agent: each call times out in one line; qlaunchd answers meanwhile
t_silent() {
	local t0 t1 pid
	restart_agent ga --silent
	t0=$(date +%s%N)
	q agent-info ga --timeout 3 >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 0.5
	q list >/dev/null || fail "list does not answer"
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -lt 2500 ] || fail "list waited for the agent"
	wait $pid && fail "agent-info succeeded"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "not one line: $(cat "$T/err")"
	grep -q 'guest agent: the guest agent did not answer in 3000 ms' "$T/err" ||
	    fail "$(cat "$T/err")"
	one_line_error "did not answer" q fsfreeze ga --timeout 1
	one_line_error "did not answer" q ifaddr ga --source agent
	[ "$(q state ga)" = running ] || fail "state $(q state ga)"
}

# a flooding agent: a call fails in one line, memory stays bounded; a good
# agent afterwards answers again
t_flood() {
	local before after
	before=$(rss)
	[ -n "$before" ] || fail "no RSS of qlaunchd"
	restart_agent ga --flood
	for _ in 1 2 3; do
		one_line_error "guest agent: " q agent-info ga --timeout 5
	done
	grep -q 'too much without answering\|is over' "$T/err" || fail "$(cat "$T/err")"
	q list >/dev/null || fail "list does not answer"
	after=$(rss)
	echo "flood: qlaunchd's RSS $before KiB before, $after KiB after"
	[ $((after - before)) -lt 20480 ] || fail "qlaunchd grew from $before to $after KiB"
	# a lying one: the wrong sync id forever, so every call times out
	restart_agent ga --lie
	one_line_error "did not answer" q agent ga '{"execute":"guest-ping"}' --timeout 2
	restart_agent ga
	for _ in $(seq 10); do
		q agent ga '{"execute":"guest-ping"}' >/dev/null 2>&1 && break
		sleep 0.5
	done
	[ "$(q agent ga '{"execute":"guest-ping"}')" = '{"return":{}}' ] ||
	    fail "the good agent is not used again"
	q agent-info ga | grep -q "^Hostname: *$(gval ga hostname)\$" || fail "agent-info after the flood"
}

t_errors() {
	create_guest plain
	one_line_error "VM 'plain' is shut off" q agent-info plain
	q start plain >/dev/null
	one_line_error "VM 'plain' has no guest agent channel (guest-agent: on)" \
	    q agent-info plain
	one_line_error "has no guest agent channel" q shutdown plain --mode agent
	one_line_error "has no guest agent channel" q ifaddr plain --source agent
	q destroy plain >/dev/null
	one_line_error "guest-agent: 'maybe' is not on or off" \
	    q create bad --memory 256 --guest-agent maybe
	[ -z "$(q list --all --name | grep -x bad)" ] || fail "bad was defined"
	usage_error "usage" q agent ga
	usage_error "--timeout" q agent-info ga --timeout 0
	one_line_error "mode 'initctl' is not supported" q reboot ga --mode initctl
}

# the guest reboots itself: a second ready line, the same QEMU, an agent
t_reboot_agent() {
	local n pid
	n=$(q console ga --log | grep -c QLAUNCH-GUEST-READY)
	pid=$(vm_pid ga)
	q reboot ga --mode agent | grep -q '^VM ga is rebooting$' || fail "reboot"
	wait_ready ga $((n + 1))
	[ "$(q state ga)" = running ] || fail "state $(q state ga)"
	[ "$(vm_pid ga)" = "$pid" ] || fail "another QEMU"
	for _ in $(seq 20); do
		q agent ga '{"execute":"guest-ping"}' >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	fail "no agent after the reboot"
}

t_shutdown_agent() {
	q shutdown ga --mode agent --wait=60 >"$T/out" || fail "$(cat "$T/out")"
	grep -q '^VM ga is shut off$' "$T/out" || fail "$(cat "$T/out")"
	[ "$(q state ga)" = "shut off" ] || fail "state $(q state ga)"
}

start_daemon || exit 1
run_tests guest_up agent_info agent_info_partial ifaddr_agent passthrough \
    freeze snapshot_freezes exec set_password silent flood errors reboot_agent \
    shutdown_agent
