/*
 * The page's create form as virt-install's flags, parsed by the CLI's own
 * parser (virtinst.c), so the form and `qlaunch create` make the same
 * definition.  Each field is a row: its JSON key, the flag, what it
 * takes, and how the value becomes the flag's argument.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "jget.h"
#include "util.h"
#include "virtinst.h"
#include "web.h"
#include "xalloc.h"

enum fkind { F_NUMBER, F_NAME, F_PATH };

struct field {
	const char	*key;
	const char	*flag;
	enum fkind	 kind;
	const char	*fmt;		/* the flag's argument from the value */
	int		 need;
};

static const struct field fields[] = {
	{ "name",	"--name",	F_NAME,		"%s",		1 },
	{ "memory",	"--memory",	F_NUMBER,	"%s",		1 },
	{ "vcpus",	"--vcpus",	F_NUMBER,	"%s",		0 },
	{ "disk",	"--disk",	F_NUMBER,	"size=%s",	0 },
	{ "iso",	"--cdrom",	F_PATH,		"%s",		0 },
	{ "network",	"--network",	F_NAME,		"network=%s",	0 },
};

static int
valid(enum fkind k, const char *v)
{
	switch (k) {
	case F_NUMBER:
		return v[0] != '\0' && strspn(v, "0123456789") == strlen(v) &&
		    strlen(v) < 10;
	case F_NAME:
		return v[0] != '\0' && v[0] != '-' && strlen(v) < 64 &&
		    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
		    "VWXYZ0123456789._-") == strlen(v);
	case F_PATH:
		return v[0] == '/' && strlen(v) < 1024 &&
		    strpbrk(v, ",\n\r") == NULL;
	}
	return 0;
}

struct json_object *
webform_create(struct json_object *form, char *err, size_t errlen)
{
	char *argv[2 * nitems(fields) + 3];
	int argc = 0;
	struct virtinst vi;

	if (!json_object_is_type(form, json_type_object)) {
		snprintf(err, errlen, "the form must be a JSON object");
		return NULL;
	}
	json_object_object_foreach(form, key, val) {
		size_t i;
		(void)val;
		for (i = 0; i < nitems(fields); i++)
			if (strcmp(fields[i].key, key) == 0)
				break;
		if (i == nitems(fields)) {
			snprintf(err, errlen, "the form has no field '%.40s'",
			    key);
			return NULL;
		}
	}
	argv[argc++] = xstrdup("create");
	for (size_t i = 0; i < nitems(fields); i++) {
		const char *v = jstr(form, fields[i].key);
		if (v == NULL || v[0] == '\0') {
			if (fields[i].need) {
				snprintf(err, errlen, "the form needs %s",
				    fields[i].key);
				goto fail;
			}
			continue;
		}
		if (!valid(fields[i].kind, v)) {
			snprintf(err, errlen, "%s: '%.60s' is not %s",
			    fields[i].key, v, fields[i].kind == F_NUMBER ?
			    "a number" : fields[i].kind == F_NAME ? "a name" :
			    "an absolute path");
			goto fail;
		}
		argv[argc++] = xstrdup(fields[i].flag);
		argv[argc++] = xasprintf(fields[i].fmt, v);
	}
	argv[argc++] = xstrdup("--noautoconsole");
	argv[argc] = NULL;
	if (virtinst_parse(argc, argv, &vi, err, errlen) != VI_OK)
		goto fail;
	struct json_object *args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(vi.name));
	json_object_object_add(args, "settings", json_object_get(vi.settings));
	json_object_object_foreach(vi.args, k, v)
		json_object_object_add(args, k, json_object_get(v));
	if (vi.start)
		json_object_object_add(args, "start",
		    json_object_new_boolean(1));
	virtinst_free(&vi);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return args;
fail:
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return NULL;
}
