/*
 * A control connection read with recvmsg, so that a client can pass a
 * descriptor (SCM_RIGHTS) with a request: the bytes go to the
 * bufferevent's input as its own reading would put them, and at most
 * one descriptor waits aside until a request takes it or the
 * connection drops it (control.c does after each request).
 */
#ifndef LAUNCHER_CTLFD_H
#define LAUNCHER_CTLFD_H

struct bufferevent;
struct event_base;
struct ctlfd;

/*
 * Read bev's socket (bev itself must not read): on_read after new bytes,
 * on_event with BEV_EVENT_EOF or BEV_EVENT_ERROR at the end.
 */
struct ctlfd	*ctlfd_new(struct event_base *, struct bufferevent *bev,
		    void (*on_read)(struct bufferevent *, void *),
		    void (*on_event)(struct bufferevent *, short, void *),
		    void *arg);
/* No more reading (the descriptor waiting, if any, is closed). */
void		 ctlfd_free(struct ctlfd *);
/* The descriptor waiting, now the caller's; -1 when none. */
int		 ctlfd_take(struct ctlfd *);
/* The descriptor waiting, if any, is closed. */
void		 ctlfd_drop(struct ctlfd *);

#endif
