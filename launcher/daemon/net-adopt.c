/*
 * Re-adoption of the networks an earlier supervisor started, from
 * NETRUN/NAME/state.json (dnsmasq's pid and its /proc start time, never a
 * bare pid), and autostart.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "jget.h"
#include "log.h"
#include "netdef.h"
#include "net-priv.h"
#include "network.h"
#include "proc.h"
#include "util.h"

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
