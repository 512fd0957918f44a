/*
 * A device change as virsh makes one (attach-disk, detach-interface,
 * ...): "live" changes the running VM through a job whose steps are
 * undone in reverse when one fails, "config" the stored definition;
 * neither means the VM's current state.  With both, the stored definition
 * is written only once the live change worked.  The request is answered
 * when it is over, either way.
 */
#ifndef LAUNCHER_CHANGE_H
#define LAUNCHER_CHANGE_H

#include "storage.h"

struct job;
struct json_object;
struct qmp;
struct req;
struct vm;
struct vmdef;

#define CHANGE_JOB_MS		60000
#define UNPLUG_WAIT_MS		30000	/* for the guest to let go */

struct change {
	struct req		*r;
	struct vm		*vm;
	struct vmdef		*live;		/* NULL: no live change */
	struct vmdef		*config;	/* NULL: no stored change */
	struct created		 made;		/* images, removed on failure */
	char			 what[64];	/* "attach-disk vdb" */
	struct job		*job;		/* the live part, while it runs */
	int			 adds;		/* a device comes into QEMU */
	/* a NIC whose tap is forgotten when it fails, or when it worked */
	char			 tap_fail[24];
	char			 tap_done[24];
	/* descriptors the live steps pass (getfd), in the order of those */
	int			*fds;
	size_t			 nfds;
	/* how long an unplug waits for the guest; 0: UNPLUG_WAIT_MS */
	int			 unplug_ms;
	/* the live part was taken (setvcpus: pin the new vCPUs) */
	void			(*after_live)(struct vm *, struct qmp *);
};

/* virsh's scope; a live change needs QEMU to take commands (answers). */
int		 change_scope(struct req *, struct vm *, int *live,
		    int *config);
struct change	*change_new(struct req *, struct vm *, const char *what,
		    const char *target);
/*
 * Run the live steps (consumed) as a job, then store the config part and
 * answer; with no live part, store and answer.  Steps that unplug
 * (device_del of unplug_id) wait for DEVICE_DELETED; getfd steps take
 * c->fds in turn.  Frees c.
 */
void		 change_run(struct change *, struct json_object *steps,
		    const char *unplug_id);
/* Give up before running: undo the images, free. */
void		 change_free(struct change *);

#endif
