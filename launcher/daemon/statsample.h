/*
 * One statistics sample of one running VM, as domstats and the stats
 * poller take it: QEMU is asked query-cpus-fast, query-blockstats and
 * query-balloon at once (and qom-get of the balloon's guest-stats when
 * there is a balloon: each command its timeout, all in flight); /proc
 * gives the CPU times of QEMU and of each vCPU thread (migprov.c), and
 * the taps' counters come from rtnetlink (hostnet).  The sample is
 * JSON, counters only (statrate.c turns two samples into rates):
 *
 *   {"name", "id", "state", "t_ms" (monotonic, when taken),
 *    "cpu": {"time_ms", "vcpus": [{"id", "thread_id", "time_ms"}]},
 *    "balloon": {"current_mib", "maximum_mib", and when the balloon
 *                polls the guest: "guest": {QEMU's stat-* figures},
 *                "last_update"},
 *    "block": [{"name", "rd_bytes", "wr_bytes", "rd_reqs", "wr_reqs",
 *               "flush_reqs"}],
 *    "net": [{"name", "rx_bytes", "rx_packets", "rx_errs", "rx_drop",
 *             "tx_bytes", ...}]}   (the guest's view: a tap's other way)
 *
 * A figure QEMU refused (no balloon) is left out; a QEMU that does not
 * answer in time gives "error".
 */
#ifndef LAUNCHER_STATSAMPLE_H
#define LAUNCHER_STATSAMPLE_H

struct json_object;
struct vm;

#define STATS_QMP_MS	5000	/* each query's bound */

/* sample is the caller's (never NULL); called once, maybe at once. */
typedef void (*statsample_cb)(void *arg, struct json_object *sample);

/* Take a sample of vm: a running VM's, or {"name", "state"} when off. */
void	 statsample_take(struct vm *, statsample_cb, void *arg);
/* {"name", "id", "state"} of a VM, the start of every sample. */
struct json_object *statsample_head(const struct vm *);

#endif
