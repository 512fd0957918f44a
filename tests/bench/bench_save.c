/*
 * bench_save: "qlaunch save" and "qlaunch restore" of a guest holding
 * 512 MiB of non-zero memory, against raw QEMU's migrate to a file and
 * -incoming from it, side by side in one run; and "qlaunch clone"
 * against qemu-img convert of the same image.
 *
 *   bench_save [-q] [-n runs]
 *
 * The guest: the test guest (QLAUNCH_GUEST_DIR, else BUILDDIR/images/
 * guest) with 1 GiB of memory under TCG, which fills 512 MiB of its
 * tmpfs with data (32 MiB from /dev/urandom, copied 15 times more) once
 * it has booted; its memory stays that full for every run.  Two
 * guests: one under a private qlaunchd, one raw QEMU on the same
 * command line ("qlaunch cmdline") in its own runtime directory, driven
 * through its serial socket and its QMP socket.
 *
 * Save: qlaunch save (the bandwidth limit lifted, the guest paused
 * first, fd: migration) against raw QEMU: stop, migrate-set-parameters
 * max-bandwidth to the same value, migrate "exec:cat > FILE" (what the
 * tutorials type), query-migrate every 20 ms until completed; and once
 * per run the same with QEMU's default bandwidth, as a reference.
 * Restore (warm: the file is in the page cache): qlaunch restore until
 * it answers (running) against raw QEMU started with -incoming "exec:cat
 * FILE", QMP negotiated, query-migrate until completed, cont.
 * Clone: qlaunch clone of a VM whose disk is a 1 GiB qcow2 with 256 MiB
 * of data, against qemu-img convert -O qcow2 of that image.  Methods are
 * interleaved run by run.  Nothing here judges the times.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "config.h"

#define VM		"bsave"
#define CVM		"bclone"
#define MEMORY		"1024"
#define FILL_CMD	"dd if=/dev/urandom of=/run/r bs=1M count=32 " \
	"2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do " \
	"cat /run/r; done >/tmp/x; echo FILL-$((6*7))-DONE"
#define FILL_MARK	"FILL-42-DONE"
#define BANDWIDTH	"1099511627776"	/* what qlaunch sets: 1 TiB/s */

static struct bl_series s_save, s_rsave, s_rsave_def, s_restore, s_rrestore,
    s_clone, s_convert;
static char guest[PATH_MAX], rawdir[PATH_MAX], file[PATH_MAX + 32],
    rawfile[PATH_MAX + 32], cfile[PATH_MAX + 32], src[PATH_MAX + 32];
static const char *qimg;

/* ---- the qlaunch guest, through "qlaunch console" ---- */


/* Until the guest's shell answers; then its memory is filled. */
static void
qlaunch_guest_fill(void)
{
	char *o = NULL;

	for (int i = 0; i < 300; i++) {
		free(o);
		o = bl_console_cmd(VM, "echo READY-$((1+1))", 500);
		if (strstr(o, "READY-2") != NULL)
			break;
		bl_sleep_ms(200);
	}
	if (o == NULL || strstr(o, "READY-2") == NULL)
		errx(1, "the qlaunch guest did not answer on its console");
	free(o);
	o = bl_console_cmd(VM, FILL_CMD, 60000);
	if (strstr(o, FILL_MARK) == NULL)
		errx(1, "the qlaunch guest did not fill its memory: %.300s", o);
	free(o);
}

/* ---- the raw guest: its serial socket and its QMP socket ---- */

/* Read fd until needle (or die after timeout_ms). */
static void
read_until(int fd, const char *needle, int timeout_ms)
{
	struct bl_match m = { .len = 0 };
	uint64_t end = bl_now_ns() + (uint64_t)timeout_ms * 1000000;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (bl_now_ns() > end)
			errx(1, "raw guest: no '%s' in %d ms", needle,
			    timeout_ms);
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if (bl_match_read(&m, fd, needle))
			return;
	}
}

struct raw {
	pid_t		 pid;
	struct bl_line	 qmp;
	uint64_t	 t0;
};

static char **
argv_plus(char **v, const char *a, const char *b)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	char **nv = calloc(n + 3, sizeof(*nv));
	memcpy(nv, v, n * sizeof(*nv));
	nv[n] = (char *)a;
	nv[n + 1] = (char *)b;
	return nv;
}

static void
qmp_ok(struct bl_line *l, const char *cmd)
{
	bl_write_all(l->fd, cmd, strlen(cmd));
	const char *r = bl_line_reply(l);
	if (strncmp(r, "{\"return\"", 9) != 0)
		errx(1, "raw QEMU: %s: %.300s", cmd, r);
}

/* query-migrate every 20 ms until completed. */
static void
qmp_wait_migration(struct bl_line *l)
{
	static const char q[] = "{\"execute\": \"query-migrate\"}\n";

	for (;;) {
		bl_write_all(l->fd, q, sizeof(q) - 1);
		const char *r = bl_line_reply(l);
		if (strstr(r, "\"completed\"") != NULL)
			return;
		if (strstr(r, "\"failed\"") != NULL)
			errx(1, "raw QEMU: migration failed: %.300s", r);
		bl_sleep_ms(20);
	}
}

static void
raw_start(struct raw *rq, char **argv)
{
	char sock[PATH_MAX], log[PATH_MAX + 16];

	bl_argv_path(argv, "socket,id=qmp", sock, sizeof(sock));
	snprintf(log, sizeof(log), "%s/qemu.log", rawdir);
	unlink(sock);
	rq->t0 = bl_now_ns();
	rq->pid = bl_spawn(argv, log, 1);
	bl_line_init(&rq->qmp, bl_unix_connect(sock, 20000, rq->pid));
	bl_qmp_handshake(&rq->qmp);
}

static void
raw_quit(struct raw *rq)
{
	bl_raw_quit(&rq->qmp, rq->pid, 10000);
}

/* The raw guest boots, answers on its serial socket and fills memory. */
static void
raw_boot_fill(struct raw *rq, char **argv)
{
	char ser[PATH_MAX];

	bl_argv_path(argv, "socket,id=serial0", ser, sizeof(ser));
	raw_start(rq, argv);
	int fd = bl_unix_connect(ser, 20000, rq->pid);
	qmp_ok(&rq->qmp, "{\"execute\": \"cont\"}\n");
	read_until(fd, "QLAUNCH-GUEST-READY", 120000);
	bl_sleep_ms(500);
	bl_write_all(fd, FILL_CMD "\n", strlen(FILL_CMD) + 1);
	read_until(fd, FILL_MARK, 600000);
	close(fd);
}

/* Save the raw guest to rawfile; ends with its QEMU gone. */
static uint64_t
raw_save(struct raw *rq, int lifted)
{
	char mig[PATH_MAX + 64];

	unlink(rawfile);
	snprintf(mig, sizeof(mig), "{\"execute\": \"migrate\", \"arguments\": "
	    "{\"uri\": \"exec:cat > %s\"}}\n", rawfile);
	uint64_t t0 = bl_now_ns();
	qmp_ok(&rq->qmp, "{\"execute\": \"stop\"}\n");
	if (lifted)
		qmp_ok(&rq->qmp, "{\"execute\": \"migrate-set-parameters\", "
		    "\"arguments\": {\"max-bandwidth\": " BANDWIDTH "}}\n");
	qmp_ok(&rq->qmp, mig);
	qmp_wait_migration(&rq->qmp);
	uint64_t ns = bl_now_ns() - t0;
	raw_quit(rq);
	return ns;
}

/* A new raw QEMU from rawfile, running: spawn to the cont reply. */
static uint64_t
raw_restore(struct raw *rq, char **argv)
{
	char inc[PATH_MAX + 32];

	snprintf(inc, sizeof(inc), "exec:cat %s", rawfile);
	char **a = argv_plus(argv, "-incoming", inc);
	raw_start(rq, a);
	free(a);
	qmp_wait_migration(&rq->qmp);
	qmp_ok(&rq->qmp, "{\"execute\": \"cont\"}\n");
	return bl_now_ns() - rq->t0;
}

/* ---- clone ---- */

static void
make_image(void)
{
	char raw[PATH_MAX + 32];
	uint64_t x = 0x9e3779b97f4a7c15ULL, *buf = malloc(1 << 20);
	int fd;

	snprintf(raw, sizeof(raw), "%s/data.raw", bl_tmp);
	if (buf == NULL || (fd = open(raw, O_WRONLY | O_CREAT | O_EXCL,
	    0600)) == -1)
		err(1, "%s", raw);
	for (int m = 0; m < 256; m++) {
		for (size_t i = 0; i < (1 << 20) / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		if (write(fd, buf, 1 << 20) != 1 << 20)
			err(1, "write");
	}
	free(buf);
	if (ftruncate(fd, 1LL << 30) == -1 || close(fd) == -1)
		err(1, "%s", raw);
	snprintf(src, sizeof(src), "%s/src.qcow2", bl_tmp);
	char *argv[] = { (char *)qimg, "convert", "-f", "raw", "-O", "qcow2",
	    raw, src, NULL };
	bl_run_timed(argv);
	unlink(raw);
}

static void
clone_once(struct client_conn *c, int i, int record)
{
	char name[64], img[PATH_MAX + 64];

	snprintf(name, sizeof(name), "bcl%d", i);
	snprintf(img, sizeof(img), "%s/%s-vda.qcow2", bl_tmp, name);
	char *argv[] = { bl_qlaunch, "-c", bl_sock, "clone", CVM, name, NULL };
	uint64_t ns = bl_run_timed(argv);
	if (record)
		bl_series_add(&s_clone, ns);
	json_object_put(bl_call(c, "undefine", bl_name_args(name)));
	if (unlink(img) == -1)
		err(1, "%s", img);
}

static void
convert_once(int record)
{
	unlink(cfile);
	char *argv[] = { (char *)qimg, "convert", "-O", "qcow2", src, cfile,
	    NULL };
	uint64_t ns = bl_run_timed(argv);
	if (record)
		bl_series_add(&s_convert, ns);
}

/* ---- the report ---- */

static void
row(struct bl_series *s)
{
	printf("  %-46s %9.1f %9.1f %9.1f\n", s->name, bl_q_ms(s, 0.5),
	    bl_q_ms(s, 0.9), bl_q_ms(s, 0));
}

static void
compare(const char *what, struct bl_series *a, struct bl_series *b)
{
	double ma = bl_q_ms(a, 0.5), mb = bl_q_ms(b, 0.5);

	printf("  %-46s %8.2fx %+9.1f ms\n", what, bl_ratio(ma, mb), ma - mb);
}

static void
create_vm(struct client_conn *c, const char *name, const char *mem,
    const char *disk, int start)
{
	struct json_object *a = bl_name_args(name),
	    *set = bl_guest_settings(guest, mem);

	if (disk != NULL)
		json_object_object_add(set, "disk", json_object_new_string(
		    disk));
	json_object_object_add(a, "settings", set);
	if (start)
		json_object_object_add(a, "start", json_object_new_boolean(1));
	json_object_put(bl_call(c, "create", a));
	if (start)
		bl_track_foreign(bl_vm_pid(c, name));
}

int
main(int argc, char **argv)
{
	int runs = 5, ch, quick = bl_quick_env();

	while ((ch = getopt(argc, argv, "qn:h")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'n':
			runs = (int)bl_optnum("runs", optarg, 1, 1000, NULL);
			break;
		default:
			fprintf(stderr, "usage: bench_save [-q] [-n runs]\n");
			exit(2);
		}
	}
	if (quick)
		runs = 1;
	qimg = getenv("QEMU_IMG") != NULL && *getenv("QEMU_IMG") ?
	    getenv("QEMU_IMG") : QLAUNCH_QEMU_IMG;

	bl_init("bench_save");
	bl_guest_dir(guest, sizeof(guest));
	snprintf(file, sizeof(file), "%s/q.sav", bl_tmp);
	snprintf(rawfile, sizeof(rawfile), "%s/raw.sav", bl_tmp);
	snprintf(cfile, sizeof(cfile), "%s/conv.qcow2", bl_tmp);
	snprintf(rawdir, sizeof(rawdir), "%s/raw", bl_tmp);
	if (mkdir(rawdir, 0700) == -1)
		err(1, "%s", rawdir);

	bl_daemon_start();
	struct client_conn c;
	bl_connect(&c);
	create_vm(&c, VM, MEMORY, NULL, 0);
	char **rawargv = bl_vm_cmdline(&c, VM, rawdir);
	pid_t pid = bl_vm_start(&c, VM, 0);
	struct raw rq;
	fprintf(stderr, "bench_save: booting both guests and filling 512 MiB "
	    "of their memory\n");
	raw_boot_fill(&rq, rawargv);
	qlaunch_guest_fill();

	bl_series_init(&s_save, "qlaunch save (process)");
	bl_series_init(&s_rsave, "raw: stop, bandwidth lifted, migrate exec:");
	bl_series_init(&s_rsave_def, "raw: stop, default bandwidth, migrate");
	bl_series_init(&s_restore, "qlaunch restore (process, warm)");
	bl_series_init(&s_rrestore, "raw: -incoming exec:cat, cont (warm)");
	bl_series_init(&s_clone, "qlaunch clone (process)");
	bl_series_init(&s_convert, "qemu-img convert -O qcow2");

	char *sv[] = { bl_qlaunch, "-c", bl_sock, "save", VM, file, NULL };
	char *rs[] = { bl_qlaunch, "-c", bl_sock, "restore", file, NULL };
	for (int i = 0; i < runs; i++) {
		for (int k = 0; k < 3; k++) {
			switch ((i + k) % 3) {
			case 0:
				unlink(file);
				bl_untrack_foreign(pid);
				bl_series_add(&s_save, bl_run_timed(sv));
				bl_series_add(&s_restore, bl_run_timed(rs));
				bl_track_foreign(pid = bl_vm_pid(&c, VM));
				break;
			case 1:
				bl_series_add(&s_rsave, raw_save(&rq, 1));
				bl_series_add(&s_rrestore, raw_restore(&rq,
				    rawargv));
				break;
			case 2:
				bl_series_add(&s_rsave_def, raw_save(&rq, 0));
				raw_restore(&rq, rawargv);
				break;
			}
		}
	}
	struct stat st;
	long long qsize = stat(file, &st) == 0 ? (long long)st.st_size : 0;
	long long rsize = stat(rawfile, &st) == 0 ? (long long)st.st_size : 0;
	raw_quit(&rq);
	bl_vm_destroy(&c, VM);
	bl_untrack_foreign(pid);

	/* clone against qemu-img convert */
	make_image();
	char disk[PATH_MAX + 64];
	snprintf(disk, sizeof(disk), "path=%s,format=qcow2", src);
	create_vm(&c, CVM, "64", disk, 0);
	for (int i = 0; i < runs; i++) {
		if (i % 2) {
			clone_once(&c, i, 1);
			convert_once(1);
		} else {
			convert_once(1);
			clone_once(&c, i, 1);
		}
	}

	printf("bench_save: save, restore and clone, %s\n", bl_qemu);
	printf("guest: pc, 1 GiB, tcg,tb-size=32, 512 MiB of its memory "
	    "filled; files %lld (qlaunch) and %lld (raw) bytes\n", qsize,
	    rsize);
	printf("%d run%s per method, interleaved\n\n", runs, runs == 1 ? "" :
	    "s");
	printf("  %-46s %9s %9s %9s\n", "", "median ms", "p90 ms", "min ms");
	row(&s_save);
	row(&s_rsave);
	row(&s_rsave_def);
	row(&s_restore);
	row(&s_rrestore);
	row(&s_clone);
	row(&s_convert);
	printf("\n  %-46s %9s %12s\n", "median against baseline", "ratio",
	    "difference");
	compare("save / raw migrate, bandwidth lifted", &s_save, &s_rsave);
	compare("save / raw migrate, QEMU's default bandwidth", &s_save,
	    &s_rsave_def);
	compare("restore / raw -incoming + cont", &s_restore, &s_rrestore);
	compare("clone / qemu-img convert", &s_clone, &s_convert);
	printf("\n(qlaunch save ends with the VM shut off, so its row "
	    "includes QEMU's quit;\nthe raw rows end at query-migrate's "
	    "\"completed\".  The restore rows end with\nthe guest running.)\n");

	bl_argv_free(rawargv);
	client_close(&c);
	return 0;
}
