# Shared pieces of the end-to-end tests (bash).  Each test file sources
# this, defines t_NAME functions and calls run_tests.  A private qlaunchd
# runs with its own state directory and socket; everything it started is
# destroyed on exit.  Results are printed as cmocka prints them, so that
# tests/run-tests.sh counts them.

set -u
B=${QLAUNCH_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
GUEST=${QLAUNCH_GUEST_DIR:-$B/images/guest}
QLAUNCH=$B/launcher/qlaunch
QLAUNCHD=$B/launcher/qlaunchd
T=$(mktemp -d /tmp/qle.XXXXXX)
export QLAUNCH_SOCKET=$T/ctl.sock
export QLAUNCH_NO_AUTOSTART=1
APPEND="console=ttyS0 panic=-1 quiet"
DPID=
FAILED=()
PASSED=0
SKIPPED=0

q() { "$QLAUNCH" "$@"; }

# Network tests run qlaunchd (and so QEMU and its taps) in a namespace of
# their own, NETNS, made by make_netns and removed on exit.  nsx runs a
# command there (or here when there is none).
NETNS=
nsx() { if [ -n "$NETNS" ]; then ip netns exec "$NETNS" "$@"; else "$@"; fi; }

# need_root WHAT: skip the whole file unless root (CI runs as root)
need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	echo "$(basename "$0"): $1 needs root: skipped"
	echo "[  SKIPPED ] 1 test(s)."
	exit 0
}

# make_netns: a fresh namespace with loopback up, for this file
make_netns() {
	NETNS=qlt$$
	ip netns add "$NETNS" || return 1
	ip -n "$NETNS" link set lo up
}

# Migration tests between two supervisors: A, the main one, in NETNS,
# and B in a namespace of its own, NSB, its state in $T/stateB and its
# socket BSOCK; a veth pair VETH_A (in NETNS) - VETH_B (in NSB) joins
# them, with ADDR_A and ADDR_B (NET.1 and NET.2, a /24) only inside.
NSB=
BSOCK=$T/b.sock
qb() { QLAUNCH_SOCKET=$BSOCK q "$@"; }

# make_netns_pair PREFIX NET: the two namespaces and the veth; names
# PREFIX then b, A or B then the pid (removed on exit)
make_netns_pair() {
	NSB=${1}b$$
	VETH_A=${1}A$$
	VETH_B=${1}B$$
	ADDR_A=$2.1
	ADDR_B=$2.2
	make_netns || return 1
	ip netns add "$NSB" || return 1
	ip -n "$NSB" link set lo up
	ip link add "$VETH_A" netns "$NETNS" type veth peer name "$VETH_B" netns "$NSB" || return 1
	ip -n "$NETNS" addr add "$ADDR_A/24" dev "$VETH_A"
	ip -n "$NSB" addr add "$ADDR_B/24" dev "$VETH_B"
	ip -n "$NETNS" link set "$VETH_A" up
	ip -n "$NSB" link set "$VETH_B" up
}

# start_daemon_b: B's supervisor in NSB
start_daemon_b() {
	mkdir -p "$T/stateB"
	ip netns exec "$NSB" "$QLAUNCHD" -f -s "$T/stateB" -S "$BSOCK" \
	    >>"$T/qlaunchd.log" 2>&1 &
	disown $! 2>/dev/null || true
	for _ in $(seq 100); do
		qb version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "B did not come up"
	return 1
}

# start_daemon [STATEDIR SOCKET]
start_daemon() {
	local st=${1:-$T/state} so=${2:-$T/ctl.sock}
	# not through nsx: $! must be qlaunchd's own pid (ip netns exec execs)
	if [ -n "$NETNS" ]; then
		ip netns exec "$NETNS" "$QLAUNCHD" -f -s "$st" -S "$so" \
		    >>"$T/qlaunchd.log" 2>&1 &
	else
		"$QLAUNCHD" -f -s "$st" -S "$so" >>"$T/qlaunchd.log" 2>&1 &
	fi
	DPID=$!
	disown "$DPID" 2>/dev/null || true
	# tests run in subshells: the pid lives in a file
	[ "$st" = "$T/state" ] && echo "$DPID" >"$T/daemon.pid"
	for _ in $(seq 100); do
		[ -S "$so" ] && QLAUNCH_SOCKET=$so q version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "qlaunchd did not come up; its log:"; cat "$T/qlaunchd.log"
	return 1
}

# stop_daemon [SIGNAL]: stop the main qlaunchd and wait until it is gone
stop_daemon() {
	local pid
	pid=$(cat "$T/daemon.pid")
	kill -"${1:-TERM}" "$pid" 2>/dev/null || return 0
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "qlaunchd $pid did not stop"
	return 1
}

cleanup() {
	local n
	[ -f "$T/daemon.pid" ] && DPID=$(cat "$T/daemon.pid")
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		for n in $(q list --json 2>/dev/null | sed -n 's/.*"name": "\(.*\)",*/\1/p'); do
			q destroy "$n" >/dev/null 2>&1
		done
		kill "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	# anything left behind that runs from our directory, or is mounted there
	pkill -9 -f "$T/" 2>/dev/null
	awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts |
	    while read -r m; do umount "$m"; done
	rm -rf "$T"
	[ -z "$NETNS" ] || ip netns del "$NETNS" 2>/dev/null
	[ -z "$NSB" ] || ip netns del "$NSB" 2>/dev/null
}
trap cleanup EXIT

# create_guest NAME [extra create flags...]
create_guest() {
	local name=$1; shift
	q create "$name" --memory 256 --accel tcg,tb-size=32 \
	    --kernel "$GUEST/bzImage" --initrd "$GUEST/initrd.img" \
	    --append "$APPEND" "$@" >/dev/null
}

# wait_ready NAME [COUNT]: the ready line (COUNT times) in the console log
wait_ready() {
	local name=$1 want=${2:-1} n
	for _ in $(seq 600); do
		n=$(q console "$name" --log 2>/dev/null | grep -c QLAUNCH-GUEST-READY || true)
		[ "$n" -ge "$want" ] && return 0
		sleep 0.1
	done
	echo "no ready line from $name; console log:"; q console "$name" --log | tail -20
	return 1
}

# gx NAME COMMAND: run a command in the guest through the console
gx() {
	printf '%s\n' "$2" | q console "$1" --quiet 700 --timeout 30
}

# gx_grep NAME 'COMMAND' REGEX FILE: gx until its output (in FILE, without
# CRs) has a line matching REGEX; a guest slow to answer (a loaded host)
# may say nothing within gx's quiet time.  5 tries; 1 when never.
gx_grep() {
	for _ in 1 2 3 4 5; do
		gx "$1" "$2" | tr -d '\r' >"$4"
		grep -q "$3" "$4" && return 0
		sleep 0.5
	done
	return 1
}

# wait_state NAME STATE [SECONDS]
wait_state() {
	local s
	for _ in $(seq $((${3:-30} * 10))); do
		s=$(q state "$1" 2>/dev/null)
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	echo "$1 is '$(q state --reason "$1")', expected '$2'"
	return 1
}

# up NAME: running and at its shell, whatever it was
up() {
	case $(q state "$1") in
	running) ;;
	paused) q resume "$1" >/dev/null ;;
	*) q start "$1" >/dev/null ;;
	esac
	wait_ready "$1"
}

# gone PID: no such process, or a zombie nobody reaped yet (the process
# was adopted, so its parent is init, which may reap slowly)
gone() {
	[ ! -e "/proc/$1" ] || [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# gval NAME 'COMMAND': the value the guest prints as VAL=... for it.  A
# guest just restored or resumed under TCG may answer after the console's
# quiet time: asked again then (5 times at most).
gval() {
	local v
	for _ in 1 2 3 4 5; do
		v=$(gx "$1" "echo VAL=\$($2)" | tr -d '\r' | sed -n 's/^VAL=\(.*\)$/\1/p' | tail -1)
		[ -n "$v" ] && break
		sleep 0.5
	done
	echo "$v"
}

# wait_gval NAME 'COMMAND' WANT: until the guest prints WANT (30 s)
wait_gval() {
	local got
	for _ in $(seq 30); do
		got=$(gval "$1" "$2")
		[ "$got" = "$3" ] && return 0
		sleep 1
	done
	fail "guest $1: '$2' gave '$got', not '$3'"
}

# The migration tests' guest, mv: a counter in /run/c going up five
# times a second, and MARK written 1 MiB into its disk.
# start_counter [SOCKET] / write_mark [SOCKET]: start the counter, write
# the mark (on the supervisor at SOCKET, the main one by default)
start_counter() {
	QLAUNCH_SOCKET=${1:-$QLAUNCH_SOCKET} gx mv 'i=0; (while :; do i=$((i+1)); echo $i >/run/c; sleep 0.2; done) & echo started' |
	    grep -q started || fail "no counter"
}
write_mark() {
	QLAUNCH_SOCKET=${1:-$QLAUNCH_SOCKET} gx_grep mv "printf '$MARK' | dd of=/dev/vda bs=1M seek=1 2>/dev/null; sync; echo written" \
	    '^written' "$T/gx.out" || fail "no mark written"
}
# mig_guest_up [create flags...]: mv created on a qcow2 disk, started,
# its counter going and its mark written
mig_guest_up() {
	create_guest mv --disk path="$T/mv.qcow2",size=1,format=qcow2 "$@" --start
	wait_ready mv
	start_counter
	write_mark
	sleep 1
}
# counter SOCKET / mark_on_disk SOCKET: the counter, and how often the
# mark is on the disk (1), read where the guest runs
counter() { QLAUNCH_SOCKET=$1 gval mv 'cat /run/c'; }
mark_on_disk() {
	QLAUNCH_SOCKET=$1 gval mv "echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=1M skip=1 count=1 2>/dev/null | grep -ac $MARK"
}
# counter_goes_on SOCKET C1: the guest at SOCKET counts on from C1
counter_goes_on() {
	local c2 c3
	c2=$(counter "$1")
	[ -n "$c2" ] && [ "$c2" -ge "$2" ] || fail "counter went from $2 to '$c2'"
	sleep 1
	c3=$(counter "$1")
	[ "$c3" -gt "$c2" ] || fail "the counter stopped at $c2 ($c3)"
}
# moved FROM TO C1 (sockets): mv runs at TO (migrated), FROM has no mv,
# the counter goes on from C1 and the mark is on the disk
moved() {
	[ "$(QLAUNCH_SOCKET=$2 q state --reason mv)" = "running (migrated)" ] ||
	    fail "destination: $(QLAUNCH_SOCKET=$2 q state --reason mv)"
	! QLAUNCH_SOCKET=$1 q list --all | grep -qw mv || fail "the source still has mv"
	counter_goes_on "$2" "$3"
	[ "$(mark_on_disk "$2")" = 1 ] || fail "the mark is not on the disk"
}

vm_pid() { q info "$1" --json | sed -n 's/.*"pid": \([0-9]*\).*/\1/p'; }

fail() { echo "FAIL: $*"; return 1; }

# usage_error EXPECTED-TEXT COMMAND...: the same with status 2, as a
# usage error exits
usage_error() {
	local want=$1 rc=0; shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ $rc -eq 2 ] || fail "'$*': exit status $rc, not 2 ($(cat "$T/err"))"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$T/err")"
	grep -qF -- "$want" "$T/err" || fail "stderr '$(cat "$T/err")' lacks '$want'"
}

# one_line_error EXPECTED-TEXT COMMAND...: it fails with status 1 and
# exactly one line on stderr, which holds EXPECTED-TEXT
one_line_error() {
	local want=$1 rc=0; shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ $rc -eq 1 ] || fail "'$*': exit status $rc, not 1 ($(cat "$T/err"))"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$T/err")"
	grep -qF -- "$want" "$T/err" || fail "stderr '$(cat "$T/err")' lacks '$want'"
}

run_tests() {
	local t
	# QLT_ONLY="a b" runs just those
	if [ -n "${QLT_ONLY:-}" ]; then
		set -- $QLT_ONLY
	fi
	echo "[==========] Running $# test(s)."
	for t in "$@"; do
		echo "[ RUN      ] $t"
		# not inside "if": errexit must stay on in the subshell
		( set -e; [ -z "${QLT_TRACE:-}" ] || set -x; "t_$t" )
		if [ $? -eq 0 ]; then
			echo "[       OK ] $t"
			PASSED=$((PASSED + 1))
		else
			echo "[  FAILED  ] $t"
			FAILED+=("$t")
		fi
	done
	echo "[==========] $# test(s) run."
	echo "[  PASSED  ] $PASSED test(s)."
	if [ "${#FAILED[@]}" -gt 0 ]; then
		echo "[  FAILED  ] ${#FAILED[@]} test(s), listed below:"
		for t in "${FAILED[@]}"; do echo "[  FAILED  ] $t"; done
		echo "--- qlaunchd log"; tail -40 "$T/qlaunchd.log"
		return 1
	fi
	return 0
}

# ssh for the ssh:// tests (S: its directory, PORT): a host key, a client
# key (id) authorized, a client config that trusts only them, and $S/ssh,
# ssh with that config
ssh_keys() {
	mkdir -p "$S" /run/sshd && chmod 700 "$S"
	ssh-keygen -q -t ed25519 -N '' -f "$S/hostkey" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$S/id" || return 1
	cp "$S/id.pub" "$S/authorized_keys"
	cat >"$S/config" <<EOC
UserKnownHostsFile $S/known_hosts
GlobalKnownHostsFile /dev/null
StrictHostKeyChecking yes
IdentityAgent none
EOC
	printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$S/config" >"$S/ssh"
	chmod 755 "$S/ssh"
}

# start_sshd NS ADDR: an sshd listening on ADDR:PORT only, inside NS,
# with ssh_keys' keys; its host key known to $S/ssh
start_sshd() {
	cat >"$S/sshd_$1" <<EOC
ListenAddress $2:$PORT
HostKey $S/hostkey
AuthorizedKeysFile $S/authorized_keys
PidFile $S/sshd_$1.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOC
	ip netns exec "$1" /usr/sbin/sshd -D -e -f "$S/sshd_$1" \
	    >>"$T/sshd.log" 2>&1 &
	disown $! 2>/dev/null || true
	echo "[$2]:$PORT $(cat "$S/hostkey.pub")" >>"$S/known_hosts"
}
