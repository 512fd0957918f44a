/* qlaunch: heartbeat, what the supervisor read from the guest's ticks. */
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "util.h"

static double
jnum(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v != NULL ? json_object_get_double(v) : 0.0;
}

/* µs since the epoch as local time to the millisecond */
static void
when(char *buf, size_t len, long long us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03lld", us % 1000000 / 1000);
}

static int
c_heartbeat(struct cli *cli, int argc, char **argv)
{
	int json = 0, reset = 0;
	struct opt o[] = {
		{ "json", 0, NULL, &json },
		{ "reset", 0, NULL, &reset },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	char buf[64];

	cli_operands(cli, argc, first, 1);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "reset", json_object_new_boolean(reset));
	struct json_object *v = cli_call(cli, "heartbeat", a);
	if (json) {
		cli_print_json(v);
		json_object_put(v);
		return 0;
	}
	printf("%-14s %s\n", "Reading:", jbool(v, "connected") ? "yes" : "no");
	printf("%-14s %lld\n", "Ticks:", jint(v, "ticks", 0));
	if (jget(v, "ticks") != NULL && jint(v, "ticks", 0) > 0) {
		printf("%-14s %lld\n", "Missed:", jint(v, "missed", 0));
		printf("%-14s %.3f ms ago (tick %lld)\n", "Last tick:",
		    jnum(v, "since_last_ms"), jint(v, "last_seq", 0));
	}
	if (jget(v, "longest_gap_ms") != NULL) {
		when(buf, sizeof(buf), jint(v, "longest_gap_at_us", 0));
		printf("%-14s %.3f ms, ended %s by tick %lld (the guest's "
		    "clock: %.3f ms)\n", "Longest gap:",
		    jnum(v, "longest_gap_ms"), buf,
		    jint(v, "longest_gap_seq", 0),
		    jnum(v, "longest_gap_guest_ms"));
	}
	if (reset)
		printf("(statistics reset)\n");
	json_object_put(v);
	return 0;
}

const struct cmd cmds_heartbeat[] = {
	{ "heartbeat", NULL, c_heartbeat, "NAME [--reset] [--json]" },
	{ NULL, NULL, NULL, NULL }
};
