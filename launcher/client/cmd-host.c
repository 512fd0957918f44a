/* qlaunch: the host and the versions (host-check, version). */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "cli.h"
#include "config.h"
#include "hostcheck.h"
#include "jget.h"

static int
c_hostcheck(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct opt o[] = { { "json", 0, NULL, &json } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	struct json_object *j = NULL;

	cli_operands(cli, argc, first, 0);
	const char *q = getenv("QEMU");
	int fails = hostcheck_run(q && *q ? q : QLAUNCH_QEMU, QLAUNCH_QEMU_IMG,
	    json, stdout, &j);
	if (json) {
		cli_print_json(j);
		json_object_put(j);
	}
	return fails > 0 ? 1 : 0;
}

static int
c_version(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct opt o[] = { { "json", 0, NULL, &json } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 0);
	struct json_object *v = cli_call(cli, "version", NULL);
	const char *dv = jstr(v, "version");
	if (json)
		cli_print_json(v);
	else
		printf("qlaunch %s, qlaunchd %s (pid %lld)\n", QLAUNCH_VERSION,
		    dv != NULL ? dv : "?", jint(v, "pid", 0));
	json_object_put(v);
	return 0;
}

const struct cmd cmds_host[] = {
	{ "host-check", "virt-host-validate", c_hostcheck, "[--json]" },
	{ "version", NULL, c_version, "[--json]" },
	{ NULL, NULL, NULL, NULL }
};
