/*
 * The supervisor's control commands: one table, one small handler each.
 * Every handler answers its request exactly once (req_return/req_error),
 * now or when QEMU or the VM's state machine gets back to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "qlaunchd.h"
#include "qmp.h"
#include "util.h"

#define START_TIMEOUT_MS	60000
#define DESTROY_TIMEOUT_MS	15000
#define QMP_PASS_MS		30000
#define CONSOLE_LOG_MAX		(16u << 20)

#define NEEDS_VM	0x01	/* arguments.name names an existing VM */
#define NEEDS_ACTIVE	0x02	/* ...with a QEMU process */
#define NEEDS_QMP	0x04	/* ...and a QMP connection */

struct dcmd {
	const char	*name;
	void		(*fn)(struct req *, struct vm *);
	int		 flags;
};

/* ---- arguments ---- */

static const char *
arg_str(struct req *r, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(r->args, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
arg_bool(struct req *r, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(r->args, key, &v) &&
	    json_object_get_boolean(v);
}

/* -1 when absent; -2 when not a non-negative integer */
static long long
arg_int(struct req *r, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(r->args, key, &v))
		return -1;
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return -2;
	return json_object_get_int64(v);
}

static int
is_admin(const struct req *r)
{
	return uid_is_admin(r->uid);
}

static int
may_use(struct req *r, struct vm *vm)
{
	return vm_may_use(vm, r->uid);
}

/* A non-admin's new VM belongs to them; they may not give it away. */
static int
settle_owner(struct req *r, struct vmdef *d)
{
	if (is_admin(r))
		return 0;
	struct passwd *pw = getpwuid(r->uid);
	char mine[32];
	snprintf(mine, sizeof(mine), "%lu", (unsigned long)r->uid);
	if (d->owner == NULL) {
		d->owner = xstrdup(pw != NULL ? pw->pw_name : mine);
		return 0;
	}
	if (strcmp(d->owner, mine) == 0 ||
	    (pw != NULL && strcmp(d->owner, pw->pw_name) == 0))
		return 0;
	req_error(r, "PermissionDenied", "owner: only root may define a VM "
	    "for another user");
	return -1;
}

/* The VM other than self whose definition has that UUID, if any. */
static struct vm *
uuid_owner(const char *uuid, const struct vm *self)
{
	struct vm *o;

	TAILQ_FOREACH(o, &D->vms, entry) {
		if (o == self)
			continue;
		if (strcmp(o->def->uuid, uuid) == 0 || (o->next_def != NULL &&
		    strcmp(o->next_def->uuid, uuid) == 0))
			return o;
	}
	return NULL;
}

/* ---- replies that wait for QEMU ---- */

/* Pass QMP's answer through unchanged. */
static void
qmp_pass_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct req *r = arg;

	if (err != NULL)
		req_qemu_error(r, err->class, err->desc);
	else
		req_return(r, json_object_get(ret));
}

/* Answer with an empty return once QEMU accepted the command. */
static void
qmp_ok_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct req *r = arg;

	(void)ret;
	if (err != NULL)
		req_qemu_error(r, err->class, err->desc);
	else
		req_return(r, NULL);
}

static void
qmp_cmd(struct req *r, struct vm *vm, const char *cmd,
    struct json_object *args, void (*cb)(void *, struct json_object *,
    const struct qmp_error *))
{
	if (qmp_execute(vm->qmp, cmd, args, QMP_PASS_MS, cb, r) == -1)
		req_error(r, "GenericError", "VM '%s': QMP is not connected",
		    vm->name);
}

static void
wait_reply(struct vm *vm, void *arg, int ok, const char *err)
{
	struct req *r = arg;

	if (ok)
		req_return(r, vm_info(vm));
	else
		req_error(r, "GenericError", "%s: %s", vm->name, err);
}

/* ---- definitions ---- */

static void
d_define(struct req *r, struct vm *unused)
{
	const char *text = arg_str(r, "text");
	const char *src = arg_str(r, "file");
	char err[1024];

	(void)unused;
	if (text == NULL) {
		req_error(r, "GenericError", "define needs \"text\"");
		return;
	}
	struct vmdef *d = vmdef_parse(text, src ? src : "definition", err,
	    sizeof(err));
	if (d == NULL) {
		req_error(r, "InvalidDefinition", "%s", err);
		return;
	}
	const char *want = arg_str(r, "name");
	if (want != NULL && strcmp(want, d->name) != 0) {
		req_error(r, "InvalidDefinition", "name: '%s' is not '%s'; use "
		    "rename to change a VM's name", d->name, want);
		vmdef_free(d);
		return;
	}
	if (settle_owner(r, d) == -1) {
		vmdef_free(d);
		return;
	}
	struct vm *vm = vm_find(d->name);
	if (vm != NULL && !may_use(r, vm)) {
		req_error(r, "PermissionDenied", "VM '%s' belongs to another "
		    "user", d->name);
		vmdef_free(d);
		return;
	}
	if (vm != NULL && d->uuid_generated) {
		/* a redefinition without a uuid line keeps the VM's */
		strlcpy(d->uuid, vm_persistent(vm)->uuid, sizeof(d->uuid));
		vmdef_text_set(d, "uuid", d->uuid);
	}
	/* a UUID belongs to one VM */
	struct vm *o = uuid_owner(d->uuid, vm);
	if (o != NULL) {
		req_error(r, "Exists", "uuid: %s belongs to VM '%s' already",
		    d->uuid, o->name);
		vmdef_free(d);
		return;
	}
	if (vm_save_def(d, err, sizeof(err)) == -1) {
		req_error(r, "GenericError", "%s", err);
		vmdef_free(d);
		return;
	}
	struct json_object *ret = json_object_new_object();
	json_object_object_add(ret, "name", json_object_new_string(d->name));
	json_object_object_add(ret, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(ret, "replaced", json_object_new_boolean(vm != NULL));
	if (vm != NULL)
		vm_redefine(vm, d);
	else
		vm_add(d);
	req_return(r, ret);
}

static void
start_after_create(struct req *r, struct vm *vm)
{
	char err[512];

	if (vm_start(vm, arg_bool(r, "paused"), err, sizeof(err)) == -1) {
		req_error(r, "GenericError", "%s: %s", vm->name, err);
		return;
	}
	vm_wait(vm, 0, START_TIMEOUT_MS, wait_reply, r);
}

/* create: name plus "settings": {"memory": "2048", "qemu-arg": [..]} */
static void
d_create(struct req *r, struct vm *unused)
{
	const char *name = arg_str(r, "name");
	struct json_object *set;
	char err[1024];

	(void)unused;
	if (name == NULL || !valid_name(name)) {
		req_error(r, "GenericError", "name: '%s' is not a valid name "
		    "([A-Za-z0-9][A-Za-z0-9._-]{0,63})", name ? name : "");
		return;
	}
	if (vm_find(name) != NULL) {
		req_error(r, "Exists", "VM '%s' exists already (undefine it, "
		    "or define a changed definition)", name);
		return;
	}
	struct vmdef *d = vmdef_new();
	strlcpy(d->name, name, sizeof(d->name));
	if (json_object_object_get_ex(r->args, "settings", &set)) {
		if (!json_object_is_type(set, json_type_object)) {
			req_error(r, "GenericError", "\"settings\" must be an "
			    "object");
			vmdef_free(d);
			return;
		}
		json_object_object_foreach(set, key, val) {
			if (strcmp(key, "name") == 0) {
				req_error(r, "GenericError", "name: give it as "
				    "the VM's name");
				vmdef_free(d);
				return;
			}
			size_t n = json_object_is_type(val, json_type_array) ?
			    json_object_array_length(val) : 1;
			for (size_t i = 0; i < n; i++) {
				struct json_object *v = json_object_is_type(val,
				    json_type_array) ?
				    json_object_array_get_idx(val, i) : val;
				if (!json_object_is_type(v, json_type_string)) {
					req_error(r, "GenericError", "%s: value "
					    "must be a string", key);
					vmdef_free(d);
					return;
				}
				if (vmdef_set(d, key, json_object_get_string(v),
				    err, sizeof(err)) == -1) {
					req_error(r, "InvalidDefinition", "%s",
					    err);
					vmdef_free(d);
					return;
				}
			}
		}
	}
	if (vmdef_check(d, err, sizeof(err)) == -1) {
		req_error(r, "InvalidDefinition", "%s", err);
		vmdef_free(d);
		return;
	}
	struct vm *o = uuid_owner(d->uuid, NULL);
	if (o != NULL) {
		req_error(r, "Exists", "uuid: %s belongs to VM '%s' already",
		    d->uuid, o->name);
		vmdef_free(d);
		return;
	}
	if (settle_owner(r, d) == -1) {
		vmdef_free(d);
		return;
	}
	if (vm_save_def(d, err, sizeof(err)) == -1) {
		req_error(r, "GenericError", "%s", err);
		vmdef_free(d);
		return;
	}
	struct vm *vm = vm_add(d);
	if (arg_bool(r, "start")) {
		start_after_create(r, vm);
		return;
	}
	req_return(r, vm_info(vm));
}

static void
d_undefine(struct req *r, struct vm *vm)
{
	char path[PATH_MAX];

	if (vm_active(vm)) {
		req_error(r, "InvalidState", "VM '%s' is %s; destroy it first",
		    vm->name, vm_state_name(vm->state));
		return;
	}
	snprintf(path, sizeof(path), "%s/%s.conf", D->defdir, vm->name);
	if (unlink(path) == -1 && errno != ENOENT) {
		req_error(r, "GenericError", "cannot remove %s: %s", path,
		    strerror(errno));
		return;
	}
	rmtree(vm->paths.dir);
	vm_remove(vm);
	req_return(r, NULL);
}

static void
d_rename(struct req *r, struct vm *vm)
{
	const char *nn = arg_str(r, "new_name");
	char err[512], oldp[PATH_MAX];

	if (nn == NULL || !valid_name(nn)) {
		req_error(r, "GenericError", "'%s' is not a valid name",
		    nn ? nn : "");
		return;
	}
	if (vm_find(nn) != NULL) {
		req_error(r, "Exists", "VM '%s' exists already", nn);
		return;
	}
	if (vm_active(vm)) {
		req_error(r, "InvalidState", "VM '%s' is %s; only a shut off "
		    "VM can be renamed", vm->name, vm_state_name(vm->state));
		return;
	}
	struct vmdef *d = vmdef_dup(vm_persistent(vm));
	strlcpy(d->name, nn, sizeof(d->name));
	vmdef_text_set(d, "name", nn);
	struct vmpaths np;
	if (vmpaths_init(&np, D->runroot, nn, err, sizeof(err)) == -1 ||
	    vm_save_def(d, err, sizeof(err)) == -1) {
		req_error(r, "GenericError", "%s", err);
		vmdef_free(d);
		return;
	}
	snprintf(oldp, sizeof(oldp), "%s/%s.conf", D->defdir, vm->name);
	unlink(oldp);
	rmtree(vm->paths.dir);
	vmdef_free(vm->def);
	vm->def = d;
	strlcpy(vm->name, nn, sizeof(vm->name));
	vm->paths = np;
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

	if (cmdline_build(vm_persistent(vm), &vm->paths, acc, D->qemu, &a, err,
	    sizeof(err)) == -1) {
		req_error(r, "GenericError", "%s", err);
		return;
	}
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < a.n; i++)
		json_object_array_add(arr, json_object_new_string(a.v[i]));
	argv_free(&a);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "argv", arr);
	req_return(r, o);
}

static void
d_autostart(struct req *r, struct vm *vm)
{
	char err[512];
	struct vmdef *p = vm_persistent(vm);
	int old = p->autostart;

	p->autostart = vm->def->autostart = !arg_bool(r, "disable");
	char *oldtext = p->text != NULL ? xstrdup(p->text) : NULL;
	vmdef_text_set(p, "autostart", p->autostart ? "yes" : "no");
	if (vm_save_def(p, err, sizeof(err)) == -1) {
		p->autostart = vm->def->autostart = old;
		free(p->text);
		p->text = oldtext;
		req_error(r, "GenericError", "%s", err);
		return;
	}
	free(oldtext);
	req_return(r, NULL);
}

/* ---- lifecycle ---- */

static void
d_start(struct req *r, struct vm *vm)
{
	if (vm_active(vm)) {
		req_error(r, "InvalidState", "VM '%s' is already %s", vm->name,
		    vm_state_name(vm->state));
		return;
	}
	start_after_create(r, vm);
}

static void
d_shutdown(struct req *r, struct vm *vm)
{
	long long wait = arg_int(r, "wait");

	if (wait == -2) {
		req_error(r, "GenericError", "wait: must be a number of seconds");
		return;
	}
	if (vm->state != VM_RUNNING && vm->state != VM_SHUTDOWN) {
		req_error(r, "InvalidState", "VM '%s' is %s; only a running VM "
		    "can be shut down", vm->name, vm_state_name(vm->state));
		return;
	}
	vm->shutdown_req = 1;
	vm->reboot_req = 0;
	if (qmp_execute(vm->qmp, "system_powerdown", NULL, QMP_PASS_MS,
	    NULL, NULL) == -1) {
		req_error(r, "GenericError", "VM '%s': QMP is not connected",
		    vm->name);
		return;
	}
	vm_set_state(vm, VM_SHUTDOWN, "shutdown requested");
	if (wait >= 0) {
		vm_wait(vm, 1, wait == 0 ? 0 : (int)(wait * 1000), wait_reply,
		    r);
		return;
	}
	req_return(r, NULL);
}

static void
d_destroy(struct req *r, struct vm *vm)
{
	if (!vm_active(vm)) {
		req_error(r, "InvalidState", "VM '%s' is not running", vm->name);
		return;
	}
	vm_destroy(vm);
	vm_wait(vm, 1, DESTROY_TIMEOUT_MS, wait_reply, r);
}

static void
d_reboot(struct req *r, struct vm *vm)
{
	if (vm->state != VM_RUNNING) {
		req_error(r, "InvalidState", "VM '%s' is %s; only a running VM "
		    "can reboot", vm->name, vm_state_name(vm->state));
		return;
	}
	/* ACPI power button; the SHUTDOWN that follows becomes a reset */
	vm->reboot_req = time(NULL);
	qmp_cmd(r, vm, "system_powerdown", NULL, qmp_ok_reply);
}

static void
d_reset(struct req *r, struct vm *vm)
{
	qmp_cmd(r, vm, "system_reset", NULL, qmp_ok_reply);
}

/* A QMP command that only makes sense in one state. */
static void
qmp_cmd_in(struct req *r, struct vm *vm, enum vm_state want, const char *cmd)
{
	if (vm->state != want) {
		req_error(r, "InvalidState", "VM '%s' is %s, not %s", vm->name,
		    vm_state_name(vm->state), vm_state_name(want));
		return;
	}
	qmp_cmd(r, vm, cmd, NULL, qmp_ok_reply);
}

static void
d_suspend(struct req *r, struct vm *vm)
{
	qmp_cmd_in(r, vm, VM_RUNNING, "stop");
}

static void
d_resume(struct req *r, struct vm *vm)
{
	qmp_cmd_in(r, vm, VM_PAUSED, "cont");
}

/* ---- reading ---- */

static void
d_list(struct req *r, struct vm *unused)
{
	struct json_object *arr = json_object_new_array();
	int all = arg_bool(r, "all");
	struct vm *vm;

	(void)unused;
	TAILQ_FOREACH(vm, &D->vms, entry) {
		if (!may_use(r, vm))
			continue;
		if (!all && !vm_active(vm))
			continue;
		json_object_array_add(arr, vm_info(vm));
	}
	req_return(r, arr);
}

static void
d_state(struct req *r, struct vm *vm)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "state",
	    json_object_new_string(vm_state_name(vm->state)));
	json_object_object_add(o, "reason", json_object_new_string(vm->reason));
	req_return(r, o);
}

struct info_ctx {
	struct req		*r;
	struct json_object	*info;
};

static void
info_balloon(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct info_ctx *ic = arg;
	struct json_object *a;

	if (err == NULL && json_object_object_get_ex(ret, "actual", &a))
		json_object_object_add(ic->info, "balloon_mib",
		    json_object_new_int64(json_object_get_int64(a) >> 20));
	req_return(ic->r, ic->info);
	free(ic);
}

static void
d_info(struct req *r, struct vm *vm)
{
	struct json_object *info = vm_info(vm);

	if (vm->qmp == NULL || !vmdef_has_balloon(vm->def) ||
	    qmp_state(vm->qmp) != QMP_READY) {
		req_return(r, info);
		return;
	}
	struct info_ctx *ic = xcalloc(1, sizeof(*ic));
	ic->r = r;
	ic->info = info;
	if (qmp_execute(vm->qmp, "query-balloon", NULL, QMP_PASS_MS,
	    info_balloon, ic) == -1) {
		free(ic);
		req_return(r, info);
	}
}

static void
d_vncdisplay(struct req *r, struct vm *vm)
{
	struct vnc_conf vc;

	if (vmdef_vnc(vm->def, &vc) == -1) {
		req_error(r, "GenericError", "VM '%s' has no VNC display "
		    "(graphics: none)", vm->name);
		return;
	}
	if (!vm_active(vm)) {
		req_error(r, "InvalidState", "VM '%s' is not running", vm->name);
		return;
	}
	if (vm->vnc_port <= 0) {
		req_error(r, "InvalidState", "the VNC port of '%s' is not known "
		    "yet", vm->name);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "listen",
	    json_object_new_string(vc.listen));
	json_object_object_add(o, "port", json_object_new_int(vm->vnc_port));
	json_object_object_add(o, "display",
	    json_object_new_int(vm->vnc_port - 5900));
	req_return(r, o);
}

/* Replace bytes that are not UTF-8 so the log travels as a JSON string. */
static char *
utf8_clean(const char *s, size_t len)
{
	char *out = xcalloc(1, len * 3 + 1), *o = out;
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ?
		    3 : (c >> 3) == 30 ? 4 : 0;
		int ok = n > 0 && i + n <= len && c != 0;
		for (size_t k = 1; ok && k < n; k++)
			ok = ((unsigned char)s[i + k] >> 6) == 2;
		if (ok) {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*o = '\0';
	return out;
}

static void
d_console_log(struct req *r, struct vm *vm)
{
	size_t len = 0;
	char *log = vm_console_log(vm, CONSOLE_LOG_MAX, &len);
	struct json_object *o = json_object_new_object();

	if (log != NULL) {
		char *clean = utf8_clean(log, len);
		json_object_object_add(o, "log", json_object_new_string(clean));
		free(clean);
		free(log);
	} else
		json_object_object_add(o, "log", json_object_new_string(""));
	req_return(r, o);
}

static void
d_console(struct req *r, struct vm *vm)
{
	if (!vmdef_has_serial(vm->def)) {
		req_error(r, "GenericError", "VM '%s' has no serial console "
		    "(console: none)", vm->name);
		return;
	}
	if (vm->console != NULL) {
		req_error(r, "InUse", "the console of '%s' is in use by "
		    "another client", vm->name);
		return;
	}
	int fd = unix_connect(vm->paths.console);
	if (fd == -1) {
		req_error(r, "GenericError", "cannot connect to the console of "
		    "'%s': %s", vm->name, strerror(errno));
		return;
	}
	if (socket_peer_pid(fd) != vm->pid) {
		req_error(r, "GenericError", "the console socket of '%s' does not "
		    "belong to its QEMU", vm->name);
		close(fd);
		return;
	}
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	req_take_console(r, vm, fd);
}

/* ---- memory ---- */

static void
d_setmem(struct req *r, struct vm *vm)
{
	long long mib = arg_int(r, "size_mib");

	if (mib <= 0) {
		req_error(r, "GenericError", "size_mib: a positive number of "
		    "MiB is needed");
		return;
	}
	if (!vmdef_has_balloon(vm->def)) {
		req_error(r, "GenericError", "VM '%s' has no balloon "
		    "(balloon: off)", vm->name);
		return;
	}
	if ((unsigned long long)mib > vm->def->memory_mib) {
		req_error(r, "GenericError", "%lld MiB is more than the VM's "
		    "memory (%llu MiB); the balloon can only give back what "
		    "it took", mib, (unsigned long long)vm->def->memory_mib);
		return;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "value", json_object_new_int64(mib << 20));
	qmp_cmd(r, vm, "balloon", a, qmp_ok_reply);
}

static void
memstat_stats(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct info_ctx *ic = arg;
	struct json_object *st;

	if (err == NULL && json_object_object_get_ex(ret, "stats", &st))
		json_object_object_add(ic->info, "stats", json_object_get(st));
	if (err == NULL && json_object_object_get_ex(ret, "last-update", &st))
		json_object_object_add(ic->info, "last_update",
		    json_object_get(st));
	req_return(ic->r, ic->info);
	free(ic);
}

static void
memstat_balloon(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct info_ctx *ic = arg;
	struct json_object *a;
	struct vm *vm = vm_find(arg_str(ic->r, "name"));

	if (err != NULL) {
		req_qemu_error(ic->r, err->class, err->desc);
		json_object_put(ic->info);
		free(ic);
		return;
	}
	if (json_object_object_get_ex(ret, "actual", &a))
		json_object_object_add(ic->info, "actual_kib",
		    json_object_new_int64(json_object_get_int64(a) >> 10));
	struct json_object *args = json_object_new_object();
	json_object_object_add(args, "path",
	    json_object_new_string("/machine/peripheral/balloon0"));
	json_object_object_add(args, "property",
	    json_object_new_string("guest-stats"));
	if (vm == NULL || vm->qmp == NULL || qmp_execute(vm->qmp, "qom-get",
	    args, QMP_PASS_MS, memstat_stats, ic) == -1) {
		req_return(ic->r, ic->info);
		free(ic);
	}
}

static void
d_memstat(struct req *r, struct vm *vm)
{
	if (!vmdef_has_balloon(vm->def)) {
		req_error(r, "GenericError", "VM '%s' has no balloon "
		    "(balloon: off)", vm->name);
		return;
	}
	struct info_ctx *ic = xcalloc(1, sizeof(*ic));
	ic->r = r;
	ic->info = json_object_new_object();
	if (qmp_execute(vm->qmp, "query-balloon", NULL, QMP_PASS_MS,
	    memstat_balloon, ic) == -1) {
		json_object_put(ic->info);
		free(ic);
		req_error(r, "GenericError", "VM '%s': QMP is not connected",
		    vm->name);
	}
}

/* ---- pass-through ---- */

static void
d_qmp(struct req *r, struct vm *vm)
{
	const char *cmd = arg_str(r, "command");
	struct json_object *a = NULL;

	if (cmd == NULL) {
		req_error(r, "GenericError", "qmp needs \"command\"");
		return;
	}
	if (strcmp(cmd, "qmp_capabilities") == 0) {
		req_error(r, "GenericError", "the supervisor's connection is "
		    "negotiated already");
		return;
	}
	if (json_object_object_get_ex(r->args, "arguments", &a)) {
		if (!json_object_is_type(a, json_type_object)) {
			req_error(r, "GenericError", "\"arguments\" must be an "
			    "object");
			return;
		}
		json_object_get(a);
	}
	qmp_cmd(r, vm, cmd, a, qmp_pass_reply);
}

static void
d_hmp(struct req *r, struct vm *vm)
{
	const char *line = arg_str(r, "command");

	if (line == NULL) {
		req_error(r, "GenericError", "hmp needs \"command\"");
		return;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "command-line", json_object_new_string(line));
	qmp_cmd(r, vm, "human-monitor-command", a, qmp_pass_reply);
}

static void
d_version(struct req *r, struct vm *unused)
{
	struct json_object *o = json_object_new_object();

	(void)unused;
	json_object_object_add(o, "version",
	    json_object_new_string(QLAUNCH_VERSION));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "statedir",
	    json_object_new_string(D->statedir));
	json_object_object_add(o, "rundir", json_object_new_string(D->runroot));
	json_object_object_add(o, "qemu", json_object_new_string(D->qemu));
	req_return(r, o);
}

static const struct dcmd dcmds[] = {
	{ "version",	d_version,	0 },
	{ "define",	d_define,	0 },
	{ "create",	d_create,	0 },
	{ "undefine",	d_undefine,	NEEDS_VM },
	{ "rename",	d_rename,	NEEDS_VM },
	{ "dumpconfig",	d_dumpconfig,	NEEDS_VM },
	{ "cmdline",	d_cmdline,	NEEDS_VM },
	{ "autostart",	d_autostart,	NEEDS_VM },
	{ "start",	d_start,	NEEDS_VM },
	{ "shutdown",	d_shutdown,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ "destroy",	d_destroy,	NEEDS_VM },
	{ "reboot",	d_reboot,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ "reset",	d_reset,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ "suspend",	d_suspend,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ "resume",	d_resume,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ "list",	d_list,		0 },
	{ "info",	d_info,		NEEDS_VM },
	{ "state",	d_state,	NEEDS_VM },
	{ "vncdisplay",	d_vncdisplay,	NEEDS_VM },
	{ "console",	d_console,	NEEDS_VM | NEEDS_ACTIVE },
	{ "console-log", d_console_log,	NEEDS_VM },
	{ "setmem",	d_setmem,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ "memstat",	d_memstat,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ "qmp",	d_qmp,		NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ "hmp",	d_hmp,		NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
};

void
dcmd_dispatch(struct req *r)
{
	const struct dcmd *c = NULL;
	struct vm *vm = NULL;

	for (size_t i = 0; i < sizeof(dcmds) / sizeof(dcmds[0]); i++)
		if (strcmp(dcmds[i].name, r->cmd) == 0)
			c = &dcmds[i];
	if (c == NULL) {
		req_error(r, "CommandNotFound", "no command '%s'", r->cmd);
		return;
	}
	if (c->flags & NEEDS_VM) {
		const char *name = arg_str(r, "name");
		if (name == NULL) {
			req_error(r, "GenericError", "%s needs \"name\" (a string)",
			    r->cmd);
			return;
		}
		if ((vm = vm_find(name)) == NULL) {
			req_error(r, "NotFound", "no VM named '%s'", name);
			return;
		}
		if (!may_use(r, vm)) {
			req_error(r, "PermissionDenied", "VM '%s' belongs to "
			    "another user", name);
			return;
		}
		if ((c->flags & NEEDS_ACTIVE) && !vm_active(vm)) {
			req_error(r, "InvalidState", "VM '%s' is %s", name,
			    vm_state_name(vm->state));
			return;
		}
		if ((c->flags & NEEDS_QMP) && (vm->qmp == NULL ||
		    qmp_state(vm->qmp) != QMP_READY)) {
			req_error(r, "InvalidState", "VM '%s' is %s and its QMP "
			    "connection is not ready", name,
			    vm_state_name(vm->state));
			return;
		}
	}
	c->fn(r, vm);
}
