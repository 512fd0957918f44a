/*
 * ssh as the transport to a remote qlaunchd (sshconn.h).  The check is
 * a version request: ssh connecting, authenticating, finding the remote
 * qlaunch and that reaching its supervisor all show in its reply, and
 * when any of them fails ssh (or the remote qlaunch) says why on stderr,
 * of which the last line is the error.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sshconn.h"
#include "sshuri.h"
#include "util.h"

#define SSHCONN_CHECK_MS	60000	/* ssh connects and authenticates */
#define SSHCONN_ERR_MS		5000	/* its last words after a failure */
#define SSHCONN_PROBE		"{\"execute\": \"version\", \"id\": \"ssh\"}\n"

/* ssh in a session of its own, sock its stdin and stdout. */
static pid_t
spawn(const char *const *argv, int sock, int errw)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	setsid();
	if (dup2(sock, 0) == -1 || dup2(sock, 1) == -1 || dup2(errw, 2) == -1)
		_exit(127);
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The remote supervisor's reply to the version request, within ms. */
static int
probe(int fd, int ms)
{
	char buf[65536];
	size_t n = 0;
	int64_t end = mono_ms() + ms;

	if (write_all(fd, SSHCONN_PROBE, strlen(SSHCONN_PROBE)) == -1)
		return -1;
	while (n < sizeof(buf) - 1 && memchr(buf, '\n', n) == NULL) {
		int64_t left = end - mono_ms();
		struct pollfd p = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return -1;
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n += (size_t)r;
	}
	buf[n] = '\0';
	struct json_object *m = json_tokener_parse(buf), *ret;
	int ok = m != NULL && json_object_object_get_ex(m, "return", &ret);
	json_object_put(m);
	return ok ? 0 : -1;
}

/* The last non-empty line of what ssh wrote on stderr. */
static void
last_words(int fd, char *out, size_t len)
{
	char buf[8192];
	size_t n = 0;
	int64_t end = mono_ms() + SSHCONN_ERR_MS;

	*out = '\0';
	for (;;) {
		int64_t left = end - mono_ms();
		struct pollfd p = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		if (n == sizeof(buf) - 1) {	/* keep the end */
			memmove(buf, buf + n / 2, n - n / 2);
			n -= n / 2;
		}
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	while (n > 0 && strchr("\r\n\t ", buf[n - 1]) != NULL)
		buf[--n] = '\0';
	char *line = strrchr(buf, '\n');
	line = line != NULL ? line + 1 : buf;
	line[strcspn(line, "\r")] = '\0';
	strlcpy(out, line, len);
}

static void
reap(pid_t pid, int timeout_ms, int *status)
{
	int64_t end = mono_ms() + timeout_ms;

	*status = -1;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			return;
		if (mono_ms() >= end)
			break;
		usleep(10000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, status, 0);
}

int
sshconn_open(const char *uri, struct sshconn *c, char *err, size_t errlen)
{
	struct sshuri u;
	const char *argv[SSHURI_ARGV_MAX];
	char remote[2400], why[512];
	const char *prog = getenv("QLAUNCH_SSH");
	int sv[2], ep[2], status;

	memset(c, 0, sizeof(*c));
	c->fd = c->errfd = -1;
	if (sshuri_parse(uri, &u, err, errlen) == -1)
		return -1;
	sshuri_label(&u, c->label, sizeof(c->label));
	strlcpy(c->host, u.host, sizeof(c->host));
	if (sshuri_argv(&u, prog != NULL && *prog != '\0' ? prog : "ssh", argv,
	    remote, sizeof(remote)) == -1) {
		snprintf(err, errlen, "%s: too long", uri);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    pipe2(ep, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	c->pid = spawn(argv, sv[1], ep[1]);
	close(sv[1]);
	close(ep[1]);
	if (c->pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(ep[0]);
		return -1;
	}
	c->fd = sv[0];
	c->errfd = ep[0];
	if (probe(c->fd, SSHCONN_CHECK_MS) == 0)
		return 0;
	/* ssh, or the remote qlaunch, says why */
	shutdown(c->fd, SHUT_RDWR);
	last_words(c->errfd, why, sizeof(why));
	reap(c->pid, SSHCONN_ERR_MS, &status);
	if (why[0] == '\0') {
		if (status != -1 && WIFEXITED(status))
			snprintf(why, sizeof(why), "ssh exited with status %d",
			    WEXITSTATUS(status));
		else if (status != -1 && WIFSIGNALED(status))
			snprintf(why, sizeof(why), "ssh was killed by signal "
			    "%d", WTERMSIG(status));
		else
			strlcpy(why, "no answer", sizeof(why));
	}
	snprintf(err, errlen, "cannot reach qlaunchd on %s over ssh: %s",
	    c->label, why);
	close(c->fd);
	close(c->errfd);
	c->fd = c->errfd = -1;
	c->pid = 0;
	return -1;
}

void
sshconn_close(struct sshconn *c, int timeout_ms)
{
	int status;

	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	if (c->pid > 0)
		reap(c->pid, timeout_ms, &status);
	c->pid = 0;
	if (c->errfd != -1)
		close(c->errfd);
	c->errfd = -1;
}
