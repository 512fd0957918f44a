/*
 * Guests at supervisor stop (libvirt-guests' ON_SHUTDOWN), as
 * qlaunchd.conf's on_stop says: leave them running (the default),
 * shut them down (ACPI, destroyed at stop_timeout), or suspend them
 * (saved to STATEDIR/managedsave/NAME.qlsave, restored at the next
 * start).  The work goes through dispatch as the supervisor's own
 * requests, so it is exactly `qlaunch shutdown --wait T --force` and
 * `qlaunch save`.
 */
#ifndef ONSTOP_H
#define ONSTOP_H

struct daemon;

/* Begin the policy's work; done(arg) once every guest is handled (at
 * once for leave, or when no guest runs). */
void	 onstop_begin(struct daemon *, void (*done)(void *), void *arg);
/* At start: restore the guests a suspend saved.  Returns how many. */
int	 onstop_restore(struct daemon *);

#endif
