/*
 * Disks: blklist, blkinfo, attach-disk, detach-disk, change-media.  As
 * virsh: "live" changes the running VM (through a job whose steps are
 * undone in reverse when one fails), "config" the stored definition;
 * neither means the VM's current state.  Both: the stored definition is
 * written only once the live change worked.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon.h"
#include "change.h"
#include "dispatch.h"
#include "jget.h"
#include "job.h"
#include "names.h"
#include "qimg.h"
#include "qmp.h"
#include "req.h"
#include "storage.h"
#include "userperm.h"
#include "util.h"
#include "vm.h"


/* ---- reading ---- */

static struct json_object *
disk_json(const struct vmdef_disk *k)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "target", json_object_new_string(k->target));
	json_object_object_add(o, "source", k->path != NULL ?
	    json_object_new_string(k->path) : NULL);
	json_object_object_add(o, "format", k->format != NULL ?
	    json_object_new_string(k->format) : NULL);
	json_object_object_add(o, "bus", json_object_new_string(k->bus));
	json_object_object_add(o, "device", json_object_new_string(k->device));
	json_object_object_add(o, "readonly",
	    json_object_new_boolean(k->readonly));
	return o;
}

/* {"inactive": bool}: the stored definition's disks, else what runs */
static void
d_blklist(struct req *r, struct vm *vm)
{
	const struct vmdef *d = req_bool(r, "inactive") ? vm_persistent(vm) :
	    vm->def;
	struct json_object *arr = json_object_new_array();
	struct vmdef_disk k;

	for (size_t i = 0; vmdef_disk_get(d, i, &k) == 0; i++)
		json_object_array_add(arr, disk_json(&k));
	req_return(r, arr);
}

struct blkinfo {
	struct req		*r;
	struct json_object	*out;	/* array, or the one object */
	int			 all;
};

static struct json_object *
sizes(const char *target, uint64_t cap, uint64_t alloc, const char *path)
{
	struct json_object *o = json_object_new_object();
	struct stat st;

	json_object_object_add(o, "target", json_object_new_string(target));
	json_object_object_add(o, "capacity", json_object_new_uint64(cap));
	json_object_object_add(o, "allocation", json_object_new_uint64(alloc));
	/* what the image takes on the host, as virsh's "Physical" */
	json_object_object_add(o, "physical", json_object_new_uint64(
	    path != NULL && stat(path, &st) == 0 ? (uint64_t)st.st_size :
	    alloc));
	return o;
}

/* The running VM's view: its format nodes, from QEMU. */
static void
blkinfo_nodes(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct blkinfo *bi = arg;
	struct vm *vm = vm_lookup(bi->r->d, req_str(bi->r, "name"));
	const char *want = req_str(bi->r, "target");
	struct json_object *arr = json_object_new_array();
	struct vmdef_disk k;

	if (err != NULL || vm == NULL) {
		json_object_put(arr);
		if (err != NULL)
			req_qemu_error(bi->r, err->class, err->desc);
		else
			req_error(bi->r, ERR_NOT_FOUND, "the VM went away");
		free(bi);
		return;
	}
	for (size_t i = 0; vmdef_disk_get(vm->def, i, &k) == 0; i++) {
		if (want != NULL && strcmp(want, k.target) != 0)
			continue;
		uint64_t cap = 0, alloc = 0;
		for (size_t n = 0; n < json_object_array_length(ret); n++) {
			struct json_object *node = json_object_array_get_idx(ret,
			    n), *img = jget(node, "image");
			const char *nn = jstr(node, "node-name");
			if (nn == NULL || strcmp(nn, k.node) != 0)
				continue;
			cap = (uint64_t)jint(img, "virtual-size", 0);
			alloc = (uint64_t)jint(img, "actual-size", 0);
		}
		json_object_array_add(arr, sizes(k.target, cap, alloc, k.path));
	}
	if (want != NULL && json_object_array_length(arr) == 1) {
		struct json_object *one = json_object_get(
		    json_object_array_get_idx(arr, 0));
		json_object_put(arr);
		arr = one;
	}
	req_return(bi->r, arr);
	free(bi);
}

/* {"target"}: one disk's sizes; without it every disk's */
static void
d_blkinfo(struct req *r, struct vm *vm)
{
	const char *target = req_str(r, "target");
	struct vmdef_disk k;
	size_t i;
	char err[512];

	if (target != NULL && vmdef_disk_find(vm->def, target, &i) == -1) {
		req_error(r, ERR_NOT_FOUND, "VM '%s' has no disk %s", vm->name,
		    target);
		return;
	}
	struct qmp *q = vm_qmp(vm);
	if (q != NULL) {
		struct blkinfo *bi = xcalloc(1, sizeof(*bi));
		bi->r = r;
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "flat", json_object_new_boolean(1));
		if (qmp_execute(q, "query-named-block-nodes", a, QMP_PASS_MS,
		    blkinfo_nodes, bi) == -1) {
			free(bi);
			req_error(r, ERR_GENERIC, "VM '%s': QMP is not connected",
			    vm->name);
		}
		return;
	}
	/* shut off: the images themselves */
	struct json_object *arr = json_object_new_array();
	for (i = 0; vmdef_disk_get(vm->def, i, &k) == 0; i++) {
		struct qimg_info info;
		if (target != NULL && strcmp(target, k.target) != 0)
			continue;
		if (k.path == NULL) {
			json_object_array_add(arr, sizes(k.target, 0, 0, NULL));
			continue;
		}
		/* qemu-img runs as root: only on what the user may read */
		int e = uid_is_admin(r->d, r->uid) ? 0 :
		    user_may_access(r->uid, k.path, R_OK);
		if (e != 0) {
			json_object_put(arr);
			req_error(r, ERR_PERMISSION, "disk %s: %s: %s (the "
			    "supervisor reads a user's images only as that user "
			    "may)", k.target, k.path, strerror(e));
			return;
		}
		if (qimg_info(k.path, k.format, &info, err, sizeof(err)) == -1) {
			json_object_put(arr);
			req_error(r, ERR_GENERIC, "disk %s: %s", k.target, err);
			return;
		}
		json_object_array_add(arr, sizes(k.target, info.virtual_size,
		    info.actual_size, k.path));
	}
	if (target != NULL) {
		struct json_object *one = json_object_get(
		    json_object_array_get_idx(arr, 0));
		json_object_put(arr);
		arr = one;
	}
	req_return(r, arr);
}

/* ---- changing ---- */

/*
 * attach-disk: the disk line as it will be stored is settled first: on a
 * scratch copy of the VM's definition its path and format are decided
 * (and its image made) as for a definition, which may take qemu-img in a
 * child (storage_prepare); the line comes back with them and its target
 * written out.  Then, if the VM is still the one asked for, the change.
 */
struct attach {
	struct change	*c;
	struct vmdef	*scratch;
	size_t		 i;		/* the new disk in scratch */
	int		 live, config;
	char		 name[65];	/* the VM's when asked */
};

static void
attach_fail(struct attach *a, const char *class, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
attach_fail(struct attach *a, const char *class, const char *fmt, ...)
{
	char desc[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	storage_undo(&a->c->made);
	req_error(a->c->r, class, "%s", desc);
	change_free(a->c);
	vmdef_free(a->scratch);
	free(a);
}

static void
attach_settled(void *arg, const char *serr)
{
	struct attach *a = arg;
	struct change *c = a->c;
	struct json_object *steps = NULL;
	struct vmdef_disk k;
	size_t i;
	char err[1024];

	if (serr != NULL) {
		attach_fail(a, ERR_GENERIC, "%s", serr);
		return;
	}
	/* the VM may have gone, or been renamed or stopped, meanwhile */
	struct vm *vm = vm_find(c->r->d, a->name);
	if (vm == NULL || vm != c->vm) {
		attach_fail(a, ERR_NOT_FOUND, "VM '%s' was undefined or renamed "
		    "while the disk was prepared", a->name);
		return;
	}
	if (a->live && vm_qmp(vm) == NULL) {
		attach_fail(a, ERR_INVALID_STATE, "VM '%s' is %s: it stopped "
		    "while the disk was prepared", vm->name,
		    vm_state_name(vm->state));
		return;
	}
	char *settled = vmdef_disk_line(a->scratch, a->i);
	if (a->live) {
		c->live = vmdef_dup(vm->def);
		if (vmdef_disk_plug(c->live, settled, &i, &steps, err,
		    sizeof(err)) == -1)
			goto fail;
		vmdef_disk_get(c->live, i, &k);
		snprintf(c->what, sizeof(c->what), "attach-disk %s", k.target);
	}
	if (a->config) {
		/* the same disk, by the same name, in what is stored */
		c->config = vmdef_dup(vm_persistent(vm));
		i = vmdef_disk_count(c->config);
		/* any bus will do for the next start, not only pluggable ones;
		 * the disks there keep their PCI slots */
		if (vmdef_pci_pin(c->config, err, sizeof(err)) == -1 ||
		    vmdef_set(c->config, "disk", settled, err, sizeof(err)) == -1 ||
		    vmdef_check(c->config, err, sizeof(err)) == -1)
			goto fail;
		vmdef_disk_get(c->config, i, &k);
		snprintf(c->what, sizeof(c->what), "attach-disk %s", k.target);
	}
	free(settled);
	vmdef_free(a->scratch);
	free(a);
	change_run(c, steps, NULL);
	return;
fail:
	free(settled);
	json_object_put(steps);
	attach_fail(a, ERR_GENERIC, "%s", err);
}

/* {"disk": a disk: line, "live", "config"} */
static void
d_attach_disk(struct req *r, struct vm *vm)
{
	const char *line = req_str(r, "disk");
	char err[1024];

	if (line == NULL) {
		req_error(r, ERR_GENERIC, "attach-disk needs \"disk\"");
		return;
	}
	struct attach *a = xcalloc(1, sizeof(*a));
	if (change_scope(r, vm, &a->live, &a->config) == -1) {
		free(a);
		return;
	}
	a->c = change_new(r, vm, "attach-disk", "");
	a->c->adds = 1;
	strlcpy(a->name, vm->name, sizeof(a->name));
	a->scratch = vmdef_dup(a->live ? vm->def : vm_persistent(vm));
	a->i = vmdef_disk_count(a->scratch);
	if (vmdef_set(a->scratch, "disk", line, err, sizeof(err)) == -1) {
		attach_fail(a, ERR_GENERIC, "%s", err);
		return;
	}
	storage_prepare(r->d, a->scratch, a->i, uid_is_admin(r->d, r->uid),
	    &a->c->made, attach_settled, a);
}

/* {"target", "live", "config"} */
static void
d_detach_disk(struct req *r, struct vm *vm)
{
	const char *target = req_str(r, "target");
	struct json_object *steps = NULL, *ignored = NULL;
	int live, config;
	char err[512];

	if (target == NULL) {
		req_error(r, ERR_GENERIC, "detach-disk needs \"target\"");
		return;
	}
	if (change_scope(r, vm, &live, &config) == -1)
		return;
	struct change *c = change_new(r, vm, "detach-disk", target);
	if (live) {
		c->live = vmdef_dup(vm->def);
		if (vmdef_disk_unplug(c->live, target, &steps, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	if (config) {
		c->config = vmdef_dup(vm_persistent(vm));
		if (vmdef_disk_unplug(c->config, target, &ignored, err,
		    sizeof(err)) == -1)
			goto fail;
		json_object_put(ignored);
	}
	change_run(c, steps, target);
	return;
fail:
	json_object_put(steps);
	req_error(r, ERR_NOT_FOUND, "VM '%s': %s", vm->name, err);
	change_free(c);
}

/* {"target" (or the current source), "source", "eject", "force", ...} */
static void
d_change_media(struct req *r, struct vm *vm)
{
	const char *target = req_str(r, "target");
	const char *source = req_str(r, "source");
	int eject = req_bool(r, "eject"), force = req_bool(r, "force");
	struct json_object *steps = NULL, *ignored = NULL;
	struct vmdef_disk k;
	int live, config;
	size_t i;
	char err[512];

	if (target == NULL || (source == NULL) != eject) {
		req_error(r, ERR_GENERIC, "change-media needs \"target\" and "
		    "either \"source\" or \"eject\"");
		return;
	}
	/* virsh takes the drive by its target or by what it holds */
	if (vmdef_disk_find(vm->def, target, &i) == -1)
		for (i = 0; vmdef_disk_get(vm->def, i, &k) == 0; i++)
			if (k.path != NULL && strcmp(k.path, target) == 0) {
				target = k.target;
				break;
			}
	if (change_scope(r, vm, &live, &config) == -1)
		return;
	struct change *c = change_new(r, vm, "change-media", target);
	if (live) {
		c->live = vmdef_dup(vm->def);
		if (vmdef_disk_change_media(c->live, target, source, force,
		    &steps, err, sizeof(err)) == -1)
			goto fail;
	}
	if (config) {
		c->config = vmdef_dup(vm_persistent(vm));
		if (vmdef_disk_change_media(c->config, target, source, force,
		    &ignored, err, sizeof(err)) == -1)
			goto fail;
		json_object_put(ignored);
	}
	change_run(c, steps, NULL);
	return;
fail:
	json_object_put(steps);
	req_error(r, ERR_GENERIC, "VM '%s': %s", vm->name, err);
	change_free(c);
}

const struct dcmd dcmds_disk[] = {
	{ "blklist",	 d_blklist,	 NEEDS_VM },
	{ "blkinfo",	 d_blkinfo,	 NEEDS_VM },
	{ "attach-disk", d_attach_disk,	 NEEDS_VM },
	{ "detach-disk", d_detach_disk,	 NEEDS_VM },
	{ "change-media", d_change_media, NEEDS_VM },
	{ NULL, NULL, 0 }
};
