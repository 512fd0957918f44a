/*
 * network: virt-install's --network, repeatable: a NIC.
 *
 *	network: bridge=BR | network=NAME | user | none | bridge:BR |
 *	         network:NAME | default | type=bridge|network,source=NAME,
 *	         model=virtio|e1000|e1000e|rtl8139,mac=52:54:00:xx:xx:xx,
 *	         vhost=on|off,queues=N,ifname=TAP,link_state=up|down,
 *	         boot_order=N,hostfwd=tcp:127.0.0.1:2222-:22 (user; repeatable)
 *
 * A bridge= or network= NIC is a tap the supervisor opens and passes to
 * QEMU as descriptors, so QEMU runs no script and needs no privilege: on
 * the command line they are numbers, 3 and up in the order of the NICs,
 * each NIC's taps (one a queue) then its vhost-net descriptors (one a
 * queue, when vhost is on, or when it is not given and the host has
 * vhost-net).  A user NIC is QEMU's own user-mode network (slirp).
 *
 * A NIC's QEMU ids come from its MAC address, net-525400abcdef for the
 * device and hostnet-525400abcdef for the netdev: they stay what they
 * are whatever is plugged or unplugged beside it.  A NIC line without a
 * MAC cannot go on a command line: the supervisor writes one in when the
 * definition is stored, unique among its VMs.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "dev-nic.h"
#include "util.h"

extern const struct devkind devkind_nic;

size_t
nic_count(const struct vmdef *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->ndevs; i++)
		if (d->devs[i].kind == &devkind_nic)
			n++;
	return n;
}

struct nic *
nic_at(const struct vmdef *d, size_t i)
{
	for (size_t j = 0; j < d->ndevs; j++)
		if (d->devs[j].kind == &devkind_nic && i-- == 0)
			return d->devs[j].conf;
	return NULL;
}

int
nic_first_fd(const struct vmdef *d, size_t i)
{
	int fd = 3;

	for (size_t j = 0; j < i; j++)
		fd += (int)nic_nfds(nic_at(d, j));
	return fd;
}

static void
put_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

/* "3:4" or "fdname-0:fdname-1" (vhost: "fdname-v0:..."). */
static void
put_fds(struct json_object *o, const char *one, const char *many,
    unsigned q, int first, const char *fdname, const char *tag)
{
	char buf[512] = "";
	size_t n = 0;

	for (unsigned i = 0; i < q && n < sizeof(buf); i++) {
		if (fdname != NULL)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "%s%s-%s%u", i ? ":" : "", fdname, tag, i);
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d",
			    i ? ":" : "", first + (int)i);
	}
	put_str(o, q > 1 ? many : one, buf);
}

struct json_object *
nic_netdev(const struct nic *k, int first, const char *fdname)
{
	struct json_object *o = json_object_new_object(), *a;
	char id[NIC_ID_LEN];
	unsigned q = nic_queues(k);

	nic_ids(k, NULL, id);
	if (k->type == NT_USER) {
		put_str(o, "type", "user");
		put_str(o, "id", id);
		if (k->nfwd != 0) {
			a = json_object_new_array();
			for (size_t i = 0; i < k->nfwd; i++) {
				struct json_object *s = json_object_new_object();
				put_str(s, "str", k->fwd[i]);
				json_object_array_add(a, s);
			}
			json_object_object_add(o, "hostfwd", a);
		}
		return o;
	}
	put_str(o, "type", "tap");
	put_str(o, "id", id);
	put_fds(o, "fd", "fds", q, first, fdname, "");
	if (nic_uses_vhost(k)) {
		json_object_object_add(o, "vhost", json_object_new_boolean(1));
		put_fds(o, "vhostfd", "vhostfds", q, first + (int)q, fdname,
		    "v");
	}
	return o;
}

struct json_object *
nic_device(const struct vmdef *d, const struct nic *k)
{
	struct json_object *o = json_object_new_object();
	char dev[NIC_ID_LEN], net[NIC_ID_LEN];
	unsigned q = nic_queues(k);

	nic_ids(k, dev, net);
	put_str(o, "driver", nic_driver(d, k));
	put_str(o, "id", dev);
	put_str(o, "netdev", net);
	put_str(o, "mac", k->mac);
	if (q > 1) {
		json_object_object_add(o, "mq", json_object_new_boolean(1));
		/* a vector a queue each way, config and control */
		json_object_object_add(o, "vectors",
		    json_object_new_int((int)(2 * q + 2)));
	}
	if (k->boot_order != 0)
		json_object_object_add(o, "bootindex",
		    json_object_new_int((int)k->boot_order));
	return def_microvm(d) ? o : dev_pci(o);
}

static size_t
index_of(const struct vmdef *d, const void *conf)
{
	size_t i = 0;

	while (nic_at(d, i) != conf)
		i++;
	return i;
}

static void
nic_facts(const void *conf, struct devfacts *f)
{
	const struct nic *k = conf;

	if (k->boot_order != 0)
		f->bootindex = 1;
}

static void
nic_options(const struct vmdef *d, const void *conf, const struct vmpaths *p,
    struct argv *a)
{
	const struct nic *k = conf;
	struct json_object *o;

	(void)p;
	if (k->type == NT_NONE)
		return;
	o = nic_netdev(k, nic_first_fd(d, index_of(d, conf)), NULL);
	argv_add(a, "-netdev");
	argv_add(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static struct json_object *
nic_device_cb(const struct vmdef *d, const void *conf, unsigned n)
{
	const struct nic *k = conf;

	(void)n;
	return k->type == NT_NONE ? NULL : nic_device(d, k);
}

static void
nic_runtime(const struct vmdef *d, const void *conf, struct json_object *cmds)
{
	const struct nic *k = conf;
	struct json_object *args;
	char dev[NIC_ID_LEN];

	(void)d;
	if (k->type == NT_NONE || k->link_up != 0)
		return;
	nic_ids(k, dev, NULL);
	args = json_object_new_object();
	put_str(args, "name", dev);
	json_object_object_add(args, "up", json_object_new_boolean(0));
	def_cmd(cmds, "set_link", args);
}

const struct devkind devkind_nic = {
	.key = "network",
	.repeat = 1,
	.parse = nic_parse,
	.print = nic_print,
	.free = nic_free,
	.dup = nic_dup,
	.check = nic_check,
	.ready = nic_ready,
	.facts = nic_facts,
	.options = nic_options,
	.device = nic_device_cb,
	.runtime = nic_runtime,
};
