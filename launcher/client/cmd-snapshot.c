/*
 * qlaunch: snapshots, with virsh's names, flags and output:
 * snapshot-create-as, snapshot-list (the table, or --tree as virsh draws
 * it), snapshot-info, snapshot-current, snapshot-revert and
 * snapshot-delete.  Creating, reverting and deleting draw the
 * supervisor's progress events as a bar on a terminal (JSON lines with
 * --json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "table.h"
#include "xalloc.h"

static struct json_object *
snap_args(const char *domain, const char *snap)
{
	struct json_object *a = cli_name_args(domain);

	if (snap != NULL)
		json_object_object_add(a, "snapshot",
		    json_object_new_string(snap));
	return a;
}

/* ---- create, revert, delete ---- */

static int
c_create_as(struct cli *cli, int argc, char **argv)
{
	const char *v[2] = { NULL, NULL }, *desc = NULL;
	int disk_only = 0, atomic = 0, json = 0;
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "name", 1, &v[1], NULL },
		{ "description", 1, &desc, NULL },
		{ "disk-only", 0, NULL, &disk_only },
		{ "atomic", 0, NULL, &atomic },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, 2);
	struct json_object *a = snap_args(v[0], v[1]);
	if (desc != NULL)
		json_object_object_add(a, "description",
		    json_object_new_string(desc));
	json_object_object_add(a, "disk_only",
	    json_object_new_boolean(disk_only));
	/* every snapshot is atomic: all of the VM's disks, or none */
	json_object_object_add(a, "atomic", json_object_new_boolean(1));
	struct json_object *ret = cli_call_progress(cli, "snapshot-create", a,
	    json);
	if (json)
		cli_print_json(ret);
	else
		printf("Domain snapshot %s created\n", v[1]);
	json_object_put(ret);
	return 0;
}

static int
c_revert(struct cli *cli, int argc, char **argv)
{
	const char *v[2] = { NULL, NULL };
	int running = 0, paused = 0, current = 0, force = 0, json = 0;
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "snapshotname", 1, &v[1], NULL },
		{ "running", 0, NULL, &running },
		{ "paused", 0, NULL, &paused },
		{ "current", 0, NULL, &current },
		{ "force", 0, NULL, &force },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, current ? 1 : 2);
	if (running && paused)
		cli_usage_error(cli, "--running and --paused are mutually "
		    "exclusive");
	if (current && v[1] != NULL)
		cli_usage_error(cli, "--current and a snapshot name are "
		    "mutually exclusive");
	char *name = NULL;
	if (current) {
		struct json_object *c = cli_call(cli, "snapshot-current",
		    snap_args(v[0], NULL));
		name = xstrdup(jstr(c, "name"));
		json_object_put(c);
	}
	struct json_object *a = snap_args(v[0], name != NULL ? name : v[1]);
	json_object_object_add(a, "running", json_object_new_boolean(running));
	json_object_object_add(a, "paused", json_object_new_boolean(paused));
	json_object_object_add(a, "force", json_object_new_boolean(force));
	struct json_object *ret = cli_call_progress(cli, "snapshot-revert", a,
	    json);
	if (json)
		cli_print_json(ret);
	json_object_put(ret);
	free(name);
	return 0;
}

static int
c_delete(struct cli *cli, int argc, char **argv)
{
	const char *v[2] = { NULL, NULL };
	int json = 0;
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "snapshotname", 1, &v[1], NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, 2);
	struct json_object *ret = cli_call_progress(cli, "snapshot-delete",
	    snap_args(v[0], v[1]), json);
	if (json)
		cli_print_json(ret);
	else
		printf("Domain snapshot %s deleted\n", v[1]);
	json_object_put(ret);
	return 0;
}

/* ---- reading ---- */

/* virsh's "2024-01-15 10:20:30 +0100" */
static void
creation(struct json_object *o, char *buf, size_t len)
{
	time_t t = (time_t)jint(o, "creationTime", 0);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		strlcpy(buf, "-", len);
}

/* virsh's tree: a child under its parent after a "|" line, "+- NAME". */
static void
tree(struct json_object *all, size_t me, size_t last, int root, char *indent,
    size_t len)
{
	const char *name = jstr(json_object_array_get_idx(all, me), "name");
	size_t n = json_object_array_length(all), mark = strlen(indent);
	size_t lastchild = (size_t)-1;

	printf("%s%s%s\n", indent, root ? "" : "+- ", name);
	if (!root)
		strlcat(indent, me == last ? "  " : "| ", len);
	for (size_t i = 0; i < n; i++) {
		const char *p = jstr(json_object_array_get_idx(all, i),
		    "parent");
		if (p != NULL && strcmp(p, name) == 0)
			lastchild = i;
	}
	if (lastchild != (size_t)-1)
		printf("%s  |\n", indent);
	size_t mark2 = strlen(indent);
	strlcat(indent, "  ", len);
	for (size_t i = 0; i < n; i++) {
		const char *p = jstr(json_object_array_get_idx(all, i),
		    "parent");
		if (p != NULL && strcmp(p, name) == 0)
			tree(all, i, lastchild, 0, indent, len);
	}
	indent[mark2] = '\0';
	if (lastchild == (size_t)-1 && me == last)
		printf("%s\n", indent);
	indent[mark] = '\0';
}

/* Is the parent of o among the snapshots?  (else o is a root) */
static int
has_parent(struct json_object *all, struct json_object *o)
{
	const char *p = jstr(o, "parent");

	for (size_t i = 0; p != NULL && i < json_object_array_length(all); i++)
		if (strcmp(jstr(json_object_array_get_idx(all, i), "name"),
		    p) == 0)
			return 1;
	return 0;
}

static int
c_list(struct cli *cli, int argc, char **argv)
{
	const char *v[1] = { NULL };
	int as_tree = 0, json = 0, names = 0;
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "tree", 0, NULL, &as_tree },
		{ "json", 0, NULL, &json },
		{ "name", 0, NULL, &names },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	char when[64], indent[1024] = "";

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	if (as_tree + json + names > 1)
		cli_usage_error(cli, "--tree, --name and --json are mutually "
		    "exclusive");
	struct json_object *all = cli_call(cli, "snapshot-list",
	    cli_name_args(v[0]));
	if (!json_object_is_type(all, json_type_array))
		cli_die("the snapshot list from qlaunchd is not an array");
	size_t n = json_object_array_length(all);
	if (json)
		cli_print_json(all);
	else if (as_tree) {
		for (size_t i = 0; i < n; i++)
			if (!has_parent(all, json_object_array_get_idx(all, i)))
				tree(all, i, i, 1, indent, sizeof(indent));
	} else if (names) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", jstr_or(json_object_array_get_idx(all,
			    i), "name", "-"));
	} else {
		struct table *t = table_new(3, "Name", "Creation Time",
		    "State");
		for (size_t i = 0; i < n; i++) {
			struct json_object *s = json_object_array_get_idx(all,
			    i);
			creation(s, when, sizeof(when));
			table_row(t, jstr_or(s, "name", "-"), when, jstr_or(s, "state", "-"));
		}
		table_print(t, stdout);
		table_free(t);
	}
	json_object_put(all);
	return 0;
}

static void
print_info(struct json_object *s)
{
	static const struct {
		const char	*label, *key;
	} rows[] = {
		{ "Name:", "name" },
		{ "Domain:", "domain" },
		{ "Current:", "current" },
		{ "State:", "state" },
		{ "Location:", "location" },
		{ "Parent:", "parent" },
		{ "Children:", "children" },
		{ "Descendants:", "descendants" },
		{ "Metadata:", NULL },
	};

	for (size_t i = 0; i < nitems(rows); i++) {
		struct json_object *v = rows[i].key != NULL ?
		    jget(s, rows[i].key) : NULL;
		const char *text;
		if (rows[i].key == NULL)
			text = "yes";	/* the supervisor keeps every one's */
		else if (json_object_is_type(v, json_type_boolean))
			text = json_object_get_boolean(v) ? "yes" : "no";
		else if (v == NULL)
			text = "-";
		else
			text = json_object_get_string(v);
		printf("%-15s %s\n", rows[i].label, text);
	}
}

static int
c_info(struct cli *cli, int argc, char **argv)
{
	const char *v[2] = { NULL, NULL };
	int current = 0, json = 0;
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "snapshotname", 1, &v[1], NULL },
		{ "current", 0, NULL, &current },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, current ? 1 : 2);
	if (current && v[1] != NULL)
		cli_usage_error(cli, "--current and a snapshot name are "
		    "mutually exclusive");
	struct json_object *s = cli_call(cli, current ? "snapshot-current" :
	    "snapshot-info", snap_args(v[0], v[1]));
	if (json)
		cli_print_json(s);
	else
		print_info(s);
	json_object_put(s);
	return 0;
}

static int
c_current(struct cli *cli, int argc, char **argv)
{
	const char *v[1] = { NULL };
	int name = 0, json = 0;
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "name", 0, NULL, &name },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *s = cli_call(cli, "snapshot-current",
	    cli_name_args(v[0]));
	if (json)
		cli_print_json(s);
	else if (name)
		printf("%s\n", jstr_or(s, "name", "-"));
	else
		print_info(s);
	json_object_put(s);
	return 0;
}

const struct cmd cmds_snapshot[] = {
	{ "snapshot-create-as", NULL, c_create_as, "NAME SNAPSHOT "
	    "[--description TEXT] [--disk-only] [--atomic] [--json]" },
	{ "snapshot-list", NULL, c_list, "NAME [--tree | --name | --json]" },
	{ "snapshot-info", NULL, c_info, "NAME SNAPSHOT|--current [--json]" },
	{ "snapshot-current", NULL, c_current, "NAME [--name] [--json]" },
	{ "snapshot-revert", NULL, c_revert, "NAME SNAPSHOT|--current "
	    "[--running | --paused] [--force] [--json]" },
	{ "snapshot-delete", NULL, c_delete, "NAME SNAPSHOT [--json]" },
	{ NULL, NULL, NULL, NULL }
};
