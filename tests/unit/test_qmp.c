/*
 * Unit tests for the QMP client (qmp/qmp.c, qmp/qmp_sync.c) against a fake
 * peer on the other end of a socketpair: the test writes exactly the bytes
 * QEMU would (or worse) and reads what the client sent.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "jstream.h"
#include "qmp.h"
#include "testutil.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 3, \"minor\": 2, " \
	"\"major\": 7}, \"package\": \"Debian 1:7.2\"}, \"capabilities\": [\"oob\"]}}\r\n"

/* What the test saw, in order: "ready", "closed:REASON", "ev:NAME",
 * "ok:TAG", "err:TAG:CLASS:DESC". */
struct fx {
	struct event_base	*base;
	struct qmp		*q;
	int			 peer;
	char			 log[64][160];
	int			 nlog;
	int			 ready;
	int			 closed;
	int			 free_in_cb;
	struct json_object	*last_ret;
};

static void __attribute__((format(printf, 2, 0)))
logf_(struct fx *f, const char *fmt, const char *a, const char *b,
    const char *c)
{
	assert_true(f->nlog < 64);
	snprintf(f->log[f->nlog++], sizeof(f->log[0]), fmt, a, b, c);
}

static void
on_ready(void *arg, struct qmp *q)
{
	struct fx *f = arg;

	(void)q;
	f->ready++;
	logf_(f, "ready%s%s%s", "", "", "");
}

static void
on_closed(void *arg, struct qmp *q, const char *reason)
{
	struct fx *f = arg;

	(void)q;
	f->closed++;
	logf_(f, "closed:%s%s%s", reason, "", "");
}

struct tag {
	struct fx	*f;
	const char	*name;
	int		 calls;
};

static void
on_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct tag *t = arg;

	t->calls++;
	if (ret != NULL) {
		logf_(t->f, "ok:%s%s%s", t->name, "", "");
		if (t->f->last_ret != NULL)
			json_object_put(t->f->last_ret);
		t->f->last_ret = json_object_get(ret);
	} else
		logf_(t->f, "err:%s:%s:%s", t->name, err->class, err->desc);
	if (t->f->free_in_cb) {
		qmp_free(t->f->q);
		t->f->q = NULL;
	}
}

static void
on_event(void *arg, const char *name, struct json_object *msg)
{
	struct fx *f = arg;
	struct json_object *ts;

	assert_true(json_object_object_get_ex(msg, "timestamp", &ts) ||
	    strcmp(name, "NOTS") == 0);
	logf_(f, "ev:%s%s%s", name, "", "");
}

static struct fx *
fx_new(const struct qmp_options *opt)
{
	static const struct qmp_callbacks cbs = { on_ready, on_closed };
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->base = event_base_new();
	f->q = qmp_new(f->base, opt, &cbs, f);
	assert_non_null(f->q);
	assert_int_equal(qmp_attach_fd(f->q, sv[0]), 0);
	f->peer = sv[1];
	return f;
}

static void
fx_free(struct fx *f)
{
	if (f->q != NULL)
		qmp_free(f->q);
	if (f->peer != -1)
		close(f->peer);
	if (f->last_ret != NULL)
		json_object_put(f->last_ret);
	event_base_free(f->base);
	free(f);
}

static void
pump(struct fx *f, int ms)
{
	long long end = tu_now_ms() + ms;

	while (tu_now_ms() < end) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(200);
	}
}

/* Read one command the client sent; returns it parsed. */
static struct json_object *
peer_recv(struct fx *f)
{
	char *line = tu_read_line(f->peer, f->base, 3000);
	assert_non_null(line);
	struct json_object *o = json_tokener_parse(line);
	if (o == NULL)
		fail_msg("client sent invalid JSON: %s", line);
	free(line);
	return o;
}

static long long
cmd_id(struct json_object *cmd)
{
	struct json_object *id;
	assert_true(json_object_object_get_ex(cmd, "id", &id));
	return json_object_get_int64(id);
}

static const char *
cmd_name(struct json_object *cmd)
{
	struct json_object *n;
	assert_true(json_object_object_get_ex(cmd, "execute", &n) ||
	    json_object_object_get_ex(cmd, "exec-oob", &n));
	return json_object_get_string(n);
}

static void __attribute__((format(printf, 2, 0)))
peer_sendf(struct fx *f, const char *fmt, long long id)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), fmt, id);
	tu_write_str(f->peer, buf);
}

/* Greeting and capabilities negotiation, as QEMU does them. */
static void
handshake(struct fx *f)
{
	tu_write_str(f->peer, GREETING);
	struct json_object *c = peer_recv(f);
	assert_string_equal(cmd_name(c), "qmp_capabilities");
	peer_sendf(f, "{\"return\": {}, \"id\": %lld}\r\n", cmd_id(c));
	json_object_put(c);
	assert_true(tu_pump(f->base, &f->ready, 3000));
}

static void
assert_log(struct fx *f, const char *const *want, int n)
{
	if (f->nlog != n) {
		for (int i = 0; i < f->nlog; i++)
			print_message("log[%d] = %s\n", i, f->log[i]);
		fail_msg("%d log entries, want %d", f->nlog, n);
	}
	for (int i = 0; i < n; i++)
		if (strcmp(f->log[i], want[i]) != 0)
			fail_msg("log[%d] = '%s', want '%s'", i, f->log[i], want[i]);
}

static void
test_greeting_and_negotiation(void **state)
{
	struct fx *f = fx_new(NULL);
	int maj, min, mic;

	(void)state;
	assert_int_equal(qmp_state(f->q), QMP_GREETING);
	qmp_version(f->q, &maj, &min, &mic);
	assert_int_equal(maj, -1);
	tu_write_str(f->peer, GREETING);
	struct json_object *c = peer_recv(f);
	assert_string_equal(cmd_name(c), "qmp_capabilities");
	/* OOB not asked for: no arguments */
	assert_false(json_object_object_get_ex(c, "arguments", NULL));
	assert_int_equal(qmp_state(f->q), QMP_NEGOTIATING);
	assert_int_equal(f->ready, 0);
	peer_sendf(f, "{\"return\": {}, \"id\": %lld}\r\n", cmd_id(c));
	json_object_put(c);
	assert_true(tu_pump(f->base, &f->ready, 3000));
	assert_int_equal(qmp_state(f->q), QMP_READY);
	qmp_version(f->q, &maj, &min, &mic);
	assert_int_equal(maj, 7);
	assert_int_equal(min, 2);
	assert_int_equal(mic, 3);
	assert_non_null(qmp_greeting(f->q));
	assert_int_equal(qmp_oob_enabled(f->q), 0);
	fx_free(f);
}

static void
test_oob_negotiation(void **state)
{
	struct qmp_options o;
	struct fx *f;

	(void)state;
	qmp_options_default(&o);
	o.want_oob = 1;
	f = fx_new(&o);
	tu_write_str(f->peer, GREETING);
	struct json_object *c = peer_recv(f), *args, *en;
	assert_true(json_object_object_get_ex(c, "arguments", &args));
	assert_true(json_object_object_get_ex(args, "enable", &en));
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(en, 0)), "oob");
	peer_sendf(f, "{\"return\": {}, \"id\": %lld}\n", cmd_id(c));
	json_object_put(c);
	assert_true(tu_pump(f->base, &f->ready, 3000));
	assert_int_equal(qmp_oob_enabled(f->q), 1);

	struct tag t = { f, "oob", 0 };
	assert_true(qmp_execute_oob(f->q, "migrate-pause", NULL, 0, on_reply, &t) > 0);
	c = peer_recv(f);
	assert_true(json_object_object_get_ex(c, "exec-oob", NULL));
	json_object_put(c);
	fx_free(f);
}

/* Without OOB on offer, exec-oob is refused locally. */
static void
test_oob_not_offered(void **state)
{
	struct qmp_options o;

	(void)state;
	qmp_options_default(&o);
	o.want_oob = 1;
	struct fx *f = fx_new(&o);
	tu_write_str(f->peer, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, "
	    "\"minor\": 0, \"major\": 9}}, \"capabilities\": []}}\n");
	struct json_object *c = peer_recv(f);
	assert_false(json_object_object_get_ex(c, "arguments", NULL));
	peer_sendf(f, "{\"return\": {}, \"id\": %lld}\n", cmd_id(c));
	json_object_put(c);
	assert_true(tu_pump(f->base, &f->ready, 3000));
	struct tag t = { f, "x", 0 };
	assert_int_equal(qmp_execute_oob(f->q, "x", json_object_new_object(),
	    0, on_reply, &t), -1);
	assert_int_equal(t.calls, 0);
	fx_free(f);
}

static void
test_split_reads(void **state)
{
	struct fx *f = fx_new(NULL);
	const char *g = GREETING;

	(void)state;
	for (const char *p = g; *p; p++) {
		tu_write_all(f->peer, p, 1);
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	}
	struct json_object *c = peer_recv(f);
	char reply[128];
	snprintf(reply, sizeof(reply), "{\"return\": {}, \"id\": %lld}\r\n",
	    cmd_id(c));
	json_object_put(c);
	for (const char *p = reply; *p; p++) {
		if (p < strchr(reply, '\r'))
			assert_int_equal(f->ready, 0);
		tu_write_all(f->peer, p, 1);
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	}
	assert_true(tu_pump(f->base, &f->ready, 3000));
	fx_free(f);
}

/* Greeting, an event, the capabilities reply and a reply all in one write. */
static void
test_merged_messages(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag t = { f, "status", 0 };
	char buf[1024];

	(void)state;
	qmp_subscribe(f->q, NULL, on_event, f);
	/* held until ready: ids 2 (caps is 1) */
	assert_int_equal(qmp_execute(f->q, "query-status", NULL, 5000,
	    on_reply, &t), 1);
	/* ids start at 1 for the user's first command; caps comes next */
	snprintf(buf, sizeof(buf), "%s"
	    "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\r\n"
	    "{\"return\": {}, \"id\": 2}\r\n"
	    "{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": 1}\r\n",
	    GREETING);
	tu_write_str(f->peer, buf);
	pump(f, 50);
	const char *want[] = { "ev:RESUME", "ready", "ok:status" };
	assert_log(f, want, 3);
	/* what the client sent: caps first, then the held command */
	struct json_object *c1 = peer_recv(f), *c2 = peer_recv(f);
	assert_string_equal(cmd_name(c1), "qmp_capabilities");
	assert_string_equal(cmd_name(c2), "query-status");
	json_object_put(c1);
	json_object_put(c2);
	assert_int_equal(t.calls, 1);
	fx_free(f);
}

/* A reply over 1 MiB (query-qmp-schema is over 100 KiB) arrives whole. */
static void
test_large_reply(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag t = { f, "schema", 0 };

	(void)state;
	handshake(f);
	int64_t id = qmp_execute(f->q, "query-qmp-schema", NULL, 10000,
	    on_reply, &t);
	struct json_object *c = peer_recv(f);
	json_object_put(c);

	/* 20000 schema entries, about 1.6 MiB, written in one go by a thread
	 * would be nicer; a non-blocking peer with pumping does the same. */
	size_t cap = 4u << 20, len = 0;
	char *buf = malloc(cap);
	len += (size_t)snprintf(buf, cap, "{\"return\": [");
	for (int i = 0; i < 30000; i++)
		len += (size_t)snprintf(buf + len, cap - len,
		    "%s{\"name\": \"type-%05d\", \"meta-type\": \"object\"}",
		    i ? ", " : "", i);
	len += (size_t)snprintf(buf + len, cap - len, "], \"id\": %lld}\r\n",
	    (long long)id);
	assert_true(len > (1u << 20));
	fcntl(f->peer, F_SETFL, O_NONBLOCK);
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(f->peer, buf + off, len - off);
		if (n > 0)
			off += (size_t)n;
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	}
	int one = 1;
	(void)one;
	for (int i = 0; i < 2000 && t.calls == 0; i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(500);
	}
	assert_int_equal(t.calls, 1);
	assert_int_equal(json_object_array_length(f->last_ret), 30000);
	assert_string_equal(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(f->last_ret, 29999), "name")), "type-29999");
	free(buf);
	fx_free(f);
}

/* Events before the greeting and during negotiation are delivered. */
static void
test_events_before_negotiation(void **state)
{
	struct fx *f = fx_new(NULL);

	(void)state;
	qmp_subscribe(f->q, NULL, on_event, f);
	tu_write_str(f->peer, "{\"event\": \"EARLY\", \"timestamp\": "
	    "{\"seconds\": 1, \"microseconds\": 2}}\n");
	tu_write_str(f->peer, GREETING);
	struct json_object *c = peer_recv(f);
	tu_write_str(f->peer, "{\"event\": \"MIDDLE\", \"timestamp\": "
	    "{\"seconds\": 1, \"microseconds\": 3}}\n");
	peer_sendf(f, "{\"return\": {}, \"id\": %lld}\n", cmd_id(c));
	json_object_put(c);
	assert_true(tu_pump(f->base, &f->ready, 3000));
	const char *want[] = { "ev:EARLY", "ev:MIDDLE", "ready" };
	assert_log(f, want, 3);
	fx_free(f);
}

/* Events and replies come out in exactly the order they went in. */
static void
test_events_interleaved(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag a = { f, "a", 0 }, b = { f, "b", 0 };

	(void)state;
	handshake(f);
	f->nlog = 0;
	qmp_subscribe(f->q, NULL, on_event, f);
	int64_t ia = qmp_execute(f->q, "stop", NULL, 5000, on_reply, &a);
	int64_t ib = qmp_execute(f->q, "cont", NULL, 5000, on_reply, &b);
	json_object_put(peer_recv(f));
	json_object_put(peer_recv(f));
	char buf[1024];
	/* answered out of order, with events around the replies */
	snprintf(buf, sizeof(buf),
	    "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n"
	    "{\"return\": {}, \"id\": %lld}\n"
	    "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 1}}\n"
	    "{\"return\": {}, \"id\": %lld}\n"
	    "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\n",
	    (long long)ib, (long long)ia);
	tu_write_str(f->peer, buf);
	pump(f, 50);
	const char *want[] = { "ev:STOP", "ok:b", "ev:RESUME", "ok:a", "ev:STOP" };
	assert_log(f, want, 5);
	fx_free(f);
}

static void
test_subscribe_by_name(void **state)
{
	struct fx *f = fx_new(NULL);

	(void)state;
	handshake(f);
	f->nlog = 0;
	void *h = qmp_subscribe(f->q, "SHUTDOWN", on_event, f);
	assert_non_null(h);
	tu_write_str(f->peer,
	    "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n"
	    "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n");
	pump(f, 30);
	const char *want[] = { "ev:SHUTDOWN" };
	assert_log(f, want, 1);
	qmp_unsubscribe(f->q, h);
	tu_write_str(f->peer,
	    "{\"event\": \"SHUTDOWN\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n");
	pump(f, 30);
	assert_log(f, want, 1);
	struct qmp_stats st;
	qmp_get_stats(f->q, &st);
	assert_int_equal(st.events, 3);
	fx_free(f);
}

static void
unsub_self(void *arg, const char *name, struct json_object *msg)
{
	struct fx *f = arg;
	static void **handle;

	(void)msg;
	if (name == NULL) {		/* setup call: remember the handle */
		handle = (void **)msg;
		return;
	}
	logf_(f, "self:%s%s%s", name, "", "");
	qmp_unsubscribe(f->q, *handle);
}

/* A subscriber may unsubscribe itself from inside its callback. */
static void
test_unsubscribe_in_callback(void **state)
{
	struct fx *f = fx_new(NULL);
	void *h;

	(void)state;
	handshake(f);
	f->nlog = 0;
	h = qmp_subscribe(f->q, NULL, unsub_self, f);
	unsub_self(f, NULL, (struct json_object *)&h);
	qmp_subscribe(f->q, NULL, on_event, f);
	tu_write_str(f->peer,
	    "{\"event\": \"A\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n"
	    "{\"event\": \"B\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n");
	pump(f, 30);
	const char *want[] = { "self:A", "ev:A", "ev:B" };
	assert_log(f, want, 3);
	fx_free(f);
}

/* Replies with unknown or missing ids are counted and dropped. */
static void
test_unknown_ids(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag t = { f, "t", 0 };

	(void)state;
	handshake(f);
	f->nlog = 0;
	int64_t id = qmp_execute(f->q, "query-status", NULL, 5000, on_reply, &t);
	json_object_put(peer_recv(f));
	tu_write_str(f->peer, "{\"return\": {}, \"id\": 999}\n"
	    "{\"return\": {}, \"id\": \"a string\"}\n"
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\n"
	    "{\"something\": \"else\"}\n");
	peer_sendf(f, "{\"return\": {\"status\": \"paused\"}, \"id\": %lld}\n", id);
	pump(f, 50);
	const char *want[] = { "ok:t" };
	assert_log(f, want, 1);
	struct qmp_stats st;
	qmp_get_stats(f->q, &st);
	assert_int_equal(st.unmatched, 4);
	assert_int_equal(qmp_state(f->q), QMP_READY);
	fx_free(f);
}

/* QMP errors reach the caller with class and desc unchanged. */
static void
test_error_reply(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag t = { f, "t", 0 };

	(void)state;
	handshake(f);
	f->nlog = 0;
	int64_t id = qmp_execute(f->q, "device_del",
	    json_object_new_object(), 5000, on_reply, &t);
	struct json_object *c = peer_recv(f);
	assert_true(json_object_object_get_ex(c, "arguments", NULL));
	json_object_put(c);
	peer_sendf(f, "{\"id\": %lld, \"error\": {\"class\": \"DeviceNotFound\", "
	    "\"desc\": \"Device 'nic9' not found \\u00e9\"}}\n", id);
	pump(f, 30);
	const char *want[] = { "err:t:DeviceNotFound:Device 'nic9' not found \xc3\xa9" };
	assert_log(f, want, 1);
	fx_free(f);
}

/* Each command has its own timer; a late reply is dropped. */
static void
test_timeout(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag fast = { f, "fast", 0 }, slow = { f, "slow", 0 };

	(void)state;
	handshake(f);
	f->nlog = 0;
	int64_t i1 = qmp_execute(f->q, "a", NULL, 60, on_reply, &fast);
	int64_t i2 = qmp_execute(f->q, "b", NULL, 5000, on_reply, &slow);
	pump(f, 200);
	assert_int_equal(fast.calls, 1);
	assert_int_equal(slow.calls, 0);
	assert_int_equal(strncmp(f->log[0], "err:fast:Timeout:", 17), 0);
	assert_int_equal(qmp_npending(f->q), 1);
	peer_sendf(f, "{\"return\": {}, \"id\": %lld}\n", i1);
	peer_sendf(f, "{\"return\": {}, \"id\": %lld}\n", i2);
	pump(f, 30);
	assert_int_equal(fast.calls, 1);
	assert_int_equal(slow.calls, 1);
	assert_string_equal(f->log[1], "ok:slow");
	assert_int_equal(qmp_npending(f->q), 0);
	fx_free(f);
}

/* On disconnect every pending callback fails exactly once. */
static void
test_disconnect_pending(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag t[3] = { { f, "a", 0 }, { f, "b", 0 }, { f, "c", 0 } };

	(void)state;
	handshake(f);
	f->nlog = 0;
	for (int i = 0; i < 3; i++)
		qmp_execute(f->q, "query-status", NULL, 5000, on_reply, &t[i]);
	for (int i = 0; i < 3; i++)
		json_object_put(peer_recv(f));
	close(f->peer);
	f->peer = -1;
	assert_true(tu_pump(f->base, &f->closed, 3000));
	pump(f, 20);
	const char *want[] = {
		"err:a:Disconnected:end of file",
		"err:b:Disconnected:end of file",
		"err:c:Disconnected:end of file",
		"closed:end of file",
	};
	assert_log(f, want, 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(t[i].calls, 1);
	assert_int_equal(qmp_state(f->q), QMP_CLOSED);
	/* a closed connection refuses new commands without calling back */
	struct tag late = { f, "late", 0 };
	assert_int_equal(qmp_execute(f->q, "x", json_object_new_object(), 0,
	    on_reply, &late), -1);
	assert_int_equal(late.calls, 0);
	fx_free(f);
}

static void
expect_close(const char *input, const char *reason, size_t max)
{
	struct qmp_options o;
	qmp_options_default(&o);
	o.max_message = max;
	struct fx *f = fx_new(&o);
	struct tag t = { f, "t", 0 };

	handshake(f);
	f->nlog = 0;
	qmp_execute(f->q, "query-status", NULL, 5000, on_reply, &t);
	json_object_put(peer_recv(f));
	tu_write_str(f->peer, input);
	if (strstr(reason, "end of file") != NULL) {
		close(f->peer);
		f->peer = -1;
	}
	assert_true(tu_pump(f->base, &f->closed, 3000));
	assert_int_equal(t.calls, 1);
	assert_int_equal(f->nlog, 2);
	assert_int_equal(strncmp(f->log[0], "err:t:Disconnected:", 19), 0);
	if (strstr(f->log[1], reason) == NULL)
		fail_msg("close reason '%s' does not say '%s'", f->log[1], reason);
	fx_free(f);
}

/* Garbage closes the connection with a reason; nothing crashes or hangs. */
static void
test_garbage(void **state)
{
	(void)state;
	expect_close("Segmentation fault\n", "protocol error: message does not start with '{'", 0);
	expect_close("{\"return\": }\n", "protocol error: invalid JSON", 0);
	expect_close("{\"return\": \"\xc3\x28\"}\n", "invalid JSON", 0);
	expect_close("{\"return\": {}, \"id\": 1", "end of file inside a message", 0);
	char big[4096];
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"return\": \"", 12);
	memset(big + 12, 'a', 3000);
	strcpy(big + 3012, "\"}\n");
	expect_close(big, "message exceeds 2048 bytes", 2048);
}

/* The stream must start with a greeting when one is expected. */
static void
test_no_greeting(void **state)
{
	struct fx *f = fx_new(NULL);

	(void)state;
	tu_write_str(f->peer, "{\"return\": {}}\n");
	assert_true(tu_pump(f->base, &f->closed, 3000));
	assert_non_null(strstr(f->log[0], "expected a QMP greeting"));
	fx_free(f);

	struct qmp_options o;
	qmp_options_default(&o);
	o.negotiate_timeout_ms = 50;
	f = fx_new(&o);
	assert_true(tu_pump(f->base, &f->closed, 3000));
	assert_string_equal(f->log[0], "closed:no QMP greeting in time");
	fx_free(f);
}

/* qmp_capabilities refused: the connection closes with QEMU's words. */
static void
test_negotiation_refused(void **state)
{
	struct fx *f = fx_new(NULL);

	(void)state;
	tu_write_str(f->peer, GREETING);
	struct json_object *c = peer_recv(f);
	peer_sendf(f, "{\"error\": {\"class\": \"GenericError\", \"desc\": "
	    "\"Capabilities negotiation is already complete\"}, \"id\": %lld}\n",
	    cmd_id(c));
	json_object_put(c);
	assert_true(tu_pump(f->base, &f->closed, 3000));
	assert_string_equal(f->log[0], "closed:qmp_capabilities failed: "
	    "GenericError: Capabilities negotiation is already complete");
	assert_int_equal(f->ready, 0);
	fx_free(f);
}

/* Freeing the connection from inside a reply callback is safe. */
static void
test_free_in_callback(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag a = { f, "a", 0 }, b = { f, "b", 0 };

	(void)state;
	handshake(f);
	f->nlog = 0;
	int64_t ia = qmp_execute(f->q, "a", NULL, 5000, on_reply, &a);
	qmp_execute(f->q, "b", NULL, 5000, on_reply, &b);
	f->free_in_cb = 1;
	char buf[256];
	snprintf(buf, sizeof(buf), "{\"return\": {}, \"id\": %lld}\n"
	    "{\"event\": \"X\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n",
	    (long long)ia);
	tu_write_str(f->peer, buf);
	pump(f, 50);
	assert_null(f->q);
	assert_int_equal(a.calls, 1);
	/* b failed once when a's callback freed the connection */
	assert_int_equal(b.calls, 1);
	assert_string_equal(f->log[1], "err:b:Disconnected:connection freed");
	assert_int_equal(f->closed, 0);
	fx_free(f);
}

/* A file descriptor travels with its command (getfd). */
static void
test_fd_passing(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag t = { f, "getfd", 0 };
	int pfd[2];

	(void)state;
	handshake(f);
	assert_int_equal(pipe(pfd), 0);
	struct json_object *args = json_object_new_object();
	json_object_object_add(args, "fdname", json_object_new_string("tap0"));
	int64_t id = qmp_execute_fd(f->q, "getfd", args, pfd[1], 5000,
	    on_reply, &t);
	assert_true(id > 0);
	close(pfd[1]);		/* the library holds its own copy until sent */

	char buf[512];
	struct msghdr mh;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	union {
		struct cmsghdr hdr;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = sizeof(cm.b);
	struct pollfd p = { f->peer, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 3000), 1);
	ssize_t n = recvmsg(f->peer, &mh, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"getfd\""));
	assert_non_null(strstr(buf, "\"tap0\""));
	struct cmsghdr *ch = CMSG_FIRSTHDR(&mh);
	assert_non_null(ch);
	assert_int_equal(ch->cmsg_type, SCM_RIGHTS);
	int got;
	memcpy(&got, CMSG_DATA(ch), sizeof(int));
	assert_int_equal(write(got, "ping", 4), 4);
	close(got);
	char r[8] = { 0 };
	assert_int_equal(read(pfd[0], r, sizeof(r)), 4);
	assert_string_equal(r, "ping");
	/* every writer is closed now: the library closed its copy after sending */
	assert_int_equal(read(pfd[0], r, sizeof(r)), 0);
	close(pfd[0]);
	peer_sendf(f, "{\"return\": {}, \"id\": %lld}\n", id);
	pump(f, 20);
	assert_int_equal(t.calls, 1);
	fx_free(f);
}

static void
test_cancel(void **state)
{
	struct fx *f = fx_new(NULL);
	struct tag t = { f, "t", 0 };

	(void)state;
	handshake(f);
	int64_t id = qmp_execute(f->q, "x", NULL, 5000, on_reply, &t);
	assert_int_equal(qmp_cancel(f->q, id), 0);
	assert_int_equal(qmp_cancel(f->q, id), -1);
	peer_sendf(f, "{\"return\": {}, \"id\": %lld}\n", id);
	pump(f, 20);
	assert_int_equal(t.calls, 0);
	fx_free(f);
}

static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	int *peer = arg;

	(void)what;
	*peer = accept(fd, NULL, NULL);
}

/* The socket appears after connect starts: the client keeps trying. */
static void
test_connect_retry(void **state)
{
	static const struct qmp_callbacks cbs = { on_ready, on_closed };
	struct fx f0;
	char *dir = tu_mkdtemp("qmp");
	char path[512];

	(void)state;
	memset(&f0, 0, sizeof(f0));
	f0.base = event_base_new();
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	f0.q = qmp_new(f0.base, NULL, &cbs, &f0);
	assert_int_equal(qmp_connect_unix(f0.q, path, 5000), 0);
	assert_int_equal(qmp_state(f0.q), QMP_CONNECTING);
	pump(&f0, 60);
	assert_int_equal(qmp_state(f0.q), QMP_CONNECTING);

	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(l, 1), 0);
	int peer = -1;
	struct event *ev = event_new(f0.base, l, EV_READ, accept_cb, &peer);
	event_add(ev, NULL);
	long long end = tu_now_ms() + 3000;
	while (peer == -1 && tu_now_ms() < end) {
		event_base_loop(f0.base, EVLOOP_NONBLOCK);
		usleep(500);
	}
	assert_true(peer >= 0);
	f0.peer = peer;
	assert_int_equal(qmp_state(f0.q), QMP_GREETING);
	handshake(&f0);
	event_free(ev);
	close(l);
	qmp_free(f0.q);
	close(peer);
	event_base_free(f0.base);
	tu_rmtree(dir);
	free(dir);
}

static void
test_connect_deadline(void **state)
{
	static const struct qmp_callbacks cbs = { on_ready, on_closed };
	struct fx f0;

	(void)state;
	memset(&f0, 0, sizeof(f0));
	f0.base = event_base_new();
	f0.q = qmp_new(f0.base, NULL, &cbs, &f0);
	struct tag t = { &f0, "held", 0 };
	assert_int_equal(qmp_connect_unix(f0.q, "/nonexistent/qmp.sock", 80), 0);
	/* a command issued while connecting is held, then failed */
	assert_true(qmp_execute(f0.q, "query-status", NULL, 0, on_reply, &t) > 0);
	assert_true(tu_pump(f0.base, &f0.closed, 3000));
	assert_string_equal(f0.log[0], "err:held:Disconnected:cannot connect to "
	    "/nonexistent/qmp.sock: No such file or directory");
	assert_string_equal(f0.log[1], "closed:cannot connect to "
	    "/nonexistent/qmp.sock: No such file or directory");
	qmp_free(f0.q);
	event_base_free(f0.base);
}

/* The synchronous helper against a scripted peer in a child process. */
static void
test_sync_helper(void **state)
{
	int sv[2];
	char err[256];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		tu_write_str(sv[1], GREETING);
		for (int i = 0; i < 3; i++) {
			char *line = tu_read_line(sv[1], NULL, 5000);
			if (line == NULL)
				_exit(1);
			struct json_object *c = json_tokener_parse(line);
			long long id = json_object_get_int64(
			    json_object_object_get(c, "id"));
			const char *name = json_object_get_string(
			    json_object_object_get(c, "execute"));
			char out[512];
			if (strcmp(name, "stop") == 0)
				snprintf(out, sizeof(out),
				    "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n"
				    "{\"return\": {}, \"id\": %lld}\n", id);
			else if (strcmp(name, "nope") == 0)
				snprintf(out, sizeof(out), "{\"error\": {\"class\": "
				    "\"CommandNotFound\", \"desc\": \"The command nope "
				    "has not been found\"}, \"id\": %lld}\n", id);
			else
				snprintf(out, sizeof(out), "{\"return\": {}, \"id\": %lld}\n", id);
			tu_write_str(sv[1], out);
			json_object_put(c);
			free(line);
		}
		_exit(0);
	}
	close(sv[1]);
	struct qmp_sync *s = qmp_sync_attach(sv[0], 5000, NULL, err, sizeof(err));
	assert_non_null(s);
	struct qmp_reply r;
	assert_int_equal(qmp_sync_execute(s, "stop", NULL, 5000, &r), 0);
	qmp_reply_clear(&r);
	struct json_object *ev = qmp_sync_wait_event(s, "STOP", 1000);
	assert_non_null(ev);
	json_object_put(ev);
	assert_null(qmp_sync_wait_event(s, "STOP", 50));
	assert_int_equal(qmp_sync_execute(s, "nope", NULL, 5000, &r), -1);
	assert_string_equal(r.eclass, "CommandNotFound");
	assert_string_equal(r.edesc, "The command nope has not been found");
	qmp_reply_clear(&r);
	assert_int_equal(qmp_sync_wait_closed(s, 5000), 0);
	assert_string_equal(qmp_sync_closed_reason(s), "end of file");
	assert_int_equal(qmp_sync_execute(s, "x", NULL, 100, &r), -1);
	assert_string_equal(r.eclass, "Disconnected");
	qmp_reply_clear(&r);
	qmp_sync_close(s);
	assert_int_equal(tu_reap(pid, 5000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_and_negotiation),
		cmocka_unit_test(test_oob_negotiation),
		cmocka_unit_test(test_oob_not_offered),
		cmocka_unit_test(test_split_reads),
		cmocka_unit_test(test_merged_messages),
		cmocka_unit_test(test_large_reply),
		cmocka_unit_test(test_events_before_negotiation),
		cmocka_unit_test(test_events_interleaved),
		cmocka_unit_test(test_subscribe_by_name),
		cmocka_unit_test(test_unsubscribe_in_callback),
		cmocka_unit_test(test_unknown_ids),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_disconnect_pending),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_no_greeting),
		cmocka_unit_test(test_negotiation_refused),
		cmocka_unit_test(test_free_in_callback),
		cmocka_unit_test(test_fd_passing),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_connect_retry),
		cmocka_unit_test(test_connect_deadline),
		cmocka_unit_test(test_sync_helper),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("qmp", tests, NULL, NULL);
}
