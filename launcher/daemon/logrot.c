/*
 * Log rotation (logrot.h).  The copy goes through copy_file_range in
 * the kernel: a 1 MiB log costs the loop about a millisecond, once per
 * MiB the guest writes, so it runs in the loop rather than in a child.
 *
 * Cutting the copied bytes from the head of LOG while QEMU appends:
 * where the filesystem can (ext4, xfs), fallocate's COLLAPSE_RANGE
 * removes the copied blocks and nothing QEMU wrote meanwhile is lost;
 * the bytes past the last whole block stay in LOG.  Elsewhere (tmpfs,
 * /run) the copy is taken to EOF and LOG truncated at once: only what
 * QEMU writes between the copy's last read and the truncation (a few
 * microseconds) can be lost.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/falloc.h>

#include <event2/event.h>

#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "logrot.h"
#include "vm.h"
#include "xalloc.h"

#define LOGROT_EVERY_MS	1000

struct logrot {
	struct daemon	*d;
	struct event	*timer;
};

/* Copy src's bytes [0, len) (or to EOF when len < 0) to dst. */
static int
copy_prefix(int src, int dst, off_t len, off_t *copied)
{
	off_t in = 0;

	*copied = 0;
	for (;;) {
		size_t want = len < 0 ? (1u << 20) : (size_t)(len - in);
		if (want == 0)
			break;
		ssize_t n = copy_file_range(src, &in, dst, NULL, want, 0);
		if (n == -1 && (errno == EXDEV || errno == ENOSYS ||
		    errno == EINVAL || errno == EOPNOTSUPP)) {
			char buf[65536];
			ssize_t r = pread(src, buf, want < sizeof(buf) ? want :
			    sizeof(buf), in);
			if (r <= 0)
				return r == 0 ? 0 : -1;
			if (write(dst, buf, (size_t)r) != r)
				return -1;
			in += r;
			*copied = in;
			continue;
		}
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		*copied = in;
	}
	return 0;
}

static void
rotated_name(char *buf, size_t len, const char *path, int i)
{
	snprintf(buf, len, "%s.%d", path, i);
}

int
logrot_check(const char *path, long long max, int count, char *err,
    size_t errlen)
{
	struct stat st;
	char a[PATH_MAX], b[PATH_MAX], tmp[PATH_MAX];

	if (max <= 0 || count < 1)
		return 0;
	/* the common case, every second for every VM: one stat */
	if (stat(path, &st) == -1 || st.st_size <= (off_t)max)
		return 0;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd == -1)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s",
		    path, strerror(errno)), -1);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= (off_t)max) {
		close(fd);
		return 0;
	}
	/* the new LOG.1 first, complete, beside the old ones */
	snprintf(tmp, sizeof(tmp), "%s.rot", path);
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (out == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		return -1;
	}
	(void)fchown(out, st.st_uid, st.st_gid);
	/* collapse whole blocks when the filesystem can, else all */
	off_t blk = st.st_blksize > 0 ? st.st_blksize : 4096;
	off_t cut = st.st_size / blk * blk, copied;
	int collapse = cut > 0;
	if (copy_prefix(fd, out, collapse ? cut : -1, &copied) == -1)
		goto fail;
	if (collapse && fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, cut) == -1) {
		/* tmpfs and friends: the rest too, then truncate at once */
		if (lseek(out, 0, SEEK_END) == -1)
			goto fail;
		off_t in = copied;
		for (;;) {
			char buf[65536];
			ssize_t r = pread(fd, buf, sizeof(buf), in);
			if (r < 0)
				goto fail;
			if (r == 0)
				break;
			if (write(out, buf, (size_t)r) != r)
				goto fail;
			in += r;
		}
		if (ftruncate(fd, 0) == -1)
			goto fail;
	}
	if (close(out) == -1) {
		out = -1;
		goto fail;
	}
	out = -1;
	close(fd);
	fd = -1;
	/* LOG.N-1 -> LOG.N, ..., then the new LOG.1 */
	for (int i = count - 1; i >= 1; i--) {
		rotated_name(a, sizeof(a), path, i);
		rotated_name(b, sizeof(b), path, i + 1);
		if (rename(a, b) == -1 && errno != ENOENT)
			log_warn("rename %s", a);
	}
	rotated_name(a, sizeof(a), path, 1);
	if (rename(tmp, a) == -1) {
		snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 1;
fail:
	snprintf(err, errlen, "rotating %s: %s", path, strerror(errno));
	if (out != -1)
		close(out);
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	return -1;
}

char *
logrot_tail(const char *path, size_t max, size_t *lenp)
{
	size_t len = 0, olen = 0;
	char *cur = read_tail_untrusted(path, max, &len);
	char old[PATH_MAX];

	if (cur != NULL && len >= max) {
		*lenp = len;
		return cur;
	}
	rotated_name(old, sizeof(old), path, 1);
	char *prev = read_tail_untrusted(old, max - (cur != NULL ? len : 0),
	    &olen);
	if (prev == NULL) {
		if (cur != NULL)
			*lenp = len;
		return cur;
	}
	char *all = xcalloc(1, olen + len + 1);
	memcpy(all, prev, olen);
	if (cur != NULL)
		memcpy(all + olen, cur, len);
	all[olen + len] = '\0';
	free(prev);
	free(cur);
	*lenp = olen + len;
	return all;
}

static void
logrot_tick(evutil_socket_t fd, short what, void *arg)
{
	struct logrot *lr = arg;
	struct daemon *d = lr->d;
	struct vm *vm;
	char err[512];

	(void)fd;
	(void)what;
	TAILQ_FOREACH(vm, &d->vms, entry) {
		if (!vm_active(vm))
			continue;
		if (logrot_check(vm->paths.log, d->conf.console_log_max,
		    d->conf.console_log_rotate, err, sizeof(err)) == -1 ||
		    logrot_check(vm->paths.qemulog, d->conf.qemu_log_max,
		    d->conf.console_log_rotate, err, sizeof(err)) == -1)
			log_warnx("%s: %s", vm->name, err);
	}
}

struct logrot *
logrot_start(struct daemon *d)
{
	struct logrot *lr = xcalloc(1, sizeof(*lr));
	struct timeval tv = { LOGROT_EVERY_MS / 1000,
	    (LOGROT_EVERY_MS % 1000) * 1000 };

	lr->d = d;
	lr->timer = event_new(d->base, -1, EV_PERSIST, logrot_tick, lr);
	event_add(lr->timer, &tv);
	return lr;
}

void
logrot_stop(struct logrot *lr)
{
	if (lr == NULL)
		return;
	event_free(lr->timer);
	free(lr);
}
