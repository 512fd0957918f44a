/* Secrets compared in constant time (login tokens, sessions, CSRF). */
#ifndef LAUNCHER_CTCMP_H
#define LAUNCHER_CTCMP_H

#include <stddef.h>

/* 1 when the n bytes of a and b are equal; the time depends on n only. */
int	 ct_equal(const void *a, const void *b, size_t n);
/* The same for two strings; their lengths are not secret. */
int	 ct_streq(const char *a, const char *b);

#endif
