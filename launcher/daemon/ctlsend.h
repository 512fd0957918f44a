/*
 * A descriptor sent on a control connection (SCM_RIGHTS), beside the
 * first byte of a message: the other direction of ctlfd.h.  Whatever the
 * connection's bufferevent still holds to send goes first, so the
 * message keeps its place in the stream; when that cannot all go now
 * (a client that does not read), nothing is sent and the caller answers
 * with an error instead.
 */
#ifndef LAUNCHER_CTLSEND_H
#define LAUNCHER_CTLSEND_H

#include <stddef.h>

struct bufferevent;

/*
 * Send len bytes of buf on bev's socket with fd beside them; fd stays
 * the caller's.  0, or -1 with errno (EAGAIN: the output waiting did not
 * drain) and nothing of buf sent.  A part of buf the socket did not take
 * at once waits in bev's output.
 */
int	 ctlsend_fd(struct bufferevent *bev, const char *buf, size_t len,
	    int fd);

#endif
