/* setvcpus (cpuhot.c): vCPU hot-plug and unplug, the stored count. */
#ifndef LAUNCHER_CPUHOT_H
#define LAUNCHER_CPUHOT_H

struct req;
struct vm;

/* {"count": N, "live", "config", "maximum", "timeout_ms"} */
void	 cpuhot_setvcpus(struct req *, struct vm *);

#endif
