/*
 * Networks: the registry (definitions in STATEDIR/networks; a bridge or a
 * subnet used twice refused; default defined on first use), and what the
 * rest of the supervisor asks of them.  Their life is net-life.c, their
 * re-adoption net-adopt.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "hostnet.h"
#include "log.h"
#include "netdef.h"
#include "net-priv.h"
#include "network.h"
#include "util.h"

static const char default_text[] =
    "# libvirt's default network, defined by qlaunchd on first use\n"
    "name: default\n"
    "address: 192.168.122.1/24\n"
    "dhcp-range: 192.168.122.2,192.168.122.254\n"
    "forward: nat\n";

struct network *
network_find(struct daemon *d, const char *name)
{
	struct network *n;

	TAILQ_FOREACH(n, &d->nets, entry)
		if (strcmp(n->def->name, name) == 0)
			return n;
	return NULL;
}

struct network *
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

/* dnsmasq's pidfd and its event go (the process stays). */
void
unwatch(struct network *n)
{
	if (n->pidev != NULL)
		event_free(n->pidev);
	n->pidev = NULL;
	if (n->pidfd != -1)
		close(n->pidfd);
	n->pidfd = -1;
}

void
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

int
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
int
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
