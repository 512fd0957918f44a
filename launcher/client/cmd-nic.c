/*
 * qlaunch: NICs (iflist, ifaddr, domifstat, domif-getlink,
 * attach-interface, detach-interface, domif-setlink), with virsh's flags
 * and words.  attach-interface sends the NIC as a definition line, in
 * virt-install's --network syntax, built here from virsh's flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "props.h"
#include "table.h"
#include "xalloc.h"

static struct json_object *
print_or_json(struct json_object *ret, int json)
{
	if (json) {
		cli_print_json(ret);
		json_object_put(ret);
		return NULL;
	}
	return ret;
}

static int
c_iflist(struct cli *cli, int argc, char **argv)
{
	int inactive = 0, json = 0;
	const char *v[1] = { NULL };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "inactive", 0, NULL, &inactive },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "inactive", json_object_new_boolean(
	    inactive));
	struct json_object *ret = cli_call(cli, "iflist", a);
	if (!json_object_is_type(ret, json_type_array))
		cli_die("the interface list from qlaunchd is not an array");
	if ((ret = print_or_json(ret, json)) == NULL)
		return 0;
	struct table *t = table_new(5, "Interface", "Type", "Source", "Model",
	    "MAC");
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *n = json_object_array_get_idx(ret, i);
		table_row(t, jstr_or(n, "interface", "-"), jstr_or(n, "type",
		    "-"), jstr_or(n, "source", "-"), jstr_or(n, "model", "-"),
		    jstr_or(n, "mac", "-"));
	}
	table_print(t, stdout);
	table_free(t);
	json_object_put(ret);
	return 0;
}

/* "ADDRESS/PREFIX" when the prefix is known (the agent's), in a static */
static const char *
addr_text(struct json_object *x)
{
	static char buf[80];

	if (jget(x, "prefix") == NULL)
		return jstr_or(x, "address", "-");
	snprintf(buf, sizeof(buf), "%s/%lld", jstr_or(x, "address", "-"),
	    jint(x, "prefix", 0));
	return buf;
}

static const char *const addr_sources[] = { "lease", "arp", "agent", NULL };

static int
c_ifaddr(struct cli *cli, int argc, char **argv)
{
	int json = 0, full = 0;
	const char *v[2] = { NULL, NULL }, *src = NULL;
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "interface", 1, &v[1], NULL },
		{ "source", 1, &src, NULL },
		{ "full", 0, NULL, &full },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, 1);
	cli_one_of(cli, "source", src, addr_sources);
	struct json_object *a = cli_name_args(v[0]);
	if (src != NULL)
		json_object_object_add(a, "source", json_object_new_string(src));
	struct json_object *ret = cli_call(cli, "ifaddr", a);
	if (!json_object_is_type(ret, json_type_array))
		cli_die("the addresses from qlaunchd are not an array");
	/* one interface: by its tap or MAC */
	if (v[1] != NULL) {
		struct json_object *one = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(ret); i++) {
			struct json_object *n = json_object_array_get_idx(ret,
			    i);
			if (strcmp(jstr_or(n, "interface", ""), v[1]) == 0 ||
			    strcasecmp(jstr_or(n, "mac", ""), v[1]) == 0)
				json_object_array_add(one, json_object_get(n));
		}
		json_object_put(ret);
		ret = one;
		if (json_object_array_length(ret) == 0)
			cli_die("no interface '%s'", v[1]);
	}
	if ((ret = print_or_json(ret, json)) == NULL)
		return 0;
	struct table *t = table_new(5, "Name", "MAC address", "Protocol",
	    "Address", "Source");
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *n = json_object_array_get_idx(ret, i);
		struct json_object *ad = jget(n, "addresses");
		size_t na = ad != NULL ? json_object_array_length(ad) : 0;
		for (size_t k = 0; k < na; k++) {
			struct json_object *x = json_object_array_get_idx(ad, k);
			/* virsh names the interface on its first line only */
			table_row(t, k == 0 || full ? jstr_or(n, "interface",
			    "-") : "-", k == 0 || full ? jstr_or(n, "mac", "-") :
			    "-", jstr_or(x, "family", "-"), addr_text(x),
			    jstr_or(x, "source", "-"));
		}
	}
	table_print(t, stdout);
	table_free(t);
	json_object_put(ret);
	return 0;
}

static int
c_domifstat(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	const char *v[2] = { NULL, NULL };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "interface", 1, &v[1], NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	static const char *const keys[] = {
		"rx_bytes", "rx_packets", "rx_errs", "rx_drop", "tx_bytes",
		"tx_packets", "tx_errs", "tx_drop"
	};

	cli_named_operands(cli, argc, argv, first, v, 2, 2);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "interface", json_object_new_string(v[1]));
	struct json_object *ret = cli_call(cli, "domifstat", a);
	if ((ret = print_or_json(ret, json)) == NULL)
		return 0;
	for (size_t i = 0; i < nitems(keys); i++)
		printf("%s %s %lld\n", jstr_or(ret, "interface", v[1]), keys[i],
		    jint(ret, keys[i], 0));
	json_object_put(ret);
	return 0;
}

static int
c_domif_getlink(struct cli *cli, int argc, char **argv)
{
	int json = 0, config = 0;
	const char *v[2] = { NULL, NULL };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "interface", 1, &v[1], NULL },
		{ "config", 0, NULL, &config },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, 2);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "interface", json_object_new_string(v[1]));
	json_object_object_add(a, "config", json_object_new_boolean(config));
	struct json_object *ret = cli_call(cli, "domif-getlink", a);
	if ((ret = print_or_json(ret, json)) == NULL)
		return 0;
	printf("%s %s\n", v[1], jstr_or(ret, "state", "-"));
	json_object_put(ret);
	return 0;
}

static const char *const iftypes[] = { "bridge", "network", "user", NULL };
static const char *const models[] = {
	"virtio", "virtio-net-pci", "e1000", "e1000e", "rtl8139", NULL
};

/* Append ",key=val" (escaped) to *line. */
static void
add_prop(char **line, const char *key, const char *val)
{
	char *e, *n;

	if (val == NULL)
		return;
	e = props_escape(val);
	n = xasprintf("%s,%s=%s", *line, key, e);
	free(e);
	free(*line);
	*line = n;
}

static int
c_attach_interface(struct cli *cli, int argc, char **argv)
{
	const char *v[3] = { NULL, NULL, NULL };
	const char *model = NULL, *mac = NULL, *target = NULL;
	int persistent = 0, print = 0;
	struct scope sc = { 0, 0, 0 };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "type", 1, &v[1], NULL },
		{ "source", 1, &v[2], NULL },
		{ "model", 1, &model, NULL },
		{ "mac", 1, &mac, NULL },
		{ "target", 1, &target, NULL },
		{ "persistent", 0, NULL, &persistent },
		{ "print-xml", 0, NULL, &print },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 3, 2);
	cli_one_of(cli, "type", v[1], iftypes);
	cli_one_of(cli, "model", model, models);
	if (strcmp(v[1], "user") != 0 && (v[2] == NULL || *v[2] == '\0'))
		cli_usage_error(cli, "--type %s needs --source (a %s name)",
		    v[1], v[1]);
	if (strcmp(v[1], "user") == 0 && v[2] != NULL)
		cli_usage_error(cli, "--type user takes no --source");
	cli_scope_persistent(cli, &sc, persistent);

	/* the NIC line: virt-install's --network */
	char *line;
	if (strcmp(v[1], "user") == 0)
		line = xstrdup("user");
	else {
		char *e = props_escape(v[2]);
		line = xasprintf("%s=%s", v[1], e);
		free(e);
	}
	add_prop(&line, "model", model);
	add_prop(&line, "mac", mac);
	add_prop(&line, "ifname", target);
	if (print) {
		printf("network: %s\n", line);
		free(line);
		return 0;
	}
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "network", json_object_new_string(line));
	free(line);
	cli_scope_args(cli, a, v[0], &sc, persistent);
	json_object_put(cli_call(cli, "attach-interface", a));
	printf("Interface attached successfully\n");
	return 0;
}

static int
c_detach_interface(struct cli *cli, int argc, char **argv)
{
	const char *v[2] = { NULL, NULL }, *mac = NULL;
	int persistent = 0;
	struct scope sc = { 0, 0, 0 };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "type", 1, &v[1], NULL },
		{ "mac", 1, &mac, NULL },
		{ "persistent", 0, NULL, &persistent },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, 2);
	cli_one_of(cli, "type", v[1], iftypes);
	cli_scope_persistent(cli, &sc, persistent);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "type", json_object_new_string(v[1]));
	if (mac != NULL)
		json_object_object_add(a, "mac", json_object_new_string(mac));
	cli_scope_args(cli, a, v[0], &sc, persistent);
	json_object_put(cli_call(cli, "detach-interface", a));
	printf("Interface detached successfully\n");
	return 0;
}

static const char *const states[] = { "up", "down", NULL };

static int
c_domif_setlink(struct cli *cli, int argc, char **argv)
{
	const char *v[3] = { NULL, NULL, NULL };
	struct scope sc = { 0, 0, 0 };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "interface", 1, &v[1], NULL },
		{ "state", 1, &v[2], NULL },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 3, 3);
	cli_one_of(cli, "state", v[2], states);
	cli_scope_check(cli, &sc);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "interface", json_object_new_string(v[1]));
	json_object_object_add(a, "state", json_object_new_string(v[2]));
	json_object_object_add(a, "live", json_object_new_boolean(sc.live));
	json_object_object_add(a, "config", json_object_new_boolean(
	    sc.config));
	json_object_put(cli_call(cli, "domif-setlink", a));
	printf("Device updated successfully\n");
	return 0;
}

const struct cmd cmds_nic[] = {
	{ "iflist", "domiflist", c_iflist, "NAME [--inactive] [--json]" },
	{ "ifaddr", "domifaddr", c_ifaddr, "NAME [INTERFACE] "
	    "[--source lease|arp|agent] [--full] [--json]" },
	{ "domifstat", NULL, c_domifstat, "NAME INTERFACE [--json]" },
	{ "domif-getlink", NULL, c_domif_getlink, "NAME INTERFACE [--config] "
	    "[--json]" },
	{ "attach-interface", NULL, c_attach_interface, "NAME "
	    "--type bridge|network|user [--source SRC] [--model MODEL] "
	    "[--mac MAC] [--target TAP] [--print-xml] [[--live] [--config] | "
	    "[--current] | [--persistent]]" },
	{ "detach-interface", NULL, c_detach_interface, "NAME "
	    "--type bridge|network|user [--mac MAC] [[--live] [--config] | "
	    "[--current] | [--persistent]]" },
	{ "domif-setlink", NULL, c_domif_setlink, "NAME INTERFACE up|down "
	    "[[--live] [--config] | [--current]]" },
	{ NULL, NULL, NULL, NULL }
};
