#!/usr/bin/env python3
# The raw control socket as a user who is not an admin, for
# test_privilege.sh: every request the supervisor lists ("commands") is
# sent naming another user's VM, and malformed requests are sent as they
# come.  Prints one line per request, "CMD CLASS-or-ok DESC"; exits 1 when
# a request was not refused (or a whitelisted one showed the VM).
#
#   privreq.py SOCKET VM commands     every command, naming VM
#   privreq.py SOCKET VM malformed    malformed requests, the connection
#                                     and the supervisor asked again after
import json
import socket
import sys

# requests that name no VM and answer anyone: their answer must not show VM
ANSWER_ANYONE = {"version", "list", "commands", "net-list", "web-login",
                 "domstats"}


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s, s.makefile("rb")


def call(s, f, msg, raw=None):
    """The reply to msg (events skipped); None when the connection closed."""
    try:
        s.sendall(raw if raw is not None else
                  (json.dumps(msg) + "\n").encode())
    except (BrokenPipeError, ConnectionResetError):
        pass	# closed while sending: its last words are still to read
    while True:
        line = f.readline()
        if not line:
            return None
        r = json.loads(line)
        if "return" in r or "error" in r:
            return r


def commands(path, vm):
    s, f = connect(path)
    r = call(s, f, {"execute": "commands", "id": 0})
    names = [c["name"] for c in r["return"]]
    bad = 0
    args = {"name": vm, "names": [vm], "text": "name: %s\nmemory: 128\n" % vm,
            "file": "/nonexistent/qlaunch-privreq", "dest": "unix:/nonexistent",
            "new_name": vm + "-x", "newname": vm + "-x", "target": "vda",
            "snapshot": "s1", "kind": "serial"}
    for i, cmd in enumerate(names):
        r = call(s, f, {"execute": cmd, "id": i + 1, "arguments": args})
        if r is None:
            # a request may take the stream over (console): a new one
            print("%s closed-connection" % cmd)
            bad += 1
            s, f = connect(path)
            continue
        if "error" in r:
            e = r["error"]
            print("%s %s %s" % (cmd, e.get("class"), e.get("desc")))
            continue
        shown = vm in json.dumps(r["return"])
        print("%s ok%s" % (cmd, " SHOWS " + vm if shown else ""))
        if cmd not in ANSWER_ANYONE or shown:
            bad += 1
    print("total %d" % len(names))
    return 1 if bad else 0


def malformed(path, vm):
    cases = [
        ("not-json", b"this is not json\n"),
        ("no-execute", b'{"arguments": {}}\n'),
        ("execute-number", b'{"execute": 5}\n'),
        ("arguments-array", b'{"execute": "info", "arguments": [1]}\n'),
        ("name-number", b'{"execute": "info", "arguments": {"name": 5}}\n'),
        ("name-path", b'{"execute": "info", "arguments": {"name": "../' +
         vm.encode() + b'"}}\n'),
        ("long-command", b'{"execute": "' + b"x" * 200 + b'"}\n'),
        ("on-behalf-of-root", b'{"execute": "destroy", "on-behalf-of": 0, '
         b'"arguments": {"name": "' + vm.encode() + b'"}}\n'),
        ("names-not-array", b'{"execute": "domstats", "arguments": '
         b'{"names": "' + vm.encode() + b'"}}\n'),
        ("subscribe-all", b'{"execute": "subscribe"}\n'),
        ("huge", b'{"execute": "info", "arguments": {"name": "' +
         b"a" * (8 << 20) + b'"}}\n'),
    ]
    bad = 0
    for name, raw in cases:
        s, f = connect(path)
        r = call(s, f, None, raw)
        if r is None or "error" not in r:
            print("%s NO-ERROR %s" % (name, r))
            bad += 1
        else:
            print("%s %s %s" % (name, r["error"].get("class"),
                                r["error"].get("desc", "")[:100]))
        # the connection still answers, or was closed after its one error
        try:
            r2 = call(s, f, {"execute": "version", "id": "after"})
        except (ConnectionResetError, socket.timeout):
            r2 = None
        if r2 is not None and r2.get("id") != "after":
            more = r2
            r2 = None
        else:
            more = None
        if more:
            print("%s a second reply after the error: %r" % (name, more))
            bad += 1
        print("%s after: %s" % (name, "answers" if r2 else "closed"))
        s.close()
        # the supervisor answers a new connection
        s, f = connect(path)
        if "return" not in call(s, f, {"execute": "version"}):
            print("%s: the supervisor did not answer after it" % name)
            bad += 1
        s.close()
    return 1 if bad else 0


if __name__ == "__main__":
    fn = {"commands": commands, "malformed": malformed}[sys.argv[3]]
    sys.exit(fn(sys.argv[1], sys.argv[2]))
