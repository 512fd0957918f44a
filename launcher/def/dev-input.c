/*
 * input: TYPE[,bus=BUS], virt-install's --input, repeatable: TYPE tablet,
 * mouse or keyboard (bare or as type=), BUS usb, virtio or ps2.  Without
 * a bus, a tablet is on usb and a mouse or keyboard on ps2 (virtio for
 * all on microvm).  The PS/2 mouse and keyboard are part of the pc and
 * q35 machines: they add nothing to the command line.  USB devices sit on
 * one qemu-xhci controller, usb0.  "input: none" means no input device;
 * without the key, a VM with a VNC display gets a USB tablet, so that the
 * VNC pointer is absolute, as virt-install gives one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "props.h"
#include "util.h"

enum itype { IN_NONE, IN_TABLET, IN_MOUSE, IN_KEYBOARD };
enum ibus { BUS_DEFAULT, BUS_USB, BUS_VIRTIO, BUS_PS2 };

static const char *const type_names[] = {
	[IN_NONE] = "none", [IN_TABLET] = "tablet", [IN_MOUSE] = "mouse",
	[IN_KEYBOARD] = "keyboard",
};
static const char *const bus_names[] = {
	[BUS_DEFAULT] = "", [BUS_USB] = "usb", [BUS_VIRTIO] = "virtio",
	[BUS_PS2] = "ps2",
};

/* QEMU's devices by type and bus; NULL: built into the machine or none. */
static const struct {
	const char	*usb, *virtio_pci, *virtio_mmio;
} drivers[] = {
	[IN_NONE] = { NULL, NULL, NULL },
	[IN_TABLET] = { "usb-tablet", "virtio-tablet-pci",
	    "virtio-tablet-device" },
	[IN_MOUSE] = { "usb-mouse", "virtio-mouse-pci", "virtio-mouse-device" },
	[IN_KEYBOARD] = { "usb-kbd", "virtio-keyboard-pci",
	    "virtio-keyboard-device" },
};

struct input {
	enum itype	 type;
	enum ibus	 bus;	/* as given */
};

static const struct input input_default = { IN_TABLET, BUS_USB };

static int
lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (*names[i] != '\0' && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static void *
input_parse(const char *v, char *err, size_t errlen)
{
	struct props p;
	struct input in = { 0 }, *out = NULL;
	const char *t, *tk, *b;
	int i;

	if (props_parse(v, &p, err, errlen) == -1)
		return NULL;
	t = props_pos(&p, 0);
	tk = props_get(&p, "type");
	if (t != NULL && tk != NULL) {
		def_err(err, errlen, "the type is given twice");
		goto out;
	}
	if (t == NULL && (t = tk) == NULL) {
		def_err(err, errlen, "no type given (tablet, mouse, keyboard, "
		    "none)");
		goto out;
	}
	if ((i = lookup(type_names, 4, t)) == -1) {
		def_err(err, errlen, "'%s' is not tablet, mouse, keyboard or "
		    "none", t);
		goto out;
	}
	in.type = (enum itype)i;
	if (in.type != IN_NONE && (b = props_get(&p, "bus")) != NULL) {
		if ((i = lookup(bus_names, 4, b)) == -1) {
			def_err(err, errlen, "bus '%s' is not usb, virtio or "
			    "ps2", b);
			goto out;
		}
		in.bus = (enum ibus)i;
	}
	if (in.type == IN_TABLET && in.bus == BUS_PS2) {
		def_err(err, errlen, "a tablet is on usb or virtio, not ps2");
		goto out;
	}
	if (def_unused(&p, err, errlen) == -1)
		goto out;
	out = xmemdup(&in, sizeof(in));
out:
	props_free(&p);
	return out;
}

static char *
input_print(const void *conf)
{
	const struct input *in = conf;

	if (in->bus == BUS_DEFAULT)
		return xstrdup(type_names[in->type]);
	return xasprintf("%s,bus=%s", type_names[in->type],
	    bus_names[in->bus]);
}

static void
input_free(void *conf)
{
	free(conf);
}

static void *
input_dup(const void *conf)
{
	return xmemdup(conf, sizeof(struct input));
}

static enum ibus
bus_of(const struct vmdef *d, const struct input *in)
{
	if (in->bus != BUS_DEFAULT)
		return in->bus;
	if (def_microvm(d))
		return BUS_VIRTIO;
	return in->type == IN_TABLET ? BUS_USB : BUS_PS2;
}

static int
input_check(const struct vmdef *d, const void *const *confs, size_t n,
    char *err, size_t errlen)
{
	int ps2[4] = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct input *in = confs[i];
		enum ibus bus = bus_of(d, in);
		if (in->type == IN_NONE && n > 1)
			return def_err(err, errlen, "none cannot be combined "
			    "with other input devices");
		if (def_microvm(d) && bus == BUS_USB)
			return def_err(err, errlen, "bus usb is not possible on "
			    "microvm, which has no PCI bus (bus=virtio)");
		if (def_microvm(d) && bus == BUS_PS2)
			return def_err(err, errlen, "bus ps2 is not possible on "
			    "microvm, which has no PS/2 controller "
			    "(bus=virtio)");
		if (bus == BUS_PS2 && ps2[in->type]++)
			return def_err(err, errlen, "the machine has one PS/2 "
			    "%s; it is given twice", type_names[in->type]);
	}
	return 0;
}

static const void *
input_dflt(const struct vmdef *d, const struct devfacts *f)
{
	return f->vnc && !def_microvm(d) ? &input_default : NULL;
}

static struct json_object *
input_controller(const struct vmdef *d, const void *conf)
{
	const struct input *in = conf;
	struct json_object *o;

	if (in->type == IN_NONE || bus_of(d, in) != BUS_USB)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "driver", json_object_new_string("qemu-xhci"));
	json_object_object_add(o, "id", json_object_new_string("usb0"));
	return dev_pci(o);
}

static struct json_object *
input_device(const struct vmdef *d, const void *conf, unsigned n)
{
	const struct input *in = conf;
	const char *driver;
	struct json_object *o;
	char id[16];

	switch (bus_of(d, in)) {
	case BUS_USB:
		driver = drivers[in->type].usb;
		break;
	case BUS_VIRTIO:
		driver = def_microvm(d) ? drivers[in->type].virtio_mmio :
		    drivers[in->type].virtio_pci;
		break;
	default:
		driver = NULL;
		break;
	}
	if (driver == NULL)
		return NULL;
	snprintf(id, sizeof(id), "input%u", n);
	o = json_object_new_object();
	json_object_object_add(o, "driver", json_object_new_string(driver));
	json_object_object_add(o, "id", json_object_new_string(id));
	if (bus_of(d, in) == BUS_USB)
		json_object_object_add(o, "bus",
		    json_object_new_string("usb0.0"));
	else if (!def_microvm(d))
		dev_pci(o);
	return o;
}

const struct devkind devkind_input = {
	.key = "input",
	.repeat = 1,
	.parse = input_parse,
	.print = input_print,
	.free = input_free,
	.dup = input_dup,
	.check = input_check,
	.dflt = input_dflt,
	.controller = input_controller,
	.device = input_device,
};
