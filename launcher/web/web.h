/*
 * qlaunch web: the web manager.  One unprivileged process serves one page
 * and a JSON API over evhttp (with TLS off loopback), and talks to
 * qlaunchd on one control connection in the same libevent loop.  It
 * authorizes nothing itself: every VM request names the session's user
 * ("on-behalf-of"), and the supervisor, which trusts this process's uid
 * (qlaunchd --web-user), applies its owner rules.  The parts:
 *   webcmd     the qlaunch command, its options
 *   webmain    listening, TLS, dropping privileges, the loop
 *   webctl     the asynchronous control connection
 *   websess    sessions, their cookies and CSRF tokens
 *   webapi     the routes: login, the API, the page's files
 *   websse     the server-sent event stream, fanned out per user
 *   webaudit   one audit line per action
 *   webform    the create form as virt-install's flags (virtinst.c)
 */
#ifndef LAUNCHER_WEB_H
#define LAUNCHER_WEB_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

struct event_base;
struct evhttp;
struct evhttp_request;
struct json_object;
struct webctl;
struct websess;
struct ssl_ctx_st;

struct web_opts {
	const char	*listen;	/* ADDR:PORT */
	const char	*user;		/* to switch to when root */
	const char	*cert, *key;	/* TLS */
	const char	*audit;		/* file, NULL: stderr */
	const char	*assets;	/* the page's files */
	const char	*vendor;	/* the console libraries' (webcons.c) */
	const char	*sock;		/* qlaunchd's control socket */
};

TAILQ_HEAD(sesslist, websess);
TAILQ_HEAD(sselist, webstream);
TAILQ_HEAD(swatchlist, swatch);

struct web {
	struct event_base	*base;
	struct evhttp		*http;
	struct ssl_ctx_st	*ssl;		/* NULL: plain HTTP */
	struct webctl		*ctl;
	struct web_opts		 o;
	char			 url[300];	/* what web-login links to */
	struct sesslist		 sessions;
	struct sselist		 streams;
	FILE			*audit;
	struct event		*tick;		/* idle sessions, keepalives */
	struct swatchlist	 swatches;	/* webstats.c: graphs shown */
	int			 stopping;
	int			 console_opens;	/* under way (webcons.c) */
};

/* webmain.c: serve until qlaunchd goes away; 1 with err on failure. */
int	 web_run(const struct web_opts *, char *err, size_t errlen);

/* webapi.c: the routes on w->http. */
void	 webapi_init(struct web *);

/* websse.c */
void	 websse_open(struct web *, struct evhttp_request *, struct websess *);
/* A supervisor event, to the streams of the users who may see its VM. */
void	 websse_event(struct web *, struct json_object *ev);
/*
 * An event of another kind about VM vm (webmig, ...), to the streams of
 * the users who may see it, and to those of uid also (unless -1).
 */
void	 websse_vm(struct web *, const char *vm, uid_t also, const char *kind,
	    struct json_object *data);
/* A comment line on every stream (keeps proxies from closing them). */
void	 websse_keepalive(struct web *);
/* The session ended: its streams close. */
void	 websse_drop_session(struct web *, struct websess *);
void	 websse_fini(struct web *);
/* webstats.c: the graphs' streams end, their watches with them. */
void	 webstats_fini(struct web *);

/* webaudit.c: "TIME uid=U remote=ADDR action=A vm=V outcome=O" */
void	 webaudit(struct web *, uid_t uid, struct evhttp_request *,
	    const char *action, const char *vm, const char *outcome);

/* webform.c: the create form's fields as the create request's arguments;
 * NULL with err for a bad field. */
struct json_object *webform_create(struct json_object *form, char *err,
	    size_t errlen);

/*
 * webreply.c: JSON answers.  o is consumed; code 0 is the HTTP status of
 * the supervisor's error class (web_status_of: 400 for any other).
 */
int	 web_status_of(const char *class);
void	 web_reply_json(struct evhttp_request *, int code, struct json_object *o);
void	 web_reply_error(struct evhttp_request *, int code, const char *class,
	    const char *desc);
/* The request's body as a JSON object, or NULL (answered 400). */
struct json_object *web_body_json(struct evhttp_request *);
/*
 * A server-sent event stream's pieces: one event (req NULL: nothing),
 * a "failed" event {class (NULL: GenericError), desc}, letting go of
 * the request (its close callback off, the reply ended if end_reply),
 * and whether the connection left the request behind (then it is the
 * stream's to end).
 */
void	 web_sse_send(struct evhttp_request *, const char *event,
	    struct json_object *data);
void	 web_sse_failed(struct evhttp_request *, const char *class,
	    const char *desc);
void	 web_sse_let_go(struct evhttp_request *, int end_reply);
int	 web_sse_detached(struct evhttp_request *);

#endif
