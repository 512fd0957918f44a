/* A VM as JSON, for list and info. */
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "proc.h"
#include "vm.h"

static void
add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void
add_int(struct json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

struct json_object *
vm_info(struct vm *vm)
{
	struct json_object *o = json_object_new_object();
	const struct vmdef *d = vm->def;
	struct vnc_conf vnc;

	add_str(o, "name", vm->name);
	if (vm->id > 0)
		add_int(o, "id", vm->id);
	add_str(o, "uuid", d->uuid);
	add_str(o, "state", vm_state_name(vm->state));
	add_str(o, "reason", vm->reason);
	json_object_object_add(o, "autostart", json_object_new_boolean(
	    d->autostart));
	add_int(o, "vcpus", d->vcpus);
	add_int(o, "maxvcpus", d->maxvcpus ? d->maxvcpus : d->vcpus);
	add_int(o, "memory_mib", (long long)d->memory_mib);
	add_int(o, "maxmemory_mib", (long long)(d->maxmem_mib ? d->maxmem_mib :
	    d->memory_mib));
	add_str(o, "accel", accel_name(vm_active(vm) ? vm->accel : d->accel));
	if (d->owner != NULL)
		add_str(o, "owner", d->owner);
	if (vm->crash_log != NULL && vm->state == VM_CRASHED)
		add_str(o, "crash_console", vm->crash_log);
	if (vm->exit_code != -1 && !vm_active(vm))
		add_int(o, "exit_code", vm->exit_code);
	if (vm->exit_signal != -1 && !vm_active(vm))
		add_int(o, "exit_signal", vm->exit_signal);
	if (vm_redefined(vm))
		json_object_object_add(o, "redefined",
		    json_object_new_boolean(1));
	if (!vm_active(vm))
		return o;
	add_int(o, "pid", vm->pid);
	add_int(o, "uptime_s", time(NULL) - vm->started);
	long long cpu = proc_cputime_ms(vm->pid);
	if (cpu >= 0)
		add_int(o, "cpu_time_ms", cpu);
	if (vm->qemu_major >= 0 && vm->qmp != NULL) {
		char v[48];
		snprintf(v, sizeof(v), "%d.%d.%d", vm->qemu_major,
		    vm->qemu_minor, vm->qemu_micro);
		add_str(o, "qemu_version", v);
	}
	add_str(o, "emulator", vm->emulator);
	if (vm->mig_status[0] != '\0')
		add_str(o, "migration", vm->mig_status);
	if (vm->vnc_port > 0 && vmdef_vnc(d, &vnc) == 0) {
		char v[96];
		snprintf(v, sizeof(v), "%s:%d", vm_vnc_listen(vm, &vnc),
		    vm->vnc_port);
		add_str(o, "vnc", v);
	}
	return o;
}
