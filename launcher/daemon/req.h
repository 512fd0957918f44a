/*
 * A control request being served.  It is answered exactly once
 * (req_return, req_error, req_qemu_error), now or later, and freed by the
 * answer.  The connection it came on is reached only through its ops, so
 * handlers never depend on the control socket; a request whose client
 * left (conn NULL) answers into the void.
 */
#ifndef LAUNCHER_REQ_H
#define LAUNCHER_REQ_H

#include <sys/queue.h>
#include <sys/types.h>

struct json_object;
struct daemon;
struct req;
struct bufferevent;
struct req_closer;

struct req_ops {
	void	(*send)(void *conn, struct json_object *msg);
	/* the request is freed: the connection forgets it */
	void	(*forget)(void *conn, struct req *);
	/*
	 * Take the connection's stream away from the control protocol once
	 * the reply is out: from then on it carries raw bytes, handed to
	 * fn (which owns the bufferevent).  -1 if the connection cannot.
	 */
	int	(*detach)(void *conn, void (*fn)(void *, struct bufferevent *),
		    void *arg);
	/* the descriptor passed with the request (SCM_RIGHTS), or -1 */
	int	(*take_fd)(void *conn);
	/* tell c->fn when the connection closes; forget c (req_closer) */
	void	(*watch)(void *conn, struct req_closer *c);
	void	(*unwatch)(void *conn, struct req_closer *c);
	/*
	 * Send msg with descriptor fd beside it (SCM_RIGHTS); fd stays the
	 * caller's.  -1 when it did not go (nothing was sent).
	 */
	int	(*send_fd)(void *conn, struct json_object *msg, int fd);
};

/*
 * Told once when a request's connection closes, also after the request
 * was answered (a migration's destination learns its source went away).
 * The caller owns it and cancels it before freeing it; once fn was
 * called it is inert.  A supervisor shutting down tells nobody.
 */
struct req_closer {
	TAILQ_ENTRY(req_closer)	 entry;		/* the connection's */
	void			*conn;		/* NULL: told or cancelled */
	const struct req_ops	*ops;
	void			(*fn)(void *arg);
	void			*arg;
};

struct req {
	TAILQ_ENTRY(req)	 centry;	/* in its connection's list */
	void			*conn;		/* NULL once the client left */
	const struct req_ops	*ops;
	struct daemon		*d;
	struct json_object	*id;
	struct json_object	*args;
	char			 cmd[32];
	uid_t			 uid;		/* the user acting */
	pid_t			 pid;
	uid_t			 peer_uid;	/* the peer (SO_PEERCRED) */
};

/* A request; id and args are taken over (args NULL: {}). */
struct req	*req_new(struct daemon *, const struct req_ops *, void *conn,
		    const char *cmd, struct json_object *id,
		    struct json_object *args, uid_t, pid_t);
/* ret is consumed (NULL: {}). */
void		 req_return(struct req *, struct json_object *ret);
/*
 * The same with descriptor fd passed beside the reply (SCM_RIGHTS); fd
 * stays the caller's, who closes its copy.  -1 when the connection cannot
 * carry one or it did not go: nothing was sent and r is still to be
 * answered.
 */
int		 req_return_fd(struct req *, struct json_object *ret, int fd);
void		 req_error(struct req *, const char *class, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* An error QEMU raised: class and desc unchanged, marked "qemu": true. */
void		 req_qemu_error(struct req *, const char *class,
		    const char *desc);
/* A progress event tied to the request's id; data consumed. */
void		 req_event(struct req *, const char *event, struct json_object *);
/* The error reply as a message, for connections without a request. */
struct json_object *req_error_msg(struct json_object *id, const char *class,
		    const char *desc);
/*
 * The descriptor the client passed with this request, now the caller's;
 * -1 when none came.  Only a handler that expects one takes it: the
 * connection closes any other once the request is dispatched.
 */
int		 req_take_fd(struct req *);
/*
 * fn(arg) once r's connection closes (c filled in); -1 when the client
 * left already or its connection cannot tell.
 */
int		 req_on_close(struct req *r, struct req_closer *c,
		    void (*fn)(void *), void *arg);
void		 req_closer_cancel(struct req_closer *);
/*
 * Whom a request acts for: the peer's uid, or the top-level
 * "on-behalf-of" of msg when the peer is the web manager's user
 * (qlaunchd --web-user).  -1 with err when anyone else sends it, or
 * when it is not a uid.
 */
int		 req_acting_uid(const struct daemon *, struct json_object *msg,
		    uid_t peer, uid_t *uid, char *err, size_t errlen);
/* Arguments. */
const char	*req_str(struct req *, const char *key);
int		 req_bool(struct req *, const char *key);

#endif
