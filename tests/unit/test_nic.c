/*
 * The NIC module: every error of a network line, virt-install's and
 * virsh's spellings, the canonical form, MACs, and the hot-plug steps.
 * The command lines of each kind are golden files (tests/golden/nic-*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmdline.h"
#include "testutil.h"
#include "util.h"
#include "vmdef.h"

static void
test_nic_errors(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "network: ", "vm.conf:2: network: empty value" },
		{ "network: model=virtio", "vm.conf:2: network: no attachment: give bridge=NAME, network=NAME, user or none" },
		{ "network: br0", "vm.conf:2: network: 'br0' is not bridge=NAME, network=NAME, user or none" },
		{ "network: bridge;br0", "vm.conf:2: network: 'bridge;br0' is not bridge=NAME, network=NAME, user or none" },
		{ "network: brdge:br0", "vm.conf:2: network: 'brdge:br0' is not bridge=NAME, network=NAME, user or none (bridge:NAME and network:NAME)" },
		{ "network: bridge=", "vm.conf:2: network: bridge: no name given" },
		{ "network: bridge:", "vm.conf:2: network: bridge: no name given" },
		{ "network: bridge=br0,network=default", "vm.conf:2: network: give one of bridge=, network=, user and none" },
		{ "network: user,bridge=br0", "vm.conf:2: network: give one of bridge=, network=, user and none" },
		{ "network: none,user", "vm.conf:2: network: give one of bridge=, network=, user and none" },
		{ "network: bridge=a-very-long-bridge-name", "vm.conf:2: network: bridge 'a-very-long-bridge-name' is not an interface name (1 to 15 of A-Z a-z 0-9 _.:+-)" },
		{ "network: bridge=br/0", "vm.conf:2: network: bridge 'br/0' is not an interface name (1 to 15 of A-Z a-z 0-9 _.:+-)" },
		{ "network: network=../x", "vm.conf:2: network: network '../x' is not a valid name" },
		{ "network: type=direct,source=eth0", "vm.conf:2: network: type 'direct' is not bridge, network or user" },
		{ "network: source=br0", "vm.conf:2: network: source= needs type=bridge or type=network" },
		{ "network: type=bridge", "vm.conf:2: network: bridge: no name given" },
		{ "network: bridge=br0,model=ne2k_pci", "vm.conf:2: network: model 'ne2k_pci' is not virtio, e1000, e1000e or rtl8139" },
		{ "network: bridge=br0,model=virtio,model.type=e1000", "vm.conf:2: network: model is given twice (as model and model.type)" },
		{ "network: bridge=br0,mac=01:54:00:00:00:01", "vm.conf:2: network: mac '01:54:00:00:00:01' is not a unicast MAC address (52:54:00:xx:xx:xx)" },
		{ "network: bridge=br0,mac=52:54:00:00:00", "vm.conf:2: network: mac '52:54:00:00:00' is not a unicast MAC address (52:54:00:xx:xx:xx)" },
		{ "network: bridge=br0,vhost=maybe", "vm.conf:2: network: vhost 'maybe' is not on or off" },
		{ "network: bridge=br0,vhost=on,driver.name=vhost", "vm.conf:2: network: vhost is given twice (as vhost and driver.name)" },
		{ "network: bridge=br0,driver.name=kernel", "vm.conf:2: network: driver.name 'kernel' is not vhost or qemu" },
		{ "network: bridge=br0,queues=0", "vm.conf:2: network: queues '0': too small (1 to 16)" },
		{ "network: bridge=br0,queues=17", "vm.conf:2: network: queues '17': too large (1 to 16)" },
		{ "network: bridge=br0,ifname=tap;rm", "vm.conf:2: network: ifname 'tap;rm' is not an interface name (1 to 15 of A-Z a-z 0-9 _.:+-)" },
		{ "network: bridge=br0,link_state=off", "vm.conf:2: network: link_state 'off' is not up or down" },
		{ "network: bridge=br0,boot_order=0", "vm.conf:2: network: boot_order '0': too small (1 to 9999)" },
		{ "network: bridge=br0,bogus=1", "vm.conf:2: network: unknown property 'bogus'" },
		{ "network: user,hostfwd=tcp:2222-:22", "vm.conf:2: network: hostfwd 'tcp:2222-:22' is not [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" },
		{ "network: user,hostfwd=sctp::1-:2", "vm.conf:2: network: hostfwd 'sctp::1-:2' is not [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" },
		{ "network: user,hostfwd=tcp::70000-:22", "vm.conf:2: network: hostfwd 'tcp::70000-:22' is not [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" },
		{ "network: user,hostfwd=tcp::22-:0", "vm.conf:2: network: hostfwd 'tcp::22-:0' is not [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" },
		{ "network: bridge=br0,hostfwd=tcp::2222-:22", "vm.conf:2: network: hostfwd is for user networking" },
		{ "network: user,vhost=on", "vm.conf:2: network: vhost, queues and ifname are for bridge= and network= (a tap)" },
		{ "network: user,ifname=tap0", "vm.conf:2: network: vhost, queues and ifname are for bridge= and network= (a tap)" },
		{ "network: bridge=br0,model=e1000,queues=2", "vm.conf:2: network: queues: only virtio has several queues" },
		{ "network: bridge=br0,model=rtl8139,vhost=on", "vm.conf:2: network: vhost is for model virtio" },
		{ "network: none,model=virtio", "vm.conf:2: network: none takes no other property" },
		/* against the other lines and the machine */
		{ "network: bridge=br0,mac=52:54:00:00:00:01\nnetwork: user,mac=52:54:00:00:00:01", "vm.conf: network: two NICs have MAC 52:54:00:00:00:01" },
		{ "network: bridge=br0,ifname=t0\nnetwork: bridge=br1,ifname=t0", "vm.conf: network: two NICs have ifname t0" },
		{ "network: none\nnetwork: user", "vm.conf: network: none: the VM has other NICs" },
		{ "machine: microvm\nnetwork: user,model=e1000", "vm.conf: network: microvm has only virtio NICs, not e1000" },
	};
	char err[512], text[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "name: a\n%s\n", cases[i].text);
		struct vmdef *d = vmdef_parse(text, "vm.conf", err, sizeof(err));
		if (d != NULL)
			fail_msg("case %zu parsed: %s", i, cases[i].text);
		if (strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, err,
			    cases[i].want);
	}
}

/* virt-install's and virsh's spellings, read back and printed. */
static void
test_nic_forms(void **state)
{
	static const struct {
		const char	*line, *type, *source, *model, *canon;
		int		 tap;
	} cases[] = {
		{ "bridge=br0,model=virtio", "bridge", "br0", "virtio", "bridge=br0,model=virtio", 1 },
		{ "bridge:virbr0", "bridge", "virbr0", "virtio", "bridge=virbr0", 1 },
		{ "network=default", "network", "default", "virtio", "network=default", 1 },
		{ "network:default,model=e1000", "network", "default", "e1000", "network=default,model=e1000", 1 },
		{ "default", "network", "default", "virtio", "network=default", 1 },
		{ "type=bridge,source=br100,model=virtio", "bridge", "br100", "virtio", "bridge=br100,model=virtio", 1 },
		{ "bridge=br0,model=virtio-net-pci", "bridge", "br0", "virtio", "bridge=br0,model=virtio", 1 },
		{ "bridge=br0,model.type=rtl8139,mac.address=52:54:00:AA:BB:CC", "bridge", "br0", "rtl8139", "bridge=br0,model=rtl8139,mac=52:54:00:aa:bb:cc", 1 },
		{ "bridge=br0,driver.name=vhost,driver.queues=2,target.dev=vm1tap", "bridge", "br0", "virtio", "bridge=br0,vhost=on,queues=2,ifname=vm1tap", 1 },
		{ "bridge=br0,link.state=down,boot.order=2", "bridge", "br0", "virtio", "bridge=br0,link_state=down,boot_order=2", 1 },
		{ "user", "user", NULL, "virtio", "user", 0 },
		{ "user,hostfwd=tcp:127.0.0.1:2222-:22", "user", NULL, "virtio", "user,hostfwd=tcp:127.0.0.1:2222-:22", 0 },
		{ "none", "none", NULL, "virtio", "none", 0 },
	};
	char text[512];
	struct vmdef_nic n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "name: a\nnetwork: %s\n",
		    cases[i].line);
		struct vmdef *d = tu_parse_ok(text);
		assert_int_equal(vmdef_nic_count(d), 1);
		assert_int_equal(vmdef_nic_get(d, 0, &n), 0);
		assert_string_equal(n.type, cases[i].type);
		if (cases[i].source == NULL)
			assert_null(n.source);
		else
			assert_string_equal(n.source, cases[i].source);
		assert_string_equal(n.model, cases[i].model);
		assert_int_equal(n.tap, cases[i].tap);
		char *p = vmdef_print(d);
		snprintf(text, sizeof(text), "network: %s\n", cases[i].canon);
		if (strstr(p, text) == NULL)
			fail_msg("case %zu: printed\n%s\nwant %s", i, p, text);
		/* the canonical form parses back to itself */
		struct vmdef *d2 = tu_parse_ok(p);
		char *p2 = vmdef_print(d2);
		assert_string_equal(p, p2);
		free(p);
		free(p2);
		vmdef_free(d2);
		vmdef_free(d);
	}
}

/* A NIC without a MAC cannot start; the supervisor's MAC is written in. */
static void
test_nic_mac(void **state)
{
	struct vmdef *d = tu_parse_ok("name: a\naccel: tcg\n# the LAN\n"
	    "network: bridge=br0\nnetwork: user,mac=52:54:00:00:00:02\n");
	struct vmpaths p;
	struct argv a;
	struct vmdef_nic n;
	char err[512];
	size_t i;

	(void)state;
	assert_int_equal(vmpaths_init(&p, "/run/q", "a", err, sizeof(err)), 0);
	assert_int_equal(cmdline_build(d, &p, ACCEL_TCG, "/q", &a, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "network bridge br0: no MAC address; the "
	    "supervisor gives one when the definition is stored");
	assert_int_equal(vmdef_nic_set_mac(d, 0, "52:54:00:00:00:02", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "network: two NICs have MAC "
	    "52:54:00:00:00:02");
	assert_int_equal(vmdef_nic_set_mac(d, 0, "bogus", err, sizeof(err)),
	    -1);
	assert_int_equal(vmdef_nic_get(d, 0, &n), 0);
	assert_string_equal(n.mac, "");
	assert_int_equal(vmdef_nic_set_mac(d, 0, "52:54:00:AB:00:01", err,
	    sizeof(err)), 0);
	assert_int_equal(vmdef_nic_get(d, 0, &n), 0);
	assert_string_equal(n.mac, "52:54:00:ab:00:01");
	assert_string_equal(n.id, "net-525400ab0001");
	assert_string_equal(n.netdev, "hostnet-525400ab0001");
	assert_int_equal(n.first_fd, 3);
	assert_int_equal(vmdef_nic_find(d, "52:54:00:ab:00:01", &i), 0);
	assert_int_equal(i, 0);
	assert_int_equal(vmdef_nic_find(d, "net-525400000002", &i), 0);
	assert_int_equal(i, 1);
	assert_int_equal(vmdef_nic_find(d, "52:54:00:ff:ff:ff", &i), -1);
	/* the stored text keeps the comment and gets the MAC */
	char *t = vmdef_text(d);
	assert_non_null(strstr(t, "# the LAN\nnetwork: bridge=br0,"
	    "mac=52:54:00:ab:00:01\n"));
	free(t);
	assert_int_equal(cmdline_build(d, &p, ACCEL_TCG, "/q", &a, err,
	    sizeof(err)), 0);
	argv_free(&a);
	vmdef_free(d);
}

/* The host's vhost-net decides for NICs that do not say. */
static void
test_nic_vhost(void **state)
{
	struct vmdef *d = tu_parse_ok("name: a\n"
	    "network: bridge=br0,mac=52:54:00:00:00:01,queues=2\n"
	    "network: bridge=br0,mac=52:54:00:00:00:02,vhost=off\n");
	struct vmdef_nic n;

	(void)state;
	assert_int_equal(vmdef_nic_get(d, 1, &n), 0);
	assert_int_equal(n.first_fd, 5);
	vmdef_nic_host(d, 1);
	assert_int_equal(vmdef_nic_get(d, 0, &n), 0);
	assert_true(n.uses_vhost);
	assert_int_equal(n.queues, 2);
	assert_int_equal(vmdef_nic_get(d, 1, &n), 0);
	assert_false(n.uses_vhost);
	assert_int_equal(n.first_fd, 7);	/* 2 taps, 2 vhost */
	vmdef_free(d);
}

static const char *
step_cmd(struct json_object *steps, size_t i, const char *what)
{
	struct json_object *s = json_object_array_get_idx(steps, i), *v;

	if (strcmp(what, "args") == 0) {
		json_object_object_get_ex(s, "arguments", &v);
		return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	}
	if (strcmp(what, "undo") == 0) {
		if (!json_object_object_get_ex(s, "undo", &v))
			return "";
		return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	}
	json_object_object_get_ex(s, "execute", &v);
	return json_object_get_string(v);
}

static void
test_nic_plug(void **state)
{
	struct vmdef *d = tu_parse_ok("name: a\n"
	    "network: user,mac=52:54:00:00:00:01\n");
	struct json_object *steps;
	char err[512];
	size_t i;

	(void)state;
	/* refused: nothing changes */
	assert_int_equal(vmdef_nic_plug(d, "user,mac=52:54:00:00:00:01", "f",
	    0, &i, &steps, err, sizeof(err)), -1);
	assert_string_equal(err, "network: two NICs have MAC "
	    "52:54:00:00:00:01");
	assert_int_equal(vmdef_nic_plug(d, "bridge=br0", "f", 0, &i, &steps,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no MAC address"));
	assert_int_equal(vmdef_nic_plug(d, "none", "f", 0, &i, &steps, err,
	    sizeof(err)), -1);
	assert_int_equal(vmdef_nic_count(d), 1);

	assert_int_equal(vmdef_nic_plug(d, "bridge=br0,mac=52:54:00:00:00:02,"
	    "queues=2", "fd-x", 1, &i, &steps, err, sizeof(err)), 0);
	assert_int_equal(i, 1);
	assert_int_equal(json_object_array_length(steps), 2);
	assert_string_equal(step_cmd(steps, 0, "execute"), "netdev_add");
	assert_string_equal(step_cmd(steps, 0, "args"),
	    "{\"type\":\"tap\",\"id\":\"hostnet-525400000002\","
	    "\"fds\":\"fd-x-0:fd-x-1\",\"vhost\":true,"
	    "\"vhostfds\":\"fd-x-v0:fd-x-v1\"}");
	assert_string_equal(step_cmd(steps, 0, "undo"),
	    "{\"execute\":\"netdev_del\",\"arguments\":"
	    "{\"id\":\"hostnet-525400000002\"}}");
	assert_string_equal(step_cmd(steps, 1, "execute"), "device_add");
	assert_string_equal(step_cmd(steps, 1, "args"),
	    "{\"driver\":\"virtio-net-pci\",\"id\":\"net-525400000002\","
	    "\"netdev\":\"hostnet-525400000002\",\"mac\":\"52:54:00:00:00:02\","
	    "\"mq\":true,\"vectors\":6,\"addr\":\"0x8\"}");
	json_object_put(steps);
	assert_int_equal(vmdef_nic_count(d), 2);
	char *t = vmdef_text(d);
	/* with their slots written in: the one there and the new one */
	assert_non_null(strstr(t, "network: user,mac=52:54:00:00:00:01,"
	    "addr=7\n"));
	assert_non_null(strstr(t, "network: bridge=br0,mac=52:54:00:00:00:02,"
	    "queues=2,addr=8\n"));
	free(t);

	/* unplug the first: the second keeps its ids */
	assert_int_equal(vmdef_nic_unplug(d, 0, &steps, err, sizeof(err)), 0);
	assert_string_equal(step_cmd(steps, 0, "execute"), "device_del");
	assert_string_equal(step_cmd(steps, 0, "args"),
	    "{\"id\":\"net-525400000001\"}");
	assert_string_equal(step_cmd(steps, 1, "execute"), "netdev_del");
	assert_string_equal(step_cmd(steps, 1, "args"),
	    "{\"id\":\"hostnet-525400000001\"}");
	json_object_put(steps);
	struct vmdef_nic n;
	assert_int_equal(vmdef_nic_count(d), 1);
	assert_int_equal(vmdef_nic_get(d, 0, &n), 0);
	assert_string_equal(n.id, "net-525400000002");
	t = vmdef_text(d);
	assert_null(strstr(t, "52:54:00:00:00:01"));
	free(t);
	assert_int_equal(vmdef_nic_unplug(d, 5, &steps, err, sizeof(err)), -1);

	/* microvm: no hot-plug, but its stored definition loses a NIC */
	struct vmdef *m = tu_parse_ok("name: m\nmachine: microvm\n"
	    "network: user,mac=52:54:00:00:00:05\n");
	assert_int_equal(vmdef_nic_unplug(m, 0, &steps, err, sizeof(err)), -1);
	assert_string_equal(err, "microvm has no hot-plug");
	assert_int_equal(vmdef_nic_unplug(m, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(vmdef_nic_count(m), 0);
	vmdef_free(m);

	/* the link as it runs */
	assert_int_equal(vmdef_nic_set_link(d, 0, 0), 0);
	assert_int_equal(vmdef_nic_get(d, 0, &n), 0);
	assert_false(n.link_up);
	struct json_object *rt = vmdef_runtime_qmp(d);
	assert_non_null(strstr(json_object_to_json_string_ext(rt,
	    JSON_C_TO_STRING_PLAIN), "{\"execute\":\"set_link\",\"arguments\":"
	    "{\"name\":\"net-525400000002\",\"up\":false}}"));
	json_object_put(rt);
	vmdef_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nic_errors),
		cmocka_unit_test(test_nic_forms),
		cmocka_unit_test(test_nic_mac),
		cmocka_unit_test(test_nic_vhost),
		cmocka_unit_test(test_nic_plug),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
