/*
 * The control socket: connections, their requests and subscriptions.
 * See control.h for the protocol.  A request that is not valid JSON gets
 * one error reply and the connection is closed, since the stream cannot
 * be trusted after it; a well-formed but wrong request (unknown command,
 * missing or mistyped arguments) gets an error reply and the connection
 * stays open.  A handler may take the stream away (console): after its
 * reply the connection carries raw bytes.
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

#include "control.h"
#include "ctlfd.h"
#include "ctlsend.h"
#include "daemon.h"
#include "dispatch.h"
#include "events.h"
#include "jget.h"
#include "jstream.h"
#include "log.h"
#include "names.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "webtrust.h"

#define CONTROL_MAX_REQUEST	(1u << 20)
#define CONTROL_MAX_OUTPUT	(256u << 20)	/* a client that never reads */
#define CONTROL_MAX_EVENTS	(16u << 20)	/* ...and a subscriber */

struct client {
	TAILQ_ENTRY(client)	 entry;
	struct control		*ctl;
	struct bufferevent	*bev;
	struct ctlfd		*rd;		/* reads bev's socket */
	struct jstream		 js;
	uid_t			 uid;
	pid_t			 pid;
	TAILQ_HEAD(, req)	 reqs;
	TAILQ_HEAD(, req_closer) closers;	/* told when it closes */
	int			 closing;
	int			 subscribed;
	int			 sub_all;
	struct vm		**subs;		/* the VMs it watches */
	size_t			 nsubs;
	/* a detach asked for: the stream goes to fn after this request */
	void			(*handover)(void *, struct bufferevent *);
	void			*handover_arg;
};

struct control {
	struct daemon		*d;
	int			 fd;
	struct event		*ev;
	struct sink		*sink;
	TAILQ_HEAD(, client)	 clients;
	int			 shutting;	/* control_close: tell nobody */
	int			 activated;	/* systemd's socket: not unlinked */
};

static void	client_free(struct client *);

static void
client_send(struct client *c, struct json_object *msg)
{
	size_t len;
	char *s;

	if (c->closing && evbuffer_get_length(
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

/* ---- requests: the connection's side of req.h ---- */

static void
conn_send(void *conn, struct json_object *msg)
{
	client_send(conn, msg);
}

static void
conn_forget(void *conn, struct req *r)
{
	struct client *c = conn;

	TAILQ_REMOVE(&c->reqs, r, centry);
}

static int
conn_detach(void *conn, void (*fn)(void *, struct bufferevent *), void *arg)
{
	struct client *c = conn;

	if (c->closing || c->handover != NULL)
		return -1;
	c->handover = fn;
	c->handover_arg = arg;
	return 0;
}

static int
conn_take_fd(void *conn)
{
	struct client *c = conn;

	return c->rd != NULL ? ctlfd_take(c->rd) : -1;
}

static void
conn_watch(void *conn, struct req_closer *w)
{
	struct client *c = conn;

	TAILQ_INSERT_TAIL(&c->closers, w, entry);
}

static void
conn_unwatch(void *conn, struct req_closer *w)
{
	struct client *c = conn;

	TAILQ_REMOVE(&c->closers, w, entry);
}

/* A reply with a descriptor beside it (ctlsend.h): console-open's. */
static int
conn_send_fd(void *conn, struct json_object *msg, int fd)
{
	struct client *c = conn;
	size_t len;
	char *s;

	if (c->closing || c->bev == NULL || (s = jstream_render(msg,
	    &len)) == NULL)
		return -1;
	int r = ctlsend_fd(c->bev, s, len, fd);
	free(s);
	return r;
}

static const struct req_ops conn_ops = { conn_send, conn_forget, conn_detach,
    conn_take_fd, conn_watch, conn_unwatch, conn_send_fd };

/* ---- subscriptions ---- */

static int
watches(const struct client *c, const struct vm *vm)
{
	if (c->sub_all)
		return 1;
	for (size_t i = 0; i < c->nsubs; i++)
		if (c->subs[i] == vm)
			return 1;
	return 0;
}

static void
unwatch(struct client *c, const struct vm *vm)
{
	for (size_t i = 0; i < c->nsubs; i++)
		if (c->subs[i] == vm) {
			c->subs[i] = c->subs[--c->nsubs];
			return;
		}
}

/* The VM core's events reach the connections watching that VM. */
static void
control_sink(void *arg, const struct vm_event *ev)
{
	struct control *ctl = arg;
	struct client *c;

	TAILQ_FOREACH(c, &ctl->clients, entry) {
		if (ev->kind == VMEV_REMOVED) {
			unwatch(c, ev->vm);
			continue;
		}
		if (ev->kind != VMEV_MESSAGE || !c->subscribed || c->closing)
			continue;
		if (watches(c, ev->vm))
			client_send(c, ev->msg);
	}
}

/* One VM more to watch; -1 answered. */
static int
watch_name(struct req *r, struct client *c, const char *name)
{
	struct vm *vm = vm_lookup(r->d, name);

	if (vm == NULL) {
		req_error(r, ERR_NOT_FOUND, "no VM named '%s'", name);
		return -1;
	}
	if (!vm_may_use(vm, r->uid)) {
		req_error(r, ERR_PERMISSION, "VM '%s' belongs to another user",
		    name);
		return -1;
	}
	if (!watches(c, vm)) {
		c->subs = xreallocarray(c->subs, c->nsubs + 1, sizeof(*c->subs));
		c->subs[c->nsubs++] = vm;
	}
	return 0;
}

/*
 * subscribe {"name": VM} or {"names": [VM, ...]} adds VMs to what the
 * connection watches; {} watches every VM (admins only).  The
 * subscription belongs to the connection, so it is handled here.
 */
static void
client_subscribe(struct req *r, struct client *c)
{
	struct json_object *names = jget(r->args, "names");
	const char *name = req_str(r, "name");

	if (names != NULL) {
		if (!json_object_is_type(names, json_type_array)) {
			req_error(r, ERR_GENERIC, "\"names\" must be an array "
			    "of VM names");
			return;
		}
		for (size_t i = 0; i < json_object_array_length(names); i++) {
			struct json_object *n = json_object_array_get_idx(names,
			    i);
			if (!json_object_is_type(n, json_type_string)) {
				req_error(r, ERR_GENERIC, "\"names\" must be an "
				    "array of VM names");
				return;
			}
			if (watch_name(r, c, json_object_get_string(n)) == -1)
				return;
		}
	} else if (name != NULL) {
		if (watch_name(r, c, name) == -1)
			return;
	} else if (uid_is_admin(r->d, r->uid) || web_trusted(r))
		c->sub_all = 1;	/* the web manager filters per user */
	else {
		req_error(r, ERR_PERMISSION, "only root may watch every VM; "
		    "name one");
		return;
	}
	c->subscribed = 1;
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
		struct json_object *m = req_error_msg(id, ERR_GENERIC,
		    "a request needs \"execute\" with a command name");
		client_send(c, m);
		json_object_put(m);
		return 0;
	}
	if (json_object_object_get_ex(msg, "arguments", &args) &&
	    !json_object_is_type(args, json_type_object)) {
		struct json_object *m = req_error_msg(id, ERR_GENERIC,
		    "\"arguments\" must be an object");
		client_send(c, m);
		json_object_put(m);
		return 0;
	}
	/* the web manager acts for its users (req_acting_uid) */
	char err[256];
	uid_t uid;
	if (req_acting_uid(c->ctl->d, msg, c->uid, &uid, err,
	    sizeof(err)) == -1) {
		struct json_object *m = req_error_msg(id, ERR_PERMISSION, err);
		client_send(c, m);
		json_object_put(m);
		return 0;
	}
	const char *cmd = json_object_get_string(ex);
	struct req *r = req_new(c->ctl->d, &conn_ops, c, cmd,
	    id != NULL ? json_object_get(id) : NULL,
	    args != NULL ? json_object_get(args) : NULL, uid, c->pid);
	r->peer_uid = c->uid;
	TAILQ_INSERT_TAIL(&c->reqs, r, centry);
	if (strlen(cmd) >= sizeof(r->cmd)) {
		req_error(r, ERR_COMMAND_NOT_FOUND, "no command '%.40s...'", cmd);
		return 0;
	}
	log_debug("request %s from uid %lu pid %ld (for uid %lu)", r->cmd,
	    (unsigned long)r->peer_uid, (long)r->pid, (unsigned long)r->uid);
	if (strcmp(cmd, "subscribe") == 0)
		client_subscribe(r, c);
	else
		dispatch(r);
	/* a descriptor passed along is the request's, or nobody's */
	ctlfd_drop(c->rd);
	/* a handover switches the rest of the stream to raw bytes */
	return c->handover != NULL || c->closing;
}

static void client_hand_over(struct client *);

static void
client_close_when_done(struct client *c)
{
	c->closing = 1;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_free(c);
	else {
		ctlfd_free(c->rd);
		c->rd = NULL;
	}
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (evbuffer_get_length(in) > 0 && !c->closing) {
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		size_t n = v.iov_len;
		int r = jstream_feed(&c->js, v.iov_base, n, client_message, c);
		if (r == 1)
			n = c->js.consumed;
		if (r == -1) {
			struct json_object *m = req_error_msg(NULL, ERR_GENERIC,
			    c->js.err);
			client_send(c, m);
			json_object_put(m);
			evbuffer_drain(in, evbuffer_get_length(in));
			client_close_when_done(c);
			return;
		}
		evbuffer_drain(in, n);
		if (r == 1 && c->handover != NULL) {
			/* everything after the request's newline is raw */
			unsigned char *nl = evbuffer_pullup(in, 1);
			if (nl != NULL && *nl == '\n')
				evbuffer_drain(in, 1);
			client_hand_over(c);
			return;
		}
	}
}

static void
client_write(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	(void)bev;
	if (c->closing)
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
	struct req_closer *w;

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, r, centry);
		r->conn = NULL;	/* its handler answers into the void */
	}
	while ((w = TAILQ_FIRST(&c->closers)) != NULL) {
		TAILQ_REMOVE(&c->closers, w, entry);
		w->conn = NULL;
		if (!c->ctl->shutting)
			w->fn(w->arg);
	}
	TAILQ_REMOVE(&c->ctl->clients, c, entry);
	ctlfd_free(c->rd);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	jstream_free(&c->js);
	free(c->subs);
	free(c);
}

/* The stream leaves the control protocol for whoever asked for it. */
static void
client_hand_over(struct client *c)
{
	struct bufferevent *bev = c->bev;

	c->bev = NULL;
	ctlfd_free(c->rd);
	c->rd = NULL;
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	c->handover(c->handover_arg, bev);
	client_free(c);
}

static void
control_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	struct control *ctl = arg;

	(void)what;
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
	c->ctl = ctl;
	c->uid = cred.uid;
	c->pid = cred.pid;
	TAILQ_INIT(&c->reqs);
	TAILQ_INIT(&c->closers);
	if (jstream_init(&c->js, CONTROL_MAX_REQUEST) == -1 ||
	    (c->bev = bufferevent_socket_new(ctl->d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("out of memory for a client");
		close(fd);
		jstream_free(&c->js);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	/* read with recvmsg (ctlfd), for descriptors passed along */
	bufferevent_enable(c->bev, EV_WRITE);
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	if ((c->rd = ctlfd_new(ctl->d->base, c->bev, client_read, client_event,
	    c)) == NULL) {
		log_warnx("out of memory for a client");
		client_free(c);
	}
}

int
control_listen(struct daemon *d, const char *path, char *err, size_t errlen)
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
	control_listen_fd(d, fd, 0);
	return 0;
}

/* Serve on a listening socket already made (socket activation: kept). */
void
control_listen_fd(struct daemon *d, int fd, int activated)
{
	struct control *ctl = xcalloc(1, sizeof(*ctl));
	ctl->activated = activated;
	ctl->d = d;
	ctl->fd = fd;
	TAILQ_INIT(&ctl->clients);
	ctl->ev = event_new(d->base, fd, EV_READ | EV_PERSIST, control_accept,
	    ctl);
	event_add(ctl->ev, NULL);
	ctl->sink = events_sink(d, control_sink, ctl);
	d->control = ctl;
}

void
control_close(struct daemon *d)
{
	struct control *ctl = d->control;
	struct client *c;

	if (ctl == NULL)
		return;
	event_free(ctl->ev);
	close(ctl->fd);
	if (!ctl->activated)
		unlink(d->sock);
	ctl->shutting = 1;
	while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
		client_free(c);
	events_unsink(d, ctl->sink);
	free(ctl);
	d->control = NULL;
}
