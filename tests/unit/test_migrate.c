/*
 * Live migration against the fake QEMU (tests/fakeqemu.h) and a fake
 * destination supervisor (a UNIX socket the test answers on): the
 * source's steps in order (machine type, probes, migrate-prepare with
 * the running definition and every capability on or off, the same
 * settings here, migrate, query-migrate, migrate-finish, quit, the
 * definition gone); its rollback when QEMU refuses migrate (old
 * capabilities and parameters back, migrate-abort on the destination,
 * QEMU's error unchanged, the VM running and defined); a cancel while
 * QEMU migrates (the settings back only once it stopped); an option QEMU
 * lacks refused before the destination is reached; and the destination
 * refusing a definition whose name is taken.  The destination's side
 * when the connection prepare came on closes: while preparing or before
 * completion QEMU quits and the definition goes; after it the VM stays, paused (and
 * "listen": "localhost" looked up without blocking, to tcp:127.0.0.1).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
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
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "testutil.h"
#include "vm.h"

#define RUNNING_VM	PLAIN_VM "uuid: 00000000-0000-4000-8000-0000000000b1\n"

#define CAPS_REPLY	"[{\"capability\": \"events\", \"state\": false}, " \
	"{\"capability\": \"xbzrle\", \"state\": false}, " \
	"{\"capability\": \"auto-converge\", \"state\": false}, " \
	"{\"capability\": \"multifd\", \"state\": false}]"
#define PARAMS_REPLY	"{\"max-bandwidth\": 33554432, " \
	"\"downtime-limit\": 300, \"multifd-channels\": 2}"

/* migrate-prepare as the destination gets it, answered with a URI. */
static void
prepare(struct fx *f, int c, int xbzrle)
{
	struct json_object *a;
	long long id = dest_expect(f, c, "migrate-prepare", &a);

	assert_non_null(strstr(jstr(a, "text"), "name: t1\n"));
	assert_string_equal(jstr(a, "machine"), "pc-i440fx-7.2");
	assert_int_equal(cap_state(jget(a, "capabilities"), "xbzrle"), xbzrle);
	assert_int_equal(cap_state(jget(a, "capabilities"), "multifd"), 0);
	assert_int_equal(jint(jget(a, "parameters"), "max-bandwidth", 0),
	    1LL << 40);
	assert_false(jbool(a, "paused"));
	json_object_put(a);
	dest_answer(c, id, "{\"uri\": \"unix:/nowhere/migrate.sock\", "
	    "\"name\": \"t1\"}");
}

/* The same settings here: events on too; then migrate with the URI. */
static long long
settings_then_migrate(struct fx *f, int xbzrle)
{
	struct json_object *a;

	answer(f, expect_cmd(f, "migrate-set-capabilities", &a), "{}");
	assert_int_equal(cap_state(jget(a, "capabilities"), "events"), 1);
	assert_int_equal(cap_state(jget(a, "capabilities"), "xbzrle"), xbzrle);
	json_object_put(a);
	answer(f, expect_cmd(f, "migrate-set-parameters", &a), "{}");
	assert_int_equal(jint(a, "max-bandwidth", 0), 1LL << 40);
	json_object_put(a);
	long long id = expect_cmd(f, "migrate", &a);
	assert_string_equal(jstr(a, "uri"), "unix:/nowhere/migrate.sock");
	json_object_put(a);
	return id;
}

static struct json_object *
reply_skipping_events(struct fx *f, int *nev)
{
	for (;;) {
		struct json_object *m = reply(f);
		if (jget(m, "event") == NULL)
			return m;
		assert_string_equal(jstr(jget(m, "data"), "job"), "migrate");
		(*nev)++;
		json_object_put(m);
	}
}

static void
test_migrate_steps(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path)), nev = 0;

	(void)state;
	migrate_request(f, path, "");
	migrate_probes(f, CAPS_REPLY, PARAMS_REPLY);
	int c = dest_accept(f, lfd);
	prepare(f, c, 0);
	answer(f, settings_then_migrate(f, 0), "{}");
	answer(f, expect_cmd(f, "query-migrate", NULL), "{\"status\": "
	    "\"active\", \"ram\": {\"total\": 1000, \"remaining\": 600, "
	    "\"transferred\": 400, \"dirty-sync-count\": 1}}");
	/* a MIGRATION event wakes the next poll */
	peer_send(f, "{\"event\": \"MIGRATION\", \"data\": {\"status\": "
	    "\"completed\"}, \"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 0}}");
	answer(f, expect_cmd(f, "query-migrate", NULL), "{\"status\": "
	    "\"completed\", \"total-time\": 120, \"downtime\": 7, "
	    "\"setup-time\": 3, \"ram\": {\"total\": 1000, \"remaining\": 0, "
	    "\"transferred\": 1010, \"dirty-sync-count\": 2}}");
	/* the destination resumes; then this QEMU goes */
	struct json_object *a;
	long long id = dest_expect(f, c, "migrate-finish", &a);
	assert_string_equal(jstr(a, "name"), "t1");
	json_object_put(a);
	dest_answer(c, id, "{}");
	answer(f, expect_cmd(f, "quit", NULL), "{}");
	close(f->peer);
	f->peer = -1;
	vm_cleanup_process(vm);
	vm_set_state(vm, VM_SHUTOFF, "migrated");
	struct json_object *m = reply_skipping_events(f, &nev);
	struct json_object *r = jget(m, "return");
	assert_non_null(r);
	assert_true(nev >= 1);
	assert_int_equal(jint(r, "downtime_ms", 0), 7);
	assert_int_equal(jint(r, "setup_time_ms", 0), 3);
	assert_int_equal(jint(r, "data_processed", 0), 1010);
	assert_int_equal(jint(r, "passes", 0), 2);
	assert_string_equal(jstr(r, "machine"), "pc-i440fx-7.2");
	json_object_put(m);
	/* the definition moved away */
	assert_null(vm_find(&f->d, "t1"));
	close(c);
	close(lfd);
	fx_free(f);
}

/* QEMU refuses migrate: everything set is set back, the destination drops. */
static void
test_migrate_rollback(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path));
	struct json_object *a;

	(void)state;
	migrate_request(f, path, ", \"xbzrle\": true");
	migrate_probes(f, CAPS_REPLY, PARAMS_REPLY);
	int c = dest_accept(f, lfd);
	prepare(f, c, 1);
	answer_error(f, settings_then_migrate(f, 1), "GenericError",
	    "no way");
	/* the undo, in reverse: capabilities, then parameters, as they were */
	answer(f, expect_cmd(f, "migrate-set-capabilities", &a), "{}");
	assert_int_equal(cap_state(jget(a, "capabilities"), "xbzrle"), 0);
	json_object_put(a);
	answer(f, expect_cmd(f, "migrate-set-parameters", &a), "{}");
	assert_int_equal(jint(a, "max-bandwidth", 0), 33554432);
	json_object_put(a);
	long long id = dest_expect(f, c, "migrate-abort", &a);
	assert_string_equal(jstr(a, "name"), "t1");
	json_object_put(a);
	dest_answer(c, id, "{}");
	struct json_object *m = reply_not_event(f);
	assert_string_equal(jstr(jget(m, "error"), "class"), "GenericError");
	assert_string_equal(jstr(jget(m, "error"), "desc"), "no way");
	json_object_put(m);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_ptr_equal(vm_find(&f->d, "t1"), vm);
	close(c);
	close(lfd);
	fx_free(f);
}

/*
 * migrate-cancel while QEMU migrates: migrate_cancel, then the settings
 * back once QEMU has stopped (cancelling, then cancelled), then the
 * destination drops its half; the migrate request fails last.
 */
static void
test_migrate_cancel(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path));
	struct json_object *a, *m;

	(void)state;
	int c = migrate_started(f, path, lfd, ", \"auto_converge\": true",
	    CAPS_REPLY, PARAMS_REPLY);
	answer(f, expect_cmd(f, "query-migrate", NULL), "{\"status\": "
	    "\"active\", \"ram\": {\"total\": 1000, \"remaining\": 900}}");
	request(f, "migrate-cancel", "{\"name\": \"t1\"}");
	answer(f, expect_cmd(f, "migrate_cancel", NULL), "{}");
	answer(f, expect_cmd(f, "query-migrate", NULL),
	    "{\"status\": \"cancelling\"}");
	answer(f, expect_cmd(f, "query-migrate", NULL),
	    "{\"status\": \"cancelled\"}");
	answer(f, expect_cmd(f, "migrate-set-capabilities", &a), "{}");
	assert_int_equal(cap_state(jget(a, "capabilities"), "auto-converge"),
	    0);
	json_object_put(a);
	answer(f, expect_cmd(f, "migrate-set-parameters", &a), "{}");
	assert_int_equal(jint(a, "max-bandwidth", 0), 33554432);
	json_object_put(a);
	dest_answer(c, dest_expect(f, c, "migrate-abort", NULL), "{}");
	/* the cancel's answer, then the migration's error */
	m = reply_not_event(f);
	assert_non_null(jget(m, "return"));
	json_object_put(m);
	m = reply_not_event(f);
	assert_non_null(strstr(jstr(jget(m, "error"), "desc"),
	    "cancelled by the user"));
	json_object_put(m);
	assert_int_equal(vm->state, VM_RUNNING);
	close(c);
	close(lfd);
	fx_free(f);
}

/* An option this QEMU lacks: refused before the destination is asked. */
static void
test_migrate_missing_cap(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path));

	(void)state;
	migrate_request(f, path, ", \"multifd\": 2");
	migrate_probes(f, "[{\"capability\": \"events\", \"state\": false}]",
	    PARAMS_REPLY);
	expect_error(f, ERR_GENERIC, "the source's QEMU has no migration "
	    "capability 'multifd'", 0);
	pump(f, 20);
	assert_int_equal(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), -1);
	assert_int_equal(vm->state, VM_RUNNING);
	close(lfd);
	fx_free(f);
}

/* Bad requests: one error each, nothing started or defined. */
static void
test_migrate_refusals(void **state)
{
	struct fx *f = fx_new();
	char args[1024];

	(void)state;
	fx_vm(f, RUNNING_VM);
	request(f, "migrate", "{\"name\": \"t1\", \"dest\": \"/x.sock\"}");
	expect_error(f, ERR_INVALID_STATE, "is starting", 0);
	/* the destination: the name is taken by another UUID */
	snprintf(args, sizeof(args), "{\"text\": \"%s\", \"machine\": "
	    "\"pc-i440fx-7.2\"}", PLAIN_VM
	    "uuid: 00000000-0000-4000-8000-0000000000b2\\n");
	request(f, "migrate-prepare", args);
	expect_error(f, ERR_EXISTS, "the destination has VM 't1' already", 0);
	request(f, "migrate-prepare", "{\"text\": \"name: x\\n\"}");
	expect_error(f, ERR_GENERIC, "needs \"text\" and \"machine\"", 0);
	request(f, "migrate-finish", "{\"name\": \"t1\"}");
	expect_error(f, ERR_INVALID_STATE, "QMP connection is not ready", 0);
	request(f, "migrate-abort", "{\"name\": \"t1\"}");
	expect_error(f, ERR_INVALID_STATE, "has no incoming migration", 0);
	request(f, "migrate-cancel", "{\"name\": \"t1\"}");
	expect_error(f, ERR_INVALID_STATE, "is not migrating from here", 0);
	/* not root: no preparing */
	request_as(f, 4242, "migrate-prepare", args);
	expect_error(f, ERR_PERMISSION, "only root", 0);
	assert_null(vm_find(&f->d, "x"));
	fx_free(f);
}

/* ---- the destination when its source goes away ---- */

/* The source's connection: replies to f->msgs, one closer. */
static struct req_closer *src_closer;

static void
src_send(void *conn, struct json_object *m)
{
	struct fx *f = conn;

	assert_true(f->nmsgs < 32);
	f->msgs[f->nmsgs++] = json_object_get(m);
}

static void
src_watch(void *conn, struct req_closer *c)
{
	(void)conn;
	assert_null(src_closer);
	src_closer = c;
}

static void
src_unwatch(void *conn, struct req_closer *c)
{
	(void)conn;
	assert_ptr_equal(src_closer, c);
	src_closer = NULL;
}

static const struct req_ops src_ops = { src_send, NULL, NULL, NULL,
    src_watch, src_unwatch, NULL };

/* The connection closes, as control.c's client_free tells it. */
static void
src_close(void)
{
	struct req_closer *c = src_closer;

	assert_non_null(c);
	src_closer = NULL;
	c->conn = NULL;
	c->fn(c->arg);
}

static char fake_emu[PATH_MAX];

/*
 * migrate-prepare of a new VM, its "QEMU" a shell sleeping (the process
 * watched) while its QMP is the fake peer; answered up to the URI.
 */
static struct vm *
prepared(struct fx *f, pid_t *pid, const char *listen, const char *until,
    long long *held)
{
	static const struct qmp_callbacks cbs = { vm_qmp_ready_cb,
	    vm_qmp_closed_cb };
	char args[1024];
	int sv[2];

	snprintf(fake_emu, sizeof(fake_emu), "%s/qemu", f->dir);
	FILE *fp = fopen(fake_emu, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n[ \"$1 $2\" = \"-L help\" ] && "
	    "{ echo /usr/share/qemu; exit 0; }\nexec sleep 60\n");
	fclose(fp);
	chmod(fake_emu, 0755);
	f->d.qemu = fake_emu;
	src_closer = NULL;
	snprintf(args, sizeof(args), "{\"text\": \"%s\", \"machine\": "
	    "\"pc-i440fx-7.2\"%s%s%s}", "name: t1\\nmemory: 256\\nballoon: "
	    "off\\nconsole: none\\nuuid: 00000000-0000-4000-8000-"
	    "0000000000b3\\n", listen != NULL ? ", \"listen\": \"" : "",
	    listen != NULL ? listen : "", listen != NULL ? "\"" : "");
	struct json_object *a = json_tokener_parse(args);
	assert_non_null(a);
	dispatch(req_new(&f->d, &src_ops, f, "migrate-prepare",
	    json_object_new_int(1), a, 0, 1));
	/* a listen address by name: looked up (asynchronously) first */
	for (int i = 0; i < 3000 && vm_find(&f->d, "t1") == NULL; i++)
		pump(f, 1);
	struct vm *vm = vm_find(&f->d, "t1");
	assert_non_null(vm);
	assert_true(vm->pid > 0);
	assert_non_null(src_closer);
	/* QEMU's QMP: the fake peer, which SO_PEERCRED shows as us */
	*pid = vm->pid;
	vm->pid = getpid();
	qmp_free(vm->qmp);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	vm->qmp = qmp_new(f->base, NULL, &cbs, vm);
	qmp_subscribe(vm->qmp, NULL, vm_qmp_event_cb, vm);
	assert_int_equal(qmp_attach_fd(vm->qmp, sv[0]), 0);
	f->peer = sv[1];
	f->vm = vm;
	handshake(f);
	for (;;) {
		struct json_object *c = peer_recv(f);
		const char *name = jstr(c, "execute");
		int last = strcmp(name, "migrate-incoming") == 0;
		if (until != NULL && strcmp(name, until) == 0) {
			*held = jint(c, "id", -1);	/* not answered yet */
			json_object_put(c);
			return vm;
		}
		answer(f, jint(c, "id", -1),
		    strcmp(name, "query-vnc") == 0 ? "{\"service\": \"5900\"}" :
		    strcmp(name, "query-migrate-capabilities") == 0 ? CAPS_REPLY :
		    strcmp(name, "query-migrate-parameters") == 0 ?
		    PARAMS_REPLY : "{}");
		json_object_put(c);
		if (last)
			break;
	}
	struct json_object *r = expect_return(f);
	const char *uri = jstr(r, "uri");
	if (listen == NULL)
		assert_true(strncmp(uri, "unix:", 5) == 0);
	else if (strncmp(uri, "tcp:127.0.0.1:", 14) != 0 &&
	    strncmp(uri, "tcp:[::1]:", 10) != 0)
		fail_msg("listen %s gave %s", listen, uri);
	json_object_put(r);
	return vm;
}

static int
def_exists(struct fx *f)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/t1.conf", f->d.defdir);
	return access(p, F_OK) == 0;
}

/* closed before completion: QEMU told to quit, then gone; undefined */
static void
test_dest_orphan_active(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	pid_t pid;
	prepared(f, &pid, NULL, NULL, NULL);
	assert_true(def_exists(f));
	src_close();
	answer(f, expect_cmd(f, "query-migrate", NULL),
	    "{\"status\": \"active\"}");
	answer(f, expect_cmd(f, "quit", NULL), "{}");
	kill(pid, SIGKILL);	/* QEMU quits */
	for (int i = 0; i < 5000 && vm_find(&f->d, "t1") != NULL; i++)
		pump(f, 1);
	assert_null(vm_find(&f->d, "t1"));
	assert_false(def_exists(f));
	assert_int_equal(kill(pid, 0), -1);	/* reaped */
	assert_true(TAILQ_EMPTY(&f->d.migs));
	fx_free(f);
}

/* closed while preparing: the answer into the void, then as abort */
static void
test_dest_orphan_preparing(void **state)
{
	struct fx *f = fx_new();
	pid_t pid;
	long long id;

	(void)state;
	prepared(f, &pid, NULL, "migrate-set-capabilities", &id);
	src_close();
	answer(f, id, "{}");
	answer(f, expect_cmd(f, "quit", NULL), "{}");
	kill(pid, SIGKILL);
	for (int i = 0; i < 5000 && vm_find(&f->d, "t1") != NULL; i++)
		pump(f, 1);
	assert_null(vm_find(&f->d, "t1"));
	assert_false(def_exists(f));
	assert_true(TAILQ_EMPTY(&f->d.migs));
	fx_free(f);
}

/* closed after completion: still defined, paused, its QEMU alive */
static void
test_dest_orphan_completed(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	pid_t pid;
	/* localhost: the hosts file, no packet leaves the host */
	struct vm *vm = prepared(f, &pid, "localhost", NULL, NULL);
	peer_send(f, "{\"event\": \"MIGRATION\", \"data\": {\"status\": "
	    "\"completed\"}, \"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 0}}");
	pump(f, 20);
	src_close();
	answer(f, expect_cmd(f, "query-migrate", NULL),
	    "{\"status\": \"completed\"}");
	pump(f, 100);
	assert_ptr_equal(vm_find(&f->d, "t1"), vm);
	assert_int_equal(vm->state, VM_PAUSED);
	assert_true(vm_active(vm));
	assert_true(def_exists(f));
	assert_int_equal(kill(pid, 0), 0);
	assert_true(TAILQ_EMPTY(&f->d.migs));
	kill(pid, SIGKILL);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_steps),
		cmocka_unit_test(test_migrate_rollback),
		cmocka_unit_test(test_migrate_cancel),
		cmocka_unit_test(test_migrate_missing_cap),
		cmocka_unit_test(test_migrate_refusals),
		cmocka_unit_test(test_dest_orphan_active),
		cmocka_unit_test(test_dest_orphan_preparing),
		cmocka_unit_test(test_dest_orphan_completed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
