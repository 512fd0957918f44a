/* Definitions: define, create, undefine, rename, dumpconfig, cmdline, autostart. */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmdline-in.h"
#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "log.h"
#include "migrate.h"
#include "names.h"
#include "req.h"
#include "storage.h"
#include "util.h"
#include "vm.h"
#include "vm-argv.h"

#define START_TIMEOUT_MS	60000

/* A non-admin's new VM belongs to them; they may not give it away. */
static int
settle_owner(struct req *r, struct vmdef *d)
{
	if (uid_is_admin(r->d, r->uid))
		return 0;
	struct passwd *pw = getpwuid(r->uid);
	char mine[32];
	snprintf(mine, sizeof(mine), "%lu", (unsigned long)r->uid);
	if (d->owner == NULL) {
		d->owner = xstrdup(pw != NULL ? pw->pw_name : mine);
		/* in the stored text too, or the next qlaunchd makes it root's */
		vmdef_text_set(d, "owner", d->owner);
		return 0;
	}
	if (strcmp(d->owner, mine) == 0 ||
	    (pw != NULL && strcmp(d->owner, pw->pw_name) == 0))
		return 0;
	req_error(r, ERR_PERMISSION, "owner: only root may define a VM for "
	    "another user");
	return -1;
}

/* Checks shared by define and create; the definition is freed on error. */
static int
admit(struct req *r, struct vmdef *d, struct vm *vm)
{
	if (settle_owner(r, d) == -1)
		goto fail;
	struct vm *o = vm_uuid_owner(r->d, d->uuid, vm);
	if (o != NULL) {
		req_error(r, ERR_EXISTS, "uuid: %s belongs to VM '%s' already",
		    d->uuid, o->name);
		goto fail;
	}
	return 0;
fail:
	vmdef_free(d);
	return -1;
}

/*
 * A definition being stored: its disks are prepared (paths, images,
 * formats: storage_prepare, which may run qemu-img in a child), then its
 * NICs, then it is stored, and then is called with the VM.  Meanwhile
 * the VM of that name may have been defined, undefined or renamed by
 * another request: the definition is then refused.  On failure nothing
 * is left: the images made are removed, the definition is freed and the
 * request answered.
 */
struct pending {
	struct req	*r;
	struct vmdef	*def;
	struct vm	*was;		/* the VM it replaces, or NULL */
	char		 uuid[64];	/* was's */
	struct created	 made;
	/* stored: the request is answered; undo it with the images in c */
	void		 (*then)(struct req *, struct vm *, int replaced,
		    struct created *c);
};

static void
pending_fail(struct pending *p, const char *class, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pending_fail(struct pending *p, const char *class, const char *fmt, ...)
{
	char desc[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	storage_undo(&p->made);
	req_error(p->r, class, "%s", desc);
	vmdef_free(p->def);
	free(p);
}

/* The same VM as when the request came, or a line why not. */
static int
still_there(struct pending *p, struct vm **vmp)
{
	struct daemon *d = p->r->d;
	struct vm *now = vm_find(d, p->def->name), *o;

	*vmp = now;
	if (now == NULL && p->was != NULL) {
		pending_fail(p, ERR_NOT_FOUND, "VM '%s' was undefined or renamed "
		    "while its disks were prepared", p->def->name);
		return -1;
	}
	if (now != NULL && (now != p->was ||
	    strcmp(vm_persistent(now)->uuid, p->uuid) != 0)) {
		pending_fail(p, ERR_EXISTS, "VM '%s' was %s while its disks "
		    "were prepared", p->def->name, p->was == NULL ? "defined" :
		    "replaced");
		return -1;
	}
	if ((o = vm_uuid_owner(d, p->def->uuid, now)) != NULL) {
		pending_fail(p, ERR_EXISTS, "uuid: %s belongs to VM '%s' already",
		    p->def->uuid, o->name);
		return -1;
	}
	return 0;
}

static void
prepared(void *arg, const char *serr)
{
	struct pending *p = arg;
	struct req *r = p->r;
	struct vm *vm;
	char err[1024];

	if (serr != NULL) {
		pending_fail(p, ERR_GENERIC, "%s", serr);
		return;
	}
	if (still_there(p, &vm) == -1)
		return;
	/* MACs now, unique among the VMs there are now */
	if (nics_prepare(r->d, p->def, vm, 0, uid_is_admin(r->d, r->uid), err,
	    sizeof(err)) == -1 ||
	    vm_define(r->d, p->def, &vm, err, sizeof(err)) == -1) {
		pending_fail(p, ERR_GENERIC, "%s", err);
		return;
	}
	p->then(r, vm, p->was != NULL, &p->made);
	storage_keep(&p->made);
	free(p);
}

/*
 * Store d (taken over), replacing vm (or NULL for a new VM); then is
 * called once it is stored, with what was made for it.
 */
static void
store(struct req *r, struct vmdef *d, struct vm *vm, struct created *made,
    void (*then)(struct req *, struct vm *, int, struct created *))
{
	struct pending *p = xcalloc(1, sizeof(*p));

	p->r = r;
	p->def = d;
	p->was = vm;
	if (vm != NULL)
		strlcpy(p->uuid, vm_persistent(vm)->uuid, sizeof(p->uuid));
	if (made != NULL)
		p->made = *made;	/* taken over */
	p->then = then;
	storage_prepare(r->d, d, (size_t)-1, uid_is_admin(r->d, r->uid),
	    &p->made, prepared, p);
}

static void
defined(struct req *r, struct vm *vm, int replaced, struct created *unused)
{
	(void)unused;
	struct json_object *ret = json_object_new_object();
	json_object_object_add(ret, "name", json_object_new_string(vm->name));
	json_object_object_add(ret, "uuid", json_object_new_string(
	    vm_persistent(vm)->uuid));
	json_object_object_add(ret, "replaced", json_object_new_boolean(
	    replaced));
	req_return(r, ret);
}

static void
d_define(struct req *r, struct vm *unused)
{
	const char *text = req_str(r, "text");
	const char *src = req_str(r, "file");
	char err[1024];

	(void)unused;
	if (text == NULL) {
		req_error(r, ERR_GENERIC, "define needs \"text\"");
		return;
	}
	struct vmdef *d = vmdef_parse(text, src ? src : "definition", err,
	    sizeof(err));
	if (d == NULL) {
		req_error(r, ERR_INVALID_DEF, "%s", err);
		return;
	}
	const char *want = req_str(r, "name");
	if (want != NULL && strcmp(want, d->name) != 0) {
		req_error(r, ERR_INVALID_DEF, "name: '%s' is not '%s'; use "
		    "rename to change a VM's name", d->name, want);
		vmdef_free(d);
		return;
	}
	struct vm *vm = vm_find(r->d, d->name);
	if (vm != NULL && !vm_may_use(vm, r->uid)) {
		req_error(r, ERR_PERMISSION, "VM '%s' belongs to another user",
		    d->name);
		vmdef_free(d);
		return;
	}
	if (vm != NULL && d->uuid_generated) {
		/* a redefinition without a uuid line keeps the VM's */
		strlcpy(d->uuid, vm_persistent(vm)->uuid, sizeof(d->uuid));
		vmdef_text_set(d, "uuid", d->uuid);
	}
	if (admit(r, d, vm) == -1)
		return;
	store(r, d, vm, NULL, defined);
}

void
start_and_wait(struct req *r, struct vm *vm)
{
	char err[VM_REASON_MAX];

	if (vm_start(vm, req_bool(r, "paused"), err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s: %s", vm->name, err);
		return;
	}
	vm_wait(vm, 0, START_TIMEOUT_MS, reply_wait, r);
}

/* Settings {"memory": "2048", "qemu-arg": [..]} into d; -1 answered. */
static int
apply_settings(struct req *r, struct vmdef *d, struct json_object *set)
{
	char err[1024];

	if (!json_object_is_type(set, json_type_object)) {
		req_error(r, ERR_GENERIC, "\"settings\" must be an object");
		return -1;
	}
	json_object_object_foreach(set, key, val) {
		if (strcmp(key, "name") == 0) {
			req_error(r, ERR_GENERIC, "name: give it as the VM's "
			    "name");
			return -1;
		}
		int arr = json_object_is_type(val, json_type_array);
		size_t n = arr ? json_object_array_length(val) : 1;
		for (size_t i = 0; i < n; i++) {
			struct json_object *v = arr ?
			    json_object_array_get_idx(val, i) : val;
			if (!json_object_is_type(v, json_type_string)) {
				req_error(r, ERR_GENERIC, "%s: value must be a "
				    "string", key);
				return -1;
			}
			if (vmdef_set(d, key, json_object_get_string(v), err,
			    sizeof(err)) == -1) {
				req_error(r, ERR_INVALID_DEF, "%s", err);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * create's install phase, virt-install's: "install": "cdrom" (the
 * settings have the CD-ROM's disk line), or "location" with
 * "extra_args" (storage_location).  The boot order after the install is
 * written too.  -1 answered; what was copied is in *c.
 */
static int
begin_install(struct req *r, struct vmdef *d, struct created *c)
{
	const char *inst = req_str(r, "install"), *loc = req_str(r, "location");
	const char *extra = req_str(r, "extra_args");
	char err[1024];

	if (extra != NULL && loc == NULL) {
		req_error(r, ERR_GENERIC, "extra_args: needs \"location\"");
		return -1;
	}
	if (inst != NULL && loc != NULL) {
		req_error(r, ERR_GENERIC, "install and location: give one "
		    "install method");
		return -1;
	}
	if (inst != NULL && strcmp(inst, "cdrom") != 0) {
		req_error(r, ERR_GENERIC, "install: '%s' is not cdrom", inst);
		return -1;
	}
	if (inst != NULL &&
	    vmdef_set(d, "install", "cdrom", err, sizeof(err)) == -1) {
		req_error(r, ERR_INVALID_DEF, "%s", err);
		return -1;
	}
	if (loc != NULL && storage_location(r->d, d, loc, extra,
	    uid_is_admin(r->d, r->uid), c, err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return -1;
	}
	return 0;
}

/*
 * create is define and start, as virt-install's: a start that fails at
 * once (a missing bridge) leaves nothing defined or made
 */
static void
created(struct req *r, struct vm *vm, int replaced, struct created *c)
{
	char err[VM_REASON_MAX], why[256], name[sizeof(vm->name)];

	(void)replaced;
	if (!req_bool(r, "start")) {
		req_return(r, vm_info(vm));
		return;
	}
	if (vm_start(vm, req_bool(r, "paused"), err, sizeof(err)) == -1) {
		strlcpy(name, vm->name, sizeof(name));
		if (vm_undefine(vm, why, sizeof(why)) == -1)
			log_warnx("%s: cannot undefine after a failed start: %s",
			    name, why);
		else
			storage_undo(c);
		req_error(r, ERR_GENERIC, "%s: %s", name, err);
		return;
	}
	vm_wait(vm, 0, START_TIMEOUT_MS, reply_wait, r);
}

/*
 * create: name plus "settings", and an install phase (begin_install);
 * "start" and "paused" start it at once
 */
static void
d_create(struct req *r, struct vm *unused)
{
	const char *name = req_str(r, "name");
	struct json_object *set;
	struct created c = { NULL, 0 };
	char err[1024];

	(void)unused;
	if (name == NULL || !valid_name(name)) {
		req_error(r, ERR_GENERIC, "name: '%s' is not a valid name "
		    "([A-Za-z0-9][A-Za-z0-9._-]{0,63})", name ? name : "");
		return;
	}
	if (vm_find(r->d, name) != NULL) {
		req_error(r, ERR_EXISTS, "VM '%s' exists already (undefine it, "
		    "or define a changed definition)", name);
		return;
	}
	struct vmdef *d = vmdef_new();
	strlcpy(d->name, name, sizeof(d->name));
	if ((set = jget(r->args, "settings")) != NULL &&
	    apply_settings(r, d, set) == -1) {
		vmdef_free(d);
		return;
	}
	if (begin_install(r, d, &c) == -1)
		goto fail;
	if (vmdef_check(d, err, sizeof(err)) == -1) {
		req_error(r, ERR_INVALID_DEF, "%s", err);
		goto fail;
	}
	if (d->install.kind != INSTALL_NONE)
		vmdef_install_boot_order(d);
	if (admit(r, d, NULL) == -1) {
		storage_undo(&c);
		return;
	}
	store(r, d, NULL, &c, created);
	return;
fail:
	storage_undo(&c);
	vmdef_free(d);
}

static void
d_undefine(struct req *r, struct vm *vm)
{
	char err[512];

	if (migreg_refuse(r, vm) == -1)
		return;
	if (vm_undefine(vm, err, sizeof(err)) == -1) {
		req_error(r, vm_active(vm) ? ERR_INVALID_STATE : ERR_GENERIC,
		    "%s", err);
		return;
	}
	req_return(r, NULL);
}

static void
d_rename(struct req *r, struct vm *vm)
{
	const char *nn = req_str(r, "new_name");
	char err[512];

	if (migreg_refuse(r, vm) == -1)
		return;
	if (nn == NULL || !valid_name(nn)) {
		req_error(r, ERR_GENERIC, "'%s' is not a valid name",
		    nn ? nn : "");
		return;
	}
	if (vm_find(r->d, nn) != NULL) {
		req_error(r, ERR_EXISTS, "VM '%s' exists already", nn);
		return;
	}
	if (vm_active(vm)) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s; only a shut off "
		    "VM can be renamed", vm->name, vm_state_name(vm->state));
		return;
	}
	if (vm_rename(vm, nn, err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	req_return(r, NULL);
}

static void
d_dumpconfig(struct req *r, struct vm *vm)
{
	char *t = vmdef_text(vm_persistent(vm));
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "text", json_object_new_string(t));
	free(t);
	req_return(r, o);
}

static void
d_cmdline(struct req *r, struct vm *vm)
{
	struct argv a;
	char err[512];
	enum accel acc = vm_resolve_accel(vm_persistent(vm)->accel);

	if (req_str(r, "incoming") != NULL) {
		cmdline_incoming(r, vm, req_str(r, "incoming"));
		return;
	}
	/* as a start would: vhost-net where the host has it */
	vmdef_nic_host(vm_persistent(vm), nics_vhost_net());
	if (vm_argv(r->d, vm_persistent(vm), &vm->paths, acc, 0, NULL, &a,
	    err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	req_return(r, cmdline_reply(&a));
}

static void
d_autostart(struct req *r, struct vm *vm)
{
	char err[512];

	if (vm_set_autostart(vm, !req_bool(r, "disable"), err,
	    sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	req_return(r, NULL);
}

const struct dcmd dcmds_def[] = {
	{ "define",	d_define,	0 },
	{ "create",	d_create,	0 },
	{ "undefine",	d_undefine,	NEEDS_VM },
	{ "rename",	d_rename,	NEEDS_VM },
	{ "dumpconfig",	d_dumpconfig,	NEEDS_VM },
	{ "cmdline",	d_cmdline,	NEEDS_VM },
	{ "autostart",	d_autostart,	NEEDS_VM },
	{ NULL, NULL, 0 }
};
