/*
 * dnsmasq for a network: its configuration file, starting it (it
 * daemonizes once its sockets are bound, so a failure is known at once,
 * in its own words) and stopping it.
 */
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netdef.h"
#include "net-priv.h"
#include "proc.h"
#include "util.h"

#define DNSMASQ_START_MS	10000
#define DNSMASQ_TERM_MS		3000

static int
write_conf(const struct netdef *d, const char *rundir, const char *path,
    char *err, size_t errlen)
{
	char a[16], b[16], m[16];
	char *s = xasprintf(
	    "# written by qlaunchd for network %s; rewritten at each start\n"
	    "strict-order\n"
	    "bind-interfaces\n"
	    "interface=%s\n"
	    "except-interface=lo\n"
	    "pid-file=%s/dnsmasq.pid\n"
	    "dhcp-leasefile=%s/leases\n",
	    d->name, d->bridge, rundir, rundir);

	if (d->dhcp_start != 0) {
		char *t = xasprintf("%sdhcp-range=%s,%s,%s\n"
		    "dhcp-no-override\ndhcp-authoritative\n"
		    "dhcp-lease-max=%u\n", s,
		    netdef_ip(d->dhcp_start, a, sizeof(a)),
		    netdef_ip(d->dhcp_end, b, sizeof(b)),
		    netdef_ip(netdef_mask(d), m, sizeof(m)),
		    d->dhcp_end - d->dhcp_start + 1);
		free(s);
		s = t;
	}
	if (d->domain[0] != '\0') {
		char *t = xasprintf("%sdomain=%s\nlocal=/%s/\nexpand-hosts\n",
		    s, d->domain, d->domain);
		free(s);
		s = t;
	}
	int r = write_file_replace(path, s, strlen(s), 0600);
	free(s);
	if (r == -1)
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
	return r;
}

/* The last line dnsmasq wrote to its log: why it did not start. */
static void
last_line(const char *path, char *buf, size_t len)
{
	size_t n;
	char *log = read_tail_untrusted(path, 2048, &n);

	buf[0] = '\0';
	if (log == NULL)
		return;
	while (n > 0 && (log[n - 1] == '\n' || log[n - 1] == ' '))
		log[--n] = '\0';
	char *nl = strrchr(log, '\n');
	strlcpy(buf, nl != NULL ? nl + 1 : log, len);
	free(log);
}

/* Wait for the child that daemonizes, at most ms. */
static int
wait_child(pid_t pid, int ms, int *status)
{
	for (int waited = 0; waited < ms; waited += 10) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	errno = ETIMEDOUT;
	return -1;
}

pid_t
dnsmasq_start(const struct netdef *d, const char *rundir, char *err,
    size_t errlen)
{
	char conf[PATH_MAX], logp[PATH_MAX], pidp[PATH_MAX], why[512];
	char *arg = NULL;
	int status;

	snprintf(conf, sizeof(conf), "%s/dnsmasq.conf", rundir);
	snprintf(logp, sizeof(logp), "%s/dnsmasq.log", rundir);
	snprintf(pidp, sizeof(pidp), "%s/dnsmasq.pid", rundir);
	if (write_conf(d, rundir, conf, err, errlen) == -1)
		return -1;
	unlink(pidp);
	int lfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (lfd == -1) {
		snprintf(err, errlen, "cannot create %s: %s", logp,
		    strerror(errno));
		return -1;
	}
	arg = xasprintf("--conf-file=%s", conf);
	pid_t pid = fork();
	if (pid == 0) {
		/* its own session: the network outlives the supervisor */
		setsid();
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(lfd, 1);
		dup2(lfd, 2);
		close_range(3, ~0U, 0);
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		execl(DNSMASQ_PATH, "dnsmasq", arg, (char *)NULL);
		dprintf(2, "cannot execute %s: %s\n", DNSMASQ_PATH,
		    strerror(errno));
		_exit(127);
	}
	close(lfd);
	free(arg);
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (wait_child(pid, DNSMASQ_START_MS, &status) == -1) {
		snprintf(err, errlen, "dnsmasq did not start: %s",
		    strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		last_line(logp, why, sizeof(why));
		/* dnsmasq says "dnsmasq: ..." itself */
		snprintf(err, errlen, "%s", why[0] != '\0' ? why :
		    "dnsmasq failed");
		if (strncmp(why, "dnsmasq", 7) != 0 && why[0] != '\0')
			snprintf(err, errlen, "dnsmasq: %s", why);
		return -1;
	}
	char *text = read_file(pidp, NULL);
	long long n = 0;
	const char *e;
	if (text != NULL)
		text[strcspn(text, "\n")] = '\0';
	if (text == NULL || parse_uint(text, 2, 1 << 22, &n, &e) == -1 ||
	    proc_starttime((pid_t)n) == 0) {
		snprintf(err, errlen, "dnsmasq left no process in %s", pidp);
		free(text);
		return -1;
	}
	free(text);
	return (pid_t)n;
}

void
dnsmasq_stop(pid_t pid, unsigned long long pstart)
{
	if (pid <= 0 || proc_starttime(pid) != pstart)
		return;
	int fd = pidfd_open(pid, 0);
	if (fd == -1)
		return;
	struct pollfd p = { fd, POLLIN, 0 };
	pidfd_send_signal(fd, SIGTERM, NULL, 0);
	if (poll(&p, 1, DNSMASQ_TERM_MS) != 1) {
		pidfd_send_signal(fd, SIGKILL, NULL, 0);
		(void)poll(&p, 1, DNSMASQ_TERM_MS);
	}
	close(fd);
	/* a child of ours (not daemonized yet) is reaped here */
	(void)waitpid(pid, NULL, WNOHANG);
}
