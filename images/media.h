/*
 * Install media, as virt-install's --location takes them: the installer's
 * kernel and initrd in an ISO image (read with libarchive) or in an
 * install tree (a directory), found by the layouts of the common
 * distributions and copied out, since QEMU boots files.
 */
#ifndef QLAUNCH_MEDIA_H
#define QLAUNCH_MEDIA_H

#include <stddef.h>

struct media_layout {
	const char	*kernel;	/* paths inside the medium */
	const char	*initrd;
	const char	*what;		/* whose layout it is */
};

/* The known layouts, in the order they are tried. */
extern const struct media_layout media_layouts[];
extern const size_t nmedia_layouts;

/* The names the copies get in their directory. */
#define MEDIA_KERNEL	"vmlinuz"
#define MEDIA_INITRD	"initrd"

/*
 * The first layout whose kernel and initrd are both among names (paths
 * inside the medium: compared without case, a leading "/" or "./"
 * ignored), or NULL.
 */
const struct media_layout *media_layout_match(const char *const *names,
	    size_t n);

/*
 * Find the kernel and the initrd in location, an ISO image or a
 * directory, and copy them into outdir (created when missing) as
 * MEDIA_KERNEL and MEDIA_INITRD; their paths go to kernel and initrd, the
 * layout to *which (when not NULL).  -1 with err ("PATH: reason": no such
 * file, not an ISO image or a directory, no known layout); nothing is
 * left in outdir then.
 */
int	 media_find_kernel(const char *location, const char *outdir,
	    char *kernel, size_t klen, char *initrd, size_t ilen,
	    const struct media_layout **which, char *err, size_t errlen);

/* Is location a directory?  1, 0 for anything else, -1 with err. */
int	 media_is_tree(const char *location, char *err, size_t errlen);

#endif
