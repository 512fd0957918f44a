/*
 * Offline migration (migrate --offline, migoffline.c): a shut off VM's
 * definition, and with --copy-storage its images, go to another
 * supervisor; the destination's migrate-define is there too.
 */
#ifndef LAUNCHER_MIGOFF_H
#define LAUNCHER_MIGOFF_H

struct req;
struct vm;

/*
 * migrate's request {"offline": true, "keep_source", "copy_storage",
 * "listen"} for vm to the supervisor at dest (a checked socket path),
 * or over peer_fd (a connection passed by the client, see migpeer.h;
 * -1: none), which becomes the move's; answered later.  Under way, the
 * move is in the daemon's migration list: migrate-cancel stops it (the
 * destination cleaned up), and start and undefine are refused.
 */
void	 migoff_start(struct req *, struct vm *, const char *dest,
	    const char *listen, int peer_fd);

#endif
