/*
 * bench_cpu: vCPU hot-plug latency of "qlaunch setvcpus NAME N --live"
 * against the raw QMP sequence on a QEMU started by hand with the same
 * command line (query-hotpluggable-cpus, then device_add of the lowest
 * free slot), in the same run; device_add alone is shown too.
 *
 *   bench_cpu [-q] [-n runs] [-w warmup]
 *
 * Each run plugs one more vCPU (1 -> 2 -> ...), so maxvcpus is runs +
 * warm-up + 1.  No kernel boots (SeaBIOS finds nothing and halts), so
 * unplug, which needs the guest's ACPI answer, is not measured.  TCG with
 * QEMU's default translation buffer: QEMU 7.2's threaded TCG can abort on
 * a plug with a small one.  Nothing here judges the times.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"

#define VM	"bc1"

static struct bl_series s_cli, s_raw, s_add;

/* The lowest free slot's device_add line, from query-hotpluggable-cpus. */
static char *
free_slot(const char *reply, int id)
{
	struct json_object *o = json_tokener_parse(reply), *ret, *best = NULL;
	long long bkey = -1;

	if (o == NULL || !json_object_object_get_ex(o, "return", &ret))
		errx(1, "query-hotpluggable-cpus: %.200s", reply);
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *e = json_object_array_get_idx(ret, i), *p, *v;
		if (json_object_object_get_ex(e, "qom-path", &v))
			continue;
		json_object_object_get_ex(e, "props", &p);
		long long key = 0;
		static const char *const ids[] = { "socket-id", "die-id",
		    "core-id", "thread-id" };
		for (size_t k = 0; k < 4; k++)
			key = key * 1024 + (json_object_object_get_ex(p, ids[k],
			    &v) ? json_object_get_int64(v) : 0);
		if (bkey < 0 || key < bkey) {
			bkey = key;
			best = e;
		}
	}
	if (best == NULL)
		errx(1, "no free vCPU slot left");
	struct json_object *p, *t, *args = json_object_new_object();
	json_object_object_get_ex(best, "props", &p);
	json_object_object_get_ex(best, "type", &t);
	json_object_object_add(args, "driver", json_object_get(t));
	char idbuf[32];
	snprintf(idbuf, sizeof(idbuf), "vcpu%d", id);
	json_object_object_add(args, "id", json_object_new_string(idbuf));
	json_object_object_foreach(p, k, v)
		json_object_object_add(args, k, json_object_get(v));
	struct json_object *cmd = json_object_new_object();
	json_object_object_add(cmd, "execute",
	    json_object_new_string("device_add"));
	json_object_object_add(cmd, "arguments", args);
	char *line = NULL;
	if (asprintf(&line, "%s\n", json_object_to_json_string_ext(cmd,
	    JSON_C_TO_STRING_PLAIN)) == -1)
		err(1, "asprintf");
	json_object_put(cmd);
	json_object_put(o);
	return line;
}

static void
raw_once(struct bl_line *l, int n, int record)
{
	static const char q[] = "{\"execute\": \"query-hotpluggable-cpus\"}\n";

	uint64_t t0 = bl_now_ns();
	bl_write_all(l->fd, q, sizeof(q) - 1);
	char *line = free_slot(bl_line_reply(l), n);
	uint64_t t1 = bl_now_ns();
	bl_write_all(l->fd, line, strlen(line));
	const char *r = bl_line_reply(l);
	uint64_t t2 = bl_now_ns();
	if (strncmp(r, "{\"return\"", 9) != 0)
		errx(1, "raw QEMU: device_add: %.200s", r);
	free(line);
	if (record) {
		bl_series_add(&s_raw, t2 - t0);
		bl_series_add(&s_add, t2 - t1);
	}
}

static void
cli_once(int n, int record)
{
	char num[16];
	snprintf(num, sizeof(num), "%d", n);
	char *argv[] = { bl_qlaunch, "setvcpus", VM, num, "--live", NULL };
	uint64_t ns = bl_run_timed(argv);

	if (record)
		bl_series_add(&s_cli, ns);
}

int
main(int argc, char **argv)
{
	int runs = 10, warmup = 1;

	bl_run_options(argc, argv, "bench_cpu", &runs, &warmup, 3);
	bl_init("bench_cpu");
	bl_daemon_start();
	struct client_conn c;
	bl_connect(&c);

	int max = runs + warmup + 1;
	char vcpus[32];
	snprintf(vcpus, sizeof(vcpus), "1,maxvcpus=%d", max);
	struct json_object *a = json_object_new_object();
	struct json_object *set = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(VM));
	json_object_object_add(set, "memory", json_object_new_string("64"));
	json_object_object_add(set, "accel", json_object_new_string("tcg"));
	json_object_object_add(set, "vcpus", json_object_new_string(vcpus));
	json_object_object_add(a, "settings", set);
	json_object_put(bl_call(&c, "create", a));

	char rawdir[4096], sock[4200], log[4200];
	snprintf(rawdir, sizeof(rawdir), "%s/raw", bl_tmp);
	if (mkdir(rawdir, 0700) == -1)
		err(1, "%s", rawdir);
	char **rawargv = bl_vm_cmdline(&c, VM, rawdir);
	pid_t vmpid = bl_vm_start(&c, VM, 0);

	/* the raw QEMU, by hand: same command line, QMP, cont */
	bl_argv_qmp_path(rawargv, sock, sizeof(sock));
	snprintf(log, sizeof(log), "%s/qemu.log", rawdir);
	pid_t rawpid = bl_spawn(rawargv, log, 1);
	struct bl_line l;
	bl_line_init(&l, bl_unix_connect(sock, 20000, rawpid));
	bl_qmp_handshake(&l);
	static const char cont[] = "{\"execute\": \"cont\"}\n";
	bl_write_all(l.fd, cont, sizeof(cont) - 1);
	if (strncmp(bl_line_reply(&l), "{\"return\"", 9) != 0)
		errx(1, "raw QEMU: cont failed");

	bl_series_init(&s_cli, "qlaunch setvcpus NAME N --live");
	bl_series_init(&s_raw, "raw QMP: query-hotpluggable + device_add");
	bl_series_init(&s_add, "raw QMP: device_add alone");
	for (int i = 0; i < warmup + runs; i++) {
		int rec = i >= warmup;
		if (i % 2 == 0) {
			cli_once(i + 2, rec);
			raw_once(&l, i + 1, rec);
		} else {
			raw_once(&l, i + 1, rec);
			cli_once(i + 2, rec);
		}
	}

	printf("bench_cpu: vCPU hot-plug, one vCPU a run, %s\n", bl_qemu);
	printf("VM: pc, 64 MiB, tcg, -smp 1,maxcpus=%d, no kernel\n", max);
	printf("%d runs per method after %d warm-up, alternating\n\n", runs,
	    warmup);
	printf("  %-44s %9s %9s %9s\n", "plug one vCPU", "median ms", "p90 ms",
	    "min ms");
	bl_row(&s_cli);
	bl_row(&s_raw);
	bl_row(&s_add);
	printf("\n  %-44s %9s %11s %11s\n", "median against baseline", "ratio",
	    "difference", "paired");
	bl_compare("setvcpus / raw query + device_add", &s_cli, &s_raw);
	bl_compare("setvcpus / raw device_add", &s_cli, &s_add);
	printf("\n(setvcpus includes starting the client process, its "
	    "connection, the\nsupervisor's query-hotpluggable-cpus and "
	    "storing the running definition.)\n");

	static const char quit[] = "{\"execute\": \"quit\"}\n";
	bl_write_all(l.fd, quit, sizeof(quit) - 1);
	/* QEMU closes the socket as it exits */
	char buf[4096];
	while (read(l.fd, buf, sizeof(buf)) > 0)
		;
	bl_line_close(&l);
	if (bl_wait(rawpid, 10000) == -1)
		warnx("raw QEMU did not quit; killed it");
	bl_vm_destroy(&c, VM);
	bl_untrack_foreign(vmpid);
	bl_argv_free(rawargv);
	client_close(&c);
	bl_series_free(&s_cli);
	bl_series_free(&s_raw);
	bl_series_free(&s_add);
	return 0;
}
