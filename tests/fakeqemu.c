/* A fake QEMU for the supervisor's unit tests: see fakeqemu.h. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

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
#include "fakeqemu.h"
#include "jget.h"
#include "qmp.h"
#include "req.h"
#include "testutil.h"
#include "vm.h"

struct fx *F;

/* ---- the fake QEMU ---- */

struct json_object *
peer_recv(struct fx *f)
{
	char *line = tu_read_line(f->peer, f->base, 5000);

	if (line == NULL)
		fail_msg("the supervisor sent nothing to QEMU");
	struct json_object *o = json_tokener_parse(line);
	if (o == NULL)
		fail_msg("not JSON: %s", line);
	free(line);
	return o;
}

/* Read one command, check its name, return its id. */
long long
expect_cmd(struct fx *f, const char *name, struct json_object **argsp)
{
	struct json_object *c = peer_recv(f);
	const char *got = jstr(c, "execute");

	if (got == NULL || strcmp(got, name) != 0)
		fail_msg("QEMU got %s, expected %s",
		    json_object_to_json_string(c), name);
	long long id = jint(c, "id", -1);
	if (argsp != NULL)
		*argsp = json_object_get(jget(c, "arguments"));
	json_object_put(c);
	return id;
}

void __attribute__((format(printf, 2, 3)))
peer_send(struct fx *f, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tu_write_str(f->peer, buf);
	tu_write_str(f->peer, "\r\n");
}

void
answer(struct fx *f, long long id, const char *ret)
{
	peer_send(f, "{\"return\": %s, \"id\": %lld}", ret, id);
}

void
answer_error(struct fx *f, long long id, const char *class, const char *desc)
{
	peer_send(f, "{\"error\": {\"class\": \"%s\", \"desc\": \"%s\"}, "
	    "\"id\": %lld}", class, desc, id);
}

void
pump(struct fx *f, int ms)
{
	long long end = tu_now_ms() + ms;

	while (tu_now_ms() < end) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(200);
	}
}

void
answer_id(struct fx *f, const char *name, const char *id)
{
	struct json_object *a;

	answer(f, expect_cmd(f, name, &a), "{}");
	assert_string_equal(jstr(a, "id"), id);
	json_object_put(a);
}

void
device_deleted(struct fx *f, const char *id)
{
	peer_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": "
	    "{\"device\": \"%s\"}, \"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 0}}", id);
}

void
handshake(struct fx *f)
{
	tu_write_str(f->peer, GREETING);
	answer(f, expect_cmd(f, "qmp_capabilities", NULL), "{}");
}

/* ---- fixtures ---- */

static void
bare_ready(void *arg, struct qmp *q)
{
	(void)q;
	((struct fx *)arg)->ready = 1;
}

static void
bare_closed(void *arg, struct qmp *q, const char *why)
{
	(void)arg;
	(void)q;
	(void)why;
}

struct fx *
fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	daemon_init(&f->d, f->base, "/usr/bin/qemu-system-x86_64");
	f->dir = tu_mkdtemp("daemon");
	snprintf(f->d.statedir, sizeof(f->d.statedir), "%s", f->dir);
	snprintf(f->d.defdir, sizeof(f->d.defdir), "%s/vms", f->dir);
	snprintf(f->d.runroot, sizeof(f->d.runroot), "%s/run", f->dir);
	assert_int_equal(mkdir(f->d.defdir, 0700), 0);
	assert_int_equal(mkdir(f->d.runroot, 0700), 0);
	f->peer = -1;
	F = f;
	return f;
}

/* A bare QMP connection to the fake QEMU, negotiated. */
void
fx_bare_qmp(struct fx *f)
{
	static const struct qmp_callbacks cbs = { bare_ready, bare_closed };
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	f->q = qmp_new(f->base, NULL, &cbs, f);
	assert_int_equal(qmp_attach_fd(f->q, sv[0]), 0);
	f->peer = sv[1];
	handshake(f);
	assert_true(tu_pump(f->base, &f->ready, 3000));
}

/*
 * A defined VM whose "QEMU" is the fake peer, as if just spawned: the
 * supervisor's own pid stands in for QEMU's (the socketpair's peer).
 */
struct vm *
fx_vm(struct fx *f, const char *text)
{
	static const struct qmp_callbacks cbs = { vm_qmp_ready_cb,
	    vm_qmp_closed_cb };
	char err[512];
	int sv[2];

	struct vmdef *def = vmdef_parse(text, "test", err, sizeof(err));
	if (def == NULL)
		fail_msg("%s", err);
	struct vm *vm = vm_add(&f->d, def);
	assert_int_equal(mkdir(vm->paths.dir, 0700), 0);
	assert_int_equal(mkdir(vm->paths.qdir, 0700), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	vm->pid = getpid();
	vm->qmp = qmp_new(f->base, NULL, &cbs, vm);
	qmp_subscribe(vm->qmp, NULL, vm_qmp_event_cb, vm);
	assert_int_equal(qmp_attach_fd(vm->qmp, sv[0]), 0);
	vm_process_started(vm);
	vm_set_state(vm, VM_STARTING, "booting");
	f->peer = sv[1];
	f->vm = vm;
	return vm;
}



/* The VM started, through its start job: cont only. */
struct vm *
fx_running_vm(struct fx *f, const char *text)
{
	struct vm *vm = fx_vm(f, text);

	handshake(f);
	for (;;) {
		struct json_object *c = peer_recv(f);
		const char *name = jstr(c, "execute");
		int cont = strcmp(name, "cont") == 0;
		answer(f, jint(c, "id", -1), strcmp(name, "query-vnc") == 0 ?
		    "{\"service\": \"5900\"}" : "{}");
		json_object_put(c);
		if (cont)
			break;
	}
	for (int i = 0; i < 3000 && vm->state != VM_RUNNING; i++)
		pump(f, 1);
	assert_int_equal(vm->state, VM_RUNNING);
	return vm;
}

void
fx_free(struct fx *f)
{
	struct vm *vm, *t;

	TAILQ_FOREACH_SAFE(vm, &f->d.vms, entry, t) {
		vm->pid = 0;	/* nothing to signal: it was us */
		vm_remove(vm);
	}
	if (f->q != NULL)
		qmp_free(f->q);
	if (f->peer != -1)
		close(f->peer);
	for (int i = 0; i < f->nmsgs; i++)
		json_object_put(f->msgs[i]);
	daemon_fini(&f->d);
	event_base_free(f->base);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	F = NULL;
}

/* ---- requests ---- */

static void
conn_send(void *conn, struct json_object *m)
{
	struct fx *f = conn;

	assert_true(f->nmsgs < 32);
	f->msgs[f->nmsgs++] = json_object_get(m);
}

const struct req_ops test_ops = { conn_send, NULL, NULL, NULL, NULL, NULL,
    NULL };

void
request(struct fx *f, const char *cmd, const char *args)
{
	struct json_object *a = json_tokener_parse(args);

	assert_non_null(a);
	dispatch(req_new(&f->d, &test_ops, f, cmd, json_object_new_int(1), a,
	    0, 1));
}

void
request_as(struct fx *f, uid_t uid, const char *cmd, const char *args)
{
	struct json_object *a = json_tokener_parse(args);

	assert_non_null(a);
	dispatch(req_new(&f->d, &test_ops, f, cmd, json_object_new_int(1), a,
	    uid, 1));
}

/* The next reply, waiting for it; removed from the list. */
struct json_object *
reply(struct fx *f)
{
	for (int i = 0; i < 5000 && f->nmsgs == 0; i++)
		pump(f, 1);
	if (f->nmsgs == 0)
		fail_msg("no reply");
	struct json_object *m = f->msgs[0];
	memmove(f->msgs, f->msgs + 1, (size_t)--f->nmsgs * sizeof(f->msgs[0]));
	return m;
}

void
expect_error(struct fx *f, const char *class, const char *desc_part,
    int qemu)
{
	struct json_object *m = reply(f), *e = jget(m, "error");

	if (e == NULL)
		fail_msg("not an error: %s", json_object_to_json_string(m));
	assert_string_equal(jstr(e, "class"), class);
	if (strstr(jstr(e, "desc"), desc_part) == NULL)
		fail_msg("desc '%s' lacks '%s'", jstr(e, "desc"), desc_part);
	assert_int_equal(jbool(e, "qemu"), qemu);
	json_object_put(m);
}

/* The next reply that is not an event (progress events skipped). */
struct json_object *
reply_not_event(struct fx *f)
{
	for (;;) {
		struct json_object *m = reply(f);
		if (jget(m, "event") == NULL)
			return m;
		json_object_put(m);
	}
}

struct json_object *
expect_return(struct fx *f)
{
	struct json_object *m = reply(f), *r = jget(m, "return");

	if (r == NULL)
		fail_msg("not a return: %s", json_object_to_json_string(m));
	json_object_get(r);
	json_object_put(m);
	return r;
}

/* ---- a fake destination supervisor, for migration tests ---- */

/* The fake destination: a listening socket, non-blocking. */
int
dest_listen(struct fx *f, char *path, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	snprintf(path, len, "%s/dest.sock", f->dir);
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	assert_true(fd != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* The source supervisor's connection, once it comes (5 s at most). */
int
dest_accept(struct fx *f, int lfd)
{
	for (int i = 0; i < 5000; i++) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c != -1)
			return c;
		pump(f, 1);
	}
	fail_msg("the source did not connect to the destination");
	return -1;
}

/* A request on the destination's socket; its id and arguments. */
long long
dest_expect(struct fx *f, int c, const char *name, struct json_object **argsp)
{
	return dest_expect_answering(f, c, name, argsp, NULL, NULL);
}

long long
dest_expect_answering(struct fx *f, int c, const char *name,
    struct json_object **argsp, const char *skip, const char *skip_ret)
{
	struct json_object *o;

	for (;;) {
		char *line = tu_read_line(c, f->base, 5000);
		if (line == NULL)
			fail_msg("the destination got nothing (expected %s)",
			    name);
		o = json_tokener_parse(line);
		free(line);
		assert_non_null(o);
		const char *got = jstr(o, "execute");
		if (skip == NULL || strcmp(name, skip) == 0 || got == NULL ||
		    strcmp(got, skip) != 0)
			break;
		dest_answer(c, jint(o, "id", -1), skip_ret);
		json_object_put(o);
	}
	assert_string_equal(jstr(o, "execute"), name);
	long long id = jint(o, "id", -1);
	if (argsp != NULL)
		*argsp = json_object_get(jget(o, "arguments"));
	json_object_put(o);
	return id;
}

void
dest_answer(int c, long long id, const char *ret)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"id\": %lld, \"return\": %s}\n", id, ret);
	tu_write_str(c, buf);
}

void
migrate_probes(struct fx *f, const char *caps, const char *params)
{
	answer(f, expect_cmd(f, "qom-get", NULL), "\"pc-i440fx-7.2-machine\"");
	answer(f, expect_cmd(f, "query-migrate-capabilities", NULL), caps);
	answer(f, expect_cmd(f, "query-migrate-parameters", NULL), params);
}

int
migrate_started(struct fx *f, const char *path, int lfd, const char *more,
    const char *caps, const char *params)
{
	migrate_request(f, path, more);
	migrate_probes(f, caps, params);
	int c = dest_accept(f, lfd);
	dest_answer(c, dest_expect(f, c, "migrate-prepare", NULL),
	    "{\"uri\": \"unix:/nowhere/migrate.sock\"}");
	answer(f, expect_cmd(f, "migrate-set-capabilities", NULL), "{}");
	answer(f, expect_cmd(f, "migrate-set-parameters", NULL), "{}");
	answer(f, expect_cmd(f, "migrate", NULL), "{}");
	return c;
}

void
migrate_request(struct fx *f, const char *dest, const char *more)
{
	char args[1024];

	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"dest\": \"%s\"%s}",
	    dest, more);
	request(f, "migrate", args);
}

/* The capability named in a list of {"capability", "state"}: its state. */
int
cap_state(struct json_object *caps, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(caps); i++) {
		struct json_object *c = json_object_array_get_idx(caps, i);
		if (strcmp(jstr(c, "capability"), name) == 0)
			return jbool(c, "state");
	}
	return -1;
}
