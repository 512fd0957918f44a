/*
 * host-check: can this host run QEMU VMs, and how well (the equivalent
 * of virt-host-validate).  Each check yields PASS, WARN or FAIL with a
 * detail and, for WARN and FAIL, a hint.  FAIL means qlaunch cannot run
 * VMs at all (no QEMU, no qemu-img); anything TCG or user networking can
 * work around (no KVM, no /dev/net/tun, no bridge module, no vhost-net,
 * no dnsmasq or nftables for NAT networks) is a WARN.
 */
#ifndef LAUNCHER_HOSTCHECK_H
#define LAUNCHER_HOSTCHECK_H

#include <stdio.h>

struct json_object;

/*
 * Runs every check.  With json == 0 prints an aligned table to out;
 * otherwise prints nothing and sets *jout to a new array of objects
 * {"check", "result": "PASS"|"WARN"|"FAIL", "detail", "hint" (null for
 * PASS)} owned by the caller.  Returns the number of FAILs.
 */
int	 hostcheck_run(const char *qemu, const char *qemu_img, int json,
	    FILE *out, struct json_object **jout);

/*
 * For tests: read /proc, /sys and /dev below root (NULL or "" for the
 * real host), and the time allowed for "QEMU -version" (default 5000 ms).
 */
void	 hostcheck_set_root(const char *root);
void	 hostcheck_set_timeout_ms(int ms);

#endif
