/*
 * benchlib: what the qlaunch benchmarks share (see benchlib.h).
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "config.h"

#define MAXPIDS		1024
#define MAXDOMS		16
#define CLEAN_CALL_S	20	/* a hung qlaunchd does not hang the cleanup */

char		 bl_tmp[PATH_MAX];
const char	*bl_qemu;
char		 bl_qlaunch[PATH_MAX];
char		 bl_qlaunchd[PATH_MAX];
char		 bl_sock[108];

static const char *progname = "bench";
static pid_t	 self_pid;
static pid_t	 daemon_pid = -1;
static volatile pid_t children[MAXPIDS];
static char	*child_out[MAXPIDS];	/* where each child's output goes */
static volatile pid_t foreign[MAXPIDS];
static char	 statedir[PATH_MAX];
static char	 rundir[PATH_MAX];	/* qlaunchd's runtime root */
static volatile sig_atomic_t cleaning;

/* libvirt domains we defined, with the argv that removes them */
static char	 virsh_path[PATH_MAX];
static char	 dom_names[MAXDOMS][64];
static int	 ndoms;

static void	show_file(const char *);

/* ---- small helpers ---- */

uint64_t
bl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
bl_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void
pid_add(volatile pid_t *set, pid_t pid)
{
	for (int i = 0; i < MAXPIDS; i++)
		if (set[i] == 0) {
			set[i] = pid;
			return;
		}
	errx(1, "more than %d processes to remember", MAXPIDS);
}

static void
pid_del(volatile pid_t *set, pid_t pid)
{
	for (int i = 0; i < MAXPIDS; i++)
		if (set[i] == pid)
			set[i] = 0;
}

void
bl_track_foreign(pid_t pid)
{
	if (pid > 0)
		pid_add(foreign, pid);
}

void
bl_untrack_foreign(pid_t pid)
{
	pid_del(foreign, pid);
}

void
bl_forget_child(pid_t pid)
{
	pid_del(children, pid);
}

/* Async-signal-safe: is pid running (not a zombie)? */
int
bl_alive(pid_t pid)
{
	char path[64], buf[512];
	int fd;
	ssize_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p == NULL || p[1] == '\0' || (p[2] != 'Z' && p[2] != 'X');
}

/* Async-signal-safe: does pid's command line name our directory? */
static int
is_ours(pid_t pid)
{
	char path[64], buf[8192];
	int fd;
	ssize_t n;

	if (pid <= 0 || bl_tmp[0] == '\0')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	/* our directory itself, not a longer name that starts the same */
	size_t tl = strlen(bl_tmp);
	for (const char *p = buf; (p = strstr(p, bl_tmp)) != NULL; p += tl)
		if (p[tl] == '/' || p[tl] == ' ' || p[tl] == ',' ||
		    p[tl] == '\0')
			return 1;
	return 0;
}

struct ldirent {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};

/*
 * Async-signal-safe: SIGKILL every process whose command line names our
 * temporary directory (the QEMUs qlaunchd started for us, whatever the
 * layout of its runtime directories and whether or not they wrote a
 * pidfile yet; a qlaunchd of ours), except this process.  The directory
 * comes from mkdtemp, so nothing else names it.  Returns how many were
 * signalled.
 */
static int
kill_foreign(void)
{
	int n = 0;

	for (int i = 0; i < MAXPIDS; i++)
		if (foreign[i] > 0 && is_ours(foreign[i]) &&
		    kill(foreign[i], SIGKILL) == 0)
			n++;
	int dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return n;
	char buf[8192];
	long got;
	while ((got = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got; ) {
			struct ldirent *d = (struct ldirent *)(buf + off);
			off += d->d_reclen;
			long pid = 0;
			const char *c = d->d_name;
			for (; *c >= '0' && *c <= '9'; c++)
				pid = pid * 10 + (*c - '0');
			if (*c != '\0' || pid <= 0 || pid == (long)getpid())
				continue;
			if (is_ours((pid_t)pid) && kill((pid_t)pid, SIGKILL) == 0)
				n++;
		}
	}
	close(dfd);
	return n;
}

/* Async-signal-safe: fork, exec, wait (at most timeout_ms). */
static int
run_quiet(char *const argv[], int timeout_ms)
{
	pid_t pid = fork();
	int status;

	if (pid == -1)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	for (int waited = 0;; waited++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (r == -1 && errno != EINTR)
			return -1;
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
		sleep_us(1000);
	}
}

static void
libvirt_cleanup(void)
{
	for (int i = 0; i < ndoms; i++) {
		char *d[] = { virsh_path, "-q", "-c", "qemu:///system",
		    "destroy", dom_names[i], NULL };
		char *u[] = { virsh_path, "-q", "-c", "qemu:///system",
		    "undefine", dom_names[i], NULL };
		run_quiet(d, 20000);
		run_quiet(u, 20000);
	}
	ndoms = 0;
}

static void
rm_tree_quiet(void)
{
	char *argv[] = { "/bin/rm", "-rf", bl_tmp, NULL };
	const char *keep = getenv("QLAUNCH_BENCH_KEEP");

	if (keep != NULL && *keep != '\0' && bl_tmp[0] != '\0')
		fprintf(stderr, "%s: kept %s\n", progname, bl_tmp);
	else if (bl_tmp[0] != '\0')
		run_quiet(argv, 60000);
	bl_tmp[0] = '\0';
}

/* Wait until none of the QEMUs we know of runs (zombies count as gone). */
static void
wait_foreign_gone(int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		int any = 0;
		for (int i = 0; i < MAXPIDS; i++)
			if (foreign[i] > 0 && bl_alive(foreign[i]) &&
			    is_ours(foreign[i]))
				any = 1;
		if (!any)
			return;
		sleep_us(10000);
	}
}

static void
kill_children(void)
{
	for (int i = 0; i < MAXPIDS; i++) {
		pid_t pid = children[i];
		if (pid <= 0)
			continue;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		children[i] = 0;
	}
}

static void
on_signal(int sig)
{
	if (getpid() != self_pid)
		_exit(128 + sig);	/* a forked child that has not exec'd */
	if (cleaning)
		_exit(128 + sig);
	cleaning = 1;
	/* stop qlaunchd first so it starts nothing new, then its QEMUs */
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	sleep_us(200000);
	kill_foreign();
	kill_children();
	libvirt_cleanup();
	rm_tree_quiet();
	_exit(128 + sig);
}

/* The normal way out: ask qlaunchd to destroy what it runs. */
static void
cleanup_atexit(void)
{
	if (getpid() != self_pid || cleaning)
		return;
	cleaning = 1;
	if (daemon_pid > 0 && bl_alive(daemon_pid)) {
		struct client_conn c;
		char e[256];
		if (client_open(&c, bl_sock, 0, e, sizeof(e)) == 0) {
			struct timeval tv = { CLEAN_CALL_S, 0 };
			setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			struct json_object *a = json_object_new_object(), *ret;
			json_object_object_add(a, "all", json_object_new_boolean(1));
			if (bl_try(&c, "list", a, &ret, e, sizeof(e)) == 0) {
				for (size_t i = 0; i < json_object_array_length(ret);
				    i++) {
					struct json_object *v =
					    json_object_array_get_idx(ret, i), *p, *n;
					if (!json_object_object_get_ex(v, "pid", &p) ||
					    !json_object_object_get_ex(v, "name", &n))
						continue;
					struct json_object *r2;
					if (bl_try(&c, "destroy", bl_name_args(
					    json_object_get_string(n)), &r2, e,
					    sizeof(e)) == 0)
						json_object_put(r2);
				}
				json_object_put(ret);
			}
			client_close(&c);
		}
	}
	bl_daemon_stop();
	if (kill_foreign() > 0)
		wait_foreign_gone(5000);
	kill_children();
	libvirt_cleanup();
	rm_tree_quiet();
}

static int
find_beside(char *out, size_t len, const char *rel)
{
	const char *b = getenv("QLAUNCH_BUILDDIR");
	char self[PATH_MAX];

	if (b != NULL && *b != '\0') {
		snprintf(out, len, "%s/%s", b, rel);
		return access(out, X_OK);
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	/* BUILDDIR/tests/bench/prog */
	for (int i = 0; i < 3; i++) {
		char *s = strrchr(self, '/');
		if (s == NULL)
			return -1;
		*s = '\0';
	}
	snprintf(out, len, "%s/%s", self, rel);
	return access(out, X_OK);
}

int
bl_quick_env(void)
{
	const char *q = getenv("QLAUNCH_BENCH_QUICK");

	return q != NULL && *q != '\0' && strcmp(q, "0") != 0;
}

void
bl_init(const char *prog)
{
	const char *tmp = getenv("TMPDIR");
	struct sigaction sa;

	progname = prog;
	self_pid = getpid();
	bl_qemu = getenv("QEMU");
	if (bl_qemu == NULL || *bl_qemu == '\0')
		bl_qemu = QLAUNCH_QEMU;
	if (access(bl_qemu, X_OK) == -1)
		err(1, "%s", bl_qemu);
	if (find_beside(bl_qlaunch, sizeof(bl_qlaunch), "launcher/qlaunch") ||
	    find_beside(bl_qlaunchd, sizeof(bl_qlaunchd), "launcher/qlaunchd"))
		errx(1, "cannot find launcher/qlaunch and launcher/qlaunchd "
		    "(build them, or set QLAUNCH_BUILDDIR)");

	/* short: UNIX socket paths inside it must fit in 108 bytes */
	if (snprintf(bl_tmp, sizeof(bl_tmp), "%s/qlb.XXXXXX",
	    tmp != NULL && *tmp != '\0' && strlen(tmp) < 40 ? tmp : "/tmp") >=
	    (int)sizeof(bl_tmp))
		errx(1, "TMPDIR is too long");
	if (mkdtemp(bl_tmp) == NULL) {
		bl_tmp[0] = '\0';
		err(1, "mkdtemp");
	}
	snprintf(statedir, sizeof(statedir), "%s/state", bl_tmp);
	snprintf(rundir, sizeof(rundir), "%s/state/run", bl_tmp);
	snprintf(bl_sock, sizeof(bl_sock), "%s/ctl.sock", bl_tmp);

	atexit(cleanup_atexit);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* ---- series ---- */

void
bl_series_init(struct bl_series *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
}

void
bl_series_add(struct bl_series *s, uint64_t ns)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		if ((s->v = reallocarray(s->v, s->cap, sizeof(*s->v))) == NULL)
			err(1, "realloc");
	}
	s->v[s->n++] = ns;
	s->sorted = 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
quantile_ns(struct bl_series *s, double q)
{
	if (s->n == 0)
		return 0;
	if (!s->sorted) {
		free(s->sv);
		if ((s->sv = calloc(s->n, sizeof(*s->sv))) == NULL)
			err(1, "calloc");
		memcpy(s->sv, s->v, s->n * sizeof(*s->sv));
		qsort(s->sv, s->n, sizeof(*s->sv), cmp_u64);
		s->sorted = 1;
	}
	size_t rank = (size_t)(q * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return (double)s->sv[rank - 1];
}

double
bl_q_ms(struct bl_series *s, double q)
{
	return quantile_ns(s, q) / 1e6;
}

double
bl_q_us(struct bl_series *s, double q)
{
	return quantile_ns(s, q) / 1e3;
}

double
bl_mean_ms(const struct bl_series *s)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += (double)s->v[i];
	return s->n ? sum / (double)s->n / 1e6 : 0;
}

void
bl_series_free(struct bl_series *s)
{
	free(s->v);
	free(s->sv);
	memset(s, 0, sizeof(*s));
}

double
bl_ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* ---- processes ---- */

pid_t
bl_spawn(char *const argv[], const char *out, int newsession)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == -1)
		err(1, "fork");
	if (pid == 0) {
		if (newsession)
			setsid();
		int nul = open("/dev/null", O_RDWR);
		int ofd = out != NULL ? open(out, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600) : nul;
		if (nul != -1)
			dup2(nul, 0);
		if (ofd != -1) {
			dup2(ofd, 1);
			dup2(ofd, 2);
		}
		close_range(3, ~0U, 0);
		/* never outlive the benchmark */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execv(argv[0], argv);
		dprintf(2, "%s: cannot run %s: %s\n", progname, argv[0],
		    strerror(errno));
		_exit(127);
	}
	pid_add(children, pid);
	for (int i = 0; i < MAXPIDS; i++)
		if (children[i] == pid) {
			free(child_out[i]);
			child_out[i] = out != NULL ? strdup(out) : NULL;
		}
	return pid;
}

static const char *
out_of(pid_t pid)
{
	for (int i = 0; i < MAXPIDS; i++)
		if (children[i] == pid)
			return child_out[i];
	return NULL;
}

int
bl_wait(pid_t pid, int timeout_ms)
{
	int status;

	for (uint64_t t0 = bl_now_ns();;) {
		pid_t r = waitpid(pid, &status, timeout_ms < 0 ? 0 : WNOHANG);
		if (r == pid) {
			pid_del(children, pid);
			return status;
		}
		if (r == -1 && errno != EINTR)
			err(1, "waitpid %d", (int)pid);
		if (timeout_ms >= 0 &&
		    bl_now_ns() - t0 > (uint64_t)timeout_ms * 1000000u) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			pid_del(children, pid);
			return -1;
		}
		if (r == 0)
			sleep_us(200);
	}
}

static void
show_file(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return;
	while (fgets(buf, sizeof(buf), f) != NULL)
		fprintf(stderr, "  | %s", buf);
	fclose(f);
}

uint64_t
bl_run_timed(char *const argv[])
{
	char out[PATH_MAX];

	snprintf(out, sizeof(out), "%s/run.out", bl_tmp);
	uint64_t t0 = bl_now_ns();
	pid_t pid = bl_spawn(argv, out, 0);
	int st = bl_wait(pid, -1);
	uint64_t t1 = bl_now_ns();
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s: %s failed (status %d); its output:\n",
		    progname, argv[0], st);
		show_file(out);
		exit(1);
	}
	return t1 - t0;
}

int
bl_run_status(char *const argv[], const char *out, int timeout_ms)
{
	pid_t pid = bl_spawn(argv, out, 0);
	int st = bl_wait(pid, timeout_ms);

	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the private qlaunchd ---- */

pid_t
bl_daemon_pid(void)
{
	return daemon_pid;
}

static char	*daemon_extra[5];

void
bl_daemon_args(char *const args[])
{
	int i;

	for (i = 0; i < 4 && args[i] != NULL; i++)
		daemon_extra[i] = args[i];
	for (; i < 5; i++)
		daemon_extra[i] = NULL;
}

pid_t
bl_daemon_start(void)
{
	char log[PATH_MAX];
	char *argv[] = { bl_qlaunchd, "-f", "-q", (char *)bl_qemu, "-s",
	    statedir, "-S", bl_sock, daemon_extra[0], daemon_extra[1],
	    daemon_extra[2], daemon_extra[3], NULL };

	snprintf(log, sizeof(log), "%s/qlaunchd.log", bl_tmp);
	setenv("QLAUNCH_SOCKET", bl_sock, 1);
	setenv("QLAUNCH_NO_AUTOSTART", "1", 1);
	daemon_pid = bl_spawn(argv, log, 0);
	for (int i = 0; i < 1000; i++) {
		struct client_conn c;
		char e[256];
		struct json_object *ret;
		if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
			pid_del(children, daemon_pid);
			daemon_pid = -1;
			fprintf(stderr, "%s: qlaunchd exited; its log:\n",
			    progname);
			show_file(log);
			exit(1);
		}
		if (client_open(&c, bl_sock, 0, e, sizeof(e)) == 0) {
			int ok = bl_try(&c, "version", NULL, &ret, e,
			    sizeof(e)) == 0;
			if (ok)
				json_object_put(ret);
			client_close(&c);
			if (ok)
				return daemon_pid;
		}
		sleep_us(5000);
	}
	errx(1, "qlaunchd did not answer on %s", bl_sock);
}

void
bl_daemon_stop(void)
{
	if (daemon_pid <= 0)
		return;
	kill(daemon_pid, SIGTERM);
	if (bl_wait(daemon_pid, 10000) == -1)
		warnx("qlaunchd did not stop on SIGTERM; killed it");
	daemon_pid = -1;
}

void
bl_connect(struct client_conn *c)
{
	char e[256];

	if (client_open(c, bl_sock, 0, e, sizeof(e)) == -1)
		errx(1, "%s", e);
}

int
bl_try(struct client_conn *c, const char *cmd, struct json_object *args,
    struct json_object **ret, char *err, size_t errlen)
{
	char eclass[64], edesc[1024];

	if (client_call(c, cmd, args, ret, eclass, sizeof(eclass), edesc,
	    sizeof(edesc), NULL, NULL) == -1) {
		snprintf(err, errlen, "%s: %s: %s", cmd, eclass, edesc);
		return -1;
	}
	return 0;
}

struct json_object *
bl_call(struct client_conn *c, const char *cmd, struct json_object *args)
{
	struct json_object *ret;
	char e[1200];

	if (bl_try(c, cmd, args, &ret, e, sizeof(e)) == -1)
		errx(1, "%s", e);
	return ret;
}

struct json_object *
bl_name_args(const char *name)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "name", json_object_new_string(name));
	return a;
}

static pid_t
info_pid(struct json_object *info)
{
	struct json_object *p;

	if (info == NULL || !json_object_object_get_ex(info, "pid", &p))
		return 0;
	return (pid_t)json_object_get_int64(p);
}

void
bl_vm_create(struct client_conn *c, const char *name, int start, int paused)
{
	struct json_object *a = bl_name_args(name);
	struct json_object *set = json_object_new_object();

	json_object_object_add(set, "memory", json_object_new_string("64"));
	json_object_object_add(set, "accel",
	    json_object_new_string("tcg,tb-size=32"));
	json_object_object_add(a, "settings", set);
	if (start)
		json_object_object_add(a, "start", json_object_new_boolean(1));
	if (paused)
		json_object_object_add(a, "paused", json_object_new_boolean(1));
	struct json_object *ret = bl_call(c, "create", a);
	if (start) {
		pid_t pid = info_pid(ret);
		if (pid <= 0)
			errx(1, "create %s --start: no pid in the reply", name);
		bl_track_foreign(pid);
	}
	json_object_put(ret);
}

pid_t
bl_vm_pid(struct client_conn *c, const char *name)
{
	struct json_object *ret = bl_call(c, "info", bl_name_args(name));
	pid_t pid = info_pid(ret);

	json_object_put(ret);
	return pid;
}

pid_t
bl_vm_start(struct client_conn *c, const char *name, int paused)
{
	struct json_object *a = bl_name_args(name);

	if (paused)
		json_object_object_add(a, "paused", json_object_new_boolean(1));
	struct json_object *ret = bl_call(c, "start", a);
	pid_t pid = info_pid(ret);
	json_object_put(ret);
	bl_track_foreign(pid);
	return pid;
}

void
bl_vm_destroy(struct client_conn *c, const char *name)
{
	struct json_object *ret = bl_call(c, "destroy", bl_name_args(name));

	/* the reply comes once qlaunchd saw the process exit */
	json_object_put(ret);
}

static char *
replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *p;

	for (p = s; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	char *out = malloc(strlen(s) + n * (tl + 1) + 1), *o = out;
	if (out == NULL)
		err(1, "malloc");
	for (p = s;;) {
		const char *q = strstr(p, from);
		if (q == NULL) {
			strcpy(o, p);
			break;
		}
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
		p = q + fl;
	}
	return out;
}

/* mkdir -p of the directory part of path */
static void
mkdir_parents(const char *path)
{
	char buf[PATH_MAX];

	strlcpy(buf, path, sizeof(buf));
	char *slash = strrchr(buf, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0700) == -1 && errno != EEXIST)
				err(1, "mkdir %s", buf);
			*p = c;
			if (c == '\0')
				break;
		}
	}
}

/* Create the directories of every path under dir that arg names. */
static void
make_dirs_for(const char *arg, const char *dir)
{
	size_t dl = strlen(dir);

	for (const char *p = arg; (p = strstr(p, dir)) != NULL; p += dl) {
		char path[PATH_MAX];
		size_t n = strcspn(p, ",");
		if (n >= sizeof(path))
			continue;
		memcpy(path, p, n);
		path[n] = '\0';
		mkdir_parents(path);
	}
}

char **
bl_vm_cmdline(struct client_conn *c, const char *name, const char *dir)
{
	struct json_object *ret = bl_call(c, "cmdline", bl_name_args(name)), *a;
	char from[PATH_MAX + 80], to[PATH_MAX + 2];

	if (!json_object_object_get_ex(ret, "argv", &a))
		errx(1, "cmdline %s: no argv in the reply", name);
	size_t n = json_object_array_length(a);
	char **v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		err(1, "calloc");
	snprintf(from, sizeof(from), "%s/%s/", rundir, name);
	snprintf(to, sizeof(to), "%s/", dir);
	for (size_t i = 0; i < n; i++) {
		v[i] = replace_all(json_object_get_string(
		    json_object_array_get_idx(a, i)), from, to);
		make_dirs_for(v[i], to);
	}
	json_object_put(ret);
	return v;
}

/* The path at p, up to a comma, into out (or die: what is too long). */
static void
path_out(const char *p, char *out, size_t len, const char *what)
{
	size_t n = strcspn(p, ",");

	if (n >= len)
		errx(1, "%s too long", what);
	memcpy(out, p, n);
	out[n] = '\0';
}

void
bl_argv_qmp_path(char **v, char *out, size_t len)
{
	for (size_t i = 0; v[i] != NULL; i++) {
		const char *p = NULL;
		if (strncmp(v[i], "socket,", 7) == 0 &&
		    strstr(v[i], ",id=qmp,") != NULL)
			p = strstr(v[i], ",path=");
		else if (strncmp(v[i], "socket,id=qmp,", 14) == 0)
			p = strstr(v[i], ",path=");
		if (p != NULL) {
			path_out(p + 6, out, len, "QMP socket path");
			return;
		}
		if (strcmp(v[i], "-qmp") == 0 && v[i + 1] != NULL &&
		    strncmp(v[i + 1], "unix:", 5) == 0) {
			path_out(v[i + 1] + 5, out, len, "QMP socket path");
			return;
		}
	}
	errx(1, "no QMP socket in the VM's command line");
}

void
bl_guest_dir(char *out, size_t len)
{
	const char *g = getenv("QLAUNCH_GUEST_DIR");

	if (g != NULL && *g) {
		strlcpy(out, g, len);
		return;
	}
	/* BUILDDIR/launcher/qlaunch: BUILDDIR/images/guest */
	char b[PATH_MAX], *s;
	strlcpy(b, bl_qlaunch, sizeof(b));
	for (int i = 0; i < 2 && (s = strrchr(b, '/')) != NULL; i++)
		*s = '\0';
	snprintf(out, len, "%s/images/guest", b);
}

struct json_object *
bl_guest_settings(const char *dir, const char *mem)
{
	char k[PATH_MAX + 16], i[PATH_MAX + 16];
	struct json_object *set = json_object_new_object();

	snprintf(k, sizeof(k), "%s/bzImage", dir);
	snprintf(i, sizeof(i), "%s/initrd.img", dir);
	json_object_object_add(set, "memory", json_object_new_string(mem));
	json_object_object_add(set, "accel", json_object_new_string(
	    "tcg,tb-size=32"));
	json_object_object_add(set, "kernel", json_object_new_string(k));
	json_object_object_add(set, "initrd", json_object_new_string(i));
	json_object_object_add(set, "append", json_object_new_string(
	    "console=ttyS0 panic=-1 quiet"));
	return set;
}

void
bl_argv_path(char **v, const char *prefix, char *out, size_t len)
{
	for (size_t i = 0; v[i] != NULL; i++) {
		const char *p;
		if (strncmp(v[i], prefix, strlen(prefix)) != 0 ||
		    (p = strstr(v[i], ",path=")) == NULL)
			continue;
		path_out(p + 6, out, len, "path");
		return;
	}
	errx(1, "no %s in the command line", prefix);
}

void
bl_argv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* ---- raw sockets and lines ---- */

int
bl_unix_connect(const char *path, int timeout_ms, pid_t watch)
{
	struct sockaddr_un sun;
	uint64_t t0 = bl_now_ns();

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "%s: too long for a UNIX socket", path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			err(1, "socket");
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		int e = errno;
		close(fd);
		if (e != ENOENT && e != ECONNREFUSED) {
			errno = e;
			err(1, "connect %s", path);
		}
		if (watch > 0 && waitpid(watch, NULL, WNOHANG) == watch) {
			const char *out = out_of(watch);
			fprintf(stderr, "%s: the process behind %s exited%s\n",
			    progname, path, out != NULL ? "; its output:" : "");
			if (out != NULL)
				show_file(out);
			pid_del(children, watch);
			exit(1);
		}
		if (bl_now_ns() - t0 > (uint64_t)timeout_ms * 1000000u)
			errx(1, "nothing listens on %s", path);
		sleep_us(100);
	}
}

void
bl_raw_quit(struct bl_line *qmp, pid_t pid, int timeout_ms)
{
	static const char quit[] = "{\"execute\": \"quit\"}\n";
	char buf[4096];

	bl_write_all(qmp->fd, quit, sizeof(quit) - 1);
	while (read(qmp->fd, buf, sizeof(buf)) > 0)
		;
	bl_line_close(qmp);
	if (bl_wait(pid, timeout_ms) == -1)
		warnx("raw QEMU did not quit; killed it");
}

int
bl_match_read(struct bl_match *m, int fd, const char *needle)
{
	if (m->len > sizeof(m->buf) / 2) {
		memmove(m->buf, m->buf + m->len - 256, 256);
		m->len = 256;
	}
	ssize_t n = read(fd, m->buf + m->len, sizeof(m->buf) - m->len - 1);
	if (n <= 0)
		errx(1, "raw guest: serial socket closed");
	m->len += (size_t)n;
	m->buf[m->len] = '\0';
	return memmem(m->buf, m->len, needle, strlen(needle)) != NULL;
}

void
bl_line_init(struct bl_line *l, int fd)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->cap = 1 << 16;
	if ((l->buf = malloc(l->cap)) == NULL)
		err(1, "malloc");
	struct timeval tv = { 60, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void
bl_line_close(struct bl_line *l)
{
	if (l->fd != -1)
		close(l->fd);
	free(l->buf);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

void
bl_write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			err(1, "write");
		}
		s += w;
		n -= (size_t)w;
	}
}

char *
bl_line_read(struct bl_line *l)
{
	for (;;) {
		char *nl = memchr(l->buf + l->off, '\n', l->len - l->off);
		if (nl != NULL) {
			char *line = l->buf + l->off;
			*nl = '\0';
			l->off = (size_t)(nl - l->buf) + 1;
			return line;
		}
		if (l->off > 0) {
			memmove(l->buf, l->buf + l->off, l->len - l->off);
			l->len -= l->off;
			l->off = 0;
		}
		if (l->len + 1 >= l->cap) {
			l->cap *= 2;
			if ((l->buf = realloc(l->buf, l->cap)) == NULL)
				err(1, "realloc");
		}
		ssize_t r = recv(l->fd, l->buf + l->len, l->cap - 1 - l->len, 0);
		if (r == 0)
			errx(1, "end of file on a line socket");
		if (r == -1) {
			if (errno == EINTR)
				continue;
			err(1, "read");
		}
		l->len += (size_t)r;
	}
}

char *
bl_line_reply(struct bl_line *l)
{
	for (;;) {
		char *line = bl_line_read(l);
		if (strncmp(line, "{\"event\"", 8) == 0 ||
		    (strstr(line, "\"event\"") != NULL &&
		    strstr(line, "\"return\"") == NULL &&
		    strstr(line, "\"error\"") == NULL))
			continue;
		return line;
	}
}

void
bl_qmp_handshake(struct bl_line *l)
{
	static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\n";
	const char *g = bl_line_read(l);

	if (strncmp(g, "{\"QMP\"", 6) != 0)
		errx(1, "not a QMP greeting: %.200s", g);
	bl_write_all(l->fd, caps, sizeof(caps) - 1);
	const char *ok = bl_line_reply(l);
	if (strncmp(ok, "{\"return\"", 9) != 0)
		errx(1, "qmp_capabilities failed: %.200s", ok);
}

/* ---- memory ---- */

int
bl_proc_mem(pid_t pid, struct bl_mem *m)
{
	char path[64], line[256];
	FILE *f;
	long pc = 0, pd = 0;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		long v;
		if (sscanf(line, "Rss: %ld", &v) == 1)
			m->rss_kb = v;
		else if (sscanf(line, "Pss: %ld", &v) == 1)
			m->pss_kb = v;
		else if (sscanf(line, "Private_Clean: %ld", &v) == 1)
			pc = v;
		else if (sscanf(line, "Private_Dirty: %ld", &v) == 1)
			pd = v;
		else if (sscanf(line, "Anonymous: %ld", &v) == 1)
			m->anon_kb = v;
	}
	fclose(f);
	m->priv_kb = pc + pd;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "VmHWM: %ld", &m->hwm_kb) == 1)
				break;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (d != NULL) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				m->fds++;
		closedir(d);
	}
	return 0;
}

/* ---- libvirt ---- */

static int
find_in_path(const char *prog, char *out, size_t len)
{
	const char *p = getenv("PATH");
	char buf[4096];

	if (p == NULL || *p == '\0')
		p = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	strlcpy(buf, p, sizeof(buf));
	for (char *s = buf, *dir; (dir = strsep(&s, ":")) != NULL; ) {
		snprintf(out, len, "%s/%s", *dir ? dir : ".", prog);
		if (access(out, X_OK) == 0)
			return 0;
	}
	out[0] = '\0';
	return -1;
}

int
bl_libvirt_usable(char *why, size_t len)
{
	char out[PATH_MAX];

	if (find_in_path("virsh", virsh_path, sizeof(virsh_path)) == -1) {
		snprintf(why, len, "libvirt is not installed (no virsh in "
		    "PATH)");
		return 0;
	}
	char *argv[] = { virsh_path, "-q", "-c", "qemu:///system", "version",
	    NULL };
	snprintf(out, sizeof(out), "%s/virsh.out", bl_tmp);
	int st = bl_run_status(argv, out, 15000);
	if (st != 0) {
		snprintf(why, len, "virsh is installed but qemu:///system does "
		    "not answer (libvirtd not running?)");
		virsh_path[0] = '\0';
		return 0;
	}
	return 1;
}

void
bl_libvirt_define(const char *name)
{
	char path[PATH_MAX], out[PATH_MAX];
	FILE *f;

	if (ndoms == MAXDOMS)
		errx(1, "too many libvirt domains");
	snprintf(path, sizeof(path), "%s/%s.xml", bl_tmp, name);
	if ((f = fopen(path, "w")) == NULL)
		err(1, "%s", path);
	fprintf(f,
	    "<domain type='qemu'>\n"
	    "  <name>%s</name>\n"
	    "  <memory unit='MiB'>64</memory>\n"
	    "  <vcpu>1</vcpu>\n"
	    "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
	    "  <features><tcg><tb-cache unit='MiB'>32</tb-cache></tcg>"
	    "</features>\n"
	    "  <cpu mode='maximum' check='none'/>\n"
	    "  <on_poweroff>destroy</on_poweroff>\n"
	    "  <devices>\n"
	    "    <emulator>%s</emulator>\n"
	    "    <controller type='usb' model='none'/>\n"
	    "    <serial type='pty'/>\n"
	    "    <memballoon model='virtio'/>\n"
	    "  </devices>\n"
	    "</domain>\n", name, bl_qemu);
	if (fclose(f) != 0)
		err(1, "%s", path);
	strlcpy(dom_names[ndoms++], name, sizeof(dom_names[0]));
	char *argv[] = { virsh_path, "-q", "-c", "qemu:///system", "define",
	    path, NULL };
	snprintf(out, sizeof(out), "%s/virsh.out", bl_tmp);
	int st = bl_run_status(argv, out, 30000);
	if (st != 0) {
		/* it may be defined anyway (a timeout): the name stays listed */
		fprintf(stderr, "%s: virsh define failed (%s):\n", progname,
		    st == -1 ? "timed out" : "non-zero exit");
		show_file(out);
		exit(1);
	}
}

uint64_t
bl_virsh_timed(const char *a1, const char *a2)
{
	char *argv[] = { virsh_path, "-q", "-c", "qemu:///system", (char *)a1,
	    (char *)a2, NULL };

	return bl_run_timed(argv);
}

int
bl_virsh_quiet(const char *a1, const char *a2)
{
	char out[PATH_MAX];
	char *argv[] = { virsh_path, "-q", "-c", "qemu:///system", (char *)a1,
	    (char *)a2, NULL };

	snprintf(out, sizeof(out), "%s/virsh.out", bl_tmp);
	return bl_run_status(argv, out, 30000);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

double
bl_paired_ms(const struct bl_series *a, const struct bl_series *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int64_t *d = calloc(n ? n : 1, sizeof(*d));

	if (d == NULL)
		err(1, "calloc");
	for (size_t i = 0; i < n; i++)
		d[i] = (int64_t)a->v[i] - (int64_t)b->v[i];
	qsort(d, n, sizeof(*d), cmp_i64);
	double paired = n ? (double)d[(n - 1) / 2] / 1e6 : 0;
	free(d);
	return paired;
}

void
bl_compare(const char *what, struct bl_series *a, struct bl_series *b)
{
	double ma = bl_q_ms(a, 0.5), mb = bl_q_ms(b, 0.5);

	printf("  %-44s %8.2fx %+8.2f ms %+8.2f ms\n", what, bl_ratio(ma, mb),
	    ma - mb, bl_paired_ms(a, b));
}

void
bl_row(struct bl_series *s)
{
	printf("  %-44s %9.2f %9.2f %9.2f\n", s->name, bl_q_ms(s, 0.5),
	    bl_q_ms(s, 0.9), bl_q_ms(s, 0));
}

static void __attribute__((noreturn))
run_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-q] [-n runs] [-w warmup]\n", prog);
	exit(2);
}

void
bl_run_options(int argc, char **argv, const char *prog, int *runs,
    int *warmup, int quick_runs)
{
	int ch, quick = bl_quick_env();

	while ((ch = getopt(argc, argv, "qn:w:h")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'n':
			*runs = (int)bl_optnum("runs", optarg, 1, 100000, NULL);
			break;
		case 'w':
			*warmup = (int)bl_optnum("warm-up", optarg, 0,
			    1000, NULL);
			break;
		default:
			run_usage(prog);
		}
	}
	if (optind != argc)
		run_usage(prog);
	if (quick) {
		*runs = *runs < quick_runs ? *runs : quick_runs;
		*warmup = *warmup < 1 ? *warmup : 1;
	}
}

long long
bl_optnum(const char *what, const char *arg, long long lo, long long hi,
    const char *unit)
{
	const char *e;
	long long v = strtonum(arg, lo, hi, &e);

	if (e == NULL)
		return v;
	if (unit == NULL)
		errx(2, "%s %s: %s", what, arg, e);
	errx(2, "%s %s: %s (%lld to %lld%s%s)", what, arg, e, lo, hi,
	    *unit != '\0' ? " " : "", unit);
}

char *
bl_console_cmd(const char *name, const char *cmd, int quiet_ms)
{
	return bl_console_cmd_at(bl_sock, name, cmd, quiet_ms);
}

char *
bl_console_cmd_at(const char *sock, const char *name, const char *cmd,
    int quiet_ms)
{
	char quiet[16], out[PATH_MAX + 32];
	int p[2];

	snprintf(quiet, sizeof(quiet), "%d", quiet_ms);
	snprintf(out, sizeof(out), "%s/console.out", bl_tmp);
	if (pipe(p) == -1)
		err(1, "pipe");
	pid_t pid = fork();
	if (pid == -1)
		err(1, "fork");
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(p[0], 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(p[1]);
		execl(bl_qlaunch, "qlaunch", "-c", sock, "console", name,
		    "--quiet", quiet, "--timeout", "600", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	char *line;
	if (asprintf(&line, "%s\n", cmd) == -1)
		err(1, "asprintf");
	if (write(p[1], line, strlen(line)) != (ssize_t)strlen(line))
		err(1, "write to qlaunch console");
	free(line);
	close(p[1]);
	int st;
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		errx(1, "qlaunch console %s failed (see %s)", name, out);
	FILE *f = fopen(out, "r");
	if (f == NULL)
		err(1, "%s", out);
	char *buf = calloc(1, 1 << 16);
	if (buf == NULL)
		err(1, "calloc");
	(void)fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}
