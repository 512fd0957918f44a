/*
 * The control connection of the web manager (webctl.h).  It connects
 * with the client library (client_open: the socket path, the error
 * messages), then takes the descriptor over into a bufferevent: the
 * client library's calls wait for their reply, which a server must not.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "client.h"
#include "jget.h"
#include "jstream.h"
#include "names.h"
#include "webctl.h"
#include "xalloc.h"

#define WEBCTL_MAX_MESSAGE	(64u << 20)

struct pending {
	TAILQ_ENTRY(pending)	 entry;
	long long		 id;
	webctl_cb		 cb;
	void			*arg;
};

struct webctl {
	struct bufferevent	*bev;
	struct jstream		 js;
	long long		 next_id;
	TAILQ_HEAD(, pending)	 pending;
	void			(*on_event)(void *, struct json_object *);
	void			(*on_close)(void *);
	void			*arg;
	int			 dead;
};

static void
fail_all(struct webctl *c, const char *why)
{
	struct pending *p;

	while ((p = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, p, entry);
		if (p->cb != NULL)
			p->cb(p->arg, NULL, ERR_DISCONNECTED, why);
		free(p);
	}
}

static void
gone(struct webctl *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = 1;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	fail_all(c, why);
	if (c->on_close != NULL)
		c->on_close(c->arg);
}

static int
on_message(void *arg, struct json_object *msg)
{
	struct webctl *c = arg;
	struct json_object *id;
	struct pending *p;

	if (!json_object_object_get_ex(msg, "id", &id)) {
		if (jget(msg, "event") != NULL && c->on_event != NULL)
			c->on_event(c->arg, msg);
		return 0;
	}
	long long n = json_object_get_int64(id);
	TAILQ_FOREACH(p, &c->pending, entry)
		if (p->id == n)
			break;
	if (p == NULL)
		return 0;
	if (jget(msg, "event") != NULL) {
		/* tied to a request (progress, stats-watch): with its id */
		if (c->on_event != NULL)
			c->on_event(c->arg, msg);
		return 0;
	}
	TAILQ_REMOVE(&c->pending, p, entry);
	struct json_object *e = jget(msg, "error");
	if (p->cb != NULL) {
		if (e != NULL)
			p->cb(p->arg, NULL, jstr(e, "class") != NULL ?
			    jstr(e, "class") : ERR_GENERIC,
			    jstr(e, "desc") != NULL ? jstr(e, "desc") : "?");
		else
			p->cb(p->arg, jget(msg, "return"), NULL, NULL);
	}
	free(p);
	return 0;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct webctl *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!c->dead && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		if (jstream_feed(&c->js, v.iov_base, v.iov_len, on_message,
		    c) == -1) {
			gone(c, c->js.err);
			return;
		}
		evbuffer_drain(in, v.iov_len);
	}
}

static void
on_bev_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		gone(arg, "qlaunchd closed the connection");
}

struct webctl *
webctl_open(struct event_base *base, const char *sock,
    void (*on_event)(void *, struct json_object *), void (*on_close)(void *),
    void *arg, char *err, size_t errlen)
{
	struct client_conn conn;

	if (client_open(&conn, sock, 0, err, errlen) == -1)
		return NULL;
	int fd = conn.fd;
	conn.fd = -1;
	client_close(&conn);
	evutil_make_socket_nonblocking(fd);

	struct webctl *c = xcalloc(1, sizeof(*c));
	TAILQ_INIT(&c->pending);
	c->next_id = 1;
	c->on_event = on_event;
	c->on_close = on_close;
	c->arg = arg;
	if (jstream_init(&c->js, WEBCTL_MAX_MESSAGE) == -1 ||
	    (c->bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		jstream_free(&c->js);
		free(c);
		return NULL;
	}
	bufferevent_setcb(c->bev, on_read, NULL, on_bev_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return c;
}

void
webctl_call(struct webctl *c, const char *cmd, struct json_object *args,
    uid_t uid, webctl_cb cb, void *arg)
{
	struct json_object *m = json_object_new_object();
	size_t len;
	char *s;

	json_object_object_add(m, "execute", json_object_new_string(cmd));
	json_object_object_add(m, "arguments", args != NULL ? args :
	    json_object_new_object());
	json_object_object_add(m, "id", json_object_new_int64(c->next_id));
	if (uid != (uid_t)-1)
		json_object_object_add(m, "on-behalf-of",
		    json_object_new_int64(uid));
	s = jstream_render(m, &len);
	json_object_put(m);
	if (c->dead || s == NULL) {
		free(s);
		if (cb != NULL)
			cb(arg, NULL, ERR_DISCONNECTED, "qlaunchd is gone");
		return;
	}
	struct pending *p = xcalloc(1, sizeof(*p));
	p->id = c->next_id++;
	p->cb = cb;
	p->arg = arg;
	TAILQ_INSERT_TAIL(&c->pending, p, entry);
	bufferevent_write(c->bev, s, len);
	free(s);
}

void
webctl_free(struct webctl *c)
{
	if (c == NULL)
		return;
	c->on_close = NULL;
	c->dead = 1;
	fail_all(c, "the web manager is stopping");
	bufferevent_free(c->bev);
	jstream_free(&c->js);
	free(c);
}
