/*
 * cmdline --incoming, for a QEMU started by hand: the supervisor is not
 * there to open its taps and pass their descriptors, so each tap NIC's
 * -netdev names its tap (ifname=, the definition's or "qlh" and the
 * MAC's last six digits) and has QEMU create it and run our qemu-ifup
 * and qemu-ifdown on it (script=, downscript=), as the tutorials' raw
 * command lines do.  qemu-ifup puts a tap on $QLAUNCH_BRIDGE, so the
 * argv begins with "env QLAUNCH_BRIDGE=BRIDGE" (one bridge for every
 * tap NIC of the VM; NICs on different bridges are refused).
 */
#ifndef LAUNCHER_HANDTAP_H
#define LAUNCHER_HANDTAP_H

#include <stddef.h>

struct argv;
struct daemon;
struct vmdef;

/*
 * Rewrite a (def's argv) in place; 0, or -1 with one line in err (a
 * unchanged).  scriptdir: where qemu-ifup and qemu-ifdown are.
 */
int	 handtap_rewrite(struct daemon *, const struct vmdef *def,
	    const char *scriptdir, struct argv *a, char *err, size_t errlen);
/* The installed scripts' directory, else the source tree's. */
const char *handtap_scriptdir(void);

#endif
