/*
 * systemd's two protocols, without libsystemd: readiness (sd_notify's
 * datagram to $NOTIFY_SOCKET) and socket activation ($LISTEN_PID,
 * $LISTEN_FDS, the listening socket as descriptor 3).
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <stddef.h>

#define SD_LISTEN_FDS_START	3

/* Send msg ("READY=1", "STOPPING=1") to $NOTIFY_SOCKET: 1 sent, 0 when
 * there is no such socket, -1 with err. */
int	 sdnotify_send(const char *msg, char *err, size_t errlen);
/* The control socket systemd passed for path: 1 with *fd (made
 * non-blocking, close-on-exec; the variables unset), 0 when none was
 * passed to this process, -1 with err when what was passed is not a
 * listening UNIX stream socket bound to path. */
int	 sdlisten_take(const char *path, int *fd, char *err, size_t errlen);

#endif
