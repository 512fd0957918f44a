/* qlaunch: IOThreads (iothreadinfo, iothreadpin, iothreadadd, iothreaddel),
 * as virsh's. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "iothreads.h"
#include "jget.h"
#include "table.h"
#include "util.h"

static int
c_iothreadinfo(struct cli *cli, int argc, char **argv)
{
	struct scope sc = { 0, 0, 0 };
	int json = 0;
	const char *v[1] = { NULL };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "json", 0, NULL, &json },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	char n[16];

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	cli_scope_check(cli, &sc);
	if (sc.live && sc.config)
		cli_usage_error(cli, "--live or --config, not both");
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "live", json_object_new_boolean(sc.live));
	json_object_object_add(a, "config", json_object_new_boolean(sc.config));
	struct json_object *ret = cli_call(cli, "iothreadinfo", a);
	if (json) {
		cli_print_json(ret);
		json_object_put(ret);
		return 0;
	}
	struct json_object *e = jget(ret, "iothreads");
	if (e == NULL || json_object_array_length(e) == 0) {
		printf("No IOThreads found for the domain\n");
		json_object_put(ret);
		return 0;
	}
	struct table *t = table_new(2, "IOThread ID", "CPU Affinity");
	for (size_t i = 0; i < json_object_array_length(e); i++) {
		struct json_object *x = json_object_array_get_idx(e, i);
		const char *aff = jstr(x, "affinity");
		snprintf(n, sizeof(n), "%lld", jint(x, "id", 0));
		table_row(t, n, aff != NULL ? aff : "-");
	}
	table_print(t, stdout);
	table_free(t);
	json_object_put(ret);
	return 0;
}

/* iothreadpin, iothreadadd, iothreaddel: NAME ID [CPULIST] and a scope. */
static int
io_change(struct cli *cli, int argc, char **argv, const char *cmd, int pin)
{
	struct scope sc = { 0, 0, 0 };
	const char *v[3] = { NULL, NULL, NULL };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "iothread", 1, &v[1], NULL },
		{ "id", 1, &v[1], NULL },
		{ "cpulist", 1, &v[2], NULL },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, pin ? 3 : 2,
	    pin ? 3 : 2);
	if (!pin && v[2] != NULL)
		cli_usage_error(cli, "%s takes no CPU list", cmd);
	cli_scope_check(cli, &sc);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "id", json_object_new_int64(cli_num(
	    "iothread id", v[1], 1, IOTHREAD_MAX)));
	if (pin)
		json_object_object_add(a, "cpulist",
		    json_object_new_string(v[2]));
	json_object_object_add(a, "live", json_object_new_boolean(sc.live));
	json_object_object_add(a, "config", json_object_new_boolean(sc.config));
	json_object_put(cli_call(cli, cmd, a));
	return 0;
}

static int
c_iothreadpin(struct cli *cli, int argc, char **argv)
{
	return io_change(cli, argc, argv, "iothreadpin", 1);
}

static int
c_iothreadadd(struct cli *cli, int argc, char **argv)
{
	return io_change(cli, argc, argv, "iothreadadd", 0);
}

static int
c_iothreaddel(struct cli *cli, int argc, char **argv)
{
	return io_change(cli, argc, argv, "iothreaddel", 0);
}

const struct cmd cmds_iothread[] = {
	{ "iothreadinfo", NULL, c_iothreadinfo, "NAME [--json] "
	    "[--live | --config | --current]" },
	{ "iothreadpin", NULL, c_iothreadpin, "NAME ID CPULIST "
	    "[[--live] [--config] | [--current]]" },
	{ "iothreadadd", NULL, c_iothreadadd, "NAME ID "
	    "[[--live] [--config] | [--current]]" },
	{ "iothreaddel", NULL, c_iothreaddel, "NAME ID "
	    "[[--live] [--config] | [--current]]" },
	{ NULL, NULL, NULL, NULL }
};
