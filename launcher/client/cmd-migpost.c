/* qlaunch migrate-postcopy (virsh's): a migration switches to postcopy now. */
#include <stdio.h>

#include "cli.h"

static int
c_migrate_postcopy(struct cli *cli, int argc, char **argv)
{
	return cli_simple(cli, argc, argv, "migrate-postcopy",
	    "switches to postcopy");
}

const struct cmd cmds_migpost[] = {
	{ "migrate-postcopy", NULL, c_migrate_postcopy, "NAME" },
	{ NULL, NULL, NULL, NULL }
};
