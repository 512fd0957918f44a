/*
 * qmp: an asynchronous QMP client on libevent and json-c.
 *
 * One struct qmp is one connection.  It connects to a UNIX socket
 * (retrying until a deadline, since QEMU creates its socket a little after
 * exec), reads the greeting, negotiates qmp_capabilities (with OOB when
 * asked for and offered) and then reports ready.  Commands carry unique
 * integer ids, each has its own timeout, and each callback runs exactly
 * once: with the return value, with the QMP error class and desc
 * unchanged, or with a local error (class "Timeout", "Disconnected").
 * Events are delivered in arrival order, interleaved with replies exactly
 * as they came, to subscribers of one event name or of all events; events
 * that arrive before negotiation is done are delivered too.
 *
 * The library knows nothing about VMs and never prints.
 */
#ifndef QMP_QMP_H
#define QMP_QMP_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct event_base;
struct qmp;

enum qmp_state {
	QMP_IDLE,		/* created, not connected */
	QMP_CONNECTING,		/* waiting for the socket to accept */
	QMP_GREETING,		/* connected, waiting for the greeting */
	QMP_NEGOTIATING,	/* qmp_capabilities sent */
	QMP_READY,
	QMP_CLOSED
};

/* Local error classes, beside QEMU's own (GenericError, CommandNotFound...) */
#define QMP_ERR_TIMEOUT		"Timeout"
#define QMP_ERR_DISCONNECTED	"Disconnected"

struct qmp_error {
	const char	*class;
	const char	*desc;
};

/*
 * Reply callback: exactly one of ret and err is non-NULL.  Both are
 * borrowed for the duration of the call.
 */
typedef void (*qmp_reply_cb)(void *arg, struct json_object *ret,
    const struct qmp_error *err);
/* Event callback: msg is the whole event object (event, data, timestamp). */
typedef void (*qmp_event_cb)(void *arg, const char *name,
    struct json_object *msg);

struct qmp_callbacks {
	/* negotiation finished; the connection takes commands */
	void	(*ready)(void *arg, struct qmp *);
	/* the connection is gone; reason says why ("end of file", ...) */
	void	(*closed)(void *arg, struct qmp *, const char *reason);
};

struct qmp_options {
	size_t	max_message;	/* bytes; 0: JSTREAM_DEFAULT_MAX */
	int	want_oob;	/* enable OOB when the server offers it */
	int	negotiate;	/* send qmp_capabilities after the greeting */
	int	expect_greeting;/* wait for {"QMP":...} before anything */
	int	negotiate_timeout_ms;
};

/* negotiate and expect_greeting on, OOB off, 10 s negotiation timeout */
void		 qmp_options_default(struct qmp_options *);

struct qmp	*qmp_new(struct event_base *, const struct qmp_options *,
		    const struct qmp_callbacks *, void *cbarg);
/*
 * Free the connection.  Pending commands are failed (Disconnected) first,
 * but the closed callback is not called.  Safe from inside any callback.
 */
void		 qmp_free(struct qmp *);

/* Connect to a UNIX socket, retrying on ENOENT/ECONNREFUSED until timeout. */
int		 qmp_connect_unix(struct qmp *, const char *path, int timeout_ms);
/* Use an already connected stream socket (takes ownership of fd). */
int		 qmp_attach_fd(struct qmp *, int fd);
/* Close with a reason: fails pending commands, calls closed. */
void		 qmp_close(struct qmp *, const char *reason);

/*
 * Send a command.  args (may be NULL) is consumed.  Commands issued before
 * the connection is ready are held and sent, in order, once it is.
 * timeout_ms <= 0 means no timeout.  A NULL callback ignores the reply.
 * Returns the id, or -1 if the
 * connection is closed or memory ran out (args is consumed either way and
 * the callback is not called).
 */
int64_t		 qmp_execute(struct qmp *, const char *cmd,
		    struct json_object *args, int timeout_ms,
		    qmp_reply_cb, void *arg);
/*
 * The same, passing fd with SCM_RIGHTS along with the command (for getfd,
 * add-fd).  fd is duplicated; the caller keeps its own.
 */
int64_t		 qmp_execute_fd(struct qmp *, const char *cmd,
		    struct json_object *args, int fd, int timeout_ms,
		    qmp_reply_cb, void *arg);
/* Run a command out of band ("exec-oob"); needs OOB negotiated. */
int64_t		 qmp_execute_oob(struct qmp *, const char *cmd,
		    struct json_object *args, int timeout_ms,
		    qmp_reply_cb, void *arg);
/*
 * Forget a pending command: its callback will not be called, and a late
 * reply is dropped like any unknown id.  Returns 0 if it was pending.
 */
int		 qmp_cancel(struct qmp *, int64_t id);

/*
 * Subscribe to an event by name, or to all events with name NULL.
 * Returns a handle for qmp_unsubscribe, NULL on allocation failure.
 */
void		*qmp_subscribe(struct qmp *, const char *name, qmp_event_cb,
		    void *arg);
void		 qmp_unsubscribe(struct qmp *, void *handle);

enum qmp_state	 qmp_state(const struct qmp *);
/* The greeting object ({"QMP":...}), or NULL before it arrives. */
struct json_object *qmp_greeting(const struct qmp *);
/* QEMU version from the greeting; -1 in each before it arrives. */
void		 qmp_version(const struct qmp *, int *major, int *minor,
		    int *micro);
int		 qmp_oob_enabled(const struct qmp *);
int		 qmp_fd(const struct qmp *);
size_t		 qmp_npending(const struct qmp *);

struct qmp_stats {
	uint64_t	sent;		/* commands written */
	uint64_t	replies;	/* replies matched to a command */
	uint64_t	unmatched;	/* replies with an unknown or no id */
	uint64_t	events;
	uint64_t	bytes_in;
	uint64_t	bytes_out;
};
void		 qmp_get_stats(const struct qmp *, struct qmp_stats *);

/* ---- synchronous helpers, for tools and tests ---- */

/*
 * A connection with its own event base and an event log.  Every event is
 * recorded in arrival order so that a caller can wait for one later.
 */
struct qmp_sync;

struct qmp_reply {
	struct json_object	*ret;		/* owned; NULL on error */
	char			*eclass;	/* owned; NULL on success */
	char			*edesc;
};

/* Connect and negotiate; NULL with a message in err on failure. */
struct qmp_sync	*qmp_sync_open(const char *path, int timeout_ms,
		    const struct qmp_options *, char *err, size_t errlen);
/* The same over a connected socket (takes fd). */
struct qmp_sync	*qmp_sync_attach(int fd, int timeout_ms,
		    const struct qmp_options *, char *err, size_t errlen);
void		 qmp_sync_close(struct qmp_sync *);
struct qmp	*qmp_sync_qmp(struct qmp_sync *);
struct event_base *qmp_sync_base(struct qmp_sync *);
/*
 * Run one command until its reply.  Returns 0 on a return value, -1 on
 * any error (QMP or local), with the reply filled in either way.
 * args is consumed.
 */
int		 qmp_sync_execute(struct qmp_sync *, const char *cmd,
		    struct json_object *args, int timeout_ms,
		    struct qmp_reply *);
/* The same, passing fd along (SCM_RIGHTS); the caller keeps its fd. */
int		 qmp_sync_execute_fd(struct qmp_sync *, const char *cmd,
		    struct json_object *args, int fd, int timeout_ms,
		    struct qmp_reply *);
void		 qmp_reply_clear(struct qmp_reply *);
/*
 * Wait for an event of that name (NULL: any) that has not been taken yet;
 * events before it stay queued.  Returns the event object (owned by the
 * caller) or NULL on timeout or disconnect.
 */
struct json_object *qmp_sync_wait_event(struct qmp_sync *, const char *name,
		    int timeout_ms);
/* Run the loop until the connection closes or timeout; 0 if it closed. */
int		 qmp_sync_wait_closed(struct qmp_sync *, int timeout_ms);
/* Why the connection closed, or NULL while it is open. */
const char	*qmp_sync_closed_reason(struct qmp_sync *);

#endif
