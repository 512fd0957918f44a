/*
 * The web manager's life: bind (and load TLS's files) while still
 * privileged, give privileges up for good, then connect to qlaunchd as
 * the web manager's user, say where it serves (web-hello), subscribe to
 * every VM's events, and serve until qlaunchd goes away or a signal
 * comes.  The guests do not notice: nothing here owns them.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "jget.h"
#include "util.h"
#include "web.h"
#include "webctl.h"
#include "webmig.h"
#include "websess.h"

#define WEB_TICK_S	15

struct run {
	struct web	 w;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

/* "ADDR:PORT" or "[ADDR6]:PORT"; loopback set for 127/8 and ::1. */
static int
parse_listen(const char *s, char *addr, size_t alen, int *port,
    int *loopback, char *err, size_t errlen)
{
	const char *colon = strrchr(s, ':'), *e;
	const char *a = s;
	size_t n;

	if (colon == NULL)
		goto bad;
	n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			goto bad;
		a = s + 1;
		n -= 2;
	}
	if (n == 0 || n >= alen)
		goto bad;
	memcpy(addr, a, n);
	addr[n] = '\0';
	*port = (int)strtonum(colon + 1, 0, 65535, &e);
	if (e != NULL)
		goto bad;
	struct in_addr v4;
	struct in6_addr v6;
	if (inet_pton(AF_INET, addr, &v4) == 1)
		*loopback = (ntohl(v4.s_addr) >> 24) == 127;
	else if (inet_pton(AF_INET6, addr, &v6) == 1)
		*loopback = IN6_IS_ADDR_LOOPBACK(&v6);
	else
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "--listen %s: not ADDR:PORT (a numeric "
	    "address; [ADDR]:PORT for IPv6)", s);
	return -1;
}

static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	SSL *ssl = SSL_new(arg);

	return ssl == NULL ? NULL : bufferevent_openssl_socket_new(base, -1,
	    ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static SSL_CTX *
tls_ctx(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "TLS: cannot make a context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, errlen, "--tls-cert %s: %s", cert,
		    ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "--tls-key %s: %s", key,
		    ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * Root becomes user (nobody by default), for good; anyone else stays who
 * they are.  Never uid 0 afterwards.
 */
static int
drop_privileges(const char *user, char *err, size_t errlen)
{
	if (getuid() == 0 || geteuid() == 0) {
		const char *u = user != NULL ? user : "nobody";
		struct passwd *pw = getpwnam(u);
		if (pw == NULL) {
			snprintf(err, errlen, "--user %s: no such user", u);
			return -1;
		}
		if (pw->pw_uid == 0) {
			snprintf(err, errlen, "--user %s: the web manager "
			    "never runs as root", u);
			return -1;
		}
		/* its groups: the control socket's (qlaunch) among them */
		if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
			snprintf(err, errlen, "cannot become %s: %s", u,
			    strerror(errno));
			return -1;
		}
		if (setuid(0) != -1) {
			snprintf(err, errlen, "could become root again after "
			    "switching to %s: refusing to serve", u);
			return -1;
		}
	} else if (user != NULL) {
		struct passwd *pw = getpwnam(user);
		if (pw == NULL || pw->pw_uid != getuid()) {
			snprintf(err, errlen, "--user %s: only root switches "
			    "users", user);
			return -1;
		}
	}
	if (getuid() == 0 || geteuid() == 0) {
		snprintf(err, errlen, "the web manager never serves as root");
		return -1;
	}
	return 0;
}

static void
stop(struct run *r, const char *fmt, const char *what)
{
	if (!r->failed) {
		snprintf(r->err, r->errlen, fmt, what);
		r->failed = 1;
	}
	event_base_loopbreak(r->w.base);
}

static void
on_event(void *arg, struct json_object *ev)
{
	struct run *r = arg;

	websse_event(&r->w, ev);
	webmig_event(&r->w, ev);
}

static void
on_close(void *arg)
{
	stop(arg, "%s", "qlaunchd closed the connection");
}

static void
subscribed(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	(void)eclass;
	if (ret == NULL)
		stop(arg, "subscribe: %s", edesc);
}

static void
helloed(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct run *r = arg;

	(void)eclass;
	if (ret == NULL) {
		stop(r, "qlaunchd refused the web manager: %s", edesc);
		return;
	}
	fprintf(stderr, "qlaunch web: serving %s as uid %lu; 'qlaunch "
	    "web-login' gives a login link\n", r->w.url,
	    (unsigned long)getuid());
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;

	(void)fd;
	(void)what;
	websess_expire(w);
	websse_keepalive(w);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int
web_run(const struct web_opts *o, char *err, size_t errlen)
{
	struct run r;
	struct web *w = &r.w;
	char addr[128];
	int port, loopback, rc = 1;
	struct event *sigs[2] = { NULL, NULL };

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.errlen = errlen;
	w->o = *o;
	TAILQ_INIT(&w->sessions);
	TAILQ_INIT(&w->streams);
	TAILQ_INIT(&w->swatches);
	if (parse_listen(o->listen, addr, sizeof(addr), &port, &loopback, err,
	    errlen) == -1)
		return 1;
	if ((o->cert == NULL) != (o->key == NULL)) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return 1;
	}
	if (!loopback && o->cert == NULL) {
		snprintf(err, errlen, "--listen %s is not a loopback address: "
		    "it needs --tls-cert and --tls-key", o->listen);
		return 1;
	}
	if (o->cert != NULL && (w->ssl = tls_ctx(o->cert, o->key, err,
	    errlen)) == NULL)
		return 1;
	if (o->audit != NULL && (w->audit = fopen(o->audit, "ae")) == NULL) {
		snprintf(err, errlen, "--audit-log %s: %s", o->audit,
		    strerror(errno));
		goto out;
	}
	if ((w->base = event_base_new()) == NULL ||
	    (w->http = evhttp_new(w->base)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (w->ssl != NULL)
		evhttp_set_bevcb(w->http, tls_bev, w->ssl);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(
	    w->http, addr, (ev_uint16_t)port);
	if (bs == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", o->listen,
		    strerror(errno));
		goto out;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	    &sl) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(w->url, sizeof(w->url), strchr(addr, ':') != NULL ?
	    "%s://[%s]:%d" : "%s://%s:%d", w->ssl != NULL ? "https" : "http",
	    addr, port);
	if (drop_privileges(o->user, err, errlen) == -1)
		goto out;
	if ((w->ctl = webctl_open(w->base, o->sock, on_event, on_close, &r,
	    err, errlen)) == NULL)
		goto out;
	webapi_init(w);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "url", json_object_new_string(w->url));
	webctl_call(w->ctl, "web-hello", a, (uid_t)-1, helloed, &r);
	webctl_call(w->ctl, "subscribe", NULL, (uid_t)-1, subscribed, &r);

	struct timeval tv = { WEB_TICK_S, 0 };
	w->tick = event_new(w->base, -1, EV_PERSIST, on_tick, w);
	event_add(w->tick, &tv);
	sigs[0] = evsignal_new(w->base, SIGINT, on_signal, w->base);
	sigs[1] = evsignal_new(w->base, SIGTERM, on_signal, w->base);
	event_add(sigs[0], NULL);
	event_add(sigs[1], NULL);
	event_base_dispatch(w->base);
	rc = r.failed;
out:
	for (size_t i = 0; i < 2; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	if (w->tick != NULL)
		event_free(w->tick);
	w->stopping = 1;
	webstats_fini(w);
	websse_fini(w);
	websess_fini(w);
	webctl_free(w->ctl);
	if (w->http != NULL)
		evhttp_free(w->http);
	if (w->base != NULL)
		event_base_free(w->base);
	if (w->ssl != NULL)
		SSL_CTX_free(w->ssl);
	if (w->audit != NULL)
		fclose(w->audit);
	return rc;
}
