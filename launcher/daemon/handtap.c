/* cmdline --incoming's taps for a QEMU started by hand (handtap.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmdline.h"
#include "config.h"
#include "handtap.h"
#include "jget.h"
#include "network.h"
#include "vmdef.h"
#include "xalloc.h"

#define HANDTAP_BRIDGE_LEN	16	/* IFNAMSIZ */

static const char *const fd_keys[] = { "fd", "fds", "vhostfd", "vhostfds" };

const char *
handtap_scriptdir(void)
{
	if (access(QLAUNCH_SYSCONFDIR "/qlaunch/qemu-ifup", X_OK) == 0)
		return QLAUNCH_SYSCONFDIR "/qlaunch";
	return QLAUNCH_SRCDIR "/netscripts";
}

/* The tap NIC whose netdev is id, and its bridge; -1 with err. */
static int
nic_of(struct daemon *d, const struct vmdef *def, const char *id,
    struct vmdef_nic *n, const char **br, char *err, size_t errlen)
{
	for (size_t i = 0; vmdef_nic_get(def, i, n) == 0; i++) {
		if (strcmp(n->netdev, id) != 0)
			continue;
		if (n->type != NULL && strcmp(n->type, "network") == 0)
			*br = network_bridge(d, n->source, err, errlen);
		else
			*br = n->source;
		if (*br == NULL && err[0] == '\0')
			snprintf(err, errlen, "NIC %s has no bridge", n->mac);
		return *br != NULL ? 0 : -1;
	}
	snprintf(err, errlen, "no NIC has the netdev %s", id);
	return -1;
}

/* The tap's name: the definition's ifname=, else "qlh" and 6 MAC digits. */
static void
tap_name(const struct vmdef_nic *n, char *buf, size_t len)
{
	char hex[13] = "";
	size_t k = 0;

	if (n->ifname != NULL) {
		strlcpy(buf, n->ifname, len);
		return;
	}
	for (const char *p = n->mac; *p != '\0' && k < sizeof(hex) - 1; p++)
		if (*p != ':')
			hex[k++] = *p;
	hex[k] = '\0';
	snprintf(buf, len, "qlh%s", k >= 6 ? hex + k - 6 : hex);
}

/* netdev o (tap NIC n) by name, created by QEMU, with our scripts. */
static void
by_name(struct json_object *o, const struct vmdef_nic *n,
    const char *scriptdir)
{
	char name[HANDTAP_BRIDGE_LEN], path[1024];

	for (size_t k = 0; k < sizeof(fd_keys) / sizeof(fd_keys[0]); k++)
		json_object_object_del(o, fd_keys[k]);
	if (n->queues > 1)
		json_object_object_add(o, "queues",
		    json_object_new_int((int)n->queues));
	tap_name(n, name, sizeof(name));
	json_object_object_add(o, "ifname", json_object_new_string(name));
	snprintf(path, sizeof(path), "%s/qemu-ifup", scriptdir);
	json_object_object_add(o, "script", json_object_new_string(path));
	snprintf(path, sizeof(path), "%s/qemu-ifdown", scriptdir);
	json_object_object_add(o, "downscript", json_object_new_string(path));
}

int
handtap_rewrite(struct daemon *d, const struct vmdef *def,
    const char *scriptdir, struct argv *a, char *err, size_t errlen)
{
	size_t n0 = a->n;
	struct json_object **objs = xcalloc(n0 + 1, sizeof(*objs));
	char bridge[HANDTAP_BRIDGE_LEN] = "";
	int rc = -1;

	err[0] = '\0';
	for (size_t i = 0; i + 1 < a->n; i++) {
		if (strcmp(a->v[i], "-netdev") != 0)
			continue;
		struct json_object *o = json_tokener_parse(a->v[i + 1]);
		const char *type = jstr(o, "type"), *id = jstr(o, "id"), *br;
		struct vmdef_nic n;
		if (type == NULL || strcmp(type, "tap") != 0 || id == NULL) {
			json_object_put(o);
			continue;
		}
		objs[i + 1] = o;
		if (nic_of(d, def, id, &n, &br, err, errlen) == -1)
			goto out;
		if (strlen(br) >= sizeof(bridge)) {
			snprintf(err, errlen, "bridge name '%s' is too long", br);
			goto out;
		}
		if (bridge[0] != '\0' && strcmp(bridge, br) != 0) {
			snprintf(err, errlen, "its NICs are on bridges %s and "
			    "%s; qemu-ifup puts every tap of a QEMU started by "
			    "hand on the one $QLAUNCH_BRIDGE", bridge, br);
			goto out;
		}
		strlcpy(bridge, br, sizeof(bridge));
		by_name(o, &n, scriptdir);
	}
	if (bridge[0] == '\0') {
		rc = 0;
		goto out;
	}
	/* all checked: the new argv, "env QLAUNCH_BRIDGE=..." first */
	char **v = xcalloc(a->n + 3, sizeof(*v));
	v[0] = xstrdup("env");
	v[1] = xasprintf("QLAUNCH_BRIDGE=%s", bridge);
	for (size_t i = 0; i < n0; i++) {
		if (objs[i] == NULL) {
			v[i + 2] = a->v[i];
			continue;
		}
		v[i + 2] = xstrdup(json_object_to_json_string_ext(objs[i],
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		free(a->v[i]);
	}
	free(a->v);
	a->v = v;
	a->n += 2;
	rc = 0;
out:
	for (size_t i = 0; i <= n0; i++)
		json_object_put(objs[i]);
	free(objs);
	return rc;
}
