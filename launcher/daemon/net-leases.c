/* dnsmasq's lease file, read for net-dhcp-leases and ifaddr. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net-priv.h"
#include "util.h"

#define MAX_FIELDS	5

static int
is_mac(const char *s)
{
	if (strlen(s) != 17)
		return 0;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* Split line into at most MAX_FIELDS blank-separated words, in place. */
static int
split(char *line, char **f)
{
	int n = 0;
	char *p = line;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (n == MAX_FIELDS)
			return MAX_FIELDS + 1;
		f[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

int
net_leases_parse(const char *text, struct net_lease **leases, size_t *np,
    char *err, size_t errlen)
{
	char *copy = xstrdup(text), *line, *next, *f[MAX_FIELDS];
	struct net_lease *v = NULL;
	size_t n = 0;
	int lineno = 0;

	for (line = copy; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		int nf = split(line, f);
		if (nf == 0)
			continue;
		if (strcmp(f[0], "duid") == 0)
			continue;	/* the server's DHCPv6 DUID */
		if (nf != MAX_FIELDS) {
			snprintf(err, errlen, "line %d: %s%d fields, not 5 "
			    "(expiry, MAC, IP, hostname, client id)", lineno,
			    nf > MAX_FIELDS ? "more than " : "", nf > MAX_FIELDS ?
			    MAX_FIELDS : nf);
			goto fail;
		}
		long long exp;
		const char *why;
		if (parse_uint(f[0], 0, 1LL << 62, &exp, &why) == -1) {
			snprintf(err, errlen, "line %d: expiry '%s': %s", lineno,
			    f[0], why);
			goto fail;
		}
		if (strchr(f[2], ':') != NULL && !is_mac(f[1]))
			continue;	/* IPv6: an IAID, not a MAC */
		if (!is_mac(f[1])) {
			snprintf(err, errlen, "line %d: '%s' is not a MAC "
			    "address", lineno, f[1]);
			goto fail;
		}
		if (strlen(f[2]) >= sizeof(v->ip) ||
		    strspn(f[2], "0123456789.abcdefABCDEF:") != strlen(f[2])) {
			snprintf(err, errlen, "line %d: '%s' is not an IP "
			    "address", lineno, f[2]);
			goto fail;
		}
		v = xreallocarray(v, n + 1, sizeof(*v));
		struct net_lease *l = &v[n++];
		memset(l, 0, sizeof(*l));
		l->expiry = exp;
		for (int i = 0; i < 17; i++)
			l->mac[i] = (char)tolower((unsigned char)f[1][i]);
		strlcpy(l->ip, f[2], sizeof(l->ip));
		if (strcmp(f[3], "*") != 0)
			strlcpy(l->hostname, f[3], sizeof(l->hostname));
		if (strcmp(f[4], "*") != 0)
			strlcpy(l->clientid, f[4], sizeof(l->clientid));
	}
	free(copy);
	*leases = v;
	*np = n;
	return 0;
fail:
	free(copy);
	free(v);
	return -1;
}
