/*
 * bench_webconsole: the time to a web console's first bytes, the
 * supervisor's part: console-ticket, console-open (getfd and add_client
 * in QEMU, the descriptor passed back) and QEMU's RFB greeting read from
 * that descriptor, against the baseline of a VNC client connecting to
 * QEMU's VNC port and reading the same greeting, in the same run,
 * alternating.  The WebSocket framing on top (wsconsole) is not in it.
 *
 *   bench_webconsole [-q] [-n runs] [-w warmup]
 *
 * No kernel boots (SeaBIOS finds nothing and halts): only QEMU's VNC
 * server and monitor matter.  Nothing here judges the times.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <err.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "clientfd.h"
#include "jget.h"

#define VM	"wb1"

static struct bl_series s_open, s_ticket, s_tcp;

/* The 12 bytes of QEMU's greeting on fd, within 10 s. */
static void
greeting(int fd, const char *what)
{
	char buf[12];
	size_t got = 0;

	while (got < sizeof(buf)) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 10000) != 1)
			errx(1, "%s: no RFB greeting within 10 s", what);
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			errx(1, "%s: closed before the RFB greeting", what);
		got += (size_t)n;
	}
	if (memcmp(buf, "RFB 003.008\n", 12) != 0)
		errx(1, "%s: not an RFB greeting: %.12s", what, buf);
}

static void
open_once(struct client_conn *c, int record)
{
	char cl[64], desc[512];
	struct json_object *a = json_object_new_object(), *v;

	uint64_t t0 = bl_now_ns();
	json_object_object_add(a, "name", json_object_new_string(VM));
	json_object_object_add(a, "kind", json_object_new_string("vnc"));
	if (client_call(c, "console-ticket", a, &v, cl, sizeof(cl), desc,
	    sizeof(desc), NULL, NULL) == -1)
		errx(1, "console-ticket: %s", desc);
	uint64_t t1 = bl_now_ns();
	a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(VM));
	json_object_object_add(a, "ticket",
	    json_object_new_string(jstr(v, "ticket")));
	json_object_put(v);
	if (client_call(c, "console-open", a, &v, cl, sizeof(cl), desc,
	    sizeof(desc), NULL, NULL) == -1)
		errx(1, "console-open: %s", desc);
	json_object_put(v);
	int fd = client_take_fd(c);
	if (fd == -1)
		errx(1, "console-open: no descriptor came");
	greeting(fd, "console-open");
	uint64_t t2 = bl_now_ns();
	close(fd);
	if (record) {
		bl_series_add(&s_open, t2 - t0);
		bl_series_add(&s_ticket, t1 - t0);
	}
}

static void
tcp_once(int port, int record)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	uint64_t t0 = bl_now_ns();
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1)
		err(1, "connect 127.0.0.1:%d", port);
	greeting(fd, "VNC port");
	uint64_t t1 = bl_now_ns();
	close(fd);
	if (record)
		bl_series_add(&s_tcp, t1 - t0);
}

int
main(int argc, char **argv)
{
	int runs = 50, warmup = 3;

	bl_run_options(argc, argv, "bench_webconsole", &runs, &warmup, 10);
	bl_init("bench_webconsole");
	bl_daemon_start();
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

	bl_series_init(&s_open, "console-ticket + console-open + greeting");
	bl_series_init(&s_ticket, "  of which console-ticket");
	bl_series_init(&s_tcp, "VNC port: connect + greeting");
	for (int i = 0; i < warmup + runs; i++) {
		int rec = i >= warmup;
		if (i % 2 == 0) {
			open_once(&c, rec);
			tcp_once(port, rec);
		} else {
			tcp_once(port, rec);
			open_once(&c, rec);
		}
	}

	printf("bench_webconsole: a VNC console's first bytes, %s\n",
	    bl_qemu);
	printf("VM: pc, 64 MiB, tcg, vnc on 127.0.0.1:%d, no kernel\n", port);
	printf("%d runs per method after %d warm-up, alternating, one "
	    "control connection\n\n", runs, warmup);
	printf("  %-44s %9s %9s %9s\n", "to the RFB greeting", "median ms",
	    "p90 ms", "min ms");
	bl_row(&s_open);
	bl_row(&s_ticket);
	bl_row(&s_tcp);
	printf("\n  %-44s %9s %11s %11s\n", "median against baseline", "ratio",
	    "difference", "paired");
	bl_compare("console-open path / VNC port", &s_open, &s_tcp);
	printf("\n(the console-open path is two supervisor round trips, QEMU's "
	    "getfd and\nadd_client, and a descriptor passed back; the VNC "
	    "port needs a password\nand a port reachable by the browser's "
	    "proxy, which the path does not.)\n");

	bl_vm_destroy(&c, VM);
	bl_untrack_foreign(vmpid);
	client_close(&c);
	bl_series_free(&s_open);
	bl_series_free(&s_ticket);
	bl_series_free(&s_tcp);
	return 0;
}
