/* The list of migrations under way, and the options both sides set. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "jget.h"
#include "migrate.h"
#include "names.h"
#include "req.h"
#include "vm.h"

void
migreg_add(struct daemon *d, struct migration *m, struct vm *vm,
    int incoming, void *self)
{
	m->vm = vm;
	m->incoming = incoming;
	m->self = self;
	m->cancel = NULL;
	TAILQ_INSERT_TAIL(&d->migs, m, entry);
}

void
migreg_del(struct daemon *d, struct migration *m)
{
	TAILQ_REMOVE(&d->migs, m, entry);
}

struct migration *
migreg_find(struct daemon *d, const struct vm *vm)
{
	struct migration *m;

	TAILQ_FOREACH(m, &d->migs, entry)
		if (m->vm == vm)
			return m;
	return NULL;
}

int
migreg_refuse(struct req *r, const struct vm *vm)
{
	if (migreg_find(r->d, vm) == NULL)
		return 0;
	req_error(r, ERR_IN_USE, "VM '%s' is migrating; %s waits until the "
	    "migration ends (or migrate-cancel)", vm->name, r->cmd);
	return -1;
}

/* The entry of query-migrate-capabilities' list named name, or NULL. */
static struct json_object *
cap_entry(struct json_object *have, const char *name)
{
	return jfind(have, "capability", name);
}

int
migopt_check(struct json_object *caps_have, struct json_object *params_have,
    struct json_object *caps, struct json_object *params, const char *side,
    char *err, size_t errlen)
{
	size_t n = caps != NULL ? json_object_array_length(caps) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(caps, i);
		const char *c = jstr(w, "capability");
		/* one asked off need not exist */
		if (c == NULL || (jbool(w, "state") &&
		    cap_entry(caps_have, c) == NULL)) {
			snprintf(err, errlen, "the %s's QEMU has no migration "
			    "capability '%s'", side, c != NULL ? c : "?");
			return -1;
		}
	}
	if (params == NULL)
		return 0;
	json_object_object_foreach(params, k, v) {
		(void)v;
		if (jget(params_have, k) == NULL) {
			snprintf(err, errlen, "the %s's QEMU has no migration "
			    "parameter '%s'", side, k);
			return -1;
		}
	}
	return 0;
}

void
migopt_add_cap(struct json_object *caps, const char *name, int on)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "capability", json_object_new_string(name));
	json_object_object_add(c, "state", json_object_new_boolean(on));
	json_object_array_add(caps, c);
}

struct json_object *
migopt_with_events(struct json_object *caps_have, struct json_object *caps)
{
	struct json_object *a = json_object_new_array();
	size_t n = caps != NULL ? json_object_array_length(caps) : 0;

	migopt_add_cap(a, "events", 1);
	for (size_t i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(caps, i);
		const char *c = jstr(w, "capability");
		if (c != NULL && cap_entry(caps_have, c) != NULL)
			json_object_array_add(a, json_object_get(w));
	}
	return a;
}

struct json_object *
migopt_old_caps(struct json_object *caps_have, struct json_object *caps)
{
	struct json_object *a = json_object_new_array();
	size_t n = caps != NULL ? json_object_array_length(caps) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *c = jstr(json_object_array_get_idx(caps, i),
		    "capability");
		struct json_object *e = c != NULL ? cap_entry(caps_have, c) :
		    NULL;
		if (e != NULL)
			migopt_add_cap(a, c, jbool(e, "state"));
	}
	return a;
}

struct json_object *
migopt_old_params(struct json_object *params_have, struct json_object *params)
{
	struct json_object *o = json_object_new_object();

	if (params == NULL)
		return o;
	json_object_object_foreach(params, k, v) {
		struct json_object *old = jget(params_have, k);
		(void)v;
		if (old != NULL)
			json_object_object_add(o, k, json_object_get(old));
	}
	return o;
}

int
migopt_machine(struct json_object *ret, char *buf, size_t len)
{
	const char *t = json_object_get_string(ret);
	size_t n = t != NULL ? strlen(t) : 0;

	if (n <= 8 || strcmp(t + n - 8, "-machine") != 0 || n - 8 >= len)
		return -1;
	snprintf(buf, len, "%.*s", (int)(n - 8), t);
	return 0;
}
