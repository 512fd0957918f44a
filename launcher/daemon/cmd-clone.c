/*
 * clone (virt-clone's) and move-disk.  Both copy images in a child
 * process (imgwork.h), report progress as JOB_PROGRESS events tied to the
 * request, and store a definition only once every image is in place:
 * on failure the images made are removed and nothing is defined, or the
 * moved image goes back where it was.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "imgwork.h"
#include "jget.h"
#include "log.h"
#include "names.h"
#include "nics.h"
#include "qimg.h"
#include "req.h"
#include "storage.h"
#include "util.h"
#include "vm.h"

#define PROGRESS_EVENT_MS	250

/* ---- shared ---- */

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* A directory's part of path, in buf. */
static void
dir_of(const char *path, char *buf, size_t len)
{
	char tmp[PATH_MAX];

	strlcpy(tmp, path, sizeof(tmp));
	strlcpy(buf, dirname(tmp), len);
}

/* The copy belongs to whom the source belongs, with its mode. */
static void
same_owner(const char *src, const char *dst)
{
	struct stat st;

	if (stat(src, &st) == 0) {
		if (chown(dst, st.st_uid, st.st_gid) == -1)
			log_warnx("cannot give %s to uid %lu: %s", dst,
			    (unsigned long)st.st_uid, strerror(errno));
		chmod(dst, st.st_mode & 0777);
	}
}

static void
progress_event(struct req *r, int64_t *last, const char *job,
    const char *target, double pct)
{
	int64_t now = mono_ms();

	if (pct < 100 && now - *last < PROGRESS_EVENT_MS)
		return;
	*last = now;
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "job", json_object_new_string(job));
	json_object_object_add(d, "disk", json_object_new_string(target));
	json_object_object_add(d, "percent", json_object_new_double(pct));
	req_event(r, EV_JOB_PROGRESS, d);
}

/* ---- clone ---- */

struct cdisk {
	size_t		 i;		/* in the definition */
	char		 target[16];
	char		*src;
	char		*fmt;
	char		*dst;
};

struct clone {
	struct req	*r;
	struct vmdef	*def;		/* the clone's, being built */
	struct cdisk	*disks;		/* the images to copy */
	size_t		 n, cur;
	int		 linked;
	int		 flags;		/* qimg_convert_flags */
	struct created	 made;
	struct imgwork	*w;
	int64_t		 last_event;
};

static void
clone_free(struct clone *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->disks[i].src);
		free(c->disks[i].fmt);
		free(c->disks[i].dst);
	}
	free(c->disks);
	vmdef_free(c->def);
	free(c);
}

static void
clone_fail(struct clone *c, const char *class, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
clone_fail(struct clone *c, const char *class, const char *fmt, ...)
{
	char desc[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	storage_undo(&c->made);
	req_error(c->r, class, "clone '%s' failed: %s", c->def->name, desc);
	clone_free(c);
}

static void
clone_finish(struct clone *c)
{
	struct daemon *d = c->r->d;
	struct vm *vm;
	char err[1024];

	if (vm_find(d, c->def->name) != NULL) {
		clone_fail(c, ERR_EXISTS, "VM '%s' was defined meanwhile",
		    c->def->name);
		return;
	}
	for (size_t i = 0; i < c->n; i++)
		same_owner(c->disks[i].src, c->disks[i].dst);
	if (vm_define(d, c->def, &vm, err, sizeof(err)) == -1) {
		clone_fail(c, ERR_GENERIC, "%s", err);
		return;
	}
	c->def = NULL;	/* the VM's now */
	storage_keep(&c->made);
	struct json_object *o = json_object_new_object(), *files;
	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "uuid", json_object_new_string(
	    vm_persistent(vm)->uuid));
	files = json_object_new_array();
	for (size_t i = 0; i < c->n; i++)
		json_object_array_add(files, json_object_new_string(
		    c->disks[i].dst));
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "linked", json_object_new_boolean(
	    c->linked));
	req_return(c->r, o);
	clone_free(c);
}

static void	clone_next(struct clone *);

static void
clone_progress(void *arg, double pct)
{
	struct clone *c = arg;
	double all = ((double)c->cur + pct / 100) * 100 / (double)c->n;

	progress_event(c->r, &c->last_event, "clone",
	    c->disks[c->cur].target, all);
}

static void
clone_copied(void *arg, int ok, const char *err)
{
	struct clone *c = arg;
	struct cdisk *k = &c->disks[c->cur];
	char e[1024];

	c->w = NULL;
	if (!ok) {
		clone_fail(c, ERR_GENERIC, "disk %s: %s", k->target, err);
		return;
	}
	if (vmdef_disk_set_source(c->def, k->i, k->dst, NULL, e,
	    sizeof(e)) == -1) {
		clone_fail(c, ERR_GENERIC, "%s", e);
		return;
	}
	c->cur++;
	clone_next(c);
}

/* The next image: an overlay (linked) at once, or a copy in a child. */
static void
clone_next(struct clone *c)
{
	char err[1024];

	for (; c->cur < c->n; c->cur++) {
		struct cdisk *k = &c->disks[c->cur];
		if (!c->linked) {
			c->made.paths = xreallocarray(c->made.paths,
			    c->made.n + 1, sizeof(*c->made.paths));
			c->made.paths[c->made.n++] = xstrdup(k->dst);
			c->w = imgwork_convert(c->r->d->base, k->src, k->fmt,
			    k->dst, c->flags, clone_progress, clone_copied, c,
			    err, sizeof(err));
			if (c->w == NULL)
				clone_fail(c, ERR_GENERIC, "disk %s: %s",
				    k->target, err);
			return;
		}
		if (qimg_create(k->dst, "qcow2", 0, k->src, k->fmt, 0, err,
		    sizeof(err)) == -1) {
			clone_fail(c, ERR_GENERIC, "disk %s: %s", k->target,
			    err);
			return;
		}
		c->made.paths = xreallocarray(c->made.paths, c->made.n + 1,
		    sizeof(*c->made.paths));
		c->made.paths[c->made.n++] = xstrdup(k->dst);
		if (vmdef_disk_set_source(c->def, k->i, k->dst, NULL, err,
		    sizeof(err)) == -1 ||
		    vmdef_disk_set_format(c->def, k->i, "qcow2", err,
		    sizeof(err)) == -1) {
			clone_fail(c, ERR_GENERIC, "%s", err);
			return;
		}
		clone_progress(c, 100);
	}
	clone_finish(c);
}

/*
 * Where a clone's image goes when no file is given: beside the source,
 * or in STATEDIR/images when the source is there; named NEW-TARGET.FMT.
 */
static void
auto_path(struct daemon *d, const char *newname, const struct vmdef_disk *k,
    const char *fmt, char *buf, size_t len)
{
	char images[PATH_MAX], dir[PATH_MAX];
	size_t n;

	daemon_imagedir(d, dir, sizeof(dir));
	snprintf(images, sizeof(images), "%s/", dir);
	n = strlen(images);
	if (strncmp(k->path, images, n) != 0)
		dir_of(k->path, dir, sizeof(dir));
	snprintf(buf, len, "%s/%s-%s.%s", dir, newname, k->target, fmt);
}

/* Which disks get a copy: writable disk images (as virt-clone). */
static int
cloned(const struct vmdef_disk *k)
{
	return k->path != NULL && strcmp(k->device, "disk") == 0 &&
	    !k->readonly;
}

/*
 * The clone's definition: the source's, with the new name, a new UUID,
 * no autostart, and new MACs for its NICs (as virt-clone gives).
 */
static struct vmdef *
clone_def(struct vm *src, const char *newname)
{
	char err[256];
	struct vmdef *d = vmdef_dup(vm_persistent(src));

	strlcpy(d->name, newname, sizeof(d->name));
	vmdef_text_set(d, "name", newname);
	uuid_generate_str(d->uuid);
	vmdef_text_set(d, "uuid", d->uuid);
	d->uuid_generated = 0;
	if (d->autostart) {
		d->autostart = 0;
		vmdef_text_set(d, "autostart", "no");
	}
	/* a clone of a valid definition takes any free MAC */
	if (nics_prepare(src->d, d, NULL, 1, 1, err, sizeof(err)) == -1)
		log_warnx("%s: new MACs: %s", newname, err);
	return d;
}

/*
 * {"new_name", "linked", "files": [paths, in the order of the disks],
 * "require_files": no name of its own for a disk without a file}
 */
static void
d_clone(struct req *r, struct vm *vm)
{
	const char *nn = req_str(r, "new_name");
	struct json_object *files = jget(r->args, "files");
	int linked = req_bool(r, "linked");
	struct vmdef_disk k;
	size_t nfiles = 0, used = 0;
	char path[PATH_MAX];

	if (nn == NULL || !valid_name(nn)) {
		req_error(r, ERR_GENERIC, "'%s' is not a valid name "
		    "([A-Za-z0-9][A-Za-z0-9._-]{0,63})", nn ? nn : "");
		return;
	}
	if (vm_find(r->d, nn) != NULL) {
		req_error(r, ERR_EXISTS, "VM '%s' exists already", nn);
		return;
	}
	if (vm_active(vm) && (vm->state != VM_PAUSED || linked)) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s; %s", vm->name,
		    vm_state_name(vm->state), linked ? "a linked clone needs "
		    "it shut off (its images become the clone's backing files)"
		    : "clone needs it shut off or paused");
		return;
	}
	if (files != NULL) {
		if (!json_object_is_type(files, json_type_array)) {
			req_error(r, ERR_GENERIC, "\"files\" must be an array");
			return;
		}
		nfiles = json_object_array_length(files);
	}
	struct clone *c = xcalloc(1, sizeof(*c));
	c->r = r;
	c->linked = linked;
	c->flags = QIMG_CONVERT_SPARSE | (vm_active(vm) ?
	    QIMG_CONVERT_SHARED : 0);
	c->def = clone_def(vm, nn);
	for (size_t i = 0; vmdef_disk_get(c->def, i, &k) == 0; i++) {
		if (!cloned(&k))
			continue;	/* shared, as virt-clone shares them */
		const char *fmt = k.format != NULL ? k.format : "raw";
		if (used < nfiles) {
			const char *f = json_object_get_string(
			    json_object_array_get_idx(files, used++));
			strlcpy(path, f != NULL ? f : "", sizeof(path));
		} else if (req_bool(r, "require_files")) {
			clone_fail(c, ERR_GENERIC, "disk %s: no file given for "
			    "its copy (give one --file per disk, or "
			    "--auto-clone)", k.target);
			return;
		} else
			auto_path(r->d, nn, &k, linked ? "qcow2" : fmt, path,
			    sizeof(path));
		if (*path != '/') {
			clone_fail(c, ERR_GENERIC, "disk %s: '%s' is not an "
			    "absolute path", k.target, path);
			return;
		}
		if (exists(path)) {
			clone_fail(c, ERR_EXISTS, "disk %s: %s exists already",
			    k.target, path);
			return;
		}
		for (size_t j = 0; j < c->n; j++)
			if (strcmp(c->disks[j].dst, path) == 0) {
				clone_fail(c, ERR_GENERIC, "disks %s and %s "
				    "would both be copied to %s",
				    c->disks[j].target, k.target, path);
				return;
			}
		c->disks = xreallocarray(c->disks, c->n + 1, sizeof(*c->disks));
		struct cdisk *cd = &c->disks[c->n++];
		memset(cd, 0, sizeof(*cd));
		cd->i = i;
		strlcpy(cd->target, k.target, sizeof(cd->target));
		cd->src = xstrdup(k.path);
		cd->fmt = xstrdup(fmt);
		cd->dst = xstrdup(path);
	}
	if (used < nfiles) {
		clone_fail(c, ERR_GENERIC, "%zu files given, but '%s' has %zu "
		    "disk%s to clone", nfiles, vm->name, c->n,
		    c->n == 1 ? "" : "s");
		return;
	}
	clone_next(c);
}

/* ---- move-disk ---- */

struct move {
	struct req	*r;
	char		 name[65];
	char		 target[16];
	size_t		 i;
	char		*from;
	char		*to;
	int64_t		 last_event;
};

static void
move_free(struct move *mv)
{
	free(mv->from);
	free(mv->to);
	free(mv);
}

/* Store the definition with the new path; -1 answered. */
static int
move_store(struct move *mv, struct vm *vm, int copied)
{
	struct vmdef *nd = vmdef_dup(vm_persistent(vm));
	char err[1024];
	struct vm *same;

	if (vmdef_disk_set_source(nd, mv->i, mv->to, NULL, err,
	    sizeof(err)) == -1 ||
	    vm_define(mv->r->d, nd, &same, err, sizeof(err)) == -1) {
		vmdef_free(nd);
		req_error(mv->r, ERR_GENERIC, "move-disk %s: %s", mv->target,
		    err);
		return -1;
	}
	/* the copy's source goes before the answer: the client sees it gone */
	if (copied && unlink(mv->from) == -1)
		log_warnx("%s: move-disk: cannot remove %s: %s", mv->name,
		    mv->from, strerror(errno));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "target", json_object_new_string(mv->target));
	json_object_object_add(o, "source", json_object_new_string(mv->to));
	json_object_object_add(o, "copied", json_object_new_boolean(copied));
	req_return(mv->r, o);
	return 0;
}

static void
move_progress(void *arg, double pct)
{
	struct move *mv = arg;

	progress_event(mv->r, &mv->last_event, "move-disk", mv->target, pct);
}

static void
move_copied(void *arg, int ok, const char *err)
{
	struct move *mv = arg;
	struct vm *vm = vm_find(mv->r->d, mv->name);

	if (!ok) {
		req_error(mv->r, ERR_GENERIC, "move-disk %s: %s", mv->target,
		    err);
	} else if (vm == NULL || vm_active(vm)) {
		unlink(mv->to);
		req_error(mv->r, ERR_INVALID_STATE, "move-disk %s: VM '%s' was "
		    "%s during the copy; nothing moved", mv->target, mv->name,
		    vm == NULL ? "undefined" : "started");
	} else {
		same_owner(mv->from, mv->to);
		if (move_store(mv, vm, 1) == -1)
			unlink(mv->to);
	}
	move_free(mv);
}

/* {"target", "path"}: a shut off VM's image moves; its definition follows */
static void
d_move_disk(struct req *r, struct vm *vm)
{
	const char *target = req_str(r, "target"), *to = req_str(r, "path");
	struct vmdef_disk k;
	struct qimg_info info;
	char err[1024], d1[PATH_MAX], d2[PATH_MAX];
	size_t i;

	if (target == NULL || to == NULL) {
		req_error(r, ERR_GENERIC, "move-disk needs \"target\" and "
		    "\"path\"");
		return;
	}
	if (vm_active(vm)) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s; move-disk needs "
		    "it shut off", vm->name, vm_state_name(vm->state));
		return;
	}
	/* k's strings are the stored definition's, which stays as it is */
	if (vmdef_disk_find(vm_persistent(vm), target, &i) == -1 ||
	    vmdef_disk_get(vm_persistent(vm), i, &k) == -1) {
		req_error(r, ERR_NOT_FOUND, "VM '%s' has no disk %s", vm->name,
		    target);
		return;
	}
	/* the checks of the new path, on a copy, before any file moves */
	struct vmdef *scratch = vmdef_dup(vm_persistent(vm));
	int bad = vmdef_disk_set_source(scratch, i, to, NULL, err, sizeof(err));
	vmdef_free(scratch);
	if (bad == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	if (exists(to)) {
		req_error(r, ERR_EXISTS, "%s exists already", to);
		return;
	}
	if (qimg_info(k.path, k.format, &info, err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "disk %s: %s", target, err);
		return;
	}
	dir_of(k.path, d1, sizeof(d1));
	dir_of(to, d2, sizeof(d2));
	if (info.backing[0] != '\0' && info.backing[0] != '/' &&
	    strcmp(d1, d2) != 0) {
		req_error(r, ERR_GENERIC, "disk %s: %s has the relative backing "
		    "file %s, which would not follow it to %s; rebase it first",
		    target, k.path, info.backing, d2);
		return;
	}
	struct move *mv = xcalloc(1, sizeof(*mv));
	mv->r = r;
	strlcpy(mv->name, vm->name, sizeof(mv->name));
	strlcpy(mv->target, target, sizeof(mv->target));
	mv->i = i;
	mv->from = xstrdup(k.path);
	mv->to = xstrdup(to);
	if (renameat2(AT_FDCWD, mv->from, AT_FDCWD, mv->to,
	    RENAME_NOREPLACE) == 0) {
		if (move_store(mv, vm, 0) == -1 &&
		    rename(mv->to, mv->from) == -1)
			log_warnx("%s: move-disk: cannot move %s back to %s: %s",
			    vm->name, mv->to, mv->from, strerror(errno));
		move_free(mv);
		return;
	}
	if (errno != EXDEV) {
		req_error(r, errno == EEXIST ? ERR_EXISTS : ERR_GENERIC,
		    "cannot move %s to %s: %s", mv->from, mv->to,
		    strerror(errno));
		move_free(mv);
		return;
	}
	/* another file system: a copy in the same format, then the old goes */
	if (info.backing[0] != '\0') {
		req_error(r, ERR_GENERIC, "disk %s: %s has the backing file %s; "
		    "an image with a backing file is not copied across file "
		    "systems (the copy would lose its chain)", target, mv->from,
		    info.backing);
		move_free(mv);
		return;
	}
	if (imgwork_convert(r->d->base, mv->from, k.format != NULL ? k.format :
	    info.format, mv->to, QIMG_CONVERT_SPARSE, move_progress,
	    move_copied, mv, err, sizeof(err)) == NULL) {
		req_error(r, ERR_GENERIC, "move-disk %s: %s", target, err);
		move_free(mv);
	}
}

const struct dcmd dcmds_clone[] = {
	{ "clone",	d_clone,	NEEDS_VM | NEEDS_ADMIN },
	{ "move-disk",	d_move_disk,	NEEDS_VM | NEEDS_ADMIN },
	{ NULL, NULL, 0 }
};
