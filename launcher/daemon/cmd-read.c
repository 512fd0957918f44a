/* Reading: list, info, state, vncdisplay, console-log, version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "job.h"
#include "names.h"
#include "req.h"
#include "util.h"
#include "vm.h"

#define INFO_JOB_MS		10000
#define CONSOLE_LOG_MAX		(16u << 20)

static void
d_list(struct req *r, struct vm *unused)
{
	struct json_object *arr = json_object_new_array();
	int all = req_bool(r, "all");
	struct vm *vm;

	(void)unused;
	TAILQ_FOREACH(vm, &r->d->vms, entry) {
		if (!vm_may_use(vm, r->uid))
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

static int
info_balloon(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct info_ctx *ic = arg;
	long long actual = jint(ret, "actual", -1);

	if (actual < 0) {
		snprintf(err, errlen, "query-balloon gave no size");
		return -1;
	}
	json_object_object_add(ic->info, "balloon_mib",
	    json_object_new_int64(actual >> 20));
	return 0;
}

static void
info_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct info_ctx *ic = arg;

	(void)class;
	(void)qemu;
	/* what QEMU could not tell is left out, and said why */
	if (!ok)
		json_object_object_add(ic->info, "qemu_error",
		    json_object_new_string(desc));
	req_return(ic->r, ic->info);
	free(ic);
}

/* The VM as the supervisor knows it, plus what QEMU tells. */
static void
d_info(struct req *r, struct vm *vm)
{
	struct qmp *q = vm_qmp(vm);

	if (q == NULL || !vmdef_has_balloon(vm->def)) {
		req_return(r, vm_info(vm));
		return;
	}
	struct info_ctx *ic = xcalloc(1, sizeof(*ic));
	ic->r = r;
	ic->info = vm_info(vm);
	struct job *j = job_new(r->d->base, q, "info", INFO_JOB_MS, info_done,
	    ic);
	job_step(j, "query-balloon", NULL, info_balloon, ic);
	job_start(j);
}

static void
d_vncdisplay(struct req *r, struct vm *vm)
{
	struct vnc_conf vnc;

	if (vmdef_vnc(vm->def, &vnc) == -1) {
		req_error(r, ERR_GENERIC, "VM '%s' has no VNC display "
		    "(graphics: none)", vm->name);
		return;
	}
	if (!vm_active(vm)) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is not running",
		    vm->name);
		return;
	}
	if (vm->vnc_port <= 0) {
		req_error(r, ERR_INVALID_STATE, "the VNC port of '%s' is not "
		    "known yet", vm->name);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "listen", json_object_new_string(
	    vm_vnc_listen(vm, &vnc)));
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
d_version(struct req *r, struct vm *unused)
{
	struct json_object *o = json_object_new_object();

	(void)unused;
	json_object_object_add(o, "version",
	    json_object_new_string(QLAUNCH_VERSION));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "statedir",
	    json_object_new_string(r->d->statedir));
	json_object_object_add(o, "rundir",
	    json_object_new_string(r->d->runroot));
	json_object_object_add(o, "qemu", json_object_new_string(r->d->qemu));
	req_return(r, o);
}

const struct dcmd dcmds_read[] = {
	{ "version",	d_version,	0 },
	{ "list",	d_list,		0 },
	{ "info",	d_info,		NEEDS_VM },
	{ "state",	d_state,	NEEDS_VM },
	{ "vncdisplay",	d_vncdisplay,	NEEDS_VM },
	{ "console-log", d_console_log,	NEEDS_VM },
	{ NULL, NULL, 0 }
};
