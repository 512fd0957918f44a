/*
 * A definition: its life (new, dup, free), setting a key (core keys are
 * corekeys.c's, device keys the modules'), parsing a file, the checks
 * between keys and the canonical text.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "corekeys.h"
#include "cpukeys.h"
#include "defutil.h"
#include "dev.h"
#include "iothreads.h"
#include "parse.h"
#include "pci.h"
#include "props.h"
#include "util.h"
#include "vmdef.h"

#define MAX_DEVLINES	32	/* lines of one repeatable device key */

struct vmdef *
vmdef_new(void)
{
	struct vmdef *d = xcalloc(1, sizeof(*d));

	d->memory_mib = 512;
	d->vcpus = 1;
	d->machine = xstrdup("pc");
	d->accel = ACCEL_AUTO;
	d->on_poweroff = POLICY_DESTROY;
	d->on_reboot = POLICY_RESTART;
	d->on_crash = POLICY_DESTROY;
	return d;
}

void
vmdef_free(struct vmdef *d)
{
	if (d == NULL)
		return;
	free(d->description);
	free(d->cpu);
	free(d->cputune);
	for (size_t i = 0; i < d->ncpudevs; i++)
		free(d->cpudevs[i]);
	free(d->cpudevs);
	free(d->machine);
	free(d->accel_opts);
	free(d->kernel);
	free(d->initrd);
	free(d->append);
	free(d->boot);
	corekey_install_free(d);
	free(d->owner);
	free(d->emulator);
	free(d->text);
	for (size_t i = 0; i < d->nqemu_args; i++)
		free(d->qemu_args[i]);
	free(d->qemu_args);
	for (size_t i = 0; i < d->ndevs; i++)
		d->devs[i].kind->free(d->devs[i].conf);
	free(d->devs);
	free(d);
}

struct vmdef *
vmdef_dup(const struct vmdef *s)
{
	struct vmdef *d = xcalloc(1, sizeof(*d));

	*d = *s;
	d->description = xstrdup_null(s->description);
	d->cpu = xstrdup_null(s->cpu);
	d->cputune = xstrdup_null(s->cputune);
	d->cpudevs = s->ncpudevs ? xcalloc(s->ncpudevs, sizeof(char *)) : NULL;
	for (size_t i = 0; i < s->ncpudevs; i++)
		d->cpudevs[i] = xstrdup(s->cpudevs[i]);
	d->machine = xstrdup_null(s->machine);
	d->accel_opts = xstrdup_null(s->accel_opts);
	d->kernel = xstrdup_null(s->kernel);
	d->initrd = xstrdup_null(s->initrd);
	d->append = xstrdup_null(s->append);
	d->boot = xstrdup_null(s->boot);
	corekey_install_dup(d, s);
	d->owner = xstrdup_null(s->owner);
	d->emulator = xstrdup_null(s->emulator);
	d->text = xstrdup_null(s->text);
	d->qemu_args = s->nqemu_args ? xcalloc(s->nqemu_args, sizeof(char *)) :
	    NULL;
	for (size_t i = 0; i < s->nqemu_args; i++)
		d->qemu_args[i] = xstrdup(s->qemu_args[i]);
	d->devs = s->ndevs ? xcalloc(s->ndevs, sizeof(*d->devs)) : NULL;
	for (size_t i = 0; i < s->ndevs; i++) {
		d->devs[i].kind = s->devs[i].kind;
		d->devs[i].addr = s->devs[i].addr;
		d->devs[i].conf = s->devs[i].kind->dup(s->devs[i].conf);
	}
	return d;
}

/* A slot number: decimal or 0x hexadecimal. */
static int
slot_number(const char *what, const char *v, unsigned max, unsigned *out,
    char *err, size_t errlen)
{
	char *end;
	unsigned long n;

	if (v[0] == '\0' || v[0] == '-' || v[0] == '+' || v[0] == ' ')
		goto bad;
	n = strtoul(v, &end, 0);
	if (*end != '\0' || n > max)
		goto bad;
	*out = (unsigned)n;
	return 0;
bad:
	return def_err(err, errlen, "%s '%s' is not a slot number (0 to %u, "
	    "or 0x0 to 0x%x)", what, v, max, max);
}

/*
 * The PCI slot of a device line, which every kind takes (pci.h): addr=N,
 * or virt-install's address.type=pci,address.slot=N (with domain, bus and
 * function 0).  *rest is the value without them for the module (value
 * itself when it has none), *addr 0 when none is given.
 */
static int
take_addr(const char *value, char **rest, unsigned *addr, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "addr", "address.slot",
	    "address.type", "address.domain", "address.bus",
	    "address.function" };
	const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	struct props p;
	const char *v, *a, *sl;
	char *out = NULL;
	unsigned zero;
	int r = -1;

	*addr = 0;
	*rest = NULL;
	if (props_parse(value, &p, err, errlen) == -1)
		return -1;
	int any = 0;
	for (size_t i = 0; i < nkeys; i++)
		any |= props_get(&p, keys[i]) != NULL;
	if (!any) {
		props_free(&p);
		*rest = xstrdup(value);
		return 0;
	}
	a = props_get(&p, "addr");
	sl = props_get(&p, "address.slot");
	if (a != NULL && sl != NULL) {
		def_err(err, errlen, "the slot is given twice (addr= and "
		    "address.slot=)");
		goto out;
	}
	if ((v = props_get(&p, "address.type")) != NULL &&
	    strcmp(v, "pci") != 0) {
		def_err(err, errlen, "address.type '%s': only pci", v);
		goto out;
	}
	for (size_t i = 3; i < nkeys; i++)
		if ((v = props_get(&p, keys[i])) != NULL &&
		    (slot_number(keys[i], v, 255, &zero, err, errlen) == -1 ||
		    zero != 0)) {
			def_err(err, errlen, "%s '%s': only 0 (one PCI domain, "
			    "the slot's bus as the machine gives it, function 0)",
			    keys[i], v);
			goto out;
		}
	if (a == NULL && sl == NULL) {
		def_err(err, errlen, "address.type=pci needs address.slot "
		    "(or addr=)");
		goto out;
	}
	if (slot_number(a != NULL ? "addr" : "address.slot",
	    a != NULL ? a : sl, PCI_MAX_PORTS, addr, err, errlen) == -1)
		goto out;
	if (*addr == 0) {
		def_err(err, errlen, "%s 0 is the host bridge's",
		    a != NULL ? "addr" : "address.slot");
		goto out;
	}
	/* the rest, as it was written, for the module */
	out = xstrdup("");
	for (size_t i = 0; i < p.n; i++) {
		struct prop *pr = &p.v[i];
		int mine = 0;
		for (size_t j = 0; pr->key != NULL && j < nkeys; j++)
			mine |= strcmp(pr->key, keys[j]) == 0;
		if (mine)
			continue;
		char *e = props_escape(pr->val), *n;
		n = xasprintf("%s%s%s%s%s", out, *out ? "," : "",
		    pr->key != NULL ? pr->key : "", pr->key != NULL ? "=" : "",
		    e);
		free(e);
		free(out);
		out = n;
	}
	*rest = out;
	r = 0;
out:
	props_free(&p);
	return r;
}

/* A device line: a repeatable kind adds an instance, another replaces. */
static int
set_device(struct vmdef *d, const struct devkind *k, const char *value,
    char *err, size_t errlen)
{
	size_t n = 0, i;
	unsigned addr;
	char *rest;
	void *conf;

	for (i = 0; i < d->ndevs; i++)
		if (d->devs[i].kind == k)
			n++;
	if (k->repeat && n >= MAX_DEVLINES)
		return def_err(err, errlen, "at most %d lines", MAX_DEVLINES);
	if (take_addr(value, &rest, &addr, err, errlen) == -1)
		return -1;
	if (*rest == '\0') {
		free(rest);
		return def_err(err, errlen, "nothing but the PCI address");
	}
	conf = k->parse(rest, err, errlen);
	free(rest);
	if (conf == NULL)
		return -1;
	for (i = 0; !k->repeat && i < d->ndevs; i++)
		if (d->devs[i].kind == k) {
			k->free(d->devs[i].conf);
			d->devs[i].conf = conf;
			d->devs[i].addr = addr;
			return 0;
		}
	d->devs = xreallocarray(d->devs, d->ndevs + 1, sizeof(*d->devs));
	d->devs[d->ndevs].kind = k;
	d->devs[d->ndevs].addr = addr;
	d->devs[d->ndevs++].conf = conf;
	return 0;
}

int
vmdef_set(struct vmdef *d, const char *key, const char *value, char *err,
    size_t errlen)
{
	const struct corekey *k = corekey_find(key);
	const struct devkind *dk = devkind_find(key);
	char why[400];
	int r;

	if (k == NULL && dk == NULL)
		return def_err(err, errlen, "%s: unknown key", key);
	for (const char *c = value; *c; c++)
		if (*c == '\n' || *c == '\r')
			return def_err(err, errlen, "%s: value spans lines", key);
	if (*value == '\0')
		return def_err(err, errlen, "%s: empty value", key);
	if (k != NULL)
		r = k->set(d, value, why, sizeof(why));
	else
		r = set_device(d, dk, value, why, sizeof(why));
	if (r == -1)
		return def_err(err, errlen, "%s: %s", key, why);
	return 0;
}

struct check_arg {
	char	*err;
	size_t	 errlen;
};

static int
check_kind(const struct vmdef *d, const struct devset *s, void *arg)
{
	struct check_arg *c = arg;
	char why[400];

	if (s->kind->check == NULL ||
	    s->kind->check(d, s->confs, s->n, why, sizeof(why)) == 0)
		return 0;
	return def_err(c->err, c->errlen, "%s: %s", s->kind->key, why);
}

int
vmdef_check(struct vmdef *d, char *err, size_t errlen)
{
	struct check_arg c = { err, errlen };
	struct devfacts f;

	if (d->name[0] == '\0')
		return def_err(err, errlen, "name: missing");
	if (d->uuid[0] == '\0')
		uuid_generate_str(d->uuid);
	unsigned max = d->maxvcpus ? d->maxvcpus : d->vcpus;
	if (d->sockets || d->cores || d->threads || d->dies) {
		unsigned prod = (d->sockets ? d->sockets : 1) *
		    (d->dies ? d->dies : 1) *
		    (d->cores ? d->cores : 1) * (d->threads ? d->threads : 1);
		const char *what = d->dies ? "sockets*dies*cores*threads" :
		    "sockets*cores*threads";
		if (d->sockets && d->cores && d->threads && prod != max)
			return def_err(err, errlen, "vcpus: %s = %u, but maxvcpus "
			    "is %u", what, prod, max);
		if (prod > max)
			return def_err(err, errlen, "vcpus: %s = %u is more than "
			    "maxvcpus %u", what, prod, max);
	}
	if (d->ncpudevs >= d->vcpus)
		return def_err(err, errlen, "vcpu-hotplugged: %zu lines, but "
		    "vcpus is %u (vCPU 0 is never hot-plugged)", d->ncpudevs,
		    d->vcpus);
	if (d->initrd != NULL && d->kernel == NULL)
		return def_err(err, errlen, "initrd: needs kernel");
	if (d->append != NULL && d->kernel == NULL)
		return def_err(err, errlen, "append: needs kernel");
	if (dev_walk(d, &f, check_kind, &c) != 0)
		return -1;
	struct pciplan plan;
	if (pci_plan(d, &plan, err, errlen) == -1)
		return -1;
	pci_plan_free(&plan);
	if (corekey_install_check(d, err, errlen) == -1 ||
	    iothreads_check(d, err, errlen) == -1)
		return -1;
	if (d->current_mib != 0 && !f.balloon)
		return def_err(err, errlen, "memory: currentMemory needs a "
		    "balloon (balloon: on)");
	return 0;
}

/* Trim spaces and tabs at both ends, in place. */
static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* The key's index among the core keys and then the device kinds. */
static int
key_index(const char *key, int *repeat)
{
	const struct corekey *k = corekey_find(key);
	const struct devkind *dk;

	if (k != NULL) {
		*repeat = k->repeat;
		return (int)(k - corekeys);
	}
	for (size_t i = 0; i < ndevkinds; i++) {
		dk = devkinds[i];
		if (strcmp(dk->key, key) == 0) {
			*repeat = dk->repeat;
			return (int)(ncorekeys + i);
		}
	}
	return -1;
}

struct vmdef *
vmdef_parse(const char *text, const char *fname, char *err, size_t errlen)
{
	struct vmdef *d = vmdef_new();
	char *copy = xstrdup(text), *line, *next;
	char *seen = xcalloc(ncorekeys + ndevkinds, 1);
	char why[512];
	int lineno = 0, ki, repeat, tuneline = 0;
	int *devline = NULL;	/* each device line's number (iothreads.c) */

	for (line = copy; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		char *l = trim(line);
		if (*l == '\0' || *l == '#')
			continue;
		char *colon = strchr(l, ':');
		if (colon == NULL) {
			def_err(err, errlen, "%s:%d: expected 'key: value'",
			    fname, lineno);
			goto fail;
		}
		*colon = '\0';
		char *key = trim(l), *val = trim(colon + 1);
		if ((ki = key_index(key, &repeat)) == -1) {
			def_err(err, errlen, "%s:%d: %s: unknown key", fname,
			    lineno, key);
			goto fail;
		}
		if (seen[ki] && !repeat) {
			def_err(err, errlen, "%s:%d: %s: given twice", fname,
			    lineno, key);
			goto fail;
		}
		seen[ki] = 1;
		size_t ndevs = d->ndevs;
		if (vmdef_set(d, key, val, why, sizeof(why)) == -1) {
			def_err(err, errlen, "%s:%d: %s", fname, lineno, why);
			goto fail;
		}
		devline = xreallocarray(devline, d->ndevs + 1,
		    sizeof(*devline));
		for (size_t i = ndevs; i < d->ndevs; i++)
			devline[i] = lineno;
		if (strcmp(key, "cputune") == 0)
			tuneline = lineno;
	}
	int had_uuid = d->uuid[0] != '\0';
	if (iothreads_check_lines(d, devline, tuneline, fname, err,
	    errlen) == -1)
		goto fail;
	if (vmdef_check(d, why, sizeof(why)) == -1) {
		def_err(err, errlen, "%s: %s", fname, why);
		goto fail;
	}
	free(copy);
	free(seen);
	free(devline);
	d->text = xstrdup(text);
	if (!had_uuid) {	/* the generated one is kept with the file */
		d->uuid_generated = 1;
		vmdef_text_set(d, "uuid", d->uuid);
	}
	return d;
fail:
	free(copy);
	free(seen);
	free(devline);
	vmdef_free(d);
	return NULL;
}


/* ---- printing ---- */

struct buf {
	char	*s;
	size_t	 len, cap;
};

static void __attribute__((format(printf, 2, 3)))
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
	free(s);
}

char *
vmdef_text(const struct vmdef *d)
{
	return d->text != NULL ? xstrdup(d->text) : vmdef_print(d);
}

static int
print_kind(const struct vmdef *d, const struct devset *s, void *arg)
{
	struct buf *b = arg;

	for (size_t i = 0; i < s->n; i++) {
		char *v = vmdef_dev_value(d, s->kind, s->confs[i],
		    s->lines[i]);
		bprintf(b, "%s: %s\n", s->kind->key, v);
		free(v);
	}
	return 0;
}

char *
vmdef_print(const struct vmdef *d)
{
	struct buf b = { 0 };

	bprintf(&b, "name: %s\n", d->name);
	bprintf(&b, "uuid: %s\n", d->uuid);
	if (d->description != NULL)
		bprintf(&b, "description: %s\n", d->description);
	char *mem = corekey_memory_value(d);
	bprintf(&b, "memory: %s\n", mem);
	free(mem);
	char *vc = corekey_vcpus_value(d);
	bprintf(&b, "vcpus: %s\n", vc);
	free(vc);
	if (d->cpu != NULL)
		bprintf(&b, "cpu: %s\n", d->cpu);
	if (d->cputune != NULL)
		bprintf(&b, "cputune: %s\n", d->cputune);
	char *iot = iothreads_value(d);
	if (iot != NULL)
		bprintf(&b, "iothreads: %s\n", iot);
	free(iot);
	for (size_t i = 0; i < d->ncpudevs; i++)
		bprintf(&b, "vcpu-hotplugged: %s\n", d->cpudevs[i]);
	bprintf(&b, "machine: %s\n", d->machine);
	bprintf(&b, "accel: %s%s%s\n", accel_name(d->accel),
	    d->accel_opts ? "," : "", d->accel_opts ? d->accel_opts : "");
	if (d->kernel != NULL)
		bprintf(&b, "kernel: %s\n", d->kernel);
	if (d->initrd != NULL)
		bprintf(&b, "initrd: %s\n", d->initrd);
	if (d->append != NULL)
		bprintf(&b, "append: %s\n", d->append);
	if (d->boot != NULL)
		bprintf(&b, "boot: %s\n", d->boot);
	if (d->install.kind != INSTALL_NONE) {
		char *v = corekey_install_value(d);
		bprintf(&b, "install: %s\n", v);
		free(v);
	}
	/* every device the VM has, defaults included */
	dev_walk(d, NULL, print_kind, &b);
	bprintf(&b, "on_poweroff: %s\n", policy_name(d->on_poweroff));
	bprintf(&b, "on_reboot: %s\n", policy_name(d->on_reboot));
	bprintf(&b, "on_crash: %s\n", policy_name(d->on_crash));
	bprintf(&b, "autostart: %s\n", d->autostart ? "yes" : "no");
	if (d->owner != NULL)
		bprintf(&b, "owner: %s\n", d->owner);
	if (d->emulator != NULL)
		bprintf(&b, "emulator: %s\n", d->emulator);
	if (d->pcie_ports != 0)
		bprintf(&b, "pcie_root_ports: %u\n", d->pcie_ports);
	for (size_t i = 0; i < d->nqemu_args; i++)
		bprintf(&b, "qemu-arg: %s\n", d->qemu_args[i]);
	return b.s;
}


void
def_take(struct vmdef *d, struct vmdef *nd)
{
	struct vmdef t = *d;

	*d = *nd;
	*nd = t;
	vmdef_free(nd);
}

int
vmdef_pin_machine(struct vmdef *def, const char *machine, char *err,
    size_t errlen)
{
	const char *props = def->machine != NULL ? strchr(def->machine, ',') :
	    NULL;
	char v[512];

	snprintf(v, sizeof(v), "%s%s", machine, props != NULL ? props : "");
	if (def->machine != NULL && strcmp(def->machine, v) == 0)
		return 0;
	if (vmdef_set(def, "machine", v, err, errlen) == -1)
		return -1;
	vmdef_text_set(def, "machine", v);
	return 0;
}
