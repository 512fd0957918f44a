/*
 * The VM page's management sections: snapshots, disks, NICs, memory and
 * vCPUs.  Each route is a row of the table below: the supervisor's
 * command (the one the CLI sends for the same virsh verb) and a builder
 * that checks the page's JSON body and makes the command's arguments, or
 * refuses it with one line (400, nothing sent on).  Requests go to the
 * supervisor on behalf of the session's user, which decides (owners);
 * the changes are POSTs (CSRF checked by webapi.c's route()) with one
 * audit line each.  Scope as the CLI's default (neither --live nor
 * --config): the supervisor goes by the VM's state.  Long work (a
 * running VM's snapshot) is one request in flight on the asynchronous
 * control connection; the web process goes on serving meanwhile.
 *   GET  /api/manage/NAME/snapshots         snapshot-list
 *   POST /api/manage/NAME/snapshot-create   {"snapshot", "description"}
 *   POST /api/manage/NAME/snapshot-revert   {"snapshot"}
 *   POST /api/manage/NAME/snapshot-delete   {"snapshot"}
 *   GET  /api/manage/NAME/disks             blklist
 *   POST /api/manage/NAME/attach-disk       {"size_gib", "target"}: a new
 *                                           qcow2 image the supervisor makes
 *   POST /api/manage/NAME/detach-disk       {"target"}
 *   POST /api/manage/NAME/change-media      {"target", "source"}: no
 *                                           source ejects
 *   GET  /api/manage/NAME/nics              iflist
 *   POST /api/manage/NAME/attach-interface  {"type", "source", "model", "mac"}
 *   POST /api/manage/NAME/detach-interface  {"type", "mac"}
 *   GET  /api/manage/NAME/info              info (vCPUs, balloon)
 *   GET  /api/manage/NAME/memstat           memstat (dommemstat)
 *   POST /api/manage/NAME/setmem            {"size_mib"}
 *   POST /api/manage/NAME/setvcpus          {"count"}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "jget.h"
#include "names.h"
#include "parse.h"
#include "props.h"
#include "util.h"
#include "web.h"
#include "webctl.h"
#include "webmanage.h"
#include "websess.h"
#include "xalloc.h"

#define WM_MAX_GIB	4096
#define WM_MAX_VCPUS	1024
#define WM_MAX_TEXT	256

/* ---- the builders: body -> arguments (the VM's name added later) ---- */

static int
bad(char *err, size_t errlen, const char *fmt, const char *what)
{
	snprintf(err, errlen, fmt, what);
	return -1;
}

/* A string member: a short one without control characters; absent
 * (or empty) only when optional. */
static int
text(struct json_object *b, const char *key, int need, const char **out,
    char *err, size_t errlen)
{
	struct json_object *v = jget(b, key);
	int empty = v == NULL || json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) == 0);

	*out = NULL;
	if (empty)	/* a form's empty field is an absent one */
		return need ? bad(err, errlen, "\"%s\" is needed", key) : 0;
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) > WM_MAX_TEXT)
		return bad(err, errlen, "\"%s\": a string of 1 to 256 "
		    "characters is needed", key);
	for (const char *s = json_object_get_string(v); *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return bad(err, errlen, "\"%s\" has a control "
			    "character", key);
	*out = json_object_get_string(v);
	return 0;
}

/* An integer member in [min, max], given as a number or its digits (a
 * form's field). */
static int
number(struct json_object *b, const char *key, long long min, long long max,
    long long *out, char *err, size_t errlen)
{
	struct json_object *v = jget(b, key);
	const char *e;

	if (v != NULL && json_object_is_type(v, json_type_string) &&
	    parse_uint(json_object_get_string(v), min, max, out, &e) == 0)
		return 0;
	if (jint_range(b, key, min, max, out) == 0)
		return 0;
	snprintf(err, errlen, "\"%s\": a whole number from %lld to %lld is "
	    "needed", key, min, max);
	return -1;
}

static void
add_str(struct json_object *a, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(a, k, json_object_new_string(v));
}

static void
add_bool(struct json_object *a, const char *k, int v)
{
	json_object_object_add(a, k, json_object_new_boolean(v));
}

/* live and config both false: the VM's current state, as the CLI's
 * default */
static void
current_scope(struct json_object *a)
{
	add_bool(a, "live", 0);
	add_bool(a, "config", 0);
}

static int
b_none(struct json_object *b, struct json_object *a, char *err, size_t errlen)
{
	(void)b;
	(void)a;
	(void)err;
	(void)errlen;
	return 0;
}

static int
b_inactive(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	(void)b;
	(void)err;
	(void)errlen;
	add_bool(a, "inactive", 0);
	return 0;
}

static int
b_snap_create(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	const char *snap, *desc;

	if (text(b, "snapshot", 1, &snap, err, errlen) == -1 ||
	    text(b, "description", 0, &desc, err, errlen) == -1)
		return -1;
	add_str(a, "snapshot", snap);
	add_str(a, "description", desc);
	add_bool(a, "disk_only", 0);
	add_bool(a, "atomic", 1);
	return 0;
}

static int
b_snap_revert(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	const char *snap;

	if (text(b, "snapshot", 1, &snap, err, errlen) == -1)
		return -1;
	add_str(a, "snapshot", snap);
	add_bool(a, "running", 0);
	add_bool(a, "paused", 0);
	add_bool(a, "force", 0);
	return 0;
}

static int
b_snap_delete(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	const char *snap;

	if (text(b, "snapshot", 1, &snap, err, errlen) == -1)
		return -1;
	add_str(a, "snapshot", snap);
	return 0;
}

/* A new qcow2 image of size_gib, made by the supervisor where it makes a
 * definition's new disks: the disk line "size=N,format=qcow2[,target=T]" */
static int
b_attach_disk(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	long long gib;
	const char *target;

	if (number(b, "size_gib", 1, WM_MAX_GIB, &gib, err, errlen) == -1 ||
	    text(b, "target", 0, &target, err, errlen) == -1)
		return -1;
	char *line;
	if (target != NULL) {
		char *e = props_escape(target);
		line = xasprintf("size=%lld,format=qcow2,target=%s", gib, e);
		free(e);
	} else
		line = xasprintf("size=%lld,format=qcow2", gib);
	add_str(a, "disk", line);
	free(line);
	current_scope(a);
	return 0;
}

static int
b_detach_disk(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	const char *target;

	if (text(b, "target", 1, &target, err, errlen) == -1)
		return -1;
	add_str(a, "target", target);
	current_scope(a);
	return 0;
}

/* a source changes the media (an absolute path: the page has no current
 * directory), none ejects it */
static int
b_change_media(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	const char *target, *source;

	if (text(b, "target", 1, &target, err, errlen) == -1 ||
	    text(b, "source", 0, &source, err, errlen) == -1)
		return -1;
	if (source != NULL && source[0] != '/')
		return bad(err, errlen, "\"source\" '%s' is not an absolute "
		    "path", source);
	add_str(a, "target", target);
	add_str(a, "source", source);
	add_bool(a, "eject", source == NULL);
	add_bool(a, "force", 0);
	current_scope(a);
	return 0;
}

static const char *const iftypes[] = { "network", "bridge", "user", NULL };
static const char *const models[] = {
	"virtio", "virtio-net-pci", "e1000", "e1000e", "rtl8139", NULL
};

static int
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return 1;
	return 0;
}

/* Append ",key=val" (escaped) to *line. */
static void
add_prop(char **line, const char *key, const char *val)
{
	if (val == NULL)
		return;
	char *e = props_escape(val);
	char *n = xasprintf("%s,%s=%s", *line, key, e);
	free(e);
	free(*line);
	*line = n;
}

/* virt-install's --network line, as attach-interface builds it */
static int
b_attach_if(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	const char *type, *source, *model, *mac;
	unsigned char m[6];

	if (text(b, "type", 1, &type, err, errlen) == -1 ||
	    text(b, "source", 0, &source, err, errlen) == -1 ||
	    text(b, "model", 0, &model, err, errlen) == -1 ||
	    text(b, "mac", 0, &mac, err, errlen) == -1)
		return -1;
	if (!one_of(type, iftypes))
		return bad(err, errlen, "\"type\" '%s': network, bridge or "
		    "user", type);
	if (model != NULL && !one_of(model, models))
		return bad(err, errlen, "\"model\" '%s': virtio, e1000, "
		    "e1000e or rtl8139", model);
	if (mac != NULL && parse_mac(mac, m) == -1)
		return bad(err, errlen, "\"mac\" '%s' is not a MAC address",
		    mac);
	int user = strcmp(type, "user") == 0;
	if (!user && source == NULL)
		return bad(err, errlen, "a %s interface needs \"source\" (its "
		    "name)", type);
	if (user && source != NULL)
		return bad(err, errlen, "a %s interface takes no \"source\"",
		    type);
	char *line;
	if (user)
		line = xstrdup("user");
	else {
		char *e = props_escape(source);
		line = xasprintf("%s=%s", type, e);
		free(e);
	}
	add_prop(&line, "model", model);
	add_prop(&line, "mac", mac);
	add_str(a, "network", line);
	free(line);
	current_scope(a);
	return 0;
}

static int
b_detach_if(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	const char *type, *mac;
	unsigned char m[6];

	if (text(b, "type", 1, &type, err, errlen) == -1 ||
	    text(b, "mac", 1, &mac, err, errlen) == -1)
		return -1;
	if (!one_of(type, iftypes))
		return bad(err, errlen, "\"type\" '%s': network, bridge or "
		    "user", type);
	if (parse_mac(mac, m) == -1)
		return bad(err, errlen, "\"mac\" '%s' is not a MAC address",
		    mac);
	add_str(a, "type", type);
	add_str(a, "mac", mac);
	current_scope(a);
	return 0;
}

static int
b_setmem(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	long long mib;

	if (number(b, "size_mib", 1, 1LL << 40, &mib, err, errlen) == -1)
		return -1;
	json_object_object_add(a, "size_mib", json_object_new_int64(mib));
	current_scope(a);
	return 0;
}

static int
b_setvcpus(struct json_object *b, struct json_object *a, char *err,
    size_t errlen)
{
	long long n;

	if (number(b, "count", 1, WM_MAX_VCPUS, &n, err, errlen) == -1)
		return -1;
	json_object_object_add(a, "count", json_object_new_int64(n));
	current_scope(a);
	add_bool(a, "maximum", 0);
	return 0;
}

static const struct wm_route {
	int		 post;
	const char	*what;		/* the path's last part */
	const char	*cmd;		/* the supervisor's */
	int		(*build)(struct json_object *body,
			    struct json_object *args, char *err, size_t errlen);
} wm_routes[] = {
	{ 0, "snapshots",		"snapshot-list",	b_none },
	{ 1, "snapshot-create",		"snapshot-create",	b_snap_create },
	{ 1, "snapshot-revert",		"snapshot-revert",	b_snap_revert },
	{ 1, "snapshot-delete",		"snapshot-delete",	b_snap_delete },
	{ 0, "disks",			"blklist",		b_inactive },
	{ 1, "attach-disk",		"attach-disk",		b_attach_disk },
	{ 1, "detach-disk",		"detach-disk",		b_detach_disk },
	{ 1, "change-media",		"change-media",		b_change_media },
	{ 0, "nics",			"iflist",		b_inactive },
	{ 1, "attach-interface",	"attach-interface",	b_attach_if },
	{ 1, "detach-interface",	"detach-interface",	b_detach_if },
	{ 0, "info",			"info",			b_none },
	{ 0, "memstat",			"memstat",		b_none },
	{ 1, "setmem",			"setmem",		b_setmem },
	{ 1, "setvcpus",		"setvcpus",		b_setvcpus },
};

struct json_object *
webmanage_args(int post, const char *what, const char *vm,
    struct json_object *body, const char **cmd, char *err, size_t errlen)
{
	for (size_t i = 0; i < nitems(wm_routes); i++) {
		const struct wm_route *r = &wm_routes[i];
		if (r->post != post || strcmp(r->what, what) != 0)
			continue;
		struct json_object *a = json_object_new_object();
		add_str(a, "name", vm);
		*cmd = r->cmd;
		if (r->build(body, a, err, errlen) == -1) {
			json_object_put(a);
			return NULL;
		}
		return a;
	}
	snprintf(err, errlen, "no such resource");
	*cmd = NULL;
	return NULL;
}


/* The body as a JSON object; an empty body is {}.  NULL: not one. */
static struct json_object *
manage_body(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct json_tokener *tok;
	struct json_object *o = NULL;

	if (len == 0)
		return json_object_new_object();
	if ((tok = json_tokener_new()) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, (const char *)evbuffer_pullup(in, -1),
	    (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len || !json_object_is_type(o,
	    json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

struct wm_call {
	struct web		*w;
	struct evhttp_request	*req;
	uid_t			 uid;
	int			 post;
	char			 action[32];
	char			 vm[NAME_MAX_LEN + 1];
};

static void
answered(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct wm_call *c = arg;

	if (c->post)
		webaudit(c->w, c->uid, c->req, c->action, c->vm, ret != NULL ?
		    "ok" : edesc);
	if (ret == NULL)
		web_reply_error(c->req, 0, eclass, edesc);
	else
		web_reply_json(c->req, HTTP_OK, json_object_get(ret));
	free(c);
}

/* rest: "NAME/WHAT" */
static void
manage(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest, int post)
{
	char name[NAME_MAX_LEN + 1], err[512];
	const char *slash = strchr(rest, '/'), *cmd;
	size_t n = slash != NULL ? (size_t)(slash - rest) : 0;

	if (slash == NULL || n == 0 || n >= sizeof(name)) {
		web_reply_error(req, 404, ERR_NOT_FOUND, "no such resource");
		return;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	const char *what = slash + 1;
	if (!valid_name(name)) {
		web_reply_error(req, 404, ERR_NOT_FOUND, "not a VM name");
		return;
	}
	struct json_object *body = post ? manage_body(req) :
	    json_object_new_object();
	if (body == NULL) {
		webaudit(w, s->uid, req, what, name, "refused: the body is not "
		    "a JSON object");
		web_reply_error(req, 400, ERR_GENERIC, "the body must be a JSON "
		    "object");
		return;
	}
	struct json_object *a = webmanage_args(post, what, name, body, &cmd,
	    err, sizeof(err));
	json_object_put(body);
	if (a == NULL) {
		if (post)
			webaudit(w, s->uid, req, what, name, err);
		web_reply_error(req, cmd == NULL ? 404 : 400, cmd == NULL ?
		    ERR_NOT_FOUND : ERR_GENERIC, err);
		return;
	}
	struct wm_call *c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->req = req;
	c->uid = s->uid;
	c->post = post;
	strlcpy(c->action, what, sizeof(c->action));
	strlcpy(c->vm, name, sizeof(c->vm));
	webctl_call(w->ctl, cmd, a, s->uid, answered, c);
}

void
webmanage_get(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	manage(w, req, s, rest, 0);
}

void
webmanage_post(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	manage(w, req, s, rest, 1);
}
