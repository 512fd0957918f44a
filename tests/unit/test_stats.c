/*
 * Statistics: rates from two samples (CPU, each vCPU, disks and NICs
 * summed; another QEMU run or a counter going back), domstats against
 * the fake QEMU (its three queries, the vCPU's thread time from /proc,
 * the block figures, no balloon: the definition's size; a shut off VM's
 * state only), and the poller: nothing asked of QEMU without a watcher,
 * a watch's rounds and STATS events with rates, the timer stopped once
 * the watcher's client left, and a QEMU that does not answer neither
 * stalls the other VM's events nor gets asked again while its query is
 * out.
 */
#include <sys/syscall.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "fakeqemu.h"
#include "jget.h"
#include "names.h"
#include "req.h"
#include "statpoll.h"
#include "statrate.h"
#include "testutil.h"
#include "vm.h"

/* ---- rates ---- */

static struct json_object *
js(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

static void
test_rates(void **state)
{
	struct json_object *a = js("{\"id\": 3, \"t_ms\": 1000, \"cpu\": "
	    "{\"time_ms\": 100, \"vcpus\": [{\"time_ms\": 50}, {\"time_ms\": "
	    "10}]}, \"block\": [{\"rd_bytes\": 100, \"wr_bytes\": 1000}, "
	    "{\"rd_bytes\": 0, \"wr_bytes\": 0}], \"net\": [{\"rx_bytes\": 10, "
	    "\"tx_bytes\": 20}]}");
	struct json_object *b = js("{\"id\": 3, \"t_ms\": 3000, \"cpu\": "
	    "{\"time_ms\": 1100, \"vcpus\": [{\"time_ms\": 1050}, "
	    "{\"time_ms\": 10}]}, \"block\": [{\"rd_bytes\": 2100, "
	    "\"wr_bytes\": 5000}, {\"rd_bytes\": 0, \"wr_bytes\": 2000}], "
	    "\"net\": [{\"rx_bytes\": 4010, \"tx_bytes\": 20}]}");
	struct json_object *r;

	(void)state;
	assert_int_equal(statrate_add(b, a), 1);
	r = jget(b, "rates");
	assert_int_equal(jint(r, "interval_ms", 0), 2000);
	/* 1000 ms of CPU in 2 s: half a host CPU */
	assert_true(json_object_get_double(jget(r, "cpu_pct")) == 50.0);
	assert_true(json_object_get_double(json_object_array_get_idx(jget(r,
	    "vcpu_pct"), 0)) == 50.0);
	assert_true(json_object_get_double(json_object_array_get_idx(jget(r,
	    "vcpu_pct"), 1)) == 0.0);
	assert_int_equal(jint(r, "rd_bps", -1), 1000);
	assert_int_equal(jint(r, "wr_bps", -1), 3000);	/* both disks */
	assert_int_equal(jint(r, "rx_bps", -1), 2000);
	assert_int_equal(jint(r, "tx_bps", -1), 0);
	/* counters that went back (a disk unplugged): 0, not negative */
	assert_int_equal(statrate_add(a, b), 0);	/* t went back */
	json_object_object_add(a, "t_ms", json_object_new_int64(5000));
	assert_int_equal(statrate_add(a, b), 1);
	assert_int_equal(jint(jget(a, "rates"), "wr_bps", -1), 0);
	assert_true(json_object_get_double(jget(jget(a, "rates"),
	    "cpu_pct")) == 0.0);
	/* another QEMU run (a restart gave another id): no rates */
	json_object_object_del(b, "rates");
	json_object_object_add(b, "id", json_object_new_int64(4));
	assert_int_equal(statrate_add(b, a), 0);
	assert_null(jget(b, "rates"));
	assert_int_equal(statrate_add(b, NULL), 0);
	json_object_put(a);
	json_object_put(b);
}

/* ---- the fake QEMU's answers ---- */

static long long
tid(void)
{
	return (long long)syscall(SYS_gettid);
}

/* Is there a command for the fake QEMU on fd within ms? */
static int
has_cmd(struct fx *f, int fd, int ms)
{
	long long end = tu_now_ms() + ms;

	do {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 0) == 1)
			return 1;
		pump(f, 2);
	} while (tu_now_ms() < end);
	return 0;
}

/* Answer one sample's three queries on the fake QEMU fd. */
static void
answer_sample(struct fx *f, int fd, long long wr)
{
	char buf[256];

	f->peer = fd;
	snprintf(buf, sizeof(buf), "[{\"cpu-index\": 0, \"thread-id\": %lld, "
	    "\"props\": {}, \"target\": \"x86_64\", \"qom-path\": \"/m/c0\"}]",
	    tid());
	answer(f, expect_cmd(f, "query-cpus-fast", NULL), buf);
	snprintf(buf, sizeof(buf), "[{\"device\": \"\", \"node-name\": "
	    "\"disk-vda\", \"qdev\": \"/machine/peripheral/vda\", \"stats\": "
	    "{\"rd_bytes\": 512, \"wr_bytes\": %lld, \"rd_operations\": 1, "
	    "\"wr_operations\": 2, \"flush_operations\": 3}}]", wr);
	answer(f, expect_cmd(f, "query-blockstats", NULL), buf);
	answer_error(f, expect_cmd(f, "query-balloon", NULL),
	    "DeviceNotActive", "No balloon device has been activated");
}

#define VM2 "name: t2\nmemory: 128\nballoon: off\nconsole: none\n"

static void
test_domstats(void **state)
{
	struct fx *f = fx_new();
	struct json_object *m, *vms, *v, *b;

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	vm_add(&f->d, tu_parse_ok(VM2));	/* defined, shut off */
	request(f, "domstats", "{}");
	answer_sample(f, f->peer, 4096);
	m = expect_return(f);
	vms = jget(m, "vms");
	assert_int_equal(json_object_array_length(vms), 2);
	v = json_object_array_get_idx(vms, 0);
	assert_string_equal(jstr(v, "name"), "t1");
	assert_string_equal(jstr(v, "state"), "running");
	assert_null(jget(v, "error"));
	/* the vCPU is this thread: its time is read from /proc */
	struct json_object *c = json_object_array_get_idx(jget(jget(v, "cpu"),
	    "vcpus"), 0);
	assert_int_equal(jint(c, "thread_id", 0), tid());
	assert_true(jint(c, "time_ms", -1) >= 0);
	assert_true(jint(jget(v, "cpu"), "time_ms", -1) >= jint(c, "time_ms",
	    0));
	b = json_object_array_get_idx(jget(v, "block"), 0);
	assert_string_equal(jstr(b, "name"), "disk-vda");
	assert_int_equal(jint(b, "wr_bytes", 0), 4096);
	assert_int_equal(jint(b, "rd_reqs", 0), 1);
	assert_int_equal(jint(b, "wr_reqs", 0), 2);
	assert_int_equal(jint(b, "flush_reqs", 0), 3);
	/* no balloon: the definition's size, and no error for that */
	assert_int_equal(jint(jget(v, "balloon"), "current_mib", 0), 256);
	assert_int_equal(json_object_array_length(jget(v, "net")), 0);
	/* shut off: its state only */
	v = json_object_array_get_idx(vms, 1);
	assert_string_equal(jstr(v, "name"), "t2");
	assert_string_equal(jstr(v, "state"), "shut off");
	assert_null(jget(v, "cpu"));
	assert_null(jget(v, "block"));
	json_object_put(m);
	/* by name, and a name that is none */
	request(f, "domstats", "{\"names\": [\"t2\"]}");
	m = expect_return(f);
	assert_int_equal(json_object_array_length(jget(m, "vms")), 1);
	json_object_put(m);
	request(f, "domstats", "{\"names\": [\"t2\", \"nosuch\"]}");
	expect_error(f, ERR_NOT_FOUND, "no VM named 'nosuch'", 0);
	request(f, "domstats", "{\"names\": \"t2\"}");
	expect_error(f, ERR_GENERIC, "a list of VM names", 0);
	/* QEMU's error on a query: in the sample, not the request's */
	request(f, "domstats", "{\"names\": [\"t1\"]}");
	answer_error(f, expect_cmd(f, "query-cpus-fast", NULL),
	    "GenericError", "boom");
	answer(f, expect_cmd(f, "query-blockstats", NULL), "[]");
	answer(f, expect_cmd(f, "query-balloon", NULL), "{\"actual\": "
	    "134217728}");
	m = expect_return(f);
	v = json_object_array_get_idx(jget(m, "vms"), 0);
	assert_non_null(strstr(jstr(v, "error"), "boom"));
	assert_int_equal(jint(jget(v, "balloon"), "current_mib", 0), 128);
	json_object_put(m);
	fx_free(f);
}

/* ---- the poller ---- */

/* A watcher's connection: what it was sent, who waits for its close. */
struct wconn {
	struct json_object	*msgs[64];
	int			 n;
	struct req_closer	*closer;
};

static void
w_send(void *conn, struct json_object *m)
{
	struct wconn *c = conn;

	assert_true(c->n < 64);
	c->msgs[c->n++] = json_object_get(m);
}

static void
w_watch(void *conn, struct req_closer *cl)
{
	((struct wconn *)conn)->closer = cl;
}

static void
w_unwatch(void *conn, struct req_closer *cl)
{
	struct wconn *c = conn;

	if (c->closer == cl)
		c->closer = NULL;
}

/* a connection that tells when it closes, and one that cannot */
static const struct req_ops w_ops = { .send = w_send, .watch = w_watch,
    .unwatch = w_unwatch };
static const struct req_ops w_ops_mute = { .send = w_send };

/* The connection closes, as control.c does it. */
static void
w_close(struct wconn *c, struct req *r)
{
	struct req_closer *cl = c->closer;

	r->conn = NULL;
	c->closer = NULL;
	if (cl != NULL) {
		cl->conn = NULL;
		cl->fn(cl->arg);
	}
}

static struct req *
watch_ops(struct fx *f, struct wconn *c, const char *args,
    const struct req_ops *ops)
{
	struct req *r = req_new(&f->d, ops, c, "stats-watch",
	    json_object_new_int(7), json_tokener_parse(args), 0, 1);

	dispatch(r);
	return r;
}

static struct req *
watch(struct fx *f, struct wconn *c, const char *args)
{
	return watch_ops(f, c, args, &w_ops);
}

/* The next STATS event's data (the caller's), within ms. */
static struct json_object *
next_stats(struct fx *f, struct wconn *c, int ms)
{
	long long end = tu_now_ms() + ms;

	while (c->n == 0 && tu_now_ms() < end)
		pump(f, 2);
	if (c->n == 0)
		return NULL;
	struct json_object *m = c->msgs[0], *d;
	memmove(c->msgs, c->msgs + 1, (size_t)--c->n * sizeof(c->msgs[0]));
	if (strcmp(jstr_or(m, "event", ""), EV_STATS) != 0)
		fail_msg("not a STATS event: %s", json_object_to_json_string(m));
	assert_int_equal(jint(m, "id", 0), 7);
	d = json_object_get(jget(m, "data"));
	json_object_put(m);
	return d;
}

static struct json_object *
vm_of(struct json_object *data, const char *name)
{
	struct json_object *vms = jget(data, "vms");

	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		struct json_object *v = json_object_array_get_idx(vms, i);
		if (strcmp(jstr_or(v, "name", ""), name) == 0)
			return v;
	}
	fail_msg("no %s in %s", name, json_object_to_json_string(data));
	return NULL;
}

static void
wconn_free(struct wconn *c)
{
	for (int i = 0; i < c->n; i++)
		json_object_put(c->msgs[i]);
	c->n = 0;
}

static void
test_watch(void **state)
{
	struct fx *f = fx_new();
	struct wconn c = { .n = 0 };
	struct json_object *d, *v;
	long long rounds;
	int nw;

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	/* nobody watches: QEMU is asked nothing, no timer runs */
	assert_false(has_cmd(f, f->peer, 300));
	statpoll_counts(&f->d, &nw, &rounds);
	assert_int_equal(nw, 0);
	assert_int_equal(rounds, 0);
	assert_null(f->d.statpoll);
	/* a bad delay: refused, nothing starts */
	struct req *r = watch(f, &c, "{\"delay_ms\": 5}");
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(json_object_to_json_string(c.msgs[0]),
	    "delay_ms"));
	wconn_free(&c);
	assert_null(f->d.statpoll);
	/*
	 * a watcher on a connection that cannot tell it closed: the
	 * baseline at once, then a round every 200 ms
	 */
	r = watch_ops(f, &c, "{\"delay_ms\": 200}", &w_ops_mute);
	answer_sample(f, f->peer, 1000);
	/* the baseline has no rates: no event for it */
	pump(f, 50);
	assert_int_equal(c.n, 0);
	answer_sample(f, f->peer, 1000 + 100000);
	d = next_stats(f, &c, 2000);
	assert_non_null(d);
	assert_int_equal(jint(d, "interval_ms", 0), 200);
	v = vm_of(d, "t1");
	assert_non_null(jget(v, "rates"));
	/* 100000 bytes in about 200 ms */
	long long wr = jint(jget(v, "rates"), "wr_bps", 0);
	assert_true(wr > 200000 && wr < 1000000);
	json_object_put(d);
	statpoll_counts(&f->d, &nw, &rounds);
	assert_int_equal(nw, 1);
	assert_int_equal(rounds, 2);
	answer_sample(f, f->peer, 1000 + 100000);
	d = next_stats(f, &c, 2000);
	assert_int_equal(jint(jget(vm_of(d, "t1"), "rates"), "wr_bps", -1), 0);
	json_object_put(d);
	/* the client leaves: at the next tick the timer stops */
	r->conn = NULL;
	assert_false(has_cmd(f, f->peer, 600));
	assert_null(f->d.statpoll);
	assert_int_equal(c.n, 0);
	/* a connection that tells: the timer stops as it closes */
	r = watch(f, &c, "{\"delay_ms\": 200}");
	assert_non_null(c.closer);
	answer_sample(f, f->peer, 1000);
	pump(f, 10);
	assert_non_null(f->d.statpoll);
	w_close(&c, r);
	assert_null(f->d.statpoll);
	assert_false(has_cmd(f, f->peer, 400));
	fx_free(f);
}

static void
test_silent_vm(void **state)
{
	struct fx *f = fx_new();
	struct wconn c = { .n = 0 };
	struct json_object *d, *v;
	int silent, talks;

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	silent = f->peer;
	fx_running_vm(f, VM2);
	talks = f->peer;
	struct req *r = watch(f, &c, "{\"delay_ms\": 200}");
	/* t1 is asked once and never answers; t2 answers every round */
	for (int i = 0; i < 3; i++) {
		f->peer = silent;
		assert_int_equal(json_object_put(peer_recv(f)), 1);
	}
	for (int round = 0; round < 4; round++) {
		answer_sample(f, talks, 4096 * (round + 1));
		if (round == 0)
			continue;	/* the baseline */
		d = next_stats(f, &c, 1000);
		assert_non_null(d);
		/* t2 has its rates while t1's QEMU keeps silent */
		assert_non_null(jget(vm_of(d, "t2"), "rates"));
		assert_int_equal(jint(jget(vm_of(d, "t2"), "rates"), "wr_bps",
		    0) > 0, 1);
		v = vm_of(d, "t1");
		assert_null(jget(v, "rates"));
		assert_string_equal(jstr(v, "state"), "running");
		json_object_put(d);
	}
	/* one query out at a time: t1 was not asked again */
	assert_false(has_cmd(f, silent, 0));
	w_close(&c, r);
	assert_null(f->d.statpoll);
	wconn_free(&c);
	f->peer = talks;
	close(silent);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_domstats),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_silent_vm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
