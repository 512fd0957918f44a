/* qlaunch: QMP and HMP pass-through, and events (qmp, hmp, events). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "util.h"

static int	c_hmp(struct cli *, int, char **);

static int
c_qmp(struct cli *cli, int argc, char **argv)
{
	int hmp = 0;
	struct opt o[] = { { "hmp", 0, NULL, &hmp } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 2);
	/* virsh qemu-monitor-command --hmp: the human monitor's line */
	if (hmp)
		return c_hmp(cli, argc, argv);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req = json_tokener_parse_ex(tok, argv[first + 1],
	    (int)strlen(argv[first + 1])), *ex, *args;
	if (req == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(req, json_type_object))
		cli_die("qmp: not a JSON object: %s", argv[first + 1]);
	json_tokener_free(tok);
	if (!json_object_object_get_ex(req, "execute", &ex) ||
	    !json_object_is_type(ex, json_type_string))
		cli_die("qmp: the object needs \"execute\" with a command name");
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "command", json_object_get(ex));
	if (json_object_object_get_ex(req, "arguments", &args))
		json_object_object_add(a, "arguments", json_object_get(args));
	json_object_put(req);
	struct json_object *ret = cli_call(cli, "qmp", a);
	cli_print_json(ret);
	json_object_put(ret);
	return 0;
}

static int
c_hmp(struct cli *cli, int argc, char **argv)
{
	int first = cli_opts(cli, &argc, argv, NULL, 0);

	cli_operands(cli, argc, first, 2);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "command",
	    json_object_new_string(argv[first + 1]));
	struct json_object *ret = cli_call(cli, "hmp", a);
	if (json_object_is_type(ret, json_type_string))
		fputs(json_object_get_string(ret), stdout);
	json_object_put(ret);
	return 0;
}

/* One event as a line of text: time stamp, VM, event, data. */
static void
print_event(struct json_object *ev)
{
	struct json_object *ts = jget(ev, "timestamp"), *d = jget(ev, "data");
	const char *vm = jstr(ev, "vm"), *name = jstr(ev, "event");

	printf("%lld.%06lld %s %s", jint(ts, "seconds", 0),
	    jint(ts, "microseconds", 0), vm != NULL ? vm : "-",
	    name != NULL ? name : "?");
	if (d != NULL)
		printf(" %s", json_object_to_json_string_ext(d,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	printf("\n");
}

static int
c_events(struct cli *cli, int argc, char **argv)
{
	const char *timeout = NULL;
	int json = 0;
	struct opt o[] = {
		{ "json", 0, NULL, &json },
		{ "timeout", 1, &timeout, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	long long secs = 0;

	if (timeout != NULL)
		secs = cli_num("--timeout", timeout, 1, 86400);
	/* {} for every VM, {"name"} for one, {"names": [...]} for several */
	struct json_object *a;
	if (argc - first == 1)
		a = cli_name_args(argv[first]);
	else {
		a = json_object_new_object();
		if (argc - first > 1) {
			struct json_object *names = json_object_new_array();
			for (int i = first; i < argc; i++)
				json_object_array_add(names,
				    json_object_new_string(argv[i]));
			json_object_object_add(a, "names", names);
		}
	}
	json_object_put(cli_call(cli, "subscribe", a));
	setvbuf(stdout, NULL, _IOLBF, 0);
	int64_t end = secs > 0 ? mono_ms() + secs * 1000 : 0;
	for (;;) {
		int left = end ? (int)(end - mono_ms()) : -1;
		if (end && left <= 0)
			break;
		struct json_object *ev = client_next_event(&cli->conn, left);
		if (ev == NULL) {
			if (end && mono_ms() >= end)
				break;
			cli_die("qlaunchd closed the connection");
		}
		if (json)
			printf("%s\n", json_object_to_json_string_ext(ev,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_event(ev);
		json_object_put(ev);
	}
	return 0;
}

const struct cmd cmds_qmp[] = {
	{ "qmp", "qemu-monitor-command", c_qmp, "NAME '{\"execute\": ...}' | "
	    "NAME --hmp 'COMMAND'" },
	{ "hmp", NULL, c_hmp, "NAME 'COMMAND'" },
	{ "events", "qemu-monitor-event", c_events, "[NAME...] [--json] "
	    "[--timeout SECONDS]" },
	{ NULL, NULL, NULL, NULL }
};
