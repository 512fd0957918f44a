/*
 * What the host must have for a definition's memory (memdef.h): the
 * memorybacking line's needs for all the guest's memory (memory and the
 * DIMMs) and the host nodes its NUMA nodes are bound to.  Above
 * memback.c, dev-dimm.c and dev-numa.c, which build on memback.c.
 */
#include <stdint.h>

#include "memback.h"
#include "memdef.h"
#include "vmdef.h"

void
vmdef_mem_needs(const struct vmdef *d, struct vmdef_memneed *n)
{
	memback_needs(d, d->memory_mib + vmdef_dimm_mib(d), n);
	n->host_nodes |= numa_host_mask(d);
}
