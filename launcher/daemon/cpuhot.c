/*
 * setvcpus, as virsh's: --live plugs or unplugs vCPU devices in the
 * running QEMU, --config changes the stored count, --maximum the stored
 * maximum.  QEMU says which CPUs it can plug (query-hotpluggable-cpus:
 * a type and socket/die/core/thread ids each, a qom-path when present);
 * vCPU i is the i-th of them in topology order.  New vCPUs get the
 * lowest free slots and ids vcpuI; unplug takes the highest vcpuI first,
 * each device_del waiting until QEMU removed the vCPU (below).  The
 * vCPUs of -smp are not devices with ids and stay.  The running
 * definition lists the plugged ones (vcpu-hotplugged:), so that restore
 * and the destination of a migration start QEMU with the same devices.
 * The change goes through change.c: one at a time, undone on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "change.h"
#include "cpukeys.h"
#include "cpuhot.h"
#include "cpupin.h"
#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "job.h"
#include "log.h"
#include "names.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

#define SETVCPUS_QUERY_MS	10000

static const char *const topo[] = {
	"socket-id", "die-id", "core-id", "thread-id"
};

static int
topo_cmp(const void *a, const void *b)
{
	struct json_object *pa = jget(*(struct json_object *const *)a, "props");
	struct json_object *pb = jget(*(struct json_object *const *)b, "props");

	for (size_t i = 0; i < nitems(topo); i++) {
		long long x = jint(pa, topo[i], 0), y = jint(pb, topo[i], 0);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

struct setvcpus {
	struct change	*c;
	struct job	*job;
	unsigned	 count;
	struct json_object *slots;	/* the query's answer, sorted */
	/* unplug: the ids, highest first, and the one being waited for */
	char		 ids[CPU_MAX_VCPUS][16];
	size_t		 nids, cur;
	int		 unplug_ms;	/* how long the guest may take */
};

static int
query_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct setvcpus *s = arg;
	size_t n = json_object_is_type(ret, json_type_array) ?
	    json_object_array_length(ret) : 0;

	if (n == 0) {
		snprintf(err, errlen, "query-hotpluggable-cpus gave no CPUs");
		return -1;
	}
	struct json_object **v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_object_array_get_idx(ret, i);
	qsort(v, n, sizeof(*v), topo_cmp);
	s->slots = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(s->slots, json_object_get(v[i]));
	free(v);
	return 0;
}

/* The definition line of a plugged vCPU: vcpuI,driver=T,socket-id=... */
static char *
dev_line(int idx, struct json_object *slot)
{
	struct json_object *props = jget(slot, "props");
	char *s = xasprintf("vcpu%d,driver=%s", idx, jstr(slot, "type"));

	for (size_t i = 0; i < nitems(topo); i++) {
		if (jget(props, topo[i]) == NULL)
			continue;
		char *n = xasprintf("%s,%s=%lld", s, topo[i],
		    jint(props, topo[i], 0));
		free(s);
		s = n;
	}
	return s;
}

static void
drop_dev_line(struct vmdef *d, const char *id)
{
	char buf[16];

	for (size_t i = 0; i < d->ncpudevs; i++)
		if (strcmp(cpu_dev_id(d->cpudevs[i], buf, sizeof(buf)), id) ==
		    0) {
			free(d->cpudevs[i]);
			memmove(&d->cpudevs[i], &d->cpudevs[i + 1],
			    (d->ncpudevs - i - 1) * sizeof(*d->cpudevs));
			d->ncpudevs--;
			return;
		}
}

static struct json_object *
step(const char *cmd, struct json_object *args, const char *undo,
    struct json_object *uargs)
{
	struct json_object *s = json_object_new_object();
	struct json_object *u = json_object_new_object();

	json_object_object_add(s, "execute", json_object_new_string(cmd));
	json_object_object_add(s, "arguments", args);
	if (undo == NULL) {
		json_object_put(u);
		return s;
	}
	json_object_object_add(u, "execute", json_object_new_string(undo));
	json_object_object_add(u, "arguments", uargs);
	json_object_object_add(s, "undo", u);
	return s;
}

static struct json_object *
id_args(const char *id)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "id", json_object_new_string(id));
	return a;
}

static void	resync(struct vm *);

/*
 * The steps from the present state to s->count vCPUs, and the running
 * definition after them (c->live).  -1 with a reason.
 */
static int
plan(struct setvcpus *s, struct json_object *steps, char *err, size_t errlen)
{
	struct change *c = s->c;
	size_t n = json_object_array_length(s->slots);
	unsigned present = 0, cold = 0;
	const char *pfx = "/machine/peripheral/";
	char id[16];

	for (size_t i = 0; i < n; i++) {
		const char *qp = jstr(json_object_array_get_idx(s->slots, i),
		    "qom-path");
		if (qp == NULL)
			continue;
		present++;
		if (strncmp(qp, pfx, strlen(pfx)) != 0)
			cold++;
	}
	if (s->count > n) {
		snprintf(err, errlen, "%u is more than the %zu vCPUs QEMU can "
		    "have (maxvcpus)", s->count, n);
		return -1;
	}
	if (s->count < cold) {
		snprintf(err, errlen, "%u is less than the %u vCPUs of QEMU's "
		    "command line (-smp), which cannot be unplugged", s->count,
		    cold);
		return -1;
	}
	/* what TCG cannot do (vm.h's vcpu_unplugged): refused, not a crash */
	struct vm *vm = c->vm;
	if (s->count > present && vm->accel == ACCEL_TCG &&
	    vm->vcpu_unplugged) {
		snprintf(err, errlen, "under TCG QEMU aborts when a vCPU is "
		    "plugged after one was unplugged (it keeps the unplugged "
		    "one's translation context): restart the VM to plug again");
		return -1;
	}
	if (s->count < present)
		vm->vcpu_unplugged = 1;
	c->live->vcpus = s->count;
	free(c->live->text);	/* the running definition is canonical */
	c->live->text = NULL;
	for (size_t i = 0; i < n && present < s->count; i++) {
		struct json_object *slot = json_object_array_get_idx(s->slots,
		    i);
		if (jget(slot, "qom-path") != NULL)
			continue;
		char *line = dev_line((int)i, slot);
		struct json_object *a = cpu_dev_json(line);
		snprintf(id, sizeof(id), "vcpu%zu", i);
		json_object_array_add(steps, step("device_add", a,
		    "device_del", id_args(id)));
		c->live->cpudevs = xreallocarray(c->live->cpudevs,
		    c->live->ncpudevs + 1, sizeof(*c->live->cpudevs));
		c->live->cpudevs[c->live->ncpudevs++] = line;
		present++;
	}
	for (size_t i = n; i-- > 0 && present > s->count;) {
		struct json_object *slot = json_object_array_get_idx(s->slots,
		    i);
		const char *qp = jstr(slot, "qom-path");
		if (qp == NULL || strncmp(qp, pfx, strlen(pfx)) != 0)
			continue;
		const char *devid = qp + strlen(pfx);
		char *line = dev_line(cpu_dev_index(devid) >= 0 ?
		    cpu_dev_index(devid) : (int)i, slot);
		struct json_object *a = cpu_dev_json(line);
		json_object_object_add(a, "id", json_object_new_string(devid));
		free(line);
		/*
		 * One at a time, each until QEMU removed it (unplug below);
		 * no undo: a device_del the guest has not finished
		 * may still finish.  After a failure, resync reads what QEMU
		 * has.
		 */
		json_object_put(a);
		strlcpy(s->ids[s->nids++], devid, sizeof(s->ids[0]));
		drop_dev_line(c->live, devid);
		present--;
		}
	return 0;
}

/*
 * After a failed change: the running definition takes the vCPU devices
 * QEMU has (an unplug the guest had not finished may have ended since,
 * or not yet: one more DEVICE_DELETED would then be missed).
 */
struct resync {
	struct vm	*vm;
	struct job	*job;
};

static int
resync_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct resync *rs = arg;
	struct setvcpus s = { 0 };
	const char *pfx = "/machine/peripheral/";

	if (query_check(&s, ret, err, errlen) == -1)
		return -1;
	struct vmdef *d = vmdef_dup(rs->vm->def);
	for (size_t i = 0; i < d->ncpudevs; i++)
		free(d->cpudevs[i]);
	d->ncpudevs = 0;
	d->vcpus = 0;
	free(d->text);
	d->text = NULL;
	for (size_t i = 0; i < json_object_array_length(s.slots); i++) {
		struct json_object *slot = json_object_array_get_idx(s.slots,
		    i);
		const char *qp = jstr(slot, "qom-path");
		if (qp == NULL)
			continue;
		d->vcpus++;
		if (strncmp(qp, pfx, strlen(pfx)) != 0 ||
		    cpu_dev_index(qp + strlen(pfx)) < 0)
			continue;
		d->cpudevs = xreallocarray(d->cpudevs, d->ncpudevs + 1,
		    sizeof(*d->cpudevs));
		d->cpudevs[d->ncpudevs++] = dev_line(cpu_dev_index(qp +
		    strlen(pfx)), slot);
	}
	json_object_put(s.slots);
	vm_set_live_def(rs->vm, d);
	vm_write_runstate(rs->vm);
	return 0;
}

static void
resync_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct resync *rs = arg;

	(void)class;
	(void)qemu;
	vm_job_untrack(rs->vm, rs->job);
	if (!ok)
		log_warnx("%s: setvcpus: reading QEMU's vCPUs after a failure: "
		    "%s", rs->vm->name, desc);
	free(rs);
}

static void
resync(struct vm *vm)
{
	if (vm_qmp(vm) == NULL)
		return;
	struct resync *rs = xcalloc(1, sizeof(*rs));
	rs->vm = vm;
	rs->job = job_new(vm->d->base, vm_qmp(vm), "setvcpus resync",
	    SETVCPUS_QUERY_MS, resync_done, rs);
	job_step(rs->job, "query-hotpluggable-cpus", NULL, resync_check, rs);
	vm_job_track(vm, rs->job);
	job_start(rs->job);
}

/*
 * ---- unplug: each device_del waits for DEVICE_DELETED ----
 *
 * QEMU sends DEVICE_DELETED for a device when it is finalized, its last
 * reference gone.  Under TCG a vCPU never is, in QEMU 7.2 as in 10.0:
 * tcg_cpu_realizefn gives it address spaces ("cpu-memory", "cpu-smm")
 * whose root memory regions the CPU owns, each holds a reference on that
 * owner, and nothing destroys them when it is unrealized.  So no event
 * {"device": "vcpuN"} comes, though the guest's eject removes the vCPU
 * (query-hotpluggable-cpus loses its qom-path).  Its unrealize does
 * unparent and free the vCPU's local APIC, and that child's event,
 * {"path": "/machine/peripheral/vcpuN/lapic"} without "device", is sent
 * then, under KVM as under TCG: the step waits for either path (under
 * KVM the vCPU's own event follows the APIC's).
 */

static void	unplug_next(struct setvcpus *);

static void
unplug_end(struct setvcpus *s, const char *class, const char *desc, int qemu)
{
	struct change *c = s->c;

	json_object_put(s->slots);
	if (class == NULL) {
		free(s);
		/* QEMU has it all: the running definition, the stored one */
		change_run(c, json_object_new_array(), NULL);
		return;
	}
	resync(c->vm);
	if (qemu)
		req_qemu_error(c->r, class, desc);
	else
		req_error(c->r, class, "VM '%s': setvcpus: %s", c->vm->name,
		    desc);
	change_free(c);
	free(s);
}

static void
del_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct setvcpus *s = arg;
	char why[256];

	vm_job_untrack(s->c->vm, s->job);
	s->job = NULL;
	if (!ok && !qemu && strcmp(class, ERR_TIMEOUT) == 0) {
		snprintf(why, sizeof(why), "the guest did not let %s go within "
		    "%lld s (QEMU may still remove it when the guest does)",
		    s->ids[s->cur], (long long)(s->unplug_ms) / 1000);
		unplug_end(s, ERR_TIMEOUT, why, 0);
		return;
	}
	if (!ok) {
		unplug_end(s, class, desc, qemu);
		return;
	}
	s->cur++;
	unplug_next(s);
}

static void
unplug_next(struct setvcpus *s)
{
	char paths[96];

	if (s->cur == s->nids) {
		unplug_end(s, NULL, NULL, 0);
		return;
	}
	if (vm_qmp(s->c->vm) == NULL) {
		unplug_end(s, ERR_DISCONNECTED, "QEMU went away", 0);
		return;
	}
	snprintf(paths, sizeof(paths), "/machine/peripheral/%s|"
	    "/machine/peripheral/%s/lapic", s->ids[s->cur], s->ids[s->cur]);
	s->job = job_new(s->c->r->d->base, vm_qmp(s->c->vm), "setvcpus",
	    SETVCPUS_QUERY_MS + s->unplug_ms, del_done, s);
	job_step(s->job, "device_del", id_args(s->ids[s->cur]), NULL, NULL);
	job_expect_event(s->job, "DEVICE_DELETED", "path", paths,
	    s->unplug_ms);
	vm_job_track(s->c->vm, s->job);
	job_start(s->job);
}

static void
query_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct setvcpus *s = arg;
	struct change *c = s->c;
	char err[256];

	vm_job_untrack(c->vm, s->job);
	if (!ok) {
		if (qemu)
			req_qemu_error(c->r, class, desc);
		else
			req_error(c->r, class, "%s: %s", c->what, desc);
		change_free(c);
	} else {
		struct json_object *steps = json_object_new_array();
		if (plan(s, steps, err, sizeof(err)) == -1) {
			req_error(c->r, ERR_GENERIC, "VM '%s': setvcpus: %s",
			    c->vm->name, err);
			json_object_put(steps);
			change_free(c);
		} else if (s->nids > 0) {
			json_object_put(steps);
			unplug_next(s);
			return;
		} else
			change_run(c, steps, NULL);
	}
	json_object_put(s->slots);
	free(s);
}

/* The stored definition with count (or the maximum) changed, checked. */
static struct vmdef *
config_def(struct vm *vm, unsigned count, int maximum, char *err,
    size_t errlen)
{
	struct vmdef *d = vmdef_dup(vm_persistent(vm));

	if (maximum) {
		if (count < d->vcpus) {
			snprintf(err, errlen, "maximum %u is less than the %u "
			    "vCPUs defined", count, d->vcpus);
			vmdef_free(d);
			return NULL;
		}
		d->maxvcpus = count;
	} else {
		unsigned max = d->maxvcpus ? d->maxvcpus : d->vcpus;
		if (count > max) {
			snprintf(err, errlen, "%u is more than maxvcpus %u "
			    "(setvcpus --maximum --config raises it)", count,
			    max);
			vmdef_free(d);
			return NULL;
		}
		if (d->maxvcpus == 0 && count < d->vcpus)
			d->maxvcpus = d->vcpus;
		d->vcpus = count;
	}
	char *v = corekey_vcpus_value(d);
	vmdef_text_set(d, "vcpus", v);
	free(v);
	if (vmdef_check(d, err, errlen) == -1) {
		vmdef_free(d);
		return NULL;
	}
	return d;
}

/* {"count": N, "live", "config", "maximum", "timeout_ms"} */
void
cpuhot_setvcpus(struct req *r, struct vm *vm)
{
	long long count, ms = 0;
	int live, config, maximum = req_bool(r, "maximum");
	char err[512], what[16];

	if (jint_range(r->args, "count", 1, CPU_MAX_VCPUS, &count) != 0) {
		req_error(r, ERR_GENERIC, "count: a number of vCPUs (1 to %d) "
		    "is needed", CPU_MAX_VCPUS);
		return;
	}
	if (jget(r->args, "timeout_ms") != NULL &&
	    jint_range(r->args, "timeout_ms", 1, 3600000, &ms) != 0) {
		req_error(r, ERR_GENERIC, "timeout_ms: 1 to 3600000");
		return;
	}
	if (maximum && req_bool(r, "live")) {
		req_error(r, ERR_GENERIC, "setvcpus: --maximum changes the "
		    "definition only (--config), not a running VM");
		return;
	}
	if (change_scope(r, vm, &live, &config) == -1)
		return;
	if (maximum) {
		live = 0;
		config = 1;
	}
	struct vmdef *cd = NULL;
	if (config && (cd = config_def(vm, (unsigned)count, maximum, err,
	    sizeof(err))) == NULL) {
		req_error(r, ERR_GENERIC, "VM '%s': setvcpus: %s", vm->name,
		    err);
		return;
	}
	snprintf(what, sizeof(what), "%lld", count);
	struct change *c = change_new(r, vm, "setvcpus", what);
	c->config = cd;
	if (!live) {
		change_run(c, json_object_new_array(), NULL);
		return;
	}
	c->live = vmdef_dup(vm->def);
	c->after_live = cpupin_reapply;
	struct setvcpus *s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->count = (unsigned)count;
	s->unplug_ms = ms ? (int)ms : UNPLUG_WAIT_MS;
	s->job = job_new(r->d->base, vm_qmp(vm), "setvcpus",
	    SETVCPUS_QUERY_MS, query_done, s);
	job_step(s->job, "query-hotpluggable-cpus", NULL, query_check, s);
	vm_job_track(vm, s->job);
	job_start(s->job);
}
