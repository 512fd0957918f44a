/*
 * qlaunch dirtyrate: the guest's dirty rate as QEMU measures it
 * (calc-dirty-rate), with a progress bar while it measures.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"

static int
c_dirtyrate(struct cli *cli, int argc, char **argv)
{
	static const char *const modes[] = { "page-sampling", "dirty-bitmap",
	    "dirty-ring", NULL };
	int json = 0;
	const char *seconds = NULL, *mode = NULL;
	struct opt o[] = {
		{ "seconds", 1, &seconds, NULL },
		{ "mode", 1, &mode, NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *a = cli_name_args(argv[first]);
	if (seconds != NULL)
		json_object_object_add(a, "seconds", json_object_new_int64(
		    cli_num("--seconds", seconds, 1, 60)));
	if (mode != NULL) {
		cli_one_of(cli, "--mode", mode, modes);
		json_object_object_add(a, "mode", json_object_new_string(mode));
	}
	struct json_object *ret = cli_call_progress(cli, "dirtyrate", a, json);
	if (json) {
		cli_print_json(ret);
		json_object_put(ret);
		return 0;
	}
	printf("%-20s %s\n", "Mode:", jstr_or(ret, "mode", "?"));
	printf("%-20s %lld s\n", "Measured for:", jint(ret, "calc_time_s", 0));
	printf("%-20s %lld MiB/s\n", "Dirty rate:", jint(ret,
	    "dirty_rate_mib_s", 0));
	struct json_object *v = jget(ret, "vcpus");
	for (size_t i = 0; v != NULL && i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		char label[32];
		snprintf(label, sizeof(label), "vCPU %lld:", jint(e, "id", 0));
		printf("%-20s %lld MiB/s\n", label, jint(e, "dirty_rate_mib_s",
		    0));
	}
	json_object_put(ret);
	return 0;
}

const struct cmd cmds_dirtyrate[] = {
	{ "dirtyrate", "domdirtyrate-calc", c_dirtyrate, "NAME [--seconds N] "
	    "[--mode page-sampling|dirty-bitmap|dirty-ring] [--json]" },
	{ NULL, NULL, NULL, NULL }
};
