/*
 * The destination reached through a connection the client made (an
 * ssh:// destination: the client runs ssh, as the user, and passes its
 * end with the migrate request), and a listen address given by name.
 */
#ifndef LAUNCHER_MIGPEER_H
#define LAUNCHER_MIGPEER_H

#include <stddef.h>

struct req;

/*
 * {"peer_fd": true} in a migrate request: the descriptor passed with it,
 * a connected stream socket, in *fd (1); no "peer_fd": *fd -1 (0); -1
 * answered (none came, or not a stream socket).
 */
int	 migpeer_take(struct req *, int *fd);
/*
 * The address to listen on for host, a numeric address or a name this
 * host resolves (its first address); -1 with err.
 */
int	 migpeer_resolve(const char *host, char *addr, size_t len, char *err,
	    size_t errlen);

#endif
