/* Memory: setmem (the balloon, or the definition), memstat. */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "job.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "util.h"
#include "vm.h"

#define MEMSTAT_JOB_MS	10000

/*
 * {"size_mib": N, "live": bool, "config": bool}, as virsh setmem: live
 * sets the balloon of the running guest, config the definition's current
 * memory for the next start; neither means the current state's.
 */
static void
d_setmem(struct req *r, struct vm *vm)
{
	long long mib;
	int live, config;
	char err[512];

	if (jint_range(r->args, "size_mib", 1, 1LL << 40, &mib) != 0) {
		req_error(r, ERR_GENERIC, "size_mib: a positive number of MiB "
		    "is needed");
		return;
	}
	cmd_scope(r, vm, &live, &config);
	struct vmdef *d = live ? vm->def : vm_persistent(vm);
	if (!vmdef_has_balloon(d)) {
		req_error(r, ERR_GENERIC, "VM '%s' has no balloon (balloon: off)",
		    vm->name);
		return;
	}
	if ((unsigned long long)mib > d->memory_mib) {
		req_error(r, ERR_GENERIC, "%lld MiB is more than the VM's memory "
		    "(%llu MiB); the balloon can only give back what it took",
		    mib, (unsigned long long)d->memory_mib);
		return;
	}
	if (live && vm_qmp(vm) == NULL) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s: --live needs a "
		    "running VM", vm->name, vm_state_name(vm->state));
		return;
	}
	if (config && vm_set_config_memory(vm, (uint64_t)mib, err,
	    sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	if (!live) {
		req_return(r, NULL);
		return;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "value", json_object_new_int64(mib << 20));
	cmd_qmp(r, vm, "balloon", a, reply_qmp_ok);
}

struct memstat {
	struct req		*r;
	struct json_object	*out;
};

static int
memstat_balloon(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct memstat *ms = arg;
	long long actual = jint(ret, "actual", -1);

	if (actual < 0) {
		snprintf(err, errlen, "query-balloon gave no size");
		return -1;
	}
	json_object_object_add(ms->out, "actual_kib",
	    json_object_new_int64(actual >> 10));
	return 0;
}

static int
memstat_stats(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct memstat *ms = arg;
	struct json_object *v;

	(void)err;
	(void)errlen;
	if ((v = jget(ret, "stats")) != NULL)
		json_object_object_add(ms->out, "stats", json_object_get(v));
	if ((v = jget(ret, "last-update")) != NULL)
		json_object_object_add(ms->out, "last_update",
		    json_object_get(v));
	return 0;
}

static void
memstat_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct memstat *ms = arg;

	if (ok)
		req_return(ms->r, ms->out);
	else {
		if (qemu)
			req_qemu_error(ms->r, class, desc);
		else
			req_error(ms->r, class, "memstat: %s", desc);
		json_object_put(ms->out);
	}
	free(ms);
}

static void
d_memstat(struct req *r, struct vm *vm)
{
	if (!vmdef_has_balloon(vm->def)) {
		req_error(r, ERR_GENERIC, "VM '%s' has no balloon (balloon: off)",
		    vm->name);
		return;
	}
	struct memstat *ms = xcalloc(1, sizeof(*ms));
	ms->r = r;
	ms->out = json_object_new_object();
	struct job *j = job_new(r->d->base, vm_qmp(vm), "memstat",
	    MEMSTAT_JOB_MS, memstat_done, ms);
	job_step(j, "query-balloon", NULL, memstat_balloon, ms);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "path",
	    json_object_new_string("/machine/peripheral/balloon0"));
	json_object_object_add(a, "property",
	    json_object_new_string("guest-stats"));
	job_step(j, "qom-get", a, memstat_stats, ms);
	job_start(j);
}

const struct dcmd dcmds_mem[] = {
	{ "setmem",	d_setmem,	NEEDS_VM },
	{ "memstat",	d_memstat,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ NULL, NULL, 0 }
};
