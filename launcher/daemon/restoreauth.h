/*
 * restore's rule for users who are not admins: the definition in a save
 * file is what runs, and the file is the user's to edit, so it must not
 * give the VM away (owner) or reach what only root hands out (a host
 * bridge), as a define by that user could not.
 */
#ifndef LAUNCHER_RESTOREAUTH_H
#define LAUNCHER_RESTOREAUTH_H

struct req;
struct vm;
struct vmdef;

/* 0 when r's user may run def as vm (its existing VM); -1 answered. */
int	 restore_admit(struct req *, struct vmdef *def, struct vm *vm);

#endif
