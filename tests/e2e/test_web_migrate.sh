#!/bin/bash
# The web page's Migrate and Graphs sections in headless Chromium: two
# supervisors on one host, A (the web process talks to it; it trusts the
# web manager's user) and B; a user's guest (mv) keeps a counter in /run.
# tests/browser/test_web_migrate.js drives the page: the graphs fill and
# agree with qlaunch domstats; a slow migration to B started from the
# page shows progress (in a second page opened meanwhile too) and is
# cancelled from the page: the guest runs on at A; another user's
# migrate is refused by the supervisor; then a migration from
# the page ends with its summary, whose numbers are the supervisor's
# (the audit line has them from the reply).  Here: the guest runs on B,
# its counter going on, and A has no mv.  The guest has a heartbeat, so
# the summary has the guest-visible downtime too.  Screenshots to tests/artifacts/.
. "$(dirname "$0")/lib.sh"

need_root "the web manager (users of their own, a root supervisor)"
WEBUSER=qltweb
U1=qltweb1
U2=qltweb2
. "$(dirname "$0")/weblib.sh"
web_setup test_web_migrate.sh
export QLAUNCH VM=mv CHROMIUM BSOCK

setup() {
	chmod 0755 "$T"
	"$QLAUNCHD" -f -s "$T/state" -S "$QLAUNCH_SOCKET" --web-user "$WEBUSER" \
	    >>"$T/qlaunchd.log" 2>&1 &
	echo $! >"$T/daemon.pid"
	disown $! 2>/dev/null || true
	for _ in $(seq 100); do
		q version >/dev/null 2>&1 && break
		sleep 0.05
	done
	chmod 0666 "$QLAUNCH_SOCKET"
	start_daemon "$T/stateB" "$BSOCK" || return 1
	# user 1 may reach B: a user migrates only where it may
	chmod 0666 "$BSOCK"
	create_guest mv --owner $U1 --channel heartbeat --start || return 1
	wait_ready mv || return 1
	# the guest's heartbeat: the summary has the guest-visible downtime
	for _ in $(seq 100); do
		q heartbeat mv --json 2>/dev/null | grep -q '"last_tick_us"' && break
		sleep 0.1
	done
	start_counter
	start_web
}

t_page_migrates() {
	local c1 rc=0
	NODE_PATH=$MODS LINK1=$(as $U1 web-login) LINK2=$(as $U2 web-login) \
	    timeout 600 node "$SRC/tests/browser/test_web_migrate.js" >"$T/browser.out" 2>&1 || rc=$?
	cat "$T/browser.out"
	[ $rc = 0 ] || fail "the browser test failed"
	# the cancel: one audit line, and nothing left on B
	grep -q "uid=$(id -u $U1) .*action=migrate-cancel vm=mv outcome=\"ok\"" "$T/audit.log" ||
	    fail "no audit line for the cancel: $(cat "$T/audit.log")"
	grep -q "uid=$(id -u $U1) .*action=migrate vm=mv outcome=\"[^\"]*cancelled by the user" "$T/audit.log" ||
	    fail "no audit line for the cancelled migration: $(cat "$T/audit.log")"
	grep -q "uid=$(id -u $U2) .*action=migrate vm=mv outcome=\"VM 'mv' belongs to another user\"" \
	    "$T/audit.log" || fail "no audit line for user 2's refused migrate"
	# the summary the page showed is the supervisor's reply (its audit line)
	local total down guest
	total=$(sed -n 's/^summary total_ms=\([0-9]*\) .*$/\1/p' "$T/browser.out")
	down=$(sed -n 's/^summary .* downtime_ms=\([0-9]*\) .*$/\1/p' "$T/browser.out")
	guest=$(sed -n 's/^summary .* guest_ms=\([0-9.]*\)$/\1/p' "$T/browser.out")
	[ -n "$total" ] && [ -n "$down" ] && [ -n "$guest" ] || fail "no summary from the page"
	grep -q "action=migrate vm=mv outcome=\"ok: to $BSOCK in $total ms, downtime $down ms, guest downtime $guest ms\"" \
	    "$T/audit.log" || fail "the page's summary ($total ms, $down ms, guest $guest ms) is not the reply's: $(grep action=migrate "$T/audit.log")"
	# the guest runs on B, counting on; A has no mv
	[ "$(qb state --reason mv)" = "running (migrated)" ] || fail "B: $(qb state --reason mv)"
	! q list --all | grep -qw mv || fail "A still has mv"
	c1=$(counter "$BSOCK")
	[ -n "$c1" ] || fail "no counter on B"
	counter_goes_on "$BSOCK" "$c1"
}

setup || exit 1
run_tests page_migrates
