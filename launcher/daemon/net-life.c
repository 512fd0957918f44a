/*
 * A network's life: starting it (bridge, address, NAT, dnsmasq; each step
 * undone when a later one fails), stopping it, its runtime state
 * (NETRUN/NAME/state.json), and dnsmasq watched through a pidfd and
 * started again when it dies.
 */
#include <sys/pidfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "hostnet.h"
#include "log.h"
#include "netdef.h"
#include "net-priv.h"
#include "network.h"
#include "nics.h"
#include "proc.h"
#include "util.h"

#define DNSMASQ_WINDOW_S	60
#define DNSMASQ_MAX_RESTARTS	5

/* ---- runtime state ---- */

int
save_state(struct network *n, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int64(n->pid));
	json_object_object_add(o, "pstart", json_object_new_uint64(n->pstart));
	json_object_object_add(o, "nat", json_object_new_string(
	    nat_kind_name(n->nat)));
	json_object_object_add(o, "nat_warning", json_object_new_string(
	    n->nat_warning));
	json_object_object_add(o, "persistent", json_object_new_boolean(
	    n->persistent));
	json_object_object_add(o, "definition", json_object_new_string(
	    n->def->text));
	const char *s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY);
	snprintf(path, sizeof(path), "%s/state.json", n->rundir);
	int r = write_file_replace(path, s, strlen(s), 0600);
	if (r == -1)
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
	json_object_put(o);
	return r;
}

/* Any other active network with nft rules?  (the table goes with the last) */
static int
last_nft(struct network *n)
{
	struct network *o;

	TAILQ_FOREACH(o, &n->d->nets, entry)
		if (o != n && o->active && o->nat == NAT_NFT)
			return 0;
	return 1;
}

/* Undo everything of a start that got as far as it did. */
void
teardown(struct network *n)
{
	char err[256];

	unwatch(n);
	dnsmasq_stop(n->pid, n->pstart);
	n->pid = 0;
	n->pstart = 0;
	nat_del(n->def, n->nat, last_nft(n));
	n->nat = NAT_NONE;
	n->nat_warning[0] = '\0';
	struct hostnet *h = hn_open(err, sizeof(err));
	if (h != NULL) {
		struct hn_link l;
		if (hn_link_get(h, n->def->bridge, &l, err, sizeof(err)) == 1 &&
		    hn_link_del(h, n->def->bridge, err, sizeof(err)) == -1)
			log_warnx("network %s: %s", n->def->name, err);
		hn_close(h);
	} else
		log_warnx("network %s: %s", n->def->name, err);
	if (rmtree(n->rundir) == -1)
		log_warn("network %s: removing %s", n->def->name, n->rundir);
}

/* The bridge, with its MTU and address, up; removed again on failure. */
static int
bridge_up(struct network *n, char *err, size_t errlen)
{
	const struct netdef *def = n->def;
	char cidr[64], alias[128];
	struct hostnet *h = hn_open(err, errlen);
	struct hn_link l;

	if (h == NULL)
		return -1;
	int r = hn_link_get(h, def->bridge, &l, err, errlen);
	if (r == 1) {
		snprintf(err, errlen, "bridge %s is in use: an interface of "
		    "that name exists", def->bridge);
		hn_close(h);
		return -1;
	}
	netdef_cidr(def, cidr, sizeof(cidr));
	snprintf(alias, sizeof(alias), "qlaunch network %s", def->name);
	if (r == -1 || hn_bridge_add(h, def->bridge, err, errlen) == -1) {
		hn_close(h);
		return -1;
	}
	if ((def->mtu != 0 && hn_link_set_mtu(h, def->bridge, def->mtu, err,
	    errlen) == -1) ||
	    hn_link_set_alias(h, def->bridge, alias, err, errlen) == -1 ||
	    hn_addr_add(h, def->bridge, cidr, err, errlen) == -1 ||
	    hn_link_set_up(h, def->bridge, 1, err, errlen) == -1) {
		char e2[256];
		(void)hn_link_del(h, def->bridge, e2, sizeof(e2));
		hn_close(h);
		return -1;
	}
	hn_close(h);
	return 0;
}

int
network_start(struct network *n, char *warn, size_t warnlen, char *err,
    size_t errlen)
{
	char why[512];

	warn[0] = '\0';
	if (n->active) {
		snprintf(err, errlen, "network %s is already active",
		    n->def->name);
		return -1;
	}
	if (conflict(n->d, n->def, 1, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "network %s: %s", n->def->name, why);
		return -1;
	}
	if (bridge_up(n, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "network %s: %s", n->def->name, why);
		return -1;
	}
	if (mkdirs(n->d->netrun, 0711) == -1 || rmtree(n->rundir) == -1 ||
	    mkdir(n->rundir, 0700) == -1) {
		snprintf(err, errlen, "network %s: cannot create %s: %s",
		    n->def->name, n->rundir, strerror(errno));
		goto fail;
	}
	nat_add(n->def, &n->nat, n->nat_warning, sizeof(n->nat_warning));
	pid_t pid = dnsmasq_start(n->def, n->rundir, why, sizeof(why));
	if (pid == -1) {
		snprintf(err, errlen, "network %s: %s", n->def->name, why);
		goto fail;
	}
	n->pid = pid;
	n->pstart = proc_starttime(pid);
	if (save_state(n, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "network %s: %s", n->def->name, why);
		goto fail;
	}
	n->active = 1;
	n->crashes = 0;
	watch(n);
	if (n->nat_warning[0] != '\0') {
		strlcpy(warn, n->nat_warning, warnlen);
		log_warnx("network %s: %s", n->def->name, n->nat_warning);
	}
	log_info("network %s started: bridge %s, dnsmasq pid %ld, NAT %s",
	    n->def->name, n->def->bridge, (long)n->pid,
	    nat_kind_name(n->nat));
	/* guests that ran on it through a stop are on it again */
	nics_reattach(n->d, n->def->name, n->def->bridge);
	return 0;
fail:
	teardown(n);
	return -1;
}

int
network_stop(struct network *n, char *err, size_t errlen)
{
	if (!n->active) {
		snprintf(err, errlen, "network %s is not active", n->def->name);
		return -1;
	}
	teardown(n);
	n->active = 0;
	log_info("network %s stopped", n->def->name);
	if (!n->persistent)
		net_free(n);
	return 0;
}

/* ---- dnsmasq, watched ---- */

static int
restart_budget(struct network *n)
{
	time_t now = time(NULL);

	if (now - n->crash_window > DNSMASQ_WINDOW_S) {
		n->crash_window = now;
		n->crashes = 0;
	}
	return ++n->crashes <= DNSMASQ_MAX_RESTARTS;
}

static void
dnsmasq_exited(evutil_socket_t fd, short what, void *arg)
{
	struct network *n = arg;
	char err[512];

	(void)fd;
	(void)what;
	unwatch(n);
	log_warnx("network %s: dnsmasq (pid %ld) exited", n->def->name,
	    (long)n->pid);
	n->pid = 0;
	n->pstart = 0;
	if (!n->active)
		return;
	if (!restart_budget(n)) {
		log_warnx("network %s: dnsmasq died %d times in %d s: left "
		    "down", n->def->name, DNSMASQ_MAX_RESTARTS,
		    DNSMASQ_WINDOW_S);
		(void)save_state(n, err, sizeof(err));
		return;
	}
	pid_t pid = dnsmasq_start(n->def, n->rundir, err, sizeof(err));
	if (pid == -1) {
		log_warnx("network %s: restarting dnsmasq: %s", n->def->name,
		    err);
		(void)save_state(n, err, sizeof(err));
		return;
	}
	n->pid = pid;
	n->pstart = proc_starttime(pid);
	if (save_state(n, err, sizeof(err)) == -1)
		log_warnx("network %s: %s", n->def->name, err);
	watch(n);
	log_info("network %s: dnsmasq restarted, pid %ld", n->def->name,
	    (long)pid);
}

void
watch(struct network *n)
{
	if (n->pid <= 0 || n->d->base == NULL)
		return;
	if ((n->pidfd = pidfd_open(n->pid, 0)) == -1) {
		log_warn("network %s: pidfd_open %ld", n->def->name,
		    (long)n->pid);
		return;
	}
	n->pidev = event_new(n->d->base, n->pidfd, EV_READ, dnsmasq_exited, n);
	event_add(n->pidev, NULL);
}
