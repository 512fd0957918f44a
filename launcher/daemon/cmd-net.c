/*
 * Networks on the control socket, with virsh's names: net-define,
 * net-create (a file: transient; "persistent": defined, then started),
 * net-start, net-destroy, net-undefine, net-autostart, net-list,
 * net-info, net-dumpdef, net-dhcp-leases.  Changes are the admin's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "names.h"
#include "netdef.h"
#include "network.h"
#include "req.h"

/* The network arguments.name names, or an error answered. */
static struct network *
req_net(struct req *r)
{
	const char *name = req_str(r, "name");
	struct network *n;

	if (name == NULL) {
		req_error(r, ERR_GENERIC, "%s needs \"name\" (a string)",
		    r->cmd);
		return NULL;
	}
	if ((n = network_find(r->d, name)) == NULL)
		req_error(r, ERR_NOT_FOUND, "network %s does not exist", name);
	return n;
}

/* The definition in arguments.text, or an error answered. */
static struct netdef *
req_def(struct req *r)
{
	const char *text = req_str(r, "text");
	const char *src = req_str(r, "file");
	char err[1024];

	if (text == NULL) {
		req_error(r, ERR_GENERIC, "%s needs \"text\"", r->cmd);
		return NULL;
	}
	struct netdef *def = netdef_parse(text, src != NULL ? src :
	    "definition", err, sizeof(err));
	if (def == NULL)
		req_error(r, ERR_INVALID_DEF, "%s", err);
	return def;
}

static struct json_object *
info_warn(struct network *n, const char *warn)
{
	struct json_object *o = network_info(n);

	if (warn != NULL && *warn != '\0')
		json_object_object_add(o, "warning",
		    json_object_new_string(warn));
	return o;
}

static void
d_net_define(struct req *r, struct vm *unused)
{
	struct netdef *def;
	struct network *n;
	char err[1024];

	(void)unused;
	if ((def = req_def(r)) == NULL)
		return;
	int replaced = network_find(r->d, def->name) != NULL;
	if (network_define(r->d, def, 1, &n, err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	struct json_object *o = network_info(n);
	json_object_object_add(o, "replaced", json_object_new_boolean(
	    replaced));
	req_return(r, o);
}

/*
 * {"text", "persistent"}: a transient network (virsh's net-create FILE),
 * or, persistent, one defined and started (qlaunch's net-create NAME
 * --address ...); the definition goes again when the start fails.
 */
static void
d_net_create(struct req *r, struct vm *unused)
{
	struct netdef *def;
	struct network *n;
	char err[1024], warn[256], e2[256];
	int persistent = req_bool(r, "persistent");

	(void)unused;
	if ((def = req_def(r)) == NULL)
		return;
	if (network_find(r->d, def->name) != NULL) {
		req_error(r, ERR_EXISTS, "network %s exists", def->name);
		netdef_free(def);
		return;
	}
	if (network_define(r->d, def, persistent, &n, err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	if (network_start(n, warn, sizeof(warn), err, sizeof(err)) == -1) {
		if (persistent)
			(void)network_undefine(n, e2, sizeof(e2));
		else
			network_forget(n);
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	req_return(r, info_warn(n, warn));
}

static void
d_net_start(struct req *r, struct vm *unused)
{
	struct network *n;
	char err[1024], warn[256];
	const char *name = req_str(r, "name");

	(void)unused;
	/* "default" is defined on first use, as virsh users expect it */
	if (name != NULL && network_ensure_default(r->d, name, err,
	    sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	if ((n = req_net(r)) == NULL)
		return;
	if (network_start(n, warn, sizeof(warn), err, sizeof(err)) == -1) {
		req_error(r, n->active ? ERR_INVALID_STATE : ERR_GENERIC, "%s",
		    err);
		return;
	}
	req_return(r, info_warn(n, warn));
}

static void
d_net_destroy(struct req *r, struct vm *unused)
{
	struct network *n;
	char err[512];

	(void)unused;
	if ((n = req_net(r)) == NULL)
		return;
	if (network_stop(n, err, sizeof(err)) == -1)
		req_error(r, ERR_INVALID_STATE, "%s", err);
	else
		req_return(r, NULL);
}

static void
d_net_undefine(struct req *r, struct vm *unused)
{
	struct network *n;
	char err[512];

	(void)unused;
	if ((n = req_net(r)) == NULL)
		return;
	if (!n->persistent) {
		req_error(r, ERR_INVALID_STATE, "network %s is transient: "
		    "net-destroy removes it", n->def->name);
		return;
	}
	if (network_undefine(n, err, sizeof(err)) == -1)
		req_error(r, ERR_INVALID_STATE, "%s", err);
	else
		req_return(r, NULL);
}

static void
d_net_autostart(struct req *r, struct vm *unused)
{
	struct network *n;
	char err[512];

	(void)unused;
	if ((n = req_net(r)) == NULL)
		return;
	if (network_set_autostart(n, !req_bool(r, "disable"), err,
	    sizeof(err)) == -1)
		req_error(r, ERR_GENERIC, "%s", err);
	else
		req_return(r, NULL);
}

/* {"all": bool, "inactive": bool}: active ones by default, as virsh. */
static void
d_net_list(struct req *r, struct vm *unused)
{
	struct json_object *a = json_object_new_array();
	struct network *n;
	int all = req_bool(r, "all"), inactive = req_bool(r, "inactive");

	(void)unused;
	TAILQ_FOREACH(n, &r->d->nets, entry)
		if (all || (inactive ? !n->active : n->active))
			json_object_array_add(a, network_info(n));
	req_return(r, a);
}

static void
d_net_info(struct req *r, struct vm *unused)
{
	struct network *n;

	(void)unused;
	if ((n = req_net(r)) != NULL)
		req_return(r, network_info(n));
}

static void
d_net_dumpdef(struct req *r, struct vm *unused)
{
	struct network *n;

	(void)unused;
	if ((n = req_net(r)) == NULL)
		return;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "text", json_object_new_string(
	    n->def->text));
	req_return(r, o);
}

static void
d_net_leases(struct req *r, struct vm *unused)
{
	struct net_lease *l;
	size_t nl;
	char err[512];
	const char *name = req_str(r, "name");

	(void)unused;
	if (req_net(r) == NULL)
		return;
	if (network_leases(r->d, name, &l, &nl, err, sizeof(err)) == -1) {
		req_error(r, ERR_INVALID_STATE, "%s", err);
		return;
	}
	struct network *n = network_find(r->d, name);
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < nl; i++) {
		struct json_object *o = json_object_new_object();
		char ip[80];
		snprintf(ip, sizeof(ip), "%s/%u", l[i].ip, n->def->prefix);
		json_object_object_add(o, "expiry",
		    json_object_new_int64(l[i].expiry));
		json_object_object_add(o, "mac",
		    json_object_new_string(l[i].mac));
		json_object_object_add(o, "protocol",
		    json_object_new_string(strchr(l[i].ip, ':') != NULL ?
		    "ipv6" : "ipv4"));
		json_object_object_add(o, "ip", json_object_new_string(ip));
		json_object_object_add(o, "hostname",
		    json_object_new_string(l[i].hostname));
		json_object_object_add(o, "clientid",
		    json_object_new_string(l[i].clientid));
		json_object_array_add(a, o);
	}
	free(l);
	req_return(r, a);
}

const struct dcmd dcmds_net[] = {
	{ "net-define",		d_net_define,	NEEDS_ADMIN },
	{ "net-create",		d_net_create,	NEEDS_ADMIN },
	{ "net-start",		d_net_start,	NEEDS_ADMIN },
	{ "net-destroy",	d_net_destroy,	NEEDS_ADMIN },
	{ "net-undefine",	d_net_undefine,	NEEDS_ADMIN },
	{ "net-autostart",	d_net_autostart, NEEDS_ADMIN },
	{ "net-list",		d_net_list,	0 },
	{ "net-info",		d_net_info,	0 },
	{ "net-dumpdef",	d_net_dumpdef,	0 },
	{ "net-dhcp-leases",	d_net_leases,	0 },
	{ NULL, NULL, 0 }
};
