/*
 * qlaunchd: the supervisor.  One libevent loop owns the control socket,
 * one QMP connection per running VM and a pidfd per QEMU process.  QEMU
 * runs in its own session, so guests outlive the supervisor; a new
 * supervisor re-adopts them from their runtime directories.
 */
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "console.h"
#include "heartbeat.h"
#include "control.h"
#include "daemon.h"
#include "network.h"
#include "util.h"
#include "vm.h"
#include "webtrust.h"
#include "bootonce.h"
#include "dconf.h"
#include "logrot.h"
#include "onstop.h"
#include "sdnotify.h"

/* qlaunchd.conf(5); -c names another */
#define QLAUNCHD_CONF	QLAUNCH_SYSCONFDIR "/qlaunch/qlaunchd.conf"

static struct daemon daemon_ctx;
static struct daemon *const D = &daemon_ctx;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: qlaunchd [-dfhv] [-c config] [-q qemu] "
	    "[-r rundir] [-S socket] [-s statedir] [--web-user user]\n");
	exit(2);
}

static void
stop_done(void *arg)
{
	(void)arg;
	event_base_loopbreak(D->base);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	char err[256];

	(void)what;
	(void)arg;
	if (D->quitting) {
		log_info("signal %d: stopping now", (int)sig);
		event_base_loopbreak(D->base);
		return;
	}
	log_info("signal %d: stopping; guests: %s", (int)sig,
	    dconf_onstop_name(D->conf.on_stop));
	D->quitting = 1;
	if (sdnotify_send("STOPPING=1", err, sizeof(err)) == -1)
		log_warnx("%s", err);
	onstop_begin(D, stop_done, NULL);
}

/* Defaults: /run/qlaunch and /var/lib/qlaunch for root; else per user. */
static int
default_paths(const char *sock, const char *state, const char *run,
    char *err, size_t errlen)
{
	const char *home = getenv("HOME");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int root = geteuid() == 0;
	char base_run[PATH_MAX];

	if (root)
		strlcpy(base_run, "/run/qlaunch", sizeof(base_run));
	else if (xdg != NULL && *xdg == '/')
		snprintf(base_run, sizeof(base_run), "%s/qlaunch", xdg);
	else
		snprintf(base_run, sizeof(base_run), "/tmp/qlaunch-%lu",
		    (unsigned long)geteuid());

	const char *envstate = getenv("QLAUNCH_STATEDIR");
	if (state == NULL && envstate != NULL && *envstate != '\0')
		state = envstate;
	if (state != NULL)
		strlcpy(D->statedir, state, sizeof(D->statedir));
	else if (root)
		strlcpy(D->statedir, "/var/lib/qlaunch", sizeof(D->statedir));
	else if (home != NULL && *home == '/')
		snprintf(D->statedir, sizeof(D->statedir),
		    "%s/.local/share/qlaunch", home);
	else {
		snprintf(err, errlen, "HOME is not set: give a state "
		    "directory with -s");
		return -1;
	}
	/* a private state directory gets private runtime directories */
	if (run != NULL)
		strlcpy(D->runroot, run, sizeof(D->runroot));
	else if (state != NULL)
		snprintf(D->runroot, sizeof(D->runroot), "%s/run", D->statedir);
	else
		snprintf(D->runroot, sizeof(D->runroot), "%s/vms", base_run);
	snprintf(D->defdir, sizeof(D->defdir), "%s/vms", D->statedir);
	snprintf(D->netdefdir, sizeof(D->netdefdir), "%s/networks",
	    D->statedir);
	/* networks' runtime: beside RUNDIR when it is .../vms */
	size_t rl = strlen(D->runroot);
	if (rl > 4 && strcmp(D->runroot + rl - 4, "/vms") == 0)
		snprintf(D->netrun, sizeof(D->netrun), "%.*s/networks",
		    (int)(rl - 4), D->runroot);
	else
		snprintf(D->netrun, sizeof(D->netrun), "%s/netrun",
		    D->statedir);
	if (sock != NULL) {
		if (strlcpy(D->sock, sock, sizeof(D->sock)) >= sizeof(D->sock)) {
			snprintf(err, errlen, "%s: too long for a UNIX socket",
			    sock);
			return -1;
		}
	} else if (default_socket(D->sock, sizeof(D->sock), 0) == -1) {
		snprintf(err, errlen, "the default socket path is too long for "
		    "a UNIX socket; give one with -S");
		return -1;
	}
	return 0;
}

static int
lock_statedir(char *err, size_t errlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/qlaunchd.lock", D->statedir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "another qlaunchd uses %s", D->statedir);
		close(fd);
		return -1;
	}
	return fd;	/* held for the life of the process */
}

/* The parent of a daemonizing qlaunchd waits for "ready" or an error. */
static int
daemonize(int *notify)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	pid_t pid = fork();
	if (pid == -1)
		fatal("fork");
	if (pid > 0) {
		char buf[512];
		close(p[1]);
		ssize_t n = read(p[0], buf, sizeof(buf) - 1);
		if (n > 0 && buf[0] == '+')
			exit(0);
		if (n > 1) {
			buf[n] = '\0';
			fprintf(stderr, "qlaunchd: %s\n", buf + 1);
		}
		exit(1);
	}
	close(p[0]);
	setsid();
	if (chdir("/") == -1)
		fatal("chdir /");
	int nul = open("/dev/null", O_RDWR);
	if (nul != -1) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		if (nul > 2)
			close(nul);
	}
	*notify = p[1];
	return 0;
}

static void __attribute__((noreturn))
startup_fail(int notify, const char *msg)
{
	if (notify != -1)
		dprintf(notify, "-%s", msg);
	fatalx("%s", msg);
}

int
main(int argc, char *argv[])
{
	const char *sock = NULL, *state = NULL, *run = NULL;
	const char *qemu = QLAUNCH_QEMU;
	int ch, fg = 0, verbose = 0, notify = -1;
	char err[1024];

	static const struct option longopts[] = {
		{ "web-user", required_argument, NULL, 'W' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const char *web_user = NULL, *conf = NULL;
	while ((ch = getopt_long(argc, argv, "c:dfhq:r:S:s:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'W':
			web_user = optarg;
			break;
		case 'd':
		case 'v':
			verbose = 1;
			break;
		case 'f':
			fg = 1;
			break;
		case 'q':
			qemu = optarg;
			break;
		case 'r':
			run = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 's':
			state = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	/* the daemon works from /: relative paths are taken from here */
	char *abs_sock = sock != NULL ? absolute_path(sock) : NULL;
	char *abs_state = state != NULL ? absolute_path(state) : NULL;
	char *abs_run = run != NULL ? absolute_path(run) : NULL;
	sock = abs_sock;
	state = abs_state;
	run = abs_run;

	daemon_init(D, NULL, qemu);
	D->foreground = fg;
	/* the file's defaults first: the command line wins */
	if (dconf_load(&D->conf, conf != NULL ? conf : QLAUNCHD_CONF,
	    conf != NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "qlaunchd: %s\n", err);
		return 1;
	}
	if (web_user == NULL && D->conf.web_user[0] != '\0')
		web_user = D->conf.web_user;
	if (D->conf.log_debug)
		verbose = 1;
	if (web_user != NULL && web_set_user(D, web_user, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "qlaunchd: %s\n", err);
		return 1;
	}
	if (default_paths(sock, state, run, err, sizeof(err)) == -1) {
		fprintf(stderr, "qlaunchd: %s\n", err);
		return 1;
	}
	char sockdir[PATH_MAX];
	strlcpy(sockdir, D->sock, sizeof(sockdir));
	char *slash = strrchr(sockdir, '/');
	if (slash == NULL)
		strlcpy(sockdir, ".", sizeof(sockdir));
	else if (slash == sockdir)
		sockdir[1] = '\0';
	else
		*slash = '\0';
	if (mkdirs(D->statedir, 0711) == -1 || mkdirs(D->defdir, 0700) == -1 ||
	    mkdirs(D->runroot, 0711) == -1 ||
	    (slash != NULL && mkdirs(sockdir, 0755) == -1)) {
		fprintf(stderr, "qlaunchd: cannot create %s, %s or %s: %s\n",
		    D->defdir, D->runroot, sockdir, strerror(errno));
		return 1;
	}
	/* owners' QEMUs (run as the owner) reach their own directory */
	if (geteuid() == 0 && path_within(D->runroot, D->statedir))
		(void)chmod(D->statedir, 0711);
	if (geteuid() == 0)
		(void)chmod(D->runroot, 0711);
	if (check_private_dir(sockdir, err, sizeof(err)) == -1) {
		fprintf(stderr, "qlaunchd: %s\n", err);
		return 1;
	}

	log_init("qlaunchd", fg, verbose);
	if (!fg)
		daemonize(&notify);
	if (lock_statedir(err, sizeof(err)) == -1)
		startup_fail(notify, err);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	/* two descriptors a running VM, plus clients: take what we may */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}

	if ((D->base = event_base_new()) == NULL)
		startup_fail(notify, "cannot create the event loop");
	struct event *sigterm = evsignal_new(D->base, SIGTERM, on_signal, NULL);
	struct event *sigint = evsignal_new(D->base, SIGINT, on_signal, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);

	console_init(D);
	heartbeat_init(D);
	int nnets = network_load_all(D);
	int nadopted = network_adopt_all(D);
	int n = vm_load_all(D);
	struct vm *vm, *tvm;
	int adopted = 0;
	TAILQ_FOREACH(vm, &D->vms, entry)
		if (vm_adopt(vm) == 0)
			adopted++;
	int lfd = -1;
	int act = sdlisten_take(D->sock, &lfd, err, sizeof(err));
	if (act == -1)
		startup_fail(notify, err);
	if (act == 1)
		control_listen_fd(D, lfd, 1);
	else if (control_listen(D, D->sock, err, sizeof(err)) == -1)
		startup_fail(notify, err);
	log_info("qlaunchd %s: %d VMs defined, %d re-adopted; %d networks "
	    "defined, %d re-adopted; listening on %s", QLAUNCH_VERSION,
	    n < 0 ? 0 : n, adopted, nnets, nadopted, D->sock);
	if (notify != -1) {
		if (write(notify, "+", 1) == -1)
			log_warn("notify");
		close(notify);
	}
	if (sdnotify_send("READY=1", err, sizeof(err)) == -1)
		log_warnx("%s", err);
	/* guests suspended at the last stop come back first */
	int nrestored = onstop_restore(D);
	if (nrestored > 0)
		log_info("restoring %d guests saved at stop", nrestored);
	/* once a boot; networks first: autostarted VMs may be on them */
	if (bootonce_first(D->statedir)) {
		network_autostart(D);
		TAILQ_FOREACH(vm, &D->vms, entry) {
			if (vm->def->autostart && !vm_active(vm) &&
			    vm_start(vm, 0, err, sizeof(err)) == -1)
				log_warnx("%s: autostart: %s", vm->name, err);
		}
	} else
		log_info("autostart: done already since this boot");

	struct logrot *logrot = logrot_start(D);
	event_base_dispatch(D->base);
	logrot_stop(logrot);

	/* Guests still running stay; the next supervisor re-adopts them. */
	control_close(D);
	console_fini(D);
	heartbeat_fini(D);
	TAILQ_FOREACH_SAFE(vm, &D->vms, entry, tvm)
		vm_remove(vm);
	network_fini(D);	/* networks keep running too */
	event_free(sigterm);
	event_free(sigint);
	daemon_fini(D);
	event_base_free(D->base);
	free(abs_sock);
	free(abs_state);
	free(abs_run);
	return 0;
}
