/*
 * The heartbeat reader: for each running VM whose definition has
 * "channel: heartbeat", the supervisor connects to the channel's socket
 * (vmpaths.heartbeat, QEMU the server) once QEMU is up, in the event loop,
 * and takes the guest's ticks into its statistics (hbstat.h): ticks,
 * missed ones, the longest gap and when it ended.  They are kept after
 * QEMU goes and start again with the next QEMU.
 */
#ifndef LAUNCHER_HEARTBEAT_H
#define LAUNCHER_HEARTBEAT_H

struct daemon;
struct vm;
struct json_object;

/*
 * What one VM's channel is read at, at most: ticks (under 50 bytes, one a
 * millisecond) need under 50 KiB/s.  More waits in QEMU and then in the
 * guest (virtio-serial's flow control), so a guest flooding the port
 * costs the supervisor a bounded share of its loop (bench_hostile).
 */
#define HEARTBEAT_READ_BPS	(256 * 1024)
#define HEARTBEAT_READ_BURST	(64 * 1024)
#define HEARTBEAT_TICK_MS	100	/* the bucket's refill period */

/* Register the reader's event sink (once per daemon). */
void		 heartbeat_init(struct daemon *);
void		 heartbeat_fini(struct daemon *);
/*
 * The VM's heartbeat: {"connected": bool, "pid": QEMU's, and hbstat_json's
 * fields}, or NULL when nothing was read for it since the supervisor
 * started.  reset: the statistics start again after this answer.
 */
struct json_object *heartbeat_info(struct daemon *, const struct vm *,
		    int reset);
/*
 * The guest-visible downtime (ms) of the migration that brought the VM's
 * current QEMU here, as the source measured it (migrate-cputimes with
 * "switch_ms"); -1 when unknown or the QEMU is another.
 */
void		 heartbeat_set_switch(struct daemon *, const struct vm *,
		    long long ms);
long long	 heartbeat_switch(struct daemon *, const struct vm *);
#endif
