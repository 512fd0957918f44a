#!/bin/bash
# End to end: the web manager's consoles, the supervisor's side (issue
# 11), against a real qlaunchd and the TCG test guest.
#
#   qlaunch console-ticket NAME --kind vnc|serial   a one-time ticket
#   qlaunch console-fd NAME --kind K | --ticket T   console-open: the
#       console's own descriptor (SCM_RIGHTS) relayed to stdin/stdout
#
# - VNC: through the descriptor QEMU speaks RFB with security type None
#   although the VM has a VNC password (add_client skipauth), while its
#   listening port still asks for the password, and QEMU listens only
#   where the definition says, before and after;
# - serial: a command typed through the descriptor runs in the guest and
#   its output comes back; a second client is refused while one is on;
# - tickets: used once; another user (nobody, through runuser) cannot
#   redeem a ticket issued to root, nor root one issued to nobody;
# - WebSocket (wsserve, a small evhttp server using wsconsole_upgrade,
#   and node 20's WebSocket): the RFB greeting through a WebSocket, and a
#   command on the serial console.
. "$(dirname "$0")/lib.sh"

VM=wc1
WSSERVE=$B/tests/web/wsserve

# the RFB bytes of a VNC session through console-fd: the version, then
# security type None, then ClientInit (shared)
rfb_session() {
	printf 'RFB 003.008\n\001\001' | q console-fd "$@" --quiet 2000 \
	    --timeout 30
}

# QEMU's listening TCP sockets, sorted (address:port)
qemu_listens() {
	ss -Hltnp | awk -v p="pid=$1," 'index($0, p) { print $4 }' | sort
}

t_setup() {
	start_daemon
	create_guest "$VM" --graphics vnc,listen=127.0.0.1,password=s3cret
	q start "$VM" >/dev/null
	wait_ready "$VM"
}

t_vnc() {
	local pid port before after
	pid=$(vm_pid "$VM")
	port=$(q vncdisplay "$VM" | sed 's/.*://')
	port=$((5900 + port))
	before=$(qemu_listens "$pid")
	[ "$before" = "127.0.0.1:$port" ] || fail "QEMU listens on '$before'"
	rfb_session "$VM" --kind vnc >"$T/rfb"
	[ "$(head -c 12 "$T/rfb")" = "RFB 003.008" ] || fail "no RFB greeting: $(od -c "$T/rfb" | head -3)"
	# one security type, None (1): no password on this connection
	[ "$(od -An -tu1 -j12 -N2 "$T/rfb" | tr -s ' ')" = " 1 1" ] ||
	    fail "security types: $(od -An -tu1 -j12 -N2 "$T/rfb")"
	# SecurityResult OK, then ServerInit with the VM's name
	[ "$(od -An -tu1 -j14 -N4 "$T/rfb" | tr -s ' ')" = " 0 0 0 0" ] ||
	    fail "security result: $(od -An -tu1 -j14 -N4 "$T/rfb")"
	tail -c +19 "$T/rfb" | grep -aq "$VM" || fail "no ServerInit naming $VM"
	# the listening port still asks for the password (VNC auth, 2)
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	head -c 12 <&3 >"$T/tcp"
	printf 'RFB 003.008\n' >&3
	head -c 2 <&3 >>"$T/tcp"
	exec 3<&-
	[ "$(od -An -tu1 -j12 -N2 "$T/tcp" | tr -s ' ')" = " 1 2" ] ||
	    fail "the VNC port offers: $(od -An -tu1 -j12 -N2 "$T/tcp")"
	after=$(qemu_listens "$pid")
	[ "$after" = "$before" ] || fail "QEMU listens on '$after' now"
}

t_serial() {
	local i
	for i in 1 2 3 4 5; do
		printf 'echo web$((6*7))console\n' |
		    q console-fd "$VM" --kind serial --quiet 1500 --timeout 30 |
		    tr -d '\r' >"$T/ser"
		grep -q '^web42console$' "$T/ser" && break
		sleep 0.5
	done
	grep -q '^web42console$' "$T/ser" || fail "no output: $(cat "$T/ser")"
	# one client at a time: qlaunch console holds it
	# (it retries: a console-fd below may hold the console when it comes)
	(for _ in $(seq 40); do
		sleep 4 | q console "$VM" --timeout 4 >/dev/null 2>&1 && break
		sleep 0.1
	done) &
	local cpid=$!
	for i in $(seq 40); do
		q console-fd "$VM" --kind serial --quiet 100 </dev/null \
		    >/dev/null 2>"$T/err" || break
		sleep 0.1
	done
	grep -q "in use by another client" "$T/err" || fail "not refused: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "not one line: $(cat "$T/err")"
	wait "$cpid" || true
}

t_tickets() {
	local t
	t=$(q console-ticket "$VM" --kind vnc)
	[ ${#t} -eq 64 ] || fail "ticket '$t'"
	q console-ticket "$VM" --kind vnc --json | grep -q '"expires_in": 60' ||
	    fail "console-ticket --json"
	rfb_session "$VM" --ticket "$t" | head -c 12 | grep -q "RFB 003.008" ||
	    fail "the ticket did not open"
	one_line_error "no such console ticket" q console-fd "$VM" --ticket "$t"
	usage_error "--kind 'spice': not vnc or serial" q console-ticket "$VM" --kind spice
}

t_other_user() {
	id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; return 0; }
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; return 0; }
	chmod 0666 "$T/ctl.sock"
	chmod 0755 "$T"
	as_nobody() { runuser -u nobody -- env QLAUNCH_SOCKET="$T/ctl.sock" \
	    QLAUNCH_NO_AUTOSTART=1 "$QLAUNCH" "$@"; }
	local t
	# root's VM: nobody may not use it, ticket or not
	t=$(q console-ticket "$VM" --kind vnc)
	one_line_error "belongs to another user" as_nobody console-fd "$VM" --ticket "$t"
	one_line_error "belongs to another user" as_nobody console-ticket "$VM" --kind vnc
	# nobody's VM: a ticket is its user's only
	as_nobody create nbvm --accel tcg,tb-size=32 --memory 128 \
	    --graphics vnc,listen=127.0.0.1 >/dev/null
	as_nobody start nbvm --paused >/dev/null
	t=$(q console-ticket nbvm --kind vnc)
	one_line_error "issued to another user" as_nobody console-fd nbvm --ticket "$t"
	# ...and spent by that try
	one_line_error "no such console ticket" q console-fd nbvm --ticket "$t"
	t=$(as_nobody console-ticket nbvm --kind vnc)
	one_line_error "issued to another user" q console-fd nbvm --ticket "$t"
	# nobody's own ticket opens nobody's console
	printf 'RFB 003.008\n' | as_nobody console-fd nbvm --kind vnc \
	    --quiet 1500 --timeout 30 >"$T/rfb"
	[ "$(head -c 12 "$T/rfb")" = "RFB 003.008" ] || fail "nobody's console: $(od -c "$T/rfb" | head -2)"
	as_nobody destroy nbvm >/dev/null
	as_nobody undefine nbvm >/dev/null
	chmod 0700 "$T"
}

t_websocket() {
	# node 20 with --experimental-websocket, or later: a global WebSocket
	node --no-warnings --experimental-websocket -e \
	    'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null ||
	    { echo "SKIP: no node with a global WebSocket (20 or later)"; return 0; }
	[ -x "$WSSERVE" ] || fail "no $WSSERVE (make check builds it)"
	"$WSSERVE" "$T/ctl.sock" >"$T/wsserve.out" 2>"$T/wsserve.err" &
	local spid=$! port=
	for _ in $(seq 50); do
		port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$T/wsserve.out")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { kill "$spid"; fail "wsserve did not start: $(cat "$T/wsserve.err")"; }
	# the greeting, then our version: the one security type, None
	node --no-warnings --experimental-websocket -e '
		const ws = new WebSocket(process.argv[1]);
		ws.binaryType = "arraybuffer";
		let got = Buffer.alloc(0), said = false;
		const t = setTimeout(() => { console.log("timeout", got); process.exit(1); }, 20000);
		ws.onmessage = (m) => {
			got = Buffer.concat([got, Buffer.from(m.data)]);
			if (!said && got.length >= 12) {
				said = true;
				ws.send(new TextEncoder().encode("RFB 003.008\n"));
			}
			if (got.length >= 14) {
				console.log(JSON.stringify(got.subarray(0, 12).toString()),
				    got[12], got[13]);
				clearTimeout(t);
				ws.close(1000);
			}
		};
		ws.onerror = (e) => { console.log("error", e.message); process.exit(1); };
	' "ws://127.0.0.1:$port/console?vm=$VM&kind=vnc" >"$T/node.out" 2>&1 || true
	# the serial console: a command typed, its output read
	node --no-warnings --experimental-websocket -e '
		const ws = new WebSocket(process.argv[1]);
		ws.binaryType = "arraybuffer";
		let got = "";
		const t = setTimeout(() => { console.log("timeout", JSON.stringify(got)); process.exit(1); }, 20000);
		ws.onopen = () => ws.send("echo ws$((6*7))serial\n");
		ws.onmessage = (m) => {
			got += Buffer.from(m.data).toString();
			if (/(^|\n)ws42serial\r?\n/.test(got)) {
				console.log("ws42serial");
				clearTimeout(t);
				ws.close(1000);
			}
		};
		ws.onerror = (e) => { console.log("error", e.message); process.exit(1); };
	' "ws://127.0.0.1:$port/console?vm=$VM&kind=serial" >"$T/node2.out" 2>&1 || true
	# a plain GET is no WebSocket opening: refused
	curl -s -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$port/console?vm=$VM&kind=vnc" >"$T/plain" || true
	kill "$spid"
	wait "$spid" 2>/dev/null || true
	grep -qx '"RFB 003.008\\n" 1 1' "$T/node.out" || fail "node saw: $(cat "$T/node.out")"
	grep -qx 'ws42serial' "$T/node2.out" || fail "node saw on serial: $(cat "$T/node2.out")"
	[ "$(cat "$T/plain")" = 400 ] || fail "a plain GET got $(cat "$T/plain")"
}

run_tests setup vnc serial tickets other_user websocket
