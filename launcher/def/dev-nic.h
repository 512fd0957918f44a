/*
 * The NIC module's own header, for its files: nicconf.c (a network line:
 * parse, print, checks), dev-nic.c (the module's row and the QEMU objects
 * a NIC is) and nicops.c (what the supervisor asks and changes:
 * vmdef_nic_*).  Nothing else includes it.
 */
#ifndef LAUNCHER_DEV_NIC_H
#define LAUNCHER_DEV_NIC_H

#include <stddef.h>

#include "parse.h"

struct json_object;
struct vmdef;

enum ntype { NT_NONE, NT_BRIDGE, NT_NETWORK, NT_USER };
enum nmodel { NM_DEFAULT, NM_VIRTIO, NM_E1000, NM_E1000E, NM_RTL8139 };

#define NIC_MAX_QUEUES	16
#define NIC_MAX_FWD	16
/* "net-" or "hostnet-" and the MAC's 12 hex digits */
#define NIC_ID_LEN	24

struct nic {
	enum ntype	 type;
	char		*source;	/* the bridge or the network */
	enum nmodel	 model;
	char		 mac[MAC_STR_LEN];	/* "": not given yet */
	int		 vhost;		/* -1: where the host has vhost-net */
	unsigned	 queues;	/* 0: not given (1) */
	char		*ifname;	/* the tap's name; NULL: the supervisor's */
	int		 link_up;	/* link_state=up|down; -1 not given */
	unsigned	 boot_order;	/* 0: none */
	char		*fwd[NIC_MAX_FWD];	/* user: hostfwd rules */
	size_t		 nfwd;
	/*
	 * Not a key: what starting it decided, copied with the NIC, never
	 * printed.  vhost_ok: the host has vhost-net (for vhost=-1).
	 */
	int		 vhost_ok;
};

/* The QEMU ids: "net-525400abcdef" and "hostnet-525400abcdef". */
void		 nic_ids(const struct nic *, char *dev, char *netdev);
const char	*nic_type_name(enum ntype);
const char	*nic_model_name(enum nmodel);
/* QEMU's device for the model (virtio-net-device on microvm). */
const char	*nic_driver(const struct vmdef *, const struct nic *);
int		 nic_is_tap(const struct nic *);
int		 nic_uses_vhost(const struct nic *);
unsigned	 nic_queues(const struct nic *);
/* How many descriptors its tap takes: a tap and a vhost one per queue. */
unsigned	 nic_nfds(const struct nic *);

void		*nic_parse(const char *, char *err, size_t errlen);
char		*nic_print(const void *);
void		 nic_free(void *);
void		*nic_dup(const void *);
int		 nic_check(const struct vmdef *, const void *const *confs,
		    size_t n, char *err, size_t errlen);
int		 nic_ready(const struct vmdef *, const void *conf, char *err,
		    size_t errlen);

/* The NIC lines of a definition, in order. */
size_t		 nic_count(const struct vmdef *);
struct nic	*nic_at(const struct vmdef *, size_t i);
/* The first descriptor number of tap NIC i on the command line. */
int		 nic_first_fd(const struct vmdef *, size_t i);

/*
 * The -netdev object (netdev_add's arguments).  fdname NULL: the
 * command line's, with descriptor numbers from first; else hot-plug's,
 * with the names "fdname-Q" and "fdname-vQ" of descriptors getfd gave.
 */
struct json_object *nic_netdev(const struct nic *, int first,
		    const char *fdname);
struct json_object *nic_device(const struct vmdef *, const struct nic *);

#endif
