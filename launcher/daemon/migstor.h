/*
 * Storage copy of a migration (migrate --copy-storage, virsh's
 * --copy-storage-all): the disks go along with the guest when the two
 * supervisors do not share an image directory.
 *
 *   source (migstorage.c)                 destination (migstor-in.c)
 *   query-block: each disk's size
 *   migrate-prepare {..., copy_storage:
 *     [{target, size}]}              -->  new images STATEDIR/images/
 *                                         NAME-TARGET.FORMAT (a child
 *                                         runs qemu-img), QEMU -incoming
 *                                         with them, nbd-server-start,
 *                                         a writable export per disk
 *                                   <--   {uri, nbd: SocketAddress}
 *   blockdev-add nbd, blockdev-mirror
 *   sync full per disk, until every
 *   job is ready (progress events),
 *   then migrate (RAM) as without
 *   completed: block-job-cancel of
 *   the ready jobs (this side's images
 *   untouched), blockdev-del
 *   migrate-finish                   -->  nbd-server-stop, cont
 *
 * A failure anywhere: the jobs are force-cancelled and the NBD nodes
 * deleted here (the guest runs on its own images), the destination's
 * QEMU, the images it created and its definition go.
 */
#ifndef LAUNCHER_MIGSTOR_H
#define LAUNCHER_MIGSTOR_H

#include <stddef.h>

struct daemon;
struct json_object;
struct vm;
struct vmdef;

/* err NULL: done; else one line */
typedef void (*migstor_done_fn)(void *arg, const char *err);
/* a JOB_PROGRESS event's data (the callee's) */
typedef void (*migstor_progress_fn)(void *arg, struct json_object *data);

/* ---- the source ---- */

struct migstor;

/*
 * The disks of def that are copied: every disk with an image that is
 * neither a CD-ROM nor read-only, found by its top node in query-block's
 * reply.  *out: [{"target", "node", "size"}] (a new array).  -1 with err
 * when a disk is not in QEMU or there is nothing to copy.
 */
int		 migstor_disks(const struct vmdef *, struct json_object *blocks,
		    struct json_object **out, char *err, size_t errlen);

/*
 * speed: the mirror's bytes/s, 0 unbounded (migrate --bandwidth).
 * blocking: the mirrors in write-blocking mode (every guest write goes
 * to the destination too before it completes), so that once ready the
 * copies stay in step with the source: what postcopy needs, since the
 * destination runs before the RAM is over and the jobs are cancelled.
 */
struct migstor	*migstor_new(struct daemon *, struct vm *, long long speed,
		    int blocking, migstor_progress_fn, void *arg);
/* query-block, then migstor_disks; done once. */
void		 migstor_probe(struct migstor *, migstor_done_fn, void *arg);
/* What migrate-prepare's "copy_storage" gets: [{"target", "size"}]. */
struct json_object *migstor_request(const struct migstor *);
/*
 * Mirror every disk to the export of its target on the destination's
 * NBD server nbd (a SocketAddress), until every job is ready; done once.
 */
void		 migstor_mirror(struct migstor *, struct json_object *nbd,
		    migstor_done_fn, void *arg);
/*
 * The RAM is over: every job still ready (else the error), each
 * cancelled in its ready state (the copy complete, this side's images
 * as they were), the NBD nodes deleted; done once.
 */
void		 migstor_finish(struct migstor *, migstor_done_fn, void *arg);
/*
 * Failure: whatever migstor started is stopped and deleted (jobs
 * force-cancelled, then the NBD nodes); a done still pending is never
 * called; this done is called once, always.
 */
void		 migstor_undo(struct migstor *, migstor_done_fn, void *arg);
void		 migstor_free(struct migstor *);

/* ---- the destination ---- */

struct migstor_in;

/*
 * For the disks in copy (migrate-prepare's "copy_storage"), def's disks
 * get new images imgdir/NAME-TARGET.FORMAT of the size given, which must
 * not exist yet.  NULL with err on bad input (nothing changed on disk).
 */
struct migstor_in *migstor_in_new(struct vmdef *, const char *imgdir,
		    struct json_object *copy, char *err, size_t errlen);
/* The images created, in a child process; done once. */
void		 migstor_in_create(struct migstor_in *, struct daemon *,
		    migstor_done_fn, void *arg);
/*
 * The NBD server of vm's QEMU (on a UNIX socket in its QEMU directory,
 * or on listen:PORT with a free port when listen is not empty) and an
 * export per disk; then done, and migstor_in_address tells the source.
 */
void		 migstor_in_export(struct migstor_in *, struct vm *,
		    const char *listen, migstor_done_fn, void *arg);
/* The SocketAddress of the NBD server (a new reference). */
struct json_object *migstor_in_address(const struct migstor_in *);
/* The guest runs here: the images stay. */
void		 migstor_in_keep(struct migstor_in *);
/* Failed: the images created are removed (no QEMU may have them open). */
void		 migstor_in_free(struct migstor_in *);

#endif
