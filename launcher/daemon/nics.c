/*
 * The host side of a VM's NICs: MACs, taps, bridges, vhost-net.  See
 * nics.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <unistd.h>

#include "daemon.h"
#include "hostnet.h"
#include "log.h"
#include "network.h"
#include "nics.h"
#include "util.h"
#include "vm.h"

/* Does any VM but self have mac, in what is stored or what runs? */
static const struct vm *
mac_owner(struct daemon *d, const char *mac, const struct vm *self)
{
	struct vmdef_nic n;
	struct vm *vm;

	TAILQ_FOREACH(vm, &d->vms, entry) {
		const struct vmdef *defs[] = { vm->def, vm->next_def };
		if (vm == self)
			continue;
		for (size_t j = 0; j < 2; j++)
			for (size_t i = 0; defs[j] != NULL &&
			    vmdef_nic_get(defs[j], i, &n) == 0; i++)
				if (strcmp(n.mac, mac) == 0)
					return vm;
	}
	return NULL;
}

/* Does def have mac on a NIC other than skip? */
static int
mac_in(const struct vmdef *def, const char *mac, size_t skip)
{
	struct vmdef_nic n;

	for (size_t i = 0; vmdef_nic_get(def, i, &n) == 0; i++)
		if (i != skip && strcmp(n.mac, mac) == 0)
			return 1;
	return 0;
}

/* Does self's stored definition have a NIC on bridge br? */
static int
had_bridge(const struct vm *self, const char *br)
{
	struct vmdef_nic n;
	const struct vmdef *def;

	if (self == NULL)
		return 0;
	def = self->next_def != NULL ? self->next_def : self->def;
	for (size_t i = 0; vmdef_nic_get(def, i, &n) == 0; i++)
		if (strcmp(n.type, "bridge") == 0 && strcmp(n.source, br) == 0)
			return 1;
	return 0;
}

int
nics_prepare(struct daemon *d, struct vmdef *def, const struct vm *self,
    int fresh, int admin, char *err, size_t errlen)
{
	struct vmdef *nd = vmdef_dup(def);
	struct vmdef_nic n;
	const struct vm *o;
	char mac[MAC_STR_LEN];

	for (size_t i = 0; vmdef_nic_get(nd, i, &n) == 0; i++) {
		if (strcmp(n.type, "none") == 0)
			continue;
		/* a host bridge is the administrator's to hand out */
		if (!admin && strcmp(n.type, "bridge") == 0 &&
		    !had_bridge(self, n.source)) {
			snprintf(err, errlen, "network: only an administrator may "
			    "put a VM on host bridge %s; use network=NAME",
			    n.source);
			vmdef_free(nd);
			return -1;
		}
		/* libvirt's default network: defined when first named */
		if (strcmp(n.type, "network") == 0 &&
		    network_ensure_default(d, n.source, err, errlen) == -1) {
			vmdef_free(nd);
			return -1;
		}
		if (n.mac[0] && !fresh) {
			if ((o = mac_owner(d, n.mac, self)) != NULL) {
				snprintf(err, errlen, "network: MAC %s belongs "
				    "to VM '%s' already", n.mac, o->name);
				vmdef_free(nd);
				return -1;
			}
			continue;
		}
		/* 2^24 MACs: a free one comes at once */
		do
			mac_generate_str(mac);
		while (mac_owner(d, mac, self) != NULL || mac_in(nd, mac, i));
		if (vmdef_nic_set_mac(nd, i, mac, err, errlen) == -1) {
			vmdef_free(nd);
			return -1;
		}
	}
	/* def takes what nd has: the lines and the text with the MACs */
	struct vmdef t = *def;
	*def = *nd;
	*nd = t;
	vmdef_free(nd);
	return 0;
}

int
nics_vhost_net(void)
{
	int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);

	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}

void
nicfds_close(struct nicfds *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->fd[i] != -1)
			close(f->fd[i]);
	free(f->fd);
	f->fd = NULL;
	f->n = 0;
}

static void
fds_add(struct nicfds *f, int fd)
{
	f->fd = xreallocarray(f->fd, f->n + 1, sizeof(*f->fd));
	f->fd[f->n++] = fd;
}

/* The bridge a NIC goes on. */
static const char *
source_bridge(struct daemon *d, const struct vmdef_nic *n, char *err,
    size_t errlen)
{
	if (strcmp(n->type, "bridge") == 0)
		return n->source;
	return network_bridge(d, n->source, err, errlen);
}

const char *
nics_tap(const struct vm *vm, const char *id)
{
	for (size_t i = 0; i < vm->ntaps; i++)
		if (strcmp(vm->taps[i].id, id) == 0)
			return vm->taps[i].name;
	return NULL;
}

void
nics_remember(struct vm *vm, const char *id, const char *name)
{
	vm->taps = xreallocarray(vm->taps, vm->ntaps + 1, sizeof(*vm->taps));
	strlcpy(vm->taps[vm->ntaps].id, id, sizeof(vm->taps[0].id));
	strlcpy(vm->taps[vm->ntaps].name, name, sizeof(vm->taps[0].name));
	vm->ntaps++;
}

void
nics_forget(struct vm *vm, const char *id)
{
	for (size_t i = 0; i < vm->ntaps; i++)
		if (id == NULL || strcmp(vm->taps[i].id, id) == 0) {
			memmove(&vm->taps[i], &vm->taps[i + 1],
			    (vm->ntaps - i - 1) * sizeof(vm->taps[0]));
			vm->ntaps--;
			i--;
		}
	if (vm->ntaps == 0) {
		free(vm->taps);
		vm->taps = NULL;
	}
}

/* qlvID.N, the lowest N neither this VM's taps nor the host have. */
static int
tap_name(struct vm *vm, struct hostnet *h, char *name, size_t len,
    char *err, size_t errlen)
{
	struct hn_link l;

	for (unsigned k = 0; k < 1000; k++) {
		int taken = 0, r;
		snprintf(name, len, "qlv%d.%u", vm->id, k);
		for (size_t i = 0; i < vm->ntaps && !taken; i++)
			taken = strcmp(vm->taps[i].name, name) == 0;
		if (taken)
			continue;
		if ((r = hn_link_get(h, name, &l, err, errlen)) == -1)
			return -1;
		if (r == 0)
			return 0;
	}
	snprintf(err, errlen, "no free tap name qlv%d.N", vm->id);
	return -1;
}

/*
 * Open NIC n's tap and vhost-net descriptors into f (taps, then vhost
 * ones), on its bridge, up; remember its name.
 */
static int
open_nic(struct vm *vm, const struct vmdef_nic *n, struct nicfds *f,
    char *err, size_t errlen)
{
	struct hostnet *h = daemon_hostnet(vm->d, err, errlen);
	struct hn_link br;
	const char *bridge;
	char name[HN_NAMELEN], alias[128], why[256];
	int fds[HN_MAXQUEUES];
	size_t had = f->n;

	if (h == NULL)
		return -1;
	if ((bridge = source_bridge(vm->d, n, err, errlen)) == NULL)
		return -1;
	if (hn_bridge_check(h, bridge, &br, err, errlen) == -1)
		return -1;
	if (n->ifname != NULL)
		strlcpy(name, n->ifname, sizeof(name));
	else if (tap_name(vm, h, name, sizeof(name), err, errlen) == -1)
		return -1;
	if (hn_tap_open(name, 1, n->queues, fds, err, errlen) == -1)
		return -1;
	for (unsigned q = 0; q < n->queues; q++)
		fds_add(f, fds[q]);
	snprintf(alias, sizeof(alias), "qlaunch %s %s", vm->name, n->mac);
	if (hn_link_set_mtu(h, name, br.mtu, why, sizeof(why)) == -1 ||
	    hn_link_set_alias(h, name, alias, why, sizeof(why)) == -1 ||
	    hn_link_set_master(h, name, bridge, why, sizeof(why)) == -1 ||
	    hn_link_set_up(h, name, 1, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "network %s %s: %s", n->type, n->source,
		    why);
		goto fail;
	}
	for (unsigned q = 0; n->uses_vhost && q < n->queues; q++) {
		int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
		if (fd == -1) {
			snprintf(err, errlen, "network %s %s: vhost=on, but "
			    "/dev/vhost-net: %s", n->type, n->source,
			    strerror(errno));
			goto fail;
		}
		fds_add(f, fd);
	}
	nics_remember(vm, n->id, name);
	return 0;
fail:
	while (f->n > had)
		close(f->fd[--f->n]);
	return -1;
}

int
nics_open_one(struct vm *vm, const struct vmdef *def, size_t i,
    struct nicfds *f, char *err, size_t errlen)
{
	struct vmdef_nic n;

	memset(f, 0, sizeof(*f));
	if (vmdef_nic_get(def, i, &n) == -1 || !n.tap)
		return 0;
	return open_nic(vm, &n, f, err, errlen);
}

int
nics_open(struct vm *vm, struct nicfds *f, char *err, size_t errlen)
{
	struct vmdef_nic n;

	memset(f, 0, sizeof(*f));
	nics_forget(vm, NULL);
	vmdef_nic_host(vm->def, nics_vhost_net());
	for (size_t i = 0; vmdef_nic_get(vm->def, i, &n) == 0; i++) {
		if (!n.tap)
			continue;
		if (open_nic(vm, &n, f, err, errlen) == -1) {
			nicfds_close(f);
			nics_forget(vm, NULL);
			return -1;
		}
	}
	return 0;
}

void
nics_lease_addrs(struct daemon *d, const struct vmdef_nic *n,
    struct json_object *addrs)
{
	struct net_lease *l;
	size_t nl;
	char err[256];

	if (strcmp(n->type, "network") != 0 ||
	    network_leases(d, n->source, &l, &nl, err, sizeof(err)) == -1)
		return;
	for (size_t i = 0; i < nl; i++) {
		struct json_object *a;
		if (strcasecmp(l[i].mac, n->mac) != 0)
			continue;
		a = json_object_new_object();
		json_object_object_add(a, "address",
		    json_object_new_string(l[i].ip));
		json_object_object_add(a, "family", json_object_new_string(
		    strchr(l[i].ip, ':') != NULL ? "ipv6" : "ipv4"));
		json_object_object_add(a, "source",
		    json_object_new_string("lease"));
		if (l[i].hostname[0])
			json_object_object_add(a, "hostname",
			    json_object_new_string(l[i].hostname));
		json_object_array_add(addrs, a);
	}
	free(l);
}

void
nics_reattach(struct daemon *d, const char *net, const char *bridge)
{
	struct hostnet *h;
	struct hn_link br;
	struct vmdef_nic n;
	struct vm *vm;
	char err[256];

	if ((h = daemon_hostnet(d, err, sizeof(err))) == NULL ||
	    hn_bridge_check(h, bridge, &br, err, sizeof(err)) == -1) {
		log_warnx("network %s: its VMs' taps: %s", net, err);
		return;
	}
	TAILQ_FOREACH(vm, &d->vms, entry) {
		for (size_t i = 0; vm->pid > 0 &&
		    vmdef_nic_get(vm->def, i, &n) == 0; i++) {
			const char *tap = nics_tap(vm, n.id);
			if (tap == NULL || strcmp(n.type, "network") != 0 ||
			    strcmp(n.source, net) != 0)
				continue;
			if (hn_link_set_mtu(h, tap, br.mtu, err,
			    sizeof(err)) == -1 ||
			    hn_link_set_master(h, tap, bridge, err,
			    sizeof(err)) == -1 ||
			    hn_link_set_up(h, tap, 1, err, sizeof(err)) == -1)
				log_warnx("%s: tap %s back on %s: %s", vm->name,
				    tap, bridge, err);
			else
				log_info("%s: tap %s back on %s", vm->name, tap,
				    bridge);
		}
	}
}
