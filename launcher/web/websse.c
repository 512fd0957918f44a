/*
 * The page's live view: GET /api/events, server-sent events.  The web
 * manager holds one subscription to every VM (webmain.c) and fans its
 * events out here, each stream getting only the VMs its user may see:
 * the names the supervisor listed for that user (on-behalf-of), listed
 * again when a VM is defined, undefined or renamed.  Never a poll.
 *   event: vms    data: the user's list (as qlaunch list --all --json)
 *   event: state  data: {"name", "state", "reason"}
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "jget.h"
#include "names.h"
#include "web.h"
#include "webctl.h"
#include "websess.h"
#include "xalloc.h"

struct webstream {
	TAILQ_ENTRY(webstream)	 entry;
	struct web		*w;
	struct evhttp_request	*req;		/* NULL once closed */
	struct websess		*sess;
	struct json_object	*names;		/* {name: true} it may see */
	int			 busy;		/* lists in flight */
	int			 again;		/* list again when back */
};

static void refresh(struct webstream *);

/* Out of the list; freed now, or by its last reply. */
static void
stream_close(struct webstream *st, int end_reply)
{
	if (st->req != NULL) {
		web_sse_let_go(st->req, end_reply);
		st->req = NULL;
		TAILQ_REMOVE(&st->w->streams, st, entry);
		if (st->sess != NULL)
			st->sess->streams--;
		st->sess = NULL;
	}
	if (st->busy == 0) {
		json_object_put(st->names);
		free(st);
	}
}

static void
closed(struct evhttp_connection *con, void *arg)
{
	struct webstream *st = arg;

	(void)con;
	/* a request its connection left behind is ours to free */
	stream_close(st, web_sse_detached(st->req));
}

static void
listed(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct webstream *st = arg;

	st->busy--;
	if (st->req == NULL) {
		stream_close(st, 0);
		return;
	}
	if (ret == NULL || !json_object_is_type(ret, json_type_array)) {
		web_sse_failed(st->req, eclass, edesc != NULL ? edesc :
		    "no list");
	} else {
		json_object_put(st->names);
		st->names = json_object_new_object();
		for (size_t i = 0; i < json_object_array_length(ret); i++) {
			const char *n = jstr(json_object_array_get_idx(ret, i),
			    "name");
			if (n != NULL)
				json_object_object_add(st->names, n,
				    json_object_new_boolean(1));
		}
		web_sse_send(st->req, "vms", ret);
	}
	if (st->again) {
		st->again = 0;
		refresh(st);
	}
}

static void
refresh(struct webstream *st)
{
	if (st->busy > 0) {
		st->again = 1;
		return;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "all", json_object_new_boolean(1));
	st->busy++;
	webctl_call(st->w->ctl, "list", a, st->sess->uid, listed, st);
}

void
websse_open(struct web *w, struct evhttp_request *req, struct websess *s)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct webstream *st = xcalloc(1, sizeof(*st));

	st->w = w;
	st->req = req;
	st->sess = s;
	st->names = json_object_new_object();
	s->streams++;
	TAILQ_INSERT_TAIL(&w->streams, st, entry);
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    closed, st);
	refresh(st);
}

void
websse_event(struct web *w, struct json_object *ev)
{
	const char *name = jstr(ev, "event"), *vm = jstr(ev, "vm");
	struct webstream *st, *next;

	if (name == NULL || vm == NULL)
		return;
	if (strcmp(name, EV_VM_STATE) == 0) {
		struct json_object *d = jget(ev, "data");
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(vm));
		json_object_object_add(o, "state", json_object_new_string(
		    jstr(d, "state") != NULL ? jstr(d, "state") : "?"));
		json_object_object_add(o, "reason", json_object_new_string(
		    jstr(d, "reason") != NULL ? jstr(d, "reason") : ""));
		for (st = TAILQ_FIRST(&w->streams); st != NULL; st = next) {
			next = TAILQ_NEXT(st, entry);
			if (jget(st->names, vm) != NULL)
				web_sse_send(st->req, "state", o);
		}
		json_object_put(o);
	} else if (strcmp(name, EV_VM_DEFINED) == 0 ||
	    strcmp(name, EV_VM_UNDEFINED) == 0 ||
	    strcmp(name, EV_VM_RENAMED) == 0)
		TAILQ_FOREACH(st, &w->streams, entry)
			refresh(st);
}

void
websse_vm(struct web *w, const char *vm, uid_t also, const char *kind,
    struct json_object *data)
{
	struct webstream *st, *next;

	for (st = TAILQ_FIRST(&w->streams); st != NULL; st = next) {
		next = TAILQ_NEXT(st, entry);
		if (jget(st->names, vm) != NULL || (also != (uid_t)-1 &&
		    st->sess != NULL && st->sess->uid == also))
			web_sse_send(st->req, kind, data);
	}
}

void
websse_keepalive(struct web *w)
{
	struct webstream *st;
	struct evbuffer *b;

	TAILQ_FOREACH(st, &w->streams, entry) {
		if ((b = evbuffer_new()) == NULL)
			return;
		evbuffer_add_printf(b, ": keepalive\n\n");
		evhttp_send_reply_chunk(st->req, b);
		evbuffer_free(b);
	}
}

void
websse_drop_session(struct web *w, struct websess *s)
{
	struct webstream *st, *next;

	for (st = TAILQ_FIRST(&w->streams); st != NULL; st = next) {
		next = TAILQ_NEXT(st, entry);
		if (st->sess == s)
			stream_close(st, 1);
	}
}

void
websse_fini(struct web *w)
{
	struct webstream *st;

	while ((st = TAILQ_FIRST(&w->streams)) != NULL)
		stream_close(st, 1);
}
