/*
 * Console logs and qemu.log capped and rotated by the supervisor
 * (qlaunchd.conf's console_log_max, qemu_log_max, log_rotate).  QEMU
 * keeps writing its descriptor (console.log through the chardev's
 * logfile=, opened O_APPEND; qemu.log, its stderr, which the supervisor
 * opens O_APPEND), so a log is rotated in place: LOG.N-1 becomes LOG.N,
 * LOG's bytes are copied to LOG.1 and then cut from the head of LOG,
 * and QEMU's next write lands at the new end.  See DESIGN.md.
 */
#ifndef LOGROT_H
#define LOGROT_H

#include <stddef.h>

struct daemon;
struct logrot;

/* When LOG is larger than max (0: never), rotate it keeping count
 * older files: 1 rotated, 0 not needed, -1 with err (nothing lost). */
int	 logrot_check(const char *path, long long max, int count, char *err,
	    size_t errlen);
/* The last max bytes of LOG, reaching into LOG.1 when LOG is shorter
 * (just rotated): NULL when neither can be read.  NUL-terminated. */
char	*logrot_tail(const char *path, size_t max, size_t *lenp);
/* A timer checking every active VM's logs every second or so. */
struct logrot *logrot_start(struct daemon *);
void	 logrot_stop(struct logrot *);

#endif
