/*
 * The CPU keys of a definition (cpukeys.h).
 *
 * cpu: MODEL[,+feat,-feat,require=feat,disable=feat,prop=value]: the
 * model first (host-passthrough is QEMU's host, host-model is host
 * under KVM and max under TCG, as close as QEMU gets), then features as
 * QEMU writes them: "+f"/"-f"; virt-install's require=/force= are "+f",
 * disable=/forbid= "-f".  Other key=value items are QEMU CPU properties.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cpukeys.h"
#include "defutil.h"
#include "iothreads.h"
#include "props.h"
#include "util.h"
#include "xalloc.h"


/* Append to a malloc'd string (NULL: empty). */
static void __attribute__((format(printf, 2, 3)))
bprintf(char **b, const char *fmt, ...)
{
	va_list ap;
	char *add;

	va_start(ap, fmt);
	if (vasprintf(&add, fmt, ap) == -1)
		abort();
	va_end(ap);
	char *n = xasprintf("%s%s", *b ? *b : "", add);
	free(add);
	free(*b);
	*b = n;
}

static int
feature_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return 0;
	return 1;
}

/* virt-install's policies: what they mean for QEMU */
static const struct {
	const char	*key;
	char		 sign;
} policies[] = {
	{ "require", '+' }, { "force", '+' },
	{ "disable", '-' }, { "forbid", '-' },
};

static char
policy_sign(const char *key)
{
	for (size_t i = 0; i < nitems(policies); i++)
		if (strcmp(policies[i].key, key) == 0)
			return policies[i].sign;
	return 0;
}

int
corekey_cpu(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;
	char *b = NULL;
	int r = -1;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	const char *model = p.n > 0 && p.v[0].key == NULL ? p.v[0].val : NULL;
	if (model == NULL || !feature_name(model)) {
		def_err(err, errlen, "'%s' does not start with a CPU model "
		    "(host, max, Skylake-Server, ...)", v);
		goto out;
	}
	bprintf(&b, "%s", strcmp(model, "host-passthrough") == 0 ? "host" :
	    model);
	for (size_t i = 1; i < p.n; i++) {
		const char *k = p.v[i].key, *val = p.v[i].val;
		char sign;
		if (k == NULL) {
			if ((val[0] != '+' && val[0] != '-') ||
			    !feature_name(val + 1)) {
				def_err(err, errlen, "'%s': a feature is +NAME or "
				    "-NAME", val);
				goto out;
			}
			bprintf(&b, ",%s", val);
		} else if ((sign = policy_sign(k)) != 0) {
			if (!feature_name(val)) {
				def_err(err, errlen, "%s='%s': not a feature name",
				    k, val);
				goto out;
			}
			bprintf(&b, ",%c%s", sign, val);
		} else if (!feature_name(k) || !feature_name(val)) {
			def_err(err, errlen, "'%s=%s': not a CPU property", k,
			    val);
			goto out;
		} else
			bprintf(&b, ",%s=%s", k, val);
	}
	free(d->cpu);
	d->cpu = b;
	b = NULL;
	r = 0;
out:
	free(b);
	props_free(&p);
	return r;
}

char *
corekey_vcpus_value(const struct vmdef *d)
{
	char *b = NULL;

	bprintf(&b, "%u", d->vcpus);
	if (d->maxvcpus)
		bprintf(&b, ",maxvcpus=%u", d->maxvcpus);
	if (d->sockets)
		bprintf(&b, ",sockets=%u", d->sockets);
	if (d->dies)
		bprintf(&b, ",dies=%u", d->dies);
	if (d->cores)
		bprintf(&b, ",cores=%u", d->cores);
	if (d->threads)
		bprintf(&b, ",threads=%u", d->threads);
	return b;
}

char *
cpu_model_arg(const struct vmdef *d, enum accel accel)
{
	const char *def = accel == ACCEL_KVM ? "host" : "max";

	if (d->cpu == NULL)
		return xstrdup(def);
	if (strncmp(d->cpu, "host-model", 10) == 0 &&
	    (d->cpu[10] == '\0' || d->cpu[10] == ','))
		return xasprintf("%s%s", def, d->cpu + 10);
	return xstrdup(d->cpu);
}

/* ---- CPU lists ---- */

int
cpulist_parse(const char *s, cpu_set_t *set, char *err, size_t errlen)
{
	const char *p = s;

	CPU_ZERO(set);
	if (*s == '\0')
		return def_err(err, errlen, "empty CPU list");
	while (*p) {
		char *e;
		if (!isdigit((unsigned char)*p))
			goto bad;
		unsigned long lo = strtoul(p, &e, 10), hi = lo;
		if (*e == '-') {
			if (!isdigit((unsigned char)e[1]))
				goto bad;
			hi = strtoul(e + 1, &e, 10);
		}
		if (lo > hi || hi >= CPU_SETSIZE)
			goto bad;
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, set);
		if (*e == ',' && e[1] != '\0')
			e++;
		else if (*e != '\0')
			goto bad;
		p = e;
	}
	return 0;
bad:
	return def_err(err, errlen, "'%s' is not a CPU list (0-3,6)", s);
}

const char *
cpulist_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		int e = c;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		int w = e > c ? snprintf(buf + n, len - n, "%s%d-%d",
		    n ? "," : "", c, e) : snprintf(buf + n, len - n, "%s%d",
		    n ? "," : "", c);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
		c = e;
	}
	return buf;
}

int
cpulist_host_check(const cpu_set_t *want, char *err, size_t errlen)
{
	cpu_set_t host, extra;
	char h[256], x[256];

	if (sched_getaffinity(0, sizeof(host), &host) == -1)
		return def_err(err, errlen, "cannot read the host's CPUs");
	CPU_XOR(&extra, want, &host);
	CPU_AND(&extra, &extra, want);
	if (CPU_COUNT(&extra) == 0)
		return 0;
	return def_err(err, errlen, "the host has no CPU %s (it has %s)",
	    cpulist_format(&extra, x, sizeof(x)),
	    cpulist_format(&host, h, sizeof(h)));
}

/* ---- cputune: vcpupinN=LIST,emulatorpin=LIST,iothreadpinN=LIST ---- */

/* cputune's items and the range of their number (none: -1). */
static const struct {
	const char	*prefix;
	int		 min, max;
} tune_items[] = {
	{ "emulatorpin", -1, -1 },
	{ "vcpupin", 0, CPU_MAX_VCPUS - 1 },
	{ "iothreadpin", 1, IOTHREAD_MAX },
};

/* The item's row in tune_items and its number; -1: no item. */
static int
tune_item(const char *k, long long *num)
{
	const char *e;

	*num = -1;
	for (size_t i = 0; i < nitems(tune_items); i++) {
		size_t n = strlen(tune_items[i].prefix);
		if (strncmp(k, tune_items[i].prefix, n) != 0)
			continue;
		if (tune_items[i].min < 0)
			return k[n] == '\0' ? (int)i : -1;
		if (!isdigit((unsigned char)k[n]) || (k[n] == '0' && k[n + 1]))
			return -1;
		*num = strtonum(k + n, tune_items[i].min, tune_items[i].max,
		    &e);
		return e == NULL ? (int)i : -1;
	}
	return -1;
}

static int
tune_key(const char *k, char *err, size_t errlen)
{
	long long num;

	if (tune_item(k, &num) != -1)
		return 0;
	return def_err(err, errlen, "unknown item '%s' (vcpupinN, emulatorpin, "
	    "iothreadpinN)", k);
}

/* Items in order: emulatorpin, vcpupin by number, iothreadpin by number. */
static int
tune_order(const void *a, const void *b)
{
	const struct prop *x = a, *y = b;
	long long nx, ny;
	int ix = tune_item(x->key ? x->key : "", &nx);
	int iy = tune_item(y->key ? y->key : "", &ny);

	if (ix != iy)
		return ix < iy ? -1 : 1;
	return nx < ny ? -1 : nx > ny;
}

/* The canonical text of p (items checked), in *out; -1 on a bad item. */
static int
tune_text(struct props *p, char **out, char *err, size_t errlen)
{
	char *b = NULL;
	cpu_set_t set;
	char list[256];

	qsort(p->v, p->n, sizeof(*p->v), tune_order);
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].key == NULL) {
			free(b);
			return def_err(err, errlen, "'%s' is not KEY=CPULIST",
			    p->v[i].val);
		}
		if (tune_key(p->v[i].key, err, errlen) == -1 ||
		    cpulist_parse(p->v[i].val, &set, err, errlen) == -1) {
			free(b);
			return -1;
		}
		if (i > 0 && strcmp(p->v[i].key, p->v[i - 1].key) == 0) {
			free(b);
			return def_err(err, errlen, "'%s' given twice",
			    p->v[i].key);
		}
		char *e = props_escape(cpulist_format(&set, list,
		    sizeof(list)));
		bprintf(&b, "%s%s=%s", i ? "," : "", p->v[i].key, e);
		free(e);
	}
	*out = b;
	return 0;
}

int
corekey_cputune(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;
	char *t = NULL;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	int r = tune_text(&p, &t, err, errlen);
	props_free(&p);
	if (r == -1)
		return -1;
	free(d->cputune);
	d->cputune = t;
	return 0;
}

const char *
cputune_get(const struct vmdef *d, const char *key, char *buf, size_t len)
{
	struct props p;
	char e[64];

	if (d->cputune == NULL || props_parse(d->cputune, &p, e,
	    sizeof(e)) == -1)
		return NULL;
	const char *v = props_get(&p, key);
	if (v != NULL)
		strlcpy(buf, v, len);
	props_free(&p);
	return v != NULL ? buf : NULL;
}

int
cputune_set(struct vmdef *d, const char *key, const char *value, char *err,
    size_t errlen)
{
	char *b = NULL;
	struct props p;
	char *t = NULL;

	if (d->cputune != NULL) {
		if (props_parse(d->cputune, &p, err, errlen) == -1)
			return -1;
		for (size_t i = 0; i < p.n; i++)
			if (p.v[i].key != NULL && strcmp(p.v[i].key, key) != 0) {
				char *e = props_escape(p.v[i].val);
				bprintf(&b, "%s%s=%s", b ? "," : "",
				    p.v[i].key, e);
				free(e);
			}
		props_free(&p);
	}
	if (value != NULL) {
		char *e = props_escape(value);
		bprintf(&b, "%s%s=%s", b ? "," : "", key, e);
		free(e);
	}
	if (b == NULL) {
		free(d->cputune);
		d->cputune = NULL;
		return 0;
	}
	if (props_parse(b, &p, err, errlen) == -1) {
		free(b);
		return -1;
	}
	free(b);
	int r = tune_text(&p, &t, err, errlen);
	props_free(&p);
	if (r == -1)
		return -1;
	free(d->cputune);
	d->cputune = t;
	return 0;
}

/* ---- vcpu-hotplugged: vcpuN,driver=TYPE,socket-id=S,core-id=C,... ---- */

static const char *const topo_ids[] = {
	"socket-id", "die-id", "core-id", "thread-id"
};

int
cpu_dev_index(const char *id)
{
	const char *e;

	if (strncmp(id, "vcpu", 4) != 0 || !isdigit((unsigned char)id[4]))
		return -1;
	long long n = strtonum(id + 4, 0, CPU_MAX_VCPUS - 1, &e);
	return e == NULL ? (int)n : -1;
}

int
corekey_vcpudev(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;
	unsigned n;
	int r = -1;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	const char *id = props_pos(&p, 0), *drv = props_get(&p, "driver");
	if (id == NULL || cpu_dev_index(id) == -1) {
		def_err(err, errlen, "'%s' does not start with an id vcpuN", v);
		goto out;
	}
	if (drv == NULL || !feature_name(drv)) {
		def_err(err, errlen, "driver= (a CPU type) is needed");
		goto out;
	}
	for (size_t i = 0; i < nitems(topo_ids); i++) {
		const char *s = props_get(&p, topo_ids[i]);
		if (s != NULL && def_uint(topo_ids[i], s, 0, CPU_MAX_VCPUS, &n,
		    err, errlen) == -1)
			goto out;
	}
	if (def_unused(&p, err, errlen) == -1)
		goto out;
	for (size_t i = 0; i < d->ncpudevs; i++) {
		char a[16];
		if (strcmp(cpu_dev_id(d->cpudevs[i], a, sizeof(a)), id) == 0) {
			def_err(err, errlen, "%s given twice", id);
			goto out;
		}
	}
	d->cpudevs = xreallocarray(d->cpudevs, d->ncpudevs + 1,
	    sizeof(*d->cpudevs));
	d->cpudevs[d->ncpudevs++] = xstrdup(v);
	r = 0;
out:
	props_free(&p);
	return r;
}

const char *
cpu_dev_id(const char *line, char *buf, size_t len)
{
	size_t n = strcspn(line, ",");

	snprintf(buf, len, "%.*s", (int)n, line);
	return buf;
}

struct json_object *
cpu_dev_json(const char *line)
{
	struct json_object *o = json_object_new_object();
	struct props p;
	char e[128];

	if (props_parse(line, &p, e, sizeof(e)) == -1)
		return o;
	json_object_object_add(o, "driver",
	    json_object_new_string(props_get(&p, "driver")));
	json_object_object_add(o, "id",
	    json_object_new_string(props_pos(&p, 0)));
	for (size_t i = 0; i < nitems(topo_ids); i++) {
		const char *s = props_get(&p, topo_ids[i]);
		if (s != NULL)
			json_object_object_add(o, topo_ids[i],
			    json_object_new_int(atoi(s)));
	}
	props_free(&p);
	return o;
}
