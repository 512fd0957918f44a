/*
 * A VM's life around its QEMU process: start, what its exit means (the
 * on_crash policy and its restarts), and re-adoption of a QEMU an earlier
 * supervisor started: by pid and its /proc start time, never a bare pid.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "jget.h"
#include "log.h"
#include "memhost.h"
#include "proc.h"
#include "util.h"
#include "vm.h"
#include "vm-argv.h"

static void	crash_policy(struct vm *, const char *why);

/* The install phase ended with QEMU: the VM starts again without it. */
static void
restart_after_install(struct vm *vm)
{
	char err[VM_REASON_MAX];

	log_info("%s: starting again after the install", vm->name);
	if (vm_start(vm, 0, err, sizeof(err)) == -1) {
		log_warnx("%s: restart after the install failed: %s",
		    vm->name, err);
		vm_set_state(vm, VM_SHUTOFF, err);
	}
}

/*
 * QEMU names a disk that it refused by its node ("fmt-vda"); the user
 * knows it by its file: add which disk and file that is.
 */
static void
name_the_disk(struct vm *vm, char *qerr, size_t len)
{
	static const char *const marks[] = { "\"node-name\":\"fmt-",
	    "\"node-name\":\"file-" };
	struct vmdef_disk k;
	char target[16];
	size_t i;

	for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
		const char *p = strstr(qerr, marks[m]);
		if (p == NULL)
			continue;
		p += strlen(marks[m]);
		size_t n = strcspn(p, "\"");
		if (n == 0 || n >= sizeof(target))
			continue;
		memcpy(target, p, n);
		target[n] = '\0';
		if (vmdef_disk_find(vm->def, target, &i) == -1 ||
		    vmdef_disk_get(vm->def, i, &k) == -1 || k.path == NULL)
			continue;
		size_t l = strlen(qerr);
		snprintf(qerr + l, len - l, " (disk %s: %s)", target, k.path);
		return;
	}
}


static void
vm_exited(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;
	siginfo_t si;
	char why[160], qerr[VM_REASON_MAX];

	(void)fd;
	(void)what;
	memset(&si, 0, sizeof(si));
	vm->exit_code = vm->exit_signal = -1;
	if (waitid(P_PIDFD, (id_t)vm->pidfd, &si, WEXITED | WNOHANG) == 0 &&
	    si.si_pid != 0) {
		if (si.si_code == CLD_EXITED) {
			vm->exit_code = si.si_status;
			snprintf(why, sizeof(why), "QEMU exited with status %d",
			    si.si_status);
		} else {
			vm->exit_signal = si.si_status;
			snprintf(why, sizeof(why), "QEMU killed by signal %d (%s)",
			    si.si_status, strsignal(si.si_status));
		}
	} else
		snprintf(why, sizeof(why), "QEMU exited");	/* adopted */

	enum vm_state was = vm->state;
	int expected = vm->expect_exit;
	int restart = vm->restart_on_exit;
	vm_qemu_last_error(vm, qerr, sizeof(qerr));
	vm_cleanup_process(vm);
	if (vm->next_def != NULL) {
		vmdef_free(vm->def);
		vm->def = vm->next_def;
		vm->next_def = NULL;
	}
	vm->expect_exit = 0;
	vm->shutdown_req = 0;
	vm->reboot_req = 0;
	vm->restart_on_exit = 0;

	if (expected) {
		char r[VM_REASON_MAX];
		strlcpy(r, vm->stop_reason != NULL ? vm->stop_reason :
		    "destroyed", sizeof(r));
		vm_set_stop_reason(vm, NULL);
		vm_set_state(vm, was == VM_CRASHED ? VM_CRASHED : VM_SHUTOFF, r);
		if (restart)
			restart_after_install(vm);
		return;
	}
	if (was == VM_STARTING) {
		name_the_disk(vm, qerr, sizeof(qerr));
		vm_set_state(vm, VM_SHUTOFF, qerr[0] ? qerr : why);
		return;
	}
	vm_crashed(vm, why);
	if (qerr[0])
		log_warnx("%s: %s: %s", vm->name, why, qerr);
}

void
vm_crashed(struct vm *vm, const char *why)
{
	free(vm->crash_log);
	vm->crash_log = vm_console_tail(vm, 10);
	log_warnx("%s: %s", vm->name, why);
	crash_policy(vm, why);
}

static void
crash_policy(struct vm *vm, const char *why)
{
	char err[VM_REASON_MAX];

	if (vm->def->on_crash != POLICY_RESTART) {
		vm_set_state(vm, VM_CRASHED, why);
		return;
	}
	if (!vm_crash_budget(vm)) {
		char r[VM_REASON_MAX];
		snprintf(r, sizeof(r), "%s; on_crash restart gave up after "
		    "%d restarts in %d s", why, CRASH_MAX_RESTARTS,
		    CRASH_WINDOW_S);
		vm_set_state(vm, VM_CRASHED, r);
		return;
	}
	vm_set_state(vm, VM_CRASHED, why);
	log_info("%s: on_crash restart", vm->name);
	if (vm_start(vm, 0, err, sizeof(err)) == -1)
		log_warnx("%s: restart failed: %s", vm->name, err);
}

static int
start(struct vm *vm, int paused, int flags, char *err, size_t errlen)
{
	struct daemon *d = vm->d;
	struct argv a;

	if (vm_active(vm)) {
		snprintf(err, errlen, "VM '%s' is already %s", vm->name,
		    vm_state_name(vm->state));
		return -1;
	}
	if (vm->paths.qmp[0] == '\0' && vmpaths_init(&vm->paths, d->runroot,
	    vm->name, err, errlen) == -1)
		return -1;
	if (vm_check_file("kernel", vm->def->kernel, err, errlen) == -1 ||
	    vm_check_file("initrd", vm->def->initrd, err, errlen) == -1 ||
	    vm_check_file("install kernel", vm->def->install.kernel, err,
	    errlen) == -1 ||
	    vm_check_file("install initrd", vm->def->install.initrd, err,
	    errlen) == -1 ||
	    memhost_check(vm->def, "", err, errlen) == -1)
		return -1;
	const char *emu = vm->def->emulator ? vm->def->emulator : d->qemu;
	if (access(emu, X_OK) == -1) {
		snprintf(err, errlen, "emulator: cannot execute %s: %s", emu,
		    strerror(errno));
		return -1;
	}
	vm->accel = vm_resolve_accel(vm->def->accel);
	/* the id first: the taps are named by it */
	vm->id = ++d->next_id;
	struct nicfds fds;
	if (nics_open(vm, &fds, err, errlen) == -1) {
		vm->id = 0;
		return -1;
	}
	if (vm_argv(d, vm->def, &vm->paths, vm->accel, flags, NULL, &a, err,
	    errlen) == -1) {
		nicfds_close(&fds);
		nics_forget(vm, NULL);
		vm->id = 0;
		return -1;
	}
	pid_t pid = vm_spawn(vm, &a, &fds, err, errlen);
	/* QEMU holds the taps now: they go when it does */
	nicfds_close(&fds);
	if (pid == -1) {
		nics_forget(vm, NULL);
		vm->id = 0;
		argv_free(&a);
		return -1;
	}
	strlcpy(vm->emulator, a.v[0], sizeof(vm->emulator));
	argv_free(&a);
	vm->pid = pid;
	vm->pstart = proc_starttime(pid);
	vm->started = time(NULL);
	vm->paused_start = paused;
	if (vm_watch_pid(vm, vm_exited) == -1) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		vm->pid = 0;
		vm->id = 0;
		nics_forget(vm, NULL);
		return -1;
	}
	vm_process_started(vm);
	vm_write_runstate(vm);
	vm_set_state(vm, VM_STARTING, "booting");
	if (vm_qmp_open(vm) == -1) {
		snprintf(err, errlen, "cannot connect to %s", vm->paths.qmp);
		vm_destroy(vm, "cannot connect to QMP");
		return -1;
	}
	return 0;
}

int
vm_start(struct vm *vm, int paused, char *err, size_t errlen)
{
	return start(vm, paused, 0, err, errlen);
}

int
vm_start_incoming(struct vm *vm, struct vmdef *run, char *err, size_t errlen)
{
	if (vm_active(vm)) {
		snprintf(err, errlen, "VM '%s' is already %s", vm->name,
		    vm_state_name(vm->state));
		vmdef_free(run);
		return -1;
	}
	/* what runs until QEMU exits; the stored definition stays */
	if (run != NULL)
		vm_set_live_def(vm, run);
	if (start(vm, 1, CMDLINE_INCOMING, err, errlen) == 0)
		return 0;
	if (run != NULL) {
		vmdef_free(vm->def);
		vm->def = vm->next_def;
		vm->next_def = NULL;
	}
	return -1;
}

int
vm_adopt(struct vm *vm)
{
	char *text = read_file(vm->paths.state, NULL);
	struct json_object *o, *v;

	if (text == NULL)
		return -1;
	o = json_tokener_parse(text);
	free(text);
	if (o == NULL)
		return -1;
	pid_t pid = (pid_t)jint(o, "pid", 0);
	unsigned long long ps = (v = jget(o, "pstart")) != NULL ?
	    json_object_get_uint64(v) : 0;
	const char *s;
	if ((s = jstr(o, "accel")) != NULL)
		vm->accel = strcmp(s, "kvm") == 0 ? ACCEL_KVM : ACCEL_TCG;
	vm->started = (time_t)jint(o, "started", 0);
	int hotplugged = jbool(o, "hotplugged");
	/* the taps it has, by NIC id */
	nics_forget(vm, NULL);
	if ((v = jget(o, "taps")) != NULL &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, nid, tap)
			if (json_object_is_type(tap, json_type_string))
				nics_remember(vm, nid,
				    json_object_get_string(tap));
	}
	if ((s = jstr(o, "emulator")) != NULL)
		strlcpy(vm->emulator, s, sizeof(vm->emulator));
	/* what runs, when it differs from what is stored */
	struct vmdef *live = NULL;
	char why[512];
	if ((s = jstr(o, "live")) != NULL &&
	    (live = vmdef_parse(s, vm->paths.state, why, sizeof(why))) == NULL)
		log_warnx("%s: the running definition: %s", vm->name, why);
	struct vmdef *runs = live != NULL ? live : vm->def;
	/* the node names of disks under external snapshots' overlays */
	if ((v = jget(o, "overlays")) != NULL &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, target, gen) {
			size_t i;
			if (vmdef_disk_find(runs, target, &i) == 0 &&
			    json_object_is_type(gen, json_type_int))
				vmdef_disk_set_overlays(runs, i,
				    (unsigned)json_object_get_int(gen));
		}
	}
	json_object_put(o);
	/* the pid must still be the QEMU we started, not a reused pid */
	if (pid <= 0 || ps == 0 || proc_starttime(pid) != ps ||
	    access(vm->paths.qmp, F_OK) == -1) {
		vmdef_free(live);
		unlink(vm->paths.state);
		return -1;
	}
	if (live != NULL) {
		/* what is stored stays the next start's */
		vmdef_free(vm->next_def);
		vm->next_def = vm->def;
		vm->def = live;
	}
	vm->pid = pid;
	vm->pstart = ps;
	if (vm_watch_pid(vm, vm_exited) == -1) {
		vm->pid = 0;
		return -1;
	}
	vm_process_started(vm);
	vm->hotplugged = hotplugged;
	vm_set_state(vm, VM_PAUSED, "re-adopting");
	if (vm_qmp_open(vm) == -1)
		log_warnx("%s: cannot connect to QMP", vm->name);
	log_info("%s: re-adopted QEMU pid %ld", vm->name, (long)pid);
	return 0;
}
