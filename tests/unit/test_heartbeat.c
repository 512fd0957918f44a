/*
 * The heartbeat: the statistics of the guest's ticks (hbstat: gaps by the
 * host's clock, missed and restarted sequences, lines that are no tick,
 * a reset keeping the last tick), and the reader against the fake QEMU:
 * it connects to the channel's socket once it is there, takes ticks split
 * anywhere, answers heartbeat (and its reset), reconnects when QEMU closes
 * the socket, reads a flooding guest no faster than its rate limit, and a
 * VM without the channel is refused in one line.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon.h"
#include "fakeqemu.h"
#include "hbstat.h"
#include "heartbeat.h"
#include "jget.h"
#include "log.h"
#include "names.h"
#include "testutil.h"
#include "vm.h"

#define MS	1000000ull
#define T0	(1000000 * MS)	/* a host monotonic time */
#define R0	(1700000000000ull * MS) /* a host wall clock time */

static double
jdbl(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	assert_non_null(v);
	return json_object_get_double(v);
}

static void
test_hbstat(void **state)
{
	struct hbstat h = { 0 };
	struct json_object *o;

	(void)state;
	o = hbstat_json(&h, T0);
	assert_int_equal(jint(o, "ticks", -1), 0);
	assert_null(jget(o, "longest_gap_ms"));
	assert_null(jget(o, "since_last_ms"));
	json_object_put(o);

	assert_int_equal(hbstat_line(&h, "QLHB 1 5000000", T0, R0), 0);
	/* one tick: no gap yet */
	o = hbstat_json(&h, T0 + 2 * MS);
	assert_null(jget(o, "longest_gap_ms"));
	assert_true(jdbl(o, "since_last_ms") == 2.0);
	json_object_put(o);
	assert_int_equal(hbstat_line(&h, "QLHB 2 6000000", T0 + 1 * MS,
	    R0 + 1 * MS), 0);
	/* 2 s away from the host's view, 1 ms by the guest's clock */
	assert_int_equal(hbstat_line(&h, "QLHB 3 7000000", T0 + 2001 * MS,
	    R0 + 2001 * MS), 0);
	/* two ticks lost, a smaller gap */
	assert_int_equal(hbstat_line(&h, "QLHB 6 10000000", T0 + 2004 * MS,
	    R0 + 2004 * MS), 0);
	/* garbage of every kind */
	static const char *const bad[] = { "", "QLHB", "QLHB 7", "QLHB 7 ",
	    "QLHB x 1", "QLHB 7 1 2", "QLHB -7 1", "QLHB 0 1", "qlhb 7 1",
	    "QLHB 7 99999999999999999999999", "QLHB  7 1", "READY" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hbstat_line(&h, bad[i], T0 + 2005 * MS, R0) != -1)
			fail_msg("'%s' taken as a tick", bad[i]);
	/* CR LF ends a tick too */
	assert_int_equal(hbstat_line(&h, "QLHB 7 11000000\r", T0 + 2005 * MS,
	    R0 + 2005 * MS), 0);
	o = hbstat_json(&h, T0 + 2006 * MS);
	assert_int_equal(jint(o, "ticks", -1), 5);
	assert_int_equal(jint(o, "missed", -1), 2);
	assert_int_equal(jint(o, "bad", -1), 12);
	assert_int_equal(jint(o, "restarts", -1), 0);
	assert_int_equal(jint(o, "first_seq", -1), 1);
	assert_int_equal(jint(o, "last_seq", -1), 7);
	assert_int_equal(jint(o, "first_tick_us", -1), (long long)(R0 / 1000));
	assert_int_equal(jint(o, "last_tick_us", -1),
	    (long long)((R0 + 2005 * MS) / 1000));
	assert_true(jdbl(o, "longest_gap_ms") == 2000.0);
	assert_int_equal(jint(o, "longest_gap_seq", -1), 3);
	assert_int_equal(jint(o, "longest_gap_at_us", -1),
	    (long long)((R0 + 2001 * MS) / 1000));
	assert_true(jdbl(o, "longest_gap_guest_ms") == 1.0);
	assert_true(jdbl(o, "since_last_ms") == 1.0);
	json_object_put(o);

	/* reset: counts go, the last tick stays, so the next gap counts */
	hbstat_reset(&h);
	o = hbstat_json(&h, T0 + 2006 * MS);
	assert_int_equal(jint(o, "ticks", -1), 0);
	assert_null(jget(o, "longest_gap_ms"));
	json_object_put(o);
	/* qlstress started again in the guest: counted, not missed */
	assert_int_equal(hbstat_line(&h, "QLHB 1 99000000", T0 + 2105 * MS,
	    R0 + 2105 * MS), 0);
	o = hbstat_json(&h, T0 + 2105 * MS);
	assert_int_equal(jint(o, "ticks", -1), 1);
	assert_int_equal(jint(o, "restarts", -1), 1);
	assert_int_equal(jint(o, "missed", -1), 0);
	assert_int_equal(jint(o, "first_seq", -1), 1);
	assert_true(jdbl(o, "longest_gap_ms") == 100.0);
	json_object_put(o);
}

#define HB_VM	PLAIN_VM "channel: heartbeat\n"

/* QEMU's side of the channel: a listening socket at the VM's path */
static int
listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

/* the supervisor's connection, accepted while its loop runs */
static int
accept_reader(struct fx *f, int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	for (int i = 0; i < 100; i++) {
		pump(f, 10);
		if (poll(&p, 1, 0) == 1)
			return accept(lfd, NULL, NULL);
	}
	fail_msg("the supervisor did not connect to the heartbeat socket");
	return -1;
}

static void
put(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static struct json_object *
heartbeat(struct fx *f, const char *args)
{
	request(f, "heartbeat", args);
	pump(f, 5);
	return expect_return(f);
}

/* until the supervisor has taken the tick seq (5 s) */
static void
wait_seq(struct fx *f, long long seq)
{
	for (int i = 0; i < 1000; i++) {
		struct json_object *o = heartbeat(f, "{\"name\": \"t1\"}");
		long long got = jint(o, "last_seq", 0);
		json_object_put(o);
		if (got == seq)
			return;
		pump(f, 5);
	}
	fail_msg("tick %lld never taken", seq);
}

static void
test_reader(void **state)
{
	struct fx *f = fx_new();
	struct json_object *o;

	(void)state;
	heartbeat_init(&f->d);
	struct vm *vm = fx_running_vm(f, HB_VM);
	/* QEMU is up and its socket not there yet: nothing read so far */
	o = heartbeat(f, "{\"name\": \"t1\"}");
	assert_false(jbool(o, "connected"));
	assert_int_equal(jint(o, "ticks", -1), 0);
	json_object_put(o);

	int lfd = listen_at(vm->paths.heartbeat);
	int c = accept_reader(f, lfd);
	/* ticks split anywhere, a line that is no tick */
	put(c, "QLHB 1 1000000\nQLH");
	wait_seq(f, 1);
	put(c, "B 2 2000000\nnoise\nQLHB 4 ");
	wait_seq(f, 2);
	/* tick 2 taken: 100 ms at least before tick 4 can be */
	usleep(100000);
	put(c, "4000000\n");
	wait_seq(f, 4);
	o = heartbeat(f, "{\"name\": \"t1\", \"reset\": true}");
	assert_true(jbool(o, "connected"));
	assert_int_equal(jint(o, "pid", -1), getpid());
	assert_int_equal(jint(o, "ticks", -1), 3);
	assert_int_equal(jint(o, "missed", -1), 1);
	assert_int_equal(jint(o, "bad", -1), 1);
	assert_int_equal(jint(o, "last_seq", -1), 4);
	assert_int_equal(jint(o, "longest_gap_seq", -1), 4);
	assert_true(jdbl(o, "longest_gap_ms") >= 100.0);
	assert_true(jdbl(o, "longest_gap_guest_ms") == 2.0);
	json_object_put(o);
	/* after the reset */
	o = heartbeat(f, "{\"name\": \"t1\"}");
	assert_int_equal(jint(o, "ticks", -1), 0);
	json_object_put(o);

	/* a line without end is not kept forever */
	char junk[600];
	memset(junk, 'x', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = '\0';
	put(c, junk);
	pump(f, 20);
	put(c, "\nQLHB 5 5000000\n");
	wait_seq(f, 5);
	o = heartbeat(f, "{\"name\": \"t1\"}");
	assert_int_equal(jint(o, "ticks", -1), 1);
	assert_true(jint(o, "bad", -1) >= 1);
	json_object_put(o);

	/* QEMU closes the channel: the supervisor connects again */
	close(c);
	for (int i = 0; ; i++) {
		assert_true(i < 1000);
		pump(f, 5);
		o = heartbeat(f, "{\"name\": \"t1\"}");
		int connected = jbool(o, "connected");
		assert_int_equal(jint(o, "ticks", -1), 1);
		json_object_put(o);
		if (!connected)
			break;
	}
	c = accept_reader(f, lfd);
	put(c, "QLHB 6 6000000\n");
	wait_seq(f, 6);
	o = heartbeat(f, "{\"name\": \"t1\"}");
	assert_true(jbool(o, "connected"));
	assert_int_equal(jint(o, "ticks", -1), 2);
	json_object_put(o);
	close(c);
	close(lfd);
	heartbeat_fini(&f->d);
	fx_free(f);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A guest flooding the channel with garbage lines: the supervisor reads
 * no faster than HEARTBEAT_READ_BPS (the rest waits in the socket), keeps
 * answering, and takes a tick again once the flood is over.
 */
static void
test_flood(void **state)
{
	static const char line[] = "garbage-garbage-garbage-garbage-garbag\n";
	const size_t ll = sizeof(line) - 1;
	struct fx *f = fx_new();
	struct json_object *o;
	char buf[ll * 1024];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i += ll)
		memcpy(buf + i, line, ll);
	heartbeat_init(&f->d);
	struct vm *vm = fx_running_vm(f, HB_VM);
	int lfd = listen_at(vm->paths.heartbeat);
	int c = accept_reader(f, lfd);
	assert_int_equal(fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK), 0);
	put(c, "QLHB 1 1000000\n");
	wait_seq(f, 1);

	/* 600 ms of flood, the supervisor's loop running meanwhile */
	size_t sent = 0, off = 0;
	uint64_t t0 = now_ms(), t1;
	while ((t1 = now_ms()) - t0 < 600) {
		ssize_t n = write(c, buf + off, sizeof(buf) - off);
		if (n > 0) {
			sent += (size_t)n;
			off = (off + (size_t)n) % sizeof(buf);
		}
		pump(f, 2);
	}
	o = heartbeat(f, "{\"name\": \"t1\"}");
	size_t got = (size_t)jint(o, "bad", -1) * ll;
	json_object_put(o);
	size_t bound = HEARTBEAT_READ_BURST + HEARTBEAT_READ_BPS *
	    (size_t)(t1 - t0 + HEARTBEAT_TICK_MS) / 1000 + ll;
	print_message("flood: %zu bytes offered, %zu read in %llu ms "
	    "(bound %zu)\n", sent, got, (unsigned long long)(t1 - t0), bound);
	assert_true(got > 0);
	assert_true(got <= bound);
	/* the test can fail: more was offered than the bound */
	assert_true(sent > bound);

	/*
	 * The flood ends: a tick counts again once what waits in the socket
	 * is read (the loop runs while the tick waits for room).
	 */
	static const char tick[] = "\nQLHB 2 2000000\n";
	for (size_t done = 0; done < sizeof(tick) - 1; ) {
		assert_true(now_ms() - t1 < 10000);
		ssize_t n = write(c, tick + done, sizeof(tick) - 1 - done);
		if (n > 0)
			done += (size_t)n;
		pump(f, 5);
	}
	wait_seq(f, 2);
	close(c);
	close(lfd);
	heartbeat_fini(&f->d);
	fx_free(f);
}

static void
test_no_channel(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	heartbeat_init(&f->d);
	fx_running_vm(f, PLAIN_VM);
	request(f, "heartbeat", "{\"name\": \"t1\"}");
	expect_error(f, ERR_GENERIC, "VM 't1' has no heartbeat channel "
	    "(channel: heartbeat)", 0);
	request(f, "heartbeat", "{\"name\": \"nosuch\"}");
	expect_error(f, ERR_NOT_FOUND, "no VM named 'nosuch'", 0);
	heartbeat_fini(&f->d);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hbstat),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_no_channel),
	};

	log_init("test_heartbeat", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
