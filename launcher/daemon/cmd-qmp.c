/* Pass-through: qmp and hmp. */
#include <string.h>

#include <json-c/json.h>

#include "dispatch.h"
#include "jget.h"
#include "names.h"
#include "req.h"
#include "vm.h"

static void
d_qmp(struct req *r, struct vm *vm)
{
	const char *cmd = req_str(r, "command");
	struct json_object *a = jget(r->args, "arguments");

	if (cmd == NULL) {
		req_error(r, ERR_GENERIC, "qmp needs \"command\"");
		return;
	}
	if (strcmp(cmd, "qmp_capabilities") == 0) {
		req_error(r, ERR_GENERIC, "the supervisor's connection is "
		    "negotiated already");
		return;
	}
	if (a != NULL && !json_object_is_type(a, json_type_object)) {
		req_error(r, ERR_GENERIC, "\"arguments\" must be an object");
		return;
	}
	cmd_qmp(r, vm, cmd, a != NULL ? json_object_get(a) : NULL,
	    reply_qmp_pass);
}

static void
d_hmp(struct req *r, struct vm *vm)
{
	const char *line = req_str(r, "command");

	if (line == NULL) {
		req_error(r, ERR_GENERIC, "hmp needs \"command\"");
		return;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "command-line", json_object_new_string(line));
	cmd_qmp(r, vm, "human-monitor-command", a, reply_qmp_pass);
}

#define LIVE	(NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP)

const struct dcmd dcmds_qmp[] = {
	{ "qmp",	d_qmp,		LIVE },
	{ "hmp",	d_hmp,		LIVE },
	{ NULL, NULL, 0 }
};
