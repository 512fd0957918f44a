/*
 * IOThreads (iothreads.c): the definition's iothreads: key (virt-install's
 * --iothreads), QEMU's -object iothread,id=iothreadK for each, the ids
 * a disk's iothread= and cputune's iothreadpinK may name, and the checks
 * that tie them together.  Ids run from 1 to IOTHREAD_MAX, as virsh's.
 */
#ifndef LAUNCHER_IOTHREADS_H
#define LAUNCHER_IOTHREADS_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "vmdef.h"

struct argv;
struct json_object;

#define IOTHREAD_MAX	64

/* iothreads: N[,ids=LIST] (ids 1..N when no list is given) */
int	 corekey_iothreads(struct vmdef *, const char *, char *, size_t);
/* The canonical value, NULL when the VM has none; malloc'd. */
char	*iothreads_value(const struct vmdef *);
/* Does the VM have iothread id? */
int	 iothread_has(const struct vmdef *, unsigned id);
/* How many it has. */
unsigned iothread_count(const struct vmdef *);
/* Add (on 1) or remove (on 0) id; the caller checks the rest. */
void	 iothread_set(struct vmdef *, unsigned id, int on);
/*
 * QEMU's id of iothread id ("iothread2"), in buf: here, so that the
 * disk's device module names it without calling up into this file.
 */
static inline const char *
iothread_qemu_id(unsigned id, char *buf, size_t len)
{
	snprintf(buf, len, "iothread%u", id);
	return buf;
}
/* The id of QEMU's "iothread2"; 0 when it is none of ours. */
unsigned iothread_id_of(const char *qemu_id);
/* object-add's arguments (and -object's JSON) for iothread id. */
struct json_object *iothread_object(unsigned id);
/* -object for each iothread, in id order. */
void	 iothreads_args(const struct vmdef *, struct argv *);
/*
 * Cross-key checks: cputune's iothreadpinK and every disk's iothread=
 * name iothreads the VM has ("cputune: ..." or "disk: ..." in err).
 */
int	 iothreads_check(const struct vmdef *, char *err, size_t errlen);
/*
 * The same for a parsed file, naming the line: devline[i] is the line of
 * d->devs[i], tuneline the cputune: line's (0: none).  err gets
 * "FNAME:LINE: KEY: reason".
 */
int	 iothreads_check_lines(const struct vmdef *, const int *devline,
	    int tuneline, const char *fname, char *err, size_t errlen);

#endif
