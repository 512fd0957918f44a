/*
 * The daemon's host-network handle (daemon.h), opened at first use: its
 * own file, so that what uses it (NICs, networks, statistics) needs
 * nothing of daemon.c, which tears them all down.
 */
#include <stddef.h>

#include "daemon.h"
#include "hostnet.h"

struct hostnet *
daemon_hostnet(struct daemon *d, char *err, size_t errlen)
{
	if (d->hostnet == NULL)
		d->hostnet = hn_open(err, errlen);
	return d->hostnet;
}
