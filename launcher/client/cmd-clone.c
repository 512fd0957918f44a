/*
 * qlaunch: clone (virsh-like operands) and virt-clone's own spelling,
 * and move-disk.  The supervisor copies the images and defines the
 * clone; this draws the copy's progress on a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"

/*
 * --file PATH may come more than once (one per disk, in order): taken out
 * of argv here, before cli_opts, which keeps one value per option.  -f is
 * virt-clone's short spelling.
 */
static struct json_object *
take_files(int *argcp, char **argv, int short_f)
{
	struct json_object *files = json_object_new_array();
	int argc = *argcp, n = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (strcmp(a, "--") == 0) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (strncmp(a, "--file=", 7) == 0)
			v = a + 7;
		else if ((strcmp(a, "--file") == 0 || (short_f &&
		    strcmp(a, "-f") == 0)) && i + 1 < argc)
			v = argv[++i];
		if (v == NULL) {
			argv[n++] = argv[i];
			continue;
		}
		char *p = cli_abs_path(v);
		json_object_array_add(files, json_object_new_string(p));
		free(p);
	}
	*argcp = n;
	return files;
}

static int
do_clone(struct cli *cli, const char *src, const char *dst, int linked,
    struct json_object *files, int need_files, int json)
{
	struct json_object *a = cli_name_args(src);

	json_object_object_add(a, "require_files", json_object_new_boolean(
	    need_files));
	json_object_object_add(a, "new_name", json_object_new_string(dst));
	json_object_object_add(a, "linked", json_object_new_boolean(linked));
	json_object_object_add(a, "files", files);
	struct json_object *ret = cli_call_progress(cli, "clone", a, json);
	if (json)
		cli_print_json(ret);
	else
		printf("Clone '%s' created successfully.\n", dst);
	json_object_put(ret);
	return 0;
}

static int
c_clone(struct cli *cli, int argc, char **argv)
{
	int linked = 0, json = 0;
	struct opt o[] = {
		{ "linked", 0, NULL, &linked },
		{ "json", 0, NULL, &json },
	};
	struct json_object *files = take_files(&argc, argv, 0);
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	if (argc - first != 2) {
		json_object_put(files);
		cli_usage_exit(cli);
	}
	return do_clone(cli, argv[first], argv[first + 1], linked, files, 0,
	    json);
}

/* virt-clone's short options, as its long ones */
static const struct {
	const char	*shortname;
	const char	*longname;
} vc_short[] = {
	{ "-o", "--original" },
	{ "-n", "--name" },
};

static int
c_virt_clone(struct cli *cli, int argc, char **argv)
{
	const char *orig = NULL, *name = NULL;
	int autoc = 0, json = 0;
	struct opt o[] = {
		{ "original", 1, &orig, NULL },
		{ "name", 1, &name, NULL },
		{ "auto-clone", 0, NULL, &autoc },
		{ "json", 0, NULL, &json },
	};

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		for (size_t k = 0; k < nitems(vc_short); k++)
			if (strcmp(argv[i], vc_short[k].shortname) == 0)
				argv[i] = (char *)vc_short[k].longname;
	struct json_object *files = take_files(&argc, argv, 1);
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	char generated[80];

	if (argc != first || orig == NULL) {
		json_object_put(files);
		cli_usage_error(cli, "--original is needed");
	}
	if (name == NULL && !autoc) {
		json_object_put(files);
		cli_usage_error(cli, "--name is needed (or --auto-clone)");
	}
	if (name == NULL) {
		/* virt-clone's own choice: SRC-clone */
		snprintf(generated, sizeof(generated), "%s-clone", orig);
		name = generated;
	}
	/* without --auto-clone, every disk needs its --file */
	return do_clone(cli, orig, name, 0, files, !autoc, json);
}

static int
c_move_disk(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct opt o[] = {
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 3);
	struct json_object *a = cli_name_args(argv[first]);
	char *path = cli_abs_path(argv[first + 2]);
	json_object_object_add(a, "target", json_object_new_string(
	    argv[first + 1]));
	json_object_object_add(a, "path", json_object_new_string(path));
	struct json_object *ret = cli_call_progress(cli, "move-disk", a, json);
	if (json)
		cli_print_json(ret);
	else
		printf("Disk %s moved to %s%s\n", argv[first + 1], path,
		    jbool(ret, "copied") ? " (copied across file systems)" :
		    "");
	free(path);
	json_object_put(ret);
	return 0;
}

const struct cmd cmds_clone[] = {
	{ "clone", NULL, c_clone, "NAME NEWNAME [--linked] [--file PATH]... "
	    "[--json]" },
	{ "virt-clone", NULL, c_virt_clone, "--original NAME "
	    "[--name NEWNAME] [--auto-clone] [--file PATH]... [--json]" },
	{ "move-disk", NULL, c_move_disk, "NAME TARGET NEWPATH [--json]" },
	{ NULL, NULL, NULL, NULL }
};
