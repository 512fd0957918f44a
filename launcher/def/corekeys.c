/*
 * The core keys of a definition: everything but the devices (name,
 * memory, vcpus, machine, accel, kernel, policies, ...), each parsed and
 * checked by its setter in the table.  Device keys are the modules'
 * (dev.h).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "corekeys.h"
#include "cpukeys.h"
#include "defutil.h"
#include "dev.h"
#include "iothreads.h"
#include "pci.h"
#include "props.h"
#include "util.h"
#include "vmdef.h"

#define MIN_MEMORY_MIB	16
#define MAX_MEMORY_MIB	(16ULL << 20)	/* 16 TiB */
#define MAX_VCPUS	288


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
	unsigned n = 0, max = 0, so = 0, co = 0, th = 0, di = 0;
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
	    ((s = props_get(&p, "dies")) != NULL &&
	    def_uint("dies", s, 1, MAX_VCPUS, &di, err, errlen) == -1) ||
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
	d->dies = di;
	d->cores = co;
	d->threads = th;
	r = 0;
out:
	props_free(&p);
	return r;
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
check_path(const char *v, char *err, size_t errlen)
{
	if (v[0] != '/')
		return def_err(err, errlen, "'%s' is not an absolute path", v);
	for (const char *c = v; *c; c++)
		if (iscntrl((unsigned char)*c))
			return def_err(err, errlen, "control character in path");
	return 0;
}

static int
k_path(char **dst, const char *v, char *err, size_t errlen)
{
	if (check_path(v, err, errlen) == -1)
		return -1;
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

/* q35's pcie-root-ports, devices' and spare (pci.h); checked there */
static int
k_pcie_root_ports(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	return def_uint("count", v, 1, PCI_MAX_PORTS, &d->pcie_ports, err,
	    errlen);
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

/*
 * virt-install's --boot: a device list and menu=, which go to -boot, and
 * kernel=, initrd= and kernel_args=, which are the kernel:, initrd: and
 * append: keys written its way (the later line wins).  d->boot keeps the
 * list and menu= only.
 */
static const struct {
	const char	*prop;
	int		 path;
	size_t		 off;
} boot_kernel[] = {
	{ "kernel", 1, offsetof(struct vmdef, kernel) },
	{ "initrd", 1, offsetof(struct vmdef, initrd) },
	{ "kernel_args", 0, offsetof(struct vmdef, append) },
};

/*
 * A value of --boot that becomes a line of its own, trimmed as that line's
 * value would be ("kernel_args= quiet" is "append: quiet"), so that the
 * printed definition reads back the same.  malloc'd.
 */
static char *
boot_value(const char *v)
{
	while (isspace((unsigned char)*v))
		v++;
	size_t n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	return xasprintf("%.*s", (int)n, v);
}

static int
k_boot(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;
	const char *s;
	char *kv[3] = { NULL, NULL, NULL };
	char *rest = NULL, why[200];
	int r = -1;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	for (size_t i = 0; (s = props_pos(&p, i)) != NULL; i++) {
		if (boot_letter(s) == 0) {
			def_err(err, errlen, "unknown boot device '%s' "
			    "(hd, cdrom, network, fd)", s);
			goto out;
		}
		char *e = props_escape(s), *n = xasprintf("%s%s%s",
		    rest ? rest : "", rest ? "," : "", e);
		free(e);
		free(rest);
		rest = n;
	}
	int b;
	if ((s = props_get(&p, "menu")) != NULL) {
		if (parse_bool(s, &b) == -1) {
			def_err(err, errlen, "menu '%s' is not on or off", s);
			goto out;
		}
		char *n = xasprintf("%s%smenu=%s", rest ? rest : "",
		    rest ? "," : "", s);
		free(rest);
		rest = n;
	}
	for (size_t i = 0; i < 3; i++) {
		if ((s = props_get(&p, boot_kernel[i].prop)) != NULL)
			kv[i] = boot_value(s);
		if (kv[i] != NULL && boot_kernel[i].path &&
		    check_path(kv[i], why, sizeof(why)) == -1) {
			def_err(err, errlen, "%s %s", boot_kernel[i].prop, why);
			goto out;
		}
	}
	if (def_unused(&p, err, errlen) == -1)
		goto out;
	if ((kv[1] != NULL || kv[2] != NULL) && kv[0] == NULL) {
		def_err(err, errlen, "%s needs kernel=", kv[1] != NULL ?
		    "initrd=" : "kernel_args=");
		goto out;
	}
	for (size_t i = 0; i < 3; i++) {
		char **dst = (char **)((char *)d + boot_kernel[i].off);
		if (kv[i] != NULL && kv[i][0] == '\0') {
			/* "kernel_args=": none (an empty append: line is
			   refused, so none is printed) */
			free(*dst);
			*dst = NULL;
		} else if (kv[i] != NULL)
			set_str(dst, kv[i]);
	}
	free(d->boot);
	d->boot = rest;
	rest = NULL;
	r = 0;
out:
	for (size_t i = 0; i < 3; i++)
		free(kv[i]);
	free(rest);
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

const struct corekey corekeys[] = {
	{ "name",		k_name,		0 },
	{ "uuid",		k_uuid,		0 },
	{ "description",	k_description,	0 },
	{ "memory",		k_memory,	0 },
	{ "vcpus",		k_vcpus,	0 },
	{ "cpu",		corekey_cpu,	0 },
	{ "cputune",		corekey_cputune, 0 },
	{ "iothreads",		corekey_iothreads, 0 },
	{ "vcpu-hotplugged",	corekey_vcpudev, 1 },
	{ "machine",		k_machine,	0 },
	{ "accel",		k_accel,	0 },
	{ "kernel",		k_kernel,	0 },
	{ "initrd",		k_initrd,	0 },
	{ "append",		k_append,	0 },
	{ "boot",		k_boot,		0 },
	{ "install",		corekey_install, 0 },
	{ "on_poweroff",	k_on_poweroff,	0 },
	{ "on_reboot",		k_on_reboot,	0 },
	{ "on_crash",		k_on_crash,	0 },
	{ "autostart",		k_autostart,	0 },
	{ "owner",		k_owner,	0 },
	{ "emulator",		k_emulator,	0 },
	{ "pcie_root_ports",	k_pcie_root_ports, 0 },
	{ "qemu-arg",		k_qemu_arg,	1 },
};
const size_t ncorekeys = sizeof(corekeys) / sizeof(corekeys[0]);

const struct corekey *
corekey_find(const char *name)
{
	for (size_t i = 0; i < ncorekeys; i++)
		if (strcmp(corekeys[i].name, name) == 0)
			return &corekeys[i];
	return NULL;
}

int
vmdef_known_key(const char *key)
{
	return corekey_find(key) != NULL || devkind_find(key) != NULL;
}

int
vmdef_key_repeats(const char *key)
{
	const struct corekey *k = corekey_find(key);
	const struct devkind *dk = devkind_find(key);

	return (k != NULL && k->repeat) || (dk != NULL && dk->repeat);
}

/* The canonical value of memory: */
char *
corekey_memory_value(const struct vmdef *d)
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
	char *v = corekey_memory_value(d);
	vmdef_text_set(d, "memory", v);
	free(v);
	return 0;
}

