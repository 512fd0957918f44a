/*
 * The control protocol against a real qlaunchd (no QEMU needed): every
 * malformed request gets one clear error, and nothing breaks for anyone
 * else.  The supervisor runs in the foreground with a private state
 * directory and socket.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "testutil.h"

static char *dir;
static char sock[256];
static pid_t daemon_pid;

static int
setup(void **state)
{
	char prog[512], st[300];

	(void)state;
	dir = tu_mkdtemp("ctl");
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(st, sizeof(st), "%s/state", dir);
	snprintf(prog, sizeof(prog), "%s/launcher/qlaunchd", QLAUNCH_BUILDDIR);
	char log[320];
	snprintf(log, sizeof(log), "%s/qlaunchd.log", dir);
	char *argv[] = { prog, "-f", "-s", st, "-S", sock, NULL };
	daemon_pid = tu_spawn(argv, log);
	int fd = tu_connect_unix(sock, 5000);
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	kill(daemon_pid, SIGTERM);
	int st = tu_reap(daemon_pid, 5000);
	tu_rmtree(dir);
	free(dir);
	/* the supervisor exits cleanly on SIGTERM */
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void
test_errors_keep_connection(void **state)
{
	int fd = tu_connect_unix(sock, 5000);

	(void)state;
	tu_expect_error(tu_exchange(fd, "{\"id\":1,\"execute\":\"no-such\"}\n"),
	    "CommandNotFound", "no command 'no-such'");
	tu_expect_error(tu_exchange(fd, "{\"id\":2,\"execute\":\"start\"}\n"),
	    "GenericError", "start needs \"name\" (a string)");
	tu_expect_error(tu_exchange(fd, "{\"id\":3,\"execute\":\"start\","
	    "\"arguments\":{\"name\":5}}\n"),
	    "GenericError", "start needs \"name\" (a string)");
	tu_expect_error(tu_exchange(fd, "{\"id\":4,\"execute\":\"start\","
	    "\"arguments\":{\"name\":\"ghost\"}}\n"),
	    "NotFound", "no VM named 'ghost'");
	tu_expect_error(tu_exchange(fd, "{\"id\":5,\"execute\":\"start\","
	    "\"arguments\":[1]}\n"),
	    "GenericError", "\"arguments\" must be an object");
	tu_expect_error(tu_exchange(fd, "{\"id\":6,\"arguments\":{}}\n"),
	    "GenericError", "needs \"execute\"");
	tu_expect_error(tu_exchange(fd, "{\"id\":7,\"execute\":\"create\","
	    "\"arguments\":{\"name\":\"x\",\"settings\":{\"memory\":12}}}\n"),
	    "GenericError", "memory: value must be a string");
	tu_expect_error(tu_exchange(fd, "{\"id\":8,\"execute\":\"create\","
	    "\"arguments\":{\"name\":\"x\",\"settings\":{\"memory\":\"lots\"}}}\n"),
	    "InvalidDefinition", "memory: 'lots': not a size");
	tu_expect_error(tu_exchange(fd, "{\"id\":9,\"execute\":\"create\","
	    "\"arguments\":{\"name\":\"bad name\"}}\n"),
	    "GenericError", "is not a valid name");
	tu_expect_error(tu_exchange(fd, "{\"id\":10,\"execute\":\"define\","
	    "\"arguments\":{\"text\":\"name: y\\nram: 1\\n\",\"file\":\"y.conf\"}}\n"),
	    "InvalidDefinition", "y.conf:2: ram: unknown key");

	/* ids come back as they were sent, strings included */
	struct json_object *o = tu_exchange(fd, "{\"id\":\"abc\",\"execute\":"
	    "\"list\",\"arguments\":{\"all\":true}}\n"), *id, *ret;
	assert_true(json_object_object_get_ex(o, "id", &id));
	assert_string_equal(json_object_get_string(id), "abc");
	assert_true(json_object_object_get_ex(o, "return", &ret));
	/* nothing was created by the failed requests */
	assert_int_equal(json_object_array_length(ret), 0);
	json_object_put(o);
	close(fd);
}

static void
test_malformed_json_closes(void **state)
{
	int fd = tu_connect_unix(sock, 5000);

	(void)state;
	tu_expect_error(tu_exchange(fd, "{\"id\":1,\"execute\":}\n"),
	    "GenericError", "invalid JSON");
	/* the stream cannot be trusted after that: the connection ends */
	assert_null(tu_read_line(fd, NULL, 2000));
	close(fd);

	fd = tu_connect_unix(sock, 5000);
	tu_expect_error(tu_exchange(fd, "[\"not an object\"]\n"),
	    "GenericError", "does not start with '{'");
	close(fd);
}

static void
test_oversized_request(void **state)
{
	int fd = tu_connect_unix(sock, 5000);
	size_t n = 2u << 20;
	char *big = malloc(n + 64);

	(void)state;
	int k = sprintf(big, "{\"id\":1,\"execute\":\"define\",\"arguments\":"
	    "{\"text\":\"");
	memset(big + k, 'a', n - (size_t)k);
	big[n] = '\0';
	/* the supervisor answers and closes before reading it all */
	signal(SIGPIPE, SIG_IGN);
	(void)!write(fd, big, n);
	char *line = tu_read_line(fd, NULL, 5000);
	assert_non_null(line);
	assert_non_null(strstr(line, "message exceeds 1048576 bytes"));
	free(line);
	free(big);
	close(fd);
}

/* The next line that is an event (replies skipped), parsed. */
static struct json_object *
next_event(int fd)
{
	for (;;) {
		char *line = tu_read_line(fd, NULL, 5000);
		assert_non_null(line);
		struct json_object *o = json_tokener_parse(line), *e;
		free(line);
		assert_non_null(o);
		if (json_object_object_get_ex(o, "event", &e))
			return o;
		json_object_put(o);
	}
}

static void
expect_event(int fd, const char *name, const char *vm)
{
	struct json_object *o = next_event(fd), *e, *v;

	assert_true(json_object_object_get_ex(o, "event", &e));
	assert_true(json_object_object_get_ex(o, "vm", &v));
	if (strcmp(json_object_get_string(e), name) != 0 ||
	    strcmp(json_object_get_string(v), vm) != 0)
		fail_msg("got %s, want %s of %s", json_object_to_json_string(o),
		    name, vm);
	json_object_put(o);
}

static void
define(int fd, const char *name, const char *extra)
{
	char req[512];

	snprintf(req, sizeof(req), "{\"execute\":\"define\",\"arguments\":"
	    "{\"text\":\"name: %s\\nmemory: 128\\n%s\"}}\n", name, extra);
	tu_write_str(fd, req);
}

/*
 * One connection watches two VMs of three; a renamed VM keeps its
 * watcher; an undefined one ends the watch.
 */
static void
test_subscriptions(void **state)
{
	int ctl = tu_connect_unix(sock, 5000);
	int w = tu_connect_unix(sock, 5000);

	(void)state;
	define(ctl, "sa", "");
	define(ctl, "sb", "");
	define(ctl, "sc", "");
	for (int i = 0; i < 3; i++)
		json_object_put(tu_exchange(ctl, ""));
	tu_expect_error(tu_exchange(w, "{\"execute\":\"subscribe\",\"arguments\":"
	    "{\"names\":[\"sa\",\"nope\"]}}\n"), "NotFound",
	    "no VM named 'nope'");
	struct json_object *o = tu_exchange(w, "{\"execute\":\"subscribe\","
	    "\"arguments\":{\"names\":[\"sa\",\"sb\"]}}\n");
	assert_true(json_object_object_get_ex(o, "return", NULL));
	json_object_put(o);
	/* sc is not watched: its change must not arrive before sa's */
	define(ctl, "sc", "autostart: no\\n");
	define(ctl, "sa", "autostart: no\\n");
	expect_event(w, "VM_DEFINED", "sa");
	tu_write_str(ctl, "{\"execute\":\"rename\",\"arguments\":"
	    "{\"name\":\"sb\",\"new_name\":\"sb2\"}}\n");
	expect_event(w, "VM_RENAMED", "sb2");
	define(ctl, "sb2", "autostart: yes\\n");
	expect_event(w, "VM_DEFINED", "sb2");
	tu_write_str(ctl, "{\"execute\":\"undefine\",\"arguments\":"
	    "{\"name\":\"sa\"}}\n");
	expect_event(w, "VM_UNDEFINED", "sa");
	/* a new VM named sa is another VM: not watched */
	define(ctl, "sa", "");
	define(ctl, "sb2", "");
	expect_event(w, "VM_DEFINED", "sb2");
	close(w);
	close(ctl);
}

/* After all that, the supervisor still serves everyone. */
static void
test_still_serving(void **state)
{
	int fd = tu_connect_unix(sock, 5000);

	(void)state;
	struct json_object *o = tu_exchange(fd, "{\"id\":1,\"execute\":\"version\"}\n"),
	    *ret, *v;
	assert_true(json_object_object_get_ex(o, "return", &ret));
	assert_true(json_object_object_get_ex(ret, "version", &v));
	assert_string_equal(json_object_get_string(v), QLAUNCH_VERSION);
	json_object_put(o);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_keep_connection),
		cmocka_unit_test(test_malformed_json_closes),
		cmocka_unit_test(test_oversized_request),
		cmocka_unit_test(test_subscriptions),
		cmocka_unit_test(test_still_serving),
	};
	return cmocka_run_group_tests_name("control", tests, setup, teardown);
}
