#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: qlaunch_snapshot
short_description: A snapshot of a qlaunch VM taken or deleted
description:
  - Takes a snapshot (C(qlaunch snapshot-create-as)) when the VM has none
    of that name, or deletes it (C(qlaunch snapshot-delete)), through
    C(qlaunch) on the managed host. An existing snapshot is left as it
    is, whatever its description.
  - Supports check mode.
options:
  name:
    description: The VM.
    type: str
    required: true
  snapshot:
    description: The snapshot's name.
    type: str
    required: true
  state:
    description: C(present) taken; C(absent) deleted.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: The new snapshot's description.
    type: str
  disk_only:
    description: An external, disk-only snapshot (qcow2 overlays).
    type: bool
    default: false
extends_documentation_fragment: qlaunch.vm.qlaunch
author: qlaunch
'''

EXAMPLES = r'''
- name: before the upgrade
  qlaunch.vm.qlaunch_snapshot:
    name: web1
    snapshot: pre-upgrade
    description: before apt full-upgrade
'''

RETURN = r'''
snapshot:
  description: C(qlaunch snapshot-info NAME SNAPSHOT --json) after the task.
  returned: when state is present
  type: dict
actions:
  description: The qlaunch commands the task ran (or would run in check mode).
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.qlaunch.vm.plugins.module_utils.qlaunch import (
    COMMON_ARGS, Qlaunch, QlaunchError)


def main():
    args = dict(
        name=dict(type='str', required=True),
        snapshot=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        description=dict(type='str'),
        disk_only=dict(type='bool', default=False),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    p = module.params
    name, snap = p['name'], p['snapshot']
    q = Qlaunch(module)
    info = ['snapshot-info', name, snap]
    missing = "VM '%s' has no snapshot named '%s'" % (name, snap)
    try:
        have = q.lookup(info, missing)
    except QlaunchError as e:
        module.fail_json(msg=str(e), actions=[])
    steps = []
    if p['state'] == 'present' and have is None:
        a = ['snapshot-create-as', name, snap]
        if p['description'] is not None:
            a += ['--description', p['description']]
        if p['disk_only']:
            a.append('--disk-only')
        steps.append(a)
    elif p['state'] == 'absent' and have is not None:
        steps.append(['snapshot-delete', name, snap])
    result = dict(changed=bool(steps), actions=[' '.join(s) for s in steps])
    if module.check_mode or not steps:
        result['snapshot'] = have
        module.exit_json(**result)
    try:
        q.run(steps[0])
        result['snapshot'] = q.lookup(info, missing)
    except QlaunchError as e:
        result['changed'] = False
        module.fail_json(msg=str(e), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
