/*
 * snapshot-delete (cmd-snapshot.c has the command's row): an internal
 * snapshot through QEMU's snapshot-delete job or qemu-img; an external
 * one merged down, with qemu-img commit when the VM is shut off, QEMU's
 * active block-commit (or block-stream) while it runs.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "job.h"
#include "names.h"
#include "qimg.h"
#include "qmp.h"
#include "req.h"
#include "snapext.h"
#include "snapop.h"
#include "snapstore.h"
#include "util.h"
#include "vm.h"
#include "vmdef.h"

/* ---- snapshot-delete of an external snapshot: its overlays merge down ---- */

/* The other snapshots whose disks stood on overlay now stand on base. */
static int
meta_rebase(struct snap *s, const char *overlay, const char *base,
    const char *fmt, char *err, size_t errlen)
{
	struct json_object *all = snapstore_list(s->dir, err, errlen);
	int rc = 0;

	if (all == NULL)
		return -1;
	for (size_t i = 0; i < json_object_array_length(all) && rc == 0; i++) {
		struct json_object *o = json_object_array_get_idx(all, i);
		struct json_object *disks = jget(o, "disks");
		int changed = 0;
		if (strcmp(jstr(o, "name"), s->name) == 0)
			continue;
		for (size_t n = 0; disks != NULL &&
		    n < json_object_array_length(disks); n++) {
			struct json_object *k = json_object_array_get_idx(disks,
			    n);
			if (strcmp(jstr_or(k, "backing", ""), overlay) != 0)
				continue;
			json_object_object_add(k, "backing",
			    json_object_new_string(base));
			json_object_object_add(k, "backing_format",
			    json_object_new_string(fmt));
			changed = 1;
		}
		if (changed)
			rc = snapstore_put(s->dir, o, err, errlen);
	}
	json_object_put(all);
	return rc;
}

/*
 * Disk n of the snapshot is merged: when its overlay was on top, the
 * stored definition names the base; the overlay file goes (unless keep:
 * it is still in use); the snapshot's metadata forgets the disk, so that
 * after any failure it covers just what is left to merge.
 */
static int
disk_merged(struct snap *s, size_t n, int switched, int keep, char *err,
    size_t errlen)
{
	struct json_object *disks = jget(s->meta, "disks");
	struct json_object *k = json_object_array_get_idx(disks, n);
	const char *t = jstr(k, "target");
	char o[PATH_MAX], b[PATH_MAX], fmt[32];
	struct vmdef_disk dk;
	struct vm *vm;
	size_t i;

	strlcpy(o, jstr(k, "source"), sizeof(o));
	strlcpy(b, jstr(k, "backing"), sizeof(b));
	if (snapext_base_format(k, fmt, sizeof(fmt), err, errlen) == -1)
		return -1;
	if (switched && vmdef_disk_find(vm_persistent(s->vm), t, &i) == 0 &&
	    vmdef_disk_get(vm_persistent(s->vm), i, &dk) == 0 &&
	    dk.path != NULL && strcmp(dk.path, o) == 0) {
		struct vmdef *config = vmdef_dup(vm_persistent(s->vm));
		if (vmdef_disk_set_source(config, i, b, fmt, err,
		    errlen) == -1 ||
		    vm_define(s->r->d, config, &vm, err, errlen) == -1) {
			vmdef_free(config);
			return -1;
		}
	}
	if (meta_rebase(s, o, b, fmt, err, errlen) == -1)
		return -1;
	if (!keep && unlink(o) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", o,
		    strerror(errno));
		return -1;
	}
	json_object_array_del_idx(disks, n, 1);
	return snapstore_put(s->dir, s->meta, err, errlen);
}

/* Shut off: qemu-img commit (and rebase) disk after disk. */
static void
delete_offline(struct snap *s)
{
	struct json_object *disks = jget(s->meta, "disks");
	char err[1024], why[1024], above[PATH_MAX];
	struct vmdef_disk k;
	size_t n = 0, i;
	int switched;

	while (disks != NULL && n < json_object_array_length(disks)) {
		struct json_object *e = json_object_array_get_idx(disks, n);
		const char *t = jstr_or(e, "target", "");
		why[0] = '\0';
		if (vmdef_disk_find(vm_persistent(s->vm), t, &i) == -1 ||
		    vmdef_disk_get(vm_persistent(s->vm), i, &k) == -1 ||
		    k.path == NULL || jstr(e, "source") == NULL ||
		    snapext_chain_find(k.path, jstr(e, "source"), above,
		    sizeof(above), why, sizeof(why)) == -1) {
			if (jstr(e, "source") != NULL && *why != '\0') {
				snprintf(err, sizeof(err), "disk %s: %s", t,
				    why);
				goto fail;
			}
			n++;	/* not in use: nothing to merge */
			continue;
		}
		if (snapext_merge(k.path, e, &switched, err,
		    sizeof(err)) == -1 ||
		    disk_merged(s, n, switched, 0, err, sizeof(err)) == -1)
			goto fail;
	}
	snap_finish(s);
	snap_free(s);
	return;
fail:
	req_error(s->r, ERR_GENERIC, "%s: %s", s->what, err);
	snap_free(s);
}
/*
 * Running: what each disk of the snapshot needs, decided before any
 * change (s->deldisks gets {"target", "how"}: "commit", "stream"); -1
 * with err when one cannot be done live.
 *
 * The overlay on top, over an image this QEMU run opened as the
 * generation below (the snapshot was taken while it ran): an active
 * block-commit into that image, which the disk then runs on, as virsh
 * does.  The overlay on top, but the VM started on it (its backing
 * image opened implicitly, with no node name of ours): block-stream
 * pulls the base into the overlay, which stays the disk, alone, so that
 * the disk keeps its node names; the base is no longer in use.  The
 * overlay below newer ones: refused (shut the VM off, or delete the
 * newer snapshots first).
 */
static int
plan_live(struct snap *s, char *err, size_t errlen)
{
	struct json_object *disks = jget(s->meta, "disks");
	char why[1024], above[PATH_MAX];
	struct vmdef_disk k;
	size_t i;

	s->deldisks = json_object_new_array();
	for (size_t n = 0; disks != NULL && n < json_object_array_length(disks);
	    n++) {
		struct json_object *e = json_object_array_get_idx(disks, n);
		const char *t = jstr_or(e, "target", ""), *how;
		why[0] = '\0';
		if (vmdef_disk_find(s->vm->def, t, &i) == -1 ||
		    vmdef_disk_get(s->vm->def, i, &k) == -1 || k.path == NULL ||
		    jstr(e, "source") == NULL)
			continue;
		switch (snapext_chain_find(k.path, jstr(e, "source"), above,
		    sizeof(above), why, sizeof(why))) {
		case -1:
			if (why[0] == '\0')
				continue;	/* not in use */
			snprintf(err, errlen, "disk %s: %s", t, why);
			return -1;
		case 1:
			snprintf(err, errlen, "disk %s: the snapshot's overlay "
			    "is below the newer %s: shut the VM off, or delete "
			    "the newer external snapshots first", t, above);
			return -1;
		}
		how = k.overlays > 0 ? "commit" : "stream";
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "target", json_object_new_string(t));
		json_object_object_add(o, "how", json_object_new_string(how));
		json_object_array_add(s->deldisks, o);
	}
	return 0;
}

/* query-jobs: our job is ready to complete (or failed on its way). */
static int
job_ready(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct snap *s = arg;

	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *j = json_object_array_get_idx(ret, i);
		if (strcmp(jstr_or(j, "id", ""), s->jobid) != 0)
			continue;
		if (jstr(j, "error") != NULL) {
			snprintf(err, errlen, "QEMU's %s job failed: %s",
			    s->qcmd, jstr(j, "error"));
			return -1;
		}
		if (strcmp(jstr_or(j, "status", ""), "ready") != 0) {
			snprintf(err, errlen, "QEMU's %s job is %s, not ready",
			    s->qcmd, jstr_or(j, "status", "of no status"));
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "QEMU has no job %s", s->jobid);
	return -1;
}

static void	next_disk(struct snap *);

static void
ignore_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	(void)arg;
	(void)ret;
	(void)err;	/* a node left over is harmless; the disk moved on */
}

static void
disk_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct snap *s = arg;
	char err[1024];
	int commit = s->nodes != NULL;
	size_t n;

	vm_job_untrack(s->vm, s->job);
	snap_poll_stop(s);
	s->job = NULL;
	s->jobid[0] = '\0';
	if (!ok) {
		/* undone; the metadata still covers this disk and the rest */
		if (qemu)
			req_qemu_error(s->r, class, desc);
		else
			req_error(s->r, class, "%s: %s", s->what, desc);
		snap_free(s);
		return;
	}
	if (commit) {
		/* the disk runs on the base: the overlay's nodes go */
		for (size_t i = 0; i < json_object_array_length(s->nodes); i++) {
			struct json_object *c = json_object_array_get_idx(
			    s->nodes, i);
			struct json_object *a = jget(c, "arguments");
			qmp_execute(vm_qmp(s->vm), jstr(c, "execute"),
			    a != NULL ? json_object_get(a) : NULL, 10000,
			    ignore_reply, NULL);
		}
		json_object_put(s->nodes);
		s->nodes = NULL;
		vm_set_live_def(s->vm, s->live);
		s->live = NULL;
		vm_write_runstate(s->vm);
	}
	const char *t = jstr(json_object_array_get_idx(s->deldisks, 0),
	    "target");
	struct json_object *disks = jget(s->meta, "disks");
	for (n = 0; n < json_object_array_length(disks); n++)
		if (strcmp(jstr_or(json_object_array_get_idx(disks, n),
		    "target", ""), t) == 0)
			break;
	if (disk_merged(s, n, commit, !commit, err, sizeof(err)) == -1) {
		req_error(s->r, ERR_GENERIC, "%s: disk %s is merged, but %s",
		    s->what, t, err);
		snap_free(s);
		return;
	}
	json_object_array_del_idx(s->deldisks, 0, 1);
	next_disk(s);
}

/* The block job of the first disk left, or the end. */
static void
next_disk(struct snap *s)
{
	static unsigned seq;
	struct json_object *e, *a, *me = NULL, *disks = jget(s->meta, "disks");
	char err[1024], top[64], base[64], fmt[32];
	struct vmdef_disk k;
	struct job *j;
	size_t i;

	if (json_object_array_length(s->deldisks) == 0) {
		snap_finish(s);
		snap_free(s);
		return;
	}
	e = json_object_array_get_idx(s->deldisks, 0);
	const char *t = jstr(e, "target");
	for (size_t n = 0; n < json_object_array_length(disks); n++)
		if (strcmp(jstr_or(json_object_array_get_idx(disks, n),
		    "target", ""), t) == 0)
			me = json_object_array_get_idx(disks, n);
	if (me == NULL || vmdef_disk_find(s->vm->def, t, &i) == -1 ||
	    vm_qmp(s->vm) == NULL) {
		req_error(s->r, ERR_GENERIC, "%s: disk %s went away, or QMP",
		    s->what, t);
		snap_free(s);
		return;
	}
	vmdef_disk_get(s->vm->def, i, &k);
	s->qcmd = strcmp(jstr(e, "how"), "commit") == 0 ? "block-commit" :
	    "block-stream";
	snprintf(s->jobid, sizeof(s->jobid), "qlaunch-%s-%s-%ld-%u", s->qcmd,
	    t, (long)getpid(), ++seq);
	a = json_object_new_object();
	json_object_object_add(a, "job-id", json_object_new_string(s->jobid));
	json_object_object_add(a, "auto-dismiss", json_object_new_boolean(0));
	if (s->qcmd[6] == 'c') {
		vmdef_free(s->live);
		s->live = vmdef_dup(s->vm->def);
		if (snapext_base_format(me, fmt, sizeof(fmt), err,
		    sizeof(err)) == -1 ||
		    vmdef_disk_merge_down(s->live, i, jstr(me, "backing"), fmt,
		    top, base, sizeof(top), &s->nodes, err, sizeof(err)) == -1) {
			json_object_put(a);
			req_error(s->r, ERR_GENERIC, "%s: %s", s->what, err);
			snap_free(s);
			return;
		}
		json_object_object_add(a, "device", json_object_new_string(top));
		json_object_object_add(a, "top-node",
		    json_object_new_string(top));
		json_object_object_add(a, "base-node",
		    json_object_new_string(base));
	} else
		json_object_object_add(a, "device",
		    json_object_new_string(k.node));
	j = job_new(s->r->d->base, vm_qmp(s->vm), s->what, SNAP_JOB_MS,
	    disk_done, s);
	job_step(j, s->qcmd, a, NULL, NULL);
	job_undo(j, "job-dismiss", snap_id_arg(s->jobid));
	if (s->nodes != NULL) {
		/* active commit: ready, then complete */
		job_expect_event2(j, "JOB_STATUS_CHANGE", "id", s->jobid,
		    "status", "ready|concluded", SNAP_JOB_MS);
		job_step(j, "query-jobs", NULL, job_ready, s);
		a = snap_id_arg(s->jobid);
		json_object_object_add(a, "force", json_object_new_boolean(1));
		/* (block-job-cancel takes the job's id as "device") */
		json_object_object_add(a, "device", json_object_get(
		    json_object_object_get(a, "id")));
		json_object_object_del(a, "id");
		job_undo(j, "block-job-cancel", a);
		job_step(j, "job-complete", snap_id_arg(s->jobid), NULL, NULL);
	}
	job_expect_event2(j, "JOB_STATUS_CHANGE", "id", s->jobid, "status",
	    "concluded", SNAP_JOB_MS);
	job_step(j, "query-jobs", NULL, snap_job_outcome, s);
	job_step(j, "job-dismiss", snap_id_arg(s->jobid), NULL, NULL);
	job_progress(j, snap_progress, s);
	snap_run(s, j);
}

/* {"snapshot"} */
void
snap_delete(struct req *r, struct vm *vm)
{
	const char *name = snap_arg(r);
	struct json_object *meta;
	char err[1024];
	int live;

	if (name == NULL || snap_usable_state(r, vm, &live) == -1 ||
	    (meta = snap_meta(r, vm, name)) == NULL)
		return;
	struct snap *s = snap_new(r, vm, OP_DELETE, "snapshot-delete", name);
	s->meta = meta;
	if (strcmp(jstr_or(meta, "location", ""), "external") == 0) {
		if (!live) {
			delete_offline(s);
			return;
		}
		if (plan_live(s, err, sizeof(err)) == -1) {
			req_error(r, ERR_GENERIC, "%s: %s", s->what, err);
			snap_free(s);
			return;
		}
		next_disk(s);
		return;
	}
	if (!live) {
		if (snap_disks(s, meta, vm_persistent(vm), NULL,
		    qimg_snapshot_delete, err, sizeof(err)) == -1)
			req_error(r, ERR_GENERIC, "%s", err);
		else
			snap_finish(s);
		snap_free(s);
		return;
	}
	s->nodes = json_object_new_array();
	if (snap_disks(s, meta, vm->def, s->nodes, NULL, err,
	    sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		snap_free(s);
		return;
	}
	s->qcmd = "snapshot-delete";
	snap_run(s, snap_qemu_job(s, NULL));
}
