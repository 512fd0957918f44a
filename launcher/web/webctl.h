/*
 * The web manager's control connection: the client library's connection
 * (client_open) driven asynchronously in a libevent loop.  Requests are
 * matched to their replies by id; events go to one handler (a
 * request's own events, which carry its id, too).  Nothing
 * here blocks once connected.
 */
#ifndef LAUNCHER_WEBCTL_H
#define LAUNCHER_WEBCTL_H

#include <sys/types.h>

#include <stddef.h>

struct event_base;
struct json_object;
struct webctl;

/* ret on success (borrowed), else eclass and edesc. */
typedef void (*webctl_cb)(void *arg, struct json_object *ret,
	    const char *eclass, const char *edesc);

struct webctl *webctl_open(struct event_base *, const char *sock,
	    void (*on_event)(void *, struct json_object *),
	    void (*on_close)(void *), void *arg, char *err, size_t errlen);
/*
 * Send cmd with args (consumed, NULL: {}), acting for uid unless it is
 * (uid_t)-1; cb (may be NULL) gets the reply exactly once, or
 * "Disconnected" when the supervisor goes away first.
 */
void	 webctl_call(struct webctl *, const char *cmd, struct json_object *args,
	    uid_t uid, webctl_cb cb, void *arg);
void	 webctl_free(struct webctl *);

#endif
