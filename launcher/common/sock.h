/* UNIX sockets: connecting, the peer's pid, the default control socket. */
#ifndef LAUNCHER_SOCK_H
#define LAUNCHER_SOCK_H

#include <stddef.h>
#include <sys/types.h>

/* The pid at the other end of a UNIX socket, or -1. */
pid_t	 socket_peer_pid(int fd);
/*
 * A blocking connection to a UNIX stream socket; -1 with errno set
 * (ENAMETOOLONG when path does not fit in sun_path).
 */
int	 unix_connect(const char *path);
/*
 * The control socket a client uses when told nothing: $QLAUNCH_SOCKET,
 * else /run/qlaunch/qlaunchd.sock for root, $XDG_RUNTIME_DIR/qlaunch/
 * qlaunchd.sock (or /tmp/qlaunch-UID/qlaunchd.sock) for other users.
 * qlaunchd's own default is the same path without $QLAUNCH_SOCKET.
 */
int	 default_socket(char *buf, size_t len, int use_env);

#endif
