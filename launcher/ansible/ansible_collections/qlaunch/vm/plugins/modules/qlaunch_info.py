#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: qlaunch_info
short_description: What qlaunchd runs and knows
description:
  - Reads, never changes. The VMs (C(qlaunch list --all --json)), the
    networks (C(qlaunch net-list --all --json)) and, given a name, that
    VM (C(qlaunch info NAME --json)), through C(qlaunch) on the managed
    host.
  - A user who is not root sees only its own VMs, as with the CLI.
options:
  name:
    description: A VM to return in I(vm); an error when there is none of that name.
    type: str
extends_documentation_fragment: qlaunch.vm.qlaunch
author: qlaunch
'''

EXAMPLES = r'''
- qlaunch.vm.qlaunch_info:
  register: fleet
- debug:
    msg: "{{ fleet.vms | selectattr('state', 'eq', 'running') | map(attribute='name') | list }}"
'''

RETURN = r'''
vms:
  description: Every VM the user may see, as C(qlaunch list --all --json) gives them.
  returned: always
  type: list
  elements: dict
networks:
  description: Every network, as C(qlaunch net-list --all --json) gives them.
  returned: always
  type: list
  elements: dict
vm:
  description: C(qlaunch info NAME --json), when I(name) is given.
  returned: when name is given
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.qlaunch.vm.plugins.module_utils.qlaunch import (
    COMMON_ARGS, Qlaunch, QlaunchError)


def main():
    args = dict(name=dict(type='str'))
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    q = Qlaunch(module)
    result = dict(changed=False)
    try:
        result['vms'] = q.json(['list', '--all'])
        result['networks'] = q.json(['net-list', '--all'])
        if module.params['name'] is not None:
            result['vm'] = q.json(['info', module.params['name']])
    except QlaunchError as e:
        module.fail_json(msg=str(e))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
