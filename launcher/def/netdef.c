/*
 * A network definition: a table of keys, each with its parser, the
 * checks between keys, and the author's text changed one line at a time.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defutil.h"
#include "netdef.h"
#include "util.h"

typedef int (*netkey_fn)(struct netdef *, const char *, char *, size_t);

static int
parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

const char *
netdef_ip(uint32_t ip, char *buf, size_t len)
{
	struct in_addr a = { htonl(ip) };

	if (inet_ntop(AF_INET, &a, buf, (socklen_t)len) == NULL)
		strlcpy(buf, "?", len);
	return buf;
}

uint32_t
netdef_mask(const struct netdef *d)
{
	return d->prefix == 0 ? 0 : 0xffffffffU << (32 - d->prefix);
}

void
netdef_subnet(const struct netdef *d, char *buf, size_t len)
{
	char ip[16];

	snprintf(buf, len, "%s/%u", netdef_ip(d->addr & netdef_mask(d), ip,
	    sizeof(ip)), d->prefix);
}

void
netdef_cidr(const struct netdef *d, char *buf, size_t len)
{
	char ip[16];

	snprintf(buf, len, "%s/%u", netdef_ip(d->addr, ip, sizeof(ip)),
	    d->prefix);
}

int
netdef_overlaps(const struct netdef *a, const struct netdef *b)
{
	/* two prefixes overlap when the shorter one holds the other */
	uint32_t m = a->prefix < b->prefix ? netdef_mask(a) : netdef_mask(b);

	return (a->addr & m) == (b->addr & m);
}

static const char *const fwd_names[] = {
	[NET_FWD_NAT] = "nat",
	[NET_FWD_NONE] = "none",
	[NET_FWD_ROUTE] = "route",
};

const char *
netdef_forward_name(enum net_forward f)
{
	return fwd_names[f];
}

/* ---- the keys ---- */

static int
k_name(struct netdef *d, const char *v, char *err, size_t errlen)
{
	if (!valid_name(v))
		return def_err(err, errlen, "'%s' is not a valid name (letters, "
		    "digits, '.', '_', '-', at most 64, not starting with a "
		    "punctuation mark)", v);
	strlcpy(d->name, v, sizeof(d->name));
	return 0;
}

static int
k_uuid(struct netdef *d, const char *v, char *err, size_t errlen)
{
	if (!valid_uuid(v))
		return def_err(err, errlen, "'%s' is not a UUID", v);
	strlcpy(d->uuid, v, sizeof(d->uuid));
	return 0;
}

static int
k_bridge(struct netdef *d, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);
	int ok = n > 0 && n < NETDEF_BRIDGE_LEN && strcmp(v, ".") != 0 &&
	    strcmp(v, "..") != 0;

	for (const char *p = v; ok && *p != '\0'; p++)
		ok = isalnum((unsigned char)*p) || strchr("_.:+-", *p) != NULL;
	if (!ok)
		return def_err(err, errlen, "'%s' is not an interface name (1 "
		    "to 15 of letters, digits and _.:+-)", v);
	strlcpy(d->bridge, v, sizeof(d->bridge));
	return 0;
}

static int
k_address(struct netdef *d, const char *v, char *err, size_t errlen)
{
	char ip[64];
	const char *slash = strchr(v, '/'), *why;
	long long prefix;
	uint32_t a;

	if (slash == NULL || (size_t)(slash - v) >= sizeof(ip))
		return def_err(err, errlen, "'%s': an IPv4 address with its "
		    "prefix length is needed (192.168.122.1/24)", v);
	memcpy(ip, v, (size_t)(slash - v));
	ip[slash - v] = '\0';
	if (parse_ip(ip, &a) == -1)
		return def_err(err, errlen, "'%s' is not an IPv4 address", ip);
	if (parse_uint(slash + 1, 8, 30, &prefix, &why) == -1)
		return def_err(err, errlen, "prefix length '%s': %s (8 to 30)",
		    slash + 1, why);
	d->addr = a;
	d->prefix = (unsigned)prefix;
	uint32_t m = netdef_mask(d);
	if ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 14)
		return def_err(err, errlen, "%s is not a unicast address for "
		    "a network", ip);
	if ((a & ~m) == 0 || (a & ~m) == ~m)
		return def_err(err, errlen, "%s is the %s address of %s/%lld",
		    ip, (a & ~m) == 0 ? "network" : "broadcast", ip, prefix);
	return 0;
}

static int
k_dhcp_range(struct netdef *d, const char *v, char *err, size_t errlen)
{
	char a[64];
	const char *comma = strchr(v, ',');

	if (strcmp(v, "none") == 0) {
		d->no_dhcp = 1;
		return 0;
	}
	if (comma == NULL || (size_t)(comma - v) >= sizeof(a))
		return def_err(err, errlen, "'%s': START,END is needed (or "
		    "none)", v);
	memcpy(a, v, (size_t)(comma - v));
	a[comma - v] = '\0';
	if (parse_ip(a, &d->dhcp_start) == -1)
		return def_err(err, errlen, "'%s' is not an IPv4 address", a);
	if (parse_ip(comma + 1, &d->dhcp_end) == -1)
		return def_err(err, errlen, "'%s' is not an IPv4 address",
		    comma + 1);
	if (d->dhcp_start > d->dhcp_end)
		return def_err(err, errlen, "%s comes after %s", a, comma + 1);
	return 0;
}

static int
k_forward(struct netdef *d, const char *v, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(fwd_names) / sizeof(fwd_names[0]); i++)
		if (strcmp(v, fwd_names[i]) == 0) {
			d->forward = (enum net_forward)i;
			return 0;
		}
	return def_err(err, errlen, "'%s': nat, none or route", v);
}

static int
k_domain(struct netdef *d, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);
	int ok = n > 0 && n < sizeof(d->domain) && *v != '.' && *v != '-' &&
	    v[n - 1] != '.' && strstr(v, "..") == NULL;

	for (const char *p = v; ok && *p != '\0'; p++)
		ok = isalnum((unsigned char)*p) || *p == '.' || *p == '-';
	if (!ok)
		return def_err(err, errlen, "'%s' is not a DNS domain (letters, "
		    "digits, '-' and dots, at most %zu)", v,
		    sizeof(d->domain) - 1);
	strlcpy(d->domain, v, sizeof(d->domain));
	return 0;
}

static int
k_mtu(struct netdef *d, const char *v, char *err, size_t errlen)
{
	return def_uint("value", v, 68, 65535, &d->mtu, err, errlen);
}

static int
k_autostart(struct netdef *d, const char *v, char *err, size_t errlen)
{
	if (parse_bool(v, &d->autostart) == -1)
		return def_err(err, errlen, "'%s': yes or no", v);
	return 0;
}

static const struct netkey {
	const char	*key;
	netkey_fn	 fn;
} netkeys[] = {
	{ "name",	k_name },
	{ "uuid",	k_uuid },
	{ "bridge",	k_bridge },
	{ "address",	k_address },
	{ "dhcp-range",	k_dhcp_range },
	{ "forward",	k_forward },
	{ "domain",	k_domain },
	{ "mtu",	k_mtu },
	{ "autostart",	k_autostart },
};
#define NKEYS	(sizeof(netkeys) / sizeof(netkeys[0]))

/* ---- between keys ---- */

static int
check(struct netdef *d, char *err, size_t errlen)
{
	char a[16], b[16], net[64];

	if (d->name[0] == '\0')
		return def_err(err, errlen, "name: missing");
	if (d->prefix == 0)
		return def_err(err, errlen, "address: missing (the bridge's, "
		    "as 192.168.122.1/24)");
	uint32_t m = netdef_mask(d), base = d->addr & m;
	netdef_subnet(d, net, sizeof(net));
	if (d->no_dhcp)
		d->dhcp_start = d->dhcp_end = 0;
	else if (d->dhcp_start == 0 && d->dhcp_end == 0) {
		/* from .2 to the last before broadcast, around the bridge */
		d->dhcp_start = base + 2;
		d->dhcp_end = (base | ~m) - 1;
		if (d->addr >= d->dhcp_start && d->addr <= d->dhcp_end) {
			if (d->addr == d->dhcp_start)
				d->dhcp_start++;
			else if (d->addr == d->dhcp_end)
				d->dhcp_end--;
			else
				d->dhcp_start = base + 1 == d->addr ?
				    base + 2 : d->addr + 1;
		}
		if (d->dhcp_start > d->dhcp_end)
			return def_err(err, errlen, "dhcp-range: %s has no "
			    "room for one; give dhcp-range: none", net);
	} else {
		uint32_t lo = base + 1, hi = (base | ~m) - 1;
		if (d->dhcp_start < lo || d->dhcp_start > hi ||
		    d->dhcp_end < lo || d->dhcp_end > hi)
			return def_err(err, errlen, "dhcp-range: %s to %s is "
			    "not inside %s", netdef_ip(d->dhcp_start, a,
			    sizeof(a)), netdef_ip(d->dhcp_end, b, sizeof(b)),
			    net);
		if (d->addr >= d->dhcp_start && d->addr <= d->dhcp_end)
			return def_err(err, errlen, "dhcp-range: %s to %s holds "
			    "the bridge's own address %s", netdef_ip(
			    d->dhcp_start, a, sizeof(a)), netdef_ip(d->dhcp_end,
			    b, sizeof(b)), netdef_ip(d->addr, net,
			    sizeof(net)));
	}
	if (d->uuid[0] == '\0') {
		uuid_generate_str(d->uuid);
		d->uuid_generated = 1;
	}
	return 0;
}

/* ---- parsing ---- */

static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

void
netdef_free(struct netdef *d)
{
	if (d == NULL)
		return;
	free(d->text);
	free(d);
}

struct netdef *
netdef_parse(const char *text, const char *fname, char *err, size_t errlen)
{
	struct netdef *d = xcalloc(1, sizeof(*d));
	char *copy = xstrdup(text), *line, *next;
	char seen[NKEYS] = { 0 }, why[512];
	int lineno = 0;

	for (line = copy; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		char *l = trim(line);
		if (*l == '\0' || *l == '#')
			continue;
		char *colon = strchr(l, ':');
		if (colon == NULL) {
			def_err(err, errlen, "%s:%d: expected 'key: value'",
			    fname, lineno);
			goto fail;
		}
		*colon = '\0';
		char *key = trim(l), *val = trim(colon + 1);
		size_t k;
		for (k = 0; k < NKEYS && strcmp(netkeys[k].key, key) != 0; k++)
			;
		if (k == NKEYS) {
			def_err(err, errlen, "%s:%d: %s: unknown key", fname,
			    lineno, key);
			goto fail;
		}
		if (seen[k]) {
			def_err(err, errlen, "%s:%d: %s: given twice", fname,
			    lineno, key);
			goto fail;
		}
		seen[k] = 1;
		if (*val == '\0') {
			def_err(err, errlen, "%s:%d: %s: empty value", fname,
			    lineno, key);
			goto fail;
		}
		if (netkeys[k].fn(d, val, why, sizeof(why)) == -1) {
			def_err(err, errlen, "%s:%d: %s: %s", fname, lineno, key,
			    why);
			goto fail;
		}
	}
	if (check(d, why, sizeof(why)) == -1) {
		def_err(err, errlen, "%s: %s", fname, why);
		goto fail;
	}
	free(copy);
	d->text = xstrdup(text);
	if (d->uuid_generated)
		netdef_text_set(d, "uuid", d->uuid);
	return d;
fail:
	free(copy);
	netdef_free(d);
	return NULL;
}

/* ---- the text ---- */

void
netdef_text_set(struct netdef *d, const char *key, const char *value)
{
	size_t klen = strlen(key);
	const char *line = d->text;

	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		const char *k = line;
		while (*k == ' ' || *k == '\t')
			k++;
		const char *c = k + klen;
		while (c < line + len && (*c == ' ' || *c == '\t'))
			c++;
		if (strncmp(k, key, klen) == 0 && c < line + len && *c == ':') {
			char *nt = xasprintf("%.*s%s: %s%s",
			    (int)(line - d->text), d->text, key, value,
			    line + len);
			free(d->text);
			d->text = nt;
			return;
		}
		line += len + (end != NULL);
	}
	size_t n = strlen(d->text);
	char *nt = xasprintf("%s%s%s: %s\n", d->text,
	    n > 0 && d->text[n - 1] != '\n' ? "\n" : "", key, value);
	free(d->text);
	d->text = nt;
}
