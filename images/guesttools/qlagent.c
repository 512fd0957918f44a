/*
 * qlagent: the test guest's QEMU guest agent.  A small static responder
 * speaking the QEMU guest agent protocol (QEMU's qga/qapi-schema.json) on
 * the virtio-serial port org.qemu.guest_agent.0, for the commands the
 * qlaunch tests use.  Built by mkguest.sh, installed as /bin/qlagent.
 *
 *   qlagent [-p PATH | -n NAME] [-w S] [-b CMD,...] [--flood | --silent | --lie]
 *	Serves the port PATH, or the port named NAME (default
 *	org.qemu.guest_agent.0) found in /sys/class/virtio-ports, waiting
 *	up to S seconds (default 0) for it to appear.
 *	--flood answers every command with an endless stream of bytes,
 *	--silent reads commands and never answers, --lie answers with
 *	well-formed replies of the wrong id and shape: the agents a host
 *	must survive.  -b disables the commands listed, as qemu-ga's
 *	--block-rpcs: they fail (CommandNotFound) and guest-info shows
 *	them disabled.
 *
 * Protocol: JSON objects {"execute": CMD, "arguments": {...}}, one reply
 * object a line.  A 0xFF byte from the host resets the parser (what
 * guest-sync-delimited relies on); guest-sync-delimited's reply is
 * preceded by a 0xFF byte.
 *
 * Commands: guest-sync, guest-sync-delimited, guest-ping, guest-info,
 * guest-get-osinfo, guest-get-host-name, guest-get-users,
 * guest-get-fsinfo, guest-network-get-interfaces, guest-shutdown,
 * guest-set-user-password (/etc/shadow's entry, hashed by busybox's
 * mkpasswd unless crypted),
 * guest-fsfreeze-status, guest-fsfreeze-freeze, guest-fsfreeze-thaw,
 * guest-exec (path, arg, capture-output; at most 8 at a time, 16 KiB of
 * each output kept) and guest-exec-status.
 *
 * Errors: one line on stderr and exit status 1 (2 for bad usage).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/fs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORTS		"/sys/class/virtio-ports"
#define DEFAULT_PORT	"org.qemu.guest_agent.0"
#define VERSION		"7.2.0-qlagent"
#define MAXREQ		65536
#define MAXOUT		65536
#define MAXFS		64
#define MAXEXEC		8
#define MAXEXECOUT	16384
#define MAXARGS		64

/* A process guest-exec started, until guest-exec-status saw it end. */
struct proc {
	pid_t	pid;		/* 0: a free slot */
	int	fd[2];		/* its stdout and stderr, or -1 */
	char	buf[2][MAXEXECOUT];
	size_t	len[2];
	int	truncated[2];
	int	exited, status;
};
static struct proc procs[MAXEXEC];

enum mode { NORMAL, FLOOD, SILENT, LIE };

/* The reply being built, and the agent's state. */
struct agent {
	int fd;
	enum mode mode;
	char out[MAXOUT];
	size_t len;
	int frozen;			/* filesystems frozen by us */
	char frozen_mnt[MAXFS][256];
	int nfrozen;
	const char *blocked;		/* -b: "cmd,cmd", or NULL */
};

static const char *prog = "qlagent";

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, why);
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-p PATH | -n NAME] [-w S] "
	    "[-b CMD,...] [--flood | --silent | --lie]\n", prog);
	exit(2);
}

/* ---- output */

static void
put(struct agent *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(a->out + a->len, sizeof(a->out) - a->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		a->len += (size_t)n < sizeof(a->out) - a->len ?
		    (size_t)n : sizeof(a->out) - a->len - 1;
}

/* A JSON string. */
static void
putstr(struct agent *a, const char *s)
{
	put(a, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			put(a, "\\%c", c);
		else if (c < 0x20)
			put(a, "\\u%04x", c);
		else
			put(a, "%c", c);
	}
	put(a, "\"");
}

static void
writeall(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
			return;
		}
		buf += w;
		len -= (size_t)w;
	}
}

static void
flush(struct agent *a)
{
	put(a, "\n");
	writeall(a->fd, a->out, a->len);
	a->len = 0;
}

static void
error(struct agent *a, const char *class, const char *desc)
{
	a->len = 0;
	put(a, "{\"error\": {\"class\": ");
	putstr(a, class);
	put(a, ", \"desc\": ");
	putstr(a, desc);
	put(a, "}}");
}

/* ---- a minimal JSON reader: values are found, not built */

static const char *
ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* The end of the value at p, or NULL when it is not one. */
static const char *
skip(const char *p, int depth)
{
	p = ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				return NULL;
			if (*p == '\\' && *++p == '\0')
				return NULL;
		}
		return p + 1;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if ((p = skip(p, depth + 1)) == NULL)
					return NULL;
				p = ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if ((p = skip(p, depth + 1)) == NULL)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '\0')
		return NULL;
	while (*p != '\0' && strchr(",}] \t\r\n", *p) == NULL)
		p++;
	return p;
}

/* The value of key in the object at obj, or NULL. */
static const char *
member(const char *obj, const char *key)
{
	const char *p = ws(obj);
	size_t klen = strlen(key);

	if (p == NULL || *p != '{')
		return NULL;
	p = ws(p + 1);
	while (*p == '"') {
		const char *k = p + 1, *end = skip(p, 0);
		if (end == NULL)
			return NULL;
		p = ws(end);
		if (*p++ != ':')
			return NULL;
		p = ws(p);
		if ((size_t)(end - 1 - k) == klen && strncmp(k, key, klen) == 0)
			return p;
		if ((p = skip(p, 0)) == NULL)
			return NULL;
		p = ws(p);
		if (*p != ',')
			return NULL;
		p = ws(p + 1);
	}
	return NULL;
}

/* The string at p, unescaped (simple escapes only) into buf. */
static int
string(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	if (p == NULL || *p != '"')
		return -1;
	for (p++; *p != '"' && *p != '\0'; p++) {
		if (*p == '\\') {
			p++;
			if (*p == 'n')
				buf[n] = '\n';
			else if (*p == 't')
				buf[n] = '\t';
			else
				buf[n] = *p;
		} else
			buf[n] = *p;
		if (++n >= len)
			return -1;
	}
	buf[n] = '\0';
	return *p == '"' ? 0 : -1;
}

/* ---- the commands */

static void
cmd_sync(struct agent *a, const char *args)
{
	const char *id = member(args, "id");
	const char *end = id != NULL ? skip(id, 0) : NULL;

	if (end == NULL) {
		error(a, "GenericError", "Parameter 'id' is missing");
		return;
	}
	if (a->mode == LIE) {
		put(a, "{\"return\": 4242}");
		return;
	}
	put(a, "{\"return\": %.*s}", (int)(end - id), id);
}

static void
cmd_ping(struct agent *a, const char *args)
{
	(void)args;
	put(a, "{\"return\": {}}");
}

static void cmd_info(struct agent *, const char *);

/* /etc/os-release's value of key, or "" */
static void
osrelease(const char *key, char *buf, size_t len)
{
	char line[256];
	size_t klen = strlen(key);
	FILE *f = fopen("/etc/os-release", "r");

	buf[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			char *v = line + klen + 1;
			v[strcspn(v, "\n")] = '\0';
			if (*v == '"') {
				v++;
				v[strcspn(v, "\"")] = '\0';
			}
			snprintf(buf, len, "%s", v);
		}
	fclose(f);
}

static void
cmd_osinfo(struct agent *a, const char *args)
{
	struct utsname u;
	char id[64], name[128], pretty[128], ver[64];

	(void)args;
	uname(&u);
	osrelease("ID", id, sizeof(id));
	osrelease("NAME", name, sizeof(name));
	osrelease("PRETTY_NAME", pretty, sizeof(pretty));
	osrelease("VERSION_ID", ver, sizeof(ver));
	put(a, "{\"return\": {\"kernel-release\": ");
	putstr(a, u.release);
	put(a, ", \"kernel-version\": ");
	putstr(a, u.version);
	put(a, ", \"machine\": ");
	putstr(a, u.machine);
	put(a, ", \"id\": ");
	putstr(a, *id ? id : "qlaunch-guest");
	put(a, ", \"name\": ");
	putstr(a, *name ? name : "qlaunch test guest");
	put(a, ", \"pretty-name\": ");
	putstr(a, *pretty ? pretty : "qlaunch test guest (busybox)");
	put(a, ", \"version-id\": ");
	putstr(a, *ver ? ver : "1");
	put(a, "}}");
}

static void
cmd_hostname(struct agent *a, const char *args)
{
	char host[256];

	(void)args;
	if (gethostname(host, sizeof(host)) == -1) {
		error(a, "GenericError", strerror(errno));
		return;
	}
	host[sizeof(host) - 1] = '\0';
	put(a, "{\"return\": {\"host-name\": ");
	putstr(a, host);
	put(a, "}}");
}

/* Users: the owners of the processes on a terminal, as utmp would say
 * (busybox keeps no utmp); login-time is the process's start. */
static void
cmd_users(struct agent *a, const char *args)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int root = 0;

	(void)args;
	/* the guest's shells run as root on ttyS0 and tty1 */
	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[300], buf[512];
		FILE *f;
		int tty = 0;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL) {
			char *p = strrchr(buf, ')');
			if (p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %d", &tty) != 1)
				tty = 0;
		}
		fclose(f);
		if (tty != 0)
			root = 1;
	}
	if (d != NULL)
		closedir(d);
	put(a, "{\"return\": [");
	if (root) {
		struct timespec ts;
		double up = 0;
		FILE *f = fopen("/proc/uptime", "r");
		if (f != NULL) {
			if (fscanf(f, "%lf", &up) != 1)
				up = 0;
			fclose(f);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		put(a, "{\"user\": \"root\", \"login-time\": %.6f}",
		    (double)ts.tv_sec - up);
	}
	put(a, "]}");
}

/* Mounts: fn(a, device, mountpoint, type, arg) for each line of
 * /proc/mounts. */
static int
mounts(struct agent *a, int (*fn)(struct agent *, const char *,
    const char *, const char *, void *), void *arg)
{
	char line[1024];
	FILE *f = fopen("/proc/mounts", "r");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char dev[256], mnt[256], type[64];
		if (sscanf(line, "%255s %255s %63s", dev, mnt, type) != 3)
			continue;
		n += fn(a, dev, mnt, type, arg);
	}
	fclose(f);
	return n;
}

/* Pseudo file systems are not the guest's storage. */
static int
pseudo(const char *type)
{
	static const char *const skip[] = { "proc", "sysfs", "devtmpfs",
	    "devpts", "cgroup", "cgroup2", "securityfs", "debugfs",
	    "tracefs", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs",
	    "fusectl", "binfmt_misc", "autofs" };
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(type, skip[i]) == 0)
			return 1;
	return 0;
}

static int
fsinfo_one(struct agent *a, const char *dev, const char *mnt,
    const char *type, void *arg)
{
	struct statvfs s;
	int *first = arg;
	const char *name = strrchr(dev, '/');

	if (pseudo(type) || statvfs(mnt, &s) == -1)
		return 0;
	put(a, "%s{\"name\": ", *first ? "" : ", ");
	*first = 0;
	putstr(a, name != NULL ? name + 1 : dev);
	put(a, ", \"mountpoint\": ");
	putstr(a, mnt);
	put(a, ", \"type\": ");
	putstr(a, type);
	put(a, ", \"used-bytes\": %llu, \"total-bytes\": %llu, \"disk\": []}",
	    (unsigned long long)(s.f_blocks - s.f_bfree) * s.f_frsize,
	    (unsigned long long)s.f_blocks * s.f_frsize);
	return 1;
}

static void
cmd_fsinfo(struct agent *a, const char *args)
{
	int first = 1;

	(void)args;
	put(a, "{\"return\": [");
	mounts(a, fsinfo_one, &first);
	put(a, "]}");
}

static int
prefixlen(const struct sockaddr *sa)
{
	int n = 0;
	const unsigned char *b;
	size_t len;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		b = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		len = 4;
	} else {
		b = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		len = 16;
	}
	for (size_t i = 0; i < len; i++)
		for (int bit = 7; bit >= 0; bit--)
			n += (b[i] >> bit) & 1;
	return n;
}

static void
cmd_interfaces(struct agent *a, const char *args)
{
	struct ifaddrs *ifs, *i, *j;
	int first = 1;

	(void)args;
	if (getifaddrs(&ifs) == -1) {
		error(a, "GenericError", strerror(errno));
		return;
	}
	put(a, "{\"return\": [");
	for (i = ifs; i != NULL; i = i->ifa_next) {
		char mac[32] = "00:00:00:00:00:00", path[128];
		int firstip = 1, seen = 0;
		FILE *f;

		for (j = ifs; j != i; j = j->ifa_next)
			if (strcmp(j->ifa_name, i->ifa_name) == 0)
				seen = 1;
		if (seen)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", i->ifa_name);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(mac, sizeof(mac), f) != NULL)
				mac[strcspn(mac, "\n")] = '\0';
			fclose(f);
		}
		put(a, "%s{\"name\": ", first ? "" : ", ");
		first = 0;
		putstr(a, i->ifa_name);
		put(a, ", \"hardware-address\": ");
		putstr(a, mac);
		put(a, ", \"ip-addresses\": [");
		for (j = i; j != NULL; j = j->ifa_next) {
			char addr[INET6_ADDRSTRLEN];
			const void *in;
			int fam;

			if (strcmp(j->ifa_name, i->ifa_name) != 0 ||
			    j->ifa_addr == NULL)
				continue;
			fam = j->ifa_addr->sa_family;
			if (fam == AF_INET)
				in = &((struct sockaddr_in *)(void *)j->ifa_addr)->sin_addr;
			else if (fam == AF_INET6)
				in = &((struct sockaddr_in6 *)(void *)j->ifa_addr)->sin6_addr;
			else
				continue;
			inet_ntop(fam, in, addr, sizeof(addr));
			put(a, "%s{\"ip-address-type\": \"%s\", \"ip-address\": ",
			    firstip ? "" : ", ", fam == AF_INET ? "ipv4" : "ipv6");
			firstip = 0;
			putstr(a, addr);
			put(a, ", \"prefix\": %d}", prefixlen(j->ifa_netmask));
		}
		put(a, "]}");
	}
	put(a, "]}");
	freeifaddrs(ifs);
}

static void
cmd_shutdown(struct agent *a, const char *args)
{
	char mode[32] = "powerdown";
	const char *m = member(args, "mode");
	int how;

	if (m != NULL && string(m, mode, sizeof(mode)) == -1) {
		error(a, "GenericError", "Invalid parameter 'mode'");
		return;
	}
	if (strcmp(mode, "powerdown") == 0)
		how = RB_POWER_OFF;
	else if (strcmp(mode, "halt") == 0)
		how = RB_HALT_SYSTEM;
	else if (strcmp(mode, "reboot") == 0)
		how = RB_AUTOBOOT;
	else {
		error(a, "GenericError", "Invalid parameter 'mode'");
		return;
	}
	/* success has no reply: the guest goes away */
	sync();
	reboot(how);
	error(a, "GenericError", strerror(errno));
}

/* base64 (RFC 4648, padded or not) into buf; its length, or -1. */
static long
unbase64(const char *s, char *buf, size_t len)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s != '\0' && *s != '='; s++) {
		const char *c = strchr(al, *s);
		if (c == NULL)
			return -1;
		v = (v << 6) | (unsigned)(c - al);
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (n + 1 >= len)
				return -1;
			buf[n++] = (char)((v >> bits) & 0xff);
		}
	}
	buf[n] = '\0';
	return (long)n;
}

/* The crypt(3) hash of pass: busybox mkpasswd, the password on its stdin. */
static int
hash_password(const char *pass, char *buf, size_t len)
{
	int in[2], out[2], status;
	ssize_t r;
	size_t n = 0;
	pid_t pid;

	if (pipe(in) == -1)
		return -1;
	if (pipe(out) == -1) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	if ((pid = fork()) == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execlp("mkpasswd", "mkpasswd", "-m", "sha512", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid != -1) {
		writeall(in[1], pass, strlen(pass));
		writeall(in[1], "\n", 1);
	}
	close(in[1]);
	while (pid != -1 && (r = read(out[0], buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	close(out[0]);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (pid == -1 || waitpid(pid, &status, 0) == -1 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0 || buf[0] == '\0')
		return -1;
	return 0;
}

/* /etc/passwd has user */
static int
user_exists(const char *user)
{
	char line[512];
	size_t n = strlen(user);
	FILE *f = fopen("/etc/passwd", "r");
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strncmp(line, user, n) == 0 && line[n] == ':';
	fclose(f);
	return found;
}

/* user's /etc/shadow entry gets hash (a new entry when it has none) */
static int
shadow_set(const char *user, const char *hash)
{
	char line[1024];
	size_t n = strlen(user);
	int done = 0, fd;
	FILE *in = fopen("/etc/shadow", "r"), *out;

	if ((fd = open("/etc/shadow.qlagent", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600)) == -1 || (out = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		if (in != NULL)
			fclose(in);
		return -1;
	}
	while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
		const char *rest;
		if (strncmp(line, user, n) == 0 && line[n] == ':' &&
		    (rest = strchr(line + n + 1, ':')) != NULL) {
			fprintf(out, "%s:%s%s", user, hash, rest);
			done = 1;
		} else
			fputs(line, out);
	}
	if (!done)
		fprintf(out, "%s:%s:19000:0:99999:7:::\n", user, hash);
	if (in != NULL)
		fclose(in);
	if (fflush(out) != 0 || fsync(fd) == -1) {
		fclose(out);
		unlink("/etc/shadow.qlagent");
		return -1;
	}
	fclose(out);
	if (rename("/etc/shadow.qlagent", "/etc/shadow") == -1) {
		unlink("/etc/shadow.qlagent");
		return -1;
	}
	return 0;
}

/*
 * guest-set-user-password {username, password (base64), crypted}: as
 * qemu-ga, which has chpasswd (-e when crypted) do it; busybox has no
 * chpasswd, so its mkpasswd hashes a plain password (SHA-512) and the
 * entry of /etc/shadow is rewritten here.
 */
static void
cmd_password(struct agent *a, const char *args)
{
	char user[256], b64[1024], pass[768], hash[512];
	const char *c = member(args, "crypted");
	int crypted = c != NULL && strncmp(c, "true", 4) == 0;

	if (string(member(args, "username"), user, sizeof(user)) == -1) {
		error(a, "GenericError", "Parameter 'username' is missing");
		return;
	}
	if (string(member(args, "password"), b64, sizeof(b64)) == -1) {
		error(a, "GenericError", "Parameter 'password' is missing");
		return;
	}
	if (c == NULL) {
		error(a, "GenericError", "Parameter 'crypted' is missing");
		return;
	}
	if (unbase64(b64, pass, sizeof(pass)) == -1) {
		error(a, "GenericError", "Invalid base64 data");
		return;
	}
	if (strchr(pass, '\n') != NULL || (crypted && strchr(pass, ':'))) {
		error(a, "GenericError", "forbidden characters in raw password");
		return;
	}
	if (user[0] == '\0' || strchr(user, '\n') != NULL ||
	    strchr(user, ':') != NULL) {
		error(a, "GenericError", "forbidden characters in username");
		return;
	}
	if (!user_exists(user)) {
		error(a, "GenericError", "child process has failed to set user "
		    "password (no such user)");
		return;
	}
	if (crypted)
		snprintf(hash, sizeof(hash), "%s", pass);
	else if (hash_password(pass, hash, sizeof(hash)) == -1) {
		error(a, "GenericError", "child process has failed to set user "
		    "password (mkpasswd)");
		return;
	}
	if (shadow_set(user, hash) == -1) {
		error(a, "GenericError", strerror(errno));
		return;
	}
	put(a, "{\"return\": {}}");
}

static void
cmd_fsstatus(struct agent *a, const char *args)
{
	(void)args;
	put(a, "{\"return\": \"%s\"}", a->frozen ? "frozen" : "thawed");
}

/* Freeze one writable file system on a block device; tmpfs and ramfs
 * cannot be frozen and are counted as qemu-ga does not count them. */
static int
freeze_one(struct agent *a, const char *dev, const char *mnt,
    const char *type, void *arg)
{
	int fd, r;

	(void)type;
	(void)arg;
	if (strncmp(dev, "/dev/", 5) != 0 || a->nfrozen >= MAXFS)
		return 0;
	if ((fd = open(mnt, O_RDONLY | O_DIRECTORY)) == -1)
		return 0;
	r = ioctl(fd, FIFREEZE, 0);
	close(fd);
	if (r == -1)
		return 0;
	snprintf(a->frozen_mnt[a->nfrozen++], sizeof(a->frozen_mnt[0]), "%s", mnt);
	return 1;
}

static int
thaw_all(struct agent *a)
{
	int n = 0;

	for (int i = 0; i < a->nfrozen; i++) {
		int fd = open(a->frozen_mnt[i], O_RDONLY | O_DIRECTORY);
		if (fd == -1)
			continue;
		if (ioctl(fd, FITHAW, 0) == 0)
			n++;
		close(fd);
	}
	a->nfrozen = 0;
	a->frozen = 0;
	return n;
}

static void
cmd_freeze(struct agent *a, const char *args)
{
	int n;

	(void)args;
	if (a->frozen) {
		error(a, "GenericError", "Command guest-fsfreeze-freeze has been disabled: the agent is in frozen state");
		return;
	}
	n = mounts(a, freeze_one, NULL);
	a->frozen = 1;
	put(a, "{\"return\": %d}", n < 0 ? 0 : n);
}

static void
cmd_thaw(struct agent *a, const char *args)
{
	(void)args;
	put(a, "{\"return\": %d}", thaw_all(a));
}

/* ---- guest-exec */

static void
putb64(struct agent *a, const char *s, size_t n)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	put(a, "\"");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		put(a, "%c%c%c%c", t[v >> 18 & 63], t[v >> 12 & 63],
		    i + 1 < n ? t[v >> 6 & 63] : '=', i + 2 < n ? t[v & 63] : '=');
	}
	put(a, "\"");
}

/* Whatever the process wrote since, without waiting. */
static void
drain(struct proc *p)
{
	for (int k = 0; k < 2; k++) {
		char tmp[4096];
		ssize_t n = -1;

		while (p->fd[k] != -1 &&
		    (n = read(p->fd[k], tmp, sizeof(tmp))) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					close(p->fd[k]), p->fd[k] = -1;
				break;
			}
			size_t room = MAXEXECOUT - p->len[k];
			size_t take = (size_t)n < room ? (size_t)n : room;
			memcpy(p->buf[k] + p->len[k], tmp, take);
			p->len[k] += take;
			if (take < (size_t)n)
				p->truncated[k] = 1;
		}
		if (p->fd[k] != -1 && n == 0)
			close(p->fd[k]), p->fd[k] = -1;
	}
}

static void
cmd_exec(struct agent *a, const char *args)
{
	char path[256], words[MAXARGS][256], *argv[MAXARGS + 2];
	const char *arr = member(args, "arg"), *cap = member(args,
	    "capture-output");
	int capture = cap != NULL && strncmp(cap, "true", 4) == 0, n = 0;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct proc *p = NULL;

	if (string(member(args, "path"), path, sizeof(path)) == -1) {
		error(a, "GenericError", "Parameter 'path' is missing");
		return;
	}
	argv[n++] = path;
	if (arr != NULL && *arr == '[') {
		const char *q = ws(arr + 1);
		while (*q == '"' && n <= MAXARGS) {
			if (string(q, words[n - 1], sizeof(words[0])) == -1)
				break;
			argv[n] = words[n - 1];
			n++;
			if ((q = skip(q, 0)) == NULL)
				break;
			q = ws(q);
			if (*q == ',')
				q = ws(q + 1);
		}
	}
	argv[n] = NULL;
	for (int i = 0; i < MAXEXEC && p == NULL; i++)
		if (procs[i].pid == 0)
			p = &procs[i];
	if (p == NULL) {
		error(a, "GenericError", "too many processes running");
		return;
	}
	if (capture && (pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(err, O_CLOEXEC) == -1)) {
		error(a, "GenericError", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(capture ? out[1] : null, 1);
		dup2(capture ? err[1] : null, 2);
		setsid();
		execvp(argv[0], argv);
		_exit(127);
	}
	if (capture)
		close(out[1]), close(err[1]);
	if (pid == -1) {
		if (capture)
			close(out[0]), close(err[0]);
		error(a, "GenericError", strerror(errno));
		return;
	}
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->fd[0] = out[0];
	p->fd[1] = err[0];
	for (int k = 0; k < 2; k++)
		if (p->fd[k] != -1)
			fcntl(p->fd[k], F_SETFL, O_NONBLOCK);
	put(a, "{\"return\": {\"pid\": %d}}", (int)pid);
}

static void
cmd_exec_status(struct agent *a, const char *args)
{
	const char *v = member(args, "pid");
	long pid = v != NULL ? strtol(v, NULL, 10) : -1;
	struct proc *p = NULL;

	for (int i = 0; i < MAXEXEC && p == NULL; i++)
		if (procs[i].pid != 0 && procs[i].pid == pid)
			p = &procs[i];
	if (p == NULL) {
		error(a, "GenericError", "Invalid parameter 'pid'");
		return;
	}
	drain(p);
	if (!p->exited && waitpid(p->pid, &p->status, WNOHANG) == p->pid)
		p->exited = 1;
	if (p->exited)
		drain(p);
	put(a, "{\"return\": {\"exited\": %s", p->exited ? "true" : "false");
	if (p->exited && WIFEXITED(p->status))
		put(a, ", \"exitcode\": %d", WEXITSTATUS(p->status));
	if (p->exited && WIFSIGNALED(p->status))
		put(a, ", \"signal\": %d", WTERMSIG(p->status));
	if (p->exited) {
		static const char *const key[] = { "out", "err" };
		for (int k = 0; k < 2; k++) {
			if (p->len[k] > 0) {
				put(a, ", \"%s-data\": ", key[k]);
				putb64(a, p->buf[k], p->len[k]);
			}
			if (p->truncated[k])
				put(a, ", \"%s-truncated\": true", key[k]);
			if (p->fd[k] != -1)
				close(p->fd[k]);
		}
		p->pid = 0;
	}
	put(a, "}}");
}

static const struct command {
	const char *name;
	void (*fn)(struct agent *, const char *);
	int frozen_ok;		/* allowed while frozen, as in qemu-ga */
} commands[] = {
	{ "guest-sync", cmd_sync, 1 },
	{ "guest-sync-delimited", cmd_sync, 1 },
	{ "guest-ping", cmd_ping, 1 },
	{ "guest-info", cmd_info, 1 },
	{ "guest-get-osinfo", cmd_osinfo, 1 },
	{ "guest-get-host-name", cmd_hostname, 1 },
	{ "guest-get-users", cmd_users, 1 },
	{ "guest-get-fsinfo", cmd_fsinfo, 0 },
	{ "guest-network-get-interfaces", cmd_interfaces, 1 },
	{ "guest-shutdown", cmd_shutdown, 0 },
	{ "guest-set-user-password", cmd_password, 0 },
	{ "guest-fsfreeze-status", cmd_fsstatus, 1 },
	{ "guest-fsfreeze-freeze", cmd_freeze, 1 },
	{ "guest-fsfreeze-thaw", cmd_thaw, 1 },
	{ "guest-exec", cmd_exec, 0 },
	{ "guest-exec-status", cmd_exec_status, 0 },
};

/* -b listed name */
static int
blocked(const struct agent *a, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = a->blocked; p != NULL && *p != '\0';) {
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	return 0;
}

static void
cmd_info(struct agent *a, const char *args)
{
	(void)args;
	put(a, "{\"return\": {\"version\": \"" VERSION "\", \"supported_commands\": [");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		put(a, "%s{\"name\": \"%s\", \"enabled\": %s, \"success-response\": %s}",
		    i ? ", " : "", commands[i].name,
		    blocked(a, commands[i].name) ? "false" : "true",
		    commands[i].fn == cmd_shutdown ? "false" : "true");
	put(a, "]}}");
}

/* One request, complete and NUL-terminated. */
static void
request(struct agent *a, const char *req)
{
	const char *ex = member(req, "execute"), *args;
	char name[64];

	a->len = 0;
	if (a->mode == SILENT)
		return;
	if (a->mode == FLOOD) {
		/* never ends: the host must stop reading, or drop us */
		memset(a->out, 'x', sizeof(a->out));
		for (;;)
			writeall(a->fd, a->out, sizeof(a->out));
	}
	if (ex == NULL || string(ex, name, sizeof(name)) == -1) {
		error(a, "GenericError", "Invalid JSON syntax");
		flush(a);
		return;
	}
	args = member(req, "arguments");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0) {
			if (blocked(a, name)) {
				char desc[128];
				snprintf(desc, sizeof(desc), "The command %s has "
				    "been disabled for this instance", name);
				error(a, "CommandNotFound", desc);
				flush(a);
				return;
			}
			if (a->frozen && !commands[i].frozen_ok) {
				error(a, "GenericError", "Command has been disabled: the agent is in frozen state");
				flush(a);
				return;
			}
			if (strcmp(name, "guest-sync-delimited") == 0)
				writeall(a->fd, "\xff", 1);
			if (a->mode == LIE && commands[i].fn != cmd_sync) {
				put(a, "{\"return\": {\"host-name\": 42, \"lie\": [[[[[]]]]]}}");
			} else
				commands[i].fn(a, args != NULL ? args : "{}");
			flush(a);
			return;
		}
	{
		char desc[128];
		snprintf(desc, sizeof(desc), "The command %s has not been found", name);
		error(a, "CommandNotFound", desc);
	}
	flush(a);
}

/* ---- the port */

static int
find_port(const char *name, char *buf, size_t len)
{
	DIR *dir = opendir(PORTS);
	struct dirent *e;
	int found = 0;

	if (dir == NULL)
		return -1;
	while (!found && (e = readdir(dir)) != NULL) {
		char path[PATH_MAX], got[256];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PORTS "/%s/name", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(got, sizeof(got), f) != NULL) {
			got[strcspn(got, "\n")] = '\0';
			if (strcmp(got, name) == 0) {
				snprintf(buf, len, "/dev/%s", e->d_name);
				found = 1;
			}
		}
		fclose(f);
	}
	closedir(dir);
	return found ? 0 : -1;
}

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Reads objects: braces counted outside strings; 0xFF resets. */
static void
serve(struct agent *a)
{
	static char req[MAXREQ];
	size_t n = 0;
	int depth = 0, instr = 0, esc = 0, over = 0;

	for (;;) {
		char buf[4096];
		ssize_t r = read(a->fd, buf, sizeof(buf));

		if (r == 0) {		/* nobody on the host side */
			nap(100);
			continue;
		}
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("read", strerror(errno));
		}
		for (ssize_t i = 0; i < r; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (c == 0xff) {
				n = 0, depth = 0, instr = 0, esc = 0, over = 0;
				continue;
			}
			if (depth == 0 && c != '{')
				continue;	/* between objects */
			if (n < sizeof(req) - 1)
				req[n++] = (char)c;
			else
				over = 1;
			if (instr) {
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else if (c == '"')
					instr = 0;
				continue;
			}
			if (c == '"')
				instr = 1;
			else if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0) {
				req[n] = '\0';
				if (over) {
					error(a, "GenericError", "request too large");
					flush(a);
				} else
					request(a, req);
				n = 0, over = 0;
			}
		}
	}
}

int
main(int argc, char **argv)
{
	static struct agent a;
	const char *path = NULL, *name = DEFAULT_PORT;
	char dev[PATH_MAX];
	long wait = 0;

	a.mode = NORMAL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--flood") == 0)
			a.mode = FLOOD;
		else if (strcmp(argv[i], "--silent") == 0)
			a.mode = SILENT;
		else if (strcmp(argv[i], "--lie") == 0)
			a.mode = LIE;
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
			a.blocked = argv[++i];
		else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
			wait = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if (path == NULL) {
		for (long t = 0; find_port(name, dev, sizeof(dev)) == -1; t += 100) {
			if (t >= wait * 1000)
				die(name, "no virtio-serial port of that name");
			nap(100);
		}
		path = dev;
	}
	if ((a.fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		die(path, strerror(errno));
	serve(&a);
	return 0;
}
