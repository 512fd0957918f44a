/* The qlaunch side of the control protocol: a small blocking client. */
#ifndef LAUNCHER_CLIENT_H
#define LAUNCHER_CLIENT_H

#include <sys/queue.h>

#include <stddef.h>

#include "jstream.h"

struct json_object;

/* A message read but not yet taken. */
struct client_msg {
	struct json_object		*msg;
	TAILQ_ENTRY(client_msg)		 entry;
};
TAILQ_HEAD(client_msgq, client_msg);

struct client_conn {
	int		 fd;
	struct jstream	 js;
	long long	 next_id;
	/*
	 * Messages read but not yet taken (events, out-of-order replies).
	 * Unbounded: an event stream never loses an event here.
	 */
	struct client_msgq queue;
	unsigned long long nread;	/* messages read so far */
	/* bytes read after the last message (console output) */
	char		*rest;
	size_t		 nrest;
	char		 path[108];
	int		 error_from_qemu;	/* the last error came from QEMU */
	/* sent with the next request (SCM_RIGHTS), then closed; -1: none */
	int		 pass_fd;
	/* came with a reply (SCM_RIGHTS), until taken (clientfd.h); -1 */
	int		 recv_fd;
	struct sshconn	*ssh;		/* reached over ssh (-c ssh://...) */
};

struct sshconn;

/*
 * Connect to the supervisor (path may be an ssh:// URI).  When nothing answers and autostart is set,
 * start qlaunchd for the caller (as tmux starts its server) and wait for
 * it.  Returns 0, or -1 with err filled in.
 */
int	 client_open(struct client_conn *, const char *path, int autostart,
	    char *err, size_t errlen);
void	 client_close(struct client_conn *);

/*
 * Send a request and wait for its reply.  args is consumed.  Events that
 * arrive meanwhile go to on_event when given; otherwise they stay queued
 * for client_next_event.
 * Returns 0 with *ret (owned by the caller, may be NULL), or -1 with the
 * error class and desc (QEMU's unchanged, when it came from QEMU) in
 * eclass/edesc.
 */
int	 client_call(struct client_conn *, const char *cmd,
	    struct json_object *args, struct json_object **ret,
	    char *eclass, size_t eclasslen, char *edesc, size_t edesclen,
	    void (*on_event)(struct json_object *, void *), void *arg);
/*
 * Send a request without waiting (a stream: stats-watch); its events and
 * its reply come through client_next_event.  args is consumed.  The
 * request's id, or -1 when it could not be sent.
 */
long long client_send(struct client_conn *, const char *cmd,
	    struct json_object *args);
/* Wait for the next event (blocking, timeout_ms < 0: forever). */
struct json_object *client_next_event(struct client_conn *, int timeout_ms);

#endif
