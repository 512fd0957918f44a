/*
 * The guest agent connection (agentconn) against a fake agent on the other
 * end of a socketpair: the first call resynchronises (0xFF, then
 * guest-sync-delimited; whatever comes before the agent's 0xFF and a
 * reply of another id are thrown away), later calls do not; a silent
 * agent times out and the next call resynchronises; garbage fails one
 * call and not the connection; an oversize reply or a flood breaks it;
 * the agent's errors come through; calls queue in order; guest-shutdown
 * has no reply.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "agentconn.h"
#include "jget.h"
#include "log.h"
#include "testutil.h"

struct result {
	int			 called;
	struct json_object	*ret;
	char			 class[64];
	char			 desc[256];
};

struct fake {
	struct event_base	*base;
	struct agentconn	*c;
	int			 peer;	/* the agent's end */
	char			 in[65536];	/* what the agent read */
	size_t			 len;
};

static void
on_result(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	struct result *r = arg;

	r->called++;
	r->ret = ret != NULL ? json_object_get(ret) : NULL;
	snprintf(r->class, sizeof(r->class), "%s", class != NULL ? class : "");
	snprintf(r->desc, sizeof(r->desc), "%s", desc != NULL ? desc : "");
}

static void
result_clear(struct result *r)
{
	json_object_put(r->ret);
	memset(r, 0, sizeof(*r));
}

static struct fake *
fake_new(size_t max)
{
	struct fake *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->base = event_base_new();
	f->c = agentconn_new(f->base, sv[0], max);
	f->peer = sv[1];
	return f;
}

static void
fake_free(struct fake *f)
{
	agentconn_free(f->c);
	close(f->peer);
	event_base_free(f->base);
	free(f);
}

/* Run the loop for about ms milliseconds. */
static void
pump(struct fake *f, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

/* Read what the host wrote into f->in, pumping until n bytes or a line. */
static void
agent_read(struct fake *f)
{
	f->len = 0;
	for (int i = 0; i < 200; i++) {
		pump(f, 5);
		struct pollfd p = { f->peer, POLLIN, 0 };
		while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
			ssize_t n = read(f->peer, f->in + f->len,
			    sizeof(f->in) - 1 - f->len);
			if (n <= 0)
				break;
			f->len += (size_t)n;
		}
		if (f->len > 0 && f->in[f->len - 1] == '\n')
			break;
	}
	f->in[f->len] = '\0';
}

static void
agent_write(struct fake *f, const char *s, size_t n)
{
	assert_int_equal(write(f->peer, s, n), (ssize_t)n);
}

static void
agent_puts(struct fake *f, const char *s)
{
	agent_write(f, s, strlen(s));
}

/* The request the host sent (after any 0xFF), parsed. */
static struct json_object *
request_of(struct fake *f, int want_ff)
{
	const char *p = f->in;

	if (want_ff) {
		assert_true(f->len > 0);
		assert_int_equal((unsigned char)f->in[0], 0xff);
		p++;
	} else
		assert_true(f->len == 0 || (unsigned char)f->in[0] != 0xff);
	struct json_object *o = json_tokener_parse(p);
	assert_non_null(o);
	return o;
}

/* Answer the resync the host sent, after noise and a stale reply. */
static void
answer_sync(struct fake *f, int noise)
{
	struct json_object *o;
	char buf[128];

	agent_read(f);
	o = request_of(f, 1);
	assert_string_equal(jstr(o, "execute"), "guest-sync-delimited");
	long long id = jint(jget(o, "arguments"), "id", -1);
	assert_true(id >= 0);
	json_object_put(o);
	if (noise) {
		/* an old reply, a stale 0xFF and another sync's id */
		agent_puts(f, "{\"return\": {\"late\": 1}}\nxx");
		snprintf(buf, sizeof(buf), "\xff{\"return\": %lld}\n", id + 1);
		agent_puts(f, buf);
	}
	snprintf(buf, sizeof(buf), "\xff{\"return\": %lld}\n", id);
	agent_puts(f, buf);
}

static void
call(struct fake *f, const char *cmd, int timeout_ms, struct result *r)
{
	struct json_object *req = json_object_new_object();
	char err[256];

	json_object_object_add(req, "execute", json_object_new_string(cmd));
	assert_int_equal(agentconn_call(f->c, req, timeout_ms, 0, on_result, r,
	    err, sizeof(err)), 0);
}

static void
wait_result(struct fake *f, struct result *r)
{
	for (int i = 0; i < 400 && !r->called; i++)
		pump(f, 5);
	assert_int_equal(r->called, 1);
}

static void
test_resync(void **state)
{
	struct fake *f = fake_new(0);
	struct result r = { 0 };
	struct json_object *o;

	(void)state;
	call(f, "guest-get-host-name", 2000, &r);
	answer_sync(f, 1);
	agent_read(f);
	o = request_of(f, 0);
	assert_string_equal(jstr(o, "execute"), "guest-get-host-name");
	json_object_put(o);
	/* split anywhere */
	agent_puts(f, "{\"return\": {\"host-n");
	pump(f, 10);
	assert_int_equal(r.called, 0);
	agent_puts(f, "ame\": \"g1\"}}\n");
	wait_result(f, &r);
	assert_string_equal(jstr(r.ret, "host-name"), "g1");
	result_clear(&r);

	/* synced: the next call goes straight out */
	call(f, "guest-ping", 2000, &r);
	agent_read(f);
	o = request_of(f, 0);
	assert_string_equal(jstr(o, "execute"), "guest-ping");
	json_object_put(o);
	agent_puts(f, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
	    "\"no such\"}}\n");
	wait_result(f, &r);
	assert_null(r.ret);
	assert_string_equal(r.class, "CommandNotFound");
	assert_string_equal(r.desc, "no such");
	result_clear(&r);
	assert_false(agentconn_broken(f->c));
	fake_free(f);
}

static void
test_timeout(void **state)
{
	struct fake *f = fake_new(0);
	struct result r = { 0 }, r2 = { 0 };
	struct json_object *o;

	(void)state;
	/* silent through the sync */
	call(f, "guest-ping", 100, &r);
	wait_result(f, &r);
	assert_string_equal(r.class, AGENT_ERR_TIMEOUT);
	assert_non_null(strstr(r.desc, "did not answer in 100 ms"));
	result_clear(&r);
	assert_false(agentconn_broken(f->c));
	agent_read(f);	/* the sync nobody answered */

	/* synced, then silent on the command: the next call resyncs */
	call(f, "guest-ping", 300, &r);
	answer_sync(f, 0);
	agent_read(f);
	wait_result(f, &r);
	assert_string_equal(r.class, AGENT_ERR_TIMEOUT);
	result_clear(&r);
	call(f, "guest-ping", 2000, &r);
	call(f, "guest-info", 2000, &r2);	/* queued behind it */
	answer_sync(f, 0);
	agent_read(f);
	o = request_of(f, 0);
	assert_string_equal(jstr(o, "execute"), "guest-ping");
	json_object_put(o);
	/* the late reply of the timed-out call came before the sync's 0xFF
	 * and is gone; this one is ping's */
	agent_puts(f, "{\"return\": {}}\n");
	wait_result(f, &r);
	assert_string_equal(r.class, "");
	assert_true(json_object_is_type(r.ret, json_type_object));
	agent_read(f);
	o = request_of(f, 0);
	assert_string_equal(jstr(o, "execute"), "guest-info");
	json_object_put(o);
	agent_puts(f, "{\"return\": 7}\n");
	wait_result(f, &r2);
	assert_int_equal(json_object_get_int(r2.ret), 7);
	result_clear(&r);
	result_clear(&r2);
	fake_free(f);
}

static void
test_garbage(void **state)
{
	struct fake *f = fake_new(0);
	struct result r = { 0 };

	(void)state;
	call(f, "guest-ping", 2000, &r);
	answer_sync(f, 0);
	agent_read(f);
	agent_puts(f, "}}not json at all\n");
	wait_result(f, &r);
	assert_string_equal(r.class, AGENT_ERR_PROTOCOL);
	assert_non_null(strstr(r.desc, "not JSON"));
	result_clear(&r);
	assert_false(agentconn_broken(f->c));

	/* an answer that is no object, then one with neither key */
	call(f, "guest-ping", 2000, &r);
	answer_sync(f, 0);
	agent_read(f);
	agent_puts(f, "[1, 2]\n");
	wait_result(f, &r);
	assert_string_equal(r.class, AGENT_ERR_PROTOCOL);
	result_clear(&r);
	call(f, "guest-ping", 2000, &r);
	answer_sync(f, 0);
	agent_read(f);
	agent_puts(f, "{\"lie\": true}\n");
	wait_result(f, &r);
	assert_string_equal(r.class, AGENT_ERR_PROTOCOL);
	assert_non_null(strstr(r.desc, "neither return nor error"));
	result_clear(&r);
	assert_false(agentconn_broken(f->c));
	fake_free(f);
}

static void
test_oversize(void **state)
{
	struct fake *f = fake_new(1024);
	struct result r = { 0 };
	char big[4096];
	char err[256];

	(void)state;
	call(f, "guest-get-fsinfo", 2000, &r);
	answer_sync(f, 0);
	agent_read(f);
	memset(big, 'a', sizeof(big));
	agent_puts(f, "{\"return\": \"");
	agent_write(f, big, sizeof(big));
	wait_result(f, &r);
	assert_string_equal(r.class, AGENT_ERR_PROTOCOL);
	assert_non_null(strstr(r.desc, "over 1024 bytes"));
	result_clear(&r);
	assert_true(agentconn_broken(f->c));
	/* no more calls on it */
	struct json_object *req = json_object_new_object();
	json_object_object_add(req, "execute",
	    json_object_new_string("guest-ping"));
	assert_int_equal(agentconn_call(f->c, req, 100, 0, on_result, &r, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "over 1024 bytes"));
	fake_free(f);
}

static void
test_flood(void **state)
{
	struct fake *f = fake_new(2048);
	struct result r = { 0 };
	char junk[8192];

	(void)state;
	/* bytes without a 0xFF while the host waits for the sync */
	call(f, "guest-ping", 2000, &r);
	agent_read(f);
	memset(junk, 'x', sizeof(junk));
	agent_write(f, junk, sizeof(junk));
	wait_result(f, &r);
	assert_string_equal(r.class, AGENT_ERR_PROTOCOL);
	assert_non_null(strstr(r.desc, "flooding"));
	assert_true(agentconn_broken(f->c));
	result_clear(&r);
	fake_free(f);
}

static void
test_closed_and_no_reply(void **state)
{
	struct fake *f = fake_new(0);
	struct result r = { 0 };
	struct json_object *req, *o;
	char err[256];

	(void)state;
	/* guest-shutdown: done once written */
	req = json_object_new_object();
	json_object_object_add(req, "execute",
	    json_object_new_string("guest-shutdown"));
	assert_int_equal(agentconn_call(f->c, req, 2000, 1, on_result, &r, err,
	    sizeof(err)), 0);
	answer_sync(f, 0);
	wait_result(f, &r);
	assert_string_equal(r.class, "");
	agent_read(f);
	o = request_of(f, 0);
	assert_string_equal(jstr(o, "execute"), "guest-shutdown");
	json_object_put(o);
	result_clear(&r);

	/* the agent's end closes while a call waits */
	call(f, "guest-ping", 2000, &r);
	agent_read(f);
	close(f->peer);
	f->peer = open("/dev/null", O_RDONLY);
	wait_result(f, &r);
	assert_string_equal(r.class, AGENT_ERR_CLOSED);
	assert_true(agentconn_broken(f->c));
	result_clear(&r);
	fake_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_closed_and_no_reply),
	};

	log_init("test_agent", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
