/*
 * The test guest's workload (qlstress, images/guesttools/qlstress.c),
 * started, stopped and read through the guest's serial console
 * (guestsh.h): it needs a guest with a shell on its console and
 * qlstress on its PATH.  Its pid is kept in the guest's /run/qlwl.pid,
 * its output in /run/qlwl.log.
 */
#ifndef LAUNCHER_WORKLOAD_H
#define LAUNCHER_WORKLOAD_H

#include <stddef.h>

struct json_object;

/* Start qlstress -s size_mib -r rate (MiB/s, 0: as fast as it can). */
int	 workload_start(const char *sock, const char *name, long long size_mib,
	    long long rate, char *err, size_t errlen);
/* Stop it; *was_running tells whether one ran. */
int	 workload_stop(const char *sock, const char *name, int *was_running,
	    char *err, size_t errlen);
/*
 * {"running", "pid", "size_mib", "rate_mib_s" (asked for), and from its
 * last report "t_ms", "iter", "mib", "measured_mib_s"}; NULL with err.
 */
struct json_object *workload_status(const char *sock, const char *name,
	    char *err, size_t errlen);

#endif
