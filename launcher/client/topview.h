/*
 * top's table (virt-top's): one row per VM from a STATS event's data,
 * sorted by one of virt-top's keys, printed as a table or as CSV rows.
 * No terminal control here (cmd-top.c draws).
 */
#ifndef LAUNCHER_TOPVIEW_H
#define LAUNCHER_TOPVIEW_H

#include <stddef.h>
#include <stdio.h>

struct json_object;

struct toprow {
	long long	 id;		/* 0: not running */
	char		 name[65];
	char		 state[16];
	int		 has_rates;
	double		 cpu_pct;
	long long	 mem_mib;	/* -1: not running */
	long long	 rd_bps, wr_bps, rx_bps, tx_bps;
};

struct topsort {
	int		 key;		/* virt-top's key: P M N B T */
	const char	*name;		/* --sort NAME */
	int		(*cmp)(const void *, const void *);
};

/* The rows of data's "vms"; *rows is the caller's (free). */
size_t	 topview_rows(struct json_object *data, struct toprow **rows);
/* By key or by name; NULL when none. */
const struct topsort *topview_sort_key(int key);
const struct topsort *topview_sort_name(const char *name);
/* "cpu, mem, name, block, net" */
const char *topview_sort_names(void);
void	 topview_sort(struct toprow *, size_t, const struct topsort *);
/* The header (a summary line and the columns) and the rows. */
void	 topview_print(FILE *, const struct toprow *, size_t, const char *when,
	    const struct topsort *);
void	 topview_csv_header(FILE *);
void	 topview_csv(FILE *, const struct toprow *, size_t, const char *when);

#endif
