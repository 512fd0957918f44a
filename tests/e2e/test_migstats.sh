#!/bin/bash
# migrate --stats: two supervisors on one host, A and B, a guest with
# "channel: heartbeat" whose qlstress dirties memory.  A -> B writes
# CSV, B -> A writes JSON; each file's rows add up (t_ms and transferred
# never go back, a "pass" row, the last row "end" and completed, the CPU
# times of both sides there and growing), its summary has the
# guest-visible downtime (positive, under the total time) and its
# provenance both QEMUs' argv; migrate-info on the destination shows
# the guest downtime.  A failed migration keeps its samples with the
# summary saying failed; a bad extension is one line and nothing moves;
# on a terminal the progress line shows speed, what is left and the pass.
. "$(dirname "$0")/lib.sh"

need_root "migration between two supervisors"

BSOCK=$T/b.sock
qb() { QLAUNCH_SOCKET=$BSOCK q "$@"; }

# check FILE [failed]: the stats file adds up (python3 reads it)
check() {
	python3 - "$@" <<'PY' || fail "$1: $(head -c 3000 "$1")"
import csv, json, sys
path, want = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "completed")
def num(v):
    return None if v in (None, "") else float(v)
if path.endswith(".json"):
    d = json.load(open(path))
    rows, summ, prov = d["samples"], d["summary"], d["provenance"] or {}
    for r in rows:
        for side in ("src", "dst"):
            for i, v in enumerate(r.get(side + "_vcpu_cpu_ms") or []):
                r["%s_vcpu%d_cpu_ms" % (side, i)] = v
else:
    lines = open(path).read().splitlines()
    body = [l for l in lines if not l.startswith("#")]
    rows = list(csv.DictReader(body))
    summ, prov = {}, {}
    for l in lines:
        if l.startswith("# summary."):
            k, v = l[len("# summary."):].split("=", 1)
            summ[k] = v
        elif l.startswith("# provenance."):
            k, v = l[len("# provenance."):].split("=", 1)
            prov[k] = v
def die(m):
    print("FAIL:", path, m); sys.exit(1)
if len(rows) < 3: die("%d rows" % len(rows))
t = [num(r["t_ms"]) for r in rows]
x = [num(r["transferred"]) for r in rows]
if any(b < a for a, b in zip(t, t[1:])) or t[-1] <= t[0]: die("t_ms %s" % t)
# QEMU gives no figures while in setup
if any(v is None and r["status"] != "setup" for v, r in zip(x, rows)): die("transferred %s" % x)
x = [v for v in x if v is not None]
if len(x) < 2 or any(b < a for a, b in zip(x, x[1:])): die("transferred %s" % x)
if not any(r["reason"] == "pass" for r in rows): die("no pass row")
if any(r["reason"] == "end" for r in rows[:-1]): die("rows after the end")
if not any(r["reason"] == "poll" for r in rows): die("no poll row")
for side in ("src", "dst"):
    q = [num(r[side + "_qemu_cpu_ms"]) for r in rows]
    v = [num(r.get(side + "_vcpu0_cpu_ms")) for r in rows]
    q = [a for a in q if a is not None]; v = [a for a in v if a is not None]
    # a destination that only received 1 MiB/s may not have used a tick
    grows = side == "src" or want == "completed"
    if len(q) < 2 or (grows and q[-1] <= q[0]): die("%s QEMU CPU %s" % (side, q))
    if len(v) < 2 or v[-1] < v[0]: die("%s vCPU CPU %s" % (side, v))
    if any(b < a for a, b in zip(q, q[1:])): die("%s QEMU CPU goes back %s" % (side, q))
if str(summ.get("status")) != want: die("summary %s" % summ)
if want == "completed":
    if rows[-1]["reason"] != "end" or rows[-1]["status"] != "completed": die("last row %s" % rows[-1])
    g, tot = num(summ.get("guest_downtime_ms")), num(summ.get("total_ms"))
    if g is None or g <= 0 or tot is None or g >= tot: die("guest downtime %s of %s" % (g, tot))
    if num(summ.get("downtime_ms")) is None or num(summ.get("passes")) < 1: die("summary %s" % summ)
    if path.endswith(".json"):
        src, dst = prov["source"]["argv"], prov["destination"]["argv"]
        if not prov["parameters"] or not prov["source"]["host"]["kernel"]: die("provenance %s" % prov)
    else:
        src, dst = prov.get("source.argv", ""), prov.get("destination.argv", "")
        if "parameters.downtime-limit" not in prov or not prov.get("source.host.kernel"): die("provenance %s" % prov)
    if "-incoming" not in str(dst) or "qemu" not in str(src): die("argv %s / %s" % (src, dst))
    print("# %s: %d rows, QEMU downtime %s ms, guest downtime %s ms, total %s ms, passes %s" % (
        path.rsplit(".", 1)[1], len(rows), summ.get("downtime_ms"), g, tot, summ.get("passes")))
else:
    if "cancelled by the user" not in str(summ.get("error")): die("summary %s" % summ)
    if rows[-1]["status"] not in ("active", "setup", "cancelling", "cancelled"): die("last %s" % rows[-1])
PY
}

t_guest_up() {
	mkdir -p "$T/stateB"
	start_daemon "$T/stateB" "$BSOCK" || fail "B did not start"
	create_guest ms --channel heartbeat --start
	wait_ready ms
	gx ms '(qlstress -s 48 -r 100 -i 1000 >/dev/null 2>&1 &) ; echo started' |
	    grep -q started || fail "no qlstress"
	for _ in $(seq 100); do
		q heartbeat ms --json 2>/dev/null | grep -q '"last_tick_us"' && return 0
		sleep 0.1
	done
	fail "no heartbeat: $(q heartbeat ms 2>&1)"
}

t_bad_extension() {
	one_line_error "--stats $T/s.txt: the file must end in .csv or .json" \
	    q migrate ms "unix:$BSOCK" --stats "$T/s.txt"
	[ ! -e "$T/s.txt" ] || fail "the file was made"
	one_line_error "--stats $T/no/s.csv: No such file" \
	    q migrate ms "unix:$BSOCK" --stats "$T/no/s.csv"
	usage_error "--stats-interval goes with --stats" \
	    q migrate ms "unix:$BSOCK" --stats-interval 50
	[ "$(q state ms)" = running ] || fail "A: $(q state --reason ms)"
	! qb list --all | grep -qw ms || fail "B has ms"
}

t_csv() {
	q migrate ms "unix:$BSOCK" --stats "$T/s.csv" --bandwidth 200 --verbose >"$T/out" 2>"$T/err" ||
	    fail "migrate: $(cat "$T/err")"
	[ "$(qb state ms)" = running ] || fail "B: $(qb state --reason ms)"
	# not a terminal: no progress line
	! grep -q 'Mbit/s' "$T/out" || fail "a progress line: $(cat "$T/out")"
	grep -q '^Guest downtime: *[0-9.]* ms$' "$T/out" || fail "said: $(cat "$T/out")"
	head -1 "$T/s.csv" | grep -q '^t_ms,reason,status,pass,transferred,.*,src_vcpu0_cpu_ms,dst_qemu_cpu_ms,dst_vcpu0_cpu_ms$' ||
	    fail "header: $(head -1 "$T/s.csv")"
	check "$T/s.csv"
	# the destination keeps the guest's downtime for migrate-info
	qb migrate-info ms --json | grep -q '"guest_downtime_ms": [1-9][0-9]*' ||
	    fail "info: $(qb migrate-info ms --json)"
	qb migrate-info ms | grep -q '^Guest downtime: *[0-9]* ms$' ||
	    fail "info: $(qb migrate-info ms)"
}

t_json() {
	qb migrate ms "unix:$T/ctl.sock" --stats "$T/s.json" --stats-interval 50 --bandwidth 200 \
	    --json >"$T/out" 2>"$T/err" || fail "migrate back: $(cat "$T/err")"
	[ "$(q state ms)" = running ] || fail "A: $(q state --reason ms)"
	grep -q '"guest_downtime_ms": [0-9.]*[1-9]' "$T/out" || fail "reply: $(tail -c 2000 "$T/out")"
	check "$T/s.json"
}

# without --stats the reply's summary has the guest's downtime too
t_plain() {
	q migrate ms "unix:$BSOCK" --json >"$T/out" 2>"$T/err" || fail "migrate: $(cat "$T/err")"
	grep -q '"guest_downtime_ms": [0-9.]*[1-9]' "$T/out" || fail "reply: $(tail -c 2000 "$T/out")"
	qb migrate ms "unix:$T/ctl.sock" >/dev/null 2>"$T/err" || fail "back: $(cat "$T/err")"
}

# cancelled: the samples so far, the summary says failed
t_failed() {
	"$QLAUNCH" migrate ms "unix:$BSOCK" --bandwidth 1 --stats "$T/f.csv" >"$T/mig.out" 2>"$T/mig.err" &
	local pid=$! rc=0
	for _ in $(seq 300); do
		[ "$(q migrate-info ms --json 2>/dev/null | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p')" = active ] && break
		sleep 0.1
	done
	sleep 2
	q migrate-cancel ms >/dev/null || fail "migrate-cancel failed"
	wait "$pid" || rc=$?
	[ "$rc" = 1 ] || fail "migrate ended with $rc: $(cat "$T/mig.err")"
	[ "$(wc -l <"$T/mig.err")" -eq 1 ] || fail "not one line: $(cat "$T/mig.err")"
	check "$T/f.csv" failed
	[ "$(q state ms)" = running ] || fail "A: $(q state --reason ms)"
}

# on a terminal: one progress line, redrawn, with speed, what is left
# and the pass
t_terminal() {
	timeout 120 script -qec "'$QLAUNCH' migrate ms unix:$BSOCK" /dev/null </dev/null \
	    >"$T/out" 2>&1 || fail "migrate: $(cat -v "$T/out" | tail -c 2000)"
	grep -q $'\rmigrate \[#* *\] *[0-9]*% [0-9.]* Mbit/s, [0-9.]* [KMG]*i*B left, pass [0-9]*, [a-z]' "$T/out" ||
	    fail "no progress line: $(cat -v "$T/out")"
	grep -q "^Domain 'ms' migrated to $BSOCK" "$T/out" || fail "said: $(cat -v "$T/out")"
	qb migrate ms "unix:$T/ctl.sock" >/dev/null 2>"$T/err" || fail "back: $(cat "$T/err")"
}

start_daemon || exit 1
run_tests guest_up bad_extension csv json plain failed terminal
