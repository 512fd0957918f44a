/*
 * What a user may do to a file, asked of the kernel as that user: a
 * child takes the user's uid, gid and groups and calls access(2), so
 * modes, groups, ACLs and every directory on the way count exactly as
 * they would for the user's own process.  For work the supervisor (root)
 * does on a user's behalf on a path the user named.
 */
#ifndef LAUNCHER_USERPERM_H
#define LAUNCHER_USERPERM_H

#include <sys/types.h>

/* 0 when uid may access path with mode (R_OK, W_OK...); else an errno. */
int	 user_may_access(uid_t uid, const char *path, int mode);

#endif
