/*
 * ssh:// URIs (sshuri.h): parsing, checking, and ssh's command line.
 * Every part is checked against the characters it may hold, so nothing
 * in a URI becomes an ssh option or a remote shell word by surprise.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sshuri.h"
#include "util.h"

#define SSHURI_PREFIX	"ssh://"

int
sshuri_is(const char *s)
{
	return strncmp(s, SSHURI_PREFIX, strlen(SSHURI_PREFIX)) == 0;
}

static int
all_in(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(extra, s[i]) == NULL)
			return 0;
	return 1;
}

/* A query value: a path or a word, without quotes or shell specials. */
static int
value_ok(const char *v)
{
	return *v != '\0' && *v != '-' && all_in(v, strlen(v), "/._+-=,:@%~");
}

/* The query's keys: where each value goes. */
static const struct {
	const char	*key;
	size_t		 off, size;
} keys[] = {
	{ "keyfile", offsetof(struct sshuri, keyfile),
	    sizeof(((struct sshuri *)0)->keyfile) },
	{ "socket", offsetof(struct sshuri, socket),
	    sizeof(((struct sshuri *)0)->socket) },
	{ "command", offsetof(struct sshuri, command),
	    sizeof(((struct sshuri *)0)->command) },
};

static int
parse_query(char *q, struct sshuri *u, const char *s, char *err,
    size_t errlen)
{
	char *kv;

	while ((kv = strsep(&q, "&")) != NULL) {
		char *eq = strchr(kv, '=');
		size_t i;
		if (eq == NULL) {
			snprintf(err, errlen, "%s: '%s' in the query is not "
			    "KEY=VALUE", s, kv);
			return -1;
		}
		*eq = '\0';
		for (i = 0; i < nitems(keys); i++)
			if (strcmp(keys[i].key, kv) == 0)
				break;
		if (i == nitems(keys)) {
			snprintf(err, errlen, "%s: unknown key '%s' (keyfile, "
			    "socket, command)", s, kv);
			return -1;
		}
		if (!value_ok(eq + 1)) {
			snprintf(err, errlen, "%s: %s '%s' is empty or holds "
			    "characters it may not", s, kv, eq + 1);
			return -1;
		}
		if (strlcpy((char *)u + keys[i].off, eq + 1, keys[i].size) >=
		    keys[i].size) {
			snprintf(err, errlen, "%s: %s is too long", s, kv);
			return -1;
		}
	}
	return 0;
}

/* [user@]host[:port] */
static int
parse_authority(char *a, struct sshuri *u, const char *s, char *err,
    size_t errlen)
{
	char *at = strrchr(a, '@'), *host = a, *port = NULL;
	const char *why;

	if (at != NULL) {
		*at = '\0';
		host = at + 1;
		if (*a == '\0' || *a == '-' || !all_in(a, strlen(a), "._-") ||
		    strlcpy(u->user, a, sizeof(u->user)) >= sizeof(u->user)) {
			snprintf(err, errlen, "%s: the user '%s' is not a user "
			    "name", s, a);
			return -1;
		}
	}
	if (*host == '[') {
		char *end = strchr(host, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			snprintf(err, errlen, "%s: an IPv6 address is "
			    "[ADDRESS]", s);
			return -1;
		}
		*end = '\0';
		if (end[1] == ':')
			port = end + 2;
		host++;
		if (!all_in(host, strlen(host), ":.%")) {
			snprintf(err, errlen, "%s: '%s' is not an IPv6 "
			    "address", s, host);
			return -1;
		}
	} else {
		if ((port = strchr(host, ':')) != NULL)
			*port++ = '\0';
		if (*host == '-' || !all_in(host, strlen(host), ".-_")) {
			snprintf(err, errlen, "%s: '%s' is not a host name or "
			    "address", s, host);
			return -1;
		}
	}
	if (*host == '\0') {
		snprintf(err, errlen, "%s: no host", s);
		return -1;
	}
	if (strlcpy(u->host, host, sizeof(u->host)) >= sizeof(u->host)) {
		snprintf(err, errlen, "%s: the host name is too long", s);
		return -1;
	}
	if (port != NULL) {
		u->port = (int)strtonum(port, 1, 65535, &why);
		if (why != NULL) {
			snprintf(err, errlen, "%s: the port '%s' is %s (1 to "
			    "65535)", s, port, why);
			return -1;
		}
	}
	return 0;
}

int
sshuri_parse(const char *s, struct sshuri *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	if (!sshuri_is(s)) {
		snprintf(err, errlen, "%s: not an ssh:// URI", s);
		return -1;
	}
	char *copy = xstrdup(s + strlen(SSHURI_PREFIX));
	char *query = strchr(copy, '?');
	int r = -1;

	if (query != NULL)
		*query++ = '\0';
	char *path = strchr(copy, '/');
	if (path != NULL) {
		if (strcmp(path, "/") != 0) {
			snprintf(err, errlen, "%s: the URI has no path (options "
			    "go after /?)", s);
			goto out;
		}
		*path = '\0';
	}
	if (parse_authority(copy, u, s, err, errlen) == -1)
		goto out;
	if (query != NULL && parse_query(query, u, s, err, errlen) == -1)
		goto out;
	r = 0;
out:
	free(copy);
	return r;
}

void
sshuri_label(const struct sshuri *u, char *buf, size_t len)
{
	int v6 = strchr(u->host, ':') != NULL;
	char port[8] = "";

	if (u->port != 0)
		snprintf(port, sizeof(port), ":%d", u->port);
	snprintf(buf, len, "%s%s%s%s%s%s", u->user, u->user[0] != '\0' ?
	    "@" : "", v6 ? "[" : "", u->host, v6 ? "]" : "", port);
}

int
sshuri_argv(const struct sshuri *u, const char *prog,
    const char *argv[SSHURI_ARGV_MAX], char *buf, size_t buflen)
{
	size_t n = 0, used = 0;
	int len;

	argv[n++] = prog;
	argv[n++] = "-T";		/* no tty: a byte stream */
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";	/* keys and agent, never a prompt */
	argv[n++] = "-o";
	argv[n++] = "LogLevel=ERROR";	/* only what went wrong on stderr */
	argv[n++] = "-o";
	argv[n++] = "ConnectTimeout=15";
	if (u->port != 0) {
		len = snprintf(buf, buflen, "%d", u->port);
		if (len < 0 || (size_t)len >= buflen)
			return -1;
		argv[n++] = "-p";
		argv[n++] = buf;
		used = (size_t)len + 1;
	}
	if (u->user[0] != '\0') {
		argv[n++] = "-l";
		argv[n++] = u->user;
	}
	if (u->keyfile[0] != '\0') {
		argv[n++] = "-i";
		argv[n++] = u->keyfile;
		argv[n++] = "-o";
		argv[n++] = "IdentitiesOnly=yes";
	}
	argv[n++] = "--";
	argv[n++] = u->host;
	/* the values hold no quote (sshuri_parse): '...' keeps them whole */
	len = snprintf(buf + used, buflen - used, "'%s'%s%s%s proxy",
	    u->command[0] != '\0' ? u->command : "qlaunch",
	    u->socket[0] != '\0' ? " -c '" : "", u->socket,
	    u->socket[0] != '\0' ? "'" : "");
	if (len < 0 || (size_t)len >= buflen - used)
		return -1;
	argv[n++] = buf + used;
	argv[n] = NULL;
	return 0;
}
