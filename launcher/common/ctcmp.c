#include <string.h>

#include "ctcmp.h"

int
ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *p = a, *q = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= p[i] ^ q[i];
	return diff == 0;
}

int
ct_streq(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && ct_equal(a, b, n);
}
