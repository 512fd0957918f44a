/*
 * A disk line (dev-disk.c has the key's summary): parsing and printing
 * it, the targets every disk of a definition gets, and the checks of the
 * lines against each other and the machine.  The names and the meaning
 * of the values are the tables here.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defutil.h"
#include "dev.h"
#include "dev-disk.h"
#include "iothreads.h"
#include "props.h"
#include "util.h"

#define GIB		(1ULL << 30)
#define MAX_DISK_SIZE	(1ULL << 50)	/* 1 PiB */
#define MAX_BOOT_ORDER	9999
#define MAX_SERIAL	20		/* virtio-blk's and ATA's serial */

static const char *const fmt_names[] = {
	[FMT_NONE] = "", [FMT_RAW] = "raw", [FMT_QCOW2] = "qcow2",
};
static const char *const bus_names[] = {
	[DBUS_DEFAULT] = "", [DBUS_VIRTIO] = "virtio", [DBUS_SCSI] = "scsi",
	[DBUS_SATA] = "sata", [DBUS_IDE] = "ide", [DBUS_FDC] = "fdc",
};
static const char *const dev_names[] = {
	[DDEV_DISK] = "disk", [DDEV_CDROM] = "cdrom", [DDEV_FLOPPY] = "floppy",
};
static const char *const cache_names[] = {
	[CACHE_DEFAULT] = "", [CACHE_NONE] = "none",
	[CACHE_WRITEBACK] = "writeback", [CACHE_WRITETHROUGH] = "writethrough",
	[CACHE_DIRECTSYNC] = "directsync", [CACHE_UNSAFE] = "unsafe",
};
static const char *const aio_names[] = {
	[AIO_DEFAULT] = "", [AIO_THREADS] = "threads", [AIO_NATIVE] = "native",
	[AIO_IO_URING] = "io_uring",
};
static const char *const discard_names[] = {
	[DISCARD_DEFAULT] = "", [DISCARD_UNMAP] = "unmap",
	[DISCARD_IGNORE] = "ignore",
};
static const char *const src_names[] = {
	[SRC_AUTO] = "", [SRC_FILE] = "file", [SRC_BLOCK] = "block",
};
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * QEMU's cache modes (qemu(1), -drive cache=): the nodes' cache.direct
 * and cache.no-flush, and the device's write-cache (cache.writeback).
 */
static const struct {
	int	direct, no_flush, writeback;
} cache_modes[] = {
	[CACHE_NONE] = { 1, 0, 1 },
	[CACHE_WRITEBACK] = { 0, 0, 1 },
	[CACHE_WRITETHROUGH] = { 0, 0, 0 },
	[CACHE_DIRECTSYNC] = { 1, 0, 0 },
	[CACHE_UNSAFE] = { 0, 1, 1 },
};

/* Each bus: its target names, and how many (0: as many as names go). */
static const struct {
	const char	*prefix;
	unsigned	 max;
} buses[] = {
	[DBUS_VIRTIO] = { "vd", 0 },
	[DBUS_SCSI] = { "sd", 256 },	/* scsi-id */
	[DBUS_SATA] = { "sd", 6 },	/* AHCI ports */
	[DBUS_IDE] = { "hd", 4 },
	[DBUS_FDC] = { "fd", 2 },
};

/* virt-install's other spellings of the properties. */
static const struct {
	const char	*alias, *key;
} aliases[] = {
	{ "driver.type", "format" },
	{ "driver.cache", "cache" },
	{ "io", "aio" },
	{ "driver.io", "aio" },
	{ "driver.discard", "discard" },
	{ "target.dev", "target" },
	{ "target.bus", "bus" },
	{ "boot.order", "boot_order" },
	{ "sourcetype", "type" },
	{ "driver.iothread", "iothread" },
};

const char *
disk_format_name(enum dfmt f)
{
	return fmt_names[f];
}

const char *
disk_bus_name(enum dbus b)
{
	return bus_names[b];
}

const char *
disk_device_name(enum ddev d)
{
	return dev_names[d];
}

const char *
disk_aio_name(enum daio a)
{
	return aio_names[a];
}

const char *
disk_discard_name(enum ddiscard d)
{
	return discard_names[d];
}

void
disk_cache_mode(enum dcache c, int *direct, int *no_flush, int *writeback)
{
	*direct = cache_modes[c].direct;
	*no_flush = cache_modes[c].no_flush;
	*writeback = cache_modes[c].writeback;
}

static int
lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (*names[i] != '\0' && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

enum dfmt
disk_format_find(const char *s)
{
	int i = lookup(fmt_names, NELEM(fmt_names), s);

	return i == -1 ? FMT_NONE : (enum dfmt)i;
}

/* "a, b or c" of the names of a table. */
static void
names_list(const char *const *names, size_t n, char *buf, size_t len)
{
	size_t k = 0, m = 0;

	for (size_t i = 0; i < n; i++)
		m += *names[i] != '\0';
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (*names[i] == '\0')
			continue;
		if (k > 0)
			strlcat(buf, k + 1 == m ? " or " : ", ", len);
		strlcat(buf, names[i], len);
		k++;
	}
}

/* ---- disks of a definition and their targets ---- */

size_t
disk_count(const struct vmdef *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->ndevs; i++)
		n += d->devs[i].kind == &devkind_disk;
	return n;
}

struct disk *
disk_at(const struct vmdef *d, size_t i)
{
	for (size_t j = 0; j < d->ndevs; j++)
		if (d->devs[j].kind == &devkind_disk && i-- == 0)
			return d->devs[j].conf;
	return NULL;
}

/* The name of index i of a bus: a..z, aa..zz, aaa..: vdz, vdaa. */
static void
target_name(const char *prefix, unsigned i, char *buf)
{
	char rev[4];
	size_t n = 0;

	for (long v = i; v >= 0 && n < 3; v = v / 26 - 1)
		rev[n++] = (char)('a' + v % 26);
	strlcpy(buf, prefix, DISK_TARGET_LEN);
	size_t o = strlen(buf);
	while (n > 0)
		buf[o++] = rev[--n];
	buf[o] = '\0';
}

/* A target's prefix (vd, sd, hd, fd) and index; -1 if it is none. */
static int
target_parse(const char *t, char prefix[3], unsigned *idx)
{
	static const char *const prefixes[] = { "vd", "sd", "hd", "fd" };
	size_t n = strlen(t);
	unsigned v = 0;

	if (n < 3 || n > 5 || lookup(prefixes, NELEM(prefixes),
	    (char[3]){ t[0], t[1], '\0' }) == -1)
		return -1;
	for (size_t i = 2; i < n; i++) {
		if (t[i] < 'a' || t[i] > 'z')
			return -1;
		v = (v + (i > 2)) * 26 + (unsigned)(t[i] - 'a');
	}
	prefix[0] = t[0];
	prefix[1] = t[1];
	prefix[2] = '\0';
	*idx = v;
	return 0;
}

static enum dbus
bus_of(const struct vmdef *d, const struct disk *k)
{
	if (k->bus != DBUS_DEFAULT)
		return k->bus;
	switch (k->device) {
	case DDEV_FLOPPY:
		return DBUS_FDC;
	case DDEV_CDROM:
		return def_microvm(d) ? DBUS_SCSI : def_q35(d) ? DBUS_SATA :
		    DBUS_IDE;
	default:
		return DBUS_VIRTIO;
	}
}

void
disk_node_names(const struct disk *k, unsigned gen, char *file,
    size_t filelen, char *fmt, size_t fmtlen)
{
	if (gen == 0) {
		snprintf(file, filelen, "file-%s", k->r.target);
		snprintf(fmt, fmtlen, "fmt-%s", k->r.target);
	} else {
		snprintf(file, filelen, "file-%s.%u", k->r.target, gen);
		snprintf(fmt, fmtlen, "fmt-%s.%u", k->r.target, gen);
	}
}

void
disk_resolve(const struct vmdef *d)
{
	size_t n = disk_count(d), nused = 0;
	struct {
		char		prefix[3];
		unsigned	idx;
	} *used = xcalloc(n + 1, sizeof(*used));
	struct disk *k;

	for (size_t i = 0; i < n; i++) {
		k = disk_at(d, i);
		k->r.bus = bus_of(d, k);
		if (k->target == NULL ||
		    target_parse(k->target, used[nused].prefix,
		    &used[nused].idx) == -1)
			continue;
		k->r.index = used[nused++].idx;
		strlcpy(k->r.target, k->target, sizeof(k->r.target));
	}
	for (size_t i = 0; i < n; i++) {
		k = disk_at(d, i);
		if (k->target != NULL)
			continue;
		const char *prefix = buses[k->r.bus].prefix;
		unsigned idx = 0;
		for (size_t j = 0; j < nused; j++)
			if (strcmp(used[j].prefix, prefix) == 0 &&
			    used[j].idx == idx) {
				idx++;
				j = (size_t)-1;		/* again from the start */
			}
		strlcpy(used[nused].prefix, prefix, sizeof(used[0].prefix));
		used[nused++].idx = idx;
		k->r.index = idx;
		target_name(prefix, idx, k->r.target);
	}
	for (size_t i = 0; i < n; i++) {
		k = disk_at(d, i);
		disk_node_names(k, k->gen, k->r.file, sizeof(k->r.file),
		    k->r.fmt, sizeof(k->r.fmt));
	}
	free(used);
}

int
disk_readonly(const struct disk *k)
{
	return k->device == DDEV_CDROM || k->readonly == 1;
}

int
disk_is_block(const struct disk *k)
{
	return k->src == SRC_BLOCK || (k->src == SRC_AUTO && k->path != NULL &&
	    strncmp(k->path, "/dev/", 5) == 0);
}

/* ---- parsing ---- */

int
disk_check_path(const char *v, char *err, size_t errlen)
{
	if (v[0] != '/')
		return def_err(err, errlen, "path '%s' is not an absolute path",
		    v);
	for (const char *c = v; *c; c++)
		if (iscntrl((unsigned char)*c))
			return def_err(err, errlen, "control character in path");
	return 0;
}

/*
 * The value of a property under its name or one of virt-install's other
 * names for it; given under two of them is an error.
 */
static int
get(struct props *p, const char *key, const char **out, char *err,
    size_t errlen)
{
	const char *v = props_get(p, key), *a, *name = key;

	for (size_t i = 0; i < NELEM(aliases); i++) {
		if (strcmp(aliases[i].key, key) != 0 ||
		    (a = props_get(p, aliases[i].alias)) == NULL)
			continue;
		if (v != NULL)
			return def_err(err, errlen, "%s is given twice (as %s "
			    "and %s)", key, name, aliases[i].alias);
		v = a;
		name = aliases[i].alias;
	}
	*out = v;
	return 0;
}

/* One of a table's names, for property key. */
static int
get_enum(struct props *p, const char *key, const char *const *names,
    size_t n, int *out, char *err, size_t errlen)
{
	const char *v;
	char list[128];
	int i;

	if (get(p, key, &v, err, errlen) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if ((i = lookup(names, n, v)) == -1) {
		names_list(names, n, list, sizeof(list));
		return def_err(err, errlen, "%s '%s' is not %s", key, v, list);
	}
	*out = i;
	return 0;
}

/*
 * virt-install's size: GiB, with decimals (0.5); or with a unit (512M,
 * 1536K, 2G, 4096B).  Rounded up to whole 512-byte sectors.
 */
static int
parse_disk_size(const char *v, uint64_t *bytes, char *err, size_t errlen)
{
	const char *e, *dot = strchr(v, '.');
	size_t wl = dot != NULL ? (size_t)(dot - v) : strlen(v), nd = 0;
	long long whole = 0, frac = 0;
	uint64_t b, p10 = 1;
	char num[32];

	if (*v != '\0' && isalpha((unsigned char)v[strlen(v) - 1])) {
		if (parse_size(v, &b, &e) == -1)
			goto bad;
	} else {
		if (wl >= sizeof(num))
			goto large;
		memcpy(num, v, wl);
		num[wl] = '\0';
		if (dot != NULL && ((nd = strlen(dot + 1)) == 0 || nd > 9 ||
		    strspn(dot + 1, "0123456789") != nd ||
		    parse_uint(dot + 1, 0, 999999999, &frac, &e) == -1))
			goto bad;
		if ((wl > 0 || dot == NULL) &&
		    parse_uint(num, 0, LLONG_MAX, &whole, &e) == -1)
			goto bad;
		if ((uint64_t)whole > MAX_DISK_SIZE / GIB)
			goto large;
		for (size_t i = 0; i < nd; i++)
			p10 *= 10;
		b = (uint64_t)whole * GIB +
		    ((uint64_t)frac * GIB + p10 - 1) / p10;
	}
	if (b > MAX_DISK_SIZE)
		goto large;
	b = (b + 511) & ~511ULL;
	if (b == 0)
		return def_err(err, errlen, "size '%s' is not more than 0", v);
	*bytes = b;
	return 0;
bad:
	return def_err(err, errlen, "size '%s' is not a number of GiB (10, "
	    "0.5) or a size with a unit (512M)", v);
large:
	return def_err(err, errlen, "size '%s' is more than 1 PiB", v);
}

static int
valid_serial(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_SERIAL)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("_ .+-", *s) == NULL)
			return 0;
	return 1;
}

/*
 * The positional items: the path (a bare one first, as virt-install
 * writes it, even when it holds '=') and the bare flag sparse.
 */
static int
positionals(struct props *p, struct disk *k, char *err, size_t errlen)
{
	const char *path = NULL;
	char *joined = NULL;
	int r = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct prop *pr = &p->v[i];
		if (pr->key == NULL && strcmp(pr->val, "sparse") == 0) {
			pr->used = 1;
			k->sparse = 1;
		} else if (pr->key == NULL && path == NULL) {
			pr->used = 1;
			path = pr->val;
		} else if (pr->key != NULL && pr->key[0] == '/' && path == NULL) {
			/* "/a=b.img": the key is the raw text before '=' */
			char *kk = xstrdup(pr->key), *o = kk;
			for (const char *c = pr->key; *c; c++) {
				*o++ = *c;
				if (*c == ',' && c[1] == ',')
					c++;
			}
			*o = '\0';
			joined = xasprintf("%s=%s", kk, pr->val);
			free(kk);
			pr->used = 1;
			path = joined;
		}
	}
	const char *pk = props_get(p, "path");
	if (pk != NULL && path != NULL)
		r = def_err(err, errlen, "the path is given twice");
	else if ((path != NULL || (path = pk) != NULL) &&
	    (r = disk_check_path(path, err, errlen)) == 0)
		k->path = xstrdup(path);
	free(joined);
	return r;
}

/* The properties of one line, one by one. */
static int
parse_props(struct props *p, struct disk *k, char *err, size_t errlen)
{
	const char *v;

	if (positionals(p, k, err, errlen) == -1)
		return -1;
	if (get(p, "bus", &v, err, errlen) == -1)
		return -1;
	if (v != NULL && strcmp(v, "usb") == 0)
		return def_err(err, errlen, "bus usb: USB storage is not "
		    "supported yet (virtio, scsi, sata, ide)");
	int fmt = 0, bus = 0, dev = 0, cache = 0, aio = 0, disc = 0, src = 0;
	if (get_enum(p, "format", fmt_names, NELEM(fmt_names), &fmt, err,
	    errlen) == -1 ||
	    get_enum(p, "bus", bus_names, NELEM(bus_names), &bus, err,
	    errlen) == -1 ||
	    get_enum(p, "device", dev_names, NELEM(dev_names), &dev, err,
	    errlen) == -1 ||
	    get_enum(p, "cache", cache_names, NELEM(cache_names), &cache, err,
	    errlen) == -1 ||
	    get_enum(p, "aio", aio_names, NELEM(aio_names), &aio, err,
	    errlen) == -1 ||
	    get_enum(p, "discard", discard_names, NELEM(discard_names), &disc,
	    err, errlen) == -1 ||
	    get_enum(p, "type", src_names, NELEM(src_names), &src, err,
	    errlen) == -1)
		return -1;
	k->format = (enum dfmt)fmt;
	k->bus = (enum dbus)bus;
	k->device = (enum ddev)dev;
	k->cache = (enum dcache)cache;
	k->aio = (enum daio)aio;
	k->discard = (enum ddiscard)disc;
	k->src = (enum dsrc)src;
	if ((v = props_get(p, "readonly")) != NULL &&
	    parse_bool(v, &k->readonly) == -1)
		return def_err(err, errlen, "readonly '%s' is not on or off", v);
	if ((v = props_get(p, "sparse")) != NULL) {
		if (k->sparse == 1)
			return def_err(err, errlen, "sparse is given twice");
		if (parse_bool(v, &k->sparse) == -1)
			return def_err(err, errlen, "sparse '%s' is not yes or no",
			    v);
	}
	if ((v = props_get(p, "serial")) != NULL) {
		if (!valid_serial(v))
			return def_err(err, errlen, "serial '%s': 1 to %d "
			    "letters, digits, spaces or _.+-", v, MAX_SERIAL);
		k->serial = xstrdup(v);
	}
	if ((v = props_get(p, "size")) != NULL &&
	    parse_disk_size(v, &k->size, err, errlen) == -1)
		return -1;
	if (get(p, "boot_order", &v, err, errlen) == -1 ||
	    (v != NULL && def_uint("boot_order", v, 1, MAX_BOOT_ORDER,
	    &k->boot_order, err, errlen) == -1))
		return -1;
	if (get(p, "iothread", &v, err, errlen) == -1 ||
	    (v != NULL && def_uint("iothread", v, 1, IOTHREAD_MAX,
	    &k->iothread, err, errlen) == -1))
		return -1;
	if (get(p, "target", &v, err, errlen) == -1)
		return -1;
	if (v != NULL) {
		char pre[3];
		unsigned idx;
		if (target_parse(v, pre, &idx) == -1)
			return def_err(err, errlen, "target '%s' is not a disk "
			    "name (vda, sdb, hdc, fda, ...)", v);
		k->target = xstrdup(v);
	}
	return def_unused(p, err, errlen);
}

int
disk_check_line(const struct disk *k, char *err, size_t errlen)
{
	const char *dev = dev_names[k->device];

	if (k->device == DDEV_DISK && k->path == NULL && k->size == 0)
		return def_err(err, errlen, "no path or size given");
	if (k->device == DDEV_CDROM && k->readonly == 0)
		return def_err(err, errlen, "a cdrom is read-only (readonly=off)");
	if (disk_readonly(k) && k->size != 0)
		return def_err(err, errlen, "a %s is not created (size=)",
		    k->device == DDEV_CDROM ? "cdrom" : "read-only disk");
	if (k->device != DDEV_DISK && k->path == NULL && k->size != 0)
		return def_err(err, errlen, "a %s without a path is an empty "
		    "drive, not created (size=)", dev);
	if (k->src == SRC_BLOCK && k->path == NULL)
		return def_err(err, errlen, "type=block needs a path");
	if (disk_is_block(k) && k->size != 0)
		return def_err(err, errlen, "a block device is not created "
		    "(size=)");
	if (k->aio == AIO_NATIVE && (k->cache == CACHE_DEFAULT ||
	    !cache_modes[k->cache].direct))
		return def_err(err, errlen, "aio=native needs cache.direct=on: "
		    "cache=none or cache=directsync");
	if (k->device == DDEV_FLOPPY && k->bus != DBUS_DEFAULT &&
	    k->bus != DBUS_FDC)
		return def_err(err, errlen, "a floppy is on bus fdc, not %s",
		    bus_names[k->bus]);
	if (k->device != DDEV_FLOPPY && k->bus == DBUS_FDC)
		return def_err(err, errlen, "bus fdc is for device=floppy");
	if (k->device == DDEV_FLOPPY && k->serial != NULL)
		return def_err(err, errlen, "a floppy has no serial");
	if (k->device == DDEV_CDROM && k->bus == DBUS_VIRTIO)
		return def_err(err, errlen, "a cdrom is on scsi, sata or ide, "
		    "not virtio");
	if (k->iothread != 0 && (k->device != DDEV_DISK ||
	    (k->bus != DBUS_DEFAULT && k->bus != DBUS_VIRTIO)))
		return def_err(err, errlen, "iothread=%u: only a virtio disk "
		    "has an iothread, not a %s on bus %s", k->iothread,
		    dev_names[k->device], k->bus != DBUS_DEFAULT ?
		    bus_names[k->bus] : k->device == DDEV_FLOPPY ? "fdc" :
		    "ide or sata");
	return 0;
}

void *
disk_parse(const char *v, char *err, size_t errlen)
{
	struct props p;
	struct disk *k;

	if (props_parse(v, &p, err, errlen) == -1)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->readonly = -1;
	k->sparse = -1;
	if (parse_props(&p, k, err, errlen) == -1 ||
	    disk_check_line(k, err, errlen) == -1) {
		disk_free(k);
		k = NULL;
	}
	props_free(&p);
	return k;
}

/* ---- printing ---- */

/* Bytes as GiB when whole, else with the largest unit that divides. */
static void
print_size(uint64_t b, char *buf, size_t len)
{
	if (b % GIB == 0)
		snprintf(buf, len, "%llu", (unsigned long long)(b / GIB));
	else if (b % (1 << 20) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(b >> 20));
	else if (b % 1024 == 0)
		snprintf(buf, len, "%lluK", (unsigned long long)(b >> 10));
	else
		snprintf(buf, len, "%lluB", (unsigned long long)b);
}

char *
disk_print(const void *conf)
{
	const struct disk *k = conf;
	char *s = xstrdup(""), n[32];

	if (k->path != NULL)
		def_print_add(&s, NULL, k->path);
	if (k->format != FMT_NONE)
		def_print_add(&s, "format", fmt_names[k->format]);
	if (k->device != DDEV_DISK)
		def_print_add(&s, "device", dev_names[k->device]);
	if (k->bus != DBUS_DEFAULT)
		def_print_add(&s, "bus", bus_names[k->bus]);
	if (k->target != NULL)
		def_print_add(&s, "target", k->target);
	if (k->src != SRC_AUTO)
		def_print_add(&s, "type", src_names[k->src]);
	if (k->cache != CACHE_DEFAULT)
		def_print_add(&s, "cache", cache_names[k->cache]);
	if (k->aio != AIO_DEFAULT)
		def_print_add(&s, "aio", aio_names[k->aio]);
	if (k->discard != DISCARD_DEFAULT)
		def_print_add(&s, "discard", discard_names[k->discard]);
	if (k->readonly != -1)
		def_print_add(&s, "readonly", k->readonly ? "on" : "off");
	if (k->serial != NULL)
		def_print_add(&s, "serial", k->serial);
	if (k->size != 0) {
		print_size(k->size, n, sizeof(n));
		def_print_add(&s, "size", n);
	}
	if (k->sparse != -1)
		def_print_add(&s, "sparse", k->sparse ? "yes" : "no");
	if (k->boot_order != 0) {
		snprintf(n, sizeof(n), "%u", k->boot_order);
		def_print_add(&s, "boot_order", n);
	}
	if (k->iothread != 0) {
		snprintf(n, sizeof(n), "%u", k->iothread);
		def_print_add(&s, "iothread", n);
	}
	return s;
}

void
disk_free(void *conf)
{
	struct disk *k = conf;

	if (k == NULL)
		return;
	free(k->path);
	free(k->serial);
	free(k->target);
	free(k);
}

void *
disk_dup(const void *conf)
{
	const struct disk *s = conf;
	struct disk *k = xmemdup(s, sizeof(*s));

	k->path = xstrdup_null(s->path);
	k->serial = xstrdup_null(s->serial);
	k->target = xstrdup_null(s->target);
	return k;
}

/* ---- checks against the rest of the definition ---- */

/* The AHCI port of a sata or (on q35) ide disk; -1: none. */
static int
ahci_port(const struct vmdef *d, const struct disk *k)
{
	if (k->r.bus == DBUS_SATA || (k->r.bus == DBUS_IDE && def_q35(d)))
		return (int)k->r.index;
	return -1;
}

static int
check_bus(const struct vmdef *d, const struct disk *k, char *err,
    size_t errlen)
{
	const char *t = k->r.target, *b = bus_names[k->r.bus];
	char pre[3], first[DISK_TARGET_LEN], last[DISK_TARGET_LEN];
	unsigned idx;

	if (def_microvm(d) && k->r.bus == DBUS_FDC)
		return def_err(err, errlen, "%s: a floppy is not possible on "
		    "microvm, which has no floppy controller", t);
	if (def_microvm(d) && k->r.bus != DBUS_VIRTIO && k->r.bus != DBUS_SCSI)
		return def_err(err, errlen, "%s: bus %s is not possible on "
		    "microvm (bus=virtio or scsi)", t, b);
	target_parse(t, pre, &idx);
	if (strcmp(pre, buses[k->r.bus].prefix) != 0)
		return def_err(err, errlen, "target %s does not fit bus %s "
		    "(%sa, %sb, ...)", t, b, buses[k->r.bus].prefix,
		    buses[k->r.bus].prefix);
	if (buses[k->r.bus].max != 0 && idx >= buses[k->r.bus].max) {
		target_name(buses[k->r.bus].prefix, 0, first);
		target_name(buses[k->r.bus].prefix, buses[k->r.bus].max - 1,
		    last);
		if (k->target == NULL)
			return def_err(err, errlen, "%s: more than %u disks on "
			    "bus %s (%s to %s)", t, buses[k->r.bus].max, b,
			    first, last);
		return def_err(err, errlen, "%s: bus %s has %s to %s only", t,
		    b, first, last);
	}
	if (k->device == DDEV_DISK && k->readonly == 1 &&
	    (k->r.bus == DBUS_IDE || k->r.bus == DBUS_SATA))
		return def_err(err, errlen, "%s: a read-only disk cannot be on "
		    "bus %s, QEMU refuses it (bus=virtio or scsi)", t, b);
	return 0;
}

/* Does one disk clash with another before it? */
static int
check_pair(const struct vmdef *d, const struct disk *a, const struct disk *k,
    char *err, size_t errlen)
{
	const char *t = k->r.target;
	int pa = ahci_port(d, a), pk = ahci_port(d, k);

	if (strcmp(a->r.target, t) == 0)
		return def_err(err, errlen, "target %s is given twice", t);
	if (pa != -1 && pa == pk)
		return def_err(err, errlen, "%s and %s are both on port ide.%d "
		    "of q35's AHCI controller", a->r.target, t, pk);
	if (a->path != NULL && k->path != NULL &&
	    strcmp(a->path, k->path) == 0 &&
	    (!disk_readonly(a) || !disk_readonly(k)))
		return def_err(err, errlen, "%s and %s have the same path %s "
		    "(only read-only disks may share one)", a->r.target, t,
		    k->path);
	if (a->boot_order != 0 && a->boot_order == k->boot_order)
		return def_err(err, errlen, "%s and %s have the same "
		    "boot_order %u", a->r.target, t, k->boot_order);
	return 0;
}

int
disk_check(const struct vmdef *d, const void *const *confs, size_t n,
    char *err, size_t errlen)
{
	disk_resolve(d);
	for (size_t i = 0; i < n; i++) {
		const struct disk *k = confs[i];
		if (check_bus(d, k, err, errlen) == -1)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (check_pair(d, confs[j], k, err, errlen) == -1)
				return -1;
	}
	return 0;
}

int
disk_ready(const struct vmdef *d, const void *conf, char *err, size_t errlen)
{
	const struct disk *k = conf;

	disk_resolve(d);
	if (k->path == NULL && k->device == DDEV_DISK)
		return def_err(err, errlen, "disk %s: no path; the supervisor "
		    "creates one (size=) when the definition is stored",
		    k->r.target);
	if (k->path != NULL && k->format == FMT_NONE)
		return def_err(err, errlen, "disk %s: no format; the supervisor "
		    "probes it when the definition is stored", k->r.target);
	return 0;
}


