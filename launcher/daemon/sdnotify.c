/*
 * Readiness and socket activation as systemd speaks them (sd_notify(3),
 * sd_listen_fds(3)): a few lines each, so no libsystemd.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

int
sdnotify_send(const char *msg, char *err, size_t errlen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;

	if (path == NULL || *path == '\0')
		return 0;
	if (path[0] != '/' && path[0] != '@') {
		snprintf(err, errlen, "NOTIFY_SOCKET=%s: not a UNIX socket "
		    "path", path);
		return -1;
	}
	size_t len = strlen(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (len >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "NOTIFY_SOCKET: path too long");
		return -1;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract namespace */
	socklen_t slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (path[0] == '/'));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s",
		    strerror(errno));
		return -1;
	}
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
	struct msghdr mh = {
		.msg_name = &sun, .msg_namelen = slen,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	int e = errno;
	close(fd);
	if (n == -1) {
		snprintf(err, errlen, "NOTIFY_SOCKET %s: %s", path, strerror(e));
		return -1;
	}
	return 1;
}

static void
listen_unsetenv(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

int
sdlisten_take(const char *path, int *fdp, char *err, size_t errlen)
{
	const char *spid = getenv("LISTEN_PID"), *sfds = getenv("LISTEN_FDS");
	const char *e = NULL;

	if (spid == NULL || sfds == NULL)
		return 0;
	long long pid = strtonum(spid, 1, 0x7fffffff, &e);
	if (e != NULL || pid != (long long)getpid())
		return 0;	/* meant for another process */
	long long nfds = strtonum(sfds, 0, 64, &e);
	listen_unsetenv();
	if (e != NULL) {
		snprintf(err, errlen, "LISTEN_FDS=%s: %s", sfds, e);
		return -1;
	}
	if (nfds == 0)
		return 0;
	if (nfds != 1) {
		snprintf(err, errlen, "socket activation: %lld sockets passed, "
		    "expected the control socket only", nfds);
		return -1;
	}
	int fd = SD_LISTEN_FDS_START;
	struct stat st;
	int type = 0, domain = 0, acc = 0;
	socklen_t ol = sizeof(int);
	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "socket activation: descriptor %d is not "
		    "a socket", fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &ol) == -1 ||
	    (ol = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_TYPE, &type,
	    &ol)) == -1 || (ol = sizeof(int), getsockopt(fd, SOL_SOCKET,
	    SO_ACCEPTCONN, &acc, &ol)) == -1 || domain != AF_UNIX ||
	    type != SOCK_STREAM || !acc) {
		snprintf(err, errlen, "socket activation: descriptor %d is not "
		    "a listening UNIX stream socket", fd);
		return -1;
	}
	struct sockaddr_un sun;
	socklen_t sl = sizeof(sun);
	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &sl) == -1 ||
	    sl <= offsetof(struct sockaddr_un, sun_path) ||
	    strncmp(sun.sun_path, path, sizeof(sun.sun_path)) != 0) {
		snprintf(err, errlen, "socket activation: the socket passed is "
		    "bound to '%.*s', not %s", (int)sizeof(sun.sun_path),
		    sun.sun_path, path);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "socket activation: fcntl: %s",
		    strerror(errno));
		return -1;
	}
	*fdp = fd;
	return 1;
}
