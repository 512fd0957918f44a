/* Lifecycle: start, shutdown, destroy, reboot, reset, suspend, resume. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.h"
#include "dispatch.h"
#include "jget.h"
#include "migrate.h"
#include "names.h"
#include "req.h"
#include "util.h"
#include "vm.h"

#define DESTROY_TIMEOUT_MS	15000
#define MAX_WAIT_S		86400

static void
d_start(struct req *r, struct vm *vm)
{
	if (vm_active(vm)) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is already %s",
		    vm->name, vm_state_name(vm->state));
		return;
	}
	if (migreg_refuse(r, vm) == -1)
		return;
	start_and_wait(r, vm);
}

struct shutdown_wait {
	struct req	*r;
	int		 seconds;
	int		 force;
	struct vm	*vm;		/* --mode agent: waits after the call */
	int		 wait;
};

static void
shutdown_waited(struct vm *vm, void *arg, int ok, const char *err)
{
	struct shutdown_wait *sw = arg;
	struct req *r = sw->r;
	char why[128];

	if (ok || strcmp(err, "timed out") != 0) {
		reply_wait(vm, r, ok, err);
		free(sw);
		return;
	}
	/* the guest ignored the request */
	if (sw->force) {
		snprintf(why, sizeof(why), "destroyed after the guest ignored "
		    "shutdown for %d s", sw->seconds);
		vm_destroy(vm, why);
		vm_wait(vm, 1, DESTROY_TIMEOUT_MS, reply_wait, r);
		free(sw);
		return;
	}
	vm_shutdown_ignored(vm, sw->seconds);
	req_error(r, ERR_TIMEOUT, "VM '%s': the guest ignored the shutdown "
	    "request for %d s and is still running (--force destroys it "
	    "then)", vm->name, sw->seconds);
	free(sw);
}

/* guest-shutdown is written: the rest as after the power button */
static void
agent_shutdown_sent(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	struct shutdown_wait *sw = arg;

	(void)ret;
	if (class != NULL) {
		req_error(sw->r, strcmp(class, AGENT_ERR_TIMEOUT) == 0 ?
		    ERR_TIMEOUT : ERR_GENERIC, "guest agent: %s", desc);
		free(sw);
	} else if (sw->wait)
		vm_wait(sw->vm, 1, sw->seconds * 1000, shutdown_waited, sw);
	else {
		req_return(sw->r, NULL);
		free(sw);
	}
}

/* {"wait": SECONDS, "force": bool, "mode": "acpi" | "agent"} */
static void
d_shutdown(struct req *r, struct vm *vm)
{
	long long wait = 0;
	int rw = jint_range(r->args, "wait", 0, MAX_WAIT_S, &wait);
	const char *mode = req_str(r, "mode");
	char err[512];

	if (rw == -2) {
		req_error(r, ERR_GENERIC, "wait: must be a number of seconds "
		    "(0 to %d)", MAX_WAIT_S);
		return;
	}
	if (mode != NULL && strcmp(mode, "acpi") != 0 &&
	    strcmp(mode, "agent") != 0) {
		req_error(r, ERR_GENERIC, "mode: '%s' is not supported; the "
		    "modes are acpi and agent", mode);
		return;
	}
	if (req_bool(r, "force") && rw != 0) {
		req_error(r, ERR_GENERIC, "force: needs wait");
		return;
	}
	if (mode != NULL && strcmp(mode, "agent") == 0) {
		struct shutdown_wait *sw = xcalloc(1, sizeof(*sw));
		struct json_object *a = json_object_new_object();
		sw->r = r;
		sw->vm = vm;
		sw->wait = rw == 0;
		sw->seconds = (int)wait;
		sw->force = req_bool(r, "force");
		json_object_object_add(a, "mode",
		    json_object_new_string("powerdown"));
		if (agent_call(r->d, vm, "guest-shutdown", a, AGENT_TIMEOUT_MS,
		    1, agent_shutdown_sent, sw, err, sizeof(err)) == -1) {
			req_error(r, ERR_GENERIC, "%s", err);
			free(sw);
		}
		return;
	}
	if (vm_shutdown(vm, err, sizeof(err)) == -1) {
		req_error(r, vm->state != VM_RUNNING ? ERR_INVALID_STATE :
		    ERR_GENERIC, "%s", err);
		return;
	}
	if (rw == 0) {
		struct shutdown_wait *sw = xcalloc(1, sizeof(*sw));
		sw->r = r;
		sw->seconds = (int)wait;
		sw->force = req_bool(r, "force");
		vm_wait(vm, 1, (int)wait * 1000, shutdown_waited, sw);
		return;
	}
	req_return(r, NULL);
}

static void
d_destroy(struct req *r, struct vm *vm)
{
	if (!vm_active(vm)) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is not running",
		    vm->name);
		return;
	}
	vm_destroy(vm, "destroyed");
	vm_wait(vm, 1, DESTROY_TIMEOUT_MS, reply_wait, r);
}

static void
agent_reboot_sent(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	(void)ret;
	if (class != NULL)
		req_error(arg, ERR_GENERIC, "guest agent: %s", desc);
	else
		req_return(arg, NULL);
}

static void
d_reboot(struct req *r, struct vm *vm)
{
	const char *mode = req_str(r, "mode");
	char err[512];

	if (mode != NULL && strcmp(mode, "acpi") != 0 &&
	    strcmp(mode, "agent") != 0) {
		req_error(r, ERR_GENERIC, "mode: '%s' is not supported; the "
		    "modes are acpi and agent", mode);
		return;
	}
	if (vm->state != VM_RUNNING) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s; only a running "
		    "VM can reboot", vm->name, vm_state_name(vm->state));
		return;
	}
	if (mode != NULL && strcmp(mode, "agent") == 0) {
		/* the guest reboots itself: QEMU sees a reset */
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "mode", json_object_new_string("reboot"));
		if (agent_call(r->d, vm, "guest-shutdown", a, AGENT_TIMEOUT_MS,
		    1, agent_reboot_sent, r, err, sizeof(err)) == -1)
			req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	/* ACPI power button; the SHUTDOWN that follows becomes a reset */
	vm_reboot_requested(vm);
	cmd_qmp(r, vm, "system_powerdown", NULL, reply_qmp_ok);
}

static void
d_reset(struct req *r, struct vm *vm)
{
	cmd_qmp(r, vm, "system_reset", NULL, reply_qmp_ok);
}

/* A QMP command that only makes sense in one state. */
static void
qmp_cmd_in(struct req *r, struct vm *vm, enum vm_state want, const char *cmd)
{
	if (vm->state != want) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s, not %s",
		    vm->name, vm_state_name(vm->state), vm_state_name(want));
		return;
	}
	cmd_qmp(r, vm, cmd, NULL, reply_qmp_ok);
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

#define LIVE	(NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP)

const struct dcmd dcmds_life[] = {
	{ "start",	d_start,	NEEDS_VM },
	{ "shutdown",	d_shutdown,	LIVE },
	{ "destroy",	d_destroy,	NEEDS_VM },
	{ "reboot",	d_reboot,	LIVE },
	{ "reset",	d_reset,	LIVE },
	{ "suspend",	d_suspend,	LIVE },
	{ "resume",	d_resume,	LIVE },
	{ NULL, NULL, 0 }
};
