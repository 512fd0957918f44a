/*
 * Synchronous helpers over the asynchronous client: a private event base,
 * a loop that runs until one reply arrives, and a log of every event so
 * that a caller can wait for one after the command that caused it.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "qmp.h"

struct qmp_ev {
	TAILQ_ENTRY(qmp_ev)	 entry;
	struct json_object	*msg;
	char			*name;
};

struct qmp_sync {
	struct event_base	*base;
	struct qmp		*q;
	TAILQ_HEAD(, qmp_ev)	 events;
	int			 ready;
	int			 closed;
	int			 expired;
	struct event		*timer;
	char			 reason[256];
	const char		*want;		/* event being waited for */
	int			*wantflag;
};

static void
sync_ready(void *arg, struct qmp *q)
{
	struct qmp_sync *s = arg;

	(void)q;
	s->ready = 1;
}

static void
sync_closed(void *arg, struct qmp *q, const char *reason)
{
	struct qmp_sync *s = arg;

	(void)q;
	s->closed = 1;
	strlcpy(s->reason, reason, sizeof(s->reason));
}

static void
sync_event(void *arg, const char *name, struct json_object *msg)
{
	struct qmp_sync *s = arg;
	struct qmp_ev *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	if ((e->name = strdup(name)) == NULL) {
		free(e);
		return;
	}
	e->msg = json_object_get(msg);
	TAILQ_INSERT_TAIL(&s->events, e, entry);
	if (s->wantflag != NULL && (s->want == NULL || strcmp(s->want, name) == 0))
		*s->wantflag = 1;
}

static void
sync_expire(evutil_socket_t fd, short what, void *arg)
{
	struct qmp_sync *s = arg;

	(void)fd;
	(void)what;
	s->expired = 1;
}

/*
 * Run the loop until *flag is set, the connection closes or timeout_ms
 * pass (0: no limit).  Returns *flag.
 */
static int
sync_run(struct qmp_sync *s, const int *flag, int timeout_ms)
{
	s->expired = 0;
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };
		evtimer_add(s->timer, &tv);
	}
	while (!*flag && !s->closed && !s->expired)
		if (event_base_loop(s->base, EVLOOP_ONCE) == 1)
			break;	/* nothing left that could set the flag */
	evtimer_del(s->timer);
	return *flag;
}

static struct qmp_sync *
sync_new(const struct qmp_options *opt, char *err, size_t errlen)
{
	static const struct qmp_callbacks cbs = { sync_ready, sync_closed };
	struct qmp_sync *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->base = event_base_new()) == NULL ||
	    (s->timer = evtimer_new(s->base, sync_expire, s)) == NULL ||
	    (s->q = qmp_new(s->base, opt, &cbs, s)) == NULL ||
	    qmp_subscribe(s->q, NULL, sync_event, s) == NULL) {
		snprintf(err, errlen, "out of memory");
		qmp_sync_close(s);
		return NULL;
	}
	TAILQ_INIT(&s->events);
	return s;
}

static struct qmp_sync *
sync_wait_ready(struct qmp_sync *s, int timeout_ms, char *err, size_t errlen)
{
	if (sync_run(s, &s->ready, timeout_ms))
		return s;
	snprintf(err, errlen, "%s", s->closed ? s->reason :
	    "QMP negotiation timed out");
	qmp_sync_close(s);
	return NULL;
}

struct qmp_sync *
qmp_sync_open(const char *path, int timeout_ms, const struct qmp_options *opt,
    char *err, size_t errlen)
{
	struct qmp_sync *s = sync_new(opt, err, errlen);

	if (s == NULL)
		return NULL;
	if (qmp_connect_unix(s->q, path, timeout_ms) == -1) {
		snprintf(err, errlen, "cannot connect to %s: bad path", path);
		qmp_sync_close(s);
		return NULL;
	}
	/* the connect deadline fails the connection itself; wait a bit longer */
	return sync_wait_ready(s, timeout_ms + 10000, err, errlen);
}

struct qmp_sync *
qmp_sync_attach(int fd, int timeout_ms, const struct qmp_options *opt,
    char *err, size_t errlen)
{
	struct qmp_sync *s = sync_new(opt, err, errlen);

	if (s == NULL)
		return NULL;
	if (qmp_attach_fd(s->q, fd) == -1) {
		snprintf(err, errlen, "cannot use file descriptor %d", fd);
		qmp_sync_close(s);
		return NULL;
	}
	return sync_wait_ready(s, timeout_ms, err, errlen);
}

void
qmp_sync_close(struct qmp_sync *s)
{
	struct qmp_ev *e;

	if (s == NULL)
		return;
	if (s->q != NULL)
		qmp_free(s->q);
	while ((e = TAILQ_FIRST(&s->events)) != NULL) {
		TAILQ_REMOVE(&s->events, e, entry);
		json_object_put(e->msg);
		free(e->name);
		free(e);
	}
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->base != NULL)
		event_base_free(s->base);
	free(s);
}

struct qmp *
qmp_sync_qmp(struct qmp_sync *s)
{
	return s->q;
}

struct event_base *
qmp_sync_base(struct qmp_sync *s)
{
	return s->base;
}

struct sync_call {
	int			 done;
	struct qmp_reply	*r;
};

static void
sync_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct sync_call *c = arg;

	if (ret != NULL)
		c->r->ret = json_object_get(ret);
	else {
		c->r->eclass = strdup(err->class);
		c->r->edesc = strdup(err->desc);
	}
	c->done = 1;
}

int
qmp_sync_execute(struct qmp_sync *s, const char *cmd, struct json_object *args,
    int timeout_ms, struct qmp_reply *r)
{
	return qmp_sync_execute_fd(s, cmd, args, -1, timeout_ms, r);
}

int
qmp_sync_execute_fd(struct qmp_sync *s, const char *cmd,
    struct json_object *args, int fd, int timeout_ms, struct qmp_reply *r)
{
	struct sync_call c = { 0, r };
	int64_t id;

	memset(r, 0, sizeof(*r));
	if (fd == -1)
		id = qmp_execute(s->q, cmd, args, timeout_ms, sync_reply, &c);
	else
		id = qmp_execute_fd(s->q, cmd, args, fd, timeout_ms,
		    sync_reply, &c);
	if (id == -1) {
		r->eclass = strdup(QMP_ERR_DISCONNECTED);
		r->edesc = strdup(s->closed ? s->reason : "not connected");
		return -1;
	}
	/* The command's own timer ends the wait; the margin is a backstop. */
	if (!sync_run(s, &c.done, timeout_ms > 0 ? timeout_ms + 1000 : 0)) {
		qmp_cancel(s->q, id);
		r->eclass = strdup(QMP_ERR_TIMEOUT);
		r->edesc = strdup("no reply in time");
	}
	return r->ret != NULL ? 0 : -1;
}

void
qmp_reply_clear(struct qmp_reply *r)
{
	if (r->ret != NULL)
		json_object_put(r->ret);
	free(r->eclass);
	free(r->edesc);
	memset(r, 0, sizeof(*r));
}

static struct json_object *
sync_take(struct qmp_sync *s, const char *name)
{
	struct qmp_ev *e;

	TAILQ_FOREACH(e, &s->events, entry) {
		if (name == NULL || strcmp(e->name, name) == 0) {
			struct json_object *msg = e->msg;
			TAILQ_REMOVE(&s->events, e, entry);
			free(e->name);
			free(e);
			return msg;
		}
	}
	return NULL;
}

struct json_object *
qmp_sync_wait_event(struct qmp_sync *s, const char *name, int timeout_ms)
{
	struct json_object *msg;
	int got = 0;

	if ((msg = sync_take(s, name)) != NULL)
		return msg;
	s->want = name;
	s->wantflag = &got;
	sync_run(s, &got, timeout_ms);
	s->want = NULL;
	s->wantflag = NULL;
	return sync_take(s, name);
}

int
qmp_sync_wait_closed(struct qmp_sync *s, int timeout_ms)
{
	return sync_run(s, &s->closed, timeout_ms) ? 0 : -1;
}

const char *
qmp_sync_closed_reason(struct qmp_sync *s)
{
	return s->closed ? s->reason : NULL;
}
