/*
 * One-time console tickets (issue 11's web consoles): console-ticket
 * issues one for a user and a VM's running QEMU, console-open spends it.
 * A ticket is 256 random bits (64 hex digits), lives WEBTICKET_TTL_MS,
 * and is spent by its first presentation, whatever comes of it: a ticket
 * shown by another user, for another VM, late or a second time opens
 * nothing, and the one it was issued to asks for a new one.
 */
#ifndef LAUNCHER_WEBTICKET_H
#define LAUNCHER_WEBTICKET_H

#include <sys/types.h>

#include <stddef.h>

struct daemon;
struct vm;

#define WEBTICKET_TTL_MS	60000
#define WEBTICKET_HEX		64	/* characters of a ticket */
#define WEBTICKET_MAX		256	/* waiting at once, over all users */
#define WEBTICKET_MAX_UID	32	/* ...and for one user */

enum webcon_kind {
	WEBCON_VNC,
	WEBCON_SERIAL
};

/*
 * A ticket for uid on the VM's current QEMU, of kind, into out (64 hex
 * digits and a NUL).  0, or -1 with err (too many waiting).
 */
int	 webticket_issue(struct daemon *, struct vm *, uid_t, enum webcon_kind,
	    char out[WEBTICKET_HEX + 1], char *err, size_t errlen);
/*
 * Spend ticket: 0 with its kind when it was issued to uid for this VM's
 * current QEMU and has not expired; else -1 with err (class in eclass:
 * a names.h error class).
 */
int	 webticket_redeem(struct daemon *, struct vm *, uid_t,
	    const char *ticket, enum webcon_kind *, const char **eclass,
	    char *err, size_t errlen);
/* Tickets waiting (for the tests). */
size_t	 webticket_count(struct daemon *);
/* The lifetime of tickets issued from now on (the tests shorten it). */
void	 webticket_set_ttl(struct daemon *, int ms);
void	 webticket_fini(struct daemon *);

#endif
