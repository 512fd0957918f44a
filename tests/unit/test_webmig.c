/*
 * The page's migration and graphs, their pure and small parts: the
 * migrate form as the migrate request's arguments (webmig_args: every
 * refusal is one line and sends nothing), and the control connection
 * handing a request's own events (progress, stats-watch samples, which
 * carry the request's id) to its event handler before the reply.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "testutil.h"
#include "webctl.h"
#include "webmig.h"

static struct json_object *
args(const char *json, char *err, size_t errlen)
{
	struct json_object *f = json_tokener_parse(json);

	assert_non_null(f);
	err[0] = '\0';
	struct json_object *a = webmig_args(f, err, errlen);
	json_object_put(f);
	return a;
}

static void
test_args_ok(void **state)
{
	char err[512];
	struct json_object *a, *v;

	(void)state;
	a = args("{\"dest\": \"unix:/run/b.sock\", \"bandwidth\": \"5\", "
	    "\"multifd\": 2, \"postcopy\": true, \"keep_source\": false}",
	    err, sizeof(err));
	assert_non_null(a);
	assert_true(json_object_object_get_ex(a, "dest", &v));
	assert_string_equal(json_object_get_string(v), "/run/b.sock");
	assert_true(json_object_object_get_ex(a, "bandwidth", &v));
	assert_int_equal(json_object_get_int64(v), 5);
	assert_true(json_object_object_get_ex(a, "multifd", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	assert_true(json_object_object_get_ex(a, "postcopy", &v));
	assert_false(json_object_object_get_ex(a, "keep_source", &v));
	json_object_put(a);
	/* empty fields: the defaults */
	a = args("{\"dest\": \"unix:/b\", \"bandwidth\": \"\", \"multifd\": "
	    "null}", err, sizeof(err));
	assert_non_null(a);
	assert_false(json_object_object_get_ex(a, "bandwidth", &v));
	assert_false(json_object_object_get_ex(a, "multifd", &v));
	json_object_put(a);
}

static void
test_args_refused(void **state)
{
	static const struct {
		const char	*form, *want;
	} bad[] = {
		{ "{}", "a destination is needed" },
		{ "{\"dest\": \"\"}", "a destination is needed" },
		{ "{\"dest\": \"ssh://h\"}", "need the command line" },
		{ "{\"dest\": \"/run/b.sock\"}", "unix:/ABSOLUTE/PATH" },
		{ "{\"dest\": \"unix:b.sock\"}", "unix:/ABSOLUTE/PATH" },
		{ "{\"dest\": \"tcp:1.2.3.4:5\"}", "unix:/ABSOLUTE/PATH" },
		{ "{\"dest\": \"unix:/b\", \"bandwidth\": \"0\"}",
		    "bandwidth must be a whole number from 1 to 1048576" },
		{ "{\"dest\": \"unix:/b\", \"bandwidth\": \"5x\"}",
		    "bandwidth must be" },
		{ "{\"dest\": \"unix:/b\", \"bandwidth\": 1.5}",
		    "bandwidth must be" },
		{ "{\"dest\": \"unix:/b\", \"multifd\": 256}",
		    "multifd must be a whole number from 1 to 255" },
		{ "{\"dest\": \"unix:/b\", \"postcopy\": \"yes\"}",
		    "postcopy is true or false" },
		{ "{\"dest\": \"unix:/b\", \"keep_source\": 1}",
		    "keep_source is true or false" },
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *a = args(bad[i].form, err, sizeof(err));
		if (a != NULL || strstr(err, bad[i].want) == NULL)
			fail_msg("%s: got '%s', wanted '%s'", bad[i].form, err,
			    bad[i].want);
		assert_null(strchr(err, '\n'));
	}
}

/* ---- webctl: a request's own events ---- */

struct seen {
	int	 events, replies;
	char	 order[8];
	int	 n;
};

static void
on_event(void *arg, struct json_object *ev)
{
	struct seen *s = arg;
	struct json_object *v;

	(void)ev;
	assert_true(json_object_object_get_ex(ev, "event", &v));
	s->events++;
	if (s->n < 7)
		s->order[s->n++] = 'e';
}

static void
on_reply(void *arg, struct json_object *ret, const char *eclass,
    const char *edesc)
{
	struct seen *s = arg;

	(void)ret;
	(void)edesc;
	assert_null(eclass);
	s->replies++;
	if (s->n < 7)
		s->order[s->n++] = 'r';
}

static void
test_request_events(void **state)
{
	char *dir = tu_mkdtemp("webmig");
	char path[300], err[256];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct event_base *base = event_base_new();
	struct seen s = { 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(l, 1), 0);
	struct webctl *c = webctl_open(base, path, on_event, NULL, &s, err,
	    sizeof(err));
	assert_non_null(c);
	int fd = accept(l, NULL, NULL);
	assert_true(fd >= 0);
	webctl_call(c, "stats-watch", NULL, (uid_t)-1, on_reply, &s);
	char *line = tu_read_line(fd, base, 5000);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"stats-watch\""));
	free(line);
	/* two of its events, with its id, then its reply */
	tu_write_str(fd, "{\"event\": \"STATS\", \"id\": 1, \"data\": {}}\n"
	    "{\"event\": \"STATS\", \"id\": 1, \"data\": {}}\n"
	    "{\"return\": {}, \"id\": 1}\n");
	int done = 0;
	for (int i = 0; i < 100 && s.replies == 0; i++)
		tu_pump(base, &done, 20);
	assert_int_equal(s.events, 2);
	assert_int_equal(s.replies, 1);
	assert_string_equal(s.order, "eer");
	/* an id matching no request: dropped */
	tu_write_str(fd, "{\"event\": \"STATS\", \"id\": 9, \"data\": {}}\n");
	for (int i = 0; i < 10; i++)
		tu_pump(base, &done, 20);
	assert_int_equal(s.events, 2);
	webctl_free(c);
	close(fd);
	close(l);
	event_base_free(base);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_ok),
		cmocka_unit_test(test_args_refused),
		cmocka_unit_test(test_request_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
