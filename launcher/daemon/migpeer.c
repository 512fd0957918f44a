/*
 * A migration's destination over a passed connection (migpeer.h).  The
 * client that asks for the migration makes the connection (ssh, with
 * the user's keys), so the supervisor never runs ssh as root nor holds
 * anyone's credentials; it accepts the descriptor only with a migrate
 * request, after the request's checks (the caller may use the VM).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "migpeer.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "util.h"

int
migpeer_take(struct req *r, int *fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	*fd = -1;
	if (!req_bool(r, "peer_fd"))
		return 0;
	if ((*fd = req_take_fd(r)) == -1) {
		req_error(r, ERR_GENERIC, "migrate: \"peer_fd\" needs the "
		    "connection to the destination passed with the request "
		    "(SCM_RIGHTS)");
		return -1;
	}
	if (getsockopt(*fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM) {
		close(*fd);
		*fd = -1;
		req_error(r, ERR_GENERIC, "migrate: the descriptor passed is "
		    "not a stream socket");
		return -1;
	}
	return 1;
}

int
migpeer_tcp_uri(const char *listen, char *uri, size_t urilen, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, v6 = strchr(listen, ':') != NULL;

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, listen, &s6->sin6_addr) != 1)
			goto bad;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, listen, &s4->sin_addr) != 1)
			goto bad;
		sl = sizeof(*s4);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		snprintf(err, errlen, "listen address %s: %s", listen,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	unsigned port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(uri, urilen, v6 ? "tcp:[%s]:%u" : "tcp:%s:%u",
	    listen, port);
	return 0;
bad:
	snprintf(err, errlen, "listen address '%s' is not an IP address",
	    listen);
	return -1;
}

int
migpeer_connect(struct event_base *base, const char *path, int pfd,
    int timeout_ms, const struct qmp_callbacks *cbs, void *arg,
    struct qmp **q)
{
	struct qmp_options o;

	qmp_options_default(&o);
	o.negotiate = 0;
	o.expect_greeting = 0;
	if ((*q = qmp_new(base, &o, cbs, arg)) == NULL) {
		if (pfd != -1)
			close(pfd);
		return -1;
	}
	if (pfd != -1) {
		if (qmp_attach_fd(*q, pfd) == -1) {
			close(pfd);
			return -1;
		}
		return 0;
	}
	return qmp_connect_unix(*q, path, timeout_ms);
}

/* ---- a listen address by name ---- */

struct lookup {
	struct evdns_base		*dns;
	struct evdns_getaddrinfo_request *req;	/* NULL once answered */
	struct event			*timer;	/* the bound, then delivery */
	migpeer_resolved_fn		 fn;
	void				*arg;
	int				 ms;
	int				 have;	/* addr or err is set */
	char				 host[256];
	char				 addr[64];
	char				 err[512];
};

static void
lookup_deliver(struct lookup *lk)
{
	lk->fn(lk->arg, lk->err[0] == '\0' ? lk->addr : NULL,
	    lk->err[0] != '\0' ? lk->err : NULL);
	event_free(lk->timer);
	if (lk->dns != NULL)
		evdns_base_free(lk->dns, 0);
	free(lk);
}

static void
lookup_answered(int result, struct evutil_addrinfo *res, void *arg)
{
	struct lookup *lk = arg;
	int e;

	lk->req = NULL;
	if (!lk->have) {
		lk->have = 1;
		if (result != 0)
			snprintf(lk->err, sizeof(lk->err), "listen address "
			    "'%s' is not an IP address, nor a name this host "
			    "resolves: %s", lk->host,
			    evutil_gai_strerror(result));
		else if ((e = getnameinfo(res->ai_addr, res->ai_addrlen,
		    lk->addr, sizeof(lk->addr), NULL, 0, NI_NUMERICHOST)) != 0)
			snprintf(lk->err, sizeof(lk->err), "listen address "
			    "'%s': %s", lk->host, gai_strerror(e));
	}
	if (res != NULL)
		evutil_freeaddrinfo(res);
	/* out of evdns (and maybe of migpeer_resolve) before fn */
	event_active(lk->timer, EV_TIMEOUT, 0);
}

static void
lookup_timer(evutil_socket_t fd, short what, void *arg)
{
	struct lookup *lk = arg;

	(void)fd;
	(void)what;
	if (!lk->have) {
		lk->have = 1;
		snprintf(lk->err, sizeof(lk->err), "listen address '%s' is "
		    "not an IP address, nor a name this host resolves: no "
		    "answer from the resolver within %d s", lk->host,
		    (lk->ms + 999) / 1000);
		/* the cancel answers (EVUTIL_EAI_CANCEL), now or later */
		if (lk->req != NULL)
			evdns_getaddrinfo_cancel(lk->req);
	}
	if (lk->req == NULL)
		lookup_deliver(lk);
}

int
migpeer_resolve(struct event_base *base, const char *resolv,
    const char *host, int ms, migpeer_resolved_fn fn, void *arg)
{
	struct evutil_addrinfo hints;
	struct addrinfo nh, *res;
	struct lookup *lk = calloc(1, sizeof(*lk));

	if (lk == NULL)
		return -1;
	lk->fn = fn;
	lk->arg = arg;
	lk->ms = ms;
	strlcpy(lk->host, host, sizeof(lk->host));
	if ((lk->timer = evtimer_new(base, lookup_timer, lk)) == NULL) {
		free(lk);
		return -1;
	}
	/* numeric: no lookup at all */
	memset(&nh, 0, sizeof(nh));
	nh.ai_socktype = SOCK_STREAM;
	nh.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &nh, &res) == 0) {
		freeaddrinfo(res);
		lk->have = 1;
		if (strlcpy(lk->addr, host, sizeof(lk->addr)) >=
		    sizeof(lk->addr))
			snprintf(lk->err, sizeof(lk->err), "listen address "
			    "'%s' is too long", host);
		event_active(lk->timer, EV_TIMEOUT, 0);
		return 0;
	}
	if ((lk->dns = evdns_base_new(base, 0)) == NULL) {
		event_free(lk->timer);
		free(lk);
		return -1;
	}
	/* a file that cannot be read leaves evdns its default, 127.0.0.1 */
	evdns_base_resolv_conf_parse(lk->dns, DNS_OPTIONS_ALL,
	    resolv != NULL ? resolv : "/etc/resolv.conf");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(lk->timer, &tv);
	/* may answer at once (the hosts file): then NULL, and req stays NULL */
	lk->req = evdns_getaddrinfo(lk->dns, host, NULL, &hints,
	    lookup_answered, lk);
	return 0;
}
