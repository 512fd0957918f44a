/*
 * Rates from two consecutive samples of one VM (statsample.h): added to
 * the newer one as "rates": {"interval_ms", "cpu_pct" (QEMU's whole
 * process: 100 is one host CPU), "vcpu_pct": [...], "rd_bps", "wr_bps"
 * (all disks), "rx_bps", "tx_bps" (all NICs, the guest's view)}.
 * Nothing is added when the two are not of the same QEMU run (another
 * id) or either lacks its figures; a counter that went back (a disk or
 * NIC unplugged) counts as 0.
 */
#ifndef LAUNCHER_STATRATE_H
#define LAUNCHER_STATRATE_H

struct json_object;

/* 1 when cur got its rates, 0 when it could not. */
int	 statrate_add(struct json_object *cur, struct json_object *prev);

#endif
