/*
 * A live migration's options beyond the basics, and what they do while
 * it runs (the source's cmd-migrate.c and the destination's migrate-in.c
 * call in here; the rest of the exchange is in migrate.h):
 *
 * - postcopy: the postcopy-ram capability on both sides; the source
 *   switches with migrate-start-postcopy after --postcopy-after passes,
 *   at the timeout (--timeout-action postcopy) or on migrate-postcopy.
 *   Once QEMU says postcopy-active, the guest runs on the destination
 *   while its memory is still partly on the source: the migration can
 *   no longer be cancelled, and if the stream breaks (postcopy-paused)
 *   the guest is split across the hosts: nothing is undone, both QEMUs
 *   stay, and the failure says so.  The destination resumes the guest
 *   as soon as it sees postcopy-active.
 * - the timeout's action: cancel (as before), pause (the source guest is
 *   stopped so that the migration converges; it runs on the
 *   destination afterwards, or again on the source when it fails) or
 *   postcopy.
 * - xbzrle's cache size, multifd's compression (each QEMU's schema must
 *   have the value: probed on both sides before anything starts there).
 * - the stall detector: no byte moved for stall_s seconds while QEMU
 *   says active cancels the migration.
 */
#ifndef LAUNCHER_MIGCTL_H
#define LAUNCHER_MIGCTL_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct qmp;

#define MIGCTL_STALL_S		30	/* the stall detector's default */

enum { MIGCTL_CANCEL, MIGCTL_PAUSE, MIGCTL_POSTCOPY };

struct migctl {
	/* asked for */
	int		 postcopy;
	int		 postcopy_after;	/* passes; 0: not by count */
	int		 action;		/* at the timeout */
	int		 stall_s;		/* 0: never */
	/* the run */
	int		 postcopy_due;		/* the timeout asked for it */
	int		 postcopy_sent;		/* migrate-start-postcopy */
	int		 in_postcopy;		/* QEMU said postcopy-active */
	int		 paused;		/* the timeout stopped the guest */
	int		 split;			/* broke in postcopy */
	int		 timed_out;
	char		 status[24];		/* QEMU's, at the last poll */
	int		 news;			/* it changed then */
	long long	 last_bytes;
	int64_t		 last_move;		/* mono_ms; 0: not yet active */
};

/*
 * The request's arguments ("postcopy", "postcopy_after",
 * "timeout_action", "xbzrle_cache", "multifd_compression",
 * "stall_timeout", and "timeout", "xbzrle", "multifd" for what they
 * need) into x, and the capabilities (caps, a list of {"capability",
 * "state"}) and parameters (params) they set.  -1 with one line in err.
 */
int	 migctl_parse(struct migctl *, struct json_object *args,
	    struct json_object *caps, struct json_object *params, char *err,
	    size_t errlen);

/*
 * Whether QEMU's schema (query-qmp-schema's return) lets
 * migrate-set-parameters take each value of params that is an enum's
 * (multifd-compression); -1 with a line naming side ("source",
 * "destination") and what its QEMU takes.
 */
int	 migctl_schema_check(struct json_object *schema,
	    struct json_object *params, const char *side, char *err,
	    size_t errlen);
/*
 * The same against the QEMU of q, asynchronously: 0 and done(arg, NULL
 * or the refusal) called later, exactly once, when params has something
 * to check; 1 (done not called) when it has nothing.
 */
int	 migctl_probe(struct qmp *, struct json_object *params,
	    const char *side, void (*done)(void *, const char *err),
	    void *arg);

/*
 * The source, at each query-migrate reply (ret) before its status is
 * looked at: the switch to postcopy after the passes asked, the stall
 * detector, postcopy's failure; news set when the status changed (a
 * progress event is due at once).  0: go on; -1: the migration fails
 * with err (stream names where it goes, for that line).
 */
int	 migctl_poll(struct migctl *, struct qmp *, struct json_object *ret,
	    const char *stream, char *err, size_t errlen);
/*
 * The source's --timeout: 0 when dealt with (pause: the guest stopped;
 * postcopy: the switch at the next poll that says active), -1 to cancel.
 */
int	 migctl_timeout(struct migctl *, struct qmp *);
/*
 * The source fails: in postcopy, desc (the failure's line) gets the
 * warning, x->split is set and 1 returned: nothing may be cancelled,
 * resumed or dropped on either side.
 */
int	 migctl_failing(struct migctl *, char *desc, size_t len);
/* 1 when a failure must resume the source guest that the timeout paused */
int	 migctl_resume_source(const struct migctl *);
/* What it did, into the summary s: "postcopy", "timeout_action". */
void	 migctl_stats(const struct migctl *, struct json_object *s);

/*
 * The destination: a MIGRATION event's status.  postcopy-active: the
 * guest is resumed (unless it is to stay paused).
 */
void	 migctl_incoming(struct qmp *, const char *status, int paused);

#endif
