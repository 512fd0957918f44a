/*
 * migrate-bench's files: runs.csv (a row per run, written as each ends),
 * series/run-NNN.csv (benchsample.h's CSV form), summary.csv (a row per
 * combination: medians, min and max over the repeats) and the plots
 * (svgplot.h): remaining.svg, downtime.svg, total.svg.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "benchrun.h"
#include "benchsample.h"
#include "svgplot.h"
#include "xalloc.h"

#define MIB	(1024.0 * 1024)

/* The figures of a run, as summary.csv gives them per combination. */
static const char *const metrics[] = {
	"total_ms", "downtime_ms", "guest_downtime_ms", "transferred",
	"passes", "mbps",
};

static FILE *
out_open(const struct bench_out *o, const char *file, const char *mode,
    char *err, size_t errlen)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", o->dir, file);
	if ((f = fopen(path, mode)) == NULL)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static int
out_close(FILE *f, const struct bench_out *o, const char *file, char *err,
    size_t errlen)
{
	if (ferror(f) | (fclose(f) != 0)) {
		snprintf(err, errlen, "%s/%s: %s", o->dir, file,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
num_cell(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.*f", v == floor(v) ? 0 : 3, v);
}

int
bench_out_runs_header(const struct bench_out *o, char *err, size_t errlen)
{
	FILE *f = out_open(o, "runs.csv", "w", err, errlen);

	if (f == NULL)
		return -1;
	fprintf(f, "run,combo");
	for (size_t k = 0; k < o->sweep->nvary; k++)
		fprintf(f, ",%s", o->sweep->v[k].key->name);
	fprintf(f, ",repeat,from,to,status,error,total_ms,setup_ms,downtime_ms,"
	    "guest_downtime_ms,transferred,passes,mbps,wall_ms,samples,series\n");
	return out_close(f, o, "runs.csv", err, errlen);
}

int
bench_out_run(const struct bench_out *o, struct bench_run *r, char *err,
    size_t errlen)
{
	static const char *const figs[] = { "total_ms", "setup_ms",
	    "downtime_ms", "guest_downtime_ms", "transferred", "passes",
	    "mbps" };
	size_t idx[BENCH_MAX_VARY];
	char label[512];
	FILE *f;

	/* the series first: runs.csv names it */
	snprintf(r->series, sizeof(r->series), "series/run-%03zu.csv", r->no);
	if ((f = out_open(o, r->series, "w", err, errlen)) == NULL)
		return -1;
	struct json_object *extra = json_object_new_object();
	bench_combo_label(o->sweep, r->combo, label, sizeof(label));
	json_object_object_add(extra, "run", json_object_new_int64(
	    (int64_t)r->no));
	json_object_object_add(extra, "params", json_object_new_string(label));
	json_object_object_add(extra, "direction", json_object_new_string(
	    r->from == 'a' ? "a->b" : "b->a"));
	json_object_object_add(extra, "result", json_object_new_string(r->ok ?
	    "ok" : r->error));
	bench_series_csv(f, r->samples, r->summary, r->provenance, extra);
	json_object_put(extra);
	if (out_close(f, o, r->series, err, errlen) == -1)
		return -1;

	if ((f = out_open(o, "runs.csv", "a", err, errlen)) == NULL)
		return -1;
	fprintf(f, "%zu,%zu", r->no, r->combo + 1);
	bench_combo(o->sweep, r->combo, idx);
	for (size_t k = 0; k < o->sweep->nvary; k++)
		fprintf(f, ",%s", o->sweep->v[k].text[idx[k]]);
	fprintf(f, ",%zu,%c,%c,%s,", r->rep + 1, r->from, r->to, r->ok ? "ok" :
	    "failed");
	if (!r->ok) {
		fputc('"', f);
		for (const char *p = r->error; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', f);
			if (*p != '\n')
				fputc(*p, f);
		}
		fputc('"', f);
	}
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		fputc(',', f);
		num_cell(f, bench_num(r->summary, figs[i]));
	}
	fprintf(f, ",%lld,%zu,%s\n", (long long)r->wall_ms, r->samples != NULL ?
	    json_object_array_length(r->samples) : 0, r->series);
	return out_close(f, o, "runs.csv", err, errlen);
}

/* The values of metric m over the good runs of combination k. */
static size_t
values(struct bench_run *runs, size_t n, size_t k, const char *m, double *v)
{
	size_t nv = 0;

	for (size_t i = 0; i < n; i++) {
		if (runs[i].combo != k || !runs[i].ok)
			continue;
		double x = bench_num(runs[i].summary, m);
		if (!isnan(x))
			v[nv++] = x;
	}
	return nv;
}

static int
write_summary(const struct bench_out *o, struct bench_run *runs, size_t n,
    char *err, size_t errlen)
{
	size_t nc = bench_combos(o->sweep), idx[BENCH_MAX_VARY];
	double *v = xcalloc(n + 1, sizeof(*v));
	FILE *f = out_open(o, "summary.csv", "w", err, errlen);

	if (f == NULL) {
		free(v);
		return -1;
	}
	fprintf(f, "combo");
	for (size_t k = 0; k < o->sweep->nvary; k++)
		fprintf(f, ",%s", o->sweep->v[k].key->name);
	fprintf(f, ",runs,failed");
	for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++)
		fprintf(f, ",%s_median,%s_min,%s_max", metrics[m], metrics[m],
		    metrics[m]);
	fputc('\n', f);
	for (size_t c = 0; c < nc; c++) {
		size_t nrun = 0, nfail = 0;
		for (size_t i = 0; i < n; i++)
			if (runs[i].combo == c) {
				nrun++;
				nfail += !runs[i].ok;
			}
		fprintf(f, "%zu", c + 1);
		bench_combo(o->sweep, c, idx);
		for (size_t k = 0; k < o->sweep->nvary; k++)
			fprintf(f, ",%s", o->sweep->v[k].text[idx[k]]);
		fprintf(f, ",%zu,%zu", nrun, nfail);
		for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]);
		    m++) {
			size_t nv = values(runs, n, c, metrics[m], v);
			fputc(',', f);
			num_cell(f, bench_median(v, nv));
			fputc(',', f);
			num_cell(f, bench_quantile(v, nv, 0));
			fputc(',', f);
			num_cell(f, bench_quantile(v, nv, 1));
		}
		fputc('\n', f);
	}
	free(v);
	return out_close(f, o, "summary.csv", err, errlen);
}

static int
plot_file(const struct bench_out *o, const char *file,
    const struct svg_plot *p, char *err, size_t errlen)
{
	FILE *f = out_open(o, file, "w", err, errlen);

	if (f == NULL)
		return -1;
	svgplot_write(f, p);
	return out_close(f, o, file, err, errlen);
}

/* Remaining memory over time: one polyline per run. */
static int
plot_remaining(const struct bench_out *o, struct bench_run *runs, size_t n,
    char *err, size_t errlen)
{
	struct svg_series *s = xcalloc(n + 1, sizeof(*s));
	char **names = xcalloc(n + 1, sizeof(*names)), label[256];
	int rc;

	for (size_t i = 0; i < n; i++) {
		size_t ns = runs[i].samples != NULL ?
		    json_object_array_length(runs[i].samples) : 0;
		double *x = xcalloc(ns + 1, sizeof(*x)), *y = xcalloc(ns + 1,
		    sizeof(*y));
		for (size_t j = 0; j < ns; j++) {
			struct json_object *sm = json_object_array_get_idx(
			    runs[i].samples, j);
			x[j] = bench_num(sm, "t_ms") / 1000;
			/* in setup QEMU knows nothing yet: not a point */
			y[j] = bench_num(sm, "total") > 0 ? bench_num(sm,
			    "remaining") / MIB : NAN;
		}
		bench_combo_label(o->sweep, runs[i].combo, label,
		    sizeof(label));
		names[i] = xasprintf("run %zu %s %s%s", runs[i].no, label,
		    runs[i].from == 'a' ? "a->b" : "b->a", runs[i].ok ? "" :
		    " (failed)");
		s[i] = (struct svg_series){ names[i], x, y, ns, SVG_LINE };
	}
	struct svg_plot p = { "Remaining memory during each migration",
	    "time since the migrate request (s)", "remaining (MiB)", NULL, 0,
	    s, n, 0, 0 };
	p.height = 500 + (n > 18 ? (int)(n - 18) * 18 : 0);
	rc = plot_file(o, "remaining.svg", &p, err, errlen);
	for (size_t i = 0; i < n; i++) {
		free((void *)s[i].x);
		free((void *)s[i].y);
		free(names[i]);
	}
	free(names);
	free(s);
	return rc;
}

/*
 * A figure per combination: each good run as a point, the median as a
 * line through the combinations; the medians of metric2 too (the
 * guest-visible downtime beside QEMU's) when any run has it.
 */
static int
plot_metric(const struct bench_out *o, struct bench_run *runs, size_t n,
    const char *metric, const char *metric2, const char *file,
    const char *title, const char *ylabel, char *err, size_t errlen)
{
	size_t nc = bench_combos(o->sweep);
	char **cats = xcalloc(nc, sizeof(*cats)), label[512];
	double *mx = xcalloc(nc, sizeof(*mx)), *my = xcalloc(nc, sizeof(*my));
	double *gy = xcalloc(nc, sizeof(*gy));
	double *rx = xcalloc(n + 1, sizeof(*rx)), *ry = xcalloc(n + 1,
	    sizeof(*ry)), *v = xcalloc(n + 1, sizeof(*v));
	size_t nr = 0, ng = 0;
	int rc;

	for (size_t c = 0; c < nc; c++) {
		bench_combo_label(o->sweep, c, label, sizeof(label));
		cats[c] = xstrdup(label);
		mx[c] = (double)c;
		size_t nv = values(runs, n, c, metric, v);
		my[c] = bench_median(v, nv);
		for (size_t i = 0; i < nv; i++) {
			rx[nr] = (double)c;
			ry[nr++] = v[i];
		}
		nv = metric2 != NULL ? values(runs, n, c, metric2, v) : 0;
		gy[c] = bench_median(v, nv);
		ng += nv;
	}
	struct svg_series s[3] = {
		{ ng > 0 ? "QEMU's (median)" : "median", mx, my, nc,
		    SVG_LINE | SVG_POINTS },
		{ ng > 0 ? "QEMU's (each run)" : "each run", rx, ry, nr,
		    SVG_POINTS },
		{ "guest-visible (median)", mx, gy, nc, SVG_LINE | SVG_POINTS },
	};
	struct svg_plot p = { title, o->sweep->nvary > 0 ? "parameters" :
	    "(nothing varied)", ylabel, (const char *const *)cats, nc, s,
	    ng > 0 ? 3 : 2, 0, 0 };
	if (nc > 6)
		p.width = 800 + (int)(nc - 6) * 100;
	rc = plot_file(o, file, &p, err, errlen);
	for (size_t c = 0; c < nc; c++)
		free(cats[c]);
	free(cats);
	free(mx);
	free(my);
	free(gy);
	free(rx);
	free(ry);
	free(v);
	return rc;
}

int
bench_out_summary(const struct bench_out *o, struct bench_run *runs,
    size_t n, char *err, size_t errlen)
{
	if (write_summary(o, runs, n, err, errlen) == -1 ||
	    plot_remaining(o, runs, n, err, errlen) == -1 ||
	    plot_metric(o, runs, n, "downtime_ms", "guest_downtime_ms",
	    "downtime.svg",
	    "Downtime per parameter value", "downtime (ms)", err,
	    errlen) == -1 ||
	    plot_metric(o, runs, n, "total_ms", NULL, "total.svg",
	    "Total migration time per parameter value", "total time (ms)",
	    err, errlen) == -1)
		return -1;
	return 0;
}
