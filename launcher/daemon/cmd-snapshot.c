/*
 * Snapshots, as virsh's snapshot-* commands: snapshot-create,
 * snapshot-list, snapshot-info, snapshot-current, snapshot-revert,
 * snapshot-delete.
 *
 * Internal snapshots live in the VM's qcow2 images.  Of a running (or
 * paused) VM they hold its RAM too and are QEMU's jobs snapshot-save,
 * snapshot-load and snapshot-delete: the command returns at once, the
 * outcome comes as JOB_STATUS_CHANGE "concluded" and is read from
 * query-jobs ("error" or not), then the job is dismissed.  Of a shut off
 * VM they are qemu-img snapshot -c, -a and -d on each disk.  Every
 * writable disk with a medium takes part, so each must be qcow2.
 *
 * External (disk-only) snapshots put a new qcow2 overlay over every
 * writable disk; the old image becomes its backing file and stays as it
 * was.  Of a running VM: the overlays are created with qemu-img, their
 * nodes added, and one QMP transaction of blockdev-snapshot switches
 * every disk at once; on failure the nodes are deleted and the files
 * removed.  The definition's disks then name the overlays (vmdef.h,
 * vmdef_disk_overlay, for the node names of what runs).
 *
 * This file has the commands' rows, what they share (snapop.h: the
 * operation, its progress events with query-jobs' percent, QEMU's
 * snapshot jobs), snapshot-create and the reading commands; revert is
 * snaprevert.c, delete snapdelete.c, and external snapshots' offline
 * image work snapext.c.  The metadata is kept by snapstore.c in the VM
 * core's vm_snapdir.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "diskauth.h"
#include "dispatch.h"
#include "jget.h"
#include "job.h"
#include "names.h"
#include "parse.h"
#include "qimg.h"
#include "qmp.h"
#include "req.h"
#include "snapstore.h"
#include "snapfreeze.h"
#include "snapop.h"
#include "storage.h"
#include "util.h"
#include "vm.h"


struct snap *
snap_new(struct req *r, struct vm *vm, enum snap_op op, const char *verb,
    const char *name)
{
	struct snap *s = xcalloc(1, sizeof(*s));

	s->r = r;
	s->vm = vm;
	s->op = op;
	s->want = -1;
	s->was = -1;
	s->pct = -1;
	strlcpy(s->name, name, sizeof(s->name));
	vm_snapdir(vm, s->dir, sizeof(s->dir));
	snprintf(s->what, sizeof(s->what), "%s %s %s", verb, vm->name, name);
	return s;
}


void
snap_free(struct snap *s)
{
	snap_poll_stop(s);
	json_object_put(s->deldisks);
	json_object_put(s->meta);
	json_object_put(s->nodes);
	vmdef_free(s->live);
	vmdef_free(s->config);
	storage_keep(&s->made);
	free(s);
}

/* The snapshot's name from the request, checked; NULL answered. */
const char *
snap_arg(struct req *r)
{
	const char *n = req_str(r, "snapshot");

	if (n == NULL || !valid_name(n)) {
		req_error(r, ERR_GENERIC, "'%s' is not a valid snapshot name "
		    "(letters, digits, '.', '_' and '-', at most 64)",
		    n != NULL ? n : "");
		return NULL;
	}
	return n;
}

/* The snapshot's metadata, or NULL answered with NotFound. */
struct json_object *
snap_meta(struct req *r, struct vm *vm, const char *name)
{
	char dir[PATH_MAX], err[512];
	struct json_object *m;

	vm_snapdir(vm, dir, sizeof(dir));
	if (!snapstore_exists(dir, name)) {
		req_error(r, ERR_NOT_FOUND, "VM '%s' has no snapshot named "
		    "'%s'", vm->name, name);
		return NULL;
	}
	if ((m = snapstore_get(dir, name, err, sizeof(err))) == NULL)
		req_error(r, ERR_GENERIC, "%s", err);
	return m;
}

/*
 * A running VM takes commands; a shut off one has images to itself.
 * Any other state (starting, shutting down, QMP lost): -1 answered, as
 * when the requester could not write a shut off VM's disks itself.
 */
int
snap_usable_state(struct req *r, struct vm *vm, int *live)
{
	*live = vm_active(vm);
	if (!*live)	/* qemu-img, run by the supervisor */
		return diskauth_writable(r, vm_persistent(vm));
	if ((vm->state == VM_RUNNING || vm->state == VM_PAUSED) &&
	    vm_qmp(vm) != NULL)
		return 0;
	req_error(r, ERR_INVALID_STATE, "VM '%s' is %s%s: snapshots need it "
	    "running, paused or shut off", vm->name, vm_state_name(vm->state),
	    vm_qmp(vm) == NULL ? " without QMP" : "");
	return -1;
}

/* The disks a snapshot covers: writable, with a medium. */
static int
covered(const struct vmdef_disk *k)
{
	return k->path != NULL && !k->readonly && strcmp(k->device, "disk") == 0;
}

/*
 * The disks of an internal snapshot: every covered disk, each qcow2.
 * With nodes, their format nodes (the first holds the RAM); with disks,
 * {"target", "source"} each.  -1 with err.
 */
int
snap_internal_disks(struct vm *vm, const struct vmdef *d, struct json_object *nodes,
    struct json_object *disks, char *err, size_t errlen)
{
	struct vmdef_disk k;
	int n = 0;

	for (size_t i = 0; vmdef_disk_get(d, i, &k) == 0; i++) {
		if (!covered(&k))
			continue;
		if (k.format == NULL || strcmp(k.format, "qcow2") != 0) {
			snprintf(err, errlen, "VM '%s': disk %s is %s: internal "
			    "snapshots need qcow2 disks (--disk-only makes "
			    "external ones)", vm->name, k.target,
			    k.format != NULL ? k.format : "of no format");
			return -1;
		}
		if (nodes != NULL)
			json_object_array_add(nodes,
			    json_object_new_string(k.node));
		if (disks != NULL) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "target",
			    json_object_new_string(k.target));
			json_object_object_add(o, "source",
			    json_object_new_string(k.path));
			json_object_array_add(disks, o);
		}
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "VM '%s' has no writable disk to take a "
		    "snapshot of", vm->name);
		return -1;
	}
	return 0;
}

/* ---- QEMU's snapshot jobs ---- */

/*
 * A JOB_PROGRESS event: the step of our job, and a percent of the whole
 * in which the running step counts by QEMU's own job's progress (frac,
 * 0..1, from query-jobs).  Sent when the percent or the step changes.
 */
static void
emit(struct snap *s, const char *what, double frac)
{
	struct json_object *d;
	double pct = s->nsteps > 0 ? 100.0 * ((s->step > 0 ? s->step - 1 : 0) +
	    frac) / s->nsteps : 0;

	if ((int)pct == s->pct && frac > 0)
		return;
	s->pct = (int)pct;
	d = json_object_new_object();
	json_object_object_add(d, "job", json_object_new_string(s->r->cmd));
	json_object_object_add(d, "snapshot", json_object_new_string(s->name));
	json_object_object_add(d, "step", json_object_new_int(s->step));
	json_object_object_add(d, "steps", json_object_new_int(s->nsteps));
	json_object_object_add(d, "what", json_object_new_string(what));
	json_object_object_add(d, "percent", json_object_new_double(
	    (double)(int)(pct * 10) / 10));
	req_event(s->r, EV_JOB_PROGRESS, json_object_get(d));
	vm_emit(s->vm, EV_JOB_PROGRESS, d);
}

void
snap_progress(void *arg, int step, int nsteps, const char *what)
{
	struct snap *s = arg;

	s->step = step;
	s->nsteps = nsteps;
	emit(s, what, 0);
}

/* query-jobs while QEMU's job runs: its current-progress of total. */
static void
poll_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct snap *s = arg;

	s->pollid = 0;
	if (err != NULL || s->jobid[0] == '\0')
		return;
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *j = json_object_array_get_idx(ret, i);
		long long cur = jint(j, "current-progress", 0);
		long long tot = jint(j, "total-progress", 0);
		if (jstr(j, "id") == NULL || strcmp(jstr(j, "id"),
		    s->jobid) != 0 || tot <= 0)
			continue;
		emit(s, jstr_or(j, "type", "job"), cur >= tot ? 1 :
		    (double)cur / (double)tot);
	}
}

static void
poll_tick(evutil_socket_t fd, short what, void *arg)
{
	struct snap *s = arg;
	struct timeval tv = { 0, POLL_MS * 1000 };

	(void)fd;
	(void)what;
	evtimer_add(s->poll, &tv);
	if (s->pollid == 0 && s->jobid[0] != '\0')
		s->pollid = qmp_execute(s->pq, "query-jobs", NULL, POLL_MS * 10,
		    poll_reply, s);
	if (s->pollid < 0)
		s->pollid = 0;
}

static void
poll_start(struct snap *s)
{
	/* a short job ends before the first poll: its steps say enough */
	struct timeval tv = { POLL_FIRST_MS / 1000, 0 };

	if (s->poll != NULL || (s->pq = vm_qmp(s->vm)) == NULL)
		return;
	s->poll = evtimer_new(s->r->d->base, poll_tick, s);
	evtimer_add(s->poll, &tv);
}

/* Before the job's end is told: QMP is still there. */
void
snap_poll_stop(struct snap *s)
{
	if (s->poll != NULL)
		event_free(s->poll);
	s->poll = NULL;
	if (s->pollid > 0)
		qmp_cancel(s->pq, s->pollid);
	s->pollid = 0;
}

/* query-jobs: our job concluded; its "error", if any, fails the job. */
int
snap_job_outcome(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct snap *s = arg;

	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *j = json_object_array_get_idx(ret, i);
		if (jstr(j, "id") == NULL || strcmp(jstr(j, "id"), s->jobid))
			continue;
		if (jstr(j, "error") != NULL) {
			snprintf(err, errlen, "QEMU's %s job failed: %s",
			    s->qcmd, jstr(j, "error"));
			return -1;
		}
		if (jstr(j, "status") == NULL ||
		    strcmp(jstr(j, "status"), "concluded") != 0) {
			snprintf(err, errlen, "QEMU's %s job is %s, not "
			    "concluded", s->qcmd, jstr(j, "status") != NULL ?
			    jstr(j, "status") : "of no status");
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "QEMU has no job %s", s->jobid);
	return -1;
}

struct json_object *
snap_id_arg(const char *id)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "id", json_object_new_string(id));
	return a;
}

static void	snap_done(void *, int, const char *, const char *, int);

/*
 * The job: QEMU's command (undone by undo, when not NULL, once it ran),
 * its JOB_STATUS_CHANGE to "concluded", then query-jobs (whose undo, and
 * the step after it, is job-dismiss: the concluded job goes whether it
 * failed or not).
 */
struct job *
snap_qemu_job(struct snap *s, const char *undo)
{
	static unsigned seq;
	struct json_object *a = json_object_new_object();
	struct job *j;

	snprintf(s->jobid, sizeof(s->jobid), "qlaunch-%s-%ld-%u", s->qcmd,
	    (long)getpid(), ++seq);
	json_object_object_add(a, "job-id", json_object_new_string(s->jobid));
	json_object_object_add(a, "tag", json_object_new_string(s->name));
	if (s->op != OP_DELETE)
		json_object_object_add(a, "vmstate", json_object_get(
		    json_object_array_get_idx(s->nodes, 0)));
	json_object_object_add(a, "devices", json_object_get(s->nodes));
	j = job_new(s->r->d->base, vm_qmp(s->vm), s->what, SNAP_JOB_MS,
	    snap_done, s);
	job_step(j, s->qcmd, a, NULL, NULL);
	if (undo != NULL)
		job_undo(j, undo, NULL);
	job_expect_event2(j, "JOB_STATUS_CHANGE", "id", s->jobid, "status",
	    "concluded", SNAP_JOB_MS);
	job_step(j, "query-jobs", NULL, snap_job_outcome, s);
	job_undo(j, "job-dismiss", snap_id_arg(s->jobid));
	job_step(j, "job-dismiss", snap_id_arg(s->jobid), NULL, NULL);
	job_progress(j, snap_progress, s);
	return j;
}

void
snap_run(struct snap *s, struct job *j)
{
	s->job = j;
	vm_job_track(s->vm, j);
	poll_start(s);
	job_start(j);
}

/* ---- finishing ---- */

static int
store_meta(struct snap *s, char *err, size_t errlen)
{
	if (snapstore_put(s->dir, s->meta, err, errlen) == -1)
		return -1;
	return snapstore_set_current(s->dir, s->name, err, errlen);
}

static void
created(struct snap *s)
{
	char err[1024];
	struct vm *vm;

	if (s->config != NULL) {
		if (vm_define(s->r->d, s->config, &vm, err, sizeof(err)) == -1) {
			if (s->live == NULL) {
				/* shut off: as if it had not been tried */
				storage_undo(&s->made);
				req_error(s->r, ERR_GENERIC, "%s: %s", s->what,
				    err);
				return;
			}
			req_error(s->r, ERR_GENERIC, "%s: the disks are on their "
			    "overlays, but the definition could not be stored: "
			    "%s", s->what, err);
			return;
		}
		s->config = NULL;
	}
	if (s->live != NULL) {
		vm_set_live_def(s->vm, s->live);
		s->live = NULL;
		vm_write_runstate(s->vm);
	}
	storage_keep(&s->made);
	if (store_meta(s, err, sizeof(err)) == -1) {
		req_error(s->r, ERR_GENERIC, "%s: taken, but its metadata could "
		    "not be stored: %s", s->what, err);
		return;
	}
	req_return(s->r, json_object_get(s->meta));
}

void
snap_finish(struct snap *s)
{
	char err[1024];

	switch (s->op) {
	case OP_CREATE:
		created(s);
		return;
	case OP_REVERT:
		if (snapstore_set_current(s->dir, s->name, err,
		    sizeof(err)) == -1) {
			req_error(s->r, ERR_GENERIC, "%s: %s", s->what, err);
			return;
		}
		break;
	case OP_DELETE:
		if (snapstore_del(s->dir, s->name, err, sizeof(err)) == -1) {
			req_error(s->r, ERR_GENERIC, "%s: %s", s->what, err);
			return;
		}
		break;
	}
	req_return(s->r, NULL);
}

static void
snap_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct snap *s = arg;

	vm_job_untrack(s->vm, s->job);
	snap_poll_stop(s);
	if (s->frozen)
		snapthaw(s->r->d, s->vm);	/* done or not */
	s->frozen = 0;
	if (ok)
		snap_finish(s);
	else {
		/* every step was undone; so are the overlays made for it */
		storage_undo(&s->made);
		if (qemu)
			req_qemu_error(s->r, class, desc);
		else
			req_error(s->r, class, "%s: %s", s->what, desc);
	}
	snap_free(s);
}

/* ---- snapshot-create ---- */

/* /a/guest.qcow2 and s1: /a/guest.s1.qcow2, as virsh names overlays */
static void
overlay_path(const char *base, const char *snap, char *buf, size_t len)
{
	const char *slash = strrchr(base, '/');
	const char *dot = strrchr(base, '.');
	int stem = dot != NULL && (slash == NULL || dot > slash) ?
	    (int)(dot - base) : (int)strlen(base);

	snprintf(buf, len, "%.*s.%s.qcow2", stem, base, snap);
}

/*
 * External: an overlay over each covered disk of d (the stored or the
 * live definition): created, remembered in s->made, and the definition
 * to store with them in s->config.  disks gets {"target", "source",
 * "backing"}.
 */
static int
make_overlays(struct snap *s, const struct vmdef *d, struct json_object *disks,
    char *err, size_t errlen)
{
	struct vmdef_disk k;
	char path[PATH_MAX], why[1024];
	size_t j;

	s->config = vmdef_dup(vm_persistent(s->vm));
	for (size_t i = 0; vmdef_disk_get(d, i, &k) == 0; i++) {
		if (!covered(&k))
			continue;
		overlay_path(k.path, s->name, path, sizeof(path));
		if (qimg_create(path, "qcow2", 0, k.path, k.format, 0, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "disk %s: %s", k.target, why);
			return -1;
		}
		storage_remember(&s->made, path);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "target",
		    json_object_new_string(k.target));
		json_object_object_add(o, "source",
		    json_object_new_string(path));
		json_object_object_add(o, "backing",
		    json_object_new_string(k.path));
		json_object_object_add(o, "backing_format", k.format != NULL ?
		    json_object_new_string(k.format) : NULL);
		json_object_array_add(disks, o);
		/* the same disk in what is stored, when it is there */
		if (vmdef_disk_find(s->config, k.target, &j) == 0 &&
		    vmdef_disk_set_source(s->config, j, path, "qcow2", err,
		    errlen) == -1)
			return -1;
	}
	if (json_object_array_length(disks) == 0) {
		snprintf(err, errlen, "VM '%s' has no writable disk to take a "
		    "snapshot of", s->vm->name);
		return -1;
	}
	return 0;
}

/* The live part of an external snapshot: the overlays' nodes, then one
 * transaction. */
static int
overlay_job(struct snap *s, char *err, size_t errlen)
{
	struct json_object *actions = json_object_new_array(), *steps, *act;
	struct vmdef_disk k;
	struct job *j;

	s->live = vmdef_dup(s->vm->def);
	j = job_new(s->r->d->base, vm_qmp(s->vm), s->what, SNAP_JOB_MS,
	    snap_done, s);
	for (size_t i = 0; vmdef_disk_get(s->live, i, &k) == 0; i++) {
		if (!covered(&k))
			continue;
		char path[PATH_MAX];
		overlay_path(k.path, s->name, path, sizeof(path));
		if (vmdef_disk_overlay(s->live, i, path, &steps, &act, err,
		    errlen) == -1) {
			json_object_put(actions);
			job_abandon(j);
			return -1;
		}
		job_steps_from(j, steps);
		json_object_put(steps);
		json_object_array_add(actions, act);
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "actions", actions);
	job_step(j, "transaction", a, NULL, NULL);
	job_progress(j, snap_progress, s);
	snap_run(s, j);
	return 0;
}

/* The guest's file systems frozen (or not: no agent): the live part. */
static void
overlay_frozen(void *arg, int frozen)
{
	struct snap *s = arg;
	char err[1024];

	s->frozen = frozen;
	if (vm_qmp(s->vm) == NULL)
		snprintf(err, sizeof(err), "VM '%s' stopped", s->vm->name);
	else if (overlay_job(s, err, sizeof(err)) == 0)
		return;
	if (s->frozen)
		snapthaw(s->r->d, s->vm);
	storage_undo(&s->made);
	req_error(s->r, ERR_GENERIC, "%s", err);
	snap_free(s);
}

/* Internal, shut off: qemu-img snapshot -c on each disk, undone on error. */
static int
offline_create(struct snap *s, char *err, size_t errlen)
{
	struct vmdef *d = vm_persistent(s->vm);
	struct vmdef_disk k;
	char why[1024];
	size_t done = 0;

	for (size_t i = 0; vmdef_disk_get(d, i, &k) == 0; i++) {
		if (!covered(&k))
			continue;
		if (qimg_snapshot_create(k.path, k.format, s->name, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "disk %s: %s", k.target, why);
			goto undo;
		}
		done++;
	}
	return 0;
undo:
	for (size_t i = 0; done > 0 && vmdef_disk_get(d, i, &k) == 0; i++)
		if (covered(&k)) {
			qimg_snapshot_delete(k.path, k.format, s->name, why,
			    sizeof(why));
			done--;
		}
	return -1;
}

static const char *
state_word(const struct vm *vm, int disk_only)
{
	if (disk_only)
		return "disk-snapshot";
	if (!vm_active(vm))
		return "shutoff";
	return vm->state == VM_PAUSED ? "paused" : "running";
}

/* {"snapshot", "description", "disk_only", "atomic"} */
static void
d_snapshot_create(struct req *r, struct vm *vm)
{
	const char *name = snap_arg(r), *desc;
	int disk_only, live;
	struct json_object *disks, *cur;
	char err[1024];

	/* snap_arg answered a bad name: r is gone */
	if (name == NULL || snap_usable_state(r, vm, &live) == -1)
		return;
	desc = req_str(r, "description");
	disk_only = req_bool(r, "disk_only");
	struct snap *s = snap_new(r, vm, OP_CREATE, "snapshot-create-as", name);
	if (snapstore_exists(s->dir, name)) {
		req_error(r, ERR_EXISTS, "VM '%s' has a snapshot named '%s' "
		    "already", vm->name, name);
		snap_free(s);
		return;
	}
	/* every snapshot is atomic: all disks or none ("atomic" is implied) */
	s->meta = json_object_new_object();
	json_object_object_add(s->meta, "name", json_object_new_string(name));
	json_object_object_add(s->meta, "description", desc != NULL ?
	    json_object_new_string(desc) : NULL);
	json_object_object_add(s->meta, "creationTime",
	    json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(s->meta, "state",
	    json_object_new_string(state_word(vm, disk_only)));
	json_object_object_add(s->meta, "location",
	    json_object_new_string(disk_only ? "external" : "internal"));
	json_object_object_add(s->meta, "memory",
	    json_object_new_boolean(live && !disk_only));
	cur = snapstore_current(s->dir);
	json_object_object_add(s->meta, "parent", cur != NULL ?
	    json_object_new_string(jstr(cur, "name")) : NULL);
	json_object_put(cur);
	json_object_object_add(s->meta, "current", json_object_new_boolean(1));
	disks = json_object_new_array();
	json_object_object_add(s->meta, "disks", disks);

	if (disk_only) {
		if (make_overlays(s, live ? vm->def : vm_persistent(vm), disks,
		    err, sizeof(err)) == -1)
			goto fail;
		if (live)
			snapfreeze(r->d, vm, overlay_frozen, s);
		else {
			created(s);
			snap_free(s);
		}
		return;
	}
	if (!live) {
		if (snap_internal_disks(vm, vm_persistent(vm), NULL, disks, err,
		    sizeof(err)) == -1 ||
		    offline_create(s, err, sizeof(err)) == -1)
			goto fail;
		created(s);
		snap_free(s);
		return;
	}
	s->nodes = json_object_new_array();
	if (snap_internal_disks(vm, vm->def, s->nodes, disks, err,
	    sizeof(err)) == -1)
		goto fail;
	s->qcmd = "snapshot-save";
	snap_run(s, snap_qemu_job(s, NULL));
	return;
fail:
	storage_undo(&s->made);
	req_error(r, ERR_GENERIC, "%s", err);
	snap_free(s);
}

/* ---- snapshot-revert, snapshot-delete ---- */

/*
 * The disks of an existing internal snapshot in d, by the targets it
 * was taken of: their format nodes (nodes) or each disk's path and
 * format for qemu-img (fn).  -1 with err.
 */
int
snap_disks(struct snap *s, struct json_object *meta, const struct vmdef *d,
    struct json_object *nodes, int (*fn)(const char *, const char *,
    const char *, char *, size_t), char *err, size_t errlen)
{
	struct json_object *disks = jget(meta, "disks");
	struct vmdef_disk k;
	char why[1024];
	size_t i;

	for (size_t n = 0; n < json_object_array_length(disks); n++) {
		const char *t = jstr(json_object_array_get_idx(disks, n),
		    "target");
		if (t == NULL || vmdef_disk_find(d, t, &i) == -1) {
			snprintf(err, errlen, "%s: the VM has no disk %s any "
			    "more", s->what, t != NULL ? t : "(none)");
			return -1;
		}
		vmdef_disk_get(d, i, &k);
		if (nodes != NULL)
			json_object_array_add(nodes,
			    json_object_new_string(k.node));
		if (fn != NULL && fn(k.path, k.format, s->name, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "disk %s: %s", k.target, why);
			return -1;
		}
	}
	return 0;
}

/* ---- reading ---- */

/* The metadata as the client sees it: with domain and family counts. */
static struct json_object *
info_of(struct vm *vm, struct json_object *meta, struct json_object *all)
{
	struct json_object *o = NULL;
	int children, descendants;

	json_object_deep_copy(meta, &o, NULL);
	snapstore_family(all, jstr(meta, "name"), &children, &descendants);
	json_object_object_add(o, "domain", json_object_new_string(vm->name));
	json_object_object_add(o, "children", json_object_new_int(children));
	json_object_object_add(o, "descendants",
	    json_object_new_int(descendants));
	return o;
}

static struct json_object *
list_or_answer(struct req *r, struct vm *vm)
{
	char dir[PATH_MAX], err[512];
	struct json_object *all;

	vm_snapdir(vm, dir, sizeof(dir));
	if ((all = snapstore_list(dir, err, sizeof(err))) == NULL)
		req_error(r, ERR_GENERIC, "VM '%s': %s", vm->name, err);
	return all;
}

static void
d_snapshot_list(struct req *r, struct vm *vm)
{
	struct json_object *all = list_or_answer(r, vm), *out;

	if (all == NULL)
		return;
	out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(all); i++)
		json_object_array_add(out, info_of(vm,
		    json_object_array_get_idx(all, i), all));
	json_object_put(all);
	req_return(r, out);
}

/* {"snapshot"}; without it (snapshot-current) the current one */
static void
d_snapshot_info(struct req *r, struct vm *vm)
{
	const char *name = req_str(r, "snapshot");
	struct json_object *all = list_or_answer(r, vm), *me = NULL;

	if (all == NULL)
		return;
	for (size_t i = 0; i < json_object_array_length(all) && !me; i++) {
		struct json_object *o = json_object_array_get_idx(all, i);
		if (name != NULL ? strcmp(jstr(o, "name"), name) == 0 :
		    jbool(o, "current"))
			me = o;
	}
	if (me == NULL && name != NULL)
		req_error(r, ERR_NOT_FOUND, "VM '%s' has no snapshot named "
		    "'%s'", vm->name, name);
	else if (me == NULL)
		req_error(r, ERR_NOT_FOUND, "VM '%s' has no current snapshot",
		    vm->name);
	else
		req_return(r, info_of(vm, me, all));
	json_object_put(all);
}

const struct dcmd dcmds_snapshot[] = {
	{ "snapshot-create",	d_snapshot_create,	NEEDS_VM },
	{ "snapshot-list",	d_snapshot_list,	NEEDS_VM },
	{ "snapshot-info",	d_snapshot_info,	NEEDS_VM },
	{ "snapshot-current",	d_snapshot_info,	NEEDS_VM },
	{ "snapshot-revert",	snap_revert,	NEEDS_VM },
	{ "snapshot-delete",	snap_delete,	NEEDS_VM },
	{ NULL, NULL, 0 }
};
