/*
 * qlaunch domstats (virsh domstats): one sample of each VM, as virsh
 * prints it (key=value lines in virsh's units: ns, KiB), or --json; with
 * --watch a stream from the supervisor's poller (stats-watch), every
 * --delay seconds, one JSON object a line with --json (the web page's
 * feed), until interrupted or --iterations.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "names.h"
#include "statwatch.h"

static void
print_part(const char *vmkey, struct json_object *arr,
    const char *const (*keys)[2], size_t nkeys)
{
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;

	printf("  %s.count=%zu\n", vmkey, n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		printf("  %s.%zu.name=%s\n", vmkey, i, jstr_or(e, "name", "?"));
		for (size_t k = 0; k < nkeys; k++)
			printf("  %s.%zu.%s=%lld\n", vmkey, i, keys[k][0],
			    jint(e, keys[k][1], 0));
	}
}

/* The balloon's guest figures, under virsh's names and units (KiB). */
static void
print_guest_mem(struct json_object *b)
{
	static const struct {
		const char	*virsh, *qemu;
		int		 bytes;
	} rows[] = {
		{ "swap_in", "stat-swap-in", 1 },
		{ "swap_out", "stat-swap-out", 1 },
		{ "major_fault", "stat-major-faults", 0 },
		{ "minor_fault", "stat-minor-faults", 0 },
		{ "unused", "stat-free-memory", 1 },
		{ "available", "stat-total-memory", 1 },
		{ "usable", "stat-available-memory", 1 },
		{ "disk_caches", "stat-disk-caches", 1 },
	};
	struct json_object *g = jget(b, "guest");

	if (g == NULL)
		return;
	for (size_t i = 0; i < nitems(rows); i++)
		if (jget(g, rows[i].qemu) != NULL)
			printf("  balloon.%s=%lld\n", rows[i].virsh, jint(g,
			    rows[i].qemu, 0) >> (rows[i].bytes ? 10 : 0));
	printf("  balloon.last-update=%lld\n", jint(b, "last_update", 0));
}

/* One VM as virsh domstats prints it. */
static void
print_vm(struct json_object *v)
{
	static const char *const bkeys[][2] = {
		{ "rd.reqs", "rd_reqs" }, { "rd.bytes", "rd_bytes" },
		{ "wr.reqs", "wr_reqs" }, { "wr.bytes", "wr_bytes" },
		{ "fl.reqs", "flush_reqs" },
	};
	static const char *const nkeys[][2] = {
		{ "rx.bytes", "rx_bytes" }, { "rx.pkts", "rx_packets" },
		{ "rx.errs", "rx_errs" }, { "rx.drop", "rx_drop" },
		{ "tx.bytes", "tx_bytes" }, { "tx.pkts", "tx_packets" },
		{ "tx.errs", "tx_errs" }, { "tx.drop", "tx_drop" },
	};
	struct json_object *cpu = jget(v, "cpu"), *b = jget(v, "balloon"),
	    *r = jget(v, "rates"), *vc;

	printf("Domain: '%s'\n", jstr_or(v, "name", "?"));
	printf("  state.state=%s\n", jstr_or(v, "state", "?"));
	if (jstr(v, "error") != NULL)
		printf("  error=%s\n", jstr(v, "error"));
	if (cpu != NULL) {
		printf("  cpu.time=%lld\n", jint(cpu, "time_ms", 0) * 1000000);
		vc = jget(cpu, "vcpus");
		printf("  vcpu.current=%zu\n", vc != NULL ?
		    json_object_array_length(vc) : 0);
		for (size_t i = 0; vc != NULL &&
		    i < json_object_array_length(vc); i++) {
			struct json_object *e = json_object_array_get_idx(vc,
			    i);
			printf("  vcpu.%lld.time=%lld\n", jint(e, "id", 0),
			    jint(e, "time_ms", 0) * 1000000);
		}
	}
	if (b != NULL) {
		printf("  balloon.current=%lld\n", jint(b, "current_mib", 0) *
		    1024);
		printf("  balloon.maximum=%lld\n", jint(b, "maximum_mib", 0) *
		    1024);
		print_guest_mem(b);
	}
	if (jget(v, "block") != NULL)
		print_part("block", jget(v, "block"), bkeys, nitems(bkeys));
	if (jget(v, "net") != NULL)
		print_part("net", jget(v, "net"), nkeys, nitems(nkeys));
	if (r != NULL) {
		printf("  rate.cpu_pct=%.1f\n", json_object_get_double(jget(r,
		    "cpu_pct")));
		static const char *const rk[] = { "rd_bps", "wr_bps",
		    "rx_bps", "tx_bps" };
		for (size_t i = 0; i < nitems(rk); i++)
			printf("  rate.%s=%lld\n", rk[i], jint(r, rk[i], 0));
	}
	printf("\n");
}

static void
print_all(struct json_object *data, int json)
{
	struct json_object *vms = jget(data, "vms");

	if (json) {
		printf("%s\n", json_object_to_json_string_ext(data,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		for (size_t i = 0; vms != NULL &&
		    i < json_object_array_length(vms); i++)
			print_vm(json_object_array_get_idx(vms, i));
	}
	fflush(stdout);
}

struct watchprint {
	int	json;
};

static int
on_sample(struct json_object *data, void *arg)
{
	struct watchprint *w = arg;

	print_all(data, w->json);
	return 0;
}

static int
c_domstats(struct cli *cli, int argc, char **argv)
{
	int json = 0, watch = 0;
	const char *delay = NULL, *iters = NULL;
	struct opt o[] = {
		{ "json", 0, NULL, &json },
		{ "watch", 0, NULL, &watch },
		{ "delay", 1, &delay, NULL },
		{ "iterations", 1, &iters, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	struct json_object *a = json_object_new_object();

	if (!watch && (delay != NULL || iters != NULL))
		cli_usage_error(cli, "--delay and --iterations go with "
		    "--watch");
	if (argc > first) {
		struct json_object *names = json_object_new_array();
		for (int i = first; i < argc; i++)
			json_object_array_add(names,
			    json_object_new_string(argv[i]));
		json_object_object_add(a, "names", names);
	}
	if (watch) {
		struct watchprint w = { json };
		struct statwatch sw = {
			.delay_ms = statwatch_delay(delay, 1000),
			.iterations = iters != NULL ? (int)cli_num(
			    "--iterations", iters, 1, 1000000000) : 0,
			.stdin_fd = -1,
			.on_sample = on_sample,
			.arg = &w,
		};
		char err[2048];
		if (statwatch_run(cli, a, &sw, err, sizeof(err)) == -1)
			cli_die("%s", err);
		return 0;
	}
	struct json_object *ret = cli_call(cli, "domstats", a);
	if (json)
		cli_print_json(ret);
	else
		print_all(ret, 0);
	json_object_put(ret);
	return 0;
}

const struct cmd cmds_stats[] = {
	{ "domstats", NULL, c_domstats, "[NAME...] [--json] [--watch "
	    "[--delay S] [--iterations N]]" },
	{ NULL, NULL, NULL, NULL }
};
