/*
 * qlaunch migrate-bench: a migration experiment in one command.  The VM
 * goes from this supervisor (A) to another (B, --to) and back, each
 * migration a run, --repeat times for each combination of the --vary
 * sweep, optionally under the test guest's workload.  DIR gets
 * manifest.txt (the command to rerun it), runs.csv, series/run-NNN.csv,
 * summary.csv and the plots (benchout.c).  A failed run is recorded and
 * the sweep goes on (--stop-on-error stops it).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchrun.h"
#include "benchsample.h"
#include "cli.h"
#include "config.h"
#include "jget.h"
#include "workload.h"
#include "xalloc.h"

#define BENCH_MAX_REPEAT	1000
#define BENCH_TIMEOUT_S		120	/* each run's, without --timeout */

struct bench {
	struct cli		*cli;
	const char		*name;
	char			*a, *b;		/* control sockets */
	struct client_conn	 cb;		/* B's; A's is cli->conn */
	struct bench_sweep	 sweep;
	struct bench_out	 out;
	struct json_object	*base;		/* fixed migrate options */
	long long		 downtime;	/* fixed --downtime, -1 */
	size_t			 repeat;
	int			 stop_on_error;
	long long		 wl_size, wl_rate;	/* -1: no workload */
	char			*cmdline;	/* to rerun it */
	char			 at;		/* where the VM runs: a, b */
};

/*
 * Ctrl-C: the migration under way is cancelled (migrate-cancel on the
 * source's socket, a connection of its own, signal-safe calls) and the
 * sweep stops; what ran is written.  A signal handler has no argument,
 * so this lives at file scope, set before the handler is installed.
 */
static struct {
	struct sockaddr_un	 sun[2];	/* A's, B's */
	char			 msg[256];
	size_t			 len;
	volatile sig_atomic_t	 source;	/* 0: A, 1: B */
	volatile sig_atomic_t	 stop;
} interrupt;

static void
on_sigint(int sig)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)sig;
	interrupt.stop = 1;
	if (fd == -1)
		return;
	if (connect(fd, (struct sockaddr *)&interrupt.sun[interrupt.source],
	    sizeof(interrupt.sun[0])) == 0) {
		ssize_t n = write(fd, interrupt.msg, interrupt.len);
		(void)n;
	}
	close(fd);
}

static void
cancel_on_sigint(struct bench *b)
{
	struct sigaction sa;
	struct json_object *r = json_object_new_object(), *a =
	    json_object_new_object();

	json_object_object_add(a, "name", json_object_new_string(b->name));
	json_object_object_add(r, "execute", json_object_new_string(
	    "migrate-cancel"));
	json_object_object_add(r, "arguments", a);
	memset(&interrupt, 0, sizeof(interrupt));
	for (int i = 0; i < 2; i++) {
		interrupt.sun[i].sun_family = AF_UNIX;
		strlcpy(interrupt.sun[i].sun_path, i == 0 ? b->a : b->b,
		    sizeof(interrupt.sun[i].sun_path));
	}
	interrupt.len = (size_t)snprintf(interrupt.msg, sizeof(interrupt.msg),
	    "%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
	if (interrupt.len >= sizeof(interrupt.msg))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

/* "unix:PATH" as an absolute path. */
static char *
sock_arg(struct cli *cli, const char *flag, const char *v)
{
	if (strncmp(v, "unix:", 5) != 0 || v[5] == '\0')
		cli_usage_error(cli, "%s is unix:PATH, a qlaunchd's control "
		    "socket", flag);
	return cli_abs_path(v + 5);
}

/* Shell-quoted words, for the manifest's command line. */
static void
quote_into(char **s, const char *w)
{
	char *n;
	int plain = *w != '\0';

	for (const char *p = w; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-_./:=,+@%", *p) == NULL)
			plain = 0;
	if (plain)
		n = xasprintf("%s%s%s", *s, **s ? " " : "", w);
	else {
		char *q = xstrdup("'");
		for (const char *p = w; *p != '\0'; p++) {
			char *t = xasprintf("%s%s", q, *p == '\'' ? "'\\''" :
			    (char[]){ *p, '\0' });
			free(q);
			q = t;
		}
		n = xasprintf("%s%s%s'", *s, **s ? " " : "", q);
		free(q);
	}
	free(*s);
	*s = n;
}

/*
 * Take every --vary out of argv (cli_opts keeps one value per option);
 * the rest, but --out, also goes into the command line to rerun.
 */
static void
take_varies(struct bench *b, int *argcp, char **argv)
{
	char err[512];
	int n = 1, skip_next = 0;

	b->cmdline = xasprintf("qlaunch -c %s %s", b->cli->sock, argv[0]);
	for (int i = 1; i < *argcp; i++) {
		const char *a = argv[i], *v = NULL;
		if (skip_next) {
			skip_next = 0;
			argv[n++] = argv[i];
			continue;
		}
		if (strcmp(a, "--out") == 0) {
			argv[n++] = argv[i];
			if (i + 1 < *argcp)
				argv[n++] = argv[++i];
			continue;
		}
		if (strncmp(a, "--out=", 6) == 0) {
			argv[n++] = argv[i];
			continue;
		}
		if (strcmp(a, "--vary") == 0) {
			if (i + 1 >= *argcp)
				cli_die("migrate-bench: --vary needs a value");
			v = argv[++i];
		} else if (strncmp(a, "--vary=", 7) == 0)
			v = a + 7;
		if (v == NULL) {
			quote_into(&b->cmdline, a);
			argv[n++] = argv[i];
			continue;
		}
		quote_into(&b->cmdline, "--vary");
		quote_into(&b->cmdline, v);
		if (bench_vary_parse(&b->sweep, v, err, sizeof(err)) == -1)
			cli_die("migrate-bench: %s", err);
	}
	*argcp = n;
}

static void
fixed_num(struct bench *b, const char *name, const char *v)
{
	const struct bench_key *k = bench_key_find(name);
	char err[256];
	long long n;

	if (v == NULL)
		return;
	if (bench_varies(&b->sweep, name))
		cli_usage_error(b->cli, "--%s and --vary %s=... do not go "
		    "together", name, name);
	if (bench_key_value(k, v, &n, err, sizeof(err)) == -1)
		cli_die("migrate-bench: --%s", err);
	bench_key_arg(k, n, b->base);
	if (strcmp(name, "downtime") == 0)
		b->downtime = n;
}

static void
fixed_flag(struct bench *b, const char *name, int on)
{
	if (!on)
		return;
	if (bench_varies(&b->sweep, name))
		cli_usage_error(b->cli, "--%s and --vary %s=... do not go "
		    "together", name, name);
	bench_key_arg(bench_key_find(name), 1, b->base);
}

/* --workload SIZE,RATE (MiB, MiB/s) */
static void
workload_arg(struct bench *b, const char *v)
{
	char *c;

	b->wl_size = b->wl_rate = -1;
	if (v == NULL)
		return;
	if ((c = strchr(v, ',')) == NULL)
		cli_usage_error(b->cli, "--workload is SIZE,RATE (MiB and "
		    "MiB/s, 0: full speed)");
	char *size = xstrdup(v);
	size[c - v] = '\0';
	b->wl_size = cli_num("--workload's size", size, 1, 1 << 20);
	b->wl_rate = cli_num("--workload's rate", c + 1, 0, 1 << 20);
	free(size);
}

/* DIR made, or empty already; its series/ made. */
static void
out_dir(struct bench *b, const char *dir)
{
	char def[64], path[4200];
	DIR *d;

	if (dir == NULL) {
		time_t t = time(NULL);
		strftime(def, sizeof(def), "migbench-%Y%m%d-%H%M%S",
		    localtime(&t));
		dir = def;
	}
	if (strlcpy(b->out.dir, dir, sizeof(b->out.dir)) >= sizeof(b->out.dir))
		cli_die("migrate-bench: --out: too long");
	if (mkdir(dir, 0777) == -1) {
		if (errno != EEXIST || (d = opendir(dir)) == NULL)
			cli_die("migrate-bench: %s: %s", dir, strerror(errno));
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name,
			    "..") != 0) {
				closedir(d);
				cli_die("migrate-bench: %s is not empty (give a "
				    "new directory with --out)", dir);
			}
		closedir(d);
	}
	snprintf(path, sizeof(path), "%s/series", dir);
	if (mkdir(path, 0777) == -1 && errno != EEXIST)
		cli_die("migrate-bench: %s: %s", path, strerror(errno));
}

static void
manifest(struct bench *b, size_t nruns, size_t nfailed, const char *start)
{
	char path[4200], end[64];
	struct utsname u;
	time_t t = time(NULL);
	FILE *f;

	strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
	snprintf(path, sizeof(path), "%s/manifest.txt", b->out.dir);
	if ((f = fopen(path, "w")) == NULL)
		cli_die("migrate-bench: %s: %s", path, strerror(errno));
	fprintf(f, "# migrate-bench: the command below reruns this experiment "
	    "(add --out DIR, a new directory, to keep this one)\n");
	fprintf(f, "command=%s\n", b->cmdline);
	fprintf(f, "vm=%s\nsource=%s\ndestination=%s\n", b->name, b->a, b->b);
	fprintf(f, "combinations=%zu\nrepeat=%zu\nruns=%zu\nfailed=%zu\n",
	    bench_combos(&b->sweep), b->repeat, nruns, nfailed);
	if (b->wl_size >= 0)
		fprintf(f, "workload=qlstress -s %lld -r %lld\n", b->wl_size,
		    b->wl_rate);
	fprintf(f, "migrate_options=%s\n", json_object_to_json_string_ext(
	    b->base, JSON_C_TO_STRING_PLAIN));
	fprintf(f, "started=%s\nfinished=%s\n", start, end);
	fprintf(f, "qlaunch=%s\n", QLAUNCH_VERSION);
	if (uname(&u) == 0)
		fprintf(f, "host=%s %s %s %s\n", u.sysname, u.nodename,
		    u.release, u.machine);
	fprintf(f, "cpus=%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "files=manifest.txt runs.csv summary.csv series/run-NNN.csv "
	    "remaining.svg downtime.svg total.svg\n");
	if (fclose(f) != 0)
		cli_die("migrate-bench: %s: %s", path, strerror(errno));
}

/* Where the VM runs now ('a', 'b'), or 0 when on neither side. */
static char
where(struct bench *b)
{
	char ec[64], ed[512];
	struct json_object *ret, *a;
	struct client_conn *c[2] = { &b->cli->conn, &b->cb };

	for (int i = 0; i < 2; i++) {
		a = json_object_new_object();
		json_object_object_add(a, "name", json_object_new_string(
		    b->name));
		if (client_call(c[i], "state", a, &ret, ec, sizeof(ec), ed,
		    sizeof(ed), NULL, NULL) == -1)
			continue;
		int up = strcmp(jstr_or(ret, "state", ""), "running") == 0;
		json_object_put(ret);
		if (up)
			return i == 0 ? 'a' : 'b';
	}
	return 0;
}

/* One migration from where the VM is to the other side. */
static int
one_run(struct bench *b, struct bench_run *r, size_t total)
{
	char label[512], show_label[640];
	struct json_object *args = json_tokener_parse(
	    json_object_to_json_string(b->base));	/* a copy */
	struct bench_show show = { isatty(2), show_label, 0 };
	long long limit = b->downtime;

	bench_combo_args(&b->sweep, r->combo, args);
	if (jget(args, "downtime") != NULL)
		limit = jint(args, "downtime", -1);
	bench_combo_label(&b->sweep, r->combo, label, sizeof(label));
	r->from = b->at;
	r->to = b->at == 'a' ? 'b' : 'a';
	snprintf(show_label, sizeof(show_label), "run %zu/%zu %s %c->%c",
	    r->no, total, label, r->from, r->to);
	interrupt.source = b->at == 'a' ? 0 : 1;
	int rc = bench_migrate(b->at == 'a' ? &b->cli->conn : &b->cb, b->name,
	    b->at == 'a' ? b->b : b->a, args, limit, r, &show);
	if (rc == 0) {
		b->at = r->to;
		printf("%s: %lld ms, downtime %lld ms, %.1f MiB, %lld passes\n",
		    show_label, (long long)bench_num(r->summary, "total_ms"),
		    (long long)bench_num(r->summary, "downtime_ms"),
		    bench_num(r->summary, "transferred") / (1024.0 * 1024),
		    (long long)bench_num(r->summary, "passes"));
	} else {
		printf("%s: failed: %s\n", show_label, r->error);
		b->at = where(b);
	}
	fflush(stdout);
	return rc;
}

static void
connect_b(struct bench *b)
{
	char err[512];

	if (client_open(&b->cb, b->b, 0, err, sizeof(err)) == -1)
		cli_die("migrate-bench: the destination %s: %s", b->b, err);
}

static int
c_migbench(struct cli *cli, int argc, char **argv)
{
	struct bench b;
	int ac = 0, xbzrle = 0, stop = 0;
	const char *to = NULL, *back = NULL, *repeat = NULL, *outdir = NULL,
	    *wl = NULL, *bw = NULL, *downtime = NULL, *multifd = NULL,
	    *timeout = NULL, *listen = NULL;
	struct opt o[] = {
		{ "to", 1, &to, NULL },
		{ "back-to", 1, &back, NULL },
		{ "repeat", 1, &repeat, NULL },
		{ "out", 1, &outdir, NULL },
		{ "workload", 1, &wl, NULL },
		{ "stop-on-error", 0, NULL, &stop },
		{ "bandwidth", 1, &bw, NULL },
		{ "downtime", 1, &downtime, NULL },
		{ "multifd", 1, &multifd, NULL },
		{ "auto-converge", 0, NULL, &ac },
		{ "xbzrle", 0, NULL, &xbzrle },
		{ "timeout", 1, &timeout, NULL },
		{ "listen-address", 1, &listen, NULL },
	};
	char err[512], start[64];

	memset(&b, 0, sizeof(b));
	b.cli = cli;
	b.downtime = -1;
	take_varies(&b, &argc, argv);
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	cli_operands(cli, argc, first, 1);
	b.name = argv[first];
	if (to == NULL)
		cli_usage_error(cli, "--to unix:PATH (the other qlaunchd's "
		    "control socket) is needed");
	b.b = sock_arg(cli, "--to", to);
	if (back == NULL && strncmp(cli->sock, "ssh://", 6) == 0)
		cli_usage_error(cli, "runs between two qlaunchd sockets on "
		    "this host, not over ssh://");
	b.a = back != NULL ? sock_arg(cli, "--back-to", back) :
	    cli_abs_path(cli->sock);
	if (strcmp(b.a, b.b) == 0)
		cli_usage_error(cli, "--to and --back-to are the same "
		    "supervisor");
	b.repeat = repeat != NULL ? (size_t)cli_num("--repeat", repeat, 1,
	    BENCH_MAX_REPEAT) : 3;
	b.stop_on_error = stop;
	b.base = json_object_new_object();
	fixed_num(&b, "bandwidth", bw);
	fixed_num(&b, "downtime", downtime);
	fixed_num(&b, "multifd", multifd);
	fixed_flag(&b, "auto-converge", ac);
	fixed_flag(&b, "xbzrle", xbzrle);
	/* a run that cannot converge fails, and the sweep goes on */
	json_object_object_add(b.base, "timeout", json_object_new_int64(
	    timeout != NULL ? cli_num("--timeout", timeout, 1, 86400 * 7) :
	    BENCH_TIMEOUT_S));
	if (listen != NULL)
		json_object_object_add(b.base, "listen",
		    json_object_new_string(listen));
	workload_arg(&b, wl);

	/* both sides answer and the VM runs here, before anything changes */
	if (back != NULL) {
		strlcpy(cli->sock, b.a, sizeof(cli->sock));
		cli->autostart = 0;
	}
	cli_connect(cli);
	connect_b(&b);
	if ((b.at = where(&b)) != 'a')
		cli_die("migrate-bench: VM '%s' is not running on %s", b.name,
		    b.a);
	out_dir(&b, outdir);
	b.out.sweep = &b.sweep;
	b.out.repeat = b.repeat;
	if (bench_out_runs_header(&b.out, err, sizeof(err)) == -1)
		cli_die("migrate-bench: %s", err);
	time_t t = time(NULL);
	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
	manifest(&b, 0, 0, start);
	if (b.wl_size >= 0) {
		if (workload_start(b.a, b.name, b.wl_size, b.wl_rate, err,
		    sizeof(err)) == -1)
			cli_die("migrate-bench: %s", err);
		printf("workload: qlstress -s %lld -r %lld in '%s'\n",
		    b.wl_size, b.wl_rate, b.name);
	}

	cancel_on_sigint(&b);
	size_t total = bench_combos(&b.sweep) * b.repeat, nruns = 0, nfail = 0;
	struct bench_run *runs = xcalloc(total, sizeof(*runs));
	for (size_t i = 0; i < total; i++) {
		struct bench_run *r = &runs[nruns++];
		r->no = i + 1;
		r->combo = i / b.repeat;
		r->rep = i % b.repeat;
		int rc = one_run(&b, r, total);
		nfail += rc != 0;
		if (bench_out_run(&b.out, r, err, sizeof(err)) == -1)
			cli_die("migrate-bench: %s", err);
		if (b.at == 0) {
			fprintf(stderr, "qlaunch: migrate-bench: VM '%s' runs "
			    "on neither side now: the sweep stops\n", b.name);
			break;
		}
		if (interrupt.stop) {
			fprintf(stderr, "qlaunch: migrate-bench: interrupted: "
			    "the sweep stops\n");
			break;
		}
		if (rc != 0 && b.stop_on_error)
			break;
	}
	/* home again, untimed; then the workload goes */
	if (b.at == 'b') {
		struct bench_run home;
		struct bench_show show = { 0, "home", 0 };
		memset(&home, 0, sizeof(home));
		interrupt.source = 1;
		if (bench_migrate(&b.cb, b.name, b.a, json_tokener_parse(
		    json_object_to_json_string(b.base)), -1, &home, &show) == 0)
			b.at = 'a';
		else
			fprintf(stderr, "qlaunch: migrate-bench: back to %s: "
			    "%s\n", b.a, home.error);
		bench_run_free(&home);
	}
	if (b.wl_size >= 0 && b.at != 0) {
		int was;
		if (workload_stop(b.at == 'a' ? b.a : b.b, b.name, &was, err,
		    sizeof(err)) == -1)
			fprintf(stderr, "qlaunch: migrate-bench: the workload: "
			    "%s\n", err);
	}
	if (bench_out_summary(&b.out, runs, nruns, err, sizeof(err)) == -1)
		cli_die("migrate-bench: %s", err);
	manifest(&b, nruns, nfail, start);
	printf("%zu runs, %zu failed; results in %s (summary.csv, runs.csv, "
	    "series/, *.svg)\n", nruns, nfail, b.out.dir);
	for (size_t i = 0; i < nruns; i++)
		bench_run_free(&runs[i]);
	free(runs);
	bench_sweep_free(&b.sweep);
	json_object_put(b.base);
	client_close(&b.cb);
	free(b.a);
	free(b.b);
	free(b.cmdline);
	return nfail > 0 || interrupt.stop ? 1 : 0;
}

const struct cmd cmds_migbench[] = {
	{ "migrate-bench", NULL, c_migbench, "NAME --to unix:SOCKET "
	    "[--back-to unix:SOCKET] [--repeat N] [--vary KEY=V1,V2,...]... "
	    "[--out DIR] [--workload MiB,MiB/s] [--stop-on-error] "
	    "[--bandwidth MiB/s] [--downtime MS] [--multifd N] "
	    "[--auto-converge] [--xbzrle] [--timeout S] "
	    "[--listen-address ADDR]" },
	{ NULL, NULL, NULL, NULL }
};
