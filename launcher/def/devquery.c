/*
 * What the supervisor asks of a definition's devices: the whole of its
 * interface to them (vmdef.h), so that nothing outside def/ reads a
 * module's configuration.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dev.h"
#include "util.h"
#include "vmdef.h"


int
vmdef_has_balloon(const struct vmdef *d)
{
	struct devfacts f;

	dev_walk(d, &f, NULL, NULL);
	return f.balloon;
}

int
vmdef_has_serial(const struct vmdef *d)
{
	struct devfacts f;

	dev_walk(d, &f, NULL, NULL);
	return f.serial;
}

int
vmdef_has_agent(const struct vmdef *d)
{
	struct devfacts f;

	dev_walk(d, &f, NULL, NULL);
	return f.agent;
}

int
vmdef_has_heartbeat(const struct vmdef *d)
{
	struct devfacts f;

	dev_walk(d, &f, NULL, NULL);
	return f.heartbeat;
}

int
vmdef_vnc(const struct vmdef *d, struct vnc_conf *v)
{
	struct devfacts f;

	dev_walk(d, &f, NULL, NULL);
	if (!f.vnc)
		return -1;
	if (v != NULL)
		*v = f.vnc_conf;
	return 0;
}

static int
runtime_kind(const struct vmdef *d, const struct devset *s, void *arg)
{
	for (size_t i = 0; s->kind->runtime != NULL && i < s->n; i++)
		s->kind->runtime(d, s->confs[i], arg);
	return 0;
}

struct json_object *
vmdef_runtime_qmp(const struct vmdef *d)
{
	struct json_object *arr = json_object_new_array();

	dev_walk(d, NULL, runtime_kind, arr);
	return arr;
}
