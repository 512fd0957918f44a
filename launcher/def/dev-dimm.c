/*
 * dimm: SIZE[,node=N][,id=N] (repeatable).  A DIMM beyond memory:, as
 * virsh's <memory model='dimm'>: the pc-dimm "memdimmN" on the memory
 * backend "mem-N" (memorybacking:'s kind), N its id (written in the line
 * when hot-plugged, so that it stays when another DIMM goes; a line
 * without one has its place among the dimm: lines).  All of memory and
 * the DIMMs fit maxmemory, and the DIMMs its slots.  Hot-plug and
 * unplug (memdef.h) are here too.
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

#define MAX_DIMM_ID	255

struct dimm {
	uint64_t	mib;
	int		node;	/* -1: none given (node 0 with numa:) */
	int		id;	/* -1: its place among the lines */
};

extern const struct devkind devkind_dimm;

static struct dimm *
dimm_at(const struct vmdef *d, size_t i, size_t *linep)
{
	for (size_t j = 0, m = 0; j < d->ndevs; j++)
		if (d->devs[j].kind == &devkind_dimm && m++ == i) {
			if (linep != NULL)
				*linep = j;
			return d->devs[j].conf;
		}
	return NULL;
}

size_t
vmdef_dimm_count(const struct vmdef *d)
{
	size_t n = 0;

	for (size_t j = 0; j < d->ndevs; j++)
		n += d->devs[j].kind == &devkind_dimm;
	return n;
}

uint64_t
vmdef_dimm_mib(const struct vmdef *d)
{
	uint64_t sum = 0;
	const struct dimm *m;

	for (size_t i = 0; (m = dimm_at(d, i, NULL)) != NULL; i++)
		sum += m->mib;
	return sum;
}

/* The id of the DIMM conf (given, or its place among the lines). */
static unsigned
dimm_id(const struct vmdef *d, const struct dimm *m)
{
	const struct dimm *x;
	unsigned i;

	if (m->id >= 0)
		return (unsigned)m->id;
	for (i = 0; (x = dimm_at(d, i, NULL)) != NULL; i++)
		if (x == m)
			break;
	return i;
}

static void *
dimm_parse(const char *v, char *err, size_t errlen)
{
	struct dimm *m = xcalloc(1, sizeof(*m));
	struct props p;
	const char *s;
	unsigned u;

	m->node = m->id = -1;
	if (props_parse(v, &p, err, errlen) == -1) {
		free(m);
		return NULL;
	}
	if (memback_dev_size(&p, "512M", &m->mib, err, errlen) == -1 ||
	    memback_dev_node(&p, &m->node, err, errlen) == -1)
		goto fail;
	if ((s = props_get(&p, "id")) != NULL) {
		if (def_uint("id", s, 0, MAX_DIMM_ID, &u, err, errlen) == -1)
			goto fail;
		m->id = (int)u;
	}
	if (def_unused(&p, err, errlen) == -1)
		goto fail;
	props_free(&p);
	return m;
fail:
	props_free(&p);
	free(m);
	return NULL;
}

static char *
dimm_print(const void *conf)
{
	const struct dimm *m = conf;
	char node[16] = "", id[16] = "";

	if (m->node >= 0)
		snprintf(node, sizeof(node), ",node=%d", m->node);
	if (m->id >= 0)
		snprintf(id, sizeof(id), ",id=%d", m->id);
	return xasprintf("%lluM%s%s", (unsigned long long)m->mib, node, id);
}

static void
dimm_free(void *conf)
{
	free(conf);
}

static void *
dimm_dup(const void *conf)
{
	return xmemdup(conf, sizeof(struct dimm));
}

static int
dimm_check(const struct vmdef *d, const void *const *confs, size_t n,
    char *err, size_t errlen)
{
	unsigned page = memback_page_mib(d);
	uint64_t sum = d->memory_mib;
	unsigned char used[MAX_DIMM_ID + 1] = { 0 };

	if (def_microvm(d))
		return def_err(err, errlen, "microvm has no DIMMs");
	if (d->maxmem_mib == 0)
		return def_err(err, errlen, "needs memory's maxmemory= "
		    "and slots=");
	if (n > d->slots)
		return def_err(err, errlen, "%zu DIMMs, but memory has "
		    "%u slots", n, d->slots);
	for (size_t i = 0; i < n; i++) {
		const struct dimm *m = confs[i];
		unsigned id = dimm_id(d, m);
		sum += m->mib;
		if (id > MAX_DIMM_ID || used[id]++)
			return def_err(err, errlen, "id %u is given twice",
			    id);
		if (page && m->mib % page != 0)
			return def_err(err, errlen, "%lluM is not a whole "
			    "number of %uM hugepages",
			    (unsigned long long)m->mib, page);
		if (m->node >= 0 && (size_t)m->node >= (numa_nodes(d) ?
		    numa_nodes(d) : 1))
			return def_err(err, errlen, "node %d: the guest "
			    "has %zu NUMA nodes", m->node, numa_nodes(d) ?
			    numa_nodes(d) : (size_t)1);
	}
	if (sum > d->maxmem_mib)
		return def_err(err, errlen, "memory and DIMMs come to "
		    "%lluM, more than maxmemory %lluM", (unsigned long long)sum,
		    (unsigned long long)d->maxmem_mib);
	return 0;
}

static struct json_object *
backend(const struct vmdef *d, const struct dimm *m)
{
	char id[24];

	snprintf(id, sizeof(id), "mem-%u", dimm_id(d, m));
	return memback_object(d, id, m->mib, NULL, NULL);
}

static void
dimm_options(const struct vmdef *d, const void *conf,
    const struct vmpaths *p, struct argv *a)
{
	struct json_object *o = backend(d, conf);

	(void)p;
	argv_add(a, "-object");
	argv_add(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static struct json_object *
dimm_device(const struct vmdef *d, const void *conf, unsigned n)
{
	const struct dimm *m = conf;
	struct json_object *o = json_object_new_object();
	char id[24];
	unsigned k = dimm_id(d, m);

	(void)n;
	json_object_object_add(o, "driver", json_object_new_string("pc-dimm"));
	snprintf(id, sizeof(id), "memdimm%u", k);
	json_object_object_add(o, "id", json_object_new_string(id));
	snprintf(id, sizeof(id), "mem-%u", k);
	json_object_object_add(o, "memdev", json_object_new_string(id));
	if (m->node >= 0 || numa_nodes(d) > 0)
		json_object_object_add(o, "node",
		    json_object_new_int(m->node >= 0 ? m->node : 0));
	return o;
}

const struct devkind devkind_dimm = {
	.key = "dimm",
	.repeat = 1,
	.parse = dimm_parse,
	.print = dimm_print,
	.free = dimm_free,
	.dup = dimm_dup,
	.check = dimm_check,
	.options = dimm_options,
	.device = dimm_device,
};

/* Every DIMM line gets its id written in, so that none moves later. */
static void
pin_ids(struct vmdef *d)
{
	struct dimm *m;

	for (size_t i = 0; (m = dimm_at(d, i, NULL)) != NULL; i++) {
		if (m->id >= 0)
			continue;
		m->id = (int)dimm_id(d, m);
		char *v = dimm_print(m);
		vmdef_text_set_nth(d, "dimm", i, v);
		free(v);
	}
}

int
vmdef_dimm_plug(struct vmdef *d, const char *value, unsigned *idp,
    struct json_object **steps, char *err, size_t errlen)
{
	struct vmdef *nd = vmdef_dup(d);
	unsigned char used[MAX_DIMM_ID + 2] = { 0 };
	struct dimm *m;
	size_t i, n;
	unsigned id;

	pin_ids(nd);
	for (i = 0; (m = dimm_at(nd, i, NULL)) != NULL; i++)
		used[m->id] = 1;
	for (id = 0; id <= MAX_DIMM_ID && used[id]; id++)
		;
	if (vmdef_set(nd, "dimm", value, err, errlen) == -1)
		goto fail;
	n = vmdef_dimm_count(nd);
	m = dimm_at(nd, n - 1, NULL);
	if (m->id < 0)
		m->id = (int)id;
	if (vmdef_check(nd, err, errlen) == -1)
		goto fail;
	char *v = dimm_print(m);
	vmdef_text_set_nth(nd, "dimm", n - 1, v);
	free(v);
	if (steps != NULL) {
		char bid[24];
		struct json_object *s = json_object_new_array();
		snprintf(bid, sizeof(bid), "mem-%d", m->id);
		def_step(s, "object-add", backend(nd, m), "object-del",
		    def_args1("id", bid));
		struct json_object *o = dimm_device(nd, m, 0);
		def_step(s, "device_add", o, "device_del", def_args1("id",
		    json_object_get_string(json_object_object_get(o, "id"))));
		*steps = s;
	}
	*idp = (unsigned)m->id;
	def_take(d, nd);
	return 0;
fail:
	vmdef_free(nd);
	return -1;
}

int
vmdef_dimm_unplug(struct vmdef *d, unsigned id, struct json_object **steps,
    char *err, size_t errlen)
{
	struct vmdef *nd = vmdef_dup(d);
	struct dimm *m;
	size_t i, line;

	pin_ids(nd);
	for (i = 0; (m = dimm_at(nd, i, &line)) != NULL; i++)
		if ((unsigned)m->id == id)
			break;
	if (m == NULL) {
		vmdef_free(nd);
		return def_err(err, errlen, "no DIMM memdimm%u", id);
	}
	dimm_free(nd->devs[line].conf);
	memmove(&nd->devs[line], &nd->devs[line + 1],
	    (nd->ndevs - line - 1) * sizeof(nd->devs[0]));
	nd->ndevs--;
	vmdef_text_set_nth(nd, "dimm", i, NULL);
	if (vmdef_check(nd, err, errlen) == -1) {
		vmdef_free(nd);
		return -1;
	}
	def_take(d, nd);
	if (steps == NULL)
		return 0;
	char did[24], bid[24];
	struct json_object *s = json_object_new_array();
	snprintf(did, sizeof(did), "memdimm%u", id);
	snprintf(bid, sizeof(bid), "mem-%u", id);
	def_step(s, "device_del", def_args1("id", did), NULL, NULL);
	def_step(s, "object-del", def_args1("id", bid), NULL, NULL);
	*steps = s;
	return 0;
}
