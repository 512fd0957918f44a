#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "props.h"
#include "util.h"
#include "vmdef.h"

int
def_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
def_uint(const char *what, const char *v, long long min, long long max,
    unsigned *out, char *err, size_t errlen)
{
	long long n;
	const char *e;

	if (parse_uint(v, min, max, &n, &e) == -1)
		return def_err(err, errlen, "%s '%s': %s (%lld to %lld)", what,
		    v, e, min, max);
	*out = (unsigned)n;
	return 0;
}

int
def_unused(const struct props *p, char *err, size_t errlen)
{
	const struct prop *u = props_unused(p);

	if (u == NULL)
		return 0;
	if (u->key != NULL)
		return def_err(err, errlen, "unknown property '%s'", u->key);
	return def_err(err, errlen, "unexpected value '%s'", u->val);
}

const char *
machine_type(const struct vmdef *d, char *buf, size_t len)
{
	size_t n = strcspn(d->machine, ",");

	if (n >= len)
		n = len - 1;
	memcpy(buf, d->machine, n);
	buf[n] = '\0';
	return buf;
}

int
def_microvm(const struct vmdef *d)
{
	char t[64];

	return strcmp(machine_type(d, t, sizeof(t)), "microvm") == 0;
}

int
def_q35(const struct vmdef *d)
{
	char t[64];

	machine_type(d, t, sizeof(t));
	return strcmp(t, "q35") == 0 || strncmp(t, "pc-q35", 6) == 0;
}

void
def_print_add(char **s, const char *key, const char *val)
{
	char *e = props_escape(val), *n;

	if (**s == '\0')
		n = key != NULL ? xasprintf("%s=%s", key, e) : xstrdup(e);
	else
		n = key != NULL ? xasprintf("%s,%s=%s", *s, key, e) :
		    xasprintf("%s,%s", *s, e);
	free(e);
	free(*s);
	*s = n;
}

void
def_cmd(struct json_object *cmds, const char *cmd, struct json_object *args)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "execute", json_object_new_string(cmd));
	if (args != NULL)
		json_object_object_add(c, "arguments", args);
	json_object_array_add(cmds, c);
}

struct json_object *
def_args1(const char *key, const char *val)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(val));
	return o;
}

void
def_step(struct json_object *steps, const char *cmd, struct json_object *args,
    const char *ucmd, struct json_object *uargs)
{
	struct json_object *s = json_object_new_object();

	json_object_object_add(s, "execute", json_object_new_string(cmd));
	json_object_object_add(s, "arguments", args);
	if (ucmd != NULL) {
		struct json_object *u = json_object_new_object();
		json_object_object_add(u, "execute",
		    json_object_new_string(ucmd));
		json_object_object_add(u, "arguments", uargs);
		json_object_object_add(s, "undo", u);
	}
	json_object_array_add(steps, s);
}
