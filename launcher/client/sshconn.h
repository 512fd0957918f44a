/*
 * A qlaunchd reached over ssh (an ssh:// URI, sshuri.h): ssh runs as the
 * user, with the user's keys and agent, in a session of its own (so
 * Ctrl-C reaches only qlaunch), with one end of a socketpair as its
 * stdin and stdout; the other end is the connection.  It is checked
 * before use: the remote supervisor must answer a version request, or
 * ssh's own last words are the error.
 */
#ifndef LAUNCHER_SSHCONN_H
#define LAUNCHER_SSHCONN_H

#include <sys/types.h>

#include <stddef.h>

struct sshconn {
	int	 fd;		/* the connection: our end */
	pid_t	 pid;		/* ssh */
	int	 errfd;		/* ssh's stderr */
	char	 label[320];	/* [user@]host[:port] */
	char	 host[256];	/* the URI's host */
};

/*
 * Connect; -1 with err, one line ("cannot reach qlaunchd on HOST over
 * ssh: WHY") and nothing left running.  The program is $QLAUNCH_SSH,
 * else ssh.
 */
int	 sshconn_open(const char *uri, struct sshconn *, char *err,
	    size_t errlen);
/*
 * Done with it: our end closed (unless given away: fd -1), then ssh
 * waited for (it ends once every holder of the connection closed it) for
 * at most timeout_ms, and ended with SIGTERM after that.
 */
void	 sshconn_close(struct sshconn *, int timeout_ms);

#endif
