/*
 * Networks of the supervisor, like libvirt's: a bridge with an address,
 * dnsmasq for DHCP and DNS (a child of the supervisor, in its own
 * session, so it outlives a restart and is re-adopted), and NAT through
 * nftables (libnftables; iptables when nft does not work).  Definitions
 * are STATEDIR/networks/NAME.conf (netdef.h); a started network keeps its
 * runtime files (dnsmasq.conf, dnsmasq.pid, leases, state.json) in
 * NETRUN/NAME.  Every failed step of a start is undone.
 *
 * The first three functions are what the rest of the supervisor (the NIC
 * module, ifaddr) asks of networks.
 */
#ifndef LAUNCHER_NETWORK_H
#define LAUNCHER_NETWORK_H

#include <sys/queue.h>
#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <time.h>

struct daemon;
struct netdef;
struct json_object;
struct event;

/* The bridge of an active network, or NULL with "network NAME is not
 * active" or "network NAME does not exist" in err.  The string lives as
 * long as the network stays active. */
const char *network_bridge(struct daemon *, const char *name, char *err,
	    size_t errlen);
/*
 * Define the network "default" (virbr0 or the lowest free virbrN,
 * 192.168.122.1/24, DHCP .2 to .254, NAT) when name is "default" and no
 * such network exists; never starts it.  0 also when there is nothing to
 * do (another name, or default exists); -1 with err.
 */
int	 network_ensure_default(struct daemon *, const char *name, char *err,
	    size_t errlen);

/* One DHCP lease of a network, from dnsmasq's lease file. */
struct net_lease {
	long long	 expiry;	/* seconds since the epoch; 0: infinite */
	char		 mac[18];	/* aa:bb:cc:dd:ee:ff */
	char		 ip[48];
	char		 hostname[64];	/* "" when the client gave none */
	char		 clientid[192];	/* "" when none */
};
/*
 * The current leases of an active network in *leases (malloc'd, *n of
 * them; free()), or -1 with err as network_bridge's.
 */
int	 network_leases(struct daemon *, const char *name,
	    struct net_lease **leases, size_t *n, char *err, size_t errlen);

/* ---- the registry and the life of a network (cmd-net.c, qlaunchd) ---- */

enum nat_kind { NAT_NONE, NAT_NFT, NAT_IPTABLES, NAT_OFF };

struct network {
	TAILQ_ENTRY(network)	 entry;
	struct daemon		*d;
	struct netdef		*def;
	int			 persistent;	/* has a file in STATEDIR */
	int			 active;
	char			 rundir[PATH_MAX];
	/* dnsmasq, while active */
	pid_t			 pid;
	unsigned long long	 pstart;
	int			 pidfd;
	struct event		*pidev;
	time_t			 crash_window;
	int			 crashes;
	/* what NAT was set up with, and why it is off when it is */
	enum nat_kind		 nat;
	char			 nat_warning[256];
};

struct network *network_find(struct daemon *, const char *name);
/* Load STATEDIR/networks/\*.conf; the number loaded (bad files logged). */
int	 network_load_all(struct daemon *);
/*
 * Re-adopt what an earlier supervisor started (NETRUN/\*\/state.json),
 * restarting a dnsmasq that died meanwhile; the number re-adopted.
 */
int	 network_adopt_all(struct daemon *);
/* Start the networks marked autostart that are not active. */
void	 network_autostart(struct daemon *);
/* The supervisor goes: forget everything, leave the networks running. */
void	 network_fini(struct daemon *);

/*
 * Store (persistent) or only register (transient, gone when stopped) a
 * checked definition, which is taken over; *np the network.  A
 * definition replacing an active network's takes effect at its next
 * start.
 */
int	 network_define(struct daemon *, struct netdef *, int persistent,
	    struct network **np, char *err, size_t errlen);
/* Bring it up; warn gets a line when NAT could not be set up. */
int	 network_start(struct network *, char *warn, size_t warnlen,
	    char *err, size_t errlen);
/* Take it down; a transient network goes with it (n is freed). */
int	 network_stop(struct network *, char *err, size_t errlen);
/* Drop an inactive transient network from the registry (n is freed). */
void	 network_forget(struct network *);
/* Remove the definition of an inactive network (n is freed). */
int	 network_undefine(struct network *, char *err, size_t errlen);
int	 network_set_autostart(struct network *, int on, char *err,
	    size_t errlen);
/* What net-info and net-list show. */
struct json_object *network_info(struct network *);

#endif
