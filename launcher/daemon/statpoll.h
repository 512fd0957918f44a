/*
 * The stats poller: one timer for all VMs, running only while someone
 * watches.  A watcher is a stats-watch request that stays open; every
 * DELAY seconds it gets a STATS event tied to its id:
 *
 *   {"interval_ms", "vms": [sample with "rates", ...]}   (statsample.h)
 *
 * The timer ticks at the smallest delay asked; each tick is a round: a
 * sample of every running VM (watchers may name some), at most one in
 * flight per VM, so a QEMU that does not answer is skipped (its last
 * sample marked "stale") rather than asked again, and the round is sent
 * when all answered or after 3/4 of the period, whichever comes first.
 * Rates are computed here from each VM's consecutive samples.  A new
 * watcher's first event comes after one full period, so that it has
 * rates.  A watcher leaves when its connection closes (req_on_close; a
 * connection that cannot tell is found gone at the next tick); the last
 * one leaving stops the timer.
 */
#ifndef LAUNCHER_STATPOLL_H
#define LAUNCHER_STATPOLL_H

struct daemon;
struct req;
struct json_object;

#define STATPOLL_MIN_MS	100
#define STATPOLL_MAX_MS	3600000

/* Add r as a watcher every delay_ms; names (consumed, NULL: all VMs). */
void	 statpoll_watch(struct daemon *, struct req *, int delay_ms,
	    struct json_object *names);
/* How many watchers and how many rounds so far (tests, info). */
void	 statpoll_counts(struct daemon *, int *watchers, long long *rounds);
/* The supervisor goes: every watcher is answered, the timer stops. */
void	 statpoll_fini(struct daemon *);

#endif
