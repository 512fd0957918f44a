#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "daemon.h"
#include "emudata.h"
#include "hostnet.h"
#include "statpoll.h"
#include "webticket.h"
#include "webtrust.h"

void
daemon_init(struct daemon *d, struct event_base *base, const char *qemu)
{
	memset(d, 0, sizeof(*d));
	d->base = base;
	d->qemu = qemu;
	d->uid = geteuid();
	TAILQ_INIT(&d->vms);
	TAILQ_INIT(&d->nets);
	TAILQ_INIT(&d->sinks);
	TAILQ_INIT(&d->migs);
	dconf_defaults(&d->conf);
}

void
daemon_imagedir(const struct daemon *d, char *buf, size_t len)
{
	if (d->conf.image_dir[0] != '\0')
		strlcpy(buf, d->conf.image_dir, len);
	else
		snprintf(buf, len, "%s/images", d->statedir);
}

void
daemon_fini(struct daemon *d)
{
	agent_fini(d);
	hn_close(d->hostnet);
	d->hostnet = NULL;
	emudata_free(d->emudata);
	d->emudata = NULL;
	statpoll_fini(d);
	webticket_fini(d);
	web_fini(d);
}
