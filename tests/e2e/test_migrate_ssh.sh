#!/bin/bash
# Live migration to ssh:// destinations.  Two supervisors, each in a
# network namespace of its own joined by a veth pair (addresses only
# inside them), each with its own sshd (a config, host key and
# authorized key in the test's directory, listening only on its
# namespace's address).  The client runs ssh itself, in the source's
# namespace, with a key given in the URI and a known_hosts of the test's
# own (QLAUNCH_SSH names a wrapper that adds -F).  The guest's counter
# and a mark on its disk go A -> B and back; an unreachable host, a key
# the server refuses, a remote qlaunch that is missing and a remote
# supervisor that is not running each give one line with ssh's (or the
# remote's) own words and leave both sides as they were; Ctrl-C during a
# slow migration cancels it, also when the source supervisor is itself
# reached with -c ssh://...; -c ssh://... runs other commands there;
# --offline moves a shut off VM's definition over ssh.
. "$(dirname "$0")/lib.sh"

need_root "migration between network namespaces"
if ! [ -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null; then
	echo "$(basename "$0"): needs openssh-server and openssh-client: skipped"
	echo "[  SKIPPED ] 1 test(s)."
	exit 0
fi

ADDR_NONE=192.168.237.99
PORT=2222
S=$T/ssh
MARK=QLAUNCH-MIGRATE-SSH-$$

# in_ns NS SOCKET qlaunch-args...: the client where ssh reaches the other side
in_ns() {
	local ns=$1 so=$2; shift 2
	ip netns exec "$ns" env QLAUNCH_SOCKET="$so" QLAUNCH_SSH="$S/ssh" \
	    "$QLAUNCH" "$@"
}
# uri ADDR SOCKET [KEY [COMMAND]]
uri() {
	echo "ssh://root@$1:$PORT/?keyfile=${3:-$S/id}&socket=$2&command=${4:-$QLAUNCH}"
}

# the namespaces and the veth (ADDR_A, ADDR_B in 192.168.237.0/24),
# an sshd in each, both supervisors
setup() {
	make_netns_pair qls 192.168.237 || return 1
	ssh_keys || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$S/badkey" || return 1
	start_sshd "$NETNS" "$ADDR_A"
	start_sshd "$NSB" "$ADDR_B"
	start_daemon || return 1
	start_daemon_b || return 1
	for _ in $(seq 100); do
		[ -f "$S/sshd_$NSB.pid" ] && [ -f "$S/sshd_$NETNS.pid" ] && return 0
		sleep 0.05
	done
	echo "an sshd did not come up"; cat "$T/sshd.log"
	return 1
}

# nothing of ours over ssh is left running
no_ssh_left() {
	local left
	for _ in $(seq 50); do
		left=$(pgrep -f "keyfile=$S|-i $S/" || true)
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	fail "ssh still runs: $(ps -o pid,args -p "$left" | tail -n +2)"
}
# both sides as they were: mv runs on A, B has no mv and no QEMU
unchanged() {
	[ "$(q state mv)" = running ] || fail "A: $(q state --reason mv)"
	! qb list --all | grep -qw mv || fail "B has mv: $(qb list --all)"
	! pgrep -f "$T/stateB/" >/dev/null || fail "a QEMU runs for B"
	no_ssh_left
}

t_guest_up() { mig_guest_up; }

# NS_FROM SOCK_FROM SOCK_TO ADDR_TO
there() {
	local c1
	c1=$(counter "$2")
	[ "$c1" -gt 0 ] || fail "counter '$c1'"
	local t0=$(date +%s%N)
	in_ns "$1" "$2" migrate mv "$(uri "$4" "$3")" --json >"$T/out" 2>"$T/err" ||
	    fail "migrate: $(cat "$T/err")"
	# for the record: the whole command, ssh's start and check included
	echo "  migrate over ssh: $((($(date +%s%N) - t0) / 1000000)) ms," \
	    "QEMU's: $(sed -n 's/.*"migration_ms": \([0-9]*\).*/\1/p' "$T/out" | tail -1) ms"
	grep -q "\"uri\": \"tcp:$4:[0-9]*\"" "$T/out" || fail "not over TCP to $4: $(tail -5 "$T/out")"
	grep -q "\"destination\": \"root@$4:$PORT\"" "$T/out" || fail "destination: $(grep destination "$T/out")"
	moved "$2" "$3" "$c1"
	no_ssh_left
}

t_a_to_b() {
	there "$NETNS" "$T/ctl.sock" "$BSOCK" "$ADDR_B"
	# -c ssh://...: other commands reach B the same way
	in_ns "$NETNS" "$T/ctl.sock" -c "$(uri "$ADDR_B" "$BSOCK")" list >"$T/out" 2>"$T/err" ||
	    fail "-c ssh://: $(cat "$T/err")"
	grep -qw mv "$T/out" || fail "-c ssh:// list: $(cat "$T/out")"
}

t_b_to_a() { there "$NSB" "$BSOCK" "$T/ctl.sock" "$ADDR_A"; }

# the error: one line, with WANT in it; nothing changed anywhere
refused() {
	local want=$1; shift
	one_line_error "$want" in_ns "$NETNS" "$T/ctl.sock" migrate mv "$@"
	grep -q "cannot reach qlaunchd on root@" "$T/err" || fail "error: $(cat "$T/err")"
	echo "  $(cat "$T/err")"
	unchanged
}

t_bad_host() { refused "No route to host" "$(uri "$ADDR_NONE" "$BSOCK")"; }
t_refused_key() { refused "Permission denied (publickey)" "$(uri "$ADDR_B" "$BSOCK" "$S/badkey")"; }
t_no_remote_qlaunch() { refused "/nonexistent/qlaunch" "$(uri "$ADDR_B" "$BSOCK" "$S/id" /nonexistent/qlaunch)"; }
t_no_remote_daemon() { refused "cannot connect to qlaunchd at $T/none.sock" "$(uri "$ADDR_B" "$T/none.sock")"; }

t_bad_uri() {
	one_line_error "unknown key 'sock'" q migrate mv "ssh://$ADDR_B/?sock=/x"
	one_line_error "is not a host name" q migrate mv "ssh://-oProxyCommand=x/"
	one_line_error "holds characters it may not" q migrate mv "ssh://$ADDR_B/?command=a;b"
	unchanged
}

# interrupted NS SOCK ARGS...: Ctrl-C a slow migration of mv (1 MiB/s,
# 48 MiB to send) started by a client in NS: cancelled, nothing moved
interrupted() {
	local ns=$1 so=$2; shift 2
	gx mv '(dd if=/dev/urandom of=/run/fill bs=1M count=48 2>/dev/null; touch /run/filled) &' >/dev/null
	wait_gval mv 'test -e /run/filled && echo yes' yes || fail "no fill"
	# not through in_ns: $! must be qlaunch itself (ip netns exec execs it)
	ip netns exec "$ns" env QLAUNCH_SOCKET="$so" QLAUNCH_SSH="$S/ssh" \
	    "$QLAUNCH" "$@" --bandwidth 1 >"$T/out" 2>"$T/err" &
	local pid=$! rc=0
	for _ in $(seq 100); do
		[ "$(q migrate-info mv --json | sed -n 's/.*"status": "\(.*\)",*/\1/p')" = active ] && break
		sleep 0.1
	done
	[ "$(q migrate-info mv --json | sed -n 's/.*"status": "\(.*\)",*/\1/p')" = active ] ||
	    fail "not migrating: $(q migrate-info mv --json)"
	sleep 1
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ $rc -eq 1 ] || fail "exit status $rc: $(cat "$T/err")"
	grep -q "cancelled by the user" "$T/err" || fail "error: $(cat "$T/err")"
	unchanged
	local c1 c2
	c1=$(counter "$T/ctl.sock")
	sleep 1
	c2=$(counter "$T/ctl.sock")
	[ "$c2" -gt "$c1" ] || fail "the counter stopped at $c1 ($c2)"
	gx mv 'rm -f /run/fill /run/filled; echo ok' >/dev/null
}

# to an ssh:// destination
t_ctrl_c() {
	interrupted "$NETNS" "$T/ctl.sock" migrate mv "$(uri "$ADDR_B" "$BSOCK")"
}

# with the source supervisor itself reached over ssh (-c ssh://...):
# the cancel goes over the same ssh connection
t_ctrl_c_remote() {
	interrupted "$NSB" "$BSOCK" -c "$(uri "$ADDR_A" "$T/ctl.sock")" \
	    migrate mv "unix:$BSOCK"
}

# --offline over ssh: the shut off VM's definition goes to B (A keeps its
# copy), B starts it on the shared image and the guest reads the mark
t_offline() {
	q destroy mv >/dev/null || fail "destroy"
	in_ns "$NETNS" "$T/ctl.sock" migrate mv "$(uri "$ADDR_B" "$BSOCK")" \
	    --offline --keep-source --json >"$T/out" 2>"$T/err" ||
	    fail "migrate --offline: $(cat "$T/err")"
	grep -q '"offline": *true' "$T/out" || fail "said: $(cat "$T/out")"
	[ "$(q state mv)" = "shut off" ] || fail "A: $(q state --reason mv)"
	[ "$(qb state --reason mv)" = "shut off (migrated)" ] || fail "B: $(qb state --reason mv)"
	no_ssh_left
	qb start mv >/dev/null || fail "start on B"
	QLAUNCH_SOCKET=$BSOCK wait_ready mv
	[ "$(mark_on_disk "$BSOCK")" = 1 ] || fail "the guest on B does not read the mark"
	qb destroy mv >/dev/null
	qb undefine mv >/dev/null
}

setup || exit 1
run_tests guest_up a_to_b b_to_a bad_host refused_key no_remote_qlaunch \
    no_remote_daemon bad_uri ctrl_c ctrl_c_remote offline
