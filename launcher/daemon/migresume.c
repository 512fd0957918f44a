/*
 * Postcopy recovery (migrate --postcopy-resume, as virsh's): when the
 * stream breaks in postcopy, both QEMUs stop in postcopy-paused, the
 * guest's memory split between them, and both supervisors keep their
 * VM as it is (cmd-migrate.c's split, migrate-in.c's orphan).  Once the
 * network is back:
 *
 *   source                                  destination
 *   query-migrate: postcopy-paused
 *   migrate-recover {name, listen}    -->   its MIGRATION events say
 *                                           postcopy-paused (if still
 *                                           postcopy-active: migrate-pause
 *                                           out of band, then wait),
 *                                           migrate-recover {uri} out of
 *                                           band
 *                                     <--   {uri}
 *   QMP migrate {uri, resume: true}
 *   query-migrate until completed
 *   QEMU quits, undefine (or kept shut off with --keep-source)
 *
 * A stream that breaks again leaves both paused again, for another try.
 * While it runs the VM is in the daemon's migration list, as in postcopy
 * (migrate-cancel is refused: the memory is split).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "log.h"
#include "migctl.h"
#include "migpeer.h"
#include "migrate.h"
#include "migresume.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

#define MR_CMD_MS	30000
#define MR_PEER_MS	5000
#define MR_POLL_MS	100
#define MR_OFF_MS	30000
#define MR_RESOLVE_MS	5000
#define MR_START_MS	10000	/* QEMU leaves postcopy-paused */

/* ---- the source ---- */

struct migres;
typedef void (*mr_next_fn)(struct migres *, struct json_object *ret);

struct migres {
	struct daemon		*d;
	struct req		*r;
	struct vm		*vm;
	char			 name[65];
	char			 dest[108];
	char			 listen[64];
	char			 uri[PATH_MAX + 16];
	int			 keep;
	struct qmp		*peer;
	struct migration	 reg;
	struct migctl		 ctl;		/* in postcopy: no cancel */
	struct event		*timer;
	mr_next_fn		 next;
	int64_t			 t0, resumed;	/* when migrate resume went */
	int			 moved;		/* QEMU left postcopy-paused */
	int			 holds, dead;
};

static void
mr_release(struct migres *m)
{
	if (!m->dead || m->holds > 0)
		return;
	if (m->timer != NULL)
		event_free(m->timer);
	if (m->peer != NULL)
		qmp_free(m->peer);
	free(m);
}

static void
mr_end(struct migres *m)
{
	if (m->vm != NULL)
		migreg_del(m->d, &m->reg);
	m->vm = NULL;
	m->r = NULL;
	m->dead = 1;
	mr_release(m);
}

static void	mr_fail(struct migres *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
mr_fail(struct migres *m, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	if (m->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("%s: postcopy resume to %s failed: %s", m->name, m->dest,
	    why);
	req_error(m->r, ERR_GENERIC, "resuming the postcopy migration of "
	    "'%s' to %s failed: %s; both QEMUs stay paused in postcopy "
	    "(migrate --postcopy-resume again)", m->name, m->dest, why);
	mr_end(m);
}

static void
mr_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migres *m = arg;

	m->holds--;
	if (m->dead) {
		mr_release(m);
		return;
	}
	if (err == NULL)
		m->next(m, ret);
	else
		mr_fail(m, "%s", err->desc);
}

/* cmd on this QEMU (peer 0) or to the destination (peer 1) */
static void
mr_send(struct migres *m, int peer, const char *cmd, struct json_object *a,
    mr_next_fn next)
{
	struct qmp *q = peer ? m->peer : m->vm != NULL ? vm_qmp(m->vm) : NULL;

	m->next = next;
	if (q == NULL) {
		json_object_put(a);
		mr_fail(m, "%s is not connected", peer ? "the destination" :
		    "the source's QEMU");
		return;
	}
	m->holds++;
	if (qmp_execute(q, cmd, a, MR_CMD_MS, mr_reply, m) == -1) {
		m->holds--;
		mr_fail(m, "%s is not connected", peer ? "the destination" :
		    "the source's QEMU");
	}
}

static struct json_object *
name_args(const char *name)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	return o;
}

static void
mr_gone(struct vm *vm, void *arg, int ok, const char *why)
{
	struct migres *m = arg;
	char err[512];

	m->holds--;
	if (!ok)
		log_warnx("%s: after the postcopy resume: %s", vm->name, why);
	if (!m->keep && vm_find(m->d, m->name) == vm && !vm_active(vm) &&
	    vm_undefine(vm, err, sizeof(err)) == -1)
		log_warnx("%s: after the postcopy resume: %s", m->name, err);
	m->dead = 1;
	mr_release(m);
}

static void	mr_poll(struct migres *);

static void
mr_status(struct migres *m, struct json_object *ret)
{
	const char *st = jstr_or(ret, "status", "");

	if (strcmp(st, "completed") == 0) {
		struct json_object *o = json_object_new_object();
		struct vm *vm = m->vm;
		json_object_object_add(o, "destination",
		    json_object_new_string(m->dest));
		json_object_object_add(o, "uri", json_object_new_string(
		    m->uri));
		json_object_object_add(o, "postcopy_resumed",
		    json_object_new_boolean(1));
		json_object_object_add(o, "kept_source",
		    json_object_new_boolean(m->keep));
		json_object_object_add(o, "time_elapsed_ms",
		    json_object_new_int64(mono_ms() - m->t0));
		log_info("%s: postcopy migration to %s resumed and completed "
		    "in %lld ms", m->name, m->dest, (long long)(mono_ms() -
		    m->t0));
		req_return(m->r, o);
		m->r = NULL;
		migreg_del(m->d, &m->reg);
		m->vm = NULL;
		m->holds++;
		vm_destroy(vm, "migrated");
		vm_wait(vm, 1, MR_OFF_MS, mr_gone, m);
		return;
	}
	/* QEMU takes a moment to leave postcopy-paused; after, it broke */
	int waiting = strcmp(st, "postcopy-paused") == 0 && !m->moved &&
	    mono_ms() - m->resumed < MR_START_MS;
	if (strcmp(st, "postcopy-active") == 0 ||
	    strcmp(st, "postcopy-recover") == 0)
		m->moved = 1;
	else if (!waiting) {
		const char *why = jstr(ret, "error-desc");
		mr_fail(m, "QEMU's migration is %s%s%s", st[0] ? st : "gone",
		    why != NULL ? ": " : "", why != NULL ? why : "");
		return;
	}
	struct timeval tv = { 0, MR_POLL_MS * 1000 };
	evtimer_add(m->timer, &tv);
}

static void
mr_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mr_poll(arg);
}

static void
mr_poll(struct migres *m)
{
	mr_send(m, 0, "query-migrate", NULL, mr_status);
}

static void
mr_resumed(struct migres *m, struct json_object *ret)
{
	(void)ret;
	m->resumed = mono_ms();
	mr_poll(m);
}

/* The destination listens again: this QEMU resumes its stream there. */
static void
mr_recovering(struct migres *m, struct json_object *ret)
{
	const char *uri = jstr(ret, "uri");

	if (uri == NULL || strlcpy(m->uri, uri, sizeof(m->uri)) >=
	    sizeof(m->uri)) {
		mr_fail(m, "the destination gave no URI");
		return;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "uri", json_object_new_string(m->uri));
	json_object_object_add(a, "resume", json_object_new_boolean(1));
	mr_send(m, 0, "migrate", a, mr_resumed);
}

static void
mr_checked(struct migres *m, struct json_object *ret)
{
	const char *st = jstr_or(ret, "status", "none");

	if (strcmp(st, "postcopy-paused") != 0) {
		req_error(m->r, ERR_INVALID_STATE, "VM '%s' has no paused "
		    "postcopy migration here (its migration is %s)", m->name,
		    st);
		mr_end(m);
		return;
	}
	struct json_object *a = name_args(m->name);
	if (m->listen[0] != '\0')
		json_object_object_add(a, "listen", json_object_new_string(
		    m->listen));
	mr_send(m, 1, "migrate-recover", a, mr_recovering);
}

static void
mr_peer_closed(void *arg, struct qmp *q, const char *why)
{
	struct migres *m = arg;

	(void)q;
	if (!m->dead && m->r != NULL)
		mr_fail(m, "lost the connection to the destination: %s", why);
}

void
migresume_start(struct req *r, struct vm *vm, const char *dest,
    const char *listen, int pfd)
{
	static const struct qmp_callbacks cbs = { NULL, mr_peer_closed };
	struct migres *m = xcalloc(1, sizeof(*m));

	m->d = r->d;
	m->r = r;
	m->vm = vm;
	m->t0 = mono_ms();
	m->keep = req_bool(r, "keep_source");
	strlcpy(m->name, vm->name, sizeof(m->name));
	strlcpy(m->dest, dest, sizeof(m->dest));
	if (listen != NULL)
		strlcpy(m->listen, listen, sizeof(m->listen));
	m->timer = evtimer_new(r->d->base, mr_timer, m);
	m->ctl.postcopy = 1;
	m->ctl.in_postcopy = 1;
	migreg_add(r->d, &m->reg, vm, 0, m);
	m->reg.ctl = &m->ctl;
	if (migpeer_connect(r->d->base, m->dest, pfd, MR_PEER_MS, &cbs, m,
	    &m->peer) == -1) {
		mr_fail(m, "cannot connect to the destination");
		return;
	}
	mr_send(m, 0, "query-migrate", NULL, mr_checked);
}

/* ---- the destination: migrate-recover ---- */

/*
 * This side may not have seen the stream break (a cut network sends no
 * end): QEMU still says postcopy-active, and its main loop may wait for
 * a page that will not come, so in-band commands go unanswered.  Its
 * state is then known from its MIGRATION events (vm->mig_status), and
 * migrate-pause and migrate-recover go out of band, as QEMU allows
 * them to.
 */
struct recover {
	struct req	*r;
	struct vm	*vm;
	struct event	*timer;
	int64_t		 t0;		/* migrate-pause went */
	int		 pause_sent;
	char		 name[65];
	char		 listen[64];
	char		 uri[PATH_MAX + 16];
};

static void
rc_free(struct recover *c)
{
	if (c->timer != NULL)
		event_free(c->timer);
	free(c);
}

static void	rc_fail(struct recover *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
rc_fail(struct recover *c, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	req_error(c->r, ERR_GENERIC, "migrate-recover: %s", why);
	rc_free(c);
}

/* The VM still there with its QEMU connected, or NULL (answered). */
static struct vm *
rc_vm(struct recover *c)
{
	struct vm *vm = vm_find(c->r->d, c->name);

	if (vm != c->vm || vm_qmp(vm) == NULL) {
		rc_fail(c, "the VM went away");
		return NULL;
	}
	return vm;
}

/* Out of band when QEMU took OOB, else in band. */
static int
rc_qmp(struct recover *c, struct vm *vm, const char *cmd,
    struct json_object *a, qmp_reply_cb cb)
{
	struct qmp *q = vm_qmp(vm);

	if (qmp_oob_enabled(q))
		return qmp_execute_oob(q, cmd, a, MR_CMD_MS, cb, c) == -1 ?
		    -1 : 0;
	return qmp_execute(q, cmd, a, MR_CMD_MS, cb, c) == -1 ? -1 : 0;
}

static void
rc_done(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct recover *c = arg;

	(void)ret;
	if (err != NULL) {
		rc_fail(c, "%s", err->desc);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "uri", json_object_new_string(c->uri));
	log_info("%s: postcopy recovery: listening on %s", c->name, c->uri);
	req_return(c->r, o);
	rc_free(c);
}

/* QEMU is in postcopy-paused: it listens again. */
static void
rc_recover(struct recover *c, struct vm *vm)
{
	char why[512];

	if (c->listen[0] != '\0') {
		if (migpeer_tcp_uri(c->listen, c->uri, sizeof(c->uri), why,
		    sizeof(why)) == -1) {
			rc_fail(c, "%s", why);
			return;
		}
	} else if ((size_t)snprintf(c->uri, sizeof(c->uri),
	    "unix:%s/recover.sock", vm->paths.qdir) >= sizeof(c->uri) ||
	    strlen(c->uri) - 5 >= 108) {
		rc_fail(c, "the socket path is too long");
		return;
	} else
		unlink(c->uri + 5);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "uri", json_object_new_string(c->uri));
	if (rc_qmp(c, vm, "migrate-recover", a, rc_done) == -1)
		rc_fail(c, "the QEMU is not connected");
}

static void	rc_state(struct recover *, struct vm *, const char *);

static void
rc_paused(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct recover *c = arg;

	(void)ret;
	if (err != NULL) {
		rc_fail(c, "migrate-pause: %s", err->desc);
		return;
	}
	struct timeval tv = { 0, MR_POLL_MS * 1000 };
	evtimer_add(c->timer, &tv);
}

/* Waiting for this QEMU's MIGRATION event after migrate-pause. */
static void
rc_timer(evutil_socket_t fd, short what, void *arg)
{
	struct recover *c = arg;
	struct vm *vm;

	(void)fd;
	(void)what;
	if ((vm = rc_vm(c)) != NULL)
		rc_state(c, vm, vm->mig_status);
}

static void
rc_state(struct recover *c, struct vm *vm, const char *st)
{
	if (strcmp(st, "postcopy-paused") == 0) {
		rc_recover(c, vm);
		return;
	}
	if (strcmp(st, "postcopy-active") == 0 && !c->pause_sent) {
		/* the break not seen here yet: this side stops too */
		c->pause_sent = 1;
		c->t0 = mono_ms();
		if (rc_qmp(c, vm, "migrate-pause", NULL, rc_paused) == -1)
			rc_fail(c, "the QEMU is not connected");
		return;
	}
	if (strcmp(st, "postcopy-active") == 0 && mono_ms() - c->t0 <
	    MR_START_MS) {
		struct timeval tv = { 0, MR_POLL_MS * 1000 };
		evtimer_add(c->timer, &tv);
		return;
	}
	req_error(c->r, ERR_INVALID_STATE, "VM '%s' has no paused postcopy "
	    "migration here (its migration is %s)", c->name, st[0] ? st :
	    "none");
	rc_free(c);
}

/* query-migrate's answer, when no MIGRATION event told the state. */
static void
rc_status(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct recover *c = arg;
	struct vm *vm;

	if (err != NULL) {
		rc_fail(c, "%s", err->desc);
		return;
	}
	if ((vm = rc_vm(c)) != NULL)
		rc_state(c, vm, jstr_or(ret, "status", ""));
}

static void
rc_resolved(void *arg, const char *addr, const char *err)
{
	struct recover *c = arg;
	struct vm *vm;

	if (addr == NULL) {
		rc_fail(c, "%s", err);
		return;
	}
	if ((vm = rc_vm(c)) == NULL)
		return;
	strlcpy(c->listen, addr, sizeof(c->listen));
	if (vm->mig_status[0] != '\0')
		rc_state(c, vm, vm->mig_status);
	else if (qmp_execute(vm_qmp(vm), "query-migrate", NULL, MR_CMD_MS,
	    rc_status, c) == -1)
		rc_fail(c, "the QEMU is not connected");
}

/* {"name", "listen"}: this QEMU listens again for its paused postcopy. */
static void
d_migrate_recover(struct req *r, struct vm *vm)
{
	const char *listen = req_str(r, "listen");
	struct recover *c = xcalloc(1, sizeof(*c));

	c->r = r;
	c->vm = vm;
	c->timer = evtimer_new(r->d->base, rc_timer, c);
	strlcpy(c->name, vm->name, sizeof(c->name));
	if (listen != NULL && strlen(listen) >= sizeof(c->listen)) {
		req_error(r, ERR_GENERIC, "migrate-recover: the listen address "
		    "is too long");
		rc_free(c);
		return;
	}
	if (listen == NULL) {
		rc_resolved(c, "", NULL);
		return;
	}
	if (migpeer_resolve(r->d->base, NULL, listen, MR_RESOLVE_MS,
	    rc_resolved, c) == -1) {
		req_error(r, ERR_GENERIC, "migrate-recover: out of memory");
		rc_free(c);
	}
}

const struct dcmd dcmds_migresume[] = {
	{ "migrate-recover",	d_migrate_recover,
	    NEEDS_VM | NEEDS_QMP | NEEDS_ADMIN },
	{ NULL, NULL, 0 }
};
