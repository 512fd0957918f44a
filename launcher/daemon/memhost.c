/* The host's side of a definition's memory (memhost.h). */
#include <sys/stat.h>
#include <sys/vfs.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memdef.h"
#include "memhost.h"
#include "fsutil.h"

#define HUGETLBFS_MAGIC	0x958458f6

/* A number from a sysfs file, or -1. */
static long long
read_num(const char *path)
{
	char *s = read_file(path, NULL);
	long long v = -1;

	if (s != NULL) {
		char *end;
		v = strtoll(s, &end, 10);
		if (end == s)
			v = -1;
	}
	free(s);
	return v;
}

int
memhost_check(const struct vmdef *d, const char *root, char *err,
    size_t errlen)
{
	struct vmdef_memneed n;
	char path[PATH_MAX];
	struct stat st;
	struct statfs sf;

	vmdef_mem_needs(d, &n);
	if (n.page_kib) {
		snprintf(path, sizeof(path), "%s/sys/kernel/mm/hugepages/"
		    "hugepages-%ukB/free_hugepages", root, n.page_kib);
		long long free_pages = read_num(path);
		if (free_pages < 0) {
			snprintf(err, errlen, "memorybacking: the host has no "
			    "%u kB hugepages (no %s)", n.page_kib, path);
			return -1;
		}
		if ((unsigned long long)free_pages < n.pages) {
			snprintf(err, errlen, "memorybacking: %llu hugepages of "
			    "%u kB needed, the host has %lld free (echo N > "
			    "/sys/kernel/mm/hugepages/hugepages-%ukB/"
			    "nr_hugepages)", (unsigned long long)n.pages,
			    n.page_kib, free_pages, n.page_kib);
			return -1;
		}
	}
	if (n.path != NULL) {
		snprintf(path, sizeof(path), "%s%s", root, n.path);
		if (stat(path, &st) == -1) {
			snprintf(err, errlen, "memorybacking: path %s: %s",
			    n.path, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "memorybacking: path %s is not a "
			    "directory", n.path);
			return -1;
		}
		if (n.page_kib && *root == '\0' && (statfs(path, &sf) == -1 ||
		    (unsigned long)sf.f_type != HUGETLBFS_MAGIC)) {
			snprintf(err, errlen, "memorybacking: path %s is not a "
			    "hugetlbfs mount (mount -t hugetlbfs -o pagesize=%uK "
			    "none %s)", n.path, n.page_kib, n.path);
			return -1;
		}
	}
	for (int i = 0; i < 64; i++) {
		if (!(n.host_nodes & (1ULL << i)))
			continue;
		snprintf(path, sizeof(path), "%s/sys/devices/system/node/node%d",
		    root, i);
		if (access(path, F_OK) == -1) {
			snprintf(err, errlen, "hostnodes: the host has no NUMA "
			    "node %d", i);
			return -1;
		}
	}
	return 0;
}
