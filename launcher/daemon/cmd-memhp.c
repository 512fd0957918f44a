/*
 * Memory hot-plug: attach-memory and detach-memory, a DIMM (pc-dimm on a
 * memory backend) as virsh's attach-device of <memory model='dimm'>,
 * through change.h: live (object-add, device_add; undone in reverse when
 * a step fails), config (a dimm: line) or both; and setmem --hotplug, a
 * virtio-mem device's requested size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "change.h"
#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "memdef.h"
#include "names.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "vmdef.h"

/* {"size_mib": N, "node": N (optional), "live", "config"} */
static void
d_attach_memory(struct req *r, struct vm *vm)
{
	struct json_object *steps = NULL;
	long long mib, node = -1;
	int live, config;
	unsigned id;
	char err[512], line[64];

	if (jint_range(r->args, "size_mib", 1, 1LL << 40, &mib) != 0) {
		req_error(r, ERR_GENERIC, "size_mib: a positive number of MiB "
		    "is needed");
		return;
	}
	if (jget(r->args, "node") != NULL && jint_range(r->args, "node", 0, 15,
	    &node) != 0) {
		req_error(r, ERR_GENERIC, "node: 0 to 15");
		return;
	}
	if (node >= 0)
		snprintf(line, sizeof(line), "%lldM,node=%lld", mib, node);
	else
		snprintf(line, sizeof(line), "%lldM", mib);
	if (change_scope(r, vm, &live, &config) == -1)
		return;
	struct change *c = change_new(r, vm, "attach-memory", "");
	c->adds = 1;
	if (live) {
		c->live = vmdef_dup(vm->def);
		if (vmdef_dimm_plug(c->live, line, &id, &steps, err,
		    sizeof(err)) == -1)
			goto fail;
		/* the stored line gets the same id */
		size_t n = strlen(line);
		snprintf(line + n, sizeof(line) - n, ",id=%u", id);
	}
	if (config) {
		c->config = vmdef_dup(vm_persistent(vm));
		if (vmdef_dimm_plug(c->config, line, &id, NULL, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	snprintf(c->what, sizeof(c->what), "attach-memory memdimm%u", id);
	change_run(c, steps, NULL);
	return;
fail:
	json_object_put(steps);
	req_error(r, ERR_GENERIC, "attach-memory: %s", err);
	change_free(c);
}

/*
 * {"id": N, "live", "config", "timeout_ms"}: the DIMM memdimmN goes,
 * once the guest let it go within timeout_ms (default UNPLUG_WAIT_MS).
 */
static void
d_detach_memory(struct req *r, struct vm *vm)
{
	struct json_object *steps = NULL;
	long long id, ms = 0;
	int live, config;
	char err[512], did[24];

	if (jint_range(r->args, "id", 0, 255, &id) != 0) {
		req_error(r, ERR_GENERIC, "id: the DIMM's number (memdimmN) is "
		    "needed");
		return;
	}
	if (jget(r->args, "timeout_ms") != NULL &&
	    jint_range(r->args, "timeout_ms", 1, 3600000, &ms) != 0) {
		req_error(r, ERR_GENERIC, "timeout_ms: 1 to 3600000");
		return;
	}
	if (change_scope(r, vm, &live, &config) == -1)
		return;
	snprintf(did, sizeof(did), "memdimm%lld", id);
	struct change *c = change_new(r, vm, "detach-memory", did);
	c->unplug_ms = (int)ms;
	if (config) {
		c->config = vmdef_dup(vm_persistent(vm));
		if (vmdef_dimm_unplug(c->config, (unsigned)id, NULL, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	if (live) {
		c->live = vmdef_dup(vm->def);
		if (vmdef_dimm_unplug(c->live, (unsigned)id, &steps, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	change_run(c, steps, did);
	return;
fail:
	json_object_put(steps);
	req_error(r, ERR_GENERIC, "detach-memory: %s", err);
	change_free(c);
}

/*
 * setmem --hotplug: {"size_mib": N, "live", "config"}: the virtio-mem
 * device's requested-size (qom-set), and its line.
 */
static void
d_setmem_hotplug(struct req *r, struct vm *vm)
{
	struct json_object *steps = NULL;
	long long mib;
	int live, config;
	char err[512];

	if (jint_range(r->args, "size_mib", 0, 1LL << 40, &mib) != 0) {
		req_error(r, ERR_GENERIC, "size_mib: a number of MiB is needed");
		return;
	}
	if (change_scope(r, vm, &live, &config) == -1)
		return;
	struct change *c = change_new(r, vm, "setmem", "--hotplug");
	if (config) {
		c->config = vmdef_dup(vm_persistent(vm));
		if (vmdef_virtiomem_resize(c->config, (uint64_t)mib, NULL, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	if (live) {
		c->live = vmdef_dup(vm->def);
		if (vmdef_virtiomem_resize(c->live, (uint64_t)mib, &steps, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	change_run(c, steps, NULL);
	return;
fail:
	json_object_put(steps);
	req_error(r, ERR_GENERIC, "setmem --hotplug: %s", err);
	change_free(c);
}

const struct dcmd dcmds_memhp[] = {
	{ "setmem-hotplug",	d_setmem_hotplug,	NEEDS_VM },
	{ "attach-memory",	d_attach_memory,	NEEDS_VM },
	{ "detach-memory",	d_detach_memory,	NEEDS_VM },
	{ NULL, NULL, 0 }
};
