/*
 * Image work for users who are not admins.  The supervisor runs qemu-img
 * on a shut off VM's disks itself (snapshots), as root; a user's VM may
 * name any path (its QEMU, run as the user, could not open another's
 * image, but qemu-img run by the supervisor could).  So before such work
 * the requester must be able to open each disk it writes as itself.
 */
#ifndef LAUNCHER_DISKAUTH_H
#define LAUNCHER_DISKAUTH_H

struct req;
struct vmdef;

/*
 * 0 when r's user is an admin or may open every writable disk of d
 * read-write with its own file-system identity; -1 answered
 * (PermissionDenied, naming the disk).
 */
int	 diskauth_writable(struct req *, const struct vmdef *d);

#endif
