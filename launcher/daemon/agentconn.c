/* A guest agent connection (agentconn.h). */
#include <sys/queue.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "agentconn.h"
#include "xalloc.h"

enum phase {
	IDLE,		/* no call running */
	WAIT_DELIM,	/* resync sent: skipping to the agent's 0xFF */
	SYNC_REPLY,	/* after the 0xFF: guest-sync-delimited's reply */
	REPLY		/* the command sent: its reply */
};

struct call {
	TAILQ_ENTRY(call)	 entry;
	struct agentconn	*c;
	struct json_object	*req;
	int			 no_reply;
	int			 timeout_ms;
	struct event		*timer;
	agent_cb		 cb;
	void			*arg;
};

struct agentconn {
	struct event_base	*base;
	struct bufferevent	*bev;
	size_t			 max;
	TAILQ_HEAD(, call)	 calls;	/* the first one runs */
	size_t			 ncalls;
	enum phase		 phase;
	int			 synced;
	long long		 sync_id;
	size_t			 seen;	/* bytes of this reply, or skipped */
	struct json_tokener	*tok;
	int			 broken;
	char			 why[160];
	struct event		*kick;	/* the next call, from the loop */
};

static void start_next(struct agentconn *);

static long long
new_sync_id(void)
{
	static unsigned counter;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)(((unsigned)ts.tv_nsec ^ (unsigned)getpid() << 8) +
	    ++counter) & 0x3fffffff;
}

/* Take c's first call off and answer it. */
static void
finish(struct agentconn *c, struct json_object *ret, const char *class,
    const char *desc)
{
	struct call *k = TAILQ_FIRST(&c->calls);

	if (k == NULL)
		return;
	TAILQ_REMOVE(&c->calls, k, entry);
	c->ncalls--;
	c->phase = IDLE;
	if (c->bev != NULL)
		bufferevent_disable(c->bev, EV_READ);
	event_free(k->timer);
	json_object_put(k->req);
	k->cb(k->arg, ret, class, desc);
	free(k);
	/* the next one from the loop: the callback may have queued more */
	if (!TAILQ_EMPTY(&c->calls))
		event_active(c->kick, 0, 0);
}

/* Unusable from now on: every call fails. */
static void
breakdown(struct agentconn *c, const char *class, const char *why)
{
	if (!c->broken) {
		c->broken = 1;
		snprintf(c->why, sizeof(c->why), "%s", why);
	}
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	while (!TAILQ_EMPTY(&c->calls))
		finish(c, NULL, class, why);
}

static void
send_json(struct agentconn *c, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	evbuffer_add(bufferevent_get_output(c->bev), s, strlen(s));
	evbuffer_add(bufferevent_get_output(c->bev), "\n", 1);
}

static void
send_command(struct agentconn *c)
{
	struct call *k = TAILQ_FIRST(&c->calls);

	send_json(c, k->req);
	if (k->no_reply) {
		/* a late error reply would follow: resync before the next */
		c->synced = 0;
		finish(c, NULL, NULL, NULL);
		return;
	}
	json_tokener_reset(c->tok);
	c->seen = 0;
	c->phase = REPLY;
}

static void
send_sync(struct agentconn *c)
{
	struct json_object *o = json_object_new_object(),
	    *a = json_object_new_object();

	c->sync_id = new_sync_id();
	json_object_object_add(o, "execute",
	    json_object_new_string("guest-sync-delimited"));
	json_object_object_add(a, "id", json_object_new_int64(c->sync_id));
	json_object_object_add(o, "arguments", a);
	/* 0xFF resets the agent's parser: a half request is gone */
	evbuffer_add(bufferevent_get_output(c->bev), "\xff", 1);
	send_json(c, o);
	json_object_put(o);
	c->seen = 0;
	c->phase = WAIT_DELIM;
}

static void
start_next(struct agentconn *c)
{
	if (c->phase != IDLE || TAILQ_EMPTY(&c->calls) || c->broken)
		return;
	bufferevent_enable(c->bev, EV_READ);
	if (c->synced)
		send_command(c);
	else
		send_sync(c);
}

/* A complete object in the phase SYNC_REPLY or REPLY. */
static void
on_object(struct agentconn *c, struct json_object *o)
{
	struct json_object *ret, *err, *v;

	if (c->phase == SYNC_REPLY) {
		if (json_object_object_get_ex(o, "return", &ret) &&
		    json_object_is_type(ret, json_type_int) &&
		    json_object_get_int64(ret) == c->sync_id) {
			c->synced = 1;
			send_command(c);
		} else {
			/* an old sync's reply: wait for the next 0xFF */
			c->phase = WAIT_DELIM;
			c->seen = 0;
		}
		return;
	}
	if (json_object_object_get_ex(o, "return", &ret)) {
		finish(c, ret, NULL, NULL);
		return;
	}
	if (json_object_object_get_ex(o, "error", &err) &&
	    json_object_is_type(err, json_type_object)) {
		char class[64] = "GenericError", desc[512] = "";

		if (json_object_object_get_ex(err, "class", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(class, sizeof(class), "%s",
			    json_object_get_string(v));
		if (json_object_object_get_ex(err, "desc", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(desc, sizeof(desc), "%s",
			    json_object_get_string(v));
		finish(c, NULL, class, desc);
		return;
	}
	c->synced = 0;
	finish(c, NULL, AGENT_ERR_PROTOCOL,
	    "the guest agent's reply has neither return nor error");
}

/* Bytes from the agent while a call runs; returns -1 once broken. */
static int
feed(struct agentconn *c, const char *p, size_t n)
{
	while (n > 0 && c->phase != IDLE) {
		if (c->phase == WAIT_DELIM) {
			const char *ff = memchr(p, 0xff, n);
			size_t skip = ff != NULL ? (size_t)(ff - p) + 1 : n;

			c->seen += skip;
			if (c->seen > c->max) {
				breakdown(c, AGENT_ERR_PROTOCOL, "the guest agent "
				    "sent too much without answering (flooding?)");
				return -1;
			}
			p += skip;
			n -= skip;
			if (ff != NULL) {
				json_tokener_reset(c->tok);
				c->seen = 0;
				c->phase = SYNC_REPLY;
			}
			continue;
		}
		/* leading blanks between replies */
		if (c->seen == 0 && (*p == '\n' || *p == ' ' || *p == '\r' ||
		    *p == '\t')) {
			p++;
			n--;
			continue;
		}
		size_t chunk = n;
		if (c->seen + chunk > c->max)
			chunk = c->max - c->seen + 1;
		struct json_object *o = json_tokener_parse_ex(c->tok, p, (int)chunk);
		enum json_tokener_error e = json_tokener_get_error(c->tok);
		size_t used = e == json_tokener_success ?
		    json_tokener_get_parse_end(c->tok) : chunk;

		c->seen += used;
		p += used;
		n -= used;
		if (e == json_tokener_continue) {
			if (c->seen > c->max) {
				char why[96];
				snprintf(why, sizeof(why), "the guest agent's reply "
				    "is over %zu bytes", c->max);
				breakdown(c, AGENT_ERR_PROTOCOL, why);
				return -1;
			}
			continue;
		}
		if (e != json_tokener_success || o == NULL) {
			/* the rest of this read is as bad: drop it */
			c->synced = 0;
			json_tokener_reset(c->tok);
			finish(c, NULL, AGENT_ERR_PROTOCOL,
			    "the guest agent sent something that is not JSON");
			return 0;
		}
		json_tokener_reset(c->tok);
		c->seen = 0;
		if (!json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			c->synced = 0;
			finish(c, NULL, AGENT_ERR_PROTOCOL,
			    "the guest agent's reply is not an object");
			return 0;
		}
		on_object(c, o);
		json_object_put(o);
	}
	return 0;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct agentconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[16384];
	int n;

	while (c->bev != NULL && c->phase != IDLE &&
	    (n = evbuffer_remove(in, buf, sizeof(buf))) > 0)
		if (feed(c, buf, (size_t)n) == -1)
			return;
	/* what came after the reply, or between calls: stale */
	if (c->bev != NULL && c->phase == IDLE)
		evbuffer_drain(in, evbuffer_get_length(in));
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct agentconn *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		breakdown(c, AGENT_ERR_CLOSED, "the guest agent's channel "
		    "closed");
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct call *k = arg;
	struct agentconn *c = k->c;
	char desc[128];

	(void)fd;
	(void)what;
	snprintf(desc, sizeof(desc), "the guest agent did not answer in %d ms",
	    k->timeout_ms);
	if (k != TAILQ_FIRST(&c->calls)) {
		/* still waiting for its turn */
		TAILQ_REMOVE(&c->calls, k, entry);
		c->ncalls--;
		event_free(k->timer);
		json_object_put(k->req);
		k->cb(k->arg, NULL, AGENT_ERR_TIMEOUT, desc);
		free(k);
		return;
	}
	c->synced = 0;
	/* a request the agent never took would be sent later: drop all */
	if (c->bev != NULL &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
		struct call *first = TAILQ_FIRST(&c->calls);
		TAILQ_REMOVE(&c->calls, first, entry);
		c->ncalls--;
		breakdown(c, AGENT_ERR_CLOSED, "the guest agent does not read "
		    "its channel");
		TAILQ_INSERT_HEAD(&c->calls, first, entry);
		c->ncalls++;
	}
	finish(c, NULL, AGENT_ERR_TIMEOUT, desc);
}

static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	start_next(arg);
}

struct agentconn *
agentconn_new(struct event_base *base, int fd, size_t max_reply)
{
	struct agentconn *c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->max = max_reply != 0 ? max_reply : AGENT_MAX_REPLY;
	TAILQ_INIT(&c->calls);
	c->tok = json_tokener_new_ex(64);
	c->kick = event_new(base, -1, 0, on_kick, c);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL || c->tok == NULL) {
		if (c->bev == NULL)
			close(fd);
		c->broken = 1;
		snprintf(c->why, sizeof(c->why), "out of memory");
		return c;
	}
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_disable(c->bev, EV_READ);
	return c;
}

void
agentconn_free(struct agentconn *c)
{
	if (c == NULL)
		return;
	breakdown(c, AGENT_ERR_CLOSED, "the guest agent's connection closed");
	if (c->tok != NULL)
		json_tokener_free(c->tok);
	event_free(c->kick);
	free(c);
}

int
agentconn_call(struct agentconn *c, struct json_object *req, int timeout_ms,
    int no_reply, agent_cb cb, void *arg, char *err, size_t errlen)
{
	struct call *k;
	struct timeval tv;

	if (c->broken || c->ncalls >= AGENT_MAX_QUEUE) {
		snprintf(err, errlen, "%s", c->broken ? c->why :
		    "too many guest agent calls waiting");
		json_object_put(req);
		return -1;
	}
	k = xcalloc(1, sizeof(*k));
	k->c = c;
	k->req = req;
	k->no_reply = no_reply;
	k->timeout_ms = timeout_ms;
	k->cb = cb;
	k->arg = arg;
	k->timer = evtimer_new(c->base, on_timeout, k);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(k->timer, &tv);
	TAILQ_INSERT_TAIL(&c->calls, k, entry);
	c->ncalls++;
	event_active(c->kick, 0, 0);
	return 0;
}

int
agentconn_broken(const struct agentconn *c)
{
	return c->broken;
}

const char *
agentconn_why(const struct agentconn *c)
{
	return c->why;
}
