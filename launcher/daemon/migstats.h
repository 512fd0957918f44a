/*
 * A migration's measurements (migrate --stats), on the source's
 * supervisor, hooked from cmd-migrate.c; the destination's half is
 * migrate-cputimes (cmd-migstats.c).
 *
 * With "stats": true the source samples query-migrate every
 * "stats_interval" ms (100 by default) and at every MIGRATION_PASS
 * event, from migrate on until QEMU completes, and sends the requesting
 * client one "migrate-sample" event per sample (migstats_sample has its
 * fields), with the CPU time of the source QEMU and its vCPU threads
 * read here and the destination's as last answered by migrate-cputimes
 * on the control connection the source holds (one request out at a
 * time; null until the first answer).  Nothing here waits: every query
 * is answered in the loop.
 *
 * Whether or not samples were asked for, the reply gets "summary" and
 * "provenance", and, when the VM has a heartbeat channel, the
 * guest-visible downtime: the time between the last tick the source's
 * supervisor read and the first tick the destination's read, both
 * stamped with the host's CLOCK_REALTIME (the only clock two hosts can
 * share; on one host it is the same clock for both supervisors, across
 * hosts the figure is as good as their clock synchronisation).
 */
#ifndef LAUNCHER_MIGSTATS_H
#define LAUNCHER_MIGSTATS_H

#include <stdint.h>

struct daemon;
struct json_object;
struct qmp;
struct req;
struct vm;

struct migstats;

/*
 * The measurements of the migration r asks for ("stats", "stats_interval"
 * in its arguments); t0 when it started (mono_ms).  NULL with r answered
 * when the arguments are wrong.
 */
struct migstats	*migstats_new(struct req *r, struct vm *vm, int64_t t0);
/*
 * QEMU took the migrate command: samples start (with stats: the
 * source's vCPU threads are asked for first); the provenance is taken:
 * the capabilities and parameters are this QEMU's before (qcaps,
 * qparams: its query replies) with those set (caps, params) over them.
 * peer is the destination's control connection.
 */
void		 migstats_go(struct migstats *, struct qmp *peer,
		    struct json_object *qcaps, struct json_object *qparams,
		    struct json_object *caps, struct json_object *params);
/* Each query-migrate reply the migration polls: the last expected-downtime. */
void		 migstats_seen(struct migstats *, struct json_object *ret);
/* A MIGRATION_PASS event: a sample now. */
void		 migstats_pass(struct migstats *);
/* QEMU completed: the last sample ("end"), from its query-migrate ret. */
void		 migstats_end(struct migstats *, struct json_object *ret);
/* No more samples (the migration is over, either way). */
void		 migstats_stop(struct migstats *);
/*
 * The destination runs the guest and the source's QEMU is gone but vm
 * still there: the source's last heartbeat tick is taken now; then the
 * destination is asked for its first tick and provenance (with stats
 * or when the source had ticks; waiting up to 3 s for a first tick
 * there when the source had ticks), and done(arg) is called, from the
 * loop, once.
 */
void		 migstats_finish(struct migstats *, struct vm *vm,
		    void (*done)(void *), void *arg);
/* "summary" and "provenance" into the reply s; ret: the last query-migrate. */
void		 migstats_summary(struct migstats *, struct json_object *s,
		    struct json_object *ret);
/* Gone once its last callback has come. */
void		 migstats_free(struct migstats *);

/*
 * One sample, a flat object: t_ms, reason ("poll", "pass", "end"),
 * status, pass, transferred, remaining, total, mbps, dirty_rate,
 * throttle_pct, xbzrle_cache_miss, postcopy_requests,
 * expected_downtime_ms (from query-migrate's ret, null when QEMU gives
 * none), src_qemu_cpu_ms, src_vcpu_cpu_ms, dst_qemu_cpu_ms,
 * dst_vcpu_cpu_ms (from migprov_cputimes' objects; null when NULL).
 */
struct json_object *migstats_sample(struct json_object *ret, int64_t t_ms,
		    const char *reason, struct json_object *src_cpu,
		    struct json_object *dst_cpu);
/*
 * The guest-visible downtime in ms (µs precision) from the source's last
 * tick (host CLOCK_REALTIME, µs) and the destination's heartbeat figures
 * (heartbeat_info's object, its first_tick_us); -1 when either is
 * missing or the order is impossible.
 */
double		 migstats_guest_downtime(long long src_last_us,
		    struct json_object *dst_hb);
/* migrate-info: "guest_downtime_ms" of the VM's last incoming migration. */
void		 migstats_info(struct daemon *, struct vm *,
		    struct json_object *o);

#endif
