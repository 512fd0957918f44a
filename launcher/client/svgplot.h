/*
 * Plots as SVG, drawn by hand (no library): axes with ticks at round
 * values, labels, a title, a legend, and per series a polyline and/or a
 * marker at each point.  The x axis is numeric, or categories (labels at
 * x = 0, 1, ...; a label's comma-separated parts on lines of their
 * own).  Points whose y is NaN are left out.  The legend and the labels
 * get the room they need.
 */
#ifndef LAUNCHER_SVGPLOT_H
#define LAUNCHER_SVGPLOT_H

#include <stddef.h>
#include <stdio.h>

#define SVG_LINE	0x1	/* a polyline through the points */
#define SVG_POINTS	0x2	/* a marker at each point */

struct svg_series {
	const char	*name;
	const double	*x, *y;
	size_t		 n;
	int		 style;		/* SVG_LINE | SVG_POINTS */
};

struct svg_plot {
	const char		*title, *xlabel, *ylabel;
	const char *const	*xcats;		/* NULL: numeric x */
	size_t			 ncats;
	const struct svg_series	*series;
	size_t			 nseries;
	int			 width, height;	/* 0: as the legend needs x 500 */
};

/* The plot as one SVG document; -1 when writing failed (errno). */
int	 svgplot_write(FILE *, const struct svg_plot *);

/*
 * Round ticks covering [lo, hi]: at most max of them, a step of 1, 2 or 5
 * times a power of ten; *lo and *hi widen to the first and last tick.
 * lo == hi is widened first.  Returns the number of ticks (<= max).
 */
size_t	 svgplot_ticks(double *lo, double *hi, size_t max, double *ticks);

/* v in [lo, hi] mapped linearly onto [a, b] (a when lo == hi). */
double	 svgplot_scale(double v, double lo, double hi, double a, double b);

#endif
