/*
 * What the supervisor asks of a definition's NICs and changes in them
 * (vmdef.h's vmdef_nic_*).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "dev-nic.h"
#include "pci.h"
#include "util.h"

extern const struct devkind devkind_nic;

size_t
vmdef_nic_count(const struct vmdef *d)
{
	return nic_count(d);
}

int
vmdef_nic_get(const struct vmdef *d, size_t i, struct vmdef_nic *o)
{
	const struct nic *k = nic_at(d, i);

	if (k == NULL)
		return -1;
	memset(o, 0, sizeof(*o));
	o->type = nic_type_name(k->type);
	o->source = k->source;
	o->model = nic_model_name(k->model);
	o->driver = nic_driver(d, k);
	o->mac = k->mac;
	o->ifname = k->ifname;
	nic_ids(k, o->id, o->netdev);
	o->tap = nic_is_tap(k);
	o->queues = nic_queues(k);
	o->vhost = k->vhost;
	o->uses_vhost = nic_uses_vhost(k);
	o->first_fd = o->tap ? nic_first_fd(d, i) : -1;
	o->link_up = k->link_up != 0;
	return 0;
}

int
vmdef_nic_find(const struct vmdef *d, const char *key, size_t *ip)
{
	char id[NIC_ID_LEN];

	for (size_t i = 0; i < nic_count(d); i++) {
		const struct nic *k = nic_at(d, i);
		nic_ids(k, id, NULL);
		if ((k->mac[0] && strcasecmp(k->mac, key) == 0) ||
		    strcmp(id, key) == 0) {
			*ip = i;
			return 0;
		}
	}
	return -1;
}

/* Rewrite the text of NIC line i from its configuration. */
static void
text_line(struct vmdef *d, size_t i)
{
	char *v = nic_print(nic_at(d, i));

	vmdef_text_set_nth(d, "network", i, v);
	free(v);
}

/* NIC line i goes from d (and from its text when text). */
static void
remove_line(struct vmdef *d, size_t i, int text)
{
	for (size_t j = 0, m = 0; j < d->ndevs; j++)
		if (d->devs[j].kind == &devkind_nic && m++ == i) {
			nic_free(d->devs[j].conf);
			memmove(&d->devs[j], &d->devs[j + 1],
			    (d->ndevs - j - 1) * sizeof(d->devs[0]));
			d->ndevs--;
			break;
		}
	if (text)
		vmdef_text_set_nth(d, "network", i, NULL);
}

/* "network: none" goes when a NIC comes (virt-install's --network none). */
static void
drop_none(struct vmdef *d)
{
	for (size_t i = nic_count(d); i-- > 0;)
		if (nic_at(d, i)->type == NT_NONE)
			remove_line(d, i, 1);
}

char *
vmdef_nic_line(const struct vmdef *d, size_t i)
{
	const struct nic *k = nic_at(d, i);

	return k != NULL ? nic_print(k) : NULL;
}

int
vmdef_nic_add(struct vmdef *d, const char *value, char *err, size_t errlen)
{
	struct vmdef *nd = vmdef_dup(d);

	/* the devices there keep their PCI slots */
	drop_none(nd);
	if (vmdef_pci_pin(nd, err, errlen) == -1 ||
	    vmdef_set(nd, "network", value, err, errlen) == -1 ||
	    vmdef_check(nd, err, errlen) == -1) {
		vmdef_free(nd);
		return -1;
	}
	text_line(nd, nic_count(nd) - 1);
	def_take(d, nd);
	return 0;
}

int
vmdef_nic_set_mac(struct vmdef *d, size_t i, const char *mac, char *err,
    size_t errlen)
{
	struct nic *k = nic_at(d, i);
	unsigned char m[6];
	char was[MAC_STR_LEN];

	if (k == NULL)
		return def_err(err, errlen, "no NIC %zu", i);
	if (parse_mac(mac, m) == -1)
		return def_err(err, errlen, "mac '%s' is not a unicast MAC "
		    "address", mac);
	strlcpy(was, k->mac, sizeof(was));
	format_mac(m, k->mac);
	if (vmdef_check(d, err, errlen) == -1) {
		strlcpy(k->mac, was, sizeof(k->mac));
		return -1;
	}
	text_line(d, i);
	return 0;
}

void
vmdef_nic_host(struct vmdef *d, int vhost_net)
{
	for (size_t i = 0; i < nic_count(d); i++)
		nic_at(d, i)->vhost_ok = vhost_net;
}

int
vmdef_nic_set_link(struct vmdef *d, size_t i, int up)
{
	struct nic *k = nic_at(d, i);

	if (k == NULL)
		return -1;
	k->link_up = up ? -1 : 0;
	text_line(d, i);
	return 0;
}

int
vmdef_nic_plug(struct vmdef *d, const char *value, const char *fdname,
    int vhost_net, size_t *ip, struct json_object **steps, char *err, size_t errlen)
{
	struct vmdef *nd = vmdef_dup(d);
	struct json_object *s, *o;
	struct nic *k;
	char id[NIC_ID_LEN], net[NIC_ID_LEN];
	size_t i;

	/* the devices there keep their slots; the new one takes a free one */
	drop_none(nd);
	if (vmdef_pci_pin(nd, err, errlen) == -1 ||
	    vmdef_set(nd, "network", value, err, errlen) == -1 ||
	    vmdef_check(nd, err, errlen) == -1)
		goto fail;
	i = nic_count(nd) - 1;
	k = nic_at(nd, i);
	if (k->type == NT_NONE) {
		def_err(err, errlen, "network none: nothing to plug");
		goto fail;
	}
	if (nic_ready(nd, k, err, errlen) == -1)
		goto fail;
	if (def_microvm(nd)) {
		def_err(err, errlen, "microvm has no hot-plug");
		goto fail;
	}
	k->vhost_ok = vhost_net;
	nic_ids(k, id, net);
	/* its line, with the slot it takes written in */
	text_line(nd, i);
	if (vmdef_pci_pin(nd, err, errlen) == -1)
		goto fail;
	o = nic_device(nd, k);
	if (pci_place_all(nd, (struct json_object *[]){ o, NULL }, err,
	    errlen) == -1) {
		json_object_put(o);
		goto fail;
	}
	s = json_object_new_array();
	def_step(s, "netdev_add", nic_netdev(k, 0, fdname), "netdev_del",
	    def_args1("id", net));
	def_step(s, "device_add", o, "device_del", def_args1("id", id));
	def_take(d, nd);
	*ip = i;
	*steps = s;
	return 0;
fail:
	vmdef_free(nd);
	return -1;
}

int
vmdef_nic_unplug(struct vmdef *d, size_t i, struct json_object **steps,
    char *err, size_t errlen)
{
	struct nic *k = nic_at(d, i);
	struct vmdef *nd;
	struct json_object *s;
	char id[NIC_ID_LEN], net[NIC_ID_LEN];

	if (k == NULL)
		return def_err(err, errlen, "no such NIC");
	if (steps != NULL && def_microvm(d))
		return def_err(err, errlen, "microvm has no hot-plug");
	nic_ids(k, id, net);
	/* the others keep their PCI slots */
	nd = vmdef_dup(d);
	if (vmdef_pci_pin(nd, err, errlen) == -1) {
		vmdef_free(nd);
		return -1;
	}
	remove_line(nd, i, 0);
	if (vmdef_check(nd, err, errlen) == -1) {
		vmdef_free(nd);
		return -1;
	}
	def_take(d, nd);
	vmdef_text_set_nth(d, "network", i, NULL);
	if (steps == NULL)
		return 0;
	s = json_object_new_array();
	def_step(s, "device_del", def_args1("id", id), NULL, NULL);
	def_step(s, "netdev_del", def_args1("id", net), NULL, NULL);
	*steps = s;
	return 0;
}
