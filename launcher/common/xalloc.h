/*
 * Allocation that cannot fail: out of memory aborts, as there is nothing
 * sensible to do about it in a small supervisor or client.
 */
#ifndef LAUNCHER_XALLOC_H
#define LAUNCHER_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
/* a copy of s, or NULL when s is NULL */
char	*xstrdup_null(const char *);
void	*xmemdup(const void *, size_t);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *fmt, va_list) __attribute__((format(printf, 1, 0)));

#endif
