#!/bin/bash
# Migration experiments, end to end, between two supervisors on one host
# (A, the main one, and B with its own state directory and socket):
# workload start/stop/status through the console (qlstress seen in the
# guest's ps); dirtyrate on the idle guest and under qlstress at a known
# rate (its own reports; clearly higher than idle, near that rate); a small migrate-bench sweep (--repeat 2 --vary
# bandwidth=100,1000) writing summary.csv (one row per value), runs.csv
# (one row per run), a series per run and SVGs that parse as XML, with
# one polyline per run; a failed run is recorded and the sweep goes on
# (--stop-on-error stops it); Ctrl-C cancels the migration under way and
# writes what ran; bad input is one line and changes nothing.
. "$(dirname "$0")/lib.sh"

need_root "migration between two supervisors"

BSOCK=$T/b.sock
qb() { QLAUNCH_SOCKET=$BSOCK q "$@"; }

# jnum FILE KEY: a number of a JSON reply
jnum() { sed -n "s/^ *\"$2\": \([0-9.]*\),*\$/\1/p" "$1" | head -1; }

t_guest_up() {
	mkdir -p "$T/stateB"
	start_daemon "$T/stateB" "$BSOCK" || fail "B did not start"
	# the heartbeat channel: guest-visible downtime in the summaries
	create_guest mb --channel heartbeat --start
	wait_ready mb
}

t_workload() {
	q workload mb status --json >"$T/out" || fail "status: $(cat "$T/out")"
	grep -q '"running": false' "$T/out" || fail "running at first: $(cat "$T/out")"
	q workload mb start --size 32 --rate 20 >"$T/out" 2>"$T/err" ||
	    fail "start: $(cat "$T/err")"
	[ -n "$(gval mb 'ps | grep -c "[q]lstress -s 32 -r 20"')" ] &&
	    [ "$(gval mb 'ps | grep -c "[q]lstress -s 32 -r 20"')" = 1 ] ||
	    fail "no qlstress in the guest's ps: $(gx mb ps)"
	one_line_error "a workload runs already" q workload mb start
	sleep 3
	q workload mb status --json >"$T/out" || fail "status failed"
	grep -q '"running": true' "$T/out" || fail "status: $(cat "$T/out")"
	[ "$(jnum "$T/out" size_mib)" = 32 ] || fail "size: $(cat "$T/out")"
	[ "$(jnum "$T/out" rate_mib_s)" = 20 ] || fail "rate: $(cat "$T/out")"
	[ -n "$(jnum "$T/out" measured_mib_s)" ] || fail "no report: $(cat "$T/out")"
	q workload mb stop >/dev/null || fail "stop failed"
	[ "$(gval mb 'ps | grep -c "[q]lstress -s"')" = 0 ] || fail "qlstress still runs: $(gx mb ps)"
	one_line_error "no workload runs in 'mb'" q workload mb stop
	usage_error "no action 'jump'" q workload mb jump
	usage_error "--size and --rate go with start" q workload mb stop --size 3
}

t_dirtyrate() {
	local idle busy
	q dirtyrate mb --seconds 2 --json >"$T/out" 2>"$T/err" || fail "dirtyrate: $(cat "$T/err")"
	idle=$(jnum "$T/out" dirty_rate_mib_s)
	[ -n "$idle" ] || fail "no rate: $(cat "$T/out")"
	q dirtyrate mb --seconds 2 >"$T/out" || fail "dirtyrate (text)"
	grep -q '^Dirty rate: *[0-9]* MiB/s$' "$T/out" || fail "said: $(cat "$T/out")"
	# 40 MiB/s over 128 MiB: in 2 s, 80 MiB of distinct pages dirtied,
	# so QEMU should see about 40 MiB/s (the rate is capped at size /
	# seconds: each pass dirties the same pages again)
	q workload mb start --size 128 --rate 40 >/dev/null || fail "start"
	sleep 2
	q dirtyrate mb --seconds 2 --json >"$T/out" 2>"$T/err" || fail "dirtyrate: $(cat "$T/err")"
	busy=$(jnum "$T/out" dirty_rate_mib_s)
	q workload mb status --json >"$T/st" || fail "status failed"
	q workload mb stop >/dev/null
	known=$(jnum "$T/st" measured_mib_s)
	echo "dirty rate: idle $idle MiB/s; qlstress at ${known} MiB/s: $busy MiB/s"
	grep -q '"measured_mib_s": 4[0-9]' "$T/st" || grep -q '"measured_mib_s": 3[5-9]' "$T/st" ||
	    fail "qlstress reports ${known} MiB/s, not 40: $(cat "$T/st")"
	# page sampling is an estimate: clearly above idle, within 2x of 40
	[ "$busy" -ge $((idle * 3 + 3)) ] && [ "$busy" -ge 20 ] && [ "$busy" -le 80 ] ||
	    fail "idle $idle MiB/s, busy $busy MiB/s (40 asked)"
	one_line_error "the dirty-ring mode needs KVM" q dirtyrate mb --mode dirty-ring
	one_line_error "the dirty-bitmap mode needs KVM" q dirtyrate mb --mode dirty-bitmap
	[ "$(q state mb)" = running ] || fail "mb is $(q state --reason mb)"
	usage_error "--mode" q dirtyrate mb --mode fast
	one_line_error "--seconds '0'" q dirtyrate mb --seconds 0
}

t_bench() {
	local o=$T/bench n
	q migrate-bench mb --to "unix:$BSOCK" --repeat 2 --vary bandwidth=100,1000 \
	    --out "$o" >"$T/out" 2>"$T/err" || fail "migrate-bench: $(cat "$T/err") $(cat "$T/out")"
	cat "$T/out"
	grep -q '^4 runs, 0 failed' "$T/out" || fail "said: $(cat "$T/out")"
	# the VM is home, and running
	[ "$(q state mb)" = running ] || fail "A: $(q state --reason mb)"
	! qb list --all | grep -qw mb || fail "B still has mb"
	# summary: a header and one row per value
	[ "$(wc -l <"$o/summary.csv")" = 3 ] || fail "summary: $(cat "$o/summary.csv")"
	head -1 "$o/summary.csv" | grep -q '^combo,bandwidth,runs,failed,total_ms_median,total_ms_min,total_ms_max,downtime_ms_median' ||
	    fail "summary header: $(head -1 "$o/summary.csv")"
	grep -q '^1,100,2,0,[0-9]' "$o/summary.csv" || fail "summary: $(cat "$o/summary.csv")"
	grep -q '^2,1000,2,0,[0-9]' "$o/summary.csv" || fail "summary: $(cat "$o/summary.csv")"
	# guest-visible downtime (column 11: its median), from the heartbeat
	[ "$(tail -2 "$o/summary.csv" | cut -d, -f11 | grep -c '^[0-9]')" = 2 ] ||
	    fail "no guest-visible downtime: $(cat "$o/summary.csv")"
	# runs: a header and four rows, ping-pong
	[ "$(wc -l <"$o/runs.csv")" = 5 ] || fail "runs: $(cat "$o/runs.csv")"
	[ "$(cut -d, -f5,6 "$o/runs.csv" | tail -4 | tr '\n' ' ')" = "a,b b,a a,b b,a " ] ||
	    fail "directions: $(cat "$o/runs.csv")"
	for n in 1 2 3 4; do
		f=$o/series/run-00$n.csv
		[ -s "$f" ] || fail "no $f"
		head -1 "$f" | grep -q '^t_ms,reason,status,pass,transferred,remaining,total,mbps' || fail "$f: $(head -1 "$f")"
		grep -q '^# downtime_ms=[0-9]' "$f" || fail "$f has no summary"
		grep -q ',end,completed,' "$f" || fail "$f does not end: $(cat "$f")"
		# the supervisor's samples: several, with both sides' CPU times
		[ "$(grep -c '^[0-9]*,\(poll\|pass\|end\),' "$f")" -ge 2 ] || fail "$f: few samples"
		head -1 "$f" | grep -q ',src_qemu_cpu_ms,dst_qemu_cpu_ms,src_vcpu0_cpu_ms,dst_vcpu0_cpu_ms$' ||
		    fail "$f: no CPU columns: $(head -1 "$f")"
		grep -q '^# guest_downtime_ms=[0-9]' "$f" || fail "$f: no guest-visible downtime"
		grep -q '^# source={"version":' "$f" || fail "$f: no provenance"
	done
	grep -q '^command=qlaunch -c .* migrate-bench mb --to .* --vary bandwidth=100,1000' "$o/manifest.txt" ||
	    fail "manifest: $(cat "$o/manifest.txt")"
	python3 - "$o" <<'PY' || fail "the plots"
import sys, xml.etree.ElementTree as ET
d = sys.argv[1]
ns = "{http://www.w3.org/2000/svg}"
r = ET.parse(d + "/remaining.svg").getroot()
lines = r.findall(".//" + ns + "polyline")
assert len(lines) == 4, "remaining.svg: %d polylines" % len(lines)
for l in lines:
    pts = l.get("points").split()
    assert len(pts) >= 1, "an empty polyline"
for f in ("downtime.svg", "total.svg"):
    t = ET.parse(d + "/" + f).getroot()
    assert t.tag == ns + "svg", f
    assert len(t.findall(".//" + ns + "circle")) >= 4 + 2, f + ": points"
    assert "bandwidth=100" in "".join(t.itertext()), f + ": labels"
assert "guest-visible" in "".join(ET.parse(d + "/downtime.svg").getroot().itertext())
PY
}

# a sweep under the workload: it runs in the guest during the runs
t_bench_workload() {
	q migrate-bench mb --to "unix:$BSOCK" --repeat 1 --workload 32,50 \
	    --bandwidth 1000 --out "$T/bw" >"$T/out" 2>"$T/err" || fail "migrate-bench: $(cat "$T/err")"
	grep -q '^workload: qlstress -s 32 -r 50' "$T/out" || fail "said: $(cat "$T/out")"
	[ "$(wc -l <"$T/bw/runs.csv")" = 2 ] || fail "runs: $(cat "$T/bw/runs.csv")"
	[ "$(q state mb)" = running ] || fail "A: $(q state --reason mb)"
	[ "$(gval mb 'ps | grep -c "[q]lstress -s"')" = 0 ] || fail "the workload was left running"
}

# a failed run is recorded and the sweep goes on (or stops when asked)
t_bench_failed_run() {
	local rc=0
	q migrate-bench mb --to "unix:$BSOCK" --repeat 1 --vary bandwidth=1,1000 \
	    --timeout 2 --out "$T/bf" >"$T/out" 2>"$T/err" || rc=$?
	[ $rc = 1 ] || fail "exit status $rc: $(cat "$T/err")"
	grep -q '^2 runs, 1 failed' "$T/out" || fail "said: $(cat "$T/out")"
	sed -n 2p "$T/bf/runs.csv" | grep -q '^1,1,1,1,a,b,failed,".*did not complete in 2 s' ||
	    fail "runs: $(cat "$T/bf/runs.csv")"
	sed -n 3p "$T/bf/runs.csv" | grep -q '^2,2,1000,1,a,b,ok,' || fail "runs: $(cat "$T/bf/runs.csv")"
	grep -q '^1,1,1,1,' "$T/bf/summary.csv" || fail "summary: $(cat "$T/bf/summary.csv")"
	[ "$(q state mb)" = running ] || fail "A: $(q state --reason mb)"
	rc=0
	q migrate-bench mb --to "unix:$BSOCK" --vary bandwidth=1,1000 --timeout 2 \
	    --stop-on-error --out "$T/bs" >"$T/out" 2>"$T/err" || rc=$?
	[ $rc = 1 ] || fail "exit status $rc: $(cat "$T/err")"
	grep -q '^1 runs, 1 failed' "$T/out" || fail "said: $(cat "$T/out")"
	[ "$(wc -l <"$T/bs/runs.csv")" = 2 ] || fail "runs: $(cat "$T/bs/runs.csv")"
	[ "$(q state mb)" = running ] || fail "A: $(q state --reason mb)"
}

# Ctrl-C cancels the migration under way, and what ran is written
t_bench_interrupt() {
	local pid rc=0
	"$QLAUNCH" migrate-bench mb --to "unix:$BSOCK" --repeat 3 --bandwidth 1 \
	    --out "$T/bi" >"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 300); do
		[ "$(q migrate-info mb --json 2>/dev/null | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p')" = active ] && break
		sleep 0.1
	done
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ $rc = 1 ] || fail "exit status $rc: $(cat "$T/err")"
	grep -q 'interrupted: the sweep stops' "$T/err" || fail "stderr: $(cat "$T/err")"
	[ "$(wc -l <"$T/bi/runs.csv")" = 2 ] || fail "runs: $(cat "$T/bi/runs.csv")"
	grep -q 'failed,".*cancelled by the user' "$T/bi/runs.csv" || fail "runs: $(cat "$T/bi/runs.csv")"
	[ -s "$T/bi/summary.csv" ] && [ -s "$T/bi/remaining.svg" ] || fail "no summary or plots"
	[ "$(q state mb)" = running ] || fail "A: $(q state --reason mb)"
	! qb list --all | grep -qw mb || fail "B still has mb"
}

t_errors() {
	usage_error "--to unix:PATH" q migrate-bench mb
	usage_error "--to is unix:PATH" q migrate-bench mb --to ssh://h
	usage_error "not over ssh://" q -c ssh://h migrate-bench mb --to "unix:$BSOCK"
	one_line_error "no option 'speed' to vary" q migrate-bench mb --to "unix:$BSOCK" --vary speed=1,2 --out "$T/e1"
	one_line_error "--vary 'bandwidth=1,,2': an empty value" q migrate-bench mb --to "unix:$BSOCK" --vary bandwidth=1,,2 --out "$T/e1"
	one_line_error "--vary bandwidth 'x'" q migrate-bench mb --to "unix:$BSOCK" --vary bandwidth=1,x --out "$T/e1"
	one_line_error "bandwidth is varied twice" q migrate-bench mb --to "unix:$BSOCK" --vary bandwidth=1 --vary bandwidth=2 --out "$T/e1"
	usage_error "do not go together" q migrate-bench mb --to "unix:$BSOCK" --vary bandwidth=1,2 --bandwidth 5 --out "$T/e1"
	one_line_error "is not running on" q migrate-bench nosuch --to "unix:$BSOCK" --out "$T/e1"
	one_line_error "is not empty" q migrate-bench mb --to "unix:$BSOCK" --out "$T/bench"
	[ ! -e "$T/e1" ] || fail "a refused sweep made its directory"
	[ "$(q state mb)" = running ] || fail "A: $(q state --reason mb)"
}

start_daemon || exit 1
run_tests guest_up workload dirtyrate bench bench_workload bench_failed_run \
    bench_interrupt errors
