/*
 * qlaunch: the helpers its command files share (calls to the supervisor,
 * option parsing, errors, looking a VM up by id or UUID).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "util.h"

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
cli_usage_exit(struct cli *cli)
{
	fprintf(stderr, "usage: qlaunch %s %s\n", cli->cmd->name,
	    cli->cmd->usage);
	exit(2);
}

void
cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "qlaunch %s: ", cli->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void
cli_connect(struct cli *cli)
{
	char err[512];

	if (cli->connected)
		return;
	if (client_open(&cli->conn, cli->sock, cli->autostart, err,
	    sizeof(err)) == -1)
		cli_die("%s", err);
	cli->connected = 1;
}

int
cli_try(struct cli *cli, const char *cmd, struct json_object *args,
    struct json_object **ret)
{
	char eclass[64], edesc[2048];

	cli_connect(cli);
	if (client_call(&cli->conn, cmd, args, ret, eclass, sizeof(eclass),
	    edesc, sizeof(edesc), NULL, NULL) == -1) {
		/* QEMU's errors keep their class; ours read as sentences */
		if (cli->conn.error_from_qemu)
			fprintf(stderr, "qlaunch: %s: %s\n", eclass, edesc);
		else
			fprintf(stderr, "qlaunch: %s\n", edesc);
		return -1;
	}
	return 0;
}

struct json_object *
cli_call(struct cli *cli, const char *cmd, struct json_object *args)
{
	struct json_object *ret;

	if (cli_try(cli, cmd, args, &ret) == -1)
		exit(1);
	return ret;
}

struct json_object *
cli_call_ev(struct cli *cli, const char *cmd, struct json_object *args,
    void (*fn)(struct json_object *, void *), void *arg)
{
	char eclass[64], edesc[2048];
	struct json_object *ret;

	cli_connect(cli);
	if (client_call(&cli->conn, cmd, args, &ret, eclass, sizeof(eclass),
	    edesc, sizeof(edesc), fn, arg) == -1) {
		if (fn == cli_progress_event)
			cli_progress_end(arg);
		if (cli->conn.error_from_qemu)
			fprintf(stderr, "qlaunch: %s: %s\n", eclass, edesc);
		else
			fprintf(stderr, "qlaunch: %s\n", edesc);
		exit(1);
	}
	return ret;
}

#define BAR_WIDTH	40

struct json_object *
cli_call_progress(struct cli *cli, const char *cmd, struct json_object *args,
    int json)
{
	struct cli_progress p;
	struct json_object *ret;

	cli_progress_init(&p, json);
	ret = cli_call_ev(cli, cmd, args, cli_progress_event, &p);
	cli_progress_end(&p);
	return ret;
}

void
cli_progress_init(struct cli_progress *p, int json)
{
	p->json = json;
	p->bar = !json && isatty(STDERR_FILENO);
	p->drawn = 0;
}

void
cli_progress_event(struct json_object *ev, void *arg)
{
	struct cli_progress *p = arg;
	const char *name = jstr(ev, "event");
	struct json_object *d = jget(ev, "data");

	if (name == NULL || strcmp(name, "JOB_PROGRESS") != 0)
		return;
	if (p->json) {
		printf("%s\n", json_object_to_json_string_ext(ev,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		fflush(stdout);
		return;
	}
	if (!p->bar)
		return;
	struct json_object *v = jget(d, "percent");
	double pct = v != NULL ? json_object_get_double(v) : 0;
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	int n = (int)(pct * BAR_WIDTH / 100);
	const char *job = jstr(d, "job"), *st = jstr(d, "status");
	/* a phase worth telling (migration's postcopy-active) */
	int tell = st != NULL && strcmp(st, "active") != 0;
	/* erased to the end: a shorter job's line after a longer one's */
	fprintf(stderr, "\r%s%s%s%s: [%.*s%*s] %3.0f%%\033[K",
	    job != NULL ? job : "job", tell ? " (" : "", tell ? st : "",
	    tell ? ")" : "", n, "########################################",
	    BAR_WIDTH - n, "", pct);
	fflush(stderr);
	p->drawn = 1;
}

void
cli_progress_end(struct cli_progress *p)
{
	if (p->drawn)
		fputc('\n', stderr);
	p->drawn = 0;
}

void
cli_named_operands(struct cli *cli, int argc, char **argv, int first,
    const char **v, size_t n, size_t need)
{
	int w = first;

	for (size_t i = 0; i < n; i++)
		if (v[i] == NULL && w < argc)
			v[i] = argv[w++];
	if (w < argc)
		cli_usage_exit(cli);
	for (size_t i = 0; i < need; i++)
		if (v[i] == NULL)
			cli_usage_exit(cli);
}

char *
cli_abs_path(const char *p)
{
	char cwd[PATH_MAX];

	if (*p == '/' || *p == '\0')
		return xstrdup(p);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cli_die("cannot find the current directory: %s",
		    strerror(errno));
	return xasprintf("%s/%s", cwd, p);
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

int
cli_opts(struct cli *cli, int *argcp, char **argv, const struct opt *opts,
    size_t nopts)
{
	int argc = *argcp, nops = 1, dashdash = 0;
	const char *name = cli->cmd->name;

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
		size_t k;
		for (k = 0; k < nopts; k++)
			if (strlen(opts[k].name) == klen &&
			    strncmp(opts[k].name, a + 2, klen) == 0)
				break;
		if (k == nopts) {
			fprintf(stderr, "qlaunch %s: unknown option %s (usage: "
			    "qlaunch %s %s)\n", name, a, name, cli->cmd->usage);
			exit(2);
		}
		if (opts[k].flag != NULL)
			*opts[k].flag = 1;
		if (opts[k].has_arg == 0 && eq != NULL)
			cli_die("%s: %s takes no value", name, a);
		if (opts[k].has_arg == 1 && eq == NULL) {
			if (i + 1 >= argc)
				cli_die("%s: --%s needs a value", name,
				    opts[k].name);
			*opts[k].val = argv[++i];
		} else if (eq != NULL)
			*opts[k].val = eq + 1;
	}
	*argcp = nops;
	return 1;
}

int
cli_simple(struct cli *cli, int argc, char **argv, const char *cmd,
    const char *done)
{
	int first = cli_opts(cli, &argc, argv, NULL, 0);

	cli_operands(cli, argc, first, 1);
	json_object_put(cli_call(cli, cmd, cli_name_args(argv[first])));
	if (done != NULL)
		printf("VM %s %s\n", argv[first], done);
	return 0;
}

void
cli_operands(struct cli *cli, int argc, int first, int n)
{
	if (argc - first != n)
		cli_usage_exit(cli);
}

long long
cli_num(const char *what, const char *s, long long min, long long max)
{
	long long v;
	const char *e;

	if (parse_uint(s, min, max, &v, &e) == -1)
		cli_die("%s '%s': %s", what, s, e);
	return v;
}

void
cli_duration(long long s, char *buf, size_t len)
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

void
cli_scope_check(struct cli *cli, const struct scope *s)
{
	if (s->current && s->live)
		cli_usage_error(cli, "--current and --live are mutually "
		    "exclusive");
	if (s->current && s->config)
		cli_usage_error(cli, "--current and --config are mutually "
		    "exclusive");
}

/* A value of a flag that takes one of a few words; else exit 2. */
void
cli_one_of(struct cli *cli, const char *flag, const char *val,
    const char *const *words)
{
	char list[256] = "";

	if (val == NULL)
		return;
	for (size_t i = 0; words[i] != NULL; i++) {
		if (strcmp(val, words[i]) == 0)
			return;
		if (i > 0)
			strlcat(list, words[i + 1] != NULL ? ", " : " or ",
			    sizeof(list));
		strlcat(list, words[i], sizeof(list));
	}
	cli_usage_error(cli, "--%s '%s': not %s", flag, val, list);
}

/* Is the VM running (it has a QEMU)?  For virsh's --persistent. */
static int
is_active(struct cli *cli, const char *name)
{
	struct json_object *vm = cli_lookup(cli, name,
	    LOOKUP_ID | LOOKUP_UUID | LOOKUP_NAME);
	int active = jint(vm, "pid", -1) > 0;

	json_object_put(vm);
	return active;
}

/* virsh's --live, --config, --current and --persistent, together. */
void
cli_scope_persistent(struct cli *cli, const struct scope *sc, int persistent)
{
	cli_scope_check(cli, sc);
	if (persistent && sc->current)
		cli_usage_error(cli, "--persistent and --current are mutually "
		    "exclusive");
}

/*
 * --persistent is --config, and --live as well when the VM runs.
 * Neither live nor config (--current, or no flag): the supervisor goes
 * by the VM's state.
 */
void
cli_scope_args(struct cli *cli, struct json_object *a, const char *name,
    struct scope *sc, int persistent)
{
	if (persistent) {
		sc->config = 1;
		if (!sc->live)
			sc->live = is_active(cli, name);
	}
	json_object_object_add(a, "live", json_object_new_boolean(sc->live));
	json_object_object_add(a, "config", json_object_new_boolean(
	    sc->config));
}

/* A virsh domain id: a plain decimal number. */
static int
parse_id(const char *s, long long *id)
{
	const char *e;

	if (*s < '0' || *s > '9')
		return -1;
	return parse_uint(s, 0, 0x7fffffff, id, &e);
}

struct json_object *
cli_lookup(struct cli *cli, const char *arg, int by)
{
	struct json_object *a = json_object_new_object(), *list, *v, *found;
	long long id = -1;
	int isid, isuuid;

	isid = (by & LOOKUP_ID) && parse_id(arg, &id) == 0;
	isuuid = (by & LOOKUP_UUID) && valid_uuid(arg);
	json_object_object_add(a, "all", json_object_new_boolean(1));
	list = cli_call(cli, "list", a);
	if (!json_object_is_type(list, json_type_array))
		cli_die("the list from qlaunchd is not an array");
	found = NULL;
	for (int pass = 0; pass < 3 && found == NULL; pass++) {
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			v = json_object_array_get_idx(list, i);
			const char *s;
			if (pass == 0 && isid && jint(v, "id", -1) == id)
				found = v;
			else if (pass == 1 && isuuid &&
			    (s = jstr(v, "uuid")) != NULL &&
			    strcasecmp(s, arg) == 0)
				found = v;
			else if (pass == 2 && (by & LOOKUP_NAME) &&
			    (s = jstr(v, "name")) != NULL &&
			    strcmp(s, arg) == 0)
				found = v;
			if (found != NULL)
				break;
		}
	}
	if (found != NULL) {
		json_object_get(found);
		json_object_put(list);
		return found;
	}
	json_object_put(list);
	if (isid)
		cli_die("no VM with id %lld", id);
	if (isuuid)
		cli_die("no VM with uuid %s", arg);
	if (by & LOOKUP_NAME)
		cli_die("no VM named '%s'", arg);
	cli_die("'%s' is not a VM id or uuid", arg);
}

void
cli_size_str(unsigned long long v, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	double d = (double)v;
	size_t u = 0;

	while (d >= 1024 && u + 1 < nitems(units)) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, "%.3f %s", d, units[u]);
}
