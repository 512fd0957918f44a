/*
 * The QEMU process: spawning it (runtime directories, privileges),
 * watching it through a pidfd, destroy's escalation, and what it leaves
 * behind (its console log, its last error).  No policy: vm-life.c.
 */
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

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

#include "daemon.h"
#include "events.h"
#include "job.h"
#include "log.h"
#include "nics.h"
#include "proc.h"
#include "qmp.h"
#include "util.h"
#include "vm.h"
#include "logrot.h"

#define KILL_TERM_MS		3000
#define KILL_KILL_MS		6000

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

/* The last non-empty line of QEMU's stderr: why it refused to start. */
void
vm_qemu_last_error(struct vm *vm, char *buf, size_t len)
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
	/* across the last rotation (logrot.c) */
	char *log = logrot_tail(vm->paths.log, max, &len);

	if (log == NULL)
		return NULL;
	if (lenp != NULL)
		*lenp = len;
	return log;
}

char *
vm_console_tail(struct vm *vm, int lines)
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
kill_timers_release(struct vm *vm)
{
	if (vm->killev != NULL)
		event_free(vm->killev);
	vm->killev = NULL;
	vm->kill_stage = 0;
	if (vm->reconnev != NULL)
		event_free(vm->reconnev);
	vm->reconnev = NULL;
}

void
vm_cleanup_process(struct vm *vm)
{
	if (vm->job != NULL)
		job_abandon(vm->job);
	vm->job = NULL;
	vm_jobs_lost(vm, "QEMU exited");
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
	kill_timers_release(vm);
	nics_forget(vm, NULL);	/* the taps went with QEMU's descriptors */
	vm->pid = 0;
	vm->id = 0;
	vm->vnc_port = 0;
	vm->vnc_host[0] = '\0';
	unlink(vm->paths.qmp);
	unlink(vm->paths.console);
	unlink(vm->paths.pid);
	unlink(vm->paths.state);
	vm_fire(vm, VMEV_STOPPED);
}

/* One more crash restart allowed?  At most 5 in any 60 s window. */
int
vm_crash_budget(struct vm *vm)
{
	time_t now = time(NULL);

	if (now - vm->crash_window > CRASH_WINDOW_S) {
		vm->crash_window = now;
		vm->crashes = 0;
	}
	return ++vm->crashes <= CRASH_MAX_RESTARTS;
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

/* No quit over QMP: a signal does it. */
static void
quit_refused(struct vm *vm)
{
	if (vm->pidfd != -1)
		pidfd_send_signal(vm->pidfd, SIGTERM, NULL, 0);
}

static void
quit_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct vm *vm = arg;

	(void)ret;
	/* QEMU may go before its reply to quit does: that is a yes */
	if (err == NULL || strcmp(err->class, QMP_ERR_DISCONNECTED) == 0)
		return;
	log_warnx("%s: quit: %s: %s; SIGTERM", vm->name, err->class,
	    err->desc);
	quit_refused(vm);
}

void
vm_destroy(struct vm *vm, const char *reason)
{
	if (!vm_active(vm))
		return;
	if (!vm->expect_exit || reason != NULL)
		vm_set_stop_reason(vm, reason != NULL ? reason : "destroyed");
	vm->expect_exit = 1;
	if (vm->qmp == NULL ||
	    qmp_execute(vm->qmp, "quit", NULL, 2000, quit_reply, vm) == -1)
		quit_refused(vm);
	if (vm->killev == NULL) {
		vm->killev = evtimer_new(vm->d->base, kill_step, vm);
		vm->kill_stage = 0;
		struct timeval tv = { KILL_TERM_MS / 1000, 0 };
		evtimer_add(vm->killev, &tv);
	}
}

int
vm_watch_pid(struct vm *vm, void (*on_exit)(int, short, void *))
{
	vm->pidfd = pidfd_open(vm->pid, 0);
	if (vm->pidfd == -1)
		return -1;
	vm->pidev = event_new(vm->d->base, vm->pidfd, EV_READ, on_exit, vm);
	event_add(vm->pidev, NULL);
	return 0;
}

int
vm_check_file(const char *key, const char *path, char *err, size_t errlen)
{
	if (path != NULL && access(path, R_OK) == -1) {
		snprintf(err, errlen, "%s: cannot read %s: %s", key, path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The owner QEMU runs as, when root runs a VM that has one. */
struct runas {
	uid_t	uid;
	gid_t	gid;
	char	name[64];
};

static int
prepare_dirs(struct vm *vm, struct runas *ra, int *efd, char *err,
    size_t errlen)
{
	struct daemon *d = vm->d;

	/*
	 * dir holds the supervisor's files; a fresh qemu/ below it QEMU's
	 * (sockets, pidfile, and the console log, which so holds what the
	 * guest wrote since this start).
	 */
	if (mkdirs(d->runroot, 0711) == -1 ||
	    (mkdir(vm->paths.dir, 0700) == -1 && errno != EEXIST) ||
	    rmtree(vm->paths.qdir) == -1 ||
	    mkdir(vm->paths.qdir, 0700) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", vm->paths.qdir,
		    strerror(errno));
		return -1;
	}
	/* O_APPEND: logrot.c cuts it while QEMU writes */
	*efd = open(vm->paths.qemulog, O_WRONLY | O_CREAT | O_TRUNC |
	    O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*efd == -1) {
		snprintf(err, errlen, "cannot create %s: %s", vm->paths.qemulog,
		    strerror(errno));
		return -1;
	}
	/*
	 * A root supervisor runs a VM that has an owner as that owner, so
	 * the owner's QEMU opens only what the owner may open.
	 */
	memset(ra, 0, sizeof(*ra));
	if (geteuid() != 0 || vm->def->owner == NULL)
		return 0;
	struct passwd *pw = NULL;
	if (vm_owner_uid(vm, &ra->uid) == 0)
		pw = getpwuid(ra->uid);
	if (pw == NULL) {
		snprintf(err, errlen, "owner: no user '%s' on this host",
		    vm->def->owner);
		goto fail;
	}
	ra->gid = pw->pw_gid;
	strlcpy(ra->name, pw->pw_name, sizeof(ra->name));
	/* QEMU (the owner) may enter dir but own only qemu/ */
	if (ra->uid != 0 && (chmod(vm->paths.dir, 0711) == -1 ||
	    chown(vm->paths.qdir, ra->uid, ra->gid) == -1)) {
		snprintf(err, errlen, "cannot give %s to %s: %s",
		    vm->paths.qdir, ra->name, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	close(*efd);
	*efd = -1;
	return -1;
}

/*
 * In the child: pass[k] becomes descriptor 3 + k (the numbers QEMU's
 * command line names), the rest goes.  Each is first moved above all of
 * the targets, so that no dup2 overwrites one still to be placed.
 */
static void
pass_fds(const struct nicfds *pass)
{
	int top = 3 + (int)(pass != NULL ? pass->n : 0);

	for (size_t k = 0; pass != NULL && k < pass->n; k++)
		if ((pass->fd[k] = fcntl(pass->fd[k], F_DUPFD, top + 64)) == -1)
			_exit(126);
	for (size_t k = 0; pass != NULL && k < pass->n; k++)
		if (dup2(pass->fd[k], 3 + (int)k) == -1)
			_exit(126);
	if (close_range((unsigned)top, ~0U, 0) == -1) {
		/* a kernel before 5.9: one by one */
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = top; fd < (max > 0 ? max : 1024); fd++)
			close((int)fd);
	}
}

static pid_t
spawn(const struct argv *a, const struct runas *ra, int efd,
    const struct nicfds *pass)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* own session: the guest outlives the supervisor */
	setsid();
	int nul = open("/dev/null", O_RDWR);
	dup2(nul, 0);
	dup2(efd, 1);
	dup2(efd, 2);
	pass_fds(pass);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (ra->uid != 0 && (initgroups(ra->name, ra->gid) == -1 ||
	    setgid(ra->gid) == -1 || setuid(ra->uid) == -1)) {
		dprintf(2, "qlaunchd: cannot run QEMU as %s: %s\n", ra->name,
		    strerror(errno));
		_exit(127);
	}
	execv(a->v[0], a->v);
	dprintf(2, "qlaunchd: cannot execute %s: %s\n", a->v[0],
	    strerror(errno));
	_exit(127);
}

/*
 * Fork and exec argv as the VM's QEMU, in a fresh runtime directory, as
 * the VM's owner when it has one; -1 with err.
 */
pid_t
vm_spawn(struct vm *vm, const struct argv *a, const struct nicfds *pass,
    char *err, size_t errlen)
{
	struct runas ra;
	int efd;

	if (prepare_dirs(vm, &ra, &efd, err, errlen) == -1)
		return -1;
	pid_t pid = spawn(a, &ra, efd, pass);
	close(efd);
	if (pid == -1)
		snprintf(err, errlen, "fork: %s", strerror(errno));
	return pid;
}

/* A QEMU process is ours now (started or re-adopted): give it an id. */
void
vm_process_started(struct vm *vm)
{
	/* a start gave it one already, for the names of its taps */
	if (vm->id == 0)
		vm->id = ++vm->d->next_id;
	vm->hotplugged = 0;
	vm->vcpu_unplugged = 0;
	vm->mig_status[0] = '\0';
	vm->qemu_major = vm->qemu_minor = vm->qemu_micro = -1;
	vm->expect_exit = 0;
	vm_set_stop_reason(vm, NULL);
	vm->shutdown_req = 0;
	vm->reboot_req = 0;
}
