/*
 * Heartbeat statistics: the ticks a guest's qlstress writes on its
 * heartbeat channel ("QLHB <seq> <guest monotonic ns>" lines), taken in
 * as they arrive with the supervisor's clocks, and what they show: how
 * many, which were missed, and the longest gap between two.  Pure: the
 * reader (heartbeat.c) feeds it lines, the unit tests feed it times.
 */
#ifndef LAUNCHER_HBSTAT_H
#define LAUNCHER_HBSTAT_H

#include <stdint.h>

struct json_object;

struct hbstat {
	uint64_t	ticks;		/* lines taken */
	uint64_t	bad;		/* lines that were no tick */
	uint64_t	missed;		/* sequence numbers skipped */
	uint64_t	restarts;	/* sequence back to a lower number */
	uint64_t	first_seq, last_seq;
	uint64_t	first_real, last_real;	/* host CLOCK_REALTIME, ns */
	uint64_t	last_mono;	/* host CLOCK_MONOTONIC, ns */
	uint64_t	last_guest;	/* the guest's clock, ns */
	int		have_last;	/* last_* describe a tick */
	/* the longest gap between two ticks, by the host's clock */
	uint64_t	gap;		/* ns */
	uint64_t	gap_real;	/* when the tick ending it came */
	uint64_t	gap_seq;	/* its sequence number */
	int64_t		gap_guest;	/* the guest's clock across it, ns */
};

/*
 * One line (without its newline) that arrived at mono and real: 0 for a
 * tick, -1 for anything else (counted in bad).
 */
int	hbstat_line(struct hbstat *, const char *line, uint64_t mono,
	    uint64_t real);
/*
 * Counts and the longest gap start again; the last tick stays, so a gap
 * that ends after the reset counts.
 */
void	hbstat_reset(struct hbstat *);
/*
 * {"ticks", "missed", "bad", "restarts", "first_seq", "last_seq",
 * "first_tick_us", "last_tick_us" (host wall clock, µs since the epoch),
 * "since_last_ms" (at mono), "longest_gap_ms", "longest_gap_at_us",
 * "longest_gap_seq", "longest_gap_guest_ms"}; the tick fields absent
 * before the first tick, the gap's before the second.
 */
struct json_object *hbstat_json(const struct hbstat *, uint64_t mono);

#endif
