/*
 * The web manager's routes, one table: the page's files, the login link,
 * the session, and the JSON API.  Every POST is a change: it needs a
 * session and its CSRF token (X-CSRF-Token), else 401 or 403 and nothing
 * is sent on.  VM requests go to the supervisor on behalf of the
 * session's user; its answer (or its refusal) is the reply, and an
 * audit line.
 *   GET  /api/session              {"user", "uid", "csrf"}
 *   GET  /api/vms                  the user's VMs (list --all)
 *   POST /api/vms                  {"text": DEFINITION} or {"form": {...}}
 *   POST /api/vms/NAME/ACTION      start, shutdown, destroy, reboot,
 *                                  suspend, resume
 *   GET  /api/events               server-sent events (websse.c)
 *   POST /logout
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "jget.h"
#include "names.h"
#include "parse.h"
#include "util.h"
#include "web.h"
#include "webcons.h"
#include "webctl.h"
#include "webmig.h"
#include "webmanage.h"
#include "websess.h"
#include "xalloc.h"

#define WEB_MAX_BODY	(1u << 20)
#define WEB_MAX_HEADERS	(64u << 10)

struct call {
	struct web		*w;
	struct evhttp_request	*req;
	uid_t			 uid;
	char			 action[32];
	char			 vm[NAME_MAX_LEN + 1];
};

/* ---- replies ---- */

static void
common_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy",
	    "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
}

/* ---- the page's files ---- */

static const struct {
	const char	*path;
	const char	*file;
	const char	*type;
} assets[] = {
	{ "/",		"index.html",	"text/html; charset=utf-8" },
	{ "/index.html", "index.html",	"text/html; charset=utf-8" },
	{ "/app.js",	"app.js",	"text/javascript; charset=utf-8" },
	{ "/style.css",	"style.css",	"text/css; charset=utf-8" },
	{ "/migrate.js", "migrate.js",	"text/javascript; charset=utf-8" },
	{ "/graphs.js",	"graphs.js",	"text/javascript; charset=utf-8" },
	{ "/manage.js",	"manage.js",	"text/javascript; charset=utf-8" },
	{ "/console.js", "console.js",	"text/javascript; charset=utf-8" },
};

static int
serve_asset(struct web *w, struct evhttp_request *req, const char *path)
{
	for (size_t i = 0; i < nitems(assets); i++) {
		if (strcmp(assets[i].path, path) != 0)
			continue;
		char f[1024];
		snprintf(f, sizeof(f), "%s/%s", w->o.assets, assets[i].file);
		int fd = open(f, O_RDONLY | O_CLOEXEC);
		struct evbuffer *b = evbuffer_new();
		off_t size = fd == -1 ? -1 : lseek(fd, 0, SEEK_END);
		if (fd == -1 || b == NULL || size < 0 ||
		    evbuffer_add_file(b, fd, 0, size) == -1) {
			if (fd != -1)
				close(fd);
			if (b != NULL)
				evbuffer_free(b);
			web_reply_error(req, 500, ERR_GENERIC, "the page's files "
			    "are missing (qlaunch web --assets)");
			return 1;
		}
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", assets[i].type);
		evhttp_send_reply(req, HTTP_OK, "OK", b);
		evbuffer_free(b);
		return 1;
	}
	return 0;
}

/* ---- login ---- */

static void
redeemed(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct call *c = arg;
	struct web *w = c->w;

	(void)eclass;
	if (ret == NULL) {
		webaudit(w, (uid_t)-1, c->req, "login", NULL, edesc);
		struct evbuffer *b = evbuffer_new();
		if (b != NULL)
			evbuffer_add_printf(b, "<!doctype html><title>qlaunch"
			    "</title><p>This login link is not valid: used "
			    "already, expired or mistyped. Run <code>qlaunch "
			    "web-login</code> again.</p>\n");
		evhttp_add_header(evhttp_request_get_output_headers(c->req),
		    "Content-Type", "text/html; charset=utf-8");
		evhttp_send_reply(c->req, 403, "Forbidden", b);
		if (b != NULL)
			evbuffer_free(b);
		free(c);
		return;
	}
	uid_t uid = (uid_t)jint(ret, "uid", -1);
	char user[64];
	if (jstr(ret, "user") != NULL)
		strlcpy(user, jstr(ret, "user"), sizeof(user));
	else
		snprintf(user, sizeof(user), "%lu", (unsigned long)uid);
	struct websess *s = websess_new(w, uid, user);
	webaudit(w, uid, c->req, "login", NULL, "ok");
	websess_set_cookie(w, c->req, s);
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Location", "/");
	evhttp_send_reply(c->req, 303, "See Other", NULL);
	free(c);
}

static struct call *
call_new(struct web *w, struct evhttp_request *req, uid_t uid,
    const char *action, const char *vm)
{
	struct call *c = xcalloc(1, sizeof(*c));

	c->w = w;
	c->req = req;
	c->uid = uid;
	strlcpy(c->action, action, sizeof(c->action));
	if (vm != NULL)
		strlcpy(c->vm, vm, sizeof(c->vm));
	return c;
}

static void
r_login(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	struct evkeyvalq q;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *query = u != NULL ? evhttp_uri_get_query(u) : NULL;

	(void)s;
	(void)rest;
	TAILQ_INIT(&q);
	if (query == NULL || evhttp_parse_query_str(query, &q) == -1 ||
	    evhttp_find_header(&q, "token") == NULL) {
		evhttp_clear_headers(&q);
		web_reply_error(req, 400, ERR_GENERIC, "/login needs ?token= from "
		    "'qlaunch web-login'");
		return;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "token", json_object_new_string(
	    evhttp_find_header(&q, "token")));
	evhttp_clear_headers(&q);
	webctl_call(w->ctl, "web-redeem", a, (uid_t)-1, redeemed,
	    call_new(w, req, (uid_t)-1, "login", NULL));
}

static void
r_logout(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	(void)rest;
	webaudit(w, s->uid, req, "logout", NULL, "ok");
	websess_end(w, s);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Set-Cookie", WEB_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=0");
	web_reply_json(req, HTTP_OK, json_object_new_object());
}

static void
r_session(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	struct json_object *o = json_object_new_object();

	(void)w;
	(void)rest;
	json_object_object_add(o, "user", json_object_new_string(s->user));
	json_object_object_add(o, "uid", json_object_new_int64(s->uid));
	json_object_object_add(o, "csrf", json_object_new_string(s->csrf));
	web_reply_json(req, HTTP_OK, o);
}

/* ---- the VMs ---- */

static void
passed(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct call *c = arg;

	if (ret == NULL)
		web_reply_error(c->req, 0, eclass, edesc);
	else
		web_reply_json(c->req, HTTP_OK, json_object_get(ret));
	free(c);
}

static void
r_list(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	struct json_object *a = json_object_new_object();

	(void)rest;
	json_object_object_add(a, "all", json_object_new_boolean(1));
	webctl_call(w->ctl, "list", a, s->uid, passed,
	    call_new(w, req, s->uid, "list", NULL));
}

static void
r_events(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	(void)rest;
	websse_open(w, req, s);
}

/* A change done (or refused): the reply and its audit line. */
static void
changed(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct call *c = arg;

	const char *vm = c->vm[0] != '\0' ? c->vm : jstr(ret, "name");

	webaudit(c->w, c->uid, c->req, c->action, vm, ret != NULL ? "ok" :
	    edesc);
	passed(arg, ret, eclass, edesc);
}

/* The page's actions and the supervisor's commands. */
static const struct {
	const char	*action;
	const char	*cmd;
} actions[] = {
	{ "start",	"start" },
	{ "shutdown",	"shutdown" },
	{ "destroy",	"destroy" },
	{ "reboot",	"reboot" },
	{ "suspend",	"suspend" },
	{ "resume",	"resume" },
};

static void
r_action(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	char name[NAME_MAX_LEN + 1];
	const char *slash = strchr(rest, '/');
	size_t n = slash != NULL ? (size_t)(slash - rest) : 0;

	if (slash == NULL || n == 0 || n >= sizeof(name)) {
		web_reply_error(req, 404, ERR_NOT_FOUND, "no such resource");
		return;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	if (!valid_name(name)) {
		web_reply_error(req, 404, ERR_NOT_FOUND, "not a VM name");
		return;
	}
	for (size_t i = 0; i < nitems(actions); i++)
		if (strcmp(actions[i].action, slash + 1) == 0) {
			struct json_object *a = json_object_new_object();
			json_object_object_add(a, "name",
			    json_object_new_string(name));
			webctl_call(w->ctl, actions[i].cmd, a, s->uid, changed,
			    call_new(w, req, s->uid, actions[i].action, name));
			return;
		}
	webaudit(w, s->uid, req, slash + 1, name, "no such action");
	web_reply_error(req, 404, ERR_NOT_FOUND, "no such action");
}

static void
r_define(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	struct json_object *body = web_body_json(req), *form;
	const char *text;
	char err[512];

	(void)rest;
	if (body == NULL)
		return;
	if ((text = jstr(body, "text")) != NULL) {
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "text", json_object_new_string(text));
		json_object_object_add(a, "file",
		    json_object_new_string("the web page"));
		webctl_call(w->ctl, "define", a, s->uid, changed,
		    call_new(w, req, s->uid, "define", NULL));
	} else if ((form = jget(body, "form")) != NULL) {
		struct json_object *a = webform_create(form, err, sizeof(err));
		if (a == NULL) {
			webaudit(w, s->uid, req, "create", jstr(form, "name"),
			    err);
			web_reply_error(req, 400, ERR_INVALID_DEF, err);
		} else
			webctl_call(w->ctl, "create", a, s->uid, changed,
			    call_new(w, req, s->uid, "create", jstr(a,
			    "name")));
	} else
		web_reply_error(req, 400, ERR_GENERIC, "POST /api/vms needs "
		    "\"text\" (a definition) or \"form\"");
	json_object_put(body);
}

/* ---- the table ---- */

#define R_SESSION	0x1	/* a logged-in user */
#define R_PREFIX	0x2	/* the path starts with it; the rest given */
/* A '*' in a path stands for one segment; the rest from it is given. */

static const struct route {
	enum evhttp_cmd_type	 method;
	const char		*path;
	int			 flags;
	void			(*fn)(struct web *, struct evhttp_request *,
				    struct websess *, const char *rest);
} routes[] = {
	{ EVHTTP_REQ_GET,  "/login",		0,		r_login },
	{ EVHTTP_REQ_POST, "/logout",		R_SESSION,	r_logout },
	{ EVHTTP_REQ_GET,  "/api/session",	R_SESSION,	r_session },
	{ EVHTTP_REQ_GET,  "/api/vms",		R_SESSION,	r_list },
	{ EVHTTP_REQ_POST, "/api/vms",		R_SESSION,	r_define },
	{ EVHTTP_REQ_POST, "/api/vms/*/console", R_SESSION, webcons_ticket },
	{ EVHTTP_REQ_POST, "/api/vms/",		R_SESSION | R_PREFIX, r_action },
	{ EVHTTP_REQ_GET,  "/api/events",	R_SESSION,	r_events },
	{ EVHTTP_REQ_POST, "/api/migrate/",	R_SESSION | R_PREFIX,
	    webmig_start },
	{ EVHTTP_REQ_POST, "/api/migrate-cancel/", R_SESSION | R_PREFIX,
	    webmig_cancel },
	{ EVHTTP_REQ_GET,  "/api/migrate/",	R_SESSION | R_PREFIX,
	    webmig_info },
	{ EVHTTP_REQ_GET,  "/api/stats/",	R_SESSION | R_PREFIX,
	    webstats_open },
	{ EVHTTP_REQ_GET,  WEBMANAGE_PREFIX,	R_SESSION | R_PREFIX, webmanage_get },
	{ EVHTTP_REQ_POST, WEBMANAGE_PREFIX,	R_SESSION | R_PREFIX, webmanage_post },
	{ EVHTTP_REQ_GET,  "/ws/console",	R_SESSION,	webcons_ws },
	{ EVHTTP_REQ_GET,  "/vendor/",		R_PREFIX,	webcons_vendor },
};

/* path against a route's with a '*' (one segment): 1 when it matches */
static int
match_star(const char *pat, const char *path)
{
	const char *star = strchr(pat, '*');
	size_t n = (size_t)(star - pat);

	if (strncmp(path, pat, n) != 0)
		return 0;
	const char *seg = path + n, *end = strchr(seg, '/');
	if (end == NULL)
		end = seg + strlen(seg);
	return end > seg && strcmp(end, star + 1) == 0;
}

static void
route(struct evhttp_request *req, void *arg)
{
	struct web *w = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u != NULL ? evhttp_uri_get_path(u) : NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	common_headers(req);
	if (path == NULL)
		path = "/";
	if (m == EVHTTP_REQ_GET && serve_asset(w, req, path))
		return;
	for (size_t i = 0; i < nitems(routes); i++) {
		const struct route *r = &routes[i];
		size_t n = strlen(r->path);
		const char *star = strchr(r->path, '*');
		if (star != NULL ? !match_star(r->path, path) :
		    r->flags & R_PREFIX ? strncmp(path, r->path, n) != 0 :
		    strcmp(path, r->path) != 0)
			continue;
		if (star != NULL)
			n = (size_t)(star - r->path);
		if (r->method != m)
			continue;
		struct websess *s = NULL;
		if (r->flags & R_SESSION) {
			if ((s = websess_find(w, req)) == NULL) {
				web_reply_error(req, 401, ERR_PERMISSION, "not "
				    "logged in: open a link from 'qlaunch "
				    "web-login'");
				return;
			}
			if (m == EVHTTP_REQ_POST && !websess_csrf_ok(s, req)) {
				webaudit(w, s->uid, req, path, NULL,
				    "refused: no valid CSRF token");
				web_reply_error(req, 403, ERR_PERMISSION, "a change "
				    "needs the session's CSRF token "
				    "(X-CSRF-Token)");
				return;
			}
		}
		r->fn(w, req, s, path + (r->flags & R_PREFIX || star != NULL ?
		    n : 0));
		return;
	}
	web_reply_error(req, 404, ERR_NOT_FOUND, "no such resource");
}

void
webapi_init(struct web *w)
{
	evhttp_set_max_body_size(w->http, WEB_MAX_BODY);
	evhttp_set_max_headers_size(w->http, WEB_MAX_HEADERS);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(w->http, route, w);
}
