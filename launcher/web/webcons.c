/*
 * The consoles in the page (webcons.h): a ticket on behalf of the
 * session's user, the WebSocket that spends it, and the console
 * libraries' files.  The supervisor decides who may open what: a ticket
 * is bound to the user it was issued to, so one copied into another
 * session is refused at console-open, as is one used twice.
 *
 * console-open answers with a descriptor beside the reply (SCM_RIGHTS),
 * which the shared control connection (webctl, a bufferevent reading
 * with read(2)) would lose; so each opening has a control connection of
 * its own, read with recvmsg (clientfd_read) in the loop, and closed
 * once the reply is in.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "client.h"
#include "clientfd.h"
#include "jget.h"
#include "jstream.h"
#include "names.h"
#include "util.h"
#include "web.h"
#include "webcons.h"
#include "webctl.h"
#include "websess.h"
#include "wsconsole.h"
#include "xalloc.h"

#define WEBCONS_OPEN_MS		15000	/* console-open's reply, at most */
#define WEBCONS_MAX_REPLY	(64u << 10)
#define WEBCONS_TICKET_MAX	128
#define WEBCONS_OPENS_MAX	32	/* console-opens under way at once */

/* ---- replies ---- */

/* ---- the ticket ---- */

struct tcall {
	struct web		*w;
	struct evhttp_request	*req;
	uid_t			 uid;
	char			 vm[NAME_MAX_LEN + 1];
};

static void
ticketed(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct tcall *c = arg;

	webaudit(c->w, c->uid, c->req, "console-ticket", c->vm,
	    ret != NULL ? "ok" : edesc);
	if (ret == NULL || jstr(ret, "ticket") == NULL) {
		web_reply_error(c->req, 0, ret == NULL ? eclass : ERR_GENERIC,
		    ret == NULL ? edesc : "the supervisor gave no ticket");
		free(c);
		return;
	}
	struct evbuffer *u = evbuffer_new();
	struct json_object *o = json_object_new_object();
	char *ename = evhttp_encode_uri(c->vm);
	char *eticket = evhttp_encode_uri(jstr(ret, "ticket"));
	if (u != NULL && ename != NULL && eticket != NULL)
		evbuffer_add_printf(u, "/ws/console?name=%s&ticket=%s", ename,
		    eticket);
	free(ename);
	free(eticket);
	json_object_object_add(o, "ticket", json_object_new_string(
	    jstr(ret, "ticket")));
	json_object_object_add(o, "kind", json_object_new_string(
	    jstr(ret, "kind") != NULL ? jstr(ret, "kind") : "?"));
	json_object_object_add(o, "expires_in", json_object_new_int(
	    jint(ret, "expires_in", 0)));
	if (u != NULL) {
		json_object_object_add(o, "url", json_object_new_string_len(
		    (const char *)evbuffer_pullup(u, -1),
		    (int)evbuffer_get_length(u)));
		evbuffer_free(u);
	}
	web_reply_json(c->req, HTTP_OK, o);
	free(c);
}

/* "NAME/console" (what follows /api/vms/): the name, or 0 answered. */
static int
vm_of(struct evhttp_request *req, const char *rest, char *name, size_t len)
{
	const char *slash = strchr(rest, '/');
	size_t n = slash != NULL ? (size_t)(slash - rest) : 0;

	if (slash == NULL || n == 0 || n >= len || strcmp(slash,
	    "/console") != 0) {
		web_reply_error(req, 404, ERR_NOT_FOUND, "no such resource");
		return 0;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	if (!valid_name(name)) {
		web_reply_error(req, 404, ERR_NOT_FOUND, "not a VM name");
		return 0;
	}
	return 1;
}

/* The body's "kind", or NULL (answered). */
static char *
kind_of(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL;
	char *kind = NULL;

	if (tok != NULL && len > 0) {
		o = json_tokener_parse_ex(tok, (const char *)evbuffer_pullup(in,
		    -1), (int)len);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    tok->char_offset != (int)len) {
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
	} else if (tok != NULL)
		json_tokener_free(tok);
	if (o != NULL && json_object_is_type(o, json_type_object) &&
	    jstr(o, "kind") != NULL)
		kind = xstrdup(jstr(o, "kind"));
	json_object_put(o);
	if (kind == NULL)
		web_reply_error(req, 400, ERR_GENERIC, "POST /api/vms/NAME/console "
		    "needs {\"kind\": \"vnc\" or \"serial\"}");
	return kind;
}

void
webcons_ticket(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	char name[NAME_MAX_LEN + 1], *kind;

	if (!vm_of(req, rest, name, sizeof(name)) ||
	    (kind = kind_of(req)) == NULL)
		return;
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(name));
	json_object_object_add(a, "kind", json_object_new_string(kind));
	free(kind);
	struct tcall *c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->req = req;
	c->uid = s->uid;
	strlcpy(c->vm, name, sizeof(c->vm));
	webctl_call(w->ctl, "console-ticket", a, s->uid, ticketed, c);
}

/* ---- the WebSocket ---- */

/* One console-open under way, on a control connection of its own. */
struct wsopen {
	struct web		*w;
	struct evhttp_request	*req;		/* NULL: the browser went */
	struct evhttp_connection *evcon;
	uid_t			 uid;
	char			 vm[NAME_MAX_LEN + 1];
	int			 ctl;		/* the control connection */
	int			 fd;		/* what came with the reply */
	struct event		*ev;
	struct jstream		 js;
	struct json_object	*ret;		/* the reply, when in */
	char			 eclass[64], edesc[256];
	int			 done;
};

static void
wsopen_free(struct wsopen *o)
{
	o->w->console_opens--;
	if (o->evcon != NULL)
		evhttp_connection_set_closecb(o->evcon, NULL, NULL);
	if (o->ev != NULL)
		event_free(o->ev);
	if (o->ctl != -1)
		close(o->ctl);
	if (o->fd != -1)
		close(o->fd);
	jstream_free(&o->js);
	json_object_put(o->ret);
	free(o);
}

/* The browser's connection closed while console-open was on its way. */
static void
browser_gone(struct evhttp_connection *evcon, void *arg)
{
	struct wsopen *o = arg;

	(void)evcon;
	o->req = NULL;
	o->evcon = NULL;
}

/* Refused, at the supervisor or here: a close frame says why. */
static void
refused(struct web *w, struct evhttp_request *req, uid_t uid, const char *vm,
    int status, const char *why)
{
	char line[300];

	snprintf(line, sizeof(line), "refused: %s", why);
	webaudit(w, uid, req, "console-open", vm, line);
	(void)wsconsole_refuse(req, 4000 + status, why);
}

/* A console is keystrokes and small screen updates: no Nagle delay. */
static void
no_delay(struct evhttp_request *req)
{
	struct evhttp_connection *ec = evhttp_request_get_connection(req);
	struct bufferevent *bev = ec != NULL ?
	    evhttp_connection_get_bufferevent(ec) : NULL;
	int fd = bev != NULL ? bufferevent_getfd(bev) : -1, one = 1;

	if (fd != -1)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
}

static void
finish(struct wsopen *o)
{
	struct evhttp_request *req = o->req;

	if (o->evcon != NULL) {
		evhttp_connection_set_closecb(o->evcon, NULL, NULL);
		o->evcon = NULL;
	}
	if (req == NULL) {
		/* nobody to give it to: the console's end closes */
		webaudit(o->w, o->uid, NULL, "console-open", o->vm,
		    "the browser went away first");
	} else if (o->ret == NULL)
		refused(o->w, req, o->uid, o->vm, web_status_of(o->eclass),
		    o->edesc);
	else if (o->fd == -1)
		refused(o->w, req, o->uid, o->vm, 502, "the supervisor sent "
		    "no console with its answer");
	else {
		char line[64];
		snprintf(line, sizeof(line), "ok: %s", jstr(o->ret, "kind") !=
		    NULL ? jstr(o->ret, "kind") : "?");
		webaudit(o->w, o->uid, req, "console-open", o->vm, line);
		no_delay(req);
		(void)wsconsole_upgrade(req, o->fd, NULL);
		o->fd = -1;
	}
	wsopen_free(o);
}

static int
on_message(void *arg, struct json_object *msg)
{
	struct wsopen *o = arg;
	struct json_object *e;

	if (jget(msg, "id") == NULL || jget(msg, "event") != NULL)
		return 0;
	if ((e = jget(msg, "error")) != NULL) {
		strlcpy(o->eclass, jstr(e, "class") != NULL ? jstr(e, "class") :
		    ERR_GENERIC, sizeof(o->eclass));
		strlcpy(o->edesc, jstr(e, "desc") != NULL ? jstr(e, "desc") :
		    "?", sizeof(o->edesc));
	} else
		o->ret = json_object_get(jget(msg, "return") != NULL ?
		    jget(msg, "return") : msg);
	o->done = 1;
	return 1;
}

static void
on_ctl(evutil_socket_t sock, short what, void *arg)
{
	struct wsopen *o = arg;
	char buf[4096];

	if (what & EV_TIMEOUT) {
		strlcpy(o->eclass, ERR_TIMEOUT, sizeof(o->eclass));
		strlcpy(o->edesc, "the supervisor did not answer console-open "
		    "in time", sizeof(o->edesc));
		finish(o);
		return;
	}
	ssize_t n = clientfd_read(sock, buf, sizeof(buf), &o->fd);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		strlcpy(o->eclass, ERR_DISCONNECTED, sizeof(o->eclass));
		strlcpy(o->edesc, "qlaunchd closed the connection",
		    sizeof(o->edesc));
		finish(o);
		return;
	}
	if (jstream_feed(&o->js, buf, (size_t)n, on_message, o) == -1) {
		strlcpy(o->eclass, ERR_GENERIC, sizeof(o->eclass));
		snprintf(o->edesc, sizeof(o->edesc), "the supervisor's "
		    "answer: %s", o->js.err);
		o->done = 1;
	}
	if (o->done)
		finish(o);
}

/* Does the Origin name this server (the same scheme, host and port)? */
static int
same_origin(struct web *w, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(h, "Origin");
	const char *host = evhttp_find_header(h, "Host");
	const char *scheme = w->ssl != NULL ? "https://" : "http://";
	size_t n = strlen(scheme);

	return origin != NULL && host != NULL && host[0] != '\0' &&
	    strncmp(origin, scheme, n) == 0 && strcmp(origin + n, host) == 0;
}

/* Send console-open on a connection of its own; -1 with err. */
static int
ctl_open(struct wsopen *o, const char *ticket, char *err, size_t errlen)
{
	struct client_conn conn;

	if (client_open(&conn, o->w->o.sock, 0, err, errlen) == -1)
		return -1;
	o->ctl = conn.fd;
	conn.fd = -1;
	client_close(&conn);

	struct json_object *m = json_object_new_object(), *a;
	a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(o->vm));
	json_object_object_add(a, "ticket", json_object_new_string(ticket));
	json_object_object_add(m, "execute",
	    json_object_new_string("console-open"));
	json_object_object_add(m, "arguments", a);
	json_object_object_add(m, "id", json_object_new_int(1));
	json_object_object_add(m, "on-behalf-of",
	    json_object_new_int64(o->uid));
	size_t len;
	char *s = jstream_render(m, &len);
	json_object_put(m);
	/* a fresh local socket takes a short request whole */
	ssize_t wr = s != NULL ? write(o->ctl, s, len) : -1;
	if (s != NULL)
		explicit_bzero(s, len);
	free(s);
	if (wr != (ssize_t)len) {
		snprintf(err, errlen, "cannot ask qlaunchd: %s", wr == -1 ?
		    strerror(errno) : "short write");
		return -1;
	}
	evutil_make_socket_nonblocking(o->ctl);
	struct timeval tv = { WEBCONS_OPEN_MS / 1000,
	    (WEBCONS_OPEN_MS % 1000) * 1000 };
	if ((o->ev = event_new(o->w->base, o->ctl, EV_READ | EV_PERSIST,
	    on_ctl, o)) == NULL || event_add(o->ev, &tv) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
webcons_ws(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *query = u != NULL ? evhttp_uri_get_query(u) : NULL;
	const char *name, *ticket;
	struct evkeyvalq q;
	char err[256];

	(void)rest;
	TAILQ_INIT(&q);
	if (!same_origin(w, req)) {
		webaudit(w, s->uid, req, "console-open", NULL,
		    "refused: not from the page's origin");
		web_reply_error(req, 403, ERR_PERMISSION, "a console opens only "
		    "from the page itself (Origin)");
		return;
	}
	if (query == NULL || evhttp_parse_query_str(query, &q) == -1 ||
	    (name = evhttp_find_header(&q, "name")) == NULL ||
	    (ticket = evhttp_find_header(&q, "ticket")) == NULL ||
	    !valid_name(name) || strlen(ticket) > WEBCONS_TICKET_MAX) {
		evhttp_clear_headers(&q);
		web_reply_error(req, 400, ERR_GENERIC, "/ws/console needs ?name= "
		    "and ?ticket= (from POST /api/vms/NAME/console)");
		return;
	}
	if (w->console_opens >= WEBCONS_OPENS_MAX) {
		webaudit(w, s->uid, req, "console-open", name,
		    "refused: too many consoles opening at once");
		evhttp_clear_headers(&q);
		web_reply_error(req, 503, ERR_GENERIC, "too many consoles are "
		    "opening at once: try again");
		return;
	}
	struct wsopen *o = xcalloc(1, sizeof(*o));
	w->console_opens++;
	o->w = w;
	o->req = req;
	o->uid = s->uid;
	o->ctl = -1;
	o->fd = -1;
	strlcpy(o->vm, name, sizeof(o->vm));
	if (jstream_init(&o->js, WEBCONS_MAX_REPLY) == -1) {
		evhttp_clear_headers(&q);
		w->console_opens--;
		free(o);
		web_reply_error(req, 500, ERR_GENERIC, "out of memory");
		return;
	}
	if (ctl_open(o, ticket, err, sizeof(err)) == -1) {
		evhttp_clear_headers(&q);
		refused(w, req, o->uid, o->vm, 502, err);
		wsopen_free(o);
		return;
	}
	evhttp_clear_headers(&q);
	o->evcon = evhttp_request_get_connection(req);
	if (o->evcon != NULL)
		evhttp_connection_set_closecb(o->evcon, browser_gone, o);
}

/* ---- the libraries' files ---- */

static const struct {
	const char	*ext;
	const char	*type;
} types[] = {
	{ ".js",	"text/javascript; charset=utf-8" },
	{ ".css",	"text/css; charset=utf-8" },
};

/* A path below the vendor directory: no "..", no dot files, no "//". */
static const char *
vendor_type(const char *rest)
{
	size_t n = strlen(rest);

	if (n == 0 || n > 200 || rest[0] == '/' || rest[0] == '.' ||
	    strstr(rest, "/.") != NULL || strstr(rest, "//") != NULL ||
	    strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-/") != n)
		return NULL;
	for (size_t i = 0; i < nitems(types); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcmp(rest + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

void
webcons_vendor(struct web *w, struct evhttp_request *req, struct websess *s,
    const char *rest)
{
	const char *type = vendor_type(rest);
	char f[1024];
	struct stat st;
	int fd = -1;

	(void)s;
	if (type != NULL && w->o.vendor != NULL &&
	    (size_t)snprintf(f, sizeof(f), "%s/%s", w->o.vendor, rest) <
	    sizeof(f))
		fd = open(f, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	if (fd == -1) {
		web_reply_error(req, 404, ERR_NOT_FOUND, "no such file (the console "
		    "libraries: make web-deps, qlaunch web --vendor)");
		return;
	}
	struct evbuffer *b = evbuffer_new();
	if (b == NULL || evbuffer_add_file(b, fd, 0, st.st_size) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		close(fd);
		web_reply_error(req, 500, ERR_GENERIC, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", type);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}
