# What the web manager's end-to-end tests share; sourced after lib.sh.
# A test sets WEBUSER, U1 and U2 (system users of its own), then calls
# web_setup NAME [vendor]: the whole file is skipped, with one line,
# without chromium, node and 'make browser-deps' (and 'make web-deps'
# when it loads the vendor files); the users are made.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MODS=$B/tests/browser/node_modules
[ -d "$MODS/puppeteer-core" ] || MODS=$SRC/tests/browser/node_modules
VENDOR=$B/launcher/web/vendor
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export ARTIFACTS=${QLT_ARTIFACTS:-$SRC/tests/artifacts}

web_setup() {
	local need="chromium, node and 'make browser-deps'"
	[ "${2:-}" = vendor ] && need="chromium, node, 'make browser-deps' and 'make web-deps'"
	if [ ! -d "$MODS/puppeteer-core" ] || ! command -v node >/dev/null ||
	    [ ! -x "$CHROMIUM" ] ||
	    { [ "${2:-}" = vendor ] && [ ! -f "$VENDOR/novnc/core/rfb.js" ]; }; then
		echo "$1: needs $need: skipped"
		echo "[  SKIPPED ] 1 test(s)."
		exit 0
	fi
	local u
	for u in $WEBUSER $U1 $U2; do
		id "$u" >/dev/null 2>&1 ||
		    useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$u" || exit 1
	done
}

# as USER ARGS...: qlaunch as that user
as() { local u=$1; shift; runuser -u "$u" -- env QLAUNCH_SOCKET="$QLAUNCH_SOCKET" \
    QLAUNCH_NO_AUTOSTART=1 "$QLAUNCH" "$@"; }

# start_web [ARGS...]: the web process, started as root, dropping to
# $WEBUSER, on a free loopback port; its first lines in $T/web.out
start_web() {
	: >"$T/web.out"
	"$QLAUNCH" web --listen 127.0.0.1:0 --user "$WEBUSER" \
	    --assets "$SRC/launcher/web/assets" --audit-log "$T/audit.log" "$@" \
	    >"$T/web.out" 2>&1 &
	echo $! >"$T/web.pid"
	disown $! 2>/dev/null || true
	for _ in $(seq 100); do
		grep -q "serving http" "$T/web.out" && return 0
		sleep 0.05
	done
	echo "the web process did not come up:"; cat "$T/web.out"
	return 1
}
