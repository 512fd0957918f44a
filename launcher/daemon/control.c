/*
 * The control socket: newline-delimited JSON shaped like QMP.
 *
 *   -> {"id": 1, "execute": "start", "arguments": {"name": "web1"}}
 *   <- {"id": 1, "return": {...}}
 *   <- {"id": 1, "error": {"class": "NotFound", "desc": "..."}}
 *   <- {"event": "VM_STATE", "vm": "web1", "data": {...}}   (subscribed)
 *
 * Peers are identified with SO_PEERCRED.  A request that is not valid
 * JSON gets one error reply and the connection is closed, since the
 * stream cannot be trusted after it; a well-formed but wrong request
 * (unknown command, missing or mistyped arguments) gets an error reply
 * and the connection stays open.  After a successful "console" reply the connection
 * becomes a raw byte relay to the VM's serial console.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "jstream.h"
#include "log.h"
#include "qlaunchd.h"
#include "util.h"

#define CONTROL_MAX_REQUEST	(1u << 20)
#define CONTROL_MAX_OUTPUT	(256u << 20)	/* a client that never reads */
#define CONTROL_MAX_EVENTS	(16u << 20)	/* ...and a subscriber */

struct client {
	TAILQ_ENTRY(client)	 entry;
	struct bufferevent	*bev;
	struct jstream		 js;
	uid_t			 uid;
	pid_t			 pid;
	TAILQ_HEAD(, req)	 reqs;
	int			 closing;
	int			 sub_all;
	char			 sub_vm[65];
	int			 subscribed;
	struct console		*console;
};

struct console {
	struct vm		*vm;
	struct client		*c;
	struct bufferevent	*qbev;
};

static TAILQ_HEAD(, client) clients = TAILQ_HEAD_INITIALIZER(clients);

static void	client_free(struct client *);
static void	console_free(struct console *);

static void
client_send(struct client *c, struct json_object *msg)
{
	size_t len;
	char *s;

	if (c->closing && c->console == NULL && evbuffer_get_length(
	    bufferevent_get_output(c->bev)) == 0)
		return;
	if ((s = jstream_render(msg, &len)) == NULL)
		return;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t cap = c->subscribed ? CONTROL_MAX_EVENTS : CONTROL_MAX_OUTPUT;
	if (evbuffer_get_length(out) + len > cap) {
		log_warnx("client pid %ld does not read what it is sent; "
		    "dropping it", (long)c->pid);
		c->closing = 1;
		free(s);
		return;
	}
	size_t off = 0;
	if (evbuffer_get_length(out) == 0) {
		/* the usual case: straight out, no deferred write */
		ssize_t n = send(bufferevent_getfd(c->bev), s, len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			off = (size_t)n;
	}
	if (off < len)
		bufferevent_write(c->bev, s + off, len - off);
	free(s);
}

static void
req_free(struct req *r)
{
	if (r->c != NULL)
		TAILQ_REMOVE(&r->c->reqs, r, centry);
	if (r->id != NULL)
		json_object_put(r->id);
	if (r->args != NULL)
		json_object_put(r->args);
	free(r);
}

void
req_return(struct req *r, struct json_object *ret)
{
	if (r->c != NULL) {
		struct json_object *m = json_object_new_object();
		if (r->id != NULL)
			json_object_object_add(m, "id", json_object_get(r->id));
		json_object_object_add(m, "return",
		    ret != NULL ? ret : json_object_new_object());
		client_send(r->c, m);
		json_object_put(m);
	} else if (ret != NULL)
		json_object_put(ret);
	req_free(r);
}

static struct json_object *
error_msg(struct json_object *id, const char *class, const char *desc)
{
	struct json_object *m = json_object_new_object(), *e;

	if (id != NULL)
		json_object_object_add(m, "id", json_object_get(id));
	e = json_object_new_object();
	json_object_object_add(e, "class", json_object_new_string(class));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(m, "error", e);
	return m;
}

void
req_error(struct req *r, const char *class, const char *fmt, ...)
{
	char desc[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (r->c != NULL) {
		struct json_object *m = error_msg(r->id, class, desc);
		client_send(r->c, m);
		json_object_put(m);
	}
	req_free(r);
}

/* An error QEMU raised: class and desc as QEMU gave them, marked so. */
void
req_qemu_error(struct req *r, const char *class, const char *desc)
{
	if (r->c != NULL) {
		struct json_object *m = error_msg(r->id, class, desc), *e;
		/* the QMP library's own Timeout and Disconnected are ours */
		int own = strcmp(class, "Timeout") == 0 ||
		    strcmp(class, "Disconnected") == 0;
		json_object_object_get_ex(m, "error", &e);
		json_object_object_add(e, "qemu", json_object_new_boolean(!own));
		client_send(r->c, m);
		json_object_put(m);
	}
	req_free(r);
}

void
req_event(struct req *r, const char *event, struct json_object *data)
{
	if (r->c != NULL) {
		struct json_object *m = json_object_new_object();
		json_object_object_add(m, "event", json_object_new_string(event));
		if (r->id != NULL)
			json_object_object_add(m, "id", json_object_get(r->id));
		json_object_object_add(m, "data", data);
		client_send(r->c, m);
		json_object_put(m);
	} else
		json_object_put(data);
}

void
control_broadcast(const char *vm, struct json_object *ev)
{
	struct client *c;

	TAILQ_FOREACH(c, &clients, entry) {
		if (!c->subscribed || c->closing || c->console != NULL)
			continue;
		if (c->sub_all || strcmp(c->sub_vm, vm) == 0)
			client_send(c, ev);
	}
}

/* The subscription is handled here: it belongs to the connection. */
static void
client_subscribe(struct req *r)
{
	struct json_object *n;

	r->c->subscribed = 1;
	if (json_object_object_get_ex(r->args, "name", &n) &&
	    json_object_is_type(n, json_type_string)) {
		const char *name = json_object_get_string(n);
		struct vm *vm = vm_find(name);
		if (vm == NULL) {
			r->c->subscribed = 0;
			req_error(r, "NotFound", "no VM named '%s'", name);
			return;
		}
		if (!vm_may_use(vm, r->uid)) {
			r->c->subscribed = 0;
			req_error(r, "PermissionDenied", "VM '%s' belongs to "
			    "another user", name);
			return;
		}
		strlcpy(r->c->sub_vm, name, sizeof(r->c->sub_vm));
	} else if (uid_is_admin(r->uid))
		r->c->sub_all = 1;
	else {
		r->c->subscribed = 0;
		req_error(r, "PermissionDenied", "only root may watch every VM; "
		    "name one");
		return;
	}
	req_return(r, NULL);
}

static int
client_message(void *arg, struct json_object *msg)
{
	struct client *c = arg;
	struct json_object *id = NULL, *ex, *args = NULL;

	json_object_object_get_ex(msg, "id", &id);
	if (!json_object_object_get_ex(msg, "execute", &ex) ||
	    !json_object_is_type(ex, json_type_string)) {
		struct json_object *m = error_msg(id, "GenericError",
		    "a request needs \"execute\" with a command name");
		client_send(c, m);
		json_object_put(m);
		return 0;
	}
	if (json_object_object_get_ex(msg, "arguments", &args) &&
	    !json_object_is_type(args, json_type_object)) {
		struct json_object *m = error_msg(id, "GenericError",
		    "\"arguments\" must be an object");
		client_send(c, m);
		json_object_put(m);
		return 0;
	}
	const char *cmd = json_object_get_string(ex);
	struct req *r = xcalloc(1, sizeof(*r));
	r->c = c;
	r->id = id != NULL ? json_object_get(id) : NULL;
	r->args = args != NULL ? json_object_get(args) :
	    json_object_new_object();
	r->uid = c->uid;
	r->pid = c->pid;
	if (strlcpy(r->cmd, cmd, sizeof(r->cmd)) >= sizeof(r->cmd)) {
		TAILQ_INSERT_TAIL(&c->reqs, r, centry);
		req_error(r, "CommandNotFound", "no command '%.40s...'", cmd);
		return 0;
	}
	TAILQ_INSERT_TAIL(&c->reqs, r, centry);
	log_debug("request %s from uid %lu pid %ld", r->cmd,
	    (unsigned long)r->uid, (long)r->pid);
	if (strcmp(cmd, "subscribe") == 0)
		client_subscribe(r);
	else
		dcmd_dispatch(r);
	/* a console handover switches the rest of the stream to raw bytes */
	return c->console != NULL || c->closing;
}

static void
client_close_when_done(struct client *c)
{
	c->closing = 1;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_free(c);
	else
		bufferevent_disable(c->bev, EV_READ);
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->console != NULL) {
		if (c->console->qbev != NULL)
			bufferevent_write_buffer(c->console->qbev, in);
		else
			evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while (evbuffer_get_length(in) > 0 && !c->closing) {
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		size_t n = v.iov_len;
		int r = jstream_feed(&c->js, v.iov_base, n, client_message, c);
		if (r == 1)
			n = c->js.consumed;
		if (r == -1) {
			struct json_object *m = error_msg(NULL, "GenericError",
			    c->js.err);
			client_send(c, m);
			json_object_put(m);
			evbuffer_drain(in, evbuffer_get_length(in));
			client_close_when_done(c);
			return;
		}
		evbuffer_drain(in, n);
		if (r == 1 && c->console != NULL) {
			/* everything after the request's newline is raw */
			unsigned char *nl = evbuffer_pullup(in, 1);
			if (nl != NULL && *nl == '\n')
				evbuffer_drain(in, 1);
			if (evbuffer_get_length(in) > 0)
				bufferevent_write_buffer(c->console->qbev, in);
			return;
		}
	}
}

static void
client_write(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	(void)bev;
	if (c->closing && c->console == NULL)
		client_free(c);
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(c);
}

static void
client_free(struct client *c)
{
	struct req *r;

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, r, centry);
		r->c = NULL;	/* its handler answers into the void */
	}
	if (c->console != NULL)
		console_free(c->console);
	TAILQ_REMOVE(&clients, c, entry);
	bufferevent_free(c->bev);
	jstream_free(&c->js);
	free(c);
}

static void
control_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	(void)what;
	(void)arg;
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("SO_PEERCRED");
		close(fd);
		return;
	}
	struct client *c = xcalloc(1, sizeof(*c));
	c->uid = cred.uid;
	c->pid = cred.pid;
	TAILQ_INIT(&c->reqs);
	if (jstream_init(&c->js, CONTROL_MAX_REQUEST) == -1 ||
	    (c->bev = bufferevent_socket_new(D->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("out of memory for a client");
		close(fd);
		jstream_free(&c->js);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&clients, c, entry);
}

int
control_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: too long for a UNIX socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A socket file nobody answers on is stale; a live one is not ours. */
	int probe = unix_connect(path);
	if (probe != -1) {
		close(probe);
		close(fd);
		snprintf(err, errlen, "%s: another qlaunchd is listening there",
		    path);
		return -1;
	}
	unlink(path);
	/* 0660 when root runs it and a qlaunch group exists, else 0600 */
	struct group *g = geteuid() == 0 ? getgrnam("qlaunch") : NULL;
	mode_t old = umask(g != NULL ? 0117 : 0177);
	int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (g != NULL && chown(path, (uid_t)-1, g->gr_gid) == -1)
		log_warn("chown %s to group qlaunch", path);
	if (listen(fd, 128) == -1) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	D->listen_fd = fd;
	D->listen_ev = event_new(D->base, fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	event_add(D->listen_ev, NULL);
	return 0;
}

void
control_close(void)
{
	struct client *c;

	if (D->listen_ev != NULL) {
		event_free(D->listen_ev);
		D->listen_ev = NULL;
		close(D->listen_fd);
		unlink(D->sock);
	}
	while ((c = TAILQ_FIRST(&clients)) != NULL)
		client_free(c);
}

/* ---- the serial console relay ---- */

static void
console_free(struct console *con)
{
	if (con->qbev != NULL)
		bufferevent_free(con->qbev);
	if (con->vm != NULL)
		con->vm->console = NULL;
	if (con->c != NULL)
		con->c->console = NULL;
	free(con);
}

/* The VM side closed (QEMU exited): flush and close the client. */
static void
console_end(struct console *con)
{
	struct client *c = con->c;

	console_free(con);
	if (c != NULL)
		client_close_when_done(c);
}

static void
console_qread(struct bufferevent *bev, void *arg)
{
	struct console *con = arg;

	if (con->c != NULL)
		bufferevent_write_buffer(con->c->bev,
		    bufferevent_get_input(bev));
}

static void
console_qevent(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		console_end(arg);
}

void
console_close_vm(struct vm *vm)
{
	if (vm->console != NULL)
		console_end(vm->console);
}

int
req_take_console(struct req *r, struct vm *vm, int fd)
{
	struct client *c = r->c;

	if (c == NULL) {
		close(fd);
		req_free(r);
		return -1;
	}
	struct console *con = xcalloc(1, sizeof(*con));
	con->qbev = bufferevent_socket_new(D->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (con->qbev == NULL) {
		close(fd);
		free(con);
		req_error(r, "GenericError", "out of memory");
		return -1;
	}
	con->vm = vm;
	con->c = c;
	vm->console = con;
	c->console = con;
	bufferevent_setcb(con->qbev, console_qread, NULL, console_qevent, con);
	bufferevent_enable(con->qbev, EV_READ | EV_WRITE);
	req_return(r, NULL);
	return 0;
}
