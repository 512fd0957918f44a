/*
 * The asynchronous QMP client.  See qmp.h for the contract.
 *
 * Lifetime: callbacks may free the connection.  Every entry point that
 * runs callbacks holds a reference (qmp_hold/qmp_release); qmp_free only
 * marks the object dead and drops the owner's reference, so the memory
 * goes when the last frame on the stack lets go.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "jstream.h"
#include "qmp.h"

#define QMP_READ_CHUNK	65536
/* QEMU creates its socket some 20 ms after exec: look often */
#define QMP_RETRY_MIN_MS 1
#define QMP_RETRY_MAX_MS 5

struct qmp_cmd {
	TAILQ_ENTRY(qmp_cmd)	 entry;
	struct qmp		*q;
	int64_t			 id;
	struct event		*timer;
	qmp_reply_cb		 cb;
	void			*arg;
	int			 internal;	/* qmp_capabilities */
};

struct qmp_out {
	TAILQ_ENTRY(qmp_out)	 entry;
	char			*buf;
	size_t			 len;
	size_t			 off;
	int			 fd;		/* passed with the first byte */
};

struct qmp_sub {
	TAILQ_ENTRY(qmp_sub)	 entry;
	char			*name;		/* NULL: all events */
	qmp_event_cb		 cb;
	void			*arg;
	int			 gone;
};

TAILQ_HEAD(qmp_cmdq, qmp_cmd);
TAILQ_HEAD(qmp_outq, qmp_out);
TAILQ_HEAD(qmp_subq, qmp_sub);

struct qmp {
	struct event_base	*base;
	struct qmp_options	 opt;
	struct qmp_callbacks	 cbs;
	void			*cbarg;

	enum qmp_state		 state;
	int			 fd;
	struct event		*rev;
	struct event		*wev;
	struct event		*retry;		/* connect retry */
	struct event		*failev;	/* deferred close */
	struct event		*gtimer;	/* greeting deadline */
	char			*path;
	struct timespec		 deadline;
	int			 retry_ms;

	struct jstream		 js;
	struct json_object	*greeting;
	int			 vmajor, vminor, vmicro;
	int			 oob_offered;
	int			 oob_enabled;

	int64_t			 next_id;
	struct qmp_cmdq		 pending;
	struct qmp_outq		 out;		/* being written */
	struct qmp_outq		 held;		/* waiting for ready */
	struct qmp_subq		 subs;
	int			 nsubs_gone;

	int			 refs;
	int			 dead;		/* qmp_free was called */
	int			 dispatching;
	char			 failmsg[256];
	struct qmp_stats	 stats;
};

static void	qmp_fail(struct qmp *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static void	qmp_fail_later(struct qmp *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static void	qmp_flush(struct qmp *);
static void	qmp_start_io(struct qmp *);

void
qmp_options_default(struct qmp_options *o)
{
	memset(o, 0, sizeof(*o));
	o->negotiate = 1;
	o->expect_greeting = 1;
	o->negotiate_timeout_ms = 10000;
}

static void
qmp_hold(struct qmp *q)
{
	q->refs++;
}

static void
qmp_destroy(struct qmp *q)
{
	struct qmp_sub *s;

	while ((s = TAILQ_FIRST(&q->subs)) != NULL) {
		TAILQ_REMOVE(&q->subs, s, entry);
		free(s->name);
		free(s);
	}
	if (q->failev != NULL)
		event_free(q->failev);
	jstream_free(&q->js);
	if (q->greeting != NULL)
		json_object_put(q->greeting);
	free(q->path);
	free(q);
}

/* Returns 1 if the object is still alive and usable afterwards. */
static int
qmp_release(struct qmp *q)
{
	if (--q->refs == 0) {
		qmp_destroy(q);
		return 0;
	}
	return !q->dead;
}

struct qmp *
qmp_new(struct event_base *base, const struct qmp_options *opt,
    const struct qmp_callbacks *cbs, void *cbarg)
{
	struct qmp *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->base = base;
	if (opt != NULL)
		q->opt = *opt;
	else
		qmp_options_default(&q->opt);
	if (cbs != NULL)
		q->cbs = *cbs;
	q->cbarg = cbarg;
	q->fd = -1;
	q->vmajor = q->vminor = q->vmicro = -1;
	q->next_id = 1;
	q->refs = 1;
	TAILQ_INIT(&q->pending);
	TAILQ_INIT(&q->out);
	TAILQ_INIT(&q->held);
	TAILQ_INIT(&q->subs);
	if (jstream_init(&q->js, q->opt.max_message) == -1) {
		free(q);
		return NULL;
	}
	return q;
}

static void
qmp_out_free(struct qmp_out *o)
{
	if (o->fd != -1)
		close(o->fd);
	free(o->buf);
	free(o);
}

static void
qmp_cmd_free(struct qmp_cmd *c)
{
	if (c->timer != NULL)
		event_free(c->timer);
	free(c);
}

/* Tear down I/O and fail every pending command with Disconnected. */
static void
qmp_shutdown_io(struct qmp *q, const char *reason)
{
	struct qmp_out *o;
	struct qmp_cmd *c;

	q->state = QMP_CLOSED;
	if (q->rev != NULL)
		event_free(q->rev);
	if (q->wev != NULL)
		event_free(q->wev);
	if (q->retry != NULL)
		event_free(q->retry);
	if (q->gtimer != NULL)
		event_free(q->gtimer);
	q->rev = q->wev = q->retry = q->gtimer = NULL;
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
	while ((o = TAILQ_FIRST(&q->out)) != NULL) {
		TAILQ_REMOVE(&q->out, o, entry);
		qmp_out_free(o);
	}
	while ((o = TAILQ_FIRST(&q->held)) != NULL) {
		TAILQ_REMOVE(&q->held, o, entry);
		qmp_out_free(o);
	}
	struct qmp_error err = { QMP_ERR_DISCONNECTED, reason };
	while ((c = TAILQ_FIRST(&q->pending)) != NULL) {
		TAILQ_REMOVE(&q->pending, c, entry);
		if (!c->internal && c->cb != NULL)
			c->cb(c->arg, NULL, &err);
		qmp_cmd_free(c);
	}
}

void
qmp_close(struct qmp *q, const char *reason)
{
	if (q->state == QMP_CLOSED || q->dead)
		return;
	qmp_hold(q);
	char why[256];
	strlcpy(why, reason != NULL ? reason : "closed", sizeof(why));
	qmp_shutdown_io(q, why);
	if (!q->dead && q->cbs.closed != NULL)
		q->cbs.closed(q->cbarg, q, why);
	qmp_release(q);
}

static void
qmp_fail(struct qmp *q, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	qmp_close(q, msg);
}

static void
qmp_failev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct qmp *q = arg;

	(void)fd;
	(void)what;
	qmp_close(q, q->failmsg);
}

/* Close from the event loop, not from inside the caller's stack. */
static void
qmp_fail_later(struct qmp *q, const char *fmt, ...)
{
	va_list ap;

	if (q->failev == NULL) {
		q->failev = evtimer_new(q->base, qmp_failev_cb, q);
		if (q->failev == NULL)
			return;
	} else if (evtimer_pending(q->failev, NULL))
		return;
	va_start(ap, fmt);
	vsnprintf(q->failmsg, sizeof(q->failmsg), fmt, ap);
	va_end(ap);
	/* stop reading and writing until the close runs */
	if (q->rev != NULL)
		event_del(q->rev);
	if (q->wev != NULL)
		event_del(q->wev);
	event_active(q->failev, EV_TIMEOUT, 0);
}

void
qmp_free(struct qmp *q)
{
	if (q == NULL || q->dead)
		return;
	q->dead = 1;
	qmp_shutdown_io(q, "connection freed");
	if (q->failev != NULL)
		event_del(q->failev);
	qmp_release(q);
}

/* ---- output ---- */

static int
qmp_write_one(struct qmp *q, struct qmp_out *o)
{
	ssize_t n;

	if (o->fd != -1 && o->off == 0) {
		struct msghdr mh;
		struct iovec iov;
		union {
			struct cmsghdr	hdr;
			char		buf[CMSG_SPACE(sizeof(int))];
		} cm;

		memset(&mh, 0, sizeof(mh));
		memset(&cm, 0, sizeof(cm));
		iov.iov_base = o->buf;
		iov.iov_len = o->len;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		struct cmsghdr *ch = CMSG_FIRSTHDR(&mh);
		ch->cmsg_level = SOL_SOCKET;
		ch->cmsg_type = SCM_RIGHTS;
		ch->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(ch), &o->fd, sizeof(int));
		n = sendmsg(q->fd, &mh, MSG_NOSIGNAL);
		if (n > 0) {
			close(o->fd);
			o->fd = -1;
		}
	} else
		n = send(q->fd, o->buf + o->off, o->len - o->off, MSG_NOSIGNAL);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR) ? 0 : -1;
	o->off += (size_t)n;
	q->stats.bytes_out += (uint64_t)n;
	return 1;
}

static void
qmp_flush(struct qmp *q)
{
	struct qmp_out *o;

	if (q->fd == -1 || q->state == QMP_CLOSED || q->state == QMP_CONNECTING)
		return;
	while ((o = TAILQ_FIRST(&q->out)) != NULL) {
		int r = qmp_write_one(q, o);
		if (r == -1) {
			qmp_fail_later(q, "write: %s", strerror(errno));
			return;
		}
		if (r == 0)
			break;
		if (o->off == o->len) {
			TAILQ_REMOVE(&q->out, o, entry);
			qmp_out_free(o);
		}
	}
	if (q->wev == NULL)
		return;
	if (TAILQ_EMPTY(&q->out))
		event_del(q->wev);
	else if (!event_pending(q->wev, EV_WRITE, NULL))
		event_add(q->wev, NULL);
}

static void
qmp_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	qmp_flush(arg);
}

/* ---- commands ---- */

static void
qmp_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct qmp_cmd *c = arg;
	struct qmp *q = c->q;
	char desc[96];

	(void)fd;
	(void)what;
	TAILQ_REMOVE(&q->pending, c, entry);
	if (c->internal) {
		qmp_cmd_free(c);
		qmp_fail(q, "qmp_capabilities timed out");
		return;
	}
	snprintf(desc, sizeof(desc), "no reply to command id %lld in time",
	    (long long)c->id);
	struct qmp_error err = { QMP_ERR_TIMEOUT, desc };
	qmp_hold(q);
	q->dispatching++;
	if (c->cb != NULL)
		c->cb(c->arg, NULL, &err);
	q->dispatching--;
	qmp_cmd_free(c);
	qmp_release(q);
}

static int64_t
qmp_send(struct qmp *q, const char *key, const char *cmd,
    struct json_object *args, int fd, int timeout_ms, qmp_reply_cb cb,
    void *arg, int internal)
{
	struct json_object *msg = NULL;
	struct qmp_cmd *c = NULL;
	struct qmp_out *o = NULL;

	if (q->dead || q->state == QMP_CLOSED || q->state == QMP_IDLE)
		goto fail;
	if ((msg = json_object_new_object()) == NULL)
		goto fail;
	if (json_object_object_add(msg, key, json_object_new_string(cmd)))
		goto fail;
	if (args != NULL) {
		if (json_object_object_add(msg, "arguments", args))
			goto fail;
		args = NULL;
	}
	int64_t id = q->next_id++;
	json_object_object_add(msg, "id", json_object_new_int64(id));

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (o = calloc(1, sizeof(*o))) == NULL)
		goto fail;
	o->fd = -1;
	if ((o->buf = jstream_render(msg, &o->len)) == NULL)
		goto fail;
	if (fd != -1 && (o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		goto fail;
	c->q = q;
	c->id = id;
	c->cb = cb;
	c->arg = arg;
	c->internal = internal;
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };
		if ((c->timer = evtimer_new(q->base, qmp_timeout_cb, c)) == NULL)
			goto fail;
		evtimer_add(c->timer, &tv);
	}
	json_object_put(msg);
	TAILQ_INSERT_TAIL(&q->pending, c, entry);
	q->stats.sent++;
	if (q->state == QMP_READY || internal) {
		TAILQ_INSERT_TAIL(&q->out, o, entry);
		qmp_flush(q);
	} else
		TAILQ_INSERT_TAIL(&q->held, o, entry);
	return id;
fail:
	if (args != NULL)
		json_object_put(args);
	if (msg != NULL)
		json_object_put(msg);
	if (c != NULL)
		qmp_cmd_free(c);
	if (o != NULL)
		qmp_out_free(o);
	return -1;
}

int64_t
qmp_execute(struct qmp *q, const char *cmd, struct json_object *args,
    int timeout_ms, qmp_reply_cb cb, void *arg)
{
	return qmp_send(q, "execute", cmd, args, -1, timeout_ms, cb, arg, 0);
}

int64_t
qmp_execute_fd(struct qmp *q, const char *cmd, struct json_object *args,
    int fd, int timeout_ms, qmp_reply_cb cb, void *arg)
{
	if (fd < 0) {
		if (args != NULL)
			json_object_put(args);
		return -1;
	}
	return qmp_send(q, "execute", cmd, args, fd, timeout_ms, cb, arg, 0);
}

int64_t
qmp_execute_oob(struct qmp *q, const char *cmd, struct json_object *args,
    int timeout_ms, qmp_reply_cb cb, void *arg)
{
	if (!q->oob_enabled) {
		if (args != NULL)
			json_object_put(args);
		return -1;
	}
	return qmp_send(q, "exec-oob", cmd, args, -1, timeout_ms, cb, arg, 0);
}

int
qmp_cancel(struct qmp *q, int64_t id)
{
	struct qmp_cmd *c;

	TAILQ_FOREACH(c, &q->pending, entry) {
		if (c->id == id && !c->internal) {
			TAILQ_REMOVE(&q->pending, c, entry);
			qmp_cmd_free(c);
			return 0;
		}
	}
	return -1;
}

/* ---- events ---- */

void *
qmp_subscribe(struct qmp *q, const char *name, qmp_event_cb cb, void *arg)
{
	struct qmp_sub *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (name != NULL && (s->name = strdup(name)) == NULL) {
		free(s);
		return NULL;
	}
	s->cb = cb;
	s->arg = arg;
	TAILQ_INSERT_TAIL(&q->subs, s, entry);
	return s;
}

static void
qmp_reap_subs(struct qmp *q)
{
	struct qmp_sub *s, *t;

	if (q->dispatching || q->nsubs_gone == 0)
		return;
	TAILQ_FOREACH_SAFE(s, &q->subs, entry, t) {
		if (s->gone) {
			TAILQ_REMOVE(&q->subs, s, entry);
			free(s->name);
			free(s);
		}
	}
	q->nsubs_gone = 0;
}

void
qmp_unsubscribe(struct qmp *q, void *handle)
{
	struct qmp_sub *s = handle;

	if (s == NULL || s->gone)
		return;
	/* Removal is deferred while events are being delivered. */
	s->gone = 1;
	q->nsubs_gone++;
	qmp_reap_subs(q);
}

static void
qmp_dispatch_event(struct qmp *q, struct json_object *msg)
{
	struct json_object *jname;
	struct qmp_sub *s;

	if (!json_object_object_get_ex(msg, "event", &jname) ||
	    !json_object_is_type(jname, json_type_string))
		return;
	const char *name = json_object_get_string(jname);
	q->stats.events++;
	q->dispatching++;
	TAILQ_FOREACH(s, &q->subs, entry) {
		if (s->gone)
			continue;
		if (s->name == NULL || strcmp(s->name, name) == 0)
			s->cb(s->arg, name, msg);
		if (q->dead)
			break;
	}
	q->dispatching--;
	qmp_reap_subs(q);
}

/* ---- input ---- */

static void
qmp_ready(struct qmp *q)
{
	struct qmp_out *o;

	q->state = QMP_READY;
	while ((o = TAILQ_FIRST(&q->held)) != NULL) {
		TAILQ_REMOVE(&q->held, o, entry);
		TAILQ_INSERT_TAIL(&q->out, o, entry);
	}
	qmp_flush(q);
	if (q->cbs.ready != NULL)
		q->cbs.ready(q->cbarg, q);
}

static void
qmp_caps_cb(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct qmp *q = arg;

	(void)ret;
	if (err != NULL) {
		qmp_fail(q, "qmp_capabilities failed: %s: %s", err->class,
		    err->desc);
		return;
	}
	qmp_ready(q);
}

static int
qmp_version_part(struct json_object *qemu, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(qemu, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int(v);
}

static void
qmp_handle_greeting(struct qmp *q, struct json_object *msg,
    struct json_object *body)
{
	struct json_object *ver, *qemu, *caps;

	if (q->greeting != NULL)
		return;		/* a second greeting is ignored */
	q->greeting = json_object_get(msg);
	if (json_object_object_get_ex(body, "version", &ver) &&
	    json_object_object_get_ex(ver, "qemu", &qemu)) {
		q->vmajor = qmp_version_part(qemu, "major");
		q->vminor = qmp_version_part(qemu, "minor");
		q->vmicro = qmp_version_part(qemu, "micro");
	}
	if (json_object_object_get_ex(body, "capabilities", &caps) &&
	    json_object_is_type(caps, json_type_array)) {
		size_t n = json_object_array_length(caps);
		for (size_t i = 0; i < n; i++) {
			const char *c = json_object_get_string(
			    json_object_array_get_idx(caps, i));
			if (c != NULL && strcmp(c, "oob") == 0)
				q->oob_offered = 1;
		}
	}
	if (q->state != QMP_GREETING)
		return;
	if (q->gtimer != NULL)
		evtimer_del(q->gtimer);
	if (!q->opt.negotiate) {
		qmp_ready(q);
		return;
	}
	struct json_object *args = NULL;
	if (q->opt.want_oob && q->oob_offered) {
		struct json_object *en = json_object_new_array();
		json_object_array_add(en, json_object_new_string("oob"));
		args = json_object_new_object();
		json_object_object_add(args, "enable", en);
		q->oob_enabled = 1;
	}
	q->state = QMP_NEGOTIATING;
	if (qmp_send(q, "execute", "qmp_capabilities", args, -1,
	    q->opt.negotiate_timeout_ms, qmp_caps_cb, q, 1) == -1)
		qmp_fail(q, "cannot send qmp_capabilities: out of memory");
}

static void
qmp_handle_reply(struct qmp *q, struct json_object *msg)
{
	struct json_object *jid, *jret, *jerr;
	struct qmp_cmd *c;

	if (!json_object_object_get_ex(msg, "id", &jid) ||
	    !json_object_is_type(jid, json_type_int)) {
		q->stats.unmatched++;
		return;
	}
	int64_t id = json_object_get_int64(jid);
	TAILQ_FOREACH(c, &q->pending, entry)
		if (c->id == id)
			break;
	if (c == NULL) {
		q->stats.unmatched++;
		return;
	}
	TAILQ_REMOVE(&q->pending, c, entry);
	q->stats.replies++;
	if (c->cb == NULL)
		;	/* fire and forget */
	else if (json_object_object_get_ex(msg, "return", &jret))
		c->cb(c->arg, jret, NULL);
	else {
		struct json_object *jc = NULL, *jd = NULL;
		json_object_object_get_ex(msg, "error", &jerr);
		json_object_object_get_ex(jerr, "class", &jc);
		json_object_object_get_ex(jerr, "desc", &jd);
		struct qmp_error err = {
			jc != NULL ? json_object_get_string(jc) : "GenericError",
			jd != NULL ? json_object_get_string(jd) : "",
		};
		c->cb(c->arg, NULL, &err);
	}
	qmp_cmd_free(c);
}

/* One message from the stream; returns non-zero to stop reading. */
static int
qmp_on_message(void *arg, struct json_object *msg)
{
	struct qmp *q = arg;
	struct json_object *body;

	if (json_object_object_get_ex(msg, "QMP", &body))
		qmp_handle_greeting(q, msg, body);
	else if (json_object_object_get_ex(msg, "event", &body))
		qmp_dispatch_event(q, msg);
	else if (q->state == QMP_GREETING && q->opt.expect_greeting)
		qmp_fail(q, "protocol error: expected a QMP greeting");
	else if (json_object_object_get_ex(msg, "return", &body) ||
	    json_object_object_get_ex(msg, "error", &body))
		qmp_handle_reply(q, msg);
	else
		q->stats.unmatched++;
	return q->dead || q->state == QMP_CLOSED;
}

static void
qmp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct qmp *q = arg;
	char buf[QMP_READ_CHUNK];
	ssize_t n;

	(void)what;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (errno != ECONNRESET) {
			qmp_fail(q, "read: %s", strerror(errno));
			return;
		}
		n = 0;	/* the peer closed with our bytes unread: still EOF */
	}
	if (n == 0) {
		if (jstream_partial(&q->js))
			qmp_fail(q, "end of file inside a message");
		else
			qmp_fail(q, "end of file");
		return;
	}
	q->stats.bytes_in += (uint64_t)n;
	qmp_hold(q);
	int r = jstream_feed(&q->js, buf, (size_t)n, qmp_on_message, q);
	if (r == -1 && !q->dead && q->state != QMP_CLOSED)
		qmp_fail(q, "protocol error: %s", q->js.err);
	qmp_release(q);
}

static void
qmp_greeting_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	qmp_fail(arg, "no QMP greeting in time");
}

static void
qmp_start_io(struct qmp *q)
{
	q->rev = event_new(q->base, q->fd, EV_READ | EV_PERSIST, qmp_read_cb, q);
	q->wev = event_new(q->base, q->fd, EV_WRITE | EV_PERSIST,
	    qmp_write_cb, q);
	if (q->rev == NULL || q->wev == NULL) {
		qmp_fail_later(q, "out of memory");
		return;
	}
	event_add(q->rev, NULL);
	if (q->opt.expect_greeting) {
		q->state = QMP_GREETING;
		int ms = q->opt.negotiate_timeout_ms;
		if (ms > 0) {
			struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
			q->gtimer = evtimer_new(q->base,
			    qmp_greeting_timeout_cb, q);
			if (q->gtimer == NULL) {
				qmp_fail_later(q, "out of memory");
				return;
			}
			evtimer_add(q->gtimer, &tv);
		}
	} else if (q->opt.negotiate) {
		q->state = QMP_NEGOTIATING;
		if (qmp_send(q, "execute", "qmp_capabilities", NULL, -1,
		    q->opt.negotiate_timeout_ms, qmp_caps_cb, q, 1) == -1)
			qmp_fail_later(q, "out of memory");
	} else {
		qmp_ready(q);		/* a plain JSON stream */
	}
	qmp_flush(q);
}

int
qmp_attach_fd(struct qmp *q, int fd)
{
	if (q->state != QMP_IDLE || fd < 0)
		return -1;
	int fl = fcntl(fd, F_GETFL);
	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	q->fd = fd;
	qmp_start_io(q);
	return 0;
}

/* ---- connecting ---- */

static int
qmp_try_connect(struct qmp *q, int *errp)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, q->path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		*errp = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*errp = errno;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 &&
	    errno != EINPROGRESS) {
		*errp = errno;
		close(fd);
		return -1;
	}
	return fd;
}

static int
qmp_ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

static void qmp_retry_cb(evutil_socket_t, short, void *);

static void
qmp_connect_step(struct qmp *q)
{
	int err = 0;
	int fd = qmp_try_connect(q, &err);

	if (fd != -1) {
		if (q->retry != NULL) {
			event_free(q->retry);
			q->retry = NULL;
		}
		q->fd = fd;
		qmp_start_io(q);
		return;
	}
	int retriable = err == ENOENT || err == ECONNREFUSED || err == EAGAIN;
	int left = qmp_ms_left(&q->deadline);
	if (!retriable || left == 0) {
		qmp_fail_later(q, "cannot connect to %s: %s", q->path,
		    strerror(err));
		return;
	}
	int wait = q->retry_ms < left ? q->retry_ms : left;
	q->retry_ms *= 2;
	if (q->retry_ms > QMP_RETRY_MAX_MS)
		q->retry_ms = QMP_RETRY_MAX_MS;
	if (q->retry == NULL &&
	    (q->retry = evtimer_new(q->base, qmp_retry_cb, q)) == NULL) {
		qmp_fail_later(q, "out of memory");
		return;
	}
	struct timeval tv = { wait / 1000, (wait % 1000) * 1000 };
	evtimer_add(q->retry, &tv);
}

static void
qmp_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	qmp_connect_step(arg);
}

int
qmp_connect_unix(struct qmp *q, const char *path, int timeout_ms)
{
	if (q->state != QMP_IDLE)
		return -1;
	if ((q->path = strdup(path)) == NULL)
		return -1;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &q->deadline);
	q->deadline.tv_sec += timeout_ms / 1000;
	q->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (q->deadline.tv_nsec >= 1000000000) {
		q->deadline.tv_sec++;
		q->deadline.tv_nsec -= 1000000000;
	}
	q->retry_ms = QMP_RETRY_MIN_MS;
	q->state = QMP_CONNECTING;
	qmp_connect_step(q);
	return 0;
}

/* ---- accessors ---- */

enum qmp_state
qmp_state(const struct qmp *q)
{
	return q->state;
}

struct json_object *
qmp_greeting(const struct qmp *q)
{
	return q->greeting;
}

void
qmp_version(const struct qmp *q, int *major, int *minor, int *micro)
{
	if (major != NULL)
		*major = q->vmajor;
	if (minor != NULL)
		*minor = q->vminor;
	if (micro != NULL)
		*micro = q->vmicro;
}

int
qmp_oob_enabled(const struct qmp *q)
{
	return q->oob_enabled;
}

int
qmp_fd(const struct qmp *q)
{
	return q->fd;
}

size_t
qmp_npending(const struct qmp *q)
{
	const struct qmp_cmd *c;
	size_t n = 0;

	TAILQ_FOREACH(c, &q->pending, entry)
		if (!c->internal)
			n++;
	return n;
}

void
qmp_get_stats(const struct qmp *q, struct qmp_stats *st)
{
	*st = q->stats;
}
