#!/usr/bin/env python3
"""soak.sh's helper: what is clumsy in shell.

  soaktool.py vms              list --all --json on stdin -> "NAME STATE PID" (a state's spaces as -)
  soaktool.py garbage SOCK SEED N
                               N malformed control requests, each on a new
                               connection (kinds chosen by a generator seeded
                               with SEED); prints "KIND ..." it sent
  soaktool.py json             "key value" lines on stdin -> one JSON object
                               (values that are integers or decimals as numbers)
"""
import json
import random
import socket
import sys


def vms():
    for vm in json.load(sys.stdin):
        print(vm.get("name"), vm.get("state", "").replace(" ", "-"), vm.get("pid", 0))


def payloads(rng):
    """One malformed request of each kind, as (kind, bytes)."""
    junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
    return [
        ("truncated", b'{"execute": "info", "arguments": {"name": "s'),
        ("truncated-nl", b'{"execute": "list", "argum\n'),
        ("huge-line", b'{"execute": "list", "id": "' + b"x" * (4 << 20) + b'"}\n'),
        ("huge-no-nl", b"y" * (3 << 20)),
        ("wrong-type", b'{"execute": 42, "arguments": []}\n'),
        ("wrong-arg-type", b'{"execute": "info", "arguments": {"name": [1, 2]}}\n'),
        ("args-not-object", b'{"execute": "start", "arguments": "s0"}\n'),
        ("unknown", b'{"execute": "no-such-command-%d"}\n' % rng.randint(0, 1 << 30)),
        ("not-object", b'[1, 2, 3]\n"str"\nnull\n'),
        ("deep", b"[" * 100000 + b"]" * 100000 + b"\n"),
        ("binary", junk),
        ("binary-nl", junk.replace(b"\n", b"") + b"\n"),
        ("nul", b'{"execute": "list\x00", "id": 1}\n'),
        ("bad-utf8", b'{"execute": "info", "arguments": {"name": "\xff\xfe"}}\n'),
        ("many", b'{"execute": "list"}\n' * 2000),
        ("half-then-close", b'{"execute": "define", "arguments": {"name": "s'),
    ]


def garbage(path, seed, n):
    rng = random.Random(seed)
    sent = []
    for _ in range(n):
        kind, data = rng.choice(payloads(rng))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect(path)
            s.sendall(data)
            if kind != "half-then-close":
                # read whatever comes for a moment; the answer is not judged
                # here (tests/unit/test_control does), the daemon's life is
                try:
                    s.shutdown(socket.SHUT_WR)
                    while s.recv(65536):
                        pass
                except OSError:
                    pass
        except OSError as e:
            kind += "(%s)" % e.strerror
        finally:
            s.close()
        sent.append(kind)
    print(" ".join(sent))


def tojson():
    out = {}
    for line in sys.stdin:
        k, _, v = line.rstrip("\n").partition(" ")
        if not k:
            continue
        try:
            out[k] = int(v)
        except ValueError:
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    print(json.dumps(out, indent=2, sort_keys=True))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "vms":
        vms()
    elif len(sys.argv) == 5 and sys.argv[1] == "garbage":
        garbage(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 2 and sys.argv[1] == "json":
        tojson()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
