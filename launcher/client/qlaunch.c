/*
 * qlaunch: the client.  One table of commands (name, virsh alias,
 * handler, usage); a unique prefix of a name is accepted.  Every command
 * talks to qlaunchd over its control socket, starting it when nothing
 * answers.  Errors: one line on stderr, exit status 1.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "config.h"
#include "hostcheck.h"
#include "util.h"
#include "vmdef.h"

struct cli *C;

struct cmd {
	const char	*name;
	const char	*alias;		/* virsh's name, if it differs */
	int		(*fn)(int, char **);
	const char	*usage;
};

static const struct cmd *cur;

void
cli_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "qlaunch: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void
cli_usage_exit(void)
{
	fprintf(stderr, "usage: qlaunch %s %s\n", cur->name, cur->usage);
	exit(2);
}

void
cli_connect(void)
{
	char err[512];

	if (C->connected)
		return;
	if (client_open(&C->conn, C->sock, C->autostart, err, sizeof(err)) == -1)
		cli_die("%s", err);
	C->connected = 1;
}

int
cli_try(const char *cmd, struct json_object *args, struct json_object **ret)
{
	char eclass[64], edesc[2048];

	cli_connect();
	if (client_call(&C->conn, cmd, args, ret, eclass, sizeof(eclass), edesc,
	    sizeof(edesc), NULL, NULL) == -1) {
		/* QEMU's errors keep their class; ours read as sentences */
		if (C->conn.error_from_qemu)
			fprintf(stderr, "qlaunch: %s: %s\n", eclass, edesc);
		else
			fprintf(stderr, "qlaunch: %s\n", edesc);
		return -1;
	}
	return 0;
}

struct json_object *
cli_call(const char *cmd, struct json_object *args)
{
	struct json_object *ret;

	if (cli_try(cmd, args, &ret) == -1)
		exit(1);
	return ret;
}

struct json_object *
cli_name_args(const char *name)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "name", json_object_new_string(name));
	return a;
}

void
cli_print_json(struct json_object *o)
{
	printf("%s\n", o == NULL ? "{}" : json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * Options of one command ("--json", "--all", "--wait[=N]", ...), before
 * or after the operands.  The operands are moved to argv[1..] and *argcp
 * becomes 1 + their number; the return value is 1, the first operand.
 * An unknown option ends the program with the usage line.
 */
struct opt {
	const char	*name;
	int		 has_arg;	/* 0 none, 1 required, 2 optional (=) */
	const char	**val;		/* argument */
	int		*flag;
};

static int
parse_opts(int *argcp, char **argv, struct opt *opts, int nopts)
{
	int argc = *argcp, nops = 1, dashdash = 0;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (dashdash || strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (!dashdash && strcmp(a, "--") == 0) {
				dashdash = 1;
				continue;
			}
			argv[nops++] = a;
			continue;
		}
		char *eq = strchr(a, '=');
		size_t klen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		int k;
		for (k = 0; k < nopts; k++)
			if (strlen(opts[k].name) == klen &&
			    strncmp(opts[k].name, a + 2, klen) == 0)
				break;
		if (k == nopts) {
			fprintf(stderr, "qlaunch %s: unknown option %s (usage: "
			    "qlaunch %s %s)\n", cur->name, a, cur->name,
			    cur->usage);
			exit(2);
		}
		if (opts[k].flag != NULL)
			*opts[k].flag = 1;
		if (opts[k].has_arg == 0 && eq != NULL)
			cli_die("%s: %s takes no value", cur->name, a);
		if (opts[k].has_arg == 1 && eq == NULL) {
			if (i + 1 >= argc)
				cli_die("%s: --%s needs a value", cur->name,
				    opts[k].name);
			*opts[k].val = argv[++i];
		} else if (eq != NULL)
			*opts[k].val = eq + 1;
	}
	*argcp = nops;
	return 1;
}

static void
need_operands(int argc, int first, int n)
{
	if (argc - first != n)
		cli_usage_exit();
}

static long long
num_arg(const char *what, const char *s, long long min, long long max)
{
	long long v;
	const char *e;

	if (parse_uint(s, min, max, &v, &e) == -1)
		cli_die("%s '%s': %s", what, s, e);
	return v;
}

/* ---- definitions ---- */

/* --key value and --key=value become definition settings. */
static int
c_create(int argc, char **argv)
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
		if (json_object_object_get_ex(set, key, &old)) {
			if (strcmp(key, "qemu-arg") != 0)
				cli_die("create: --%s given twice", key);
			json_object_array_add(old, json_object_new_string(val));
		} else if (strcmp(key, "qemu-arg") == 0) {
			struct json_object *arr = json_object_new_array();
			json_object_array_add(arr, json_object_new_string(val));
			json_object_object_add(set, key, arr);
		} else
			json_object_object_add(set, key,
			    json_object_new_string(val));
	}
	if (name == NULL)
		cli_usage_exit();
	struct json_object *args = cli_name_args(name);
	json_object_object_add(args, "settings", set);
	if (start)
		json_object_object_add(args, "start", json_object_new_boolean(1));
	if (paused)
		json_object_object_add(args, "paused", json_object_new_boolean(1));
	struct json_object *ret = cli_call("create", args);
	json_object_put(ret);
	printf("VM %s created%s\n", name, start ? paused ? " and started paused" :
	    " and started" : "");
	if (console) {
		fflush(stdout);
		return cli_console(name, 0, 1500);
	}
	return 0;
}

static char *
read_input(const char *path)
{
	char *text;

	if (strcmp(path, "-") == 0) {
		size_t cap = 65536, len = 0;
		text = malloc(cap);
		ssize_t n;
		while (text != NULL && (n = read(0, text + len, cap - len - 1)) > 0) {
			len += (size_t)n;
			if (cap - len < 2) {
				cap *= 2;
				text = realloc(text, cap);
			}
		}
		if (text != NULL)
			text[len] = '\0';
		return text;
	}
	if ((text = read_file(path, NULL)) == NULL)
		cli_die("cannot read %s: %s", path, strerror(errno));
	return text;
}

static int
c_define(int argc, char **argv)
{
	int first = parse_opts(&argc, argv, NULL, 0);

	need_operands(argc, first, 1);
	char *text = read_input(argv[first]);
	struct json_object *args = json_object_new_object();
	json_object_object_add(args, "text", json_object_new_string(text));
	json_object_object_add(args, "file", json_object_new_string(
	    argv[first]));
	free(text);
	struct json_object *ret = cli_call("define", args), *n, *r;
	json_object_object_get_ex(ret, "name", &n);
	json_object_object_get_ex(ret, "replaced", &r);
	printf("VM %s %s from %s\n", json_object_get_string(n),
	    json_object_get_boolean(r) ? "redefined" : "defined", argv[first]);
	json_object_put(ret);
	return 0;
}

static int
c_dumpconfig(int argc, char **argv)
{
	int first = parse_opts(&argc, argv, NULL, 0);

	need_operands(argc, first, 1);
	struct json_object *ret = cli_call("dumpconfig",
	    cli_name_args(argv[first])), *t;
	json_object_object_get_ex(ret, "text", &t);
	fputs(json_object_get_string(t), stdout);
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
c_edit(int argc, char **argv)
{
	int first = parse_opts(&argc, argv, NULL, 0);

	need_operands(argc, first, 1);
	const char *name = argv[first];
	struct json_object *ret = cli_call("dumpconfig", cli_name_args(name)),
	    *t;
	json_object_object_get_ex(ret, "text", &t);
	char *orig = xstrdup(json_object_get_string(t));
	json_object_put(ret);
	char path[] = "/tmp/qlaunch-edit.XXXXXX.conf";
	int fd = mkstemps(path, 5);
	if (fd == -1)
		cli_die("cannot create a temporary file: %s", strerror(errno));
	if (write(fd, orig, strlen(orig)) != (ssize_t)strlen(orig))
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
		if (cli_try("define", args, &ret) == 0) {
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
c_simple(int argc, char **argv, const char *cmd, const char *done)
{
	int first = parse_opts(&argc, argv, NULL, 0);

	need_operands(argc, first, 1);
	json_object_put(cli_call(cmd, cli_name_args(argv[first])));
	if (done != NULL)
		printf("VM %s %s\n", argv[first], done);
	return 0;
}

static int
c_undefine(int argc, char **argv)
{
	return c_simple(argc, argv, "undefine", "undefined");
}

static int
c_rename(int argc, char **argv)
{
	int first = parse_opts(&argc, argv, NULL, 0);

	need_operands(argc, first, 2);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "new_name",
	    json_object_new_string(argv[first + 1]));
	json_object_put(cli_call("rename", a));
	printf("VM %s renamed to %s\n", argv[first], argv[first + 1]);
	return 0;
}

static int
c_cmdline(int argc, char **argv)
{
	struct opt o[] = { { "json", 0, NULL, &C->json } };
	int first = parse_opts(&argc, argv, o, 1);

	need_operands(argc, first, 1);
	struct json_object *ret = cli_call("cmdline", cli_name_args(argv[first])),
	    *a;
	json_object_object_get_ex(ret, "argv", &a);
	if (C->json)
		cli_print_json(a);
	else
		for (size_t i = 0; i < json_object_array_length(a); i++)
			printf("%s\n", json_object_get_string(
			    json_object_array_get_idx(a, i)));
	json_object_put(ret);
	return 0;
}

static int
c_autostart(int argc, char **argv)
{
	int disable = 0;
	struct opt o[] = { { "disable", 0, NULL, &disable } };
	int first = parse_opts(&argc, argv, o, 1);

	need_operands(argc, first, 1);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "disable", json_object_new_boolean(disable));
	json_object_put(cli_call("autostart", a));
	printf("VM %s %s\n", argv[first], disable ? "will not start with "
	    "qlaunchd" : "starts with qlaunchd");
	return 0;
}

/* ---- lifecycle ---- */

static int
c_start(int argc, char **argv)
{
	int paused = 0, console = 0;
	struct opt o[] = {
		{ "paused", 0, NULL, &paused },
		{ "console", 0, NULL, &console },
	};
	int first = parse_opts(&argc, argv, o, 2);

	need_operands(argc, first, 1);
	struct json_object *a = cli_name_args(argv[first]);
	if (paused)
		json_object_object_add(a, "paused", json_object_new_boolean(1));
	json_object_put(cli_call("start", a));
	printf("VM %s started%s\n", argv[first], paused ? " (paused)" : "");
	if (console) {
		fflush(stdout);
		return cli_console(argv[first], 0, 1500);
	}
	return 0;
}

static int
c_shutdown(int argc, char **argv)
{
	const char *wait = NULL;
	int waitflag = 0;
	struct opt o[] = { { "wait", 2, &wait, &waitflag } };
	int first = parse_opts(&argc, argv, o, 1);

	need_operands(argc, first, 1);
	struct json_object *a = cli_name_args(argv[first]);
	if (waitflag)
		json_object_object_add(a, "wait", json_object_new_int64(
		    wait != NULL ? num_arg("--wait", wait, 1, 86400) : 300));
	json_object_put(cli_call("shutdown", a));
	printf("VM %s %s\n", argv[first], waitflag ? "is shut off" :
	    "is shutting down");
	return 0;
}

static int
c_destroy(int argc, char **argv)
{
	return c_simple(argc, argv, "destroy", "destroyed");
}

static int
c_reboot(int argc, char **argv)
{
	return c_simple(argc, argv, "reboot", "is rebooting");
}

static int
c_reset(int argc, char **argv)
{
	return c_simple(argc, argv, "reset", "was reset");
}

static int
c_suspend(int argc, char **argv)
{
	return c_simple(argc, argv, "suspend", "suspended");
}

static int
c_resume(int argc, char **argv)
{
	return c_simple(argc, argv, "resume", "resumed");
}

/* ---- reading ---- */

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static long long
jint(struct json_object *o, const char *key, long long dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return dflt;
	return json_object_get_int64(v);
}

static void
fmt_duration(long long s, char *buf, size_t len)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 172800)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

static int
c_list(int argc, char **argv)
{
	int all = 0;
	struct opt o[] = {
		{ "all", 0, NULL, &all },
		{ "json", 0, NULL, &C->json },
	};
	int first = parse_opts(&argc, argv, o, 2);

	need_operands(argc, first, 0);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "all", json_object_new_boolean(all));
	struct json_object *ret = cli_call("list", a);
	if (C->json) {
		cli_print_json(ret);
		json_object_put(ret);
		return 0;
	}
	printf(" %-24s %-14s %-8s %s\n", "Name", "State", "PID", "Uptime");
	printf("%s\n", "-------------------------------------------------------"
	    "-----");
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *v = json_object_array_get_idx(ret, i);
		char up[32], pid[16];
		fmt_duration(jint(v, "uptime_s", -1), up, sizeof(up));
		long long p = jint(v, "pid", -1);
		snprintf(pid, sizeof(pid), p > 0 ? "%lld" : "-", p);
		printf(" %-24s %-14s %-8s %s\n", jstr(v, "name"),
		    jstr(v, "state"), pid, up);
	}
	json_object_put(ret);
	return 0;
}

static int
c_info(int argc, char **argv)
{
	struct opt o[] = { { "json", 0, NULL, &C->json } };
	int first = parse_opts(&argc, argv, o, 1);

	need_operands(argc, first, 1);
	struct json_object *v = cli_call("info", cli_name_args(argv[first]));
	if (C->json) {
		cli_print_json(v);
		json_object_put(v);
		return 0;
	}
	char buf[64];
	printf("%-14s %s\n", "Name:", jstr(v, "name"));
	printf("%-14s %s\n", "UUID:", jstr(v, "uuid"));
	printf("%-14s %s (%s)\n", "State:", jstr(v, "state"), jstr(v, "reason"));
	if (jint(v, "pid", -1) > 0) {
		printf("%-14s %lld\n", "PID:", jint(v, "pid", 0));
		fmt_duration(jint(v, "uptime_s", -1), buf, sizeof(buf));
		printf("%-14s %s\n", "Uptime:", buf);
	}
	printf("%-14s %lld (max %lld)\n", "CPU(s):", jint(v, "vcpus", 0),
	    jint(v, "maxvcpus", 0));
	if (jint(v, "cpu_time_ms", -1) >= 0)
		printf("%-14s %.1fs\n", "CPU time:",
		    (double)jint(v, "cpu_time_ms", 0) / 1000.0);
	printf("%-14s %lld MiB (max %lld MiB)\n", "Memory:",
	    jint(v, "memory_mib", 0), jint(v, "maxmemory_mib", 0));
	if (jint(v, "balloon_mib", -1) >= 0)
		printf("%-14s %lld MiB\n", "Balloon:", jint(v, "balloon_mib", 0));
	printf("%-14s %s\n", "Accelerator:", jstr(v, "accel"));
	if (jstr(v, "qemu_version") != NULL)
		printf("%-14s %s (%s)\n", "QEMU:", jstr(v, "qemu_version"),
		    jstr(v, "emulator"));
	if (jstr(v, "vnc") != NULL)
		printf("%-14s %s\n", "VNC:", jstr(v, "vnc"));
	printf("%-14s %s\n", "Autostart:", jint(v, "autostart", 0) ? "yes" :
	    "no");
	if (jstr(v, "owner") != NULL)
		printf("%-14s %s\n", "Owner:", jstr(v, "owner"));
	if (jint(v, "exit_code", -1) != -1)
		printf("%-14s %lld\n", "Exit code:", jint(v, "exit_code", 0));
	if (jint(v, "exit_signal", -1) != -1)
		printf("%-14s %lld\n", "Exit signal:", jint(v, "exit_signal", 0));
	if (jstr(v, "crash_console") != NULL && *jstr(v, "crash_console"))
		printf("Last console lines:\n%s\n", jstr(v, "crash_console"));
	json_object_put(v);
	return 0;
}

static int
c_state(int argc, char **argv)
{
	int reason = 0;
	struct opt o[] = {
		{ "json", 0, NULL, &C->json },
		{ "reason", 0, NULL, &reason },
	};
	int first = parse_opts(&argc, argv, o, 2);

	need_operands(argc, first, 1);
	struct json_object *v = cli_call("state", cli_name_args(argv[first]));
	if (C->json)
		cli_print_json(v);
	else if (reason)
		printf("%s (%s)\n", jstr(v, "state"), jstr(v, "reason"));
	else
		printf("%s\n", jstr(v, "state"));
	json_object_put(v);
	return 0;
}

static int
c_vncdisplay(int argc, char **argv)
{
	struct opt o[] = { { "json", 0, NULL, &C->json } };
	int first = parse_opts(&argc, argv, o, 1);

	need_operands(argc, first, 1);
	struct json_object *v = cli_call("vncdisplay",
	    cli_name_args(argv[first]));
	if (C->json)
		cli_print_json(v);
	else
		printf("%s:%lld\n", jstr(v, "listen"), jint(v, "display", 0));
	json_object_put(v);
	return 0;
}

static int
c_console(int argc, char **argv)
{
	int log = 0;
	const char *timeout = NULL, *quiet = NULL;
	struct opt o[] = {
		{ "log", 0, NULL, &log },
		{ "timeout", 1, &timeout, NULL },
		{ "quiet", 1, &quiet, NULL },
	};
	int first = parse_opts(&argc, argv, o, 3);

	need_operands(argc, first, 1);
	if (log) {
		struct json_object *v = cli_call("console-log",
		    cli_name_args(argv[first]));
		fputs(jstr(v, "log"), stdout);
		json_object_put(v);
		return 0;
	}
	return cli_console(argv[first],
	    timeout ? (int)num_arg("--timeout", timeout, 1, 86400) : 0,
	    quiet ? (int)num_arg("--quiet", quiet, 1, 3600000) : 1500);
}

/* ---- memory ---- */

static int
c_setmem(int argc, char **argv)
{
	int first = parse_opts(&argc, argv, NULL, 0);
	uint64_t bytes;
	const char *e;

	need_operands(argc, first, 2);
	if (parse_size(argv[first + 1], &bytes, &e) == -1)
		cli_die("setmem: '%s': %s", argv[first + 1], e);
	if (bytes % (1 << 20) != 0 || bytes == 0)
		cli_die("setmem: '%s' is not a whole number of MiB",
		    argv[first + 1]);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "size_mib",
	    json_object_new_int64((int64_t)(bytes >> 20)));
	json_object_put(cli_call("setmem", a));
	printf("VM %s balloon target %llu MiB\n", argv[first],
	    (unsigned long long)(bytes >> 20));
	return 0;
}

static int
c_memstat(int argc, char **argv)
{
	struct opt o[] = { { "json", 0, NULL, &C->json } };
	int first = parse_opts(&argc, argv, o, 1);

	need_operands(argc, first, 1);
	struct json_object *v = cli_call("memstat", cli_name_args(argv[first])),
	    *st;
	if (C->json) {
		cli_print_json(v);
		json_object_put(v);
		return 0;
	}
	printf("%-20s %lld\n", "actual", jint(v, "actual_kib", 0));
	/* guest statistics in KiB, as virsh dommemstat prints them */
	static const struct { const char *qemu, *virsh; } map[] = {
		{ "stat-swap-in", "swap_in" },
		{ "stat-swap-out", "swap_out" },
		{ "stat-major-faults", "major_fault" },
		{ "stat-minor-faults", "minor_fault" },
		{ "stat-free-memory", "unused" },
		{ "stat-total-memory", "available" },
		{ "stat-available-memory", "usable" },
		{ "stat-disk-caches", "disk_caches" },
	};
	if (json_object_object_get_ex(v, "stats", &st)) {
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			long long x = jint(st, map[i].qemu, -1);
			if (x < 0)
				continue;
			/* QEMU gives bytes, virsh prints KiB; faults are counts */
			int bytes = strstr(map[i].qemu, "faults") == NULL;
			printf("%-20s %lld\n", map[i].virsh, bytes ? x / 1024 : x);
		}
		if (jint(v, "last_update", 0) > 0)
			printf("%-20s %lld\n", "last_update",
			    jint(v, "last_update", 0));
	}
	json_object_put(v);
	return 0;
}

/* ---- pass-through ---- */

static int
c_qmp(int argc, char **argv)
{
	int first = parse_opts(&argc, argv, NULL, 0);

	need_operands(argc, first, 2);
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
	struct json_object *ret = cli_call("qmp", a);
	cli_print_json(ret);
	json_object_put(ret);
	return 0;
}

static int
c_hmp(int argc, char **argv)
{
	int first = parse_opts(&argc, argv, NULL, 0);

	need_operands(argc, first, 2);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "command",
	    json_object_new_string(argv[first + 1]));
	struct json_object *ret = cli_call("hmp", a);
	fputs(json_object_get_string(ret), stdout);
	json_object_put(ret);
	return 0;
}

static int
c_events(int argc, char **argv)
{
	const char *timeout = NULL;
	struct opt o[] = {
		{ "json", 0, NULL, &C->json },
		{ "timeout", 1, &timeout, NULL },
	};
	int first = parse_opts(&argc, argv, o, 2);

	if (argc - first > 1)
		cli_usage_exit();
	struct json_object *a = argc - first == 1 ?
	    cli_name_args(argv[first]) : json_object_new_object();
	json_object_put(cli_call("subscribe", a));
	setvbuf(stdout, NULL, _IOLBF, 0);
	int64_t end = timeout ? mono_ms() + num_arg("--timeout", timeout, 1,
	    86400) * 1000 : 0;
	for (;;) {
		int left = end ? (int)(end - mono_ms()) : -1;
		if (end && left <= 0)
			break;
		struct json_object *ev = client_next_event(&C->conn, left);
		if (ev == NULL) {
			if (end && mono_ms() >= end)
				break;
			cli_die("qlaunchd closed the connection");
		}
		if (C->json)
			printf("%s\n", json_object_to_json_string_ext(ev,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		else {
			struct json_object *ts, *d;
			long long sec = 0, us = 0;
			if (json_object_object_get_ex(ev, "timestamp", &ts)) {
				sec = jint(ts, "seconds", 0);
				us = jint(ts, "microseconds", 0);
			}
			printf("%lld.%06lld %s %s", sec, us, jstr(ev, "vm") ?
			    jstr(ev, "vm") : "-", jstr(ev, "event"));
			if (json_object_object_get_ex(ev, "data", &d))
				printf(" %s", json_object_to_json_string_ext(d,
				    JSON_C_TO_STRING_PLAIN |
				    JSON_C_TO_STRING_NOSLASHESCAPE));
			printf("\n");
		}
		json_object_put(ev);
	}
	return 0;
}

static int
c_hostcheck(int argc, char **argv)
{
	struct opt o[] = { { "json", 0, NULL, &C->json } };
	int first = parse_opts(&argc, argv, o, 1);
	struct json_object *j = NULL;

	need_operands(argc, first, 0);
	const char *q = getenv("QEMU");
	int fails = hostcheck_run(q && *q ? q : QLAUNCH_QEMU, QLAUNCH_QEMU_IMG,
	    C->json, stdout, &j);
	if (C->json) {
		cli_print_json(j);
		json_object_put(j);
	}
	return fails > 0 ? 1 : 0;
}

static int
c_version(int argc, char **argv)
{
	struct opt o[] = { { "json", 0, NULL, &C->json } };
	int first = parse_opts(&argc, argv, o, 1);

	need_operands(argc, first, 0);
	struct json_object *v = cli_call("version", NULL);
	if (C->json)
		cli_print_json(v);
	else
		printf("qlaunch %s, qlaunchd %s (pid %lld)\n", QLAUNCH_VERSION,
		    jstr(v, "version"), jint(v, "pid", 0));
	json_object_put(v);
	return 0;
}

static const struct cmd cmds[] = {
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
	{ "start", NULL, c_start, "NAME [--paused] [--console]" },
	{ "shutdown", NULL, c_shutdown, "NAME [--wait[=SECONDS]]" },
	{ "destroy", NULL, c_destroy, "NAME" },
	{ "reboot", NULL, c_reboot, "NAME" },
	{ "reset", NULL, c_reset, "NAME" },
	{ "suspend", NULL, c_suspend, "NAME" },
	{ "resume", NULL, c_resume, "NAME" },
	{ "list", NULL, c_list, "[--all] [--json]" },
	{ "info", "dominfo", c_info, "NAME [--json]" },
	{ "state", "domstate", c_state, "NAME [--reason] [--json]" },
	{ "autostart", NULL, c_autostart, "NAME [--disable]" },
	{ "vncdisplay", NULL, c_vncdisplay, "NAME [--json]" },
	{ "console", NULL, c_console, "NAME [--log] [--timeout SECONDS] "
	    "[--quiet MS]" },
	{ "setmem", NULL, c_setmem, "NAME SIZE" },
	{ "memstat", "dommemstat", c_memstat, "NAME [--json]" },
	{ "qmp", "qemu-monitor-command", c_qmp, "NAME '{\"execute\": ...}'" },
	{ "hmp", NULL, c_hmp, "NAME 'COMMAND'" },
	{ "events", "qemu-monitor-event", c_events, "[NAME] [--json] "
	    "[--timeout SECONDS]" },
	{ "host-check", "virt-host-validate", c_hostcheck, "[--json]" },
	{ "version", NULL, c_version, "[--json]" },
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: qlaunch [-hNV] [-c socket] command [arguments]\n"
	    "commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %-11s %s\n", cmds[i].name, cmds[i].usage);
	exit(2);
}

static const struct cmd *
find_cmd(const char *name)
{
	const struct cmd *match = NULL;
	size_t n = strlen(name);
	int nmatch = 0;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, name) == 0 ||
		    (cmds[i].alias != NULL && strcmp(cmds[i].alias, name) == 0))
			return &cmds[i];
		if (strncmp(cmds[i].name, name, n) == 0) {
			match = &cmds[i];
			nmatch++;
		}
	}
	if (nmatch > 1) {
		fprintf(stderr, "qlaunch: '%s' is ambiguous:", name);
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (strncmp(cmds[i].name, name, n) == 0)
				fprintf(stderr, " %s", cmds[i].name);
		fputc('\n', stderr);
		exit(2);
	}
	return match;
}

int
main(int argc, char *argv[])
{
	int ch;
	const char *sock = NULL;
	struct cli cli;

	memset(&cli, 0, sizeof(cli));
	C = &cli;
	C->autostart = getenv("QLAUNCH_NO_AUTOSTART") == NULL;
	while ((ch = getopt(argc, argv, "+c:hNV")) != -1) {
		switch (ch) {
		case 'c':
			sock = optarg;
			break;
		case 'N':
			C->autostart = 0;
			break;
		case 'V':
			printf("qlaunch %s\n", QLAUNCH_VERSION);
			return 0;
		case 'h':
			printf("usage: qlaunch [-hNV] [-c socket] command "
			    "[arguments]\ncommands:\n");
			for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				printf("  %-11s %s\n", cmds[i].name,
				    cmds[i].usage);
			printf("see qlaunch(1)\n");
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (sock != NULL) {
		if (strlcpy(C->sock, sock, sizeof(C->sock)) >= sizeof(C->sock))
			cli_die("%s: too long for a UNIX socket", sock);
	} else if (default_socket(C->sock, sizeof(C->sock), 1) == -1)
		cli_die("the control socket path is too long; give one with -c");
	signal(SIGPIPE, SIG_IGN);

	if ((cur = find_cmd(argv[0])) == NULL) {
		fprintf(stderr, "qlaunch: unknown command '%s' (qlaunch -h lists "
		    "them)\n", argv[0]);
		return 2;
	}
	C->cmd = cur->name;
	int r = cur->fn(argc, argv);
	if (C->connected)
		client_close(&C->conn);
	return r;
}
