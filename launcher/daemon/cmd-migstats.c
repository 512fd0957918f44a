/*
 * The destination's half of migrate --stats (migstats.h):
 * migrate-cputimes, which the source's supervisor sends on its control
 * connection while it samples and once more at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "heartbeat.h"
#include "jget.h"
#include "migprov.h"
#include "migstats.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "vm.h"

static void
cputimes_reply(void *arg, struct json_object *ret,
    const struct qmp_error *err)
{
	struct req *r = arg;
	struct vm *vm = vm_find(r->d, req_str(r, "name"));
	struct json_object *o, *hb;

	if (err != NULL) {
		reply_qmp_pass(r, ret, err);
		return;
	}
	if (vm == NULL || !vm_active(vm)) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' has no QEMU here",
		    req_str(r, "name"));
		return;
	}
	if ((o = migprov_cputimes(vm->pid, ret)) == NULL)
		o = json_object_new_object();
	if ((hb = heartbeat_info(r->d, vm, 0)) != NULL) {
		long long src = jint(r->args, "src_last_tick_us", -1);
		double ms = migstats_guest_downtime(src, hb);
		if (ms >= 0) {
			heartbeat_set_switch(r->d, vm, (long long)(ms + 0.5));
			char txt[32];
			/* µs precision, written as such */
			snprintf(txt, sizeof(txt), "%.3f", ms);
			json_object_object_add(o, "guest_downtime_ms",
			    json_object_new_double_s(ms, txt));
		}
		json_object_object_add(o, "heartbeat", hb);
	}
	if (req_bool(r, "provenance")) {
		struct json_object *p = migprov_qemu(vm);
		json_object_object_add(p, "host", migprov_host());
		json_object_object_add(o, "provenance", p);
	}
	req_return(r, o);
}

/*
 * {"name", "provenance": bool, "src_last_tick_us": N}: the CPU time of
 * the VM's QEMU and of each vCPU thread, {"qemu_cpu_ms", "vcpu_cpu_ms"};
 * with a heartbeat channel its figures ("heartbeat"), and given the
 * source's last tick, "guest_downtime_ms" once the first tick here came
 * (kept for migrate-info); with provenance, this QEMU's and host's.
 */
static void
d_cputimes(struct req *r, struct vm *vm)
{
	cmd_qmp(r, vm, "query-cpus-fast", NULL, cputimes_reply);
}

void
migstats_info(struct daemon *d, struct vm *vm, struct json_object *o)
{
	long long ms;

	if (vm == NULL || !vmdef_has_heartbeat(vm->def))
		return;
	ms = heartbeat_switch(d, vm);
	json_object_object_add(o, "guest_downtime_ms", ms >= 0 ?
	    json_object_new_int64(ms) : NULL);
}

const struct dcmd dcmds_migstats[] = {
	{ "migrate-cputimes",	d_cputimes,	NEEDS_ADMIN | NEEDS_VM |
	    NEEDS_QMP },
	{ NULL, NULL, 0 }
};
