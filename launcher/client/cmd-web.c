/*
 * qlaunch web-login: a one-time link to the web manager for the calling
 * user.  The supervisor knows who calls (SO_PEERCRED) and where the web
 * manager serves (its web-hello); the link logs in once, within five
 * minutes.  qlaunch web, the web manager itself, is in launcher/web/.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"

static int
c_web_login(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct opt opts[] = { { "json", 0, NULL, &json } };
	int first = cli_opts(cli, &argc, argv, opts, nitems(opts));

	cli_operands(cli, argc, first, 0);
	cli_connect(cli);
	struct json_object *ret = cli_call(cli, "web-login", NULL);
	if (json)
		cli_print_json(ret);
	else
		printf("%s\n", jstr(ret, "url"));
	json_object_put(ret);
	return 0;
}

const struct cmd cmds_weblogin[] = {
	{ "web-login", NULL, c_web_login, "[--json]" },
	{ NULL, NULL, NULL, NULL }
};
