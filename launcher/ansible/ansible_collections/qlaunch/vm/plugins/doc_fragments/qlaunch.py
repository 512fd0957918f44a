# -*- coding: utf-8 -*-
# The options every qlaunch.vm module takes (module_utils' COMMON_ARGS).


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  socket:
    description:
      - The supervisor's control socket, or an C(ssh://) URI (qlaunch's
        C(-c)); default QLAUNCH_SOCKET or the user's default socket. The
        supervisor is never started by the module.
    type: str
  qlaunch:
    description: The qlaunch program on the managed host.
    type: str
    default: qlaunch
'''
