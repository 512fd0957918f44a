/*
 * qlaunchd.conf (dconf.c): every value and every parse error, each
 * naming FILE:LINE and leaving the configuration as it was; the
 * systemd protocols (sdnotify.c): READY=1 as a datagram on a socket
 * made here, socket activation in a child given LISTEN_FDS/LISTEN_PID,
 * and the wrong sockets refused; autostart once a boot (bootonce.c).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bootonce.h"
#include "dconf.h"
#include "sdnotify.h"

static void
t_defaults(void **state)
{
	struct dconf c;
	char err[256];

	(void)state;
	dconf_defaults(&c);
	assert_int_equal(c.on_stop, ONSTOP_LEAVE);
	assert_int_equal(c.console_log_max, 1024 * 1024);
	assert_int_equal(c.console_log_rotate, 3);
	assert_string_equal(c.image_dir, "");
	/* a missing file is the defaults, unless it was named */
	assert_int_equal(dconf_load(&c, "/nonexistent/qlaunchd.conf", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(dconf_load(&c, "/nonexistent/qlaunchd.conf", 1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/qlaunchd.conf: No such"));
}

static void
t_values(void **state)
{
	struct dconf c;
	char err[256];

	(void)state;
	dconf_defaults(&c);
	assert_int_equal(dconf_parse(&c, "f",
	    "# the supervisor's defaults\n"
	    "\n"
	    "image_dir = /srv/images\n"
	    "  web_user=nobody  \n"
	    "vnc_listen = 0.0.0.0\n"
	    "log_level = debug\n"
	    "console_log_max = 64K\n"
	    "log_rotate = 5\n"
	    "qemu_log_max = 2MiB\n"
	    "on_stop = suspend\n"
	    "stop_timeout = 30\r\n", err, sizeof(err)), 0);
	assert_string_equal(c.image_dir, "/srv/images");
	assert_string_equal(c.web_user, "nobody");
	assert_string_equal(c.vnc_listen, "0.0.0.0");
	assert_int_equal(c.log_debug, 1);
	assert_int_equal(c.console_log_max, 64 * 1024);
	assert_int_equal(c.console_log_rotate, 5);
	assert_int_equal(c.qemu_log_max, 2 * 1024 * 1024);
	assert_int_equal(c.on_stop, ONSTOP_SUSPEND);
	assert_int_equal(c.stop_timeout, 30);
	assert_int_equal(dconf_parse(&c, "f", "console_log_max = 0\n"
	    "on_stop = shutdown\nlog_level = info", err, sizeof(err)), 0);
	assert_int_equal(c.console_log_max, 0);
	assert_int_equal(c.on_stop, ONSTOP_SHUTDOWN);
	assert_int_equal(c.log_debug, 0);
}

static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	{ "image_dir\n", "f:1: expected 'key = value'" },
	{ "\n\n = x\n", "f:3: no key before '='" },
	{ "colour = blue\n", "f:1: unknown key 'colour'" },
	{ "on_stop = leave\non_stop = leave\n", "f:2: on_stop: given twice" },
	{ "on_stop =\n", "f:1: on_stop: no value" },
	{ "image_dir = images\n", "f:1: image_dir: 'images' is not an "
	    "absolute path" },
	{ "web_user = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaa\n", "f:1: web_user: user name too long" },
	{ "vnc_listen = localhost\n", "f:1: vnc_listen: 'localhost' is not "
	    "an IP address" },
	{ "vnc_listen = 1.2.3.4;x\n", "f:1: vnc_listen: '1.2.3.4;x' is not "
	    "an IP address" },
	{ "log_level = loud\n", "f:1: log_level: 'loud': expected info or "
	    "debug" },
	{ "console_log_max = big\n", "f:1: console_log_max: 'big' is not a "
	    "size" },
	{ "console_log_max = 10X\n", "f:1: console_log_max: '10X' is not a "
	    "size" },
	{ "console_log_max = 10Kb2\n", "f:1: console_log_max: '10Kb2' is "
	    "not a size" },
	{ "console_log_max = 100\n", "f:1: console_log_max: '100' is too "
	    "small" },
	{ "qemu_log_max = 99999999G\n", "f:1: qemu_log_max: '99999999G' is "
	    "too large" },
	{ "qemu_log_max = 99999999999999999999999\n", "f:1: qemu_log_max: "
	    "'99999999999999999999999' is not a size" },
	{ "log_rotate = 0\n", "f:1: log_rotate: '0' is too small (1 to 100)" },
	{ "log_rotate = 101\n", "f:1: log_rotate: '101' is too large" },
	{ "log_rotate = two\n", "f:1: log_rotate: 'two' is invalid" },
	{ "on_stop = hibernate\n", "f:1: on_stop: 'hibernate': expected "
	    "shutdown, suspend or leave" },
	{ "stop_timeout = 0\n", "f:1: stop_timeout: '0' is too small" },
	{ "stop_timeout = 3601\n", "f:1: stop_timeout: '3601' is too large" },
};

static void
t_errors(void **state)
{
	char err[256], longline[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct dconf c, before;
		dconf_defaults(&c);
		c.stop_timeout = 7;	/* nothing changes on error */
		before = c;
		char text[512];
		snprintf(text, sizeof(text), "log_rotate = 9\n%s", bad[i].text);
		err[0] = '\0';
		assert_int_equal(dconf_parse(&c, "f", bad[i].text, err,
		    sizeof(err)), -1);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("%s: got '%s', want '%s'", bad[i].text, err,
			    bad[i].err);
		assert_memory_equal(&c, &before, sizeof(c));
		/* an earlier good line does not stick either */
		assert_int_equal(dconf_parse(&c, "f", text, err, sizeof(err)),
		    -1);
		assert_memory_equal(&c, &before, sizeof(c));
	}
	struct dconf c;
	dconf_defaults(&c);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	assert_int_equal(dconf_parse(&c, "f", longline, err, sizeof(err)), -1);
	assert_string_equal(err, "f:1: line too long");
}

static void
t_file(void **state)
{
	char dir[] = "/tmp/test_dconf.XXXXXX", path[PATH_MAX], err[256];
	struct dconf c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qlaunchd.conf", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "on_stop = shutdown\n\nstop_timeout = soon\n");
	fclose(f);
	dconf_defaults(&c);
	assert_int_equal(dconf_load(&c, path, 1, err, sizeof(err)), -1);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s:3: stop_timeout: 'soon' is invalid (1 to 3600)",
	    path);
	assert_string_equal(err, want);
	assert_int_equal(c.on_stop, ONSTOP_LEAVE);
	/* a NUL byte: refused as a whole */
	f = fopen(path, "w");
	fwrite("on_stop = leave\n\0x", 1, 18, f);
	fclose(f);
	assert_int_equal(dconf_load(&c, path, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a NUL byte"));
	/* a directory is not a file */
	assert_int_equal(dconf_load(&c, dir, 1, err, sizeof(err)), -1);
	unlink(path);
	rmdir(dir);
}

/* sd_notify: the datagram arrives on a socket made here, as systemd's */
static void
t_notify(void **state)
{
	char dir[] = "/tmp/test_sdn.XXXXXX", path[PATH_MAX], err[256];
	char buf[64];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify_send("READY=1", err, sizeof(err)), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(sdnotify_send("READY=1", err, sizeof(err)), 1);
	ssize_t n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_int_equal(n, 7);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1");
	assert_int_equal(sdnotify_send("STOPPING=1", err, sizeof(err)), 1);
	n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "STOPPING=1");
	/* the abstract namespace, as systemd may give it */
	int a = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un asun = { .sun_family = AF_UNIX };
	char aname[64];
	snprintf(aname, sizeof(aname), "@qltest-%d", (int)getpid());
	memcpy(asun.sun_path + 1, aname + 1, strlen(aname) - 1);
	assert_int_equal(bind(a, (struct sockaddr *)&asun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(aname))), 0);
	setenv("NOTIFY_SOCKET", aname, 1);
	assert_int_equal(sdnotify_send("READY=1", err, sizeof(err)), 1);
	assert_int_equal(recv(a, buf, sizeof(buf), MSG_DONTWAIT), 7);
	/* nobody there, a relative path */
	close(s);
	unlink(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(sdnotify_send("READY=1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	setenv("NOTIFY_SOCKET", "notify", 1);
	assert_int_equal(sdnotify_send("READY=1", err, sizeof(err)), -1);
	unsetenv("NOTIFY_SOCKET");
	close(a);
	rmdir(dir);
}

/*
 * In a child: fd as descriptor 3, LISTEN_FDS=nfds, LISTEN_PID its own
 * pid (or other_pid); sdlisten_take for path.  The exit status: the
 * result + 1, and 10 more when err holds want.
 */
static int
activate(int fd, const char *nfds, int other_pid, const char *path,
    const char *want)
{
	pid_t pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		char spid[32], err[512];
		if (fd != -1 && fd != 3 && dup2(fd, 3) == -1)
			_exit(99);
		snprintf(spid, sizeof(spid), "%d", other_pid ? 1 :
		    (int)getpid());
		setenv("LISTEN_PID", spid, 1);
		setenv("LISTEN_FDS", nfds, 1);
		int got = -1;
		err[0] = '\0';
		int r = sdlisten_take(path, &got, err, sizeof(err));
		if (r == 1 && (got != 3 || getenv("LISTEN_FDS") != NULL))
			_exit(98);
		if (r == 1 && accept(got, NULL, NULL) != -1)
			_exit(97);	/* non-blocking: nobody waits */
		_exit(r + 1 + (want != NULL && strstr(err, want) ? 10 : 0));
	}
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
t_activation(void **state)
{
	char dir[] = "/tmp/test_sdl.XXXXXX", path[PATH_MAX], other[PATH_MAX];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	snprintf(other, sizeof(other), "%s/other.sock", dir);
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(l, 4), 0);
	/* the right socket: taken */
	assert_int_equal(activate(l, "1", 0, path, NULL), 2);
	/* meant for another process, or none passed: not taken, no error */
	assert_int_equal(activate(l, "1", 1, path, NULL), 1);
	assert_int_equal(activate(l, "0", 0, path, NULL), 1);
	/* bound elsewhere */
	assert_int_equal(activate(l, "1", 0, other, "is bound to"), 10);
	/* two sockets */
	assert_int_equal(activate(l, "2", 0, path, "2 sockets passed"), 10);
	assert_int_equal(activate(l, "x", 0, path, "LISTEN_FDS=x"), 10);
	/* a datagram socket, a stream socket not listening, a pipe */
	int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(activate(dg, "1", 0, path,
	    "not a listening UNIX stream socket"), 10);
	int nl = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(activate(nl, "1", 0, path,
	    "not a listening UNIX stream socket"), 10);
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(activate(p[0], "1", 0, path, "is not a socket"), 10);
	close(p[0]);
	close(p[1]);
	close(dg);
	close(nl);
	close(l);
	unlink(path);
	rmdir(dir);
}

static void
t_bootonce(void **state)
{
	char dir[] = "/tmp/test_boot.XXXXXX", path[PATH_MAX];

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(bootonce_first(dir), 1);
	assert_int_equal(bootonce_first(dir), 0);	/* a restart */
	snprintf(path, sizeof(path), "%s/autostarted", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "an-earlier-boot\n");		/* a reboot */
	fclose(f);
	assert_int_equal(bootonce_first(dir), 1);
	assert_int_equal(bootonce_first(dir), 0);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_defaults),
		cmocka_unit_test(t_values),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_file),
		cmocka_unit_test(t_notify),
		cmocka_unit_test(t_activation),
		cmocka_unit_test(t_bootonce),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
