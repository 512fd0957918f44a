#!/bin/bash
# The consoles in the page (issue 11) in headless Chromium: a root
# qlaunchd trusting the web manager's user, the web process unprivileged
# serving the page and the console libraries (make web-deps), the test
# guest with VNC owned by user 1.  tests/browser/test_web_console.js
# drives the page: the Display tab's canvas shows the guest's screen and
# follows it, the Serial tab runs a command in the guest, a copied ticket
# or URL opens nothing for user 2, a second serial session is refused,
# closing the tab frees the console.  Here: the audit lines, and the
# supervisor's log of the refusals.  Screenshots go to tests/artifacts/.
. "$(dirname "$0")/lib.sh"

need_root "the web consoles (users of their own, a root supervisor)"
WEBUSER=qltwcon
U1=qltwcon1
U2=qltwcon2
. "$(dirname "$0")/weblib.sh"
web_setup test_web_console.sh vendor
VM=wcon1
export QLAUNCH VM CHROMIUM

stop_web() {
	[ -f "$T/web.pid" ] && kill "$(cat "$T/web.pid")" 2>/dev/null
	rm -f "$T/web.pid"
}

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
	create_guest $VM --owner $U1 --graphics vnc,listen=127.0.0.1 &&
	q start $VM >/dev/null && wait_ready $VM && start_web --vendor "$VENDOR"
}

t_vendor_files() {
	local url
	url=$(sed -n 's/.*serving \(http:[^ ]*\).*/\1/p' "$T/web.out" | head -1)
	url=${url%/}
	[ -n "$url" ] || { fail "no address in: $(cat "$T/web.out")"; return; }
	curl -sf -o /dev/null "$url/vendor/novnc/core/rfb.js" || fail "rfb.js not served"
	curl -sf -o /dev/null "$url/vendor/xterm/xterm.js" || fail "xterm.js not served"
	# only .js and .css below --vendor: no traversal, no other files
	for p in ../assets/index.html novnc/LICENSE.txt .installed novnc/../../vendor/xterm/xterm.js \
	    %2e%2e/web.out; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$url/vendor/$p")
		[ "$code" = 404 ] || fail "/vendor/$p: $code, not 404"
	done
	# no session: no ticket, no console
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/api/vms/$VM/console")
	[ "$code" = 401 ] || fail "ticket without a session: $code"
	code=$(curl -s -o /dev/null -w '%{http_code}' "$url/ws/console?name=$VM&ticket=00")
	[ "$code" = 401 ] || fail "console without a session: $code"
}

t_browser() {
	local rc=0
	NODE_PATH=$MODS LINK1=$(as $U1 web-login) LINK2=$(as $U2 web-login) \
	    timeout 400 node "$SRC/tests/browser/test_web_console.js" >"$T/browser" 2>&1 || rc=$?
	cat "$T/browser"
	[ $rc -eq 0 ] || { fail "the browser test failed"; return; }
	local u1 u2
	u1=$(id -u $U1) u2=$(id -u $U2)
	grep -q "uid=$u1 .*action=console-ticket vm=$VM outcome=\"ok\"" "$T/audit.log" ||
	    fail "no audit line for the ticket"
	grep -q "uid=$u1 .*action=console-open vm=$VM outcome=\"ok: vnc\"" "$T/audit.log" ||
	    fail "no audit line for the VNC console"
	grep -q "uid=$u1 .*action=console-open vm=$VM outcome=\"ok: serial\"" "$T/audit.log" ||
	    fail "no audit line for the serial console"
	grep -q "uid=$u2 .*action=console-open vm=$VM outcome=\"refused: VM '$VM' belongs to another user\"" \
	    "$T/audit.log" || fail "no audit line for user 2's copied ticket"
	grep -q "uid=$u2 .*action=console-ticket vm=$VM outcome=\"VM '$VM' belongs to another user\"" \
	    "$T/audit.log" || fail "no audit line for user 2's copied URL"
	grep -q "uid=$u1 .*action=console-open vm=$VM outcome=\"refused: no such console ticket" \
	    "$T/audit.log" || fail "no audit line for the reused ticket"
	grep -q "console-open refused to uid $u1: no such console ticket" "$T/qlaunchd.log" ||
	    fail "the supervisor did not log the refusal"
	# the page's sessions are over: the serial console is free for the CLI
	# (the page restarted the VM)
	wait_ready $VM || fail "no ready line after the restart"
	gx_grep $VM 'echo after-$((6*7))' 'after-42' "$T/gx" || fail "the console is not free"
}

setup || exit 1
run_tests vendor_files browser
stop_web
