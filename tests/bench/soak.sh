#!/bin/bash
# soak.sh: the supervisor under a long, random, hostile load (issue 12).
#
#   soak.sh [--json]        (root; `make soak` runs it)
#
# GUESTS (50) test guests with a NIC on a bridge of a network namespace
# of our own are started and stopped for MINUTES (30) by random actions:
# start (paused when RUNCAP (6) guests already run; below ACTIVE_TARGET
# (GUESTS/2) active VMs half the stops become starts), destroy, shutdown,
# kill -9 of a QEMU, kill -9 of qlaunchd (sometimes with a QEMU killed
# while it is away) and its restart, malformed control requests
# (soaktool.py garbage), the state directory's file system (a tmpfs of
# STATE_MB (64) MiB) filled with zeros and freed, and read-only requests.
# The choices come from bash's generator seeded with SEED (default: the
# time; printed): the same seed gives the same draws, but what they meet
# (a guest booted or not, a shutdown done or not) depends on the host's
# timing, so two runs part ways after a while.
#
# Checked while it runs: every request that must succeed does, refusals
# while the disk is full are one line and leave nothing behind, a killed
# QEMU's VM leaves the active states, every guest that outlived a killed
# qlaunchd is re-adopted by the next one (same pid, same state, its
# console answering).  At the end: taps against the NICs of active VMs,
# QEMUs that belong to no VM, every definition as dumpconfig gave it at
# define time, qlaunchd's descriptors with no VM and with K paused VMs
# against the same at the start, its RSS sampled every SAMPLE_S (15) s
# (growth over RSS_SLACK_KB (4096) with no VM, or over the last
# qlaunchd's life, is an error).
# qlaunchd is killed only in the first two thirds of the run, so the
# last one's memory is watched for the last third at least.
#
# Prints a report; --json prints it as one JSON object on stdout (the
# progress then goes to stderr).  Exits 1 when a check failed.
set -u
JSON=0
case ${1:-} in
--json) JSON=1 ;;
"") ;;
*) echo "usage: soak.sh [--json]" >&2; exit 2 ;;
esac
GUESTS=${GUESTS:-50}
MINUTES=${MINUTES:-30}
SEED=${SEED:-$(date +%s)}
RUNCAP=${RUNCAP:-6}
STATE_MB=${STATE_MB:-64}
SAMPLE_S=${SAMPLE_S:-15}
RSS_SLACK_KB=${RSS_SLACK_KB:-4096}
MEM=${SOAK_MEM:-96}
ACTIVE_TARGET=${ACTIVE_TARGET:-half}
for v in GUESTS MINUTES SEED RUNCAP STATE_MB SAMPLE_S MEM RSS_SLACK_KB ACTIVE_TARGET; do
	case $v=${!v} in
	ACTIVE_TARGET=half) ACTIVE_TARGET=$((GUESTS / 2)) ;;
	*=|*=*[!0-9]*) echo "soak.sh: $v must be a number, not '${!v}'" >&2; exit 2 ;;
	esac
done
[ "$GUESTS" -ge 1 ] && [ "$GUESTS" -le 500 ] ||
    { echo "soak.sh: GUESTS $GUESTS: 1 to 500" >&2; exit 2; }
[ "$MINUTES" -ge 1 ] || { echo "soak.sh: MINUTES must be at least 1" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
TOOL="python3 $HERE/soaktool.py"
# shellcheck source=../e2e/lib.sh
. "$HERE/../e2e/lib.sh"
need_root "the soak (a tmpfs, a network namespace)"

if [ "$JSON" = 1 ]; then exec 3>&2; else exec 3>&1; fi
say() { echo "$*" >&3; }
ERRORS=0
err() { ERRORS=$((ERRORS + 1)); say "ERROR: $*"; echo "$*" >>"$T/errors"; }

RANDOM=$SEED
BR=sbr0
K=$((GUESTS < 10 ? GUESTS : 10))
dpid() { cat "$T/daemon.pid"; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
ntaps() { nsx ip -o link show type tun | grep -c . ; }
# the VMs as "NAME STATE PID" in $T/vms
vms() { q list --all --json 2>"$T/list.err" | $TOOL vms >"$T/vms" ||
    err "list: $(cat "$T/list.err")"; }
# pick R: line R modulo their number of what is on stdin ("" when none).
# R comes from the caller: bash reseeds RANDOM in a subshell, and a
# pipeline's or $(...)'s part is one, which would break SEED's repeatability
pick() { local a; mapfile -t a; [ ${#a[@]} -gt 0 ] && echo "${a[$1 % ${#a[@]}]}"; }
active_re='running|paused|starting|shutting-down'
# QEMUs running from our directory that no active VM owns
orphans() {
	local p
	vms
	for p in $(pgrep -f "$T/"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = qemu-system-x86 ] || continue
		awk -v p="$p" '$3 == p { f = 1 } END { exit !f }' "$T/vms" || echo "$p"
	done
}
# QEMUs running from our directory
nqemu() {
	local p n=0
	for p in $(pgrep -f "$T/"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = qemu-system-x86 ] && n=$((n + 1))
	done
	echo "$n"
}

# ---- set-up ----
say "soak: GUESTS=$GUESTS MINUTES=$MINUTES SEED=$SEED RUNCAP=$RUNCAP STATE_MB=$STATE_MB (dir $T)"
make_netns || exit 1
nsx ip link add "$BR" type bridge && nsx ip link set "$BR" up || exit 1
mkdir -p "$T/state" "$T/defs"
mount -t tmpfs -o size="${STATE_MB}M" qlsoak "$T/state" || exit 1
start_daemon || exit 1
for i in $(seq 0 $((GUESTS - 1))); do
	q create "s$i" --memory "$MEM" --accel tcg,tb-size=32 \
	    --kernel "$GUEST/bzImage" --initrd "$GUEST/initrd.img" \
	    --append "$APPEND" --network bridge=$BR,model=virtio >/dev/null ||
	    { err "create s$i failed"; exit 1; }
	q dumpconfig "s$i" >"$T/defs/s$i"
done
# once before measuring: what qlaunchd opens at first use (its host
# network handle) is not a leak
for i in $(seq 0 $((K - 1))); do q start "s$i" --paused >/dev/null || err "start s$i --paused"; done
for i in $(seq 0 $((K - 1))); do q destroy "s$i" >/dev/null || err "destroy s$i"; done
sleep 1
FDS0=$(nfds "$(dpid)")
RSS0=$(rss "$(dpid)")
for i in $(seq 0 $((K - 1))); do q start "s$i" --paused >/dev/null || err "start s$i --paused"; done
FDSK=$(nfds "$(dpid)")
RSSK=$(rss "$(dpid)")
for i in $(seq 0 $((K - 1))); do q destroy "s$i" >/dev/null || err "destroy s$i"; done
say "start: qlaunchd $(dpid): $FDS0 fds, $RSS0 KiB with no VM; $FDSK fds, $RSSK KiB with $K paused"

# ---- the loop ----
declare -A N=()		# actions done, by kind
count() { N[$1]=$((${N[$1]:-0} + 1)); }
FULL=0
FREE_AT=0
INCARN=1
READOPT_SURVIVORS=0 READOPT_OK=0 CONSOLE_CHECKED=0 CONSOLE_OK=0
START_T=$SECONDS
END_T=$((SECONDS + MINUTES * 60))
KILL_UNTIL=$((SECONDS + MINUTES * 40))
NEXT_SAMPLE=$SECONDS
INCARN_T0=$SECONDS
echo "incarnation t_s rss_kb fds active qemus" >"$T/samples"

sample() {
	local p a
	p=$(dpid)
	vms
	a=$(grep -cE " ($active_re) " "$T/vms")
	echo "$INCARN $((SECONDS - START_T)) $(rss "$p") $(nfds "$p") $a $(nqemu)" >>"$T/samples"
}

# run a request that must succeed (or, with the disk full, fail in one line)
must() {
	local what=$1; shift
	if "$@" >"$T/out" 2>"$T/err"; then return 0; fi
	if [ "$FULL" = 1 ] && [ "$(wc -l <"$T/err")" -le 1 ]; then
		count refused_full
		return 1
	fi
	err "$what: $(head -3 "$T/err" | tr '\n' ' ')"
	return 1
}

act_start() {
	local n run paused=
	vms
	n=$(awk '$2 == "shut-off" || $2 == "crashed" { print $1 }' "$T/vms" | pick "$R")
	[ -n "$n" ] || return 0
	run=$(grep -c ' running ' "$T/vms")
	if [ "$run" -ge "$RUNCAP" ] || [ $((RANDOM % 3)) = 0 ]; then paused=--paused; fi
	count start
	if ! must "start $n $paused" q start "$n" $paused && [ "$FULL" = 1 ]; then
		# refused: nothing of it may be left
		[ "$(q state "$n")" = "shut off" ] || [ "$(q state "$n")" = crashed ] ||
		    err "start $n refused but it is '$(q state "$n")'"
	fi
}

act_destroy() {
	local n
	vms
	n=$(grep -E " ($active_re) " "$T/vms" | pick "$R")
	[ -n "$n" ] || return 0
	count destroy
	must "destroy ${n%% *}" q destroy "${n%% *}"
}

act_shutdown() {
	local n
	vms
	n=$(awk '$2 == "running" { print $1 }' "$T/vms" | pick "$R")
	[ -n "$n" ] || return 0
	count shutdown
	# a guest still booting may not hear the button: not an error
	q shutdown "$n" >/dev/null 2>&1
}

act_kill_qemu() {
	local l n p s
	vms
	l=$(awk '$3 > 0' "$T/vms" | pick "$R")
	[ -n "$l" ] || return 0
	read -r n _ p <<<"$l"
	count kill_qemu
	kill -9 "$p" 2>/dev/null || return 0
	for _ in $(seq 100); do
		s=$(q state "$n" 2>/dev/null)
		case $s in running|paused|starting|"shutting down") sleep 0.1 ;; *) return 0 ;; esac
	done
	err "$n: QEMU $p killed, still '$s' after 10 s"
}

act_kill_daemon() {
	local victim= l n s p st p2 c
	[ "$SECONDS" -lt "$KILL_UNTIL" ] || return 0
	vms
	grep -E " ($active_re) " "$T/vms" | grep -v ' starting ' | grep -v ' shutting-down ' >"$T/before"
	count kill_daemon
	stop_daemon KILL || { err "qlaunchd did not die"; return 0; }
	# sometimes a QEMU dies while nobody watches
	if [ -s "$T/before" ] && [ $((RANDOM % 2)) = 0 ]; then
		l=$(pick "$R" <"$T/before")
		victim=${l%% *}
		kill -9 "$(echo "$l" | awk '{ print $3 }')" 2>/dev/null
		count kill_qemu_while_away
	fi
	sleep 0.$((RANDOM % 10))
	start_daemon || { err "qlaunchd did not come back"; return 1; }
	INCARN=$((INCARN + 1))
	INCARN_T0=$SECONDS
	vms
	while read -r n st p; do
		if [ "$n" = "$victim" ]; then
			s=$(awk -v n="$n" '$1 == n { print $2 }' "$T/vms")
			case $s in running|paused) err "$n: its QEMU died while qlaunchd was away, yet '$s'" ;; esac
			continue
		fi
		READOPT_SURVIVORS=$((READOPT_SURVIVORS + 1))
		s=$(awk -v n="$n" '$1 == n { print $2 }' "$T/vms")
		p2=$(awk -v n="$n" '$1 == n { print $3 }' "$T/vms")
		if [ "$s" = "$st" ] && [ "$p2" = "$p" ]; then
			READOPT_OK=$((READOPT_OK + 1))
		else
			err "$n: was $st pid $p, after the restart '$s' pid '$p2'"
		fi
	done <"$T/before"
	# the console of up to two re-adopted guests that had booted
	c=0
	for n in $(awk '$2 == "running" { print $1 }' "$T/before"); do
		[ "$c" -lt 2 ] || break
		[ "$n" != "$victim" ] || continue
		q console "$n" --log 2>/dev/null | grep -q QLAUNCH-GUEST-READY || continue
		c=$((c + 1))
		CONSOLE_CHECKED=$((CONSOLE_CHECKED + 1))
		if [ "$(gval "$n" 'echo $((6*7))')" = 42 ]; then
			CONSOLE_OK=$((CONSOLE_OK + 1))
		else
			err "$n: re-adopted, its console does not answer"
		fi
	done
}

act_garbage() {
	local p
	p=$(dpid)
	count garbage
	$TOOL garbage "$QLAUNCH_SOCKET" "$R" 3 >>"$T/garbage.log"
	kill -0 "$p" 2>/dev/null || { err "qlaunchd died of malformed requests ($(tail -1 "$T/garbage.log"))"; start_daemon; return 0; }
	must "version after garbage" q version
}

# fill the state directory's file system; it is freed FULL_S (5 to 20) s later
act_disk() {
	local n
	if [ "$FULL" = 0 ]; then
		count fill
		dd if=/dev/zero of="$T/state/zz-fill" bs=1M 2>/dev/null
		FULL=1
		FREE_AT=$((SECONDS + 5 + RANDOM % 16))
		# a new definition must be refused in one line, leaving nothing
		if q create zfull --memory 64 --accel tcg >/dev/null 2>"$T/err"; then
			q undefine zfull >/dev/null 2>&1
			err "create succeeded on a full disk"
		else
			[ "$(wc -l <"$T/err")" = 1 ] || err "create on a full disk: $(cat "$T/err")"
			q list --all | grep -qw zfull && err "zfull left behind on a full disk"
			count refused_full
		fi
		# so must a change of an existing one, which stays as it was
		n=s$((RANDOM % GUESTS))
		if q setmem "$n" 80M --config >/dev/null 2>"$T/err"; then
			err "setmem --config succeeded on a full disk"
		else
			count refused_full
		fi
	else
		count free
		rm -f "$T/state/zz-fill"
		FULL=0
	fi
}

act_read() {
	local n
	vms
	n=$(awk '{ print $1 }' "$T/vms" | pick "$R")
	count read
	must "list" q list --all
	must "info $n" q info "$n"
	must "dumpconfig $n" q dumpconfig "$n"
}

while [ "$SECONDS" -lt "$END_T" ]; do
	if [ "$SECONDS" -ge "$NEXT_SAMPLE" ]; then
		sample
		NEXT_SAMPLE=$((SECONDS + SAMPLE_S))
		say "  t=$((SECONDS - START_T))s $(tail -1 "$T/samples" | awk '{ printf "qlaunchd#%s rss %s KiB, %s fds, %s active VMs, %s QEMUs", $1, $3, $4, $5, $6 }'), $ERRORS errors"
	fi
	r=$((RANDOM % 100))
	R=$RANDOM
	# below ACTIVE_TARGET active VMs, half the stops become starts
	if [ $r -ge 28 ] && [ $r -lt 61 ] && [ $((RANDOM % 2)) = 0 ] &&
	    [ "$(grep -cE " ($active_re) " "$T/vms" 2>/dev/null)" -lt "$ACTIVE_TARGET" ]; then
		r=0
	fi
	if [ $r -lt 28 ]; then act_start
	elif [ $r -lt 42 ]; then act_destroy
	elif [ $r -lt 50 ]; then act_shutdown
	elif [ $r -lt 61 ]; then act_kill_qemu
	elif [ $r -lt 64 ]; then act_kill_daemon
	elif [ $r -lt 76 ]; then act_garbage
	elif [ $r -lt 79 ]; then [ "$FULL" = 1 ] || act_disk
	else act_read
	fi
	if [ "$FULL" = 1 ] && [ "$SECONDS" -ge "$FREE_AT" ]; then act_disk; fi
	sleep 0.$((RANDOM % 5))
done
[ "$FULL" = 0 ] || act_disk
sample

# ---- the end ----
say "end: checking"
sleep 2
vms
ACTIVE=$(grep -cE " ($active_re) " "$T/vms")
TAPS=$(ntaps)
[ "$TAPS" = "$ACTIVE" ] || err "$TAPS taps for $ACTIVE active VMs (one NIC each)"
ORPH=$(orphans | grep -c .)
[ "$ORPH" = 0 ] || err "$ORPH QEMUs belong to no VM: $(orphans | tr '\n' ' ')"
DEFS_BAD=0
for i in $(seq 0 $((GUESTS - 1))); do
	if ! q dumpconfig "s$i" 2>&1 | cmp -s - "$T/defs/s$i"; then
		DEFS_BAD=$((DEFS_BAD + 1))
		err "s$i: its definition changed: $(q dumpconfig "s$i" 2>&1 | diff "$T/defs/s$i" - | head -4 | tr '\n' ' ')"
	fi
done
q list --all | grep -qw zfull && err "zfull is defined"
# the last qlaunchd's memory over its life, with whatever VMs it had
RSS_FIRST=$(awk -v i="$INCARN" '$1 == i { print $3; exit }' "$T/samples")
RSS_LAST=$(awk -v i="$INCARN" '$1 == i { r = $3 } END { print r }' "$T/samples")
RSS_MAX=$(awk -v i="$INCARN" '$1 == i && $3 > m { m = $3 } END { print m }' "$T/samples")
LAST_SPAN=$(awk -v i="$INCARN" '$1 == i { if (f == "") f = $2; l = $2 } END { print l - f }' "$T/samples")
for n in $(grep -E " ($active_re) " "$T/vms" | awk '{ print $1 }'); do
	q destroy "$n" >/dev/null || err "destroy $n at the end"
done
sleep 1
FDS0_END=$(nfds "$(dpid)")
RSS0_END=$(rss "$(dpid)")
TAPS0=$(ntaps)
QEMU0=$(nqemu)
for i in $(seq 0 $((K - 1))); do q start "s$i" --paused >/dev/null || err "start s$i --paused at the end"; done
FDSK_END=$(nfds "$(dpid)")
RSSK_END=$(rss "$(dpid)")
for i in $(seq 0 $((K - 1))); do q destroy "s$i" >/dev/null || err "destroy s$i at the end"; done
[ "$FDS0_END" = "$FDS0" ] || err "qlaunchd has $FDS0_END fds with no VM, $FDS0 at the start"
[ "$FDSK_END" = "$FDSK" ] || err "qlaunchd has $FDSK_END fds with $K paused VMs, $FDSK at the start"
[ "$TAPS0" = 0 ] || err "$TAPS0 taps left with no VM"
[ "$QEMU0" = 0 ] || err "$QEMU0 QEMUs left with no VM"
[ $((RSS0_END - RSS0)) -le "$RSS_SLACK_KB" ] ||
    err "qlaunchd's RSS with no VM grew from $RSS0 to $RSS0_END KiB"
[ $((RSS_LAST - RSS_FIRST)) -le "$RSS_SLACK_KB" ] ||
    err "the last qlaunchd's RSS grew from $RSS_FIRST to $RSS_LAST KiB in $LAST_SPAN s"
[ "$READOPT_OK" = "$READOPT_SURVIVORS" ] || err "re-adopted $READOPT_OK of $READOPT_SURVIVORS"
kill -0 "$(dpid)" || err "qlaunchd is gone"

{
	echo "guests $GUESTS"
	echo "minutes $MINUTES"
	echo "seed $SEED"
	echo "runcap $RUNCAP"
	echo "state_mb $STATE_MB"
	for k in "${!N[@]}"; do echo "n_$k ${N[$k]}"; done
	echo "qlaunchd_incarnations $INCARN"
	echo "readopt_survivors $READOPT_SURVIVORS"
	echo "readopt_ok $READOPT_OK"
	echo "readopt_console_checked $CONSOLE_CHECKED"
	echo "readopt_console_ok $CONSOLE_OK"
	echo "end_active_vms $ACTIVE"
	echo "end_taps $TAPS"
	echo "end_orphan_qemus $ORPH"
	echo "definitions_changed $DEFS_BAD"
	echo "fds_novm_start $FDS0"
	echo "fds_novm_end $FDS0_END"
	echo "fds_k_paused $K"
	echo "fds_k_start $FDSK"
	echo "fds_k_end $FDSK_END"
	echo "rss_kb_novm_start $RSS0"
	echo "rss_kb_novm_end $RSS0_END"
	echo "rss_kb_k_start $RSSK"
	echo "rss_kb_k_end $RSSK_END"
	echo "rss_kb_last_first $RSS_FIRST"
	echo "rss_kb_last_last $RSS_LAST"
	echo "rss_kb_last_max $RSS_MAX"
	echo "last_incarnation_s $LAST_SPAN"
	echo "taps_left_novm $TAPS0"
	echo "qemus_left_novm $QEMU0"
	echo "errors $ERRORS"
} >"$T/report"

if [ "$JSON" = 1 ]; then
	$TOOL json <"$T/report"
else
	echo
	echo "soak report (SEED=$SEED GUESTS=$GUESTS MINUTES=$MINUTES)"
	sort "$T/report" | awk '{ printf "  %-26s %s\n", $1, $2 }'
	echo "  rss samples (qlaunchd#, t_s, rss_kb, fds, active, qemus):"
	awk 'NR > 1 { printf "    %s\n", $0 }' "$T/samples"
fi
if [ "$ERRORS" -gt 0 ]; then
	say "soak: $ERRORS errors (SEED=$SEED):"
	sed 's/^/  /' "$T/errors" >&3
	exit 1
fi
say "soak: no errors (SEED=$SEED)"
exit 0
