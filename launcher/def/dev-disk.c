/*
 * disk: virt-install's --disk, repeatable: a disk, cdrom or floppy drive.
 *
 *	disk: [PATH,]path=PATH,format=raw|qcow2,bus=virtio|scsi|sata|ide|fdc,
 *	      device=disk|cdrom|floppy,target=vdb,cache=...,aio=...,
 *	      discard=unmap|ignore,readonly=on|off,serial=S,size=GIB,
 *	      sparse[=yes|no],boot_order=N,type=file|block
 *
 * Each medium is two -blockdev nodes with names from the target: file-vda,
 * the protocol node (file; host_device, or host_cdrom for a cdrom, for a
 * block device), and fmt-vda, the format node; and one -device whose id
 * is the target.  Over a running disk an external snapshot's overlay
 * gets the next generation's names, file-vda.1 and fmt-vda.1 (vmdef.h).
 * The format is never guessed: a disk without one cannot
 * go on a command line (the supervisor probes it when the definition is
 * stored), nor can a size= disk without a path (the supervisor creates
 * one).
 *
 * Targets are assigned as virsh assigns them: the explicit ones are kept,
 * then each disk without one gets the lowest free name of its bus, in the
 * order of the lines.  scsi and sata share the sd names.  Rendering reads
 * nothing on the host: a path under /dev/ or type=block is a block device.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "dev-disk.h"
#include "iothreads.h"
#include "util.h"

/* QEMU's devices for a disk and a cdrom on each bus. */
static const struct {
	const char	*hd, *cd;
} drivers[] = {
	[DBUS_VIRTIO] = { "virtio-blk-pci", NULL },
	[DBUS_SCSI] = { "scsi-hd", "scsi-cd" },
	[DBUS_SATA] = { "ide-hd", "ide-cd" },
	[DBUS_IDE] = { "ide-hd", "ide-cd" },
	[DBUS_FDC] = { "floppy", NULL },
};

static void
disk_facts(const void *conf, struct devfacts *f)
{
	const struct disk *k = conf;

	if (k->boot_order != 0)
		f->bootindex = 1;
	if (k->device == DDEV_CDROM && k->path != NULL && f->cdrom == 0)
		f->cdrom = f->ndisks + 1;
	f->ndisks++;
}


static void
put_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void
put_int(struct json_object *o, const char *key, int v)
{
	json_object_object_add(o, key, json_object_new_int(v));
}

static void
put_bool(struct json_object *o, const char *key, int v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static void
put_cache(struct json_object *o, const struct disk *k)
{
	struct json_object *c;
	int direct, no_flush, writeback;

	if (k->cache == CACHE_DEFAULT)
		return;
	disk_cache_mode(k->cache, &direct, &no_flush, &writeback);
	c = json_object_new_object();
	put_bool(c, "direct", direct);
	put_bool(c, "no-flush", no_flush);
	json_object_object_add(o, "cache", c);
}

struct json_object *
disk_file_node(const struct disk *k)
{
	struct json_object *o;

	if (k->path == NULL || k->format == FMT_NONE)
		return NULL;
	o = json_object_new_object();
	put_str(o, "driver", !disk_is_block(k) ? "file" :
	    k->device == DDEV_CDROM ? "host_cdrom" : "host_device");
	put_str(o, "filename", k->path);
	put_str(o, "node-name", k->r.file);
	put_cache(o, k);
	if (k->aio != AIO_DEFAULT)
		put_str(o, "aio", disk_aio_name(k->aio));
	if (k->discard != DISCARD_DEFAULT)
		put_str(o, "discard", disk_discard_name(k->discard));
	put_bool(o, "read-only", disk_readonly(k));
	return o;
}

struct json_object *
disk_fmt_node(const struct disk *k)
{
	struct json_object *o;

	if (k->path == NULL || k->format == FMT_NONE)
		return NULL;
	o = json_object_new_object();
	put_str(o, "driver", disk_format_name(k->format));
	put_str(o, "node-name", k->r.fmt);
	put_str(o, "file", k->r.file);
	put_bool(o, "read-only", disk_readonly(k));
	if (k->discard != DISCARD_DEFAULT)
		put_str(o, "discard", disk_discard_name(k->discard));
	put_cache(o, k);
	return o;
}

struct json_object *
disk_device(const struct vmdef *d, const struct disk *k)
{
	struct json_object *o = json_object_new_object();
	const char *drv = k->device == DDEV_CDROM ? drivers[k->r.bus].cd :
	    drivers[k->r.bus].hd;
	char bus[16];

	if (k->r.bus == DBUS_VIRTIO && def_microvm(d))
		drv = "virtio-blk-device";
	put_str(o, "driver", drv);
	put_str(o, "id", k->r.target);
	if (k->path != NULL)
		put_str(o, "drive", k->r.fmt);
	switch (k->r.bus) {
	case DBUS_SCSI:
		put_str(o, "bus", "scsi0.0");
		put_int(o, "scsi-id", (int)k->r.index);
		put_int(o, "lun", 0);
		break;
	case DBUS_SATA:
	case DBUS_IDE:
		if (k->r.bus == DBUS_SATA && !def_q35(d))
			snprintf(bus, sizeof(bus), "sata0.%u", k->r.index);
		else if (def_q35(d))
			snprintf(bus, sizeof(bus), "ide.%u", k->r.index);
		else
			snprintf(bus, sizeof(bus), "ide.%u", k->r.index / 2);
		put_str(o, "bus", bus);
		if (k->r.bus == DBUS_IDE && !def_q35(d))
			put_int(o, "unit", (int)(k->r.index % 2));
		break;
	case DBUS_FDC:
		put_int(o, "unit", (int)k->r.index);
		break;
	default:
		break;
	}
	if (k->serial != NULL)
		put_str(o, "serial", k->serial);
	/* a floppy's boot order is the controller's: see disk_options */
	if (k->boot_order != 0 && k->r.bus != DBUS_FDC)
		put_int(o, "bootindex", (int)k->boot_order);
	if (k->cache != CACHE_DEFAULT) {
		int direct, no_flush, writeback;
		disk_cache_mode(k->cache, &direct, &no_flush, &writeback);
		put_str(o, "write-cache", writeback ? "on" : "off");
	}
	if (k->iothread != 0) {
		char q[32];
		put_str(o, "iothread", iothread_qemu_id(k->iothread, q,
		    sizeof(q)));
	}
	return k->r.bus == DBUS_VIRTIO && !def_microvm(d) ? dev_pci(o) : o;
}

struct json_object *
disk_controller(const struct vmdef *d, const struct disk *k)
{
	const char *drv = NULL, *id = NULL;
	struct json_object *o;

	if (k->r.bus == DBUS_SCSI) {
		drv = def_microvm(d) ? "virtio-scsi-device" : "virtio-scsi-pci";
		id = "scsi0";
	} else if (k->r.bus == DBUS_SATA && !def_q35(d)) {
		drv = "ahci";		/* q35 has its own, ide.0 to ide.5 */
		id = "sata0";
	} else if (k->r.bus == DBUS_FDC && def_q35(d)) {
		drv = "isa-fdc";	/* pc has its own */
		id = "fdc0";
	}
	if (drv == NULL)
		return NULL;
	o = json_object_new_object();
	put_str(o, "driver", drv);
	put_str(o, "id", id);
	/* virtio-scsi-pci and ahci; not microvm's mmio nor isa-fdc */
	return k->r.bus == DBUS_FDC || def_microvm(d) ? o : dev_pci(o);
}

static void
add_json(struct argv *a, const char *opt, struct json_object *o)
{
	if (o == NULL)
		return;
	argv_add(a, opt);
	argv_add(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void
disk_options(const struct vmdef *d, const void *conf,
    const struct vmpaths *p, struct argv *a)
{
	const struct disk *k = conf;

	(void)p;
	disk_resolve(d);
	add_json(a, "-blockdev", disk_file_node(k));
	add_json(a, "-blockdev", disk_fmt_node(k));
	if (k->r.bus == DBUS_FDC && k->boot_order != 0) {
		argv_add(a, "-global");
		argv_addf(a, "isa-fdc.bootindex%c=%u", (char)('A' + k->r.index),
		    k->boot_order);
	}
}

static struct json_object *
disk_controller_cb(const struct vmdef *d, const void *conf)
{
	disk_resolve(d);
	return disk_controller(d, conf);
}

static struct json_object *
disk_device_cb(const struct vmdef *d, const void *conf, unsigned n)
{
	(void)n;
	disk_resolve(d);
	return disk_device(d, conf);
}

const struct devkind devkind_disk = {
	.key = "disk",
	.repeat = 1,
	.parse = disk_parse,
	.print = disk_print,
	.free = disk_free,
	.dup = disk_dup,
	.check = disk_check,
	.ready = disk_ready,
	.facts = disk_facts,
	.options = disk_options,
	.controller = disk_controller_cb,
	.device = disk_device_cb,
};
