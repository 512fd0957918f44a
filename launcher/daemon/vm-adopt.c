/*
 * The runtime state file (RUNDIR/NAME/state.json) and re-adoption of a
 * QEMU that an earlier supervisor started: by pid and its /proc start
 * time, never by a bare pid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon.h"
#include "jget.h"
#include "log.h"
#include "proc.h"
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
	const char *s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN);
	if (write_file_replace(vm->paths.state, s, strlen(s), 0600) == -1)
		log_warn("%s: %s", vm->name, vm->paths.state);
	json_object_put(o);
}

int
vm_adopt(struct vm *vm)
{
	char *text = read_file(vm->paths.state, NULL);
	struct json_object *o, *v;

	if (text == NULL)
		return -1;
	o = json_tokener_parse(text);
	free(text);
	if (o == NULL)
		return -1;
	pid_t pid = (pid_t)jint(o, "pid", 0);
	unsigned long long ps = (v = jget(o, "pstart")) != NULL ?
	    json_object_get_uint64(v) : 0;
	const char *s;
	if ((s = jstr(o, "accel")) != NULL)
		vm->accel = strcmp(s, "kvm") == 0 ? ACCEL_KVM : ACCEL_TCG;
	vm->started = (time_t)jint(o, "started", 0);
	if ((s = jstr(o, "emulator")) != NULL)
		strlcpy(vm->emulator, s, sizeof(vm->emulator));
	json_object_put(o);
	/* the pid must still be the QEMU we started, not a reused pid */
	if (pid <= 0 || ps == 0 || proc_starttime(pid) != ps ||
	    access(vm->paths.qmp, F_OK) == -1) {
		unlink(vm->paths.state);
		return -1;
	}
	vm->pid = pid;
	vm->pstart = ps;
	if (vm_watch_pid(vm) == -1) {
		vm->pid = 0;
		return -1;
	}
	vm_process_started(vm);
	vm_set_state(vm, VM_PAUSED, "re-adopting");
	if (vm_qmp_open(vm) == -1)
		log_warnx("%s: cannot connect to QMP", vm->name);
	log_info("%s: re-adopted QEMU pid %ld", vm->name, (long)pid);
	return 0;
}
