/*
 * guest-agent: on.  The QEMU guest agent's virtio-serial port,
 * org.qemu.guest_agent.0, on the virtio-serial controller vserial0 (the
 * heartbeat channel's, shared when both are there), whose host side is a
 * socket in the VM's runtime directory (vmpaths.agent), QEMU its server.
 * The supervisor is its only client (daemon/agent.c).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "props.h"
#include "util.h"

#define AGENT_PORT	"org.qemu.guest_agent.0"

struct agentconf {
	int	on;
};

static void *
agent_parse(const char *v, char *err, size_t errlen)
{
	struct agentconf *c;
	static const struct {
		const char	*word;
		int		 on;
	} words[] = { { "on", 1 }, { "yes", 1 }, { "off", 0 }, { "no", 0 } };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(v, words[i].word) == 0) {
			c = xcalloc(1, sizeof(*c));
			c->on = words[i].on;
			return c;
		}
	def_err(err, errlen, "'%s' is not on or off", v);
	return NULL;
}

static char *
agent_print(const void *conf)
{
	const struct agentconf *c = conf;

	return xstrdup(c->on ? "on" : "off");
}

static void
agent_free(void *conf)
{
	free(conf);
}

static void *
agent_dup(const void *conf)
{
	return xmemdup(conf, sizeof(struct agentconf));
}

static void
agent_facts(const void *conf, struct devfacts *f)
{
	const struct agentconf *c = conf;

	f->agent = c->on;
}

static void
agent_options(const struct vmdef *d, const void *conf,
    const struct vmpaths *p, struct argv *a)
{
	const struct agentconf *c = conf;
	char *e;

	(void)d;
	if (!c->on)
		return;
	e = props_escape(p->agent);
	argv_add(a, "-chardev");
	argv_addf(a, "socket,id=agent0,path=%s,server=on,wait=off", e);
	free(e);
}

/* The heartbeat's controller: one -device for both (cmdline.c). */
static struct json_object *
agent_controller(const struct vmdef *d, const void *conf)
{
	const struct agentconf *c = conf;
	struct json_object *o;

	if (!c->on)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "driver", json_object_new_string(
	    def_microvm(d) ? "virtio-serial-device" : "virtio-serial-pci"));
	json_object_object_add(o, "id", json_object_new_string("vserial0"));
	return def_microvm(d) ? o : dev_pci(o);
}

static struct json_object *
agent_device(const struct vmdef *d, const void *conf, unsigned n)
{
	const struct agentconf *c = conf;
	struct json_object *o;

	(void)d;
	(void)n;
	if (!c->on)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "driver",
	    json_object_new_string("virtserialport"));
	json_object_object_add(o, "id", json_object_new_string("agent0"));
	json_object_object_add(o, "bus", json_object_new_string("vserial0.0"));
	json_object_object_add(o, "chardev", json_object_new_string("agent0"));
	json_object_object_add(o, "name", json_object_new_string(AGENT_PORT));
	return o;
}

const struct devkind devkind_agent = {
	.key = "guest-agent",
	.parse = agent_parse,
	.print = agent_print,
	.free = agent_free,
	.dup = agent_dup,
	.facts = agent_facts,
	.options = agent_options,
	.controller = agent_controller,
	.device = agent_device,
};
