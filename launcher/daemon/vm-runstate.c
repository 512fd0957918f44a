/* The runtime state file, RUNDIR/NAME/state.json: what re-adoption needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "jget.h"
#include "log.h"
#include "util.h"
#include "vm.h"

void
vm_write_runstate(struct vm *vm)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int64(vm->pid));
	json_object_object_add(o, "pstart", json_object_new_uint64(vm->pstart));
	json_object_object_add(o, "accel",
	    json_object_new_string(accel_name(vm->accel)));
	json_object_object_add(o, "started", json_object_new_int64(vm->started));
	json_object_object_add(o, "emulator",
	    json_object_new_string(vm->emulator));
	json_object_object_add(o, "vnc_port", json_object_new_int(vm->vnc_port));
	json_object_object_add(o, "hotplugged",
	    json_object_new_boolean(vm->hotplugged));
	/* the disks' node generations after external snapshots */
	struct json_object *ov = json_object_new_object();
	struct vmdef_disk k;
	for (size_t i = 0; vmdef_disk_get(vm->def, i, &k) == 0; i++)
		if (k.overlays > 0)
			json_object_object_add(ov, k.target,
			    json_object_new_int((int)k.overlays));
	json_object_object_add(o, "overlays", ov);
	/* the taps of its NICs, by NIC id */
	struct json_object *tp = json_object_new_object();
	for (size_t i = 0; i < vm->ntaps; i++)
		json_object_object_add(tp, vm->taps[i].id,
		    json_object_new_string(vm->taps[i].name));
	json_object_object_add(o, "taps", tp);
	/*
	 * What runs, when it is not what is stored (a live change, or a
	 * definition stored for the next start): a new supervisor must know.
	 */
	if (vm_redefined(vm)) {
		char *live = vmdef_print(vm->def);
		json_object_object_add(o, "live", json_object_new_string(live));
		free(live);
	}
	const char *s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN);
	if (write_file_replace(vm->paths.state, s, strlen(s), 0600) == -1)
		log_warn("%s: %s", vm->name, vm->paths.state);
	json_object_put(o);
}

