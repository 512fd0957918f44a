/*
 * bench_webpage: the time to a VNC console's first frame through the web
 * process, as the page gets it: POST /api/vms/NAME/console (the ticket,
 * on behalf of the session's user), then a WebSocket to /ws/console
 * (console-open on the web process's own control connection, the 101,
 * the bridge) until the frame with QEMU's RFB greeting, each on a new
 * TCP connection as a browser's first visit; against the baseline of a
 * VNC client connecting to QEMU's VNC port and reading the same greeting,
 * in the same run, alternating.  Needs root (a user of its own for the
 * web process, as qlaunchd --web-user).
 *
 *   bench_webpage [-q] [-n runs] [-w warmup]
 *
 * No kernel boots (SeaBIOS finds nothing and halts).  Nothing here judges
 * the times.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <err.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "jget.h"

#define VM		"wp1"
#define WEBUSER		"qltwbench"

static struct bl_series s_web, s_ticket, s_tcp;
static int web_port;

static int
tcp(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1)
		err(1, "connect 127.0.0.1:%d", port);
	return fd;
}

/* Exactly n bytes from fd within 10 s. */
static void
get(int fd, void *buf, size_t n, const char *what)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 10000) != 1)
			errx(1, "%s: nothing within 10 s", what);
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			errx(1, "%s: closed", what);
		got += (size_t)r;
	}
}

/* An HTTP answer's head (byte by byte: what follows is not ours). */
static void
head(int fd, char *buf, size_t cap, const char *what)
{
	size_t n = 0;

	while (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0) {
		if (n + 1 >= cap)
			errx(1, "%s: head too long", what);
		get(fd, buf + n, 1, what);
		buf[++n] = '\0';
	}
}

/* A whole HTTP/1.0 exchange: the answer in buf (NUL-terminated). */
static void
http(const char *req, char *buf, size_t cap)
{
	int fd = tcp(web_port);
	size_t n = 0;

	bl_write_all(fd, req, strlen(req));
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 10000) != 1)
			errx(1, "the web process does not answer");
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap - 1)
			errx(1, "an answer too long");
	}
	buf[n] = '\0';
	close(fd);
}

/* A JSON body's string value (the answer's body parsed). */
static char *
body_str(const char *resp, const char *key)
{
	const char *b = strstr(resp, "\r\n\r\n");
	struct json_object *o = b != NULL ? json_tokener_parse(b + 4) : NULL;
	char *v = jstr(o, key) != NULL ? strdup(jstr(o, key)) : NULL;

	json_object_put(o);
	if (v == NULL)
		errx(1, "no \"%s\" in: %s", key, resp);
	return v;
}

static void
web_once(const char *cookie, const char *csrf, int record)
{
	char req[2048], resp[8192];
	static const char body[] = "{\"kind\":\"vnc\"}";

	uint64_t t0 = bl_now_ns();
	snprintf(req, sizeof(req), "POST /api/vms/" VM "/console HTTP/1.0\r\n"
	    "Host: 127.0.0.1:%d\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    web_port, cookie, csrf, strlen(body), body);
	http(req, resp, sizeof(resp));
	char *url = body_str(resp, "url");
	uint64_t t1 = bl_now_ns();
	int fd = tcp(web_port);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "Origin: http://127.0.0.1:%d\r\nCookie: %s\r\nConnection: Upgrade"
	    "\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", url,
	    web_port, web_port, cookie);
	free(url);
	bl_write_all(fd, req, strlen(req));
	head(fd, resp, sizeof(resp), "the WebSocket's opening");
	if (strncmp(resp, "HTTP/1.1 101", 12) != 0)
		errx(1, "the WebSocket was refused: %s", resp);
	unsigned char h[2], g[12];
	get(fd, h, 2, "the first frame");
	if (h[0] != 0x82 || (h[1] & 0x7f) < 12)
		errx(1, "the first frame is not the greeting (%02x %02x)", h[0],
		    h[1]);
	get(fd, g, sizeof(g), "the greeting");
	if (memcmp(g, "RFB 003.008\n", 12) != 0)
		errx(1, "not an RFB greeting: %.12s", g);
	uint64_t t2 = bl_now_ns();
	close(fd);
	if (record) {
		bl_series_add(&s_web, t2 - t0);
		bl_series_add(&s_ticket, t1 - t0);
	}
}

static void
tcp_once(int port, int record)
{
	char g[12];

	uint64_t t0 = bl_now_ns();
	int fd = tcp(port);
	get(fd, g, sizeof(g), "the VNC port");
	if (memcmp(g, "RFB 003.008\n", 12) != 0)
		errx(1, "VNC port: not an RFB greeting: %.12s", g);
	uint64_t t1 = bl_now_ns();
	close(fd);
	if (record)
		bl_series_add(&s_tcp, t1 - t0);
}

/* The web process, as WEBUSER; its port from its first line. */
static pid_t
web_start(void)
{
	char log[1024], line[512];
	char *argv[] = { bl_qlaunch, "web", "--listen", "127.0.0.1:0",
	    "--user", WEBUSER, "--audit-log", "/dev/null", NULL };

	snprintf(log, sizeof(log), "%s/web.log", bl_tmp);
	pid_t pid = bl_spawn(argv, log, 0);
	for (int i = 0; i < 400; i++) {
		FILE *f = fopen(log, "r");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			const char *p = strstr(line, "serving http://127.0.0.1:");
			if (p != NULL) {
				web_port = atoi(p + strlen("serving "
				    "http://127.0.0.1:"));
				fclose(f);
				return pid;
			}
		}
		if (f != NULL)
			fclose(f);
		bl_sleep_ms(25);
	}
	errx(1, "the web process did not come up (%s)", log);
}

int
main(int argc, char **argv)
{
	int runs = 50, warmup = 3;
	char resp[8192], req[1024];

	bl_run_options(argc, argv, "bench_webpage", &runs, &warmup, 10);
	if (getuid() != 0)
		errx(1, "needs root (a user of its own for the web process)");
	if (getpwnam(WEBUSER) == NULL && system("useradd -r -M -d /nonexistent "
	    "-s /usr/sbin/nologin " WEBUSER) != 0)
		errx(1, "cannot add the user " WEBUSER);
	bl_init("bench_webpage");
	char *extra[] = { "--web-user", WEBUSER, NULL };
	bl_daemon_args(extra);
	bl_daemon_start();
	/* the web process's user reaches the socket */
	chmod(bl_tmp, 0755);
	chmod(bl_sock, 0666);
	struct client_conn c;
	bl_connect(&c);

	struct json_object *a = json_object_new_object();
	struct json_object *set = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(VM));
	json_object_object_add(set, "memory", json_object_new_string("64"));
	json_object_object_add(set, "accel", json_object_new_string("tcg"));
	json_object_object_add(set, "graphics",
	    json_object_new_string("vnc,listen=127.0.0.1"));
	json_object_object_add(a, "settings", set);
	json_object_put(bl_call(&c, "create", a));
	pid_t vmpid = bl_vm_start(&c, VM, 0);
	a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(VM));
	struct json_object *v = bl_call(&c, "vncdisplay", a);
	int port = (int)jint(v, "port", 0);
	json_object_put(v);
	if (port <= 0)
		errx(1, "vncdisplay: no port");

	pid_t web = web_start();
	/* a session: root's login link, redeemed */
	v = bl_call(&c, "web-login", NULL);
	const char *link = jstr(v, "url");
	const char *path = link != NULL ? strstr(link, "/login?") : NULL;
	if (path == NULL)
		errx(1, "web-login: no link");
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	json_object_put(v);
	http(req, resp, sizeof(resp));
	char cookie[256];
	const char *sc = strstr(resp, "Set-Cookie: ");
	if (sc == NULL)
		errx(1, "no session: %s", resp);
	sc += strlen("Set-Cookie: ");
	size_t cl = strcspn(sc, ";\r");
	if (cl >= sizeof(cookie))
		errx(1, "a cookie too long");
	memcpy(cookie, sc, cl);
	cookie[cl] = '\0';
	snprintf(req, sizeof(req), "GET /api/session HTTP/1.0\r\nCookie: %s"
	    "\r\n\r\n", cookie);
	http(req, resp, sizeof(resp));
	char *csrf = body_str(resp, "csrf");

	bl_series_init(&s_web, "ticket POST + WebSocket + first frame");
	bl_series_init(&s_ticket, "  of which the ticket POST");
	bl_series_init(&s_tcp, "VNC port: connect + greeting");
	for (int i = 0; i < warmup + runs; i++) {
		int rec = i >= warmup;
		if (i % 2 == 0) {
			web_once(cookie, csrf, rec);
			tcp_once(port, rec);
		} else {
			tcp_once(port, rec);
			web_once(cookie, csrf, rec);
		}
	}

	printf("bench_webpage: a VNC console's first frame through the web "
	    "process, %s\n", bl_qemu);
	printf("VM: pc, 64 MiB, tcg, vnc on 127.0.0.1:%d, no kernel; the web "
	    "process on 127.0.0.1:%d as %s\n", port, web_port, WEBUSER);
	printf("%d runs per method after %d warm-up, alternating, a new TCP "
	    "connection for each request\n\n", runs, warmup);
	printf("  %-44s %9s %9s %9s\n", "to the RFB greeting", "median ms",
	    "p90 ms", "min ms");
	bl_row(&s_web);
	bl_row(&s_ticket);
	bl_row(&s_tcp);
	printf("\n  %-44s %9s %11s %11s\n", "median against baseline", "ratio",
	    "difference", "paired");
	bl_compare("web process path / VNC port", &s_web, &s_tcp);
	printf("\n(the web path is two HTTP requests, two supervisor round "
	    "trips, QEMU's getfd\nand add_client, a descriptor passed back and "
	    "the WebSocket framing.)\n");

	free(csrf);
	kill(web, SIGTERM);
	bl_wait(web, 5000);
	bl_vm_destroy(&c, VM);
	bl_untrack_foreign(vmpid);
	client_close(&c);
	bl_series_free(&s_web);
	bl_series_free(&s_ticket);
	bl_series_free(&s_tcp);
	return 0;
}
