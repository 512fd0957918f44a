/*
 * The control socket: newline-delimited JSON shaped like QMP.
 *
 *   -> {"id": 1, "execute": "start", "arguments": {"name": "web1"}}
 *   <- {"id": 1, "return": {...}}
 *   <- {"id": 1, "error": {"class": "NotFound", "desc": "..."}}
 *   <- {"event": "VM_STATE", "vm": "web1", "data": {...}}   (subscribed)
 *
 * Peers are identified with SO_PEERCRED.  A connection subscribes to
 * any number of VMs, or to all; subscriptions follow a renamed VM.
 */
#ifndef LAUNCHER_CONTROL_H
#define LAUNCHER_CONTROL_H

#include <stddef.h>

struct daemon;

int	 control_listen(struct daemon *, const char *path, char *err,
	    size_t errlen);
/* A listening socket given (systemd's, which stays at its path). */
void	 control_listen_fd(struct daemon *, int fd, int activated);
void	 control_close(struct daemon *);

#endif
