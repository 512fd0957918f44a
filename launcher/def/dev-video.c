/*
 * video: MODEL[,vram=SIZE][,heads=N], virt-install's --video: the model
 * bare or as model= (model.type=), vram= (model.vram=) and heads=
 * (model.heads=) where QEMU's device has them.  A bare vram number is
 * KiB, as in virt-install.  Without the key, a VM with a VNC display gets
 * std VGA, as virt-install gives one; on microvm, which has no PCI bus,
 * there is no video device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "props.h"
#include "util.h"

#define MAX_HEADS	16	/* virtio-gpu's and spice's limit */

enum vram_unit { VRAM_NONE, VRAM_MIB, VRAM_BYTES };

static const struct model {
	const char	*name;
	const char	*alias;		/* virt-install's name */
	const char	*driver;	/* NULL: no device */
	const char	*vram_prop;	/* QEMU's property for vram= */
	int		 pci;		/* a PCI device (not ramfb) */
	enum vram_unit	 unit;
	unsigned	 vram_min, vram_max;	/* MiB, powers of two */
	int		 heads;		/* max_outputs for heads= */
} models[] = {
	{ "std",	"vga",	"VGA",		"vgamem_mb", 1,	VRAM_MIB, 1, 512, 0 },
	{ "virtio",	NULL,	"virtio-vga",	NULL,	1,	VRAM_NONE, 0, 0, 1 },
	{ "cirrus",	NULL,	"cirrus-vga",	"vgamem_mb", 1,	VRAM_MIB, 4, 16, 0 },
	{ "qxl",	NULL,	"qxl-vga",	"vram_size_mb", 1, VRAM_MIB, 1, 512, 1 },
	{ "bochs",	NULL,	"bochs-display", "vgamem", 1,	VRAM_BYTES, 4, 256, 0 },
	{ "ramfb",	NULL,	"ramfb",	NULL,	0,	VRAM_NONE, 0, 0, 0 },
	{ "none",	NULL,	NULL,		NULL,	0,	VRAM_NONE, 0, 0, 0 },
};
#define NMODELS	(sizeof(models) / sizeof(models[0]))

struct video {
	const struct model	*model;
	unsigned		 vram_mib;	/* 0: QEMU's default */
	unsigned		 heads;		/* 0: QEMU's default */
};

static const struct video video_default = { &models[0], 0, 0 };

static const struct model *
find_model(const char *name)
{
	for (size_t i = 0; i < NMODELS; i++)
		if (strcmp(models[i].name, name) == 0 ||
		    (models[i].alias != NULL &&
		    strcmp(models[i].alias, name) == 0))
			return &models[i];
	return NULL;
}

/*
 * The value of a property spelled several ways (names[0] == "": the first
 * positional item); an error when two spellings are given.
 */
static int
one_of(struct props *p, const char *const *names, const char **out,
    char *err, size_t errlen)
{
	const char *s;

	*out = NULL;
	for (size_t i = 0; names[i] != NULL; i++) {
		s = *names[i] == '\0' ? props_pos(p, 0) : props_get(p, names[i]);
		if (s == NULL)
			continue;
		if (*out != NULL)
			return def_err(err, errlen, "%s is given twice",
			    *names[0] != '\0' ? names[0] : "the model");
		*out = s;
	}
	return 0;
}

static int
get_vram(const struct model *m, const char *v, unsigned *mib, char *err,
    size_t errlen)
{
	uint64_t bytes;
	long long kib;
	const char *e;

	if (m->unit == VRAM_NONE)
		return def_err(err, errlen, "%s has no vram (std, cirrus, qxl "
		    "and bochs have)", m->name);
	if (*v != '\0' && strspn(v, "0123456789") == strlen(v)) {
		/* a bare number is KiB */
		if (parse_uint(v, 0, 1LL << 40, &kib, &e) == -1)
			return def_err(err, errlen, "vram '%s': %s", v, e);
		bytes = (uint64_t)kib << 10;
	} else if (parse_size(v, &bytes, &e) == -1)
		return def_err(err, errlen, "vram '%s': %s", v, e);
	if (bytes % (1 << 20) != 0)
		return def_err(err, errlen, "vram '%s' is not a whole number "
		    "of MiB (a bare number is KiB)", v);
	uint64_t n = bytes >> 20;
	if (n < m->vram_min || n > m->vram_max || (n & (n - 1)) != 0)
		return def_err(err, errlen, "vram '%s': %s takes a power of "
		    "two from %u to %u MiB", v, m->name, m->vram_min,
		    m->vram_max);
	*mib = (unsigned)n;
	return 0;
}

static void *
video_parse(const char *v, char *err, size_t errlen)
{
	static const char *const model_names[] = { "", "model", "model.type",
	    NULL };
	static const char *const vram_names[] = { "vram", "model.vram", NULL };
	static const char *const heads_names[] = { "heads", "model.heads",
	    NULL };
	struct props p;
	struct video vd = { 0 }, *out = NULL;
	const char *name, *vram, *heads;

	if (props_parse(v, &p, err, errlen) == -1)
		return NULL;
	if (one_of(&p, model_names, &name, err, errlen) == -1 ||
	    one_of(&p, vram_names, &vram, err, errlen) == -1 ||
	    one_of(&p, heads_names, &heads, err, errlen) == -1)
		goto out;
	if (name == NULL) {
		def_err(err, errlen, "no model given (std, virtio, cirrus, qxl, "
		    "bochs, ramfb, none)");
		goto out;
	}
	if ((vd.model = find_model(name)) == NULL) {
		def_err(err, errlen, "'%s' is not std, virtio, cirrus, qxl, "
		    "bochs, ramfb or none", name);
		goto out;
	}
	if (vram != NULL &&
	    get_vram(vd.model, vram, &vd.vram_mib, err, errlen) == -1)
		goto out;
	if (heads != NULL && !vd.model->heads) {
		def_err(err, errlen, "%s has no heads (virtio and qxl have)",
		    vd.model->name);
		goto out;
	}
	if (heads != NULL && def_uint("heads", heads, 1, MAX_HEADS, &vd.heads,
	    err, errlen) == -1)
		goto out;
	if (def_unused(&p, err, errlen) == -1)
		goto out;
	out = xmemdup(&vd, sizeof(vd));
out:
	props_free(&p);
	return out;
}

static char *
video_print(const void *conf)
{
	const struct video *vd = conf;
	char vram[32] = "", heads[32] = "";

	if (vd->vram_mib)
		snprintf(vram, sizeof(vram), ",vram=%uM", vd->vram_mib);
	if (vd->heads)
		snprintf(heads, sizeof(heads), ",heads=%u", vd->heads);
	return xasprintf("%s%s%s", vd->model->name, vram, heads);
}

static void
video_free(void *conf)
{
	free(conf);
}

static void *
video_dup(const void *conf)
{
	return xmemdup(conf, sizeof(struct video));
}

static int
video_check(const struct vmdef *d, const void *const *confs, size_t n,
    char *err, size_t errlen)
{
	const struct video *vd = confs[0];

	(void)n;
	if (vd->model->driver != NULL && def_microvm(d))
		return def_err(err, errlen, "%s is not possible on microvm, "
		    "which has no PCI bus (video: none)", vd->model->name);
	return 0;
}

static const void *
video_dflt(const struct vmdef *d, const struct devfacts *f)
{
	return f->vnc && !def_microvm(d) ? &video_default : NULL;
}

static struct json_object *
video_device(const struct vmdef *d, const void *conf, unsigned n)
{
	const struct video *vd = conf;
	const struct model *m = vd->model;
	struct json_object *o;
	char id[16];

	(void)d;
	if (m->driver == NULL)
		return NULL;
	snprintf(id, sizeof(id), "video%u", n);
	o = json_object_new_object();
	json_object_object_add(o, "driver", json_object_new_string(m->driver));
	json_object_object_add(o, "id", json_object_new_string(id));
	if (vd->vram_mib)
		json_object_object_add(o, m->vram_prop, json_object_new_int64(
		    m->unit == VRAM_BYTES ? (int64_t)vd->vram_mib << 20 :
		    (int64_t)vd->vram_mib));
	if (vd->heads)
		json_object_object_add(o, "max_outputs",
		    json_object_new_int((int)vd->heads));
	return m->pci ? dev_pci(o) : o;
}

const struct devkind devkind_video = {
	.key = "video",
	.parse = video_parse,
	.print = video_print,
	.free = video_free,
	.dup = video_dup,
	.check = video_check,
	.dflt = video_dflt,
	.device = video_device,
};
