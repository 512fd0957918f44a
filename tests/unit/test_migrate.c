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
 * refusing a definition whose name is taken.
 */
#include <sys/socket.h>

#include <fcntl.h>
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
#include "testutil.h"
#include "vm.h"

#define RUNNING_VM	PLAIN_VM "uuid: 00000000-0000-4000-8000-0000000000b1\n"

#define CAPS_REPLY	"[{\"capability\": \"events\", \"state\": false}, " \
	"{\"capability\": \"xbzrle\", \"state\": false}, " \
	"{\"capability\": \"auto-converge\", \"state\": false}, " \
	"{\"capability\": \"multifd\", \"state\": false}]"
#define PARAMS_REPLY	"{\"max-bandwidth\": 33554432, " \
	"\"downtime-limit\": 300, \"multifd-channels\": 2}"

/* qom-get, query-migrate-capabilities, query-migrate-parameters */
static void
probes(struct fx *f)
{
	answer(f, expect_cmd(f, "qom-get", NULL), "\"pc-i440fx-7.2-machine\"");
	answer(f, expect_cmd(f, "query-migrate-capabilities", NULL),
	    CAPS_REPLY);
	answer(f, expect_cmd(f, "query-migrate-parameters", NULL),
	    PARAMS_REPLY);
}

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
	probes(f);
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
	int lfd = dest_listen(f, path, sizeof(path)), nev = 0;
	struct json_object *a;

	(void)state;
	migrate_request(f, path, ", \"xbzrle\": true");
	probes(f);
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
	struct json_object *m = reply_skipping_events(f, &nev);
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
	migrate_request(f, path, ", \"auto_converge\": true");
	probes(f);
	int c = dest_accept(f, lfd);
	long long id = dest_expect(f, c, "migrate-prepare", NULL);
	dest_answer(c, id, "{\"uri\": \"unix:/nowhere/migrate.sock\"}");
	answer(f, expect_cmd(f, "migrate-set-capabilities", NULL), "{}");
	answer(f, expect_cmd(f, "migrate-set-parameters", NULL), "{}");
	answer(f, expect_cmd(f, "migrate", NULL), "{}");
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
	id = dest_expect(f, c, "migrate-abort", NULL);
	dest_answer(c, id, "{}");
	/* the cancel's answer, then the migration's error */
	for (int got = 0; got < 2;) {
		m = reply(f);
		if (jget(m, "event") == NULL) {
			if (got++ == 0)
				assert_non_null(jget(m, "return"));
			else
				assert_non_null(strstr(jstr(jget(m, "error"),
				    "desc"), "cancelled by the user"));
		}
		json_object_put(m);
	}
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
	answer(f, expect_cmd(f, "qom-get", NULL), "\"pc-i440fx-7.2-machine\"");
	answer(f, expect_cmd(f, "query-migrate-capabilities", NULL),
	    "[{\"capability\": \"events\", \"state\": false}]");
	answer(f, expect_cmd(f, "query-migrate-parameters", NULL),
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_steps),
		cmocka_unit_test(test_migrate_rollback),
		cmocka_unit_test(test_migrate_cancel),
		cmocka_unit_test(test_migrate_missing_cap),
		cmocka_unit_test(test_migrate_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
