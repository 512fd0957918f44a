/*
 * snapshot-revert (cmd-snapshot.c has the command's row): to an internal
 * snapshot with RAM through QEMU's snapshot-load job; to one without RAM
 * (internal of the shut off VM, or external) with the VM shut off, a
 * running one destroyed first, as virsh does.  snapext.c does the
 * external snapshots' image work.
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

/* snapshot-load, then the state asked for (it resumes what ran) */
static void
load(struct snap *s)
{
	char err[1024];
	int was_running = s->vm->state == VM_RUNNING;

	s->nodes = json_object_new_array();
	if (snap_disks(s, s->meta, s->vm->def, s->nodes, NULL, err,
	    sizeof(err)) == -1) {
		req_error(s->r, ERR_GENERIC, "%s", err);
		snap_free(s);
		return;
	}
	s->qcmd = "snapshot-load";
	/* QEMU leaves the VM stopped when the load fails: on again */
	struct job *j = snap_qemu_job(s, was_running ? "cont" : NULL);
	if (s->want == 1 && !was_running)
		job_step(j, "cont", NULL, NULL, NULL);
	else if (s->want == 0 && was_running)
		job_step(j, "stop", NULL, NULL, NULL);
	snap_run(s, j);
}

/* A shut off VM started paused for snapshot-load. */
static void
started(struct vm *vm, void *arg, int ok, const char *why)
{
	struct snap *s = arg;

	(void)vm;
	if (!ok || vm_qmp(s->vm) == NULL) {
		req_error(s->r, ERR_GENERIC, "%s: the VM did not start: %s",
		    s->what, why != NULL ? why : "QMP is not connected");
		snap_free(s);
		return;
	}
	load(s);
}

/* ---- revert to what has no memory: with the VM shut off ---- */

/* The disks go back: qemu-img on a shut off VM's images.  -1 with err. */
static int
revert_images(struct snap *s, char *err, size_t errlen)
{
	char why[1024];

	if (strcmp(jstr_or(s->meta, "location", ""), "external") == 0) {
		if (snapext_revert(vm_persistent(s->vm), s->meta, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "%s: %s", s->what, why);
			return -1;
		}
		return 0;
	}
	return snap_disks(s, s->meta, vm_persistent(s->vm), NULL,
	    qimg_snapshot_apply, err, errlen);
}

/* The end of a revert: started again (want 1 running, 0 paused) or not. */
static void
revert_end(struct snap *s, int want)
{
	char err[1024];
	struct req *r = s->r;
	struct vm *vm = s->vm;

	snap_free(s);
	if (want == -1) {
		req_return(r, NULL);
		return;
	}
	if (vm_start(vm, want == 0, err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "reverted, but the VM did not start: "
		    "%s", err);
		return;
	}
	vm_wait(vm, 0, START_WAIT_MS, reply_wait, r);
}

/* Revert the images of the shut off VM; then as virsh's flags say. */
static void
revert_offline(struct snap *s)
{
	char err[1024];

	if (revert_images(s, err, sizeof(err)) == -1) {
		/* the images are as they were: so is the VM */
		if (s->was != -1) {
			char why[512];
			if (vm_start(s->vm, s->was == 0, why, sizeof(why)) == 0)
				strlcat(err, " (the VM was started again)",
				    sizeof(err));
			else {
				strlcat(err, "; the VM did not start again: ",
				    sizeof(err));
				strlcat(err, why, sizeof(err));
			}
		}
		req_error(s->r, ERR_GENERIC, "%s", err);
		snap_free(s);
		return;
	}
	if (snapstore_set_current(s->dir, s->name, err, sizeof(err)) == -1) {
		req_error(s->r, ERR_GENERIC, "%s: reverted, but %s", s->what,
		    err);
		snap_free(s);
		return;
	}
	revert_end(s, s->want);
}

static void
stopped(struct vm *vm, void *arg, int ok, const char *why)
{
	struct snap *s = arg;

	(void)vm;
	if (!ok) {
		req_error(s->r, ERR_GENERIC, "%s: the VM did not stop: %s",
		    s->what, why != NULL ? why : "");
		snap_free(s);
		return;
	}
	revert_offline(s);
}

/*
 * virsh's reverts to a snapshot without memory (taken shut off, or
 * disk-only): a running VM is stopped (destroyed, as virsh does) and
 * stays shut off, unless --running or --paused start it again, which
 * replaces its QEMU and so needs --force.  Everything that can be
 * checked is checked before the VM stops.
 */
static void
revert_disks(struct snap *s, int live, int force)
{
	char err[1024];
	int ext = strcmp(jstr_or(s->meta, "location", ""), "external") == 0;

	if (ext && snapext_revert_check(vm_persistent(s->vm), s->meta, err,
	    sizeof(err)) == -1) {
		req_error(s->r, ERR_GENERIC, "%s: %s", s->what, err);
		snap_free(s);
		return;
	}
	if (!ext && snap_internal_disks(s->vm, vm_persistent(s->vm), NULL, NULL,
	    err, sizeof(err)) == -1) {
		req_error(s->r, ERR_GENERIC, "%s: %s", s->what, err);
		snap_free(s);
		return;
	}
	if (!live) {
		revert_offline(s);
		return;
	}
	if (s->want != -1 && !force) {
		req_error(s->r, ERR_GENERIC, "%s: snapshot '%s' has no memory: "
		    "the VM stops for it, and starting it again replaces its "
		    "QEMU (consoles and VNC disconnect): that needs --force",
		    s->what, s->name);
		snap_free(s);
		return;
	}
	s->was = s->vm->state == VM_PAUSED ? 0 : 1;
	vm_destroy(s->vm, "reverted to a snapshot without memory");
	vm_wait(s->vm, 1, STOP_WAIT_MS, stopped, s);
}

/* Has the snapshot children?  Answered when it has, or on error. */
static int
has_children(struct snap *s)
{
	char err[512];
	struct json_object *all = snapstore_list(s->dir, err, sizeof(err));
	int children = 0, desc;

	if (all == NULL) {
		req_error(s->r, ERR_GENERIC, "%s: %s", s->what, err);
		return 1;
	}
	snapstore_family(all, s->name, &children, &desc);
	json_object_put(all);
	if (children > 0)
		req_error(s->r, ERR_GENERIC, "%s: the external snapshot has %d "
		    "child snapshot%s, whose images are on its overlays: delete "
		    "them first", s->what, children, children > 1 ? "s" : "");
	return children > 0;
}

/* {"snapshot", "running", "paused", "force"} */
void
snap_revert(struct req *r, struct vm *vm)
{
	const char *name = snap_arg(r);
	int live, running, paused, force;
	char err[1024];
	struct json_object *meta;

	/* snap_arg answered a bad name: r is gone */
	if (name == NULL || snap_usable_state(r, vm, &live) == -1)
		return;
	running = req_bool(r, "running");
	paused = req_bool(r, "paused");
	force = req_bool(r, "force");
	if (running && paused) {
		req_error(r, ERR_GENERIC, "\"running\" and \"paused\" are "
		    "mutually exclusive");
		return;
	}
	if ((meta = snap_meta(r, vm, name)) == NULL)
		return;
	int ext = strcmp(jstr_or(meta, "location", ""), "external") == 0;
	int memory = jbool(meta, "memory");
	struct snap *s = snap_new(r, vm, OP_REVERT, "snapshot-revert", name);
	s->meta = meta;
	if (ext && has_children(s)) {
		snap_free(s);
		return;
	}
	if (ext || !memory) {
		/* shut off after it, unless told */
		s->want = running ? 1 : paused ? 0 : -1;
		revert_disks(s, live, force);
		return;
	}
	const char *st = jstr(meta, "state");
	s->want = running ? 1 : paused ? 0 :
	    st != NULL && strcmp(st, "paused") == 0 ? 0 : 1;
	if (live) {
		load(s);
		return;
	}
	/* its RAM needs a QEMU: start paused, load, then on */
	if (vm_start(vm, 1, err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s: %s", s->what, err);
		snap_free(s);
		return;
	}
	vm_wait(vm, 0, START_WAIT_MS, started, s);
}
