/*
 * The audit log: one line per action, flushed at once.
 *   2026-11-30T02:40:00Z uid=1000 remote=127.0.0.1:5123 action=start
 *     vm=web1 outcome="ok"
 * (on one line).  Values come from the network: anything but printable
 * ASCII, quotes and backslashes is written as \xHH, so one action stays
 * one line.
 */
#include <stdio.h>
#include <time.h>

#include <event2/http.h>

#include "web.h"

static void
put_safe(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == ' ')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

void
webaudit(struct web *w, uid_t uid, struct evhttp_request *req,
    const char *action, const char *vm, const char *outcome)
{
	FILE *f = w->audit != NULL ? w->audit : stderr;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	const char *addr = "-";
	ev_uint16_t port = 0;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	struct evhttp_connection *con = req != NULL ?
	    evhttp_request_get_connection(req) : NULL;
	if (con != NULL) {
		char *a = NULL;
		evhttp_connection_get_peer(con, &a, &port);
		if (a != NULL)
			addr = a;
	}
	fprintf(f, "%s uid=", when);
	if (uid == (uid_t)-1)
		fputc('-', f);
	else
		fprintf(f, "%lu", (unsigned long)uid);
	fprintf(f, " remote=%s:%u action=", addr, (unsigned)port);
	put_safe(f, action);
	fputs(" vm=", f);
	if (vm == NULL)
		fputc('-', f);
	else
		put_safe(f, vm);
	fputs(" outcome=\"", f);
	for (const char *s = outcome; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputs("\"\n", f);
	fflush(f);
}
