/*
 * Disks of a definition about to be stored.  Each gets a path (a disk
 * given only a size, as virt-install's --disk size=10, goes to
 * STATEDIR/images/NAME-TARGET.qcow2), an image (created, sparse unless
 * sparse=no, when it is missing and has a size) and a format, probed once
 * with qemu-img and written into the definition, so that a start never
 * guesses it.  Images created here are removed again when the definition
 * is not stored after all.  qemu-img runs off the event loop, in a child
 * process, so that a slow or hung image stops nothing else.
 */
#ifndef LAUNCHER_STORAGE_H
#define LAUNCHER_STORAGE_H

#include <stddef.h>
#include <sys/types.h>

struct daemon;
struct vmdef;

struct created {
	char	**paths;
	size_t	  n;
};

/* err NULL: the disks are settled; else one line */
typedef void (*storage_done_fn)(void *arg, const char *err);
/*
 * Prepare disk i, or every disk when i is (size_t)-1.  Only an admin's
 * definitions have images probed or created by the supervisor; others must
 * give the format of images that exist.  What needs qemu-img (creating
 * and probing images) runs in a child process (imgwork.h), each step
 * bounded ("disk vda: qemu-img info PATH did not answer in 60 s"), so
 * done may be called later, from the event loop, or at once when nothing
 * needs qemu-img; exactly once either way.  def and c must live until
 * then, def unchanged by anyone else.  What was created, even before a
 * failure, is in *c for storage_undo.
 */
void	 storage_prepare(struct daemon *, struct vmdef *, size_t i, int admin,
	    struct created *, storage_done_fn, void *arg);
/*
 * create's --location: the installer's kernel and initrd of location (an
 * ISO image or an install tree) copied to STATEDIR/boot/NAME/, and the
 * definition's install phase booting them with extra_args (may be NULL);
 * an ISO image is attached as a CD-ROM too, as virt-install does, for
 * the installer's packages.  Root only.  -1 with err ("location: ...");
 * the files copied are in *c for storage_undo.
 */
int	 storage_location(struct daemon *, struct vmdef *, const char *location,
	    const char *extra_args, int admin, struct created *, char *err,
	    size_t errlen);
/* Add a file made for a definition (an overlay) to the list. */
void	 storage_remember(struct created *, const char *path);
/*
 * The definition was not stored: remove what storage_prepare,
 * storage_location and storage_remember's callers created.
 */
void	 storage_undo(struct created *);
/* It was: keep the images, forget the list. */
void	 storage_keep(struct created *);

#endif
