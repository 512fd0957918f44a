/*
 * A command typed on the guest's serial console.  The guest echoes what
 * is typed, and the console may replay older output: the command is put
 * between two marks the shell computes ($((N+1))), so that only the
 * shell's own output, never the echo of the line, holds them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "client.h"
#include "guestsh.h"
#include "util.h"
#include "xalloc.h"

#define GSH_MAX		(256 * 1024)

int
guest_sh(const char *sock, const char *name, const char *cmd, int timeout_ms,
    char *out, size_t outlen, char *err, size_t errlen)
{
	struct client_conn c;
	char eclass[64], begin[48], end[48], *line, *buf = NULL;
	struct json_object *ret = NULL, *a;
	size_t n = 0;
	int rc = -1;
	unsigned nonce = (unsigned)(getpid() * 7919 + mono_ms()) % 1000000;

	out[0] = '\0';
	err[0] = '\0';
	if (client_open(&c, sock, 0, err, errlen) == -1)
		return -1;
	a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(name));
	if (client_call(&c, "console", a, &ret, eclass, sizeof(eclass), err,
	    errlen, NULL, NULL) == -1) {
		client_close(&c);
		return -1;
	}
	json_object_put(ret);
	snprintf(begin, sizeof(begin), "QLGSH-B-%u", nonce + 1);
	snprintf(end, sizeof(end), "QLGSH-E-%u", nonce + 1);
	if (asprintf(&line, "\necho QLGSH-B-$((%u+1)); %s; echo "
	    "QLGSH-E-$((%u+1))\n", nonce, cmd, nonce) == -1) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* what came with the reply is older output: dropped */
	if (write_all(c.fd, line, strlen(line)) == -1) {
		snprintf(err, errlen, "console of '%s': %s", name,
		    strerror(errno));
		free(line);
		goto out;
	}
	free(line);
	buf = xcalloc(1, GSH_MAX + 1);
	int64_t t0 = mono_ms();
	for (;;) {
		int64_t left = timeout_ms - (mono_ms() - t0);
		struct pollfd p = { c.fd, POLLIN, 0 };
		if (left <= 0) {
			snprintf(err, errlen, "no answer from the shell on "
			    "'%s''s console in %d s (does it have one?)", name,
			    timeout_ms / 1000);
			goto out;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			break;
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t k = read(c.fd, buf + n, GSH_MAX - n);
		if (k <= 0) {
			snprintf(err, errlen, "console of '%s' closed: the VM "
			    "stopped", name);
			goto out;
		}
		n += (size_t)k;
		buf[n] = '\0';
		char *b = strstr(buf, begin), *e;
		if (b != NULL && (e = strstr(b, end)) != NULL) {
			b += strlen(begin);
			while (*b == '\r' || *b == '\n')
				b++;
			*e = '\0';
			strlcpy(out, b, outlen);
			rc = 0;
			break;
		}
		if (n == GSH_MAX) {	/* keep the last half */
			memmove(buf, buf + GSH_MAX / 2, GSH_MAX / 2);
			n = GSH_MAX / 2;
		}
	}
	if (rc == -1 && err[0] == '\0')
		snprintf(err, errlen, "console of '%s': %s", name,
		    strerror(errno));
out:
	free(buf);
	client_close(&c);
	return rc;
}

const char *
guest_sh_field(const char *out, const char *tag, const char *key, char *buf,
    size_t len)
{
	size_t tl = strlen(tag), kl = strlen(key);

	for (const char *l = out; l != NULL && *l != '\0'; ) {
		while (*l == '\r')
			l++;
		const char *nl = strchr(l, '\n');
		size_t ll = nl != NULL ? (size_t)(nl - l) : strlen(l);
		if (ll > tl && strncmp(l, tag, tl) == 0 && l[tl] == ' ') {
			for (const char *p = l + tl; p < l + ll; p++) {
				if (p[-1] != ' ' || strncmp(p, key, kl) != 0 ||
				    p[kl] != '=')
					continue;
				const char *v = p + kl + 1, *ve = v;
				while (ve < l + ll && *ve != ' ' && *ve != '\r')
					ve++;
				size_t vl = (size_t)(ve - v);
				if (vl >= len)
					vl = len - 1;
				memcpy(buf, v, vl);
				buf[vl] = '\0';
				return buf;
			}
		}
		l = nl != NULL ? nl + 1 : NULL;
	}
	return NULL;
}
