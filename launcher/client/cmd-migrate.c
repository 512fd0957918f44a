/*
 * qlaunch: migrate, migrate-info (virsh's domjobinfo) and migrate-cancel
 * (domjobabort).  The supervisor does the work; this shows its progress
 * on a terminal, and Ctrl-C cancels: the source guest runs on.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "migargs.h"
#include "migssh.h"
#include "sshconn.h"
#include "sshuri.h"
#include "statsfile.h"

/*
 * What SIGINT needs to ask for the cancel: a signal handler has no
 * argument, so this one thing lives at file scope, set before the
 * handler is installed and never changed after.
 */
static struct {
	struct sockaddr_un	 sun;
	char			 msg[256];
	size_t			 len;
	int			 conn;	/* the call's connection; -1: sun */
} cancel_req;

/*
 * Ctrl-C: migrate-cancel on a connection of its own, or, when the
 * supervisor is reached over ssh (-c ssh://...), as a second request on
 * the call's own connection: the supervisor takes requests side by
 * side, and the migrate request was written whole before the client
 * began to wait (one small write), so the two lines cannot mix.  Only
 * signal-safe calls.
 */
static void
on_sigint(int sig)
{
	int fd;

	(void)sig;
	if (cancel_req.conn != -1) {
		ssize_t n = write(cancel_req.conn, cancel_req.msg,
		    cancel_req.len);
		(void)n;
		return;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return;
	if (connect(fd, (struct sockaddr *)&cancel_req.sun,
	    sizeof(cancel_req.sun)) == 0) {
		ssize_t n = write(fd, cancel_req.msg, cancel_req.len);
		(void)n;
		/* the request is read before the end of file */
	}
	close(fd);
}

static void
cancel_on_sigint(struct cli *cli, const char *name)
{
	struct sigaction sa;
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "execute", json_object_new_string(
	    "migrate-cancel"));
	json_object_object_add(r, "arguments", cli_name_args(name));
	/* its reply, if read at all, matches no call's id */
	json_object_object_add(r, "id", json_object_new_string("ctrl-c"));
	memset(&cancel_req, 0, sizeof(cancel_req));
	cancel_req.conn = cli->conn.ssh != NULL ? cli->conn.fd : -1;
	cancel_req.sun.sun_family = AF_UNIX;
	strlcpy(cancel_req.sun.sun_path, cli->sock,
	    sizeof(cancel_req.sun.sun_path));
	cancel_req.len = (size_t)snprintf(cancel_req.msg, sizeof(cancel_req.msg),
	    "%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
	if (cancel_req.len >= sizeof(cancel_req.msg))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}


static void
print_summary(struct json_object *s)
{
	char b[32];

	printf("%-20s %lld ms\n", "Time elapsed:", jint(s, "time_elapsed_ms",
	    0));
	printf("%-20s %lld ms\n", "Migration time:", jint(s, "migration_ms",
	    0));
	printf("%-20s %lld ms\n", "Setup time:", jint(s, "setup_time_ms", 0));
	printf("%-20s %lld ms\n", "Total downtime:", jint(s, "downtime_ms", 0));
	cli_size_str(jint(s, "data_processed", 0), b, sizeof(b));
	printf("%-20s %s\n", "Data processed:", b);
	cli_size_str(jint(s, "memory_total", 0), b, sizeof(b));
	printf("%-20s %s\n", "Memory total:", b);
	printf("%-20s %lld\n", "Passes:", jint(s, "passes", 0));
	struct json_object *g = jget(jget(s, "summary"), "guest_downtime_ms");
	if (g != NULL)
		printf("%-20s %.3f ms\n", "Guest downtime:",
		    json_object_get_double(g));
}

/* "unix:/path/to/qlaunchd.sock" */
static char *
dest_path(struct cli *cli, const char *dest)
{
	if (strncmp(dest, "unix:", 5) == 0 && dest[5] != '\0')
		return cli_abs_path(dest + 5);
	cli_usage_error(cli, "DEST is unix:PATH, the other "
	    "qlaunchd's control socket, or ssh://[user@]host[:port]");
}

static void
num_arg(struct json_object *a, const char *key, const char *flag,
    const char *v, long long min, long long max)
{
	if (v != NULL)
		json_object_object_add(a, key, json_object_new_int64(
		    cli_num(flag, v, min, max)));
}

static int
c_migrate(struct cli *cli, int argc, char **argv)
{
	int live = 0, keep = 0, ac = 0, xbzrle = 0, json = 0, verbose = 0,
	    copy = 0, offline = 0, resume = 0;
	const char *bw = NULL, *downtime = NULL, *multifd = NULL,
	    *timeout = NULL, *listen = NULL, *stats = NULL, *interval = NULL;
	struct statsfile sf;
	char err[512];
	struct migargs g = { 0 };
	struct opt o[] = {
		{ "live", 0, NULL, &live },
		{ "keep-source", 0, NULL, &keep },
		{ "bandwidth", 1, &bw, NULL },
		{ "downtime", 1, &downtime, NULL },
		{ "auto-converge", 0, NULL, &ac },
		{ "xbzrle", 2, &g.xbzrle_cache, &xbzrle },
		{ "multifd", 1, &multifd, NULL },
		{ "timeout", 1, &timeout, NULL },
		{ "listen-address", 1, &listen, NULL },
		{ "stats", 1, &stats, NULL },
		{ "stats-interval", 1, &interval, NULL },
		{ "postcopy", 0, NULL, &g.postcopy },
		{ "postcopy-after", 1, &g.postcopy_after, NULL },
		{ "postcopy-bandwidth", 1, &g.postcopy_bandwidth, NULL },
		{ "timeout-action", 1, &g.timeout_action, NULL },
		{ "multifd-compression", 1, &g.compression, NULL },
		{ "stall-timeout", 1, &g.stall_timeout, NULL },
		{ "verbose", 0, NULL, &verbose },
		{ "json", 0, NULL, &json },
		{ "copy-storage", 0, NULL, &copy },
		{ "copy-storage-all", 0, NULL, &copy },
		{ "offline", 0, NULL, &offline },
		{ "postcopy-resume", 0, NULL, &resume },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 2);
	if (interval != NULL && stats == NULL)
		cli_usage_error(cli, "--stats-interval goes with --stats");
	int ssh = sshuri_is(argv[first + 1]);
	struct sshconn sc = { .fd = -1, .errfd = -1 };
	char *dest = ssh ? NULL : dest_path(cli, argv[first + 1]);
	/* a bad --stats file fails before anything starts */
	if (statsfile_open(&sf, stats, json, err, sizeof(err)) == -1)
		cli_die("migrate: %s", err);
	struct json_object *a = cli_name_args(argv[first]);
	if (!ssh)
		json_object_object_add(a, "dest", json_object_new_string(dest));
	num_arg(a, "bandwidth", "--bandwidth", bw, 1, 1 << 20);
	num_arg(a, "downtime", "--downtime", downtime, 1, 2000000);
	num_arg(a, "multifd", "--multifd", multifd, 1, 255);
	num_arg(a, "timeout", "--timeout", timeout, 1, 86400 * 7);
	num_arg(a, "stats_interval", "--stats-interval", interval, 10, 60000);
	if (keep)
		json_object_object_add(a, "keep_source",
		    json_object_new_boolean(1));
	if (ac)
		json_object_object_add(a, "auto_converge",
		    json_object_new_boolean(1));
	if (xbzrle)
		json_object_object_add(a, "xbzrle", json_object_new_boolean(1));
	if (copy)
		json_object_object_add(a, "copy_storage",
		    json_object_new_boolean(1));
	if (offline && live)
		cli_usage_error(cli, "--live and --offline exclude "
		    "each other");
	if (offline)
		json_object_object_add(a, "offline",
		    json_object_new_boolean(1));
	if (resume && (offline || copy || g.postcopy))
		cli_usage_error(cli, "--postcopy-resume resumes a "
		    "broken postcopy migration; it takes no other kind");
	if (resume)
		json_object_object_add(a, "postcopy_resume",
		    json_object_new_boolean(1));
	if (listen != NULL)
		json_object_object_add(a, "listen", json_object_new_string(
		    listen));
	migargs_add(a, &g);
	cli_connect(cli);
	if (ssh)
		dest = migssh_dest(cli, argv[first + 1], a, &sc);
	cancel_on_sigint(cli, argv[first]);
	struct json_object *ret = statsfile_call(cli, &sf, a);
	sshconn_close(&sc, 5000);
	if (json)
		cli_print_json(ret);
	else {
		printf("Domain '%s' migrated to %s%s\n", argv[first], dest,
		    resume ? " (postcopy resumed)" : "");
		if (verbose && !offline && !resume)
			print_summary(ret);
	}
	free(dest);
	json_object_put(ret);
	return 0;
}

static int
c_migrate_info(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct opt o[] = {
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	static const struct {
		const char	*key, *label;
		int		 size;
	} rows[] = {
		{ "time_elapsed_ms", "Time elapsed:", 0 },
		{ "setup_time_ms", "Setup time:", 0 },
		{ "data_processed", "Data processed:", 1 },
		{ "data_remaining", "Data remaining:", 1 },
		{ "data_total", "Data total:", 1 },
		{ "expected_downtime_ms", "Expected downtime:", 0 },
		{ "downtime_ms", "Total downtime:", 0 },
		{ "guest_downtime_ms", "Guest downtime:", 0 },
		{ "passes", "Passes:", 2 },
		{ "postcopy_requests", "Postcopy requests:", 2 },
	};
	char b[32];

	cli_operands(cli, argc, first, 1);
	struct json_object *ret = cli_call(cli, "migrate-info",
	    cli_name_args(argv[first]));
	if (json) {
		cli_print_json(ret);
		json_object_put(ret);
		return 0;
	}
	printf("%-20s %s\n", "Job status:", jstr_or(ret, "status", "none"));
	for (size_t i = 0; i < nitems(rows); i++) {
		if (jget(ret, rows[i].key) == NULL)
			continue;
		long long v = jint(ret, rows[i].key, 0);
		if (rows[i].size == 1) {
			cli_size_str(v, b, sizeof(b));
			printf("%-20s %s\n", rows[i].label, b);
		} else if (rows[i].size == 2)
			printf("%-20s %lld\n", rows[i].label, v);
		else
			printf("%-20s %lld ms\n", rows[i].label, v);
	}
	if (jget(ret, "mbps") != NULL)
		printf("%-20s %.1f Mbit/s\n", "Memory bandwidth:",
		    json_object_get_double(jget(ret, "mbps")));
	if (jget(ret, "dirty_rate_pages") != NULL)
		printf("%-20s %lld pages/s\n", "Dirty rate:", jint(ret,
		    "dirty_rate_pages", 0));
	if (jstr(ret, "error") != NULL)
		printf("%-20s %s\n", "Error:", jstr(ret, "error"));
	json_object_put(ret);
	return 0;
}

static int
c_migrate_cancel(struct cli *cli, int argc, char **argv)
{
	int postcopy = 0;
	struct opt o[] = { { "postcopy", 0, NULL, &postcopy } };
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	struct json_object *a = cli_name_args(argv[first]);
	if (postcopy)
		json_object_object_add(a, "postcopy",
		    json_object_new_boolean(1));
	json_object_put(cli_call(cli, "migrate-cancel", a));
	printf("VM %s %s\n", argv[first], postcopy ? "migration paused in "
	    "postcopy (migrate --postcopy-resume goes on)" :
	    "migration cancelled");
	return 0;
}

const struct cmd cmds_migrate[] = {
	{ "migrate", NULL, c_migrate, "NAME unix:SOCKET|ssh://[USER@]HOST[:PORT]"
	    "[/?keyfile=K&socket=S&command=C] [--live] "
	    "[--keep-source] [--bandwidth MiB/s] [--downtime MS] "
	    "[--auto-converge] [--xbzrle[=CACHE]] [--multifd N] "
	    "[--multifd-compression zstd|zlib|none] [--postcopy] "
	    "[--postcopy-after PASSES] [--postcopy-bandwidth MiB/s] "
	    "[--timeout S] "
	    "[--timeout-action cancel|pause|postcopy] [--stall-timeout S] "
	    "[--listen-address ADDR] [--stats FILE.csv|FILE.json "
	    "[--stats-interval MS]] [--copy-storage] [--offline] "
	    "[--postcopy-resume] [--verbose] [--json]" },
	{ "migrate-info", "domjobinfo", c_migrate_info, "NAME [--json]" },
	{ "migrate-cancel", "domjobabort", c_migrate_cancel,
	    "NAME [--postcopy]" },
	{ NULL, NULL, NULL, NULL }
};
