#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "jget.h"
#include "names.h"
#include "req.h"
#include "xalloc.h"

struct req *
req_new(struct daemon *d, const struct req_ops *ops, void *conn,
    const char *cmd, struct json_object *id, struct json_object *args,
    uid_t uid, pid_t pid)
{
	struct req *r = xcalloc(1, sizeof(*r));

	r->d = d;
	r->ops = ops;
	r->conn = conn;
	r->id = id;
	r->args = args != NULL ? args : json_object_new_object();
	r->uid = uid;
	r->pid = pid;
	r->peer_uid = uid;
	strlcpy(r->cmd, cmd, sizeof(r->cmd));
	return r;
}

static void
req_free(struct req *r)
{
	if (r->conn != NULL && r->ops->forget != NULL)
		r->ops->forget(r->conn, r);
	json_object_put(r->id);
	json_object_put(r->args);
	free(r);
}

static void
send_msg(struct req *r, struct json_object *m)
{
	if (r->conn != NULL)
		r->ops->send(r->conn, m);
	json_object_put(m);
}

void
req_return(struct req *r, struct json_object *ret)
{
	struct json_object *m = json_object_new_object();

	if (r->id != NULL)
		json_object_object_add(m, "id", json_object_get(r->id));
	json_object_object_add(m, "return",
	    ret != NULL ? ret : json_object_new_object());
	send_msg(r, m);
	req_free(r);
}

int
req_return_fd(struct req *r, struct json_object *ret, int fd)
{
	struct json_object *m;

	if (r->conn == NULL || r->ops->send_fd == NULL) {
		json_object_put(ret);
		return -1;
	}
	m = json_object_new_object();
	if (r->id != NULL)
		json_object_object_add(m, "id", json_object_get(r->id));
	json_object_object_add(m, "return",
	    ret != NULL ? ret : json_object_new_object());
	int rc = r->ops->send_fd(r->conn, m, fd);
	json_object_put(m);
	if (rc == -1)
		return -1;
	req_free(r);
	return 0;
}

struct json_object *
req_error_msg(struct json_object *id, const char *class, const char *desc)
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
	send_msg(r, req_error_msg(r->id, class, desc));
	req_free(r);
}

void
req_qemu_error(struct req *r, const char *class, const char *desc)
{
	char why[1024];
	int gone = strcmp(class, ERR_DISCONNECTED) == 0;

	/* the library's "end of file": what happened, for a person */
	if (gone)
		snprintf(why, sizeof(why), "lost QEMU (%s); 'qlaunch dominfo' "
		    "shows how it ended", desc);
	struct json_object *m = req_error_msg(r->id, class, gone ? why : desc);
	/* the QMP library's own Timeout and Disconnected are ours */
	int own = strcmp(class, ERR_TIMEOUT) == 0 || gone;

	json_object_object_add(jget(m, "error"), "qemu",
	    json_object_new_boolean(!own));
	send_msg(r, m);
	req_free(r);
}

void
req_event(struct req *r, const char *event, struct json_object *data)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "event", json_object_new_string(event));
	if (r->id != NULL)
		json_object_object_add(m, "id", json_object_get(r->id));
	json_object_object_add(m, "data", data);
	send_msg(r, m);
}

const char *
req_str(struct req *r, const char *key)
{
	return jstr(r->args, key);
}

int
req_bool(struct req *r, const char *key)
{
	return jbool(r->args, key);
}

int
req_take_fd(struct req *r)
{
	if (r->conn == NULL || r->ops->take_fd == NULL)
		return -1;
	return r->ops->take_fd(r->conn);
}

int
req_on_close(struct req *r, struct req_closer *c, void (*fn)(void *),
    void *arg)
{
	memset(c, 0, sizeof(*c));
	if (r->conn == NULL || r->ops->watch == NULL)
		return -1;
	c->conn = r->conn;
	c->ops = r->ops;
	c->fn = fn;
	c->arg = arg;
	c->ops->watch(c->conn, c);
	return 0;
}

void
req_closer_cancel(struct req_closer *c)
{
	if (c->conn != NULL && c->ops->unwatch != NULL)
		c->ops->unwatch(c->conn, c);
	c->conn = NULL;
}

int
req_acting_uid(const struct daemon *d, struct json_object *msg, uid_t peer,
    uid_t *uid, char *err, size_t errlen)
{
	struct json_object *o;

	*uid = peer;
	if (!json_object_object_get_ex(msg, "on-behalf-of", &o))
		return 0;
	if (!d->has_web_uid || peer != d->web_uid) {
		snprintf(err, errlen, "\"on-behalf-of\" is taken only from the "
		    "web manager's user (qlaunchd --web-user), not from uid %lu",
		    (unsigned long)peer);
		return -1;
	}
	int64_t v = json_object_is_type(o, json_type_int) ?
	    json_object_get_int64(o) : -1;
	if (v < 0 || v > 0x7fffffff) {
		snprintf(err, errlen, "\"on-behalf-of\" must be a uid (a number "
		    "from 0 to 2147483647)");
		return -1;
	}
	*uid = (uid_t)v;
	return 0;
}
