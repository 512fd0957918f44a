/*
 * A network line (dev-nic.c has the key's summary): parsing and printing
 * it, and the checks of the lines against each other and the machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defutil.h"
#include "dev.h"
#include "dev-nic.h"
#include "props.h"
#include "util.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_BOOT_ORDER	9999

static const char *const type_names[] = {
	[NT_NONE] = "none", [NT_BRIDGE] = "bridge", [NT_NETWORK] = "network",
	[NT_USER] = "user",
};

/* The models, with QEMU's device names as other spellings. */
static const struct {
	const char	*name, *driver, *alias;
} models[] = {
	[NM_DEFAULT] = { "", NULL, NULL },
	[NM_VIRTIO] = { "virtio", "virtio-net-pci", "virtio-net" },
	[NM_E1000] = { "e1000", "e1000", NULL },
	[NM_E1000E] = { "e1000e", "e1000e", NULL },
	[NM_RTL8139] = { "rtl8139", "rtl8139", NULL },
};

/* virt-install's and virsh's other spellings of the properties. */
static const struct {
	const char	*alias, *key;
} aliases[] = {
	{ "model.type", "model" },
	{ "mac.address", "mac" },
	{ "target.dev", "ifname" },
	{ "driver.queues", "queues" },
	{ "link.state", "link_state" },
	{ "boot.order", "boot_order" },
};

const char *
nic_type_name(enum ntype t)
{
	return type_names[t];
}

const char *
nic_model_name(enum nmodel m)
{
	return models[m == NM_DEFAULT ? NM_VIRTIO : m].name;
}

const char *
nic_driver(const struct vmdef *d, const struct nic *k)
{
	enum nmodel m = k->model == NM_DEFAULT ? NM_VIRTIO : k->model;

	if (m == NM_VIRTIO && def_microvm(d))
		return "virtio-net-device";
	return models[m].driver;
}

int
nic_is_tap(const struct nic *k)
{
	return k->type == NT_BRIDGE || k->type == NT_NETWORK;
}

int
nic_uses_vhost(const struct nic *k)
{
	return nic_is_tap(k) && (k->vhost == 1 || (k->vhost == -1 &&
	    k->vhost_ok));
}

unsigned
nic_queues(const struct nic *k)
{
	return k->queues != 0 ? k->queues : 1;
}

unsigned
nic_nfds(const struct nic *k)
{
	if (!nic_is_tap(k))
		return 0;
	return nic_queues(k) * (nic_uses_vhost(k) ? 2 : 1);
}

void
nic_ids(const struct nic *k, char *dev, char *netdev)
{
	char hex[13];
	size_t n = 0;

	for (const char *p = k->mac; *p && n < 12; p++)
		if (*p != ':')
			hex[n++] = *p;
	hex[n] = '\0';
	if (dev != NULL)
		snprintf(dev, NIC_ID_LEN, "net-%s", hex);
	if (netdev != NULL)
		snprintf(netdev, NIC_ID_LEN, "hostnet-%s", hex);
}

/* A property under its name or one other; both is an error. */
static int
get(struct props *p, const char *key, const char **out, char *err,
    size_t errlen)
{
	const char *v = props_get(p, key), *a;

	for (size_t i = 0; i < NELEM(aliases); i++) {
		if (strcmp(aliases[i].key, key) != 0 ||
		    strcmp(aliases[i].alias, key) == 0 ||
		    (a = props_get(p, aliases[i].alias)) == NULL)
			continue;
		if (v != NULL)
			return def_err(err, errlen, "%s is given twice (as %s "
			    "and %s)", key, key, aliases[i].alias);
		v = a;
	}
	*out = v;
	return 0;
}

/* Set the kind of attachment once: "bridge" and "network" conflict. */
static int
set_type(struct nic *k, enum ntype t, const char *src, char *err,
    size_t errlen)
{
	if (k->type != NT_NONE || k->source != NULL)
		return def_err(err, errlen, "give one of bridge=, network=, "
		    "user and none");
	if ((t == NT_BRIDGE || t == NT_NETWORK) && (src == NULL || !*src))
		return def_err(err, errlen, "%s: no name given", type_names[t]);
	if (t == NT_BRIDGE && !valid_ifname(src))
		return def_err(err, errlen, "bridge '%s' is not an interface "
		    "name (1 to 15 of A-Z a-z 0-9 _.:+-)", src);
	if (t == NT_NETWORK && !valid_name(src))
		return def_err(err, errlen, "network '%s' is not a valid name",
		    src);
	k->type = t;
	k->source = xstrdup_null(src);
	return 0;
}

/*
 * The attachment: "bridge=BR", "network=NAME", virt-install's
 * "bridge:BR" and "network:NAME", "user", "none", "default" (the network
 * called default), or virsh's "type=bridge,source=BR".
 */
static int
attachment(struct props *p, struct nic *k, int *none, char *err,
    size_t errlen)
{
	const char *v, *type = NULL, *src = NULL;

	for (size_t i = 0; i < p->n; i++) {
		struct prop *pr = &p->v[i];
		const char *c;
		if (pr->key != NULL)
			continue;
		pr->used = 1;
		if (strncmp(pr->val, "bridge:", 7) == 0) {
			if (set_type(k, NT_BRIDGE, pr->val + 7, err, errlen))
				return -1;
		} else if (strncmp(pr->val, "network:", 8) == 0) {
			if (set_type(k, NT_NETWORK, pr->val + 8, err, errlen))
				return -1;
		} else if (strcmp(pr->val, "user") == 0) {
			if (set_type(k, NT_USER, NULL, err, errlen) == -1)
				return -1;
		} else if (strcmp(pr->val, "default") == 0) {
			if (set_type(k, NT_NETWORK, "default", err, errlen))
				return -1;
		} else if (strcmp(pr->val, "none") == 0) {
			if (*none || k->type != NT_NONE)
				return def_err(err, errlen, "give one of "
				    "bridge=, network=, user and none");
			*none = 1;
		} else {
			c = strchr(pr->val, ':');
			return def_err(err, errlen, "'%s' is not bridge=NAME, "
			    "network=NAME, user or none%s", pr->val,
			    c != NULL ? " (bridge:NAME and network:NAME)" : "");
		}
	}
	if ((v = props_get(p, "bridge")) != NULL &&
	    set_type(k, NT_BRIDGE, v, err, errlen) == -1)
		return -1;
	if ((v = props_get(p, "network")) != NULL &&
	    set_type(k, NT_NETWORK, v, err, errlen) == -1)
		return -1;
	if (get(p, "type", &type, err, errlen) == -1 ||
	    get(p, "source", &src, err, errlen) == -1)
		return -1;
	if (type != NULL) {
		if (strcmp(type, "bridge") == 0 || strcmp(type, "network") == 0) {
			if (set_type(k, *type == 'b' ? NT_BRIDGE : NT_NETWORK,
			    src, err, errlen) == -1)
				return -1;
		} else if (strcmp(type, "user") == 0) {
			if (set_type(k, NT_USER, NULL, err, errlen) == -1)
				return -1;
		} else
			return def_err(err, errlen, "type '%s' is not bridge, "
			    "network or user", type);
	} else if (src != NULL)
		return def_err(err, errlen, "source= needs type=bridge or "
		    "type=network");
	if (k->type == NT_NONE && !*none)
		return def_err(err, errlen, "no attachment: give bridge=NAME, "
		    "network=NAME, user or none");
	return 0;
}

/* hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static int
check_fwd(const char *v, char *err, size_t errlen)
{
	const char *c = v, *dash;
	long long port;
	const char *e;
	char num[8];

	if (strncmp(c, "tcp:", 4) == 0 || strncmp(c, "udp:", 4) == 0)
		c += 4;
	else if (*c == ':')
		c++;
	else
		goto bad;
	if ((dash = strchr(c, '-')) == NULL)
		goto bad;
	for (int side = 0; side < 2; side++) {
		const char *end = side == 0 ? dash : c + strlen(c);
		const char *colon = memrchr(c, ':', (size_t)(end - c));
		if (colon == NULL || (size_t)(end - colon - 1) >= sizeof(num) ||
		    end == colon + 1)
			goto bad;
		memcpy(num, colon + 1, (size_t)(end - colon - 1));
		num[end - colon - 1] = '\0';
		if (parse_uint(num, side == 0 ? 0 : 1, 65535, &port, &e) == -1)
			goto bad;
		c = dash + 1;
	}
	return 0;
bad:
	return def_err(err, errlen, "hostfwd '%s' is not [tcp|udp]:"
	    "[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT", v);
}

static int
parse_props(struct props *p, struct nic *k, int *none, char *err,
    size_t errlen)
{
	const char *v;

	if (attachment(p, k, none, err, errlen) == -1)
		return -1;
	if (get(p, "model", &v, err, errlen) == -1)
		return -1;
	if (v != NULL) {
		size_t i;
		for (i = 1; i < NELEM(models); i++)
			if (strcmp(v, models[i].name) == 0 ||
			    strcmp(v, models[i].driver) == 0 ||
			    (models[i].alias != NULL &&
			    strcmp(v, models[i].alias) == 0))
				break;
		if (i == NELEM(models))
			return def_err(err, errlen, "model '%s' is not virtio, "
			    "e1000, e1000e or rtl8139", v);
		k->model = (enum nmodel)i;
	}
	if (get(p, "mac", &v, err, errlen) == -1)
		return -1;
	if (v != NULL) {
		unsigned char m[6];
		if (parse_mac(v, m) == -1)
			return def_err(err, errlen, "mac '%s' is not a unicast "
			    "MAC address (52:54:00:xx:xx:xx)", v);
		format_mac(m, k->mac);
	}
	if ((v = props_get(p, "vhost")) != NULL &&
	    parse_bool(v, &k->vhost) == -1)
		return def_err(err, errlen, "vhost '%s' is not on or off", v);
	if ((v = props_get(p, "driver.name")) != NULL) {
		if (k->vhost != -1)
			return def_err(err, errlen, "vhost is given twice (as "
			    "vhost and driver.name)");
		if (strcmp(v, "vhost") != 0 && strcmp(v, "qemu") != 0)
			return def_err(err, errlen, "driver.name '%s' is not "
			    "vhost or qemu", v);
		k->vhost = strcmp(v, "vhost") == 0;
	}
	if (get(p, "queues", &v, err, errlen) == -1 ||
	    (v != NULL && def_uint("queues", v, 1, NIC_MAX_QUEUES, &k->queues,
	    err, errlen) == -1))
		return -1;
	if (get(p, "ifname", &v, err, errlen) == -1)
		return -1;
	if (v != NULL) {
		if (!valid_ifname(v))
			return def_err(err, errlen, "ifname '%s' is not an "
			    "interface name (1 to 15 of A-Z a-z 0-9 _.:+-)", v);
		k->ifname = xstrdup(v);
	}
	if (get(p, "link_state", &v, err, errlen) == -1)
		return -1;
	if (v != NULL) {
		if (strcmp(v, "up") == 0 || strcmp(v, "down") == 0)
			k->link_up = *v == 'u';
		else
			return def_err(err, errlen, "link_state '%s' is not up "
			    "or down", v);
	}
	if (get(p, "boot_order", &v, err, errlen) == -1 ||
	    (v != NULL && def_uint("boot_order", v, 1, MAX_BOOT_ORDER,
	    &k->boot_order, err, errlen) == -1))
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		struct prop *pr = &p->v[i];
		if (pr->key == NULL || strcmp(pr->key, "hostfwd") != 0)
			continue;
		pr->used = 1;
		if (k->nfwd == NIC_MAX_FWD)
			return def_err(err, errlen, "more than %d hostfwd",
			    NIC_MAX_FWD);
		if (check_fwd(pr->val, err, errlen) == -1)
			return -1;
		k->fwd[k->nfwd++] = xstrdup(pr->val);
	}
	return def_unused(p, err, errlen);
}

/* What a line may not combine. */
static int
check_line(const struct nic *k, int none, char *err, size_t errlen)
{
	if (none && k->type != NT_NONE)
		return def_err(err, errlen, "give one of bridge=, network=, "
		    "user and none");
	if (none && (k->model != NM_DEFAULT || k->mac[0] || k->vhost != -1 ||
	    k->queues || k->ifname || k->link_up != -1 || k->boot_order ||
	    k->nfwd))
		return def_err(err, errlen, "none takes no other property");
	if (k->nfwd != 0 && k->type != NT_USER)
		return def_err(err, errlen, "hostfwd is for user networking");
	if (!nic_is_tap(k) && k->type != NT_NONE && (k->vhost != -1 ||
	    k->queues || k->ifname))
		return def_err(err, errlen, "vhost, queues and ifname are for "
		    "bridge= and network= (a tap)");
	if (k->queues > 1 && k->model != NM_DEFAULT && k->model != NM_VIRTIO)
		return def_err(err, errlen, "queues: only virtio has several "
		    "queues");
	if (k->vhost == 1 && k->model != NM_DEFAULT && k->model != NM_VIRTIO)
		return def_err(err, errlen, "vhost is for model virtio");
	return 0;
}

void *
nic_parse(const char *v, char *err, size_t errlen)
{
	struct props p;
	struct nic *k;
	int none = 0;

	if (props_parse(v, &p, err, errlen) == -1)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->vhost = -1;
	k->link_up = -1;
	if (parse_props(&p, k, &none, err, errlen) == -1 ||
	    check_line(k, none, err, errlen) == -1) {
		nic_free(k);
		k = NULL;
	}
	props_free(&p);
	return k;
}

char *
nic_print(const void *conf)
{
	const struct nic *k = conf;
	char *s = xstrdup(""), n[16];

	if (k->type == NT_NONE)
		def_print_add(&s, NULL, "none");
	else if (k->type == NT_USER)
		def_print_add(&s, NULL, "user");
	else
		def_print_add(&s, type_names[k->type], k->source);
	if (k->model != NM_DEFAULT)
		def_print_add(&s, "model", models[k->model].name);
	if (k->mac[0])
		def_print_add(&s, "mac", k->mac);
	if (k->vhost != -1)
		def_print_add(&s, "vhost", k->vhost ? "on" : "off");
	if (k->queues) {
		snprintf(n, sizeof(n), "%u", k->queues);
		def_print_add(&s, "queues", n);
	}
	if (k->ifname != NULL)
		def_print_add(&s, "ifname", k->ifname);
	if (k->link_up != -1)
		def_print_add(&s, "link_state", k->link_up ? "up" : "down");
	if (k->boot_order) {
		snprintf(n, sizeof(n), "%u", k->boot_order);
		def_print_add(&s, "boot_order", n);
	}
	for (size_t i = 0; i < k->nfwd; i++)
		def_print_add(&s, "hostfwd", k->fwd[i]);
	return s;
}

void
nic_free(void *conf)
{
	struct nic *k = conf;

	if (k == NULL)
		return;
	free(k->source);
	free(k->ifname);
	for (size_t i = 0; i < k->nfwd; i++)
		free(k->fwd[i]);
	free(k);
}

void *
nic_dup(const void *conf)
{
	const struct nic *s = conf;
	struct nic *k = xmemdup(s, sizeof(*s));

	k->source = xstrdup_null(s->source);
	k->ifname = xstrdup_null(s->ifname);
	for (size_t i = 0; i < s->nfwd; i++)
		k->fwd[i] = xstrdup(s->fwd[i]);
	return k;
}

int
nic_check(const struct vmdef *d, const void *const *confs, size_t n,
    char *err, size_t errlen)
{
	size_t none = 0;

	for (size_t i = 0; i < n; i++) {
		const struct nic *a = confs[i];
		if (a->type == NT_NONE)
			none++;
		if (def_microvm(d) && a->model != NM_DEFAULT &&
		    a->model != NM_VIRTIO)
			return def_err(err, errlen, "microvm has only virtio "
			    "NICs, not %s", models[a->model].name);
		for (size_t j = 0; j < i; j++) {
			const struct nic *b = confs[j];
			if (a->mac[0] && strcmp(a->mac, b->mac) == 0)
				return def_err(err, errlen, "two NICs have MAC "
				    "%s", a->mac);
			if (a->ifname != NULL && b->ifname != NULL &&
			    strcmp(a->ifname, b->ifname) == 0)
				return def_err(err, errlen, "two NICs have "
				    "ifname %s", a->ifname);
		}
	}
	if (none != 0 && n > 1)
		return def_err(err, errlen, "none: the VM has other NICs");
	return 0;
}

int
nic_ready(const struct vmdef *d, const void *conf, char *err, size_t errlen)
{
	const struct nic *k = conf;

	(void)d;
	if (k->type != NT_NONE && !k->mac[0]) {
		snprintf(err, errlen, "network %s%s%s: no MAC address; the "
		    "supervisor gives one when the definition is stored",
		    type_names[k->type], k->source ? " " : "",
		    k->source ? k->source : "");
		return -1;
	}
	return 0;
}
