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
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "migpeer.h"
#include "names.h"
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
migpeer_resolve(const char *host, char *addr, size_t len, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &res) == 0) {
		freeaddrinfo(res);
		if (strlcpy(addr, host, len) >= len) {
			snprintf(err, errlen, "listen address '%s' is too "
			    "long", host);
			return -1;
		}
		return 0;
	}
	hints.ai_flags = AI_ADDRCONFIG;
	if ((e = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen address '%s' is not an IP "
		    "address, nor a name this host resolves: %s", host,
		    gai_strerror(e));
		return -1;
	}
	e = getnameinfo(res->ai_addr, res->ai_addrlen, addr, (socklen_t)len,
	    NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (e != 0) {
		snprintf(err, errlen, "listen address '%s': %s", host,
		    gai_strerror(e));
		return -1;
	}
	return 0;
}
