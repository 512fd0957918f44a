/* The client's end of a stats-watch stream (statwatch.h). */
#include <sys/socket.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "names.h"
#include "statwatch.h"

int
statwatch_delay(const char *s, int def)
{
	char *end;
	double v;

	if (s == NULL)
		return def;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    v < 0.1 || v > 3600)
		cli_die("--delay '%s': seconds, from 0.1 to 3600", s);
	return (int)(v * 1000 + 0.5);
}

/* 1 when the message ends the watch, -1 (err) when it failed. */
static int
handle(struct statwatch *w, struct json_object *m, long long id, int *n,
    char *err, size_t errlen)
{
	struct json_object *e;

	if (jint(m, "id", -1) != id)
		return 0;
	if ((e = jget(m, "error")) != NULL) {
		strlcpy(err, jstr_or(e, "desc", "stats-watch failed"), errlen);
		return -1;
	}
	if (jget(m, "return") != NULL)
		return 1;	/* the supervisor ended it */
	if (strcmp(jstr_or(m, "event", ""), EV_STATS) != 0)
		return 0;
	if (w->on_sample(jget(m, "data"), w->arg) == 1)
		return 1;
	return w->iterations > 0 && ++*n >= w->iterations;
}

int
statwatch_run(struct cli *cli, struct json_object *args,
    struct statwatch *w, char *err, size_t errlen)
{
	struct json_object *m;
	long long id;
	int n = 0;

	json_object_object_add(args, "delay_ms", json_object_new_int64(
	    w->delay_ms));
	cli_connect(cli);
	if ((id = client_send(&cli->conn, "stats-watch", args)) == -1) {
		snprintf(err, errlen, "cannot send to qlaunchd: %s",
		    strerror(errno));
		return -1;
	}
	for (;;) {
		while ((m = client_next_event(&cli->conn, 0)) != NULL) {
			int end = handle(w, m, id, &n, err, errlen);
			json_object_put(m);
			if (end != 0)
				return end == 1 ? 0 : -1;
		}
		struct pollfd p[2] = {
			{ cli->conn.fd, POLLIN, 0 },
			{ w->stdin_fd, POLLIN, 0 },
		};
		if (poll(p, w->stdin_fd >= 0 ? 2 : 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (w->stdin_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			unsigned char c;
			ssize_t r = read(w->stdin_fd, &c, 1);
			if (r == 1 && w->on_key != NULL &&
			    w->on_key(c, w->arg) == 1)
				return 0;
			if (r == 0)
				w->stdin_fd = -1;	/* no more keys */
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((m = client_next_event(&cli->conn, 0)) != NULL) {
				int end = handle(w, m, id, &n, err, errlen);
				json_object_put(m);
				if (end != 0)
					return end == 1 ? 0 : -1;
				continue;
			}
			char b;
			if (recv(cli->conn.fd, &b, 1, MSG_PEEK |
			    MSG_DONTWAIT) == 0) {
				strlcpy(err, "qlaunchd closed the connection",
				    errlen);
				return -1;
			}
		}
	}
}
