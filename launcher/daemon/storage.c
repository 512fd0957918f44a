#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "imgwork.h"
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

/*
 * Where prepare_one runs: in the supervisor (ch NULL), where it only
 * decides what needs no qemu-img, or in the child, which reports to the
 * supervisor (storage_work_said) through ch->fd as it goes.
 */
struct in_child {
	int		 fd;
	int		 step_ms;	/* 0: qemu-img's own bound */
};

/* A step's bound: the child's qemu-img has the same (images/qimg.c). */
static int
step_ms(const struct in_child *ch, uint64_t prealloc_size)
{
	if (ch->step_ms > 0)
		return ch->step_ms;
	uint64_t ms = QIMG_QUICK_MS + prealloc_size / (16u << 20) * 1000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* The format decided in the child, for the supervisor's copy too. */
static int
child_format(const struct in_child *ch, struct vmdef *def, size_t i,
    const char *fmt, char *err, size_t errlen)
{
	if (vmdef_disk_set_format(def, i, fmt, err, errlen) == -1)
		return -1;
	imgwork_say(ch->fd, "F %zu %s", i, fmt);
	return 0;
}

/* A new image of a VM with an owner is the owner's: its QEMU runs as
 * that user (root's attach-disk or create for a user's VM). */
static int
own_image(const struct vmdef *def, const char *path, char *err,
    size_t errlen)
{
	struct passwd *pw;

	if (def->owner == NULL)
		return 0;
	if ((pw = getpwnam(def->owner)) == NULL) {
		snprintf(err, errlen, "%s: no user '%s' to own it", path,
		    def->owner);
		return -1;
	}
	if (chown(path, pw->pw_uid, pw->pw_gid) == -1) {
		snprintf(err, errlen, "chown %s to %s: %s", path, def->owner,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* 0 settled, 1 needs qemu-img (only when ch is NULL), -1 with err. */
static int
prepare_one(struct daemon *d, struct vmdef *def, size_t i, int admin,
    const struct in_child *ch, char *err, size_t errlen)
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
		/* decided in the supervisor, before any child runs */
		daemon_imagedir(d, path, sizeof(path));
		if (mkdirs(path, 0711) == -1) {
			snprintf(err, errlen, "disk %s: cannot create %s: %s",
			    k.target, path, strerror(errno));
			return -1;
		}
		char idir[PATH_MAX];
		daemon_imagedir(d, idir, sizeof(idir));
		snprintf(path, sizeof(path), "%s/%s-%s.%s", idir, def->name,
		    k.target, k.format != NULL ? k.format : DEFAULT_FORMAT);
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
		if (ch == NULL)
			return 1;
		const char *fmt = k.format != NULL ? k.format : DEFAULT_FORMAT;
		imgwork_say(ch->fd, "W %d disk %s: qemu-img create %s",
		    step_ms(ch, k.sparse ? 0 : k.size), k.target, k.path);
		/* if it is stopped meanwhile, the supervisor removes it */
		imgwork_say(ch->fd, "X %s", k.path);
		if (qimg_create(k.path, fmt, k.size, NULL, NULL, !k.sparse,
		    why, sizeof(why)) == -1) {
			imgwork_say(ch->fd, "U");	/* not made, not ours */
			snprintf(err, errlen, "disk %s: %s", k.target, why);
			return -1;
		}
		imgwork_say(ch->fd, "C %s", k.path);
		if (own_image(def, k.path, err, errlen) == -1)
			return -1;
		if (k.format == NULL &&
		    child_format(ch, def, i, fmt, err, errlen) == -1)
			return -1;
		return 0;
	}
	if (k.format != NULL)
		return 0;
	if (ch == NULL)
		return 1;
	/* probed once, here, and written down: a start never guesses */
	imgwork_say(ch->fd, "W %d disk %s: qemu-img info %s", step_ms(ch, 0),
	    k.target, k.path);
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
	return child_format(ch, def, i, info.format, err, errlen);
}

/* A preparation waiting for its child. */
struct storage_work {
	struct vmdef	*def;
	size_t		 i;
	int		 admin;
	struct daemon	*d;
	struct created	*c;
	struct imgwork	*w;
	char		 making[PATH_MAX];	/* being created ("X") */
	char		 err[1024];		/* the supervisor's side */
	storage_done_fn	 done;
	void		*arg;
};

/* The child: every disk asked for, qemu-img and all. */
static int
work_child(void *carg, int fd, char *err, size_t errlen)
{
	struct storage_work *sw = carg;
	struct in_child ch = { fd, sw->d->img_step_ms };
	size_t from = sw->i == (size_t)-1 ? 0 : sw->i;
	size_t to = sw->i == (size_t)-1 ? vmdef_disk_count(sw->def) : sw->i + 1;

	for (size_t k = from; k < to; k++)
		if (prepare_one(sw->d, sw->def, k, sw->admin, &ch, err,
		    errlen) == -1)
			return -1;
	return 0;
}

/* What the child reports: W(ait) ms what, X path, U, C path, F i fmt. */
static void
work_said(void *arg, const char *text)
{
	struct storage_work *sw = arg;
	char *end;

	switch (text[0] != '\0' && text[1] == ' ' ? text[0] : '\0') {
	case 'W': {
		long ms = strtol(text + 2, &end, 10);
		if (*end == ' ')
			imgwork_deadline(sw->w, (int)ms, end + 1);
		break;
	}
	case 'X':
		strlcpy(sw->making, text + 2, sizeof(sw->making));
		break;
	case 'C':
		storage_remember(sw->c, text + 2);
		sw->making[0] = '\0';
		break;
	case 'F': {
		unsigned long long i = strtoull(text + 2, &end, 10);
		if (*end == ' ' && sw->err[0] == '\0')
			vmdef_disk_set_format(sw->def, (size_t)i, end + 1,
			    sw->err, sizeof(sw->err));
		break;
	}
	default:
		if (strcmp(text, "U") == 0)
			sw->making[0] = '\0';
		break;
	}
}

static void
work_done(void *arg, int ok, const char *err)
{
	struct storage_work *sw = arg;

	/* stopped while creating: what it made is ours to remove */
	if (!ok && sw->making[0] != '\0')
		storage_remember(sw->c, sw->making);
	sw->done(sw->arg, !ok ? err : sw->err[0] != '\0' ? sw->err : NULL);
	free(sw);
}

void
storage_prepare(struct daemon *d, struct vmdef *def, size_t i, int admin,
    struct created *c, storage_done_fn done, void *arg)
{
	size_t from = i == (size_t)-1 ? 0 : i;
	size_t to = i == (size_t)-1 ? vmdef_disk_count(def) : i + 1;
	char err[1024];
	int child = 0;

	/* what needs no qemu-img is decided here, and every error found */
	for (size_t k = from; k < to; k++) {
		int r = prepare_one(d, def, k, admin, NULL, err, sizeof(err));
		if (r == -1) {
			done(arg, err);
			return;
		}
		child |= r;
	}
	if (!child) {
		done(arg, NULL);
		return;
	}
	struct storage_work *sw = xcalloc(1, sizeof(*sw));
	sw->def = def;
	sw->i = i;
	sw->admin = admin;
	sw->d = d;
	sw->c = c;
	sw->done = done;
	sw->arg = arg;
	sw->w = imgwork_run(d->base, work_child, sw, work_said, work_done, sw,
	    err, sizeof(err));
	if (sw->w == NULL) {
		free(sw);
		done(arg, err);
	}
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
