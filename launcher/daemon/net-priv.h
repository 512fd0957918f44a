/*
 * The parts of networks (network.h) in their own files: the registry's
 * helpers (network.c), a network's life (net-life.c), dnsmasq
 * (net-dnsmasq.c), NAT (net-nat.c) and dnsmasq's lease file
 * (net-leases.c).  Only those files and the tests use them.
 */
#ifndef LAUNCHER_NET_PRIV_H
#define LAUNCHER_NET_PRIV_H

#include <sys/types.h>

#include <stddef.h>

#include "network.h"

struct netdef;

/* ---- the registry (network.c) ---- */
struct network	*net_add(struct daemon *, struct netdef *, int persistent);
/* Out of the registry and freed (dnsmasq unwatched, nothing stopped). */
void		 net_free(struct network *);
/* 1 when an interface of that name exists. */
int		 bridge_exists(const char *name);
/*
 * -1 with err when another network than def's own has def's bridge or an
 * overlapping subnet (among the active ones only, or all).
 */
int		 conflict(struct daemon *, const struct netdef *,
		    int active_only, char *err, size_t errlen);

/* ---- a network's life (net-life.c) ---- */
int	 save_state(struct network *, char *err, size_t errlen);
/* Undo everything of a start that got as far as it did. */
void	 teardown(struct network *);
/* dnsmasq's pidfd in the event loop: restarted when it dies. */
void	 watch(struct network *);
void	 unwatch(struct network *);

/* ---- dnsmasq ---- */
#define DNSMASQ_PATH	"/usr/sbin/dnsmasq"
/*
 * Write RUNDIR/dnsmasq.conf and start dnsmasq on it.  dnsmasq daemonizes
 * itself once it has bound its sockets, so an error (an address in use)
 * is known here, from its own words; the daemon it leaves is in its own
 * session and outlives the supervisor.  Its pid, or -1 with err.
 */
pid_t	 dnsmasq_start(const struct netdef *, const char *rundir, char *err,
	    size_t errlen);
/* SIGTERM, then SIGKILL after a while; waits until it is gone. */
void	 dnsmasq_stop(pid_t, unsigned long long pstart);

/* ---- NAT ---- */
/*
 * Masquerade what leaves the network's subnet (forward: nat), and turn on
 * IPv4 forwarding (nat and route).  nftables first, in qlaunch's own
 * table (table ip qlaunch, a chain per network), else iptables; when
 * neither works the network still starts and *kind is NAT_OFF, with the
 * reason in warn.  Never fails.
 */
void	 nat_add(const struct netdef *, enum nat_kind *kind, char *warn,
	    size_t warnlen);
/* Remove the network's rules; last: no other network has nft rules. */
void	 nat_del(const struct netdef *, enum nat_kind kind, int last);
const char *nat_kind_name(enum nat_kind);
enum nat_kind nat_kind_parse(const char *);

/* ---- leases ---- */
/*
 * dnsmasq's lease file ("EXPIRY MAC IP HOSTNAME CLIENT-ID" lines; '*'
 * for no hostname or client id; a "duid" line and IPv6 leases, whose
 * second field is not a MAC, skipped) into *leases (malloc'd, *n).  -1
 * with "line N: why" in err.
 */
int	 net_leases_parse(const char *text, struct net_lease **leases,
	    size_t *n, char *err, size_t errlen);

#endif
