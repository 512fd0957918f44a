/*
 * Live migration from the page (webmig.h).  The migration runs in the
 * supervisor: the start route checks the form, sends migrate on behalf
 * of the session's user on the web manager's control connection and
 * answers 202 at once; the web process never waits for it.  Progress
 * comes as the VM's JOB_PROGRESS events (job "migrate") on the web
 * manager's subscription and goes to the pages of the users who may see
 * the VM as 'migration' events; the reply, when it comes, goes the same
 * way (and to the starting user's pages, the VM gone from the source's
 * list by then) as the summary or the one-line error, with its audit
 * line.  The supervisor decides who may migrate, as for `qlaunch
 * migrate`.
 *   event: migration  data: {"name", "status", "transferred",
 *       "remaining", "total", "percent", "mibps", "pass"}
 *                     or {"name", "status": "completed", "summary"}
 *                     or {"name", "status": "failed", "error"}
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "jget.h"
#include "names.h"
#include "parse.h"
#include "util.h"
#include "web.h"
#include "webctl.h"
#include "webmig.h"
#include "websess.h"
#include "xalloc.h"

#define MIB_F		1048576.0

/* ---- replies ---- */

/* The VM named by a route's rest, or 0 (answered 404). */
static int
vm_name(struct evhttp_request *req, const char *rest, char *name, size_t len)
{
	if (strlcpy(name, rest, len) >= len || !valid_name(name)) {
		web_reply_error(req, 404, ERR_NOT_FOUND, "not a VM name");
		return 0;
	}
	return 1;
}

/* ---- the form ---- */

/* A field given as a number or a string of digits; 1 set, 0 absent, -1. */
static int
num_field(struct json_object *form, const char *key, long long min,
    long long max, long long *out, char *err, size_t errlen)
{
	struct json_object *v = jget(form, key);
	const char *e = NULL;

	if (v == NULL || json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) == 0))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		if (*out < min || *out > max)
			e = "out of range";
	} else if (json_object_is_type(v, json_type_string))
		*out = strtonum(json_object_get_string(v), min, max, &e);
	else
		e = "not a number";
	if (e != NULL) {
		snprintf(err, errlen, "migrate: %s must be a whole number from "
		    "%lld to %lld (%s)", key, min, max, e);
		return -1;
	}
	return 1;
}

struct json_object *
webmig_args(struct json_object *form, char *err, size_t errlen)
{
	static const struct {
		const char	*field, *arg;
		long long	 min, max;
	} nums[] = {
		{ "bandwidth",	"bandwidth",	1, 1 << 20 },	/* MiB/s */
		{ "multifd",	"multifd",	1, 255 },	/* channels */
	};
	static const struct {
		const char	*field, *arg;
	} flags[] = {
		{ "postcopy",		"postcopy" },
		{ "keep_source",	"keep_source" },
	};
	const char *dest = jstr(form, "dest");
	long long n;

	if (dest == NULL || *dest == '\0') {
		snprintf(err, errlen, "migrate: a destination is needed: "
		    "unix:PATH, the other qlaunchd's control socket");
		return NULL;
	}
	if (strncmp(dest, "ssh://", 6) == 0) {
		snprintf(err, errlen, "migrate: ssh:// destinations need "
		    "the command line (qlaunch migrate): the web manager "
		    "holds no ssh keys");
		return NULL;
	}
	if (strncmp(dest, "unix:", 5) != 0 || dest[5] != '/' ||
	    strlen(dest) > 5 + 107) {
		snprintf(err, errlen, "migrate: the destination is "
		    "unix:/ABSOLUTE/PATH, the other qlaunchd's control "
		    "socket");
		return NULL;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "dest", json_object_new_string(dest + 5));
	for (size_t i = 0; i < nitems(nums); i++) {
		int r = num_field(form, nums[i].field, nums[i].min,
		    nums[i].max, &n, err, errlen);
		if (r == -1) {
			json_object_put(a);
			return NULL;
		}
		if (r == 1)
			json_object_object_add(a, nums[i].arg,
			    json_object_new_int64(n));
	}
	for (size_t i = 0; i < nitems(flags); i++) {
		struct json_object *v = jget(form, flags[i].field);
		if (v != NULL && !json_object_is_type(v, json_type_boolean)) {
			snprintf(err, errlen, "migrate: %s is true or false",
			    flags[i].field);
			json_object_put(a);
			return NULL;
		}
		if (v != NULL && json_object_get_boolean(v))
			json_object_object_add(a, flags[i].arg,
			    json_object_new_boolean(1));
	}
	return a;
}

/* ---- the routes ---- */

struct mig {
	struct web	*w;
	uid_t		 uid;
	char		 vm[NAME_MAX_LEN + 1];
	char		 dest[128];
};

static void
mig_event(struct web *w, const char *vm, uid_t uid, struct json_object *d)
{
	websse_vm(w, vm, uid, "migration", d);
	json_object_put(d);
}

static void
mig_done(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct mig *m = arg;
	struct json_object *d = json_object_new_object();
	char outcome[600];

	(void)eclass;
	json_object_object_add(d, "name", json_object_new_string(m->vm));
	if (ret != NULL) {
		json_object_object_add(d, "status",
		    json_object_new_string("completed"));
		json_object_object_add(d, "summary", json_object_get(ret));
		struct json_object *g = jget(jget(ret, "summary"),
		    "guest_downtime_ms");
		int n = snprintf(outcome, sizeof(outcome), "ok: to %s in %lld "
		    "ms, downtime %lld ms", m->dest, jint(ret,
		    "time_elapsed_ms", 0), jint(ret, "downtime_ms", 0));
		if (g != NULL && !json_object_is_type(g, json_type_null) &&
		    n > 0 && (size_t)n < sizeof(outcome))
			snprintf(outcome + n, sizeof(outcome) - (size_t)n,
			    ", guest downtime %.1f ms",
			    json_object_get_double(g));
	} else {
		json_object_object_add(d, "status",
		    json_object_new_string("failed"));
		json_object_object_add(d, "error", json_object_new_string(
		    edesc != NULL ? edesc : "?"));
		snprintf(outcome, sizeof(outcome), "%s", edesc != NULL ?
		    edesc : "?");
	}
	webaudit(m->w, m->uid, NULL, "migrate", m->vm, outcome);
	mig_event(m->w, m->vm, m->uid, d);
	free(m);
}

void
webmig_start(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	char name[NAME_MAX_LEN + 1], err[512];
	struct json_object *body, *a;

	if (!vm_name(req, rest, name, sizeof(name)))
		return;
	if ((body = web_body_json(req)) == NULL)
		return;
	if ((a = webmig_args(body, err, sizeof(err))) == NULL) {
		json_object_put(body);
		webaudit(w, s->uid, req, "migrate", name, err);
		web_reply_error(req, 400, ERR_GENERIC, err);
		return;
	}
	json_object_put(body);
	struct mig *m = xcalloc(1, sizeof(*m));
	m->w = w;
	m->uid = s->uid;
	strlcpy(m->vm, name, sizeof(m->vm));
	strlcpy(m->dest, jstr(a, "dest"), sizeof(m->dest));
	json_object_object_add(a, "name", json_object_new_string(name));
	webctl_call(w->ctl, "migrate", a, s->uid, mig_done, m);
	/* the outcome: 'migration' events, and its audit line */
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "started", json_object_new_boolean(1));
	web_reply_json(req, 202, o);
}

struct pass {
	struct web		*w;
	struct evhttp_request	*req;
	uid_t			 uid;
	char			 vm[NAME_MAX_LEN + 1];
	int			 audit;
};

static void
passed(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct pass *p = arg;

	if (p->audit)
		webaudit(p->w, p->uid, p->req, "migrate-cancel", p->vm,
		    ret != NULL || eclass == NULL ? "ok" : edesc);
	if (eclass != NULL)
		web_reply_error(p->req, 0, eclass, edesc);
	else
		web_reply_json(p->req, HTTP_OK, ret != NULL ? json_object_get(ret) :
		    json_object_new_object());
	free(p);
}

static void
pass_on(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest, const char *cmd, int audit)
{
	char name[NAME_MAX_LEN + 1];

	if (!vm_name(req, rest, name, sizeof(name)))
		return;
	struct pass *p = xcalloc(1, sizeof(*p));
	p->w = w;
	p->req = req;
	p->uid = s->uid;
	p->audit = audit;
	strlcpy(p->vm, name, sizeof(p->vm));
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(name));
	webctl_call(w->ctl, cmd, a, s->uid, passed, p);
}

void
webmig_cancel(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	pass_on(w, req, s, rest, "migrate-cancel", 1);
}

void
webmig_info(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	pass_on(w, req, s, rest, "migrate-info", 0);
}

/* ---- progress ---- */

void
webmig_event(struct web *w, struct json_object *ev)
{
	const char *name = jstr(ev, "event"), *vm = jstr(ev, "vm");
	struct json_object *d = jget(ev, "data"), *v;

	/* a request's own events (with its id) are not the VM's */
	if (name == NULL || vm == NULL || jget(ev, "id") != NULL ||
	    strcmp(name, EV_JOB_PROGRESS) != 0 || jstr(d, "job") == NULL ||
	    strcmp(jstr(d, "job"), "migrate") != 0)
		return;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(vm));
	json_object_object_add(o, "status", json_object_new_string(
	    jstr(d, "status") != NULL ? jstr(d, "status") : "active"));
	json_object_object_add(o, "transferred", json_object_new_int64(
	    jint(d, "processed", 0)));
	json_object_object_add(o, "remaining", json_object_new_int64(
	    jint(d, "remaining", 0)));
	json_object_object_add(o, "total", json_object_new_int64(
	    jint(d, "total", 0)));
	json_object_object_add(o, "percent", json_object_new_double(
	    (v = jget(d, "percent")) != NULL ? json_object_get_double(v) : 0));
	/* QEMU's mbps is megabits per second */
	json_object_object_add(o, "mibps", json_object_new_double(
	    (v = jget(d, "mbps")) != NULL ? json_object_get_double(v) * 1e6 /
	    8 / MIB_F : 0));
	json_object_object_add(o, "pass", json_object_new_int64(
	    jint(d, "pass", 0)));
	mig_event(w, vm, (uid_t)-1, o);
}
