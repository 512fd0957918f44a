/* The emulator's own data directory, probed with -L help (emudata.h). */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>



#include "emudata.h"
#include "util.h"

/* What `emu -L help` prints (one directory a line), NUL-terminated. */
static int
search_path(const char *emu, char *out, size_t outlen, char *err,
    size_t errlen)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		if (nul == -1 || dup2(nul, 0) == -1 || dup2(p[1], 1) == -1 ||
		    dup2(nul, 2) == -1)
			_exit(127);
		execl(emu, emu, "-L", "help", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	int64_t end = mono_ms() + EMUDATA_PROBE_MS;
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		int64_t left = end - mono_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			snprintf(err, errlen, "%s -L help did not answer in "
			    "%d ms", emu, EMUDATA_PROBE_MS);
			n = (size_t)-1;
			break;
		}
		ssize_t k = read(p[0], out + n, outlen - 1 - n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
		if (n == outlen - 1)
			break;
	}
	close(p[0]);
	if (n == (size_t)-1)
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	if (n == (size_t)-1)
		return -1;
	out[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s -L help printed no search path", emu);
		return -1;
	}
	return 0;
}

int
emudata_dir(const char *emu, char *dir, size_t dirlen, char *err,
    size_t errlen)
{
	char exe[PATH_MAX], want[PATH_MAX], cand[PATH_MAX + 32], got[PATH_MAX];
	char paths[4096];
	struct stat st;

	if (realpath(emu, exe) == NULL)
		return 0;
	snprintf(cand, sizeof(cand), "%s/../share/qemu", dirname(exe));
	if (realpath(cand, want) == NULL || stat(want, &st) == -1 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	if (search_path(emu, paths, sizeof(paths), err, errlen) == -1)
		return -1;
	for (char *s = paths, *line; (line = strsep(&s, "\n")) != NULL;)
		if (*line != '\0' && realpath(line, got) != NULL &&
		    strcmp(got, want) == 0)
			return 0;
	if (strlcpy(dir, want, dirlen) >= dirlen) {
		snprintf(err, errlen, "%s: the path is too long", want);
		return -1;
	}
	return 1;
}

struct emudata {
	struct emudata	*next;
	dev_t		 dev;
	ino_t		 ino;
	struct timespec	 mtime;
	int		 rc;
	char		 dir[PATH_MAX];
};

int
emudata_lookup(struct emudata **cache, const char *emu, char *dir,
    size_t dirlen, char *err, size_t errlen)
{
	struct stat st;
	struct emudata *e;

	if (stat(emu, &st) == -1)
		return 0;
	for (e = *cache; e != NULL; e = e->next)
		if (e->dev == st.st_dev && e->ino == st.st_ino &&
		    e->mtime.tv_sec == st.st_mtim.tv_sec &&
		    e->mtime.tv_nsec == st.st_mtim.tv_nsec)
			break;
	if (e == NULL) {
		char d[PATH_MAX];
		int rc = emudata_dir(emu, d, sizeof(d), err, errlen);
		if (rc == -1)
			return -1;
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->mtime = st.st_mtim;
		e->rc = rc;
		if (rc == 1)
			strlcpy(e->dir, d, sizeof(e->dir));
		e->next = *cache;
		*cache = e;
	}
	if (e->rc == 1 && strlcpy(dir, e->dir, dirlen) >= dirlen) {
		snprintf(err, errlen, "%s: the path is too long", e->dir);
		return -1;
	}
	return e->rc;
}

void
emudata_free(struct emudata *e)
{
	while (e != NULL) {
		struct emudata *next = e->next;
		free(e);
		e = next;
	}
}
