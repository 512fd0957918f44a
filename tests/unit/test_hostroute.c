/*
 * Routes, bridge ports and STP (hostroute.h) against the real kernel,
 * inside a network and mount namespace of the test's own, with its own
 * /sys, so nothing is seen outside.  Needs root: skipped with a message
 * otherwise (CI runs as root).
 */
#include <sys/mount.h>
#include <sys/socket.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostroute.h"
#include "testutil.h"
#include "util.h"

static int
setup(void **state)
{
	char err[256];
	struct hostnet *h;

	if (geteuid() != 0) {
		fprintf(stderr, "test_hostroute: not root: skipped\n");
		skip();
	}
	assert_int_equal(unshare(CLONE_NEWNET | CLONE_NEWNS), 0);
	assert_int_equal(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL),
	    0);
	assert_int_equal(mount("sysfs", "/sys", "sysfs", 0, NULL), 0);
	h = hn_open(err, sizeof(err));
	assert_non_null(h);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	hn_close(*state);
	return 0;
}

/* An up bridge called name with an address. */
static void
mkbridge(struct hostnet *h, const char *name, const char *cidr)
{
	char err[256];

	assert_int_equal(hn_bridge_add(h, name, err, sizeof(err)), 0);
	assert_int_equal(hn_link_set_up(h, name, 1, err, sizeof(err)), 0);
	if (cidr != NULL)
		assert_int_equal(hn_addr_add(h, name, cidr, err, sizeof(err)),
		    0);
}

static const struct hn_route *
find(const struct hn_route *r, int n, const char *dst)
{
	for (int i = 0; i < n; i++)
		if (strcmp(r[i].dst, dst) == 0)
			return &r[i];
	return NULL;
}

static void
test_routes(void **state)
{
	struct hostnet *h = *state;
	struct hn_route r[8], def = { .family = AF_INET, .dst = "default",
	    .gateway = "192.168.50.1", .table = 254, .priority = 50,
	    .protocol = 4 /* static */ }, link = { .family = AF_INET,
	    .dst = "192.168.51.0/24", .table = 254, .scope = 253 /* link */,
	    .protocol = 4 }, v6 = { .family = AF_INET6,
	    .dst = "2001:db8:52::/48", .gateway = "2001:db8:50::1",
	    .table = 254, .priority = 1024, .protocol = 4 };
	const struct hn_route *f;
	char err[256], buf[128];
	int n;

	mkbridge(h, "rt0", "192.168.50.2/24");
	assert_int_equal(hn_addr_add(h, "rt0", "2001:db8:50::2/64", err,
	    sizeof(err)), 0);
	/* the kernel's own prefix routes are not listed */
	assert_int_equal(hn_route_list(h, "rt0", r, 8, err, sizeof(err)), 0);

	assert_int_equal(hn_route_add(h, "rt0", &def, err, sizeof(err)), 0);
	assert_int_equal(hn_route_add(h, "rt0", &link, err, sizeof(err)), 0);
	if (hn_route_add(h, "rt0", &v6, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	n = hn_route_list(h, "rt0", r, 8, err, sizeof(err));
	assert_int_equal(n, 3);
	assert_non_null(f = find(r, n, "default"));
	assert_string_equal(f->gateway, "192.168.50.1");
	assert_int_equal(f->priority, 50);
	assert_int_equal(f->family, AF_INET);
	assert_non_null(f = find(r, n, "192.168.51.0/24"));
	assert_string_equal(f->gateway, "");
	assert_int_equal(f->scope, 253);
	assert_non_null(f = find(r, n, "2001:db8:52::/48"));
	assert_string_equal(f->gateway, "2001:db8:50::1");
	hn_route_str(&def, buf, sizeof(buf));
	assert_string_equal(buf, "default via 192.168.50.1 metric 50");
	/* up to max are filled; the count is all of them */
	assert_int_equal(hn_route_list(h, "rt0", r, 1, err, sizeof(err)), 3);

	assert_int_equal(hn_route_add(h, "rt0", &def, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot add route default via "
	    "192.168.50.1 metric 50 to rt0: it is there already"));
	assert_int_equal(hn_route_del(h, "rt0", &def, err, sizeof(err)), 0);
	assert_int_equal(hn_route_del(h, "rt0", &def, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot remove route default"));
	assert_int_equal(hn_route_del(h, "rt0", &link, err, sizeof(err)), 0);
	assert_int_equal(hn_route_del(h, "rt0", &v6, err, sizeof(err)), 0);
	assert_int_equal(hn_route_list(h, "rt0", r, 8, err, sizeof(err)), 0);

	assert_int_equal(hn_route_list(h, "nosuch0", r, 8, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "nosuch0 does not exist");
	assert_int_equal(hn_route_add(h, "a/b", &def, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a valid interface name"));
	struct hn_route bad = def;
	strlcpy(bad.gateway, "192.168.500.1", sizeof(bad.gateway));
	assert_int_equal(hn_route_add(h, "rt0", &bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an address"));
}

static void
test_bridge_ports(void **state)
{
	struct hostnet *h = *state;
	struct hn_link p[4];
	char err[256];
	int fd;

	mkbridge(h, "bp0", NULL);
	assert_int_equal(hn_bridge_ports(h, "bp0", p, 4, err, sizeof(err)), 0);
	assert_int_equal(hn_tap_open("bpt0", 1, 1, &fd, err, sizeof(err)), 0);
	assert_int_equal(hn_link_set_master(h, "bpt0", "bp0", err,
	    sizeof(err)), 0);
	assert_int_equal(hn_bridge_ports(h, "bp0", p, 4, err, sizeof(err)), 1);
	assert_string_equal(p[0].name, "bpt0");
	assert_string_equal(p[0].kind, "tun");
	assert_string_equal(p[0].master, "bp0");
	close(fd);
	assert_int_equal(hn_bridge_ports(h, "bp0", p, 4, err, sizeof(err)), 0);
	assert_int_equal(hn_bridge_ports(h, "bp9", p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "bridge bp9 does not exist");
	assert_int_equal(hn_bridge_ports(h, "lo", p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "lo is not a bridge");
}

static long
sysval(const char *path)
{
	char *s = read_file(path, NULL);
	long v;

	assert_non_null(s);
	v = strtol(s, NULL, 10);
	free(s);
	return v;
}

static void
test_stp(void **state)
{
	struct hostnet *h = *state;
	char err[256];

	mkbridge(h, "stp0", NULL);
	assert_int_equal(hn_bridge_set_stp("stp0", 0, 5, err, sizeof(err)), 0);
	assert_int_equal(sysval("/sys/class/net/stp0/bridge/stp_state"), 0);
	assert_int_equal(sysval("/sys/class/net/stp0/bridge/forward_delay"),
	    500);
	assert_int_equal(hn_bridge_set_stp("stp0", 1, 3, err, sizeof(err)), 0);
	assert_int_equal(sysval("/sys/class/net/stp0/bridge/stp_state"), 1);
	assert_int_equal(sysval("/sys/class/net/stp0/bridge/forward_delay"),
	    300);
	assert_int_equal(hn_bridge_set_stp("stp0", 1, 31, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "forward delay 31 s (0 to 30)"));
	assert_int_equal(hn_bridge_set_stp("nosuch0", 1, 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "bridge nosuch0: cannot set "
	    "forward_delay: No such file or directory"));
	assert_int_equal(hn_bridge_set_stp("../x", 1, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a valid interface name"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_bridge_ports),
		cmocka_unit_test(test_stp),
	};
	return cmocka_run_group_tests_name("hostroute", tests, setup,
	    teardown);
}
