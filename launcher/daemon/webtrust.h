/*
 * The web manager's trust (cmd-web.c).  The web process runs as one
 * unprivileged user, qlaunchd --web-user; requests from that peer may
 * act for another user ("on-behalf-of", req_acting_uid), and only that
 * peer registers the web manager's URL and redeems login tokens.  The
 * supervisor stays the only place that authorizes.
 */
#ifndef LAUNCHER_WEBTRUST_H
#define LAUNCHER_WEBTRUST_H

#include <sys/types.h>

struct daemon;
struct req;

/* The request comes from the web manager's user, acting for itself. */
int	 web_trusted(const struct req *);
/* --web-user USER|UID; -1 with err for an unknown user. */
int	 web_set_user(struct daemon *, const char *, char *err, size_t errlen);
/* What cmd-web.c keeps (URL, tokens), freed. */
void	 web_fini(struct daemon *);

#endif
