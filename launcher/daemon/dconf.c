/*
 * qlaunchd.conf: the supervisor's defaults, a table of keys, each with
 * its parser.  A bad line fails the whole file: the daemon refuses to
 * start rather than run on half a configuration.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "dconf.h"
#include "util.h"

#define DCONF_FILE_MAX	(64 * 1024)

static const char *const onstop_names[] = {
	[ONSTOP_LEAVE] = "leave",
	[ONSTOP_SHUTDOWN] = "shutdown",
	[ONSTOP_SUSPEND] = "suspend",
};

const char *
dconf_onstop_name(int v)
{
	if (v < 0 || v > ONSTOP_SUSPEND)
		return "?";
	return onstop_names[v];
}

void
dconf_defaults(struct dconf *c)
{
	memset(c, 0, sizeof(*c));
	c->console_log_max = 1024 * 1024;
	c->console_log_rotate = 3;
	c->qemu_log_max = 1024 * 1024;
	c->on_stop = ONSTOP_LEAVE;
	c->stop_timeout = 120;
}

/* One key's parser: 0, or -1 with why in err (without file:line). */
typedef int (*dconf_set)(struct dconf *, const char *, char *, size_t);

static int
set_path(char *dst, size_t len, const char *v, char *err, size_t errlen)
{
	if (v[0] != '/')
		return snprintf(err, errlen, "'%s' is not an absolute path",
		    v), -1;
	if (strlcpy(dst, v, len) >= len)
		return snprintf(err, errlen, "path too long"), -1;
	return 0;
}

static int
set_image_dir(struct dconf *c, const char *v, char *err, size_t errlen)
{
	return set_path(c->image_dir, sizeof(c->image_dir), v, err, errlen);
}

static int
set_web_user(struct dconf *c, const char *v, char *err, size_t errlen)
{
	if (strlcpy(c->web_user, v, sizeof(c->web_user)) >=
	    sizeof(c->web_user))
		return snprintf(err, errlen, "user name too long"), -1;
	return 0;
}

/* An IP address, as a definition's graphics listen= takes. */
static int
set_vnc_listen(struct dconf *c, const char *v, char *err, size_t errlen)
{
	if (*v == '\0' || strspn(v, "0123456789abcdefABCDEF.:") != strlen(v) ||
	    strlcpy(c->vnc_listen, v, sizeof(c->vnc_listen)) >=
	    sizeof(c->vnc_listen))
		return snprintf(err, errlen, "'%s' is not an IP address", v),
		    -1;
	return 0;
}

static int
set_log_level(struct dconf *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "info") == 0)
		c->log_debug = 0;
	else if (strcmp(v, "debug") == 0)
		c->log_debug = 1;
	else
		return snprintf(err, errlen, "'%s': expected info or debug",
		    v), -1;
	return 0;
}

/* A size: digits with an optional K, M or G (powers of 1024); 0 = none. */
static int
dconf_size(const char *v, long long *out, char *err, size_t errlen)
{
	char *end;
	long long mult = 1;

	errno = 0;
	if (!isdigit((unsigned char)v[0]))
		goto bad;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno != 0)
		goto bad;
	if (*end != '\0') {
		switch (toupper((unsigned char)*end)) {
		case 'K': mult = 1LL << 10; break;
		case 'M': mult = 1LL << 20; break;
		case 'G': mult = 1LL << 30; break;
		default: goto bad;
		}
		if (end[1] != '\0' && !(toupper((unsigned char)end[1]) == 'B' &&
		    end[2] == '\0') && !(toupper((unsigned char)end[1]) == 'I' &&
		    toupper((unsigned char)end[2]) == 'B' && end[3] == '\0'))
			goto bad;
	}
	if (n > (1ULL << 40) / (unsigned long long)mult)
		return snprintf(err, errlen, "'%s' is too large (at most 1T)",
		    v), -1;
	*out = (long long)n * mult;
	if (*out != 0 && *out < 4096)
		return snprintf(err, errlen, "'%s' is too small (0 for no cap, "
		    "else at least 4K)", v), -1;
	return 0;
bad:
	return snprintf(err, errlen, "'%s' is not a size (a number, "
	    "optionally K, M or G)", v), -1;
}

static int
set_console_log_max(struct dconf *c, const char *v, char *err, size_t errlen)
{
	return dconf_size(v, &c->console_log_max, err, errlen);
}

static int
set_qemu_log_max(struct dconf *c, const char *v, char *err, size_t errlen)
{
	return dconf_size(v, &c->qemu_log_max, err, errlen);
}

static int
dconf_int(const char *v, int lo, int hi, int *out, char *err, size_t errlen)
{
	const char *e = NULL;
	long long n = strtonum(v, lo, hi, &e);

	if (e != NULL)
		return snprintf(err, errlen, "'%s' is %s (%d to %d)", v, e,
		    lo, hi), -1;
	*out = (int)n;
	return 0;
}

static int
set_rotate(struct dconf *c, const char *v, char *err, size_t errlen)
{
	return dconf_int(v, 1, 100, &c->console_log_rotate, err, errlen);
}

static int
set_on_stop(struct dconf *c, const char *v, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(onstop_names) / sizeof(*onstop_names);
	    i++)
		if (strcmp(v, onstop_names[i]) == 0) {
			c->on_stop = (int)i;
			return 0;
		}
	return snprintf(err, errlen, "'%s': expected shutdown, suspend or "
	    "leave", v), -1;
}

static int
set_stop_timeout(struct dconf *c, const char *v, char *err, size_t errlen)
{
	return dconf_int(v, 1, 3600, &c->stop_timeout, err, errlen);
}

static const struct {
	const char	*key;
	dconf_set	 set;
} keys[] = {
	{ "image_dir",		set_image_dir },
	{ "web_user",		set_web_user },
	{ "vnc_listen",		set_vnc_listen },
	{ "log_level",		set_log_level },
	{ "console_log_max",	set_console_log_max },
	{ "log_rotate",		set_rotate },
	{ "qemu_log_max",	set_qemu_log_max },
	{ "on_stop",		set_on_stop },
	{ "stop_timeout",	set_stop_timeout },
};

static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* One line (a copy, cut here) into c: 0, or -1 with why. */
static int
parse_line(struct dconf *c, char *line, unsigned *seen, char *err,
    size_t errlen)
{
	char *s = trim(line);

	if (*s == '\0' || *s == '#')
		return 0;
	char *eq = strchr(s, '=');
	if (eq == NULL)
		return snprintf(err, errlen, "expected 'key = value'"), -1;
	*eq = '\0';
	char *key = trim(s), *val = trim(eq + 1);
	if (*key == '\0')
		return snprintf(err, errlen, "no key before '='"), -1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		if (strcmp(key, keys[i].key) != 0)
			continue;
		if (*seen & (1u << i))
			return snprintf(err, errlen, "%s: given twice", key), -1;
		*seen |= 1u << i;
		if (*val == '\0')
			return snprintf(err, errlen, "%s: no value", key), -1;
		char why[256];
		if (keys[i].set(c, val, why, sizeof(why)) == -1)
			return snprintf(err, errlen, "%s: %s", key, why), -1;
		return 0;
	}
	return snprintf(err, errlen, "unknown key '%s'", key), -1;
}

int
dconf_parse(struct dconf *c, const char *name, const char *text, char *err,
    size_t errlen)
{
	struct dconf tmp = *c;
	unsigned seen = 0, lineno = 0;
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char line[1024], why[512];
		lineno++;
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%s:%u: line too long", name,
			    lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (parse_line(&tmp, line, &seen, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%u: %s", name, lineno, why);
			return -1;
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	*c = tmp;
	return 0;
}

int
dconf_load(struct dconf *c, const char *path, int must_exist, char *err,
    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = malloc(DCONF_FILE_MAX + 1);
	size_t len = 0;
	ssize_t n = 0;
	if (buf == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (len < DCONF_FILE_MAX && (n = read(fd, buf + len,
	    DCONF_FILE_MAX - len)) > 0)
		len += (size_t)n;
	int rerr = errno;
	char extra;
	int toolong = len == DCONF_FILE_MAX && read(fd, &extra, 1) == 1;
	close(fd);
	if (n == -1 && len < DCONF_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, strerror(rerr));
		free(buf);
		return -1;
	}
	if (toolong) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    DCONF_FILE_MAX);
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: a NUL byte in the file", path);
		free(buf);
		return -1;
	}
	int rc = dconf_parse(c, path, buf, err, errlen);
	free(buf);
	return rc;
}
