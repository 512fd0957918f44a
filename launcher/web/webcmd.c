/*
 * qlaunch web: the web manager in the foreground (web.h).  Its options;
 * the rest is web_run's.
 */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "web.h"

static int
c_web(struct cli *cli, int argc, char **argv)
{
	struct web_opts o = {
		.listen = "127.0.0.1:8080",
		.assets = QLAUNCH_DATADIR "/qlaunch/web",
		.vendor = QLAUNCH_DATADIR "/qlaunch/web/vendor",
	};
	struct opt opts[] = {
		{ "listen", 1, &o.listen, NULL },
		{ "user", 1, &o.user, NULL },
		{ "tls-cert", 1, &o.cert, NULL },
		{ "tls-key", 1, &o.key, NULL },
		{ "audit-log", 1, &o.audit, NULL },
		{ "assets", 1, &o.assets, NULL },
		{ "vendor", 1, &o.vendor, NULL },
	};
	int first = cli_opts(cli, &argc, argv, opts, nitems(opts));
	char err[1024];

	cli_operands(cli, argc, first, 0);
	o.sock = cli->sock;
	if (web_run(&o, err, sizeof(err)) != 0)
		cli_die("web: %s", err);
	return 0;
}

const struct cmd cmds_web[] = {
	{ "web", NULL, c_web, "[--listen ADDR:PORT] [--user USER] "
	    "[--tls-cert FILE --tls-key FILE] [--audit-log FILE] "
	    "[--assets DIR] [--vendor DIR]" },
	{ NULL, NULL, NULL, NULL }
};
