#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: qlaunch_migrate
short_description: Move a qlaunch VM to another host's supervisor
description:
  - Runs C(qlaunch migrate NAME DEST) on the managed host (the source; use
    C(delegate_to) to pick it), live by default, or C(--offline) for a
    shut off VM. DEST is an C(ssh://) URI as qlaunch(1) takes it; the
    client runs ssh(1) as the remote user of the play, with that user's
    keys and known hosts, to C(qlaunch proxy) on the destination host.
  - Idempotent. The destination is asked first (C(qlaunch -c DEST info
    NAME)); when the VM is there (running or paused for a live migration,
    defined for an offline one) and no longer here (or, with
    I(keep_source), kept here shut off), nothing is done. A VM that is
    neither here nor there is an error.
  - On failure the supervisors undo everything (the guest runs on here);
    the error is qlaunch's one line.
  - Supports check mode.
options:
  name:
    description: The VM.
    type: str
    required: true
  dest:
    description:
      - The destination supervisor, C(ssh://[USER@]HOST[:PORT][/?keyfile=K&socket=S&command=C]),
        or C(unix:SOCKET) for a second supervisor on the same host.
    type: str
    required: true
  live:
    description: Move a running (or paused) guest while it runs; false needs I(offline).
    type: bool
    default: true
  offline:
    description: Move a shut off VM's definition (and with I(copy_storage) its disks).
    type: bool
    default: false
  copy_storage:
    description: Copy the disk images too (the hosts share no image directory).
    type: bool
    default: false
  keep_source:
    description: Keep the VM defined here, shut off.
    type: bool
    default: false
  bandwidth:
    description: The stream's cap in MiB/s (default none).
    type: int
  listen_address:
    description: The address the source's QEMU reaches the destination at.
    type: str
  timeout:
    description: Give up (cancel) after this many seconds.
    type: int
  extra_args:
    description: More options of C(qlaunch migrate), such as C([--multifd, '2']).
    type: list
    elements: str
    default: []
extends_documentation_fragment: qlaunch.vm.qlaunch
author: qlaunch
'''

EXAMPLES = r'''
- name: web1 from host1 to host2, live
  qlaunch.vm.qlaunch_migrate:
    name: web1
    dest: ssh://root@host2/
    copy_storage: true
  delegate_to: host1
'''

RETURN = r'''
migration:
  description: What C(qlaunch migrate --json) returned (times, bytes, downtime).
  returned: when the VM moved
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

UP = ('running', 'paused', 'starting')


def dest_socket(dest):
    """What -c takes for the destination."""
    return dest[len('unix:'):] if dest.startswith('unix:') else dest


def already_there(p, src, dst):
    """The VM has moved: at the destination, and not here (or kept
    here shut off, with keep_source)."""
    if dst is None:
        return False
    if not p['offline'] and dst['state'] not in UP:
        return False
    if src is None:
        return True
    if not p['keep_source'] or src['state'] in UP:
        return False
    return src.get('uuid') == dst.get('uuid')


def migrate_args(p):
    a = ['migrate', p['name'], p['dest']]
    if p['offline']:
        a.append('--offline')
    elif p['live']:
        a.append('--live')
    for flag in ('copy_storage', 'keep_source'):
        if p[flag]:
            a.append('--' + flag.replace('_', '-'))
    for opt in ('bandwidth', 'listen_address', 'timeout'):
        if p[opt] is not None:
            a += ['--' + opt.replace('_', '-'), str(p[opt])]
    return a + list(p['extra_args'])


def main():
    args = dict(
        name=dict(type='str', required=True),
        dest=dict(type='str', required=True),
        live=dict(type='bool', default=True),
        offline=dict(type='bool', default=False),
        copy_storage=dict(type='bool', default=False),
        keep_source=dict(type='bool', default=False),
        bandwidth=dict(type='int'),
        listen_address=dict(type='str'),
        timeout=dict(type='int'),
        extra_args=dict(type='list', elements='str', default=[]),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    p = module.params
    if not p['live'] and not p['offline']:
        module.fail_json(msg='live: false needs offline: true')
    q = Qlaunch(module)
    qd = Qlaunch(module, socket=dest_socket(p['dest']))
    try:
        src = q.vm(p['name'])
        dst = qd.vm(p['name'])
    except QlaunchError as e:
        module.fail_json(msg=str(e), actions=[])
    if src is None and dst is None:
        module.fail_json(msg="no VM named '%s' here or at %s"
                         % (p['name'], p['dest']), actions=[])
    if already_there(p, src, dst):
        module.exit_json(changed=False, actions=[], vm=dst)
    if src is None:
        module.fail_json(msg="no VM named '%s' here, and the one at %s is %s"
                         % (p['name'], p['dest'], dst['state']), actions=[])
    a = migrate_args(p)
    result = dict(changed=True, actions=[' '.join(a)])
    if module.check_mode:
        module.exit_json(**result)
    try:
        result['migration'] = q.json(a)
        result['vm'] = qd.vm(p['name'])
    except QlaunchError as e:
        module.fail_json(msg=str(e), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
