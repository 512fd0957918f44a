/*
 * The destination reached through a connection the client made (an
 * ssh:// destination: the client runs ssh, as the user, and passes its
 * end with the migrate request), and a listen address given by name.
 */
#ifndef LAUNCHER_MIGPEER_H
#define LAUNCHER_MIGPEER_H

#include <stddef.h>

struct event_base;
struct qmp;
struct qmp_callbacks;
struct req;

/*
 * {"peer_fd": true} in a migrate request: the descriptor passed with it,
 * a connected stream socket, in *fd (1); no "peer_fd": *fd -1 (0); -1
 * answered (none came, or not a stream socket).
 */
int	 migpeer_take(struct req *, int *fd);
/*
 * A free TCP port on listen (a numeric IPv4 or IPv6 address), as the
 * URI "tcp:ADDR:PORT" in uri; -1 with err.
 */
int	 migpeer_tcp_uri(const char *listen, char *uri, size_t urilen,
	    char *err, size_t errlen);
/*
 * The destination's supervisor as a peer of newline JSON (no greeting,
 * no negotiation): over pfd, a connection the client passed (taken;
 * closed when it cannot be used), or at the socket path; *q is the
 * connection (NULL only when none could be made; the caller frees it).
 * -1 when it cannot be used.
 */
int	 migpeer_connect(struct event_base *, const char *path, int pfd,
	    int timeout_ms, const struct qmp_callbacks *, void *arg,
	    struct qmp **q);
/* The address found (numeric), or NULL and why, in one line. */
typedef void (*migpeer_resolved_fn)(void *arg, const char *addr,
	    const char *err);
/*
 * The address to listen on for host: a numeric address as it is, or a
 * name looked up without blocking the loop (evdns: the hosts file, then
 * the nameservers of resolv, NULL: /etc/resolv.conf), its first address,
 * within ms.  fn is called once, from the loop, never before this
 * returns; -1 (nothing called) when out of memory.
 */
int	 migpeer_resolve(struct event_base *, const char *resolv,
	    const char *host, int ms, migpeer_resolved_fn fn, void *arg);

#endif
