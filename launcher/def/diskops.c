/*
 * What the supervisor asks of a definition's disks and changes in them
 * (vmdef.h, vmdef_disk_*): reading a disk line, writing the path or the
 * format it decided, and hot-plug, unplug and media change as QMP steps
 * built from the same objects as the command line.  Every change is
 * checked on a copy first, so that d is unchanged on error, and written
 * into the author's text as well.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "dev-disk.h"
#include "pci.h"
#include "util.h"
#include "vmdef.h"

size_t
vmdef_disk_count(const struct vmdef *d)
{
	return disk_count(d);
}

int
vmdef_disk_get(const struct vmdef *d, size_t i, struct vmdef_disk *out)
{
	const struct disk *k = disk_at(d, i);

	if (k == NULL)
		return -1;
	disk_resolve(d);
	out->target = k->r.target;
	out->path = k->path;
	out->format = k->format != FMT_NONE ? disk_format_name(k->format) :
	    NULL;
	out->bus = disk_bus_name(k->r.bus);
	out->device = disk_device_name(k->device);
	out->size = k->size;
	out->sparse = k->sparse != 0;
	out->readonly = disk_readonly(k);
	out->node = k->path != NULL ? k->r.fmt : NULL;
	out->overlays = k->gen;
	out->iothread = k->iothread;
	return 0;
}

int
vmdef_disk_find(const struct vmdef *d, const char *target, size_t *ip)
{
	size_t n = disk_count(d);

	disk_resolve(d);
	for (size_t i = 0; i < n; i++)
		if (strcmp(disk_at(d, i)->r.target, target) == 0) {
			if (ip != NULL)
				*ip = i;
			return 0;
		}
	return -1;
}

/* Rewrite the text of disk line i from its configuration. */
static void
text_line(struct vmdef *d, size_t i)
{
	size_t j = 0, n = 0;

	for (; j < d->ndevs; j++)
		if (d->devs[j].kind == &devkind_disk && n++ == i)
			break;
	if (j == d->ndevs)
		return;
	char *v = vmdef_dev_value(d, &devkind_disk, d->devs[j].conf, j);
	vmdef_text_set_nth(d, "disk", i, v);
	free(v);
}

/*
 * Put disk k (new, owned) in place of disk i on a copy of d, check the
 * copy as a whole, and make it d.
 */
static int
replace(struct vmdef *d, size_t i, struct disk *k, char *err, size_t errlen)
{
	struct vmdef *nd;
	struct disk *old;

	disk_resolve(d);
	old = disk_at(d, i);
	if (disk_check_line(k, err, errlen) == -1) {
		char why[400];
		strlcpy(why, err, sizeof(why));
		disk_free(k);
		return def_err(err, errlen, "disk %s: %s", old->r.target, why);
	}
	nd = vmdef_dup(d);
	for (size_t j = 0, n = 0; j < nd->ndevs; j++)
		if (nd->devs[j].kind == &devkind_disk && n++ == i) {
			disk_free(nd->devs[j].conf);
			nd->devs[j].conf = k;
		}
	if (vmdef_check(nd, err, errlen) == -1) {
		vmdef_free(nd);
		return -1;
	}
	def_take(d, nd);
	text_line(d, i);
	return 0;
}

void
vmdef_disk_boot_first(struct vmdef *d, size_t i)
{
	struct disk *k = disk_at(d, i), *o;
	unsigned was;

	if (k == NULL)
		return;
	was = k->boot_order;
	for (size_t j = 0; j < disk_count(d); j++) {
		o = disk_at(d, j);
		if (j == i || o->boot_order == 0 ||
		    (was != 0 && o->boot_order > was))
			continue;
		o->boot_order++;
		text_line(d, j);
	}
	k->boot_order = 1;
	text_line(d, i);
}

int
vmdef_disk_boot_default(struct vmdef *d)
{
	static const enum ddev order[] = { DDEV_DISK, DDEV_CDROM };
	size_t n = disk_count(d);
	unsigned next = 1;

	for (size_t j = 0; j < n; j++)
		if (disk_at(d, j)->boot_order != 0)
			return 0;
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (size_t j = 0; j < n; j++) {
			struct disk *k = disk_at(d, j);
			if (k->device != order[o])
				continue;
			k->boot_order = next++;
			text_line(d, j);
		}
	return next > 1;
}

static struct disk *
get_disk(const struct vmdef *d, size_t i, char *err, size_t errlen)
{
	struct disk *k = disk_at(d, i);

	if (k == NULL)
		def_err(err, errlen, "disk %zu: no such disk line (%zu in all)",
		    i, disk_count(d));
	else
		disk_resolve(d);
	return k;
}

char *
vmdef_disk_line(const struct vmdef *d, size_t i)
{
	struct disk *k = i < disk_count(d) ? disk_at(d, i) : NULL, *c;

	if (k == NULL)
		return NULL;
	disk_resolve(d);
	c = disk_dup(k);
	if (c->target == NULL)
		c->target = xstrdup(k->r.target);	/* the same name elsewhere */
	char *line = disk_print(c);
	disk_free(c);
	return line;
}

int
vmdef_disk_set_path(struct vmdef *d, size_t i, const char *path, char *err,
    size_t errlen)
{
	struct disk *k = get_disk(d, i, err, errlen), *nk;
	char why[300];

	if (k == NULL)
		return -1;
	if (k->path != NULL || k->size == 0)
		return def_err(err, errlen, "disk %s: only a disk given by its "
		    "size (size=, no path) gets a path", k->r.target);
	if (disk_check_path(path, why, sizeof(why)) == -1)
		return def_err(err, errlen, "disk %s: %s", k->r.target, why);
	nk = disk_dup(k);
	nk->path = xstrdup(path);
	return replace(d, i, nk, err, errlen);
}

int
vmdef_disk_set_format(struct vmdef *d, size_t i, const char *format,
    char *err, size_t errlen)
{
	struct disk *k = get_disk(d, i, err, errlen), *nk;
	enum dfmt f = disk_format_find(format);

	if (k == NULL)
		return -1;
	if (f == FMT_NONE)
		return def_err(err, errlen, "disk %s: format '%s' is not raw or "
		    "qcow2", k->r.target, format);
	nk = disk_dup(k);
	nk->format = f;
	return replace(d, i, nk, err, errlen);
}

int
vmdef_disk_set_source(struct vmdef *d, size_t i, const char *path,
    const char *format, char *err, size_t errlen)
{
	struct disk *k = get_disk(d, i, err, errlen), *nk;
	enum dfmt f = format != NULL ? disk_format_find(format) : FMT_NONE;
	char why[300];

	if (k == NULL)
		return -1;
	if (k->path == NULL)
		return def_err(err, errlen, "disk %s: has no image",
		    k->r.target);
	if (format == NULL)
		f = k->format;	/* moved or copied: the same format */
	if (f == FMT_NONE)
		return def_err(err, errlen, "disk %s: format '%s' is not raw or "
		    "qcow2", k->r.target, format);
	if (disk_check_path(path, why, sizeof(why)) == -1)
		return def_err(err, errlen, "disk %s: %s", k->r.target, why);
	nk = disk_dup(k);
	free(nk->path);
	nk->path = xstrdup(path);
	nk->format = f;
	nk->size = 0;
	nk->sparse = -1;
	nk->src = SRC_AUTO;
	return replace(d, i, nk, err, errlen);
}

int
vmdef_disk_set_overlays(struct vmdef *d, size_t i, unsigned n)
{
	struct disk *k = disk_at(d, i);

	if (k == NULL)
		return -1;
	k->gen = n;
	disk_resolve(d);
	return 0;
}

/* ---- QMP steps ---- */

/* The two blockdev-add steps of a medium, each undone by blockdev-del. */
static void
add_medium(struct json_object *steps, const struct disk *k)
{
	def_step(steps, "blockdev-add", disk_file_node(k), "blockdev-del",
	    def_args1("node-name", k->r.file));
	def_step(steps, "blockdev-add", disk_fmt_node(k), "blockdev-del",
	    def_args1("node-name", k->r.fmt));
}

/* Every generation's nodes, the top one first: each frees the next. */
static void
del_medium(struct json_object *steps, const struct disk *k)
{
	char file[sizeof(k->r.file)], fmt[sizeof(k->r.fmt)];

	for (unsigned g = k->gen + 1; g-- > 0;) {
		disk_node_names(k, g, file, sizeof(file), fmt, sizeof(fmt));
		def_step(steps, "blockdev-del", def_args1("node-name", fmt), NULL,
		    NULL);
		def_step(steps, "blockdev-del", def_args1("node-name", file), NULL,
		    NULL);
	}
}

/* QEMU plugs and unplugs disks on virtio and scsi only. */
static int
pluggable(const struct vmdef *d, const struct disk *k, const char *what,
    char *err, size_t errlen)
{
	if (def_microvm(d))
		return def_err(err, errlen, "disk %s: microvm cannot %s devices",
		    k->r.target, what);
	if (k->r.bus != DBUS_VIRTIO && k->r.bus != DBUS_SCSI)
		return def_err(err, errlen, "disk %s: QEMU cannot %s a disk on "
		    "bus %s (virtio and scsi can)", k->r.target, what,
		    disk_bus_name(k->r.bus));
	return 0;
}

int
vmdef_disk_plug(struct vmdef *d, const char *value, size_t *ip,
    struct json_object **steps, char *err, size_t errlen)
{
	struct vmdef *nd = vmdef_dup(d);
	struct json_object *c, *o, *s;
	struct disk *k;
	size_t i;

	/* the devices there keep their slots; the new one takes a free one */
	if (vmdef_pci_pin(nd, err, errlen) == -1 ||
	    vmdef_set(nd, "disk", value, err, errlen) == -1 ||
	    vmdef_check(nd, err, errlen) == -1)
		goto fail;
	i = disk_count(nd) - 1;
	k = disk_at(nd, i);
	disk_resolve(d);
	disk_resolve(nd);
	/* an explicit target must not take the name of a disk the VM has */
	for (size_t j = 0; j < i; j++)
		if (strcmp(disk_at(nd, j)->r.target, disk_at(d, j)->r.target)) {
			def_err(err, errlen, "disk %s: the VM has a disk %s "
			    "already", k->r.target, k->r.target);
			goto fail;
		}
	if (pluggable(nd, k, "hot-plug", err, errlen) == -1 ||
	    disk_ready(nd, k, err, errlen) == -1)
		goto fail;
	/* its line, with the slot it takes written in */
	vmdef_text_set_nth(nd, "disk", i, value);
	if (vmdef_pci_pin(nd, err, errlen) == -1)
		goto fail;
	/* the controller, unless a disk the VM has already brought it */
	if ((c = disk_controller(nd, k)) != NULL)
		for (size_t j = 0; j < i && c != NULL; j++) {
			struct json_object *oc = disk_controller(nd,
			    disk_at(nd, j));
			if (oc != NULL && json_object_equal(oc, c)) {
				json_object_put(c);
				c = NULL;
			}
			json_object_put(oc);
		}
	o = disk_device(nd, k);
	if (pci_place_all(nd, (struct json_object *[]){ o, c, NULL }, err,
	    errlen) == -1) {
		json_object_put(o);
		json_object_put(c);
		goto fail;
	}
	s = json_object_new_array();
	if (c != NULL) {
		struct json_object *id;
		json_object_object_get_ex(c, "id", &id);
		def_step(s, "device_add", c, "device_del",
		    def_args1("id", json_object_get_string(id)));
	}
	if (k->path != NULL)
		add_medium(s, k);
	def_step(s, "device_add", o, "device_del", def_args1("id", k->r.target));
	def_take(d, nd);
	*ip = i;
	*steps = s;
	return 0;
fail:
	vmdef_free(nd);
	return -1;
}

int
vmdef_disk_unplug(struct vmdef *d, const char *target,
    struct json_object **steps, char *err, size_t errlen)
{
	struct vmdef *nd;
	struct disk *k;
	size_t i, n = disk_count(d);
	char (*was)[DISK_TARGET_LEN];
	int *pinned;

	if (vmdef_disk_find(d, target, &i) == -1)
		return def_err(err, errlen, "disk %s: no such disk", target);
	k = disk_at(d, i);
	if (pluggable(d, k, "unplug", err, errlen) == -1)
		return -1;
	/* the targets the others have now, which they keep */
	/* the others keep their PCI slots */
	nd = vmdef_dup(d);
	if (vmdef_pci_pin(nd, err, errlen) == -1) {
		vmdef_free(nd);
		return -1;
	}
	was = xcalloc(n, sizeof(*was));
	pinned = xcalloc(n, sizeof(*pinned));
	for (size_t j = 0; j < n; j++)
		strlcpy(was[j], disk_at(d, j)->r.target, sizeof(was[j]));
	for (size_t j = 0, m = 0; j < nd->ndevs; j++)
		if (nd->devs[j].kind == &devkind_disk && m++ == i) {
			disk_free(nd->devs[j].conf);
			memmove(&nd->devs[j], &nd->devs[j + 1],
			    (nd->ndevs - j - 1) * sizeof(nd->devs[0]));
			nd->ndevs--;
			break;
		}
	disk_resolve(nd);
	for (size_t j = 0; j + 1 < n; j++) {
		struct disk *o = disk_at(nd, j);
		const char *t = was[j < i ? j : j + 1];
		if (strcmp(o->r.target, t) != 0) {
			o->target = xstrdup(t);
			pinned[j] = 1;
		}
	}
	if (vmdef_check(nd, err, errlen) == -1) {
		vmdef_free(nd);
		free(was);
		free(pinned);
		return -1;
	}
	struct json_object *s = json_object_new_array(), *c, *id;
	def_step(s, "device_del", def_args1("id", k->r.target), NULL, NULL);
	if (k->path != NULL)
		del_medium(s, k);
	/* the controller goes with its last disk, as plug brings it */
	if ((c = disk_controller(d, k)) != NULL) {
		int used = 0;
		for (size_t j = 0; j + 1 < n && !used; j++) {
			struct json_object *o = disk_controller(nd,
			    disk_at(nd, j));
			used = o != NULL && json_object_equal(o, c);
			json_object_put(o);
		}
		json_object_object_get_ex(c, "id", &id);
		if (!used)
			def_step(s, "device_del", def_args1("id",
			    json_object_get_string(id)), NULL, NULL);
		json_object_put(c);
	}
	def_take(d, nd);
	vmdef_text_set_nth(d, "disk", i, NULL);
	for (size_t j = 0; j + 1 < n; j++)
		if (pinned[j])
			text_line(d, j);
	free(was);
	free(pinned);
	*steps = s;
	return 0;
}

int
vmdef_disk_change_media(struct vmdef *d, const char *target, const char *path,
    int force, struct json_object **steps, char *err, size_t errlen)
{
	struct json_object *s, *a;
	struct disk *k, *nk, *old;
	char why[300];
	size_t i;

	if (vmdef_disk_find(d, target, &i) == -1)
		return def_err(err, errlen, "disk %s: no such disk", target);
	k = disk_at(d, i);
	if (k->device == DDEV_DISK)
		return def_err(err, errlen, "disk %s: only a cdrom or a floppy "
		    "has removable media", target);
	if (path != NULL && disk_check_path(path, why, sizeof(why)) == -1)
		return def_err(err, errlen, "disk %s: %s", target, why);
	old = disk_dup(k);
	nk = disk_dup(k);
	free(nk->path);
	nk->path = xstrdup_null(path);
	nk->format = path != NULL ? FMT_RAW : FMT_NONE;
	nk->src = SRC_AUTO;	/* the new medium's own */
	nk->size = 0;		/* it exists: nothing to create */
	nk->sparse = -1;
	if (replace(d, i, nk, err, errlen) == -1) {
		disk_free(old);
		return -1;
	}
	k = disk_at(d, i);
	disk_resolve(d);
	s = json_object_new_array();
	a = def_args1("id", target);
	json_object_object_add(a, "force", json_object_new_boolean(force));
	def_step(s, "blockdev-open-tray", a, NULL, NULL);
	def_step(s, "blockdev-remove-medium", def_args1("id", target), NULL, NULL);
	if (old->path != NULL && old->format != FMT_NONE)
		del_medium(s, old);
	if (k->path != NULL) {
		add_medium(s, k);
		a = def_args1("id", target);
		json_object_object_add(a, "node-name",
		    json_object_new_string(k->r.fmt));
		def_step(s, "blockdev-insert-medium", a, "blockdev-remove-medium",
		    def_args1("id", target));
		def_step(s, "blockdev-close-tray", def_args1("id", target), NULL, NULL);
	}
	disk_free(old);
	*steps = s;
	return 0;
}

int
vmdef_disk_overlay(struct vmdef *d, size_t i, const char *path,
    struct json_object **steps, struct json_object **action, char *err,
    size_t errlen)
{
	struct vmdef *nd;
	struct disk *k;
	char old[sizeof(k->r.fmt)];
	struct json_object *fmt, *a, *data;

	if ((k = get_disk(d, i, err, errlen)) == NULL)
		return -1;
	if (disk_readonly(k) || k->path == NULL)
		return def_err(err, errlen, "disk %s: only a writable disk gets "
		    "an overlay", k->r.target);
	strlcpy(old, k->r.fmt, sizeof(old));
	nd = vmdef_dup(d);
	if (vmdef_disk_set_source(nd, i, path, "qcow2", err, errlen) == -1) {
		vmdef_free(nd);
		return -1;
	}
	k = disk_at(nd, i);
	k->gen++;
	disk_resolve(nd);
	*steps = json_object_new_array();
	def_step(*steps, "blockdev-add", disk_file_node(k), "blockdev-del",
	    def_args1("node-name", k->r.file));
	fmt = disk_fmt_node(k);
	json_object_object_add(fmt, "backing", NULL);
	def_step(*steps, "blockdev-add", fmt, "blockdev-del",
	    def_args1("node-name", k->r.fmt));
	data = def_args1("node", old);
	json_object_object_add(data, "overlay",
	    json_object_new_string(k->r.fmt));
	a = def_args1("type", "blockdev-snapshot");
	json_object_object_add(a, "data", data);
	*action = a;
	def_take(d, nd);
	return 0;
}

int
vmdef_disk_merge_down(struct vmdef *d, size_t i, const char *path,
    const char *format, char *top, char *base, size_t nodelen,
    struct json_object **steps, char *err, size_t errlen)
{
	struct vmdef *nd;
	struct disk *k;

	if ((k = get_disk(d, i, err, errlen)) == NULL)
		return -1;
	if (k->gen == 0 || k->path == NULL)
		return def_err(err, errlen, "disk %s: no overlay of this QEMU "
		    "run is on top of it", k->r.target);
	nd = vmdef_dup(d);
	if (vmdef_disk_set_source(nd, i, path, format, err, errlen) == -1) {
		vmdef_free(nd);
		return -1;
	}
	*steps = json_object_new_array();
	def_step(*steps, "blockdev-del", def_args1("node-name", k->r.fmt), NULL, NULL);
	def_step(*steps, "blockdev-del", def_args1("node-name", k->r.file), NULL,
	    NULL);
	strlcpy(top, k->r.fmt, nodelen);
	k = disk_at(nd, i);
	k->gen--;
	disk_resolve(nd);
	strlcpy(base, k->r.fmt, nodelen);
	def_take(d, nd);
	return 0;
}

/* Does boot: give a device list (hd, cdrom, ...), not only menu=? */
static int
boot_has_list(const struct vmdef *d)
{
	return d->boot != NULL && strncmp(d->boot, "menu=", 5) != 0;
}

void
vmdef_install_boot_order(struct vmdef *d)
{
	if (!boot_has_list(d))
		vmdef_disk_boot_default(d);
}
