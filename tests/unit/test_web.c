/*
 * The web manager's trust, against a real qlaunchd: "on-behalf-of" is
 * taken from qlaunchd --web-user's uid only, and then the supervisor
 * authorizes the request as that user (owners, list filtering, admin
 * commands) exactly as for the CLI; web-hello and web-redeem are that
 * uid's alone; a login token is good once.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "testutil.h"

struct fixture {
	char	*dir;
	char	 sock[256];
	pid_t	 pid;
};

/* A qlaunchd trusting web_user. */
static int
start(void **state, const char *web_user)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char prog[512], st[300], log[320];

	f->dir = tu_mkdtemp("web");
	snprintf(f->sock, sizeof(f->sock), "%s/ctl.sock", f->dir);
	snprintf(st, sizeof(st), "%s/state", f->dir);
	snprintf(log, sizeof(log), "%s/qlaunchd.log", f->dir);
	snprintf(prog, sizeof(prog), "%s/launcher/qlaunchd", QLAUNCH_BUILDDIR);
	char *argv[] = { prog, "-f", "-s", st, "-S", f->sock, "--web-user",
	    (char *)web_user, NULL };
	f->pid = tu_spawn(argv, log);
	*state = f;
	int fd = tu_connect_unix(f->sock, 5000);
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

static int
setup_trusted(void **state)
{
	char me[32];

	snprintf(me, sizeof(me), "%lu", (unsigned long)getuid());
	return start(state, me);
}

static int
setup_other(void **state)
{
	return start(state, "4244");
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	kill(f->pid, SIGTERM);
	int st = tu_reap(f->pid, 5000);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The return value (a new reference), failing on an error. */
static struct json_object *
expect_ok(struct json_object *o)
{
	struct json_object *r;

	if (!json_object_object_get_ex(o, "return", &r))
		fail_msg("an error: %s", json_object_to_json_string(o));
	json_object_get(r);
	json_object_put(o);
	return r;
}

static void
test_acts_for_user(void **state)
{
	struct fixture *f = *state;
	int fd = tu_connect_unix(f->sock, 5000);
	struct json_object *r, *v;

	/* defined for uid 4242: it owns the VM */
	json_object_put(expect_ok(tu_exchange(fd, "{\"id\":1,\"execute\":"
	    "\"define\",\"on-behalf-of\":4242,\"arguments\":{\"text\":"
	    "\"name: obo\\nmemory: 64\\naccel: tcg\\n\",\"file\":\"w\"}}\n")));
	r = expect_ok(tu_exchange(fd, "{\"id\":2,\"execute\":\"list\","
	    "\"arguments\":{\"all\":true}}\n"));
	assert_int_equal(json_object_array_length(r), 1);
	assert_true(json_object_object_get_ex(json_object_array_get_idx(r, 0),
	    "owner", &v));
	assert_string_equal(json_object_get_string(v), "4242");
	json_object_put(r);
	/* its owner sees and uses it */
	r = expect_ok(tu_exchange(fd, "{\"id\":3,\"execute\":\"list\","
	    "\"on-behalf-of\":4242,\"arguments\":{\"all\":true}}\n"));
	assert_int_equal(json_object_array_length(r), 1);
	json_object_put(r);
	r = expect_ok(tu_exchange(fd, "{\"id\":4,\"execute\":"
	    "\"dumpconfig\",\"on-behalf-of\":4242,\"arguments\":{\"name\":"
	    "\"obo\"}}\n"));
	/* the owner is in the stored text, for the next qlaunchd */
	assert_true(json_object_object_get_ex(r, "text", &v));
	if (strstr(json_object_get_string(v), "\nowner: 4242\n") == NULL)
		fail_msg("no owner line: %s", json_object_get_string(v));
	json_object_put(r);
	/* another user neither sees nor uses it */
	r = expect_ok(tu_exchange(fd, "{\"id\":5,\"execute\":\"list\","
	    "\"on-behalf-of\":4243,\"arguments\":{\"all\":true}}\n"));
	assert_int_equal(json_object_array_length(r), 0);
	json_object_put(r);
	tu_expect_error(tu_exchange(fd, "{\"id\":6,\"execute\":\"start\","
	    "\"on-behalf-of\":4243,\"arguments\":{\"name\":\"obo\"}}\n"),
	    "PermissionDenied", "VM 'obo' belongs to another user");
	tu_expect_error(tu_exchange(fd, "{\"id\":7,\"execute\":\"undefine\","
	    "\"on-behalf-of\":4243,\"arguments\":{\"name\":\"obo\"}}\n"),
	    "PermissionDenied", "VM 'obo' belongs to another user");
	/* admin commands stay root's */
	tu_expect_error(tu_exchange(fd, "{\"id\":8,\"execute\":\"clone\","
	    "\"on-behalf-of\":4242,\"arguments\":{\"name\":\"obo\"}}\n"),
	    "PermissionDenied", "clone: only root may do that");
	tu_expect_error(tu_exchange(fd, "{\"id\":9,\"execute\":\"subscribe\","
	    "\"on-behalf-of\":4242,\"arguments\":{}}\n"),
	    "PermissionDenied", "only root may watch every VM");
	/* not a uid */
	tu_expect_error(tu_exchange(fd, "{\"id\":10,\"execute\":\"list\","
	    "\"on-behalf-of\":\"root\"}\n"),
	    "PermissionDenied", "\"on-behalf-of\" must be a uid");
	tu_expect_error(tu_exchange(fd, "{\"id\":11,\"execute\":\"list\","
	    "\"on-behalf-of\":-1}\n"),
	    "PermissionDenied", "\"on-behalf-of\" must be a uid");
	/* and the VM is still there, unchanged */
	r = expect_ok(tu_exchange(fd, "{\"id\":12,\"execute\":\"list\","
	    "\"arguments\":{\"all\":true}}\n"));
	assert_int_equal(json_object_array_length(r), 1);
	json_object_put(r);
	close(fd);
}

/* The token out of a web-login link. */
static char *
link_token(struct json_object *ret)
{
	struct json_object *u;

	assert_true(json_object_object_get_ex(ret, "url", &u));
	const char *t = strstr(json_object_get_string(u), "/login?token=");
	assert_non_null(t);
	assert_int_equal(strlen(t + 13), 64);
	assert_int_equal(strspn(t + 13, "0123456789abcdef"), 64);
	return strdup(t + 13);
}

static void
test_login_token(void **state)
{
	struct fixture *f = *state;
	int fd = tu_connect_unix(f->sock, 5000);
	char req[512];
	struct json_object *r, *v;

	tu_expect_error(tu_exchange(fd, "{\"id\":1,\"execute\":\"web-login\"}\n"),
	    "NotFound", "no web manager runs");
	tu_expect_error(tu_exchange(fd, "{\"id\":2,\"execute\":\"web-hello\","
	    "\"arguments\":{\"url\":\"javascript:alert(1)\"}}\n"),
	    "GenericError", "an http:// or https:// URL");
	json_object_put(expect_ok(tu_exchange(fd, "{\"id\":3,\"execute\":"
	    "\"web-hello\",\"arguments\":{\"url\":\"http://127.0.0.1:8080\"}}\n")));
	/* hello as someone else: refused (the peer is trusted, not 4242) */
	tu_expect_error(tu_exchange(fd, "{\"id\":4,\"execute\":\"web-hello\","
	    "\"on-behalf-of\":4242,\"arguments\":{\"url\":\"http://x:1\"}}\n"),
	    "PermissionDenied", "only the web manager's user");

	r = expect_ok(tu_exchange(fd, "{\"id\":5,\"execute\":\"web-login\","
	    "\"on-behalf-of\":4242}\n"));
	assert_true(json_object_object_get_ex(r, "url", &v));
	const char *want = "http://127.0.0.1:8080/login?token=";
	assert_true(strncmp(json_object_get_string(v), want,
	    strlen(want)) == 0);
	char *tok = link_token(r);
	json_object_put(r);
	/* two links never share a token */
	r = expect_ok(tu_exchange(fd, "{\"id\":6,\"execute\":\"web-login\"}\n"));
	char *tok2 = link_token(r);
	json_object_put(r);
	assert_string_not_equal(tok, tok2);

	snprintf(req, sizeof(req), "{\"id\":7,\"execute\":\"web-redeem\","
	    "\"on-behalf-of\":4242,\"arguments\":{\"token\":\"%s\"}}\n", tok);
	tu_expect_error(tu_exchange(fd, req), "PermissionDenied",
	    "only the web manager's user");
	snprintf(req, sizeof(req), "{\"id\":8,\"execute\":\"web-redeem\","
	    "\"arguments\":{\"token\":\"%s\"}}\n", tok);
	r = expect_ok(tu_exchange(fd, req));
	assert_true(json_object_object_get_ex(r, "uid", &v));
	assert_int_equal(json_object_get_int64(v), 4242);
	json_object_put(r);
	/* once only */
	tu_expect_error(tu_exchange(fd, req), "PermissionDenied",
	    "this login link is not valid");
	/* a token one digit off is no token */
	tok2[0] = tok2[0] == 'a' ? 'b' : 'a';
	snprintf(req, sizeof(req), "{\"id\":9,\"execute\":\"web-redeem\","
	    "\"arguments\":{\"token\":\"%s\"}}\n", tok2);
	tu_expect_error(tu_exchange(fd, req), "PermissionDenied",
	    "this login link is not valid");
	free(tok);
	free(tok2);
	close(fd);

	/* the web manager's connection gone, its URL is forgotten */
	int fd2 = tu_connect_unix(f->sock, 5000);
	for (int i = 0; i < 100; i++) {
		r = tu_exchange(fd2, "{\"id\":10,\"execute\":\"web-login\"}\n");
		if (json_object_object_get_ex(r, "error", &v))
			break;
		json_object_put(r);
		r = NULL;
		usleep(20000);
	}
	assert_non_null(r);
	tu_expect_error(r, "NotFound", "no web manager runs");
	close(fd2);
}

static void
test_untrusted_peer(void **state)
{
	struct fixture *f = *state;
	int fd = tu_connect_unix(f->sock, 5000);

	if (getuid() == 4244)
		skip();
	tu_expect_error(tu_exchange(fd, "{\"id\":1,\"execute\":\"list\","
	    "\"on-behalf-of\":0}\n"), "PermissionDenied",
	    "\"on-behalf-of\" is taken only from the web manager's user");
	tu_expect_error(tu_exchange(fd, "{\"id\":2,\"execute\":\"web-hello\","
	    "\"arguments\":{\"url\":\"http://127.0.0.1:1\"}}\n"),
	    "PermissionDenied", "only the web manager's user (uid 4244)");
	tu_expect_error(tu_exchange(fd, "{\"id\":3,\"execute\":\"web-redeem\","
	    "\"arguments\":{\"token\":\"00\"}}\n"),
	    "PermissionDenied", "only the web manager's user");
	/* the connection is still good */
	json_object_put(expect_ok(tu_exchange(fd, "{\"id\":4,\"execute\":\"list\"}\n")));
	close(fd);
}

static void
test_unknown_web_user(void **state)
{
	char prog[512], log[320];
	char *dir = tu_mkdtemp("webu");

	(void)state;
	snprintf(prog, sizeof(prog), "%s/launcher/qlaunchd", QLAUNCH_BUILDDIR);
	snprintf(log, sizeof(log), "%s/log", dir);
	char *argv[] = { prog, "-f", "-s", dir, "-S", "x.sock", "--web-user",
	    "no-such-user-qlt", NULL };
	pid_t pid = tu_spawn(argv, log);
	int st = tu_reap(pid, 5000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_int_equal(tu_wait_file(log, "--web-user no-such-user-qlt: no "
	    "such user", 1000), 0);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_acts_for_user,
		    setup_trusted, teardown),
		cmocka_unit_test_setup_teardown(test_login_token,
		    setup_trusted, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_peer,
		    setup_other, teardown),
		cmocka_unit_test(test_unknown_web_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
