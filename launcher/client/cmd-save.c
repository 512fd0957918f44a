/*
 * qlaunch: save and restore, with virsh's words and flags.  The
 * supervisor does the work (the file is opened there, with the caller's
 * rights); this shows its progress on a terminal and, with --verbose,
 * the figures domjobinfo would show at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"


static void
print_figures(struct json_object *s)
{
	long long ms = jint(s, "time_elapsed_ms", 0);
	long long data = jint(s, "data_processed", 0);
	char b[32];

	printf("%-17s %-12lld ms\n", "Time elapsed:", ms);
	cli_size_str(data, b, sizeof(b));
	printf("%-17s %s\n", "Data processed:", b);
	cli_size_str(jint(s, "memory_processed", 0), b, sizeof(b));
	printf("%-17s %s\n", "Memory processed:", b);
	cli_size_str(jint(s, "memory_total", 0), b, sizeof(b));
	printf("%-17s %s\n", "Memory total:", b);
	cli_size_str(jint(s, "file_size", 0), b, sizeof(b));
	printf("%-17s %s\n", "File size:", b);
	printf("%-17s %-12lld ms\n", "Total downtime:", jint(s, "downtime_ms",
	    0));
	cli_size_str(ms > 0 ? data * 1000 / ms : 0, b, sizeof(b));
	printf("%-17s %s/s\n", "Throughput:", b);
}

static void
state_args(struct cli *cli, struct json_object *a, int running, int paused,
    int bypass)
{
	if (running && paused)
		cli_usage_error(cli, "--running and --paused are mutually "
		    "exclusive");
	json_object_object_add(a, "running", json_object_new_boolean(running));
	json_object_object_add(a, "paused", json_object_new_boolean(paused));
	json_object_object_add(a, "bypass_cache", json_object_new_boolean(
	    bypass));
}

static int
c_save(struct cli *cli, int argc, char **argv)
{
	int bypass = 0, running = 0, paused = 0, verbose = 0, json = 0;
	struct opt o[] = {
		{ "bypass-cache", 0, NULL, &bypass },
		{ "running", 0, NULL, &running },
		{ "paused", 0, NULL, &paused },
		{ "verbose", 0, NULL, &verbose },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 2);
	struct json_object *a = cli_name_args(argv[first]);
	char *file = cli_abs_path(argv[first + 1]);
	json_object_object_add(a, "file", json_object_new_string(file));
	state_args(cli, a, running, paused, bypass);
	struct json_object *ret = cli_call_progress(cli, "save", a, json);
	if (json)
		cli_print_json(ret);
	else {
		printf("\nDomain '%s' saved to %s\n", argv[first], file);
		if (verbose)
			print_figures(ret);
	}
	free(file);
	json_object_put(ret);
	return 0;
}

static int
c_restore(struct cli *cli, int argc, char **argv)
{
	int bypass = 0, running = 0, paused = 0, json = 0;
	struct opt o[] = {
		{ "bypass-cache", 0, NULL, &bypass },
		{ "running", 0, NULL, &running },
		{ "paused", 0, NULL, &paused },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *a = json_object_new_object();
	char *file = cli_abs_path(argv[first]);
	json_object_object_add(a, "file", json_object_new_string(file));
	state_args(cli, a, running, paused, bypass);
	struct json_object *ret = cli_call_progress(cli, "restore", a, json);
	if (json)
		cli_print_json(ret);
	else
		printf("Domain restored from %s\n", file);
	free(file);
	json_object_put(ret);
	return 0;
}

const struct cmd cmds_save[] = {
	{ "save", NULL, c_save, "NAME FILE [--bypass-cache] "
	    "[--running | --paused] [--verbose] [--json]" },
	{ "restore", NULL, c_restore, "FILE [--bypass-cache] "
	    "[--running | --paused] [--json]" },
	{ NULL, NULL, NULL, NULL }
};
