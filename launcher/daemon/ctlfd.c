/*
 * Reading a control connection with recvmsg (ctlfd.h).  Descriptors
 * beyond the one that may wait are closed at once, and so is one that
 * comes while another waits: a client gets no more than one aside.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "ctlfd.h"
#include "xalloc.h"

#define CTLFD_READ	65536
#define CTLFD_MAX	8	/* descriptors looked at in one message */

struct ctlfd {
	struct bufferevent	*bev;
	struct event		*ev;
	int			 fd;	/* waiting, or -1 */
	void			(*on_read)(struct bufferevent *, void *);
	void			(*on_event)(struct bufferevent *, short, void *);
	void			*arg;
};

static void
keep(struct ctlfd *c, int fd)
{
	if (c->fd == -1)
		c->fd = fd;
	else
		close(fd);
}

static void
got_fds(struct ctlfd *c, struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL;
	    cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			keep(c, fd);
		}
	}
}

static void
ctlfd_read(evutil_socket_t fd, short what, void *arg)
{
	struct ctlfd *c = arg;
	char buf[CTLFD_READ];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(CTLFD_MAX * sizeof(int))];
	} u;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };

	(void)what;
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && mh.msg_controllen > 0)
		got_fds(c, &mh);
	if (n <= 0) {
		event_del(c->ev);
		c->on_event(c->bev, n == 0 ? BEV_EVENT_EOF | BEV_EVENT_READING :
		    BEV_EVENT_ERROR | BEV_EVENT_READING, c->arg);
		return;
	}
	/* a socket bufferevent freezes its input's end but for its reads */
	struct evbuffer *in = bufferevent_get_input(c->bev);
	evbuffer_unfreeze(in, 0);
	int r = evbuffer_add(in, buf, (size_t)n);
	evbuffer_freeze(in, 0);
	if (r == -1) {
		event_del(c->ev);
		c->on_event(c->bev, BEV_EVENT_ERROR | BEV_EVENT_READING, c->arg);
		return;
	}
	c->on_read(c->bev, c->arg);
}

struct ctlfd *
ctlfd_new(struct event_base *base, struct bufferevent *bev,
    void (*on_read)(struct bufferevent *, void *),
    void (*on_event)(struct bufferevent *, short, void *), void *arg)
{
	struct ctlfd *c = xcalloc(1, sizeof(*c));

	c->bev = bev;
	c->fd = -1;
	c->on_read = on_read;
	c->on_event = on_event;
	c->arg = arg;
	c->ev = event_new(base, bufferevent_getfd(bev), EV_READ | EV_PERSIST,
	    ctlfd_read, c);
	if (c->ev == NULL || event_add(c->ev, NULL) == -1) {
		if (c->ev != NULL)
			event_free(c->ev);
		free(c);
		return NULL;
	}
	return c;
}

void
ctlfd_free(struct ctlfd *c)
{
	if (c == NULL)
		return;
	event_free(c->ev);
	ctlfd_drop(c);
	free(c);
}

int
ctlfd_take(struct ctlfd *c)
{
	int fd = c->fd;

	c->fd = -1;
	return fd;
}

void
ctlfd_drop(struct ctlfd *c)
{
	if (c != NULL && c->fd != -1)
		close(c->fd);
	if (c != NULL)
		c->fd = -1;
}
