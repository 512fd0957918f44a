/*
 * bench_snapshot: an internal snapshot of a running VM taken and
 * reverted to through qlaunch (snapshot-create-as and snapshot-revert,
 * each a client process), against the same QMP jobs sent by hand to an
 * identical raw QEMU (snapshot-save and snapshot-load: the command, its
 * JOB_STATUS_CHANGE to "concluded", query-jobs, job-dismiss), side by
 * side.  Both VMs: pc, 64 MiB, tcg, one 64 MiB qcow2 virtio disk of
 * their own, no guest (the firmware only), so the RAM saved is the same.
 */
#include <sys/stat.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "config.h"
#include "jget.h"

#define VM	"snapbench"
#define RAWVM	"snapraw"

static struct bl_series s_cli_save, s_cli_load, s_raw_save, s_raw_load;

/* A VM with its own qcow2 disk; started when start. */
static void
create(struct client_conn *c, const char *name, int start)
{
	char img[4200], disk[4300];
	struct json_object *a = bl_name_args(name);
	struct json_object *set = json_object_new_object();

	snprintf(img, sizeof(img), "%s/%s.qcow2", bl_tmp, name);
	const char *qimg = getenv("QEMU_IMG");
	if (qimg == NULL || *qimg == '\0')
		qimg = QLAUNCH_QEMU_IMG;
	char *mk[] = { (char *)qimg, "create", "-q", "-f", "qcow2", img,
	    "64M", NULL };
	bl_run_timed(mk);
	snprintf(disk, sizeof(disk), "%s,format=qcow2", img);
	json_object_object_add(set, "memory", json_object_new_string("64"));
	json_object_object_add(set, "accel",
	    json_object_new_string("tcg,tb-size=32"));
	json_object_object_add(set, "disk", json_object_new_string(disk));
	json_object_object_add(a, "settings", set);
	if (start)
		json_object_object_add(a, "start", json_object_new_boolean(1));
	json_object_put(bl_call(c, "create", a));
	if (start)
		bl_track_foreign(bl_vm_pid(c, name));
}

/* One QMP job by hand: the command, "concluded", query-jobs, dismiss. */
static void
raw_job(struct bl_line *l, const char *cmd, const char *tag, int vmstate)
{
	static unsigned seq;
	char buf[1024], id[64];
	int replied = 0, concluded = 0;

	snprintf(id, sizeof(id), "raw%u", ++seq);
	snprintf(buf, sizeof(buf), "{\"execute\": \"%s\", \"arguments\": "
	    "{\"job-id\": \"%s\", \"tag\": \"%s\", %s\"devices\": "
	    "[\"fmt-vda\"]}}\n", cmd, id, tag, vmstate ?
	    "\"vmstate\": \"fmt-vda\", " : "");
	bl_write_all(l->fd, buf, strlen(buf));
	while (!replied || !concluded) {
		const char *line = bl_line_read(l);
		if (strstr(line, "\"return\"") != NULL)
			replied = 1;
		else if (strstr(line, "\"error\"") != NULL &&
		    strstr(line, "\"event\"") == NULL)
			errx(1, "raw QEMU: %s: %.300s", cmd, line);
		else if (strstr(line, "JOB_STATUS_CHANGE") != NULL &&
		    strstr(line, id) != NULL &&
		    strstr(line, "\"concluded\"") != NULL)
			concluded = 1;
	}
	static const char q[] = "{\"execute\": \"query-jobs\"}\n";
	bl_write_all(l->fd, q, sizeof(q) - 1);
	const char *r = bl_line_reply(l);
	if (strstr(r, id) == NULL || strstr(r, "\"error\"") != NULL)
		errx(1, "raw QEMU: %s: %.300s", cmd, r);
	snprintf(buf, sizeof(buf), "{\"execute\": \"job-dismiss\", "
	    "\"arguments\": {\"id\": \"%s\"}}\n", id);
	bl_write_all(l->fd, buf, strlen(buf));
	bl_line_reply(l);
}

static void
run_cli(const char *verb, const char *tag, struct bl_series *s, int record)
{
	char *argv[] = { bl_qlaunch, (char *)verb, VM, (char *)tag, NULL };
	uint64_t ns = bl_run_timed(argv);

	if (record && s != NULL)
		bl_series_add(s, ns);
}

static void
row(struct bl_series *s)
{
	printf("  %-44s %9.1f %9.1f %9.1f\n", s->name, bl_q_ms(s, 0.5),
	    bl_q_ms(s, 0.9), bl_q_ms(s, 0));
}

static void
compare(const char *what, struct bl_series *a, struct bl_series *b)
{
	double ma = bl_q_ms(a, 0.5), mb = bl_q_ms(b, 0.5);

	printf("  %-44s %8.2fx %+9.1f ms\n", what, bl_ratio(ma, mb), ma - mb);
}

int
main(int argc, char **argv)
{
	int runs = 10, warmup = 1, quick = bl_quick_env();
	char rawdir[4200], sock[4200], tag[32];

	if (argc > 1 && strcmp(argv[1], "-q") == 0)
		quick = 1;
	if (quick)
		runs = 3;
	bl_init("bench_snapshot");
	bl_daemon_start();
	struct client_conn c;
	bl_connect(&c);
	create(&c, VM, 1);
	create(&c, RAWVM, 0);
	snprintf(rawdir, sizeof(rawdir), "%s/raw", bl_tmp);
	if (mkdir(rawdir, 0700) == -1)
		err(1, "%s", rawdir);
	char **rawargv = bl_vm_cmdline(&c, RAWVM, rawdir);
	bl_argv_qmp_path(rawargv, sock, sizeof(sock));
	pid_t pid = bl_spawn(rawargv, NULL, 1);
	struct bl_line l;
	bl_line_init(&l, bl_unix_connect(sock, 20000, pid));
	bl_qmp_handshake(&l);
	static const char cont[] = "{\"execute\": \"cont\"}\n";
	bl_write_all(l.fd, cont, sizeof(cont) - 1);
	bl_line_reply(&l);

	bl_series_init(&s_cli_save, "qlaunch snapshot-create-as (process)");
	bl_series_init(&s_cli_load, "qlaunch snapshot-revert (process)");
	bl_series_init(&s_raw_save, "raw QMP snapshot-save job");
	bl_series_init(&s_raw_load, "raw QMP snapshot-load job");
	for (int i = 0; i < warmup + runs; i++) {
		int rec = i >= warmup;
		snprintf(tag, sizeof(tag), "s%d", i);
		uint64_t t0 = bl_now_ns();
		raw_job(&l, "snapshot-save", tag, 1);
		uint64_t t1 = bl_now_ns();
		raw_job(&l, "snapshot-load", tag, 1);
		uint64_t t2 = bl_now_ns();
		raw_job(&l, "snapshot-delete", tag, 0);
		if (rec) {
			bl_series_add(&s_raw_save, t1 - t0);
			bl_series_add(&s_raw_load, t2 - t1);
		}
		run_cli("snapshot-create-as", tag, &s_cli_save, rec);
		run_cli("snapshot-revert", tag, &s_cli_load, rec);
		run_cli("snapshot-delete", tag, NULL, 0);
	}

	printf("bench_snapshot: internal snapshot of a running VM, %s\n",
	    bl_qemu);
	printf("VM: pc, 64 MiB, tcg,tb-size=32, one 64 MiB qcow2 virtio "
	    "disk, firmware only\n");
	printf("%d runs after %d warm-up, interleaved\n\n", runs, warmup);
	printf("  %-44s %9s %9s %9s\n", "", "median ms", "p90 ms", "min ms");
	row(&s_raw_save);
	row(&s_cli_save);
	row(&s_raw_load);
	row(&s_cli_load);
	printf("\n  %-44s %9s %12s\n", "median against baseline", "ratio",
	    "difference");
	compare("snapshot-create-as / raw snapshot-save", &s_cli_save,
	    &s_raw_save);
	compare("snapshot-revert / raw snapshot-load", &s_cli_load,
	    &s_raw_load);

	static const char quit[] = "{\"execute\": \"quit\"}\n";
	bl_write_all(l.fd, quit, sizeof(quit) - 1);
	bl_line_close(&l);
	bl_wait(pid, 10000);
	bl_argv_free(rawargv);
	client_close(&c);
	bl_series_free(&s_cli_save);
	bl_series_free(&s_cli_load);
	bl_series_free(&s_raw_save);
	bl_series_free(&s_raw_load);
	return 0;
}
