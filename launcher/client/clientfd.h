/*
 * Descriptors that come with the supervisor's replies (SCM_RIGHTS):
 * console-open's console.  The connection is read with recvmsg, and the
 * descriptor that came last waits in the connection until taken.
 */
#ifndef LAUNCHER_CLIENTFD_H
#define LAUNCHER_CLIENTFD_H

#include <sys/types.h>

#include <stddef.h>

struct client_conn;

/*
 * read(2) of a control connection that also keeps a descriptor passed
 * with the bytes in *fdp (one waiting there before is closed); on what is
 * not a socket (ssh's pipe) a plain read.
 */
ssize_t	 clientfd_read(int sock, void *buf, size_t len, int *fdp);
/*
 * The descriptor that came with the last reply read (console-open's),
 * now the caller's; -1 when none came.
 */
int	 client_take_fd(struct client_conn *);

#endif
