/* Parsing what people type: names, sizes, numbers, booleans, UUIDs. */
#include <sys/random.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > IFNAME_MAX_LEN || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.:+-") == n;
}

int
parse_mac(const char *s, unsigned char mac[6])
{
	static const char hex[] = "0123456789abcdef";

	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *a = strchr(hex, tolower((unsigned char)s[i * 3]));
		const char *b = strchr(hex, tolower((unsigned char)s[i * 3 + 1]));

		if (s[i * 3] == '\0' || s[i * 3 + 1] == '\0' || a == NULL ||
		    b == NULL || (i < 5 && s[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (unsigned char)((a - hex) << 4 | (b - hex));
	}
	return (mac[0] & 1) ? -1 : 0;	/* multicast */
}

void
format_mac(const unsigned char mac[6], char out[MAC_STR_LEN])
{
	snprintf(out, MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
	    mac[1], mac[2], mac[3], mac[4], mac[5]);
}

void
mac_generate_str(char out[MAC_STR_LEN])
{
	unsigned char m[6] = { 0x52, 0x54, 0x00 };

	arc4random_buf(m + 3, 3);
	format_mac(m, out);
}
