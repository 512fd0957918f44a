/*
 * qlaunch top (virt-top): the table of all VMs (topview.c), from the
 * supervisor's stats stream (statwatch.c), every --delay seconds.  On a
 * terminal it redraws in place (ANSI: home and clear, no curses) and
 * reads virt-top's keys unbuffered: P cpu, M memory, N name, B block,
 * T net, q (or ^C) quits.  --batch prints plain tables one after another (and
 * is what a pipe gets); --csv FILE records the rows; --iterations N
 * stops after N refreshes (virt-top's -n).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "statwatch.h"
#include "topview.h"

struct top {
	int			 batch;
	FILE			*csv;
	const struct topsort	*sort;
	struct json_object	*last;		/* the last sample shown */
	char			 when[16];
	struct termios		 tio;		/* the terminal's, to restore */
	int			 raw;
};

/*
 * Keys one at a time, unechoed, and ^C a key too (ISIG off: it quits
 * as q does, and the terminal is restored on every way out).
 */
static int
tio_raw(struct top *t)
{
	struct termios r;

	if (tcgetattr(STDIN_FILENO, &t->tio) == -1)
		return -1;
	r = t->tio;
	r.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
	r.c_cc[VMIN] = 1;
	r.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &r) == -1)
		return -1;
	t->raw = 1;
	return 0;
}

static void
tio_restore(struct top *t)
{
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->tio);
	t->raw = 0;
}

static void
draw(struct top *t)
{
	struct toprow *rows;
	size_t n = topview_rows(t->last, &rows);

	topview_sort(rows, n, t->sort);
	if (!t->batch)
		fputs("\033[H\033[2J", stdout);
	topview_print(stdout, rows, n, t->when, t->sort);
	if (!t->batch)
		printf("\nP cpu  M memory  N name  B block  T net  q quit\n");
	else
		printf("\n");
	fflush(stdout);
	free(rows);
}

static int
on_sample(struct json_object *data, void *arg)
{
	struct top *t = arg;
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(t->when, sizeof(t->when), "%H:%M:%S", &tm);
	json_object_put(t->last);
	t->last = json_object_get(data);
	draw(t);
	if (t->csv != NULL) {
		struct toprow *rows;
		size_t n = topview_rows(data, &rows);
		topview_sort(rows, n, t->sort);
		topview_csv(t->csv, rows, n, t->when);
		free(rows);
	}
	return 0;
}

static int
on_key(int key, void *arg)
{
	struct top *t = arg;
	const struct topsort *s;

	if (key == 'q' || key == 'Q' || key == 3)	/* ^C */
		return 1;
	if ((s = topview_sort_key(key)) == NULL)
		return 0;
	t->sort = s;
	if (t->last != NULL)
		draw(t);
	return 0;
}

static int
c_top(struct cli *cli, int argc, char **argv)
{
	int batch = 0;
	const char *delay = NULL, *iters = NULL, *csv = NULL, *sort = NULL;
	struct opt o[] = {
		{ "batch", 0, NULL, &batch },
		{ "delay", 1, &delay, NULL },
		{ "iterations", 1, &iters, NULL },
		{ "csv", 1, &csv, NULL },
		{ "sort", 1, &sort, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	struct top t = { .batch = batch || !isatty(STDOUT_FILENO),
	    .sort = topview_sort_key('P') };

	cli_operands(cli, argc, first, 0);
	if (sort != NULL && (t.sort = topview_sort_name(sort)) == NULL)
		cli_die("--sort '%s': one of %s", sort, topview_sort_names());
	struct statwatch w = {
		.delay_ms = statwatch_delay(delay, 3000),
		.iterations = iters != NULL ? (int)cli_num("--iterations",
		    iters, 1, 1000000000) : 0,
		.stdin_fd = -1,
		.on_sample = on_sample,
		.on_key = on_key,
		.arg = &t,
	};
	if (csv != NULL) {
		if ((t.csv = fopen(csv, "we")) == NULL)
			cli_die("--csv %s: %s", csv, strerror(errno));
		topview_csv_header(t.csv);
		fflush(t.csv);
	}
	if (!t.batch && isatty(STDIN_FILENO) && tio_raw(&t) == 0)
		w.stdin_fd = STDIN_FILENO;
	char err[2048];
	int r = statwatch_run(cli, json_object_new_object(), &w, err,
	    sizeof(err));
	tio_restore(&t);
	json_object_put(t.last);
	if (r == -1)
		cli_die("%s", err);
	if (t.csv != NULL && fclose(t.csv) != 0)
		cli_die("--csv %s: %s", csv, strerror(errno));
	return 0;
}

const struct cmd cmds_top[] = {
	{ "top", "virt-top", c_top, "[--delay S] [--batch] [--iterations N] "
	    "[--csv FILE] [--sort cpu|mem|name|block|net]" },
	{ NULL, NULL, NULL, NULL }
};
