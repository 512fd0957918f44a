/*
 * virtio_mem: SIZE[,requested=SIZE][,node=N][,block=SIZE].  A virtio-mem
 * device "vmem0" (virtio-mem-pci) on the memory backend "mem-vmem0" of
 * SIZE (memorybacking:'s kind): the guest gets as much of it as
 * requested-size says, which setmem --hotplug changes while it runs
 * (qom-set).  SIZE fits maxmemory beside memory and the DIMMs.  The
 * guest needs a virtio_mem driver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "memback.h"
#include "memdef.h"
#include "props.h"
#include "util.h"

#define VMEM_BLOCK_MIB	2	/* QEMU's default on x86: the THP size */

struct vmem {
	uint64_t	size, requested, block;	/* MiB; block 0: QEMU's */
	int		node;			/* -1: not given */
};

extern const struct devkind devkind_virtiomem;

static struct vmem *
vmem_of(const struct vmdef *d)
{
	for (size_t i = 0; i < d->ndevs; i++)
		if (d->devs[i].kind == &devkind_virtiomem)
			return d->devs[i].conf;
	return NULL;
}

static void *
vmem_parse(const char *v, char *err, size_t errlen)
{
	struct vmem *m = xcalloc(1, sizeof(*m));
	struct props p;
	const char *s;

	m->node = -1;
	if (props_parse(v, &p, err, errlen) == -1) {
		free(m);
		return NULL;
	}
	if (memback_dev_size(&p, "1G", &m->size, err, errlen) == -1)
		goto fail;
	if ((s = props_get(&p, "requested")) != NULL && strcmp(s, "0") != 0 &&
	    memback_mib("requested", s, &m->requested, err, errlen) == -1)
		goto fail;
	if ((s = props_get(&p, "block")) != NULL &&
	    memback_mib("block", s, &m->block, err, errlen) == -1)
		goto fail;
	if (memback_dev_node(&p, &m->node, err, errlen) == -1)
		goto fail;
	if (def_unused(&p, err, errlen) == -1)
		goto fail;
	uint64_t blk = m->block ? m->block : VMEM_BLOCK_MIB;
	if (m->block & (m->block - 1)) {
		def_err(err, errlen, "block %lluM is not a power of 2",
		    (unsigned long long)m->block);
		goto fail;
	}
	if (m->size % blk != 0 || m->requested % blk != 0) {
		def_err(err, errlen, "size and requested must be whole numbers "
		    "of the %lluM block", (unsigned long long)blk);
		goto fail;
	}
	if (m->requested > m->size) {
		def_err(err, errlen, "requested %lluM is more than size %lluM",
		    (unsigned long long)m->requested,
		    (unsigned long long)m->size);
		goto fail;
	}
	props_free(&p);
	return m;
fail:
	props_free(&p);
	free(m);
	return NULL;
}

static char *
vmem_print(const void *conf)
{
	const struct vmem *m = conf;
	char req[32] = "", blk[32] = "", node[16] = "";

	if (m->requested)
		snprintf(req, sizeof(req), ",requested=%lluM",
		    (unsigned long long)m->requested);
	if (m->block)
		snprintf(blk, sizeof(blk), ",block=%lluM",
		    (unsigned long long)m->block);
	if (m->node >= 0)
		snprintf(node, sizeof(node), ",node=%d", m->node);
	return xasprintf("%lluM%s%s%s", (unsigned long long)m->size, req, node,
	    blk);
}

static void
vmem_free(void *conf)
{
	free(conf);
}

static void *
vmem_dup(const void *conf)
{
	return xmemdup(conf, sizeof(struct vmem));
}

static int
vmem_check(const struct vmdef *d, const void *const *confs, size_t n,
    char *err, size_t errlen)
{
	const struct vmem *m = confs[0];
	uint64_t sum = d->memory_mib + vmdef_dimm_mib(d) + m->size;

	(void)n;
	if (def_microvm(d))
		return def_err(err, errlen, "not on microvm");
	if (d->maxmem_mib == 0)
		return def_err(err, errlen, "needs memory's maxmemory=");
	if (sum > d->maxmem_mib)
		return def_err(err, errlen, "memory, DIMMs and virtio-mem come to "
		    "%lluM, more than maxmemory %lluM", (unsigned long long)sum,
		    (unsigned long long)d->maxmem_mib);
	if (memback_page_mib(d))
		return def_err(err, errlen, "not with hugepages");
	if (m->node >= 0 && (size_t)m->node >= (numa_nodes(d) ?
	    numa_nodes(d) : 1))
		return def_err(err, errlen, "node %d: the guest has %zu NUMA "
		    "nodes", m->node, numa_nodes(d) ? numa_nodes(d) : (size_t)1);
	return 0;
}

static void
vmem_options(const struct vmdef *d, const void *conf,
    const struct vmpaths *p, struct argv *a)
{
	const struct vmem *m = conf;
	struct json_object *o = memback_object(d, "mem-vmem0", m->size, NULL,
	    NULL);

	(void)p;
	argv_add(a, "-object");
	argv_add(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static struct json_object *
vmem_device(const struct vmdef *d, const void *conf, unsigned n)
{
	const struct vmem *m = conf;
	struct json_object *o = json_object_new_object();

	(void)n;
	json_object_object_add(o, "driver",
	    json_object_new_string("virtio-mem-pci"));
	json_object_object_add(o, "id", json_object_new_string("vmem0"));
	json_object_object_add(o, "memdev",
	    json_object_new_string("mem-vmem0"));
	json_object_object_add(o, "requested-size",
	    json_object_new_int64((int64_t)(m->requested << 20)));
	if (m->block)
		json_object_object_add(o, "block-size",
		    json_object_new_int64((int64_t)(m->block << 20)));
	if (m->node >= 0 || numa_nodes(d) > 0)
		json_object_object_add(o, "node",
		    json_object_new_int(m->node >= 0 ? m->node : 0));
	return dev_pci(o);
}

const struct devkind devkind_virtiomem = {
	.key = "virtio_mem",
	.parse = vmem_parse,
	.print = vmem_print,
	.free = vmem_free,
	.dup = vmem_dup,
	.check = vmem_check,
	.options = vmem_options,
	.device = vmem_device,
};

int
vmdef_virtiomem_resize(struct vmdef *d, uint64_t mib,
    struct json_object **steps, char *err, size_t errlen)
{
	struct vmem *m = vmem_of(d);
	uint64_t blk;

	if (m == NULL)
		return def_err(err, errlen, "no virtio_mem: line (a virtio-mem "
		    "device) in the definition");
	blk = m->block ? m->block : VMEM_BLOCK_MIB;
	if (mib > m->size)
		return def_err(err, errlen, "%lluM is more than the virtio-mem "
		    "device's size %lluM", (unsigned long long)mib,
		    (unsigned long long)m->size);
	if (mib % blk != 0)
		return def_err(err, errlen, "%lluM is not a whole number of the "
		    "%lluM block", (unsigned long long)mib,
		    (unsigned long long)blk);
	m->requested = mib;
	char *v = vmem_print(m);
	vmdef_text_set(d, "virtio_mem", v);
	free(v);
	if (steps == NULL)
		return 0;
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "path",
	    json_object_new_string("/machine/peripheral/vmem0"));
	json_object_object_add(a, "property",
	    json_object_new_string("requested-size"));
	json_object_object_add(a, "value",
	    json_object_new_int64((int64_t)(mib << 20)));
	*steps = json_object_new_array();
	def_step(*steps, "qom-set", a, NULL, NULL);
	return 0;
}
