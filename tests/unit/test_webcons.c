/*
 * The consoles in the page (webcons.c) through webapi's routes on a real
 * evhttp server, with a fake supervisor on a UNIX socket: the ticket on
 * behalf of the session's user, the WebSocket's checks (session, Origin,
 * arguments), console-open on a connection of its own, a refusal as a
 * close frame with the supervisor's reason (wsconsole_refuse), the
 * descriptor that came with the reply bridged; the vendor files (.js and
 * .css only, no dot files, no symbolic links, no "..").
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "jget.h"
#include "testutil.h"
#include "web.h"
#include "webctl.h"
#include "websess.h"

struct fx {
	struct event_base	*base;
	struct web		 w;
	char			 dir[64];
	char			 sock[128];
	int			 lfd;		/* the fake supervisor's */
	int			 ctl;		/* webctl's connection, accepted */
	int			 port;
	struct websess		*s;
};

static void
loop_a_bit(struct fx *f)
{
	for (int i = 0; i < 5; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/* fd readable within 5 s, the loop running meanwhile */
static int
readable(struct fx *f, int fd)
{
	long long end = tu_now_ms() + 5000;

	while (tu_now_ms() < end) {
		loop_a_bit(f);
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 1) > 0)
			return 1;
	}
	return 0;
}

static int
fake_accept(struct fx *f)
{
	assert_true(readable(f, f->lfd));
	int fd = accept(f->lfd, NULL, NULL);
	assert_true(fd >= 0);
	return fd;
}

/* One request line from the web process, parsed. */
static struct json_object *
fake_request(struct fx *f, int fd)
{
	char buf[8192];
	size_t n = 0;

	while (n == 0 || buf[n - 1] != '\n') {
		assert_true(readable(f, fd));
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		assert_true(r > 0);
		n += (size_t)r;
	}
	buf[n] = '\0';
	struct json_object *o = json_tokener_parse(buf);
	assert_non_null(o);
	return o;
}

/* A reply line, with passfd beside it unless -1. */
static void
fake_reply(int fd, const char *line, int passfd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { (void *)line, strlen(line) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (passfd != -1) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	}
	assert_int_equal(sendmsg(fd, &mh, 0), (ssize_t)strlen(line));
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char p[160], err[256];

	f->base = event_base_new();
	strlcpy(f->dir, "/tmp/qlt-webcons.XXXXXX", sizeof(f->dir));
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/ctl.sock", f->dir);
	strlcpy(sun.sun_path, f->sock, sizeof(sun.sun_path));
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f->lfd, 64), 0);

	/* the vendor directory */
	snprintf(p, sizeof(p), "%s/vendor", f->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/vendor/dir", f->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	static const char *files[] = { "a.js", "dir/b.css", "c.txt",
	    ".hidden.js", "dir/.x.js" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/vendor/%s", f->dir, files[i]);
		FILE *fp = fopen(p, "w");
		assert_non_null(fp);
		fprintf(fp, "/* %s */\n", files[i]);
		fclose(fp);
	}
	snprintf(p, sizeof(p), "%s/vendor/l.js", f->dir);
	assert_int_equal(symlink("a.js", p), 0);
	snprintf(p, sizeof(p), "%s/secret.js", f->dir);
	FILE *fp = fopen(p, "w");
	fputs("secret\n", fp);
	fclose(fp);

	struct web *w = &f->w;
	TAILQ_INIT(&w->sessions);
	TAILQ_INIT(&w->streams);
	w->base = f->base;
	snprintf(p, sizeof(p), "%s/vendor", f->dir);
	w->o.vendor = strdup(p);
	w->o.assets = f->dir;
	w->o.sock = f->sock;
	w->audit = fopen("/dev/null", "w");
	w->ctl = webctl_open(f->base, f->sock, NULL, NULL, f, err, sizeof(err));
	assert_non_null(w->ctl);
	f->ctl = fake_accept(f);
	w->http = evhttp_new(f->base);
	webapi_init(w);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(w->http,
	    "127.0.0.1", 0);
	assert_non_null(bs);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
	    &len);
	f->port = ntohs(sin.sin_port);
	f->s = websess_new(w, 1234, "alice");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	evhttp_free(f->w.http);
	websess_fini(&f->w);
	webctl_free(f->w.ctl);
	close(f->ctl);
	close(f->lfd);
	fclose(f->w.audit);
	free((char *)f->w.o.vendor);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A TCP connection to the server with req written. */
static int
http_send(struct fx *f, const char *req)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)f->port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	return fd;
}

/* Read until EOF (or until stop appears); the bytes in buf, NUL-ended. */
static size_t
http_read(struct fx *f, int fd, char *buf, size_t cap, const char *stop)
{
	size_t n = 0;

	buf[0] = '\0';
	while (n < cap - 1 && readable(f, fd)) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (stop != NULL && memmem(buf, n, stop, strlen(stop)) != NULL)
			break;
	}
	return n;
}

static int
status_of(const char *resp)
{
	int code = 0;

	sscanf(resp, "HTTP/1.%*d %d", &code);
	return code;
}

static void
test_vendor(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char	*path;
		int		 code;
	} cases[] = {
		{ "/vendor/a.js",		200 },
		{ "/vendor/dir/b.css",		200 },
		{ "/vendor/c.txt",		404 },
		{ "/vendor/.hidden.js",		404 },
		{ "/vendor/dir/.x.js",		404 },
		{ "/vendor/l.js",		404 },	/* a symbolic link */
		{ "/vendor/../secret.js",	404 },
		{ "/vendor/dir/../../secret.js", 404 },
		{ "/vendor/dir//b.css",		404 },
		{ "/vendor/nothere.js",		404 },
		{ "/vendor/",			404 },
		{ "/vendor/dir",		404 },
	};
	char req[256], resp[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n",
		    cases[i].path);
		int fd = http_send(f, req);
		http_read(f, fd, resp, sizeof(resp), NULL);
		close(fd);
		if (status_of(resp) != cases[i].code)
			fail_msg("%s: %d, not %d", cases[i].path,
			    status_of(resp), cases[i].code);
		assert_null(strstr(resp, "secret"));
	}
	int fd = http_send(f, "GET /vendor/a.js HTTP/1.0\r\n\r\n");
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_non_null(strstr(resp, "Content-Type: text/javascript"));
	assert_non_null(strstr(resp, "/* a.js */"));
}

/* A request with the session's cookie (and CSRF token on a POST). */
static int
session_send(struct fx *f, const char *method, const char *path,
    const char *headers, const char *body)
{
	char req[2048];

	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n"
	    "Cookie: %s=%s\r\nX-CSRF-Token: %s\r\n%sContent-Length: %zu\r\n"
	    "\r\n%s", method, path, f->port, WEB_COOKIE, f->s->id, f->s->csrf,
	    headers, strlen(body), body);
	return http_send(f, req);
}

static void
test_ticket(void **state)
{
	struct fx *f = *state;
	char resp[4096];

	/* no session, a bad name, a bad body: nothing reaches the supervisor */
	int fd = http_send(f, "POST /api/vms/vm1/console HTTP/1.0\r\n"
	    "Content-Length: 2\r\n\r\n{}");
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 401);
	fd = session_send(f, "POST", "/api/vms/bad$name/console", "",
	    "{\"kind\":\"vnc\"}");
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 404);
	fd = session_send(f, "POST", "/api/vms/vm1/console", "", "[1]");
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 400);
	assert_non_null(strstr(resp, "needs {\\\"kind\\\""));
	struct pollfd p = { f->ctl, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 0), 0);

	/* the ticket, on behalf of the session's user */
	fd = session_send(f, "POST", "/api/vms/vm1/console", "",
	    "{\"kind\":\"serial\"}");
	struct json_object *rq = fake_request(f, f->ctl);
	assert_string_equal(jstr(rq, "execute"), "console-ticket");
	assert_int_equal(jint(rq, "on-behalf-of", -1), 1234);
	assert_string_equal(jstr(jget(rq, "arguments"), "name"), "vm1");
	assert_string_equal(jstr(jget(rq, "arguments"), "kind"), "serial");
	char line[256];
	snprintf(line, sizeof(line), "{\"return\":{\"ticket\":\"%s\",\"kind\":"
	    "\"serial\",\"expires_in\":60},\"id\":%d}\n", "ab12",
	    (int)jint(rq, "id", 0));
	json_object_put(rq);
	fake_reply(f->ctl, line, -1);
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 200);
	assert_non_null(strstr(resp, "\"url\":\"\\/ws\\/console?name=vm1&"
	    "ticket=ab12\""));

	/* the supervisor's refusal, as its status */
	fd = session_send(f, "POST", "/api/vms/vm1/console", "",
	    "{\"kind\":\"vnc\"}");
	rq = fake_request(f, f->ctl);
	snprintf(line, sizeof(line), "{\"error\":{\"class\":\"PermissionDenied\","
	    "\"desc\":\"VM 'vm1' belongs to another user\"},\"id\":%d}\n",
	    (int)jint(rq, "id", 0));
	json_object_put(rq);
	fake_reply(f->ctl, line, -1);
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 403);
	assert_non_null(strstr(resp, "belongs to another user"));
}

#define WS_HEADERS(origin) "Connection: Upgrade\r\nUpgrade: websocket\r\n" \
	"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " \
	"dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: " origin "\r\n"

static void
test_ws_checks(void **state)
{
	struct fx *f = *state;
	char resp[4096], origin[128], hdrs[512];

	/* another origin, no origin */
	int fd = session_send(f, "GET", "/ws/console?name=vm1&ticket=ab12",
	    WS_HEADERS("http://evil.example"), "");
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 403);
	snprintf(origin, sizeof(origin), "http://127.0.0.1:%d", f->port);
	snprintf(hdrs, sizeof(hdrs), "Connection: Upgrade\r\nUpgrade: "
	    "websocket\r\nSec-WebSocket-Version: 13\r\n");
	fd = session_send(f, "GET", "/ws/console?name=vm1&ticket=ab12", hdrs,
	    "");
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 403);
	/* no ticket, a bad name */
	snprintf(hdrs, sizeof(hdrs), WS_HEADERS("%s"), origin);
	fd = session_send(f, "GET", "/ws/console?name=vm1", hdrs, "");
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 400);
	fd = session_send(f, "GET", "/ws/console?name=..&ticket=ab", hdrs, "");
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 400);
	/* none of them asked the supervisor for anything */
	struct pollfd p = { f->lfd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 0), 0);
}

/* The WebSocket opened; the console-open it caused, answered with line
 * (and passfd).  The connection to the browser returned. */
static int
ws_open(struct fx *f, const char *line, int passfd)
{
	char origin[128], hdrs[512], resp[4096];

	snprintf(origin, sizeof(origin), "http://127.0.0.1:%d", f->port);
	snprintf(hdrs, sizeof(hdrs), WS_HEADERS("%s"), origin);
	int fd = session_send(f, "GET", "/ws/console?name=vm1&ticket=ab12",
	    hdrs, "");
	int c = fake_accept(f);
	struct json_object *rq = fake_request(f, c);
	assert_string_equal(jstr(rq, "execute"), "console-open");
	assert_int_equal(jint(rq, "on-behalf-of", -1), 1234);
	assert_string_equal(jstr(jget(rq, "arguments"), "name"), "vm1");
	assert_string_equal(jstr(jget(rq, "arguments"), "ticket"), "ab12");
	json_object_put(rq);
	fake_reply(c, line, passfd);
	/* its own connection closes once the reply is in */
	char ch;
	assert_true(readable(f, c));
	assert_int_equal(read(c, &ch, 1), 0);
	close(c);
	/* the answer's head only, byte by byte: frames follow it */
	size_t n = 0;
	while (n < 4 || memcmp(resp + n - 4, "\r\n\r\n", 4) != 0) {
		assert_true(n < sizeof(resp) - 1);
		assert_true(readable(f, fd));
		assert_int_equal(read(fd, resp + n, 1), 1);
		resp[++n] = '\0';
	}
	assert_int_equal(status_of(resp), 101);
	assert_non_null(strstr(resp, "Sec-WebSocket-Accept: "
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
	return fd;
}

/* The next server frame: opcode, payload into buf. */
static int
frame(struct fx *f, int fd, unsigned char *buf, size_t *len)
{
	unsigned char h[2];
	size_t got = 0;

	while (got < 2) {
		assert_true(readable(f, fd));
		ssize_t r = read(fd, h + got, 2 - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
	*len = h[1] & 0x7f;
	assert_true(*len < 126);
	got = 0;
	while (got < *len) {
		assert_true(readable(f, fd));
		ssize_t r = read(fd, buf + got, *len - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
	return h[0] & 0x0f;
}

static void
test_ws_refused(void **state)
{
	struct fx *f = *state;
	unsigned char b[256];
	size_t len;

	int fd = ws_open(f, "{\"error\":{\"class\":\"PermissionDenied\","
	    "\"desc\":\"this console ticket was issued to another user\"},"
	    "\"id\":1}\n", -1);
	assert_int_equal(frame(f, fd, b, &len), 0x8);
	assert_true(len > 2);
	assert_int_equal(b[0] << 8 | b[1], 4403);
	assert_memory_equal(b + 2, "this console ticket was issued to another "
	    "user", len - 2);
	assert_int_equal(len - 2, strlen("this console ticket was issued to "
	    "another user"));
	close(fd);
	loop_a_bit(f);

	/* in use: 4409 */
	fd = ws_open(f, "{\"error\":{\"class\":\"InUse\",\"desc\":\"the "
	    "console of 'vm1' is in use by another client\"},\"id\":1}\n", -1);
	assert_int_equal(frame(f, fd, b, &len), 0x8);
	assert_int_equal(b[0] << 8 | b[1], 4409);
	close(fd);
	/* a reply without a descriptor */
	fd = ws_open(f, "{\"return\":{\"kind\":\"vnc\"},\"id\":1}\n", -1);
	assert_int_equal(frame(f, fd, b, &len), 0x8);
	assert_int_equal(b[0] << 8 | b[1], 4502);
	close(fd);
	loop_a_bit(f);
}

static void
test_ws_bridged(void **state)
{
	struct fx *f = *state;
	unsigned char b[256];
	size_t len;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	int fd = ws_open(f, "{\"return\":{\"kind\":\"serial\"},\"id\":1}\n",
	    sv[1]);
	close(sv[1]);
	/* the console's bytes come as a binary frame */
	assert_int_equal(write(sv[0], "login: ", 7), 7);
	assert_int_equal(frame(f, fd, b, &len), 0x2);
	assert_int_equal(len, 7);
	assert_memory_equal(b, "login: ", 7);
	/* the browser goes: the console's end sees EOF */
	close(fd);
	char c;
	assert_true(readable(f, sv[0]));
	assert_int_equal(read(sv[0], &c, 1), 0);
	close(sv[0]);
}

/* At most 32 console-opens under way; the 33rd is refused at once. */
static void
test_ws_cap(void **state)
{
	struct fx *f = *state;
	char origin[128], hdrs[512], resp[4096];
	int fds[32];

	snprintf(origin, sizeof(origin), "http://127.0.0.1:%d", f->port);
	snprintf(hdrs, sizeof(hdrs), WS_HEADERS("%s"), origin);
	for (int i = 0; i < 32; i++) {
		fds[i] = session_send(f, "GET", "/ws/console?name=vm1&"
		    "ticket=ab12", hdrs, "");
		loop_a_bit(f);
	}
	int fd = session_send(f, "GET", "/ws/console?name=vm1&ticket=ab12",
	    hdrs, "");
	http_read(f, fd, resp, sizeof(resp), NULL);
	close(fd);
	assert_int_equal(status_of(resp), 503);
	assert_non_null(strstr(resp, "too many consoles"));
	/* the supervisor answers them all: each is refused, none is left */
	for (int i = 0; i < 32; i++) {
		int c = fake_accept(f);
		json_object_put(fake_request(f, c));
		fake_reply(c, "{\"error\":{\"class\":\"NotFound\",\"desc\":"
		    "\"no such console ticket\"},\"id\":1}\n", -1);
		close(c);
	}
	for (int i = 0; i < 32; i++) {
		unsigned char b[256];
		size_t len;
		size_t n = 0;
		while (n < 4 || memcmp(resp + n - 4, "\r\n\r\n", 4) != 0) {
			assert_true(readable(f, fds[i]));
			assert_int_equal(read(fds[i], resp + n, 1), 1);
			n++;
		}
		assert_int_equal(frame(f, fds[i], b, &len), 0x8);
		assert_int_equal(b[0] << 8 | b[1], 4404);
		close(fds[i]);
	}
	assert_int_equal(f->w.console_opens, 0);
	loop_a_bit(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vendor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ticket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_bridged, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ws_cap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
