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
#include "names.h"
#include "util.h"
#include "virtinst.h"
#include "vmdef.h"
#include "xalloc.h"

/* Print what create would send: the definition's lines. */
static void
print_definition(const struct virtinst *vi)
{
	printf("name: %s\n", vi->name);
	json_object_object_foreach(vi->settings, key, val) {
		if (!json_object_is_type(val, json_type_array)) {
			printf("%s: %s\n", key, json_object_get_string(val));
			continue;
		}
		for (size_t i = 0; i < json_object_array_length(val); i++)
			printf("%s: %s\n", key, json_object_get_string(
			    json_object_array_get_idx(val, i)));
	}
	/* the install: arguments of create, not definition keys */
	json_object_object_foreach(vi->args, akey, aval)
		printf("# %s: %s\n", akey, json_object_get_string(aval));
}

/* --dry-run: the settings checked here, as the supervisor checks them. */
static void
check_definition(const struct virtinst *vi)
{
	struct vmdef *d = vmdef_new();
	char err[1024];

	strlcpy(d->name, vi->name, sizeof(d->name));
	json_object_object_foreach(vi->settings, key, val) {
		int arr = json_object_is_type(val, json_type_array);
		size_t n = arr ? json_object_array_length(val) : 1;
		for (size_t i = 0; i < n; i++)
			if (vmdef_set(d, key, json_object_get_string(arr ?
			    json_object_array_get_idx(val, i) : val), err,
			    sizeof(err)) == -1)
				cli_die("%s", err);
	}
	if (vmdef_check(d, err, sizeof(err)) == -1)
		cli_die("%s", err);
	vmdef_free(d);
}

static int
is_off(const char *state)
{
	return state != NULL && (strcmp(state, "shut off") == 0 ||
	    strcmp(state, "crashed") == 0);
}

/*
 * virt-install's --wait: until the VM is shut off, min minutes (< 0:
 * for ever).  On a connection of its own, as a console may have taken
 * the first.
 */
static void
wait_shutoff(struct cli *cli, const char *name, long long min)
{
	int64_t end = min < 0 ? 0 : mono_ms() + min * 60000;
	struct json_object *st, *ev;
	int off;

	if (cli->connected) {
		client_close(&cli->conn);
		cli->connected = 0;
	}
	json_object_put(cli_call(cli, "subscribe", cli_name_args(name)));
	st = cli_call(cli, "state", cli_name_args(name));
	off = is_off(jstr(st, "state"));
	json_object_put(st);
	while (!off) {
		int64_t t0 = mono_ms();
		int chunk = 60000;
		if (end != 0 && end - t0 < chunk)
			chunk = (int)(end - t0);
		if (chunk <= 0)
			break;
		if ((ev = client_next_event(&cli->conn, chunk)) == NULL) {
			if (mono_ms() - t0 < chunk)
				cli_die("qlaunchd closed the connection");
			continue;
		}
		const char *e = jstr(ev, "event");
		if (e != NULL && strcmp(e, EV_VM_STATE) == 0)
			off = is_off(jstr(jget(ev, "data"), "state"));
		json_object_put(ev);
	}
	if (!off)
		cli_die("VM %s is still running after %lld minute%s", name,
		    min, min == 1 ? "" : "s");
	printf("VM %s is shut off\n", name);
}

/* create takes virt-install's flags (virtinst.c). */
static int
c_create(struct cli *cli, int argc, char **argv)
{
	struct virtinst vi;
	char err[1024];
	int r = virtinst_parse(argc, argv, &vi, err, sizeof(err));

	if (r == VI_USAGE)
		cli_usage_error(cli, "%s", err);
	if (r != VI_OK)
		cli_die("create: %s", err);
	for (size_t i = 0; i < vi.nwarnings; i++)
		fprintf(stderr, "qlaunch: warning: %s\n", vi.warnings[i]);
	if (vi.print)
		print_definition(&vi);
	else if (vi.dry_run)
		check_definition(&vi);
	if (vi.print || vi.dry_run) {
		virtinst_free(&vi);
		return 0;
	}
	struct json_object *args = cli_name_args(vi.name);
	json_object_object_add(args, "settings", json_object_get(vi.settings));
	json_object_object_foreach(vi.args, key, val)
		json_object_object_add(args, key, json_object_get(val));
	if (vi.start)
		json_object_object_add(args, "start", json_object_new_boolean(1));
	if (vi.paused)
		json_object_object_add(args, "paused", json_object_new_boolean(1));
	json_object_put(cli_call(cli, "create", args));
	printf("VM %s created%s\n", vi.name, vi.start ? vi.paused ?
	    " and started paused" : " and started" : "");
	if (vi.attach) {
		fflush(stdout);
		cli_attach_console(cli, vi.name, 0, 1500);
	}
	if (vi.wait) {
		fflush(stdout);
		wait_shutoff(cli, vi.name, vi.wait_min);
	}
	virtinst_free(&vi);
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
	const char *incoming = NULL;
	struct opt o[] = { { "json", 0, NULL, &json },
	    { "incoming", 1, &incoming, NULL } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *args = cli_name_args(argv[first]);
	if (incoming != NULL)
		json_object_object_add(args, "incoming",
		    json_object_new_string(incoming));
	struct json_object *ret = cli_call(cli, "cmdline", args);
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
	{ "create", "virt-install", c_create, "[NAME | --name NAME] "
	    "[--memory SIZE[,...]] [--vcpus N[,...]] [--cpu MODEL] "
	    "[--machine TYPE] [--virt-type kvm|qemu] [--disk SPEC]... "
	    "[--network SPEC]... [--graphics vnc,...|none] [--nographics] "
	    "[--os-variant NAME] [--cdrom ISO | --location ISO "
	    "[--extra-args TEXT] | --import] [--boot ...] [--KEY VALUE]... "
	    "[--autostart] [--start] [--paused] [--console] [--noautoconsole] "
	    "[--wait [MIN]] [--print-xml] [--dry-run]" },
	{ "define", NULL, c_define, "FILE|-" },
	{ "dumpconfig", "dumpxml", c_dumpconfig, "NAME" },
	{ "edit", NULL, c_edit, "NAME" },
	{ "undefine", NULL, c_undefine, "NAME" },
	{ "rename", "domrename", c_rename, "NAME NEW-NAME" },
	{ "cmdline", NULL, c_cmdline, "NAME [--incoming URI] [--json]" },
	{ "autostart", NULL, c_autostart, "NAME [--disable]" },
	{ NULL, NULL, NULL, NULL }
};
