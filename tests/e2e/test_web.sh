#!/bin/bash
# The web manager (qlaunch web) in headless Chromium: a root qlaunchd
# trusting the web manager's user (--web-user), the web process started
# as root and running as that user, two users each with a VM (the test
# guest).  tests/browser/test_web_basic.js drives the page: the login
# link, the list, a start seen live, CSRF refusals, the second user's
# view; here the guest's console shows it booted, and a killed and
# restarted web process leaves the guest running and serves it again.
# Screenshots go to tests/artifacts/.
. "$(dirname "$0")/lib.sh"

need_root "the web manager (users of their own, a root supervisor)"
WEBUSER=qltweb
U1=qltweb1
U2=qltweb2
. "$(dirname "$0")/weblib.sh"
web_setup test_web.sh
export QLAUNCH VM1=web1 VM2=web2 CHROMIUM USER1=$U1

browser() {
	NODE_PATH=$MODS LINK1=$(as $U1 web-login) LINK2=$(as $U2 web-login) \
	    timeout 300 node "$SRC/tests/browser/test_web_basic.js" "$1" \
	    >"$T/browser.$1" 2>&1
	local rc=$?
	cat "$T/browser.$1"
	return $rc
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
	# the users reach the socket (no qlaunch group here)
	chmod 0666 "$QLAUNCH_SOCKET"
	create_guest web1 --owner $U1 &&
	create_guest web2 --owner $U2
}

t_runs_unprivileged() {
	start_web
	pid=$(cat "$T/web.pid")
	[ "$(ps -o user= -p "$pid")" = $WEBUSER ] || fail "runs as $(ps -o user= -p "$pid")"
	# a link for each user, for the address the web process registered
	as $U1 web-login | grep -q "^http://127.0.0.1:[0-9]*/login?token=[0-9a-f]\{64\}$" ||
	    fail "link: $(as $U1 web-login)"
	# never as root, never off loopback without TLS
	one_line_error "never runs as root" q web --user root --listen 127.0.0.1:0
	one_line_error "needs --tls-cert and --tls-key" q web --listen 0.0.0.0:0
	# on-behalf-of from anyone else: refused
	as $U1 list >/dev/null
	printf '{"execute":"list","on-behalf-of":0}\n' |
	    runuser -u $U1 -- python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode())' "$QLAUNCH_SOCKET" >"$T/obo"
	grep -q "taken only from the web manager's user" "$T/obo" || fail "$(cat "$T/obo")"
}

t_browser() {
	browser main || fail "the browser test failed"
	# the page's create form and define box (formvm, textvm) made VMs of U1's
	[ "$(q dumpconfig formvm | sed -n 's/^owner: //p')" = $U1 ] || fail "formvm's owner"
	grep -q "uid=$(id -u $U1) .*action=create vm=formvm outcome=\"ok\"" "$T/audit.log" ||
	    fail "no audit line for the create"
	grep -q "uid=$(id -u $U1) .*action=define vm=textvm outcome=\"ok\"" "$T/audit.log" ||
	    fail "no audit line for the define"
	# the guest really booted: its console shows the ready line
	wait_ready web1
	[ "$(q state web2)" = "shut off" ] || fail "web2 is $(q state web2)"
	# the audit log has the page's actions, the refusals included
	grep -q "uid=$(id -u $U1) .*action=start vm=web1 outcome=\"ok\"" "$T/audit.log" ||
	    fail "no audit line for the start: $(cat "$T/audit.log")"
	grep -q "uid=$(id -u $U2) .*action=destroy vm=web1 outcome=\"VM 'web1' belongs to another user\"" \
	    "$T/audit.log" || fail "no audit line for user 2's refused destroy"
	grep -q 'refused: no valid CSRF token' "$T/audit.log" || fail "no audit line for the CSRF refusal"
}

t_web_restart() {
	pid=$(cat "$T/web.pid")
	qpid=$(vm_pid web1)
	kill -9 "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	# the supervisor forgot the web manager; the guest runs on
	one_line_error "no web manager runs" as $U1 web-login
	[ "$(q state web1)" = running ] || fail "web1 is $(q state web1)"
	[ "$(vm_pid web1)" = "$qpid" ] || fail "QEMU changed: $qpid -> $(vm_pid web1)"
	gx_grep web1 'echo alive-$((6*7))' 'alive-42' "$T/gx" || fail "the guest does not answer"
	start_web
	browser again || fail "the restarted web process did not serve it"
}

# Off loopback with TLS: in a network namespace of the test's own (a
# veth pair, both ends there, an address only there), a self-signed certificate;
# the login link is https, its cookie Secure, the API answers over TLS
# and plain HTTP to that port gets nothing
TLSNS=qltls$$
NSB=$TLSNS	# lib.sh's cleanup removes it (the tests run in subshells)
TLSADDR=192.168.243.1
t_tls() {
	local url link ns=(ip netns exec "$TLSNS")
	ip netns add "$TLSNS" || fail "netns"
	ip -n "$TLSNS" link set lo up
	ip -n "$TLSNS" link add qltls0 type veth peer name qltls1
	ip -n "$TLSNS" addr add "$TLSADDR/24" dev qltls0
	ip -n "$TLSNS" link set qltls0 up
	ip -n "$TLSNS" link set qltls1 up
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$TLSADDR" \
	    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 || fail "openssl"
	chmod 0644 "$T/key.pem"
	kill "$(cat "$T/web.pid")" 2>/dev/null
	: >"$T/web.out"
	"${ns[@]}" "$QLAUNCH" web --listen "$TLSADDR:0" --user "$WEBUSER" \
	    --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" \
	    --assets "$SRC/launcher/web/assets" --audit-log "$T/audit.log" \
	    >"$T/web.out" 2>&1 &
	echo $! >"$T/web.pid"
	disown $! 2>/dev/null || true
	for _ in $(seq 100); do
		grep -q "serving https" "$T/web.out" && break
		sleep 0.05
	done
	url=$(sed -n 's/.*serving \(https[^ ]*\) .*/\1/p' "$T/web.out" | head -n 1)
	[ -n "$url" ] || fail "not serving https: $(cat "$T/web.out")"
	link=$(as $U1 web-login)
	case $link in "${url%/}/login?token="*) ;; *) fail "link $link for $url" ;; esac
	"${ns[@]}" curl -s -k -D "$T/hdr" -o /dev/null -c "$T/jar" "$link" || fail "https login"
	grep -qi '^set-cookie:.*; *secure' "$T/hdr" || fail "cookie not Secure: $(grep -i set-cookie "$T/hdr")"
	grep -qi '^set-cookie:.*httponly' "$T/hdr" || fail "cookie not HttpOnly"
	"${ns[@]}" curl -s -k -b "$T/jar" "${url%/}/api/vms" >"$T/vms" || fail "https api"
	grep -q '"name":"web1"' "$T/vms" || fail "api over TLS: $(head -c 300 "$T/vms")"
	! grep -q '"name":"web2"' "$T/vms" || fail "user 1 sees web2 over TLS"
	# without the certificate's trust, curl refuses; plain HTTP gets no page
	! "${ns[@]}" curl -s -o /dev/null "${url%/}/" || fail "an untrusted certificate was accepted"
	! "${ns[@]}" curl -s -m 5 "http://${url#https://}/" | grep -q "<html" ||
	    fail "plain HTTP served the page"
	kill "$(cat "$T/web.pid")"
}

setup || exit 1
run_tests runs_unprivileged browser web_restart tls
