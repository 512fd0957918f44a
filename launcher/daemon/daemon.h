/*
 * The supervisor's context: what every part of qlaunchd is handed instead
 * of reaching for a global.  qlaunchd's main fills it in; the unit tests
 * build one of their own.
 */
#ifndef LAUNCHER_DAEMON_H
#define LAUNCHER_DAEMON_H

#include <sys/queue.h>

#include <stddef.h>
#include <sys/types.h>

#include <limits.h>

#include "dconf.h"

struct event_base;
struct vm;
struct sink;
struct control;
struct network;
struct heartbeats;
struct agents;
struct migration;
struct emudata;
struct statpoll;
struct webtickets;
struct webauth;

struct daemon {
	struct event_base	*base;
	char			 statedir[PATH_MAX];
	char			 defdir[PATH_MAX];
	char			 runroot[PATH_MAX];
	char			 netdefdir[PATH_MAX];	/* STATEDIR/networks */
	char			 netrun[PATH_MAX];	/* networks' runtime */
	char			 sock[108];
	const char		*qemu;		/* default emulator */
	uid_t			 uid;		/* the supervisor's own user */
	int			 foreground;
	TAILQ_HEAD(vmlist, vm)	 vms;
	int			 next_id;	/* ids of running VMs, as virsh's */
	TAILQ_HEAD(netlist, network) nets;	/* network.c */
	TAILQ_HEAD(sinklist, sink) sinks;	/* events.c */
	int			 firing;
	struct control		*control;
	int			 quitting;
	struct hostnet		*hostnet;	/* rtnetlink, opened when needed */
	/* the bound on each qemu-img step of storage.c; 0: qemu-img's own */
	int			 img_step_ms;
	struct heartbeats	*heartbeats;	/* heartbeat.c, when reading */
	struct agents		*agents;	/* agent.c, once used */
	/* migrations under way, in and out (migrate.h) */
	TAILQ_HEAD(miglist, migration) migs;
	struct emudata		*emudata;	/* emudata.c: -L probes */
	struct statpoll		*statpoll;	/* statpoll.c, while watched */
	struct webtickets	*webtickets;	/* webticket.c, once used */
	/* the web manager's user (--web-user), trusted with on-behalf-of */
	uid_t			 web_uid;
	int			 has_web_uid;
	struct webauth		*webauth;	/* cmd-web.c: its URL, tokens */
	struct dconf		 conf;		/* qlaunchd.conf (dconf.c) */
};

/* A context with nothing in it yet, on an event base. */
void	 daemon_init(struct daemon *, struct event_base *, const char *qemu);
/* Its rtnetlink connection, opened on first use; NULL with err. */
struct hostnet *daemon_hostnet(struct daemon *, char *err, size_t errlen);
/* Where images made for definitions go: image_dir, or STATEDIR/images. */
void	 daemon_imagedir(const struct daemon *, char *buf, size_t len);
/* What it opened for itself (not its VMs, its event base). */
void	 daemon_fini(struct daemon *);

#endif
