/*
 * Postcopy recovery (migrate --postcopy-resume, migresume.c): a postcopy
 * migration whose stream broke resumes to the same destination; the
 * destination's migrate-recover is there too.
 */
#ifndef LAUNCHER_MIGRESUME_H
#define LAUNCHER_MIGRESUME_H

struct req;
struct vm;

/*
 * migrate's request {"postcopy_resume": true, "keep_source", "listen"}
 * for vm, whose QEMU must be in postcopy-paused, to the supervisor at
 * dest (a checked socket path) or over peer_fd (migpeer.h; -1: none);
 * answered later.
 */
void	 migresume_start(struct req *, struct vm *, const char *dest,
	    const char *listen, int peer_fd);

#endif
