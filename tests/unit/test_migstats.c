/*
 * migrate --stats: a sample from query-migrate (every field, null for
 * what QEMU did not give), the guest-visible downtime from the two
 * supervisors' ticks, CPU times from /proc (this process and its own
 * thread; a gone process or thread), the destination's migrate-cputimes
 * against the fake QEMU (QEMU's error passed on unchanged), and the
 * client's file: the extension chosen, a bad path refused at once, the
 * CSV exactly (vCPU columns flattened to the widest sample, empty cells
 * for null, quoting, summary and provenance as comments) and the JSON.
 */
#include <sys/syscall.h>

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
	assert_true(json_object_get_int64(json_object_array_get_idx(a, 0)) <=
	    jint(o, "qemu_cpu_ms", -1));
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
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
