/*
 * The page's graphs (webmig.h): GET /api/stats/NAME is a server-sent
 * event stream of the VM's statistics, one sample a second:
 *   event: stats   data: the VM's sample with its rates (statpoll.h)
 *   event: failed  data: {"class", "desc"}
 * The web process watches a VM only while some page shows its graphs:
 * one stats-watch per VM, on a control connection of its own (closing
 * it ends the watch), fanned out to every stream of that VM.  Each
 * user's stream is first authorized by the supervisor with a domstats
 * of that VM on the user's behalf (whose sample is the stream's first);
 * the watch itself runs on behalf of the user who opened it first.  A
 * stream whose session ended (logged out, idled out) ends at the next
 * sample.
 */
#include <sys/queue.h>
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "jget.h"
#include "names.h"
#include "util.h"
#include "web.h"
#include "webctl.h"
#include "webmig.h"
#include "websess.h"
#include "xalloc.h"

#define WEBSTATS_DELAY_MS	1000

struct swatch;

struct sstream {
	TAILQ_ENTRY(sstream)	 entry;
	struct swatch		*wa;		/* NULL until authorized */
	struct web		*w;
	struct evhttp_request	*req;		/* NULL once closed */
	uid_t			 uid;
	char			 sess[2 * WEB_SECRET_BYTES + 1];	/* its id */
	char			 vm[NAME_MAX_LEN + 1];
	int			 busy;		/* its domstats in flight */
};

struct swatch {
	TAILQ_ENTRY(swatch)	 entry;
	struct web		*w;
	struct webctl		*ctl;
	char			 vm[NAME_MAX_LEN + 1];
	TAILQ_HEAD(, sstream)	 streams;
};

static void
send_failed(struct sstream *st, const char *class, const char *desc)
{
	web_sse_failed(st->req, class, desc != NULL ? desc : "?");
}

static void
watch_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct swatch *wa = arg;

	(void)fd;
	(void)what;
	webctl_free(wa->ctl);
	free(wa);
}

/* Its last stream gone: the connection closes, and the watch with it. */
static void
watch_drop(struct swatch *wa)
{
	struct timeval now = { 0, 0 };

	TAILQ_REMOVE(&wa->w->swatches, wa, entry);
	/* not from inside the connection's own callbacks */
	if (wa->w->stopping ||
	    event_base_once(wa->w->base, -1, EV_TIMEOUT, watch_free_cb, wa,
	    &now) == -1)
		watch_free_cb(-1, 0, wa);
}

static void
stream_close(struct sstream *st, int end_reply)
{
	if (st->req != NULL) {
		web_sse_let_go(st->req, end_reply);
		st->req = NULL;
	}
	if (st->wa != NULL) {
		struct swatch *wa = st->wa;
		TAILQ_REMOVE(&wa->streams, st, entry);
		st->wa = NULL;
		if (TAILQ_EMPTY(&wa->streams))
			watch_drop(wa);
	}
	if (st->busy == 0)
		free(st);
}

static void
closed(struct evhttp_connection *con, void *arg)
{
	struct sstream *st = arg;

	(void)con;
	stream_close(st, web_sse_detached(st->req));
}

/* Its session still there (not logged out, not idled out)? */
static int
sess_alive(struct sstream *st)
{
	struct websess *s;

	TAILQ_FOREACH(s, &st->w->sessions, entry)
		if (s->uid == st->uid && strcmp(s->id, st->sess) == 0)
			return 1;
	return 0;
}

/* A STATS event of the watch's connection: its VM's sample, to all. */
static void
watch_event(void *arg, struct json_object *ev)
{
	struct swatch *wa = arg;
	struct json_object *vms = jget(jget(ev, "data"), "vms");
	struct sstream *st, *next;

	if (jstr(ev, "event") == NULL || strcmp(jstr(ev, "event"),
	    EV_STATS) != 0 || !json_object_is_type(vms, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		struct json_object *s = json_object_array_get_idx(vms, i);
		if (jstr(s, "name") == NULL || strcmp(jstr(s, "name"),
		    wa->vm) != 0)
			continue;
		for (st = TAILQ_FIRST(&wa->streams); st != NULL; st = next) {
			next = TAILQ_NEXT(st, entry);
			web_sse_send(st->req, "stats", s);
		}
	}
	/* a session gone: its streams end (the last one drops the watch) */
	for (st = TAILQ_FIRST(&wa->streams); st != NULL; st = next) {
		next = TAILQ_NEXT(st, entry);
		if (!sess_alive(st)) {
			send_failed(st, ERR_PERMISSION, "the session ended");
			stream_close(st, 1);
		}
	}
}

/* The watch refused or the supervisor gone: its streams end. */
static void
watch_end(struct swatch *wa, const char *class, const char *desc)
{
	struct sstream *st;

	while ((st = TAILQ_FIRST(&wa->streams)) != NULL) {
		int last = TAILQ_NEXT(st, entry) == NULL;
		send_failed(st, class, desc);
		/* the last one drops the watch (and may free it) */
		stream_close(st, 1);
		if (last)
			break;
	}
}

static void
watch_closed(void *arg)
{
	watch_end(arg, ERR_DISCONNECTED, "qlaunchd closed the connection");
}

static void
watch_reply(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct swatch *wa = arg;

	/* a watch answers only when it ends */
	(void)ret;
	if (eclass != NULL && strcmp(eclass, ERR_DISCONNECTED) != 0)
		watch_end(wa, eclass, edesc);
}

static struct swatch *
watch_get(struct web *w, const char *vm, uid_t uid, char *err, size_t errlen)
{
	struct swatch *wa;

	TAILQ_FOREACH(wa, &w->swatches, entry)
		if (strcmp(wa->vm, vm) == 0)
			return wa;
	wa = xcalloc(1, sizeof(*wa));
	wa->w = w;
	strlcpy(wa->vm, vm, sizeof(wa->vm));
	TAILQ_INIT(&wa->streams);
	if ((wa->ctl = webctl_open(w->base, w->o.sock, watch_event,
	    watch_closed, wa, err, errlen)) == NULL) {
		free(wa);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&w->swatches, wa, entry);
	struct json_object *a = json_object_new_object(),
	    *names = json_object_new_array();
	json_object_array_add(names, json_object_new_string(vm));
	json_object_object_add(a, "names", names);
	json_object_object_add(a, "delay_ms",
	    json_object_new_int64(WEBSTATS_DELAY_MS));
	webctl_call(wa->ctl, "stats-watch", a, uid, watch_reply, wa);
	return wa;
}

/* The supervisor's answer for this user: may see the VM's figures. */
static void
authorized(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct sstream *st = arg;
	char err[512];

	st->busy--;
	if (st->req == NULL) {
		stream_close(st, 0);
		return;
	}
	if (ret == NULL) {
		send_failed(st, eclass, edesc);
		stream_close(st, 1);
		return;
	}
	struct json_object *first = json_object_array_get_idx(jget(ret, "vms"),
	    0);
	if (first != NULL)
		web_sse_send(st->req, "stats", first);
	struct swatch *wa = watch_get(st->w, st->vm, st->uid, err,
	    sizeof(err));
	if (wa == NULL) {
		send_failed(st, ERR_GENERIC, err);
		stream_close(st, 1);
		return;
	}
	st->wa = wa;
	TAILQ_INSERT_TAIL(&wa->streams, st, entry);
}

void
webstats_open(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	char name[NAME_MAX_LEN + 1];

	if (strlcpy(name, rest, sizeof(name)) >= sizeof(name) ||
	    !valid_name(name)) {
		web_reply_error(req, 404, ERR_NOT_FOUND, "not a VM name");
		return;
	}
	struct sstream *st = xcalloc(1, sizeof(*st));
	st->w = w;
	st->req = req;
	st->uid = s->uid;
	strlcpy(st->sess, s->id, sizeof(st->sess));
	strlcpy(st->vm, name, sizeof(st->vm));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/event-stream");
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    closed, st);
	struct json_object *a = json_object_new_object(),
	    *names = json_object_new_array();
	json_object_array_add(names, json_object_new_string(name));
	json_object_object_add(a, "names", names);
	st->busy++;
	webctl_call(w->ctl, "domstats", a, s->uid, authorized, st);
}

void
webstats_fini(struct web *w)
{
	struct swatch *wa;

	/* each stream's close may free its watch: look it up again */
	while ((wa = TAILQ_FIRST(&w->swatches)) != NULL) {
		struct sstream *st = TAILQ_FIRST(&wa->streams);
		if (st != NULL)
			stream_close(st, 1);
		else
			watch_drop(wa);
	}
}
