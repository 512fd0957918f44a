/*
 * qlaunch: networks, with virsh's names, flags and output: net-define,
 * net-create, net-start, net-destroy, net-undefine, net-autostart,
 * net-list, net-info, net-dumpdef (virsh's net-dumpxml) and
 * net-dhcp-leases.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "table.h"
#include "util.h"

/* A started network whose NAT could not be set up says so. */
static void
print_warning(struct json_object *ret)
{
	if (jstr(ret, "warning") != NULL)
		fprintf(stderr, "qlaunch: warning: network %s: %s\n",
		    jstr_or(ret, "name", "?"), jstr(ret, "warning"));
}

static struct json_object *
file_args(const char *path)
{
	char *text = read_file(path, NULL);

	if (text == NULL)
		cli_die("cannot read %s: %s", path, strerror(errno));
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "text", json_object_new_string(text));
	json_object_object_add(a, "file", json_object_new_string(path));
	free(text);
	return a;
}

static int
c_define(struct cli *cli, int argc, char **argv)
{
	const char *v[1] = { NULL };
	struct opt o[] = { { "file", 1, &v[0], NULL } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *ret = cli_call(cli, "net-define", file_args(v[0]));
	printf("Network %s %s from %s\n", jstr_or(ret, "name", "?"),
	    jbool(ret, "replaced") ? "redefined" : "defined", v[0]);
	json_object_put(ret);
	return 0;
}

/*
 * net-create FILE: a transient network, as virsh's.  net-create NAME
 * --address A [--bridge B] [--dhcp-range S,E] [--forward F] [--domain D]
 * [--mtu N]: defined and started.
 */
static int
c_create(struct cli *cli, int argc, char **argv)
{
	const char *v[1] = { NULL };
	const char *bridge = NULL, *address = NULL, *range = NULL;
	const char *forward = NULL, *domain = NULL, *mtu = NULL;
	struct opt o[] = {
		{ "file", 1, &v[0], NULL },
		{ "bridge", 1, &bridge, NULL },
		{ "address", 1, &address, NULL },
		{ "dhcp-range", 1, &range, NULL },
		{ "forward", 1, &forward, NULL },
		{ "domain", 1, &domain, NULL },
		{ "mtu", 1, &mtu, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	struct json_object *a;
	int flags = bridge || address || range || forward || domain || mtu;

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	if (!flags && (strchr(v[0], '/') != NULL || access(v[0], F_OK) == 0))
		a = file_args(v[0]);
	else {
		if (address == NULL)
			cli_usage_error(cli, "net-create NAME needs --address "
			    "(or give a definition file)");
		char *text = xasprintf("name: %s\naddress: %s\n", v[0],
		    address);
		const char *keys[] = { "bridge", "dhcp-range", "forward",
		    "domain", "mtu" };
		const char *vals[] = { bridge, range, forward, domain, mtu };
		for (size_t i = 0; i < nitems(keys); i++) {
			if (vals[i] == NULL)
				continue;
			if (strchr(vals[i], '\n') != NULL)
				cli_die("--%s: a value of one line is needed",
				    keys[i]);
			char *t = xasprintf("%s%s: %s\n", text, keys[i],
			    vals[i]);
			free(text);
			text = t;
		}
		a = json_object_new_object();
		json_object_object_add(a, "text", json_object_new_string(text));
		json_object_object_add(a, "file",
		    json_object_new_string("net-create"));
		json_object_object_add(a, "persistent",
		    json_object_new_boolean(1));
		free(text);
	}
	struct json_object *ret = cli_call(cli, "net-create", a);
	print_warning(ret);
	if (flags || jbool(ret, "persistent"))
		printf("Network %s created and started\n",
		    jstr_or(ret, "name", "?"));
	else
		printf("Network %s created from %s\n", jstr_or(ret, "name",
		    "?"), v[0]);
	json_object_put(ret);
	return 0;
}

static int
c_start(struct cli *cli, int argc, char **argv)
{
	const char *v[1] = { NULL };
	struct opt o[] = { { "network", 1, &v[0], NULL } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *ret = cli_call(cli, "net-start",
	    cli_name_args(v[0]));

	print_warning(ret);
	printf("Network %s started\n", jstr_or(ret, "name", "?"));
	json_object_put(ret);
	return 0;
}

/* A command of one network operand answering {}: "Network N DONE". */
static int
simple(struct cli *cli, int argc, char **argv, const char *cmd,
    const char *done, struct json_object *extra)
{
	const char *v[1] = { NULL };
	struct opt o[] = { { "network", 1, &v[0], NULL } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *a = cli_name_args(v[0]);
	if (extra != NULL) {
		json_object_object_foreach(extra, k, val)
			json_object_object_add(a, k, json_object_get(val));
		json_object_put(extra);
	}
	json_object_put(cli_call(cli, cmd, a));
	printf("Network %s %s\n", v[0], done);
	return 0;
}

static int
c_destroy(struct cli *cli, int argc, char **argv)
{
	return simple(cli, argc, argv, "net-destroy", "destroyed", NULL);
}

static int
c_undefine(struct cli *cli, int argc, char **argv)
{
	return simple(cli, argc, argv, "net-undefine", "has been undefined",
	    NULL);
}

static int
c_autostart(struct cli *cli, int argc, char **argv)
{
	int disable = 0;
	const char *v[1] = { NULL };
	struct opt o[] = {
		{ "network", 1, &v[0], NULL },
		{ "disable", 0, NULL, &disable },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "disable", json_object_new_boolean(disable));
	json_object_put(cli_call(cli, "net-autostart", a));
	printf("Network %s %s\n", v[0], disable ? "unmarked as autostarted" :
	    "marked as autostarted");
	return 0;
}

static int
c_list(struct cli *cli, int argc, char **argv)
{
	int all = 0, inactive = 0, json = 0, name = 0;
	struct opt o[] = {
		{ "all", 0, NULL, &all },
		{ "inactive", 0, NULL, &inactive },
		{ "json", 0, NULL, &json },
		{ "name", 0, NULL, &name },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 0);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "all", json_object_new_boolean(all));
	json_object_object_add(a, "inactive", json_object_new_boolean(inactive));
	struct json_object *ret = cli_call(cli, "net-list", a);
	if (!json_object_is_type(ret, json_type_array))
		cli_die("the list from qlaunchd is not an array");
	if (json)
		cli_print_json(ret);
	else if (name) {
		for (size_t i = 0; i < json_object_array_length(ret); i++)
			printf("%s\n", jstr_or(json_object_array_get_idx(ret,
			    i), "name", "-"));
	} else {
		struct table *t = table_new(4, "Name", "State", "Autostart",
		    "Persistent");
		for (size_t i = 0; i < json_object_array_length(ret); i++) {
			struct json_object *n = json_object_array_get_idx(ret, i);
			table_row(t, jstr_or(n, "name", "-"),
			    jbool(n, "active") ? "active" : "inactive",
			    jbool(n, "autostart") ? "yes" : "no",
			    jbool(n, "persistent") ? "yes" : "no");
		}
		table_print(t, stdout);
		table_free(t);
	}
	json_object_put(ret);
	return 0;
}

static int
c_info(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	const char *v[1] = { NULL };
	struct opt o[] = {
		{ "network", 1, &v[0], NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *n = cli_call(cli, "net-info", cli_name_args(v[0]));
	if (json) {
		cli_print_json(n);
		json_object_put(n);
		return 0;
	}
#define YN(k)	(jbool(n, k) ? "yes" : "no")
	printf("%-15s %s\n", "Name:", jstr_or(n, "name", "-"));
	printf("%-15s %s\n", "UUID:", jstr_or(n, "uuid", "-"));
	printf("%-15s %s\n", "Active:", YN("active"));
	printf("%-15s %s\n", "Persistent:", YN("persistent"));
	printf("%-15s %s\n", "Autostart:", YN("autostart"));
	printf("%-15s %s\n", "Bridge:", jstr_or(n, "bridge", "-"));
	printf("%-15s %s\n", "Address:", jstr_or(n, "address", "-"));
	if (jstr(n, "dhcp_start") != NULL)
		printf("%-15s %s - %s\n", "DHCP range:", jstr(n, "dhcp_start"),
		    jstr_or(n, "dhcp_end", "-"));
	else
		printf("%-15s %s\n", "DHCP range:", "none");
	printf("%-15s %s\n", "Forward:", jstr_or(n, "forward", "-"));
	if (jstr(n, "domain") != NULL)
		printf("%-15s %s\n", "Domain:", jstr(n, "domain"));
	if (jint(n, "mtu", 0) > 0)
		printf("%-15s %lld\n", "MTU:", jint(n, "mtu", 0));
	if (jbool(n, "active")) {
		if (jint(n, "dnsmasq_pid", 0) > 0)
			printf("%-15s pid %lld\n", "dnsmasq:",
			    jint(n, "dnsmasq_pid", 0));
		else
			printf("%-15s down\n", "dnsmasq:");
		if (jstr(n, "nat_warning") != NULL)
			printf("%-15s off (%s)\n", "NAT:", jstr(n,
			    "nat_warning"));
		else
			printf("%-15s %s\n", "NAT:", jstr_or(n, "nat", "-"));
	}
#undef YN
	json_object_put(n);
	return 0;
}

static int
c_dumpdef(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	const char *v[1] = { NULL };
	struct opt o[] = {
		{ "network", 1, &v[0], NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *ret = cli_call(cli, "net-dumpdef",
	    cli_name_args(v[0]));
	if (json)
		cli_print_json(ret);
	else
		fputs(jstr_or(ret, "text", ""), stdout);
	json_object_put(ret);
	return 0;
}

static int
c_leases(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	const char *v[1] = { NULL }, *mac = NULL;
	struct opt o[] = {
		{ "network", 1, &v[0], NULL },
		{ "mac", 1, &mac, NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *ret = cli_call(cli, "net-dhcp-leases",
	    cli_name_args(v[0]));
	if (!json_object_is_type(ret, json_type_array))
		cli_die("the leases from qlaunchd are not an array");
	struct json_object *out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *l = json_object_array_get_idx(ret, i);
		if (mac == NULL || strcasecmp(jstr_or(l, "mac", ""), mac) == 0)
			json_object_array_add(out, json_object_get(l));
	}
	if (json)
		cli_print_json(out);
	else {
		struct table *t = table_new(6, "Expiry Time", "MAC address",
		    "Protocol", "IP address", "Hostname", "Client ID or DUID");
		for (size_t i = 0; i < json_object_array_length(out); i++) {
			struct json_object *l = json_object_array_get_idx(out, i);
			char when[32] = "never";
			time_t e = (time_t)jint(l, "expiry", 0);
			struct tm tm;
			if (e != 0 && localtime_r(&e, &tm) != NULL)
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
				    &tm);
			const char *h = jstr_or(l, "hostname", "");
			const char *c = jstr_or(l, "clientid", "");
			table_row(t, when, jstr_or(l, "mac", "-"),
			    jstr_or(l, "protocol", "-"), jstr_or(l, "ip", "-"),
			    *h != '\0' ? h : "-", *c != '\0' ? c : "-");
		}
		table_print(t, stdout);
		table_free(t);
	}
	json_object_put(out);
	json_object_put(ret);
	return 0;
}

const struct cmd cmds_net[] = {
	{ "net-define", NULL, c_define, "FILE" },
	{ "net-create", NULL, c_create, "FILE | NAME --address A/N "
	    "[--bridge B] [--dhcp-range S,E] [--forward nat|none|route] "
	    "[--domain D] [--mtu N]" },
	{ "net-start", NULL, c_start, "NAME" },
	{ "net-destroy", NULL, c_destroy, "NAME" },
	{ "net-undefine", NULL, c_undefine, "NAME" },
	{ "net-autostart", NULL, c_autostart, "NAME [--disable]" },
	{ "net-list", NULL, c_list, "[--all|--inactive] [--name] [--json]" },
	{ "net-info", NULL, c_info, "NAME [--json]" },
	{ "net-dumpdef", "net-dumpxml", c_dumpdef, "NAME [--json]" },
	{ "net-dhcp-leases", NULL, c_leases, "NAME [--mac M] [--json]" },
	{ NULL, NULL, NULL, NULL }
};
