#include <json-c/json.h>

#include "dispatch.h"
#include "jget.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "util.h"
#include "vm.h"

void
reply_qmp_pass(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct req *r = arg;

	if (err != NULL)
		req_qemu_error(r, err->class, err->desc);
	else
		req_return(r, json_object_get(ret));
}

void
reply_qmp_ok(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct req *r = arg;

	(void)ret;
	if (err != NULL)
		req_qemu_error(r, err->class, err->desc);
	else
		req_return(r, NULL);
}

void
cmd_qmp(struct req *r, struct vm *vm, const char *cmd,
    struct json_object *args, void (*cb)(void *, struct json_object *,
    const struct qmp_error *))
{
	struct qmp *q = vm_qmp(vm);

	if (q == NULL || qmp_execute(q, cmd, args, QMP_PASS_MS, cb, r) == -1) {
		if (q == NULL)
			json_object_put(args);
		req_error(r, ERR_GENERIC, "VM '%s': QMP is not connected",
		    vm->name);
	}
}

void
cmd_scope(struct req *r, struct vm *vm, int *live, int *config)
{
	*live = req_bool(r, "live");
	*config = req_bool(r, "config");
	if (!*live && !*config) {
		*live = vm_active(vm);
		*config = !*live;
	}
}

void
reply_wait(struct vm *vm, void *arg, int ok, const char *err)
{
	struct req *r = arg;

	if (ok)
		req_return(r, vm_info(vm));
	else
		req_error(r, ERR_GENERIC, "%s: %s", vm->name, err);
}

void
job_figures(struct json_object *s, struct json_object *ret, int64_t t0)
{
	struct json_object *ram = jget(ret, "ram");

	json_object_object_add(s, "time_elapsed_ms", json_object_new_int64(
	    mono_ms() - t0));
	json_object_object_add(s, "migration_ms", json_object_new_int64(
	    jint(ret, "total-time", 0)));
	json_object_object_add(s, "downtime_ms", json_object_new_int64(
	    jint(ret, "downtime", 0)));
	json_object_object_add(s, "data_processed", json_object_new_int64(
	    jint(ram, "transferred", 0)));
	json_object_object_add(s, "memory_total", json_object_new_int64(
	    jint(ram, "total", 0)));
}
