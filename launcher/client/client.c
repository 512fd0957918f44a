#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "client.h"
#include "clientfd.h"
#include "jget.h"
#include "names.h"
#include "sshconn.h"
#include "sshuri.h"
#include "util.h"
#include "xalloc.h"

#define CLIENT_MAX_MESSAGE	(256u << 20)

/* qlaunchd beside this program, else from PATH */
static void
find_qlaunchd(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(buf, len, "%s/qlaunchd", self);
			if (access(buf, X_OK) == 0)
				return;
			/* installed: qlaunch in bin, qlaunchd in sbin */
			snprintf(buf, len, "%s/../sbin/qlaunchd", self);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	strlcpy(buf, "qlaunchd", len);
}

static int
start_daemon(const char *path, char *err, size_t errlen)
{
	char prog[PATH_MAX];
	int status;

	find_qlaunchd(prog, sizeof(prog));
	pid_t pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* qlaunchd daemonizes and exits once it listens */
		execlp(prog, "qlaunchd", "-S", path, (char *)NULL);
		fprintf(stderr, "qlaunch: cannot start %s: %s\n", prog,
		    strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "qlaunchd did not start (see above)");
		return -1;
	}
	return 0;
}

int
client_open(struct client_conn *c, const char *path, int autostart,
    char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	TAILQ_INIT(&c->queue);
	c->fd = -1;
	c->pass_fd = -1;
	c->recv_fd = -1;
	c->next_id = 1;
	if (sshuri_is(path)) {
		c->ssh = xcalloc(1, sizeof(*c->ssh));
		if (sshconn_open(path, c->ssh, err, errlen) == -1) {
			free(c->ssh);
			c->ssh = NULL;
			return -1;
		}
		c->fd = c->ssh->fd;
		c->ssh->fd = -1;
	} else if (strlcpy(c->path, path, sizeof(c->path)) >= sizeof(c->path)) {
		snprintf(err, errlen, "%s: too long for a UNIX socket", path);
		return -1;
	} else
		c->fd = unix_connect(path);
	if (c->fd == -1 && autostart && (errno == ENOENT ||
	    errno == ECONNREFUSED)) {
		if (start_daemon(path, err, errlen) == -1)
			return -1;
		c->fd = unix_connect(path);
	}
	if (c->fd == -1) {
		snprintf(err, errlen, "cannot connect to qlaunchd at %s: %s%s",
		    path, strerror(errno), autostart ? "" :
		    " (is qlaunchd running?)");
		return -1;
	}
	if (jstream_init(&c->js, CLIENT_MAX_MESSAGE) == -1) {
		snprintf(err, errlen, "out of memory");
		close(c->fd);
		return -1;
	}
	return 0;
}

void
client_close(struct client_conn *c)
{
	struct client_msg *q;

	while ((q = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, q, entry);
		json_object_put(q->msg);
		free(q);
	}
	free(c->rest);
	c->rest = NULL;
	jstream_free(&c->js);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	if (c->pass_fd != -1)
		close(c->pass_fd);
	c->pass_fd = -1;
	if (c->recv_fd != -1)
		close(c->recv_fd);
	c->recv_fd = -1;
	if (c->ssh != NULL)
		sshconn_close(c->ssh, 2000);
	free(c->ssh);
	c->ssh = NULL;
}

/* The request's line, with pass_fd beside its first byte. */
static int
send_line(struct client_conn *c, const char *line, size_t len)
{
	if (c->pass_fd == -1)
		return write_all(c->fd, line, len);
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { (void *)line, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ssize_t n;

	memset(&u, 0, sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->pass_fd, sizeof(int));
	while ((n = sendmsg(c->fd, &mh, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		;
	close(c->pass_fd);
	c->pass_fd = -1;
	if (n == -1)
		return -1;
	return write_all(c->fd, line + n, len - (size_t)n);
}

static int
enqueue(void *arg, struct json_object *msg)
{
	struct client_conn *c = arg;
	struct client_msg *q = xcalloc(1, sizeof(*q));

	q->msg = json_object_get(msg);
	TAILQ_INSERT_TAIL(&c->queue, q, entry);
	c->nread++;
	/* stop after each message so a console reply leaves raw bytes */
	return 1;
}

/*
 * Read until one more message is queued.  Bytes that follow it in the
 * same read are kept in rest (they are console output after a console
 * reply, or the start of the next message).  Returns -1 on EOF/error.
 */
static int
read_message(struct client_conn *c, int timeout_ms, char *err, size_t errlen)
{
	char buf[65536];
	unsigned long long before = c->nread;

	while (c->nread == before) {
		if (c->nrest > 0) {
			char *tmp = c->rest;
			size_t n = c->nrest;
			c->rest = NULL;
			c->nrest = 0;
			int r = jstream_feed(&c->js, tmp, n, enqueue, c);
			if (r == -1) {
				snprintf(err, errlen, "bad reply from qlaunchd: %s",
				    c->js.err);
				free(tmp);
				return -1;
			}
			size_t used = r == 1 ? c->js.consumed : n;
			if (used < n) {
				c->rest = xmemdup(tmp + used, n - used);
				c->nrest = n - used;
			}
			free(tmp);
			continue;
		}
		if (timeout_ms >= 0) {
			struct pollfd p = { c->fd, POLLIN, 0 };
			int r = poll(&p, 1, timeout_ms);
			if (r == 0)
				return 0;
		}
		ssize_t n = clientfd_read(c->fd, buf, sizeof(buf), &c->recv_fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "qlaunchd closed the connection%s%s",
			    n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			return -1;
		}
		c->rest = xmemdup(buf, (size_t)n);
		c->nrest = (size_t)n;
	}
	return 1;
}

/* Unlink a queued message; the caller owns it. */
static struct json_object *
take(struct client_conn *c, struct client_msg *q)
{
	struct json_object *m = q->msg;

	TAILQ_REMOVE(&c->queue, q, entry);
	free(q);
	return m;
}

static int
has(struct json_object *m, const char *key)
{
	return json_object_is_type(m, json_type_object) &&
	    json_object_object_get_ex(m, key, NULL);
}

/* Fill eclass/edesc from an error message; 0 when it is not one. */
static int
error_of(struct json_object *m, char *eclass, size_t eclasslen, char *edesc,
    size_t edesclen)
{
	struct json_object *e;
	const char *cl, *d;

	if ((e = jget(m, "error")) == NULL)
		return 0;
	cl = jstr(e, "class");
	d = jstr(e, "desc");
	strlcpy(eclass, cl != NULL ? cl : ERR_GENERIC, eclasslen);
	strlcpy(edesc, d != NULL ? d : "", edesclen);
	return 1;
}

int
client_call(struct client_conn *c, const char *cmd, struct json_object *args,
    struct json_object **ret, char *eclass, size_t eclasslen, char *edesc,
    size_t edesclen, void (*on_event)(struct json_object *, void *), void *arg)
{
	long long id = c->next_id++;
	struct json_object *m = json_object_new_object();
	size_t len;

	*ret = NULL;
	c->error_from_qemu = 0;
	json_object_object_add(m, "id", json_object_new_int64(id));
	json_object_object_add(m, "execute", json_object_new_string(cmd));
	if (args != NULL)
		json_object_object_add(m, "arguments", args);
	char *line = jstream_render(m, &len);
	json_object_put(m);
	if (send_line(c, line, len) == -1) {
		strlcpy(eclass, ERR_DISCONNECTED, eclasslen);
		snprintf(edesc, edesclen, "cannot send to qlaunchd: %s",
		    strerror(errno));
		free(line);
		return -1;
	}
	free(line);

	for (;;) {
		struct client_msg *q, *tq;
		TAILQ_FOREACH_SAFE(q, &c->queue, entry, tq) {
			struct json_object *jid;
			if (has(q->msg, "event") && !has(q->msg, "return")) {
				/* an event: the caller's, or left for later */
				if (on_event != NULL) {
					m = take(c, q);
					on_event(m, arg);
					json_object_put(m);
				}
				continue;
			}
			if ((jid = jget(q->msg, "id")) == NULL) {
				/* a protocol error without an id */
				m = take(c, q);
				int iserr = error_of(m, eclass, eclasslen,
				    edesc, edesclen);
				json_object_put(m);
				if (iserr)
					return -1;
				continue;
			}
			if (!json_object_is_type(jid, json_type_int) ||
			    json_object_get_int64(jid) != id)
				continue;
			m = take(c, q);
			struct json_object *v;
			if (json_object_object_get_ex(m, "return", &v)) {
				/* "return": null is a reply too */
				*ret = json_object_get(v);
				json_object_put(m);
				return 0;
			}
			if (!error_of(m, eclass, eclasslen, edesc, edesclen)) {
				strlcpy(eclass, ERR_GENERIC, eclasslen);
				strlcpy(edesc, "a reply from qlaunchd without "
				    "\"return\" or \"error\"", edesclen);
			}
			c->error_from_qemu = jbool(jget(m, "error"), "qemu");
			json_object_put(m);
			return -1;
		}
		char err[256];
		if (read_message(c, -1, err, sizeof(err)) <= 0) {
			strlcpy(eclass, ERR_DISCONNECTED, eclasslen);
			strlcpy(edesc, err, edesclen);
			return -1;
		}
	}
}

long long
client_send(struct client_conn *c, const char *cmd, struct json_object *args)
{
	long long id = c->next_id++;
	struct json_object *m = json_object_new_object();
	size_t len;

	json_object_object_add(m, "id", json_object_new_int64(id));
	json_object_object_add(m, "execute", json_object_new_string(cmd));
	if (args != NULL)
		json_object_object_add(m, "arguments", args);
	char *line = jstream_render(m, &len);
	json_object_put(m);
	int r = send_line(c, line, len);
	free(line);
	return r == -1 ? -1 : id;
}

struct json_object *
client_next_event(struct client_conn *c, int timeout_ms)
{
	char err[256];

	for (;;) {
		struct client_msg *q = TAILQ_FIRST(&c->queue);
		if (q != NULL)
			return take(c, q);
		if (read_message(c, timeout_ms, err, sizeof(err)) <= 0)
			return NULL;
	}
}
