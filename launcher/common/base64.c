#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "xalloc.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
base64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xcalloc(1, (len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

void *
base64_decode(const char *s, size_t *lenp)
{
	size_t n = strlen(s);

	if (n % 4 != 0)
		return NULL;
	unsigned char *out = xcalloc(1, n / 4 * 3 + 1), *o = out;
	for (size_t i = 0; i < n; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			const char *c = strchr(b64, s[i + k]);
			if (s[i + k] == '=' && i + 4 == n && k >= 2 &&
			    (k == 3 || s[i + 3] == '=')) {
				pad++;
				v <<= 6;
				continue;
			}
			if (s[i + k] == '\0' || c == NULL || pad > 0) {
				free(out);
				return NULL;
			}
			v = v << 6 | (unsigned)(c - b64);
		}
		*o++ = (unsigned char)(v >> 16);
		if (pad < 2)
			*o++ = (unsigned char)(v >> 8);
		if (pad < 1)
			*o++ = (unsigned char)v;
	}
	*lenp = (size_t)(o - out);
	return out;
}
