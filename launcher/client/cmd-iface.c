/*
 * qlaunch: host interfaces (virsh's iface-bridge and iface-unbridge): a
 * NIC moved onto a new bridge with its addresses and routes, and back.
 * qlaunchd does the work (as root), all or nothing.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"

static void
print_moved(struct json_object *ret)
{
	struct json_object *a;

	for (const char *k = "addresses"; k != NULL;
	    k = k[0] == 'a' ? "routes" : NULL) {
		if ((a = jget(ret, k)) == NULL ||
		    !json_object_is_type(a, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(a); i++)
			printf("  %s %s\n", k[0] == 'a' ? "address" : "route  ",
			    json_object_get_string(
			    json_object_array_get_idx(a, i)));
	}
}

static int
c_iface_bridge(struct cli *cli, int argc, char **argv)
{
	const char *v[2] = { NULL, NULL }, *delay = NULL;
	int no_stp = 0, json = 0;
	struct opt o[] = {
		{ "interface", 1, &v[0], NULL },
		{ "bridge", 1, &v[1], NULL },
		{ "no-stp", 0, NULL, &no_stp },
		{ "delay", 1, &delay, NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, 2);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "interface", json_object_new_string(v[0]));
	json_object_object_add(a, "bridge", json_object_new_string(v[1]));
	json_object_object_add(a, "stp", json_object_new_boolean(!no_stp));
	if (delay != NULL)
		json_object_object_add(a, "delay", json_object_new_int64(
		    cli_num("delay", delay, 0, 30)));
	struct json_object *ret = cli_call(cli, "iface-bridge", a);
	if (json)
		cli_print_json(ret);
	else {
		printf("Created bridge %s with attached device %s\n", v[1],
		    v[0]);
		print_moved(ret);
	}
	json_object_put(ret);
	return 0;
}

static int
c_iface_unbridge(struct cli *cli, int argc, char **argv)
{
	const char *v[1] = { NULL };
	int json = 0;
	struct opt o[] = {
		{ "bridge", 1, &v[0], NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "bridge", json_object_new_string(v[0]));
	struct json_object *ret = cli_call(cli, "iface-unbridge", a);
	if (json)
		cli_print_json(ret);
	else {
		printf("Device %s un-attached from bridge %s, which is "
		    "deleted\n", jstr_or(ret, "interface", "?"), v[0]);
		print_moved(ret);
	}
	json_object_put(ret);
	return 0;
}

const struct cmd cmds_iface[] = {
	{ "iface-bridge", NULL, c_iface_bridge,
	    "IFACE BRIDGE [--no-stp] [--delay N] [--json]" },
	{ "iface-unbridge", NULL, c_iface_unbridge, "BRIDGE [--json]" },
	{ NULL, NULL, NULL, NULL }
};
