/*
 * Small helpers shared by qlaunchd and qlaunch.  This header brings the
 * families of them, each in its own file: parse.h, fsutil.h, sock.h,
 * xalloc.h; util.c has the rest.
 */
#ifndef LAUNCHER_UTIL_H
#define LAUNCHER_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fsutil.h"
#include "parse.h"
#include "sock.h"
#include "xalloc.h"

/* The number of elements of an array. */
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* Write all of buf, across short writes and EINTR; -1 with errno. */
int	 write_all(int fd, const void *buf, size_t len);

/* The monotonic clock in milliseconds. */
int64_t	 mono_ms(void);

#endif
