/*
 * The VM page's management routes (webmanage.c): each route's body as
 * the supervisor's request, the same arguments the CLI sends for the
 * verb with its default scope, and every refusal (one line, no request).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "testutil.h"
#include "webmanage.h"

/* The request for POST (or GET) what with body json, as compact JSON
 * text, or "!" followed by the error (and "404" when there is no route). */
static char *
req(int post, const char *what, const char *json)
{
	struct json_object *b = json_tokener_parse(json);
	const char *cmd = NULL;
	char err[512], *out;

	assert_non_null(b);
	struct json_object *a = webmanage_args(post, what, "vm1", b, &cmd, err,
	    sizeof(err));
	json_object_put(b);
	if (a == NULL) {
		size_t n = strlen(err) + 8;
		out = malloc(n);
		snprintf(out, n, "%s%s", cmd == NULL ? "404!" : "!", err);
		return out;
	}
	assert_non_null(cmd);
	const char *s = json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(cmd) + strlen(s) + 2;
	out = malloc(n);
	snprintf(out, n, "%s %s", cmd, s);
	json_object_put(a);
	return out;
}

#define EXPECT(post, what, body, want) do {				\
	char *got_ = req(post, what, body);				\
	assert_string_equal(got_, want);				\
	free(got_);							\
} while (0)

static void
test_reads(void **state)
{
	(void)state;
	EXPECT(0, "snapshots", "{}", "snapshot-list {\"name\":\"vm1\"}");
	EXPECT(0, "disks", "{}",
	    "blklist {\"name\":\"vm1\",\"inactive\":false}");
	EXPECT(0, "nics", "{}", "iflist {\"name\":\"vm1\",\"inactive\":false}");
	EXPECT(0, "info", "{}", "info {\"name\":\"vm1\"}");
	EXPECT(0, "memstat", "{}", "memstat {\"name\":\"vm1\"}");
	/* a change is never a GET, a read never a POST */
	EXPECT(0, "setmem", "{\"size_mib\":64}", "404!no such resource");
	EXPECT(1, "snapshots", "{}", "404!no such resource");
	EXPECT(1, "nope", "{}", "404!no such resource");
}

static void
test_snapshots(void **state)
{
	(void)state;
	EXPECT(1, "snapshot-create", "{\"snapshot\":\"s1\",\"description\":"
	    "\"the first\"}", "snapshot-create {\"name\":\"vm1\",\"snapshot\":"
	    "\"s1\",\"description\":\"the first\",\"disk_only\":false,"
	    "\"atomic\":true}");
	/* an empty description (a form's empty field) is none */
	EXPECT(1, "snapshot-create", "{\"snapshot\":\"s1\",\"description\":\"\"}",
	    "snapshot-create {\"name\":\"vm1\",\"snapshot\":\"s1\","
	    "\"disk_only\":false,\"atomic\":true}");
	EXPECT(1, "snapshot-create", "{}", "!\"snapshot\" is needed");
	EXPECT(1, "snapshot-create", "{\"snapshot\":7}", "!\"snapshot\": a "
	    "string of 1 to 256 characters is needed");
	EXPECT(1, "snapshot-create", "{\"snapshot\":\"a\\nb\"}",
	    "!\"snapshot\" has a control character");
	EXPECT(1, "snapshot-revert", "{\"snapshot\":\"s1\"}", "snapshot-revert "
	    "{\"name\":\"vm1\",\"snapshot\":\"s1\",\"running\":false,"
	    "\"paused\":false,\"force\":false}");
	EXPECT(1, "snapshot-revert", "{\"snapshot\":\"\"}",
	    "!\"snapshot\" is needed");
	EXPECT(1, "snapshot-delete", "{\"snapshot\":\"s1\"}", "snapshot-delete "
	    "{\"name\":\"vm1\",\"snapshot\":\"s1\"}");
}

static void
test_disks(void **state)
{
	(void)state;
	EXPECT(1, "attach-disk", "{\"size_gib\":2}", "attach-disk {\"name\":"
	    "\"vm1\",\"disk\":\"size=2,format=qcow2\",\"live\":false,"
	    "\"config\":false}");
	/* a form sends digits; a target's commas are escaped */
	EXPECT(1, "attach-disk", "{\"size_gib\":\"1\",\"target\":\"vd,b\"}",
	    "attach-disk {\"name\":\"vm1\",\"disk\":\"size=1,format=qcow2,"
	    "target=vd,,b\",\"live\":false,\"config\":false}");
	EXPECT(1, "attach-disk", "{\"size_gib\":0}", "!\"size_gib\": a whole "
	    "number from 1 to 4096 is needed");
	EXPECT(1, "attach-disk", "{\"size_gib\":\"1.5\"}", "!\"size_gib\": a "
	    "whole number from 1 to 4096 is needed");
	EXPECT(1, "attach-disk", "{}", "!\"size_gib\": a whole number from 1 "
	    "to 4096 is needed");
	EXPECT(1, "detach-disk", "{\"target\":\"vdb\"}", "detach-disk "
	    "{\"name\":\"vm1\",\"target\":\"vdb\",\"live\":false,"
	    "\"config\":false}");
	EXPECT(1, "detach-disk", "{}", "!\"target\" is needed");
	EXPECT(1, "change-media", "{\"target\":\"sda\"}", "change-media "
	    "{\"name\":\"vm1\",\"target\":\"sda\",\"eject\":true,\"force\":false,"
	    "\"live\":false,\"config\":false}");
	EXPECT(1, "change-media", "{\"target\":\"sda\",\"source\":\"/i.iso\"}",
	    "change-media {\"name\":\"vm1\",\"target\":\"sda\",\"source\":"
	    "\"/i.iso\",\"eject\":false,\"force\":false,\"live\":false,"
	    "\"config\":false}");
	EXPECT(1, "change-media", "{\"target\":\"sda\",\"source\":\"i.iso\"}",
	    "!\"source\" 'i.iso' is not an absolute path");
}

static void
test_nics(void **state)
{
	(void)state;
	EXPECT(1, "attach-interface", "{\"type\":\"network\",\"source\":"
	    "\"default\",\"model\":\"e1000\",\"mac\":\"52:54:00:00:00:01\"}",
	    "attach-interface {\"name\":\"vm1\",\"network\":\"network=default,"
	    "model=e1000,mac=52:54:00:00:00:01\",\"live\":false,"
	    "\"config\":false}");
	EXPECT(1, "attach-interface", "{\"type\":\"bridge\",\"source\":\"br0\","
	    "\"mac\":\"\"}", "attach-interface {\"name\":\"vm1\",\"network\":"
	    "\"bridge=br0\",\"live\":false,\"config\":false}");
	EXPECT(1, "attach-interface", "{\"type\":\"user\"}", "attach-interface "
	    "{\"name\":\"vm1\",\"network\":\"user\",\"live\":false,"
	    "\"config\":false}");
	EXPECT(1, "attach-interface", "{\"type\":\"direct\",\"source\":\"x\"}",
	    "!\"type\" 'direct': network, bridge or user");
	EXPECT(1, "attach-interface", "{\"type\":\"network\"}", "!a network "
	    "interface needs \"source\" (its name)");
	EXPECT(1, "attach-interface", "{\"type\":\"user\",\"source\":\"x\"}",
	    "!a user interface takes no \"source\"");
	EXPECT(1, "attach-interface", "{\"type\":\"bridge\",\"source\":\"br0\","
	    "\"model\":\"ne2k\"}", "!\"model\" 'ne2k': virtio, e1000, e1000e "
	    "or rtl8139");
	EXPECT(1, "attach-interface", "{\"type\":\"bridge\",\"source\":\"br0\","
	    "\"mac\":\"52:54\"}", "!\"mac\" '52:54' is not a MAC address");
	EXPECT(1, "detach-interface", "{\"type\":\"user\",\"mac\":"
	    "\"52:54:00:00:00:01\"}", "detach-interface {\"name\":\"vm1\","
	    "\"type\":\"user\",\"mac\":\"52:54:00:00:00:01\",\"live\":false,"
	    "\"config\":false}");
	EXPECT(1, "detach-interface", "{\"type\":\"user\"}",
	    "!\"mac\" is needed");
}

static void
test_memory_cpus(void **state)
{
	(void)state;
	EXPECT(1, "setmem", "{\"size_mib\":200}", "setmem {\"name\":\"vm1\","
	    "\"size_mib\":200,\"live\":false,\"config\":false}");
	EXPECT(1, "setmem", "{\"size_mib\":\"-5\"}", "!\"size_mib\": a whole "
	    "number from 1 to 1099511627776 is needed");
	EXPECT(1, "setvcpus", "{\"count\":2}", "setvcpus {\"name\":\"vm1\","
	    "\"count\":2,\"live\":false,\"config\":false,\"maximum\":false}");
	EXPECT(1, "setvcpus", "{\"count\":0}", "!\"count\": a whole number "
	    "from 1 to 1024 is needed");
	EXPECT(1, "setvcpus", "{\"count\":true}", "!\"count\": a whole number "
	    "from 1 to 1024 is needed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_snapshots),
		cmocka_unit_test(test_disks),
		cmocka_unit_test(test_nics),
		cmocka_unit_test(test_memory_cpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
