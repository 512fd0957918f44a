/*
 * qlaunch: disk images (image create, info, resize, convert, check,
 * snapshot-list), run with qemu-img as the calling user, as the
 * tutorials run qemu-img; the supervisor is not involved.  "image" is
 * one command with a table of subcommands; each runs with cli->cmd set
 * to its own entry, so its errors and usage line name "image SUB".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "qimg.h"
#include "util.h"

#define ERRLEN		2048
#define BAR_WIDTH	40

static uint64_t
size_arg(const char *s)
{
	uint64_t v;
	const char *e;

	if (qimg_parse_size(s, &v, &e) == -1)
		cli_die("size '%s': %s", s, e);
	return v;
}

static const char *
str_or(struct json_object *o, const char *key, const char *dflt)
{
	const char *s = jstr(o, key);

	return s != NULL ? s : dflt;
}

/* ---- create ---- */

static const struct {
	const char	*name;
	int		 full;
} preallocs[] = {
	{ "off", 0 },
	{ "full", 1 },
};

static int
c_create(struct cli *cli, int argc, char **argv)
{
	const char *format = "qcow2", *backing = NULL, *bformat = NULL;
	const char *prealloc = "off";
	struct opt o[] = {
		{ "format", 1, &format, NULL },
		{ "backing", 1, &backing, NULL },
		{ "backing-format", 1, &bformat, NULL },
		{ "preallocation", 1, &prealloc, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o)), full = -1;
	char err[ERRLEN], hs[32];
	uint64_t size = 0;

	if (argc - first != 2 && !(backing != NULL && argc - first == 1))
		cli_usage_exit(cli);
	if (bformat != NULL && backing == NULL)
		cli_usage_error(cli, "--backing-format needs --backing");
	for (size_t i = 0; i < nitems(preallocs); i++)
		if (strcmp(prealloc, preallocs[i].name) == 0)
			full = preallocs[i].full;
	if (full == -1)
		cli_die("image create: preallocation '%s' is not off or full",
		    prealloc);
	if (argc - first == 2)
		size = size_arg(argv[first + 1]);
	if (qimg_create(argv[first], format, size, backing, bformat, full,
	    err, sizeof(err)) == -1)
		cli_die("%s", err);
	if (size == 0 && backing != NULL) {
		struct qimg_info in;
		if (qimg_info(argv[first], format, &in, err, sizeof(err)) == 0)
			size = in.virtual_size;
	}
	qimg_human_size(size, hs, sizeof(hs));
	printf("Image %s created: %s, %s%s%s%s\n", argv[first], format, hs,
	    full ? ", preallocated" : "", backing != NULL ? ", backing " : "",
	    backing != NULL ? backing : "");
	return 0;
}

/* ---- info ---- */

static void
print_info(const char *path, struct json_object *j, const struct qimg_info *in)
{
	char hv[32], ha[32];
	const char *full = jstr(j, "full-backing-filename");
	long long cs = jint(j, "cluster-size", -1);

	qimg_human_size(in->virtual_size, hv, sizeof(hv));
	qimg_human_size(in->actual_size, ha, sizeof(ha));
	printf("image: %s\n", path);
	printf("file format: %s\n", in->format);
	printf("virtual size: %s (%llu bytes)\n", hv,
	    (unsigned long long)in->virtual_size);
	printf("disk size: %s%s\n", ha, in->actual_size < in->virtual_size ?
	    " (sparse)" : "");
	if (cs > 0)
		printf("cluster_size: %lld\n", cs);
	if (in->backing[0] != '\0') {
		printf("backing file: %s", in->backing);
		if (full != NULL && strcmp(full, in->backing) != 0)
			printf(" (actual path: %s)", full);
		putchar('\n');
		if (in->backing_format[0] != '\0')
			printf("backing file format: %s\n", in->backing_format);
	}
	if (in->encrypted)
		printf("encrypted: yes\n");
	if (in->nsnapshots > 0)
		printf("snapshots: %d\n", in->nsnapshots);
	if (in->dirty)
		printf("corrupt: yes (qlaunch image check %s)\n", path);
}

static int
c_info(struct cli *cli, int argc, char **argv)
{
	const char *format = NULL;
	int json = 0;
	struct opt o[] = {
		{ "format", 1, &format, NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	struct json_object *j;
	struct qimg_info in;
	char err[ERRLEN];

	cli_operands(cli, argc, first, 1);
	if (qimg_info_json(argv[first], format, &j, err, sizeof(err)) == -1)
		cli_die("%s", err);
	if (json)
		cli_print_json(j);
	else if (qimg_parse_info(j, &in, err, sizeof(err)) == -1) {
		json_object_put(j);
		cli_die("cannot read %s: %s", argv[first], err);
	} else
		print_info(argv[first], j, &in);
	json_object_put(j);
	return 0;
}

/* ---- resize ---- */

static int
c_resize(struct cli *cli, int argc, char **argv)
{
	const char *format = NULL;
	int shrink = 0, grow = 0;
	struct opt o[] = {
		{ "format", 1, &format, NULL },
		{ "shrink", 0, NULL, &shrink },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	struct qimg_info in;
	char err[ERRLEN], hs[32];

	cli_operands(cli, argc, first, 2);
	const char *s = argv[first + 1];
	if (*s == '+' || *s == '-')
		grow = *s++ == '+' ? 1 : -1;
	uint64_t size = size_arg(s);
	if (qimg_resize(argv[first], format, grow, shrink, size, err,
	    sizeof(err)) == -1)
		cli_die("%s", err);
	if (qimg_info(argv[first], format, &in, err, sizeof(err)) == -1)
		cli_die("%s", err);
	qimg_human_size(in.virtual_size, hs, sizeof(hs));
	printf("Image %s resized to %s (%llu bytes)\n", argv[first], hs,
	    (unsigned long long)in.virtual_size);
	return 0;
}

/* ---- convert ---- */

struct conv {
	int	 json;
	int	 bar;		/* drawing a bar on the terminal */
	int	 drawn;
};

static void
conv_progress(void *arg, double pct)
{
	struct conv *c = arg;

	if (c->json) {
		struct json_object *e = json_object_new_object(), *d;
		d = json_object_new_object();
		json_object_object_add(d, "percent",
		    json_object_new_double(pct));
		json_object_object_add(e, "event",
		    json_object_new_string("PROGRESS"));
		json_object_object_add(e, "data", d);
		printf("%s\n", json_object_to_json_string_ext(e,
		    JSON_C_TO_STRING_PLAIN));
		fflush(stdout);
		json_object_put(e);
	} else if (c->bar) {
		int n = (int)(pct * BAR_WIDTH / 100);
		fprintf(stderr, "\r[%.*s%*s] %3.0f%%", n,
		    "########################################",
		    BAR_WIDTH - n, "", pct);
		fflush(stderr);
		c->drawn = 1;
	}
}

/* qemu-img's own spellings of convert's two format options. */
static const struct {
	const char	*shortname;
	const char	*longname;
} conv_short[] = {
	{ "-f", "--source-format" },
	{ "-O", "--output-format" },
};

static int
c_convert(struct cli *cli, int argc, char **argv)
{
	const char *sfmt = NULL, *dfmt = "raw";
	int sparse = 0, nosparse = 0, json = 0;
	struct opt o[] = {
		{ "source-format", 1, &sfmt, NULL },
		{ "output-format", 1, &dfmt, NULL },
		{ "sparse", 0, NULL, &sparse },
		{ "no-sparse", 0, NULL, &nosparse },
		{ "json", 0, NULL, &json },
	};
	struct conv c = { 0, 0, 0 };
	struct qimg_info in;
	char err[ERRLEN], hv[32], ha[32];

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		for (size_t k = 0; k < nitems(conv_short); k++)
			if (strcmp(argv[i], conv_short[k].shortname) == 0)
				argv[i] = (char *)conv_short[k].longname;
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 2);
	if (sparse && nosparse)
		cli_usage_error(cli, "--sparse and --no-sparse are mutually "
		    "exclusive");
	c.json = json;
	c.bar = !json && isatty(STDERR_FILENO);
	const char *src = argv[first], *dst = argv[first + 1];
	int rc = qimg_convert(src, sfmt, dst, dfmt, !nosparse, conv_progress,
	    &c, err, sizeof(err));
	if (c.drawn)
		fputc('\n', stderr);
	if (rc == -1)
		cli_die("%s", err);
	if (qimg_info(dst, dfmt, &in, err, sizeof(err)) == -1)
		cli_die("%s", err);
	if (c.json) {
		struct json_object *r = json_object_new_object();
		json_object_object_add(r, "source", json_object_new_string(src));
		json_object_object_add(r, "destination",
		    json_object_new_string(dst));
		json_object_object_add(r, "format",
		    json_object_new_string(in.format));
		json_object_object_add(r, "virtual-size",
		    json_object_new_int64((int64_t)in.virtual_size));
		json_object_object_add(r, "actual-size",
		    json_object_new_int64((int64_t)in.actual_size));
		printf("%s\n", json_object_to_json_string_ext(r,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r);
		return 0;
	}
	qimg_human_size(in.virtual_size, hv, sizeof(hv));
	qimg_human_size(in.actual_size, ha, sizeof(ha));
	printf("Image %s written: %s, %s (%s on disk)\n", dst, in.format, hv,
	    ha);
	return 0;
}

/* ---- check ---- */

static void
print_check(struct json_object *r, int st)
{
	long long total = jint(r, "total-clusters", 0);
	long long alloc = jint(r, "allocated-clusters", 0);

	if (st == QIMG_CHECK_LEAKS)
		printf("%lld leaked clusters were found on the image.\nThis "
		    "means waste of disk space, but no harm to data.\n",
		    jint(r, "leaks", 0));
	else
		printf("No errors were found on the image.\n");
	if (total > 0 && alloc > 0)
		printf("%lld/%lld = %.2f%% allocated, %.2f%% fragmented, "
		    "%.2f%% compressed clusters\n", alloc, total,
		    alloc * 100.0 / total,
		    jint(r, "fragmented-clusters", 0) * 100.0 / alloc,
		    jint(r, "compressed-clusters", 0) * 100.0 / alloc);
	if (jget(r, "image-end-offset") != NULL)
		printf("Image end offset: %lld\n", jint(r, "image-end-offset",
		    0));
}

static int
c_check(struct cli *cli, int argc, char **argv)
{
	const char *format = NULL;
	int json = 0;
	struct opt o[] = {
		{ "format", 1, &format, NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	struct json_object *r;
	char err[ERRLEN];

	cli_operands(cli, argc, first, 1);
	int st = qimg_check(argv[first], format, &r, err, sizeof(err));
	if (st == -1)
		cli_die("%s", err);
	if (json)
		cli_print_json(r);
	else if (st != QIMG_CHECK_CORRUPT)
		print_check(r, st);
	json_object_put(r);
	if (st == QIMG_CHECK_CORRUPT)
		cli_die("%s", err);
	return 0;
}

/* ---- snapshot-list ---- */

static int
c_snapshot_list(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct opt o[] = { { "json", 0, NULL, &json } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	struct json_object *s;
	char err[ERRLEN];

	cli_operands(cli, argc, first, 1);
	if (qimg_snapshot_list(argv[first], &s, err, sizeof(err)) == -1)
		cli_die("%s", err);
	if (json) {
		cli_print_json(s);
		json_object_put(s);
		return 0;
	}
	printf("%-9s %-17s %8s %19s %13s\n", "ID", "TAG", "VM SIZE", "DATE",
	    "VM CLOCK");
	for (size_t i = 0; i < json_object_array_length(s); i++) {
		struct json_object *v = json_object_array_get_idx(s, i);
		char size[32], date[32] = "-";
		time_t t = (time_t)jint(v, "date-sec", 0);
		struct tm tm;
		long long ck = jint(v, "vm-clock-sec", 0);

		qimg_human_size((uint64_t)jint(v, "vm-state-size", 0), size,
		    sizeof(size));
		if (localtime_r(&t, &tm) != NULL)
			strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%-9s %-17s %8s %19s %02lld:%02lld:%02lld.%03lld\n",
		    str_or(v, "id", "-"), str_or(v, "name", "-"), size, date,
		    ck / 3600, ck / 60 % 60, ck % 60,
		    jint(v, "vm-clock-nsec", 0) / 1000000);
	}
	json_object_put(s);
	return 0;
}

/* ---- the subcommands ---- */

static const struct cmd subs[] = {
	{ "image create", NULL, c_create, "PATH SIZE [--format qcow2|raw] "
	    "[--backing FILE [--backing-format F]] [--preallocation off|full]" },
	{ "image info", NULL, c_info, "PATH [--format F] [--json]" },
	{ "image resize", NULL, c_resize, "PATH [+|-]SIZE [--format F] "
	    "[--shrink]" },
	{ "image convert", NULL, c_convert, "SRC DST [-f FMT] [-O FORMAT] "
	    "[--sparse|--no-sparse] [--json]" },
	{ "image check", NULL, c_check, "PATH [--format F] [--json]" },
	{ "image snapshot-list", NULL, c_snapshot_list, "PATH [--json]" },
};

#define SUBNAME(c)	((c)->name + sizeof("image ") - 1)

static void __attribute__((noreturn))
image_usage(FILE *f, int status)
{
	fprintf(f, "usage: qlaunch image SUBCOMMAND [arguments]\n");
	for (size_t i = 0; i < nitems(subs); i++)
		fprintf(f, "  qlaunch %s %s\n", subs[i].name, subs[i].usage);
	exit(status);
}

/* By its name, else by a prefix of one name only. */
static const struct cmd *
find_sub(const char *name)
{
	const struct cmd *match = NULL;
	size_t n = strlen(name);
	int nmatch = 0;

	for (size_t i = 0; i < nitems(subs); i++) {
		if (strcmp(SUBNAME(&subs[i]), name) == 0)
			return &subs[i];
		if (n > 0 && strncmp(SUBNAME(&subs[i]), name, n) == 0) {
			match = &subs[i];
			nmatch++;
		}
	}
	return nmatch == 1 ? match : NULL;
}

static int
c_image(struct cli *cli, int argc, char **argv)
{
	const struct cmd *sub;

	static const char *const help[] = { "help", "-h", "--help" };

	if (argc < 2)
		image_usage(stderr, 2);
	for (size_t i = 0; i < nitems(help); i++)
		if (strcmp(argv[1], help[i]) == 0)
			image_usage(stdout, 0);
	if ((sub = find_sub(argv[1])) == NULL) {
		fprintf(stderr, "qlaunch image: unknown subcommand '%s' "
		    "(qlaunch image help lists them)\n", argv[1]);
		exit(2);
	}
	cli->cmd = sub;
	return sub->fn(cli, argc - 1, argv + 1);
}

const struct cmd cmds_image[] = {
	{ "image", NULL, c_image, "create|info|resize|convert|check|"
	    "snapshot-list PATH ..." },
	{ NULL, NULL, NULL, NULL }
};
