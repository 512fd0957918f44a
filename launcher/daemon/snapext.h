/*
 * The image work of external (disk-only) snapshots when no QEMU has the
 * images open: revert (fresh overlays over the snapshot's base images)
 * and the merge of one overlay into its base when a snapshot is deleted
 * (qemu-img commit, then a rebase of the image above it).  Each disk of
 * a snapshot's metadata is {"target", "source" (the overlay made by the
 * snapshot), "backing" (the image it was taken of), "backing_format"}.
 * Knows no VM and no request: cmd-snapshot.c decides when.
 */
#ifndef LAUNCHER_SNAPEXT_H
#define LAUNCHER_SNAPEXT_H

#include <stddef.h>

struct json_object;
struct vmdef;

/*
 * The format of a disk entry's base image: its "backing_format", or
 * (metadata of older snapshots) probed by qemu-img.  -1 with err.
 */
int	 snapext_base_format(struct json_object *disk, char *fmt, size_t len,
	    char *err, size_t errlen);

/*
 * Can d (the stored definition of a shut off VM) go back to the
 * snapshot of meta?  Every disk of the snapshot must still be on its
 * overlay and its base image there.  -1 with err.
 */
int	 snapext_revert_check(const struct vmdef *d, struct json_object *meta,
	    char *err, size_t errlen);
/*
 * Revert: each overlay of the snapshot is replaced by a new, empty one
 * over the same base image, at the same path (as virsh does: what was
 * written after the snapshot is discarded, the base stays untouched and
 * the snapshot can be reverted to again).  All disks or none: on error
 * every overlay is as it was.  -1 with err.
 */
int	 snapext_revert(const struct vmdef *d, struct json_object *meta,
	    char *err, size_t errlen);

/*
 * Where overlay is in the backing chain of the image top: 0 top itself;
 * 1 below it, with the image directly above it in above; -1 not in it
 * (or the chain could not be read: err says so, empty when simply
 * absent).
 */
int	 snapext_chain_find(const char *top, const char *overlay, char *above,
	    size_t len, char *err, size_t errlen);

/*
 * Delete, offline, for one disk whose image chain has top on top: the
 * entry's overlay is committed into its base (qemu-img commit); when it
 * is below top, the image above it is rebased onto the base (unsafe: the
 * base now holds the same content).  *switched is 1 when the overlay was
 * top itself: the disk must now name the base.  The overlay file is
 * left for the caller to remove once the definition says so.  -1 with
 * err; before the commit nothing changed.
 */
int	 snapext_merge(const char *top, struct json_object *disk,
	    int *switched, char *err, size_t errlen);

#endif
