/*
 * Sessions of the web manager.  A session is made when a login link is
 * redeemed: a random id in an HttpOnly, SameSite=Strict cookie (Secure
 * under TLS) and a random CSRF token the page sends back in X-CSRF-Token
 * with every change; both compared in constant time.  A session idles
 * out after WEB_SESSION_IDLE_S without a request (an open event stream
 * keeps it alive).
 */
#ifndef LAUNCHER_WEBSESS_H
#define LAUNCHER_WEBSESS_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdint.h>

#define WEB_SESSION_IDLE_S	1800
#define WEB_SESSIONS_MAX	1024
#define WEB_COOKIE		"qlsession"
#define WEB_SECRET_BYTES	32

struct web;
struct evhttp_request;

struct websess {
	TAILQ_ENTRY(websess)	 entry;
	char			 id[2 * WEB_SECRET_BYTES + 1];
	char			 csrf[2 * WEB_SECRET_BYTES + 1];
	uid_t			 uid;
	char			 user[64];
	int64_t			 last;		/* mono_ms of its last use */
	int			 streams;	/* open event streams */
};

/* nbytes random bytes (arc4random) as 2 * nbytes hex digits and a NUL */
void	 web_random_hex(char *out, size_t nbytes);
struct websess *websess_new(struct web *, uid_t, const char *user);
/* The request's session (its cookie), touched; NULL: none or expired. */
struct websess *websess_find(struct web *, struct evhttp_request *);
/* The request carries the session's CSRF token. */
int	 websess_csrf_ok(const struct websess *, struct evhttp_request *);
/* The Set-Cookie header that gives the browser the session. */
void	 websess_set_cookie(struct web *, struct evhttp_request *,
	    const struct websess *);
void	 websess_end(struct web *, struct websess *);
/* Sessions idle for too long end. */
void	 websess_expire(struct web *);
void	 websess_fini(struct web *);

#endif
