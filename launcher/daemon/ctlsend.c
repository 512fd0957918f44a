/*
 * Sending a descriptor on a control connection (ctlsend.h): sendmsg with
 * SCM_RIGHTS on the bufferevent's socket, once its output is empty.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "ctlsend.h"

/* What bev holds to send, written now as far as the socket takes it. */
static int
drain(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	evutil_socket_t s = bufferevent_getfd(bev);

	int r = 0;

	/* a socket bufferevent freezes its output's start but for its writes */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0) {
		int n = evbuffer_write(out, s);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EAGAIN;
			r = -1;
			break;
		}
	}
	evbuffer_freeze(out, 1);
	return r;
}

int
ctlsend_fd(struct bufferevent *bev, const char *buf, size_t len, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	ssize_t n;

	if (len == 0 || fd < 0) {
		errno = EINVAL;
		return -1;
	}
	if (drain(bev) == -1)
		return -1;
	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	while ((n = sendmsg(bufferevent_getfd(bev), &mh,
	    MSG_NOSIGNAL | MSG_DONTWAIT)) == -1 && errno == EINTR)
		;
	if (n <= 0) {
		if (n == 0)
			errno = EAGAIN;
		return -1;
	}
	/*
	 * The descriptor went with the first bytes; the rest follows in
	 * order (were memory to run out here, the stream is cut short, as
	 * any reply of control.c's would be).
	 */
	if ((size_t)n < len)
		(void)bufferevent_write(bev, buf + n, len - (size_t)n);
	return 0;
}
