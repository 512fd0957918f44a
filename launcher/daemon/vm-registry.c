/*
 * The list of VMs, their definitions on disk, ids, rename, and who may
 * use a VM.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "events.h"
#include "job.h"
#include "log.h"
#include "names.h"
#include "qmp.h"
#include "util.h"
#include "vm.h"

struct vm *
vm_find(struct daemon *d, const char *name)
{
	struct vm *vm;

	TAILQ_FOREACH(vm, &d->vms, entry)
		if (strcmp(vm->name, name) == 0)
			return vm;
	return NULL;
}

struct vm *
vm_find_id(struct daemon *d, int id)
{
	struct vm *vm;

	TAILQ_FOREACH(vm, &d->vms, entry)
		if (id > 0 && vm->id == id)
			return vm;
	return NULL;
}

struct vm *
vm_lookup(struct daemon *d, const char *s)
{
	struct vm *vm;
	const char *e;

	/* as virsh takes a domain: an id, a UUID, then a name */
	long long id = strtonum(s, 1, INT_MAX, &e);
	if (e == NULL && (vm = vm_find_id(d, (int)id)) != NULL)
		return vm;
	if (valid_uuid(s))
		TAILQ_FOREACH(vm, &d->vms, entry)
			if (strcasecmp(vm->def->uuid, s) == 0)
				return vm;
	return vm_find(d, s);
}

struct vm *
vm_uuid_owner(struct daemon *d, const char *uuid, const struct vm *self)
{
	struct vm *o;

	TAILQ_FOREACH(o, &d->vms, entry) {
		if (o == self)
			continue;
		if (strcmp(o->def->uuid, uuid) == 0 || (o->next_def != NULL &&
		    strcmp(o->next_def->uuid, uuid) == 0))
			return o;
	}
	return NULL;
}

struct vm *
vm_add(struct daemon *d, struct vmdef *def)
{
	struct vm *vm = xcalloc(1, sizeof(*vm));
	char err[256];

	vm->d = d;
	strlcpy(vm->name, def->name, sizeof(vm->name));
	vm->def = def;
	vm->pidfd = -1;
	vm->exit_code = vm->exit_signal = -1;
	vm->qemu_major = vm->qemu_minor = vm->qemu_micro = -1;
	vm->state = VM_SHUTOFF;
	vm->reason = xstrdup("defined");
	TAILQ_INIT(&vm->waiters);
	if (vmpaths_init(&vm->paths, d->runroot, vm->name, err,
	    sizeof(err)) == -1)
		log_warnx("%s: %s", vm->name, err);
	TAILQ_INSERT_TAIL(&d->vms, vm, entry);
	return vm;
}

void
vm_remove(struct vm *vm)
{
	vm_fail_waiters(vm, "the VM was removed");
	vm_fire(vm, VMEV_REMOVED);
	/* detach from a live QEMU without stopping it */
	if (vm->job != NULL)
		job_abandon(vm->job);
	vm->job = NULL;
	vm_jobs_lost(vm, "the VM was removed");
	if (vm->qmp != NULL)
		qmp_free(vm->qmp);
	vm->qmp = NULL;
	if (vm->pidev != NULL)
		event_free(vm->pidev);
	if (vm->pidfd != -1)
		close(vm->pidfd);
	if (vm->killev != NULL)
		event_free(vm->killev);
	if (vm->reconnev != NULL)
		event_free(vm->reconnev);
	TAILQ_REMOVE(&vm->d->vms, vm, entry);
	vmdef_free(vm->def);
	vmdef_free(vm->next_def);
	free(vm->crash_log);
	free(vm->reason);
	free(vm->stop_reason);
	free(vm);
}

struct vmdef *
vm_persistent(struct vm *vm)
{
	return vm->next_def != NULL ? vm->next_def : vm->def;
}

static void
def_path(const struct daemon *d, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.conf", d->defdir, name);
}

static int
save_def(const struct daemon *d, const struct vmdef *def, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	char *text = vmdef_text(def);

	def_path(d, def->name, path, sizeof(path));
	int r = write_file_atomic(path, text, strlen(text), 0600);
	if (r == -1)
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
	free(text);
	return r;
}

int
vm_define(struct daemon *d, struct vmdef *def, struct vm **vmp, char *err,
    size_t errlen)
{
	struct vm *vm = vm_find(d, def->name);

	if (save_def(d, def, err, errlen) == -1)
		return -1;
	if (vm == NULL) {
		*vmp = vm_add(d, def);
		vm_emit(*vmp, EV_VM_DEFINED, NULL);
		return 0;
	}
	if (vm_active(vm)) {
		/* the running QEMU keeps what it was started with */
		vmdef_free(vm->next_def);
		vm->next_def = def;
	} else {
		vmdef_free(vm->def);
		vmdef_free(vm->next_def);
		vm->next_def = NULL;
		vm->def = def;
	}
	*vmp = vm;
	vm_emit(vm, EV_VM_DEFINED, NULL);
	return 0;
}

void
vm_set_live_def(struct vm *vm, struct vmdef *live)
{
	/* what is stored stays what the next start takes */
	if (vm->next_def == NULL)
		vm->next_def = vm->def;
	else
		vmdef_free(vm->def);
	vm->def = live;
}

void
vm_note_hotplug(struct vm *vm)
{
	vm->hotplugged = 1;
}

int
vm_redefined(const struct vm *vm)
{
	if (vm->next_def == NULL)
		return 0;
	char *a = vmdef_print(vm->def), *b = vmdef_print(vm->next_def);
	int diff = strcmp(a, b) != 0;
	free(a);
	free(b);
	return diff;
}

/*
 * The installer's files copied for a VM: STATEDIR/boot/NAME, and the
 * directory of its install kernel when that is another one there (the VM
 * was renamed since).
 */
static void
remove_boot_files(struct vm *vm)
{
	char dir[PATH_MAX], top[PATH_MAX];
	const char *k = vm_persistent(vm)->install.kernel;

	snprintf(top, sizeof(top), "%s/boot", vm->d->statedir);
	snprintf(dir, sizeof(dir), "%s/%s", top, vm->name);
	rmtree(dir);
	if (k != NULL && path_within(k, top)) {
		strlcpy(dir, k, sizeof(dir));
		char *slash = strrchr(dir, '/');
		if (slash != NULL && slash - dir > (ptrdiff_t)strlen(top)) {
			*slash = '\0';
			rmtree(dir);
		}
	}
}

static void
snapdir_of(const struct daemon *d, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/snapshots/%s", d->statedir, name);
}

void
vm_snapdir(const struct vm *vm, char *buf, size_t len)
{
	snapdir_of(vm->d, vm->name, buf, len);
}

int
vm_undefine(struct vm *vm, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (vm_active(vm)) {
		snprintf(err, errlen, "VM '%s' is %s; destroy it first",
		    vm->name, vm_state_name(vm->state));
		return -1;
	}
	def_path(vm->d, vm->name, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", path,
		    strerror(errno));
		return -1;
	}
	rmtree(vm->paths.dir);
	remove_boot_files(vm);
	vm_snapdir(vm, path, sizeof(path));
	rmtree(path);
	vm_emit(vm, EV_VM_UNDEFINED, NULL);
	vm_remove(vm);
	return 0;
}

int
vm_rename(struct vm *vm, const char *nn, char *err, size_t errlen)
{
	char oldp[PATH_MAX], old[sizeof(vm->name)];
	struct vmpaths np;

	if (!valid_name(nn)) {
		snprintf(err, errlen, "'%s' is not a valid name", nn);
		return -1;
	}
	if (vm_find(vm->d, nn) != NULL) {
		snprintf(err, errlen, "VM '%s' exists already", nn);
		return -1;
	}
	if (vm_active(vm)) {
		snprintf(err, errlen, "VM '%s' is %s; only a shut off VM can be "
		    "renamed", vm->name, vm_state_name(vm->state));
		return -1;
	}
	struct vmdef *def = vmdef_dup(vm_persistent(vm));
	strlcpy(def->name, nn, sizeof(def->name));
	vmdef_text_set(def, "name", nn);
	char osnap[PATH_MAX], nsnap[PATH_MAX];
	vm_snapdir(vm, osnap, sizeof(osnap));
	snapdir_of(vm->d, nn, nsnap, sizeof(nsnap));
	if (vmpaths_init(&np, vm->d->runroot, nn, err, errlen) == -1)
		goto fail;
	/* the snapshots' metadata first: it is the one that can fail */
	if (rename(osnap, nsnap) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "cannot move %s to %s: %s", osnap, nsnap,
		    strerror(errno));
		goto fail;
	}
	if (save_def(vm->d, def, err, errlen) == -1) {
		rename(nsnap, osnap);
		goto fail;
	}
	def_path(vm->d, vm->name, oldp, sizeof(oldp));
	unlink(oldp);
	rmtree(vm->paths.dir);
	vmdef_free(vm->def);
	vmdef_free(vm->next_def);
	vm->next_def = NULL;
	vm->def = def;
	strlcpy(old, vm->name, sizeof(old));
	strlcpy(vm->name, nn, sizeof(vm->name));
	vm->paths = np;
	struct json_object *data = json_object_new_object();
	json_object_object_add(data, "old_name", json_object_new_string(old));
	json_object_object_add(data, "new_name", json_object_new_string(nn));
	vm_emit(vm, EV_VM_RENAMED, data);
	return 0;
fail:
	vmdef_free(def);
	return -1;
}

/* Change the stored definition; on failure nothing changed. */
static int
update_def(struct vm *vm, int (*edit)(struct vmdef *, const void *, char *,
    size_t), const void *arg, char *err, size_t errlen)
{
	struct vmdef *p = vm_persistent(vm), *n = vmdef_dup(p);

	if (edit(n, arg, err, errlen) == -1 ||
	    save_def(vm->d, n, err, errlen) == -1) {
		vmdef_free(n);
		return -1;
	}
	if (vm->next_def != NULL || vm_active(vm)) {
		vmdef_free(vm->next_def);
		vm->next_def = n;
	} else {
		vmdef_free(vm->def);
		vm->def = n;
	}
	return 0;
}

static int
change_autostart(struct vmdef *d, const void *arg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	d->autostart = *(const int *)arg;
	vmdef_text_set(d, "autostart", d->autostart ? "yes" : "no");
	return 0;
}

int
vm_set_autostart(struct vm *vm, int on, char *err, size_t errlen)
{
	if (update_def(vm, change_autostart, &on, err, errlen) == -1)
		return -1;
	/* autostart is the supervisor's, not QEMU's: it applies at once */
	vm->def->autostart = on;
	return 0;
}

static int
change_memory(struct vmdef *d, const void *arg, char *err, size_t errlen)
{
	return vmdef_set_current_memory(d, *(const uint64_t *)arg, err, errlen);
}

int
vm_set_config_memory(struct vm *vm, uint64_t mib, char *err, size_t errlen)
{
	return update_def(vm, change_memory, &mib, err, errlen);
}

static int
change_end_install(struct vmdef *d, const void *arg, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	vmdef_install_end(d);
	return 0;
}

int
vm_end_install(struct vm *vm, char *err, size_t errlen)
{
	remove_boot_files(vm);
	return update_def(vm, change_end_install, NULL, err, errlen);
}

int
vm_load_all(struct daemon *dm)
{
	DIR *d = opendir(dm->defdir);
	struct dirent *de;
	int n = 0;

	if (d == NULL) {
		log_warn("%s", dm->defdir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		char path[PATH_MAX], err[512];
		snprintf(path, sizeof(path), "%s/%s", dm->defdir, de->d_name);
		char *text = read_file(path, NULL);
		if (text == NULL) {
			log_warn("%s", path);
			continue;
		}
		struct vmdef *def = vmdef_parse(text, path, err, sizeof(err));
		free(text);
		if (def == NULL) {
			log_warnx("%s (left as it is)", err);
			continue;
		}
		if (strlen(def->name) != l - 5 ||
		    strncmp(def->name, de->d_name, l - 5) != 0) {
			log_warnx("%s: name '%s' does not match the file name "
			    "(left as it is)", path, def->name);
			vmdef_free(def);
			continue;
		}
		vm_add(dm, def);
		n++;
	}
	closedir(d);
	return n;
}

int
vm_owner_uid(const struct vm *vm, uid_t *uid)
{
	const char *o = vm->def->owner;

	if (o == NULL)
		return -1;
	if (strspn(o, "0123456789") == strlen(o)) {
		const char *e;
		long long v = strtonum(o, 0, 0x7fffffff, &e);
		if (e != NULL)
			return -1;
		*uid = (uid_t)v;
		return 0;
	}
	struct passwd *pw = getpwnam(o);
	if (pw == NULL)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

int
uid_is_admin(const struct daemon *d, uid_t uid)
{
	return uid == 0 || uid == d->uid;
}

int
vm_may_use(const struct vm *vm, uid_t uid)
{
	uid_t owner;

	return uid_is_admin(vm->d, uid) ||
	    (vm_owner_uid(vm, &owner) == 0 && owner == uid);
}
