/*
 * Log rotation (logrot.c): a log held open O_APPEND by a writer, as
 * QEMU holds console.log, rotated past its cap: LOG.1 .. LOG.N shift,
 * no more than count are kept, every byte written is in LOG.1 or LOG
 * in order, the writer's next bytes land in LOG; on ext4 (collapse)
 * and on tmpfs (/dev/shm: copy and truncate); logrot_tail reaching
 * into LOG.1 when LOG was just begun.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "logrot.h"

static size_t
fsize(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (size_t)st.st_size : 0;
}

static char *
slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "r");
	if (f == NULL) {
		*len = 0;
		return calloc(1, 1);
	}
	char *b = malloc(fsize(p) + 1);
	*len = fread(b, 1, fsize(p), f);
	b[*len] = '\0';
	fclose(f);
	return b;
}

static void
rotate_in(const char *base)
{
	char dir[PATH_MAX], log[PATH_MAX], p[PATH_MAX + 8], err[256];
	char line[64];

	snprintf(dir, sizeof(dir), "%s/test_logrot.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		print_message("no %s: skipped\n", base);
		return;
	}
	snprintf(log, sizeof(log), "%s/console.log", dir);
	int w = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_true(w != -1);
	/* below the cap, or no cap: nothing */
	assert_int_equal(logrot_check(log, 8192, 2, err, sizeof(err)), 0);
	size_t total = 0;
	int seq = 0, rotations = 0;
	for (int round = 0; round < 5; round++) {
		while (total < (size_t)(round + 1) * 10000) {
			int n = snprintf(line, sizeof(line), "line %06d\n", seq++);
			assert_int_equal(write(w, line, (size_t)n), n);
			total += (size_t)n;
		}
		assert_int_equal(logrot_check(log, 0, 2, err, sizeof(err)), 0);
		int r = logrot_check(log, 8192, 2, err, sizeof(err));
		assert_int_not_equal(r, -1);
		rotations += r;
		assert_true(fsize(log) <= 8192);
		/* the writer goes on into the new LOG */
		int n = snprintf(line, sizeof(line), "line %06d\n", seq++);
		assert_int_equal(write(w, line, (size_t)n), n);
		total += (size_t)n;
	}
	assert_true(rotations >= 4);
	snprintf(p, sizeof(p), "%s.3", log);
	assert_int_equal(access(p, F_OK), -1);	/* only 2 kept */
	/* LOG.2, LOG.1, LOG: consecutive lines, none lost or repeated */
	size_t l2, l1, l0;
	snprintf(p, sizeof(p), "%s.2", log);
	char *b2 = slurp(p, &l2);
	snprintf(p, sizeof(p), "%s.1", log);
	char *b1 = slurp(p, &l1);
	char *b0 = slurp(log, &l0);
	char *all = malloc(l2 + l1 + l0 + 1);
	memcpy(all, b2, l2);
	memcpy(all + l2, b1, l1);
	memcpy(all + l2 + l1, b0, l0);
	all[l2 + l1 + l0] = '\0';
	assert_true(l1 > 0 && l2 > 0);
	/* the oldest kept file may begin mid-line (whole blocks cut) */
	char *start = all;
	if (strncmp(start, "line ", 5) != 0)
		start = strchr(start, '\n') + 1;
	int expect = atoi(start + 5);
	for (char *s = start; *s != '\0'; s = strchr(s, '\n') + 1) {
		assert_memory_equal(s, "line ", 5);
		assert_int_equal(atoi(s + 5), expect);
		expect++;
	}
	assert_int_equal(expect, seq);
	/* the tail reaches into LOG.1 */
	size_t tl;
	char *tail = logrot_tail(log, l0 + 100, &tl);
	assert_non_null(tail);
	assert_int_equal(tl, l0 + 100);
	assert_memory_equal(tail + 100, b0, l0);
	assert_memory_equal(tail, b1 + l1 - 100, 100);
	free(tail);
	tail = logrot_tail(log, 10, &tl);
	assert_int_equal(tl, 10);
	free(tail);
	free(all);
	free(b0);
	free(b1);
	free(b2);
	close(w);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
t_disk(void **state)
{
	(void)state;
	rotate_in("/tmp");
}

static void
t_tmpfs(void **state)
{
	(void)state;
	rotate_in("/dev/shm");
}

static void
t_missing(void **state)
{
	char err[256];
	size_t len;

	(void)state;
	assert_int_equal(logrot_check("/nonexistent/console.log", 4096, 2,
	    err, sizeof(err)), 0);
	assert_null(logrot_tail("/nonexistent/console.log", 4096, &len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_disk),
		cmocka_unit_test(t_tmpfs),
		cmocka_unit_test(t_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
