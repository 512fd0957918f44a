/*
 * One VM's life in the supervisor: spawning QEMU, watching it through a
 * pidfd, the QMP connection, the state machine driven by QMP events and
 * process exit, the on_poweroff/on_reboot/on_crash policies, and
 * re-adoption of a QEMU a previous supervisor started.
 */
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "log.h"
#include "qlaunchd.h"
#include "qmp.h"
#include "util.h"

#define QMP_CONNECT_MS		10000
#define QMP_CMD_MS		10000
#define CRASH_WINDOW_S		60
#define CRASH_MAX_RESTARTS	5
#define KILL_TERM_MS		3000
#define KILL_KILL_MS		6000

static void	vm_qmp_ready(void *, struct qmp *);
static void	vm_qmp_closed(void *, struct qmp *, const char *);
static void	vm_on_event(void *, const char *, struct json_object *);

static void
kill_timer_release(struct vm *vm)
{
	if (vm->killev != NULL)
		event_free(vm->killev);
	vm->killev = NULL;
	vm->kill_stage = 0;
	if (vm->reconnev != NULL)
		event_free(vm->reconnev);
	vm->reconnev = NULL;
}

const char *
vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_SHUTOFF:	return "shut off";
	case VM_STARTING:	return "starting";
	case VM_RUNNING:	return "running";
	case VM_PAUSED:		return "paused";
	case VM_SHUTDOWN:	return "shutting down";
	case VM_CRASHED:	return "crashed";
	}
	return "unknown";
}

int
vm_active(const struct vm *vm)
{
	return vm->pid > 0;
}

struct vm *
vm_find(const char *name)
{
	struct vm *vm;

	TAILQ_FOREACH(vm, &D->vms, entry)
		if (strcmp(vm->name, name) == 0)
			return vm;
	return NULL;
}

struct vm *
vm_add(struct vmdef *def)
{
	struct vm *vm = xcalloc(1, sizeof(*vm));
	char err[256];

	strlcpy(vm->name, def->name, sizeof(vm->name));
	vm->def = def;
	vm->pidfd = -1;
	vm->exit_code = vm->exit_signal = -1;
	vm->qemu_major = vm->qemu_minor = vm->qemu_micro = -1;
	vm->state = VM_SHUTOFF;
	strlcpy(vm->reason, "defined", sizeof(vm->reason));
	TAILQ_INIT(&vm->waiters);
	if (vmpaths_init(&vm->paths, D->runroot, vm->name, err,
	    sizeof(err)) == -1)
		log_warnx("%s: %s", vm->name, err);
	TAILQ_INSERT_TAIL(&D->vms, vm, entry);
	return vm;
}

void
vm_remove(struct vm *vm)
{
	struct waiter *w;

	while ((w = TAILQ_FIRST(&vm->waiters)) != NULL) {
		TAILQ_REMOVE(&vm->waiters, w, entry);
		event_free(w->timer);
		w->cb(vm, w->arg, 0, "the VM was removed");
		free(w);
	}
	/* detach from a live QEMU without stopping it */
	if (vm->qmp != NULL)
		qmp_free(vm->qmp);
	vm->qmp = NULL;
	if (vm->pidev != NULL)
		event_free(vm->pidev);
	if (vm->pidfd != -1)
		close(vm->pidfd);
	console_close_vm(vm);
	TAILQ_REMOVE(&D->vms, vm, entry);
	kill_timer_release(vm);
	vmdef_free(vm->def);
	vmdef_free(vm->next_def);
	free(vm->crash_log);
	free(vm);
}

struct vmdef *
vm_persistent(struct vm *vm)
{
	return vm->next_def != NULL ? vm->next_def : vm->def;
}

void
vm_redefine(struct vm *vm, struct vmdef *d)
{
	if (vm_active(vm)) {
		/* the running QEMU keeps what it was started with */
		vmdef_free(vm->next_def);
		vm->next_def = d;
		return;
	}
	vmdef_free(vm->def);
	vmdef_free(vm->next_def);
	vm->next_def = NULL;
	vm->def = d;
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
uid_is_admin(uid_t uid)
{
	return uid == 0 || uid == D->uid;
}

int
vm_may_use(const struct vm *vm, uid_t uid)
{
	uid_t owner;

	return uid_is_admin(uid) ||
	    (vm_owner_uid(vm, &owner) == 0 && owner == uid);
}

/* ---- events to clients ---- */

void
vm_emit(struct vm *vm, const char *event, struct json_object *data)
{
	struct json_object *m = json_object_new_object();
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(m, "event", json_object_new_string(event));
	json_object_object_add(m, "vm", json_object_new_string(vm->name));
	json_object_object_add(m, "data", data != NULL ? data :
	    json_object_new_object());
	struct json_object *t = json_object_new_object();
	json_object_object_add(t, "seconds", json_object_new_int64(ts.tv_sec));
	json_object_object_add(t, "microseconds",
	    json_object_new_int64(ts.tv_nsec / 1000));
	json_object_object_add(m, "timestamp", t);
	control_broadcast(vm->name, m);
	json_object_put(m);
}

static void
wake_waiters(struct vm *vm)
{
	struct waiter *w, *t;
	int off = vm->state == VM_SHUTOFF || vm->state == VM_CRASHED;
	int up = vm->state == VM_RUNNING || vm->state == VM_PAUSED ||
	    vm->state == VM_SHUTDOWN;

	TAILQ_FOREACH_SAFE(w, &vm->waiters, entry, t) {
		int done = 0, ok = 0;
		if (w->want_off && off)
			done = ok = 1;
		else if (!w->want_off && up)
			done = ok = 1;
		else if (!w->want_off && off)
			done = 1;
		if (!done)
			continue;
		TAILQ_REMOVE(&vm->waiters, w, entry);
		event_free(w->timer);
		w->cb(vm, w->arg, ok, ok ? NULL : vm->reason);
		free(w);
	}
}

void
vm_set_state(struct vm *vm, enum vm_state s, const char *reason)
{
	int changed = vm->state != s || strcmp(vm->reason, reason) != 0;

	vm->state = s;
	strlcpy(vm->reason, reason, sizeof(vm->reason));
	if (changed) {
		log_info("%s: %s (%s)", vm->name, vm_state_name(s), reason);
		struct json_object *d = json_object_new_object();
		json_object_object_add(d, "state",
		    json_object_new_string(vm_state_name(s)));
		json_object_object_add(d, "reason", json_object_new_string(reason));
		vm_emit(vm, "VM_STATE", d);
	}
	wake_waiters(vm);
}

static void
waiter_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w = arg;
	struct vm *vm = w->vm;

	(void)fd;
	(void)what;
	TAILQ_REMOVE(&vm->waiters, w, entry);
	event_free(w->timer);
	w->cb(vm, w->arg, 0, "timed out");
	free(w);
}

void
vm_wait(struct vm *vm, int want_off, int timeout_ms, vm_wait_cb cb, void *arg)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->vm = vm;
	w->want_off = want_off;
	w->cb = cb;
	w->arg = arg;
	w->timer = evtimer_new(D->base, waiter_timeout, w);
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };
		evtimer_add(w->timer, &tv);
	}
	TAILQ_INSERT_TAIL(&vm->waiters, w, entry);
	wake_waiters(vm);
}

/* ---- definitions on disk ---- */

int
vm_save_def(const struct vmdef *def, char *err, size_t errlen)
{
	char path[PATH_MAX];
	char *text = vmdef_text(def);

	snprintf(path, sizeof(path), "%s/%s.conf", D->defdir, def->name);
	int r = write_file_atomic(path, text, strlen(text), 0600);
	if (r == -1)
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
	free(text);
	return r;
}

int
vm_load_all(void)
{
	DIR *d = opendir(D->defdir);
	struct dirent *de;
	int n = 0;

	if (d == NULL) {
		log_warn("%s", D->defdir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		char path[PATH_MAX], err[512];
		snprintf(path, sizeof(path), "%s/%s", D->defdir, de->d_name);
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
		vm_add(def);
		n++;
	}
	closedir(d);
	return n;
}

/* ---- the process ---- */

enum accel
vm_resolve_accel(enum accel a)
{
	if (a != ACCEL_AUTO)
		return a;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd == -1)
		return ACCEL_TCG;
	close(fd);
	return ACCEL_KVM;
}

/*
 * n consecutive numeric fields of /proc/PID/stat from field number first
 * (man 5 proc counts from 1); 0, or -1 when the process is gone.
 */
static int
proc_stat(pid_t pid, int first, unsigned long long *v, int n)
{
	char path[64], buf[1024];
	int fd;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* the command name (field 2) may hold spaces and ')' */
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] == '\0')
		return -1;
	p += 2;		/* field 3 */
	for (int f = 3; f < first; f++) {
		if ((p = strchr(p, ' ')) == NULL)
			return -1;
		p++;
	}
	for (int i = 0; i < n; i++)
		v[i] = strtoull(p, &p, 10);
	return 0;
}

static unsigned long long
proc_starttime(pid_t pid)
{
	unsigned long long t;

	return proc_stat(pid, 22, &t, 1) == 0 ? t : 0;
}

static void
write_runstate(struct vm *vm)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int64(vm->pid));
	json_object_object_add(o, "pstart", json_object_new_uint64(vm->pstart));
	json_object_object_add(o, "accel",
	    json_object_new_string(accel_name(vm->accel)));
	json_object_object_add(o, "started", json_object_new_int64(vm->started));
	json_object_object_add(o, "emulator",
	    json_object_new_string(vm->emulator));
	json_object_object_add(o, "vnc_port", json_object_new_int(vm->vnc_port));
	const char *s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN);
	if (write_file_replace(vm->paths.state, s, strlen(s), 0600) == -1)
		log_warn("%s: %s", vm->name, vm->paths.state);
	json_object_put(o);
}

/* The last non-empty line of QEMU's stderr: why it refused to start. */
static void
qemu_last_error(struct vm *vm, char *buf, size_t len)
{
	size_t n;
	char *log = read_tail_untrusted(vm->paths.qemulog, 4096, &n);

	buf[0] = '\0';
	if (log == NULL)
		return;
	char *end = log + strlen(log);
	while (end > log && (end[-1] == '\n' || end[-1] == '\r' ||
	    end[-1] == ' '))
		*--end = '\0';
	char *line = strrchr(log, '\n');
	strlcpy(buf, line != NULL ? line + 1 : log, len);
	free(log);
}

char *
vm_console_log(struct vm *vm, size_t max, size_t *lenp)
{
	size_t len;
	char *log = read_tail_untrusted(vm->paths.log, max, &len);

	if (log == NULL)
		return NULL;
	if (lenp != NULL)
		*lenp = len;
	return log;
}

static char *
console_tail(struct vm *vm, int lines)
{
	size_t len;
	char *log = vm_console_log(vm, 64 * 1024, &len);

	if (log == NULL)
		return NULL;
	char *p = log + len;
	int n = 0;
	while (p > log) {
		if (p[-1] == '\n' && p != log + len && ++n > lines)
			break;
		p--;
	}
	char *tail = xstrdup(p);
	free(log);
	return tail;
}

static void
vm_cleanup_process(struct vm *vm)
{
	if (vm->qmp != NULL) {
		qmp_free(vm->qmp);
		vm->qmp = NULL;
	}
	if (vm->pidev != NULL) {
		event_free(vm->pidev);
		vm->pidev = NULL;
	}
	if (vm->pidfd != -1) {
		close(vm->pidfd);
		vm->pidfd = -1;
	}
	kill_timer_release(vm);
	console_close_vm(vm);
	vm->pid = 0;
	vm->vnc_port = 0;
	unlink(vm->paths.qmp);
	unlink(vm->paths.console);
	unlink(vm->paths.pid);
	unlink(vm->paths.state);
}

static void vm_crash_policy(struct vm *, const char *why);

static void
vm_exited(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;
	siginfo_t si;
	char why[160], qerr[512];

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
	qemu_last_error(vm, qerr, sizeof(qerr));
	vm_cleanup_process(vm);
	if (vm->next_def != NULL) {
		vmdef_free(vm->def);
		vm->def = vm->next_def;
		vm->next_def = NULL;
	}
	vm->expect_exit = 0;
	vm->shutdown_req = 0;
	vm->reboot_req = 0;

	if (expected) {
		char r[sizeof(vm->reason)];
		strlcpy(r, was == VM_SHUTDOWN || was == VM_CRASHED ?
		    vm->reason : "destroyed", sizeof(r));
		vm_set_state(vm, was == VM_CRASHED ? VM_CRASHED : VM_SHUTOFF, r);
		return;
	}
	if (was == VM_STARTING) {
		char r[sizeof(vm->reason)];
		snprintf(r, sizeof(r), "%s", qerr[0] ? qerr : why);
		vm_set_state(vm, VM_SHUTOFF, r);
		return;
	}
	free(vm->crash_log);
	vm->crash_log = console_tail(vm, 10);
	log_warnx("%s: %s%s%s", vm->name, why, qerr[0] ? ": " : "", qerr);
	vm_crash_policy(vm, why);
}

/* One more crash restart allowed?  At most 5 in any 60 s window. */
static int
crash_budget(struct vm *vm)
{
	time_t now = time(NULL);

	if (now - vm->crash_window > CRASH_WINDOW_S) {
		vm->crash_window = now;
		vm->crashes = 0;
	}
	return ++vm->crashes <= CRASH_MAX_RESTARTS;
}

static void
vm_crash_policy(struct vm *vm, const char *why)
{
	char err[256];

	if (vm->def->on_crash != POLICY_RESTART) {
		vm_set_state(vm, VM_CRASHED, why);
		return;
	}
	if (!crash_budget(vm)) {
		char r[sizeof(vm->reason)];
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

static void
kill_step(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;

	(void)fd;
	(void)what;
	if (vm->pidfd == -1)
		return;
	if (vm->kill_stage == 0) {
		log_info("%s: QEMU did not quit; SIGTERM", vm->name);
		pidfd_send_signal(vm->pidfd, SIGTERM, NULL, 0);
		vm->kill_stage = 1;
		struct timeval tv = { (KILL_KILL_MS - KILL_TERM_MS) / 1000, 0 };
		evtimer_add(vm->killev, &tv);
	} else {
		log_info("%s: QEMU ignored SIGTERM; SIGKILL", vm->name);
		pidfd_send_signal(vm->pidfd, SIGKILL, NULL, 0);
	}
}

/* quit, then SIGTERM, then SIGKILL */
void
vm_destroy(struct vm *vm)
{
	if (!vm_active(vm))
		return;
	vm->expect_exit = 1;
	if (vm->qmp != NULL)
		qmp_execute(vm->qmp, "quit", NULL, 2000, NULL, NULL);
	else
		pidfd_send_signal(vm->pidfd, SIGTERM, NULL, 0);
	if (vm->killev == NULL) {
		vm->killev = evtimer_new(D->base, kill_step, vm);
		vm->kill_stage = 0;
		struct timeval tv = { KILL_TERM_MS / 1000, 0 };
		evtimer_add(vm->killev, &tv);
	}
}

static int
watch_pid(struct vm *vm)
{
	vm->pidfd = pidfd_open(vm->pid, 0);
	if (vm->pidfd == -1)
		return -1;
	vm->pidev = event_new(D->base, vm->pidfd, EV_READ, vm_exited, vm);
	event_add(vm->pidev, NULL);
	return 0;
}

static int
qmp_open(struct vm *vm)
{
	static const struct qmp_callbacks cbs = { vm_qmp_ready, vm_qmp_closed };

	vm->qmp = qmp_new(D->base, NULL, &cbs, vm);
	if (vm->qmp == NULL)
		return -1;
	qmp_subscribe(vm->qmp, NULL, vm_on_event, vm);
	return qmp_connect_unix(vm->qmp, vm->paths.qmp, QMP_CONNECT_MS);
}

static int
check_file(const char *key, const char *path, char *err, size_t errlen)
{
	if (path != NULL && access(path, R_OK) == -1) {
		snprintf(err, errlen, "%s: cannot read %s: %s", key, path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
vm_start(struct vm *vm, int paused, char *err, size_t errlen)
{
	struct argv a;

	if (vm_active(vm)) {
		snprintf(err, errlen, "VM '%s' is already %s", vm->name,
		    vm_state_name(vm->state));
		return -1;
	}
	if (vm->paths.qmp[0] == '\0' && vmpaths_init(&vm->paths, D->runroot,
	    vm->name, err, errlen) == -1)
		return -1;
	if (check_file("kernel", vm->def->kernel, err, errlen) == -1 ||
	    check_file("initrd", vm->def->initrd, err, errlen) == -1)
		return -1;
	const char *emu = vm->def->emulator ? vm->def->emulator : D->qemu;
	if (access(emu, X_OK) == -1) {
		snprintf(err, errlen, "emulator: cannot execute %s: %s", emu,
		    strerror(errno));
		return -1;
	}
	vm->accel = vm_resolve_accel(vm->def->accel);
	if (cmdline_build(vm->def, &vm->paths, vm->accel, D->qemu, &a, err,
	    errlen) == -1)
		return -1;
	/*
	 * dir holds the supervisor's files; a fresh qemu/ below it QEMU's
	 * (sockets, pidfile, and the console log, which so holds what the
	 * guest wrote since this start).
	 */
	if (mkdirs(D->runroot, 0711) == -1 ||
	    (mkdir(vm->paths.dir, 0700) == -1 && errno != EEXIST) ||
	    rmtree(vm->paths.qdir) == -1 ||
	    mkdir(vm->paths.qdir, 0700) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", vm->paths.qdir,
		    strerror(errno));
		argv_free(&a);
		return -1;
	}
	int efd = open(vm->paths.qemulog, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (efd == -1) {
		snprintf(err, errlen, "cannot create %s: %s", vm->paths.qemulog,
		    strerror(errno));
		argv_free(&a);
		return -1;
	}
	/*
	 * A root supervisor runs a VM that has an owner as that owner, so
	 * the owner's QEMU opens only what the owner may open.
	 */
	uid_t ouid = 0;
	gid_t ogid = 0;
	char oname[64] = "";
	if (geteuid() == 0 && vm->def->owner != NULL) {
		struct passwd *pw = NULL;
		if (vm_owner_uid(vm, &ouid) == 0)
			pw = getpwuid(ouid);
		if (pw == NULL) {
			snprintf(err, errlen, "owner: no user '%s' on this host",
			    vm->def->owner);
			close(efd);
			argv_free(&a);
			return -1;
		}
		ogid = pw->pw_gid;
		strlcpy(oname, pw->pw_name, sizeof(oname));
		/* QEMU (the owner) may enter dir but own only qemu/ */
		if (ouid != 0 && (chmod(vm->paths.dir, 0711) == -1 ||
		    chown(vm->paths.qdir, ouid, ogid) == -1)) {
			snprintf(err, errlen, "cannot give %s to %s: %s",
			    vm->paths.qdir, oname, strerror(errno));
			close(efd);
			argv_free(&a);
			return -1;
		}
	}

	pid_t pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(efd);
		argv_free(&a);
		return -1;
	}
	if (pid == 0) {
		/* own session: the guest outlives the supervisor */
		setsid();
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(efd, 1);
		dup2(efd, 2);
		close_range(3, ~0U, 0);
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (ouid != 0 && (initgroups(oname, ogid) == -1 ||
		    setgid(ogid) == -1 || setuid(ouid) == -1)) {
			dprintf(2, "qlaunchd: cannot run QEMU as %s: %s\n",
			    oname, strerror(errno));
			_exit(127);
		}
		execv(a.v[0], a.v);
		dprintf(2, "qlaunchd: cannot execute %s: %s\n", a.v[0],
		    strerror(errno));
		_exit(127);
	}
	close(efd);
	strlcpy(vm->emulator, a.v[0], sizeof(vm->emulator));
	argv_free(&a);
	vm->pid = pid;
	vm->pstart = proc_starttime(pid);
	vm->started = time(NULL);
	vm->paused_start = paused;
	vm->qemu_major = vm->qemu_minor = vm->qemu_micro = -1;
	vm->expect_exit = 0;
	vm->shutdown_req = 0;
	vm->reboot_req = 0;
	if (watch_pid(vm) == -1) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		vm->pid = 0;
		return -1;
	}
	write_runstate(vm);
	vm_set_state(vm, VM_STARTING, "booting");
	if (qmp_open(vm) == -1) {
		snprintf(err, errlen, "cannot connect to %s", vm->paths.qmp);
		vm_destroy(vm);
		return -1;
	}
	return 0;
}

/* ---- QMP ---- */

static void
cont_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct vm *vm = arg;

	(void)ret;
	if (err != NULL) {
		char r[sizeof(vm->reason)];
		snprintf(r, sizeof(r), "cont failed: %s", err->desc);
		vm_set_state(vm, vm->state, r);
		vm_destroy(vm);
		return;
	}
	if (vm->state == VM_STARTING)
		vm_set_state(vm, VM_RUNNING, "booted");
}

static void
started_paused(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct vm *vm = arg;

	(void)ret;
	(void)err;
	if (vm->state == VM_STARTING)
		vm_set_state(vm, VM_PAUSED, "started paused");
}

static void
vnc_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct vm *vm = arg;
	struct json_object *svc;

	if (err != NULL || !json_object_object_get_ex(ret, "service", &svc))
		return;
	vm->vnc_port = atoi(json_object_get_string(svc));
	write_runstate(vm);
}

static void
status_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct vm *vm = arg;
	struct json_object *st;

	if (err != NULL || !json_object_object_get_ex(ret, "status", &st))
		return;
	const char *s = json_object_get_string(st);
	if (strcmp(s, "running") == 0)
		vm_set_state(vm, VM_RUNNING, "re-adopted");
	else if (strcmp(s, "shutdown") == 0)
		vm_set_state(vm, VM_PAUSED, "guest shut down (preserved)");
	else if (strcmp(s, "guest-panicked") == 0)
		vm_set_state(vm, VM_PAUSED, "guest panicked (preserved)");
	else
		vm_set_state(vm, VM_PAUSED, "re-adopted");
}

static void
apply_runtime_settings(struct vm *vm)
{
	struct json_object *cmds = vmdef_runtime_qmp(vm->def), *c, *name, *args;
	struct vnc_conf vc;

	for (size_t i = 0; i < json_object_array_length(cmds); i++) {
		c = json_object_array_get_idx(cmds, i);
		json_object_object_get_ex(c, "execute", &name);
		if (!json_object_object_get_ex(c, "arguments", &args))
			args = NULL;
		qmp_execute(vm->qmp, json_object_get_string(name),
		    json_object_get(args), QMP_CMD_MS, NULL, NULL);
	}
	json_object_put(cmds);
	if (vmdef_vnc(vm->def, &vc) == 0)
		qmp_execute(vm->qmp, "query-vnc", NULL, QMP_CMD_MS, vnc_reply,
		    vm);
}

static void
vm_qmp_ready(void *arg, struct qmp *q)
{
	struct vm *vm = arg;

	/* a socket in qemu/ could be anything its owner put there */
	pid_t peer = socket_peer_pid(qmp_fd(q));
	if (peer != vm->pid) {
		log_warnx("%s: the QMP socket answers for pid %ld, not QEMU's "
		    "pid %ld; stopping the VM", vm->name, (long)peer,
		    (long)vm->pid);
		qmp_free(vm->qmp);
		vm->qmp = NULL;
		vm_destroy(vm);
		return;
	}
	qmp_version(q, &vm->qemu_major, &vm->qemu_minor, &vm->qemu_micro);
	if (vm->state != VM_STARTING) {
		/* re-adopted, or reconnected: ask where it stands */
		qmp_execute(q, "query-status", NULL, QMP_CMD_MS, status_reply,
		    vm);
		struct vnc_conf vc;
		if (vmdef_vnc(vm->def, &vc) == 0)
			qmp_execute(q, "query-vnc", NULL, QMP_CMD_MS,
			    vnc_reply, vm);
		return;
	}
	apply_runtime_settings(vm);
	/*
	 * QEMU answers in order: when this reply comes, the settings' replies
	 * (the VNC port among them) have come, and the start is complete.
	 */
	if (vm->paused_start)
		qmp_execute(q, "query-status", NULL, QMP_CMD_MS,
		    started_paused, vm);
	else
		qmp_execute(q, "cont", NULL, QMP_CMD_MS, cont_reply, vm);
}

static void
reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;

	(void)fd;
	(void)what;
	if (vm_active(vm) && vm->qmp == NULL && qmp_open(vm) == -1)
		log_warnx("%s: cannot reconnect to QMP", vm->name);
}

static void
vm_qmp_closed(void *arg, struct qmp *q, const char *reason)
{
	struct vm *vm = arg;

	(void)q;
	/* freed from here is safe; the pidfd tells whether QEMU is gone */
	qmp_free(vm->qmp);
	vm->qmp = NULL;
	if (!vm_active(vm) || vm->expect_exit)
		return;
	log_warnx("%s: QMP connection lost (%s); reconnecting", vm->name,
	    reason);
	struct timeval tv = { 0, 500000 };
	if (vm->reconnev == NULL)
		vm->reconnev = evtimer_new(D->base, reconnect_cb, vm);
	evtimer_add(vm->reconnev, &tv);
}

static void
reset_and_cont(struct vm *vm)
{
	qmp_execute(vm->qmp, "system_reset", NULL, QMP_CMD_MS, NULL, NULL);
	qmp_execute(vm->qmp, "cont", NULL, QMP_CMD_MS, NULL, NULL);
}

static void
quit_now(struct vm *vm, enum vm_state s, const char *reason)
{
	vm_set_state(vm, s, reason);
	vm_destroy(vm);
}

static void
on_shutdown_event(struct vm *vm, struct json_object *data)
{
	struct json_object *r;
	const char *reason = "unknown";

	if (json_object_object_get_ex(data, "reason", &r))
		reason = json_object_get_string(r);
	if (strncmp(reason, "host-", 5) == 0) {
		/* quit over QMP or a signal to QEMU: asked for, not a crash */
		if (!vm->expect_exit) {
			vm->expect_exit = 1;
			vm_set_state(vm, VM_SHUTDOWN,
			    strcmp(reason, "host-qmp-quit") == 0 ?
			    "quit over QMP" : "QEMU got a signal to stop");
		}
		return;
	}
	if (vm->shutdown_req) {
		quit_now(vm, VM_SHUTDOWN, "shutdown");
		return;
	}
	/* a reboot asked for recently; an old one the guest ignored lapses */
	if (vm->reboot_req && time(NULL) - vm->reboot_req > 120)
		vm->reboot_req = 0;
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

	if (p == POLICY_RESTART && !crash_budget(vm)) {
		log_warnx("%s: on_crash restart gave up after %d restarts in "
		    "%d s", vm->name, CRASH_MAX_RESTARTS, CRASH_WINDOW_S);
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
		vm->crash_log = console_tail(vm, 10);
		vm->expect_exit = 1;
		vm_set_state(vm, VM_CRASHED, "guest panicked");
		vm_destroy(vm);
		break;
	}
}

static void
vm_on_event(void *arg, const char *name, struct json_object *msg)
{
	struct vm *vm = arg;
	struct json_object *data = NULL;

	json_object_object_get_ex(msg, "data", &data);
	log_debug("%s: QMP event %s", vm->name, name);
	/* every QMP event reaches subscribers, with the VM's name */
	struct json_object *m = json_object_get(msg);
	json_object_object_add(m, "vm", json_object_new_string(vm->name));
	control_broadcast(vm->name, m);
	json_object_object_del(m, "vm");
	json_object_put(m);

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
}

/* ---- re-adoption ---- */

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
	pid_t pid = json_object_object_get_ex(o, "pid", &v) ?
	    (pid_t)json_object_get_int64(v) : 0;
	unsigned long long ps = json_object_object_get_ex(o, "pstart", &v) ?
	    json_object_get_uint64(v) : 0;
	if (json_object_object_get_ex(o, "accel", &v))
		vm->accel = strcmp(json_object_get_string(v), "kvm") == 0 ?
		    ACCEL_KVM : ACCEL_TCG;
	if (json_object_object_get_ex(o, "started", &v))
		vm->started = (time_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "emulator", &v))
		strlcpy(vm->emulator, json_object_get_string(v),
		    sizeof(vm->emulator));
	json_object_put(o);
	/* the pid must still be the QEMU we started, not a reused pid */
	if (pid <= 0 || ps == 0 || proc_starttime(pid) != ps ||
	    access(vm->paths.qmp, F_OK) == -1) {
		unlink(vm->paths.state);
		return -1;
	}
	vm->pid = pid;
	vm->pstart = ps;
	if (watch_pid(vm) == -1) {
		vm->pid = 0;
		return -1;
	}
	vm_set_state(vm, VM_PAUSED, "re-adopting");
	if (qmp_open(vm) == -1)
		log_warnx("%s: cannot connect to QMP", vm->name);
	log_info("%s: re-adopted QEMU pid %ld", vm->name, (long)pid);
	return 0;
}

/* ---- info ---- */

static long long
proc_cputime_ms(pid_t pid)
{
	unsigned long long t[2];	/* utime, stime */

	if (proc_stat(pid, 14, t, 2) == -1)
		return -1;
	return (long long)((t[0] + t[1]) * 1000 /
	    (unsigned long long)sysconf(_SC_CLK_TCK));
}

struct json_object *
vm_info(struct vm *vm)
{
	struct json_object *o = json_object_new_object();
	const struct vmdef *d = vm->def;

	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(o, "state",
	    json_object_new_string(vm_state_name(vm->state)));
	json_object_object_add(o, "reason", json_object_new_string(vm->reason));
	json_object_object_add(o, "autostart", json_object_new_boolean(
	    d->autostart));
	json_object_object_add(o, "vcpus", json_object_new_int((int)d->vcpus));
	json_object_object_add(o, "maxvcpus", json_object_new_int(
	    (int)(d->maxvcpus ? d->maxvcpus : d->vcpus)));
	json_object_object_add(o, "memory_mib",
	    json_object_new_uint64(d->memory_mib));
	json_object_object_add(o, "maxmemory_mib", json_object_new_uint64(
	    d->maxmem_mib ? d->maxmem_mib : d->memory_mib));
	json_object_object_add(o, "accel", json_object_new_string(
	    accel_name(vm_active(vm) ? vm->accel : d->accel)));
	if (d->owner != NULL)
		json_object_object_add(o, "owner", json_object_new_string(
		    d->owner));
	if (vm->crash_log != NULL && vm->state == VM_CRASHED)
		json_object_object_add(o, "crash_console",
		    json_object_new_string(vm->crash_log));
	if (vm->exit_code != -1 && !vm_active(vm))
		json_object_object_add(o, "exit_code",
		    json_object_new_int(vm->exit_code));
	if (vm->exit_signal != -1 && !vm_active(vm))
		json_object_object_add(o, "exit_signal",
		    json_object_new_int(vm->exit_signal));
	if (vm->next_def != NULL)
		json_object_object_add(o, "redefined",
		    json_object_new_boolean(1));
	if (!vm_active(vm))
		return o;
	json_object_object_add(o, "pid", json_object_new_int64(vm->pid));
	json_object_object_add(o, "uptime_s",
	    json_object_new_int64(time(NULL) - vm->started));
	long long cpu = proc_cputime_ms(vm->pid);
	if (cpu >= 0)
		json_object_object_add(o, "cpu_time_ms",
		    json_object_new_int64(cpu));
	if (vm->qemu_major >= 0 && vm->qmp != NULL) {
		char v[48];
		snprintf(v, sizeof(v), "%d.%d.%d", vm->qemu_major,
		    vm->qemu_minor, vm->qemu_micro);
		json_object_object_add(o, "qemu_version",
		    json_object_new_string(v));
	}
	json_object_object_add(o, "emulator",
	    json_object_new_string(vm->emulator));
	struct vnc_conf vc;
	if (vm->vnc_port > 0 && vmdef_vnc(vm->def, &vc) == 0) {
		char v[96];
		snprintf(v, sizeof(v), "%s:%d", vc.listen, vm->vnc_port);
		json_object_object_add(o, "vnc", json_object_new_string(v));
	}
	return o;
}
