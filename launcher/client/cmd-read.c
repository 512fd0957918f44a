/*
 * qlaunch: reading (list, info, state, vncdisplay, domid, domname,
 * domuuid).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "table.h"

/* list's table, laid out as virsh lays out its own (table.h). */
static void
print_list(struct json_object *list)
{
	struct table *t = table_new(5, "Id", "Name", "State", "PID", "Uptime");
	char id[24], pid[24], up[32];

	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *v = json_object_array_get_idx(list, i);
		long long n = jint(v, "id", -1), p = jint(v, "pid", -1);
		snprintf(id, sizeof(id), "%lld", n);
		snprintf(pid, sizeof(pid), "%lld", p);
		cli_duration(jint(v, "uptime_s", -1), up, sizeof(up));
		table_row(t, n >= 0 ? id : "-", jstr_or(v, "name", "-"),
		    jstr_or(v, "state", "-"),
		    p > 0 ? pid : "-", up);
	}
	table_print(t, stdout);
	table_free(t);
}

static int
c_list(struct cli *cli, int argc, char **argv)
{
	int all = 0, json = 0, name = 0, uuid = 0;
	struct opt o[] = {
		{ "all", 0, NULL, &all },
		{ "json", 0, NULL, &json },
		{ "name", 0, NULL, &name },
		{ "uuid", 0, NULL, &uuid },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 0);
	if (json && (name || uuid))
		cli_usage_error(cli, "--json and --%s are mutually exclusive",
		    name ? "name" : "uuid");
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "all", json_object_new_boolean(all));
	struct json_object *ret = cli_call(cli, "list", a);
	if (!json_object_is_type(ret, json_type_array))
		cli_die("the list from qlaunchd is not an array");
	if (json)
		cli_print_json(ret);
	else if (name || uuid) {
		for (size_t i = 0; i < json_object_array_length(ret); i++) {
			struct json_object *v;
			v = json_object_array_get_idx(ret, i);
			if (name && uuid)
				printf("%-36s  %s\n", jstr_or(v, "uuid", "-"),
				    jstr_or(v, "name", "-"));
			else
				printf("%s\n", jstr_or(v, name ? "name" : "uuid", "-"));
		}
	} else
		print_list(ret);
	json_object_put(ret);
	return 0;
}

static int
c_info(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct opt o[] = { { "json", 0, NULL, &json } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *v = cli_call(cli, "info",
	    cli_name_args(argv[first]));
	if (json) {
		cli_print_json(v);
		json_object_put(v);
		return 0;
	}
	char buf[64];
	if (jint(v, "id", -1) >= 0)
		printf("%-14s %lld\n", "Id:", jint(v, "id", 0));
	printf("%-14s %s\n", "Name:", jstr_or(v, "name", "-"));
	printf("%-14s %s\n", "UUID:", jstr_or(v, "uuid", "-"));
	printf("%-14s %s (%s)\n", "State:", jstr_or(v, "state", "-"),
	    jstr_or(v, "reason", "-"));
	if (jint(v, "pid", -1) > 0) {
		printf("%-14s %lld\n", "PID:", jint(v, "pid", 0));
		cli_duration(jint(v, "uptime_s", -1), buf, sizeof(buf));
		printf("%-14s %s\n", "Uptime:", buf);
	}
	printf("%-14s %lld (max %lld)\n", "CPU(s):", jint(v, "vcpus", 0),
	    jint(v, "maxvcpus", 0));
	if (jint(v, "cpu_time_ms", -1) >= 0)
		printf("%-14s %.1fs\n", "CPU time:",
		    (double)jint(v, "cpu_time_ms", 0) / 1000.0);
	printf("%-14s %lld MiB (max %lld MiB)\n", "Memory:",
	    jint(v, "memory_mib", 0), jint(v, "maxmemory_mib", 0));
	if (jint(v, "balloon_mib", -1) >= 0)
		printf("%-14s %lld MiB\n", "Balloon:", jint(v, "balloon_mib", 0));
	printf("%-14s %s\n", "Accelerator:", jstr_or(v, "accel", "-"));
	if (jstr(v, "qemu_version") != NULL)
		printf("%-14s %s (%s)\n", "QEMU:", jstr(v, "qemu_version"),
		    jstr_or(v, "emulator", "-"));
	if (jstr(v, "vnc") != NULL)
		printf("%-14s %s\n", "VNC:", jstr(v, "vnc"));
	if (jstr(v, "migration") != NULL)
		printf("%-14s %s\n", "Migration:", jstr(v, "migration"));
	printf("%-14s %s\n", "Autostart:", jbool(v, "autostart") ? "yes" :
	    "no");
	if (jstr(v, "owner") != NULL)
		printf("%-14s %s\n", "Owner:", jstr(v, "owner"));
	if (jint(v, "exit_code", -1) != -1)
		printf("%-14s %lld\n", "Exit code:", jint(v, "exit_code", 0));
	if (jint(v, "exit_signal", -1) != -1)
		printf("%-14s %lld\n", "Exit signal:", jint(v, "exit_signal", 0));
	if (jstr(v, "crash_console") != NULL && *jstr(v, "crash_console"))
		printf("Last console lines:\n%s\n", jstr(v, "crash_console"));
	json_object_put(v);
	return 0;
}

static int
c_state(struct cli *cli, int argc, char **argv)
{
	int json = 0, reason = 0;
	struct opt o[] = {
		{ "json", 0, NULL, &json },
		{ "reason", 0, NULL, &reason },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *v = cli_call(cli, "state",
	    cli_name_args(argv[first]));
	if (json)
		cli_print_json(v);
	else if (reason)
		printf("%s (%s)\n", jstr_or(v, "state", "-"), jstr_or(v, "reason", "-"));
	else
		printf("%s\n", jstr_or(v, "state", "-"));
	json_object_put(v);
	return 0;
}

static int
c_vncdisplay(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct opt o[] = { { "json", 0, NULL, &json } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *v = cli_call(cli, "vncdisplay",
	    cli_name_args(argv[first]));
	if (json)
		cli_print_json(v);
	else
		printf("%s:%lld\n", jstr_or(v, "listen", "-"), jint(v, "display", 0));
	json_object_put(v);
	return 0;
}

/*
 * domid, domname, domuuid: one VM looked up as virsh looks up a domain,
 * by the kinds of handle the command takes; --json prints its name,
 * uuid and id (null when it is not running).
 */
static int
lookup_cmd(struct cli *cli, int argc, char **argv, int by, const char *what)
{
	int json = 0;
	struct opt o[] = { { "json", 0, NULL, &json } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *v = cli_lookup(cli, argv[first], by);
	long long id = jint(v, "id", -1);
	if (json) {
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "name",
		    json_object_new_string(jstr_or(v, "name", "-")));
		json_object_object_add(j, "uuid",
		    json_object_new_string(jstr_or(v, "uuid", "-")));
		json_object_object_add(j, "id", id >= 0 ?
		    json_object_new_int64(id) : NULL);
		cli_print_json(j);
		json_object_put(j);
	} else if (strcmp(what, "id") != 0)
		printf("%s\n", jstr_or(v, what, "-"));
	else if (id >= 0)
		printf("%lld\n", id);
	else
		printf("-\n");
	json_object_put(v);
	return 0;
}

static int
c_domid(struct cli *cli, int argc, char **argv)
{
	return lookup_cmd(cli, argc, argv, LOOKUP_NAME | LOOKUP_UUID, "id");
}

static int
c_domname(struct cli *cli, int argc, char **argv)
{
	return lookup_cmd(cli, argc, argv, LOOKUP_ID | LOOKUP_UUID, "name");
}

static int
c_domuuid(struct cli *cli, int argc, char **argv)
{
	return lookup_cmd(cli, argc, argv, LOOKUP_ID | LOOKUP_NAME, "uuid");
}

const struct cmd cmds_read[] = {
	{ "list", NULL, c_list, "[--all] [--name] [--uuid] [--json]" },
	{ "info", "dominfo", c_info, "NAME [--json]" },
	{ "state", "domstate", c_state, "NAME [--reason] [--json]" },
	{ "vncdisplay", NULL, c_vncdisplay, "NAME [--json]" },
	{ "domid", NULL, c_domid, "NAME|UUID [--json]" },
	{ "domname", NULL, c_domname, "ID|UUID [--json]" },
	{ "domuuid", NULL, c_domuuid, "NAME|ID [--json]" },
	{ NULL, NULL, NULL, NULL }
};
