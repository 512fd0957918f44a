#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "config.h"
#include "testutil.h"
#include "vmdef.h"

char *
tu_mkdtemp(const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	char *p;

	if (asprintf(&p, "%s/qlt-%s.XXXXXX", tmp ? tmp : "/tmp", tag) == -1)
		return NULL;
	if (mkdtemp(p) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

void
tu_rmtree(const char *path)
{
	if (path != NULL)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tu_slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (nb == NULL)
				break;
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	if (buf == NULL)
		buf = calloc(1, 1);
	if (buf != NULL)
		buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

long long
tu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
tu_pump(struct event_base *base, const int *flag, int timeout_ms)
{
	long long end = tu_now_ms() + timeout_ms;

	while (!*flag && tu_now_ms() < end) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (!*flag)
			usleep(200);
	}
	return *flag;
}

void
tu_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			struct pollfd pfd = { fd, POLLOUT, 0 };
			poll(&pfd, 1, 100);
			continue;
		}
		if (n <= 0)
			fail_msg("write: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

void
tu_write_str(int fd, const char *s)
{
	tu_write_all(fd, s, strlen(s));
}

char *
tu_read_line(int fd, struct event_base *base, int timeout_ms)
{
	long long end = tu_now_ms() + timeout_ms;
	char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		if (base != NULL)
			event_base_loop(base, EVLOOP_NONBLOCK);
		struct pollfd pfd = { fd, POLLIN, 0 };
		int left = (int)(end - tu_now_ms());
		if (left <= 0)
			break;
		if (poll(&pfd, 1, base != NULL ? 1 : left) <= 0)
			continue;
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			break;
		}
		if (c == '\n') {
			if (buf == NULL)
				buf = calloc(1, 1);
			return buf;
		}
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 256;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		buf[len++] = c;
		buf[len] = '\0';
	}
	free(buf);
	return NULL;
}

int
tu_wait_file(const char *path, const char *needle, int timeout_ms)
{
	long long end = tu_now_ms() + timeout_ms;

	do {
		char *s = tu_slurp(path, NULL);
		int found = s != NULL && strstr(s, needle) != NULL;
		free(s);
		if (found)
			return 0;
		usleep(20000);
	} while (tu_now_ms() < end);
	return -1;
}

pid_t
tu_spawn(char *const argv[], const char *logpath)
{
	pid_t pid = fork();

	if (pid == 0) {
		setsid();
		int fd = open(logpath ? logpath : "/dev/null",
		    O_WRONLY | O_CREAT | O_APPEND, 0644);
		int nul = open("/dev/null", O_RDONLY);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul != -1)
			dup2(nul, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int
tu_reap(pid_t pid, int timeout_ms)
{
	long long end = tu_now_ms() + timeout_ms;
	int status = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r == -1)
			return -1;
		if (tu_now_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status;
		}
		usleep(5000);
	}
}

const char *
tu_qemu(void)
{
	const char *q = getenv("QEMU");

	return q != NULL && *q ? q : QLAUNCH_QEMU;
}

const char *
tu_guest_dir(void)
{
	const char *g = getenv("QLAUNCH_GUEST_DIR");
	char path[4096];

	if (g == NULL || *g == '\0')
		return NULL;
	snprintf(path, sizeof(path), "%s/initrd.img", g);
	return access(path, R_OK) == 0 ? g : NULL;
}

int
tu_connect_unix(const char *path, int timeout_ms)
{
	long long end = tu_now_ms() + timeout_ms;
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return -1;
	do {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		usleep(10000);
	} while (tu_now_ms() < end);
	return -1;
}

struct vmdef *
tu_parse_ok(const char *text)
{
	char err[512];
	struct vmdef *d = vmdef_parse(text, "vm.conf", err, sizeof(err));

	if (d == NULL)
		fail_msg("%s\n%s", err, text);
	return d;
}

struct json_object *
tu_exchange(int fd, const char *req)
{
	tu_write_str(fd, req);
	char *line = tu_read_line(fd, NULL, 5000);
	assert_non_null(line);
	struct json_object *o = json_tokener_parse(line);
	if (o == NULL)
		fail_msg("not JSON: %s", line);
	free(line);
	return o;
}

void
tu_expect_error(struct json_object *o, const char *cls, const char *desc)
{
	struct json_object *e, *c, *d;

	if (!json_object_object_get_ex(o, "error", &e))
		fail_msg("not an error: %s", json_object_to_json_string(o));
	assert_true(json_object_object_get_ex(e, "class", &c));
	assert_true(json_object_object_get_ex(e, "desc", &d));
	assert_string_equal(json_object_get_string(c), cls);
	if (strstr(json_object_get_string(d), desc) == NULL)
		fail_msg("desc '%s' does not say '%s'",
		    json_object_get_string(d), desc);
	json_object_put(o);
}
