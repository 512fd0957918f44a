# -*- coding: utf-8 -*-
# The one way the qlaunch.vm modules talk to qlaunchd: the qlaunch client
# on the managed host, its --json output, its one-line errors; and the
# comparison of a definition with the one the supervisor stored.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

# Options every module takes (merged into its argument_spec).
COMMON_ARGS = dict(
    socket=dict(type='str'),
    qlaunch=dict(type='str', default='qlaunch'),
)


class QlaunchError(Exception):
    """qlaunch failed; the message is its own error line."""


class Qlaunch(object):
    """Runs qlaunch [-c SOCKET] ARGS on the managed host.

    socket is a control socket path or an ssh:// URI (qlaunch's -c);
    without one, QLAUNCH_SOCKET or the user's default socket is used.
    The supervisor is never started behind the play's back
    (QLAUNCH_NO_AUTOSTART)."""

    def __init__(self, module, socket=None):
        self.module = module
        prog = module.params.get('qlaunch') or 'qlaunch'
        self.bin = prog if '/' in prog else module.get_bin_path(prog, required=True)
        self.socket = socket if socket is not None else module.params.get('socket')
        self.ran = []

    def run(self, args, data=None):
        """stdout of a successful run; QlaunchError with its line otherwise."""
        argv = [self.bin]
        if self.socket:
            argv += ['-c', self.socket]
        argv += list(args)
        self.ran.append(' '.join(argv[1:]))
        rc, out, err = self.module.run_command(
            argv, data=data, binary_data=True,
            environ_update={'QLAUNCH_NO_AUTOSTART': '1'})
        if rc != 0:
            lines = [ln for ln in err.splitlines() if ln.strip()]
            raise QlaunchError(lines[-1] if lines else
                               'qlaunch %s: exit status %d' % (args[0], rc))
        return out

    def json(self, args):
        """The last JSON document qlaunch ARGS --json printed."""
        docs = json_docs(self.run(list(args) + ['--json']))
        if not docs:
            raise QlaunchError('qlaunch %s: no JSON in its output' % args[0])
        return docs[-1]

    def lookup(self, args, missing):
        """json(args), or None when the error says the object is missing
        (any other error, such as another user's VM, is raised)."""
        try:
            return self.json(args)
        except QlaunchError as e:
            if missing in str(e):
                return None
            raise

    def vm(self, name):
        return self.lookup(['info', name], "no VM named '%s'" % name)

    def network(self, name):
        return self.lookup(['net-info', name], "network %s does not exist" % name)


def json_docs(text):
    """Every JSON value in text, one after the other (progress events,
    then the result)."""
    dec = json.JSONDecoder()
    docs, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return docs
        try:
            doc, i = dec.raw_decode(text, i)
        except ValueError:
            # a line that is not JSON (a warning): skip it
            nl = text.find('\n', i)
            if nl < 0:
                return docs
            i = nl + 1
            continue
        docs.append(doc)


def definition_text(module):
    """The definition of the task: definition, or the file src on the
    managed host; None when neither is given."""
    p = module.params
    if p.get('definition') is not None:
        return p['definition']
    if p.get('src') is not None:
        try:
            with open(p['src']) as f:
                return f.read()
        except (IOError, OSError) as e:
            module.fail_json(msg='%s: %s' % (p['src'], e.strerror))
    return None


def _key_value(line):
    """(key, value) of a key line, None for a comment or a blank line."""
    s = line.strip()
    if not s or s.startswith('#') or ':' not in s:
        return None
    k, v = s.split(':', 1)
    return k.strip(), v.strip()


def name_of(text):
    """The value of the name line of a definition, or None."""
    for line in text.splitlines():
        kv = _key_value(line)
        if kv is not None and kv[0] == 'name':
            return kv[1]
    return None


def _props(value):
    """A value in key=val,key=val syntax (',,' a literal comma) as a list
    of (key, val); a part without '=' has the key ''."""
    parts, cur, i = [], '', 0
    while i < len(value):
        if value[i] == ',':
            if value[i + 1:i + 2] == ',':
                cur += ',,'
                i += 2
                continue
            parts.append(cur)
            cur = ''
        else:
            cur += value[i]
        i += 1
    parts.append(cur)
    out = []
    for p in parts:
        k, eq, v = p.partition('=')
        out.append((k, v) if eq else ('', p))
    return out


def _line_matches(want, stored, filled):
    """A stored line is the wanted one, or the wanted one with only the
    properties the supervisor fills in (filled: key -> property names)
    added to it."""
    if want.rstrip() == stored.rstrip():
        return True
    w, s = _key_value(want), _key_value(stored)
    if w is None or s is None or w[0] != s[0] or w[0] not in filled:
        return False
    rest = _props(s[1])
    for p in _props(w[1]):
        if p not in rest:
            return False
        rest.remove(p)
    return all(k in filled[w[0]] for k, _ in rest)


def same_definition(want, stored, added, filled):
    """Whether the supervisor stored want as stored, given what it adds
    to a definition: added, the keys whose line it appends when the text
    has none (uuid); filled, per key the properties it fills in (a NIC's
    mac).  Comments and layout count: the text is stored as written."""
    want_keys = set()
    for line in want.splitlines():
        kv = _key_value(line)
        if kv is not None:
            want_keys.add(kv[0])
    w = [ln for ln in want.rstrip('\n').split('\n')]
    s = []
    for line in stored.rstrip('\n').split('\n'):
        kv = _key_value(line)
        if kv is not None and kv[0] in added and kv[0] not in want_keys:
            continue
        s.append(line)
    if len(w) != len(s):
        return False
    return all(_line_matches(a, b, filled) for a, b in zip(w, s))


def as_stored(want, stored, added):
    """The text the supervisor will store for want, for the diff: want,
    with the lines of added that the stored text has and want lacks (a
    redefinition keeps the VM's uuid)."""
    text = want if want.endswith('\n') else want + '\n'
    have = set(kv[0] for kv in map(_key_value, want.splitlines()) if kv)
    for line in (stored or '').splitlines():
        kv = _key_value(line)
        if kv is not None and kv[0] in added and kv[0] not in have:
            text += line.strip() + '\n'
    return text


def carry_filled(want, stored, filled):
    """want, each of its lines of a key in filled replaced by the stored
    line that is the same with the supervisor's properties filled in, so
    that a redefinition keeps a NIC's MAC and a disk's image."""
    pool = []
    for line in (stored or '').splitlines():
        kv = _key_value(line)
        if kv is not None and kv[0] in filled:
            pool.append(line)
    out = []
    for line in want.rstrip('\n').split('\n'):
        kv = _key_value(line)
        if kv is not None and kv[0] in filled:
            for i, s in enumerate(pool):
                if _line_matches(line, s, filled):
                    line = s
                    del pool[i]
                    break
        out.append(line)
    return '\n'.join(out) + '\n'
