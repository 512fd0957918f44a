#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "xalloc.h"

int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

int
parse_uint(const char *s, long long min, long long max, long long *out,
    const char **err)
{
	const char *e = NULL;

	if (*s == '\0') {
		*err = "empty number";
		return -1;
	}
	if (*s == '+' || *s == '-' || isspace((unsigned char)*s)) {
		*err = "not a plain number";
		return -1;
	}
	long long v = strtonum(s, min, max, &e);
	if (e != NULL) {
		*err = strcmp(e, "invalid") == 0 ? "not a number" :
		    strcmp(e, "too small") == 0 ? "too small" :
		    strcmp(e, "too large") == 0 ? "too large" : e;
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_size(const char *s, uint64_t *bytes, const char **err)
{
	char num[32];
	size_t i = 0;
	uint64_t unit = 1ULL << 20;

	while (isdigit((unsigned char)s[i]) && i < sizeof(num) - 1) {
		num[i] = s[i];
		i++;
	}
	num[i] = '\0';
	if (i == 0) {
		*err = "not a size (a number of MiB, or with a K/M/G/T suffix)";
		return -1;
	}
	const char *suf = s + i;
	if (*suf != '\0') {
		switch (toupper((unsigned char)*suf)) {
		case 'K': unit = 1ULL << 10; break;
		case 'M': unit = 1ULL << 20; break;
		case 'G': unit = 1ULL << 30; break;
		case 'T': unit = 1ULL << 40; break;
		case 'B': unit = 1; break;
		default:
			*err = "unknown size suffix (use K, M, G or T)";
			return -1;
		}
		suf++;
		if (unit != 1 && (strcasecmp(suf, "ib") == 0 ||
		    strcasecmp(suf, "b") == 0))
			suf += strlen(suf);
		if (*suf != '\0') {
			*err = "unknown size suffix (use K, M, G or T)";
			return -1;
		}
	}
	long long v;
	if (parse_uint(num, 0, LLONG_MAX, &v, err) == -1)
		return -1;
	if ((uint64_t)v > UINT64_MAX / unit) {
		*err = "too large";
		return -1;
	}
	*bytes = (uint64_t)v * unit;
	return 0;
}

int
parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "on", "true", "1" };
	static const char *no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return -1;
	if ((slash = strrchr(dir, '/')) == NULL)
		strlcpy(dir, ".", sizeof(dir));
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

static int write_file(const char *, const char *, size_t, mode_t, int);

int
write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	return write_file(path, data, len, mode, 1);
}

int
write_file_replace(const char *path, const char *data, size_t len,
    mode_t mode)
{
	return write_file(path, data, len, mode, 0);
}

static int
write_file(const char *path, const char *data, size_t len, mode_t mode,
    int durable)
{
	char tmp[PATH_MAX];
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	if (write_all(fd, data, len) == -1)
		goto fail;
	if (fchmod(fd, mode) == -1 || (durable && fsync(fd) == -1))
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	if (durable)
		(void)fsync_dir_of(path);
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

static char *read_fd(int, size_t *);

char *
read_file(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return NULL;
	return read_fd(fd, lenp);
}

char *
read_tail_untrusted(const char *path, size_t max, size_t *lenp)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	off_t start = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
	if (lseek(fd, start, SEEK_SET) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	char *buf = read_fd(fd, lenp);
	/* a file that grew meanwhile: keep the last max bytes */
	if (buf != NULL && *lenp > max) {
		memmove(buf, buf + *lenp - max, max);
		*lenp = max;
		buf[max] = '\0';
	}
	return buf;
}

pid_t
socket_peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	return cred.pid;
}

int
path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Read to the end and close fd. */
static char *
read_fd(int fd, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, ncap);
			if (nb == NULL) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

int
mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) == -1 && errno != EEXIST)
				return -1;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

/* Empty the directory open as fd (which this closes), depth first. */
static int
rmtree_fd(int fd, int depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (d == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			r = -1;
			continue;
		}
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1 || depth > 64 || rmtree_fd(sub, depth + 1) == -1 ||
		    unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) == -1)
			r = -1;
		if (sub != -1 && depth > 64)
			close(sub);
	}
	closedir(d);
	return r;
}

int
rmtree(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (rmtree_fd(fd, 0) == -1)
		return -1;
	return rmdir(path) == -1 && errno != ENOENT ? -1 : 0;
}

char *
absolute_path(const char *p)
{
	char cwd[PATH_MAX];

	if (p[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(p);
	return xasprintf("%s/%s", cwd, p);
}



int
unix_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}



void
uuid_generate_str(char out[37])
{
	unsigned char b[16];

	arc4random_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int
valid_uuid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
default_socket(char *buf, size_t len, int use_env)
{
	const char *env = use_env ? getenv("QLAUNCH_SOCKET") : NULL;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	size_t n;

	if (env != NULL && *env != '\0')
		n = strlcpy(buf, env, len);
	else if (geteuid() == 0)
		n = strlcpy(buf, "/run/qlaunch/qlaunchd.sock", len);
	else if (xdg != NULL && *xdg == '/')
		n = (size_t)snprintf(buf, len, "%s/qlaunch/qlaunchd.sock", xdg);
	else
		n = (size_t)snprintf(buf, len, "/tmp/qlaunch-%lu/qlaunchd.sock",
		    (unsigned long)geteuid());
	return n < len ? 0 : -1;
}

int
check_private_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", path);
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "%s belongs to uid %lu, not to us", path,
		    (unsigned long)st.st_uid);
		return -1;
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		snprintf(err, errlen, "%s is writable by everyone", path);
		return -1;
	}
	return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
