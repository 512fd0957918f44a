/*
 * ssh:// destinations: the URI parser and ssh's command line (every
 * error path); the supervisor's side of the passed connection: a migrate
 * request asking for it without one, or with a descriptor that is not a
 * stream socket, is refused with nothing started; one that is a socket
 * carries the exchange with the destination (migrate-prepare, and
 * migrate-abort after a refusal); and through a real qlaunchd's control
 * socket, a descriptor passed with a request that does not take it is
 * closed at once.  A listen address by name, looked up without blocking:
 * numeric as it is, localhost from the hosts file, and a name nobody
 * answers for refused in one line within the bound (the resolver
 * pointed at a UDP socket of the test's on loopback, so no packet
 * leaves the host).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "config.h"
#include "daemon.h"
#include "dispatch.h"
#include "fakeqemu.h"
#include "jget.h"
#include "migpeer.h"
#include "req.h"
#include "sshuri.h"
#include "testutil.h"
#include "vm.h"

#define RUNNING_VM	PLAIN_VM "uuid: 00000000-0000-4000-8000-0000000000c1\n"
#define CAPS_REPLY	"[{\"capability\": \"events\", \"state\": false}, " \
	"{\"capability\": \"xbzrle\", \"state\": false}, " \
	"{\"capability\": \"auto-converge\", \"state\": false}, " \
	"{\"capability\": \"multifd\", \"state\": false}]"
#define PARAMS_REPLY	"{\"max-bandwidth\": 33554432, " \
	"\"downtime-limit\": 300, \"multifd-channels\": 2}"

/* ---- the URI ---- */

static void
test_uri_forms(void **state)
{
	struct sshuri u;
	char err[512], label[320];

	(void)state;
	assert_int_equal(sshuri_parse("ssh://host1", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "host1");
	assert_string_equal(u.user, "");
	assert_int_equal(u.port, 0);
	assert_int_equal(sshuri_parse("ssh://me@10.0.0.2:2222/", &u, err,
	    sizeof(err)), 0);
	assert_string_equal(u.user, "me");
	assert_string_equal(u.host, "10.0.0.2");
	assert_int_equal(u.port, 2222);
	sshuri_label(&u, label, sizeof(label));
	assert_string_equal(label, "me@10.0.0.2:2222");
	assert_int_equal(sshuri_parse("ssh://[fd00::1]:22/?keyfile=/k/id&"
	    "socket=/run/q.sock&command=/opt/bin/qlaunch", &u, err,
	    sizeof(err)), 0);
	assert_string_equal(u.host, "fd00::1");
	assert_int_equal(u.port, 22);
	assert_string_equal(u.keyfile, "/k/id");
	assert_string_equal(u.socket, "/run/q.sock");
	assert_string_equal(u.command, "/opt/bin/qlaunch");
	sshuri_label(&u, label, sizeof(label));
	assert_string_equal(label, "[fd00::1]:22");
	assert_true(sshuri_is("ssh://x"));
	assert_false(sshuri_is("unix:/x"));
}

static void
test_uri_errors(void **state)
{
	static const struct {
		const char	*uri, *why;
	} bad[] = {
		{ "ssh://", "no host" },
		{ "ssh://me@", "no host" },
		{ "ssh://h:0", "the port '0' is too small" },
		{ "ssh://h:65536", "the port '65536' is too large" },
		{ "ssh://h:x", "the port 'x' is invalid" },
		{ "ssh://h/path", "has no path" },
		{ "ssh://-oProxyCommand=x", "is not a host name" },
		{ "ssh://h;id", "is not a host name" },
		{ "ssh://b@d@h", "is not a user name" },
		{ "ssh://-l@h", "is not a user name" },
		{ "ssh://[::1", "an IPv6 address is [ADDRESS]" },
		{ "ssh://[::1]x", "an IPv6 address is [ADDRESS]" },
		{ "ssh://[g;]", "is not an IPv6 address" },
		{ "ssh://h/?sock=/x", "unknown key 'sock'" },
		{ "ssh://h/?socket", "'socket' in the query is not KEY=VALUE" },
		{ "ssh://h/?socket=", "socket '' is empty" },
		{ "ssh://h/?command=a;b", "holds characters it may not" },
		{ "ssh://h/?command=a'b", "holds characters it may not" },
		{ "ssh://h/?command=$(x)", "holds characters it may not" },
		{ "ssh://h/?keyfile=-oX", "holds characters it may not" },
		{ "unix:/x", "not an ssh:// URI" },
	};
	struct sshuri u;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sshuri_parse(bad[i].uri, &u, err, sizeof(err)) != -1)
			fail_msg("%s was accepted", bad[i].uri);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: '%s' does not say '%s'", bad[i].uri, err,
			    bad[i].why);
	}
	/* too long for the socket's place */
	char longer[300] = "ssh://h/?socket=/";
	memset(longer + strlen(longer), 'a', 150);
	assert_int_equal(sshuri_parse(longer, &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "socket is too long"));
}

static char *
joined(const char **argv)
{
	static char buf[2048];

	buf[0] = '\0';
	for (size_t i = 0; argv[i] != NULL; i++) {
		strlcat(buf, i > 0 ? "|" : "", sizeof(buf));
		strlcat(buf, argv[i], sizeof(buf));
	}
	return buf;
}

static void
test_argv(void **state)
{
	struct sshuri u;
	const char *argv[SSHURI_ARGV_MAX];
	char err[512], buf[2400], small[16];

	(void)state;
	assert_int_equal(sshuri_parse("ssh://host1", &u, err, sizeof(err)), 0);
	assert_int_equal(sshuri_argv(&u, "ssh", argv, buf, sizeof(buf)), 0);
	assert_string_equal(joined(argv), "ssh|-T|-o|BatchMode=yes|-o|"
	    "LogLevel=ERROR|-o|ConnectTimeout=15|--|host1|'qlaunch' proxy");
	assert_int_equal(sshuri_parse("ssh://me@h:2222/?keyfile=/k/id&"
	    "socket=/s.sock&command=/b/qlaunch", &u, err, sizeof(err)), 0);
	assert_int_equal(sshuri_argv(&u, "/x/ssh", argv, buf, sizeof(buf)), 0);
	assert_string_equal(joined(argv), "/x/ssh|-T|-o|BatchMode=yes|-o|"
	    "LogLevel=ERROR|-o|ConnectTimeout=15|-p|2222|-l|me|-i|/k/id|-o|"
	    "IdentitiesOnly=yes|--|h|'/b/qlaunch' -c '/s.sock' proxy");
	assert_int_equal(sshuri_argv(&u, "ssh", argv, small, sizeof(small)),
	    -1);
}

/* ---- the supervisor's side ---- */

/* What the connection passes with the request. */
static int passed_fd = -1;

static void
ops_send(void *conn, struct json_object *m)
{
	struct fx *f = conn;

	assert_true(f->nmsgs < 32);
	f->msgs[f->nmsgs++] = json_object_get(m);
}

static int
ops_take_fd(void *conn)
{
	int fd = passed_fd;

	(void)conn;
	passed_fd = -1;
	return fd;
}

static const struct req_ops fd_ops = { ops_send, NULL, NULL, ops_take_fd,
    NULL, NULL, NULL };

static void
request_fd(struct fx *f, const char *args, int fd)
{
	passed_fd = fd;
	dispatch(req_new(&f->d, &fd_ops, f, "migrate", json_object_new_int(1),
	    json_tokener_parse(args), 0, 1));
}

/* The descriptor's other end sees the end: nobody holds it any more. */
static void
assert_closed(struct fx *f, int other)
{
	char c;

	for (int i = 0; i < 2000; i++) {
		struct pollfd p = { other, POLLIN, 0 };
		if (poll(&p, 1, 0) == 1) {
			assert_int_equal(read(other, &c, 1), 0);
			return;
		}
		pump(f, 1);
	}
	fail_msg("the passed descriptor is still open");
}

static void
test_peer_fd_missing(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_running_vm(f, RUNNING_VM);
	request(f, "migrate", "{\"name\": \"t1\", \"peer_fd\": true}");
	expect_error(f, "GenericError", "\"peer_fd\" needs the connection", 0);
	assert_int_equal(f->vm->state, VM_RUNNING);
	fx_free(f);
}

static void
test_peer_fd_not_socket(void **state)
{
	struct fx *f = fx_new();
	int p[2];

	(void)state;
	fx_running_vm(f, RUNNING_VM);
	assert_int_equal(pipe(p), 0);
	request_fd(f, "{\"name\": \"t1\", \"peer_fd\": true}", p[1]);
	expect_error(f, "GenericError", "not a stream socket", 0);
	assert_closed(f, p[0]);
	close(p[0]);
	assert_int_equal(f->vm->state, VM_RUNNING);
	fx_free(f);
}

/* One request from the source on the passed socket. */
static struct json_object *
dest_request(struct fx *f, int c, const char *name)
{
	char *line = tu_read_line(c, f->base, 5000);

	if (line == NULL)
		fail_msg("the destination got nothing (expected %s)", name);
	struct json_object *o = json_tokener_parse(line);
	free(line);
	assert_non_null(o);
	assert_string_equal(jstr(o, "execute"), name);
	return o;
}

static void
test_peer_fd_carries(void **state)
{
	struct fx *f = fx_new();
	int sv[2];
	char buf[512];

	(void)state;
	fx_running_vm(f, RUNNING_VM);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	request_fd(f, "{\"name\": \"t1\", \"peer_fd\": true, \"dest\": "
	    "\"me@h:22\", \"listen\": \"10.9.9.9\"}", sv[1]);
	answer(f, expect_cmd(f, "qom-get", NULL), "\"pc-i440fx-7.2-machine\"");
	answer(f, expect_cmd(f, "query-migrate-capabilities", NULL),
	    CAPS_REPLY);
	answer(f, expect_cmd(f, "query-migrate-parameters", NULL),
	    PARAMS_REPLY);
	struct json_object *o = dest_request(f, sv[0], "migrate-prepare");
	assert_string_equal(jstr(jget(o, "arguments"), "listen"), "10.9.9.9");
	snprintf(buf, sizeof(buf), "{\"id\": %lld, \"error\": {\"class\": "
	    "\"GenericError\", \"desc\": \"no room here\"}}\n",
	    jint(o, "id", -1));
	json_object_put(o);
	tu_write_str(sv[0], buf);
	/* the destination is told to drop what it prepared */
	o = dest_request(f, sv[0], "migrate-abort");
	snprintf(buf, sizeof(buf), "{\"id\": %lld, \"return\": {}}\n",
	    jint(o, "id", -1));
	json_object_put(o);
	tu_write_str(sv[0], buf);
	expect_error(f, "GenericError", "the destination: no room here", 0);
	assert_closed(f, sv[0]);
	close(sv[0]);
	assert_int_equal(f->vm->state, VM_RUNNING);
	fx_free(f);
}

/* ---- a real qlaunchd: an unclaimed descriptor is closed ---- */

static void
send_with_fd(int sock, const char *line, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { (void *)line, strlen(line) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	memset(&u, 0, sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)strlen(line));
}

static void
wait_eof(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	if (poll(&p, 1, 5000) != 1)
		fail_msg("the supervisor keeps a descriptor nobody took");
	assert_int_equal(read(fd, &c, 1), 0);
}

/* The supervisor, stopped by the teardown even when a check fails. */
static struct {
	char	*dir;
	char	 sock[300];
	pid_t	 pid;
} real;

static int
real_up(void **state)
{
	char st[300], prog[512], log[320];

	(void)state;
	real.dir = tu_mkdtemp("mpeer");
	snprintf(real.sock, sizeof(real.sock), "%s/ctl.sock", real.dir);
	snprintf(st, sizeof(st), "%s/state", real.dir);
	snprintf(log, sizeof(log), "%s/qlaunchd.log", real.dir);
	snprintf(prog, sizeof(prog), "%s/launcher/qlaunchd", QLAUNCH_BUILDDIR);
	char *argv[] = { prog, "-f", "-s", st, "-S", real.sock, NULL };
	real.pid = tu_spawn(argv, log);
	return 0;
}

static int
real_down(void **state)
{
	(void)state;
	kill(real.pid, SIGTERM);
	int ws = tu_reap(real.pid, 5000);
	tu_rmtree(real.dir);
	free(real.dir);
	/* it exits cleanly on SIGTERM */
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -1;
}

static void
test_control_unclaimed(void **state)
{
	int c = tu_connect_unix(real.sock, 5000), p[2];

	(void)state;
	assert_true(c != -1);

	/* with a request that takes none */
	assert_int_equal(pipe(p), 0);
	send_with_fd(c, "{\"id\": 1, \"execute\": \"version\"}\n", p[1]);
	close(p[1]);
	char *line = tu_read_line(c, NULL, 5000);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"return\""));
	free(line);
	wait_eof(p[0]);
	close(p[0]);

	/* with a migrate refused before it takes it (no such VM) */
	assert_int_equal(pipe(p), 0);
	send_with_fd(c, "{\"id\": 2, \"execute\": \"migrate\", \"arguments\": "
	    "{\"name\": \"ghost\", \"peer_fd\": true}}\n", p[1]);
	close(p[1]);
	line = tu_read_line(c, NULL, 5000);
	assert_non_null(line);
	assert_non_null(strstr(line, "no VM named 'ghost'"));
	free(line);
	wait_eof(p[0]);
	close(p[0]);

	/* the connection still serves */
	tu_write_str(c, "{\"id\": 3, \"execute\": \"version\"}\n");
	line = tu_read_line(c, NULL, 5000);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"return\""));
	free(line);
	close(c);
}

/* ---- a listen address by name ---- */

struct found {
	int	 called;
	char	 addr[64];
	char	 err[512];
};

static void
found_cb(void *arg, const char *addr, const char *err)
{
	struct found *f = arg;

	f->called++;
	if (addr != NULL)
		strlcpy(f->addr, addr, sizeof(f->addr));
	if (err != NULL)
		strlcpy(f->err, err, sizeof(f->err));
}

/*
 * A resolv.conf naming only a UDP socket of ours on loopback that never
 * answers: its descriptor; the file's path in path.
 */
static int
dead_resolver(const char *dir, char *path, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd != -1);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(path, len, "%s/resolv.conf", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "nameserver 127.0.0.1:%u\noptions timeout:5 attempts:1\n",
	    ntohs(sin.sin_port));
	fclose(fp);
	return fd;
}

static void
test_resolve(void **state)
{
	struct event_base *base = event_base_new();
	char *dir = tu_mkdtemp("resolve"), conf[PATH_MAX], buf[512];
	int ns = dead_resolver(dir, conf, sizeof(conf));
	struct found f;

	(void)state;
	/* numeric: as it is, and only from the loop */
	memset(&f, 0, sizeof(f));
	assert_int_equal(migpeer_resolve(base, conf, "192.0.2.7", 1000,
	    found_cb, &f), 0);
	assert_int_equal(f.called, 0);
	assert_true(tu_pump(base, &f.called, 1000));
	assert_string_equal(f.addr, "192.0.2.7");
	assert_string_equal(f.err, "");
	memset(&f, 0, sizeof(f));
	assert_int_equal(migpeer_resolve(base, conf, "::1", 1000, found_cb,
	    &f), 0);
	assert_true(tu_pump(base, &f.called, 1000));
	assert_string_equal(f.addr, "::1");

	/* localhost: the hosts file, no question asked */
	memset(&f, 0, sizeof(f));
	assert_int_equal(migpeer_resolve(base, conf, "localhost", 1000,
	    found_cb, &f), 0);
	assert_int_equal(f.called, 0);
	assert_true(tu_pump(base, &f.called, 2000));
	if (strcmp(f.addr, "127.0.0.1") != 0 && strcmp(f.addr, "::1") != 0)
		fail_msg("localhost gave '%s' (%s)", f.addr, f.err);
	assert_int_equal(recv(ns, buf, sizeof(buf), 0), -1);

	/* nobody answers: one line, within the bound; asked only of ns */
	memset(&f, 0, sizeof(f));
	long long t0 = tu_now_ms();
	assert_int_equal(migpeer_resolve(base, conf, "nothing.invalid", 300,
	    found_cb, &f), 0);
	assert_true(tu_pump(base, &f.called, 3000));
	long long took = tu_now_ms() - t0;
	assert_true(took >= 250 && took < 2000);
	assert_int_equal(f.called, 1);
	assert_string_equal(f.addr, "");
	assert_string_equal(f.err, "listen address 'nothing.invalid' is not "
	    "an IP address, nor a name this host resolves: no answer from "
	    "the resolver within 1 s");
	assert_null(strchr(f.err, '\n'));
	assert_true(recv(ns, buf, sizeof(buf), 0) > 0);
	for (long long end = tu_now_ms() + 50; tu_now_ms() < end;)
		event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(f.called, 1);

	close(ns);
	event_base_free(base);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_forms),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_uri_errors),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_peer_fd_missing),
		cmocka_unit_test(test_peer_fd_not_socket),
		cmocka_unit_test(test_peer_fd_carries),
		cmocka_unit_test_setup_teardown(test_control_unclaimed,
		    real_up, real_down),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
