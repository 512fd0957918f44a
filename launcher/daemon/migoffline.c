/*
 * Offline migration (migrate --offline): a shut off VM's definition goes
 * to another supervisor, as the tutorials' "shut down, copy, define" (a
 * running or paused VM is refused: it migrates live).  The source's
 * definition goes unless --keep-source keeps it.
 *
 * Without --copy-storage, the destination's migrate-define stores the
 * definition as it is (the images are shared).  With it, the disks go
 * too (migstor.h's selection: every image that is neither a CD-ROM nor
 * read-only): the source reads their virtual sizes with qemu-img info,
 * migrate-prepare {"offline": true, "copy_storage": [...]} has the
 * destination make new images and serve them over NBD from a paused
 * QEMU started -incoming just for it, a child process here writes each
 * image into its export (qemu-img convert -n, with progress), and
 * migrate-finish {"offline": true} has the destination's QEMU quit,
 * keeping the definition and the images.  On any failure migrate-abort
 * removes the destination's QEMU, images and definition; the source's
 * images were only read.
 *
 * The destination side, migrate-define, is here too.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "events.h"
#include "imgwork.h"
#include "jget.h"
#include "log.h"
#include "migoff.h"
#include "migpeer.h"
#include "migrate.h"
#include "names.h"
#include "qimg.h"
#include "qmp.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "vmdef.h"
#include "xalloc.h"

#define MOFF_CMD_MS		30000
#define MOFF_PEER_MS		5000
#define MOFF_PREPARE_MS		90000
#define MOFF_FINISH_MS		90000
#define MOFF_INFO_MS		60000	/* qemu-img info, every image */
#define MOFF_EVENT_MS		250

struct moff_disk {
	char		 target[16];
	char		 path[PATH_MAX];
	char		 format[16];
	long long	 size;
	char		 uri[PATH_MAX + 64];	/* its NBD export */
};

struct migoff;
typedef void (*moff_next_fn)(struct migoff *, struct json_object *ret);

struct migoff {
	struct daemon		*d;
	struct req		*r;
	char			 name[65];
	char			 uuid[64];
	char			 dest[108];
	char			 listen[64];
	char			*text;
	int			 keep;
	struct moff_disk	*disks;		/* --copy-storage */
	size_t			 n;
	int			 copy;
	struct qmp		*peer;
	int			 prepared;	/* the destination has a QEMU */
	moff_next_fn		 next;
	struct imgwork		*w;
	int64_t			 t0, last_event;
	int			 holds;
	int			 dead;
	struct migration	 reg;		/* in the daemon's list */
	int			 listed;
};

static void	moff_fail(struct migoff *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Answered: out of the daemon's list, so the VM is free again. */
static void
moff_unlist(struct migoff *m)
{
	if (m->listed)
		migreg_del(m->d, &m->reg);
	m->listed = 0;
}

/* migrate-cancel */
static void
moff_cancel(struct migration *g, const char *why)
{
	moff_fail(g->self, "%s", why);
}

static void
moff_release(struct migoff *m)
{
	if (!m->dead || m->holds > 0)
		return;
	if (m->w != NULL)
		imgwork_abandon(m->w);
	if (m->peer != NULL)
		qmp_free(m->peer);
	free(m->text);
	free(m->disks);
	free(m);
}

static struct json_object *
name_args(const char *name)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	return o;
}

/* ---- the destination's supervisor ---- */

static void
peer_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migoff *m = arg;

	m->holds--;
	if (m->dead) {
		moff_release(m);
		return;
	}
	if (err == NULL)
		m->next(m, ret);
	else if (strcmp(err->class, ERR_DISCONNECTED) == 0)
		moff_fail(m, "lost the connection to the destination %s: %s",
		    m->dest, err->desc);
	else if (strcmp(err->class, ERR_TIMEOUT) == 0)
		moff_fail(m, "the destination %s did not answer in time",
		    m->dest);
	else
		moff_fail(m, "the destination: %s", err->desc);
}

static void
peer_closed(void *arg, struct qmp *q, const char *why)
{
	struct migoff *m = arg;

	(void)q;
	if (!m->dead)
		moff_fail(m, "lost the connection to the destination %s: %s",
		    m->dest, why);
}

static void
peer_send(struct migoff *m, const char *cmd, struct json_object *args,
    int timeout_ms, moff_next_fn next)
{
	m->next = next;
	m->holds++;
	if (qmp_execute(m->peer, cmd, args, timeout_ms, peer_reply, m) ==
	    -1) {
		m->holds--;
		moff_fail(m, "lost the connection to the destination %s",
		    m->dest);
	}
}

/* ---- the end ---- */

static void
abort_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migoff *m = arg;

	(void)ret;
	m->holds--;
	if (err != NULL && strcmp(err->class, ERR_DISCONNECTED) != 0)
		log_warnx("%s: migrate-abort on %s: %s", m->name, m->dest,
		    err->desc);
	moff_release(m);
}

static void
moff_fail(struct migoff *m, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	if (m->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("%s: offline migration to %s failed: %s", m->name, m->dest,
	    why);
	req_error(m->r, ERR_GENERIC, "offline migration of '%s' to %s "
	    "failed: %s", m->name, m->dest, why);
	m->r = NULL;
	m->dead = 1;
	moff_unlist(m);
	if (m->w != NULL) {
		/* its done callback never comes: its hold goes with it */
		imgwork_abandon(m->w);
		m->holds--;
	}
	m->w = NULL;
	if (m->prepared && m->peer != NULL) {
		m->holds++;
		if (qmp_execute(m->peer, "migrate-abort", name_args(m->name),
		    MOFF_CMD_MS, abort_reply, m) != -1)
			return;
		m->holds--;
	}
	moff_release(m);
}

/* The destination has it: the source's definition goes (or stays). */
static void
moff_done(struct migoff *m, struct json_object *ret)
{
	struct vm *vm = vm_find(m->d, m->name);
	char err[512];

	(void)ret;
	moff_unlist(m);
	if (!m->keep && vm != NULL && !vm_active(vm) &&
	    strcmp(vm_persistent(vm)->uuid, m->uuid) == 0 &&
	    vm_undefine(vm, err, sizeof(err)) == -1)
		log_warnx("%s: after the offline migration: %s", m->name, err);
	log_info("%s: migrated offline to %s in %lld ms", m->name, m->dest,
	    (long long)(mono_ms() - m->t0));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "destination", json_object_new_string(
	    m->dest));
	json_object_object_add(o, "offline", json_object_new_boolean(1));
	json_object_object_add(o, "copied_storage", json_object_new_boolean(
	    m->copy));
	json_object_object_add(o, "kept_source", json_object_new_boolean(
	    m->keep));
	json_object_object_add(o, "time_elapsed_ms", json_object_new_int64(
	    mono_ms() - m->t0));
	req_return(m->r, o);
	m->r = NULL;
	m->dead = 1;
	moff_release(m);
}

/* ---- the copy: qemu-img convert into each export, in a child ---- */

/* In the child: where qemu-img is, for its reports. */
struct copy_at {
	int	 fd;
	size_t	 i;
};

static void
copy_pct(void *arg, double pct)
{
	struct copy_at *at = arg;

	imgwork_say(at->fd, "%zu %.2f", at->i, pct);
}

static int
copy_child(void *carg, int fd, char *err, size_t errlen)
{
	struct migoff *m = carg;
	struct copy_at at = { fd, 0 };

	for (size_t i = 0; i < m->n; i++) {
		struct moff_disk *k = &m->disks[i];
		at.i = i;
		if (qimg_convert_flags(k->path, k->format, k->uri, "raw",
		    QIMG_CONVERT_SPARSE | QIMG_CONVERT_NBD, copy_pct, &at, err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

/* Disk i is at pct (disks before it done); at most every MOFF_EVENT_MS. */
static void
moff_progress(struct migoff *m, size_t i, double pct)
{
	long long total = 0, sofar = 0;
	int64_t now = mono_ms();
	int done = i == m->n - 1 && pct >= 100;

	if (!done && now - m->last_event < MOFF_EVENT_MS)
		return;
	m->last_event = now;
	for (size_t j = 0; j < m->n; j++) {
		total += m->disks[j].size;
		if (j < i)
			sofar += m->disks[j].size;
		else if (j == i)
			sofar += (long long)((double)m->disks[j].size * pct / 100);
	}
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "job", json_object_new_string(
	    "copy-storage"));
	json_object_object_add(d, "status", json_object_new_string(
	    done ? "completed" : "active"));
	json_object_object_add(d, "processed", json_object_new_int64(sofar));
	json_object_object_add(d, "total", json_object_new_int64(total));
	json_object_object_add(d, "percent", json_object_new_double(total > 0 ?
	    (double)sofar * 100 / (double)total : 0));
	req_event(m->r, EV_JOB_PROGRESS, d);
}

static void
copy_line(void *arg, const char *text)
{
	struct migoff *m = arg;
	unsigned long long i;
	double pct;

	if (!m->dead && sscanf(text, "%llu %lf", &i, &pct) == 2 && i < m->n &&
	    pct >= 0 && pct <= 100)
		moff_progress(m, (size_t)i, pct);
}

/*
 * A helper process (m->w) ended: 1 when the move goes on; 0 when it was
 * let go of meanwhile (released now) or the helper failed (m failed).
 */
static int
worker_ok(struct migoff *m, int ok, const char *err)
{
	m->w = NULL;
	m->holds--;
	if (m->dead) {
		moff_release(m);
		return 0;
	}
	if (!ok) {
		moff_fail(m, "%s", err);
		return 0;
	}
	return 1;
}

static void
copy_done(void *arg, int ok, const char *err)
{
	struct migoff *m = arg;

	if (!worker_ok(m, ok, err))
		return;
	struct json_object *a = name_args(m->name);
	json_object_object_add(a, "offline", json_object_new_boolean(1));
	peer_send(m, "migrate-finish", a, MOFF_FINISH_MS, moff_done);
}

/* The destination's exports are up: their URIs, then the child. */
static void
moff_copy(struct migoff *m, struct json_object *ret)
{
	struct json_object *nbd = jget(ret, "nbd");
	const char *type = jstr(nbd, "type"), *path = jstr(nbd, "path"),
	    *host = jstr(nbd, "host"), *port = jstr(nbd, "port");
	char err[512];

	for (size_t i = 0; i < m->n; i++) {
		struct moff_disk *k = &m->disks[i];
		if (type != NULL && strcmp(type, "unix") == 0 && path != NULL)
			snprintf(k->uri, sizeof(k->uri),
			    "nbd+unix:///%s?socket=%s", k->target, path);
		else if (type != NULL && strcmp(type, "inet") == 0 &&
		    host != NULL && port != NULL)
			snprintf(k->uri, sizeof(k->uri), strchr(host, ':') ?
			    "nbd://[%s]:%s/%s" : "nbd://%s:%s/%s", host, port,
			    k->target);
		else {
			moff_fail(m, "the destination gave no NBD server "
			    "address");
			return;
		}
	}
	moff_progress(m, 0, 0);
	m->w = imgwork_run(m->d->base, copy_child, m, copy_line, copy_done,
	    m, err, sizeof(err));
	if (m->w == NULL) {
		moff_fail(m, "%s", err);
		return;
	}
	m->holds++;
}

/* The sizes known: the destination makes the images and serves them. */
static void
moff_prepare(struct migoff *m)
{
	struct json_object *a = json_object_new_object(),
	    *copy = json_object_new_array();

	json_object_object_add(a, "text", json_object_new_string(m->text));
	json_object_object_add(a, "offline", json_object_new_boolean(1));
	json_object_object_add(a, "paused", json_object_new_boolean(1));
	for (size_t i = 0; i < m->n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "target", json_object_new_string(
		    m->disks[i].target));
		json_object_object_add(o, "size", json_object_new_int64(
		    m->disks[i].size));
		json_object_array_add(copy, o);
	}
	json_object_object_add(a, "copy_storage", copy);
	if (m->listen[0] != '\0')
		json_object_object_add(a, "listen", json_object_new_string(
		    m->listen));
	m->prepared = 1;
	peer_send(m, "migrate-prepare", a, MOFF_PREPARE_MS, moff_copy);
}

/* ---- the sizes: qemu-img info, in a child ---- */

static int
info_child(void *carg, int fd, char *err, size_t errlen)
{
	struct migoff *m = carg;
	struct qimg_info in;
	char why[512];

	for (size_t i = 0; i < m->n; i++) {
		struct moff_disk *k = &m->disks[i];
		if (qimg_info(k->path, k->format, &in, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "disk %s: %s", k->target, why);
			return -1;
		}
		imgwork_say(fd, "%zu %llu", i, (unsigned long long)
		    in.virtual_size);
	}
	return 0;
}

static void
info_line(void *arg, const char *text)
{
	struct migoff *m = arg;
	unsigned long long i, size;

	if (sscanf(text, "%llu %llu", &i, &size) == 2 && i < m->n)
		m->disks[i].size = (long long)size;
}

static void
info_done(void *arg, int ok, const char *err)
{
	struct migoff *m = arg;

	if (!worker_ok(m, ok, err))
		return;
	moff_prepare(m);
}

/* ---- migrate --offline ---- */

/* The disks that are copied, as the live copy takes them. */
static int
moff_disks(struct migoff *m, const struct vmdef *def, char *err,
    size_t errlen)
{
	struct vmdef_disk k;

	m->disks = xcalloc(vmdef_disk_count(def) + 1, sizeof(*m->disks));
	for (size_t i = 0; vmdef_disk_get(def, i, &k) == 0; i++) {
		if (k.path == NULL || strcmp(k.device, "cdrom") == 0 ||
		    k.readonly > 0)
			continue;
		struct moff_disk *d = &m->disks[m->n++];
		strlcpy(d->target, k.target, sizeof(d->target));
		strlcpy(d->path, k.path, sizeof(d->path));
		strlcpy(d->format, k.format != NULL ? k.format : "raw",
		    sizeof(d->format));
	}
	if (m->n == 0) {
		snprintf(err, errlen, "--copy-storage: the VM has no disk "
		    "image to copy");
		return -1;
	}
	return 0;
}

static void
moff_defined(struct migoff *m, struct json_object *ret)
{
	moff_done(m, ret);
}

/* The destination's supervisor: at m->dest, or over pfd (taken). */
static int
moff_peer_open(struct migoff *m, int pfd)
{
	static const struct qmp_callbacks cbs = { NULL, peer_closed };

	return migpeer_connect(m->d->base, m->dest, pfd, MOFF_PEER_MS, &cbs, m,
	    &m->peer);
}

void
migoff_start(struct req *r, struct vm *vm, const char *dest,
    const char *listen, int pfd)
{
	struct vmdef *def = vm_persistent(vm);
	char err[512];

	if (vm_active(vm)) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s; --offline "
		    "moves a shut off VM (shut it down first, or migrate it "
		    "live)", vm->name, vm_state_name(vm->state));
		if (pfd != -1)
			close(pfd);
		return;
	}
	struct migoff *m = xcalloc(1, sizeof(*m));
	m->d = r->d;
	m->r = r;
	m->t0 = mono_ms();
	m->keep = req_bool(r, "keep_source");
	m->copy = req_bool(r, "copy_storage");
	strlcpy(m->name, vm->name, sizeof(m->name));
	strlcpy(m->uuid, def->uuid, sizeof(m->uuid));
	strlcpy(m->dest, dest, sizeof(m->dest));
	if (listen != NULL)
		strlcpy(m->listen, listen, sizeof(m->listen));
	m->text = vmdef_text(def);
	if (m->copy && moff_disks(m, def, err, sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "migrate: %s", err);
		m->dead = 1;
		moff_release(m);
		if (pfd != -1)
			close(pfd);
		return;
	}
	migreg_add(m->d, &m->reg, vm, 0, m);
	m->reg.cancel = moff_cancel;
	m->listed = 1;
	if (moff_peer_open(m, pfd) == -1) {
		moff_fail(m, "cannot connect to the destination %s", m->dest);
		return;
	}
	if (!m->copy) {
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "text", json_object_new_string(
		    m->text));
		peer_send(m, "migrate-define", a, MOFF_CMD_MS, moff_defined);
		return;
	}
	m->w = imgwork_run(m->d->base, info_child, m, info_line, info_done, m,
	    err, sizeof(err));
	if (m->w == NULL) {
		moff_fail(m, "%s", err);
		return;
	}
	m->holds++;
	imgwork_deadline(m->w, MOFF_INFO_MS, "qemu-img info");
}

/* ---- the destination: migrate-define ---- */

/*
 * {"text"}: a shut off VM's definition from another supervisor, stored
 * here; a VM of that name here must be shut off and have the same UUID
 * (a copy kept with --keep-source), and no other VM that UUID.
 */
static void
d_migrate_define(struct req *r, struct vm *unused)
{
	const char *text = req_str(r, "text");
	char err[1024];
	struct vm *vm, *o;

	(void)unused;
	if (text == NULL) {
		req_error(r, ERR_GENERIC, "migrate-define needs \"text\"");
		return;
	}
	struct vmdef *def = vmdef_parse(text, "the migrated definition", err,
	    sizeof(err));
	if (def == NULL) {
		req_error(r, ERR_INVALID_DEF, "%s", err);
		return;
	}
	vm = vm_find(r->d, def->name);
	if ((o = vm_uuid_owner(r->d, def->uuid, vm)) != NULL)
		snprintf(err, sizeof(err), "the destination has VM '%s' with "
		    "UUID %s already", o->name, def->uuid);
	else if (vm != NULL && vm_active(vm))
		snprintf(err, sizeof(err), "the destination has VM '%s' "
		    "already (%s)", vm->name, vm_state_name(vm->state));
	else if (vm != NULL && strcmp(vm_persistent(vm)->uuid, def->uuid) != 0)
		snprintf(err, sizeof(err), "the destination has VM '%s' "
		    "already, with UUID %s, not %s", vm->name,
		    vm_persistent(vm)->uuid, def->uuid);
	else if (vm_define(r->d, def, &vm, err, sizeof(err)) == 0) {
		vm_set_state(vm, VM_SHUTOFF, "migrated");
		req_return(r, vm_info(vm));
		return;
	}
	vmdef_free(def);
	req_error(r, ERR_EXISTS, "%s", err);
}

const struct dcmd dcmds_migoff[] = {
	{ "migrate-define",	d_migrate_define,	NEEDS_ADMIN },
	{ NULL, NULL, 0 }
};
