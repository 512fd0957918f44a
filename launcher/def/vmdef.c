/*
 * The core keys of a definition (its table below), parsing a file,
 * checks between keys, the canonical text, and what the supervisor asks
 * of the devices.  Device keys are the modules' (dev.h).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "props.h"
#include "util.h"
#include "vmdef.h"

#define MIN_MEMORY_MIB	16
#define MAX_MEMORY_MIB	(16ULL << 20)	/* 16 TiB */
#define MAX_VCPUS	288
#define MAX_DEVLINES	32	/* lines of one repeatable device key */

typedef int (*setter)(struct vmdef *, const char *, char *, size_t);

const char *
accel_name(enum accel a)
{
	return a == ACCEL_KVM ? "kvm" : a == ACCEL_TCG ? "tcg" : "auto";
}

const char *
policy_name(enum policy p)
{
	return p == POLICY_RESTART ? "restart" :
	    p == POLICY_PRESERVE ? "preserve" : "destroy";
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* A token QEMU would take as a type or model name. */
static int
plain_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return 0;
	return 1;
}

/* Property lists we pass to QEMU: no spaces or control characters. */
static int
check_props_text(const char *v, char *err, size_t errlen)
{
	for (const char *c = v; *c; c++)
		if (iscntrl((unsigned char)*c) || *c == ' ')
			return def_err(err, errlen, "spaces and control characters "
			    "are not allowed in '%s'", v);
	return 0;
}

static int
get_mib(const char *v, uint64_t *mib, char *err, size_t errlen)
{
	uint64_t bytes;
	const char *e;

	if (parse_size(v, &bytes, &e) == -1)
		return def_err(err, errlen, "'%s': %s", v, e);
	if (bytes % (1 << 20) != 0)
		return def_err(err, errlen, "'%s' is not a whole number of MiB", v);
	*mib = bytes >> 20;
	if (*mib < MIN_MEMORY_MIB)
		return def_err(err, errlen, "'%s' is less than %d MiB", v,
		    MIN_MEMORY_MIB);
	if (*mib > MAX_MEMORY_MIB)
		return def_err(err, errlen, "'%s' is more than 16 TiB", v);
	return 0;
}

static int
k_name(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	if (!valid_name(v))
		return def_err(err, errlen, "'%s' is not a valid name "
		    "([A-Za-z0-9][A-Za-z0-9._-]{0,63})", v);
	strlcpy(d->name, v, sizeof(d->name));
	return 0;
}

static int
k_uuid(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	if (!valid_uuid(v))
		return def_err(err, errlen, "'%s' is not a UUID "
		    "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", v);
	for (int i = 0; i < 36; i++)
		d->uuid[i] = (char)tolower((unsigned char)v[i]);
	d->uuid[36] = '\0';
	return 0;
}

static int
k_description(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	set_str(&d->description, v);
	return 0;
}

/* The memory at start, not above memory; 0 when it is all of it. */
static int
check_current(uint64_t *cur, uint64_t mem, char *err, size_t errlen)
{
	if (*cur > mem)
		return def_err(err, errlen, "currentMemory %lluM is more than "
		    "memory %lluM", (unsigned long long)*cur,
		    (unsigned long long)mem);
	if (*cur != 0 && *cur < MIN_MEMORY_MIB)
		return def_err(err, errlen, "currentMemory %lluM is less than "
		    "%d MiB", (unsigned long long)*cur, MIN_MEMORY_MIB);
	if (*cur == mem)
		*cur = 0;
	return 0;
}

/* virt-install's currentMemory=, or current= for short */
static int
get_current(struct props *p, uint64_t mem, uint64_t *cur, char *err,
    size_t errlen)
{
	const char *s = props_get(p, "currentMemory"), *c;
	char why[200];

	*cur = 0;
	if ((c = props_get(p, "current")) != NULL && s != NULL)
		return def_err(err, errlen, "currentMemory is given twice "
		    "(current is its short name)");
	if (s == NULL && (s = c) == NULL)
		return 0;
	if (strcmp(s, "0") != 0 && get_mib(s, cur, why, sizeof(why)) == -1)
		return def_err(err, errlen, "currentMemory %s", why);
	return check_current(cur, mem, err, errlen);
}

static int
k_memory(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;
	uint64_t mem, max = 0, cur;
	unsigned slots = 0;
	const char *s;
	int r = -1;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	if ((s = props_pos(&p, 0)) == NULL) {
		def_err(err, errlen, "no size given (e.g. 1024 or 2G)");
		goto out;
	}
	if (get_mib(s, &mem, err, errlen) == -1)
		goto out;
	if (get_current(&p, mem, &cur, err, errlen) == -1)
		goto out;
	if ((s = props_get(&p, "maxmemory")) != NULL &&
	    get_mib(s, &max, err, errlen) == -1)
		goto out;
	if ((s = props_get(&p, "slots")) != NULL &&
	    def_uint("slots", s, 1, 256, &slots, err, errlen) == -1)
		goto out;
	if (def_unused(&p, err, errlen) == -1)
		goto out;
	if (max != 0 && max < mem) {
		def_err(err, errlen, "maxmemory %lluM is less than memory %lluM",
		    (unsigned long long)max, (unsigned long long)mem);
		goto out;
	}
	if (slots != 0 && max == 0) {
		def_err(err, errlen, "slots needs maxmemory");
		goto out;
	}
	d->memory_mib = mem;
	d->current_mib = cur;
	d->maxmem_mib = max;
	d->slots = max != 0 ? (slots ? slots : 16) : 0;
	r = 0;
out:
	props_free(&p);
	return r;
}

static int
k_vcpus(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;
	unsigned n = 0, max = 0, so = 0, co = 0, th = 0;
	const char *s;
	int r = -1;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	if ((s = props_pos(&p, 0)) == NULL) {
		def_err(err, errlen, "no count given");
		goto out;
	}
	if (def_uint("count", s, 1, MAX_VCPUS, &n, err, errlen) == -1 ||
	    ((s = props_get(&p, "maxvcpus")) != NULL &&
	    def_uint("maxvcpus", s, 1, MAX_VCPUS, &max, err, errlen) == -1) ||
	    ((s = props_get(&p, "sockets")) != NULL &&
	    def_uint("sockets", s, 1, MAX_VCPUS, &so, err, errlen) == -1) ||
	    ((s = props_get(&p, "cores")) != NULL &&
	    def_uint("cores", s, 1, MAX_VCPUS, &co, err, errlen) == -1) ||
	    ((s = props_get(&p, "threads")) != NULL &&
	    def_uint("threads", s, 1, MAX_VCPUS, &th, err, errlen) == -1) ||
	    def_unused(&p, err, errlen) == -1)
		goto out;
	if (max != 0 && max < n) {
		def_err(err, errlen, "maxvcpus %u is less than %u", max, n);
		goto out;
	}
	d->vcpus = n;
	d->maxvcpus = max;
	d->sockets = so;
	d->cores = co;
	d->threads = th;
	r = 0;
out:
	props_free(&p);
	return r;
}

static int
k_cpu(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	const char *model = p.n > 0 && p.v[0].key == NULL ? p.v[0].val : NULL;
	int ok = model != NULL && plain_token(model);
	props_free(&p);
	if (!ok)
		return def_err(err, errlen, "'%s' does not start with a CPU model "
		    "(host, max, Skylake-Server, ...)", v);
	if (check_props_text(v, err, errlen) == -1)
		return -1;
	/* virt-install's names for the host CPU */
	if (strncmp(v, "host-passthrough", 16) == 0 &&
	    (v[16] == '\0' || v[16] == ',')) {
		char *s = xasprintf("host%s", v + 16);
		free(d->cpu);
		d->cpu = s;
		return 0;
	}
	set_str(&d->cpu, v);
	return 0;
}

static int
k_machine(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	const char *type = p.n > 0 && p.v[0].key == NULL ? p.v[0].val : NULL;
	int ok = type != NULL && plain_token(type);
	props_free(&p);
	if (!ok)
		return def_err(err, errlen, "'%s' does not start with a machine type "
		    "(pc, q35, microvm, ...)", v);
	if (check_props_text(v, err, errlen) == -1)
		return -1;
	set_str(&d->machine, v);
	return 0;
}

static int
k_accel(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	const char *comma = strchr(v, ',');
	size_t n = comma ? (size_t)(comma - v) : strlen(v);
	enum accel a;

	if (n == 3 && strncmp(v, "kvm", 3) == 0)
		a = ACCEL_KVM;
	else if (n == 3 && strncmp(v, "tcg", 3) == 0)
		a = ACCEL_TCG;
	else if (n == 4 && strncmp(v, "auto", 4) == 0)
		a = ACCEL_AUTO;
	else
		return def_err(err, errlen, "'%.*s' is not kvm, tcg or auto",
		    (int)n, v);
	if (comma != NULL) {
		struct props p;
		if (a == ACCEL_AUTO)
			return def_err(err, errlen, "auto takes no properties; "
			    "name kvm or tcg");
		if (props_parse(comma + 1, &p, err, errlen) == -1)
			return -1;
		props_free(&p);
		if (check_props_text(comma + 1, err, errlen) == -1)
			return -1;
	}
	d->accel = a;
	free(d->accel_opts);
	d->accel_opts = comma ? xstrdup(comma + 1) : NULL;
	return 0;
}

static int
k_path(char **dst, const char *v, char *err, size_t errlen)
{
	if (v[0] != '/')
		return def_err(err, errlen, "'%s' is not an absolute path", v);
	for (const char *c = v; *c; c++)
		if (iscntrl((unsigned char)*c))
			return def_err(err, errlen, "control character in path");
	set_str(dst, v);
	return 0;
}

static int
k_kernel(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	return k_path(&d->kernel, v, err, errlen);
}

static int
k_initrd(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	return k_path(&d->initrd, v, err, errlen);
}

static int
k_emulator(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	return k_path(&d->emulator, v, err, errlen);
}

static int
k_append(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	set_str(&d->append, v);
	return 0;
}

/* The boot order letter for a virt-install device name. */
static char
boot_letter(const char *dev)
{
	if (strcmp(dev, "hd") == 0)
		return 'c';
	if (strcmp(dev, "cdrom") == 0)
		return 'd';
	if (strcmp(dev, "network") == 0)
		return 'n';
	if (strcmp(dev, "fd") == 0)
		return 'a';
	return 0;
}

static int
k_boot(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;
	const char *s;
	int r = -1;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	for (size_t i = 0; (s = props_pos(&p, i)) != NULL; i++)
		if (boot_letter(s) == 0) {
			def_err(err, errlen, "unknown boot device '%s' "
			    "(hd, cdrom, network, fd)", s);
			goto out;
		}
	int b;
	if ((s = props_get(&p, "menu")) != NULL && parse_bool(s, &b) == -1) {
		def_err(err, errlen, "menu '%s' is not on or off", s);
		goto out;
	}
	if (def_unused(&p, err, errlen) == -1)
		goto out;
	set_str(&d->boot, v);
	r = 0;
out:
	props_free(&p);
	return r;
}

static int
k_bool(int *dst, const char *v, char *err, size_t errlen)
{
	if (parse_bool(v, dst) == -1)
		return def_err(err, errlen, "'%s' is not yes or no", v);
	return 0;
}

static int
k_autostart(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	return k_bool(&d->autostart, v, err, errlen);
}

static int
k_policy(enum policy *dst, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "destroy") == 0)
		*dst = POLICY_DESTROY;
	else if (strcmp(v, "restart") == 0)
		*dst = POLICY_RESTART;
	else if (strcmp(v, "preserve") == 0)
		*dst = POLICY_PRESERVE;
	else
		return def_err(err, errlen, "'%s' is not destroy, restart or "
		    "preserve", v);
	return 0;
}

static int
k_on_poweroff(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	return k_policy(&d->on_poweroff, v, err, errlen);
}

static int
k_on_reboot(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	return k_policy(&d->on_reboot, v, err, errlen);
}

static int
k_on_crash(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	return k_policy(&d->on_crash, v, err, errlen);
}

static int
k_owner(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	if (!valid_name(v) && strspn(v, "0123456789") != strlen(v))
		return def_err(err, errlen, "'%s' is not a user name or uid", v);
	set_str(&d->owner, v);
	return 0;
}

static int
k_qemu_arg(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	d->qemu_args = xreallocarray(d->qemu_args, d->nqemu_args + 1,
	    sizeof(*d->qemu_args));
	d->qemu_args[d->nqemu_args++] = xstrdup(v);
	return 0;
}

static const struct key {
	const char	*name;
	setter		 set;
	int		 repeat;
} keys[] = {
	{ "name",		k_name,		0 },
	{ "uuid",		k_uuid,		0 },
	{ "description",	k_description,	0 },
	{ "memory",		k_memory,	0 },
	{ "vcpus",		k_vcpus,	0 },
	{ "cpu",		k_cpu,		0 },
	{ "machine",		k_machine,	0 },
	{ "accel",		k_accel,	0 },
	{ "kernel",		k_kernel,	0 },
	{ "initrd",		k_initrd,	0 },
	{ "append",		k_append,	0 },
	{ "boot",		k_boot,		0 },
	{ "on_poweroff",	k_on_poweroff,	0 },
	{ "on_reboot",		k_on_reboot,	0 },
	{ "on_crash",		k_on_crash,	0 },
	{ "autostart",		k_autostart,	0 },
	{ "owner",		k_owner,	0 },
	{ "emulator",		k_emulator,	0 },
	{ "qemu-arg",		k_qemu_arg,	1 },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static const struct key *
find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

int
vmdef_known_key(const char *key)
{
	return find_key(key) != NULL || devkind_find(key) != NULL;
}

int
vmdef_key_repeats(const char *key)
{
	const struct key *k = find_key(key);
	const struct devkind *dk = devkind_find(key);

	return (k != NULL && k->repeat) || (dk != NULL && dk->repeat);
}

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
	free(d->machine);
	free(d->accel_opts);
	free(d->kernel);
	free(d->initrd);
	free(d->append);
	free(d->boot);
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
	d->machine = xstrdup_null(s->machine);
	d->accel_opts = xstrdup_null(s->accel_opts);
	d->kernel = xstrdup_null(s->kernel);
	d->initrd = xstrdup_null(s->initrd);
	d->append = xstrdup_null(s->append);
	d->boot = xstrdup_null(s->boot);
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
		d->devs[i].conf = s->devs[i].kind->dup(s->devs[i].conf);
	}
	return d;
}

/* A device line: a repeatable kind adds an instance, another replaces. */
static int
set_device(struct vmdef *d, const struct devkind *k, const char *value,
    char *err, size_t errlen)
{
	size_t n = 0, i;
	void *conf;

	for (i = 0; i < d->ndevs; i++)
		if (d->devs[i].kind == k)
			n++;
	if (k->repeat && n >= MAX_DEVLINES)
		return def_err(err, errlen, "at most %d lines", MAX_DEVLINES);
	if ((conf = k->parse(value, err, errlen)) == NULL)
		return -1;
	for (i = 0; !k->repeat && i < d->ndevs; i++)
		if (d->devs[i].kind == k) {
			k->free(d->devs[i].conf);
			d->devs[i].conf = conf;
			return 0;
		}
	d->devs = xreallocarray(d->devs, d->ndevs + 1, sizeof(*d->devs));
	d->devs[d->ndevs].kind = k;
	d->devs[d->ndevs++].conf = conf;
	return 0;
}

int
vmdef_set(struct vmdef *d, const char *key, const char *value, char *err,
    size_t errlen)
{
	const struct key *k = find_key(key);
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
	if (d->sockets || d->cores || d->threads) {
		unsigned prod = (d->sockets ? d->sockets : 1) *
		    (d->cores ? d->cores : 1) * (d->threads ? d->threads : 1);
		if (d->sockets && d->cores && d->threads && prod != max)
			return def_err(err, errlen, "vcpus: sockets*cores*threads "
			    "= %u, but maxvcpus is %u", prod, max);
		if (prod > max)
			return def_err(err, errlen, "vcpus: sockets*cores*threads "
			    "= %u is more than maxvcpus %u", prod, max);
	}
	if (d->initrd != NULL && d->kernel == NULL)
		return def_err(err, errlen, "initrd: needs kernel");
	if (d->append != NULL && d->kernel == NULL)
		return def_err(err, errlen, "append: needs kernel");
	if (dev_walk(d, &f, check_kind, &c) != 0)
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
	const struct key *k = find_key(key);
	const struct devkind *dk;

	if (k != NULL) {
		*repeat = k->repeat;
		return (int)(k - keys);
	}
	for (size_t i = 0; i < ndevkinds; i++) {
		dk = devkinds[i];
		if (strcmp(dk->key, key) == 0) {
			*repeat = dk->repeat;
			return (int)(NKEYS + i);
		}
	}
	return -1;
}

struct vmdef *
vmdef_parse(const char *text, const char *fname, char *err, size_t errlen)
{
	struct vmdef *d = vmdef_new();
	char *copy = xstrdup(text), *line, *next;
	char *seen = xcalloc(NKEYS + ndevkinds, 1);
	char why[512];
	int lineno = 0, ki, repeat;

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
		if (vmdef_set(d, key, val, why, sizeof(why)) == -1) {
			def_err(err, errlen, "%s:%d: %s", fname, lineno, why);
			goto fail;
		}
	}
	int had_uuid = d->uuid[0] != '\0';
	if (vmdef_check(d, why, sizeof(why)) == -1) {
		def_err(err, errlen, "%s: %s", fname, why);
		goto fail;
	}
	free(copy);
	free(seen);
	d->text = xstrdup(text);
	if (!had_uuid) {	/* the generated one is kept with the file */
		d->uuid_generated = 1;
		vmdef_text_set(d, "uuid", d->uuid);
	}
	return d;
fail:
	free(copy);
	free(seen);
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

void
vmdef_text_set(struct vmdef *d, const char *key, const char *value)
{
	if (d->text == NULL)
		return;
	size_t klen = strlen(key), len = strlen(d->text);
	const char *line = d->text;
	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
		const char *k = line;
		while (k < line + n && (*k == ' ' || *k == '\t'))
			k++;
		const char *c = k + klen;
		while (c < line + n && (*c == ' ' || *c == '\t'))
			c++;
		if (*k != '#' && (size_t)(line + n - k) > klen &&
		    strncmp(k, key, klen) == 0 && c < line + n && *c == ':') {
			char *nt = xasprintf("%.*s%s: %s%s", (int)(line - d->text),
			    d->text, key, value, end != NULL ? end : "");
			free(d->text);
			d->text = nt;
			return;
		}
		line = end != NULL ? end + 1 : line + n;
	}
	char *nt = xasprintf("%s%s%s: %s\n", d->text,
	    len > 0 && d->text[len - 1] != '\n' ? "\n" : "", key, value);
	free(d->text);
	d->text = nt;
}

/* The canonical value of memory: */
static char *
memory_value(const struct vmdef *d)
{
	char cur[48] = "", max[64] = "";

	if (d->current_mib)
		snprintf(cur, sizeof(cur), ",currentMemory=%llu",
		    (unsigned long long)d->current_mib);
	if (d->maxmem_mib)
		snprintf(max, sizeof(max), ",maxmemory=%llu,slots=%u",
		    (unsigned long long)d->maxmem_mib, d->slots);
	return xasprintf("%llu%s%s", (unsigned long long)d->memory_mib, cur,
	    max);
}

int
vmdef_set_current_memory(struct vmdef *d, uint64_t mib, char *err,
    size_t errlen)
{
	char why[200];

	if (check_current(&mib, d->memory_mib, why, sizeof(why)) == -1)
		return def_err(err, errlen, "memory: %s", why);
	if (mib != 0 && !vmdef_has_balloon(d))
		return def_err(err, errlen, "memory: currentMemory needs a "
		    "balloon (balloon: on)");
	d->current_mib = mib;
	char *v = memory_value(d);
	vmdef_text_set(d, "memory", v);
	free(v);
	return 0;
}

static int
print_kind(const struct vmdef *d, const struct devset *s, void *arg)
{
	struct buf *b = arg;

	(void)d;
	for (size_t i = 0; i < s->n; i++) {
		char *v = s->kind->print(s->confs[i]);
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
	char *mem = memory_value(d);
	bprintf(&b, "memory: %s\n", mem);
	free(mem);
	bprintf(&b, "vcpus: %u", d->vcpus);
	if (d->maxvcpus)
		bprintf(&b, ",maxvcpus=%u", d->maxvcpus);
	if (d->sockets)
		bprintf(&b, ",sockets=%u", d->sockets);
	if (d->cores)
		bprintf(&b, ",cores=%u", d->cores);
	if (d->threads)
		bprintf(&b, ",threads=%u", d->threads);
	bprintf(&b, "\n");
	if (d->cpu != NULL)
		bprintf(&b, "cpu: %s\n", d->cpu);
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
	for (size_t i = 0; i < d->nqemu_args; i++)
		bprintf(&b, "qemu-arg: %s\n", d->qemu_args[i]);
	return b.s;
}

/* ---- what the supervisor asks of the devices ---- */

int
vmdef_has_balloon(const struct vmdef *d)
{
	struct devfacts f;

	dev_walk(d, &f, NULL, NULL);
	return f.balloon;
}

int
vmdef_has_serial(const struct vmdef *d)
{
	struct devfacts f;

	dev_walk(d, &f, NULL, NULL);
	return f.serial;
}

int
vmdef_vnc(const struct vmdef *d, struct vnc_conf *v)
{
	struct devfacts f;

	dev_walk(d, &f, NULL, NULL);
	if (!f.vnc)
		return -1;
	if (v != NULL)
		*v = f.vnc_conf;
	return 0;
}

static int
runtime_kind(const struct vmdef *d, const struct devset *s, void *arg)
{
	for (size_t i = 0; s->kind->runtime != NULL && i < s->n; i++)
		s->kind->runtime(d, s->confs[i], arg);
	return 0;
}

struct json_object *
vmdef_runtime_qmp(const struct vmdef *d)
{
	struct json_object *arr = json_object_new_array();

	dev_walk(d, NULL, runtime_kind, arr);
	return arr;
}
