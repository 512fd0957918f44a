/*
 * Routes and bridge ports, for moving a NIC onto a bridge and back
 * (iface-bridge, iface-unbridge): the routes through an interface, added
 * or removed one at a time; the ports of a bridge; a bridge's STP and
 * forward delay.  Same conventions as hostnet.h: 0 or -1 with one line in
 * err naming the interface.
 */
#ifndef QLAUNCH_HOSTROUTE_H
#define QLAUNCH_HOSTROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "hostnet.h"

/*
 * A unicast route with one next hop: dst is "default" or an address with
 * its prefix ("10.1.0.0/16"), gateway "" when the destination is on the
 * link, prefsrc "" when none.
 */
struct hn_route {
	int		 family;		/* AF_INET, AF_INET6 */
	char		 dst[64];
	char		 gateway[48];
	char		 prefsrc[48];
	uint32_t	 table;
	uint32_t	 priority;		/* the metric */
	uint8_t		 scope;
	uint8_t		 protocol;
};

/*
 * The routes someone made through name (up to max into r; the count
 * found, which may be larger, or -1): unicast routes of any table but
 * local, with one next hop on name, that the kernel did not make itself
 * for an address (proto kernel) and a router did not announce (proto ra).
 * Multipath routes through name are an error: they cannot be moved.
 */
int	 hn_route_list(struct hostnet *, const char *name, struct hn_route *r,
	    size_t max, char *err, size_t errlen);
/* The route r through name (r->dst etc.; its next hop's device is name). */
int	 hn_route_add(struct hostnet *, const char *name,
	    const struct hn_route *r, char *err, size_t errlen);
int	 hn_route_del(struct hostnet *, const char *name,
	    const struct hn_route *r, char *err, size_t errlen);
/* "default via 10.0.0.1 metric 100", for messages. */
void	 hn_route_str(const struct hn_route *, char *buf, size_t len);

/* The links enslaved to bridge (up to max; the count found, or -1). */
int	 hn_bridge_ports(struct hostnet *, const char *bridge,
	    struct hn_link *ports, size_t max, char *err, size_t errlen);
/*
 * A bridge's spanning tree on or off and its forward delay in seconds
 * (0 to 30; with STP on, the kernel wants 2 to 30).  Set through sysfs
 * (/sys/class/net/BRIDGE/bridge/), as the running network namespace
 * shows it.
 */
int	 hn_bridge_set_stp(const char *bridge, int stp, unsigned delay_s,
	    char *err, size_t errlen);

#endif
