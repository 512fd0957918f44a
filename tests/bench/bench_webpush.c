/*
 * bench_webpush: what the web page's live view costs, pushed against
 * polled (issue 11).  N paused TCG VMs (100; -q 20) on a private
 * qlaunchd trusting the web manager's user (--web-user nobody), the web
 * process (qlaunch web, run as nobody), and C page clients (10; -c).
 * While a driver changes the VMs' states (resume one, suspend it again
 * 100 ms later, round-robin over all of them: 10 changes a second), for
 * D seconds (20; -q 6; -d) each:
 *   push   every client holds GET /api/events (server-sent events)
 *   poll   every client asks GET /api/vms once a second (the freshness
 *          the push gives at worst 1 s later)
 *   none   no client: the driver's own cost, the floor of both
 * CPU time (/proc/PID/task/TID/schedstat) of the web process and of
 * qlaunchd over each phase, in ms per second, and the poll/push ratio.
 * Also the page's load time: its files and first API calls (/, app.js,
 * style.css, the sections' scripts, /api/session, /api/vms), one fresh
 * connection each, as a browser without a cache would fetch them.
 *
 *   bench_webpush [-q] [-m VMS] [-c CLIENTS] [-d SECONDS]
 *
 * Needs root (the web process drops to nobody).  Nothing here judges
 * the numbers.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "config.h"
#include "jget.h"

#define MAXCLIENTS	200
#define WEBUSER		"nobody"

static int	 port;
static char	 cookie[300];

struct hclient {
	int	 fd;
	long	 events;	/* "event: state" lines */
	char	 tail[64];	/* a line split over reads */
	int64_t	 next_ms;	/* poll: the next request */
};

static int64_t
now_ms(void)
{
	return (int64_t)(bl_now_ns() / 1000000);
}

/*
 * CPU time of pid, all its threads, in ms: the first field of each
 * thread's /proc/PID/task/TID/schedstat (ns; utime and stime in
 * /proc/PID/stat count 10 ms ticks, too coarse for a few seconds).
 */
static double
cpu_ms(pid_t pid)
{
	char path[64], f[320], buf[256];
	unsigned long long sum = 0, ns;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	DIR *d = opendir(path);
	struct dirent *e;
	if (d == NULL)
		err(1, "%s", path);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "%s/%s/schedstat", path, e->d_name);
		int fd = open(f, O_RDONLY);
		if (fd == -1)
			continue;	/* the thread ended */
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (sscanf(buf, "%llu", &ns) == 1)
			sum += ns;
	}
	closedir(d);
	return (double)sum / 1e6;
}

static int
connect_web(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "connect 127.0.0.1:%d", port);
	return fd;
}

static void
send_get(int fd, const char *path, int keep)
{
	char req[1024];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: "
	    "127.0.0.1\r\n%s%s%sConnection: %s\r\n\r\n", path,
	    cookie[0] != '\0' ? "Cookie: " : "", cookie, cookie[0] != '\0' ?
	    "\r\n" : "", keep ? "keep-alive" : "close");

	if (write(fd, req, (size_t)n) != n)
		err(1, "write");
}

/*
 * One whole response on fd (Content-Length, or to the end); its status;
 * the body in *body (malloc'd) and a Set-Cookie in cookie when asked.
 */
static int
read_response(int fd, char **body, int take_cookie)
{
	size_t cap = 65536, len = 0;
	char *b = malloc(cap);
	char *hend = NULL;
	long clen = -1;

	for (;;) {
		if (len + 4096 > cap && (b = realloc(b, cap *= 2)) == NULL)
			err(1, "realloc");
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 10000) != 1)
			errx(1, "no answer from the web process in 10 s");
		ssize_t n = read(fd, b + len, cap - len - 1);
		if (n < 0)
			err(1, "read");
		len += (size_t)n;
		b[len] = '\0';
		if (hend == NULL && (hend = strstr(b, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(b, "\r\nContent-Length:");
			if (cl != NULL && cl < hend)
				clen = strtol(cl + 17, NULL, 10);
		}
		if (n == 0 || (hend != NULL && clen >= 0 &&
		    (long)(len - (size_t)(hend + 4 - b)) >= clen))
			break;
	}
	if (hend == NULL)
		errx(1, "a response without headers");
	int status = 0;
	sscanf(b, "HTTP/1.%*d %d", &status);
	if (take_cookie) {
		char *c = strcasestr(b, "\r\nSet-Cookie: ");
		if (c != NULL && c < hend) {
			c += 14;
			size_t l = strcspn(c, ";\r");
			if (l >= sizeof(cookie))
				errx(1, "a cookie too long");
			memcpy(cookie, c, l);
			cookie[l] = '\0';
		}
	}
	if (body != NULL)
		*body = strdup(hend + 4);
	free(b);
	return status;
}

/* GET path on a fresh connection; its status. */
static int
get_once(const char *path, char **body, int take_cookie)
{
	int fd = connect_web();

	send_get(fd, path, 0);
	int st = read_response(fd, body, take_cookie);
	close(fd);
	return st;
}

static pid_t
start_web(void)
{
	char out[PATH_MAX], assets[PATH_MAX], line[512];
	char *argv[] = { bl_qlaunch, "web", "--listen", "127.0.0.1:0",
	    "--user", WEBUSER, "--assets", assets, NULL };

	snprintf(out, sizeof(out), "%s/web.out", bl_tmp);
	snprintf(assets, sizeof(assets), "%s/launcher/web/assets",
	    QLAUNCH_SRCDIR);
	pid_t pid = bl_spawn(argv, out, 0);
	for (int i = 0; i < 400; i++) {
		FILE *f = fopen(out, "r");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			char *s = strstr(line, "serving http://127.0.0.1:");
			if (s != NULL) {
				port = atoi(s + 25);
				fclose(f);
				return pid;
			}
		}
		if (f != NULL)
			fclose(f);
		bl_sleep_ms(25);
	}
	errx(1, "the web process did not come up (%s)", out);
}

static void
login(struct client_conn *c)
{
	struct json_object *ret = bl_call(c, "web-login", NULL);
	const char *url = jstr(ret, "url"), *p;

	if (url == NULL || (p = strstr(url, "/login?")) == NULL)
		errx(1, "web-login: no link");
	int st = get_once(p, NULL, 1);
	json_object_put(ret);
	if (st != 303 || cookie[0] == '\0')
		errx(1, "login: status %d, cookie '%s'", st, cookie);
}

/* the driver: resume one VM, suspend it 100 ms later, the next... */
struct driver {
	struct client_conn	*c;
	int			 nvms, i, running;
	int64_t			 next_ms;
	long			 changes;
};

static void
drive(struct driver *d, int64_t now)
{
	char name[32];

	if (now < d->next_ms)
		return;
	snprintf(name, sizeof(name), "p%03d", d->i);
	json_object_put(bl_call(d->c, d->running ? "suspend" : "resume",
	    bl_name_args(name)));
	d->changes++;
	if (d->running)
		d->i = (d->i + 1) % d->nvms;
	d->running = !d->running;
	d->next_ms = now + 100;
}

enum mode { M_NONE, M_PUSH, M_POLL };

struct phase {
	const char	*name;
	double		 web_ms, d_ms, secs;
	long		 events, requests, changes;
};

static void
run_phase(enum mode m, struct phase *ph, struct driver *d, int nclients,
    int secs, pid_t web, pid_t daemon)
{
	static struct hclient cl[MAXCLIENTS];
	struct pollfd pfd[MAXCLIENTS];
	char buf[65536];

	memset(cl, 0, sizeof(cl));
	if (m == M_NONE)
		nclients = 0;
	for (int i = 0; i < nclients; i++) {
		cl[i].fd = -1;
		if (m == M_PUSH) {
			cl[i].fd = connect_web();
			send_get(cl[i].fd, "/api/events", 1);
		} else	/* spread over the second */
			cl[i].next_ms = now_ms() + 1000 * i / nclients;
	}
	bl_sleep_ms(500);	/* the streams' first lists */
	for (int i = 0; i < nclients; i++)
		if (cl[i].fd != -1)
			while (read(cl[i].fd, buf, sizeof(buf)) > 0 &&
			    recv(cl[i].fd, buf, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
				;
	double w0 = cpu_ms(web), d0 = cpu_ms(daemon);
	int64_t t0 = now_ms(), end = t0 + secs * 1000;
	long ch0 = d->changes;
	d->next_ms = t0;
	for (int64_t now = t0; now < end; now = now_ms()) {
		drive(d, now);
		int64_t wake = d->next_ms;
		for (int i = 0; m == M_POLL && i < nclients; i++) {
			if (cl[i].next_ms <= now) {
				char *body = NULL;
				if (get_once("/api/vms", &body, 0) != 200)
					errx(1, "GET /api/vms failed");
				free(body);
				ph->requests++;
				cl[i].next_ms += 1000;
			}
			if (cl[i].next_ms < wake)
				wake = cl[i].next_ms;
		}
		int n = 0;
		for (int i = 0; m == M_PUSH && i < nclients; i++) {
			pfd[n].fd = cl[i].fd;
			pfd[n].events = POLLIN;
			n++;
		}
		int64_t left = wake - now_ms();
		if (poll(pfd, (nfds_t)n, left > 0 ? (int)left : 0) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			ssize_t r = read(pfd[i].fd, buf, sizeof(buf) - 1);
			if (r <= 0)
				errx(1, "an event stream closed");
			buf[r] = '\0';
			for (char *s = buf; (s = strstr(s, "event: state")) !=
			    NULL; s++)
				cl[i].events++;
		}
	}
	ph->secs = (double)(now_ms() - t0) / 1000;
	ph->web_ms = cpu_ms(web) - w0;
	ph->d_ms = cpu_ms(daemon) - d0;
	ph->changes = d->changes - ch0;
	for (int i = 0; i < nclients; i++) {
		ph->events += cl[i].events;
		if (cl[i].fd != -1)
			close(cl[i].fd);
	}
	/* the driver leaves every VM paused */
	if (d->running) {
		d->next_ms = 0;
		drive(d, now_ms());
	}
	bl_sleep_ms(300);
}

static void
page_load(int runs)
{
	static const char *const files[] = { "/", "/app.js", "/style.css",
	    "/migrate.js", "/graphs.js", "/api/session", "/api/vms" };
	struct bl_series all, one;

	bl_series_init(&all, "page: 7 requests, one after another");
	bl_series_init(&one, "  of which GET /api/vms");
	for (int r = 0; r < runs + 2; r++) {
		uint64_t t0 = bl_now_ns(), t1 = 0;
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			char *body = NULL;
			if (i + 1 == sizeof(files) / sizeof(files[0]))
				t1 = bl_now_ns();
			int st = get_once(files[i], &body, 0);
			if (st != 200)
				errx(1, "GET %s: %d", files[i], st);
			free(body);
		}
		if (r >= 2) {
			bl_series_add(&all, bl_now_ns() - t0);
			bl_series_add(&one, bl_now_ns() - t1);
		}
	}
	printf("  %-44s %9s %9s %9s\n", "page load", "median ms", "p90 ms",
	    "min ms");
	bl_row(&all);
	bl_row(&one);
	bl_series_free(&all);
	bl_series_free(&one);
}

int
main(int argc, char **argv)
{
	int quick = bl_quick_env(), nvms = 100, nclients = 10, secs = 20, ch;

	while ((ch = getopt(argc, argv, "qm:c:d:")) != -1)
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'm':
			nvms = (int)bl_optnum("-m", optarg, 2, 1000, "VMs");
			break;
		case 'c':
			nclients = (int)bl_optnum("-c", optarg, 1, MAXCLIENTS,
			    "clients");
			break;
		case 'd':
			secs = (int)bl_optnum("-d", optarg, 2, 3600, "s");
			break;
		default:
			fprintf(stderr, "usage: bench_webpush [-q] [-m VMS] "
			    "[-c CLIENTS] [-d SECONDS]\n");
			return 2;
		}
	if (quick) {
		nvms = nvms > 20 ? 20 : nvms;
		secs = secs > 6 ? 6 : secs;
	}
	if (geteuid() != 0)
		errx(1, "needs root: the web process runs as %s", WEBUSER);
	bl_init("bench_webpush");
	/* the web process (as nobody) reaches the socket */
	chmod(bl_tmp, 0755);
	char log[PATH_MAX], st[PATH_MAX];
	snprintf(log, sizeof(log), "%s/qlaunchd-web.log", bl_tmp);
	snprintf(st, sizeof(st), "%s/wstate", bl_tmp);
	setenv("QLAUNCH_SOCKET", bl_sock, 1);
	setenv("QLAUNCH_NO_AUTOSTART", "1", 1);
	char *dargv[] = { bl_qlaunchd, "-f", "-q", (char *)bl_qemu, "-s", st,
	    "-S", bl_sock, "--web-user", WEBUSER, NULL };
	pid_t daemon = bl_spawn(dargv, log, 0);
	struct client_conn c;
	for (int i = 0; ; i++) {
		char e[256];
		if (client_open(&c, bl_sock, 0, e, sizeof(e)) == 0)
			break;
		if (i > 400 || !bl_alive(daemon))
			errx(1, "qlaunchd did not come up (%s)", log);
		bl_sleep_ms(25);
	}
	chmod(bl_sock, 0666);
	printf("bench_webpush: %d paused VMs (pc, 64 MiB, tcg), %d page "
	    "clients, %d s a phase\n", nvms, nclients, secs);
	fflush(stdout);
	uint64_t t0 = bl_now_ns();
	for (int i = 0; i < nvms; i++) {
		char name[32];
		snprintf(name, sizeof(name), "p%03d", i);
		bl_vm_create(&c, name, 1, 1);
	}
	printf("created them in %.1f s\n", (double)(bl_now_ns() - t0) / 1e9);
	pid_t web = start_web();
	login(&c);

	printf("\n");
	page_load(quick ? 10 : 30);

	struct driver d = { .c = &c, .nvms = nvms };
	struct phase ph[3] = { { .name = "push (SSE /api/events)" },
	    { .name = "poll (GET /api/vms every 1 s)" },
	    { .name = "no client (the driver alone)" } };
	run_phase(M_PUSH, &ph[0], &d, nclients, secs, web, daemon);
	run_phase(M_POLL, &ph[1], &d, nclients, secs, web, daemon);
	run_phase(M_NONE, &ph[2], &d, nclients, secs, web, daemon);

	printf("\n  %-32s %12s %12s %9s %9s %9s\n", "CPU while VMs change state",
	    "web ms/s", "qlaunchd ms/s", "changes", "events", "requests");
	for (int i = 0; i < 3; i++)
		printf("  %-32s %12.2f %12.2f %9ld %9ld %9ld\n", ph[i].name,
		    ph[i].web_ms / ph[i].secs, ph[i].d_ms / ph[i].secs,
		    ph[i].changes, ph[i].events, ph[i].requests);
	double fl = ph[2].d_ms / ph[2].secs;
	double pw = ph[0].web_ms / ph[0].secs, lw = ph[1].web_ms / ph[1].secs;
	double pd = ph[0].d_ms / ph[0].secs - fl, ld = ph[1].d_ms / ph[1].secs -
	    fl;
	if (pw > 0)
		printf("\n  poll / push, the web process: %.2fx\n", lw / pw);
	else
		printf("\n  poll / push, the web process: push used no "
		    "measurable CPU\n");
	printf("  poll / push, qlaunchd above the driver's floor: ");
	if (pd > 0.1)
		printf("%.2fx\n", ld / pd);
	else
		printf("push %.2f ms/s, poll %.2f ms/s (push at the floor)\n",
		    pd, ld);
	printf("  poll / push, both together: %.2fx\n", (lw + (ld > 0 ? ld : 0)) /
	    (pw + (pd > 0 ? pd : 0) > 0 ? pw + (pd > 0 ? pd : 0) : 1));
	printf("\n(push: every state change goes to each client as it "
	    "happens; poll: each\nclient is up to 1 s late, and each request "
	    "lists all %d VMs through the\nsupervisor.  CPU time of all "
	    "threads, from schedstat.)\n", nvms);

	for (int i = 0; i < nvms; i++) {
		char name[32];
		snprintf(name, sizeof(name), "p%03d", i);
		bl_vm_destroy(&c, name);
	}
	client_close(&c);
	return 0;
}
