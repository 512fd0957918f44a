/*
 * qlaunch: the life cycle (start, shutdown, destroy, reboot, reset,
 * suspend, resume).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "xalloc.h"

/* shutdown and reboot without --wait's value wait this long */
#define SHUTDOWN_WAIT_S		300

/*
 * virsh's --mode of shutdown and reboot: a comma-separated list of
 * acpi, agent, initctl, signal, paravirt.  The ACPI power button and
 * the guest agent are there: the first of the list is used.
 */
static const char *
check_mode(struct cli *cli, const char *mode)
{
	char *copy = xstrdup(mode), *p = copy, *m;
	const char *first = NULL;

	while ((m = strsep(&p, ",")) != NULL) {
		if (strcmp(m, "acpi") != 0 && strcmp(m, "agent") != 0)
			cli_die("%s: mode '%s' is not supported; the modes are "
			    "acpi and agent", cli->cmd->name, m);
		if (first == NULL)
			first = strcmp(m, "agent") == 0 ? "agent" : "acpi";
	}
	free(copy);
	return first != NULL ? first : "acpi";
}

static int
c_start(struct cli *cli, int argc, char **argv)
{
	int paused = 0, console = 0;
	struct opt o[] = {
		{ "paused", 0, NULL, &paused },
		{ "console", 0, NULL, &console },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *a = cli_name_args(argv[first]);
	if (paused)
		json_object_object_add(a, "paused", json_object_new_boolean(1));
	json_object_put(cli_call(cli, "start", a));
	printf("VM %s started%s\n", argv[first], paused ? " (paused)" : "");
	if (console) {
		fflush(stdout);
		return cli_attach_console(cli, argv[first], 0, 1500);
	}
	return 0;
}

static int
c_shutdown(struct cli *cli, int argc, char **argv)
{
	const char *wait = NULL, *mode = NULL;
	int waitflag = 0, force = 0;
	long long secs = SHUTDOWN_WAIT_S;
	struct opt o[] = {
		{ "wait", 2, &wait, &waitflag },
		{ "force", 0, NULL, &force },
		{ "mode", 1, &mode, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	if (force && !waitflag)
		cli_usage_error(cli, "--force needs --wait: it destroys the VM "
		    "when the wait is over");
	if (mode != NULL)
		mode = check_mode(cli, mode);
	if (wait != NULL)
		secs = cli_num("--wait", wait, 1, 86400);
	struct json_object *a = cli_name_args(argv[first]);
	if (mode != NULL)
		json_object_object_add(a, "mode", json_object_new_string(mode));
	if (waitflag) {
		json_object_object_add(a, "wait", json_object_new_int64(secs));
		json_object_object_add(a, "force",
		    json_object_new_boolean(force));
	}
	struct json_object *ret = cli_call(cli, "shutdown", a);
	const char *reason = jstr(ret, "reason");
	if (!waitflag)
		printf("VM %s is shutting down\n", argv[first]);
	else if (reason != NULL && strncmp(reason, "destroyed", 9) == 0)
		printf("VM %s is shut off (destroyed after %lld s)\n",
		    argv[first], secs);
	else
		printf("VM %s is shut off\n", argv[first]);
	json_object_put(ret);
	return 0;
}

static int
c_destroy(struct cli *cli, int argc, char **argv)
{
	int graceful = 0;
	/* virsh's --graceful: ours asks QEMU to quit before any signal */
	struct opt o[] = { { "graceful", 0, NULL, &graceful } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	json_object_put(cli_call(cli, "destroy", cli_name_args(argv[first])));
	printf("VM %s destroyed\n", argv[first]);
	return 0;
}

static int
c_reboot(struct cli *cli, int argc, char **argv)
{
	const char *mode = NULL;
	struct opt o[] = { { "mode", 1, &mode, NULL } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *a = cli_name_args(argv[first]);
	if (mode != NULL)
		json_object_object_add(a, "mode", json_object_new_string(
		    check_mode(cli, mode)));
	json_object_put(cli_call(cli, "reboot", a));
	printf("VM %s is rebooting\n", argv[first]);
	return 0;
}

static int
c_reset(struct cli *cli, int argc, char **argv)
{
	return cli_simple(cli, argc, argv, "reset", "was reset");
}

static int
c_suspend(struct cli *cli, int argc, char **argv)
{
	return cli_simple(cli, argc, argv, "suspend", "suspended");
}

static int
c_resume(struct cli *cli, int argc, char **argv)
{
	return cli_simple(cli, argc, argv, "resume", "resumed");
}

const struct cmd cmds_life[] = {
	{ "start", NULL, c_start, "NAME [--paused] [--console]" },
	{ "shutdown", NULL, c_shutdown, "NAME [--wait[=SECONDS] [--force]] "
	    "[--mode acpi|agent]" },
	{ "destroy", NULL, c_destroy, "NAME [--graceful]" },
	{ "reboot", NULL, c_reboot, "NAME [--mode acpi|agent]" },
	{ "reset", NULL, c_reset, "NAME" },
	{ "suspend", NULL, c_suspend, "NAME" },
	{ "resume", NULL, c_resume, "NAME" },
	{ NULL, NULL, NULL, NULL }
};
