/*
 * The destination of a live migration (migrate.h has the whole
 * exchange): migrate-prepare, migrate-finish and migrate-abort, which
 * another qlaunchd sends.
 *
 * prepare defines the VM from the source's running definition (or takes
 * a shut off VM of the same name and UUID as restore does, leaving its
 * stored definition alone), pins the machine type the source ran,
 * starts QEMU with -incoming defer (its taps opened, the NICs' MACs
 * those of the definition), checks and sets the capabilities and
 * parameters the source sent (multifd must be set before
 * migrate-incoming), and listens: on a UNIX socket in the VM's QEMU
 * directory, or with "listen": ADDR on tcp:ADDR:PORT with a free port.
 * The answer is {"uri", "name"}.
 *
 * From then on until finish, the VM is cleaned up (QEMU, taps, and the
 * definition prepare made) when its QEMU exits, when the incoming
 * migration fails, or on migrate-abort.  finish waits for QEMU to have
 * the whole state, then cont (unless "paused").
 *
 * The destination owns its half: when the connection prepare came on
 * closes before finish or abort (the source's supervisor died, its ssh
 * or its network went), it is cleaned up as abort does, unless QEMU has
 * the whole state already (or the guest runs here in postcopy): then it
 * stays, paused and defined, and the log says the operator chooses
 * (resume here, or destroy here and resume on the source).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

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
#include "migrate.h"
#include "migpeer.h"
#include "migstor.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

#define MIGIN_CMD_MS		30000
#define MIGIN_START_MS		60000
#define MIGIN_OFF_MS		30000
#define MIGIN_POLL_MS		10	/* the guest waits: see MIGOUT_SETTLE_MS */
#define MIGIN_FINISH_MS		60000	/* the last of the state comes in */
#define MIGIN_RESOLVE_MS	5000	/* a listen address by name */

struct migin;
typedef void (*migin_next_fn)(struct migin *, struct json_object *ret);

struct migin {
	struct migration	 reg;
	struct daemon		*d;
	struct req		*r;		/* prepare's or finish's */
	struct req		*abort_r;	/* answered once clean */
	struct vm		*vm;		/* NULL once removed */
	char			 name[65];
	int			 defined;	/* prepare defined it */
	int			 paused;	/* after finish */
	int			 listed;
	struct json_object	*caps, *params, *qcaps;
	char			 listen[64];
	char			 uri[160];
	int			 stage;
	migin_next_fn		 next;
	struct sink		*sink;
	struct event		*timer;
	int64_t			 finish_t0;
	int			 repoll;	/* MIGRATION completed came meanwhile */
	int			 postcopy;	/* QEMU said postcopy-*: the guest
						   runs here, part of its memory
						   still on the source */
	struct migstor_in	*si;		/* --copy-storage: its images */
	struct vmdef		*pending;	/* defined once they exist */
	int			 holds;		/* callbacks still to come */
	int			 dead;
	struct req_closer	 src;		/* prepare's connection */
	int			 src_gone;	/* closed while images were made */
	char			 eclass[64];
	char			 edesc[1024];
};

static void	migin_fail(struct migin *, const char *class, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

static void
migin_release(struct migin *m)
{
	if (!m->dead || m->holds > 0)
		return;
	req_closer_cancel(&m->src);
	json_object_put(m->caps);
	json_object_put(m->params);
	json_object_put(m->qcaps);
	vmdef_free(m->pending);
	migstor_in_free(m->si);
	free(m);
}

/* No more events, polls or list entry. */
static void
migin_unhook(struct migin *m)
{
	if (m->sink != NULL)
		events_unsink(m->d, m->sink);
	m->sink = NULL;
	if (m->timer != NULL)
		event_free(m->timer);
	m->timer = NULL;
	if (m->listed)
		migreg_del(m->d, &m->reg);
	m->listed = 0;
	req_closer_cancel(&m->src);
}

static void
migin_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migin *m = arg;

	m->holds--;
	if (m->dead) {
		migin_release(m);
		return;
	}
	if (err == NULL)
		m->next(m, ret);
	else if (strcmp(err->class, ERR_DISCONNECTED) == 0)
		migin_fail(m, ERR_GENERIC, "the destination's QEMU went away");
	else
		migin_fail(m, err->class, "the destination's QEMU: %s",
		    err->desc);
}

static void
migin_send(struct migin *m, const char *cmd, struct json_object *args,
    migin_next_fn next)
{
	struct qmp *q = m->vm != NULL ? vm_qmp(m->vm) : NULL;

	m->next = next;
	if (q == NULL) {
		json_object_put(args);
		migin_fail(m, ERR_GENERIC, "the destination's QEMU is not "
		    "connected");
		return;
	}
	m->holds++;
	if (qmp_execute(q, cmd, args, MIGIN_CMD_MS, migin_reply, m) == -1) {
		m->holds--;
		migin_fail(m, ERR_GENERIC, "the destination's QEMU is not "
		    "connected");
	}
}

/* ---- cleaning up ---- */

struct migin_once {
	struct migin	*m;
	void		(*fn)(struct migin *);
};

static void
once_cb(evutil_socket_t fd, short what, void *arg)
{
	struct migin_once *o = arg;
	struct migin *m = o->m;
	void (*fn)(struct migin *) = o->fn;

	(void)fd;
	(void)what;
	free(o);
	m->holds--;
	fn(m);
}

/* Run fn on the next turn of the loop, out of the VM core's callbacks. */
static void
migin_later(struct migin *m, void (*fn)(struct migin *))
{
	struct migin_once *o = xcalloc(1, sizeof(*o));
	struct timeval now = { 0, 0 };

	o->m = m;
	o->fn = fn;
	m->holds++;
	event_base_once(m->d->base, -1, EV_TIMEOUT, once_cb, o, &now);
}

/* QEMU is gone: the definition prepare made goes; the answers. */
static void
migin_undefine(struct migin *m)
{
	struct vm *vm = m->vm;
	char err[512];

	if (vm != NULL && m->defined && vm_find(m->d, m->name) == vm &&
	    !vm_active(vm) && vm_undefine(vm, err, sizeof(err)) == -1) {
		log_warnx("%s: after the failed incoming migration: %s",
		    m->name, err);
		migstor_in_keep(m->si);	/* the definition names them */
	}
	m->vm = NULL;
	if (m->r != NULL)
		req_error(m->r, m->eclass, "%s", m->edesc);
	m->r = NULL;
	if (m->abort_r != NULL)
		req_return(m->abort_r, NULL);
	m->abort_r = NULL;
	migin_release(m);
}

static void
migin_off(struct vm *vm, void *arg, int ok, const char *why)
{
	struct migin *m = arg;

	(void)vm;
	(void)ok;
	(void)why;
	m->holds--;
	migin_later(m, migin_undefine);
}

static void
migin_unwind(struct migin *m)
{
	struct vm *vm = m->vm;

	if (vm != NULL && vm_find(m->d, m->name) == vm && vm_active(vm)) {
		vm_destroy(vm, "incoming migration failed");
		m->holds++;
		vm_wait(vm, 1, MIGIN_OFF_MS, migin_off, m);
		return;
	}
	migin_undefine(m);
}

/*
 * A failure in postcopy: the guest runs here with part of its memory on
 * the source, so this half stays as it is, QEMU and definition, for
 * migrate --postcopy-resume from the source (or destroy on both sides).
 * Nothing more is watched; QEMU itself may not answer (its main loop
 * can wait for a page the broken stream will not bring).
 */
static void
migin_keep(struct migin *m)
{
	log_warnx("%s: incoming migration: %s; in postcopy the guest's memory "
	    "is split across both hosts: this side stays as it is (migrate "
	    "--postcopy-resume from the source, or destroy the VM on both "
	    "sides)", m->name, m->edesc);
	if (m->si != NULL)
		migstor_in_keep(m->si);
	migin_unhook(m);
	m->dead = 1;
	if (m->r != NULL)
		req_error(m->r, m->eclass, "%s; in postcopy the destination "
		    "keeps its half", m->edesc);
	m->r = NULL;
	if (m->abort_r != NULL)
		req_error(m->abort_r, ERR_INVALID_STATE, "VM '%s' is in "
		    "postcopy here: its memory is split across both hosts, "
		    "nothing is undone", m->name);
	m->abort_r = NULL;
	migin_release(m);
}

static void
migin_fail(struct migin *m, const char *class, const char *fmt, ...)
{
	va_list ap;

	if (m->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(m->edesc, sizeof(m->edesc), fmt, ap);
	va_end(ap);
	strlcpy(m->eclass, class, sizeof(m->eclass));
	if (m->postcopy && m->vm != NULL && vm_active(m->vm)) {
		migin_keep(m);
		return;
	}
	log_warnx("%s: incoming migration: %s", m->name, m->edesc);
	migin_unhook(m);
	m->dead = 1;
	migin_later(m, migin_unwind);
}

/* The VM's events: its QEMU gone, or its incoming migration failed. */
static void
migin_sink(void *arg, const struct vm_event *ev)
{
	struct migin *m = arg;
	const char *st;

	if (m->dead || ev->vm != m->vm)
		return;
	if (ev->kind == VMEV_REMOVED) {
		m->vm = NULL;
		migin_fail(m, ERR_GENERIC, "the VM was removed on the "
		    "destination");
	} else if (ev->kind == VMEV_STOPPED)
		migin_fail(m, ERR_GENERIC, "the destination's QEMU exited");
	else if (ev->kind == VMEV_MESSAGE && ev->name != NULL &&
	    strcmp(ev->name, "MIGRATION") == 0 &&
	    (st = jstr(jget(ev->msg, "data"), "status")) != NULL) {
		if (strncmp(st, "postcopy", 8) == 0)
			m->postcopy = 1;
		migctl_incoming(vm_qmp(m->vm), st, m->paused);
		if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0)
			migin_fail(m, ERR_GENERIC, "the incoming migration %s",
			    st);
		else if (strcmp(st, "completed") == 0 && m->timer != NULL) {
			/* a poll out may have been answered before it */
			if (m->holds == 0)
				event_active(m->timer, EV_TIMEOUT, 0);
			else
				m->repoll = 1;
		}
	}
}

/* ---- prepare ---- */

/* A free TCP port on the listen address: tcp:ADDR:PORT in m->uri. */
static int
migin_tcp_uri(struct migin *m, char *err, size_t errlen)
{
	return migpeer_tcp_uri(m->listen, m->uri, sizeof(m->uri), err,
	    errlen);
}

static struct json_object *
args1(const char *key, struct json_object *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, key, v);
	return o;
}

enum { IN_QCAPS, IN_QPARAMS, IN_CAPS, IN_PARAMS, IN_LISTEN, IN_NBD,
    IN_READY };

/* --copy-storage: the NBD exports are up (or not). */
static void
migin_exported(void *arg, const char *err)
{
	struct migin *m = arg;

	m->holds--;
	if (m->dead)
		migin_release(m);
	else if (err != NULL)
		migin_fail(m, ERR_GENERIC, "%s", err);
	else
		m->next(m, NULL);
}

static void
migin_step(struct migin *m, struct json_object *ret)
{
	char err[512];

	switch (m->stage++) {
	case IN_QCAPS:
		migin_send(m, "query-migrate-capabilities", NULL, migin_step);
		break;
	case IN_QPARAMS:
		m->qcaps = json_object_get(ret);
		migin_send(m, "query-migrate-parameters", NULL, migin_step);
		break;
	case IN_CAPS:
		if (migopt_check(m->qcaps, ret, m->caps, m->params,
		    "destination", err, sizeof(err)) == -1) {
			migin_fail(m, ERR_GENERIC, "%s", err);
			break;
		}
		migin_send(m, "migrate-set-capabilities", args1("capabilities",
		    migopt_with_events(m->qcaps, m->caps)), migin_step);
		break;
	case IN_PARAMS:
		if (m->params != NULL && json_object_object_length(m->params)) {
			migin_send(m, "migrate-set-parameters",
			    json_object_get(m->params), migin_step);
			break;
		}
		m->stage++;
		/* FALLTHROUGH */
	case IN_LISTEN:
		if (m->listen[0] != '\0') {
			if (migin_tcp_uri(m, err, sizeof(err)) == -1) {
				migin_fail(m, ERR_GENERIC, "%s", err);
				break;
			}
		} else if ((size_t)snprintf(m->uri, sizeof(m->uri),
		    "unix:%s/migrate.sock", m->vm->paths.qdir) >=
		    sizeof(m->uri) || strlen(m->uri) - 5 >= 108) {
			migin_fail(m, ERR_GENERIC, "the socket path %s is too "
			    "long", m->uri + 5);
			break;
		}
		migin_send(m, "migrate-incoming", args1("uri",
		    json_object_new_string(m->uri)), migin_step);
		break;
	case IN_NBD:
		if (m->si != NULL) {
			m->next = migin_step;
			m->holds++;
			migstor_in_export(m->si, m->vm, m->listen,
			    migin_exported, m);
			break;
		}
		m->stage++;
		/* FALLTHROUGH */
	case IN_READY: {
		struct json_object *o = json_object_new_object();
		if (m->si != NULL)
			json_object_object_add(o, "nbd",
			    migstor_in_address(m->si));
		json_object_object_add(o, "uri", json_object_new_string(m->uri));
		json_object_object_add(o, "name", json_object_new_string(
		    m->name));
		req_return(m->r, o);
		m->r = NULL;
		break;
	}
	}
}

/* The destination's QEMU takes the values asked (migctl.h). */
static void
migin_probed(void *arg, const char *err)
{
	struct migin *m = arg;

	m->holds--;
	if (m->dead)
		migin_release(m);
	else if (err != NULL)
		migin_fail(m, ERR_GENERIC, "%s", err);
	else
		migin_step(m, NULL);
}

static void
migin_started(struct vm *vm, void *arg, int ok, const char *why)
{
	struct migin *m = arg;

	(void)vm;
	m->holds--;
	if (m->dead)
		migin_release(m);
	else if (!ok)
		migin_fail(m, ERR_GENERIC, "the destination's QEMU did not "
		    "start: %s", why);
	else {
		m->holds++;
		if (migctl_probe(vm_qmp(vm), m->params, "destination",
		    migin_probed, m)) {
			m->holds--;
			migin_step(m, NULL);
		}
	}
}

/*
 * Where the VM goes: a new one, or one shut off here with the same name
 * and UUID (migrated away with --keep-source, coming back).  -1 answered.
 */
static int
migin_target(struct req *r, struct vmdef *def, struct vm **vmp)
{
	struct vm *vm = vm_find(r->d, def->name), *o;

	*vmp = vm;
	if ((o = vm_uuid_owner(r->d, def->uuid, vm)) != NULL) {
		req_error(r, ERR_EXISTS, "the destination has VM '%s' with "
		    "UUID %s already", o->name, def->uuid);
		return -1;
	}
	if (vm == NULL)
		return 0;
	if (vm_active(vm) || migreg_find(r->d, vm) != NULL) {
		req_error(r, ERR_EXISTS, "the destination has VM '%s' already "
		    "(%s)", vm->name, vm_state_name(vm->state));
		return -1;
	}
	if (strcmp(vm_persistent(vm)->uuid, def->uuid) != 0) {
		req_error(r, ERR_EXISTS, "the destination has VM '%s' already, "
		    "with UUID %s, not %s", vm->name, vm_persistent(vm)->uuid,
		    def->uuid);
		return -1;
	}
	return 0;
}

static void	migin_go(struct migin *, struct vmdef *, struct vm *);
static void	migin_orphan(void *);

static void
migin_images_done(void *arg, const char *err)
{
	struct migin *m = arg;
	struct vmdef *def = m->pending;

	m->holds--;
	m->pending = NULL;
	if (err == NULL && m->src_gone)
		err = "the source's connection closed";
	if (err != NULL) {
		log_warnx("%s: incoming migration: --copy-storage: %s", def->name,
		    err);
		req_error(m->r, ERR_GENERIC, "--copy-storage: %s", err);
		m->r = NULL;
		vmdef_free(def);
		m->dead = 1;
		migin_release(m);
		return;
	}
	migin_go(m, def, NULL);
}

/*
 * --copy-storage: new images here for the disks the source copies, then
 * migin_go.  Only into a new definition: a kept copy's images are its own.
 */
static void
migin_images(struct migin *m, struct vmdef *def, struct vm *vm)
{
	char err[1024], dir[1024];

	daemon_imagedir(m->d, dir, sizeof(dir));
	if (vm != NULL)
		snprintf(err, sizeof(err), "--copy-storage: the destination "
		    "has VM '%s' defined already; its images are its own",
		    vm->name);
	else
		m->si = migstor_in_new(def, dir, jget(m->r->args,
		    "copy_storage"), err, sizeof(err));
	if (m->si == NULL) {
		req_error(m->r, ERR_GENERIC, "%s", err);
		m->r = NULL;
		vmdef_free(def);
		m->dead = 1;
		migin_release(m);
		return;
	}
	m->pending = def;
	m->holds++;
	migstor_in_create(m->si, m->d, migin_images_done, m);
}

static void	prepare_resolved(void *, const char *, const char *);

/*
 * {"text": the running definition, "machine": the machine type QEMU
 * runs, "capabilities": [...], "parameters": {...}, "listen": ADDR,
 * "paused": bool, "copy_storage": [{"target", "size"}] (migstor.h)}
 */
static void
d_prepare(struct req *r, struct vm *unused)
{
	const char *text = req_str(r, "text"), *machine = req_str(r,
	    "machine"), *listen = req_str(r, "listen");
	struct json_object *caps = jget(r->args, "capabilities");
	struct json_object *params = jget(r->args, "parameters");

	(void)unused;
	if (text == NULL || (machine == NULL && !req_bool(r, "offline"))) {
		req_error(r, ERR_GENERIC, "migrate-prepare needs \"text\" and "
		    "\"machine\" (strings)");
		return;
	}
	if ((caps != NULL && !json_object_is_type(caps, json_type_array)) ||
	    (params != NULL && !json_object_is_type(params,
	    json_type_object))) {
		req_error(r, ERR_GENERIC, "migrate-prepare: \"capabilities\" "
		    "is an array and \"parameters\" an object");
		return;
	}
	if (listen != NULL && strlen(listen) >= 64) {
		req_error(r, ERR_GENERIC, "migrate-prepare: the listen address "
		    "is too long");
		return;
	}
	if (listen == NULL)
		prepare_resolved(r, NULL, NULL);
	else if (migpeer_resolve(r->d->base, NULL, listen, MIGIN_RESOLVE_MS,
	    prepare_resolved, r) == -1)
		req_error(r, ERR_GENERIC, "migrate-prepare: out of memory to "
		    "look up %s", listen);
}

/* The listen address found (addr; NULL without "listen"), or err. */
static void
prepare_resolved(void *arg, const char *addr, const char *lerr)
{
	struct req *r = arg;
	const char *text = req_str(r, "text"), *machine = req_str(r,
	    "machine");
	struct json_object *caps = jget(r->args, "capabilities");
	struct json_object *params = jget(r->args, "parameters");
	char err[1024];
	struct vm *vm;

	if (lerr != NULL) {
		req_error(r, ERR_GENERIC, "migrate-prepare: %s", lerr);
		return;
	}
	if (r->conn == NULL) {
		log_warnx("migrate-prepare: the source's control connection "
		    "closed while its listen address was looked up; nothing "
		    "done");
		req_error(r, ERR_GENERIC, "the source left");
		return;
	}
	struct vmdef *def = vmdef_parse(text, "the migrated definition", err,
	    sizeof(err));
	if (def == NULL) {
		req_error(r, ERR_INVALID_DEF, "%s", err);
		return;
	}
	if (machine != NULL &&
	    vmdef_pin_machine(def, machine, err, sizeof(err)) == -1) {
		vmdef_free(def);
		req_error(r, ERR_INVALID_DEF, "the machine type %s: %s",
		    machine, err);
		return;
	}
	if (migin_target(r, def, &vm) == -1) {
		vmdef_free(def);
		return;
	}
	struct migin *m = xcalloc(1, sizeof(*m));
	m->d = r->d;
	m->r = r;
	m->paused = req_bool(r, "paused");
	m->caps = json_object_get(caps);
	m->params = json_object_get(params);
	strlcpy(m->name, def->name, sizeof(m->name));
	if (req_on_close(r, &m->src, migin_orphan, m) == -1)
		log_warnx("%s: migrate-prepare: the source's connection cannot "
		    "be watched; if the source goes away, migrate-abort is "
		    "the way to clean up here", def->name);
	if (addr != NULL)
		strlcpy(m->listen, addr, sizeof(m->listen));
	if (jget(r->args, "copy_storage") != NULL) {
		migin_images(m, def, vm);
		return;
	}
	migin_go(m, def, vm);
}

/* The VM defined (unless kept here) and its QEMU started -incoming. */
static void
migin_go(struct migin *m, struct vmdef *def, struct vm *vm)
{
	struct req *r = m->r;
	char err[1024];
	struct vmdef *run = def;

	if (vm == NULL) {
		if (vm_define(r->d, def, &vm, err, sizeof(err)) == -1) {
			vmdef_free(def);
			req_error(r, ERR_GENERIC, "%s", err);
			m->r = NULL;
			m->dead = 1;
			migin_release(m);
			return;
		}
		m->defined = 1;
		run = NULL;
	}
	m->vm = vm;
	strlcpy(m->name, vm->name, sizeof(m->name));
	migreg_add(r->d, &m->reg, vm, 1, m);
	m->listed = 1;
	if (vm_start_incoming(vm, run, err, sizeof(err)) == -1) {
		migin_fail(m, ERR_GENERIC, "%s", err);
		return;
	}
	m->sink = events_sink(r->d, migin_sink, m);
	m->holds++;
	vm_wait(vm, 0, MIGIN_START_MS, migin_started, m);
}

/* ---- finish ---- */

static void	migin_poll(struct migin *);

static void
migin_done(struct migin *m, struct json_object *ret)
{
	(void)ret;
	vm_set_state(m->vm, m->paused ? VM_PAUSED : VM_RUNNING, "migrated");
	if (m->si != NULL)
		migstor_in_keep(m->si);
	req_return(m->r, vm_info(m->vm));
	m->r = NULL;
	migin_unhook(m);
	m->dead = 1;
	migin_release(m);
}

static void
migin_resume(struct migin *m, struct json_object *ret)
{
	(void)ret;
	if (m->paused)
		migin_done(m, NULL);
	else
		migin_send(m, "cont", NULL, migin_done);
}

static void
migin_status(struct migin *m, struct json_object *ret)
{
	const char *st = jstr(ret, "status");

	if (st != NULL && strcmp(st, "completed") == 0) {
		if (m->si != NULL)
			migin_send(m, "nbd-server-stop", NULL, migin_resume);
		else
			migin_resume(m, NULL);
		return;
	}
	if (st == NULL || strcmp(st, "failed") == 0 ||
	    strcmp(st, "cancelled") == 0) {
		const char *why = jstr(ret, "error-desc");
		migin_fail(m, ERR_GENERIC, "the incoming migration %s%s%s",
		    st != NULL ? st : "has no status", why != NULL ? ": " : "",
		    why != NULL ? why : "");
		return;
	}
	if (mono_ms() - m->finish_t0 > MIGIN_FINISH_MS) {
		migin_fail(m, ERR_TIMEOUT, "the destination's QEMU did not "
		    "have the whole state %d s after the source sent it",
		    MIGIN_FINISH_MS / 1000);
		return;
	}
	struct timeval tv = { 0, m->repoll ? 0 : MIGIN_POLL_MS * 1000 };
	m->repoll = 0;
	evtimer_add(m->timer, &tv);
}

static void
poll_timer(evutil_socket_t fd, short what, void *arg)
{
	struct migin *m = arg;

	(void)fd;
	(void)what;
	if (!m->dead && m->holds == 0)
		migin_poll(m);
}

static void
migin_poll(struct migin *m)
{
	migin_send(m, "query-migrate", NULL, migin_status);
}

static struct migin *
incoming_of(struct req *r, struct vm *vm)
{
	struct migration *g = migreg_find(r->d, vm);

	if (g == NULL || !g->incoming) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' has no incoming "
		    "migration", vm->name);
		return NULL;
	}
	return g->self;
}

static void
migin_offline_off(struct vm *vm, void *arg, int ok, const char *why)
{
	struct migin *m = arg;

	m->holds--;
	if (!ok)
		log_warnx("%s: after the offline migration: %s", vm->name, why);
	req_return(m->r, vm_info(vm));
	m->r = NULL;
	migin_release(m);
}

/*
 * --offline --copy-storage: the source wrote the images through the
 * exports; the QEMU started for them quits, the definition and the
 * images stay.
 */
static void
migin_offline(struct migin *m)
{
	migin_unhook(m);
	m->dead = 1;
	if (m->si != NULL)
		migstor_in_keep(m->si);
	m->holds++;
	vm_destroy(m->vm, "migrated");
	vm_wait(m->vm, 1, MIGIN_OFF_MS, migin_offline_off, m);
}

/* {"name", "offline"}: the source sent everything; resume here. */
static void
d_finish(struct req *r, struct vm *vm)
{
	struct migin *m = incoming_of(r, vm);

	if (m == NULL)
		return;
	if (m->r != NULL) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is being %s",
		    vm->name, m->stage <= IN_READY ? "prepared" : "finished");
		return;
	}
	m->r = r;
	if (req_bool(r, "offline")) {
		migin_offline(m);
		return;
	}
	m->finish_t0 = mono_ms();
	m->timer = evtimer_new(r->d->base, poll_timer, m);
	migin_poll(m);
}

/* {"name"}: the source gave up; nothing of it stays here. */
static void
d_abort(struct req *r, struct vm *vm)
{
	struct migin *m = incoming_of(r, vm);

	if (m == NULL)
		return;
	m->abort_r = r;
	migin_fail(m, ERR_GENERIC, "the source cancelled the migration");
}

/* ---- the source went away ---- */

static void
migin_kept(struct migin *m, struct json_object *ret)
{
	(void)ret;
	vm_set_state(m->vm, VM_PAUSED, "migrated; the source went away");
	if (m->si != NULL)
		migstor_in_keep(m->si);
	migin_unhook(m);
	m->dead = 1;
	migin_release(m);
}

/* query-migrate's answer after the source's connection closed. */
static void
migin_orphan_status(struct migin *m, struct json_object *ret)
{
	const char *st = jstr(ret, "status");

	if (st != NULL && strncmp(st, "postcopy", 8) == 0) {
		log_warnx("%s: the source's control connection closed during "
		    "postcopy (%s): the guest runs here with part of its "
		    "memory still on the source; nothing is undone", m->name,
		    st);
		migin_unhook(m);
		m->dead = 1;
		migin_release(m);
		return;
	}
	if (st == NULL || strcmp(st, "completed") != 0) {
		migin_fail(m, ERR_GENERIC, "the source's control connection "
		    "closed before the migration completed (status %s): "
		    "cleaning up as migrate-abort does", st != NULL ? st :
		    "unknown");
		return;
	}
	log_warnx("%s: the source's control connection closed after the "
	    "incoming migration completed: the whole state is here, the "
	    "source's QEMU paused after sending it.  Kept here, paused and "
	    "defined; the operator chooses: 'qlaunch resume %s' here, or "
	    "'qlaunch destroy %s' (and undefine) here and resume it on the "
	    "source", m->name, m->name, m->name);
	if (m->si != NULL)
		migin_send(m, "nbd-server-stop", NULL, migin_kept);
	else
		migin_kept(m, NULL);
}

/*
 * The connection migrate-prepare came on closed before finish or abort:
 * the source's supervisor died, or its ssh or network went.  A finish
 * under way goes on (the source asked for it).
 */
static void
migin_orphan(void *arg)
{
	struct migin *m = arg;

	if (m->dead)
		return;
	if (m->r != NULL && m->stage > IN_READY) {
		log_warnx("%s: the source's control connection closed during "
		    "migrate-finish; finishing as it asked", m->name);
		return;
	}
	if (m->pending != NULL) {
		m->src_gone = 1;	/* migin_images_done gives up */
		return;
	}
	if (m->postcopy && m->vm != NULL && vm_active(m->vm)) {
		snprintf(m->edesc, sizeof(m->edesc), "the source's control "
		    "connection closed during postcopy (%s)", m->vm->mig_status);
		strlcpy(m->eclass, ERR_GENERIC, sizeof(m->eclass));
		migin_keep(m);
		return;
	}
	if (m->r != NULL || m->holds > 0 || m->vm == NULL ||
	    vm_qmp(m->vm) == NULL) {
		migin_fail(m, ERR_GENERIC, "the source's control connection "
		    "closed before the migration completed: cleaning up as "
		    "migrate-abort does");
		return;
	}
	migin_send(m, "query-migrate", NULL, migin_orphan_status);
}

const struct dcmd dcmds_migin[] = {
	{ "migrate-prepare",	d_prepare,	NEEDS_ADMIN },
	{ "migrate-finish",	d_finish,	NEEDS_ADMIN | NEEDS_VM |
	    NEEDS_QMP },
	{ "migrate-abort",	d_abort,	NEEDS_ADMIN | NEEDS_VM },
	{ NULL, NULL, 0 }
};
