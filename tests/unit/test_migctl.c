/*
 * migrate's further options (daemon/migctl.c): the arguments and every
 * refusal; the schema check of enum values (multifd-compression); the
 * poll's switch to postcopy after the passes asked, the stall detector
 * and postcopy's breakage; the timeout's actions.  Against the fake
 * QEMU: a compression the source's QEMU lacks refused before the
 * destination is reached; migrate-postcopy (refused without a
 * migration, or without --postcopy; sent with it); migrate-cancel
 * refused in postcopy; a postcopy that breaks undoes nothing on either
 * side and says why.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "fakeqemu.h"
#include "jget.h"
#include "migctl.h"
#include "names.h"
#include "testutil.h"
#include "util.h"
#include "vm.h"

#define RUNNING_VM	PLAIN_VM "uuid: 00000000-0000-4000-8000-0000000000c1\n"

#define CAPS_REPLY	"[{\"capability\": \"events\", \"state\": false}, " \
	"{\"capability\": \"xbzrle\", \"state\": false}, " \
	"{\"capability\": \"auto-converge\", \"state\": false}, " \
	"{\"capability\": \"postcopy-ram\", \"state\": false}, " \
	"{\"capability\": \"multifd\", \"state\": false}]"
#define PARAMS_REPLY	"{\"max-bandwidth\": 33554432, " \
	"\"downtime-limit\": 300, \"multifd-channels\": 2, " \
	"\"multifd-compression\": \"none\", \"xbzrle-cache-size\": 67108864}"
/* query-qmp-schema, the part that matters: zstd left out of the build */
#define SCHEMA_REPLY	"[{\"name\": \"migrate-set-parameters\", " \
	"\"meta-type\": \"command\", \"arg-type\": \"41\", " \
	"\"ret-type\": \"0\"}, {\"name\": \"41\", \"meta-type\": \"object\", " \
	"\"members\": [{\"name\": \"max-bandwidth\", \"type\": \"int\"}, " \
	"{\"name\": \"multifd-compression\", \"type\": \"42\"}]}, " \
	"{\"name\": \"42\", \"meta-type\": \"enum\", \"values\": [\"none\", " \
	"\"zlib\"]}, {\"name\": \"int\", \"meta-type\": \"builtin\", " \
	"\"json-type\": \"int\"}]"

static struct json_object *
parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

/* migctl_parse of args: its result, err filled */
static int
try_parse(const char *args, struct migctl *x, struct json_object **caps,
    struct json_object **params, char *err, size_t errlen)
{
	struct json_object *a = parse(args);
	int rc;

	*caps = json_object_new_array();
	*params = json_object_new_object();
	err[0] = '\0';
	rc = migctl_parse(x, a, *caps, *params, err, errlen);
	json_object_put(a);
	return rc;
}

static void
test_parse(void **state)
{
	struct json_object *caps, *params;
	struct migctl x;
	char err[512];

	(void)state;
	assert_int_equal(try_parse("{\"postcopy\": true, \"postcopy_after\": "
	    "2, \"timeout\": 10, \"timeout_action\": \"postcopy\", "
	    "\"xbzrle\": true, \"xbzrle_cache\": 67108864, \"multifd\": 2, "
	    "\"multifd_compression\": \"zstd\", \"stall_timeout\": 12}", &x,
	    &caps, &params, err, sizeof(err)), 0);
	assert_int_equal(x.postcopy, 1);
	assert_int_equal(x.postcopy_after, 2);
	assert_int_equal(x.action, MIGCTL_POSTCOPY);
	assert_int_equal(x.stall_s, 12);
	assert_int_equal(cap_state(caps, "postcopy-ram"), 1);
	assert_int_equal(jint(params, "xbzrle-cache-size", 0), 67108864);
	assert_string_equal(jstr(params, "multifd-compression"), "zstd");
	json_object_put(caps);
	json_object_put(params);

	/* none of them: postcopy-ram listed off, the stall default */
	assert_int_equal(try_parse("{}", &x, &caps, &params, err,
	    sizeof(err)), 0);
	assert_int_equal(cap_state(caps, "postcopy-ram"), 0);
	assert_int_equal(json_object_object_length(params), 0);
	assert_int_equal(x.stall_s, MIGCTL_STALL_S);
	assert_int_equal(x.action, MIGCTL_CANCEL);
	json_object_put(caps);
	json_object_put(params);
	/* 0 turns the stall detector off */
	assert_int_equal(try_parse("{\"stall_timeout\": 0}", &x, &caps,
	    &params, err, sizeof(err)), 0);
	assert_int_equal(x.stall_s, 0);
	json_object_put(caps);
	json_object_put(params);
}

static void
test_parse_refusals(void **state)
{
	static const struct {
		const char	*args, *want;
	} bad[] = {
		{ "{\"postcopy_after\": 1}", "postcopy-after needs postcopy" },
		{ "{\"postcopy\": true, \"postcopy_after\": 0}",
		    "postcopy-after is a number of passes" },
		{ "{\"postcopy\": true, \"postcopy_after\": \"x\"}",
		    "postcopy-after is a number of passes" },
		{ "{\"timeout_action\": \"pause\"}",
		    "a timeout action needs a timeout" },
		{ "{\"timeout\": 5, \"timeout_action\": \"later\"}",
		    "timeout action 'later' is not cancel, pause or postcopy" },
		{ "{\"timeout\": 5, \"timeout_action\": 3}",
		    "the timeout action is cancel, pause or postcopy" },
		{ "{\"timeout\": 5, \"timeout_action\": \"postcopy\"}",
		    "the timeout action postcopy needs postcopy" },
		{ "{\"stall_timeout\": -1}", "the stall timeout is 0" },
		{ "{\"stall_timeout\": 86401}", "the stall timeout is 0" },
		{ "{\"xbzrle_cache\": 67108864}",
		    "an xbzrle cache size needs xbzrle" },
		{ "{\"xbzrle\": true, \"xbzrle_cache\": 3145728}",
		    "a power of two" },
		{ "{\"xbzrle\": true, \"xbzrle_cache\": 2048}",
		    "a power of two" },
		{ "{\"xbzrle\": true, \"xbzrle_cache\": \"64M\"}",
		    "a power of two" },
		{ "{\"multifd_compression\": \"zstd\"}",
		    "multifd compression needs multifd" },
		{ "{\"multifd\": 2, \"multifd_compression\": \"lz4\"}",
		    "multifd compression 'lz4' is not zstd, zlib or none" },
		{ "{\"multifd\": 2, \"multifd_compression\": 1}",
		    "is not zstd, zlib or none" },
	};
	struct json_object *caps, *params;
	struct migctl x;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (try_parse(bad[i].args, &x, &caps, &params, err,
		    sizeof(err)) != -1)
			fail_msg("%s: accepted", bad[i].args);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("%s: '%s' lacks '%s'", bad[i].args, err,
			    bad[i].want);
		json_object_put(caps);
		json_object_put(params);
	}
}

static void
test_schema_check(void **state)
{
	struct json_object *schema = parse(SCHEMA_REPLY);
	struct json_object *p;
	char err[512];

	(void)state;
	p = parse("{\"multifd-compression\": \"zstd\", \"max-bandwidth\": 1}");
	assert_int_equal(migctl_schema_check(schema, p, "destination", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "the destination's QEMU does not take "
	    "multifd-compression 'zstd' (it takes: none zlib)");
	json_object_put(p);
	p = parse("{\"multifd-compression\": \"zlib\"}");
	assert_int_equal(migctl_schema_check(schema, p, "source", err,
	    sizeof(err)), 0);
	json_object_put(p);
	/* not an enum, or not in the schema: migopt_check's business */
	p = parse("{\"max-bandwidth\": 5, \"downtime-limit\": 300}");
	assert_int_equal(migctl_schema_check(schema, p, "source", err,
	    sizeof(err)), 0);
	json_object_put(p);
	assert_int_equal(migctl_schema_check(schema, NULL, "source", err,
	    sizeof(err)), 0);
	json_object_put(schema);
}

/* jfind, which the schema check walks with */
static void
test_jfind(void **state)
{
	struct json_object *a = parse("[{\"name\": 1}, {\"other\": \"x\"}, "
	    "3, {\"name\": \"x\", \"n\": 1}, {\"name\": \"x\", \"n\": 2}]");
	struct json_object *o = parse("{\"name\": \"x\"}");

	(void)state;
	assert_int_equal(jint(jfind(a, "name", "x"), "n", 0), 1);
	assert_null(jfind(a, "name", "y"));
	assert_null(jfind(a, "other", "y"));
	assert_non_null(jfind(a, "other", "x"));
	assert_null(jfind(o, "name", "x"));
	assert_null(jfind(NULL, "name", "x"));
	json_object_put(a);
	json_object_put(o);
}

static int
poll1(struct migctl *x, const char *ret, char *err, size_t errlen)
{
	struct json_object *r = parse(ret);
	int rc = migctl_poll(x, NULL, r, "tcp:10.9.9.9:1", err, errlen);

	json_object_put(r);
	return rc;
}

static void
test_poll(void **state)
{
	struct json_object *caps, *params, *s;
	struct migctl x;
	char err[1024];

	(void)state;
	assert_int_equal(try_parse("{\"postcopy\": true, \"postcopy_after\": "
	    "1, \"stall_timeout\": 5}", &x, &caps, &params, err,
	    sizeof(err)), 0);
	json_object_put(caps);
	json_object_put(params);
	/* the first pass: no switch yet */
	assert_int_equal(poll1(&x, "{\"status\": \"active\", \"ram\": "
	    "{\"transferred\": 100, \"dirty-sync-count\": 1}}", err,
	    sizeof(err)), 0);
	assert_int_equal(x.postcopy_sent, 0);
	assert_int_equal(x.news, 1);
	/* one pass done: the switch is asked (once) */
	assert_int_equal(poll1(&x, "{\"status\": \"active\", \"ram\": "
	    "{\"transferred\": 200, \"dirty-sync-count\": 2}}", err,
	    sizeof(err)), 0);
	assert_int_equal(x.postcopy_sent, 1);
	assert_int_equal(x.news, 0);
	/* nothing moved, but not for 5 s yet */
	assert_int_equal(poll1(&x, "{\"status\": \"active\", \"ram\": "
	    "{\"transferred\": 200, \"dirty-sync-count\": 2}}", err,
	    sizeof(err)), 0);
	x.last_move -= 5000;
	assert_int_equal(poll1(&x, "{\"status\": \"active\", \"ram\": "
	    "{\"transferred\": 200, \"dirty-sync-count\": 2}}", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "no data moved for 5 s: the stream to "
	    "tcp:10.9.9.9:1 stalled");
	/* not in postcopy: a failure undoes everything */
	assert_int_equal(migctl_failing(&x, err, sizeof(err)), 0);
	assert_int_equal(x.split, 0);

	/* postcopy-active: the stall detector is off; then it breaks */
	x.last_move -= 60000;
	assert_int_equal(poll1(&x, "{\"status\": \"postcopy-active\", "
	    "\"ram\": {\"transferred\": 200}}", err, sizeof(err)), 0);
	assert_int_equal(x.in_postcopy, 1);
	assert_int_equal(x.news, 1);
	assert_int_equal(poll1(&x, "{\"status\": \"postcopy-paused\"}", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "broke in postcopy (QEMU says "
	    "postcopy-paused)"));
	assert_int_equal(migctl_failing(&x, err, sizeof(err)), 1);
	assert_int_equal(x.split, 1);
	assert_non_null(strstr(err, "split across both hosts"));
	/* in postcopy the timeout does nothing */
	assert_int_equal(migctl_timeout(&x, NULL), 0);
	s = json_object_new_object();
	migctl_stats(&x, s);
	assert_true(jbool(s, "postcopy"));
	assert_null(jget(s, "timeout_action"));
	json_object_put(s);
}

static void
test_timeout(void **state)
{
	struct json_object *caps, *params, *s;
	struct migctl x;
	char err[512];

	(void)state;
	/* cancel: as before */
	assert_int_equal(try_parse("{\"timeout\": 3}", &x, &caps, &params,
	    err, sizeof(err)), 0);
	json_object_put(caps);
	json_object_put(params);
	assert_int_equal(migctl_timeout(&x, NULL), -1);
	/* pause: the guest stopped, resumed should the migration fail */
	assert_int_equal(try_parse("{\"timeout\": 3, \"timeout_action\": "
	    "\"pause\"}", &x, &caps, &params, err, sizeof(err)), 0);
	json_object_put(caps);
	json_object_put(params);
	assert_int_equal(migctl_resume_source(&x), 0);
	assert_int_equal(migctl_timeout(&x, NULL), 0);
	assert_int_equal(migctl_resume_source(&x), 1);
	s = json_object_new_object();
	migctl_stats(&x, s);
	assert_string_equal(jstr(s, "timeout_action"), "pause");
	assert_false(jbool(s, "postcopy"));
	json_object_put(s);
	/* postcopy: the switch asked */
	assert_int_equal(try_parse("{\"timeout\": 3, \"timeout_action\": "
	    "\"postcopy\", \"postcopy\": true}", &x, &caps, &params, err,
	    sizeof(err)), 0);
	json_object_put(caps);
	json_object_put(params);
	assert_int_equal(migctl_timeout(&x, NULL), 0);
	assert_int_equal(x.postcopy_sent, 0);
	/* at the first poll where QEMU migrates */
	assert_int_equal(poll1(&x, "{\"status\": \"setup\"}", err,
	    sizeof(err)), 0);
	assert_int_equal(x.postcopy_sent, 0);
	assert_int_equal(poll1(&x, "{\"status\": \"active\", \"ram\": "
	    "{\"transferred\": 100, \"dirty-sync-count\": 1}}", err,
	    sizeof(err)), 0);
	assert_int_equal(x.postcopy_sent, 1);
}

/* ---- against the fake QEMU and a fake destination ---- */

/* The next command but query-migrate, which is answered with ret. */
static long long
expect_polled(struct fx *f, const char *name, const char *ret)
{
	for (;;) {
		struct json_object *c = peer_recv(f);
		const char *got = jstr(c, "execute");
		long long id = jint(c, "id", -1);
		if (got != NULL && strcmp(got, "query-migrate") == 0 &&
		    strcmp(name, "query-migrate") != 0) {
			json_object_put(c);
			answer(f, id, ret);
			continue;
		}
		if (got == NULL || strcmp(got, name) != 0)
			fail_msg("QEMU got %s, expected %s",
			    json_object_to_json_string(c), name);
		json_object_put(c);
		return id;
	}
}

#define ACTIVE	"{\"status\": \"active\", \"ram\": {\"total\": 1000, " \
	"\"remaining\": 900, \"transferred\": 100, \"dirty-sync-count\": 1}}"

/* migrate up to its first poll; the destination's connection */
static int
migrate_to_poll(struct fx *f, const char *path, int lfd, const char *more)
{
	int c = migrate_started(f, path, lfd, more, CAPS_REPLY, PARAMS_REPLY);

	answer(f, expect_cmd(f, "query-migrate", NULL), ACTIVE);
	return c;
}

/* zstd that the source's QEMU lacks: one line, nobody else asked */
static void
test_probe_refusal(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path));

	(void)state;
	migrate_request(f, path, ", \"multifd\": 2, \"multifd_compression\": "
	    "\"zstd\"");
	answer(f, expect_cmd(f, "query-qmp-schema", NULL), SCHEMA_REPLY);
	expect_error(f, ERR_GENERIC, "the source's QEMU does not take "
	    "multifd-compression 'zstd' (it takes: none zlib)", 0);
	pump(f, 20);
	assert_int_equal(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), -1);
	assert_int_equal(vm->state, VM_RUNNING);
	close(lfd);
	fx_free(f);
}

/* migrate-postcopy: refused without a migration or without --postcopy */
static void
test_postcopy_refusals(void **state)
{
	struct fx *f = fx_new();
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path));

	(void)state;
	fx_running_vm(f, RUNNING_VM);
	request(f, "migrate-postcopy", "{\"name\": \"t1\"}");
	expect_error(f, ERR_INVALID_STATE, "VM 't1' is not migrating from "
	    "here", 0);
	int c = migrate_to_poll(f, path, lfd, "");
	request(f, "migrate-postcopy", "{\"name\": \"t1\"}");
	struct json_object *m = reply_not_event(f);
	assert_non_null(strstr(jstr(jget(m, "error"), "desc"),
	    "is migrating without postcopy"));
	json_object_put(m);
	request(f, "migrate-cancel", "{\"name\": \"t1\"}");
	answer(f, expect_polled(f, "migrate_cancel", ACTIVE), "{}");
	answer(f, expect_cmd(f, "query-migrate", NULL),
	    "{\"status\": \"cancelled\"}");
	answer(f, expect_cmd(f, "migrate-set-capabilities", NULL), "{}");
	answer(f, expect_cmd(f, "migrate-set-parameters", NULL), "{}");
	dest_answer(c, dest_expect(f, c, "migrate-abort", NULL), "{}");
	for (int got = 0; got < 2; got++)
		json_object_put(reply_not_event(f));
	close(c);
	close(lfd);
	fx_free(f);
}

/*
 * With --postcopy: migrate-postcopy sends migrate-start-postcopy; once in
 * postcopy, migrate-cancel is refused; the stream breaks
 * (postcopy-paused): no migrate_cancel, no cont, no migrate-abort, and
 * the error says the guest is split.
 */
static void
test_postcopy_split(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path));
	struct json_object *m, *a;

	(void)state;
	int c = migrate_to_poll(f, path, lfd, ", \"postcopy\": true");
	request(f, "migrate-postcopy", "{\"name\": \"t1\"}");
	answer(f, expect_polled(f, "migrate-start-postcopy", ACTIVE), "{}");
	m = reply_not_event(f);
	assert_non_null(jget(m, "return"));
	json_object_put(m);
	answer(f, expect_cmd(f, "query-migrate", NULL), "{\"status\": "
	    "\"postcopy-active\", \"ram\": {\"total\": 1000, \"remaining\": "
	    "500, \"transferred\": 500}}");
	pump(f, 10);
	request(f, "migrate-postcopy", "{\"name\": \"t1\"}");
	m = reply_not_event(f);
	assert_non_null(strstr(jstr(jget(m, "error"), "desc"),
	    "is in postcopy already"));
	json_object_put(m);
	request(f, "migrate-cancel", "{\"name\": \"t1\"}");
	m = reply_not_event(f);
	assert_non_null(strstr(jstr(jget(m, "error"), "desc"),
	    "cannot be cancelled"));
	json_object_put(m);
	answer(f, expect_cmd(f, "query-migrate", NULL),
	    "{\"status\": \"postcopy-paused\"}");
	/* only the settings' undo, which QEMU may refuse */
	answer(f, expect_cmd(f, "migrate-set-capabilities", &a), "{}");
	assert_int_equal(cap_state(jget(a, "capabilities"), "postcopy-ram"),
	    0);
	json_object_put(a);
	answer(f, expect_cmd(f, "migrate-set-parameters", NULL), "{}");
	m = reply_not_event(f);
	assert_non_null(strstr(jstr(jget(m, "error"), "desc"),
	    "broke in postcopy"));
	assert_non_null(strstr(jstr(jget(m, "error"), "desc"),
	    "split across both hosts"));
	json_object_put(m);
	/* nothing more to QEMU, nothing to the destination */
	pump(f, 50);
	char buf[256];
	assert_true(recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT) <= 0);
	assert_true(recv(c, buf, sizeof(buf), MSG_DONTWAIT) <= 0);
	assert_ptr_equal(vm_find(&f->d, "t1"), vm);
	close(c);
	close(lfd);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_jfind),
		cmocka_unit_test(test_schema_check),
		cmocka_unit_test(test_poll),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_probe_refusal),
		cmocka_unit_test(test_postcopy_refusals),
		cmocka_unit_test(test_postcopy_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
