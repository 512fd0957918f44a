/*
 * migrate-bench's runs: one migration between the two supervisors with
 * its time series (benchrun.c), and the experiment's files written from
 * all of them (benchout.c).
 */
#ifndef LAUNCHER_BENCHRUN_H
#define LAUNCHER_BENCHRUN_H

#include <stddef.h>
#include <stdint.h>

#include "benchsweep.h"

struct client_conn;
struct json_object;

struct bench_run {
	size_t			 no;		/* 1, 2, ... */
	size_t			 combo, rep;
	char			 from, to;	/* 'a' or 'b' */
	int			 ok;
	char			 error[512];
	int64_t			 wall_ms;	/* the client's clock */
	struct json_object	*samples;	/* array */
	struct json_object	*summary;	/* NULL when it failed */
	struct json_object	*provenance;	/* NULL when none came */
	char			 series[64];	/* its file, in DIR */
};

/* What a run shows while it goes: a line on a terminal. */
struct bench_show {
	int		 tty;
	const char	*label;		/* "run 3/8 bandwidth=100 a->b" */
	int		 drawn;
};

/*
 * Migrate name over c (the source's supervisor) to dest (the other's
 * control socket) with args (consumed; name, dest and stats are added),
 * filling r's result, samples and summary.  downtime_limit: the limit
 * asked for, -1 for none.  Returns 0 or -1 (r->error).
 */
int	 bench_migrate(struct client_conn *c, const char *name,
	    const char *dest, struct json_object *args, long long
	    downtime_limit, struct bench_run *r, struct bench_show *show);
void	 bench_run_free(struct bench_run *);

/* The experiment's output directory and what goes in it. */
struct bench_out {
	char			 dir[4096];
	const struct bench_sweep *sweep;
	size_t			 repeat;
};
/* runs.csv's header; then one row per run as it ends. -1 with err. */
int	 bench_out_runs_header(const struct bench_out *, char *err,
	    size_t errlen);
int	 bench_out_run(const struct bench_out *, struct bench_run *, char *err,
	    size_t errlen);
/* summary.csv and the plots from all the runs. -1 with err. */
int	 bench_out_summary(const struct bench_out *, struct bench_run *runs,
	    size_t nruns, char *err, size_t errlen);

#endif
