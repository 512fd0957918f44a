/*
 * The QMP side of a VM: the connection, the job that applies runtime
 * settings before the guest runs, the state machine driven by QEMU's
 * events, and the on_poweroff/on_reboot/on_crash policies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "cpupin.h"
#include "daemon.h"
#include "events.h"
#include "jget.h"
#include "job.h"
#include "log.h"
#include "names.h"
#include "qmp.h"
#include "util.h"
#include "vm.h"

#define QMP_CONNECT_MS		10000
#define QMP_CMD_MS		10000
#define START_JOB_MS		30000
#define REBOOT_LAPSE_S		120

struct qmp *
vm_qmp(const struct vm *vm)
{
	return vm->qmp != NULL && qmp_state(vm->qmp) == QMP_READY ?
	    vm->qmp : NULL;
}

int
vm_qmp_open(struct vm *vm)
{
	static const struct qmp_callbacks cbs = { vm_qmp_ready_cb,
	    vm_qmp_closed_cb };

	struct qmp_options o;

	/*
	 * Out of band on: migrate-pause and migrate-recover must reach a
	 * destination whose main loop waits for a page of a broken
	 * postcopy stream.
	 */
	qmp_options_default(&o);
	o.want_oob = 1;
	vm->qmp = qmp_new(vm->d->base, &o, &cbs, vm);
	if (vm->qmp == NULL)
		return -1;
	qmp_subscribe(vm->qmp, NULL, vm_qmp_event_cb, vm);
	return qmp_connect_unix(vm->qmp, vm->paths.qmp, QMP_CONNECT_MS);
}

const char *
vm_vnc_listen(const struct vm *vm, const struct vnc_conf *c)
{
	if (vm->vnc_host[0] != '\0')
		return vm->vnc_host;
	if (c->listen[0] != '\0')
		return c->listen;
	return vm->d->conf.vnc_listen[0] != '\0' ? vm->d->conf.vnc_listen :
	    VNC_LISTEN_DEFAULT;
}

/* query-vnc's answer: the port QEMU picked, and its address. */
static int
vnc_port_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct vm *vm = arg;
	const char *svc = jstr(ret, "service");
	const char *e;

	if (svc == NULL) {
		snprintf(err, errlen, "query-vnc gave no service port");
		return -1;
	}
	long long port = strtonum(svc, 1, 65535, &e);
	if (e != NULL) {
		snprintf(err, errlen, "query-vnc gave port '%s': %s", svc, e);
		return -1;
	}
	vm->vnc_port = (int)port;
	strlcpy(vm->vnc_host, jstr_or(ret, "host", ""), sizeof(vm->vnc_host));
	vm_write_runstate(vm);
	return 0;
}

/* Re-adopted: query-status tells where the guest stands. */
static int
status_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct vm *vm = arg;
	const char *s = jstr(ret, "status");

	if (s == NULL) {
		snprintf(err, errlen, "query-status gave no status");
		return -1;
	}
	if (strcmp(s, "running") == 0)
		vm_set_state(vm, VM_RUNNING, "re-adopted");
	else if (strcmp(s, "shutdown") == 0)
		vm_set_state(vm, VM_PAUSED, "guest shut down (preserved)");
	else if (strcmp(s, "guest-panicked") == 0)
		vm_set_state(vm, VM_PAUSED, "guest panicked (preserved)");
	else
		vm_set_state(vm, VM_PAUSED, "re-adopted");
	return 0;
}

static void
job_progress_event(void *arg, int step, int nsteps, const char *what)
{
	struct vm *vm = arg;
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "job", json_object_new_string("start"));
	json_object_object_add(d, "step", json_object_new_int(step));
	json_object_object_add(d, "steps", json_object_new_int(nsteps));
	json_object_object_add(d, "what", json_object_new_string(what));
	vm_emit(vm, EV_JOB_PROGRESS, d);
}

static void
start_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct vm *vm = arg;
	char r[VM_REASON_MAX];

	vm->job = NULL;
	if (ok) {
		if (vm->state == VM_STARTING)
			vm_set_state(vm, vm->paused_start ? VM_PAUSED :
			    VM_RUNNING, vm->paused_start ? "started paused" :
			    "booted");
		return;
	}
	snprintf(r, sizeof(r), "start failed: %s%s%s", qemu ? class : "",
	    qemu ? ": " : "", desc);
	log_warnx("%s: %s", vm->name, r);
	vm_set_state(vm, vm->state, r);
	vm_destroy(vm, r);
}

static void
adopt_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct vm *vm = arg;

	(void)class;
	(void)qemu;
	vm->job = NULL;
	if (!ok)
		log_warnx("%s: after re-adoption: %s", vm->name, desc);
}

void
vm_qmp_ready_cb(void *arg, struct qmp *q)
{
	struct vm *vm = arg;
	struct vnc_conf vnc;

	/* a socket in qemu/ could be anything its owner put there */
	pid_t peer = socket_peer_pid(qmp_fd(q));
	if (peer != vm->pid) {
		log_warnx("%s: the QMP socket answers for pid %ld, not QEMU's "
		    "pid %ld; stopping the VM", vm->name, (long)peer,
		    (long)vm->pid);
		qmp_free(vm->qmp);
		vm->qmp = NULL;
		vm_destroy(vm, "the QMP socket did not belong to QEMU");
		return;
	}
	qmp_version(q, &vm->qemu_major, &vm->qemu_minor, &vm->qemu_micro);
	int have_vnc = vmdef_vnc(vm->def, &vnc) == 0;
	if (vm->state != VM_STARTING) {
		/* re-adopted, or reconnected: ask where it stands */
		vm->job = job_new(vm->d->base, q, "re-adoption", START_JOB_MS,
		    adopt_done, vm);
		job_step(vm->job, "query-status", NULL, status_check, vm);
		if (have_vnc)
			job_step(vm->job, "query-vnc", NULL, vnc_port_check, vm);
		job_start(vm->job);
		return;
	}
	/*
	 * Start: the devices' runtime settings, the VNC port, then cont (or
	 * stay paused).  Each reply is checked; a failure stops the VM.
	 */
	struct job *j = job_new(vm->d->base, q, "start", START_JOB_MS,
	    start_done, vm);
	struct json_object *cmds = vmdef_runtime_qmp(vm->def);
	job_steps_from(j, cmds);
	json_object_put(cmds);
	cpupin_start_step(j, vm);
	if (have_vnc)
		job_step(j, "query-vnc", NULL, vnc_port_check, vm);
	if (!vm->paused_start)
		job_step(j, "cont", NULL, NULL, NULL);
	job_progress(j, job_progress_event, vm);
	vm->job = j;
	job_start(j);
}

static void
reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;

	(void)fd;
	(void)what;
	if (vm_active(vm) && vm->qmp == NULL && vm_qmp_open(vm) == -1)
		log_warnx("%s: cannot reconnect to QMP", vm->name);
}

void
vm_qmp_closed_cb(void *arg, struct qmp *q, const char *reason)
{
	struct vm *vm = arg;

	(void)q;
	if (vm->job != NULL)
		job_abandon(vm->job);
	vm->job = NULL;
	vm_jobs_lost(vm, reason);
	/* freed from here is safe; the pidfd tells whether QEMU is gone */
	qmp_free(vm->qmp);
	vm->qmp = NULL;
	if (!vm_active(vm) || vm->expect_exit)
		return;
	log_warnx("%s: QMP connection lost (%s); reconnecting", vm->name,
	    reason);
	struct timeval tv = { 0, 500000 };
	if (vm->reconnev == NULL)
		vm->reconnev = evtimer_new(vm->d->base, reconnect_cb, vm);
	evtimer_add(vm->reconnev, &tv);
}

/* A reply nobody waits for, checked all the same. */
static void
logged_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct vm *vm = arg;

	(void)ret;
	if (err != NULL)
		log_warnx("%s: QMP: %s: %s", vm->name, err->class, err->desc);
}

static void
reset_and_cont(struct vm *vm)
{
	qmp_execute(vm->qmp, "system_reset", NULL, QMP_CMD_MS, logged_reply,
	    vm);
	qmp_execute(vm->qmp, "cont", NULL, QMP_CMD_MS, logged_reply, vm);
}

static void
quit_now(struct vm *vm, enum vm_state s, const char *reason)
{
	vm_set_state(vm, s, reason);
	vm_destroy(vm, reason);
}

int
vm_shutdown(struct vm *vm, char *err, size_t errlen)
{
	if (vm->state != VM_RUNNING && vm->state != VM_SHUTDOWN) {
		snprintf(err, errlen, "VM '%s' is %s; only a running VM can be "
		    "shut down", vm->name, vm_state_name(vm->state));
		return -1;
	}
	if (vm_qmp(vm) == NULL || qmp_execute(vm->qmp, "system_powerdown",
	    NULL, QMP_CMD_MS, logged_reply, vm) == -1) {
		snprintf(err, errlen, "VM '%s': QMP is not connected", vm->name);
		return -1;
	}
	vm->shutdown_req = 1;
	vm->reboot_req = 0;
	vm_set_state(vm, VM_SHUTDOWN, "shutdown requested");
	return 0;
}

void
vm_shutdown_ignored(struct vm *vm, int seconds)
{
	char r[128];

	if (!vm->shutdown_req || vm->state != VM_SHUTDOWN)
		return;
	vm->shutdown_req = 0;
	snprintf(r, sizeof(r), "the guest ignored a shutdown request for %d s",
	    seconds);
	vm_set_state(vm, VM_RUNNING, r);
}

void
vm_reboot_requested(struct vm *vm)
{
	vm->reboot_req = time(NULL);
}

/*
 * The guest rebooted or powered off in its install phase: the install is
 * over, as when virt-install's install configuration ends.  A reboot
 * (or a restart on_poweroff) starts a new QEMU from the definition
 * without the install, booting from the disks; 1 when that was decided,
 * 0 when the poweroff's policy still applies.  A destroy or a crash
 * keeps the install phase: the next start installs again.
 */
static int
install_over(struct vm *vm, int reboot)
{
	char err[512];

	if (vm_end_install(vm, err, sizeof(err)) == -1)
		log_warnx("%s: the install is over, but %s", vm->name, err);
	else
		log_info("%s: the install is over (the guest %s)", vm->name,
		    reboot ? "rebooted" : "powered off");
	if (!reboot && (vm->shutdown_req ||
	    vm->def->on_poweroff != POLICY_RESTART))
		return 0;
	vm->restart_on_exit = 1;
	quit_now(vm, VM_SHUTDOWN, "install finished; restarting from the "
	    "disks");
	return 1;
}

static void
on_shutdown_event(struct vm *vm, struct json_object *data)
{
	const char *reason = jstr(data, "reason");

	if (reason == NULL)
		reason = "unknown";
	if (strncmp(reason, "host-", 5) == 0) {
		/* quit over QMP or a signal to QEMU: asked for, not a crash */
		if (!vm->expect_exit) {
			const char *r = strcmp(reason, "host-qmp-quit") == 0 ?
			    "quit over QMP" : "QEMU got a signal to stop";
			vm->expect_exit = 1;
			vm_set_stop_reason(vm, r);
			vm_set_state(vm, VM_SHUTDOWN, r);
		}
		return;
	}
	/* a reboot asked for recently; an old one the guest ignored lapses */
	if (vm->reboot_req && time(NULL) - vm->reboot_req > REBOOT_LAPSE_S)
		vm->reboot_req = 0;
	if (vm->def->install.kind != INSTALL_NONE &&
	    strcmp(reason, "guest-panic") != 0 &&
	    install_over(vm, strcmp(reason, "guest-reset") == 0 ||
	    (vm->reboot_req && !vm->shutdown_req)))
		return;
	if (vm->shutdown_req) {
		quit_now(vm, VM_SHUTDOWN, "shutdown");
		return;
	}
	if (vm->reboot_req) {
		vm->reboot_req = 0;
		vm_set_state(vm, VM_SHUTDOWN, "rebooting");
		reset_and_cont(vm);
		return;
	}
	if (strcmp(reason, "guest-reset") == 0) {
		/* only with on_reboot destroy or preserve (-action reboot=shutdown) */
		if (vm->def->on_reboot == POLICY_PRESERVE)
			vm_set_state(vm, VM_PAUSED, "guest rebooted (preserved)");
		else
			quit_now(vm, VM_SHUTDOWN, "guest rebooted");
		return;
	}
	if (strcmp(reason, "guest-panic") == 0)
		return;		/* GUEST_PANICKED decides */
	/* the guest powered off */
	switch (vm->def->on_poweroff) {
	case POLICY_RESTART:
		vm_set_state(vm, VM_SHUTDOWN, "restarting after poweroff");
		reset_and_cont(vm);
		break;
	case POLICY_PRESERVE:
		vm_set_state(vm, VM_PAUSED, "guest powered off (preserved)");
		break;
	default:
		quit_now(vm, VM_SHUTDOWN, "guest powered off");
		break;
	}
}

static void
on_panic(struct vm *vm)
{
	enum policy p = vm->def->on_crash;

	if (p == POLICY_RESTART && !vm_crash_budget(vm)) {
		log_warnx("%s: on_crash restart gave up", vm->name);
		p = POLICY_DESTROY;
	}
	switch (p) {
	case POLICY_RESTART:
		vm_set_state(vm, VM_SHUTDOWN, "restarting after a guest panic");
		reset_and_cont(vm);
		break;
	case POLICY_PRESERVE:
		vm_set_state(vm, VM_PAUSED, "guest panicked (preserved)");
		break;
	default:
		free(vm->crash_log);
		vm->crash_log = vm_console_tail(vm, 10);
		vm_set_state(vm, VM_CRASHED, "guest panicked");
		vm_destroy(vm, "guest panicked");
		break;
	}
}

void
vm_qmp_event_cb(void *arg, const char *name, struct json_object *msg)
{
	struct vm *vm = arg;
	struct json_object *data = jget(msg, "data");

	log_debug("%s: QMP event %s", vm->name, name);
	/*
	 * Every QMP event reaches subscribers, with the VM's name: a copy,
	 * since the library's message is only lent to us.
	 */
	struct json_object *m = NULL;
	if (json_object_deep_copy(msg, &m, NULL) == 0) {
		json_object_object_add(m, "vm", json_object_new_string(vm->name));
		struct vm_event ev = { VMEV_MESSAGE, vm, name, m };
		events_fire(vm->d, &ev);
		json_object_put(m);
	}

	if (strcmp(name, "STOP") == 0) {
		if (vm->state == VM_RUNNING)
			vm_set_state(vm, VM_PAUSED, "paused");
	} else if (strcmp(name, "RESUME") == 0) {
		if (vm->state == VM_PAUSED || vm->state == VM_STARTING ||
		    (vm->state == VM_SHUTDOWN && !vm->expect_exit &&
		    !vm->shutdown_req))
			vm_set_state(vm, VM_RUNNING, vm->state == VM_STARTING ?
			    "booted" : vm->state == VM_SHUTDOWN ? "rebooted" :
			    "resumed");
	} else if (strcmp(name, "SHUTDOWN") == 0)
		on_shutdown_event(vm, data);
	else if (strcmp(name, "GUEST_PANICKED") == 0)
		on_panic(vm);
	else if (strcmp(name, "MIGRATION") == 0)
		strlcpy(vm->mig_status, jstr_or(data, "status", ""),
		    sizeof(vm->mig_status));
}
