/*
 * vCPUs: setvcpus (cpuhot.c), vcpuinfo, vcpupin, emulatorpin, as virsh's.
 * Pinning is the definition's cputune: (vcpupinN=LIST, emulatorpin=LIST):
 * --live sets the threads' affinity now (and the running definition, so
 * a hot-plug, restore or migration keeps it), --config the stored
 * definition, applied at every start (cpupin.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cpuhot.h"
#include "cpukeys.h"
#include "cpupin.h"
#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "job.h"
#include "names.h"
#include "proc.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

#define CPUCMD_JOB_MS	10000

struct cpucmd {
	struct req		*r;
	struct vm		*vm;
	struct job		*job;
	struct json_object	*out;
	char			 key[32];	/* vcpupinN, emulatorpin */
	char			 list[256];	/* NULL-free: "" none */
	int			 config;
};

static void
cpucmd_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct cpucmd *cc = arg;

	vm_job_untrack(cc->vm, cc->job);
	if (!ok) {
		if (qemu)
			req_qemu_error(cc->r, class, desc);
		else
			req_error(cc->r, class, "VM '%s': %s", cc->vm->name,
			    desc);
		json_object_put(cc->out);
	} else
		req_return(cc->r, cc->out);
	free(cc);
}

static void
cpucmd_run(struct cpucmd *cc, job_check_fn check)
{
	cc->job = job_new(cc->r->d->base, vm_qmp(cc->vm), "vcpus",
	    CPUCMD_JOB_MS, cpucmd_done, cc);
	job_step(cc->job, "query-cpus-fast", NULL, check, cc);
	vm_job_track(cc->vm, cc->job);
	job_start(cc->job);
}

static long
host_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	return n > 0 ? n : 1;
}

/* ---- vcpuinfo ---- */

static int
vcpuinfo_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct cpucmd *cc = arg;
	struct json_object *a;
	char list[256];

	if (!json_object_is_type(ret, json_type_array)) {
		snprintf(err, errlen, "query-cpus-fast gave no list of vCPUs");
		return -1;
	}
	a = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *c = json_object_array_get_idx(ret, i);
		struct json_object *o = json_object_new_object();
		long long tid = jint(c, "thread-id", -1);
		unsigned long long cpu = 0;
		cpu_set_t set;
		json_object_object_add(o, "vcpu",
		    json_object_new_int64(jint(c, "cpu-index", -1)));
		json_object_object_add(o, "thread_id",
		    json_object_new_int64(tid));
		/* stat field 39: the CPU it last ran on */
		if (proc_task_stat(cc->vm->pid, (pid_t)tid, 39, &cpu, 1) == 0)
			json_object_object_add(o, "cpu",
			    json_object_new_int64((int64_t)cpu));
		json_object_object_add(o, "state",
		    json_object_new_string("running"));
		long long ms = proc_task_cputime_ms(cc->vm->pid, (pid_t)tid);
		if (ms >= 0)
			json_object_object_add(o, "cpu_time_ms",
			    json_object_new_int64(ms));
		if (cpupin_get((pid_t)tid, &set) == 0)
			json_object_object_add(o, "affinity",
			    json_object_new_string(cpulist_format(&set, list,
			    sizeof(list))));
		json_object_array_add(a, o);
	}
	json_object_object_add(cc->out, "vcpus", a);
	return 0;
}

static void
d_vcpuinfo(struct req *r, struct vm *vm)
{
	struct cpucmd *cc = xcalloc(1, sizeof(*cc));

	cc->r = r;
	cc->vm = vm;
	cc->out = json_object_new_object();
	json_object_object_add(cc->out, "host_cpus",
	    json_object_new_int64(host_cpus()));
	cpucmd_run(cc, vcpuinfo_check);
}

/* ---- vcpupin, emulatorpin ---- */

/* The definition's pinning (one key, or all vCPUs), as a table. */
static struct json_object *
pin_table(const struct vmdef *d, int emulator)
{
	struct json_object *o = json_object_new_object(), *a;
	char all[64], buf[256], key[32];

	snprintf(all, sizeof(all), "0-%ld", host_cpus() - 1);
	if (emulator) {
		const char *v = cputune_get(d, "emulatorpin", buf, sizeof(buf));
		json_object_object_add(o, "emulator",
		    json_object_new_string(v ? v : all));
		return o;
	}
	a = json_object_new_array();
	for (unsigned i = 0; i < d->vcpus; i++) {
		struct json_object *e = json_object_new_object();
		snprintf(key, sizeof(key), "vcpupin%u", i);
		const char *v = cputune_get(d, key, buf, sizeof(buf));
		json_object_object_add(e, "vcpu", json_object_new_int(i));
		json_object_object_add(e, "affinity",
		    json_object_new_string(v ? v : all));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "vcpus", a);
	return o;
}

/* The definition with the pin, checked (text too); NULL with a reason. */
static struct vmdef *
pinned_def(const struct vmdef *from, const char *key, const char *list,
    int live, char *err, size_t errlen)
{
	struct vmdef *d = vmdef_dup(from);

	if (cputune_set(d, key, list, err, errlen) == -1 ||
	    vmdef_check(d, err, errlen) == -1) {
		vmdef_free(d);
		return NULL;
	}
	if (live) {
		free(d->text);	/* the running definition is canonical */
		d->text = NULL;
	} else
		vmdef_text_set(d, "cputune", d->cputune);
	return d;
}

static int
store_config(struct cpucmd *cc, char *err, size_t errlen)
{
	struct vm *vm;
	struct vmdef *d = pinned_def(vm_persistent(cc->vm), cc->key,
	    cc->list, 0, err, errlen);

	if (d == NULL)
		return -1;
	if (vm_define(cc->r->d, d, &vm, err, errlen) == -1)
		return -1;
	return 0;
}

/* Live: the threads now, then the running definition (and the stored). */
static int
pin_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct cpucmd *cc = arg;
	struct vmdef *d = pinned_def(cc->vm->def, cc->key, cc->list, 1, err,
	    errlen);

	if (d == NULL)
		return -1;
	if (strncmp(cc->key, "vcpupin", 7) == 0) {
		int found = 0;
		for (size_t i = 0; i < json_object_array_length(ret); i++)
			if (jint(json_object_array_get_idx(ret, i), "cpu-index",
			    -1) == atoi(cc->key + 7))
				found = 1;
		if (!found) {
			snprintf(err, errlen, "vCPU %s is not plugged (--config "
			    "pins it from the next start)", cc->key + 7);
			vmdef_free(d);
			return -1;
		}
	}
	/* only this key: the others are in place already */
	struct vmdef *one = vmdef_new();
	if (cputune_set(one, cc->key, cc->list, err, errlen) == -1 ||
	    cpupin_apply(cc->vm->pid, one, ret, err, errlen) == -1) {
		vmdef_free(one);
		vmdef_free(d);
		return -1;
	}
	vmdef_free(one);
	vm_set_live_def(cc->vm, d);
	vm_write_runstate(cc->vm);
	if (cc->config && store_config(cc, err, errlen) == -1)
		return -1;
	return 0;
}

static void
pin_cmd(struct req *r, struct vm *vm, int emulator)
{
	int live, config;
	char err[512];
	cpu_set_t set;
	const char *list = req_str(r, "cpulist");
	long long vcpu = -1;

	cmd_scope(r, vm, &live, &config);
	if (list == NULL) {
		req_return(r, pin_table(live ? vm->def : vm_persistent(vm),
		    emulator));
		return;
	}
	if (!emulator && jint_range(r->args, "vcpu", 0, CPU_MAX_VCPUS - 1,
	    &vcpu) != 0) {
		req_error(r, ERR_GENERIC, "vcpu: a vCPU number is needed");
		return;
	}
	if (cpulist_parse(list, &set, err, sizeof(err)) == -1 ||
	    cpulist_host_check(&set, err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "VM '%s': %s", vm->name, err);
		return;
	}
	struct vmdef *scope = live ? vm->def : vm_persistent(vm);
	unsigned max = scope->maxvcpus ? scope->maxvcpus : scope->vcpus;
	if (!emulator && vcpu >= max) {
		req_error(r, ERR_GENERIC, "VM '%s' has no vCPU %lld (it may "
		    "have %u)", vm->name, vcpu, max);
		return;
	}
	if (live && vm_qmp(vm) == NULL) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s: --live needs a "
		    "running VM", vm->name, vm_state_name(vm->state));
		return;
	}
	struct cpucmd *cc = xcalloc(1, sizeof(*cc));
	cc->r = r;
	cc->vm = vm;
	cc->config = config;
	if (emulator)
		strlcpy(cc->key, "emulatorpin", sizeof(cc->key));
	else
		snprintf(cc->key, sizeof(cc->key), "vcpupin%lld", vcpu);
	cpulist_format(&set, cc->list, sizeof(cc->list));
	if (live) {
		cpucmd_run(cc, pin_check);
		return;
	}
	if (store_config(cc, err, sizeof(err)) == -1)
		req_error(r, ERR_GENERIC, "VM '%s': %s", vm->name, err);
	else
		req_return(r, NULL);
	free(cc);
}

/* {"vcpu": N, "cpulist": "0-1", "live", "config"}; no cpulist: the table */
static void
d_vcpupin(struct req *r, struct vm *vm)
{
	pin_cmd(r, vm, 0);
}

/* {"cpulist": "0-1", "live", "config"}; no cpulist: the current pinning */
static void
d_emulatorpin(struct req *r, struct vm *vm)
{
	pin_cmd(r, vm, 1);
}

const struct dcmd dcmds_cpu[] = {
	{ "setvcpus",	cpuhot_setvcpus, NEEDS_VM },
	{ "vcpuinfo",	d_vcpuinfo,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ "vcpupin",	d_vcpupin,	NEEDS_VM },
	{ "emulatorpin", d_emulatorpin,	NEEDS_VM },
	{ NULL, NULL, 0 }
};
