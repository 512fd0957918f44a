/*
 * Snapshot metadata: one VM's snapshots in one directory (the VM core's
 * vm_snapdir, STATEDIR/snapshots/NAME), one JSON file each, SNAP.json,
 * written atomically.  Knows nothing of VMs or QEMU; the caller's
 * object is stored as given, with these members read here:
 *
 *	{"name": "s1", "creationTime": 1700000000, "parent": "s0" | null,
 *	 "current": true | false, ...}
 *
 * cmd-snapshot.c adds "description", "state" (running, paused, shutoff,
 * disk-snapshot), "location" (internal, external), "memory" and "disks".
 */
#ifndef LAUNCHER_SNAPSTORE_H
#define LAUNCHER_SNAPSTORE_H

#include <stddef.h>

struct json_object;

/* Store meta (borrowed) under its name, creating dir when missing. */
int		 snapstore_put(const char *dir, struct json_object *meta,
		    char *err, size_t errlen);
/* One snapshot's metadata (the caller's), or NULL with err. */
struct json_object *snapstore_get(const char *dir, const char *name,
		    char *err, size_t errlen);
int		 snapstore_exists(const char *dir, const char *name);
/*
 * Every snapshot, oldest first (then by name): a new array, empty when
 * the VM has none; NULL with err when a file cannot be read.
 */
struct json_object *snapstore_list(const char *dir, char *err, size_t errlen);
/* The current snapshot's metadata (the caller's), or NULL: none. */
struct json_object *snapstore_current(const char *dir);
/*
 * Make name (NULL: none) the current snapshot: the files whose
 * "current" changes are rewritten.
 */
int		 snapstore_set_current(const char *dir, const char *name,
		    char *err, size_t errlen);
/*
 * Forget a snapshot: its children get its parent, and when it was the
 * current one its parent becomes current, as virsh's snapshot-delete.
 */
int		 snapstore_del(const char *dir, const char *name, char *err,
		    size_t errlen);
/* The number of children and of all descendants of name. */
void		 snapstore_family(struct json_object *list, const char *name,
		    int *children, int *descendants);

#endif
