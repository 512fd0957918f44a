/*
 * numa: node0=cpus=0-1,mem=1G[,hostnodes=N[-M],policy=bind]; node1=...
 * The guest's NUMA nodes: each a memory backend of its own ("ram-nodeN",
 * memorybacking:'s kind, optionally bound to host nodes) and
 * -numa node,nodeid=N,cpus=A-B,memdev=ram-nodeN.  The nodes' memory adds
 * up to memory:, and their CPUs are vCPUs the VM can have.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "memback.h"
#include "props.h"
#include "util.h"

#define MAX_NODES	16

struct numanode {
	struct noderange cpus;
	uint64_t	 mib;
	struct noderange hn;		/* lo -1: not bound */
	const char	*policy;	/* static */
};

struct numa {
	size_t		 n;
	struct numanode	 node[MAX_NODES];
};

extern const struct devkind devkind_numa;

static const struct numa *
numa_of(const struct vmdef *d)
{
	for (size_t i = 0; i < d->ndevs; i++)
		if (d->devs[i].kind == &devkind_numa)
			return d->devs[i].conf;
	return NULL;
}

size_t
numa_nodes(const struct vmdef *d)
{
	const struct numa *u = numa_of(d);

	return u != NULL ? u->n : 0;
}

uint64_t
numa_host_mask(const struct vmdef *d)
{
	const struct numa *u = numa_of(d);
	uint64_t mask = 0;

	for (size_t i = 0; u != NULL && i < u->n; i++)
		for (int h = u->node[i].hn.lo; h >= 0 && h <= u->node[i].hn.hi;
		    h++)
			mask |= 1ULL << h;
	return mask;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "cpus=0-1,mem=1G,hostnodes=0,policy=bind" of node i. */
static int
parse_node(const char *v, struct numanode *nd, char *err, size_t errlen)
{
	struct props p;
	const char *s;
	int r = -1;

	nd->hn.lo = -1;
	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	if ((s = props_get(&p, "cpus")) == NULL) {
		def_err(err, errlen, "no cpus= (e.g. cpus=0-1)");
		goto out;
	}
	if (memback_range("cpus", s, 287, &nd->cpus, err, errlen) == -1)
		goto out;
	if ((s = props_get(&p, "mem")) == NULL &&
	    (s = props_get(&p, "memory")) == NULL) {
		def_err(err, errlen, "no mem= (e.g. mem=1G)");
		goto out;
	}
	if (memback_mib("mem", s, &nd->mib, err, errlen) == -1)
		goto out;
	if ((s = props_get(&p, "hostnodes")) != NULL &&
	    memback_range("hostnodes", s, 63, &nd->hn, err, errlen) == -1)
		goto out;
	if ((s = props_get(&p, "policy")) != NULL &&
	    (nd->policy = memback_policy(s)) == NULL) {
		def_err(err, errlen, "policy '%s' is not bind, preferred or "
		    "interleave", s);
		goto out;
	}
	if (def_unused(&p, err, errlen) == -1)
		goto out;
	if (nd->policy != NULL && nd->hn.lo < 0) {
		def_err(err, errlen, "policy needs hostnodes");
		goto out;
	}
	if (nd->hn.lo >= 0 && nd->policy == NULL)
		nd->policy = "bind";
	r = 0;
out:
	props_free(&p);
	return r;
}

static void *
numa_parse(const char *v, char *err, size_t errlen)
{
	struct numa *u = xcalloc(1, sizeof(*u));
	char *copy = xstrdup(v), *save = NULL, *one, *eq, *end;
	char why[256];

	for (one = strtok_r(copy, ";", &save); one != NULL;
	    one = strtok_r(NULL, ";", &save)) {
		one = trim(one);
		if (*one == '\0')
			continue;
		if (strncmp(one, "node", 4) != 0 ||
		    (eq = strchr(one, '=')) == NULL) {
			def_err(err, errlen, "'%s' is not nodeN=cpus=...,mem=...",
			    one);
			goto fail;
		}
		*eq = '\0';
		unsigned long id = strtoul(one + 4, &end, 10);
		if (one[4] == '\0' || *end != '\0' || id != u->n) {
			def_err(err, errlen, "'%s': nodes are node0, node1, ... "
			    "in order", one);
			goto fail;
		}
		if (u->n == MAX_NODES) {
			def_err(err, errlen, "more than %d nodes", MAX_NODES);
			goto fail;
		}
		if (parse_node(eq + 1, &u->node[u->n], why, sizeof(why)) == -1) {
			def_err(err, errlen, "%s: %s", one, why);
			goto fail;
		}
		u->n++;
	}
	if (u->n == 0) {
		def_err(err, errlen, "no nodes (node0=cpus=0,mem=512M; ...)");
		goto fail;
	}
	free(copy);
	return u;
fail:
	free(copy);
	free(u);
	return NULL;
}

static void
range_text(char *buf, size_t len, const struct noderange *r)
{
	if (r->lo == r->hi)
		snprintf(buf, len, "%d", r->lo);
	else
		snprintf(buf, len, "%d-%d", r->lo, r->hi);
}

static char *
numa_print(const void *conf)
{
	const struct numa *u = conf;
	char *s = xstrdup(""), *n, c[32], h[32];

	for (size_t i = 0; i < u->n; i++) {
		const struct numanode *nd = &u->node[i];
		range_text(c, sizeof(c), &nd->cpus);
		h[0] = '\0';
		if (nd->hn.lo >= 0) {
			char r[24];
			range_text(r, sizeof(r), &nd->hn);
			snprintf(h, sizeof(h), ",hostnodes=%s,policy=%s", r,
			    nd->policy);
		}
		n = xasprintf("%s%snode%zu=cpus=%s,mem=%llu%s", s,
		    i ? "; " : "", i, c, (unsigned long long)nd->mib, h);
		free(s);
		s = n;
	}
	return s;
}

static void
numa_free(void *conf)
{
	free(conf);
}

static void *
numa_dup(const void *conf)
{
	return xmemdup(conf, sizeof(struct numa));
}

static int
numa_check(const struct vmdef *d, const void *const *confs, size_t n,
    char *err, size_t errlen)
{
	const struct numa *u = confs[0];
	unsigned maxcpus = d->maxvcpus ? d->maxvcpus : d->vcpus;
	unsigned page = memback_page_mib(d);
	uint64_t sum = 0;
	char used[288] = { 0 };

	(void)n;
	if (def_microvm(d))
		return def_err(err, errlen, "not on microvm");
	for (size_t i = 0; i < u->n; i++) {
		const struct numanode *nd = &u->node[i];
		sum += nd->mib;
		if ((unsigned)nd->cpus.hi >= maxcpus)
			return def_err(err, errlen, "node%zu: cpus %d-%d: "
			    "the VM has vCPUs 0-%u", i, nd->cpus.lo, nd->cpus.hi,
			    maxcpus - 1);
		for (int c = nd->cpus.lo; c <= nd->cpus.hi; c++) {
			if (used[c])
				return def_err(err, errlen, "vCPU %d is in "
				    "two nodes", c);
			used[c] = 1;
		}
		if (page && nd->mib % page != 0)
			return def_err(err, errlen, "node%zu: mem %lluM is "
			    "not a whole number of %uM hugepages", i,
			    (unsigned long long)nd->mib, page);
	}
	if (sum != d->memory_mib)
		return def_err(err, errlen, "the nodes' memory adds up to "
		    "%lluM, memory is %lluM", (unsigned long long)sum,
		    (unsigned long long)d->memory_mib);
	return 0;
}

static void
numa_options(const struct vmdef *d, const void *conf,
    const struct vmpaths *p, struct argv *a)
{
	const struct numa *u = conf;
	char id[24], c[32];

	(void)p;
	for (size_t i = 0; i < u->n; i++) {
		const struct numanode *nd = &u->node[i];
		snprintf(id, sizeof(id), "ram-node%zu", i);
		struct json_object *o = memback_object(d, id, nd->mib,
		    nd->hn.lo >= 0 ? &nd->hn : NULL, nd->policy);
		argv_add(a, "-object");
		argv_add(a, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		range_text(c, sizeof(c), &nd->cpus);
		argv_add(a, "-numa");
		argv_addf(a, "node,nodeid=%zu,cpus=%s,memdev=%s", i, c, id);
	}
}

const struct devkind devkind_numa = {
	.key = "numa",
	.parse = numa_parse,
	.print = numa_print,
	.free = numa_free,
	.dup = numa_dup,
	.check = numa_check,
	.options = numa_options,
};
