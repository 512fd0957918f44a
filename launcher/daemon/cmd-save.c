/*
 * save and restore, as virsh's: a VM's state through QEMU's migration
 * into a file, and back.  The supervisor opens the file (with the
 * requester's rights) and hands QEMU the descriptor with getfd; the
 * migration URI is "fd:NAME", which QEMU 7.2 and later take, and no
 * shell is involved.  The file starts with a header that carries the
 * definition, so that restore needs nothing else:
 *
 *	"QLSAVE\r\n"	8 bytes of magic
 *	version		big-endian uint32, 2 (1 is still read)
 *	flags		big-endian uint32: SAVE_RUNNING, the state to restore
 *	length		big-endian uint32: the definition's text, <= 1 MiB
 *	mlength		big-endian uint32: the machine type's name (version 2)
 *	offset		big-endian uint32: where the stream starts (version 2)
 *	text		length bytes, the stored definition as written
 *	machine		mlength bytes: the machine type QEMU ran, resolved
 *			(pc-i440fx-7.2 for "pc"), so that a newer QEMU
 *			restores the same machine version
 *	padding		zeroes up to offset, a multiple of 4096
 *	stream		QEMU's migration stream, to the end of the file
 *
 * (version 1 had neither mlength nor offset: its stream follows the text.)
 *
 * --bypass-cache writes the stream with O_DIRECT through a child process
 * (directio.h; QEMU 7.2 has no direct-io migration of its own), which is
 * why the stream starts at an aligned offset; restore --bypass-cache reads
 * through the page cache and drops the file's pages after.
 *
 * Save pauses a running guest, lifts the bandwidth limit, migrates, polls
 * query-migrate (and a MIGRATION event wakes the poll at once), reports
 * progress, and shuts the VM off once the stream is complete.  Restore
 * recreates the VM (it must not exist, or be shut off with the same
 * UUID), starts QEMU with -incoming defer, migrate-incoming, then cont
 * unless paused.  A failure leaves no file (save) and the VM shut off,
 * and undefined again when restore defined it.
 */
#include <sys/fsuid.h>
#include <sys/stat.h>

#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "directio.h"
#include "dispatch.h"
#include "events.h"
#include "jget.h"
#include "log.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "restoreauth.h"
#include "util.h"
#include "vm.h"

#define SAVE_MAGIC		"QLSAVE\r\n"
#define SAVE_VERSION		2
#define SAVE_RUNNING		0x01
#define SAVE_HDR_LEN		28	/* version 2 */
#define SAVE_HDR_LEN1		20	/* version 1 */
#define SAVE_MAX_MACHINE	128
#define SAVE_MAX_DEF		(1u << 20)
#define SAVE_FDNAME		"qlaunch-save"
#define RESTORE_FDNAME		"qlaunch-restore"
#define SAVE_CMD_MS		30000
#define SAVE_POLL_MS		50
#define SAVE_EVENT_MS		250	/* progress events at most this often */
#define SAVE_STALL_MS		60000	/* no progress this long: give up */
#define SAVE_OFF_MS		30000
#define RESTORE_START_MS	60000
/* "no limit": QEMU's max-bandwidth is bytes per second */
#define SAVE_BANDWIDTH		(1ULL << 40)

/* ---- the file ---- */

/*
 * Open path as the requester may: an admin's request as the supervisor,
 * another user's with that user's file-system identity.
 */
static int
open_as(struct req *r, const char *path, int flags, mode_t mode, char *err,
    size_t errlen)
{
	int admin = uid_is_admin(r->d, r->uid), fd, e;

	if (path == NULL || *path != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path",
		    path != NULL ? path : "");
		errno = EINVAL;
		return -1;
	}
	if (!admin && geteuid() != 0) {
		snprintf(err, errlen, "%s: qlaunchd does not run as root, so "
		    "only its own user may have it open files", path);
		errno = EPERM;
		return -1;
	}
	if (!admin) {
		struct passwd *pw = getpwuid(r->uid);
		setfsgid(pw != NULL ? pw->pw_gid : (gid_t)r->uid);
		setfsuid(r->uid);
	}
	fd = open(path, flags | O_CLOEXEC, mode);
	e = errno;
	if (!admin) {
		setfsuid(geteuid());
		setfsgid(getegid());
	}
	if (fd == -1)
		snprintf(err, errlen, "cannot %s %s: %s", (flags & O_CREAT) ?
		    "create" : "open", path, strerror(e));
	errno = e;
	return fd;
}

static void
put32(unsigned char *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static int
write_header(int fd, const char *text, const char *machine, uint32_t flags,
    char *err, size_t errlen)
{
	unsigned char h[SAVE_HDR_LEN];
	size_t len = strlen(text), mlen = strlen(machine);
	size_t end = SAVE_HDR_LEN + len + mlen;
	size_t off = (end + DIRECTIO_ALIGN - 1) / DIRECTIO_ALIGN * DIRECTIO_ALIGN;
	static const char zero[DIRECTIO_ALIGN];

	if (len > SAVE_MAX_DEF) {
		snprintf(err, errlen, "the definition is over %u bytes",
		    SAVE_MAX_DEF);
		return -1;
	}
	memcpy(h, SAVE_MAGIC, 8);
	put32(h + 8, SAVE_VERSION);
	put32(h + 12, flags);
	put32(h + 16, (uint32_t)len);
	put32(h + 20, (uint32_t)mlen);
	put32(h + 24, (uint32_t)off);
	if (write_all(fd, h, sizeof(h)) == -1 ||
	    write_all(fd, text, len) == -1 ||
	    write_all(fd, machine, mlen) == -1 ||
	    write_all(fd, zero, off - end) == -1) {
		snprintf(err, errlen, "cannot write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}

/*
 * The header of a save file: its flags, the definition's text (malloc'd)
 * and the machine type it ran ("" in a version 1 file), leaving fd at
 * the migration stream.  -1 with one line.
 */
static char *
read_header(int fd, const char *path, uint32_t *flags, char *machine,
    size_t mlen, char *err, size_t errlen)
{
	unsigned char h[SAVE_HDR_LEN];
	struct stat st;
	int rc;

	if (fstat(fd, &st) == -1 || (rc = read_full(fd, h, (size_t)(st.st_size <
	    SAVE_HDR_LEN1 ? st.st_size : SAVE_HDR_LEN1))) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (st.st_size < 8 || memcmp(h, SAVE_MAGIC, 8) != 0) {
		snprintf(err, errlen, "%s is not a qlaunch save file", path);
		return NULL;
	}
	uint32_t ver = st.st_size >= 12 ? get32(h + 8) : 0;
	size_t hlen = ver == 1 ? SAVE_HDR_LEN1 : SAVE_HDR_LEN;
	if (st.st_size < (off_t)hlen || (hlen > SAVE_HDR_LEN1 &&
	    read_full(fd, h + SAVE_HDR_LEN1, hlen - SAVE_HDR_LEN1) != 1)) {
		snprintf(err, errlen, "%s: truncated: the header is incomplete",
		    path);
		return NULL;
	}
	if (ver != 1 && ver != SAVE_VERSION) {
		snprintf(err, errlen, "%s: save file version %u is not 1 or %u",
		    path, ver, SAVE_VERSION);
		return NULL;
	}
	uint32_t len = get32(h + 16), ml = ver == 1 ? 0 : get32(h + 20);
	uint64_t off = ver == 1 ? hlen + (uint64_t)len : get32(h + 24);
	if (len == 0 || len > SAVE_MAX_DEF || ml >= SAVE_MAX_MACHINE ||
	    ml >= mlen || off < hlen + (uint64_t)len + ml) {
		snprintf(err, errlen, "%s: a definition of %u bytes, a machine "
		    "of %u and a stream at %llu are not plausible (corrupted "
		    "header)", path, len, ml, (unsigned long long)off);
		return NULL;
	}
	char *text = xcalloc(1, (size_t)len + 1);
	if ((rc = read_full(fd, text, len)) != 1 || memchr(text, '\0', len) ||
	    (ml > 0 && (rc = read_full(fd, machine, ml)) != 1)) {
		snprintf(err, errlen, "%s: %s", path, rc == 1 ? "the definition "
		    "holds a NUL byte (corrupted header)" : rc == 0 ?
		    "truncated: the definition is incomplete" :
		    strerror(errno));
		free(text);
		return NULL;
	}
	text[len] = '\0';
	machine[ml] = '\0';
	for (uint32_t i = 0; i < ml; i++)
		if (!isalnum((unsigned char)machine[i]) &&
		    strchr("._-", machine[i]) == NULL) {
			snprintf(err, errlen, "%s: the machine type is not a "
			    "name (corrupted header)", path);
			free(text);
			return NULL;
		}
	if (st.st_size <= (off_t)off || lseek(fd, (off_t)off, SEEK_SET) == -1) {
		snprintf(err, errlen, "%s: truncated: no migration stream after "
		    "the definition", path);
		free(text);
		return NULL;
	}
	*flags = get32(h + 12);
	return text;
}

/* ---- what both share: QMP steps one at a time, a poll, progress ---- */

struct mig;
typedef void (*mig_next_fn)(struct mig *, struct json_object *ret);

struct mig {
	struct req	*r;		/* NULL once answered */
	struct vm	*vm;		/* NULL once removed */
	const char	*what;		/* "save", "restore" */
	struct sink	*sink;
	struct event	*timer;
	int		 fd;
	char		 path[PATH_MAX];
	/*
	 * Who still holds it: a QMP reply to come, a waiter on the VM.  It
	 * is freed once it is over (dead) and nothing holds it.
	 */
	int		 inflight;
	int		 waiting;
	int		 dead;
	int		 stage;		/* the step whose reply comes next */
	mig_next_fn	 next;
	int64_t		 t0, last_event, last_move;
	uint64_t	 last_done;
	int		 bypass;
	int		 qemu_err;	/* the failure is QEMU's error reply */
	/* save */
	uint32_t	 flags;		/* of the header */
	char		 machine[SAVE_MAX_MACHINE];	/* resolved */
	struct directio	*dio;		/* --bypass-cache's writer */
	int		 qfd;		/* its pipe's end for QEMU, or -1 */
	int		 dio_over;	/* it ended: 1 well, -1 not */
	char		 dio_err[512];
	struct json_object *last;	/* query-migrate's, when complete */
	int		 stopped, fd_passed, migrating;
	struct json_object *stats;
	/* restore */
	int		 defined, paused;
	off_t		 size;
	char		 name[65];
	char		 eclass[64];
	char		 edesc[1024];
};

static void	mig_fail(struct mig *, const char *class, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

static void
mig_release(struct mig *m)
{
	if (m->dead && !m->inflight && !m->waiting) {
		json_object_put(m->stats);
		json_object_put(m->last);
		free(m);
	}
}

/* Over: no more events, polls or file; freed once nothing holds it. */
static void
mig_end(struct mig *m, struct daemon *d)
{
	if (m->sink != NULL)
		events_unsink(d, m->sink);
	m->sink = NULL;
	if (m->timer != NULL)
		event_free(m->timer);
	m->timer = NULL;
	if (m->fd != -1)
		close(m->fd);
	m->fd = -1;
	if (m->qfd > 0)
		close(m->qfd);
	m->qfd = -1;
	if (m->dio != NULL)
		directio_abandon(m->dio);
	m->dio = NULL;
	m->dead = 1;
	mig_release(m);
}

static void
mig_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct mig *m = arg;

	m->inflight = 0;
	if (m->dead) {
		mig_release(m);
		return;
	}
	if (err == NULL)
		m->next(m, ret);
	else if (strcmp(err->class, ERR_DISCONNECTED) == 0)
		mig_fail(m, ERR_GENERIC, "QEMU went away during the %s",
		    m->what);
	else if (strcmp(err->class, ERR_TIMEOUT) == 0)
		mig_fail(m, ERR_TIMEOUT, "QEMU did not answer in time during "
		    "the %s", m->what);
	else {
		m->qemu_err = 1;	/* QEMU's own class and words */
		mig_fail(m, err->class, "%s", err->desc);
	}
}

/* Send one command; its reply goes to next. */
static void
mig_send(struct mig *m, const char *cmd, struct json_object *args, int fd,
    mig_next_fn next)
{
	struct qmp *q = m->vm != NULL ? vm_qmp(m->vm) : NULL;
	int64_t id;

	m->next = next;
	if (q == NULL) {
		json_object_put(args);
		mig_fail(m, ERR_GENERIC, "QMP is not connected");
		return;
	}
	m->inflight = 1;
	id = fd != -1 ? qmp_execute_fd(q, cmd, args, fd, SAVE_CMD_MS, mig_reply,
	    m) : qmp_execute(q, cmd, args, SAVE_CMD_MS, mig_reply, m);
	if (id == -1) {
		m->inflight = 0;
		mig_fail(m, ERR_GENERIC, "QMP is not connected");
	}
}

/* A command whose reply nobody waits for (an undo). */
static void
mig_undo(struct mig *m, const char *cmd, struct json_object *args)
{
	struct qmp *q = m->vm != NULL ? vm_qmp(m->vm) : NULL;

	if (q == NULL)
		json_object_put(args);
	else
		qmp_execute(q, cmd, args, SAVE_CMD_MS, NULL, NULL);
}

static struct json_object *
args1(const char *key, struct json_object *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, key, v);
	return o;
}

/* migrate-set-capabilities: MIGRATION events, to wake the poll */
static struct json_object *
events_cap(void)
{
	struct json_object *c = json_object_new_object(), *a;

	json_object_object_add(c, "capability", json_object_new_string(
	    "events"));
	json_object_object_add(c, "state", json_object_new_boolean(1));
	a = json_object_new_array();
	json_object_array_add(a, c);
	return args1("capabilities", a);
}

static void
mig_progress(struct mig *m, const char *status, uint64_t done, uint64_t total)
{
	int64_t now = mono_ms();

	if (done != m->last_done) {
		m->last_done = done;
		m->last_move = now;
	}
	if (now - m->last_event < SAVE_EVENT_MS)
		return;
	m->last_event = now;
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "job", json_object_new_string(m->what));
	json_object_object_add(d, "status", json_object_new_string(status));
	json_object_object_add(d, "processed", json_object_new_uint64(done));
	json_object_object_add(d, "total", json_object_new_uint64(total));
	json_object_object_add(d, "percent", json_object_new_double(total ?
	    (double)done * 100 / (double)total : 0));
	vm_emit(m->vm, EV_JOB_PROGRESS, json_object_get(d));
	req_event(m->r, EV_JOB_PROGRESS, d);
}

static void
mig_poll(struct mig *m)
{
	mig_send(m, "query-migrate", NULL, -1, m->next);
}

static void
poll_timer(evutil_socket_t fd, short what, void *arg)
{
	struct mig *m = arg;

	(void)fd;
	(void)what;
	if (!m->inflight && !m->dead)
		mig_poll(m);
}

static void
poll_later(struct mig *m)
{
	struct timeval tv = { 0, SAVE_POLL_MS * 1000 };

	if (m->timer == NULL)
		m->timer = evtimer_new(m->vm->d->base, poll_timer, m);
	evtimer_add(m->timer, &tv);
}

/* The VM's events: MIGRATION wakes the poll; QEMU gone ends it all. */
static void
mig_sink(void *arg, const struct vm_event *ev)
{
	struct mig *m = arg;

	if (ev->vm != m->vm || m->dead)
		return;
	if (ev->kind == VMEV_STOPPED || ev->kind == VMEV_REMOVED) {
		if (ev->kind == VMEV_REMOVED)
			m->vm = NULL;
		mig_fail(m, ERR_GENERIC, "QEMU exited during the %s", m->what);
	} else if (ev->kind == VMEV_MESSAGE && ev->name != NULL &&
	    strcmp(ev->name, "MIGRATION") == 0 && m->timer != NULL &&
	    !m->inflight)
		event_active(m->timer, EV_TIMEOUT, 0);
}

/*
 * Run fn on the next turn of the loop, out of the VM core's callbacks (a
 * VM is not undefined from inside its own exit).  m is held meanwhile.
 */
struct later {
	struct mig	*m;
	void		(*fn)(struct mig *);
};

static void
later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct later *l = arg;
	struct mig *m = l->m;

	(void)fd;
	(void)what;
	m->waiting--;
	l->fn(m);
	free(l);
}

static void
mig_later(struct mig *m, struct daemon *d, void (*fn)(struct mig *))
{
	struct later *l = xcalloc(1, sizeof(*l));
	struct timeval now = { 0, 0 };

	l->m = m;
	l->fn = fn;
	m->waiting++;
	event_base_once(d->base, -1, EV_TIMEOUT, later_cb, l, &now);
}

/* restore failed and QEMU is gone: undefine what restore defined; answer */
static void
restore_cleanup(struct mig *m)
{
	struct vm *vm = m->vm;
	char err[512];

	if (vm != NULL && m->defined && vm_find(m->r->d, m->name) == vm &&
	    !vm_active(vm) && vm_undefine(vm, err, sizeof(err)) == -1)
		log_warnx("restore: %s", err);
	req_error(m->r, m->eclass, "restore from %s failed: %s", m->path,
	    m->edesc);
	m->r = NULL;
	mig_release(m);
}

static void
restore_off(struct vm *vm, void *arg, int ok, const char *why)
{
	struct mig *m = arg;

	(void)vm;
	(void)ok;
	(void)why;
	m->waiting--;
	mig_later(m, m->r->d, restore_cleanup);
}

static void
restore_unwind(struct mig *m)
{
	struct vm *vm = m->vm;

	if (vm != NULL && vm_find(m->r->d, m->name) == vm && vm_active(vm)) {
		vm_destroy(vm, "restore failed");
		m->waiting++;
		vm_wait(vm, 1, SAVE_OFF_MS, restore_off, m);
		return;
	}
	restore_cleanup(m);
}

static void	save_undo(struct mig *);

static void
mig_fail(struct mig *m, const char *class, const char *fmt, ...)
{
	struct daemon *d;
	struct vm *vm = m->vm;
	char desc[1024];
	va_list ap;

	if (m->dead)
		return;
	d = m->r->d;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (strcmp(m->what, "save") == 0) {
		save_undo(m);
		unlink(m->path);
		log_warnx("%s: save to %s failed: %s", vm != NULL ? vm->name :
		    "?", m->path, desc);
		/* a QEMU error stays QEMU's, as in every other command */
		if (m->qemu_err)
			req_qemu_error(m->r, class, desc);
		else
			req_error(m->r, class, "save to %s failed: %s", m->path,
			    desc);
		m->r = NULL;
		mig_end(m, d);
		return;
	}
	/*
	 * restore: QEMU goes, and the VM too when restore defined it; the
	 * answer comes once that is done.
	 */
	log_warnx("restore from %s failed: %s", m->path, desc);
	strlcpy(m->eclass, class, sizeof(m->eclass));
	strlcpy(m->edesc, desc, sizeof(m->edesc));
	mig_later(m, d, restore_unwind);
	mig_end(m, d);
}

/* ---- save ---- */

static void
save_undo(struct mig *m)
{
	if (m->vm == NULL || !vm_active(m->vm))
		return;
	if (m->migrating)
		mig_undo(m, "migrate_cancel", NULL);
	if (m->fd_passed)
		mig_undo(m, "closefd", args1("fdname",
		    json_object_new_string(SAVE_FDNAME)));
	if (m->stopped)
		mig_undo(m, "cont", NULL);
}

static void
save_off(struct vm *vm, void *arg, int ok, const char *err)
{
	struct mig *m = arg;

	m->waiting--;
	if (!ok)
		log_warnx("%s: after the save: %s", vm->name, err);
	req_return(m->r, json_object_get(m->stats));
	m->r = NULL;
	mig_release(m);
}

/* The stream is in the file: what domjobinfo would show, then shut off. */
static void
save_written(struct mig *m, struct json_object *ret)
{
	struct json_object *ram = jget(ret, "ram"), *s;
	struct daemon *d = m->r->d;
	struct stat st;

	if (fdatasync(m->fd) == -1) {
		mig_fail(m, ERR_GENERIC, "cannot write %s: %s", m->path,
		    strerror(errno));
		return;
	}
	s = json_object_new_object();
	json_object_object_add(s, "file", json_object_new_string(m->path));
	json_object_object_add(s, "machine", json_object_new_string(
	    m->machine));
	json_object_object_add(s, "bypass_cache", json_object_new_boolean(
	    m->bypass));
	job_figures(s, ret, m->t0);
	json_object_object_add(s, "memory_processed", json_object_new_int64(
	    jint(ram, "total", 0) - jint(ram, "remaining", 0)));
	json_object_object_add(s, "file_size", json_object_new_int64(
	    fstat(m->fd, &st) == 0 ? (int64_t)st.st_size : 0));
	json_object_object_add(s, "state", json_object_new_string(
	    (m->flags & SAVE_RUNNING) ? "running" : "paused"));
	m->stats = s;
	struct vm *vm = m->vm;
	m->waiting++;
	mig_end(m, d);
	/* as virsh: the VM is shut off once its state is in the file */
	vm_destroy(vm, "saved");
	vm_wait(vm, 1, SAVE_OFF_MS, save_off, m);
}

/* The O_DIRECT writer's end: the stream is in the file, or not. */
static void
dio_done(void *arg, int ok, const char *err)
{
	struct mig *m = arg;

	m->dio = NULL;
	m->dio_over = ok ? 1 : -1;
	if (!ok)
		strlcpy(m->dio_err, err, sizeof(m->dio_err));
	if (m->dead || m->last == NULL)
		return;	/* QEMU's own end tells the rest */
	if (!ok)
		mig_fail(m, ERR_GENERIC, "writing %s past the page cache: %s",
		    m->path, m->dio_err);
	else
		save_written(m, m->last);
}

/*
 * QEMU's stream is complete.  With --bypass-cache, it is in the file
 * once the writer has read it all and written the tail.
 */
static void
save_done(struct mig *m, struct json_object *ret)
{
	m->migrating = 0;
	if (!m->bypass || m->dio_over == 1) {
		save_written(m, ret);
		return;
	}
	if (m->dio_over == -1) {
		mig_fail(m, ERR_GENERIC, "writing %s past the page cache: %s",
		    m->path, m->dio_err);
		return;
	}
	m->last = json_object_get(ret);	/* dio_done goes on */
}

static void
save_status(struct mig *m, struct json_object *ret)
{
	const char *st = jstr(ret, "status");
	struct json_object *ram = jget(ret, "ram");

	if (st == NULL) {
		mig_fail(m, ERR_GENERIC, "query-migrate gave no status");
		return;
	}
	if (strcmp(st, "completed") == 0) {
		save_done(m, ret);
		return;
	}
	if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0) {
		const char *why = jstr(ret, "error-desc");
		m->migrating = 0;
		if (m->dio_over == -1)	/* the writer's is the first cause */
			mig_fail(m, ERR_GENERIC, "writing %s past the page "
			    "cache: %s", m->path, m->dio_err);
		else
			mig_fail(m, ERR_GENERIC, "the migration %s%s%s", st,
			    why != NULL ? ": " : "", why != NULL ? why : "");
		return;
	}
	uint64_t total = (uint64_t)jint(ram, "total", 0);
	uint64_t left = (uint64_t)jint(ram, "remaining", 0);
	mig_progress(m, st, total >= left ? total - left : 0, total);
	if (mono_ms() - m->last_move > SAVE_STALL_MS) {
		mig_fail(m, ERR_TIMEOUT, "the migration made no progress for "
		    "%d s", SAVE_STALL_MS / 1000);
		return;
	}
	poll_later(m);
}

/*
 * The steps of a save, in order; each reply brings the next: the
 * descriptor, MIGRATION events, no bandwidth limit, the guest paused
 * (its memory is then written once, not page by page again), migrate,
 * then query-migrate until the stream is complete.
 */
enum { SV_MACHINE, SV_GETFD, SV_CAPS, SV_PARAMS, SV_STOP, SV_MIGRATE,
    SV_POLL };

/*
 * The machine type QEMU runs, from its machine object's QOM type
 * ("pc-i440fx-7.2-machine"); then the header; then, with
 * --bypass-cache, the O_DIRECT writer whose pipe QEMU gets.  -1 failed.
 */
static int
save_header(struct mig *m, struct json_object *ret)
{
	const char *t = json_object_get_string(ret);
	size_t n = t != NULL ? strlen(t) : 0;
	char err[1024];

	if (n <= 8 || strcmp(t + n - 8, "-machine") != 0 ||
	    n - 8 >= sizeof(m->machine)) {
		mig_fail(m, ERR_GENERIC, "QEMU's machine type '%s' is not "
		    "understood", t != NULL ? t : "");
		return -1;
	}
	snprintf(m->machine, sizeof(m->machine), "%.*s", (int)(n - 8), t);
	char *text = vmdef_text(m->vm->def);
	int rc = write_header(m->fd, text, m->machine, m->flags, err,
	    sizeof(err));
	free(text);
	if (rc == -1) {
		mig_fail(m, ERR_GENERIC, "%s", err);
		return -1;
	}
	if (m->bypass && (m->dio = directio_start(m->vm->d->base, m->fd,
	    &m->qfd, dio_done, m, err, sizeof(err))) == NULL) {
		mig_fail(m, ERR_GENERIC, "--bypass-cache: %s", err);
		return -1;
	}
	return 0;
}

static void
save_step(struct mig *m, struct json_object *ret)
{
	struct json_object *a;

	switch (m->stage++) {
	case SV_MACHINE:
		a = args1("path", json_object_new_string("/machine"));
		json_object_object_add(a, "property",
		    json_object_new_string("type"));
		mig_send(m, "qom-get", a, -1, save_step);
		break;
	case SV_GETFD:
		if (save_header(m, ret) == -1)
			break;
		mig_send(m, "getfd", args1("fdname", json_object_new_string(
		    SAVE_FDNAME)), m->bypass ? m->qfd : m->fd, save_step);
		break;
	case SV_CAPS:
		/* QEMU has its own copy of the pipe's end now */
		if (m->qfd > 0)
			close(m->qfd);
		m->qfd = -1;
		m->fd_passed = 1;
		mig_send(m, "migrate-set-capabilities", events_cap(), -1,
		    save_step);
		break;
	case SV_PARAMS:
		mig_send(m, "migrate-set-parameters", args1("max-bandwidth",
		    json_object_new_uint64(SAVE_BANDWIDTH)), -1, save_step);
		break;
	case SV_STOP:
		if (m->vm->state == VM_RUNNING) {
			m->stopped = 1;
			mig_send(m, "stop", NULL, -1, save_step);
			break;
		}
		m->stage++;
		/* FALLTHROUGH */
	case SV_MIGRATE:
		mig_send(m, "migrate", args1("uri", json_object_new_string(
		    "fd:" SAVE_FDNAME)), -1, save_step);
		break;
	case SV_POLL:
		/* QEMU took the descriptor: no closefd from here on */
		m->fd_passed = 0;
		m->migrating = 1;
		m->last_move = mono_ms();
		m->next = save_status;
		mig_poll(m);
		break;
	}
}

/* {"file", "running", "paused", "bypass_cache"} */
static void
d_save(struct req *r, struct vm *vm)
{
	const char *file = req_str(r, "file");
	int running = req_bool(r, "running"), paused = req_bool(r, "paused");
	char err[1024];

	if (running && paused) {
		req_error(r, ERR_GENERIC, "save: running and paused are "
		    "mutually exclusive");
		return;
	}
	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s; only a running "
		    "or paused VM can be saved", vm->name,
		    vm_state_name(vm->state));
		return;
	}
	int fd = open_as(r, file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0600, err, sizeof(err));
	if (fd == -1) {
		req_error(r, errno == EEXIST ? ERR_EXISTS : ERR_GENERIC, "%s%s",
		    err, errno == EEXIST ? " (save never overwrites a file)" :
		    "");
		return;
	}
	struct mig *m = xcalloc(1, sizeof(*m));
	m->r = r;
	m->vm = vm;
	m->what = "save";
	m->fd = fd;
	m->qfd = -1;
	m->t0 = mono_ms();
	m->bypass = req_bool(r, "bypass_cache");
	strlcpy(m->path, file, sizeof(m->path));
	if (running || (!paused && vm->state == VM_RUNNING))
		m->flags = SAVE_RUNNING;
	m->sink = events_sink(r->d, mig_sink, m);
	save_step(m, NULL);
}

/* ---- restore ---- */

static void
restore_finish(struct mig *m)
{
	struct json_object *o;

	if (m->bypass)
		posix_fadvise(m->fd, 0, 0, POSIX_FADV_DONTNEED);
	/* the state it ends in, whatever order QEMU's events came in */
	vm_set_state(m->vm, m->paused ? VM_PAUSED : VM_RUNNING, "restored");
	o = vm_info(m->vm);
	json_object_object_add(o, "time_elapsed_ms", json_object_new_int64(
	    mono_ms() - m->t0));
	req_return(m->r, o);
	m->r = NULL;
	mig_end(m, m->vm->d);
}

static void	restore_step(struct mig *, struct json_object *);

static void
restore_status(struct mig *m, struct json_object *ret)
{
	const char *st = jstr(ret, "status");

	if (st == NULL) {
		mig_fail(m, ERR_GENERIC, "query-migrate gave no status");
		return;
	}
	if (strcmp(st, "completed") == 0) {
		restore_step(m, ret);
		return;
	}
	if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0) {
		const char *why = jstr(ret, "error-desc");
		mig_fail(m, ERR_GENERIC, "the incoming migration %s%s%s", st,
		    why != NULL ? ": " : "", why != NULL ? why : "");
		return;
	}
	/* how far QEMU read: the file offset it shares with us */
	off_t at = lseek(m->fd, 0, SEEK_CUR);
	mig_progress(m, st, at > 0 ? (uint64_t)at : 0, (uint64_t)m->size);
	if (mono_ms() - m->last_move > SAVE_STALL_MS) {
		mig_fail(m, ERR_TIMEOUT, "the incoming migration made no "
		    "progress for %d s", SAVE_STALL_MS / 1000);
		return;
	}
	poll_later(m);
}

/*
 * The steps of a restore once QEMU waits (-incoming defer): the
 * descriptor, MIGRATION events, migrate-incoming, query-migrate until
 * the state is in, then cont unless it stays paused.
 */
enum { RS_GETFD, RS_CAPS, RS_INCOMING, RS_POLL, RS_CONT, RS_DONE };

static void
restore_step(struct mig *m, struct json_object *ret)
{
	(void)ret;
	switch (m->stage++) {
	case RS_GETFD:
		mig_send(m, "getfd", args1("fdname", json_object_new_string(
		    RESTORE_FDNAME)), m->fd, restore_step);
		break;
	case RS_CAPS:
		mig_send(m, "migrate-set-capabilities", events_cap(), -1,
		    restore_step);
		break;
	case RS_INCOMING:
		mig_send(m, "migrate-incoming", args1("uri",
		    json_object_new_string("fd:" RESTORE_FDNAME)), -1,
		    restore_step);
		break;
	case RS_POLL:
		m->last_move = mono_ms();
		m->next = restore_status;
		mig_poll(m);
		break;
	case RS_CONT:
		if (!m->paused) {
			mig_send(m, "cont", NULL, -1, restore_step);
			break;
		}
		/* FALLTHROUGH */
	case RS_DONE:
		restore_finish(m);
		break;
	}
}

static void
restore_started(struct vm *vm, void *arg, int ok, const char *err)
{
	struct mig *m = arg;

	(void)vm;
	m->waiting--;
	if (m->dead)
		mig_release(m);
	else if (!ok)
		mig_fail(m, ERR_GENERIC, "QEMU did not start: %s", err);
	else
		restore_step(m, NULL);
}

/*
 * Where the saved VM goes: a new VM, or one shut off with the same UUID
 * (restore recreates it).  -1 answered.
 */
static int
restore_target(struct req *r, struct vmdef *def, struct vm **vmp)
{
	struct vm *vm = vm_find(r->d, def->name), *o;

	*vmp = vm;
	if ((o = vm_uuid_owner(r->d, def->uuid, vm)) != NULL) {
		req_error(r, ERR_EXISTS, "uuid: %s belongs to VM '%s' already",
		    def->uuid, o->name);
		return -1;
	}
	if (vm == NULL) {
		if (!uid_is_admin(r->d, r->uid)) {
			req_error(r, ERR_PERMISSION, "restore: only root may "
			    "define a VM; '%s' does not exist", def->name);
			return -1;
		}
		return 0;
	}
	if (!vm_may_use(vm, r->uid)) {
		req_error(r, ERR_PERMISSION, "VM '%s' belongs to another user",
		    vm->name);
		return -1;
	}
	if (vm_active(vm)) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s; restore "
		    "recreates it: destroy it first", vm->name,
		    vm_state_name(vm->state));
		return -1;
	}
	if (strcmp(vm_persistent(vm)->uuid, def->uuid) != 0) {
		req_error(r, ERR_EXISTS, "VM '%s' exists with UUID %s, not the "
		    "saved %s", vm->name, vm_persistent(vm)->uuid, def->uuid);
		return -1;
	}
	return restore_admit(r, def, vm);
}

/* {"file", "running", "paused", "bypass_cache"} */
static void
d_restore(struct req *r, struct vm *unused)
{
	const char *file = req_str(r, "file");
	int running = req_bool(r, "running"), paused = req_bool(r, "paused");
	char err[1024];
	uint32_t flags;
	struct stat st;
	struct vm *vm;

	(void)unused;
	if (running && paused) {
		req_error(r, ERR_GENERIC, "restore: running and paused are "
		    "mutually exclusive");
		return;
	}
	int fd = open_as(r, file, O_RDONLY, 0, err, sizeof(err));
	if (fd == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	char machine[SAVE_MAX_MACHINE];
	char *text = read_header(fd, file, &flags, machine, sizeof(machine),
	    err, sizeof(err));
	if (text == NULL) {
		close(fd);
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	struct vmdef *def = vmdef_parse(text, file, err, sizeof(err));
	free(text);
	if (def == NULL) {
		close(fd);
		req_error(r, ERR_INVALID_DEF, "the definition in %s", err);
		return;
	}
	if (machine[0] != '\0' && vmdef_pin_machine(def, machine, err,
	    sizeof(err)) == -1) {
		close(fd);
		vmdef_free(def);
		req_error(r, ERR_INVALID_DEF, "the machine in %s: %s", file,
		    err);
		return;
	}
	if (restore_target(r, def, &vm) == -1) {
		close(fd);
		vmdef_free(def);
		return;
	}
	struct mig *m = xcalloc(1, sizeof(*m));
	m->r = r;
	m->what = "restore";
	m->fd = fd;
	m->t0 = mono_ms();
	m->bypass = req_bool(r, "bypass_cache");
	m->paused = paused || (!running && !(flags & SAVE_RUNNING));
	m->size = fstat(fd, &st) == 0 ? st.st_size : 0;
	strlcpy(m->path, file, sizeof(m->path));
	struct vmdef *run = def;
	if (vm == NULL) {
		/* as virsh: restore recreates the domain */
		if (vm_define(r->d, def, &vm, err, sizeof(err)) == -1) {
			vmdef_free(def);
			req_error(r, ERR_GENERIC, "%s", err);
			m->r = NULL;
			mig_end(m, r->d);
			return;
		}
		m->defined = 1;
		run = NULL;
	}
	m->vm = vm;
	strlcpy(m->name, vm->name, sizeof(m->name));
	if (vm_start_incoming(vm, run, err, sizeof(err)) == -1) {
		mig_fail(m, ERR_GENERIC, "%s", err);
		return;
	}
	m->sink = events_sink(r->d, mig_sink, m);
	m->waiting++;
	vm_wait(vm, 0, RESTORE_START_MS, restore_started, m);
}

const struct dcmd dcmds_save[] = {
	{ "save",	d_save,		NEEDS_VM | NEEDS_QMP },
	{ "restore",	d_restore,	0 },
	{ NULL, NULL, 0 }
};
