/*
 * The source's half of migrate --copy-storage (migstor.h has the whole
 * exchange): each disk mirrored (blockdev-mirror, sync full) to an NBD
 * node on the destination's export, until every job is ready; after the
 * RAM, the ready jobs cancelled (the destination holds the copy, this
 * side's images stay as they were) and the NBD nodes deleted; on
 * failure, the jobs force-cancelled and the nodes deleted.
 *
 * Each step is one QMP command on the VM's connection; the jobs are
 * followed with query-block-jobs every MS_POLL_MS (a job that vanishes
 * before it is cancelled has failed; BLOCK_JOB_COMPLETED tells why).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "events.h"
#include "jget.h"
#include "log.h"
#include "migstor.h"
#include "names.h"
#include "qmp.h"
#include "util.h"
#include "vm.h"
#include "vmdef.h"
#include "xalloc.h"

#define MS_CMD_MS	30000
#define MS_POLL_MS	200
#define MS_GONE_TRIES	150	/* 30 s of MS_POLL_MS for cancelled jobs */

struct msdisk {
	char		 target[16];
	char		 node[48];	/* the source's top format node */
	char		 nbd[48];	/* mig-vda: the NBD node and the job */
	long long	 size;
	int		 added;		/* the NBD node exists */
	int		 job;		/* the mirror job exists */
};

/* What one QMP reply continues. */
typedef void (*ms_next_fn)(struct migstor *, struct json_object *ret);

struct migstor {
	struct daemon		*d;
	struct vm		*vm;		/* NULL once removed */
	struct sink		*sink;
	migstor_progress_fn	 progress;
	void			*parg;
	struct msdisk		*disks;
	size_t			 n, i;
	struct json_object	*nbd;
	long long		 speed;
	int			 blocking;	/* copy-mode write-blocking */
	int			 phase;		/* replies of older ones are dropped */
	ms_next_fn		 next;
	migstor_done_fn		 done;
	void			*arg;
	struct event		*timer;
	int			 tries;
	int			 holds;		/* QMP replies still to come */
	int			 dead;
	int			 force;		/* undo: cancel jobs not ready too */
	char			 failed[512];	/* a job's own error */
};

/* ---- which disks ---- */

/* query-block's entry whose medium's top node is node, or NULL. */
static struct json_object *
block_of(struct json_object *blocks, const char *node)
{
	size_t n = json_object_is_type(blocks, json_type_array) ?
	    json_object_array_length(blocks) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *in = jget(json_object_array_get_idx(blocks,
		    i), "inserted");
		const char *s = jstr(in, "node-name");
		if (s != NULL && strcmp(s, node) == 0)
			return in;
	}
	return NULL;
}

int
migstor_disks(const struct vmdef *def, struct json_object *blocks,
    struct json_object **out, char *err, size_t errlen)
{
	struct json_object *a = json_object_new_array();
	struct vmdef_disk k;

	for (size_t i = 0; vmdef_disk_get(def, i, &k) == 0; i++) {
		if (k.path == NULL || k.node == NULL ||
		    strcmp(k.device, "cdrom") == 0 || k.readonly > 0)
			continue;
		struct json_object *in = block_of(blocks, k.node);
		long long size = jint(jget(in, "image"), "virtual-size", -1);
		if (in == NULL || size <= 0) {
			snprintf(err, errlen, "disk %s: QEMU has no image on "
			    "node %s", k.target, k.node);
			json_object_put(a);
			return -1;
		}
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "target", json_object_new_string(
		    k.target));
		json_object_object_add(o, "node", json_object_new_string(
		    k.node));
		json_object_object_add(o, "size", json_object_new_int64(size));
		json_object_array_add(a, o);
	}
	if (json_object_array_length(a) == 0) {
		snprintf(err, errlen, "--copy-storage: the VM has no disk "
		    "image to copy");
		json_object_put(a);
		return -1;
	}
	*out = a;
	return 0;
}

/* ---- plumbing ---- */

static void
ms_release(struct migstor *ms)
{
	if (!ms->dead || ms->holds > 0)
		return;
	if (ms->sink != NULL)
		events_unsink(ms->d, ms->sink);
	if (ms->timer != NULL)
		event_free(ms->timer);
	json_object_put(ms->nbd);
	free(ms->disks);
	free(ms);
}

/* The pending done, once; a new phase drops the replies of the old. */
static void
ms_end(struct migstor *ms, const char *fmt, ...)
{
	migstor_done_fn done = ms->done;
	char err[768];
	va_list ap;

	ms->done = NULL;
	ms->phase++;
	if (ms->timer != NULL)
		evtimer_del(ms->timer);
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(err, sizeof(err), fmt, ap);
		va_end(ap);
	}
	if (done != NULL)
		done(ms->arg, fmt != NULL ? err : NULL);
}

struct ms_call {
	struct migstor	*ms;
	int		 phase;
	int		 quiet;		/* an undo: errors are not failures */
	ms_next_fn	 next;
};

static void
ms_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct ms_call *c = arg;
	struct migstor *ms = c->ms;
	ms_next_fn next = c->next;
	int stale = c->phase != ms->phase, quiet = c->quiet;

	free(c);
	ms->holds--;
	if (ms->dead) {
		ms_release(ms);
		return;
	}
	if (stale)
		return;
	if (err != NULL && !quiet)
		ms_end(ms, "%s", err->desc);
	else
		next(ms, err == NULL ? ret : NULL);
}

static void
ms_send(struct migstor *ms, const char *cmd, struct json_object *args,
    int quiet, ms_next_fn next)
{
	struct qmp *q = ms->vm != NULL ? vm_qmp(ms->vm) : NULL;
	struct ms_call *c;

	if (q == NULL) {
		json_object_put(args);
		if (quiet)
			next(ms, NULL);
		else
			ms_end(ms, "the source's QEMU is not connected");
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ms = ms;
	c->phase = ms->phase;
	c->quiet = quiet;
	c->next = next;
	ms->holds++;
	if (qmp_execute(q, cmd, args, MS_CMD_MS, ms_reply, c) == -1) {
		ms->holds--;
		free(c);
		if (quiet)
			next(ms, NULL);
		else
			ms_end(ms, "the source's QEMU is not connected");
	}
}

static struct json_object *
obj_str(const char *k, const char *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, k, json_object_new_string(v));
	return o;
}

/* A job's end that was not asked for: its error, for the line. */
static void
ms_sink(void *arg, const struct vm_event *ev)
{
	struct migstor *ms = arg;
	struct json_object *data;
	const char *dev, *why;

	if (ev->vm != ms->vm)
		return;
	if (ev->kind == VMEV_REMOVED) {
		ms->vm = NULL;
		return;
	}
	if (ev->kind != VMEV_MESSAGE || ev->name == NULL ||
	    strcmp(ev->name, "BLOCK_JOB_COMPLETED") != 0)
		return;
	data = jget(ev->msg, "data");
	dev = jstr(data, "device");
	why = jstr(data, "error");
	if (dev != NULL && why != NULL && strncmp(dev, "mig-", 4) == 0 &&
	    ms->failed[0] == '\0')
		snprintf(ms->failed, sizeof(ms->failed), "the copy of disk %s "
		    "failed: %s", dev + 4, why);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct migstor *ms = arg;

	(void)fd;
	(void)what;
	if (!ms->dead && ms->next != NULL)
		ms->next(ms, NULL);
}

static void
ms_later(struct migstor *ms, ms_next_fn fn)
{
	struct timeval tv = { 0, MS_POLL_MS * 1000 };

	ms->next = fn;
	evtimer_add(ms->timer, &tv);
}

struct migstor *
migstor_new(struct daemon *d, struct vm *vm, long long speed, int blocking,
    migstor_progress_fn progress, void *arg)
{
	struct migstor *ms = xcalloc(1, sizeof(*ms));

	ms->speed = speed;
	ms->blocking = blocking;
	ms->d = d;
	ms->vm = vm;
	ms->progress = progress;
	ms->parg = arg;
	ms->timer = evtimer_new(d->base, timer_cb, ms);
	ms->sink = events_sink(d, ms_sink, ms);
	return ms;
}

void
migstor_free(struct migstor *ms)
{
	if (ms == NULL)
		return;
	ms->dead = 1;
	ms->done = NULL;
	ms_release(ms);
}

/* The job of ours in query-block-jobs' reply, or NULL. */
static struct json_object *
job_of(struct json_object *jobs, const char *id)
{
	size_t n = json_object_is_type(jobs, json_type_array) ?
	    json_object_array_length(jobs) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *j = json_object_array_get_idx(jobs, i);
		const char *s = jstr(j, "device");
		if (s != NULL && strcmp(s, id) == 0)
			return j;
	}
	return NULL;
}

/* ---- probe ---- */

static void
probe_got(struct migstor *ms, struct json_object *ret)
{
	struct json_object *a;
	char err[512];

	if (migstor_disks(ms->vm->def, ret, &a, err, sizeof(err)) == -1) {
		ms_end(ms, "%s", err);
		return;
	}
	ms->n = json_object_array_length(a);
	ms->disks = xcalloc(ms->n, sizeof(*ms->disks));
	for (size_t i = 0; i < ms->n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		struct msdisk *k = &ms->disks[i];
		strlcpy(k->target, jstr(o, "target"), sizeof(k->target));
		strlcpy(k->node, jstr(o, "node"), sizeof(k->node));
		snprintf(k->nbd, sizeof(k->nbd), "mig-%s", k->target);
		k->size = jint(o, "size", 0);
	}
	json_object_put(a);
	ms_end(ms, NULL);
}

void
migstor_probe(struct migstor *ms, migstor_done_fn done, void *arg)
{
	ms->done = done;
	ms->arg = arg;
	ms_send(ms, "query-block", NULL, 0, probe_got);
}

struct json_object *
migstor_request(const struct migstor *ms)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < ms->n; i++) {
		struct json_object *o = obj_str("target", ms->disks[i].target);
		json_object_object_add(o, "size", json_object_new_int64(
		    ms->disks[i].size));
		json_object_array_add(a, o);
	}
	return a;
}

/* ---- mirror ---- */

static void	mirror_next(struct migstor *, struct json_object *);
static void	mirror_poll(struct migstor *, struct json_object *);

static void
mirror_job(struct migstor *ms, struct json_object *ret)
{
	struct msdisk *k = &ms->disks[ms->i];
	struct json_object *a = obj_str("job-id", k->nbd);

	(void)ret;
	k->added = 1;
	json_object_object_add(a, "device", json_object_new_string(k->node));
	json_object_object_add(a, "target", json_object_new_string(k->nbd));
	json_object_object_add(a, "sync", json_object_new_string("full"));
	if (ms->blocking)
		json_object_object_add(a, "copy-mode", json_object_new_string(
		    "write-blocking"));
	if (ms->speed > 0)
		json_object_object_add(a, "speed", json_object_new_int64(
		    ms->speed));
	k->job = 1;
	ms->i++;
	ms_send(ms, "blockdev-mirror", a, 0, mirror_next);
}

/* The next disk's NBD node, or, all started, the polls. */
static void
mirror_next(struct migstor *ms, struct json_object *ret)
{
	(void)ret;
	if (ms->i == ms->n) {
		ms_send(ms, "query-block-jobs", NULL, 0, mirror_poll);
		return;
	}
	struct msdisk *k = &ms->disks[ms->i];
	struct json_object *a = obj_str("driver", "nbd");
	json_object_object_add(a, "node-name", json_object_new_string(k->nbd));
	json_object_object_add(a, "server", json_object_get(ms->nbd));
	json_object_object_add(a, "export", json_object_new_string(k->target));
	ms_send(ms, "blockdev-add", a, 0, mirror_job);
}

static void
mirror_emit(struct migstor *ms, long long done, long long total,
    const char *st)
{
	struct json_object *d = obj_str("job", "copy-storage");

	json_object_object_add(d, "status", json_object_new_string(st));
	json_object_object_add(d, "processed", json_object_new_int64(done));
	json_object_object_add(d, "total", json_object_new_int64(total));
	json_object_object_add(d, "remaining", json_object_new_int64(
	    total - done));
	json_object_object_add(d, "percent", json_object_new_double(total > 0 ?
	    (double)done * 100 / (double)total : 0));
	if (ms->progress != NULL)
		ms->progress(ms->parg, d);
	else
		json_object_put(d);
}

static void
mirror_poll_again(struct migstor *ms, struct json_object *ret)
{
	(void)ret;
	ms_send(ms, "query-block-jobs", NULL, 0, mirror_poll);
}

static void
mirror_poll(struct migstor *ms, struct json_object *ret)
{
	long long done = 0, total = 0;
	size_t ready = 0;

	for (size_t i = 0; i < ms->n; i++) {
		struct json_object *j = job_of(ret, ms->disks[i].nbd);
		if (j == NULL) {
			ms->disks[i].job = 0;
			if (ms->failed[0] != '\0')
				ms_end(ms, "%s", ms->failed);
			else
				ms_end(ms, "the copy of disk %s ended before it "
				    "was complete", ms->disks[i].target);
			return;
		}
		done += jint(j, "offset", 0);
		total += jint(j, "len", 0);
		ready += jbool(j, "ready") ? 1 : 0;
	}
	mirror_emit(ms, done, total, ready == ms->n ? "ready" : "active");
	if (ready == ms->n) {
		log_info("copy-storage: %zu disk(s) mirrored, %lld bytes",
		    ms->n, total);
		ms_end(ms, NULL);
		return;
	}
	ms_later(ms, mirror_poll_again);
}

void
migstor_mirror(struct migstor *ms, struct json_object *nbd,
    migstor_done_fn done, void *arg)
{
	ms->done = done;
	ms->arg = arg;
	if (!json_object_is_type(nbd, json_type_object) ||
	    jstr(nbd, "type") == NULL) {
		ms_end(ms, "the destination gave no NBD server address");
		return;
	}
	ms->nbd = json_object_get(nbd);
	ms->i = 0;
	mirror_next(ms, NULL);
}

/* ---- the end: cancelled jobs gone, then the nodes deleted ---- */

static void	gone_poll(struct migstor *, struct json_object *);

static void
del_next(struct migstor *ms, struct json_object *ret)
{
	(void)ret;
	while (ms->i < ms->n && !ms->disks[ms->i].added)
		ms->i++;
	if (ms->i == ms->n) {
		ms_end(ms, NULL);
		return;
	}
	struct msdisk *k = &ms->disks[ms->i++];
	k->added = 0;
	ms_send(ms, "blockdev-del", obj_str("node-name", k->nbd), 1,
	    del_next);
}

static void
gone_poll_again(struct migstor *ms, struct json_object *ret)
{
	(void)ret;
	ms_send(ms, "query-block-jobs", NULL, 1, gone_poll);
}

/* Until none of the jobs is left (or the bound), then the nodes. */
static void
gone_poll(struct migstor *ms, struct json_object *ret)
{
	size_t left = 0;

	for (size_t i = 0; i < ms->n; i++) {
		if (ret == NULL || job_of(ret, ms->disks[i].nbd) == NULL)
			ms->disks[i].job = 0;
		left += ms->disks[i].job;
	}
	if (left > 0 && ms->tries++ < MS_GONE_TRIES) {
		ms_later(ms, gone_poll_again);
		return;
	}
	if (left > 0)
		log_warnx("copy-storage: %zu job(s) did not end", left);
	ms->i = 0;
	del_next(ms, NULL);
}

/* Each job cancelled (force: also one not ready), then gone_poll. */
static void
cancel_next(struct migstor *ms, struct json_object *ret)
{
	(void)ret;
	while (ms->i < ms->n && !ms->disks[ms->i].job)
		ms->i++;
	if (ms->i == ms->n) {
		size_t jobs = 0;
		for (size_t i = 0; i < ms->n; i++)
			jobs += ms->disks[i].job;
		ms->tries = 0;
		ms->i = 0;
		if (jobs > 0)
			ms_send(ms, "query-block-jobs", NULL, 1, gone_poll);
		else
			del_next(ms, NULL);
		return;
	}
	struct json_object *a = obj_str("device", ms->disks[ms->i++].nbd);
	if (ms->force)
		json_object_object_add(a, "force", json_object_new_boolean(1));
	ms_send(ms, "block-job-cancel", a, 1, cancel_next);
}

/* Before the cancel: every job still there and ready. */
static void
finish_check(struct migstor *ms, struct json_object *ret)
{
	for (size_t i = 0; i < ms->n; i++) {
		struct json_object *j = job_of(ret, ms->disks[i].nbd);
		if (j == NULL || !jbool(j, "ready")) {
			if (ms->failed[0] != '\0')
				ms_end(ms, "%s", ms->failed);
			else
				ms_end(ms, "the copy of disk %s was not in "
				    "step at the end", ms->disks[i].target);
			return;
		}
	}
	ms->i = 0;
	cancel_next(ms, NULL);
}

void
migstor_finish(struct migstor *ms, migstor_done_fn done, void *arg)
{
	ms->phase++;
	ms->done = done;
	ms->arg = arg;
	ms_send(ms, "query-block-jobs", NULL, 0, finish_check);
}

void
migstor_undo(struct migstor *ms, migstor_done_fn done, void *arg)
{
	/* the replies of what ran are dropped from here on */
	ms->phase++;
	if (ms->timer != NULL)
		evtimer_del(ms->timer);
	ms->done = done;
	ms->arg = arg;
	ms->force = 1;
	ms->i = 0;
	cancel_next(ms, NULL);
}
