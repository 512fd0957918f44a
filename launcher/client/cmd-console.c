/* qlaunch: the serial console (console, and start --console). */
#include <stdio.h>

#include <json-c/json.h>

#include "cli.h"
#include "console.h"
#include "jget.h"

int
cli_attach_console(struct cli *cli, const char *name, int timeout_s,
    int quiet_ms)
{
	json_object_put(cli_call(cli, "console", cli_name_args(name)));
	return console_relay(&cli->conn, name, timeout_s, quiet_ms);
}

static int
c_console(struct cli *cli, int argc, char **argv)
{
	int log = 0;
	const char *timeout = NULL, *quiet = NULL;
	struct opt o[] = {
		{ "log", 0, NULL, &log },
		{ "timeout", 1, &timeout, NULL },
		{ "quiet", 1, &quiet, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	if (log) {
		struct json_object *v = cli_call(cli, "console-log",
		    cli_name_args(argv[first]));
		const char *text = jstr(v, "log");
		fputs(text != NULL ? text : "", stdout);
		json_object_put(v);
		return 0;
	}
	return cli_attach_console(cli, argv[first],
	    timeout ? (int)cli_num("--timeout", timeout, 1, 86400) : 0,
	    quiet ? (int)cli_num("--quiet", quiet, 1, 3600000) : 1500);
}

const struct cmd cmds_console[] = {
	{ "console", NULL, c_console, "NAME [--log] [--timeout SECONDS] "
	    "[--quiet MS]" },
	{ NULL, NULL, NULL, NULL }
};
