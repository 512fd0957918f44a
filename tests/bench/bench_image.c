/*
 * bench_image: "qlaunch image convert" against qemu-img convert on the
 * same image, side by side in one run.
 *
 *   bench_image [-q] [-n runs] [-w warmup]
 *
 * The source: a 1 GiB qcow2 holding 256 MiB of pseudo-random data (at
 * its start), made once.  Each run converts it to a new raw file (sparse,
 * as both do by default) in the benchmark's temporary directory, which is
 * removed before the next run.  Three methods, interleaved run by run in
 * a rotating order: qemu-img convert -O raw (what a person types),
 * qemu-img convert -p -O raw (what qlaunch runs: the same with progress
 * reports), and qlaunch image convert (which adds its own process, the
 * O_EXCL creation of the target, the parsing of the progress reports and
 * a qemu-img info of the result).  Output goes to a file, not a
 * terminal, in all three.  Nothing here judges the times.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchlib.h"
#include "config.h"

#define IMAGE_SIZE	(1ULL << 30)
#define DATA_SIZE	(256ULL << 20)

enum { M_QIMG, M_QIMG_P, M_QLAUNCH, NMETHOD };

static struct bl_series s[NMETHOD];
static const char *qimg;
static char src[4200], dst[4200];

/* 256 MiB of xorshift output (incompressible, not worth /dev/urandom). */
static void
make_source(void)
{
	char raw[4200];
	uint64_t x = 0x9e3779b97f4a7c15ULL, *buf;
	size_t chunk = 1 << 20;
	int fd;

	snprintf(raw, sizeof(raw), "%s/data.raw", bl_tmp);
	if ((fd = open(raw, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		err(1, "%s", raw);
	if ((buf = malloc(chunk)) == NULL)
		err(1, "malloc");
	for (uint64_t off = 0; off < DATA_SIZE; off += chunk) {
		for (size_t i = 0; i < chunk / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		if (write(fd, buf, chunk) != (ssize_t)chunk)
			err(1, "write %s", raw);
	}
	free(buf);
	if (ftruncate(fd, (off_t)IMAGE_SIZE) == -1 || close(fd) == -1)
		err(1, "%s", raw);
	snprintf(src, sizeof(src), "%s/src.qcow2", bl_tmp);
	char *argv[] = { (char *)qimg, "convert", "-f", "raw", "-O", "qcow2",
	    raw, src, NULL };
	bl_run_timed(argv);
	unlink(raw);
}

static void
run_method(int m, int record)
{
	char *qi[] = { (char *)qimg, "convert", "-O", "raw", src, dst, NULL };
	char *qp[] = { (char *)qimg, "convert", "-p", "-O", "raw", src, dst,
	    NULL };
	char *ql[] = { bl_qlaunch, "image", "convert", src, dst, "-O", "raw",
	    NULL };
	char *const *argv = m == M_QIMG ? qi : m == M_QIMG_P ? qp : ql;

	if (unlink(dst) == -1 && errno != ENOENT)
		err(1, "%s", dst);
	uint64_t ns = bl_run_timed(argv);
	struct stat st;
	if (stat(dst, &st) == -1 || (uint64_t)st.st_size != IMAGE_SIZE)
		errx(1, "%s: not a 1 GiB raw image after method %d", dst, m);
	if (record)
		bl_series_add(&s[m], ns);
}

int
main(int argc, char **argv)
{
	int runs = 10, warmup = 1;

	bl_run_options(argc, argv, "bench_image", &runs, &warmup, 3);
	qimg = getenv("QEMU_IMG");
	if (qimg == NULL || *qimg == '\0')
		qimg = QLAUNCH_QEMU_IMG;
	if (access(qimg, X_OK) == -1)
		err(1, "%s", qimg);

	bl_init("bench_image");
	/* qlaunch image takes its qemu-img from $QEMU_IMG too */
	if (setenv("QEMU_IMG", qimg, 1) == -1)
		err(1, "setenv");
	make_source();
	snprintf(dst, sizeof(dst), "%s/dst.raw", bl_tmp);
	bl_series_init(&s[M_QIMG], "qemu-img convert -O raw");
	bl_series_init(&s[M_QIMG_P], "qemu-img convert -p -O raw");
	bl_series_init(&s[M_QLAUNCH], "qlaunch image convert -O raw");

	for (int i = 0; i < warmup + runs; i++)
		for (int k = 0; k < NMETHOD; k++)
			run_method((i + k) % NMETHOD, i >= warmup);
	unlink(dst);

	printf("bench_image: qcow2 (1 GiB, 256 MiB of data) to raw, %s\n",
	    qimg);
	printf("%d runs per method after %d warm-up, interleaved\n\n", runs,
	    warmup);
	printf("  %-40s %9s %9s %9s\n", "convert", "median ms", "p90 ms",
	    "min ms");
	for (int m = 0; m < NMETHOD; m++)
		bl_row(&s[m]);
	printf("\n  %-40s %9s %11s %11s\n", "median against baseline", "ratio",
	    "difference", "paired");
	bl_compare("qlaunch image convert / qemu-img", &s[M_QLAUNCH],
	    &s[M_QIMG]);
	bl_compare("qlaunch image convert / qemu-img -p", &s[M_QLAUNCH],
	    &s[M_QIMG_P]);
	bl_compare("qemu-img -p / qemu-img", &s[M_QIMG_P], &s[M_QIMG]);
	printf("\n(qlaunch image convert runs qemu-img convert -p, reads its "
	    "progress, then\nqemu-img info on the result; the rows include "
	    "starting each process.)\n");
	for (int m = 0; m < NMETHOD; m++)
		bl_series_free(&s[m]);
	return 0;
}
