/*
 * Disk-only snapshots of a running VM with a guest agent freeze the
 * guest's file systems around their transaction (guest-fsfreeze-freeze,
 * then -thaw, always, also when the snapshot failed), so that the
 * overlays start from consistent file systems.  Without an agent, or
 * when it does not answer in SNAPFREEZE_MS, the snapshot goes on
 * unfrozen (as virsh's without --quiesce), and a thaw is sent anyway in
 * case a late freeze went through.
 */
#ifndef LAUNCHER_SNAPFREEZE_H
#define LAUNCHER_SNAPFREEZE_H

struct daemon;
struct vm;

#define SNAPFREEZE_MS	3000

/* then(arg, frozen) once the agent answered, or at once without one. */
void	 snapfreeze(struct daemon *, struct vm *,
	    void (*then)(void *arg, int frozen), void *arg);
/* Thaw; the outcome is logged. */
void	 snapthaw(struct daemon *, struct vm *);

#endif
