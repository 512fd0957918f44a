/*
 * The supervisor's NIC commands against the fake QEMU: what attach- and
 * detach-interface send, in order, and what a failure undoes.  The tap
 * tests need root: they make their bridge in a network namespace of
 * their own (unshare), where the taps are real.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmdline.h"
#include "fakeqemu.h"
#include "handtap.h"
#include "hostnet.h"
#include "jget.h"
#include "testutil.h"
#include "util.h"
#include "vm.h"
#include "vmdef.h"

#define USER_VM PLAIN_VM "network: user,mac=52:54:00:00:00:01\n"

static int
nic_count(struct fx *f, int inactive)
{
	char req[128];

	snprintf(req, sizeof(req), "{\"name\": \"t1\", \"inactive\": %s}",
	    inactive ? "true" : "false");
	request(f, "iflist", req);
	struct json_object *r = expect_return(f);
	int n = (int)json_object_array_length(r);
	json_object_put(r);
	return n;
}

/* device_add refused: netdev_del undoes netdev_add; nothing changes. */
static void
test_attach_user_rolls_back(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;

	(void)state;
	fx_running_vm(f, USER_VM);
	request(f, "attach-interface", "{\"name\": \"t1\", \"live\": true, "
	    "\"network\": \"user,model=e1000,mac=52:54:00:00:00:02\"}");
	answer(f, expect_cmd(f, "netdev_add", &a), "{}");
	assert_string_equal(jstr(a, "type"), "user");
	assert_string_equal(jstr(a, "id"), "hostnet-525400000002");
	json_object_put(a);
	answer_error(f, expect_cmd(f, "device_add", &a), "GenericError",
	    "No free PCI slot");
	assert_string_equal(jstr(a, "driver"), "e1000");
	assert_string_equal(jstr(a, "mac"), "52:54:00:00:00:02");
	json_object_put(a);
	answer_id(f, "netdev_del", "hostnet-525400000002");
	expect_error(f, "GenericError", "No free PCI slot", 1);
	assert_int_equal(nic_count(f, 0), 1);
	assert_int_equal(nic_count(f, 1), 1);
	fx_free(f);
}

/* A MAC another NIC has, a bad line: refused before QEMU hears of it. */
static void
test_attach_refused(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_running_vm(f, USER_VM);
	request(f, "attach-interface", "{\"name\": \"t1\", \"live\": true, "
	    "\"network\": \"user,mac=52:54:00:00:00:01\"}");
	expect_error(f, "GenericError", "two NICs have MAC", 0);
	request(f, "attach-interface", "{\"name\": \"t1\", \"live\": true, "
	    "\"network\": \"bridge=\"}");
	expect_error(f, "GenericError", "bridge: no name given", 0);
	request(f, "attach-interface", "{\"name\": \"t1\", \"live\": true}");
	expect_error(f, "GenericError", "needs \"network\"", 0);
	request(f, "detach-interface", "{\"name\": \"t1\", \"type\": "
	    "\"bridge\"}");
	expect_error(f, "NotFound", "no bridge interface", 0);
	assert_int_equal(nic_count(f, 0), 1);
	fx_free(f);
}

/* A host bridge is root's to hand out; a user's VM uses networks. */
static void
test_bridge_admin_only(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	request_as(f, 4242, "define", "{\"text\": \"name: u1\\nnetwork: "
	    "bridge=br0\\n\"}");
	expect_error(f, "GenericError", "only an administrator may put a VM "
	    "on host bridge br0; use network=NAME", 0);
	request_as(f, 4242, "define", "{\"text\": \"name: u1\\nnetwork: "
	    "user\\n\"}");
	json_object_put(expect_return(f));
	request_as(f, 4242, "attach-interface", "{\"name\": \"u1\", "
	    "\"config\": true, \"network\": \"bridge=br0\"}");
	expect_error(f, "GenericError", "only an administrator", 0);
	/* root may, and the VM's user may then keep it on that bridge */
	request(f, "attach-interface", "{\"name\": \"u1\", \"config\": true, "
	    "\"network\": \"bridge=br0\"}");
	json_object_put(expect_return(f));
	request_as(f, 4242, "dumpconfig", "{\"name\": \"u1\"}");
	struct json_object *r = expect_return(f);
	char text[1024];
	strlcpy(text, jstr(r, "text"), sizeof(text));
	json_object_put(r);
	assert_non_null(strstr(text, "network: bridge=br0,mac=52:54:00:"));
	char req[2048];
	struct json_object *t = json_object_new_string(text);
	snprintf(req, sizeof(req), "{\"text\": %s}",
	    json_object_to_json_string(t));
	json_object_put(t);
	request_as(f, 4242, "define", req);
	json_object_put(expect_return(f));
	fx_free(f);
}

/* virt-install's --network none, then a NIC: the none line goes. */
static void
test_attach_after_none(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_vm(f, PLAIN_VM "network: none\n");
	request(f, "attach-interface", "{\"name\": \"t1\", \"config\": true, "
	    "\"network\": \"user,mac=52:54:00:00:00:09\"}");
	json_object_put(expect_return(f));
	request(f, "dumpconfig", "{\"name\": \"t1\"}");
	struct json_object *r = expect_return(f);
	assert_null(strstr(jstr(r, "text"), "network: none"));
	assert_non_null(strstr(jstr(r, "text"),
	    "network: user,mac=52:54:00:00:00:09"));
	json_object_put(r);
	assert_int_equal(nic_count(f, 1), 1);
	fx_free(f);
}

/* One device change at a time: a second waits for none, it is refused. */
static void
test_one_change_at_a_time(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;

	(void)state;
	fx_running_vm(f, USER_VM);
	request(f, "detach-interface", "{\"name\": \"t1\", \"type\": \"user\", "
	    "\"live\": true}");
	answer(f, expect_cmd(f, "device_del", &a), "{}");
	json_object_put(a);
	/* the guest has not let go yet */
	request(f, "domif-setlink", "{\"name\": \"t1\", \"interface\": "
	    "\"52:54:00:00:00:01\", \"state\": \"down\"}");
	expect_error(f, "InvalidState", "another device change is still "
	    "running", 0);
	device_deleted(f, "net-525400000001");
	answer(f, expect_cmd(f, "netdev_del", NULL), "{}");
	json_object_put(expect_return(f));
	assert_int_equal(nic_count(f, 0), 0);
	fx_free(f);
}

/* Unplug: device_del, the guest lets go, then netdev_del; and config. */
static void
test_detach(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_running_vm(f, USER_VM);
	request(f, "detach-interface", "{\"name\": \"t1\", \"type\": \"user\", "
	    "\"live\": true, \"config\": true}");
	answer_id(f, "device_del", "net-525400000001");
	device_deleted(f, "net-525400000001");
	answer_id(f, "netdev_del", "hostnet-525400000001");
	json_object_put(expect_return(f));
	assert_int_equal(nic_count(f, 0), 0);
	assert_int_equal(nic_count(f, 1), 0);
	fx_free(f);
}

/* domif-setlink: set_link on the device, and the running definition. */
static void
test_setlink(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;

	(void)state;
	fx_running_vm(f, USER_VM);
	request(f, "domif-setlink", "{\"name\": \"t1\", \"interface\": "
	    "\"52:54:00:00:00:01\", \"state\": \"down\"}");
	answer(f, expect_cmd(f, "set_link", &a), "{}");
	assert_string_equal(jstr(a, "name"), "net-525400000001");
	assert_false(jbool(a, "up"));
	json_object_put(a);
	json_object_put(expect_return(f));
	request(f, "domif-getlink", "{\"name\": \"t1\", \"interface\": "
	    "\"net-525400000001\"}");
	struct json_object *r = expect_return(f);
	assert_string_equal(jstr(r, "state"), "down");
	json_object_put(r);
	request(f, "domif-setlink", "{\"name\": \"t1\", \"interface\": "
	    "\"52:54:00:00:00:01\", \"state\": \"sideways\"}");
	expect_error(f, "GenericError", "is not up or down", 0);
	fx_free(f);
}

/*
 * A tap: getfd hands it over before netdev_add; QEMU refusing the device
 * undoes netdev_add and the descriptor, and the tap is gone.
 */
static void
test_attach_tap_rolls_back(void **state)
{
	struct fx *f;
	struct hostnet *h;
	struct hn_link l;
	struct json_object *a;
	char err[256], tap[32];

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_nicd: not root: the tap test skipped\n");
		skip();
	}
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	assert_non_null(h = hn_open(err, sizeof(err)));
	assert_int_equal(hn_bridge_add(h, "br0", err, sizeof(err)), 0);
	assert_int_equal(hn_link_set_up(h, "br0", 1, err, sizeof(err)), 0);
	f = fx_new();
	fx_running_vm(f, PLAIN_VM);
	snprintf(tap, sizeof(tap), "qlv%d.0", f->vm->id);
	request(f, "attach-interface", "{\"name\": \"t1\", \"live\": true, "
	    "\"network\": \"bridge=br0,mac=52:54:00:00:00:07\"}");
	answer(f, expect_cmd(f, "getfd", &a), "{}");
	assert_string_equal(jstr(a, "fdname"), "fd-hostnet-525400000007-0");
	json_object_put(a);
	/* the tap is there, on the bridge, while QEMU is asked */
	assert_int_equal(hn_link_get(h, tap, &l, err, sizeof(err)), 1);
	assert_string_equal(l.master, "br0");
	answer(f, expect_cmd(f, "netdev_add", &a), "{}");
	assert_string_equal(jstr(a, "type"), "tap");
	assert_string_equal(jstr(a, "fd"), "fd-hostnet-525400000007-0");
	json_object_put(a);
	answer_error(f, expect_cmd(f, "device_add", NULL), "GenericError",
	    "Bus 'pci.0' does not support hotplugging");
	answer(f, expect_cmd(f, "netdev_del", NULL), "{}");
	answer(f, expect_cmd(f, "closefd", &a), "{}");
	assert_string_equal(jstr(a, "fdname"), "fd-hostnet-525400000007-0");
	json_object_put(a);
	expect_error(f, "GenericError", "does not support hotplugging", 1);
	/* nobody holds it any more: it is gone */
	assert_int_equal(hn_link_get(h, tap, &l, err, sizeof(err)), 0);
	assert_int_equal(nic_count(f, 0), 0);
	/* a missing bridge: one line, no tap, nothing asked of QEMU */
	request(f, "attach-interface", "{\"name\": \"t1\", \"live\": true, "
	    "\"network\": \"bridge=br9\"}");
	expect_error(f, "GenericError", "bridge br9 does not exist", 0);
	assert_int_equal(hn_link_get(h, tap, &l, err, sizeof(err)), 0);
	fx_free(f);
	hn_close(h);
}

/* ---- cmdline --incoming's taps by name (handtap.c) ---- */

/* def's argv rewritten for a hand-started QEMU; rc, argv in *a */
static int
hand_argv(const char *text, struct argv *a, char *err, size_t errlen)
{
	struct vmdef *d = tu_parse_ok(text);
	struct vmpaths p;

	assert_int_equal(vmpaths_init(&p, "/run/q", "a", err, errlen), 0);
	assert_int_equal(cmdline_build(d, &p, ACCEL_TCG, "/q", a, err,
	    errlen), 0);
	int rc = handtap_rewrite(NULL, d, "/etc/ql", a, err, errlen);
	vmdef_free(d);
	return rc;
}

static const char *
netdev_at(const struct argv *a, int nth)
{
	for (size_t i = 0; i + 1 < a->n; i++)
		if (strcmp(a->v[i], "-netdev") == 0 && nth-- == 0)
			return a->v[i + 1];
	return NULL;
}

static void
test_handtap(void **state)
{
	struct argv a = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(hand_argv("name: a\naccel: tcg\n"
	    "network: bridge=br7,mac=52:54:00:12:34:56\n"
	    "network: bridge=br7,mac=52:54:00:ab:cd:ef,ifname=mytap,queues=2\n"
	    "network: user,mac=52:54:00:00:00:09\n", &a, err, sizeof(err)), 0);
	assert_string_equal(a.v[0], "env");
	assert_string_equal(a.v[1], "QLAUNCH_BRIDGE=br7");
	assert_string_equal(a.v[2], "/q");
	assert_null(a.v[a.n]);
	assert_string_equal(netdev_at(&a, 0), "{\"type\":\"tap\","
	    "\"id\":\"hostnet-525400123456\",\"ifname\":\"qlh123456\","
	    "\"script\":\"/etc/ql/qemu-ifup\","
	    "\"downscript\":\"/etc/ql/qemu-ifdown\"}");
	assert_string_equal(netdev_at(&a, 1), "{\"type\":\"tap\","
	    "\"id\":\"hostnet-525400abcdef\",\"queues\":2,"
	    "\"ifname\":\"mytap\",\"script\":\"/etc/ql/qemu-ifup\","
	    "\"downscript\":\"/etc/ql/qemu-ifdown\"}");
	assert_non_null(strstr(netdev_at(&a, 2), "\"type\":\"user\""));
	argv_free(&a);

	/* taps on two bridges: refused, the argv as it was */
	memset(&a, 0, sizeof(a));
	assert_int_equal(hand_argv("name: a\naccel: tcg\n"
	    "network: bridge=br7,mac=52:54:00:12:34:56\n"
	    "network: bridge=br8,mac=52:54:00:12:34:57\n", &a, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "bridges br7 and br8"));
	assert_string_equal(a.v[0], "/q");
	assert_non_null(strstr(netdev_at(&a, 1), "\"fd\":\"4\""));
	argv_free(&a);

	/* no tap: nothing to do */
	memset(&a, 0, sizeof(a));
	assert_int_equal(hand_argv("name: a\naccel: tcg\n"
	    "network: user,mac=52:54:00:00:00:09\n", &a, err, sizeof(err)),
	    0);
	assert_string_equal(a.v[0], "/q");
	argv_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_user_rolls_back),
		cmocka_unit_test(test_attach_refused),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_bridge_admin_only),
		cmocka_unit_test(test_attach_after_none),
		cmocka_unit_test(test_one_change_at_a_time),
		cmocka_unit_test(test_setlink),
		cmocka_unit_test(test_attach_tap_rolls_back),
		cmocka_unit_test(test_handtap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
