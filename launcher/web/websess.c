#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ctcmp.h"
#include "util.h"
#include "web.h"
#include "websess.h"
#include "xalloc.h"

void
web_random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];

	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	arc4random_buf(raw, nbytes);
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
}

void
websess_end(struct web *w, struct websess *s)
{
	websse_drop_session(w, s);
	TAILQ_REMOVE(&w->sessions, s, entry);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

struct websess *
websess_new(struct web *w, uid_t uid, const char *user)
{
	struct websess *s, *t;
	size_t n = 0;

	TAILQ_FOREACH(t, &w->sessions, entry)
		n++;
	if (n >= WEB_SESSIONS_MAX)
		websess_end(w, TAILQ_FIRST(&w->sessions));
	s = xcalloc(1, sizeof(*s));
	web_random_hex(s->id, WEB_SECRET_BYTES);
	web_random_hex(s->csrf, WEB_SECRET_BYTES);
	s->uid = uid;
	strlcpy(s->user, user, sizeof(s->user));
	s->last = mono_ms();
	TAILQ_INSERT_TAIL(&w->sessions, s, entry);
	return s;
}

/* The value of the session cookie in a Cookie header, copied to buf. */
static int
cookie_value(const char *hdr, char *buf, size_t len)
{
	const char *p = hdr;
	size_t nl = strlen(WEB_COOKIE);

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ;");
		if (strncmp(p, WEB_COOKIE, nl) == 0 && p[nl] == '=') {
			p += nl + 1;
			size_t v = strcspn(p, "; ");
			if (v >= len)
				return -1;
			memcpy(buf, p, v);
			buf[v] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return -1;
}

struct websess *
websess_find(struct web *w, struct evhttp_request *req)
{
	const char *hdr = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Cookie");
	char v[2 * WEB_SECRET_BYTES + 1];
	struct websess *s, *found = NULL;

	websess_expire(w);
	if (hdr == NULL || cookie_value(hdr, v, sizeof(v)) == -1 ||
	    strlen(v) != 2 * WEB_SECRET_BYTES)
		return NULL;
	TAILQ_FOREACH(s, &w->sessions, entry)
		if (ct_equal(s->id, v, 2 * WEB_SECRET_BYTES))
			found = s;
	if (found != NULL)
		found->last = mono_ms();
	return found;
}

int
websess_csrf_ok(const struct websess *s, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "X-CSRF-Token");

	return h != NULL && ct_streq(h, s->csrf);
}

void
websess_set_cookie(struct web *w, struct evhttp_request *req,
    const struct websess *s)
{
	char c[256];

	snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
	    WEB_COOKIE, s->id, w->ssl != NULL ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Set-Cookie", c);
}

void
websess_expire(struct web *w)
{
	struct websess *s, *next;
	int64_t now = mono_ms();

	for (s = TAILQ_FIRST(&w->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->streams == 0 &&
		    now - s->last > (int64_t)WEB_SESSION_IDLE_S * 1000)
			websess_end(w, s);
	}
}

void
websess_fini(struct web *w)
{
	struct websess *s;

	while ((s = TAILQ_FIRST(&w->sessions)) != NULL)
		websess_end(w, s);
}
