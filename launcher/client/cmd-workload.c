/*
 * qlaunch workload NAME start|stop|status: the test guest's qlstress,
 * through its serial console (workload.h).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "workload.h"

struct wl_args {
	struct cli	*cli;
	const char	*name;
	const char	*size, *rate;
	int		 json;
};

static int
wl_start(struct wl_args *w)
{
	char err[512];
	long long size = cli_num("--size", w->size != NULL ? w->size : "64", 1,
	    1 << 20);
	long long rate = cli_num("--rate", w->rate != NULL ? w->rate : "0", 0,
	    1 << 20);

	if (workload_start(w->cli->sock, w->name, size, rate, err,
	    sizeof(err)) == -1)
		cli_die("%s", err);
	printf("workload started in '%s': %lld MiB at %s\n", w->name, size,
	    rate == 0 ? "full speed" : w->rate);
	return 0;
}

static int
wl_stop(struct wl_args *w)
{
	char err[512];
	int was;

	if (workload_stop(w->cli->sock, w->name, &was, err, sizeof(err)) == -1)
		cli_die("%s", err);
	if (!was)
		cli_die("no workload runs in '%s'", w->name);
	printf("workload stopped in '%s'\n", w->name);
	return 0;
}

static int
wl_status(struct wl_args *w)
{
	char err[512];
	struct json_object *o = workload_status(w->cli->sock, w->name, err,
	    sizeof(err));

	if (o == NULL)
		cli_die("%s", err);
	if (w->json)
		cli_print_json(o);
	else if (!jbool(o, "running"))
		printf("%-20s no\n", "Running:");
	else {
		printf("%-20s yes (pid %lld)\n", "Running:", jint(o, "pid", 0));
		printf("%-20s %lld MiB\n", "Size:", jint(o, "size_mib", 0));
		printf("%-20s %lld MiB/s%s\n", "Rate asked:", jint(o,
		    "rate_mib_s", 0), jint(o, "rate_mib_s", 0) == 0 ?
		    " (full speed)" : "");
		if (jget(o, "measured_mib_s") != NULL)
			printf("%-20s %.1f MiB/s\n", "Rate measured:",
			    json_object_get_double(jget(o, "measured_mib_s")));
		if (jget(o, "t_ms") != NULL)
			printf("%-20s %lld s\n", "Running for:", jint(o, "t_ms",
			    0) / 1000);
	}
	json_object_put(o);
	return 0;
}

static const struct {
	const char	*name;
	int		(*fn)(struct wl_args *);
	int		 takes_size;
} actions[] = {
	{ "start",	wl_start,	1 },
	{ "stop",	wl_stop,	0 },
	{ "status",	wl_status,	0 },
};

static int
c_workload(struct cli *cli, int argc, char **argv)
{
	struct wl_args w = { cli, NULL, NULL, NULL, 0 };
	struct opt o[] = {
		{ "size", 1, &w.size, NULL },
		{ "rate", 1, &w.rate, NULL },
		{ "json", 0, NULL, &w.json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 2);
	w.name = argv[first];
	for (size_t i = 0; i < nitems(actions); i++) {
		if (strcmp(argv[first + 1], actions[i].name) != 0)
			continue;
		if (!actions[i].takes_size && (w.size != NULL ||
		    w.rate != NULL))
			cli_usage_error(cli, "--size and --rate go with start");
		if (w.json && actions[i].fn != wl_status)
			cli_usage_error(cli, "--json goes with status");
		cli_connect(cli);	/* starts the supervisor if need be */
		return actions[i].fn(&w);
	}
	cli_usage_error(cli, "no action '%s' (start, stop or status)",
	    argv[first + 1]);
}

const struct cmd cmds_workload[] = {
	{ "workload", NULL, c_workload, "NAME start [--size MiB] "
	    "[--rate MiB/s] | stop | status [--json]" },
	{ NULL, NULL, NULL, NULL }
};
