/* migrate to an ssh:// destination: the client's part (migssh.c). */
#ifndef LAUNCHER_MIGSSH_H
#define LAUNCHER_MIGSSH_H

struct cli;
struct json_object;
struct sshconn;

/*
 * Reach the destination over ssh (or exit with one line saying why) and
 * set up the request a: "dest" (a label), "peer_fd", "listen" (the
 * URI's host unless given), the connection to pass with it.  The
 * client must be connected.  Returns the label (malloc'd).
 */
char	*migssh_dest(struct cli *, const char *uri, struct json_object *a,
	    struct sshconn *);

#endif
