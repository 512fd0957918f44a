/*
 * memorybacking: hugepages=2M|1G,source=anonymous|file|memfd,path=DIR,
 * shared=on,prealloc=on,locked=on,mergeable=on|off,hostnodes=N[-M],
 * policy=bind|preferred|interleave.  The guest's RAM as a backend object
 * of its own ("pc.ram", -machine memory-backend=, as libvirt names it),
 * or each NUMA node's; locked is -overcommit mem-lock=on, mergeable
 * the backends' merge (KSM).  Also the backend objects numa: and dimm:
 * use (memback.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "memback.h"
#include "memdef.h"
#include "parse.h"
#include "props.h"
#include "props.h"
#include "util.h"

enum msrc { SRC_ANON, SRC_FILE, SRC_MEMFD };
static const char *const src_names[] = { "anonymous", "file", "memfd" };
static const char *const src_types[] = { "memory-backend-ram",
    "memory-backend-file", "memory-backend-memfd" };

struct memback {
	unsigned	 page_mib;	/* 0, 2 or 1024 */
	int		 src_given;
	enum msrc	 src;
	char		*path;		/* source=file: the directory */
	int		 shared, prealloc, locked;
	int		 merge;		/* -1: QEMU's default */
	struct noderange hn;
	const char	*policy;	/* static; NULL: none */
};

extern const struct devkind devkind_memback;

static const struct memback *
memback_of(const struct vmdef *d)
{
	for (size_t i = 0; i < d->ndevs; i++)
		if (d->devs[i].kind == &devkind_memback)
			return d->devs[i].conf;
	return NULL;
}

int
memback_mib(const char *what, const char *v, uint64_t *mib, char *err,
    size_t errlen)
{
	uint64_t bytes;
	const char *e;

	if (parse_size(v, &bytes, &e) == -1)
		return def_err(err, errlen, "%s '%s': %s", what, v, e);
	if (bytes % (1 << 20) != 0 || bytes == 0)
		return def_err(err, errlen, "%s '%s' is not a whole number of "
		    "MiB", what, v);
	*mib = bytes >> 20;
	return 0;
}

int
memback_dev_size(struct props *p, const char *eg, uint64_t *mib, char *err,
    size_t errlen)
{
	const char *s;

	if ((s = props_pos(p, 0)) == NULL && (s = props_get(p, "size")) ==
	    NULL) {
		def_err(err, errlen, "no size given (e.g. %s)", eg);
		return -1;
	}
	return memback_mib("size", s, mib, err, errlen);
}

int
memback_dev_node(struct props *p, int *node, char *err, size_t errlen)
{
	const char *s = props_get(p, "node");
	unsigned u;

	if (s == NULL)
		return 0;
	if (def_uint("node", s, 0, 15, &u, err, errlen) == -1)
		return -1;
	*node = (int)u;
	return 0;
}

int
memback_range(const char *what, const char *v, unsigned max,
    struct noderange *r, char *err, size_t errlen)
{
	unsigned lo, hi;
	char lo_s[16], *dash;

	if (strlen(v) >= sizeof(lo_s))
		goto bad;
	strlcpy(lo_s, v, sizeof(lo_s));
	if ((dash = strchr(lo_s, '-')) != NULL)
		*dash++ = '\0';
	if (def_uint(what, lo_s, 0, max, &lo, err, errlen) == -1)
		return -1;
	hi = lo;
	if (dash != NULL && def_uint(what, dash, 0, max, &hi, err,
	    errlen) == -1)
		return -1;
	if (hi < lo)
		goto bad;
	r->lo = (int)lo;
	r->hi = (int)hi;
	return 0;
bad:
	return def_err(err, errlen, "%s '%s' is not N or N-M", what, v);
}

const char *
memback_policy(const char *v)
{
	static const char *const names[] = { "bind", "preferred",
	    "interleave" };

	for (size_t i = 0; i < nitems(names); i++)
		if (strcmp(v, names[i]) == 0)
			return names[i];
	return NULL;
}

static int
get_onoff(struct props *p, const char *key, int *out, char *err,
    size_t errlen)
{
	const char *s = props_get(p, key);

	if (s == NULL)
		return 0;
	if (parse_bool(s, out) == -1)
		return def_err(err, errlen, "%s '%s' is not on or off", key, s);
	return 0;
}

static void
mb_free(void *conf)
{
	struct memback *m = conf;

	if (m == NULL)
		return;
	free(m->path);
	free(m);
}

static void *
mb_parse(const char *v, char *err, size_t errlen)
{
	struct memback *m = xcalloc(1, sizeof(*m));
	struct props p;
	const char *s;
	size_t i;

	m->merge = -1;
	m->hn.lo = -1;
	if (props_parse(v, &p, err, errlen) == -1) {
		free(m);
		return NULL;
	}
	if ((s = props_get(&p, "hugepages")) != NULL) {
		if (strcmp(s, "2M") == 0 || strcmp(s, "2048k") == 0)
			m->page_mib = 2;
		else if (strcmp(s, "1G") == 0 || strcmp(s, "1048576k") == 0)
			m->page_mib = 1024;
		else {
			def_err(err, errlen, "hugepages '%s' is not 2M or 1G", s);
			goto fail;
		}
	}
	if ((s = props_get(&p, "source")) != NULL) {
		for (i = 0; i < nitems(src_names); i++)
			if (strcmp(s, src_names[i]) == 0)
				break;
		if (i == nitems(src_names)) {
			def_err(err, errlen, "source '%s' is not anonymous, file "
			    "or memfd", s);
			goto fail;
		}
		m->src = (enum msrc)i;
		m->src_given = 1;
	} else if (m->page_mib)
		m->src = SRC_MEMFD;	/* no hugetlbfs mount needed */
	if ((s = props_get(&p, "path")) != NULL) {
		if (s[0] != '/') {
			def_err(err, errlen, "path '%s' is not absolute", s);
			goto fail;
		}
		m->path = xstrdup(s);
	}
	if (get_onoff(&p, "shared", &m->shared, err, errlen) == -1 ||
	    get_onoff(&p, "prealloc", &m->prealloc, err, errlen) == -1 ||
	    get_onoff(&p, "locked", &m->locked, err, errlen) == -1 ||
	    get_onoff(&p, "mergeable", &m->merge, err, errlen) == -1)
		goto fail;
	if ((s = props_get(&p, "hostnodes")) != NULL &&
	    memback_range("hostnodes", s, 63, &m->hn, err, errlen) == -1)
		goto fail;
	if ((s = props_get(&p, "policy")) != NULL &&
	    (m->policy = memback_policy(s)) == NULL) {
		def_err(err, errlen, "policy '%s' is not bind, preferred or "
		    "interleave", s);
		goto fail;
	}
	if (def_unused(&p, err, errlen) == -1)
		goto fail;
	if (m->page_mib && m->src == SRC_ANON) {
		def_err(err, errlen, "hugepages need source=memfd or file");
		goto fail;
	}
	if (m->src == SRC_FILE && m->path == NULL) {
		if (m->page_mib != 2) {
			def_err(err, errlen, "source=file needs path= (a "
			    "hugetlbfs or tmpfs directory)");
			goto fail;
		}
		m->path = xstrdup("/dev/hugepages");
	}
	if (m->path != NULL && m->src != SRC_FILE) {
		def_err(err, errlen, "path= is for source=file");
		goto fail;
	}
	if (m->policy != NULL && m->hn.lo < 0) {
		def_err(err, errlen, "policy needs hostnodes");
		goto fail;
	}
	if (m->hn.lo >= 0 && m->policy == NULL)
		m->policy = "bind";
	props_free(&p);
	return m;
fail:
	props_free(&p);
	mb_free(m);
	return NULL;
}

static char *
mb_print(const void *conf)
{
	const struct memback *m = conf;
	char *s = xstrdup(""), buf[32];

	if (m->page_mib)
		def_print_add(&s, "hugepages", m->page_mib == 2 ? "2M" : "1G");
	if (m->src_given || m->page_mib)
		def_print_add(&s, "source", src_names[m->src]);
	if (m->path != NULL)
		def_print_add(&s, "path", m->path);
	if (m->shared)
		def_print_add(&s, "shared", "on");
	if (m->prealloc)
		def_print_add(&s, "prealloc", "on");
	if (m->locked)
		def_print_add(&s, "locked", "on");
	if (m->merge >= 0)
		def_print_add(&s, "mergeable", m->merge ? "on" : "off");
	if (m->hn.lo >= 0) {
		if (m->hn.lo == m->hn.hi)
			snprintf(buf, sizeof(buf), "%d", m->hn.lo);
		else
			snprintf(buf, sizeof(buf), "%d-%d", m->hn.lo, m->hn.hi);
		def_print_add(&s, "hostnodes", buf);
		def_print_add(&s, "policy", m->policy);
	}
	if (*s == '\0') {
		free(s);
		s = xstrdup("source=anonymous");
	}
	return s;
}

static void *
mb_dup(const void *conf)
{
	const struct memback *m = conf;
	struct memback *n = xmemdup(m, sizeof(*m));

	n->path = xstrdup_null(m->path);
	return n;
}

static int
mb_check(const struct vmdef *d, const void *const *confs, size_t n,
    char *err, size_t errlen)
{
	const struct memback *m = confs[0];

	(void)n;
	if (def_microvm(d))
		return def_err(err, errlen, "not on microvm");
	if (m->page_mib && d->memory_mib % m->page_mib != 0)
		return def_err(err, errlen, "memory %lluM is not "
		    "a whole number of %uM hugepages",
		    (unsigned long long)d->memory_mib, m->page_mib);
	if (m->page_mib && d->maxmem_mib % m->page_mib != 0)
		return def_err(err, errlen, "maxmemory %lluM is "
		    "not a whole number of %uM hugepages",
		    (unsigned long long)d->maxmem_mib, m->page_mib);
	return 0;
}

/* A numa: line (dev-numa.c, which builds on this file: by its key). */
static int
has_numa(const struct vmdef *d)
{
	for (size_t i = 0; i < d->ndevs; i++)
		if (strcmp(d->devs[i].kind->key, "numa") == 0)
			return 1;
	return 0;
}

/* The guest's RAM: one backend, unless the NUMA nodes have theirs. */
static void
mb_options(const struct vmdef *d, const void *conf, const struct vmpaths *p,
    struct argv *a)
{
	const struct memback *m = conf;
	struct json_object *o;

	(void)p;
	if (m->locked) {
		argv_add(a, "-overcommit");
		argv_add(a, "mem-lock=on");
	}
	if (has_numa(d))
		return;
	o = memback_object(d, "pc.ram", d->memory_mib, NULL, NULL);
	argv_add(a, "-object");
	argv_add(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	argv_add(a, "-machine");
	argv_add(a, "memory-backend=pc.ram");
}

const struct devkind devkind_memback = {
	.key = "memorybacking",
	.parse = mb_parse,
	.print = mb_print,
	.free = mb_free,
	.dup = mb_dup,
	.check = mb_check,
	.options = mb_options,
};

struct json_object *
memback_object(const struct vmdef *d, const char *id, uint64_t mib,
    const struct noderange *hn, const char *policy)
{
	const struct memback *m = memback_of(d);
	enum msrc src = m != NULL ? m->src : SRC_ANON;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "qom-type",
	    json_object_new_string(src_types[src]));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "size", json_object_new_int64(
	    (int64_t)(mib << 20)));
	if (m == NULL && hn == NULL)
		return o;
	if (m != NULL && src == SRC_FILE)
		json_object_object_add(o, "mem-path",
		    json_object_new_string(m->path));
	if (m != NULL && src == SRC_MEMFD && m->page_mib) {
		json_object_object_add(o, "hugetlb",
		    json_object_new_boolean(1));
		json_object_object_add(o, "hugetlbsize", json_object_new_int64(
		    (int64_t)m->page_mib << 20));
	}
	if (m != NULL && m->shared)
		json_object_object_add(o, "share", json_object_new_boolean(1));
	if (m != NULL && m->prealloc)
		json_object_object_add(o, "prealloc",
		    json_object_new_boolean(1));
	if (m != NULL && m->merge >= 0)
		json_object_object_add(o, "merge",
		    json_object_new_boolean(m->merge));
	if (hn == NULL || hn->lo < 0) {
		hn = m != NULL ? &m->hn : NULL;
		policy = m != NULL ? m->policy : NULL;
	}
	if (hn != NULL && hn->lo >= 0) {
		struct json_object *nodes = json_object_new_array();
		for (int n = hn->lo; n <= hn->hi; n++)
			json_object_array_add(nodes, json_object_new_int(n));
		json_object_object_add(o, "host-nodes", nodes);
		json_object_object_add(o, "policy",
		    json_object_new_string(policy != NULL ? policy : "bind"));
	}
	return o;
}

unsigned
memback_page_mib(const struct vmdef *d)
{
	const struct memback *m = memback_of(d);

	return m != NULL ? m->page_mib : 0;
}

void
memback_needs(const struct vmdef *d, uint64_t total_mib,
    struct vmdef_memneed *n)
{
	const struct memback *m = memback_of(d);

	memset(n, 0, sizeof(*n));
	if (m != NULL && m->page_mib) {
		n->page_kib = m->page_mib << 10;
		n->pages = total_mib / m->page_mib;
	}
	if (m != NULL && m->src == SRC_FILE)
		n->path = m->path;
	if (m != NULL && m->hn.lo >= 0)
		for (int i = m->hn.lo; i <= m->hn.hi; i++)
			n->host_nodes |= 1ULL << i;
}
