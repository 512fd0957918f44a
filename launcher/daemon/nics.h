/*
 * The host side of a VM's NICs.  When a definition is stored, each NIC
 * without a MAC gets one (52:54:00 and three random bytes), unique among
 * the supervisor's VMs.  When a VM starts or a NIC is plugged, the
 * supervisor opens the tap of each bridge= or network= NIC (named
 * qlvID.N, ID the VM's id, N counting its taps; or the ifname= asked for;
 * its alias "qlaunch VM MAC"), puts it on the bridge with the bridge's
 * MTU, brings it up and opens vhost-net for it when asked, and passes the
 * descriptors to QEMU.  The taps are not persistent: they go with QEMU's
 * descriptors, so nothing is left behind whatever way QEMU ends.
 */
#ifndef LAUNCHER_NICS_H
#define LAUNCHER_NICS_H

#include <stddef.h>

struct daemon;
struct vm;
struct vmdef;

/* Descriptors for QEMU, in the order its command line numbers them. */
struct nicfds {
	int	*fd;
	size_t	 n;
};

/*
 * A definition about to be stored for vm (NULL: a new VM): MACs for the
 * NICs without one; a MAC another VM has is an error.  fresh: every NIC
 * gets a new MAC (a clone).  Only an admin may put a VM on a host bridge
 * it was not on already (others use networks).  A NIC on the network
 * "default" defines that network when there is none.  -1 with err, d
 * unchanged.
 */
int	 nics_prepare(struct daemon *, struct vmdef *, const struct vm *self,
	    int fresh, int admin, char *err, size_t errlen);
/* Does the host have vhost-net (can the supervisor open /dev/vhost-net)? */
int	 nics_vhost_net(void);
/*
 * Open the taps of vm->def's NICs (the VM's id given already) into *fds
 * and remember their names; -1 with err and nothing left open.
 */
int	 nics_open(struct vm *, struct nicfds *, char *err, size_t errlen);
/*
 * The same for NIC i of def alone (hot-plug): its descriptors in *fds,
 * taps then vhost-net ones.
 */
int	 nics_open_one(struct vm *, const struct vmdef *def, size_t i,
	    struct nicfds *, char *err, size_t errlen);
void	 nicfds_close(struct nicfds *);

/* The tap of NIC id (net-525400...) of a running VM, or NULL. */
const char *nics_tap(const struct vm *, const char *id);
/*
 * Network net has started again on bridge: the taps of running VMs' NICs
 * on it go back on the bridge (its bridge went with the network's stop).
 */
void	 nics_reattach(struct daemon *, const char *net, const char *bridge);
/* NIC id has that tap (re-adoption). */
void	 nics_remember(struct vm *, const char *id, const char *tap);
/* Forget NIC id's tap (unplugged), or all of them (QEMU is gone). */
void	 nics_forget(struct vm *, const char *id);

/*
 * Add to the array addrs what the DHCP leases of NIC n's network say of
 * its MAC: {"address", "family", "source": "lease"}.
 */
struct vmdef_nic;
struct json_object;
void	 nics_lease_addrs(struct daemon *, const struct vmdef_nic *,
	    struct json_object *addrs);

#endif
