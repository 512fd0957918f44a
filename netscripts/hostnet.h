/*
 * The host's network plumbing, for the supervisor: links, bridges,
 * addresses and neighbours through rtnetlink (libnl-route-3), and taps
 * through /dev/net/tun.  Nothing here runs a program.
 *
 * Every function returning int gives 0 or -1 with one line in err that
 * names the interface ("bridge br9 does not exist").  Interface names are
 * checked with valid_ifname (parse.h) first.
 */
#ifndef QLAUNCH_HOSTNET_H
#define QLAUNCH_HOSTNET_H

#include <stddef.h>
#include <stdint.h>

#define HN_NAMELEN	16	/* IFNAMSIZ */
#define HN_MAXQUEUES	16

struct hostnet;

/* A route-netlink connection; NULL with err. */
struct hostnet	*hn_open(char *err, size_t errlen);
void		 hn_close(struct hostnet *);
/* Its libnl socket, for the other netscripts files (hostroute.c). */
struct nl_sock;
struct nl_sock	*hn_sock(struct hostnet *);

/* What a link is. */
struct hn_link {
	char		 name[HN_NAMELEN];
	int		 ifindex;
	char		 kind[16];	/* "bridge", "tun", "veth", "" */
	char		 master[HN_NAMELEN];	/* "" when none */
	unsigned	 mtu;
	int		 up;		/* IFF_UP */
	uint8_t		 mac[6];
	char		 alias[128];
	uint64_t	 rx_bytes, rx_packets, tx_bytes, tx_packets;
	uint64_t	 rx_errs, rx_drop, tx_errs, tx_drop;
};

/* 1 found, 0 no such link, -1 error. */
int	 hn_link_get(struct hostnet *, const char *name, struct hn_link *,
	    char *err, size_t errlen);
/* -1 unless name exists and is a bridge ("bridge br9 does not exist"). */
int	 hn_bridge_check(struct hostnet *, const char *name, struct hn_link *,
	    char *err, size_t errlen);
int	 hn_bridge_add(struct hostnet *, const char *name, char *err,
	    size_t errlen);
int	 hn_link_del(struct hostnet *, const char *name, char *err,
	    size_t errlen);
/* Enslave name to bridge, or release it when bridge is NULL. */
int	 hn_link_set_master(struct hostnet *, const char *name,
	    const char *bridge, char *err, size_t errlen);
int	 hn_link_set_up(struct hostnet *, const char *name, int up, char *err,
	    size_t errlen);
int	 hn_link_set_mtu(struct hostnet *, const char *name, unsigned mtu,
	    char *err, size_t errlen);
int	 hn_link_set_alias(struct hostnet *, const char *name,
	    const char *alias, char *err, size_t errlen);

/* An IPv4 or IPv6 address with its prefix, as "192.168.122.1/24". */
struct hn_addr {
	int	 family;		/* AF_INET, AF_INET6 */
	char	 text[64];		/* address/prefix */
};
/*
 * The addresses of name (up to max into a; the count found, which may be
 * larger), or -1.
 */
int	 hn_addr_list(struct hostnet *, const char *name, struct hn_addr *a,
	    size_t max, char *err, size_t errlen);
int	 hn_addr_add(struct hostnet *, const char *name, const char *cidr,
	    char *err, size_t errlen);
int	 hn_addr_del(struct hostnet *, const char *name, const char *cidr,
	    char *err, size_t errlen);

/* A reachable or stale neighbour of an interface: IP and MAC. */
struct hn_neigh {
	int	 family;
	char	 ip[48];
	uint8_t	 mac[6];
};
/* The neighbours seen on name (up to max); the count found, or -1. */
int	 hn_neigh_list(struct hostnet *, const char *name, struct hn_neigh *n,
	    size_t max, char *err, size_t errlen);

/*
 * A tap named name, queues file descriptors on it (multiqueue when
 * queues > 1), each with IFF_VNET_HDR when vnet_hdr.  The tap is not
 * persistent: it goes away with the last descriptor, so a QEMU holding
 * them takes it along when it exits, however it exits.  fds are
 * close-on-exec.  -1 with err, nothing left open.
 */
int	 hn_tap_open(const char *name, int vnet_hdr, unsigned queues, int *fds,
	    char *err, size_t errlen);

#endif
