/*
 * The host network library against the real kernel, inside a network
 * namespace of the test's own (unshare), so that nothing it creates is
 * seen outside and everything goes with the process.  Needs root: skipped
 * with a message otherwise (CI runs as root).
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "hostnet.h"
#include "parse.h"
#include "testutil.h"

static int
setup(void **state)
{
	char err[256];
	struct hostnet *h;

	if (geteuid() != 0) {
		fprintf(stderr, "test_hostnet: not root: skipped\n");
		skip();
	}
	assert_int_equal(unshare(CLONE_NEWNET), 0);
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

static void
test_names(void **state)
{
	(void)state;
	assert_true(valid_ifname("br0"));
	assert_true(valid_ifname("qlv12.3"));
	assert_true(valid_ifname("abcdefghijklmno"));
	assert_false(valid_ifname("abcdefghijklmnop"));	/* 16 */
	assert_false(valid_ifname(""));
	assert_false(valid_ifname("."));
	assert_false(valid_ifname(".."));
	assert_false(valid_ifname("a/b"));
	assert_false(valid_ifname("a b"));
	assert_false(valid_ifname("x;rm"));
}

static void
test_macs(void **state)
{
	unsigned char m[6];
	char s[MAC_STR_LEN];

	(void)state;
	assert_int_equal(parse_mac("52:54:00:AB:cd:0f", m), 0);
	format_mac(m, s);
	assert_string_equal(s, "52:54:00:ab:cd:0f");
	assert_int_equal(parse_mac("53:54:00:ab:cd:0f", m), -1);	/* multicast */
	assert_int_equal(parse_mac("52:54:00:ab:cd", m), -1);
	assert_int_equal(parse_mac("52-54-00-ab-cd-0f", m), -1);
	assert_int_equal(parse_mac("52:54:00:ab:cd:0g", m), -1);
	assert_int_equal(parse_mac("52:54:00:ab:cd:0f:", m), -1);
	for (int i = 0; i < 100; i++) {
		mac_generate_str(s);
		assert_int_equal(strncmp(s, "52:54:00:", 9), 0);
		assert_int_equal(parse_mac(s, m), 0);
	}
}

/* The up bridge has an IPv6 link-local address too. */
static int
has_addr(struct hostnet *h, const char *dev, const char *cidr)
{
	struct hn_addr a[8];
	char err[256];
	int n = hn_addr_list(h, dev, a, 8, err, sizeof(err));

	assert_in_range(n, 0, 8);
	for (int i = 0; i < n; i++)
		if (strcmp(a[i].text, cidr) == 0)
			return 1;
	return 0;
}

static void
test_bridge_and_tap(void **state)
{
	struct hostnet *h = *state;
	struct hn_link l;
	char err[256];
	int fds[2], other[1];

	/* a missing bridge is named */
	assert_int_equal(hn_bridge_check(h, "br9", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "bridge br9 does not exist");
	assert_int_equal(hn_bridge_check(h, "lo", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "lo is not a bridge");
	assert_int_equal(hn_link_get(h, "bad name", &l, err, sizeof(err)), -1);

	assert_int_equal(hn_bridge_add(h, "qbr0", err, sizeof(err)), 0);
	assert_int_equal(hn_bridge_add(h, "qbr0", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists"));
	assert_int_equal(hn_link_set_mtu(h, "qbr0", 1400, err, sizeof(err)), 0);
	assert_int_equal(hn_link_set_up(h, "qbr0", 1, err, sizeof(err)), 0);
	assert_int_equal(hn_bridge_check(h, "qbr0", &l, err, sizeof(err)), 0);
	assert_string_equal(l.kind, "bridge");
	assert_int_equal(l.mtu, 1400);
	assert_true(l.up);

	/* addresses */
	assert_int_equal(hn_addr_add(h, "qbr0", "192.168.122.1/24", err,
	    sizeof(err)), 0);
	assert_int_equal(hn_addr_add(h, "qbr0", "192.168.122.1", err,
	    sizeof(err)), -1);
	assert_true(has_addr(h, "qbr0", "192.168.122.1/24"));
	assert_int_equal(hn_addr_del(h, "qbr0", "192.168.122.1/24", err,
	    sizeof(err)), 0);
	assert_false(has_addr(h, "qbr0", "192.168.122.1/24"));

	/* a multiqueue tap, on the bridge, gone with its descriptors */
	assert_int_equal(hn_tap_open("qlv1.0", 1, 2, fds, err, sizeof(err)), 0);
	assert_int_equal(hn_tap_open("qbr0", 1, 1, other, err,
	    sizeof(err)), -1);
	/* never someone else's tap of that name (IFF_TUN_EXCL) */
	assert_int_equal(hn_tap_open("qlv1.0", 1, 1, other, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "exists"));
	assert_int_equal(hn_link_get(h, "qlv1.0", &l, err, sizeof(err)), 1);
	assert_string_equal(l.kind, "tun");
	assert_string_equal(l.master, "");
	assert_int_equal(hn_link_set_master(h, "qlv1.0", "qbr0", err,
	    sizeof(err)), 0);
	assert_int_equal(hn_link_set_alias(h, "qlv1.0", "qlaunch vm1 net0",
	    err, sizeof(err)), 0);
	assert_int_equal(hn_link_get(h, "qlv1.0", &l, err, sizeof(err)), 1);
	assert_string_equal(l.master, "qbr0");
	assert_string_equal(l.alias, "qlaunch vm1 net0");
	assert_int_equal(hn_link_set_master(h, "qlv1.0", "br9", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "bridge br9 does not exist");
	assert_int_equal(hn_link_set_master(h, "qlv1.0", NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(hn_link_get(h, "qlv1.0", &l, err, sizeof(err)), 1);
	assert_string_equal(l.master, "");
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(hn_link_get(h, "qlv1.0", &l, err, sizeof(err)), 0);

	assert_int_equal(hn_link_del(h, "qbr0", err, sizeof(err)), 0);
	assert_int_equal(hn_link_get(h, "qbr0", &l, err, sizeof(err)), 0);
	assert_int_equal(hn_link_del(h, "qbr0", err, sizeof(err)), -1);
	assert_string_equal(err, "qbr0 does not exist");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_macs),
		cmocka_unit_test(test_bridge_and_tap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
