/*
 * channel: heartbeat.  A virtio-serial port named org.qlaunch.heartbeat.0
 * (the guest's /dev/vportNpM, /sys/class/virtio-ports/.../name) on a
 * virtio-serial controller of its own, vserial0, whose host side is a
 * socket in the VM's runtime directory (vmpaths.heartbeat), QEMU its
 * server.  The test guest's qlstress writes a tick a millisecond to it and
 * the supervisor reads them (daemon/heartbeat.c): the guest-visible
 * downtime of migration experiments.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "props.h"
#include "util.h"

#define HEARTBEAT_PORT	"org.qlaunch.heartbeat.0"

struct channel {
	int	heartbeat;
};

static void *
channel_parse(const char *v, char *err, size_t errlen)
{
	struct channel *c;

	if (strcmp(v, "heartbeat") != 0) {
		def_err(err, errlen, "'%s' is not heartbeat (the only "
		    "channel there is)", v);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->heartbeat = 1;
	return c;
}

static char *
channel_print(const void *conf)
{
	(void)conf;
	return xstrdup("heartbeat");
}

static void
channel_free(void *conf)
{
	free(conf);
}

static void *
channel_dup(const void *conf)
{
	return xmemdup(conf, sizeof(struct channel));
}

static void
channel_facts(const void *conf, struct devfacts *f)
{
	const struct channel *c = conf;

	f->heartbeat = c->heartbeat;
}

static void
channel_options(const struct vmdef *d, const void *conf,
    const struct vmpaths *p, struct argv *a)
{
	char *e = props_escape(p->heartbeat);

	(void)d;
	(void)conf;
	argv_add(a, "-chardev");
	argv_addf(a, "socket,id=heartbeat0,path=%s,server=on,wait=off", e);
	free(e);
}

/* The controller has no line: its PCI slot is pci.c's fixed vserial0. */
static struct json_object *
channel_controller(const struct vmdef *d, const void *conf)
{
	struct json_object *o = json_object_new_object();

	(void)conf;
	json_object_object_add(o, "driver", json_object_new_string(
	    def_microvm(d) ? "virtio-serial-device" : "virtio-serial-pci"));
	json_object_object_add(o, "id", json_object_new_string("vserial0"));
	return def_microvm(d) ? o : dev_pci(o);
}

static struct json_object *
channel_device(const struct vmdef *d, const void *conf, unsigned n)
{
	struct json_object *o = json_object_new_object();

	(void)d;
	(void)conf;
	(void)n;
	json_object_object_add(o, "driver",
	    json_object_new_string("virtserialport"));
	json_object_object_add(o, "id", json_object_new_string("heartbeat0"));
	json_object_object_add(o, "bus", json_object_new_string("vserial0.0"));
	json_object_object_add(o, "chardev",
	    json_object_new_string("heartbeat0"));
	json_object_object_add(o, "name", json_object_new_string(HEARTBEAT_PORT));
	return o;
}

const struct devkind devkind_channel = {
	.key = "channel",
	.parse = channel_parse,
	.print = channel_print,
	.free = channel_free,
	.dup = channel_dup,
	.facts = channel_facts,
	.options = channel_options,
	.controller = channel_controller,
	.device = channel_device,
};
