/*
 * migrate-bench's parameter sweep: the migrate options a sweep may vary
 * (a table), --vary KEY=V1,V2,... parsed and checked, and the cross
 * product of several --vary as numbered combinations.
 */
#ifndef LAUNCHER_BENCHSWEEP_H
#define LAUNCHER_BENCHSWEEP_H

#include <stddef.h>

struct json_object;

#define BENCH_MAX_VARY		8
#define BENCH_MAX_VALUES	64
#define BENCH_MAX_COMBOS	1024

/* A migrate option: its name (also its flag) and its request key. */
struct bench_key {
	const char	*name;
	const char	*arg;
	int		 boolean;	/* on/off; else a number in range */
	long long	 min, max;
	long long	 none;		/* this number: the option left out */
};

struct bench_vary {
	const struct bench_key	*key;
	size_t			 n;
	char			*text[BENCH_MAX_VALUES];	/* as given */
	long long		 val[BENCH_MAX_VALUES];	/* booleans 0/1 */
};

struct bench_sweep {
	struct bench_vary	 v[BENCH_MAX_VARY];
	size_t			 nvary;
};

/* The option called name, or NULL. */
const struct bench_key *bench_key_find(const char *name);
/* "bandwidth, downtime, ..." */
void	 bench_key_list(char *buf, size_t len);
/*
 * One value of key: a number in range, or on/off (yes/no, true/false,
 * 1/0) for a boolean.  -1 with err.
 */
int	 bench_key_value(const struct bench_key *, const char *s,
	    long long *v, char *err, size_t errlen);
/* Put key = v into a migrate request (nothing for key->none, or off). */
void	 bench_key_arg(const struct bench_key *, long long v,
	    struct json_object *args);

/* One --vary's argument added; -1 with err (one line), sweep unchanged. */
int	 bench_vary_parse(struct bench_sweep *, const char *arg, char *err,
	    size_t errlen);
/* Whether the sweep varies the option called name. */
int	 bench_varies(const struct bench_sweep *, const char *name);
/* The number of combinations (1 without any --vary). */
size_t	 bench_combos(const struct bench_sweep *);
/* Combination i's index into each vary's values (the last varies fastest). */
void	 bench_combo(const struct bench_sweep *, size_t i, size_t *idx);
/* "bandwidth=100,multifd=2" ("default" without any --vary). */
void	 bench_combo_label(const struct bench_sweep *, size_t i, char *buf,
	    size_t len);
/* Combination i's options into a migrate request. */
void	 bench_combo_args(const struct bench_sweep *, size_t i,
	    struct json_object *args);
void	 bench_sweep_free(struct bench_sweep *);

/* Statistics over the repeats (benchstat.c); v is sorted in place. */
double	 bench_median(double *v, size_t n);
/* The q-quantile (0..1), linear between the closest ranks. */
double	 bench_quantile(double *v, size_t n, double q);

#endif
