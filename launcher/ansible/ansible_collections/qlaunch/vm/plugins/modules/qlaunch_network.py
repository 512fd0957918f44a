#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: qlaunch_network
short_description: A qlaunch network defined, active, inactive or gone
description:
  - Brings a network of qlaunchd(8) (a bridge with an address, dnsmasq,
    NAT) to a state through C(qlaunch net-*) on the managed host.
  - The definition is the text of qlaunch.conf(5), NETWORK DEFINITIONS.
    It is compared with the stored one (C(qlaunch net-dumpdef --json)),
    allowing for the C(uuid) and C(bridge) lines the supervisor adds when
    the text has none. An active network cannot be redefined, so it is
    destroyed, redefined and started again; when a step fails, the
    previous definition is restored and started again if it ran.
  - Changing networks is for root (or the supervisor's own user).
  - Supports check mode and diff mode.
options:
  name:
    description: The network's name; the definition's name line must say the same.
    type: str
    required: true
  definition:
    description: The definition's text.
    type: str
  src:
    description: A definition file on the managed host.
    type: path
  state:
    description:
      - C(present) defined; C(active) defined and started; C(inactive)
        defined and not started; C(absent) destroyed if active, and
        undefined.
    type: str
    choices: [present, active, inactive, absent]
    default: present
extends_documentation_fragment: qlaunch.vm.qlaunch
author: qlaunch
'''

EXAMPLES = r'''
- name: an isolated network for the lab, started
  qlaunch.vm.qlaunch_network:
    name: lab
    state: active
    definition: |
      name: lab
      address: 10.77.0.1/24
      forward: none
'''

RETURN = r'''
network:
  description: C(qlaunch net-info NAME --json) after the task (absent when undefined).
  returned: success
  type: dict
actions:
  description: The qlaunch commands the task ran (or would run in check mode).
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.qlaunch.vm.plugins.module_utils.qlaunch import (
    COMMON_ARGS, Qlaunch, QlaunchError, as_stored, definition_text, name_of,
    same_definition)

# What net-define adds to the text when it has none (qlaunch.conf(5)).
ADDED = ('uuid', 'bridge')


def plan(p, net, text, stored):
    name, state = p['name'], p['state']
    active = bool(net and net.get('active'))
    steps = []
    if state == 'absent':
        if net is None:
            return steps
        if active:
            steps.append(['net-destroy', name])
        if net.get('persistent', True):
            steps.append(['net-undefine', name])
        return steps
    redefine = text is not None and (
        stored is None or not same_definition(text, stored, ADDED, {}))
    if redefine:
        if active:
            steps.append(['net-destroy', name])
            active = False
        steps.append(['net-define', '/dev/stdin'])
    if state == 'active' or (state == 'present' and redefine and
                             net and net.get('active')):
        if not active:
            steps.append(['net-start', name])
    elif state == 'inactive' and active:
        steps.append(['net-destroy', name])
    return steps


def undo(q, name, net, stored, done):
    """Put the network back as it was after a failed step."""
    try:
        if ['net-define', '/dev/stdin'] in done:
            if q.network(name) and q.network(name).get('active'):
                q.run(['net-destroy', name])
            if stored is None:
                q.run(['net-undefine', name])
            else:
                q.run(['net-define', '/dev/stdin'], data=stored)
        if net is not None and net.get('active'):
            cur = q.network(name)
            if cur is not None and not cur.get('active'):
                q.run(['net-start', name])
        elif net is not None and not net.get('active'):
            cur = q.network(name)
            if cur is not None and cur.get('active'):
                q.run(['net-destroy', name])
        return ' (the network is as it was)'
    except QlaunchError as e:
        return ' (and putting the network back failed: %s)' % e


def main():
    args = dict(
        name=dict(type='str', required=True),
        definition=dict(type='str'),
        src=dict(type='path'),
        state=dict(type='str', default='present',
                   choices=['present', 'active', 'inactive', 'absent']),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args,
                           mutually_exclusive=[('definition', 'src')],
                           supports_check_mode=True)
    p = module.params
    name = p['name']
    q = Qlaunch(module)
    text = definition_text(module) if p['state'] != 'absent' else None
    if text is not None and name_of(text) != name:
        module.fail_json(msg="definition: its name is '%s', not '%s'"
                         % (name_of(text), name))
    try:
        net = q.network(name)
        stored = (q.json(['net-dumpdef', name])['text']
                  if net is not None and net.get('persistent', True) else None)
    except QlaunchError as e:
        module.fail_json(msg=str(e), actions=[])
    if net is None and text is None and p['state'] != 'absent':
        module.fail_json(msg="network %s does not exist, and no definition "
                         "or src defines it" % name, actions=[])

    steps = plan(p, net, text, stored)
    result = dict(changed=bool(steps), name=name,
                  actions=[' '.join(s) for s in steps])
    if module._diff:
        before = stored or ''
        if p['state'] == 'absent':
            after = ''
        elif ['net-define', '/dev/stdin'] in steps:
            after = as_stored(text, stored, ADDED)
        else:
            after = before
        result['diff'] = dict(before=before, after=after,
                              before_header='%s (stored)' % name,
                              after_header='%s (wanted)' % name)
    if module.check_mode or not steps:
        result['network'] = net
        module.exit_json(**result)

    done = []
    for s in steps:
        try:
            q.run(s, data=text if s[0] == 'net-define' else None)
        except QlaunchError as e:
            back = undo(q, name, net, stored, done)
            result['changed'] = 'failed' in back
            module.fail_json(msg=str(e) + back, **result)
        done.append(s)
    try:
        result['network'] = q.network(name) if p['state'] != 'absent' else None
    except QlaunchError as e:
        module.fail_json(msg=str(e), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
