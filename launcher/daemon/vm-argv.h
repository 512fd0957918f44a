/*
 * The one place QEMU's argv is made for a VM: start, the destination of
 * a migration (migrate-prepare: -incoming defer) and `cmdline` (with
 * --incoming URI: the same argv, to start by hand) all come here.
 */
#ifndef LAUNCHER_VM_ARGV_H
#define LAUNCHER_VM_ARGV_H

#include <stddef.h>

#include "cmdline.h"

struct daemon;

/*
 * cmdline.h's argv for def (flags CMDLINE_*; uri is -incoming's when
 * CMDLINE_INCOMING, NULL for "defer"), the emulator being the
 * definition's or the daemon's default, and -L with the emulator's own
 * data directory when it needs one (emudata.h; a failed probe is
 * logged and adds nothing).
 */
int	 vm_argv(struct daemon *, const struct vmdef *, const struct vmpaths *,
	    enum accel, int flags, const char *uri, struct argv *, char *err,
	    size_t errlen);

#endif
