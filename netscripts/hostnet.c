/*
 * Links, bridges, addresses and neighbours through libnl-route-3; taps
 * through /dev/net/tun.  See hostnet.h.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/neighbour.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/neighbour.h>

#include "hostnet.h"
#include "parse.h"

struct hostnet {
	struct nl_sock	*sk;
};

static int
hn_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

struct hostnet *
hn_open(char *err, size_t errlen)
{
	struct hostnet *h = calloc(1, sizeof(*h));
	int e;

	if (h == NULL || (h->sk = nl_socket_alloc()) == NULL) {
		free(h);
		hn_fail(err, errlen, "netlink: out of memory");
		return NULL;
	}
	if ((e = nl_connect(h->sk, NETLINK_ROUTE)) < 0) {
		hn_fail(err, errlen, "netlink: %s", nl_geterror(e));
		nl_socket_free(h->sk);
		free(h);
		return NULL;
	}
	return h;
}

void
hn_close(struct hostnet *h)
{
	if (h == NULL)
		return;
	nl_socket_free(h->sk);
	free(h);
}

struct nl_sock *
hn_sock(struct hostnet *h)
{
	return h->sk;
}

static int
check_name(const char *name, char *err, size_t errlen)
{
	if (!valid_ifname(name))
		return hn_fail(err, errlen, "'%s' is not a valid interface name "
		    "(1 to 15 letters, digits or _.:+-)", name);
	return 0;
}

/* The kernel's link called name: 1, 0 when there is none, -1. */
static int
get_link(struct hostnet *h, const char *name, struct rtnl_link **l,
    char *err, size_t errlen)
{
	int e;

	if (check_name(name, err, errlen) == -1)
		return -1;
	if ((e = rtnl_link_get_kernel(h->sk, 0, name, l)) == 0)
		return 1;
	if (e == -NLE_OBJ_NOTFOUND || e == -NLE_NODEV)
		return 0;
	return hn_fail(err, errlen, "%s: %s", name, nl_geterror(e));
}

static void
fill(struct hostnet *h, struct rtnl_link *l, struct hn_link *o)
{
	struct rtnl_link *m;
	struct nl_addr *a;
	const char *s;
	int mi;

	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", rtnl_link_get_name(l));
	o->ifindex = rtnl_link_get_ifindex(l);
	if ((s = rtnl_link_get_type(l)) != NULL)
		snprintf(o->kind, sizeof(o->kind), "%s", s);
	if ((s = rtnl_link_get_ifalias(l)) != NULL)
		snprintf(o->alias, sizeof(o->alias), "%s", s);
	o->mtu = rtnl_link_get_mtu(l);
	o->up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
	if ((a = rtnl_link_get_addr(l)) != NULL && nl_addr_get_len(a) == 6)
		memcpy(o->mac, nl_addr_get_binary_addr(a), 6);
	if ((mi = rtnl_link_get_master(l)) > 0 &&
	    rtnl_link_get_kernel(h->sk, mi, NULL, &m) == 0) {
		snprintf(o->master, sizeof(o->master), "%s",
		    rtnl_link_get_name(m));
		rtnl_link_put(m);
	}
	o->rx_bytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES);
	o->rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS);
	o->rx_errs = rtnl_link_get_stat(l, RTNL_LINK_RX_ERRORS);
	o->rx_drop = rtnl_link_get_stat(l, RTNL_LINK_RX_DROPPED);
	o->tx_bytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES);
	o->tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS);
	o->tx_errs = rtnl_link_get_stat(l, RTNL_LINK_TX_ERRORS);
	o->tx_drop = rtnl_link_get_stat(l, RTNL_LINK_TX_DROPPED);
}

int
hn_link_get(struct hostnet *h, const char *name, struct hn_link *o,
    char *err, size_t errlen)
{
	struct rtnl_link *l;
	int r;

	if ((r = get_link(h, name, &l, err, errlen)) != 1)
		return r;
	fill(h, l, o);
	rtnl_link_put(l);
	return 1;
}

int
hn_bridge_check(struct hostnet *h, const char *name, struct hn_link *o,
    char *err, size_t errlen)
{
	struct hn_link tmp;
	int r;

	if (o == NULL)
		o = &tmp;
	if ((r = hn_link_get(h, name, o, err, errlen)) == -1)
		return -1;
	if (r == 0)
		return hn_fail(err, errlen, "bridge %s does not exist", name);
	if (strcmp(o->kind, "bridge") != 0)
		return hn_fail(err, errlen, "%s is not a bridge", name);
	return 0;
}

int
hn_bridge_add(struct hostnet *h, const char *name, char *err, size_t errlen)
{
	struct rtnl_link *l;
	int e;

	if (check_name(name, err, errlen) == -1)
		return -1;
	if ((l = rtnl_link_bridge_alloc()) == NULL)
		return hn_fail(err, errlen, "netlink: out of memory");
	rtnl_link_set_name(l, name);
	/* EXCL: an existing bridge of that name is an error, not ours */
	e = rtnl_link_add(h->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	if (e < 0)
		return hn_fail(err, errlen, "cannot create bridge %s: %s", name,
		    e == -NLE_EXIST ? "an interface of that name exists" :
		    nl_geterror(e));
	return 0;
}

int
hn_link_del(struct hostnet *h, const char *name, char *err, size_t errlen)
{
	struct rtnl_link *l;
	int e, r;

	if ((r = get_link(h, name, &l, err, errlen)) != 1)
		return r == 0 ? hn_fail(err, errlen, "%s does not exist", name) :
		    -1;
	e = rtnl_link_delete(h->sk, l);
	rtnl_link_put(l);
	if (e < 0)
		return hn_fail(err, errlen, "cannot delete %s: %s", name,
		    nl_geterror(e));
	return 0;
}

/* Apply what fn sets on a change object to the link called name. */
static int
link_change(struct hostnet *h, const char *name, const char *what,
    void (*fn)(struct rtnl_link *, const void *), const void *arg,
    char *err, size_t errlen)
{
	struct rtnl_link *l, *c;
	int e, r;

	if ((r = get_link(h, name, &l, err, errlen)) != 1)
		return r == 0 ? hn_fail(err, errlen, "%s does not exist", name) :
		    -1;
	if ((c = rtnl_link_alloc()) == NULL) {
		rtnl_link_put(l);
		return hn_fail(err, errlen, "netlink: out of memory");
	}
	fn(c, arg);
	e = rtnl_link_change(h->sk, l, c, 0);
	rtnl_link_put(c);
	rtnl_link_put(l);
	if (e < 0)
		return hn_fail(err, errlen, "cannot %s %s: %s", what, name,
		    nl_geterror(e));
	return 0;
}

static void
set_up(struct rtnl_link *c, const void *arg)
{
	if (*(const int *)arg)
		rtnl_link_set_flags(c, IFF_UP);
	else
		rtnl_link_unset_flags(c, IFF_UP);
}

static void
set_mtu(struct rtnl_link *c, const void *arg)
{
	rtnl_link_set_mtu(c, *(const unsigned *)arg);
}

static void
set_alias(struct rtnl_link *c, const void *arg)
{
	rtnl_link_set_ifalias(c, arg);
}

int
hn_link_set_up(struct hostnet *h, const char *name, int up, char *err,
    size_t errlen)
{
	return link_change(h, name, up ? "bring up" : "bring down", set_up, &up,
	    err, errlen);
}

int
hn_link_set_mtu(struct hostnet *h, const char *name, unsigned mtu, char *err,
    size_t errlen)
{
	return link_change(h, name, "set the MTU of", set_mtu, &mtu, err, errlen);
}

int
hn_link_set_alias(struct hostnet *h, const char *name, const char *alias,
    char *err, size_t errlen)
{
	return link_change(h, name, "set the alias of", set_alias, alias, err,
	    errlen);
}

int
hn_link_set_master(struct hostnet *h, const char *name, const char *bridge,
    char *err, size_t errlen)
{
	struct hn_link br, l;
	int e, r;

	if ((r = hn_link_get(h, name, &l, err, errlen)) != 1)
		return r == 0 ? hn_fail(err, errlen, "%s does not exist", name) :
		    -1;
	if (bridge == NULL) {
		if ((e = rtnl_link_release_ifindex(h->sk, l.ifindex)) < 0)
			return hn_fail(err, errlen, "cannot take %s off its "
			    "bridge: %s", name, nl_geterror(e));
		return 0;
	}
	if (hn_bridge_check(h, bridge, &br, err, errlen) == -1)
		return -1;
	if ((e = rtnl_link_enslave_ifindex(h->sk, br.ifindex, l.ifindex)) < 0)
		return hn_fail(err, errlen, "cannot add %s to bridge %s: %s", name,
		    bridge, nl_geterror(e));
	return 0;
}

static int
addr_op(struct hostnet *h, const char *name, const char *cidr, int add,
    char *err, size_t errlen)
{
	struct rtnl_addr *a = NULL;
	struct nl_addr *local = NULL;
	struct hn_link l;
	int e, r, family;

	if ((r = hn_link_get(h, name, &l, err, errlen)) != 1)
		return r == 0 ? hn_fail(err, errlen, "%s does not exist", name) :
		    -1;
	family = strchr(cidr, ':') != NULL ? AF_INET6 : AF_INET;
	if (strchr(cidr, '/') == NULL ||
	    nl_addr_parse(cidr, family, &local) < 0)
		return hn_fail(err, errlen, "'%s' is not an address with a "
		    "prefix length, such as 192.168.122.1/24", cidr);
	if ((a = rtnl_addr_alloc()) == NULL) {
		nl_addr_put(local);
		return hn_fail(err, errlen, "netlink: out of memory");
	}
	rtnl_addr_set_ifindex(a, l.ifindex);
	rtnl_addr_set_family(a, family);
	rtnl_addr_set_prefixlen(a, (int)nl_addr_get_prefixlen(local));
	rtnl_addr_set_local(a, local);
	e = add ? rtnl_addr_add(h->sk, a, 0) : rtnl_addr_delete(h->sk, a, 0);
	rtnl_addr_put(a);
	nl_addr_put(local);
	if (e < 0)
		return hn_fail(err, errlen, "cannot %s address %s %s %s: %s",
		    add ? "add" : "remove", cidr, add ? "to" : "from", name,
		    e == -NLE_EXIST ? "it is there already" : nl_geterror(e));
	return 0;
}

int
hn_addr_add(struct hostnet *h, const char *name, const char *cidr, char *err,
    size_t errlen)
{
	return addr_op(h, name, cidr, 1, err, errlen);
}

int
hn_addr_del(struct hostnet *h, const char *name, const char *cidr, char *err,
    size_t errlen)
{
	return addr_op(h, name, cidr, 0, err, errlen);
}

int
hn_addr_list(struct hostnet *h, const char *name, struct hn_addr *out,
    size_t max, char *err, size_t errlen)
{
	struct nl_cache *cache;
	struct nl_object *o;
	struct hn_link l;
	int e, r, n = 0;

	if ((r = hn_link_get(h, name, &l, err, errlen)) != 1)
		return r == 0 ? hn_fail(err, errlen, "%s does not exist", name) :
		    -1;
	if ((e = rtnl_addr_alloc_cache(h->sk, &cache)) < 0)
		return hn_fail(err, errlen, "netlink: %s", nl_geterror(e));
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *la = rtnl_addr_get_local(a);
		char buf[64];

		if (rtnl_addr_get_ifindex(a) != l.ifindex || la == NULL)
			continue;
		if ((size_t)n < max) {
			out[n].family = rtnl_addr_get_family(a);
			nl_addr2str(la, buf, sizeof(buf));
			if (strchr(buf, '/') == NULL)
				snprintf(out[n].text, sizeof(out[n].text),
				    "%s/%d", buf, rtnl_addr_get_prefixlen(a));
			else
				snprintf(out[n].text, sizeof(out[n].text),
				    "%s", buf);
		}
		n++;
	}
	nl_cache_free(cache);
	return n;
}

int
hn_neigh_list(struct hostnet *h, const char *name, struct hn_neigh *out,
    size_t max, char *err, size_t errlen)
{
	struct nl_cache *cache;
	struct nl_object *o;
	struct hn_link l;
	int e, r, n = 0;

	if ((r = hn_link_get(h, name, &l, err, errlen)) != 1)
		return r == 0 ? hn_fail(err, errlen, "%s does not exist", name) :
		    -1;
	if ((e = rtnl_neigh_alloc_cache(h->sk, &cache)) < 0)
		return hn_fail(err, errlen, "netlink: %s", nl_geterror(e));
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_neigh *nb = (struct rtnl_neigh *)o;
		struct nl_addr *dst = rtnl_neigh_get_dst(nb);
		struct nl_addr *ll = rtnl_neigh_get_lladdr(nb);
		int st = rtnl_neigh_get_state(nb), fam;

		fam = rtnl_neigh_get_family(nb);
		if (rtnl_neigh_get_ifindex(nb) != l.ifindex || dst == NULL ||
		    ll == NULL || nl_addr_get_len(ll) != 6 ||
		    (fam != AF_INET && fam != AF_INET6) ||
		    (st & (NUD_FAILED | NUD_INCOMPLETE | NUD_NOARP)) != 0)
			continue;
		if ((size_t)n < max) {
			out[n].family = fam;
			nl_addr2str(dst, out[n].ip, sizeof(out[n].ip));
			memcpy(out[n].mac, nl_addr_get_binary_addr(ll), 6);
		}
		n++;
	}
	nl_cache_free(cache);
	return n;
}

int
hn_tap_open(const char *name, int vnet_hdr, unsigned queues, int *fds,
    char *err, size_t errlen)
{
	struct ifreq ifr;
	unsigned i;

	if (check_name(name, err, errlen) == -1)
		return -1;
	if (queues == 0 || queues > HN_MAXQUEUES)
		return hn_fail(err, errlen, "tap %s: %u queues (1 to %d)", name,
		    queues, HN_MAXQUEUES);
	for (i = 0; i < queues; i++) {
		if ((fds[i] = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1) {
			hn_fail(err, errlen, "tap %s: /dev/net/tun: %s", name,
			    strerror(errno));
			goto undo;
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI |
		    (vnet_hdr ? IFF_VNET_HDR : 0) |
		    (queues > 1 ? IFF_MULTI_QUEUE : 0) |
		    /* a new tap, never someone else's of that name */
		    (i == 0 ? IFF_TUN_EXCL : 0);
		if (ioctl(fds[i], TUNSETIFF, &ifr) == -1) {
			hn_fail(err, errlen, "tap %s: %s", name, errno == EBUSY ?
			    "an interface of that name exists" :
			    errno == EINVAL ? "an interface of that name "
			    "exists and is not a matching tap" :
			    strerror(errno));
			close(fds[i]);
			goto undo;
		}
	}
	return 0;
undo:
	while (i-- > 0)
		close(fds[i]);
	return -1;
}
