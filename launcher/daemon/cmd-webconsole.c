/*
 * Consoles for the web manager (issue 11): console-ticket and
 * console-open.  A ticket (webticket.h) is issued to the acting user for
 * one console of a running VM; console-open spends it and answers with a
 * descriptor (SCM_RIGHTS, ctlsend.h) for the console itself:
 *   vnc     one end of a socketpair goes to QEMU (getfd, then add_client
 *           with skipauth), so neither a VNC password nor a websocket
 *           proxy is involved; QEMU's VNC server listens only where the
 *           definition says, as before;
 *   serial  the end goes to the serial console relay (console.c), one
 *           client at a time, as for qlaunch console.
 * Rollback: a failed step closes both ends (QEMU's through closefd, the
 * undo of getfd); the ticket stays spent either way.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "console.h"
#include "daemon.h"
#include "dispatch.h"
#include "job.h"
#include "log.h"
#include "names.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "webticket.h"
#include "xalloc.h"

#define WEBCON_JOB_MS	10000

/* A VNC console-open on its way: QEMU's end handed over by a job. */
struct wcopen {
	struct req	*r;
	struct vm	*vm;
	struct job	*job;
	int		 fd;		/* the caller's end */
};

static int	vnc_check(struct req *, struct vm *);
static int	serial_present(struct req *, struct vm *);
static int	serial_check(struct req *, struct vm *);
static void	vnc_open(struct req *, struct vm *);
static void	serial_open(struct req *, struct vm *);

static const struct wckind {
	const char		*name;
	enum webcon_kind	 kind;
	/* may it have a ticket, may it open now?  -1 answered */
	int			(*ticket)(struct req *, struct vm *);
	int			(*check)(struct req *, struct vm *);
	void			(*open)(struct req *, struct vm *);
} kinds[] = {
	/* a busy serial console still gets a ticket: it may be free then */
	{ "vnc",	WEBCON_VNC,	vnc_check, vnc_check,	vnc_open },
	{ "serial",	WEBCON_SERIAL,	serial_present, serial_check,
	  serial_open },
};

static const struct wckind *
kind_named(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (name != NULL && strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

static const struct wckind *
kind_of(enum webcon_kind k)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == k)
			return &kinds[i];
	return NULL;
}

static int
vnc_check(struct req *r, struct vm *vm)
{
	struct vnc_conf c;

	if (vmdef_vnc(vm->def, &c) == -1) {
		req_error(r, ERR_GENERIC, "VM '%s' has no VNC display "
		    "(graphics: vnc)", vm->name);
		return -1;
	}
	return 0;
}

static int
serial_present(struct req *r, struct vm *vm)
{
	if (!vmdef_has_serial(vm->def)) {
		req_error(r, ERR_GENERIC, "VM '%s' has no serial console "
		    "(console: none)", vm->name);
		return -1;
	}
	return 0;
}

static int
serial_check(struct req *r, struct vm *vm)
{
	if (serial_present(r, vm) == -1)
		return -1;
	if (console_busy(vm)) {
		req_error(r, ERR_IN_USE, "the console of '%s' is in use by "
		    "another client", vm->name);
		return -1;
	}
	return 0;
}

static struct json_object *
opened(const char *kind)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(kind));
	return o;
}

/* The reply with fd beside it; 0, or -1 answered with an error. */
static int
hand_over(struct req *r, struct vm *vm, const char *kind, int fd)
{
	uid_t uid = r->uid;

	if (req_return_fd(r, opened(kind), fd) == -1) {
		int e = errno;
		req_error(r, ERR_GENERIC, "cannot pass the %s console of '%s': "
		    "%s", kind, vm->name, e == EAGAIN ? "the client does not "
		    "read what it was sent" : strerror(e));
		return -1;
	}
	log_info("%s: %s console opened for uid %lu", vm->name, kind,
	    (unsigned long)uid);
	return 0;
}

/* ---- vnc ---- */

static void
vnc_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct wcopen *w = arg;

	vm_job_untrack(w->vm, w->job);
	if (!ok) {
		if (qemu)
			req_qemu_error(w->r, class, desc);
		else
			req_error(w->r, class, "VM '%s': %s", w->vm->name,
			    desc);
	} else
		(void)hand_over(w->r, w->vm, "vnc", w->fd);
	/* the client has its own copy now, or QEMU's end sees EOF */
	close(w->fd);
	free(w);
}

static struct json_object *
fdname_args(const char *fdname)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "fdname", json_object_new_string(fdname));
	return a;
}

static void
vnc_open(struct req *r, struct vm *vm)
{
	char fdname[32];
	int sv[2];

	if (vm_qmp(vm) == NULL) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s and its QMP "
		    "connection is not ready", vm->name,
		    vm_state_name(vm->state));
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		req_error(r, ERR_GENERIC, "socketpair: %s", strerror(errno));
		return;
	}
	struct wcopen *w = xcalloc(1, sizeof(*w));
	w->r = r;
	w->vm = vm;
	w->fd = sv[1];
	/* unique among QEMU's named descriptors while it is ours */
	snprintf(fdname, sizeof(fdname), "webconsole%d", sv[0]);
	w->job = job_new(r->d->base, vm_qmp(vm), "console-open", WEBCON_JOB_MS,
	    vnc_done, w);
	job_step(w->job, "getfd", fdname_args(fdname), NULL, NULL);
	job_pass_fd(w->job, sv[0]);
	job_undo(w->job, "closefd", fdname_args(fdname));
	struct json_object *a = fdname_args(fdname);
	json_object_object_add(a, "protocol", json_object_new_string("vnc"));
	json_object_object_add(a, "skipauth", json_object_new_boolean(1));
	job_step(w->job, "add_client", a, NULL, NULL);
	vm_job_track(vm, w->job);
	job_start(w->job);
}

/* ---- serial ---- */

static void
serial_open(struct req *r, struct vm *vm)
{
	int sv[2];
	char err[256];
	int fd = console_qemu_fd(vm, err, sizeof(err));

	if (fd == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		req_error(r, ERR_GENERIC, "socketpair: %s", strerror(errno));
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	struct console *con = console_open(vm, fd);
	if (con == NULL) {
		req_error(r, ERR_GENERIC, "out of memory");
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (hand_over(r, vm, "serial", sv[1]) == -1) {
		console_cancel(con);
		close(sv[0]);
		close(sv[1]);
		return;
	}
	close(sv[1]);
	/* a failure here leaves the client an end that reads EOF */
	(void)console_attach_fd(con, sv[0]);
}

/* ---- the requests ---- */

/* console-ticket {name, kind}: {ticket, kind, expires_in} */
static void
d_console_ticket(struct req *r, struct vm *vm)
{
	const struct wckind *k = kind_named(req_str(r, "kind"));
	char ticket[WEBTICKET_HEX + 1], err[256];

	if (k == NULL) {
		req_error(r, ERR_GENERIC, "console-ticket needs \"kind\": "
		    "\"vnc\" or \"serial\"");
		return;
	}
	if (k->ticket(r, vm) == -1)
		return;
	if (webticket_issue(r->d, vm, r->uid, k->kind, ticket, err,
	    sizeof(err)) == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ticket", json_object_new_string(ticket));
	json_object_object_add(o, "kind", json_object_new_string(k->name));
	json_object_object_add(o, "expires_in",
	    json_object_new_int(WEBTICKET_TTL_MS / 1000));
	explicit_bzero(ticket, sizeof(ticket));
	req_return(r, o);
}

/* console-open {name, ticket}: {kind} and the console's descriptor */
static void
d_console_open(struct req *r, struct vm *vm)
{
	const char *ticket = req_str(r, "ticket"), *eclass;
	enum webcon_kind kind;
	char err[256];

	if (ticket == NULL) {
		req_error(r, ERR_GENERIC, "console-open needs \"ticket\" (a "
		    "string, from console-ticket)");
		return;
	}
	if (r->conn == NULL || r->ops->send_fd == NULL) {
		req_error(r, ERR_GENERIC, "this connection cannot carry a "
		    "descriptor");
		return;
	}
	if (webticket_redeem(r->d, vm, r->uid, ticket, &kind, &eclass, err,
	    sizeof(err)) == -1) {
		log_info("%s: console-open refused to uid %lu: %s", vm->name,
		    (unsigned long)r->uid, err);
		req_error(r, eclass, "%s", err);
		return;
	}
	const struct wckind *k = kind_of(kind);
	if (k->check(r, vm) == -1)
		return;
	k->open(r, vm);
}

const struct dcmd dcmds_webconsole[] = {
	{ "console-ticket",	d_console_ticket,	NEEDS_VM | NEEDS_ACTIVE },
	{ "console-open",	d_console_open,		NEEDS_VM | NEEDS_ACTIVE },
	{ NULL, NULL, 0 }
};
