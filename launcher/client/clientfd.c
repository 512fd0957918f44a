/* Descriptors with the supervisor's replies (clientfd.h). */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "clientfd.h"

#define CLIENTFD_MAX	8	/* descriptors looked at in one read */

static void
keep(int *fdp, int fd)
{
	if (*fdp != -1)
		close(*fdp);
	*fdp = fd;
}

ssize_t
clientfd_read(int sock, void *buf, size_t len, int *fdp)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(CLIENTFD_MAX * sizeof(int))];
	} u;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };

	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n == -1 && errno == ENOTSOCK)
		return read(sock, buf, len);
	if (n <= 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL;
	    cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			keep(fdp, fd);
		}
	}
	return n;
}

int
client_take_fd(struct client_conn *c)
{
	int fd = c->recv_fd;

	c->recv_fd = -1;
	return fd;
}
