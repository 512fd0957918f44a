/*
 * Networks: the registry (definitions in STATEDIR/networks), starting and
 * stopping one (bridge, address, NAT, dnsmasq; each step undone when a
 * later one fails), dnsmasq watched through a pidfd and restarted when it
 * dies, and re-adoption of what an earlier supervisor started, from
 * NETRUN/NAME/state.json (dnsmasq's pid and its /proc start time).
 */
#include <sys/pidfd.h>
#include <sys/stat.h>

#include <dirent.h>
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
#include "jget.h"
#include "log.h"
#include "netdef.h"
#include "net-priv.h"
#include "network.h"
#include "proc.h"
#include "util.h"

#define DNSMASQ_WINDOW_S	60
#define DNSMASQ_MAX_RESTARTS	5

static const char default_text[] =
    "# libvirt's default network, defined by qlaunchd on first use\n"
    "name: default\n"
    "address: 192.168.122.1/24\n"
    "dhcp-range: 192.168.122.2,192.168.122.254\n"
    "forward: nat\n";

static void	watch(struct network *);
static void	unwatch(struct network *);

struct network *
network_find(struct daemon *d, const char *name)
{
	struct network *n;

	TAILQ_FOREACH(n, &d->nets, entry)
		if (strcmp(n->def->name, name) == 0)
			return n;
	return NULL;
}

static struct network *
net_add(struct daemon *d, struct netdef *def, int persistent)
{
	struct network *n = xcalloc(1, sizeof(*n));

	n->d = d;
	n->def = def;
	n->persistent = persistent;
	n->pidfd = -1;
	snprintf(n->rundir, sizeof(n->rundir), "%s/%s", d->netrun, def->name);
	TAILQ_INSERT_TAIL(&d->nets, n, entry);
	return n;
}

static void
net_free(struct network *n)
{
	unwatch(n);
	TAILQ_REMOVE(&n->d->nets, n, entry);
	netdef_free(n->def);
	free(n);
}

static void
def_path(const struct daemon *d, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.conf", d->netdefdir, name);
}

static int
save_def(const struct daemon *d, const struct netdef *def, char *err,
    size_t errlen)
{
	char path[PATH_MAX];

	if (mkdirs(d->netdefdir, 0700) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", d->netdefdir,
		    strerror(errno));
		return -1;
	}
	def_path(d, def->name, path, sizeof(path));
	if (write_file_atomic(path, def->text, strlen(def->text), 0600) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- conflicts between networks ---- */

static int
bridge_exists(const char *name)
{
	char err[256];
	struct hn_link l;
	struct hostnet *h = hn_open(err, sizeof(err));

	if (h == NULL)
		return 0;
	int r = hn_link_get(h, name, &l, err, sizeof(err));
	hn_close(h);
	return r == 1;
}

/* virbrN, the lowest N no network names and no link has. */
static int
pick_bridge(struct daemon *d, struct netdef *def, char *err, size_t errlen)
{
	char name[NETDEF_BRIDGE_LEN];
	struct network *o;

	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "virbr%d", i);
		int used = bridge_exists(name);
		TAILQ_FOREACH(o, &d->nets, entry)
			if (strcmp(o->def->bridge, name) == 0 &&
			    strcmp(o->def->name, def->name) != 0)
				used = 1;
		if (!used) {
			strlcpy(def->bridge, name, sizeof(def->bridge));
			netdef_text_set(def, "bridge", name);
			return 0;
		}
	}
	snprintf(err, errlen, "bridge: no free virbrN name; give one");
	return -1;
}

/*
 * Another network (not named as def) with def's bridge or an overlapping
 * subnet: among the active ones only, or all.
 */
static int
conflict(struct daemon *d, const struct netdef *def, int active_only,
    char *err, size_t errlen)
{
	struct network *o;
	char a[64], b[64];

	TAILQ_FOREACH(o, &d->nets, entry) {
		if (strcmp(o->def->name, def->name) == 0 ||
		    (active_only && !o->active))
			continue;
		if (strcmp(o->def->bridge, def->bridge) == 0) {
			snprintf(err, errlen, "bridge %s is in use by network "
			    "%s", def->bridge, o->def->name);
			return -1;
		}
		if (netdef_overlaps(o->def, def)) {
			netdef_subnet(def, a, sizeof(a));
			netdef_subnet(o->def, b, sizeof(b));
			snprintf(err, errlen, "%s overlaps %s of network %s", a,
			    b, o->def->name);
			return -1;
		}
	}
	return 0;
}

/* ---- the registry ---- */

int
network_define(struct daemon *d, struct netdef *def, int persistent,
    struct network **np, char *err, size_t errlen)
{
	struct network *n = network_find(d, def->name);

	if (n != NULL && n->active) {
		snprintf(err, errlen, "network %s is active: net-destroy it "
		    "before defining it again", def->name);
		goto fail;
	}
	if (n != NULL && !persistent) {
		snprintf(err, errlen, "network %s exists", def->name);
		goto fail;
	}
	if (n != NULL && def->uuid_generated) {
		/* a redefinition without a uuid line keeps the network's */
		strlcpy(def->uuid, n->def->uuid, sizeof(def->uuid));
		netdef_text_set(def, "uuid", def->uuid);
	}
	if (def->bridge[0] == '\0' && pick_bridge(d, def, err, errlen) == -1)
		goto fail;
	if (conflict(d, def, 0, err, errlen) == -1)
		goto fail;
	if (persistent && save_def(d, def, err, errlen) == -1)
		goto fail;
	if (n != NULL) {
		netdef_free(n->def);
		n->def = def;
		n->persistent = 1;
	} else
		n = net_add(d, def, persistent);
	*np = n;
	return 0;
fail:
	netdef_free(def);
	return -1;
}

int
network_ensure_default(struct daemon *d, const char *name, char *err,
    size_t errlen)
{
	struct network *n;
	char why[512];

	if (strcmp(name, "default") != 0 || network_find(d, name) != NULL)
		return 0;
	struct netdef *def = netdef_parse(default_text, "default", why,
	    sizeof(why));
	if (def == NULL) {
		snprintf(err, errlen, "network default: %s", why);
		return -1;
	}
	if (network_define(d, def, 1, &n, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "cannot define network default: %s", why);
		return -1;
	}
	log_info("network default defined (%s, 192.168.122.1/24)",
	    n->def->bridge);
	return 0;
}

int
network_load_all(struct daemon *d)
{
	DIR *dir = opendir(d->netdefdir);
	struct dirent *e;
	char path[PATH_MAX], err[1024];
	int count = 0;

	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->netdefdir, e->d_name);
		char *text = read_file(path, NULL);
		if (text == NULL) {
			log_warn("%s", path);
			continue;
		}
		struct netdef *def = netdef_parse(text, path, err, sizeof(err));
		free(text);
		if (def == NULL) {
			log_warnx("%s", err);
			continue;
		}
		if (strlen(def->name) != len - 5 ||
		    strncmp(def->name, e->d_name, len - 5) != 0 ||
		    network_find(d, def->name) != NULL) {
			log_warnx("%s: names network %s: skipped", path,
			    def->name);
			netdef_free(def);
			continue;
		}
		net_add(d, def, 1);
		count++;
	}
	closedir(dir);
	/*
	 * a file written by hand may name no bridge or uuid: they are
	 * picked once and kept in it
	 */
	struct network *n, *tn;
	TAILQ_FOREACH_SAFE(n, &d->nets, entry, tn) {
		if (n->def->bridge[0] != '\0' && !n->def->uuid_generated)
			continue;
		if ((n->def->bridge[0] == '\0' &&
		    pick_bridge(d, n->def, err, sizeof(err)) == -1) ||
		    save_def(d, n->def, err, sizeof(err)) == -1) {
			log_warnx("network %s: %s", n->def->name, err);
			net_free(n);
			count--;
		}
	}
	return count;
}

/* ---- runtime state ---- */

static int
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
static void
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

void
network_forget(struct network *n)
{
	net_free(n);
}

int
network_undefine(struct network *n, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (n->active) {
		snprintf(err, errlen, "network %s is active: net-destroy it "
		    "first", n->def->name);
		return -1;
	}
	def_path(n->d, n->def->name, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", path,
		    strerror(errno));
		return -1;
	}
	net_free(n);
	return 0;
}

int
network_set_autostart(struct network *n, int on, char *err, size_t errlen)
{
	if (!n->persistent) {
		snprintf(err, errlen, "network %s is transient: it has no "
		    "autostart", n->def->name);
		return -1;
	}
	int old = n->def->autostart;
	char *oldtext = xstrdup(n->def->text);
	n->def->autostart = on;
	netdef_text_set(n->def, "autostart", on ? "yes" : "no");
	if (save_def(n->d, n->def, err, errlen) == -1) {
		n->def->autostart = old;
		free(n->def->text);
		n->def->text = oldtext;
		return -1;
	}
	free(oldtext);
	return 0;
}

/* ---- dnsmasq, watched ---- */

static void
unwatch(struct network *n)
{
	if (n->pidev != NULL)
		event_free(n->pidev);
	n->pidev = NULL;
	if (n->pidfd != -1)
		close(n->pidfd);
	n->pidfd = -1;
}

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

static void
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

/* ---- re-adoption ---- */

/* Alive and not a zombie (an adopted process is reaped by init). */
static int
alive(pid_t pid, unsigned long long pstart)
{
	char path[64], *s, *p;

	if (pid <= 0 || pstart == 0 || proc_starttime(pid) != pstart)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((s = read_file(path, NULL)) == NULL)
		return 0;
	p = strrchr(s, ')');
	int ok = p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	free(s);
	return ok;
}

static int
adopt(struct daemon *d, const char *name)
{
	char path[PATH_MAX], err[1024];
	struct json_object *o;
	struct network *n = network_find(d, name);

	snprintf(path, sizeof(path), "%s/%s/state.json", d->netrun, name);
	char *text = read_file(path, NULL);
	if (text == NULL)
		return -1;
	o = json_tokener_parse(text);
	free(text);
	if (o == NULL)
		return -1;
	if (n == NULL && jstr(o, "definition") != NULL) {
		/*
		 * a transient network lives in its state only; so does one
		 * whose file went while it ran: it stays until stopped
		 */
		struct netdef *def = netdef_parse(jstr(o, "definition"), path,
		    err, sizeof(err));
		if (def != NULL)
			n = net_add(d, def, 0);
		else
			log_warnx("%s", err);
	}
	if (n == NULL) {
		log_warnx("%s: no network %s any more: left alone", path, name);
		json_object_put(o);
		return -1;
	}
	struct json_object *v = jget(o, "pstart");
	n->pid = (pid_t)jint(o, "pid", 0);
	n->pstart = v != NULL ? json_object_get_uint64(v) : 0;
	n->nat = nat_kind_parse(jstr(o, "nat"));
	strlcpy(n->nat_warning, jstr(o, "nat_warning") != NULL ?
	    jstr(o, "nat_warning") : "", sizeof(n->nat_warning));
	json_object_put(o);
	n->active = 1;
	if (!bridge_exists(n->def->bridge)) {
		log_warnx("network %s: bridge %s is gone: stopping it",
		    n->def->name, n->def->bridge);
		(void)network_stop(n, err, sizeof(err));
		return -1;
	}
	if (!alive(n->pid, n->pstart)) {
		log_warnx("network %s: dnsmasq died while qlaunchd was away",
		    n->def->name);
		pid_t pid = dnsmasq_start(n->def, n->rundir, err, sizeof(err));
		n->pid = pid > 0 ? pid : 0;
		n->pstart = pid > 0 ? proc_starttime(pid) : 0;
		if (pid == -1)
			log_warnx("network %s: %s", n->def->name, err);
		(void)save_state(n, err, sizeof(err));
	}
	watch(n);
	log_info("network %s: re-adopted (dnsmasq pid %ld)", n->def->name,
	    (long)n->pid);
	return 0;
}

int
network_adopt_all(struct daemon *d)
{
	DIR *dir = opendir(d->netrun);
	struct dirent *e;
	int count = 0;

	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL)
		if (valid_name(e->d_name) && adopt(d, e->d_name) == 0)
			count++;
	closedir(dir);
	return count;
}

void
network_autostart(struct daemon *d)
{
	struct network *n;
	char warn[256], err[1024];

	TAILQ_FOREACH(n, &d->nets, entry)
		if (n->def->autostart && !n->active &&
		    network_start(n, warn, sizeof(warn), err, sizeof(err)) == -1)
			log_warnx("autostart: %s", err);
}

void
network_fini(struct daemon *d)
{
	struct network *n;

	while ((n = TAILQ_FIRST(&d->nets)) != NULL)
		net_free(n);
}

/* ---- what others ask ---- */

static struct network *
active_net(struct daemon *d, const char *name, char *err, size_t errlen)
{
	struct network *n = network_find(d, name);

	if (n == NULL)
		snprintf(err, errlen, "network %s does not exist", name);
	else if (!n->active)
		snprintf(err, errlen, "network %s is not active", name);
	else
		return n;
	return NULL;
}

const char *
network_bridge(struct daemon *d, const char *name, char *err, size_t errlen)
{
	struct network *n = active_net(d, name, err, errlen);

	return n != NULL ? n->def->bridge : NULL;
}

int
network_leases(struct daemon *d, const char *name, struct net_lease **leases,
    size_t *np, char *err, size_t errlen)
{
	struct network *n = active_net(d, name, err, errlen);
	char path[PATH_MAX], why[256];

	*leases = NULL;
	*np = 0;
	if (n == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/leases", n->rundir);
	char *text = read_file(path, NULL);
	if (text == NULL)
		return errno == ENOENT ? 0 : -1;
	int r = net_leases_parse(text, leases, np, why, sizeof(why));
	free(text);
	if (r == -1)
		snprintf(err, errlen, "%s: %s", path, why);
	return r;
}

struct json_object *
network_info(struct network *n)
{
	const struct netdef *def = n->def;
	struct json_object *o = json_object_new_object();
	char buf[64];

#define ADD_S(k, v)	json_object_object_add(o, k, json_object_new_string(v))
#define ADD_B(k, v)	json_object_object_add(o, k, json_object_new_boolean(v))
	ADD_S("name", def->name);
	ADD_S("uuid", def->uuid);
	ADD_B("active", n->active);
	ADD_B("persistent", n->persistent);
	ADD_B("autostart", def->autostart);
	ADD_S("bridge", def->bridge);
	netdef_cidr(def, buf, sizeof(buf));
	ADD_S("address", buf);
	netdef_subnet(def, buf, sizeof(buf));
	ADD_S("subnet", buf);
	if (def->dhcp_start != 0) {
		ADD_S("dhcp_start", netdef_ip(def->dhcp_start, buf,
		    sizeof(buf)));
		ADD_S("dhcp_end", netdef_ip(def->dhcp_end, buf, sizeof(buf)));
	}
	ADD_S("forward", netdef_forward_name(def->forward));
	if (def->domain[0] != '\0')
		ADD_S("domain", def->domain);
	if (def->mtu != 0)
		json_object_object_add(o, "mtu", json_object_new_int(
		    (int)def->mtu));
	if (n->active) {
		json_object_object_add(o, "dnsmasq_pid",
		    json_object_new_int64(n->pid));
		ADD_S("nat", nat_kind_name(n->nat));
		if (n->nat_warning[0] != '\0')
			ADD_S("nat_warning", n->nat_warning);
	}
#undef ADD_S
#undef ADD_B
	return o;
}
