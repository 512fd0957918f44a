/*
 * commands: every request the supervisor takes, with the central
 * preconditions dispatch checks for it, so a client (or a test going
 * through them all as another user) sees a new command without a list of
 * its own.
 */
#include <json-c/json.h>

#include "dispatch.h"
#include "req.h"

/* one row: {"name", "needs": ["vm", "active", "qmp", "admin"]} */
static void
add_row(void *arg, const char *name, int flags)
{
	static const struct {
		int		 flag;
		const char	*word;
	} needs[] = {
		{ NEEDS_VM,	"vm" },
		{ NEEDS_ACTIVE,	"active" },
		{ NEEDS_QMP,	"qmp" },
		{ NEEDS_ADMIN,	"admin" },
	};
	struct json_object *o = json_object_new_object(),
	    *n = json_object_new_array();

	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++)
		if (flags & needs[i].flag)
			json_object_array_add(n,
			    json_object_new_string(needs[i].word));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "needs", n);
	json_object_array_add(arg, o);
}

static void
d_commands(struct req *r, struct vm *unused)
{
	struct json_object *a = json_object_new_array();

	(void)unused;
	dispatch_each(add_row, a);
	/* the connection's own request (control.c), before the table */
	add_row(a, "subscribe", 0);
	req_return(r, a);
}

const struct dcmd dcmds_commands[] = {
	{ "commands",	d_commands,	0 },
	{ NULL, NULL, 0 }
};
