/* qlaunch: setmem --hotplug, which cmd-mem.c hands to cmd-memhp.c. */
#ifndef LAUNCHER_CLIENT_MEMHP_H
#define LAUNCHER_CLIENT_MEMHP_H

#include <stdint.h>

struct cli;
struct scope;

/* The virtio-mem device's requested size: bytes, a whole number of MiB. */
int	memhp_setmem(struct cli *, const char *name, uint64_t bytes,
	    const struct scope *);

#endif
