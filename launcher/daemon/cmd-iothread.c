/*
 * IOThreads, as virsh's: iothreadinfo, iothreadpin, iothreadadd,
 * iothreaddel.  The ids and their pinning are the definition's
 * (iothreads:, cputune: iothreadpinN=LIST); --live acts on the running
 * QEMU (object-add, object-del, the thread's affinity) and its running
 * definition, --config on the stored one; neither: live when running.
 * Pinning goes through cpupin.c, which applies it again at every start
 * and on a migration's destination.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cpukeys.h"
#include "cpupin.h"
#include "daemon.h"
#include "defutil.h"
#include "dispatch.h"
#include "iothreads.h"
#include "jget.h"
#include "job.h"
#include "names.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

#define IOCMD_JOB_MS	10000

enum ioop { IO_INFO, IO_PIN, IO_ADD, IO_DEL };

struct iocmd {
	struct req		*r;
	struct vm		*vm;
	struct job		*job;
	struct json_object	*out;
	enum ioop		 op;
	unsigned		 id;
	char			 list[256];	/* iothreadpin's */
	struct vmdef		*cfg;		/* stored after the live part */
};

static void
iocmd_free(struct iocmd *c)
{
	vmdef_free(c->cfg);
	free(c);
}

static long
host_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	return n > 0 ? n : 1;
}

/* Set a key's line of the stored text, or remove it (value NULL). */
static void
text_set(struct vmdef *d, const char *key, const char *value)
{
	if (value != NULL)
		vmdef_text_set(d, key, value);
	else
		vmdef_text_set_nth(d, key, 0, NULL);
}

/* The definition from after the operation, checked; NULL with a reason. */
static struct vmdef *
changed_def(const struct vmdef *from, const struct iocmd *c, int live,
    char *err, size_t errlen)
{
	struct vmdef *d = vmdef_dup(from);
	char key[32];

	snprintf(key, sizeof(key), "iothreadpin%u", c->id);
	if (c->op == IO_PIN && cputune_set(d, key, c->list, err, errlen) == -1)
		goto bad;
	if (c->op == IO_ADD)
		iothread_set(d, c->id, 1);
	if (c->op == IO_DEL) {
		iothread_set(d, c->id, 0);
		if (cputune_set(d, key, NULL, err, errlen) == -1)
			goto bad;
	}
	if (vmdef_check(d, err, errlen) == -1)
		goto bad;
	if (live) {
		free(d->text);	/* the running definition is canonical */
		d->text = NULL;
	} else {
		char *v = iothreads_value(d);
		text_set(d, "iothreads", v);
		free(v);
		text_set(d, "cputune", d->cputune);
	}
	return d;
bad:
	vmdef_free(d);
	return NULL;
}

/* What the operation needs of the definition it changes. */
static int
precheck(const struct vmdef *d, const struct iocmd *c, const char *scope,
    char *err, size_t errlen)
{
	struct vmdef_disk k;

	if (c->op == IO_ADD && iothread_has(d, c->id))
		return def_err(err, errlen, "it has iothread %u already (%s)",
		    c->id, scope);
	if (c->op != IO_ADD && !iothread_has(d, c->id))
		return def_err(err, errlen, "it has no iothread %u (%s; "
		    "iothreads: %u)", c->id, scope, iothread_count(d));
	for (size_t i = 0; c->op == IO_DEL && vmdef_disk_get(d, i, &k) == 0;
	    i++)
		if (k.iothread == c->id)
			return def_err(err, errlen, "iothread %u is used by "
			    "disk %s (%s); detach the disk first", c->id,
			    k.target, scope);
	return 0;
}

/* ---- the live part: a job on the VM's QMP connection ---- */

static void
iocmd_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct iocmd *c = arg;

	vm_job_untrack(c->vm, c->job);
	if (!ok) {
		if (qemu)
			req_qemu_error(c->r, class, desc);
		else
			req_error(c->r, class, "VM '%s': %s", c->vm->name,
			    desc);
		json_object_put(c->out);
	} else
		req_return(c->r, c->out);
	iocmd_free(c);
}

/* The stored definition first (it may fail: the job is undone), then
 * the running one. */
static int
commit(struct iocmd *c, char *err, size_t errlen)
{
	struct vmdef *live = changed_def(c->vm->def, c, 1, err, errlen);
	struct vm *vm;

	if (live == NULL)
		return -1;
	if (c->cfg != NULL) {
		if (vm_define(c->r->d, c->cfg, &vm, err, errlen) == -1) {
			vmdef_free(live);
			return -1;
		}
		c->cfg = NULL;
	}
	vm_set_live_def(c->vm, live);
	vm_write_runstate(c->vm);
	return 0;
}

static int
info_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct iocmd *c = arg;
	struct json_object *a = json_object_new_array();
	char list[256];
	cpu_set_t set;

	(void)err;
	(void)errlen;
	for (unsigned id = 1; id <= IOTHREAD_MAX; id++) {
		long long tid = cpupin_iothread_tid(ret, id);
		if (tid <= 0)
			continue;
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int((int)id));
		json_object_object_add(o, "thread_id",
		    json_object_new_int64(tid));
		if (cpupin_get((pid_t)tid, &set) == 0)
			json_object_object_add(o, "affinity",
			    json_object_new_string(cpulist_format(&set, list,
			    sizeof(list))));
		json_object_array_add(a, o);
	}
	json_object_object_add(c->out, "iothreads", a);
	return 0;
}

static int
pin_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct iocmd *c = arg;
	struct vmdef *one = vmdef_new();
	long long tid = cpupin_iothread_tid(ret, c->id);
	cpu_set_t old;
	char key[32];

	/* only this iothread: the others are pinned already */
	snprintf(key, sizeof(key), "iothreadpin%u", c->id);
	int had = tid > 0 && cpupin_get((pid_t)tid, &old) == 0;
	if (cputune_set(one, key, c->list, err, errlen) == -1 ||
	    cpupin_apply_iothreads(one, ret, err, errlen) == -1) {
		vmdef_free(one);
		return -1;
	}
	vmdef_free(one);
	if (commit(c, err, errlen) == -1) {
		/* the definitions did not change: neither does the thread */
		if (had)
			sched_setaffinity((pid_t)tid, sizeof(old), &old);
		return -1;
	}
	return 0;
}

/* After object-add or object-del: QEMU's iothreads are as they should. */
static int
changed_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct iocmd *c = arg;
	int there = cpupin_iothread_tid(ret, c->id) > 0;

	if (there != (c->op == IO_ADD)) {
		snprintf(err, errlen, "QEMU %s iothread%u after object-%s",
		    there ? "still has" : "has no", c->id,
		    c->op == IO_ADD ? "add" : "del");
		return -1;
	}
	return commit(c, err, errlen);
}

static void
run_live(struct iocmd *c)
{
	char q[32];
	struct json_object *a;

	c->job = job_new(c->r->d->base, vm_qmp(c->vm), "iothreads",
	    IOCMD_JOB_MS, iocmd_done, c);
	iothread_qemu_id(c->id, q, sizeof(q));
	switch (c->op) {
	case IO_INFO:
		job_step(c->job, "query-iothreads", NULL, info_check, c);
		break;
	case IO_PIN:
		job_step(c->job, "query-iothreads", NULL, pin_check, c);
		break;
	case IO_ADD:
		job_step(c->job, "object-add", iothread_object(c->id), NULL,
		    NULL);
		a = json_object_new_object();
		json_object_object_add(a, "id", json_object_new_string(q));
		job_undo(c->job, "object-del", a);
		job_step(c->job, "query-iothreads", NULL, changed_check, c);
		break;
	case IO_DEL:
		a = json_object_new_object();
		json_object_object_add(a, "id", json_object_new_string(q));
		job_step(c->job, "object-del", a, NULL, NULL);
		job_undo(c->job, "object-add", iothread_object(c->id));
		job_step(c->job, "query-iothreads", NULL, changed_check, c);
		break;
	}
	vm_job_track(c->vm, c->job);
	job_start(c->job);
}

/* ---- the commands ---- */

/* iothreadinfo from a definition: each id and its pinning (or all). */
static struct json_object *
info_def(const struct vmdef *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	char all[64], buf[256], key[32];

	snprintf(all, sizeof(all), host_cpus() > 1 ? "0-%ld" : "0",
	    host_cpus() - 1);
	for (unsigned id = 1; id <= IOTHREAD_MAX; id++) {
		if (!iothread_has(d, id))
			continue;
		struct json_object *e = json_object_new_object();
		snprintf(key, sizeof(key), "iothreadpin%u", id);
		const char *v = cputune_get(d, key, buf, sizeof(buf));
		json_object_object_add(e, "id", json_object_new_int((int)id));
		json_object_object_add(e, "affinity",
		    json_object_new_string(v ? v : all));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "iothreads", a);
	return o;
}

static void
io_cmd(struct req *r, struct vm *vm, enum ioop op)
{
	int live, config;
	char err[512];
	long long id = 0;
	cpu_set_t set;

	cmd_scope(r, vm, &live, &config);
	if (op != IO_INFO && jint_range(r->args, "id", 1, IOTHREAD_MAX,
	    &id) != 0) {
		req_error(r, ERR_GENERIC, "id: an iothread id (1 to %d) is "
		    "needed", IOTHREAD_MAX);
		return;
	}
	if (op == IO_INFO && live && config) {
		req_error(r, ERR_GENERIC, "--live and --config: one of them");
		return;
	}
	if (op == IO_INFO && !live) {
		req_return(r, info_def(vm_persistent(vm)));
		return;
	}
	if (live && vm_qmp(vm) == NULL) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s: --live needs a "
		    "running VM", vm->name, vm_state_name(vm->state));
		return;
	}
	struct iocmd *c = xcalloc(1, sizeof(*c));
	c->r = r;
	c->vm = vm;
	c->op = op;
	c->id = (unsigned)id;
	if (op == IO_PIN) {
		const char *list = req_str(r, "cpulist");
		if (list == NULL) {
			snprintf(err, sizeof(err), "cpulist: a CPU list is "
			    "needed");
			goto refuse;
		}
		if (cpulist_parse(list, &set, err, sizeof(err)) == -1 ||
		    cpulist_host_check(&set, err, sizeof(err)) == -1)
			goto refuse;
		cpulist_format(&set, c->list, sizeof(c->list));
	}
	if (op != IO_INFO && ((live && precheck(vm->def, c, "running",
	    err, sizeof(err)) == -1) || (config && precheck(vm_persistent(vm),
	    c, "its definition", err, sizeof(err)) == -1)))
		goto refuse;
	if (config && (c->cfg = changed_def(vm_persistent(vm), c, 0, err,
	    sizeof(err))) == NULL)
		goto refuse;
	if (live) {
		c->out = op == IO_INFO ? json_object_new_object() : NULL;
		run_live(c);
		return;
	}
	struct vm *same;
	if (vm_define(r->d, c->cfg, &same, err, sizeof(err)) == -1)
		goto refuse;
	c->cfg = NULL;
	req_return(r, NULL);
	iocmd_free(c);
	return;
refuse:
	req_error(r, ERR_GENERIC, "VM '%s': %s", vm->name, err);
	iocmd_free(c);
}

/* {"name", "live", "config"}: [{"id", "thread_id", "affinity"}] */
static void
d_iothreadinfo(struct req *r, struct vm *vm)
{
	io_cmd(r, vm, IO_INFO);
}

/* {"name", "id", "cpulist", "live", "config"} */
static void
d_iothreadpin(struct req *r, struct vm *vm)
{
	io_cmd(r, vm, IO_PIN);
}

/* {"name", "id", "live", "config"} */
static void
d_iothreadadd(struct req *r, struct vm *vm)
{
	io_cmd(r, vm, IO_ADD);
}

/* {"name", "id", "live", "config"}: refused while a disk uses it */
static void
d_iothreaddel(struct req *r, struct vm *vm)
{
	io_cmd(r, vm, IO_DEL);
}

const struct dcmd dcmds_iothread[] = {
	{ "iothreadinfo",	d_iothreadinfo,	NEEDS_VM },
	{ "iothreadpin",	d_iothreadpin,	NEEDS_VM },
	{ "iothreadadd",	d_iothreadadd,	NEEDS_VM },
	{ "iothreaddel",	d_iothreaddel,	NEEDS_VM },
	{ NULL, NULL, 0 }
};
