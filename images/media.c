/*
 * Install media (media.h): the kernel and the initrd of an installer, in
 * an ISO image read with libarchive (two passes: the names, to choose the
 * layout, then the two files) or in a directory.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "media.h"
#include "util.h"

#define MEDIA_MAX_FILE	(2LL << 30)	/* no installer's file is larger */
#define MEDIA_MAX_NAMES	100000		/* files of an ISO looked at */

const struct media_layout media_layouts[] = {
	{ "install.amd/vmlinuz", "install.amd/initrd.gz", "Debian, Ubuntu" },
	{ "install/vmlinuz", "install/initrd.gz", "Debian, Ubuntu" },
	{ "casper/vmlinuz", "casper/initrd", "Ubuntu live" },
	{ "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img",
	    "Fedora, RHEL" },
	{ "isolinux/vmlinuz", "isolinux/initrd.img", "isolinux" },
};
const size_t nmedia_layouts = sizeof(media_layouts) / sizeof(media_layouts[0]);

static int __attribute__((format(printf, 3, 4)))
merr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A path inside a medium without its leading "/" or "./". */
static const char *
bare(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else
			return name;
	}
}

static int
has_name(const char *const *names, size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(bare(names[i]), want) == 0)
			return 1;
	return 0;
}

const struct media_layout *
media_layout_match(const char *const *names, size_t n)
{
	for (size_t i = 0; i < nmedia_layouts; i++)
		if (has_name(names, n, media_layouts[i].kernel) &&
		    has_name(names, n, media_layouts[i].initrd))
			return &media_layouts[i];
	return NULL;
}

/* "install.amd/vmlinuz, install/vmlinuz, ..." for an error. */
static void
looked_for(char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < nmedia_layouts; i++) {
		if (i > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, media_layouts[i].kernel, len);
	}
}

int
media_is_tree(const char *location, char *err, size_t errlen)
{
	struct stat st;

	if (stat(location, &st) == -1)
		return merr(err, errlen, "%s: %s", location, strerror(errno));
	return S_ISDIR(st.st_mode) ? 1 : 0;
}

/*
 * An output file: written as a temporary file in outdir, renamed into
 * place by out_commit.
 */
struct out {
	char	tmp[PATH_MAX];
	char	path[PATH_MAX];
	int	fd;
};

static int
out_open(struct out *o, const char *outdir, const char *name, char *err,
    size_t errlen)
{
	snprintf(o->path, sizeof(o->path), "%s/%s", outdir, name);
	snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.XXXXXX", outdir, name);
	if ((o->fd = mkstemp(o->tmp)) == -1)
		return merr(err, errlen, "cannot create a file in %s: %s",
		    outdir, strerror(errno));
	fchmod(o->fd, 0644);
	return 0;
}

static int
out_commit(struct out *o, char *err, size_t errlen)
{
	int r = close(o->fd);

	o->fd = -1;
	if (r == -1 || rename(o->tmp, o->path) == -1) {
		r = errno;
		unlink(o->tmp);
		return merr(err, errlen, "cannot write %s: %s", o->path,
		    strerror(r));
	}
	return 0;
}

static void
out_abort(struct out *o)
{
	if (o->fd != -1) {
		close(o->fd);
		unlink(o->tmp);
	}
	o->fd = -1;
}

/* ---- ISO images ---- */

static struct archive *
iso_open(const char *path, char *err, size_t errlen)
{
	struct archive *a = archive_read_new();

	if (a == NULL) {
		merr(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	archive_read_support_format_iso9660(a);
	/* the format is recognized here: garbage fails at once */
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		merr(err, errlen, "%s: not an ISO image or an install tree "
		    "(%s)", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* The regular files of the image; -1 when it is not an ISO image. */
static int
iso_names(const char *path, char ***namesp, size_t *np, char *err,
    size_t errlen)
{
	struct archive *a = iso_open(path, err, errlen);
	struct archive_entry *e;
	char **names = NULL;
	size_t n = 0;
	int r;

	if (a == NULL)
		return -1;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		if (archive_entry_filetype(e) != AE_IFREG ||
		    archive_entry_pathname(e) == NULL)
			continue;
		if (n == MEDIA_MAX_NAMES)
			break;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(archive_entry_pathname(e));
	}
	if (r == ARCHIVE_FATAL || (r == ARCHIVE_EOF && n == 0)) {
		merr(err, errlen, "%s: not an ISO image or an install tree "
		    "(%s)", path, r == ARCHIVE_EOF ? "no files in it" :
		    archive_error_string(a));
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		archive_read_free(a);
		return -1;
	}
	archive_read_free(a);
	*namesp = names;
	*np = n;
	return 0;
}

/* Copy the two files of layout l out of the image. */
static int
iso_extract(const char *path, const struct media_layout *l, struct out *ko,
    struct out *io, char *err, size_t errlen)
{
	struct archive *a = iso_open(path, err, errlen);
	struct archive_entry *e;
	int r, left = 2, rc = -1;

	if (a == NULL)
		return -1;
	while (left > 0 && ((r = archive_read_next_header(a, &e)) ==
	    ARCHIVE_OK || r == ARCHIVE_WARN)) {
		const char *name = archive_entry_pathname(e);
		struct out *o;
		if (archive_entry_filetype(e) != AE_IFREG || name == NULL)
			continue;
		if (strcasecmp(bare(name), l->kernel) == 0 && ko->fd != -1)
			o = ko;
		else if (strcasecmp(bare(name), l->initrd) == 0 && io->fd != -1)
			o = io;
		else
			continue;
		if (archive_entry_size(e) > MEDIA_MAX_FILE) {
			merr(err, errlen, "%s: %s is larger than 2 GiB", path,
			    name);
			goto out;
		}
		if (archive_read_data_into_fd(a, o->fd) != ARCHIVE_OK) {
			merr(err, errlen, "%s: cannot read %s: %s", path, name,
			    archive_error_string(a));
			goto out;
		}
		if (out_commit(o, err, errlen) == -1)
			goto out;
		left--;
	}
	if (left > 0) {
		merr(err, errlen, "%s: cannot read %s and %s: %s", path,
		    l->kernel, l->initrd, archive_error_string(a) != NULL ?
		    archive_error_string(a) : "not found again");
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

static int
from_iso(const char *path, struct out *ko, struct out *io,
    const struct media_layout **which, char *err, size_t errlen)
{
	char **names, list[256];
	size_t n;

	if (iso_names(path, &names, &n, err, errlen) == -1)
		return -1;
	const struct media_layout *l = media_layout_match(
	    (const char *const *)names, n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (l == NULL) {
		looked_for(list, sizeof(list));
		return merr(err, errlen, "%s: no installer kernel in this ISO "
		    "image (looked for %s)", path, list);
	}
	*which = l;
	return iso_extract(path, l, ko, io, err, errlen);
}

/* ---- install trees ---- */

static int
is_file(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int
copy_file(const char *dir, const char *rel, struct out *o, char *err,
    size_t errlen)
{
	char p[PATH_MAX], buf[65536];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return merr(err, errlen, "%s: %s", p, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || write_all(o->fd, buf, (size_t)n) == -1) {
			int e = errno;
			close(fd);
			return merr(err, errlen, "cannot copy %s: %s", p,
			    strerror(e));
		}
	}
	close(fd);
	return out_commit(o, err, errlen);
}

static int
from_tree(const char *dir, struct out *ko, struct out *io,
    const struct media_layout **which, char *err, size_t errlen)
{
	char list[256];

	for (size_t i = 0; i < nmedia_layouts; i++) {
		const struct media_layout *l = &media_layouts[i];
		if (!is_file(dir, l->kernel) || !is_file(dir, l->initrd))
			continue;
		*which = l;
		if (copy_file(dir, l->kernel, ko, err, errlen) == -1 ||
		    copy_file(dir, l->initrd, io, err, errlen) == -1)
			return -1;
		return 0;
	}
	looked_for(list, sizeof(list));
	return merr(err, errlen, "%s: no installer kernel in this install "
	    "tree (looked for %s)", dir, list);
}

int
media_find_kernel(const char *location, const char *outdir, char *kernel,
    size_t klen, char *initrd, size_t ilen, const struct media_layout **which,
    char *err, size_t errlen)
{
	struct out ko = { .fd = -1 }, io = { .fd = -1 };
	const struct media_layout *l = NULL;
	int tree, r;

	if ((tree = media_is_tree(location, err, errlen)) == -1)
		return -1;
	if (mkdirs(outdir, 0755) == -1)
		return merr(err, errlen, "cannot create %s: %s", outdir,
		    strerror(errno));
	if (out_open(&ko, outdir, MEDIA_KERNEL, err, errlen) == -1)
		return -1;
	if (out_open(&io, outdir, MEDIA_INITRD, err, errlen) == -1) {
		out_abort(&ko);
		return -1;
	}
	r = tree ? from_tree(location, &ko, &io, &l, err, errlen) :
	    from_iso(location, &ko, &io, &l, err, errlen);
	out_abort(&ko);
	out_abort(&io);
	if (r == -1) {
		unlink(ko.path);
		unlink(io.path);
		rmdir(outdir);		/* only when empty */
		return -1;
	}
	strlcpy(kernel, ko.path, klen);
	strlcpy(initrd, io.path, ilen);
	if (which != NULL)
		*which = l;
	return 0;
}
