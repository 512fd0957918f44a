#!/usr/bin/python3
# The Ansible collection's shared helper (module_utils/qlaunch.py) without
# Ansible or a supervisor: a definition compared with the one stored
# (what define fills in allowed, nothing else), the text a redefinition
# sends (MACs and images kept), the diff's text, several JSON documents
# in one output.  Prints cmocka-style lines for tests/run-tests.sh.
import os
import sys

sys.dont_write_bytecode = True   # nothing written in the source tree
sys.path.insert(0, os.path.join('%SRCDIR%', 'launcher', 'ansible'))
from ansible_collections.qlaunch.vm.plugins.module_utils import qlaunch as u  # noqa: E402

VM_ADDED = ('uuid', 'owner')
VM_FILLED = {'network': ('mac',), 'disk': ('', 'path', 'format')}
WANT = ('name: a\nmemory: 256\n# web\nnetwork: user,model=virtio\n'
        'disk: size=1\n')
STORED = ('name: a\nmemory: 256\n# web\n'
          'network: user,model=virtio,mac=52:54:00:01:02:03\n'
          'disk: /s/images/a-vda.qcow2,format=qcow2,size=1\n'
          'uuid: 265fd8fe-4904-4132-bff4-c8fb5a0cfb35\nowner: bob\n')


def same(want, stored=STORED):
    return u.same_definition(want, stored, VM_ADDED, VM_FILLED)


def t_same_as_stored():
    assert same(WANT)
    assert same(WANT.rstrip('\n'))             # no final newline
    assert same(WANT + 'uuid: 265fd8fe-4904-4132-bff4-c8fb5a0cfb35\n')


def t_changes_seen():
    assert not same(WANT.replace('256', '300'))
    assert not same(WANT.replace('# web', '# db'))        # comments count
    assert not same(WANT + 'vcpus: 2\n')
    assert not same(WANT.replace(',model=virtio', ''))    # a property gone
    assert not same(WANT.replace('user,', 'user,mac=52:54:00:09:09:09,'))
    assert not same(WANT + 'uuid: 00000000-0000-0000-0000-000000000001\n')
    # a stored line of a key that is not filled in is not excused
    assert not u.same_definition('name: a\n', 'name: a\nmemory: 1\n',
                                 VM_ADDED, VM_FILLED)


def t_network_lines():
    want = 'name: lab\naddress: 10.77.0.1/24\nforward: none\n'
    stored = want + 'uuid: ab03\nbridge: virbr0\n'
    assert u.same_definition(want, stored, ('uuid', 'bridge'), {})
    assert not u.same_definition(want + 'bridge: br9\n', stored,
                                 ('uuid', 'bridge'), {})


def t_redefinition_keeps_filled():
    sent = u.carry_filled(WANT.replace('256', '300'), STORED, VM_FILLED)
    assert 'mac=52:54:00:01:02:03' in sent, sent
    assert 'disk: /s/images/a-vda.qcow2,format=qcow2,size=1' in sent, sent
    assert 'memory: 300' in sent
    # a changed NIC line is sent as written: its MAC comes anew
    sent = u.carry_filled(WANT.replace('virtio', 'e1000'), STORED, VM_FILLED)
    assert 'network: user,model=e1000\n' in sent, sent


def t_diff_text():
    after = u.as_stored('name: a\nmemory: 300', STORED, VM_ADDED)
    assert after == ('name: a\nmemory: 300\n'
                     'uuid: 265fd8fe-4904-4132-bff4-c8fb5a0cfb35\n'
                     'owner: bob\n'), after
    assert u.as_stored('name: a\n', None, VM_ADDED) == 'name: a\n'


def t_props():
    assert u._props('a,,b,c=d') == [('', 'a,,b'), ('c', 'd')]
    assert u.name_of('# x\n name : web1\nmemory: 1\n') == 'web1'
    assert u.name_of('memory: 1\n') is None


def t_json_docs():
    text = '{"event": 1}\nwarning: slow\n{"event": 2}\n[\n  1\n]\n'
    assert u.json_docs(text) == [{'event': 1}, {'event': 2}, [1]]
    assert u.json_docs('') == []


TESTS = [t_same_as_stored, t_changes_seen, t_network_lines,
         t_redefinition_keeps_filled, t_diff_text, t_props, t_json_docs]


def main():
    failed = []
    print('[==========] Running %d test(s).' % len(TESTS))
    for t in TESTS:
        print('[ RUN      ] %s' % t.__name__)
        try:
            t()
            print('[       OK ] %s' % t.__name__)
        except AssertionError as e:
            print('[  FAILED  ] %s: %r' % (t.__name__, e))
            failed.append(t.__name__)
    print('[==========] %d test(s) run.' % len(TESTS))
    print('[  PASSED  ] %d test(s).' % (len(TESTS) - len(failed)))
    if failed:
        print('[  FAILED  ] %d test(s), listed above.' % len(failed))
        sys.exit(1)


main()
