/*
 * qlaunch: definitions (create, define, dumpconfig, edit, undefine,
 * rename, cmdline, autostart).
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "util.h"
#include "vmdef.h"
#include "xalloc.h"

/* --key value and --key=value become definition settings. */
static int
c_create(struct cli *cli, int argc, char **argv)
{
	struct json_object *set = json_object_new_object();
	const char *name = NULL;
	int start = 0, paused = 0, console = 0;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (a[0] == '-' && a[1] != '-')
			cli_die("create: unknown option %s (options are --KEY "
			    "VALUE)", a);
		if (strncmp(a, "--", 2) != 0) {
			if (name != NULL)
				cli_die("create: unexpected argument '%s'", a);
			name = a;
			continue;
		}
		char key[64];
		const char *val = NULL, *eq = strchr(a, '=');
		size_t klen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (klen >= sizeof(key))
			cli_die("create: unknown option %s", a);
		memcpy(key, a + 2, klen);
		key[klen] = '\0';
		/* --console alone attaches; --console serial|none is the key */
		int attach = strcmp(key, "console") == 0 && eq == NULL &&
		    (i + 1 >= argc || (strcmp(argv[i + 1], "serial") != 0 &&
		    strcmp(argv[i + 1], "none") != 0));
		if (strcmp(key, "start") == 0 || strcmp(key, "paused") == 0 ||
		    attach) {
			if (eq != NULL)
				cli_die("create: --%s takes no value", key);
			if (strcmp(key, "start") == 0)
				start = 1;
			else if (strcmp(key, "paused") == 0)
				paused = start = 1;
			else
				console = start = 1;
			continue;
		}
		int b;
		if (strcmp(key, "autostart") == 0 && eq == NULL &&
		    (i + 1 >= argc || parse_bool(argv[i + 1], &b) == -1)) {
			json_object_object_add(set, "autostart",
			    json_object_new_string("yes"));
			continue;
		}
		/* virt-install's spellings */
		if (strcmp(key, "ram") == 0)
			strlcpy(key, "memory", sizeof(key));
		if (strcmp(key, "qemu-commandline") == 0)
			strlcpy(key, "qemu-arg", sizeof(key));
		if (strcmp(key, "qemu-arg") != 0)
			for (char *p = key; *p; p++)
				if (*p == '-')
					*p = '_';
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			cli_die("create: --%s needs a value", key);
		if (strcmp(key, "name") == 0) {
			if (name != NULL)
				cli_die("create: the name is given twice");
			name = val;
			continue;
		}
		if (!vmdef_known_key(key))
			cli_die("create: unknown option --%.*s", (int)klen, a + 2);
		struct json_object *old;
		int repeats = vmdef_key_repeats(key);
		if (json_object_object_get_ex(set, key, &old)) {
			if (!repeats)
				cli_die("create: --%s given twice", key);
			json_object_array_add(old, json_object_new_string(val));
		} else if (repeats) {
			struct json_object *arr = json_object_new_array();
			json_object_array_add(arr, json_object_new_string(val));
			json_object_object_add(set, key, arr);
		} else
			json_object_object_add(set, key,
			    json_object_new_string(val));
	}
	if (name == NULL)
		cli_usage_exit(cli);
	struct json_object *args = cli_name_args(name);
	json_object_object_add(args, "settings", set);
	if (start)
		json_object_object_add(args, "start", json_object_new_boolean(1));
	if (paused)
		json_object_object_add(args, "paused", json_object_new_boolean(1));
	struct json_object *ret = cli_call(cli, "create", args);
	json_object_put(ret);
	printf("VM %s created%s\n", name, start ? paused ? " and started paused" :
	    " and started" : "");
	if (console) {
		fflush(stdout);
		return cli_attach_console(cli, name, 0, 1500);
	}
	return 0;
}

static char *
read_input(const char *path)
{
	char *text;

	if (strcmp(path, "-") == 0) {
		size_t cap = 65536, len = 0;
		ssize_t n;
		text = xreallocarray(NULL, cap, 1);
		while ((n = read(0, text + len, cap - len - 1)) != 0) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				cli_die("cannot read the standard input: %s",
				    strerror(errno));
			len += (size_t)n;
			if (cap - len < 2) {
				cap *= 2;
				text = xreallocarray(text, cap, 1);
			}
		}
		text[len] = '\0';
		return text;
	}
	if ((text = read_file(path, NULL)) == NULL)
		cli_die("cannot read %s: %s", path, strerror(errno));
	return text;
}

static int
c_define(struct cli *cli, int argc, char **argv)
{
	int first = cli_opts(cli, &argc, argv, NULL, 0);

	cli_operands(cli, argc, first, 1);
	char *text = read_input(argv[first]);
	struct json_object *args = json_object_new_object();
	json_object_object_add(args, "text", json_object_new_string(text));
	json_object_object_add(args, "file", json_object_new_string(
	    argv[first]));
	free(text);
	struct json_object *ret = cli_call(cli, "define", args);
	const char *n = jstr(ret, "name");
	printf("VM %s %s from %s\n", n != NULL ? n : "?",
	    jbool(ret, "replaced") ? "redefined" : "defined", argv[first]);
	json_object_put(ret);
	return 0;
}

static int
c_dumpconfig(struct cli *cli, int argc, char **argv)
{
	int first = cli_opts(cli, &argc, argv, NULL, 0);

	cli_operands(cli, argc, first, 1);
	struct json_object *ret = cli_call(cli, "dumpconfig",
	    cli_name_args(argv[first]));
	const char *t = jstr(ret, "text");
	fputs(t != NULL ? t : "", stdout);
	json_object_put(ret);
	return 0;
}

/* Run $EDITOR (split on blanks, no shell) on path; 0 if it exited 0. */
static int
run_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	char *words[16], *copy;
	int n = 0;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	copy = xstrdup(ed);
	for (char *t = strtok(copy, " \t"); t != NULL && n < 14;
	    t = strtok(NULL, " \t"))
		words[n++] = t;
	words[n++] = (char *)path;
	words[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		execvp(words[0], words);
		fprintf(stderr, "qlaunch: cannot run %s: %s\n", words[0],
		    strerror(errno));
		_exit(127);
	}
	int st;
	if (pid == -1 || waitpid(pid, &st, 0) == -1) {
		free(copy);
		return -1;
	}
	free(copy);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int
c_edit(struct cli *cli, int argc, char **argv)
{
	int first = cli_opts(cli, &argc, argv, NULL, 0);

	cli_operands(cli, argc, first, 1);
	const char *name = argv[first];
	struct json_object *ret = cli_call(cli, "dumpconfig",
	    cli_name_args(name));
	const char *t = jstr(ret, "text");
	char *orig = xstrdup(t != NULL ? t : "");
	json_object_put(ret);
	char path[] = "/tmp/qlaunch-edit.XXXXXX.conf";
	int fd = mkstemps(path, 5);
	if (fd == -1)
		cli_die("cannot create a temporary file: %s", strerror(errno));
	if (write_all(fd, orig, strlen(orig)) == -1)
		cli_die("cannot write %s: %s", path, strerror(errno));
	close(fd);
	for (;;) {
		if (run_editor(path) == -1) {
			unlink(path);
			cli_die("the editor failed; %s is unchanged", name);
		}
		char *text = read_file(path, NULL);
		if (text == NULL)
			cli_die("cannot read %s: %s", path, strerror(errno));
		if (strcmp(text, orig) == 0) {
			printf("VM %s unchanged\n", name);
			free(text);
			break;
		}
		struct json_object *args = json_object_new_object();
		json_object_object_add(args, "text", json_object_new_string(text));
		json_object_object_add(args, "file", json_object_new_string(path));
		/* edit changes this VM; renaming is rename's job */
		json_object_object_add(args, "name", json_object_new_string(name));
		free(text);
		if (cli_try(cli, "define", args, &ret) == 0) {
			json_object_put(ret);
			printf("VM %s changed\n", name);
			break;
		}
		/* the old definition stays; offer another go on a terminal */
		if (!isatty(0)) {
			unlink(path);
			fprintf(stderr, "qlaunch: %s keeps its old definition\n",
			    name);
			return 1;
		}
		fprintf(stderr, "Edit again? [y/N] ");
		char ans[16];
		if (fgets(ans, sizeof(ans), stdin) == NULL ||
		    (ans[0] != 'y' && ans[0] != 'Y')) {
			unlink(path);
			fprintf(stderr, "qlaunch: %s keeps its old definition\n",
			    name);
			return 1;
		}
	}
	unlink(path);
	free(orig);
	return 0;
}

static int
c_undefine(struct cli *cli, int argc, char **argv)
{
	return cli_simple(cli, argc, argv, "undefine", "undefined");
}

static int
c_rename(struct cli *cli, int argc, char **argv)
{
	int first = cli_opts(cli, &argc, argv, NULL, 0);

	cli_operands(cli, argc, first, 2);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "new_name",
	    json_object_new_string(argv[first + 1]));
	json_object_put(cli_call(cli, "rename", a));
	printf("VM %s renamed to %s\n", argv[first], argv[first + 1]);
	return 0;
}

static int
c_cmdline(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct opt o[] = { { "json", 0, NULL, &json } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *ret = cli_call(cli, "cmdline",
	    cli_name_args(argv[first]));
	struct json_object *a = jget(ret, "argv");
	if (json)
		cli_print_json(a);
	else
		for (size_t i = 0; i < json_object_array_length(a); i++)
			printf("%s\n", json_object_get_string(
			    json_object_array_get_idx(a, i)));
	json_object_put(ret);
	return 0;
}

static int
c_autostart(struct cli *cli, int argc, char **argv)
{
	int disable = 0;
	struct opt o[] = { { "disable", 0, NULL, &disable } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "disable", json_object_new_boolean(disable));
	json_object_put(cli_call(cli, "autostart", a));
	printf("VM %s %s\n", argv[first], disable ? "will not start with "
	    "qlaunchd" : "starts with qlaunchd");
	return 0;
}

const struct cmd cmds_def[] = {
	{ "create", NULL, c_create, "NAME [--memory SIZE[,maxmemory=SIZE]] "
	    "[--vcpus N[,maxvcpus=N,...]] [--cpu MODEL[,...]] [--machine TYPE] "
	    "[--accel kvm|tcg|auto] [--kernel PATH] [--initrd PATH] "
	    "[--append TEXT] [--boot hd,cdrom,...] [--graphics vnc,...|none] "
	    "[--qemu-arg ARG]... [--KEY VALUE]... [--autostart] [--start] "
	    "[--paused] [--console]" },
	{ "define", NULL, c_define, "FILE|-" },
	{ "dumpconfig", "dumpxml", c_dumpconfig, "NAME" },
	{ "edit", NULL, c_edit, "NAME" },
	{ "undefine", NULL, c_undefine, "NAME" },
	{ "rename", "domrename", c_rename, "NAME NEW-NAME" },
	{ "cmdline", NULL, c_cmdline, "NAME [--json]" },
	{ "autostart", NULL, c_autostart, "NAME [--disable]" },
	{ NULL, NULL, NULL, NULL }
};
