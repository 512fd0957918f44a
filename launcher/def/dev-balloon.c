/*
 * balloon: on | off.  A virtio memory balloon, id balloon0: setmem and
 * memstat use it, and it brings the guest down to memory's currentMemory
 * before the guest runs.
 */
#include <stdlib.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "util.h"

struct balloon {
	int	on;
};

static const struct balloon balloon_default = { 1 };

static void *
balloon_parse(const char *v, char *err, size_t errlen)
{
	struct balloon *b;
	int on;

	if (parse_bool(v, &on) == -1) {
		def_err(err, errlen, "'%s' is not yes or no", v);
		return NULL;
	}
	b = xcalloc(1, sizeof(*b));
	b->on = on;
	return b;
}

static char *
balloon_print(const void *conf)
{
	const struct balloon *b = conf;

	return xstrdup(b->on ? "on" : "off");
}

static void
balloon_free(void *conf)
{
	free(conf);
}

static void *
balloon_dup(const void *conf)
{
	return xmemdup(conf, sizeof(struct balloon));
}

static const void *
balloon_dflt(const struct vmdef *d, const struct devfacts *f)
{
	(void)d;
	(void)f;
	return &balloon_default;
}

static void
balloon_facts(const void *conf, struct devfacts *f)
{
	const struct balloon *b = conf;

	f->balloon = b->on;
}

static struct json_object *
balloon_device(const struct vmdef *d, const void *conf, unsigned n)
{
	const struct balloon *b = conf;
	struct json_object *o;

	(void)n;
	if (!b->on)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "driver", json_object_new_string(
	    def_microvm(d) ? "virtio-balloon-device" : "virtio-balloon-pci"));
	json_object_object_add(o, "id", json_object_new_string("balloon0"));
	return def_microvm(d) ? o : dev_pci(o);
}

static void
balloon_runtime(const struct vmdef *d, const void *conf,
    struct json_object *cmds)
{
	const struct balloon *b = conf;
	struct json_object *a;

	if (!b->on)
		return;
	/* the guest's memory statistics, for memstat */
	a = json_object_new_object();
	json_object_object_add(a, "path",
	    json_object_new_string("/machine/peripheral/balloon0"));
	json_object_object_add(a, "property",
	    json_object_new_string("guest-stats-polling-interval"));
	json_object_object_add(a, "value", json_object_new_int(2));
	def_cmd(cmds, "qom-set", a);
	if (d->current_mib != 0 && d->current_mib < d->memory_mib) {
		a = json_object_new_object();
		json_object_object_add(a, "value",
		    json_object_new_int64((int64_t)(d->current_mib << 20)));
		def_cmd(cmds, "balloon", a);
	}
}

const struct devkind devkind_balloon = {
	.key = "balloon",
	.parse = balloon_parse,
	.print = balloon_print,
	.free = balloon_free,
	.dup = balloon_dup,
	.dflt = balloon_dflt,
	.facts = balloon_facts,
	.device = balloon_device,
	.runtime = balloon_runtime,
};
