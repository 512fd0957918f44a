/*
 * What the host must have for a definition's memory (memdef.h): free
 * hugepages of the size asked for, the hugetlbfs or tmpfs directory of
 * source=file, the host NUMA nodes bound to.  Checked before QEMU starts,
 * so that a start fails with one line and nothing runs.
 */
#ifndef LAUNCHER_MEMHOST_H
#define LAUNCHER_MEMHOST_H

#include <stddef.h>

struct vmdef;

/* sysroot: "" for the host, a fake tree's root in tests. */
int	 memhost_check(const struct vmdef *, const char *sysroot, char *err,
	    size_t errlen);

#endif
