/*
 * heartbeat: what the supervisor read from the guest's heartbeat channel
 * (heartbeat.c): ticks, missed ones, the longest gap; {"reset": true}
 * starts the statistics again after answering.
 */
#include <json-c/json.h>

#include "dispatch.h"
#include "heartbeat.h"
#include "names.h"
#include "req.h"
#include "vm.h"

static void
d_heartbeat(struct req *r, struct vm *vm)
{
	struct json_object *o;

	if (!vmdef_has_heartbeat(vm->def)) {
		req_error(r, ERR_GENERIC, "VM '%s' has no heartbeat channel "
		    "(channel: heartbeat)", vm->name);
		return;
	}
	if ((o = heartbeat_info(r->d, vm, req_bool(r, "reset"))) == NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "connected",
		    json_object_new_boolean(0));
		json_object_object_add(o, "ticks", json_object_new_int(0));
	}
	req_return(r, o);
}

const struct dcmd dcmds_heartbeat[] = {
	{ "heartbeat",	d_heartbeat,	NEEDS_VM },
	{ NULL, NULL, 0 }
};
