/*
 * What the supervisor asks of a definition's memory beyond memory:
 * memorybacking:, numa: and dimm: lines (qlaunch.conf(5)).
 */
#ifndef LAUNCHER_MEMDEF_H
#define LAUNCHER_MEMDEF_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct vmdef;

/* What the host must have for QEMU to start the definition. */
struct vmdef_memneed {
	unsigned	 page_kib;	/* hugepages: 2048 or 1048576; 0: none */
	uint64_t	 pages;		/* of them, for all guest memory */
	const char	*path;		/* source=file's directory, or NULL */
	uint64_t	 host_nodes;	/* bit mask of host nodes bound to */
};
void		 vmdef_mem_needs(const struct vmdef *, struct vmdef_memneed *);
/*
 * DIMMs (dimm: lines).  DIMM n is the pc-dimm "memdimmN" on the memory
 * backend "mem-N", N its id= (stable across unplugs).
 */
size_t		 vmdef_dimm_count(const struct vmdef *);
/* All DIMMs' memory, MiB. */
uint64_t	 vmdef_dimm_mib(const struct vmdef *);
/*
 * Hot-plug: add one "dimm:" line (with the lowest free id) to d, checked
 * as vmdef_set and vmdef_check would (maxmemory, slots), and give the
 * steps, as vmdef_disk_plug's: object-add of its backend (undo
 * object-del), device_add of the pc-dimm (undo device_del).  *idp: its
 * id.  d is unchanged on error.
 */
int		 vmdef_dimm_plug(struct vmdef *, const char *value,
		    unsigned *idp, struct json_object **steps, char *err,
		    size_t errlen);
/*
 * Remove the DIMM with id from d and give the steps that unplug it:
 * device_del memdimmN (the caller waits for DEVICE_DELETED), then
 * object-del mem-N; no undo.  steps NULL: only d changes.
 */
int		 vmdef_dimm_unplug(struct vmdef *, unsigned id,
		    struct json_object **steps, char *err, size_t errlen);
/*
 * virtio-mem (virtio_mem: line): the guest is to have mib of the device
 * (requested-size; a whole number of its blocks, at most its size).  d's
 * line changes; steps (when not NULL) get the qom-set of vmem0's
 * requested-size, with no undo.  d is unchanged on error.
 */
int		 vmdef_virtiomem_resize(struct vmdef *, uint64_t mib,
		    struct json_object **steps, char *err, size_t errlen);

#endif
