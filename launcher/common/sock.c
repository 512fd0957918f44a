/* UNIX sockets: connecting, the peer's pid, the default control socket. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "xalloc.h"

pid_t
socket_peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	return cred.pid;
}

int
unix_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
default_socket(char *buf, size_t len, int use_env)
{
	const char *env = use_env ? getenv("QLAUNCH_SOCKET") : NULL;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	size_t n;

	if (env != NULL && *env != '\0')
		n = strlcpy(buf, env, len);
	else if (geteuid() == 0)
		n = strlcpy(buf, "/run/qlaunch/qlaunchd.sock", len);
	else if (xdg != NULL && *xdg == '/')
		n = (size_t)snprintf(buf, len, "%s/qlaunch/qlaunchd.sock", xdg);
	else
		n = (size_t)snprintf(buf, len, "/tmp/qlaunch-%lu/qlaunchd.sock",
		    (unsigned long)geteuid());
	return n < len ? 0 : -1;
}
