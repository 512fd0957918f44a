/*
 * Network definitions (every error path, defaults, the text kept as
 * written), dnsmasq's lease file, and the registry's checks between
 * networks (a bridge or a subnet used twice, the default network defined
 * on first use) and the net-* requests through dispatch, without starting
 * anything.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "fakeqemu.h"
#include "jget.h"
#include "req.h"
#include "netdef.h"
#include "net-priv.h"
#include "network.h"
#include "testutil.h"
#include "util.h"

static struct netdef *
parse(const char *text)
{
	char err[512];
	struct netdef *d = netdef_parse(text, "n.conf", err, sizeof(err));

	if (d == NULL)
		fail_msg("unexpected error: %s", err);
	return d;
}

static void
test_minimal_defaults(void **state)
{
	char buf[64];

	(void)state;
	struct netdef *d = parse("# the default\nname: default\n"
	    "address: 192.168.122.1/24\n");
	assert_string_equal(d->name, "default");
	assert_string_equal(d->bridge, "");	/* the supervisor picks it */
	assert_int_equal(d->prefix, 24);
	assert_string_equal(netdef_ip(d->dhcp_start, buf, sizeof(buf)),
	    "192.168.122.2");
	assert_string_equal(netdef_ip(d->dhcp_end, buf, sizeof(buf)),
	    "192.168.122.254");
	assert_int_equal(d->forward, NET_FWD_NAT);
	assert_int_equal(d->mtu, 0);
	assert_false(d->autostart);
	assert_true(d->uuid_generated);
	assert_true(valid_uuid(d->uuid));
	/* the author's text, with the generated uuid added */
	assert_non_null(strstr(d->text, "# the default\nname: default\n"));
	char *u = xasprintf("uuid: %s\n", d->uuid);
	assert_non_null(strstr(d->text, u));
	free(u);
	netdef_subnet(d, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.122.0/24");
	netdef_cidr(d, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.122.1/24");
	netdef_free(d);
}

static void
test_every_key(void **state)
{
	char buf[64];

	(void)state;
	struct netdef *d = parse(
	    "name: lab.net-1\n"
	    "uuid: 0d8c5b8e-4f5e-4a57-9a3b-2b8f7a8e1c11\n"
	    "  bridge :  br-lab\t\n"
	    "address: 10.20.0.254/16\n"
	    "dhcp-range: 10.20.1.10,10.20.1.200\n"
	    "forward: route\n"
	    "domain: lab.example\n"
	    "mtu: 9000\n"
	    "autostart: yes\n");
	assert_string_equal(d->name, "lab.net-1");
	assert_string_equal(d->uuid, "0d8c5b8e-4f5e-4a57-9a3b-2b8f7a8e1c11");
	assert_false(d->uuid_generated);
	assert_string_equal(d->bridge, "br-lab");
	netdef_subnet(d, buf, sizeof(buf));
	assert_string_equal(buf, "10.20.0.0/16");
	assert_string_equal(netdef_ip(d->dhcp_start, buf, sizeof(buf)),
	    "10.20.1.10");
	assert_string_equal(netdef_ip(d->dhcp_end, buf, sizeof(buf)),
	    "10.20.1.200");
	assert_int_equal(d->forward, NET_FWD_ROUTE);
	assert_string_equal(netdef_forward_name(d->forward), "route");
	assert_string_equal(d->domain, "lab.example");
	assert_int_equal(d->mtu, 9000);
	assert_true(d->autostart);
	netdef_free(d);

	/* no DHCP; forward none; the default range goes around the bridge */
	d = parse("name: iso\naddress: 172.16.5.1/24\ndhcp-range: none\n"
	    "forward: none\n");
	assert_int_equal(d->dhcp_start, 0);
	assert_int_equal(d->forward, NET_FWD_NONE);
	netdef_free(d);
	d = parse("name: top\naddress: 172.16.5.254/24\n");
	assert_string_equal(netdef_ip(d->dhcp_start, buf, sizeof(buf)),
	    "172.16.5.2");
	assert_string_equal(netdef_ip(d->dhcp_end, buf, sizeof(buf)),
	    "172.16.5.253");
	netdef_free(d);
}

static void
expect_parse_error(const char *text, const char *want)
{
	char err[512];
	struct netdef *d = netdef_parse(text, "n.conf", err, sizeof(err));

	if (d != NULL)
		fail_msg("parsed, expected '%s':\n%s", want, text);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
}

#define BASE	"name: n\naddress: 192.168.122.1/24\n"

static void
test_errors(void **state)
{
	(void)state;
	expect_parse_error("name n\n", "n.conf:1: expected 'key: value'");
	expect_parse_error(BASE "colour: blue\n", "n.conf:3: colour: unknown key");
	expect_parse_error(BASE "name: m\n", "n.conf:3: name: given twice");
	expect_parse_error("name:\n", "n.conf:1: name: empty value");
	expect_parse_error("name: -x\n", "n.conf:1: name: '-x' is not a valid name");
	expect_parse_error(BASE "uuid: 1234\n", "uuid: '1234' is not a UUID");
	expect_parse_error(BASE "bridge: br0123456789abcd\n",
	    "bridge: 'br0123456789abcd' is not an interface name");
	expect_parse_error(BASE "bridge: br/0\n", "is not an interface name");
	expect_parse_error("name: n\naddress: 192.168.122.1\n",
	    "address: '192.168.122.1': an IPv4 address with its prefix length");
	expect_parse_error("name: n\naddress: 192.168.300.1/24\n",
	    "address: '192.168.300.1' is not an IPv4 address");
	expect_parse_error("name: n\naddress: 192.168.122.1/31\n",
	    "address: prefix length '31'");
	expect_parse_error("name: n\naddress: 192.168.122.1/x\n",
	    "address: prefix length 'x'");
	expect_parse_error("name: n\naddress: 192.168.122.0/24\n",
	    "192.168.122.0 is the network address");
	expect_parse_error("name: n\naddress: 192.168.122.255/24\n",
	    "192.168.122.255 is the broadcast address");
	expect_parse_error("name: n\naddress: 127.0.0.1/8\n",
	    "127.0.0.1 is not a unicast address for a network");
	expect_parse_error("name: n\naddress: 224.0.0.1/24\n",
	    "is not a unicast address");
	expect_parse_error(BASE "dhcp-range: 192.168.122.2\n",
	    "dhcp-range: '192.168.122.2': START,END is needed");
	expect_parse_error(BASE "dhcp-range: x,192.168.122.9\n",
	    "dhcp-range: 'x' is not an IPv4 address");
	expect_parse_error(BASE "dhcp-range: 192.168.122.2,y\n",
	    "dhcp-range: 'y' is not an IPv4 address");
	expect_parse_error(BASE "dhcp-range: 192.168.122.9,192.168.122.2\n",
	    "dhcp-range: 192.168.122.9 comes after 192.168.122.2");
	expect_parse_error(BASE "dhcp-range: 192.168.123.2,192.168.123.254\n",
	    "n.conf: dhcp-range: 192.168.123.2 to 192.168.123.254 is not "
	    "inside 192.168.122.0/24");
	expect_parse_error(BASE "dhcp-range: 192.168.122.2,192.168.122.255\n",
	    "is not inside 192.168.122.0/24");
	expect_parse_error(BASE "dhcp-range: 192.168.122.1,192.168.122.20\n",
	    "holds the bridge's own address 192.168.122.1");
	expect_parse_error("name: n\naddress: 192.168.122.2/30\n",
	    "dhcp-range: 192.168.122.0/30 has no room");
	expect_parse_error(BASE "forward: bridge\n",
	    "forward: 'bridge': nat, none or route");
	expect_parse_error(BASE "domain: -bad\n", "domain: '-bad' is not a DNS domain");
	expect_parse_error(BASE "domain: a..b\n", "is not a DNS domain");
	expect_parse_error(BASE "domain: a_b\n", "is not a DNS domain");
	expect_parse_error(BASE "mtu: 60\n", "mtu: value '60'");
	expect_parse_error(BASE "mtu: 70000\n", "mtu: value '70000'");
	expect_parse_error(BASE "autostart: maybe\n", "autostart: 'maybe': yes or no");
	expect_parse_error("address: 192.168.122.1/24\n", "n.conf: name: missing");
	expect_parse_error("name: n\n", "n.conf: address: missing");
}

static void
test_text_set(void **state)
{
	(void)state;
	struct netdef *d = parse("name: n\n  autostart : no\n"
	    "address: 192.168.1.1/24");
	netdef_text_set(d, "autostart", "yes");
	netdef_text_set(d, "bridge", "virbr3");
	const char *want = "name: n\nautostart: yes\n"
	    "address: 192.168.1.1/24\nuuid: ";
	assert_int_equal(strncmp(d->text, want, strlen(want)), 0);
	size_t len = strlen(d->text);
	assert_string_equal(d->text + len - 15, "bridge: virbr3\n");
	netdef_free(d);
}

static void
test_overlaps(void **state)
{
	(void)state;
	struct netdef *a = parse("name: a\naddress: 10.1.0.1/16\n");
	struct netdef *b = parse("name: b\naddress: 10.1.200.1/24\n");
	struct netdef *c = parse("name: c\naddress: 10.2.0.1/24\n");
	assert_true(netdef_overlaps(a, b));
	assert_true(netdef_overlaps(b, a));
	assert_false(netdef_overlaps(a, c));
	assert_false(netdef_overlaps(b, c));
	netdef_free(a);
	netdef_free(b);
	netdef_free(c);
}

/* ---- leases ---- */

static void
test_leases(void **state)
{
	struct net_lease *l;
	size_t n;
	char err[256];

	(void)state;
	const char *text =
	    "1764449999 52:54:00:AB:cd:01 192.168.122.57 guest1 01:52:54:00:ab:cd:01\n"
	    "0 52:54:00:ab:cd:02 192.168.122.58 * *\n"
	    "\n"
	    "duid 00:01:00:01:2c:5f:a8:3e:52:54:00:11:22:33\n"
	    "1764449999 1234567 fd00::5 host6 00:01:00:01:aa\n";
	assert_int_equal(net_leases_parse(text, &l, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].expiry, 1764449999);
	assert_string_equal(l[0].mac, "52:54:00:ab:cd:01");
	assert_string_equal(l[0].ip, "192.168.122.57");
	assert_string_equal(l[0].hostname, "guest1");
	assert_string_equal(l[0].clientid, "01:52:54:00:ab:cd:01");
	assert_int_equal(l[1].expiry, 0);
	assert_string_equal(l[1].hostname, "");
	assert_string_equal(l[1].clientid, "");
	free(l);

	assert_int_equal(net_leases_parse("", &l, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(l);

	assert_int_equal(net_leases_parse("0 52:54:00:ab:cd:02 1.2.3.4 h\n",
	    &l, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: 4 fields, not 5 (expiry, MAC, IP, "
	    "hostname, client id)");
	assert_int_equal(net_leases_parse("\n0 52:54:00:ab:cd:02 1.2.3.4 h c x\n",
	    &l, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2: more than 5 fields"));
	assert_int_equal(net_leases_parse("soon 52:54:00:ab:cd:02 1.2.3.4 h c\n",
	    &l, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 1: expiry 'soon'"));
	assert_int_equal(net_leases_parse("0 52:54:00:ab:cd 1.2.3.4 h c\n",
	    &l, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: '52:54:00:ab:cd' is not a MAC "
	    "address");
	assert_int_equal(net_leases_parse("0 52:54:00:ab:cd:02 1.2.3.x h c\n",
	    &l, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: '1.2.3.x' is not an IP address");
}

/* ---- the registry's checks (nothing is started) ---- */

struct reg {
	struct daemon	 d;
	char		*dir;
};

static int
reg_setup(void **state)
{
	struct reg *r = calloc(1, sizeof(*r));

	daemon_init(&r->d, NULL, "qemu");
	r->dir = tu_mkdtemp("netdef");
	snprintf(r->d.netdefdir, sizeof(r->d.netdefdir), "%s/networks",
	    r->dir);
	snprintf(r->d.netrun, sizeof(r->d.netrun), "%s/netrun", r->dir);
	*state = r;
	return 0;
}

static int
reg_teardown(void **state)
{
	struct reg *r = *state;

	network_fini(&r->d);
	tu_rmtree(r->dir);
	free(r->dir);
	free(r);
	return 0;
}

static void
test_registry(void **state)
{
	struct reg *r = *state;
	struct network *n, *m;
	char err[512], path[PATH_MAX];

	/* default: defined on first use, with a virbrN, never started */
	assert_int_equal(network_ensure_default(&r->d, "br0", err,
	    sizeof(err)), 0);
	assert_null(network_find(&r->d, "br0"));
	assert_int_equal(network_ensure_default(&r->d, "default", err,
	    sizeof(err)), 0);
	n = network_find(&r->d, "default");
	assert_non_null(n);
	assert_false(n->active);
	assert_true(n->persistent);
	assert_int_equal(strncmp(n->def->bridge, "virbr", 5), 0);
	snprintf(path, sizeof(path), "%s/default.conf", r->d.netdefdir);
	char *text = tu_slurp(path, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "bridge: virbr"));
	assert_non_null(strstr(text, "address: 192.168.122.1/24"));
	free(text);
	/* asked again: nothing changes */
	assert_int_equal(network_ensure_default(&r->d, "default", err,
	    sizeof(err)), 0);
	assert_ptr_equal(network_find(&r->d, "default"), n);

	/* what the NIC module asks */
	assert_null(network_bridge(&r->d, "default", err, sizeof(err)));
	assert_string_equal(err, "network default is not active");
	assert_null(network_bridge(&r->d, "nope", err, sizeof(err)));
	assert_string_equal(err, "network nope does not exist");
	struct net_lease *l;
	size_t nl;
	assert_int_equal(network_leases(&r->d, "default", &l, &nl, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "network default is not active");

	/* an overlapping subnet, a bridge used twice: refused, nothing kept */
	struct netdef *d = parse("name: other\naddress: 192.168.0.1/16\n"
	    "bridge: br9\n");
	assert_int_equal(network_define(&r->d, d, 1, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "192.168.0.0/16 overlaps 192.168.122.0/24 "
	    "of network default"));
	assert_null(network_find(&r->d, "other"));
	snprintf(path, sizeof(path), "%s/other.conf", r->d.netdefdir);
	assert_int_equal(access(path, F_OK), -1);
	char *t = xasprintf("name: other\naddress: 10.9.0.1/24\nbridge: %s\n",
	    n->def->bridge);
	d = parse(t);
	free(t);
	assert_int_equal(network_define(&r->d, d, 1, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is in use by network default"));

	/* a second one gets the next free virbrN; autostart is stored */
	d = parse("name: other\naddress: 10.9.0.1/24\n");
	assert_int_equal(network_define(&r->d, d, 1, &m, err, sizeof(err)), 0);
	assert_string_not_equal(m->def->bridge, n->def->bridge);
	assert_int_equal(network_set_autostart(m, 1, err, sizeof(err)), 0);
	text = tu_slurp(path, NULL);
	assert_non_null(strstr(text, "autostart: yes"));
	free(text);

	/* loaded again from the files, as a new supervisor would, with one
	 * written by hand naming no bridge: it gets one, kept in its file */
	network_fini(&r->d);
	char hand[PATH_MAX];
	snprintf(hand, sizeof(hand), "%s/hand.conf", r->d.netdefdir);
	FILE *fp = fopen(hand, "w");
	assert_non_null(fp);
	fputs("name: hand\naddress: 10.10.0.1/24\n", fp);
	fclose(fp);
	assert_int_equal(network_load_all(&r->d), 3);
	struct network *h = network_find(&r->d, "hand");
	assert_non_null(h);
	assert_int_equal(strncmp(h->def->bridge, "virbr", 5), 0);
	text = tu_slurp(hand, NULL);
	char *bl = xasprintf("bridge: %s\n", h->def->bridge);
	assert_non_null(strstr(text, bl));
	free(bl);
	free(text);
	assert_string_not_equal(h->def->bridge, network_find(&r->d,
	    "default")->def->bridge);
	assert_string_not_equal(h->def->bridge, network_find(&r->d,
	    "other")->def->bridge);
	m = network_find(&r->d, "other");
	assert_non_null(m);
	assert_true(m->def->autostart);
	assert_int_equal(network_undefine(m, err, sizeof(err)), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_null(network_find(&r->d, "other"));
}


/* ---- the requests, through dispatch ---- */

static void
test_dispatch(void **state)
{
	struct fx *f = fx_new();
	struct json_object *r;

	(void)state;
	snprintf(f->d.netdefdir, sizeof(f->d.netdefdir), "%s/networks",
	    f->dir);
	snprintf(f->d.netrun, sizeof(f->d.netrun), "%s/netrun", f->dir);

	request(f, "net-define", "{\"text\": \"name: lab\\naddress: "
	    "10.77.0.1/24\\nbridge: qlt-lab0\\n\", \"file\": \"lab.conf\"}");
	r = expect_return(f);
	assert_string_equal(jstr(r, "name"), "lab");
	assert_string_equal(jstr(r, "bridge"), "qlt-lab0");
	assert_string_equal(jstr(r, "dhcp_start"), "10.77.0.2");
	assert_false(jbool(r, "active"));
	assert_false(jbool(r, "replaced"));
	json_object_put(r);

	request(f, "net-define", "{\"text\": \"name: bad\\naddress: "
	    "10.78.0.1/24\\ndhcp-range: 10.79.0.2,10.79.0.9\\n\", "
	    "\"file\": \"bad.conf\"}");
	expect_error(f, "InvalidDefinition", "bad.conf: dhcp-range: 10.79.0.2 "
	    "to 10.79.0.9 is not inside 10.78.0.0/24", 0);
	request(f, "net-define", "{}");
	expect_error(f, "GenericError", "net-define needs \"text\"", 0);

	/* the active ones by default, as virsh; all with "all" */
	request(f, "net-list", "{}");
	r = expect_return(f);
	assert_int_equal(json_object_array_length(r), 0);
	json_object_put(r);
	request(f, "net-list", "{\"all\": true}");
	r = expect_return(f);
	assert_int_equal(json_object_array_length(r), 1);
	json_object_put(r);

	request(f, "net-dumpdef", "{\"name\": \"lab\"}");
	r = expect_return(f);
	assert_non_null(strstr(jstr(r, "text"), "address: 10.77.0.1/24\n"));
	assert_non_null(strstr(jstr(r, "text"), "uuid: "));
	json_object_put(r);

	/* not active: no leases, no stop */
	request(f, "net-dhcp-leases", "{\"name\": \"lab\"}");
	expect_error(f, "InvalidState", "network lab is not active", 0);
	request(f, "net-destroy", "{\"name\": \"lab\"}");
	expect_error(f, "InvalidState", "network lab is not active", 0);
	request(f, "net-info", "{\"name\": \"nope\"}");
	expect_error(f, "NotFound", "network nope does not exist", 0);
	request(f, "net-info", "{}");
	expect_error(f, "GenericError", "net-info needs \"name\"", 0);

	/* changes are the admin's; reading is everyone's */
	request_as(f, 4242, "net-undefine", "{\"name\": \"lab\"}");
	expect_error(f, "PermissionDenied", "only root may do that", 0);
	request_as(f, 4242, "net-autostart", "{\"name\": \"lab\"}");
	expect_error(f, "PermissionDenied", "only root may do that", 0);
	request_as(f, 4242, "net-info", "{\"name\": \"lab\"}");
	r = expect_return(f);
	assert_string_equal(jstr(r, "address"), "10.77.0.1/24");
	json_object_put(r);

	request(f, "net-autostart", "{\"name\": \"lab\"}");
	json_object_put(expect_return(f));
	request(f, "net-info", "{\"name\": \"lab\"}");
	r = expect_return(f);
	assert_true(jbool(r, "autostart"));
	json_object_put(r);
	request(f, "net-undefine", "{\"name\": \"lab\"}");
	json_object_put(expect_return(f));
	request(f, "net-info", "{\"name\": \"lab\"}");
	expect_error(f, "NotFound", "network lab does not exist", 0);
	network_fini(&f->d);
	fx_free(f);
}

/* ---- NAT, in a network namespace of the test's own (root) ---- */

/* The output of an nft command, or NULL when it fails. */
static char *
nft_out(const char *args)
{
	char *cmd = xasprintf("nft %s 2>/dev/null", args), buf[4096];
	FILE *p = popen(cmd, "r");
	size_t n = p != NULL ? fread(buf, 1, sizeof(buf) - 1, p) : 0;
	int rc = p != NULL ? pclose(p) : -1;

	free(cmd);
	buf[n] = '\0';
	return rc == 0 ? xstrdup(buf) : NULL;
}

static int
ip_forward(void)
{
	char *s = tu_slurp("/proc/sys/net/ipv4/ip_forward", NULL);
	int v = s != NULL && s[0] == '1';

	free(s);
	return v;
}

static void
test_nat(void **state)
{
	enum nat_kind k1, k2, k3;
	char warn[256], *out;

	(void)state;
	if (geteuid() != 0 || access("/usr/sbin/nft", X_OK) != 0) {
		fprintf(stderr, "test_nat: not root or no nft: skipped\n");
		skip();
	}
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	assert_false(ip_forward());

	/* forward: none touches nothing */
	struct netdef *iso = parse("name: iso\naddress: 10.98.0.1/24\n"
	    "forward: none\n");
	nat_add(iso, &k1, warn, sizeof(warn));
	assert_int_equal(k1, NAT_NONE);
	assert_string_equal(warn, "");
	assert_false(ip_forward());
	assert_null(nft_out("list table ip qlaunch"));

	/* nat: forwarding on, a chain of its own with the masquerade */
	struct netdef *a = parse("name: a\naddress: 10.99.0.1/24\n");
	struct netdef *b = parse("name: b.2\naddress: 10.97.0.1/24\n");
	nat_add(a, &k2, warn, sizeof(warn));
	assert_int_equal(k2, NAT_NFT);
	assert_string_equal(nat_kind_name(k2), "nftables");
	assert_true(ip_forward());
	out = nft_out("list chain ip qlaunch net-a");
	assert_non_null(out);
	assert_non_null(strstr(out, "ip saddr 10.99.0.0/24 ip daddr != "
	    "10.99.0.0/24 masquerade"));
	free(out);
	/* added again (re-adoption, a leftover): still one rule */
	nat_add(a, &k2, warn, sizeof(warn));
	out = nft_out("list chain ip qlaunch net-a");
	assert_null(strstr(strstr(out, "masquerade") + 1, "masquerade"));
	free(out);
	nat_add(b, &k3, warn, sizeof(warn));
	assert_int_equal(k3, NAT_NFT);

	/* removing one leaves the other's chain and the table */
	nat_del(a, k2, 0);
	assert_null(nft_out("list chain ip qlaunch net-a"));
	out = nft_out("list chain ip qlaunch net-b.2");
	assert_non_null(out);
	free(out);
	nat_del(b, k3, 1);
	assert_null(nft_out("list table ip qlaunch"));
	assert_int_equal(nat_kind_parse("iptables"), NAT_IPTABLES);
	assert_int_equal(nat_kind_parse("bogus"), NAT_NONE);
	netdef_free(iso);
	netdef_free(a);
	netdef_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_text_set),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_leases),
		cmocka_unit_test_setup_teardown(test_registry, reg_setup,
		    reg_teardown),
		cmocka_unit_test(test_dispatch),
		/* last: it moves the process to a network namespace */
		cmocka_unit_test(test_nat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
