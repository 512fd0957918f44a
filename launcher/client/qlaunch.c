/*
 * qlaunch: the client.  Each area of commands lives in its own cmd-*.c
 * with its table of commands (name, virsh alias, handler, usage); this
 * file lists the areas, finds a command by its name, its alias or a
 * unique prefix of its name, and runs it.  Every command talks to
 * qlaunchd over its control socket, starting it when nothing answers.
 * Errors: one line on stderr, exit status 1; usage errors exit 2.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "util.h"

extern const struct cmd cmds_def[];
extern const struct cmd cmds_life[];
extern const struct cmd cmds_read[];
extern const struct cmd cmds_console[];
extern const struct cmd cmds_mem[];
extern const struct cmd cmds_cpu[];	/* cmd-cpu.c */
extern const struct cmd cmds_iothread[];	/* cmd-iothread.c */
extern const struct cmd cmds_heartbeat[];
extern const struct cmd cmds_agent[];
extern const struct cmd cmds_disk[];
extern const struct cmd cmds_nic[];
extern const struct cmd cmds_snapshot[];
extern const struct cmd cmds_save[];
extern const struct cmd cmds_migrate[];
extern const struct cmd cmds_migpost[];
extern const struct cmd cmds_migbench[];
extern const struct cmd cmds_dirtyrate[];
extern const struct cmd cmds_stats[], cmds_top[];
extern const struct cmd cmds_workload[];
extern const struct cmd cmds_clone[];
extern const struct cmd cmds_display[];
extern const struct cmd cmds_qmp[];
extern const struct cmd cmds_image[];
extern const struct cmd cmds_iface[];
extern const struct cmd cmds_host[];
extern const struct cmd cmds_net[];
extern const struct cmd cmds_proxy[];
extern const struct cmd cmds_memhp[];	/* cmd-memhp.c */
extern const struct cmd cmds_webcon[];	/* cmd-webcon.c */
extern const struct cmd cmds_weblogin[];	/* cmd-web.c */
extern const struct cmd cmds_web[];	/* web/webcmd.c */

/* The areas, in the order qlaunch -h lists them. */
static const struct cmd *const areas[] = {
	cmds_def,
	cmds_life,
	cmds_read,
	cmds_console,
	cmds_webcon,
	cmds_mem,
	cmds_memhp,
	cmds_heartbeat,
	cmds_agent,
	cmds_disk,
	cmds_cpu,
	cmds_iothread,
	cmds_nic,
	cmds_snapshot,
	cmds_save,
	cmds_migrate,
	cmds_migpost,
	cmds_migbench,
	cmds_dirtyrate,
	cmds_stats,
	cmds_top,
	cmds_workload,
	cmds_clone,
	cmds_display,
	cmds_net,
	cmds_qmp,
	cmds_image,
	cmds_iface,
	cmds_host,
	cmds_proxy,
	cmds_web,
	cmds_weblogin,
};

#define FOREACH_CMD(c) \
	for (size_t a_ = 0; a_ < nitems(areas); a_++) \
		for (const struct cmd *c = areas[a_]; c->name != NULL; c++)

static void
list_cmds(FILE *f)
{
	FOREACH_CMD(c)
		fprintf(f, "  %-11s %s\n", c->name, c->usage);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: qlaunch [-hNV] [-c socket] command "
	    "[arguments]\ncommands:\n");
	list_cmds(stderr);
	exit(2);
}

/* By name or alias, else by a prefix of one name only. */
static const struct cmd *
find_cmd(const char *name)
{
	const struct cmd *match = NULL;
	size_t n = strlen(name);
	int nmatch = 0;

	FOREACH_CMD(c) {
		if (strcmp(c->name, name) == 0 ||
		    (c->alias != NULL && strcmp(c->alias, name) == 0))
			return c;
		if (strncmp(c->name, name, n) == 0) {
			match = c;
			nmatch++;
		}
	}
	if (nmatch > 1) {
		fprintf(stderr, "qlaunch: '%s' is ambiguous:", name);
		FOREACH_CMD(c)
			if (strncmp(c->name, name, n) == 0)
				fprintf(stderr, " %s", c->name);
		fputc('\n', stderr);
		exit(2);
	}
	return match;
}

int
main(int argc, char *argv[])
{
	int ch;
	const char *sock = NULL;
	struct cli cli;

	memset(&cli, 0, sizeof(cli));
	cli.autostart = getenv("QLAUNCH_NO_AUTOSTART") == NULL;
	while ((ch = getopt(argc, argv, "+c:hNV")) != -1) {
		switch (ch) {
		case 'c':
			sock = optarg;
			break;
		case 'N':
			cli.autostart = 0;
			break;
		case 'V':
			printf("qlaunch %s\n", QLAUNCH_VERSION);
			return 0;
		case 'h':
			printf("usage: qlaunch [-hNV] [-c socket] command "
			    "[arguments]\ncommands:\n");
			list_cmds(stdout);
			printf("see qlaunch(1)\n");
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (sock != NULL) {
		if (strlcpy(cli.sock, sock, sizeof(cli.sock)) >= sizeof(cli.sock))
			cli_die("%s: too long", sock);
	} else if (default_socket(cli.sock, sizeof(cli.sock), 1) == -1)
		cli_die("the control socket path is too long; give one with -c");
	signal(SIGPIPE, SIG_IGN);

	if ((cli.cmd = find_cmd(argv[0])) == NULL) {
		fprintf(stderr, "qlaunch: unknown command '%s' (qlaunch -h lists "
		    "them)\n", argv[0]);
		return 2;
	}
	int r = cli.cmd->fn(&cli, argc, argv);
	if (cli.connected)
		client_close(&cli.conn);
	return r;
}
