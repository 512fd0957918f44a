/*
 * The source of a live migration (migrate.h has the whole exchange):
 * migrate, migrate-info and migrate-cancel.
 *
 * migrate connects to the destination's control socket as a client (the
 * qmp library speaks the control protocol too: no greeting, no
 * negotiation), in the loop, never blocking.  Its steps, each reply
 * bringing the next: the machine type QEMU runs, the source QEMU's
 * capabilities and parameters (every option asked for must be there,
 * and the old values are kept for the undo), migrate-prepare on the
 * destination, the same capabilities and parameters here, migrate, then
 * query-migrate every 100 ms (a MIGRATION event wakes it at once) with
 * progress events, until completed; then migrate-finish on the
 * destination, and this QEMU quits; the definition goes unless
 * --keep-source keeps it shut off.
 *
 * Failure anywhere (the destination's QEMU dies, the connection to the
 * destination breaks, migrate-cancel, the timeout, a refusal): the
 * migration is cancelled, the capabilities and parameters set here get
 * their old values, a guest that was running runs on, and the
 * destination is told to drop what it prepared (migrate-abort); the
 * answer is one line saying what happened.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "events.h"
#include "jget.h"
#include "log.h"
#include "migctl.h"
#include "migoff.h"
#include "migrate.h"
#include "migpeer.h"
#include "migresume.h"
#include "migstats.h"
#include "migstor.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "userperm.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

#define MIGOUT_CMD_MS		30000
#define MIGOUT_PEER_MS		5000	/* to connect to the destination */
#define MIGOUT_PREPARE_MS	90000	/* its QEMU starts, under TCG too */
#define MIGOUT_FINISH_MS	90000
#define MIGOUT_POLL_MS		100
#define MIGOUT_EVENT_MS		250	/* progress events at most this often */
#define MIGOUT_OFF_MS		30000
/*
 * The guest is stopped while the source waits for QEMU's figures before
 * migrate-finish: 5 ms steps, not 25 (bench_migrate, 1 GiB TCG guest:
 * the guest-visible downtime was 50-80 ms above raw QEMU's with 25).
 */
#define MIGOUT_SETTLE_TRIES	200	/* 1 s */
#define MIGOUT_SETTLE_MS	5
#define MIGOUT_CANCEL_TRIES	1000	/* 5 s of MIGOUT_SETTLE_MS */
#define MIB			(1024ULL * 1024)
/* QEMU 7.2's default cap (32 MiB/s) is far below what hosts do */
#define MIGOUT_BANDWIDTH	(1ULL << 40)

/* The steps; each reply brings the next. */
enum { MO_MACHINE, MO_QCAPS, MO_QPARAMS, MO_DISKS, MO_PREPARE, MO_MIRROR,
    MO_CAPS, MO_PARAMS, MO_MIGRATE, MO_POLL, MO_STATUS };

struct migout;
typedef void (*migout_next_fn)(struct migout *, struct json_object *ret);

struct migout {
	struct migration	 reg;
	struct daemon		*d;
	struct req		*r;		/* NULL once answered */
	struct vm		*vm;		/* NULL once removed */
	char			 name[65];
	char			 dest[108];	/* its control socket */
	char			 listen[64];
	int			 peer_fd;	/* passed by the client, or -1 */
	struct qmp		*peer;
	int			 peer_heard;	/* it answered once */
	struct json_object	*caps, *params;		/* asked for */
	struct json_object	*qcaps, *qparams;	/* this QEMU's before */
	char			 machine[128];
	char			 uri[160];
	int			 was_running, keep, timeout_s;
	int			 stage;
	migout_next_fn		 next;		/* the QEMU's reply */
	migout_next_fn		 peer_next;	/* the destination's, side by side */
	/* what to undo */
	int			 prepared, caps_set, params_set, migrating;
	int			 completed;	/* QEMU sent everything */
	int			 settle;	/* polls for the final times */
	struct sink		*sink;
	struct event		*timer, *deadline;
	int			 polling;	/* a query-migrate out */
	int			 repoll;	/* a MIGRATION event came meanwhile */
	int			 finish_waits;	/* the destination runs; times to come */
	int64_t			 t0, last_event;
	struct json_object	*last;		/* query-migrate, completed */
	struct migstats		*stats;		/* migstats.h */
	struct migctl		 ctl;		/* postcopy, stall, ... */
	int			 holds;		/* callbacks still to come */
	int			 dead;
	int			 qemu_err;
	struct migstor		*stor;		/* --copy-storage */
	int			 stor_undone;
	int			 pinging;	/* the destination asked */
	int64_t			 last_ping;
	char			 eclass[64];
	char			 edesc[1024];
};

static void	migout_fail(struct migout *, const char *class, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
static void	undo_rest(struct migout *);
static void	undo_poll(struct migout *);
static void	undo_poll_cb(evutil_socket_t, short, void *);

static void
migout_release(struct migout *m)
{
	if (!m->dead || m->holds > 0)
		return;
	if (m->sink != NULL)
		events_unsink(m->d, m->sink);
	if (m->peer != NULL)
		qmp_free(m->peer);
	if (m->peer_fd != -1)
		close(m->peer_fd);
	json_object_put(m->caps);
	json_object_put(m->params);
	json_object_put(m->qcaps);
	json_object_put(m->qparams);
	json_object_put(m->last);
	migstor_free(m->stor);
	migstats_free(m->stats);
	free(m);
}

/*
 * Over: no more polls or timeouts, out of the list.  The sink stays until
 * the record is freed, so that m->vm is cleared if the VM goes while
 * the undo still runs.
 */
static void
migout_unhook(struct migout *m)
{
	if (m->timer != NULL)
		event_free(m->timer);
	m->timer = NULL;
	if (m->deadline != NULL)
		event_free(m->deadline);
	m->deadline = NULL;
	migstats_stop(m->stats);
	migreg_del(m->d, &m->reg);
	m->dead = 1;
}

static struct json_object *
args1(const char *key, struct json_object *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, key, v);
	return o;
}

/* ---- the source's QEMU ---- */

static void
migout_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migout *m = arg;

	m->holds--;
	if (m->dead) {
		migout_release(m);
		return;
	}
	/* QEMU refused migrate itself: there is nothing to cancel */
	if (err != NULL && m->stage == MO_POLL)
		m->migrating = 0;
	if (err == NULL)
		m->next(m, ret);
	else if (strcmp(err->class, ERR_DISCONNECTED) == 0)
		migout_fail(m, ERR_GENERIC, "the source's QEMU went away");
	else if (strcmp(err->class, ERR_TIMEOUT) == 0)
		migout_fail(m, ERR_TIMEOUT, "the source's QEMU did not answer "
		    "in time");
	else {
		m->qemu_err = 1;
		migout_fail(m, err->class, "%s", err->desc);
	}
}

static void
migout_send(struct migout *m, const char *cmd, struct json_object *args,
    migout_next_fn next)
{
	struct qmp *q = m->vm != NULL ? vm_qmp(m->vm) : NULL;

	m->next = next;
	if (q == NULL) {
		json_object_put(args);
		migout_fail(m, ERR_GENERIC, "the source's QEMU is not "
		    "connected");
		return;
	}
	m->holds++;
	if (qmp_execute(q, cmd, args, MIGOUT_CMD_MS, migout_reply, m) == -1) {
		m->holds--;
		migout_fail(m, ERR_GENERIC, "the source's QEMU is not "
		    "connected");
	}
}

/* An undo: nobody waits for its reply. */
static void
migout_undo(struct migout *m, const char *cmd, struct json_object *args)
{
	struct qmp *q = m->vm != NULL ? vm_qmp(m->vm) : NULL;

	if (q == NULL)
		json_object_put(args);
	else
		qmp_execute(q, cmd, args, MIGOUT_CMD_MS, NULL, NULL);
}

/* ---- the destination's supervisor ---- */

static void
peer_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migout *m = arg;

	m->holds--;
	if (m->dead) {
		migout_release(m);
		return;
	}
	if (err == NULL || strcmp(err->class, ERR_DISCONNECTED) != 0)
		m->peer_heard = 1;
	if (err == NULL)
		m->peer_next(m, ret);
	else if (strcmp(err->class, ERR_DISCONNECTED) == 0)
		migout_fail(m, ERR_GENERIC, "%s the destination %s: %s",
		    m->peer_heard ? "lost the connection to" :
		    "cannot connect to", m->dest, err->desc);
	else if (strcmp(err->class, ERR_TIMEOUT) == 0)
		migout_fail(m, ERR_TIMEOUT, "the destination %s did not answer "
		    "in time", m->dest);
	else
		migout_fail(m, err->class, "the destination: %s", err->desc);
}

static void
peer_closed(void *arg, struct qmp *q, const char *why)
{
	struct migout *m = arg;

	(void)q;
	if (!m->dead)
		migout_fail(m, ERR_GENERIC, "%s the destination %s: %s",
		    m->peer_heard ? "lost the connection to" :
		    "cannot connect to", m->dest, why);
}

static int
peer_open(struct migout *m, char *err, size_t errlen)
{
	static const struct qmp_callbacks cbs = { NULL, peer_closed };
	int fd = m->peer_fd;

	m->peer_fd = -1;
	if (migpeer_connect(m->d->base, m->dest, fd, MIGOUT_PEER_MS, &cbs, m,
	    &m->peer) == -1) {
		snprintf(err, errlen, fd != -1 ? "cannot use the connection to "
		    "the destination %s" : "cannot connect to the destination "
		    "%s", m->dest);
		return -1;
	}
	return 0;
}

static void
peer_send(struct migout *m, const char *cmd, struct json_object *args,
    int timeout_ms, migout_next_fn next)
{
	m->peer_next = next;
	m->holds++;
	if (qmp_execute(m->peer, cmd, args, timeout_ms, peer_reply, m) ==
	    -1) {
		m->holds--;
		migout_fail(m, ERR_GENERIC, "lost the connection to the "
		    "destination %s", m->dest);
	}
}

/* ---- failure: undo here, abort there, then the answer ---- */

static void
migout_answer_error(struct migout *m)
{
	if (m->r != NULL) {
		if (m->qemu_err)
			req_qemu_error(m->r, m->eclass, m->edesc);
		else
			req_error(m->r, m->eclass, "migration of '%s' to %s "
			    "failed: %s", m->name, m->dest, m->edesc);
	}
	m->r = NULL;
}

static void
abort_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migout *m = arg;

	(void)ret;
	m->holds--;
	if (err != NULL && strcmp(err->class, ERR_DISCONNECTED) != 0)
		log_warnx("%s: migrate-abort on %s: %s", m->name, m->dest,
		    err->desc);
	migout_answer_error(m);
	migout_release(m);
}

static void
migout_fail(struct migout *m, const char *class, const char *fmt, ...)
{
	va_list ap;

	if (m->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(m->edesc, sizeof(m->edesc), fmt, ap);
	va_end(ap);
	strlcpy(m->eclass, class, sizeof(m->eclass));
	/* in postcopy nothing goes back */
	if (migctl_failing(&m->ctl, m->edesc, sizeof(m->edesc)))
		m->migrating = 0;
	log_warnx("%s: migration to %s failed: %s", m->name, m->dest,
	    m->edesc);
	migout_unhook(m);
	if (m->migrating && m->vm != NULL && vm_active(m->vm)) {
		/* the settings go back once QEMU has stopped migrating */
		migout_undo(m, "migrate_cancel", NULL);
		m->settle = 0;
		undo_poll(m);
		return;
	}
	undo_rest(m);
}

/* --copy-storage's undo is over: the rest of it. */
static void
stor_undone(void *arg, const char *err)
{
	struct migout *m = arg;

	(void)err;
	m->holds--;
	undo_rest(m);
}

/* The rest of the undo, once QEMU is not migrating; then the answer. */
static void
undo_rest(struct migout *m)
{
	if (m->stor != NULL && !m->stor_undone) {
		m->stor_undone = 1;
		m->holds++;
		migstor_undo(m->stor, stor_undone, m);
		return;
	}
	if (m->vm != NULL && vm_active(m->vm)) {
		if (m->caps_set)
			migout_undo(m, "migrate-set-capabilities",
			    args1("capabilities", migopt_old_caps(m->qcaps,
			    m->caps)));
		if (m->params_set)
			migout_undo(m, "migrate-set-parameters",
			    migopt_old_params(m->qparams, m->params));
		/* after completion QEMU is paused (postmigrate) */
		if ((m->completed || migctl_resume_source(&m->ctl)) &&
		    m->was_running)
			migout_undo(m, "cont", NULL);
	}
	if (m->prepared && m->peer != NULL && !m->ctl.split) {
		m->holds++;
		if (qmp_execute(m->peer, "migrate-abort", args1("name",
		    json_object_new_string(m->name)), MIGOUT_CMD_MS,
		    abort_reply, m) != -1)
			return;
		m->holds--;
	}
	migout_answer_error(m);
	migout_release(m);
}

static void
undo_poll_reply(void *arg, struct json_object *ret,
    const struct qmp_error *err)
{
	struct migout *m = arg;
	const char *st = err == NULL ? jstr(ret, "status") : NULL;

	m->holds--;
	/* QEMU migrates on while active or cancelling (5 s at most) */
	if (st != NULL && (strcmp(st, "cancelling") == 0 ||
	    strcmp(st, "active") == 0 || strcmp(st, "setup") == 0 ||
	    strcmp(st, "device") == 0 || strcmp(st, "pre-switchover") == 0) &&
	    m->settle++ < MIGOUT_CANCEL_TRIES) {
		struct timeval tv = { 0, MIGOUT_SETTLE_MS * 1000 };
		m->holds++;
		event_base_once(m->d->base, -1, EV_TIMEOUT, undo_poll_cb, m,
		    &tv);
		return;
	}
	undo_rest(m);
}

static void
undo_poll(struct migout *m)
{
	struct qmp *q = m->vm != NULL ? vm_qmp(m->vm) : NULL;

	m->holds++;
	if (q == NULL || qmp_execute(q, "query-migrate", NULL, MIGOUT_CMD_MS,
	    undo_poll_reply, m) == -1) {
		m->holds--;
		undo_rest(m);
	}
}

static void
undo_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct migout *m = arg;

	(void)fd;
	(void)what;
	m->holds--;
	undo_poll(m);
}

/* The VM's events: its QEMU gone; MIGRATION wakes the poll. */
static void
migout_sink(void *arg, const struct vm_event *ev)
{
	struct migout *m = arg;

	if (ev->vm != m->vm)
		return;
	if (ev->kind == VMEV_REMOVED) {
		m->vm = NULL;
		migout_fail(m, ERR_GENERIC, "the VM was removed");
	} else if (m->dead)
		return;
	else if (ev->kind == VMEV_STOPPED)
		migout_fail(m, ERR_GENERIC, "the source's QEMU exited");
	else if (ev->kind == VMEV_MESSAGE && ev->name != NULL &&
	    strcmp(ev->name, "MIGRATION") == 0 && m->timer != NULL) {
		/*
		 * A poll in flight may have been answered before this change
		 * (the last "active" before "completed"): then poll again at
		 * once, not a MIGOUT_POLL_MS later, since the guest waits.
		 */
		if (m->polling)
			m->repoll = 1;
		else
			event_active(m->timer, EV_TIMEOUT, 0);
	}
	else if (ev->kind == VMEV_MESSAGE && ev->name != NULL &&
	    strcmp(ev->name, "MIGRATION_PASS") == 0)
		migstats_pass(m->stats);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct migout *m = arg;

	(void)fd;
	(void)what;
	if (m->vm != NULL && migctl_timeout(&m->ctl, vm_qmp(m->vm)) == 0)
		return;
	migout_fail(m, ERR_TIMEOUT, "it did not complete in %d s, so it "
	    "was cancelled", m->timeout_s);
}

/* ---- success ---- */

static struct json_object *
migout_stats(struct migout *m, struct json_object *ret)
{
	struct json_object *ram = jget(ret, "ram"), *s = json_object_new_object();

	json_object_object_add(s, "destination", json_object_new_string(
	    m->dest));
	json_object_object_add(s, "uri", json_object_new_string(m->uri));
	json_object_object_add(s, "machine", json_object_new_string(
	    m->machine));
	job_figures(s, ret, m->t0);
	json_object_object_add(s, "setup_time_ms", json_object_new_int64(
	    jint(ret, "setup-time", 0)));
	json_object_object_add(s, "mbps", json_object_new_double(
	    jget(ram, "mbps") != NULL ? json_object_get_double(jget(ram,
	    "mbps")) : 0));
	json_object_object_add(s, "passes", json_object_new_int64(
	    jint(ram, "dirty-sync-count", 0)));
	json_object_object_add(s, "kept_source", json_object_new_boolean(
	    m->keep));
	migstats_summary(m->stats, s, ret);
	migctl_stats(&m->ctl, s);
	return s;
}

static void
migout_answer(void *arg)
{
	struct migout *m = arg;

	m->holds--;
	req_return(m->r, migout_stats(m, m->last));
	m->r = NULL;
	migout_release(m);
}

static void
migout_gone(struct migout *m)
{
	struct vm *vm = m->vm;
	char err[512];

	/* the heartbeat's last tick here first, while the VM is there */
	m->holds++;
	migstats_finish(m->stats, vm, migout_answer, m);
	if (!m->keep && vm != NULL && vm_find(m->d, m->name) == vm &&
	    !vm_active(vm) && vm_undefine(vm, err, sizeof(err)) == -1)
		log_warnx("%s: after the migration: %s", m->name, err);
}

struct migout_once {
	struct migout	*m;
};

static void
gone_cb(evutil_socket_t fd, short what, void *arg)
{
	struct migout_once *o = arg;
	struct migout *m = o->m;

	(void)fd;
	(void)what;
	free(o);
	m->holds--;
	migout_gone(m);
}

static void
migout_off(struct vm *vm, void *arg, int ok, const char *why)
{
	struct migout *m = arg;
	struct migout_once *o = xcalloc(1, sizeof(*o));
	struct timeval now = { 0, 0 };

	if (!ok)
		log_warnx("%s: after the migration: %s", vm->name, why);
	/* out of the VM core's callback: undefine on the next turn */
	o->m = m;
	event_base_once(m->d->base, -1, EV_TIMEOUT, gone_cb, o, &now);
}

/* The destination runs the guest: this QEMU goes. */
static void
migout_finished(struct migout *m, struct json_object *ret)
{
	struct vm *vm = m->vm;

	(void)ret;
	if (vm == NULL) {
		migout_fail(m, ERR_GENERIC, "the VM was removed");
		return;
	}
	/* QEMU's times first (migout_status), while this QEMU is there */
	if (m->last == NULL) {
		m->finish_waits = 1;
		return;
	}
	log_info("%s: migrated to %s in %lld ms", m->name, m->dest,
	    (long long)(mono_ms() - m->t0));
	migout_unhook(m);
	m->holds++;
	vm_destroy(vm, "migrated");
	vm_wait(vm, 1, MIGOUT_OFF_MS, migout_off, m);
}

/* ---- the steps ---- */

static void	migout_step(struct migout *, struct json_object *);

static void
migout_progress(struct migout *m, const char *st, struct json_object *ret)
{
	struct json_object *ram = jget(ret, "ram"), *v;
	int64_t now = mono_ms();

	if (now - m->last_event < MIGOUT_EVENT_MS && !m->ctl.news)
		return;
	m->last_event = now;
	long long total = jint(ram, "total", 0), left = jint(ram,
	    "remaining", 0);
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "job", json_object_new_string("migrate"));
	json_object_object_add(d, "status", json_object_new_string(st));
	json_object_object_add(d, "processed", json_object_new_int64(
	    jint(ram, "transferred", 0)));
	json_object_object_add(d, "remaining", json_object_new_int64(left));
	json_object_object_add(d, "total", json_object_new_int64(total));
	json_object_object_add(d, "percent", json_object_new_double(total > 0 &&
	    left <= total ? (double)(total - left) * 100 / (double)total : 0));
	json_object_object_add(d, "mbps", json_object_new_double(
	    (v = jget(ram, "mbps")) != NULL ? json_object_get_double(v) : 0));
	json_object_object_add(d, "pass", json_object_new_int64(
	    jint(ram, "dirty-sync-count", 0)));
	vm_emit(m->vm, EV_JOB_PROGRESS, json_object_get(d));
	req_event(m->r, EV_JOB_PROGRESS, d);
}

static void
poll_timer(evutil_socket_t fd, short what, void *arg)
{
	struct migout *m = arg;

	(void)fd;
	(void)what;
	if (m->dead || m->polling)
		return;
	m->polling = 1;
	migout_send(m, "query-migrate", NULL, migout_step);
}

static void
migout_finish_peer(struct migout *m)
{
	peer_send(m, "migrate-finish", args1("name",
	    json_object_new_string(m->name)), MIGOUT_FINISH_MS,
	    migout_finished);
}

/* --copy-storage: the copies are complete and let go of. */
static void
stor_finished(void *arg, const char *err)
{
	struct migout *m = arg;

	if (m->dead)
		return;
	if (err != NULL)
		migout_fail(m, ERR_GENERIC, "%s", err);
	else
		migout_finish_peer(m);
}

/* --copy-storage: the disks' sizes known, or every mirror job ready. */
static void
stor_step(void *arg, const char *err)
{
	struct migout *m = arg;

	if (m->dead)
		return;
	if (err != NULL)
		migout_fail(m, ERR_GENERIC, "%s", err);
	else
		migout_step(m, NULL);
}

static void
stor_ping_reply(void *arg, struct json_object *ret,
    const struct qmp_error *err)
{
	struct migout *m = arg;

	(void)ret;
	m->holds--;
	m->pinging = 0;
	if (m->dead)
		migout_release(m);
	else if (err != NULL && strcmp(err->class, ERR_DISCONNECTED) != 0 &&
	    strcmp(err->class, ERR_TIMEOUT) != 0)
		migout_fail(m, ERR_GENERIC, "the destination dropped its side: "
		    "%s", err->desc);
}

/*
 * The disk copy's progress, as migrate's own.  Each second the
 * destination is asked whether its side still stands: a QEMU that died
 * there shows at once, not at the mirror's next write (which
 * --bandwidth may put seconds away).
 */
static void
stor_progress(void *arg, struct json_object *d)
{
	struct migout *m = arg;

	if (m->peer != NULL && !m->pinging && mono_ms() - m->last_ping >=
	    1000) {
		m->last_ping = mono_ms();
		m->pinging = 1;
		m->holds++;
		if (qmp_execute(m->peer, "migrate-info", args1("name",
		    json_object_new_string(m->name)), MIGOUT_CMD_MS,
		    stor_ping_reply, m) == -1) {
			m->holds--;
			m->pinging = 0;
		}
	}
	if (m->vm != NULL)
		vm_emit(m->vm, EV_JOB_PROGRESS, json_object_get(d));
	req_event(m->r, EV_JOB_PROGRESS, d);
}

static void
migout_status(struct migout *m, struct json_object *ret)
{
	const char *st = jstr(ret, "status");

	m->polling = 0;
	migstats_seen(m->stats, ret);
	if (st != NULL && strcmp(st, "completed") == 0) {
		/*
		 * The guest waits until the destination runs it: the finish
		 * goes at once, and QEMU's times, which it has a moment after
		 * it says completed (total-time, downtime still 0), are
		 * asked for meanwhile, a few times; migout_finished waits
		 * for them before this QEMU goes.
		 */
		if (!m->completed) {
			m->migrating = 0;
			m->completed = 1;
			if (m->stor != NULL)
				migstor_finish(m->stor, stor_finished, m);
			else
				migout_finish_peer(m);
			if (m->dead)
				return;
		}
		if (jint(ret, "total-time", 0) == 0 && m->settle++ <
		    MIGOUT_SETTLE_TRIES) {
			struct timeval tv = { 0, MIGOUT_SETTLE_MS * 1000 };
			evtimer_add(m->timer, &tv);
			return;
		}
		m->last = json_object_get(ret);
		migstats_end(m->stats, ret);
		migout_progress(m, st, ret);
		if (m->finish_waits) {
			m->finish_waits = 0;
			migout_finished(m, NULL);
		}
		return;
	}
	char err[512];
	if (migctl_poll(&m->ctl, vm_qmp(m->vm), ret, m->uri, err,
	    sizeof(err)) == -1) {
		migout_fail(m, ERR_GENERIC, "%s", err);
		return;
	}
	if (st == NULL || strcmp(st, "failed") == 0 ||
	    strcmp(st, "cancelled") == 0) {
		const char *why = jstr(ret, "error-desc");
		m->migrating = 0;
		migout_fail(m, ERR_GENERIC, "QEMU's migration %s%s%s",
		    st != NULL ? st : "has no status", why != NULL ? ": " : "",
		    why != NULL ? why : "");
		return;
	}
	migout_progress(m, st, ret);
	struct timeval tv = { 0, m->repoll ? 0 : MIGOUT_POLL_MS * 1000 };
	m->repoll = 0;
	evtimer_add(m->timer, &tv);
}

static void
migout_step(struct migout *m, struct json_object *ret)
{
	char err[1024];

	if (m->stage == MO_STATUS) {
		migout_status(m, ret);
		return;
	}
	switch (m->stage++) {
	case MO_MACHINE: {
		struct json_object *a = args1("path", json_object_new_string(
		    "/machine"));
		json_object_object_add(a, "property", json_object_new_string(
		    "type"));
		migout_send(m, "qom-get", a, migout_step);
		break;
	}
	case MO_QCAPS:
		if (migopt_machine(ret, m->machine, sizeof(m->machine)) == -1) {
			migout_fail(m, ERR_GENERIC, "QEMU's machine type '%s' "
			    "is not understood", json_object_get_string(ret));
			break;
		}
		migout_send(m, "query-migrate-capabilities", NULL,
		    migout_step);
		break;
	case MO_QPARAMS:
		m->qcaps = json_object_get(ret);
		migout_send(m, "query-migrate-parameters", NULL, migout_step);
		break;
	case MO_DISKS:
		m->qparams = json_object_get(ret);
		if (m->stor != NULL)
			migstor_probe(m->stor, stor_step, m);
		else
			migout_step(m, NULL);
		break;
	case MO_PREPARE: {
		if (migopt_check(m->qcaps, m->qparams, m->caps, m->params,
		    "source", err, sizeof(err)) == -1) {
			migout_fail(m, ERR_GENERIC, "%s", err);
			break;
		}
		if (peer_open(m, err, sizeof(err)) == -1) {
			migout_fail(m, ERR_GENERIC, "%s", err);
			break;
		}
		struct json_object *a = json_object_new_object();
		char *text = vmdef_text(m->vm->def);
		json_object_object_add(a, "text", json_object_new_string(text));
		free(text);
		json_object_object_add(a, "machine", json_object_new_string(
		    m->machine));
		json_object_object_add(a, "capabilities", json_object_get(
		    m->caps));
		json_object_object_add(a, "parameters", json_object_get(
		    m->params));
		json_object_object_add(a, "paused", json_object_new_boolean(
		    !m->was_running));
		if (m->listen[0] != '\0')
			json_object_object_add(a, "listen",
			    json_object_new_string(m->listen));
		if (m->stor != NULL)
			json_object_object_add(a, "copy_storage",
			    migstor_request(m->stor));
		/* the destination undoes its half from the request on */
		m->prepared = 1;
		peer_send(m, "migrate-prepare", a, MIGOUT_PREPARE_MS,
		    migout_step);
		break;
	}
	case MO_MIRROR: {
		const char *uri = jstr(ret, "uri");
		if (uri == NULL || strlen(uri) >= sizeof(m->uri)) {
			migout_fail(m, ERR_GENERIC, "the destination gave no "
			    "usable URI");
			break;
		}
		strlcpy(m->uri, uri, sizeof(m->uri));
		if (m->stor != NULL)
			migstor_mirror(m->stor, jget(ret, "nbd"), stor_step, m);
		else
			migout_step(m, NULL);
		break;
	}
	case MO_CAPS: {
		m->caps_set = 1;
		migout_send(m, "migrate-set-capabilities", args1(
		    "capabilities", migopt_with_events(m->qcaps, m->caps)), migout_step);
		break;
	}
	case MO_PARAMS:
		m->params_set = 1;
		migout_send(m, "migrate-set-parameters", json_object_get(
		    m->params), migout_step);
		break;
	case MO_MIGRATE:
		/* QEMU 7.2 takes "uri" only */
		m->migrating = 1;
		migout_send(m, "migrate", args1("uri", json_object_new_string(
		    m->uri)), migout_step);
		break;
	case MO_POLL:
		migstats_go(m->stats, m->peer, m->qcaps, m->qparams, m->caps,
		    m->params);
		m->timer = evtimer_new(m->d->base, poll_timer, m);
		m->polling = 1;
		migout_send(m, "query-migrate", NULL, migout_step);
		break;
	}
}

/* ---- migrate ---- */

/* The source's QEMU takes the values asked (migctl.h): the steps begin. */
static void
migout_probed(void *arg, const char *err)
{
	struct migout *m = arg;

	m->holds--;
	if (m->dead)
		migout_release(m);
	else if (err != NULL)
		migout_fail(m, ERR_GENERIC, "%s", err);
	else
		migout_step(m, NULL);
}

/*
 * The options as QEMU's capabilities and parameters; -1 answered.
 * bandwidth MiB/s (0: lifted), downtime ms, multifd channels.
 */
static int
migout_options(struct req *r, struct migout *m)
{
	static const struct {
		const char	*arg, *param;
		long long	 min, max;
	} nums[] = {
		{ "downtime", "downtime-limit", 1, 2000000 },
		{ "multifd", "multifd-channels", 1, 255 },
	};
	long long v;

	m->caps = json_object_new_array();
	m->params = json_object_new_object();
	/* all of them, on or off: a QEMU that was a destination keeps its */
	migopt_add_cap(m->caps, "auto-converge", req_bool(r, "auto_converge"));
	migopt_add_cap(m->caps, "xbzrle", req_bool(r, "xbzrle"));
	migopt_add_cap(m->caps, "multifd", jget(r->args, "multifd") != NULL);
	if (jint_range(r->args, "bandwidth", 1, 1 << 20, &v) == -2) {
		req_error(r, ERR_GENERIC, "migrate: bandwidth is MiB/s, "
		    "1 to %d", 1 << 20);
		return -1;
	}
	json_object_object_add(m->params, "max-bandwidth",
	    json_object_new_uint64(jget(r->args, "bandwidth") != NULL ?
	    (uint64_t)v * MIB : MIGOUT_BANDWIDTH));
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (jget(r->args, nums[i].arg) == NULL)
			continue;
		if (jint_range(r->args, nums[i].arg, nums[i].min, nums[i].max,
		    &v) != 0) {
			req_error(r, ERR_GENERIC, "migrate: %s is %lld to %lld",
			    nums[i].arg, nums[i].min, nums[i].max);
			return -1;
		}
		json_object_object_add(m->params, nums[i].param,
		    json_object_new_int64(v));
	}
	if (jint_range(r->args, "timeout", 1, 86400 * 7, &v) == -2) {
		req_error(r, ERR_GENERIC, "migrate: timeout is 1 to %d s",
		    86400 * 7);
		return -1;
	}
	m->timeout_s = jget(r->args, "timeout") != NULL ? (int)v : 0;
	char err[512];
	if (migctl_parse(&m->ctl, r->args, m->caps, m->params, err,
	    sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "migrate: %s", err);
		return -1;
	}
	return 0;
}

/* dest is another qlaunchd's control socket; -1 answered. */
static int
dest_socket_ok(struct req *r, const char *dest)
{
	if (dest == NULL || *dest != '/' || strlen(dest) >= 108) {
		req_error(r, ERR_GENERIC, "migrate: the destination is the "
		    "absolute path of another qlaunchd's control socket "
		    "(under 108 bytes)");
		return -1;
	}
	struct stat st;
	int serr = stat(dest, &st) == -1 ? errno : 0;
	if (serr != 0 || !S_ISSOCK(st.st_mode)) {
		req_error(r, ERR_GENERIC, "migrate: cannot connect to the "
		    "destination %s: %s", dest, serr != 0 ? strerror(serr) :
		    "not a socket");
		return -1;
	}
	if (strcmp(dest, r->d->sock) == 0) {
		req_error(r, ERR_GENERIC, "migrate: %s is this supervisor's "
		    "own socket", dest);
		return -1;
	}
	/*
	 * The supervisor reaches the destination as root: only for a user
	 * who could reach it too (else a user would place VMs on a
	 * supervisor it has no access to).
	 */
	int e;
	if (!uid_is_admin(r->d, r->uid) &&
	    (e = user_may_access(r->uid, dest, W_OK)) != 0) {
		req_error(r, ERR_PERMISSION, "migrate: the destination %s: %s "
		    "(a user migrates only to a supervisor it may reach)",
		    dest, strerror(e));
		return -1;
	}
	return 0;
}

/*
 * {"name", "dest": the destination's control socket (with "peer_fd":
 * true, a name for the connection passed along, see migpeer.h),
 * "bandwidth", "downtime", "auto_converge", "xbzrle", "multifd",
 * "timeout", "keep_source", "listen", "stats", "stats_interval",
 * "copy_storage", "offline" (migoff.h)}
 */
static void
d_migrate(struct req *r, struct vm *vm)
{
	const char *dest = req_str(r, "dest"), *listen = req_str(r, "listen");
	int pfd = -1;

	/* what the table's NEEDS_QMP said before --offline */
	if (!req_bool(r, "offline") && vm_qmp(vm) == NULL) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s and its QMP "
		    "connection is not ready", vm->name,
		    vm_state_name(vm->state));
		return;
	}
	if (req_bool(r, "peer_fd") && dest == NULL)
		dest = "(a passed connection)";
	if (!req_bool(r, "peer_fd") && dest_socket_ok(r, dest) == -1)
		return;
	if (listen != NULL && strlen(listen) >= 64) {
		req_error(r, ERR_GENERIC, "migrate: the listen address is too "
		    "long");
		return;
	}
	if (migreg_find(r->d, vm) != NULL) {
		req_error(r, ERR_IN_USE, "VM '%s' is migrating already",
		    vm->name);
		return;
	}
	if (req_bool(r, "postcopy_resume")) {
		if (migpeer_take(r, &pfd) != -1)
			migresume_start(r, vm, dest, listen, pfd);
		return;
	}
	if (req_bool(r, "offline")) {
		if (migpeer_take(r, &pfd) != -1)
			migoff_start(r, vm, dest, listen, pfd);
		return;
	}
	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s; only a running "
		    "or paused VM migrates live", vm->name,
		    vm_state_name(vm->state));
		return;
	}
	/* an unclaimed descriptor is closed after the request */
	if (migpeer_take(r, &pfd) == -1)
		return;
	struct migout *m = xcalloc(1, sizeof(*m));
	m->d = r->d;
	m->vm = vm;
	m->peer_fd = pfd;
	strlcpy(m->name, vm->name, sizeof(m->name));
	strlcpy(m->dest, dest, sizeof(m->dest));
	if (listen != NULL)
		strlcpy(m->listen, listen, sizeof(m->listen));
	if (migout_options(r, m) == -1 ||
	    (m->stats = migstats_new(r, vm, mono_ms())) == NULL) {
		m->dead = 1;
		migout_release(m);
		return;
	}
	m->r = r;
	m->keep = req_bool(r, "keep_source");
	m->was_running = vm->state == VM_RUNNING;
	/* --bandwidth bounds the disks' copy too, as libvirt's */
	if (req_bool(r, "copy_storage"))
		m->stor = migstor_new(r->d, vm, (long long)jint(r->args,
		    "bandwidth", 0) * (long long)MIB, req_bool(r, "postcopy"),
		    stor_progress, m);
	m->t0 = mono_ms();
	migreg_add(r->d, &m->reg, vm, 0, m);
	m->reg.ctl = &m->ctl;
	m->sink = events_sink(r->d, migout_sink, m);
	if (m->timeout_s > 0) {
		struct timeval tv = { m->timeout_s, 0 };
		m->deadline = evtimer_new(r->d->base, deadline_cb, m);
		evtimer_add(m->deadline, &tv);
	}
	m->holds++;
	if (migctl_probe(vm_qmp(vm), m->params, "source", migout_probed, m)) {
		m->holds--;
		migout_step(m, NULL);
	}
}

/* {"name"}: the migration under way is cancelled. */
static void
d_migrate_cancel(struct req *r, struct vm *vm)
{
	struct migration *g = migreg_find(r->d, vm);

	if (g == NULL || g->incoming) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is not migrating "
		    "from here", vm->name);
		return;
	}
	/* virsh's domjobabort --postcopy: the stream stops, both QEMUs wait */
	if (req_bool(r, "postcopy")) {
		if (g->ctl == NULL || !g->ctl->in_postcopy) {
			req_error(r, ERR_INVALID_STATE, "VM '%s' is not in "
			    "postcopy", vm->name);
			return;
		}
		cmd_qmp(r, vm, "migrate-pause", NULL, reply_qmp_ok);
		return;
	}
	if (g->cancel != NULL) {
		g->cancel(g, "cancelled by the user");
		req_return(r, NULL);
		return;
	}
	if (g->ctl != NULL && g->ctl->in_postcopy) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is in postcopy: its "
		    "memory is split across both hosts, so the migration "
		    "cannot be cancelled; it can only finish", vm->name);
		return;
	}
	migout_fail(g->self, ERR_GENERIC, "cancelled by the user");
	req_return(r, NULL);
}

static void
info_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct req *r = arg;
	struct json_object *ram, *o, *v;

	if (err != NULL) {
		reply_qmp_pass(r, ret, err);
		return;
	}
	ram = jget(ret, "ram");
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(
	    jstr_or(ret, "status", "none")));
	static const struct {
		const char	*key, *from;
		int		 in_ram;
	} f[] = {
		{ "time_elapsed_ms", "total-time", 0 },
		{ "setup_time_ms", "setup-time", 0 },
		{ "expected_downtime_ms", "expected-downtime", 0 },
		{ "downtime_ms", "downtime", 0 },
		{ "data_processed", "transferred", 1 },
		{ "data_remaining", "remaining", 1 },
		{ "data_total", "total", 1 },
		{ "dirty_rate_pages", "dirty-pages-rate", 1 },
		{ "passes", "dirty-sync-count", 1 },
		{ "page_size", "page-size", 1 },
		{ "postcopy_requests", "postcopy-requests", 1 },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if ((v = jget(f[i].in_ram ? ram : ret, f[i].from)) != NULL)
			json_object_object_add(o, f[i].key,
			    json_object_new_int64(json_object_get_int64(v)));
	if ((v = jget(ram, "mbps")) != NULL)
		json_object_object_add(o, "mbps", json_object_new_double(
		    json_object_get_double(v)));
	if ((v = jget(ret, "error-desc")) != NULL)
		json_object_object_add(o, "error", json_object_get(v));
	migstats_info(r->d, vm_find(r->d, req_str(r, "name")), o);
	req_return(r, o);
}

/* {"name"}: domjobinfo, from query-migrate. */
static void
d_migrate_info(struct req *r, struct vm *vm)
{
	cmd_qmp(r, vm, "query-migrate", NULL, info_reply);
}

const struct dcmd dcmds_migrate[] = {
	/* NEEDS_QMP for a live one only (--offline: shut off) */
	{ "migrate",		d_migrate,		NEEDS_VM },
	{ "migrate-cancel",	d_migrate_cancel,	NEEDS_VM },
	{ "migrate-info",	d_migrate_info,		NEEDS_VM | NEEDS_QMP },
	{ NULL, NULL, 0 }
};
