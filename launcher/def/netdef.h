/*
 * Network definitions: plain text like VM definitions ("key: value"
 * lines, '#' comments), one file per network.  IPv4 only.  See
 * qlaunch.conf(5), NETWORK DEFINITIONS.
 *
 *	name: default
 *	uuid: ...			(generated when missing)
 *	bridge: virbr0			(the supervisor picks the lowest free
 *					 virbrN when missing)
 *	address: 192.168.122.1/24	(the bridge's, CIDR)
 *	dhcp-range: 192.168.122.2,192.168.122.254   (or none; default .2
 *					 to the last address before broadcast)
 *	forward: nat | none | route	(default nat)
 *	domain: example.lan		(dnsmasq's local domain)
 *	mtu: 1500
 *	autostart: yes | no
 */
#ifndef LAUNCHER_NETDEF_H
#define LAUNCHER_NETDEF_H

#include <stddef.h>
#include <stdint.h>

enum net_forward { NET_FWD_NAT, NET_FWD_NONE, NET_FWD_ROUTE };

#define NETDEF_BRIDGE_LEN	16	/* IFNAMSIZ */

struct netdef {
	char		 name[65];
	char		 uuid[37];
	int		 uuid_generated;	/* the text had no uuid line */
	char		 bridge[NETDEF_BRIDGE_LEN];	/* "": to be picked */
	uint32_t	 addr;		/* the bridge's address, host order */
	unsigned	 prefix;
	uint32_t	 dhcp_start;	/* host order; both 0: no DHCP */
	uint32_t	 dhcp_end;
	int		 no_dhcp;	/* dhcp-range: none */
	enum net_forward forward;
	char		 domain[64];	/* "" none */
	unsigned	 mtu;		/* 0: the kernel's */
	int		 autostart;
	char		*text;		/* as its author wrote it (+ uuid) */
};

/*
 * Parse and check a definition; NULL with "FILE:LINE: key: why" (or
 * "FILE: key: why" for what is checked between keys) in err.
 */
struct netdef	*netdef_parse(const char *text, const char *fname, char *err,
		    size_t errlen);
void		 netdef_free(struct netdef *);
/* Set key's line of the text to "key: value" (added when missing). */
void		 netdef_text_set(struct netdef *, const char *key,
		    const char *value);
const char	*netdef_forward_name(enum net_forward);

/* Dotted quad of a host-order address into buf (16 bytes). */
const char	*netdef_ip(uint32_t, char *buf, size_t len);
uint32_t	 netdef_mask(const struct netdef *);
/* "192.168.122.0/24" and "192.168.122.1/24" into buf. */
void		 netdef_subnet(const struct netdef *, char *buf, size_t len);
void		 netdef_cidr(const struct netdef *, char *buf, size_t len);
/* 1 when the two subnets share an address. */
int		 netdef_overlaps(const struct netdef *, const struct netdef *);

#endif
