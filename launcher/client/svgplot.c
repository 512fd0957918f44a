/*
 * The plotting: the data's ranges, round ticks, then the SVG text, every
 * label escaped for XML.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "svgplot.h"

#define MAX_TICKS	8
#define ML		80	/* margins: left, top, bottom */
#define MT		50
#define MB		70
#define PW		550	/* the plotting area's default width */
#define CHAR_W		7	/* about, at 12 px */
#define LINE_H		14

static const char *const palette[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};

double
svgplot_scale(double v, double lo, double hi, double a, double b)
{
	if (hi == lo)
		return a;
	return a + (v - lo) * (b - a) / (hi - lo);
}

size_t
svgplot_ticks(double *lo, double *hi, size_t max, double *ticks)
{
	static const double steps[] = { 1, 2, 5, 10 };
	double span, mag, step = 1;
	size_t n = 0;

	if (max < 2)
		max = 2;
	if (!isfinite(*lo) || !isfinite(*hi)) {
		*lo = 0;
		*hi = 1;
	}
	if (*hi < *lo) {
		double t = *lo;
		*lo = *hi;
		*hi = t;
	}
	if (*hi == *lo) {
		double d = fabs(*lo) > 0 ? fabs(*lo) / 10 : 1;
		*lo -= d;
		*hi += d;
	}
	span = *hi - *lo;
	mag = pow(10, floor(log10(span / (double)(max - 1))));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i] * mag;
		if (ceil(*hi / step) - floor(*lo / step) <= (double)(max - 1))
			break;
	}
	double first = floor(*lo / step) * step, last = ceil(*hi / step) * step;
	for (double t = first; t <= last + step / 2 && n < max; t += step)
		ticks[n++] = fabs(t) < step / 1e6 ? 0 : t;
	*lo = first;
	*hi = ticks[n - 1];
	return n;
}

static void
xml_text(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

static void
text(FILE *f, double x, double y, const char *anchor, const char *extra,
    const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y,
	    anchor, extra != NULL ? " " : "", extra != NULL ? extra : "");
	xml_text(f, s);
	fputs("</text>\n", f);
}

/* The ranges of all the points with a y. */
static int
ranges(const struct svg_plot *p, double *x0, double *x1, double *y0,
    double *y1)
{
	int any = 0;

	*x0 = *y0 = INFINITY;
	*x1 = *y1 = -INFINITY;
	for (size_t s = 0; s < p->nseries; s++)
		for (size_t i = 0; i < p->series[s].n; i++) {
			double x = p->series[s].x[i], y = p->series[s].y[i];
			if (isnan(y) || isnan(x))
				continue;
			any = 1;
			*x0 = fmin(*x0, x);
			*x1 = fmax(*x1, x);
			*y0 = fmin(*y0, y);
			*y1 = fmax(*y1, y);
		}
	if (!any) {
		*x0 = *y0 = 0;
		*x1 = *y1 = 1;
	}
	/* these plots are of quantities: from 0 when they are not below */
	if (*y0 > 0)
		*y0 = 0;
	if (p->xcats == NULL && *x0 > 0)
		*x0 = 0;
	return any;
}

/* A category label, one line per comma-separated part. */
static void
cat_label(FILE *f, double x, double y, const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x,
	    y);
	for (int line = 0; s != NULL; line++) {
		const char *c = strchr(s, ',');
		size_t n = c != NULL ? (size_t)(c - s) : strlen(s);
		char part[128];
		if (n >= sizeof(part))
			n = sizeof(part) - 1;
		memcpy(part, s, n);
		part[n] = '\0';
		fprintf(f, "<tspan x=\"%.1f\" dy=\"%d\">", x, line > 0 ?
		    LINE_H : 0);
		xml_text(f, part);
		fputs("</tspan>", f);
		s = c != NULL ? c + 1 : NULL;
	}
	fputs("</text>\n", f);
}

/* The room the legend and the category labels need. */
static void
room(const struct svg_plot *p, int *mr, int *mb)
{
	size_t name = 0, lines = 1;

	for (size_t s = 0; s < p->nseries; s++)
		if (p->series[s].name != NULL && strlen(p->series[s].name) >
		    name)
			name = strlen(p->series[s].name);
	*mr = 50 + CHAR_W * (int)(name < 60 ? name : 60);
	for (size_t i = 0; p->xcats != NULL && i < p->ncats; i++) {
		size_t n = 1;
		for (const char *c = p->xcats[i]; (c = strchr(c, ',')) != NULL;
		    c++)
			n++;
		if (n > lines)
			lines = n;
	}
	*mb = MB + LINE_H * (int)(lines - 1);
}

int
svgplot_write(FILE *f, const struct svg_plot *p)
{
	int mr, mb;
	room(p, &mr, &mb);
	int w = p->width > 0 ? p->width : ML + PW + mr, h = (p->height > 0 ?
	    p->height : 500) + mb - MB;
	double x0, x1, y0, y1, xt[MAX_TICKS], yt[MAX_TICKS];
	double pl = ML, pr = w - mr, pt = MT, pb = h - mb;
	size_t nx = 0, ny;
	char lab[64];
	int any = ranges(p, &x0, &x1, &y0, &y1);

	if (p->xcats != NULL) {
		x0 = -0.5;
		x1 = (double)(p->ncats > 0 ? p->ncats : 1) - 0.5;
	} else
		nx = svgplot_ticks(&x0, &x1, MAX_TICKS, xt);
	ny = svgplot_ticks(&y0, &y1, MAX_TICKS, yt);

	errno = 0;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	    "font-size=\"12\">\n", w, h, w, h);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
	    "fill=\"white\"/>\n", w, h);
	text(f, (pl + pr) / 2, MT / 2.0, "middle", "font-size=\"15\"",
	    p->title);
	/* the grid and the ticks */
	fputs("<g stroke=\"#dddddd\" stroke-width=\"1\">\n", f);
	for (size_t i = 0; i < ny; i++) {
		double y = svgplot_scale(yt[i], y0, y1, pb, pt);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\"/>\n", pl, y, pr, y);
	}
	for (size_t i = 0; i < nx; i++) {
		double x = svgplot_scale(xt[i], x0, x1, pl, pr);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\"/>\n", x, pt, x, pb);
	}
	fputs("</g>\n", f);
	fprintf(f, "<g stroke=\"black\" stroke-width=\"1\" fill=\"none\">\n"
	    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
	    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n</g>\n",
	    pl, pb, pr, pb, pl, pb, pl, pt);
	for (size_t i = 0; i < ny; i++) {
		snprintf(lab, sizeof(lab), "%g", yt[i]);
		text(f, pl - 6, svgplot_scale(yt[i], y0, y1, pb, pt) + 4,
		    "end", NULL, lab);
	}
	for (size_t i = 0; i < nx; i++) {
		snprintf(lab, sizeof(lab), "%g", xt[i]);
		text(f, svgplot_scale(xt[i], x0, x1, pl, pr), pb + 16,
		    "middle", NULL, lab);
	}
	for (size_t i = 0; p->xcats != NULL && i < p->ncats; i++)
		cat_label(f, svgplot_scale((double)i, x0, x1, pl, pr), pb + 16,
		    p->xcats[i]);
	text(f, (pl + pr) / 2, h - 16, "middle", NULL, p->xlabel);
	snprintf(lab, sizeof(lab), "rotate(-90 18 %.1f)", (pt + pb) / 2);
	fprintf(f, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" "
	    "transform=\"%s\">", (pt + pb) / 2, lab);
	xml_text(f, p->ylabel);
	fputs("</text>\n", f);
	if (!any)
		text(f, (pl + pr) / 2, (pt + pb) / 2, "middle", "fill=\"gray\"",
		    "no data");

	/* the series, then the legend */
	for (size_t s = 0; s < p->nseries; s++) {
		const struct svg_series *se = &p->series[s];
		const char *c = palette[s % (sizeof(palette) /
		    sizeof(palette[0]))];
		if (se->style & SVG_LINE) {
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" "
			    "stroke-width=\"1.5\" points=\"", c);
			int first = 1;
			for (size_t i = 0; i < se->n; i++)
				if (!isnan(se->y[i]) && !isnan(se->x[i])) {
					fprintf(f, "%s%.1f,%.1f", first ? "" :
					    " ", svgplot_scale(se->x[i], x0, x1,
					    pl, pr), svgplot_scale(se->y[i],
					    y0, y1, pb, pt));
					first = 0;
				}
			fputs("\"/>\n", f);
		}
		/* a line of one point is a dot */
		size_t valid = 0;
		for (size_t i = 0; i < se->n; i++)
			valid += !isnan(se->y[i]) && !isnan(se->x[i]);
		if ((se->style & SVG_POINTS) || valid == 1)
			for (size_t i = 0; i < se->n; i++)
				if (!isnan(se->y[i]) && !isnan(se->x[i]))
					fprintf(f, "<circle cx=\"%.1f\" "
					    "cy=\"%.1f\" r=\"3\" fill=\"%s\"/>"
					    "\n", svgplot_scale(se->x[i], x0,
					    x1, pl, pr), svgplot_scale(se->y[i],
					    y0, y1, pb, pt), c);
		double ly = pt + 10 + 18 * (double)s;
		if (se->style & SVG_LINE)
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			    "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
			    pr + 12, ly, pr + 32, ly, c);
		else
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
			    "fill=\"%s\"/>\n", pr + 22, ly, c);
		text(f, pr + 38, ly + 4, "start", NULL, se->name);
	}
	fputs("</svg>\n", f);
	fflush(f);
	return ferror(f) ? -1 : 0;
}
