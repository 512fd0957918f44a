/*
 * Guest memory beyond memory: what memorybacking: (memback.c), numa:
 * (dev-numa.c) and dimm: (dev-dimm.c) share inside def/: the backend
 * objects they put on the command line and hot-plug, and sizes and host
 * node ranges in their syntax.  The supervisor asks memdef.h.
 */
#ifndef LAUNCHER_MEMBACK_H
#define LAUNCHER_MEMBACK_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct vmdef;

/* A host node range: lo..hi, lo -1 for none. */
struct noderange {
	int	lo, hi;
};

/*
 * A memory backend object, shaped as object-add's arguments and as
 * -object's JSON: memory-backend-ram, -file or -memfd as memorybacking:
 * says, of mib MiB, bound to the host nodes hn with policy (NULL: the
 * memorybacking line's, if any).
 */
struct json_object *memback_object(const struct vmdef *, const char *id,
		    uint64_t mib, const struct noderange *hn,
		    const char *policy);
/* The hugepage size memorybacking asks for in MiB; 0: none. */
unsigned	 memback_page_mib(const struct vmdef *);
/* A size in MiB (a plain number is MiB, or with a suffix), at least 1. */
int		 memback_mib(const char *what, const char *v, uint64_t *mib,
		    char *err, size_t errlen);
/*
 * A hot-plugged memory device's size: its first operand or size= (eg
 * the example its error shows), in MiB as memback_mib.
 */
struct props;
int		 memback_dev_size(struct props *, const char *eg,
		    uint64_t *mib, char *err, size_t errlen);
/* Its node= (0 to 15) into *node; left as it is when absent. */
int		 memback_dev_node(struct props *, int *node, char *err,
		    size_t errlen);
/* "N" or "N-M" (what: "cpus", "hostnodes"), up to max. */
int		 memback_range(const char *what, const char *v, unsigned max,
		    struct noderange *r, char *err, size_t errlen);
/* "bind", "preferred", "interleave"; the canonical word, or NULL. */
const char	*memback_policy(const char *v);
/*
 * What memorybacking: asks of the host for total_mib of guest memory:
 * hugepages, a file source's directory, host nodes (n zeroed first).
 */
struct vmdef_memneed;
void		 memback_needs(const struct vmdef *, uint64_t total_mib,
		    struct vmdef_memneed *n);
/* The numa: line's node count (dev-numa.c); 0: none. */
size_t		 numa_nodes(const struct vmdef *);
/* Host nodes used by the numa: line's nodes, as a bit mask (dev-numa.c). */
uint64_t	 numa_host_mask(const struct vmdef *);

#endif
