/* The display: screenshot (QMP screendump) and send-key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base64.h"
#include "dispatch.h"
#include "jget.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "util.h"
#include "vm.h"

#define SCREEN_MAX	(64u << 20)
#define MAX_KEYS	16

struct shot {
	struct req	*r;
	struct vm	*vm;
	char		 path[PATH_MAX];
	int		 png;
};

static void	shot_send(struct shot *);

static void
shot_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct shot *s = arg;
	size_t len = 0;

	(void)ret;
	if (err != NULL && s->png && strcmp(err->class, QMP_ERR_TIMEOUT) != 0 &&
	    strcmp(err->class, QMP_ERR_DISCONNECTED) != 0) {
		/* a QEMU without PNG screendumps: the PPM it always has */
		s->png = 0;
		shot_send(s);
		return;
	}
	if (err != NULL) {
		req_qemu_error(s->r, err->class, err->desc);
		free(s);
		return;
	}
	/* QEMU wrote it in its own directory: read it as untrusted */
	char *data = read_tail_untrusted(s->path, SCREEN_MAX, &len);
	unlink(s->path);
	if (data == NULL || len == 0 || len >= SCREEN_MAX) {
		req_error(s->r, ERR_GENERIC, "cannot read the screendump %s: %s",
		    s->path, data == NULL ? strerror(errno) : len == 0 ?
		    "empty" : "too large");
		free(data);
		free(s);
		return;
	}
	struct json_object *o = json_object_new_object();
	char *b = base64_encode(data, len);
	json_object_object_add(o, "format",
	    json_object_new_string(s->png ? "png" : "ppm"));
	json_object_object_add(o, "data", json_object_new_string(b));
	free(b);
	free(data);
	req_return(s->r, o);
	free(s);
}

static void
shot_send(struct shot *s)
{
	struct json_object *a = json_object_new_object();

	snprintf(s->path, sizeof(s->path), "%s/screen.%s", s->vm->paths.qdir,
	    s->png ? "png" : "ppm");
	unlink(s->path);
	json_object_object_add(a, "filename", json_object_new_string(s->path));
	if (s->png)
		json_object_object_add(a, "format",
		    json_object_new_string("png"));
	struct qmp *q = vm_qmp(s->vm);
	if (q == NULL || qmp_execute(q, "screendump", a, QMP_PASS_MS,
	    shot_reply, s) == -1) {
		req_error(s->r, ERR_GENERIC, "VM '%s': QMP is not connected",
		    s->vm->name);
		free(s);
	}
}

/* {"name"} -> {"format": "png"|"ppm", "data": BASE64} */
static void
d_screenshot(struct req *r, struct vm *vm)
{
	long long screen = 0;

	if (jint_range(r->args, "screen", 0, 0, &screen) == -2) {
		req_error(r, ERR_GENERIC, "screen: only screen 0 exists");
		return;
	}
	struct shot *s = xcalloc(1, sizeof(*s));
	s->r = r;
	s->vm = vm;
	s->png = 1;
	shot_send(s);
}

/*
 * {"keys": [KeyValue, ...], "hold_time": MS}: QMP's own KeyValue objects
 * ({"type": "qcode"|"number", "data": ...}); the client translates
 * virsh's codesets.
 */
static void
d_send_key(struct req *r, struct vm *vm)
{
	struct json_object *keys = jget(r->args, "keys");
	long long hold = 0;
	int hr = jint_range(r->args, "hold_time", 1, 60000, &hold);

	if (keys == NULL || !json_object_is_type(keys, json_type_array) ||
	    json_object_array_length(keys) == 0 ||
	    json_object_array_length(keys) > MAX_KEYS) {
		req_error(r, ERR_GENERIC, "keys: 1 to %d keys are needed",
		    MAX_KEYS);
		return;
	}
	if (hr == -2) {
		req_error(r, ERR_GENERIC, "hold_time: 1 to 60000 ms");
		return;
	}
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		struct json_object *k = json_object_array_get_idx(keys, i);
		const char *t = jstr(k, "type");
		struct json_object *dv = jget(k, "data");
		if (t == NULL || dv == NULL || (strcmp(t, "qcode") != 0 &&
		    strcmp(t, "number") != 0)) {
			req_error(r, ERR_GENERIC, "keys: item %zu is not "
			    "{\"type\": \"qcode\"|\"number\", \"data\": ...}",
			    i + 1);
			return;
		}
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "keys", json_object_get(keys));
	if (hr == 0)
		json_object_object_add(a, "hold-time",
		    json_object_new_int64(hold));
	cmd_qmp(r, vm, "send-key", a, reply_qmp_ok);
}

#define LIVE	(NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP)

const struct dcmd dcmds_display[] = {
	{ "screenshot",	d_screenshot,	LIVE },
	{ "send-key",	d_send_key,	LIVE },
	{ NULL, NULL, 0 }
};
