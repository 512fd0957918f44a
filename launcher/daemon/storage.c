#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "media.h"
#include "props.h"
#include "qimg.h"
#include "storage.h"
#include "util.h"
#include "vmdef.h"

#define DEFAULT_FORMAT	"qcow2"

void
storage_remember(struct created *c, const char *path)
{
	c->paths = xreallocarray(c->paths, c->n + 1, sizeof(*c->paths));
	c->paths[c->n++] = xstrdup(path);
}

static int
prepare_one(struct daemon *d, struct vmdef *def, size_t i, int admin,
    struct created *c, char *err, size_t errlen)
{
	struct vmdef_disk k;
	struct qimg_info info;
	char path[PATH_MAX], why[512];
	struct stat st;

	if (vmdef_disk_get(def, i, &k) == -1)
		return 0;
	if (k.path == NULL && strcmp(k.device, "cdrom") == 0)
		return 0;	/* an empty drive */
	if (k.path != NULL && k.format != NULL && stat(k.path, &st) == 0)
		return 0;	/* nothing to decide */
	if (!admin) {
		snprintf(err, errlen, "disk %s: give path= and format= of an "
		    "image that exists (only root has the supervisor create or "
		    "probe images)", k.target);
		return -1;
	}
	if (k.path == NULL) {
		snprintf(path, sizeof(path), "%s/images", d->statedir);
		if (mkdirs(path, 0711) == -1) {
			snprintf(err, errlen, "disk %s: cannot create %s: %s",
			    k.target, path, strerror(errno));
			return -1;
		}
		snprintf(path, sizeof(path), "%s/images/%s-%s.%s", d->statedir,
		    def->name, k.target, k.format != NULL ? k.format :
		    DEFAULT_FORMAT);
		if (vmdef_disk_set_path(def, i, path, err, errlen) == -1)
			return -1;
		vmdef_disk_get(def, i, &k);
	}
	if (stat(k.path, &st) == -1) {
		if (errno != ENOENT || k.size == 0) {
			snprintf(err, errlen, "disk %s: %s: %s%s", k.target,
			    k.path, strerror(errno), errno == ENOENT ?
			    " (give size= to create it)" : "");
			return -1;
		}
		const char *fmt = k.format != NULL ? k.format : DEFAULT_FORMAT;
		if (qimg_create(k.path, fmt, k.size, NULL, NULL, !k.sparse,
		    why, sizeof(why)) == -1) {
			snprintf(err, errlen, "disk %s: %s", k.target, why);
			return -1;
		}
		storage_remember(c, k.path);
		if (k.format == NULL &&
		    vmdef_disk_set_format(def, i, fmt, err, errlen) == -1)
			return -1;
		return 0;
	}
	if (k.format != NULL)
		return 0;
	/* probed once, here, and written down: a start never guesses */
	if (qimg_info(k.path, NULL, &info, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "disk %s: %s", k.target, why);
		return -1;
	}
	if (info.backing[0] != '\0' && info.backing_format[0] == '\0') {
		snprintf(err, errlen, "disk %s: %s has the backing file %s "
		    "without a format; set one with qemu-img rebase -F",
		    k.target, k.path, info.backing);
		return -1;
	}
	return vmdef_disk_set_format(def, i, info.format, err, errlen);
}

int
storage_prepare(struct daemon *d, struct vmdef *def, size_t i, int admin,
    struct created *c, char *err, size_t errlen)
{
	if (i != (size_t)-1)
		return prepare_one(d, def, i, admin, c, err, errlen);
	for (size_t k = 0; k < vmdef_disk_count(def); k++)
		if (prepare_one(d, def, k, admin, c, err, errlen) == -1)
			return -1;
	return 0;
}

static int
location_err(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "location: %s", why);
	return -1;
}

int
storage_location(struct daemon *d, struct vmdef *def, const char *location,
    const char *extra_args, int admin, struct created *c, char *err,
    size_t errlen)
{
	char dir[PATH_MAX], k[PATH_MAX], i[PATH_MAX], why[1024];
	struct stat st;
	int tree, r;

	if (strstr(location, "://") != NULL) {
		snprintf(why, sizeof(why), "%s: only an ISO image or an "
		    "install tree here; a URL is not supported", location);
		return location_err(err, errlen, why);
	}
	if (location[0] != '/') {
		snprintf(why, sizeof(why), "'%s' is not an absolute path",
		    location);
		return location_err(err, errlen, why);
	}
	if (!admin)
		return location_err(err, errlen, "only root has the supervisor "
		    "read install media (give the installer's kernel with "
		    "--boot kernel=,initrd=,kernel_args=)");
	if ((tree = media_is_tree(location, why, sizeof(why))) == -1)
		return location_err(err, errlen, why);
	snprintf(dir, sizeof(dir), "%s/boot/%s", d->statedir, def->name);
	int existed = stat(dir, &st) == 0;
	if (media_find_kernel(location, dir, k, sizeof(k), i, sizeof(i), NULL,
	    why, sizeof(why)) == -1)
		return location_err(err, errlen, why);
	storage_remember(c, k);
	storage_remember(c, i);
	if (!existed)
		storage_remember(c, dir);	/* after its files: removed last */
	char *ek = props_escape(k), *ei = props_escape(i), *el =
	    props_escape(location), *ea = extra_args != NULL ?
	    props_escape(extra_args) : NULL;
	char *v = xasprintf("kernel=%s,initrd=%s%s%s,location=%s", ek, ei,
	    ea != NULL ? ",append=" : "", ea != NULL ? ea : "", el);
	r = vmdef_set(def, "install", v, err, errlen);
	free(v);
	free(ek);
	free(ei);
	free(ea);
	if (r == 0 && !tree) {
		v = xasprintf("path=%s,device=cdrom", el);
		r = vmdef_set(def, "disk", v, err, errlen);
		free(v);
	}
	free(el);
	return r;
}

void
storage_undo(struct created *c)
{
	/* files, and the directories made for them (empty by then) */
	for (size_t i = 0; i < c->n; i++)
		remove(c->paths[i]);
	storage_keep(c);
}

void
storage_keep(struct created *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->paths[i]);
	free(c->paths);
	c->paths = NULL;
	c->n = 0;
}
