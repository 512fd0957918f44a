/*
 * Autostart once a boot: the first supervisor since the host booted
 * starts the autostart VMs and networks; a restarted one (its guests
 * still running, or stopped on purpose since) does not.  The boot is
 * /proc/sys/kernel/random/boot_id, recorded in STATEDIR/autostarted.
 */
#ifndef BOOTONCE_H
#define BOOTONCE_H

/* 1 the first time for this boot (and it is recorded), else 0. */
int	 bootonce_first(const char *statedir);

#endif
