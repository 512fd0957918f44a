/*
 * iface-bridge and iface-unbridge (virsh's): a host NIC moved onto a new
 * bridge with its addresses and routes, and back.  The work is a list of
 * steps on the host's network (hostnet.h, hostroute.h), each recording
 * the step that undoes it; when a step fails, the undo steps run in
 * reverse, so the host's network is as it was.  Admin only.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "dispatch.h"
#include "hostnet.h"
#include "hostroute.h"
#include "jget.h"
#include "log.h"
#include "names.h"
#include "parse.h"
#include "req.h"

#define MAX_ADDRS	64
#define MAX_ROUTES	64
#define MAX_PORTS	64
#define MAX_DELAY_S	30

enum op {
	OP_BRIDGE_ADD, OP_LINK_DEL, OP_ENSLAVE, OP_RELEASE, OP_UP, OP_DOWN,
	OP_ADDR_ADD, OP_ADDR_DEL, OP_ROUTE_ADD, OP_ROUTE_DEL, OP_NONE
};

/* One change to the host's network. */
struct step {
	enum op		 op;
	const char	*link;
	const char	*bridge;	/* OP_ENSLAVE */
	const char	*addr;		/* OP_ADDR_* */
	const struct hn_route *route;	/* OP_ROUTE_* */
};

typedef int (*step_fn)(struct hostnet *, const struct step *, char *,
    size_t);

static int
s_bridge_add(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_bridge_add(h, s->link, e, n);
}

static int
s_link_del(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_link_del(h, s->link, e, n);
}

static int
s_enslave(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_link_set_master(h, s->link, s->bridge, e, n);
}

static int
s_release(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_link_set_master(h, s->link, NULL, e, n);
}

static int
s_up(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_link_set_up(h, s->link, 1, e, n);
}

static int
s_down(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_link_set_up(h, s->link, 0, e, n);
}

static int
s_addr_add(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_addr_add(h, s->link, s->addr, e, n);
}

static int
s_addr_del(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_addr_del(h, s->link, s->addr, e, n);
}

static int
s_route_add(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_route_add(h, s->link, s->route, e, n);
}

static int
s_route_del(struct hostnet *h, const struct step *s, char *e, size_t n)
{
	return hn_route_del(h, s->link, s->route, e, n);
}

static const step_fn step_fns[] = {
	[OP_BRIDGE_ADD] = s_bridge_add,
	[OP_LINK_DEL] = s_link_del,
	[OP_ENSLAVE] = s_enslave,
	[OP_RELEASE] = s_release,
	[OP_UP] = s_up,
	[OP_DOWN] = s_down,
	[OP_ADDR_ADD] = s_addr_add,
	[OP_ADDR_DEL] = s_addr_del,
	[OP_ROUTE_ADD] = s_route_add,
	[OP_ROUTE_DEL] = s_route_del,
};

/* The undo steps of the work done so far, and the first error. */
struct plan {
	struct hostnet	*h;
	struct step	 undo[8 + 2 * (MAX_ADDRS + MAX_ROUTES)];
	size_t		 n;
	char		 err[256];
};

/* Do s; on success remember undo (op OP_NONE: nothing to undo). */
static int
step(struct plan *p, struct step s, struct step undo)
{
	if (step_fns[s.op](p->h, &s, p->err, sizeof(p->err)) == -1)
		return -1;
	if (undo.op != OP_NONE && p->n < sizeof(p->undo) / sizeof(p->undo[0]))
		p->undo[p->n++] = undo;
	return 0;
}

/* Undo everything done, newest first; what cannot be undone is logged. */
static void
rollback(struct plan *p, const char *cmd)
{
	char e[256];

	while (p->n > 0) {
		const struct step *u = &p->undo[--p->n];
		if (step_fns[u->op](p->h, u, e, sizeof(e)) == -1)
			log_warnx("%s: rolling back: %s", cmd, e);
	}
}

#define STEP(o, l, ...)	((struct step){ .op = (o), .link = (l), __VA_ARGS__ })
#define NOUNDO			((struct step){ .op = OP_NONE })

/* An interface's addresses worth moving: not the IPv6 link-local ones. */
static int
addrs_of(struct hostnet *h, const char *link, struct hn_addr *a, char *err,
    size_t errlen)
{
	int n = hn_addr_list(h, link, a, MAX_ADDRS, err, errlen), k = 0;

	if (n > MAX_ADDRS) {
		snprintf(err, errlen, "%s has %d addresses, more than %d", link,
		    n, MAX_ADDRS);
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (!(a[i].family == AF_INET6 &&
		    strncasecmp(a[i].text, "fe80:", 5) == 0))
			a[k++] = a[i];
	return n < 0 ? -1 : k;
}

/*
 * An interface's routes, those on the link first and those through a
 * gateway after, the order in which they can be added.
 */
static int
routes_of(struct hostnet *h, const char *link, struct hn_route *r, char *err,
    size_t errlen)
{
	struct hn_route tmp[MAX_ROUTES];
	int n = hn_route_list(h, link, tmp, MAX_ROUTES, err, errlen), k = 0;

	if (n > MAX_ROUTES) {
		snprintf(err, errlen, "%s has %d routes, more than %d", link, n,
		    MAX_ROUTES);
		return -1;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++)
			if ((tmp[i].gateway[0] != '\0') == pass)
				r[k++] = tmp[i];
	return k;
}

/*
 * Move addresses a[0..na) and routes r[0..nr) from one link to another:
 * the gateway routes go first, the addresses, then everything is added
 * in the other order.
 */
static int
move_config(struct plan *p, const char *from, const char *to,
    struct hn_addr *a, int na, struct hn_route *r, int nr)
{
	int i;

	for (i = nr - 1; i >= 0; i--)
		if (step(p, STEP(OP_ROUTE_DEL, from, .route = &r[i]),
		    STEP(OP_ROUTE_ADD, from, .route = &r[i])) == -1)
			return -1;
	for (i = 0; i < na; i++)
		if (step(p, STEP(OP_ADDR_DEL, from, .addr = a[i].text),
		    STEP(OP_ADDR_ADD, from, .addr = a[i].text)) == -1)
			return -1;
	if (step(p, STEP(OP_UP, to), NOUNDO) == -1)
		return -1;
	for (i = 0; i < na; i++)
		if (step(p, STEP(OP_ADDR_ADD, to, .addr = a[i].text),
		    STEP(OP_ADDR_DEL, to, .addr = a[i].text)) == -1)
			return -1;
	for (i = 0; i < nr; i++)
		if (step(p, STEP(OP_ROUTE_ADD, to, .route = &r[i]),
		    STEP(OP_ROUTE_DEL, to, .route = &r[i])) == -1)
			return -1;
	return 0;
}

/* {"interface", "bridge", "addresses": [...], "routes": [...]} */
static struct json_object *
moved(const char *nic, const char *br, const struct hn_addr *a, int na,
    const struct hn_route *r, int nr)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ja = json_object_new_array();
	struct json_object *jr = json_object_new_array();
	char buf[256];

	for (int i = 0; i < na; i++)
		json_object_array_add(ja, json_object_new_string(a[i].text));
	for (int i = 0; i < nr; i++) {
		hn_route_str(&r[i], buf, sizeof(buf));
		json_object_array_add(jr, json_object_new_string(buf));
	}
	json_object_object_add(o, "interface", json_object_new_string(nic));
	json_object_object_add(o, "bridge", json_object_new_string(br));
	json_object_object_add(o, "addresses", ja);
	json_object_object_add(o, "routes", jr);
	return o;
}

/* A valid interface name in args[key], else an error answered. */
static const char *
ifname_arg(struct req *r, const char *key)
{
	const char *s = req_str(r, key);

	if (s == NULL)
		req_error(r, ERR_GENERIC, "%s needs \"%s\" (a string)", r->cmd,
		    key);
	else if (!valid_ifname(s))
		req_error(r, ERR_GENERIC, "'%s' is not a valid interface name "
		    "(1 to 15 letters, digits or _.:+-)", s);
	else
		return s;
	return NULL;
}

static struct hostnet *
open_net(struct req *r)
{
	char err[256];
	struct hostnet *h = hn_open(err, sizeof(err));

	if (h == NULL)
		req_error(r, ERR_GENERIC, "%s: %s", r->cmd, err);
	return h;
}

static void
d_iface_bridge(struct req *r, struct vm *unused)
{
	struct plan p = { .n = 0 };
	struct hn_addr a[MAX_ADDRS];
	struct hn_route rt[MAX_ROUTES];
	struct hn_link nic, other;
	const char *ifname, *br;
	long long delay = 0;
	int stp, na, nr, k;

	(void)unused;
	if ((ifname = ifname_arg(r, "interface")) == NULL ||
	    (br = ifname_arg(r, "bridge")) == NULL)
		return;
	if (jint_range(r->args, "delay", 0, MAX_DELAY_S, &delay) == -2) {
		req_error(r, ERR_GENERIC, "\"delay\": seconds, 0 to %d",
		    MAX_DELAY_S);
		return;
	}
	/* STP is on unless asked otherwise, as with virsh */
	stp = jget(r->args, "stp") == NULL || jbool(r->args, "stp");
	if ((p.h = open_net(r)) == NULL)
		return;
	if ((k = hn_link_get(p.h, ifname, &nic, p.err, sizeof(p.err))) != 1) {
		if (k == 0)
			req_error(r, ERR_NOT_FOUND, "no interface named %s",
			    ifname);
		else
			req_error(r, ERR_GENERIC, "%s", p.err);
		goto out;
	}
	if (strcmp(nic.kind, "bridge") == 0) {
		req_error(r, ERR_INVALID_STATE, "%s is a bridge", ifname);
		goto out;
	}
	if (nic.master[0] != '\0') {
		req_error(r, ERR_IN_USE, "%s is on bridge %s already", ifname,
		    nic.master);
		goto out;
	}
	if ((k = hn_link_get(p.h, br, &other, p.err, sizeof(p.err))) != 0) {
		if (k == 1)
			req_error(r, ERR_EXISTS, "an interface named %s "
			    "exists", br);
		else
			req_error(r, ERR_GENERIC, "%s", p.err);
		goto out;
	}
	if ((na = addrs_of(p.h, ifname, a, p.err, sizeof(p.err))) == -1 ||
	    (nr = routes_of(p.h, ifname, rt, p.err, sizeof(p.err))) == -1) {
		req_error(r, ERR_GENERIC, "%s", p.err);
		goto out;
	}
	if (step(&p, STEP(OP_BRIDGE_ADD, br),
	    STEP(OP_LINK_DEL, br)) == -1 ||
	    hn_bridge_set_stp(br, stp, (unsigned)delay, p.err,
	    sizeof(p.err)) == -1 ||
	    step(&p, STEP(OP_ENSLAVE, ifname, .bridge = br),
	    STEP(OP_RELEASE, ifname)) == -1 ||
	    move_config(&p, ifname, br, a, na, rt, nr) == -1 ||
	    step(&p, STEP(OP_UP, ifname),
	    nic.up ? NOUNDO : STEP(OP_DOWN, ifname)) == -1) {
		rollback(&p, r->cmd);
		req_error(r, ERR_GENERIC, "%s", p.err);
		goto out;
	}
	log_info("iface-bridge: %s moved onto new bridge %s with %d "
	    "addresses and %d routes", ifname, br, na, nr);
	req_return(r, moved(ifname, br, a, na, rt, nr));
out:
	hn_close(p.h);
}

static void
d_iface_unbridge(struct req *r, struct vm *unused)
{
	struct plan p = { .n = 0 };
	struct hn_addr a[MAX_ADDRS];
	struct hn_route rt[MAX_ROUTES];
	struct hn_link ports[MAX_PORTS];
	const char *br, *nic = NULL;
	char taps[128] = "", nics[128] = "";
	int n, na, nr, nnic = 0, failed;

	(void)unused;
	if ((br = ifname_arg(r, "bridge")) == NULL || (p.h = open_net(r)) == NULL)
		return;
	if ((n = hn_bridge_ports(p.h, br, ports, MAX_PORTS, p.err,
	    sizeof(p.err))) == -1) {
		req_error(r, strstr(p.err, "does not exist") != NULL ?
		    ERR_NOT_FOUND : ERR_GENERIC, "%s", p.err);
		goto out;
	}
	for (int i = 0; i < n && i < MAX_PORTS; i++) {
		int tap = strcmp(ports[i].kind, "tun") == 0;
		char *list = tap ? taps : nics;
		size_t len = tap ? sizeof(taps) : sizeof(nics);

		if (list[0] != '\0')
			strlcat(list, " ", len);
		strlcat(list, ports[i].name, len);
		if (!tap) {
			nic = ports[i].name;
			nnic++;
		}
	}
	if (taps[0] != '\0') {
		req_error(r, ERR_IN_USE, "bridge %s still has the taps %s: "
		    "stop or detach what uses them first", br, taps);
		goto out;
	}
	if (nnic != 1) {
		if (nnic == 0)
			req_error(r, ERR_INVALID_STATE, "bridge %s has no "
			    "interface to move back", br);
		else
			req_error(r, ERR_INVALID_STATE, "bridge %s has more "
			    "than one interface (%s): which to move back is "
			    "not clear", br, nics);
		goto out;
	}
	if ((na = addrs_of(p.h, br, a, p.err, sizeof(p.err))) == -1 ||
	    (nr = routes_of(p.h, br, rt, p.err, sizeof(p.err))) == -1) {
		req_error(r, ERR_GENERIC, "%s", p.err);
		goto out;
	}
	/* off the bridge, then its addresses and routes; the bridge goes */
	failed = step(&p, STEP(OP_RELEASE, nic), STEP(OP_ENSLAVE, nic,
	    .bridge = br)) == -1 ||
	    move_config(&p, br, nic, a, na, rt, nr) == -1 ||
	    step(&p, STEP(OP_LINK_DEL, br), NOUNDO) == -1;
	if (failed) {
		rollback(&p, r->cmd);
		req_error(r, ERR_GENERIC, "%s", p.err);
		goto out;
	}
	log_info("iface-unbridge: %s moved back from bridge %s, which is "
	    "gone, with %d addresses and %d routes", nic, br, na, nr);
	req_return(r, moved(nic, br, a, na, rt, nr));
out:
	hn_close(p.h);
}

const struct dcmd dcmds_iface[] = {
	{ "iface-bridge",	d_iface_bridge,		NEEDS_ADMIN },
	{ "iface-unbridge",	d_iface_unbridge,	NEEDS_ADMIN },
	{ NULL, NULL, 0 }
};
