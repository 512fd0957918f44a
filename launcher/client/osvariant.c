/*
 * --os-variant's table: OS names as osinfo spells its short ids, a row a
 * name or a family of versioned names (ubuntu22.04, rhel9.2, fedora40),
 * and the device models virt-install gives each kind: virtio for modern
 * Linux and BSD, IDE (SATA on q35) and e1000 for Windows up to 7 and
 * 2008, SATA and e1000e for later Windows.  "generic" and unknown names
 * give nothing, so that the definition's own defaults hold.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "osvariant.h"
#include "props.h"
#include "util.h"

static const struct osdefaults os_generic = {
	"generic", NULL, NULL, NULL, NULL
};
static const struct osdefaults os_virtio = {
	"virtio", "virtio", "virtio", "virtio", "virtio"
};
static const struct osdefaults os_win_old = {
	"old windows", "ide", "sata", "e1000", "std"
};
static const struct osdefaults os_win_new = {
	"windows", "sata", "sata", "e1000e", "std"
};

static const struct osrow {
	const char		*name;
	int			 family;	/* followed by a version: 22.04 */
	const struct osdefaults	*os;
} rows[] = {
	{ "generic",		0, &os_generic },
	{ "debian",		1, &os_virtio },
	{ "debiantesting",	0, &os_virtio },
	{ "ubuntu",		1, &os_virtio },
	{ "fedora",		1, &os_virtio },
	{ "fedora-rawhide",	0, &os_virtio },
	{ "fedora-unknown",	0, &os_virtio },
	{ "centos",		1, &os_virtio },
	{ "centos-stream",	1, &os_virtio },
	{ "rhel",		1, &os_virtio },
	{ "rocky",		1, &os_virtio },
	{ "almalinux",		1, &os_virtio },
	{ "ol",			1, &os_virtio },
	{ "alpinelinux",	1, &os_virtio },
	{ "alpine",		1, &os_virtio },
	{ "opensuse",		1, &os_virtio },
	{ "opensusetumbleweed",	0, &os_virtio },
	{ "sles",		1, &os_virtio },
	{ "archlinux",		0, &os_virtio },
	{ "gentoo",		0, &os_virtio },
	{ "linux2016",		0, &os_virtio },
	{ "linux2018",		0, &os_virtio },
	{ "linux2020",		0, &os_virtio },
	{ "linux2022",		0, &os_virtio },
	{ "linux2024",		0, &os_virtio },
	{ "freebsd",		1, &os_virtio },
	{ "openbsd",		1, &os_virtio },
	{ "win2k",		0, &os_win_old },
	{ "winxp",		0, &os_win_old },
	{ "win2k3",		0, &os_win_old },
	{ "win2k3r2",		0, &os_win_old },
	{ "winvista",		0, &os_win_old },
	{ "win7",		0, &os_win_old },
	{ "win2k8",		0, &os_win_old },
	{ "win2k8r2",		0, &os_win_old },
	{ "win8",		0, &os_win_new },
	{ "win8.1",		0, &os_win_new },
	{ "win10",		0, &os_win_new },
	{ "win11",		0, &os_win_new },
	{ "win2k12",		0, &os_win_new },
	{ "win2k12r2",		0, &os_win_new },
	{ "win2k16",		0, &os_win_new },
	{ "win2k19",		0, &os_win_new },
	{ "win2k22",		0, &os_win_new },
	{ "win2k25",		0, &os_win_new },
};

/* osinfo's ids, http://ubuntu.com/ubuntu/22.04: the prefix of a short id */
static const struct osid {
	const char	*url;
	const char	*prefix;
} ids[] = {
	{ "http://debian.org/debian/",			"debian" },
	{ "http://ubuntu.com/ubuntu/",			"ubuntu" },
	{ "http://fedoraproject.org/fedora/",		"fedora" },
	{ "http://centos.org/centos-stream/",		"centos-stream" },
	{ "http://centos.org/centos/",			"centos" },
	{ "http://redhat.com/rhel/",			"rhel" },
	{ "http://rockylinux.org/rocky/",		"rocky" },
	{ "http://almalinux.org/almalinux/",		"almalinux" },
	{ "http://alpinelinux.org/alpinelinux/",	"alpinelinux" },
	{ "http://opensuse.org/opensuse/",		"opensuse" },
	{ "http://suse.com/sles/",			"sles" },
	{ "http://freebsd.org/freebsd/",		"freebsd" },
	{ "http://libosinfo.org/linux/",		"linux" },
	{ "http://microsoft.com/win/",			"win" },
	{ "http://libosinfo.org/generic",		"generic" },
};

/* "22.04", "9", "3.18": digits and dots, a digit first and last. */
static int
is_version(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[n - 1]))
		return 0;
	return strspn(s, "0123456789.") == n;
}

const struct osdefaults *
osvariant_find(const char *name)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct osrow *r = &rows[i];
		size_t n = strlen(r->name);
		if (!r->family && strcmp(name, r->name) == 0)
			return r->os;
		if (r->family && strncmp(name, r->name, n) == 0 &&
		    is_version(name + n))
			return r->os;
	}
	return NULL;
}

/* An osinfo id as its short id, in buf; -1 when not one of ours. */
static int
id_to_name(const char *id, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		size_t n = strlen(ids[i].url);
		if (strncmp(id, ids[i].url, n) != 0)
			continue;
		if ((size_t)snprintf(buf, len, "%s%s", ids[i].prefix, id + n) >=
		    len)
			return -1;
		return 0;
	}
	return -1;
}

static const struct osdefaults *
by_name(const char *name, const char *shown, char *warn, size_t warnlen)
{
	const struct osdefaults *os = osvariant_find(name);

	if (os != NULL)
		return os;
	snprintf(warn, warnlen, "unknown --os-variant '%s'; using generic "
	    "defaults", shown);
	return &os_generic;
}

int
osvariant_parse(const char *value, const struct osdefaults **out, char *warn,
    size_t warnlen, char *err, size_t errlen)
{
	struct props p;
	const char *name, *id, *sid, *detect, *require;
	char buf[128];
	int r = -1, det = 0, req = 0;
	const struct prop *u;

	*warn = '\0';
	*out = &os_generic;
	if (strcmp(value, "none") == 0)
		return 0;
	if (props_parse(value, &p, err, errlen) == -1)
		return -1;
	name = props_pos(&p, 0);
	if (name != NULL && p.n == 1) {
		*out = by_name(name, name, warn, warnlen);
		r = 0;
		goto out;
	}
	if (name != NULL) {
		snprintf(err, errlen, "'%s': a name comes alone, or as name=",
		    value);
		goto out;
	}
	name = props_get(&p, "name");
	sid = props_get(&p, "short-id");
	id = props_get(&p, "id");
	detect = props_get(&p, "detect");
	require = props_get(&p, "require");
	if ((u = props_unused(&p)) != NULL) {
		snprintf(err, errlen, "'%s': unknown property '%s' (name, "
		    "short-id, id, detect, require)", value,
		    u->key != NULL ? u->key : u->val);
		goto out;
	}
	if ((name != NULL) + (sid != NULL) + (id != NULL) > 1) {
		snprintf(err, errlen, "'%s': give one of name, short-id and id",
		    value);
		goto out;
	}
	if (detect != NULL && parse_bool(detect, &det) == -1) {
		snprintf(err, errlen, "'%s': detect '%s' is not on or off",
		    value, detect);
		goto out;
	}
	if (require != NULL && strcmp(require, "auto") != 0 &&
	    parse_bool(require, &req) == -1) {
		snprintf(err, errlen, "'%s': require '%s' is not on, off or "
		    "auto", value, require);
		goto out;
	}
	if (sid != NULL)
		name = sid;
	if (id != NULL) {
		if (id_to_name(id, buf, sizeof(buf)) == 0)
			*out = by_name(buf, id, warn, warnlen);
		else
			*out = by_name("", id, warn, warnlen);
		r = 0;
		goto out;
	}
	if (name != NULL) {
		*out = by_name(name, name, warn, warnlen);
		r = 0;
		goto out;
	}
	if (det && req) {
		snprintf(err, errlen, "'%s': the install media are not "
		    "inspected; name the OS (name=NAME)", value);
		goto out;
	}
	if (det)
		snprintf(warn, warnlen, "--os-variant %s: the install media "
		    "are not inspected; using generic defaults", value);
	r = 0;
out:
	props_free(&p);
	return r;
}
