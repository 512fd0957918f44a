#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: qlaunch_vm
short_description: A qlaunch VM defined, running, stopped or gone
description:
  - Brings a VM of qlaunchd(8) to a state, through C(qlaunch) on the
    managed host, as virsh(1) verbs would.
  - The definition is the plain text of qlaunch.conf(5). It is compared
    with the one the supervisor stored (C(qlaunch dumpconfig)), allowing
    for what the supervisor adds at define time (a C(uuid) line, an
    C(owner) line for a VM of a user who is not root, a NIC's C(mac=),
    a new disk's path and format); the VM is redefined only when they
    differ. A running VM that is redefined runs on as it was started and
    takes the new definition at its next start (a warning says so).
  - A redefinition keeps what the supervisor filled in on a line that
    did not change otherwise (a NIC's MAC, a disk's image).
  - When a step after a redefinition fails, the previous definition is
    restored (a new VM is undefined again).
  - Supports check mode and diff mode (the stored definition before and
    after).
options:
  name:
    description: The VM's name; the definition's name line must say the same.
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
      - C(present) defined (with the given definition, when one is given);
        C(running) defined and running (started, or resumed when paused);
        C(stopped) defined and shut off; C(absent) destroyed if running,
        and undefined.
    type: str
    choices: [present, running, stopped, absent]
    default: present
  stop_mode:
    description:
      - How C(stopped) and C(absent) stop a running VM. C(shutdown) presses
        the ACPI power button and waits I(shutdown_timeout) seconds, then
        destroys it (C(qlaunch shutdown --wait --force)); C(destroy) stops
        QEMU at once.
    type: str
    choices: [shutdown, destroy]
    default: shutdown
  shutdown_timeout:
    description: Seconds a guest has to power off (1 to 86400).
    type: int
    default: 120
notes:
  - Runs as the remote user; a user who is not root sees and changes only
    its own VMs, as with the CLI.
extends_documentation_fragment: qlaunch.vm.qlaunch
author: qlaunch
'''

EXAMPLES = r'''
- name: web1 defined and running
  qlaunch.vm.qlaunch_vm:
    name: web1
    state: running
    definition: |
      name: web1
      memory: 1024
      vcpus: 2
      accel: auto
      disk: /var/lib/qlaunch/images/web1.qcow2
      network: default

- name: from a file on the host, shut off
  qlaunch.vm.qlaunch_vm:
    name: db1
    src: /etc/qlaunch/db1.conf
    state: stopped

- name: gone
  qlaunch.vm.qlaunch_vm:
    name: old1
    state: absent
    stop_mode: destroy
'''

RETURN = r'''
vm:
  description: C(qlaunch info NAME --json) after the task (absent when the VM is gone).
  returned: success
  type: dict
actions:
  description: The qlaunch commands the task ran (or would run in check mode).
  returned: always
  type: list
  elements: str
redefined:
  description: True when a running VM got a definition it takes at its next start.
  returned: success
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.qlaunch.vm.plugins.module_utils.qlaunch import (
    COMMON_ARGS, Qlaunch, QlaunchError, as_stored, carry_filled,
    definition_text, name_of, same_definition)

# What define adds to a VM's text: lines when missing, and properties
# filled in per key (qlaunch.conf(5): MACs, new disks' images).
ADDED = ('uuid', 'owner')
FILLED = {'network': ('mac',), 'disk': ('', 'path', 'format')}

# the states of info: those that count as running, and those with a QEMU
RUNNING = ('running', 'starting')
UP = ('running', 'starting', 'paused', 'shutting down')


def stop_args(p, name):
    if p['stop_mode'] == 'destroy':
        return ['destroy', name]
    return ['shutdown', name, '--wait=%d' % p['shutdown_timeout'], '--force']


def plan(p, vm, text, stored):
    """The qlaunch commands that bring the VM to the wanted state."""
    name, state = p['name'], p['state']
    cur = vm['state'] if vm else None
    steps = []
    if state == 'absent':
        if vm is None:
            return steps
        if cur in UP:
            steps.append(stop_args(p, name))
        steps.append(['undefine', name])
        return steps
    if text is not None and (stored is None or
                             not same_definition(text, stored, ADDED, FILLED)):
        steps.append(['define', '-'])
    if state == 'running':
        if cur == 'paused':
            steps.append(['resume', name])
        elif cur not in RUNNING and cur != 'shutting down':
            steps.append(['start', name])
    elif state == 'stopped' and cur in UP:
        steps.append(stop_args(p, name))
    return steps


def main():
    args = dict(
        name=dict(type='str', required=True),
        definition=dict(type='str'),
        src=dict(type='path'),
        state=dict(type='str', default='present',
                   choices=['present', 'running', 'stopped', 'absent']),
        stop_mode=dict(type='str', default='shutdown',
                       choices=['shutdown', 'destroy']),
        shutdown_timeout=dict(type='int', default=120),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args,
                           mutually_exclusive=[('definition', 'src')],
                           supports_check_mode=True)
    p = module.params
    name = p['name']
    if not 1 <= p['shutdown_timeout'] <= 86400:
        module.fail_json(msg='shutdown_timeout: %d is not 1 to 86400'
                         % p['shutdown_timeout'])
    q = Qlaunch(module)
    text = definition_text(module) if p['state'] != 'absent' else None
    if text is not None and name_of(text) != name:
        module.fail_json(msg="definition: its name is '%s', not '%s'"
                         % (name_of(text), name))
    try:
        vm = q.vm(name)
        stored = q.run(['dumpconfig', name]) if vm and text is not None else None
    except QlaunchError as e:
        module.fail_json(msg=str(e), actions=[])
    if vm is None and text is None and p['state'] != 'absent':
        module.fail_json(msg="no VM named '%s', and no definition or src to "
                         "define it" % name, actions=[])

    steps = plan(p, vm, text, stored)
    if text is not None and stored is not None:
        text = carry_filled(text, stored, FILLED)
    result = dict(changed=bool(steps), name=name,
                  actions=[' '.join(s) for s in steps], redefined=False)
    if module._diff:
        if p['state'] == 'absent':
            before = q.run(['dumpconfig', name]) if vm else ''
            after = ''
        else:
            before = stored if stored is not None else ''
            after = (as_stored(text, stored, ADDED)
                     if ['define', '-'] in steps else before)
        result['diff'] = dict(before=before, after=after,
                              before_header='%s (stored)' % name,
                              after_header='%s (wanted)' % name)
    if module.check_mode or not steps:
        result['vm'] = vm
        module.exit_json(**result)

    defined = False
    for i, s in enumerate(steps):
        try:
            q.run(s, data=text if s == ['define', '-'] else None)
        except QlaunchError as e:
            msg = str(e)
            # what stays changed: the steps before, but a define undone
            result['changed'] = i > (1 if defined else 0)
            if defined:
                undo = restore(q, name, stored)
                msg += undo
                if 'failed' in undo:
                    result['changed'] = True
            module.fail_json(msg=msg, **result)
        if s == ['define', '-']:
            defined = True
    if defined and vm is not None and vm['state'] in UP and p['state'] != 'stopped':
        result['redefined'] = True
        module.warn("VM %s runs on as it was started; the new definition "
                    "takes effect at its next start" % name)
    try:
        result['vm'] = q.vm(name) if p['state'] != 'absent' else None
    except QlaunchError as e:
        module.fail_json(msg=str(e), **result)
    module.exit_json(**result)


def restore(q, name, stored):
    """Undo a define after a later step failed; the words to add to the
    error."""
    try:
        if stored is None:
            q.run(['undefine', name])
            return ' (the new VM is undefined again)'
        q.run(['define', '-'], data=stored)
        return ' (the previous definition is restored)'
    except QlaunchError as e:
        return ' (and restoring the previous definition failed: %s)' % e


if __name__ == '__main__':
    main()
