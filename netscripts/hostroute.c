/*
 * Routes through an interface and the ports of a bridge through
 * libnl-route-3; a bridge's STP through sysfs.  See hostroute.h.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "hostroute.h"
#include "parse.h"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The link called name must exist: its ifindex, or -1. */
static int
ifindex_of(struct hostnet *h, const char *name, char *err, size_t errlen)
{
	struct hn_link l;
	int r;

	if ((r = hn_link_get(h, name, &l, err, errlen)) == 1)
		return l.ifindex;
	return r == 0 ? fail(err, errlen, "%s does not exist", name) : -1;
}

/* An address as text without a full-length prefix; "" for NULL. */
static void
addr_text(struct nl_addr *a, char *buf, size_t len)
{
	buf[0] = '\0';
	if (a != NULL && nl_addr_get_len(a) > 0)
		nl_addr2str(a, buf, len);
}

void
hn_route_str(const struct hn_route *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s metric %u", r->dst,
	    r->gateway[0] ? " via " : "", r->gateway,
	    r->prefsrc[0] ? " src " : "", r->prefsrc, r->priority);
}

int
hn_route_list(struct hostnet *h, const char *name, struct hn_route *out,
    size_t max, char *err, size_t errlen)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int e, idx, n = 0, multi = 0;

	if ((idx = ifindex_of(h, name, err, errlen)) == -1)
		return -1;
	if ((e = rtnl_route_alloc_cache(hn_sock(h), AF_UNSPEC, 0, &cache)) < 0)
		return fail(err, errlen, "netlink: %s", nl_geterror(e));
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct rtnl_nexthop *nh;
		struct nl_addr *dst;
		int fam = rtnl_route_get_family(rt), nnh, ours = 0;

		nnh = rtnl_route_get_nnexthops(rt);
		for (int i = 0; i < nnh; i++)
			if (rtnl_route_nh_get_ifindex(
			    rtnl_route_nexthop_n(rt, i)) == idx)
				ours = 1;
		if (!ours || (fam != AF_INET && fam != AF_INET6) ||
		    rtnl_route_get_table(rt) == RT_TABLE_LOCAL ||
		    rtnl_route_get_type(rt) != RTN_UNICAST ||
		    rtnl_route_get_protocol(rt) == RTPROT_KERNEL ||
		    rtnl_route_get_protocol(rt) == RTPROT_RA)
			continue;
		if (nnh != 1) {
			multi = 1;
			continue;
		}
		nh = rtnl_route_nexthop_n(rt, 0);
		if ((size_t)n < max) {
			struct hn_route *r = &out[n];

			memset(r, 0, sizeof(*r));
			r->family = fam;
			dst = rtnl_route_get_dst(rt);
			if (dst == NULL || nl_addr_get_prefixlen(dst) == 0)
				snprintf(r->dst, sizeof(r->dst), "default");
			else
				addr_text(dst, r->dst, sizeof(r->dst));
			addr_text(rtnl_route_nh_get_gateway(nh), r->gateway,
			    sizeof(r->gateway));
			addr_text(rtnl_route_get_pref_src(rt), r->prefsrc,
			    sizeof(r->prefsrc));
			r->table = rtnl_route_get_table(rt);
			r->priority = rtnl_route_get_priority(rt);
			r->scope = rtnl_route_get_scope(rt);
			r->protocol = rtnl_route_get_protocol(rt);
		}
		n++;
	}
	nl_cache_free(cache);
	if (multi)
		return fail(err, errlen, "%s carries a multipath route, which "
		    "cannot be moved", name);
	return n;
}

/* A route object for r through ifindex; NULL with err. */
static struct rtnl_route *
build(const struct hn_route *r, int ifindex, char *err, size_t errlen)
{
	struct rtnl_route *rt = NULL;
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *dst = NULL, *gw = NULL, *src = NULL;

	if (nl_addr_parse(r->dst, r->family, &dst) < 0 ||
	    (r->gateway[0] && nl_addr_parse(r->gateway, r->family, &gw) < 0) ||
	    (r->prefsrc[0] && nl_addr_parse(r->prefsrc, r->family, &src) < 0)) {
		fail(err, errlen, "route %s via '%s': not an address", r->dst,
		    r->gateway);
		goto out;
	}
	if ((rt = rtnl_route_alloc()) == NULL ||
	    (nh = rtnl_route_nh_alloc()) == NULL) {
		fail(err, errlen, "netlink: out of memory");
		goto out;
	}
	rtnl_route_set_family(rt, (uint8_t)r->family);
	rtnl_route_set_dst(rt, dst);
	if (src != NULL)
		rtnl_route_set_pref_src(rt, src);
	rtnl_route_set_table(rt, r->table);
	rtnl_route_set_priority(rt, r->priority);
	rtnl_route_set_scope(rt, r->scope);
	rtnl_route_set_protocol(rt, r->protocol);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (gw != NULL)
		rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(rt, nh);
	nh = NULL;
out:
	if (nh != NULL)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(gw);
	nl_addr_put(src);
	return rt;
}

static int
route_op(struct hostnet *h, const char *name, const struct hn_route *r,
    int add, char *err, size_t errlen)
{
	struct rtnl_route *rt;
	char what[192];
	int e, idx;

	if ((idx = ifindex_of(h, name, err, errlen)) == -1)
		return -1;
	if ((rt = build(r, idx, err, errlen)) == NULL)
		return -1;
	e = add ? rtnl_route_add(hn_sock(h), rt, NLM_F_EXCL) :
	    rtnl_route_delete(hn_sock(h), rt, 0);
	rtnl_route_put(rt);
	if (e < 0) {
		hn_route_str(r, what, sizeof(what));
		return fail(err, errlen, "cannot %s route %s %s %s: %s",
		    add ? "add" : "remove", what, add ? "to" : "from", name,
		    e == -NLE_EXIST ? "it is there already" : nl_geterror(e));
	}
	return 0;
}

int
hn_route_add(struct hostnet *h, const char *name, const struct hn_route *r,
    char *err, size_t errlen)
{
	return route_op(h, name, r, 1, err, errlen);
}

int
hn_route_del(struct hostnet *h, const char *name, const struct hn_route *r,
    char *err, size_t errlen)
{
	return route_op(h, name, r, 0, err, errlen);
}

int
hn_bridge_ports(struct hostnet *h, const char *bridge, struct hn_link *out,
    size_t max, char *err, size_t errlen)
{
	struct nl_cache *cache;
	struct nl_object *o;
	struct hn_link br;
	int e, n = 0;

	if (hn_bridge_check(h, bridge, &br, err, errlen) == -1)
		return -1;
	if ((e = rtnl_link_alloc_cache(hn_sock(h), AF_UNSPEC, &cache)) < 0)
		return fail(err, errlen, "netlink: %s", nl_geterror(e));
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;

		if (rtnl_link_get_master(l) != br.ifindex)
			continue;
		if ((size_t)n < max &&
		    hn_link_get(h, rtnl_link_get_name(l), &out[n], err,
		    errlen) != 1) {
			nl_cache_free(cache);
			return fail(err, errlen, "bridge %s: its port %s went "
			    "away", bridge, rtnl_link_get_name(l));
		}
		n++;
	}
	nl_cache_free(cache);
	return n;
}

/* Write val into /sys/class/net/bridge/bridge/attr. */
static int
sysfs_put(const char *bridge, const char *attr, unsigned val, char *err,
    size_t errlen)
{
	char path[128], buf[16];
	int fd, n;
	ssize_t w;

	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge/%s", bridge,
	    attr);
	n = snprintf(buf, sizeof(buf), "%u\n", val);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return fail(err, errlen, "bridge %s: cannot set %s: %s", bridge,
		    attr, strerror(errno));
	w = write(fd, buf, (size_t)n);
	if (w != n) {
		int e = w == -1 ? errno : EIO;
		close(fd);
		return fail(err, errlen, "bridge %s: cannot set %s to %u: %s",
		    bridge, attr, val, strerror(e));
	}
	close(fd);
	return 0;
}

int
hn_bridge_set_stp(const char *bridge, int stp, unsigned delay_s, char *err,
    size_t errlen)
{
	if (!valid_ifname(bridge))
		return fail(err, errlen, "'%s' is not a valid interface name",
		    bridge);
	if (delay_s > 30)
		return fail(err, errlen, "bridge %s: forward delay %u s (0 to "
		    "30)", bridge, delay_s);
	/* the delay first: with STP on, the kernel refuses one below 2 s */
	if (sysfs_put(bridge, "forward_delay", delay_s * 100, err,
	    errlen) == -1)
		return -1;
	return sysfs_put(bridge, "stp_state", stp ? 1 : 0, err, errlen);
}
