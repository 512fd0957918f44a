/*
 * qlaunch: the guest agent's commands.  agent (virsh qemu-agent-command),
 * agent-info (virsh guestinfo), set-user-password, fsfreeze and fsthaw
 * (virsh domfsfreeze, domfsthaw).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "util.h"

/* --timeout S into the request */
static void
add_timeout(struct cli *cli, struct json_object *a, const char *t)
{
	char *end;
	long s;

	if (t == NULL)
		return;
	s = strtol(t, &end, 10);
	if (*t == '\0' || *end != '\0' || s < 1 || s > 3600)
		cli_usage_error(cli, "--timeout: '%s' is not a number of seconds "
		    "(1 to 3600)", t);
	json_object_object_add(a, "timeout", json_object_new_int((int)s));
}

/*
 * The options every agent command takes, --timeout S and one flag, then
 * n operands: the request {"name", "timeout"}; *firstp the first operand.
 */
static struct json_object *
agent_args(struct cli *cli, int argc, char **argv, const char *flag,
    int *flagp, int n, int *firstp)
{
	const char *timeout = NULL;
	struct opt o[] = {
		{ "timeout", 1, &timeout, NULL },
		{ flag, 0, NULL, flagp },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, n);
	struct json_object *a = cli_name_args(argv[first]);
	add_timeout(cli, a, timeout);
	*firstp = first;
	return a;
}

static int
c_agent(struct cli *cli, int argc, char **argv)
{
	int pretty = 0, first;
	struct json_object *a = agent_args(cli, argc, argv, "pretty", &pretty,
	    2, &first);

	json_object_object_add(a, "command",
	    json_object_new_string(argv[first + 1]));
	struct json_object *v = cli_call(cli, "agent", a);
	/* virsh prints the agent's whole reply */
	struct json_object *out = json_object_new_object();
	json_object_object_add(out, "return", v);
	if (pretty)
		cli_print_json(out);
	else
		printf("%s\n", json_object_to_json_string_ext(out,
		    JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	return 0;
}

static void
size_text(char *buf, size_t len, struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (v == NULL)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f MiB",
		    (double)json_object_get_int64(v) / (1024.0 * 1024.0));
}

/* One line on stderr for each part the agent did not give. */
static void
part_errors(struct json_object *v)
{
	struct json_object *errs = jget(v, "errors");

	fflush(stdout);
	for (size_t i = 0; errs != NULL && json_object_is_type(errs,
	    json_type_array) && i < json_object_array_length(errs); i++) {
		struct json_object *e = json_object_array_get_idx(errs, i);
		fprintf(stderr, "qlaunch: agent-info: %s: %s\n",
		    jstr_or(e, "command", "?"), jstr_or(e, "error", "?"));
	}
}

static int
c_agent_info(struct cli *cli, int argc, char **argv)
{
	int json = 0, first;
	struct json_object *a = agent_args(cli, argc, argv, "json", &json, 1,
	    &first);
	struct json_object *v = cli_call(cli, "agent-info", a);
	if (json) {
		cli_print_json(v);
		part_errors(v);
		json_object_put(v);
		return 0;
	}
	struct json_object *os = jget(v, "os"), *users = jget(v, "users"),
	    *fs = jget(v, "filesystems");
	printf("%-12s %s\n", "OS:", jstr_or(os, "pretty-name",
	    jstr_or(os, "name", "-")));
	printf("%-12s %s %s\n", "Kernel:", jstr_or(os, "kernel-release", "-"),
	    jstr_or(os, "machine", ""));
	printf("%-12s %s\n", "Hostname:", jstr_or(v, "hostname", "-"));
	printf("%-12s", "Users:");
	for (size_t i = 0; users != NULL && i < json_object_array_length(users);
	    i++)
		printf(" %s", jstr_or(json_object_array_get_idx(users, i),
		    "user", "?"));
	printf("\n%-12s %zu\n", "Filesystems:", fs != NULL ?
	    json_object_array_length(fs) : 0);
	for (size_t i = 0; fs != NULL && i < json_object_array_length(fs);
	    i++) {
		struct json_object *f = json_object_array_get_idx(fs, i);
		char used[32], total[32];

		size_text(used, sizeof(used), f, "used-bytes");
		size_text(total, sizeof(total), f, "total-bytes");
		printf("  %-20s %-10s %-10s %12s used of %s\n",
		    jstr_or(f, "mountpoint", "?"), jstr_or(f, "name", "?"),
		    jstr_or(f, "type", "?"), used, total);
	}
	part_errors(v);
	json_object_put(v);
	return 0;
}

static int
c_set_user_password(struct cli *cli, int argc, char **argv)
{
	int crypted = 0, first;
	struct json_object *a = agent_args(cli, argc, argv, "encrypted",
	    &crypted, 3, &first);

	json_object_object_add(a, "user", json_object_new_string(argv[first + 1]));
	json_object_object_add(a, "password",
	    json_object_new_string(argv[first + 2]));
	json_object_object_add(a, "crypted", json_object_new_boolean(crypted));
	json_object_put(cli_call(cli, "set-user-password", a));
	printf("Password set successfully for %s in %s\n", argv[first + 1],
	    argv[first]);
	return 0;
}

static int
freeze_thaw(struct cli *cli, int argc, char **argv, const char *cmd,
    const char *done)
{
	int json = 0, first;
	struct json_object *a = agent_args(cli, argc, argv, "json", &json, 1,
	    &first);
	struct json_object *v = cli_call(cli, cmd, a);
	if (json)
		cli_print_json(v);
	else
		printf("%s %lld filesystem(s)\n", done, jint(v, "filesystems", 0));
	json_object_put(v);
	return 0;
}

static int
c_fsfreeze(struct cli *cli, int argc, char **argv)
{
	return freeze_thaw(cli, argc, argv, "fsfreeze", "Froze");
}

static int
c_fsthaw(struct cli *cli, int argc, char **argv)
{
	return freeze_thaw(cli, argc, argv, "fsthaw", "Thawed");
}

const struct cmd cmds_agent[] = {
	{ "agent", "qemu-agent-command", c_agent,
	    "NAME 'JSON' [--timeout S] [--pretty]" },
	{ "agent-info", "guestinfo", c_agent_info,
	    "NAME [--timeout S] [--json]" },
	{ "set-user-password", NULL, c_set_user_password,
	    "NAME USER PASSWORD [--encrypted] [--timeout S]" },
	{ "fsfreeze", "domfsfreeze", c_fsfreeze, "NAME [--timeout S] [--json]" },
	{ "fsthaw", "domfsthaw", c_fsthaw, "NAME [--timeout S] [--json]" },
	{ NULL, NULL, NULL, NULL }
};
