/*
 * migrate --stats: a sample from query-migrate (every field, null for
 * what QEMU did not give), the guest-visible downtime from the two
 * supervisors' ticks, CPU times from /proc (this process and its own
 * thread; a gone process or thread), the destination's migrate-cputimes
 * against the fake QEMU (QEMU's error passed on unchanged), the source's
 * sampling against the fake QEMU and a fake destination (samples on the
 * timer and at MIGRATION_PASS, the destination's times null until it
 * answers, its refusal ignored, "end" last, summary and provenance in
 * the reply), and the
 * client's file: the extension chosen, a bad path refused at once, the
 * CSV exactly (vCPU columns flattened to the widest sample, empty cells
 * for null, quoting, summary and provenance as comments) and the JSON.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

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
#include "migprov.h"
#include "migrate.h"
#include "migstats.h"
#include "names.h"
#include "statsfile.h"
#include "testutil.h"
#include "vm.h"

#define QM_ACTIVE "{\"status\": \"active\", \"expected-downtime\": 42, " \
	"\"cpu-throttle-percentage\": 20, \"xbzrle-cache\": {\"cache-miss\": " \
	"7}, \"ram\": {\"transferred\": 1000, \"remaining\": 500, \"total\": " \
	"2000, \"mbps\": 812.5, \"dirty-pages-rate\": 300, " \
	"\"dirty-sync-count\": 3, \"postcopy-requests\": 0}}"

static void
test_sample(void **state)
{
	struct json_object *ret = json_tokener_parse(QM_ACTIVE);
	struct json_object *src = json_tokener_parse("{\"qemu_cpu_ms\": 90, "
	    "\"vcpu_cpu_ms\": [40, 30]}");
	struct json_object *s = migstats_sample(ret, 1234, "pass", src, NULL);

	(void)state;
	assert_int_equal(jint(s, "t_ms", 0), 1234);
	assert_string_equal(jstr(s, "reason"), "pass");
	assert_string_equal(jstr(s, "status"), "active");
	assert_int_equal(jint(s, "pass", 0), 3);
	assert_int_equal(jint(s, "transferred", 0), 1000);
	assert_int_equal(jint(s, "remaining", 0), 500);
	assert_int_equal(jint(s, "total", 0), 2000);
	assert_true(json_object_get_double(jget(s, "mbps")) == 812.5);
	assert_int_equal(jint(s, "dirty_rate", 0), 300);
	assert_int_equal(jint(s, "throttle_pct", 0), 20);
	assert_int_equal(jint(s, "xbzrle_cache_miss", 0), 7);
	assert_int_equal(jint(s, "postcopy_requests", 1), 0);
	assert_int_equal(jint(s, "expected_downtime_ms", 0), 42);
	assert_int_equal(jint(s, "src_qemu_cpu_ms", 0), 90);
	assert_int_equal(json_object_array_length(jget(s, "src_vcpu_cpu_ms")),
	    2);
	/* the destination's not known yet: null, but the key is there */
	assert_true(json_object_object_get_ex(s, "dst_qemu_cpu_ms", NULL));
	assert_null(jget(s, "dst_qemu_cpu_ms"));
	assert_null(jget(s, "dst_vcpu_cpu_ms"));
	json_object_put(s);
	json_object_put(ret);
	/* a reply without ram, throttle or xbzrle: nulls, no zeros */
	ret = json_tokener_parse("{\"status\": \"setup\"}");
	s = migstats_sample(ret, 0, "poll", NULL, src);
	assert_string_equal(jstr(s, "status"), "setup");
	assert_true(json_object_object_get_ex(s, "transferred", NULL));
	assert_null(jget(s, "transferred"));
	assert_null(jget(s, "mbps"));
	assert_null(jget(s, "throttle_pct"));
	assert_null(jget(s, "src_qemu_cpu_ms"));
	assert_int_equal(jint(s, "dst_qemu_cpu_ms", 0), 90);
	json_object_put(s);
	json_object_put(ret);
	json_object_put(src);
}

static void
test_guest_downtime(void **state)
{
	struct json_object *hb = json_tokener_parse("{\"first_tick_us\": "
	    "1700000000123456}");
	struct json_object *none = json_tokener_parse("{\"ticks\": 0}");

	(void)state;
	assert_true(migstats_guest_downtime(1700000000080000, hb) == 43.456);
	assert_true(migstats_guest_downtime(-1, hb) < 0);
	assert_true(migstats_guest_downtime(1700000000080000, none) < 0);
	assert_true(migstats_guest_downtime(1700000000080000, NULL) < 0);
	/* the destination's first tick before the source's last: no figure */
	assert_true(migstats_guest_downtime(1700000000200000, hb) < 0);
	json_object_put(hb);
	json_object_put(none);
}

static void
test_cputimes(void **state)
{
	char cpus[256];
	long tid = syscall(SYS_gettid);
	struct json_object *c, *o;

	(void)state;
	/* burn a little CPU so that it shows */
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 50000000UL; i++)
		x += i;
	snprintf(cpus, sizeof(cpus), "[{\"cpu-index\": 0, \"thread-id\": %ld},"
	    " {\"cpu-index\": 1, \"thread-id\": 999999999}]", tid);
	c = json_tokener_parse(cpus);
	o = migprov_cputimes(getpid(), c);
	assert_non_null(o);
	assert_true(jint(o, "qemu_cpu_ms", -1) >= 0);
	struct json_object *a = jget(o, "vcpu_cpu_ms");
	assert_int_equal(json_object_array_length(a), 2);
	assert_non_null(json_object_array_get_idx(a, 0));
	/*
	 * The thread's time is part of the process's, read a moment later
	 * while this thread runs on: up to two clock ticks (10 ms) more.
	 */
	assert_true(json_object_get_int64(json_object_array_get_idx(a, 0)) <=
	    jint(o, "qemu_cpu_ms", -1) + 20);
	assert_true(json_object_get_int64(json_object_array_get_idx(a, 0)) > 0);
	/* a thread that is not there: null */
	assert_null(json_object_array_get_idx(a, 1));
	json_object_put(o);
	/* a process that is gone: nothing */
	assert_null(migprov_cputimes(999999999, c));
	json_object_put(c);
	o = migprov_host();
	assert_non_null(jstr(o, "kernel"));
	assert_true(jint(o, "cpus", 0) >= 1);
	assert_true(jint(o, "memory_kib", 0) > 0);
	json_object_put(o);
}

/* migrate-cputimes on the destination, against the fake QEMU */
static void
test_peer_cputimes(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a, *r;
	char cpus[128];

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	request(f, "migrate-cputimes", "{\"name\": \"t1\", \"provenance\": "
	    "true, \"src_last_tick_us\": 5}");
	snprintf(cpus, sizeof(cpus), "[{\"cpu-index\": 0, \"thread-id\": "
	    "%ld}]", (long)syscall(SYS_gettid));
	answer(f, expect_cmd(f, "query-cpus-fast", &a), cpus);
	json_object_put(a);
	r = expect_return(f);
	assert_true(jint(r, "qemu_cpu_ms", -1) >= 0);
	assert_int_equal(json_object_array_length(jget(r, "vcpu_cpu_ms")), 1);
	assert_non_null(jget(jget(r, "provenance"), "argv"));
	assert_string_equal(jstr(jget(r, "provenance"), "version"), "7.2.0");
	assert_non_null(jstr(jget(jget(r, "provenance"), "host"), "kernel"));
	/* no heartbeat channel: no heartbeat, no guest downtime */
	assert_null(jget(r, "heartbeat"));
	assert_null(jget(r, "guest_downtime_ms"));
	json_object_put(r);
	/* QEMU's error reaches the source unchanged */
	request(f, "migrate-cputimes", "{\"name\": \"t1\"}");
	answer_error(f, expect_cmd(f, "query-cpus-fast", NULL),
	    "CommandNotFound", "no such command");
	expect_error(f, "CommandNotFound", "no such command", 1);
	/* a VM that is not there */
	request(f, "migrate-cputimes", "{\"name\": \"nope\"}");
	expect_error(f, ERR_NOT_FOUND, "nope", 0);
	fx_free(f);
}

/* ---- the source sampling, against the fake QEMU and destination ---- */

#define CAPS_REPLY	"[{\"capability\": \"events\", \"state\": false}, " \
	"{\"capability\": \"xbzrle\", \"state\": false}, " \
	"{\"capability\": \"auto-converge\", \"state\": false}, " \
	"{\"capability\": \"multifd\", \"state\": false}]"
#define PARAMS_REPLY	"{\"max-bandwidth\": 33554432, " \
	"\"downtime-limit\": 300, \"multifd-channels\": 2}"
#define QM_DONE "{\"status\": \"completed\", \"total-time\": 120, " \
	"\"downtime\": 7, \"setup-time\": 3, \"ram\": {\"total\": 2000, " \
	"\"remaining\": 0, \"transferred\": 2010, \"dirty-sync-count\": 4, " \
	"\"normal\": 490, \"duplicate\": 10}}"

/* A line on fd if one is there now (NULL otherwise). */
static struct json_object *
line_now(struct fx *f, int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (fd == -1 || poll(&p, 1, 0) != 1)
		return NULL;
	char *l = tu_read_line(fd, f->base, 2000);
	struct json_object *o = l != NULL ? json_tokener_parse(l) : NULL;
	free(l);
	return o;
}

static void
dest_reply(int c, struct json_object *req, const char *ret)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"id\": %lld, \"return\": %s}\n",
	    jint(req, "id", -1), ret);
	tu_write_str(c, buf);
}

struct seen {
	struct json_object	*samples;	/* in order */
	struct json_object	*reply;
	int			 polls, passes, dst_known, after_end;
	int			 cputimes, finish;
};

static void
drain(struct fx *f, struct seen *w)
{
	while (f->nmsgs > 0) {
		struct json_object *m = reply(f);
		const char *ev = jstr(m, "event");
		struct json_object *d = jget(m, "data");
		if (ev == NULL) {
			w->reply = m;
			continue;
		}
		if (strcmp(ev, "migrate-sample") == 0) {
			const char *why = jstr(d, "reason");
			size_t n = json_object_array_length(w->samples);
			if (n > 0 && strcmp(jstr(json_object_array_get_idx(
			    w->samples, n - 1), "reason"), "end") == 0)
				w->after_end++;
			w->polls += strcmp(why, "poll") == 0;
			w->passes += strcmp(why, "pass") == 0;
			w->dst_known += jint(d, "dst_qemu_cpu_ms", 0) == 77;
			json_object_array_add(w->samples, json_object_get(d));
		}
		json_object_put(m);
	}
}

static void
test_sampling(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, PLAIN_VM);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct seen w = { .samples = json_object_new_array() };
	char args[512], cpus[128];
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), c = -1;
	int done = 0, pass_sent = 0;

	(void)state;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dest.sock", f->dir);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"dest\": \"%s\", "
	    "\"stats\": true, \"stats_interval\": 20}", sun.sun_path);
	snprintf(cpus, sizeof(cpus), "[{\"cpu-index\": 0, \"thread-id\": "
	    "%ld}]", (long)syscall(SYS_gettid));
	request(f, "migrate", args);
	answer(f, expect_cmd(f, "qom-get", NULL), "\"pc-i440fx-7.2-machine\"");
	answer(f, expect_cmd(f, "query-migrate-capabilities", NULL),
	    CAPS_REPLY);
	answer(f, expect_cmd(f, "query-migrate-parameters", NULL),
	    PARAMS_REPLY);
	for (int i = 0; i < 5000 && c == -1; i++) {
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pump(f, 1);
	}
	assert_true(c != -1);
	/* no sampling before QEMU migrates */
	struct json_object *o = NULL;
	for (int i = 0; i < 5000 && o == NULL; i++)
		o = line_now(f, c);
	assert_string_equal(jstr(o, "execute"), "migrate-prepare");
	dest_reply(c, o, "{\"uri\": \"unix:/nowhere/m.sock\"}");
	json_object_put(o);
	answer(f, expect_cmd(f, "migrate-set-capabilities", NULL), "{}");
	answer(f, expect_cmd(f, "migrate-set-parameters", NULL), "{}");
	answer(f, expect_cmd(f, "migrate", NULL), "{}");
	/* then both peers are served as they ask, until the reply */
	for (int i = 0; i < 20000 && w.reply == NULL; i++) {
		pump(f, 1);
		drain(f, &w);
		if (w.polls >= 2 && !pass_sent) {
			peer_send(f, "{\"event\": \"MIGRATION_PASS\", \"data\": "
			    "{\"pass\": 2}, \"timestamp\": {\"seconds\": 1, "
			    "\"microseconds\": 0}}");
			pass_sent = 1;
		}
		if (w.passes > 0 && w.dst_known > 0)
			done = 1;
		if ((o = line_now(f, f->peer)) != NULL) {
			const char *cmd = jstr(o, "execute");
			long long id = jint(o, "id", -1);
			if (strcmp(cmd, "query-migrate") == 0)
				answer(f, id, done ? QM_DONE : QM_ACTIVE);
			else if (strcmp(cmd, "query-cpus-fast") == 0)
				answer(f, id, cpus);
			else
				answer(f, id, "{}");
			if (strcmp(cmd, "quit") == 0) {
				close(f->peer);
				f->peer = -1;
				vm_cleanup_process(vm);
				vm_set_state(vm, VM_SHUTOFF, "migrated");
			}
			json_object_put(o);
		}
		if ((o = line_now(f, c)) != NULL) {
			const char *cmd = jstr(o, "execute");
			struct json_object *a = jget(o, "arguments");
			if (strcmp(cmd, "migrate-finish") == 0) {
				w.finish++;
				dest_reply(c, o, "{}");
			} else if (strcmp(cmd, "migrate-cputimes") == 0 &&
			    w.cputimes++ == 0) {
				/* refused once: the samples go on without */
				char e[256];
				snprintf(e, sizeof(e), "{\"id\": %lld, \"error\": "
				    "{\"class\": \"GenericError\", \"desc\": "
				    "\"not yet\"}}\n", jint(o, "id", -1));
				tu_write_str(c, e);
			} else if (strcmp(cmd, "migrate-cputimes") == 0) {
				assert_string_equal(jstr(a, "name"), "t1");
				dest_reply(c, o, jbool(a, "provenance") ?
				    "{\"qemu_cpu_ms\": 78, \"vcpu_cpu_ms\": [6], "
				    "\"provenance\": {\"version\": \"7.2.0\"}}" :
				    "{\"qemu_cpu_ms\": 77, \"vcpu_cpu_ms\": [5]}");
			}
			json_object_put(o);
		}
	}
	assert_non_null(w.reply);
	struct json_object *r = jget(w.reply, "return");
	assert_non_null(r);
	assert_int_equal(w.finish, 1);
	assert_true(w.polls >= 2);
	assert_true(w.passes >= 1);
	assert_int_equal(w.after_end, 0);
	size_t n = json_object_array_length(w.samples);
	struct json_object *first = json_object_array_get_idx(w.samples, 0);
	struct json_object *last = json_object_array_get_idx(w.samples, n - 1);
	/* the destination's times: unknown at first, then its answer */
	assert_null(jget(first, "dst_qemu_cpu_ms"));
	assert_string_equal(jstr(last, "reason"), "end");
	assert_string_equal(jstr(last, "status"), "completed");
	assert_int_equal(jint(last, "transferred", 0), 2010);
	assert_int_equal(jint(last, "dst_qemu_cpu_ms", 0), 77);
	assert_int_equal(json_object_array_length(jget(last,
	    "src_vcpu_cpu_ms")), 1);
	assert_true(jint(last, "src_qemu_cpu_ms", -1) >= 0);
	for (size_t i = 1; i < n; i++)
		assert_true(jint(json_object_array_get_idx(w.samples, i),
		    "t_ms", 0) >= jint(json_object_array_get_idx(w.samples,
		    i - 1), "t_ms", 0));
	struct json_object *sum = jget(r, "summary"), *p = jget(r,
	    "provenance");
	assert_string_equal(jstr(sum, "status"), "completed");
	assert_int_equal(jint(sum, "total_ms", 0), 120);
	assert_int_equal(jint(sum, "downtime_ms", 0), 7);
	assert_int_equal(jint(sum, "setup_ms", 0), 3);
	assert_int_equal(jint(sum, "passes", 0), 4);
	assert_int_equal(jint(sum, "normal_pages", 0), 490);
	assert_int_equal(jint(sum, "duplicate_pages", 0), 10);
	assert_int_equal(jint(sum, "expected_downtime_ms", 0), 42);
	assert_int_equal(jint(sum, "downtime_limit_ms", 0), 300);
	/* no heartbeat channel: the key, null */
	assert_true(json_object_object_get_ex(sum, "guest_downtime_ms", NULL));
	assert_null(jget(sum, "guest_downtime_ms"));
	assert_string_equal(jstr(jget(p, "destination"), "version"), "7.2.0");
	assert_string_equal(jstr(jget(p, "source"), "version"), "7.2.0");
	assert_non_null(jget(jget(jget(p, "source"), "host"), "kernel"));
	assert_true(jbool(jget(p, "capabilities"), "events"));
	assert_false(jbool(jget(p, "capabilities"), "xbzrle"));
	assert_int_equal(jint(jget(p, "parameters"), "max-bandwidth", 0),
	    1LL << 40);
	assert_int_equal(jint(jget(p, "parameters"), "downtime-limit", 0),
	    300);
	assert_int_equal(jint(p, "stats_interval_ms", 0), 20);
	json_object_put(w.reply);
	json_object_put(w.samples);
	close(c);
	close(lfd);
	fx_free(f);
}

/* A bad interval: one line, nothing asked of QEMU or the destination. */
static void
test_bad_interval(void **state)
{
	struct fx *f = fx_new();
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	char args[512];

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dest.sock", f->dir);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"dest\": \"%s\", "
	    "\"stats\": true, \"stats_interval\": 5}", sun.sun_path);
	request(f, "migrate", args);
	expect_error(f, ERR_GENERIC, "stats_interval is 10 to 60000 ms", 0);
	pump(f, 50);
	assert_null(line_now(f, f->peer));
	assert_int_equal(accept4(lfd, NULL, NULL, 0), -1);
	assert_null(migreg_find(&f->d, f->vm != NULL ? f->vm :
	    vm_find(&f->d, "t1")));
	close(lfd);
	fx_free(f);
}

static void
test_format(void **state)
{
	enum statsfile_fmt fmt;
	char err[256];

	(void)state;
	assert_int_equal(statsfile_format("a/b.csv", &fmt, err, sizeof(err)),
	    0);
	assert_int_equal(fmt, STATSFILE_CSV);
	assert_int_equal(statsfile_format("b.json", &fmt, err, sizeof(err)),
	    0);
	assert_int_equal(fmt, STATSFILE_JSON);
	assert_int_equal(statsfile_format("b.txt", &fmt, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "--stats b.txt: the file must end in "
	    ".csv or .json"));
	assert_int_equal(statsfile_format("x.csv/b", &fmt, err, sizeof(err)),
	    -1);
	assert_int_equal(statsfile_format("b.CSV", &fmt, err, sizeof(err)),
	    -1);
	assert_int_equal(statsfile_format("csv", &fmt, err, sizeof(err)), -1);
}

static void
test_open(void **state)
{
	struct statsfile sf;
	char dir[] = "/tmp/qlt-stats.XXXXXX", path[128], err[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nodir/s.csv", dir);
	assert_int_equal(statsfile_open(&sf, path, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file or directory"));
	snprintf(path, sizeof(path), "%s/s.txt", dir);
	assert_int_equal(statsfile_open(&sf, path, 0, err, sizeof(err)), -1);
	assert_int_equal(access(path, F_OK), -1);
	/* created at once; on failure the samples so far and "failed" */
	snprintf(path, sizeof(path), "%s/s.json", dir);
	assert_int_equal(statsfile_open(&sf, path, 1, err, sizeof(err)), 0);
	assert_int_equal(access(path, F_OK), 0);
	struct json_object *ev = json_tokener_parse("{\"event\": "
	    "\"migrate-sample\", \"data\": {\"t_ms\": 5}}");
	statsfile_event(ev, &sf);
	json_object_put(ev);
	struct json_object *sum = json_tokener_parse("{\"status\": "
	    "\"failed\"}");
	assert_int_equal(statsfile_close(&sf, sum, NULL), 0);
	json_object_put(sum);
	struct json_object *o = json_object_from_file(path);
	assert_non_null(o);
	assert_int_equal(json_object_array_length(jget(o, "samples")), 1);
	assert_string_equal(jstr(jget(o, "summary"), "status"), "failed");
	assert_true(json_object_object_get_ex(o, "provenance", NULL));
	json_object_put(o);
	unlink(path);
	rmdir(dir);
}

#define SAMPLES "[" \
	"{\"t_ms\": 10, \"reason\": \"pass\", \"status\": \"active\", " \
	"\"pass\": 1, \"transferred\": 0, \"mbps\": 0.5, \"dirty_rate\": null, " \
	"\"src_qemu_cpu_ms\": 3, \"src_vcpu_cpu_ms\": [1], " \
	"\"dst_qemu_cpu_ms\": null, \"dst_vcpu_cpu_ms\": null}," \
	"{\"t_ms\": 110, \"reason\": \"poll\", \"status\": \"a,\\\"b\", " \
	"\"pass\": 2, \"transferred\": 9, \"src_qemu_cpu_ms\": 4, " \
	"\"src_vcpu_cpu_ms\": [2, 3], \"dst_qemu_cpu_ms\": 1, " \
	"\"dst_vcpu_cpu_ms\": [0]}]"

static void
test_csv(void **state)
{
	struct json_object *samples = json_tokener_parse(SAMPLES);
	struct json_object *sum = json_tokener_parse("{\"status\": "
	    "\"completed\", \"guest_downtime_ms\": 12.5, \"expected_downtime_ms\": "
	    "null}");
	struct json_object *prov = json_tokener_parse("{\"source\": "
	    "{\"version\": \"7.2.0\", \"argv\": [\"qemu\", \"-S\"]}}");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(statsfile_write_csv(f, samples, sum, prov), 0);
	fclose(f);
	assert_string_equal(buf,
	    "t_ms,reason,status,pass,transferred,remaining,total,mbps,"
	    "dirty_rate,throttle_pct,xbzrle_cache_miss,postcopy_requests,"
	    "expected_downtime_ms,src_qemu_cpu_ms,src_vcpu0_cpu_ms,"
	    "src_vcpu1_cpu_ms,dst_qemu_cpu_ms,dst_vcpu0_cpu_ms\n"
	    "10,pass,active,1,0,,,0.5,,,,,,3,1,,,\n"
	    "110,poll,\"a,\"\"b\",2,9,,,,,,,,,4,2,3,1,0\n"
	    "# summary.status=completed\n"
	    "# summary.guest_downtime_ms=12.5\n"
	    "# summary.expected_downtime_ms=\n"
	    "# provenance.source.version=7.2.0\n"
	    "# provenance.source.argv=[\"qemu\",\"-S\"]\n");
	free(buf);
	/* no samples: the header alone */
	struct json_object *empty = json_object_new_array();
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(statsfile_write_csv(f, empty, NULL, NULL), 0);
	fclose(f);
	assert_non_null(strstr(buf, ",src_qemu_cpu_ms,dst_qemu_cpu_ms\n"));
	assert_null(strchr(strchr(buf, '\n') + 1, '\n'));
	free(buf);
	json_object_put(empty);
	/* JSON: the three parts */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(statsfile_write_json(f, samples, sum, prov), 0);
	fclose(f);
	struct json_object *o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_int_equal(json_object_array_length(jget(o, "samples")), 2);
	assert_true(json_object_get_double(jget(jget(o, "summary"),
	    "guest_downtime_ms")) == 12.5);
	assert_string_equal(jstr(jget(jget(o, "provenance"), "source"),
	    "version"), "7.2.0");
	json_object_put(o);
	free(buf);
	json_object_put(samples);
	json_object_put(sum);
	json_object_put(prov);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_guest_downtime),
		cmocka_unit_test(test_cputimes),
		cmocka_unit_test(test_peer_cputimes),
		cmocka_unit_test(test_sampling),
		cmocka_unit_test(test_bad_interval),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
