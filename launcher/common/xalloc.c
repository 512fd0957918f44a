#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (p == NULL && n != 0 && sz != 0)
		abort();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t sz)
{
	void *np = reallocarray(p, n, sz);

	if (np == NULL && n != 0 && sz != 0)
		abort();
	return np;
}

char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

char *
xstrdup_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void *
xmemdup(const void *s, size_t n)
{
	void *d = malloc(n > 0 ? n : 1);

	if (d == NULL)
		abort();
	if (n > 0)
		memcpy(d, s, n);
	return d;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}
