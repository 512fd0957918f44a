/*
 * NICs: iflist (domiflist), attach-interface, detach-interface,
 * domif-setlink, domif-getlink, domifstat, ifaddr (domifaddr).  Changes
 * go as virsh's do (change.h): live, config or both.  Live plugging opens
 * the tap here and hands its descriptors to QEMU with getfd before
 * netdev_add and device_add; unplugging is device_del, waiting for
 * DEVICE_DELETED, then netdev_del, which takes the tap along.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent.h"
#include "change.h"
#include "daemon.h"
#include "dispatch.h"
#include "hostnet.h"
#include "names.h"
#include "nics.h"
#include "req.h"
#include "util.h"
#include "vm.h"

/* ---- reading ---- */

static struct json_object *
nic_json(const struct vm *vm, const struct vmdef_nic *n, int running)
{
	struct json_object *o = json_object_new_object();
	const char *tap = running ? nics_tap(vm, n->id) : NULL;

	json_object_object_add(o, "interface", tap != NULL ?
	    json_object_new_string(tap) : NULL);
	json_object_object_add(o, "type", json_object_new_string(n->type));
	json_object_object_add(o, "source", n->source != NULL ?
	    json_object_new_string(n->source) : NULL);
	json_object_object_add(o, "model", json_object_new_string(n->model));
	json_object_object_add(o, "mac", json_object_new_string(n->mac));
	json_object_object_add(o, "id", json_object_new_string(n->id));
	json_object_object_add(o, "link", json_object_new_string(
	    n->link_up ? "up" : "down"));
	return o;
}

/* {"inactive": bool}: the stored definition's NICs, else what runs */
static void
d_iflist(struct req *r, struct vm *vm)
{
	int inactive = req_bool(r, "inactive") || !vm_active(vm);
	const struct vmdef *d = inactive ? vm_persistent(vm) : vm->def;
	struct json_object *arr = json_object_new_array();
	struct vmdef_nic n;

	for (size_t i = 0; vmdef_nic_get(d, i, &n) == 0; i++)
		if (strcmp(n.type, "none") != 0)
			json_object_array_add(arr, nic_json(vm, &n, !inactive));
	req_return(r, arr);
}

/*
 * The NIC virsh's INTERFACE names in d: its tap (vnet0, qlv3.0), its MAC
 * or its QEMU id.  -1 with the reply sent.
 */
static int
find_iface(struct req *r, struct vm *vm, const struct vmdef *d,
    const char *iface, size_t *ip)
{
	struct vmdef_nic n;

	if (iface == NULL) {
		req_error(r, ERR_GENERIC, "an interface is needed: its tap, "
		    "MAC address or id");
		return -1;
	}
	if (vmdef_nic_find(d, iface, ip) == 0)
		return 0;
	for (size_t i = 0; vmdef_nic_get(d, i, &n) == 0; i++) {
		const char *tap = nics_tap(vm, n.id);
		if (tap != NULL && strcmp(tap, iface) == 0) {
			*ip = i;
			return 0;
		}
	}
	req_error(r, ERR_NOT_FOUND, "VM '%s' has no interface '%s'", vm->name,
	    iface);
	return -1;
}

static struct hostnet *
hostnet(struct req *r)
{
	char err[256];

	struct hostnet *h = daemon_hostnet(r->d, err, sizeof(err));

	if (h == NULL)
		req_error(r, ERR_GENERIC, "%s", err);
	return h;
}

/* {"interface"}: the guest's counters, so the tap's the other way round */
static void
d_domifstat(struct req *r, struct vm *vm)
{
	struct vmdef_nic n;
	struct hn_link l;
	struct hostnet *h;
	const char *tap;
	char err[256];
	size_t i;

	if (find_iface(r, vm, vm->def, req_str(r, "interface"), &i) == -1)
		return;
	vmdef_nic_get(vm->def, i, &n);
	if ((tap = nics_tap(vm, n.id)) == NULL) {
		req_error(r, ERR_INVALID_STATE, "interface %s of VM '%s' has "
		    "no tap%s", n.mac, vm->name, vm_active(vm) ? " (user "
		    "networking)" : ": the VM is not running");
		return;
	}
	if ((h = hostnet(r)) == NULL)
		return;
	if (hn_link_get(h, tap, &l, err, sizeof(err)) != 1) {
		req_error(r, ERR_GENERIC, "tap %s: %s", tap,
		    err[0] ? err : "gone");
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "interface", json_object_new_string(tap));
	json_object_object_add(o, "rx_bytes", json_object_new_uint64(l.tx_bytes));
	json_object_object_add(o, "rx_packets",
	    json_object_new_uint64(l.tx_packets));
	json_object_object_add(o, "rx_errs", json_object_new_uint64(l.tx_errs));
	json_object_object_add(o, "rx_drop", json_object_new_uint64(l.tx_drop));
	json_object_object_add(o, "tx_bytes", json_object_new_uint64(l.rx_bytes));
	json_object_object_add(o, "tx_packets",
	    json_object_new_uint64(l.rx_packets));
	json_object_object_add(o, "tx_errs", json_object_new_uint64(l.rx_errs));
	json_object_object_add(o, "tx_drop", json_object_new_uint64(l.rx_drop));
	req_return(r, o);
}

/* {"interface", "config"}: up or down, as it runs or as stored */
static void
d_domif_getlink(struct req *r, struct vm *vm)
{
	const struct vmdef *d = req_bool(r, "config") || !vm_active(vm) ?
	    vm_persistent(vm) : vm->def;
	struct vmdef_nic n;
	size_t i;

	if (find_iface(r, vm, d, req_str(r, "interface"), &i) == -1)
		return;
	vmdef_nic_get(d, i, &n);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "interface", json_object_new_string(
	    req_str(r, "interface")));
	json_object_object_add(o, "state", json_object_new_string(n.link_up ?
	    "up" : "down"));
	req_return(r, o);
}

/* One IP address of a NIC, and where it was learnt. */
static void
add_addr(struct json_object *addrs, const char *ip, int family,
    const char *origin)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "address", json_object_new_string(ip));
	json_object_object_add(a, "family", json_object_new_string(
	    family == 6 ? "ipv6" : "ipv4"));
	json_object_object_add(a, "source", json_object_new_string(origin));
	json_object_array_add(addrs, a);
}

/*
 * {"source": "lease" | "arp" | null (both) | "agent"}: each NIC with the
 * addresses the host knows for its MAC, from its network's DHCP leases
 * and from the neighbour table of its bridge; or (agent) each of the
 * guest's interfaces as its guest agent tells.
 */
static void
d_ifaddr(struct req *r, struct vm *vm)
{
	const char *src = req_str(r, "source");
	int arp = src == NULL || strcmp(src, "arp") == 0;
	int lease = src == NULL || strcmp(src, "lease") == 0;
	struct json_object *arr = json_object_new_array();
	struct vmdef_nic n;
	struct hostnet *h = NULL;
	char err[256], mac[MAC_STR_LEN];

	if (src != NULL && strcmp(src, "agent") == 0) {
		json_object_put(arr);
		agent_ifaddr(r, vm);	/* the guest's own view */
		return;
	}
	if (src != NULL && !arp && !lease) {
		req_error(r, ERR_GENERIC, "source '%s' is not lease, arp or "
		    "agent", src);
		json_object_put(arr);
		return;
	}
	if (arp && (h = hostnet(r)) == NULL) {
		json_object_put(arr);
		return;
	}
	for (size_t i = 0; vmdef_nic_get(vm->def, i, &n) == 0; i++) {
		const char *tap = nics_tap(vm, n.id);
		struct json_object *o, *addrs;
		if (!n.tap || tap == NULL)
			continue;
		o = json_object_new_object();
		addrs = json_object_new_array();
		json_object_object_add(o, "interface",
		    json_object_new_string(tap));
		json_object_object_add(o, "mac", json_object_new_string(n.mac));
		if (lease)
			nics_lease_addrs(r->d, &n, addrs);
		struct hn_link l;
		if (arp && hn_link_get(h, tap, &l, err, sizeof(err)) == 1 &&
		    l.master[0]) {
			struct hn_neigh nb[256];
			int k = hn_neigh_list(h, l.master, nb, 256, err,
			    sizeof(err));
			for (int j = 0; j < k && j < 256; j++) {
				format_mac(nb[j].mac, mac);
				if (strcasecmp(mac, n.mac) == 0)
					add_addr(addrs, nb[j].ip,
					    strchr(nb[j].ip, ':') ? 6 : 4, "arp");
			}
		}
		json_object_object_add(o, "addresses", addrs);
		json_object_array_add(arr, o);
	}
	req_return(r, arr);
}

/* ---- changing ---- */

/*
 * {"network": a network: line, "live", "config"}.  The MAC is decided
 * (unique among the VMs) before either part, so both have the same NIC.
 */
static void
d_attach_interface(struct req *r, struct vm *vm)
{
	const char *line = req_str(r, "network");
	struct json_object *steps = NULL, *s;
	struct vmdef *scratch = NULL;
	struct vmdef_nic n;
	struct nicfds fds = { 0 };
	int live, config;
	size_t i;
	char err[1024], *settled = NULL, fdname[40];

	if (line == NULL) {
		req_error(r, ERR_GENERIC, "attach-interface needs \"network\"");
		return;
	}
	if (change_scope(r, vm, &live, &config) == -1)
		return;
	struct change *c = change_new(r, vm, "attach-interface", "");
	c->adds = 1;
	/* the line with its MAC, checked against every VM */
	scratch = vmdef_dup(live ? vm->def : vm_persistent(vm));
	if (vmdef_nic_add(scratch, line, err, sizeof(err)) == -1 ||
	    nics_prepare(r->d, scratch, vm, 0,
	    uid_is_admin(r->d, r->uid), err, sizeof(err)) == -1)
		goto fail;
	i = vmdef_nic_count(scratch) - 1;
	vmdef_nic_get(scratch, i, &n);
	if (strcmp(n.type, "none") == 0) {
		snprintf(err, sizeof(err), "network none: nothing to attach");
		goto fail;
	}
	settled = vmdef_nic_line(scratch, i);
	snprintf(c->what, sizeof(c->what), "attach-interface %s", n.mac);
	/* what is stored first: its refusal must come before a tap opens */
	if (config) {
		c->config = vmdef_dup(vm_persistent(vm));
		if (vmdef_nic_add(c->config, settled, err, sizeof(err)) == -1)
			goto fail;
	}
	if (live) {
		c->live = vmdef_dup(vm->def);
		snprintf(fdname, sizeof(fdname), "fd-%s", n.netdev);
		if (vmdef_nic_plug(c->live, settled, fdname, nics_vhost_net(),
		    &i, &steps, err, sizeof(err)) == -1)
			goto fail;
		if (nics_open_one(vm, c->live, i, &fds, err, sizeof(err)) == -1)
			goto fail;
		if (fds.n > 0)
			strlcpy(c->tap_fail, n.id, sizeof(c->tap_fail));
		/* getfd for each descriptor, closefd to undo, first */
		vmdef_nic_get(c->live, i, &n);
		struct json_object *all = json_object_new_array();
		for (size_t k = 0; k < fds.n; k++) {
			char nm[64];
			unsigned q = n.queues;
			snprintf(nm, sizeof(nm), k < q ? "%s-%zu" : "%s-v%zu",
			    fdname, k < q ? k : k - q);
			s = json_object_new_object();
			json_object_object_add(s, "execute",
			    json_object_new_string("getfd"));
			struct json_object *a = json_object_new_object();
			json_object_object_add(a, "fdname",
			    json_object_new_string(nm));
			json_object_object_add(s, "arguments", a);
			struct json_object *u = json_object_new_object();
			json_object_object_add(u, "execute",
			    json_object_new_string("closefd"));
			a = json_object_new_object();
			json_object_object_add(a, "fdname",
			    json_object_new_string(nm));
			json_object_object_add(u, "arguments", a);
			json_object_object_add(s, "undo", u);
			json_object_array_add(all, s);
		}
		for (size_t k = 0; k < json_object_array_length(steps); k++)
			json_object_array_add(all, json_object_get(
			    json_object_array_get_idx(steps, k)));
		json_object_put(steps);
		steps = all;
		c->fds = fds.fd;
		c->nfds = fds.n;
		fds.fd = NULL;
		fds.n = 0;
	}
	free(settled);
	vmdef_free(scratch);
	change_run(c, steps, NULL);
	return;
fail:
	free(settled);
	vmdef_free(scratch);
	nicfds_close(&fds);
	json_object_put(steps);
	if (c->tap_fail[0])
		nics_forget(vm, c->tap_fail);
	req_error(r, ERR_GENERIC, "%s", err);
	change_free(c);
}

/*
 * The NIC virsh's detach-interface means: of type, with that MAC, or the
 * only one of the type when no MAC is given.  -1 with err.
 */
static int
pick(const struct vmdef *d, const char *type, const char *mac, size_t *ip,
    char *err, size_t errlen)
{
	struct vmdef_nic n;
	size_t found = 0;

	for (size_t i = 0; vmdef_nic_get(d, i, &n) == 0; i++) {
		if (type != NULL && strcmp(type, n.type) != 0)
			continue;
		if (mac != NULL && strcasecmp(mac, n.mac) != 0)
			continue;
		*ip = i;
		found++;
	}
	if (found == 1)
		return 0;
	if (found == 0)
		snprintf(err, errlen, "no %s interface%s%s", type ? type : "",
		    mac ? " with MAC " : "", mac ? mac : "");
	else
		snprintf(err, errlen, "%zu %s interfaces: give --mac", found,
		    type ? type : "");
	return -1;
}

/* {"type", "mac", "live", "config"} */
static void
d_detach_interface(struct req *r, struct vm *vm)
{
	const char *type = req_str(r, "type"), *mac = req_str(r, "mac");
	struct json_object *steps = NULL;
	struct vmdef_nic n;
	int live, config;
	size_t i;
	char err[512], gone[MAC_STR_LEN] = "";

	if (type == NULL) {
		req_error(r, ERR_GENERIC, "detach-interface needs \"type\"");
		return;
	}
	if (change_scope(r, vm, &live, &config) == -1)
		return;
	struct change *c = change_new(r, vm, "detach-interface", mac ? mac :
	    type);
	n.id[0] = '\0';
	if (live) {
		c->live = vmdef_dup(vm->def);
		if (pick(c->live, type, mac, &i, err, sizeof(err)) == -1)
			goto fail;
		vmdef_nic_get(c->live, i, &n);
		snprintf(c->what, sizeof(c->what), "detach-interface %s", n.mac);
		/* n's strings go with the NIC: keep its MAC */
		strlcpy(gone, n.mac, sizeof(gone));
		if (vmdef_nic_unplug(c->live, i, &steps, err, sizeof(err)) == -1)
			goto fail;
	}
	if (config) {
		const char *m = mac != NULL ? mac : live ? gone : NULL;
		c->config = vmdef_dup(vm_persistent(vm));
		if (pick(c->config, type, m, &i, err, sizeof(err)) == -1 ||
		    vmdef_nic_unplug(c->config, i, NULL, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	/* the tap goes with netdev_del; forgotten once that worked */
	if (live)
		strlcpy(c->tap_done, n.id, sizeof(c->tap_done));
	change_run(c, steps, live ? n.id : NULL);
	return;
fail:
	json_object_put(steps);
	req_error(r, ERR_NOT_FOUND, "VM '%s': %s", vm->name, err);
	change_free(c);
}

/* {"interface", "state": "up"|"down", "config"} */
static void
d_domif_setlink(struct req *r, struct vm *vm)
{
	const char *state = req_str(r, "state");
	const char *iface = req_str(r, "interface");
	struct vmdef_nic n;
	int live, config, up;
	size_t i;

	if (state == NULL || (strcmp(state, "up") != 0 &&
	    strcmp(state, "down") != 0)) {
		req_error(r, ERR_GENERIC, "state '%s' is not up or down",
		    state ? state : "");
		return;
	}
	up = *state == 'u';
	if (change_scope(r, vm, &live, &config) == -1)
		return;
	struct change *c = change_new(r, vm, "domif-setlink", iface ? iface :
	    "");
	struct json_object *steps = json_object_new_array();
	if (live) {
		c->live = vmdef_dup(vm->def);
		if (find_iface(r, vm, c->live, iface, &i) == -1)
			goto fail;
		vmdef_nic_get(c->live, i, &n);
		struct json_object *s = json_object_new_object(), *a;
		json_object_object_add(s, "execute",
		    json_object_new_string("set_link"));
		a = json_object_new_object();
		json_object_object_add(a, "name", json_object_new_string(n.id));
		json_object_object_add(a, "up", json_object_new_boolean(up));
		json_object_object_add(s, "arguments", a);
		json_object_array_add(steps, s);
		vmdef_nic_set_link(c->live, i, up);
	}
	if (config) {
		c->config = vmdef_dup(vm_persistent(vm));
		/* the same NIC: by MAC when the tap named it */
		if (find_iface(r, vm, c->config, live ? n.mac : iface, &i) == -1)
			goto fail;
		vmdef_nic_set_link(c->config, i, up);
	}
	change_run(c, steps, NULL);
	return;
fail:
	json_object_put(steps);
	change_free(c);
}

const struct dcmd dcmds_nic[] = {
	{ "iflist",		d_iflist,		NEEDS_VM },
	{ "ifaddr",		d_ifaddr,		NEEDS_VM | NEEDS_ACTIVE },
	{ "domifstat",		d_domifstat,		NEEDS_VM | NEEDS_ACTIVE },
	{ "domif-getlink",	d_domif_getlink,	NEEDS_VM },
	{ "attach-interface",	d_attach_interface,	NEEDS_VM },
	{ "detach-interface",	d_detach_interface,	NEEDS_VM },
	{ "domif-setlink",	d_domif_setlink,	NEEDS_VM },
	{ NULL, NULL, 0 }
};
