/*
 * Migration experiments: the SVG plots (well-formed XML, every label
 * escaped, scaling and ticks, an empty plot and a one-point series), the
 * sweep's --vary parser (each bad line refused in one line, the cross
 * product and its labels), the medians and spread, the samples and
 * summaries made from the supervisor's events and reply and their CSV
 * form, and dirtyrate against the fake QEMU (the schema probed, progress
 * while measuring, the modes it lacks refused).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "benchsample.h"
#include "benchsweep.h"
#include "daemon.h"
#include "fakeqemu.h"
#include "jget.h"
#include "log.h"
#include "names.h"
#include "svgplot.h"
#include "testutil.h"

/* ---- a small XML checker: tags balanced, entities known, one root ---- */

static int
xml_ok(const char *s)
{
	const char *stack[64];
	size_t depth = 0, roots = 0, nl[64];

	if (strncmp(s, "<?xml", 5) == 0 && (s = strstr(s, "?>")) != NULL)
		s += 2;
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '&') {
			static const char *const ents[] = { "&amp;", "&lt;",
			    "&gt;", "&quot;", "&apos;" };
			int ok = 0;
			for (size_t i = 0; i < 5; i++)
				ok |= strncmp(s, ents[i], strlen(ents[i])) == 0;
			if (!ok)
				return 0;
			continue;
		}
		if (*s == '>')
			return 0;	/* outside a tag */
		if (*s != '<')
			continue;
		const char *e = strchr(s, '>');
		if (e == NULL)
			return 0;
		for (const char *p = s + 1; p < e; p++)
			if (*p == '<')
				return 0;
		if (s[1] == '/') {
			size_t n = strcspn(s + 2, " >");
			if (depth == 0 || nl[depth - 1] != n ||
			    strncmp(stack[depth - 1], s + 2, n) != 0)
				return 0;
			depth--;
		} else if (e[-1] != '/') {
			if (depth == 0 && roots++ > 0)
				return 0;
			if (depth == 64)
				return 0;
			stack[depth] = s + 1;
			nl[depth++] = strcspn(s + 1, " >");
		} else if (depth == 0)
			roots++;
		s = e;
	}
	return depth == 0 && roots == 1;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)) != NULL; s++)
		n++;
	return n;
}

static char *
plot(const struct svg_plot *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(svgplot_write(f, p), 0);
	fclose(f);
	return buf;
}

static void
test_svg_xml(void **state)
{
	double x1[] = { 0, 1, 2, 3 }, y1[] = { 100, 80, 20, 0 };
	double x2[] = { 0, 2, 3 }, y2[] = { NAN, 50, 40 };
	struct svg_series s[] = {
		{ "run 1 <a&b>", x1, y1, 4, SVG_LINE },
		{ "run \"2\"", x2, y2, 3, SVG_LINE | SVG_POINTS },
	};
	struct svg_plot p = { "Remaining & more", "time (s)", "MiB", NULL, 0,
	    s, 2, 0, 0 };
	char *o;

	(void)state;
	o = plot(&p);
	assert_true(xml_ok(o));
	assert_int_equal(count(o, "<polyline"), 2);
	/* the NaN point is left out: two circles for series 2 */
	assert_int_equal(count(o, "<circle"), 2);
	assert_null(strstr(o, "points=\" "));
	assert_non_null(strstr(o, "run 1 &lt;a&amp;b&gt;"));
	assert_non_null(strstr(o, "run &quot;2&quot;"));
	assert_non_null(strstr(o, "Remaining &amp; more"));
	assert_null(strstr(o, "nan"));
	assert_null(strstr(o, "inf"));
	assert_null(strstr(o, "no data"));
	free(o);

	/* categories on x */
	static const char *const cats[] = { "bandwidth=100", "bw<1000>",
	    "bandwidth=1,multifd=2" };
	double cx[] = { 0, 1 }, cy[] = { 10, 20 };
	struct svg_series c[] = { { "median", cx, cy, 2, SVG_LINE } };
	struct svg_plot pc = { "t", "x", "y", cats, 3, c, 1, 0, 0 };
	o = plot(&pc);
	assert_true(xml_ok(o));
	assert_non_null(strstr(o, ">bandwidth=100</tspan></text>"));
	assert_non_null(strstr(o, ">bw&lt;1000&gt;</tspan></text>"));
	/* a label's parts on lines of their own */
	assert_non_null(strstr(o, ">bandwidth=1</tspan><tspan x="));
	assert_non_null(strstr(o, "dy=\"14\">multifd=2</tspan></text>"));
	free(o);

	/* the checker itself can fail */
	assert_false(xml_ok("<svg><g></svg></g>"));
	assert_false(xml_ok("<svg>a & b</svg>"));
	assert_false(xml_ok("<svg/><svg/>"));
	assert_true(xml_ok("<?xml version=\"1.0\"?>\n<svg><g/></svg>\n"));
}

static void
test_svg_empty_and_one(void **state)
{
	struct svg_plot p = { "empty", "x", "y", NULL, 0, NULL, 0, 0, 0 };
	double x[] = { 5 }, y[] = { 7 };
	struct svg_series one[] = {
		{ "one", x, y, 1, SVG_LINE },
		{ "none", x, y, 0, SVG_LINE },
	};
	char *o;

	(void)state;
	o = plot(&p);
	assert_true(xml_ok(o));
	assert_non_null(strstr(o, "no data"));
	free(o);

	p.series = one;
	p.nseries = 2;
	o = plot(&p);
	assert_true(xml_ok(o));
	assert_int_equal(count(o, "<polyline"), 2);
	assert_null(strstr(o, "nan"));
	assert_null(strstr(o, "inf"));
	assert_null(strstr(o, "no data"));
	/* the single point is inside the plotting area (80..630, 50..430) */
	const char *pts = strstr(o, "points=\"");
	double px, py;
	assert_non_null(pts);
	assert_int_equal(sscanf(pts, "points=\"%lf,%lf", &px, &py), 2);
	assert_true(px >= 80 && px <= 630);
	assert_true(py >= 50 && py <= 430);
	/* the single point is also a dot, to be seen */
	assert_int_equal(count(o, "<circle"), 1);
	/* the empty series: a polyline with no points */
	assert_non_null(strstr(o, "points=\"\""));
	free(o);
}

static void
test_ticks_scale(void **state)
{
	double t[8], lo = 0, hi = 97;
	size_t n;

	(void)state;
	n = svgplot_ticks(&lo, &hi, 8, t);
	assert_true(n >= 2 && n <= 8);
	assert_true(lo == 0 && t[0] == 0);
	assert_true(hi >= 97 && hi == t[n - 1]);
	for (size_t i = 1; i < n; i++)
		assert_true(fabs((t[i] - t[i - 1]) - (t[1] - t[0])) < 1e-9);
	/* round steps: 1, 2 or 5 times a power of ten */
	double step = t[1] - t[0], m = step / pow(10, floor(log10(step)));
	assert_true(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 ||
	    fabs(m - 5) < 1e-9);

	lo = hi = 5;		/* a single value is widened */
	n = svgplot_ticks(&lo, &hi, 8, t);
	assert_true(lo < 5 && hi > 5 && n >= 2);
	lo = 0.001;
	hi = 0.0047;
	n = svgplot_ticks(&lo, &hi, 6, t);
	assert_true(n <= 6 && lo <= 0.001 && hi >= 0.0047);

	assert_true(svgplot_scale(0, 0, 10, 100, 200) == 100);
	assert_true(svgplot_scale(10, 0, 10, 100, 200) == 200);
	assert_true(svgplot_scale(5, 0, 10, 430, 50) == 240);
	assert_true(svgplot_scale(3, 3, 3, 7, 9) == 7);
}

/* ---- the sweep ---- */

static void
bad_vary(struct bench_sweep *s, const char *arg, const char *want)
{
	char err[256];
	size_t before = s->nvary;

	assert_int_equal(bench_vary_parse(s, arg, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("'%s': '%s' lacks '%s'", arg, err, want);
	assert_null(strchr(err, '\n'));
	assert_int_equal(s->nvary, before);
}

static void
test_vary(void **state)
{
	struct bench_sweep s;
	char err[256], label[128];
	size_t idx[BENCH_MAX_VARY];

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(bench_combos(&s), 1);
	bench_combo_label(&s, 0, label, sizeof(label));
	assert_string_equal(label, "default");

	bad_vary(&s, "bandwidth", "KEY=V1,V2,... expected");
	bad_vary(&s, "=1,2", "KEY=V1,V2,... expected");
	bad_vary(&s, "speed=1,2", "no option 'speed' to vary (bandwidth, "
	    "downtime, multifd, xbzrle, auto-converge)");
	bad_vary(&s, "bandwidth=", "an empty value");
	bad_vary(&s, "bandwidth=1,,2", "an empty value");
	bad_vary(&s, "bandwidth=1,", "an empty value");
	bad_vary(&s, "bandwidth=1,x", "bandwidth 'x': not a number from 1 to");
	bad_vary(&s, "bandwidth=0", "bandwidth '0'");
	bad_vary(&s, "downtime=-5", "downtime '-5'");
	bad_vary(&s, "multifd=256", "multifd '256'");
	bad_vary(&s, "xbzrle=maybe", "xbzrle 'maybe': on or off");
	bad_vary(&s, "bandwidth=10,20,10", "10 is there twice");
	bad_vary(&s, "xbzrle=on,yes", "yes is there twice");

	assert_int_equal(bench_vary_parse(&s, "bandwidth=100,1000", err,
	    sizeof(err)), 0);
	bad_vary(&s, "bandwidth=5", "bandwidth is varied twice");
	assert_int_equal(bench_vary_parse(&s, "multifd=0,2,4", err,
	    sizeof(err)), 0);
	assert_int_equal(bench_vary_parse(&s, "xbzrle=off,on", err,
	    sizeof(err)), 0);
	assert_true(bench_varies(&s, "multifd"));
	assert_false(bench_varies(&s, "downtime"));
	assert_int_equal(bench_combos(&s), 2 * 3 * 2);
	/* the last varies fastest */
	bench_combo(&s, 0, idx);
	assert_true(idx[0] == 0 && idx[1] == 0 && idx[2] == 0);
	bench_combo(&s, 1, idx);
	assert_true(idx[0] == 0 && idx[1] == 0 && idx[2] == 1);
	bench_combo(&s, 11, idx);
	assert_true(idx[0] == 1 && idx[1] == 2 && idx[2] == 1);
	bench_combo_label(&s, 7, label, sizeof(label));
	assert_string_equal(label, "bandwidth=1000,multifd=0,xbzrle=on");

	/* into a migrate request: multifd 0 and off are left out */
	struct json_object *a = json_object_new_object();
	bench_combo_args(&s, 6, a);
	assert_int_equal(jint(a, "bandwidth", 0), 1000);
	assert_null(jget(a, "multifd"));
	assert_null(jget(a, "xbzrle"));
	json_object_put(a);
	a = json_object_new_object();
	bench_combo_args(&s, 11, a);
	assert_int_equal(jint(a, "multifd", 0), 4);
	assert_true(jbool(a, "xbzrle"));
	json_object_put(a);

	/* too many combinations */
	assert_int_equal(bench_vary_parse(&s, "downtime=1,2,3,4,5,6,7,8,9,10,"
	    "11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
	    "33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,"
	    "55,56,57,58,59,60,61,62,63,64", err, sizeof(err)), 0);
	bad_vary(&s, "auto-converge=on,off", "more than 1024 combinations");
	bench_sweep_free(&s);
	assert_int_equal(s.nvary, 0);
}

static void
test_stats(void **state)
{
	double a[] = { 5, 1, 3 }, b[] = { 4, 1, 3, 2 }, c[] = { 7 };

	(void)state;
	assert_true(bench_median(a, 3) == 3);
	assert_true(bench_median(b, 4) == 2.5);
	assert_true(bench_quantile(b, 4, 0) == 1);
	assert_true(bench_quantile(b, 4, 1) == 4);
	assert_true(bench_quantile(b, 4, 0.25) == 1.75);
	assert_true(bench_median(c, 1) == 7);
	assert_true(isnan(bench_median(c, 0)));
}

/* ---- samples and summaries ---- */

static void
test_samples(void **state)
{
	struct json_object *ev, *s, *ret, *sum, *arr;
	int real;

	(void)state;
	/* the fallback: a migrate progress event */
	ev = json_tokener_parse("{\"event\": \"JOB_PROGRESS\", \"data\": "
	    "{\"job\": \"migrate\", \"status\": \"active\", \"processed\": "
	    "1000, \"remaining\": 3000, \"total\": 4000, \"percent\": 25.0, "
	    "\"mbps\": 80.5, \"pass\": 2}}");
	s = bench_sample_from_event(ev, 1234, &real);
	assert_non_null(s);
	assert_false(real);
	assert_int_equal(jint(s, "t_ms", 0), 1234);
	assert_string_equal(jstr(s, "reason"), "poll");
	assert_int_equal(jint(s, "transferred", 0), 1000);
	assert_int_equal(jint(s, "remaining", 0), 3000);
	assert_int_equal(jint(s, "pass", 0), 2);
	assert_true(isnan(bench_num(s, "dirty_rate")));
	json_object_put(ev);
	/* other jobs' progress and other events are no samples */
	ev = json_tokener_parse("{\"event\": \"JOB_PROGRESS\", \"data\": "
	    "{\"job\": \"save\"}}");
	assert_null(bench_sample_from_event(ev, 1, &real));
	json_object_put(ev);
	/* the real thing passes as it is */
	ev = json_tokener_parse("{\"event\": \"migrate-sample\", \"data\": "
	    "{\"t_ms\": 100, \"reason\": \"pass\", \"remaining\": 5, "
	    "\"src_vcpu_cpu_ms\": [1, 2], \"dst_vcpu_cpu_ms\": null}}");
	struct json_object *r = bench_sample_from_event(ev, 999, &real);
	assert_true(real);
	assert_int_equal(jint(r, "t_ms", 0), 100);
	json_object_put(ev);

	/* the summary from today's reply, and from one with "summary" */
	ret = json_tokener_parse("{\"migration_ms\": 900, \"downtime_ms\": 12, "
	    "\"setup_time_ms\": 3, \"data_processed\": 5000, \"memory_total\": "
	    "4000, \"passes\": 3, \"mbps\": 99.5}");
	sum = bench_summary_from_reply(ret, 300);
	assert_int_equal(jint(sum, "total_ms", 0), 900);
	assert_int_equal(jint(sum, "downtime_ms", 0), 12);
	assert_int_equal(jint(sum, "downtime_limit_ms", 0), 300);
	assert_int_equal(jint(sum, "transferred", 0), 5000);
	assert_true(isnan(bench_num(sum, "guest_downtime_ms")));
	struct json_object *end = bench_end_sample(ret, 950);
	assert_non_null(end);
	assert_string_equal(jstr(end, "reason"), "end");
	assert_int_equal(jint(end, "remaining", -1), 0);
	json_object_put(ret);
	ret = json_tokener_parse("{\"summary\": {\"total_ms\": 7, "
	    "\"guest_downtime_ms\": 40}}");
	struct json_object *sum2 = bench_summary_from_reply(ret, -1);
	assert_int_equal(jint(sum2, "guest_downtime_ms", 0), 40);
	assert_null(bench_end_sample(ret, 1));
	json_object_put(ret);
	json_object_put(sum2);

	/* the CSV form: vCPU arrays flattened, the summary as comments */
	arr = json_object_new_array();
	json_object_array_add(arr, s);
	json_object_array_add(arr, r);
	json_object_array_add(arr, end);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(bench_series_csv(f, arr, sum, NULL, NULL), 0);
	fclose(f);
	assert_non_null(strstr(buf, "t_ms,reason,status,pass,transferred,"
	    "remaining,total,mbps,dirty_rate,throttle_pct,xbzrle_cache_miss,"
	    "postcopy_requests,expected_downtime_ms,src_qemu_cpu_ms,"
	    "dst_qemu_cpu_ms,src_vcpu0_cpu_ms,src_vcpu1_cpu_ms\n"));
	assert_non_null(strstr(buf, "\n1234,poll,active,2,1000,3000,4000,"
	    "80.500,,,,,,,,,\n"));
	assert_non_null(strstr(buf, "\n100,pass,,,,5,,,,,,,,,,1,2\n"));
	assert_non_null(strstr(buf, "\n# total_ms=900\n"));
	assert_non_null(strstr(buf, "\n# guest_downtime_ms=\n"));
	free(buf);
	json_object_put(arr);
	json_object_put(sum);
}

/* ---- dirtyrate against the fake QEMU ---- */

/* A schema with calc-dirty-rate whose mode takes modes ("" : no mode). */
static void
answer_schema(struct fx *f, long long id, const char *modes)
{
	char buf[2048];

	if (modes == NULL) {
		answer(f, id, "[{\"name\": \"query-status\", \"meta-type\": "
		    "\"command\", \"arg-type\": \"0\"}]");
		return;
	}
	snprintf(buf, sizeof(buf), "[{\"name\": \"calc-dirty-rate\", "
	    "\"meta-type\": \"command\", \"arg-type\": \"42\", \"ret-type\": "
	    "\"0\"}, {\"name\": \"42\", \"meta-type\": \"object\", "
	    "\"members\": [{\"name\": \"calc-time\", \"type\": \"int\"}%s]}, "
	    "{\"name\": \"43\", \"meta-type\": \"enum\", \"values\": [%s]}]",
	    modes[0] != '\0' ? ", {\"name\": \"mode\", \"type\": \"43\", "
	    "\"default\": null}" : "", modes);
	answer(f, id, buf);
}

/* The answer, after any progress events; their number in *nev. */
static struct json_object *
final(struct fx *f, int *nev)
{
	struct json_object *m;

	*nev = 0;
	while ((m = reply(f)) != NULL && jget(m, "event") != NULL) {
		assert_string_equal(jstr(m, "event"), EV_JOB_PROGRESS);
		assert_string_equal(jstr(jget(m, "data"), "job"), "dirtyrate");
		(*nev)++;
		json_object_put(m);
	}
	return m;
}

static void
test_dirtyrate(void **state)
{
	struct fx *f = fx_new();
	struct json_object *args, *m, *ret;
	long long id;
	int nev;

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	request(f, "dirtyrate", "{\"name\": \"t1\", \"seconds\": 1}");
	answer_schema(f, expect_cmd(f, "query-qmp-schema", NULL),
	    "\"page-sampling\", \"dirty-bitmap\", \"dirty-ring\"");
	id = expect_cmd(f, "calc-dirty-rate", &args);
	assert_int_equal(jint(args, "calc-time", 0), 1);
	assert_null(jget(args, "mode"));
	json_object_put(args);
	answer(f, id, "{}");
	answer(f, expect_cmd(f, "query-dirty-rate", NULL), "{\"status\": "
	    "\"measuring\", \"calc-time\": 1}");
	answer(f, expect_cmd(f, "query-dirty-rate", NULL), "{\"status\": "
	    "\"measured\", \"calc-time\": 1, \"dirty-rate\": 42, \"mode\": "
	    "\"page-sampling\", \"sample-pages\": 512}");
	m = final(f, &nev);
	assert_int_equal(nev, 1);
	ret = jget(m, "return");
	assert_non_null(ret);
	assert_int_equal(jint(ret, "dirty_rate_mib_s", 0), 42);
	assert_string_equal(jstr(ret, "mode"), "page-sampling");
	assert_int_equal(jint(ret, "sample_pages", 0), 512);
	assert_null(jget(ret, "vcpus"));
	json_object_put(m);

	/* dirty-ring asks KVM first; with KVM, per vCPU */
	request(f, "dirtyrate", "{\"name\": \"t1\", \"mode\": \"dirty-ring\"}");
	answer_schema(f, expect_cmd(f, "query-qmp-schema", NULL),
	    "\"page-sampling\", \"dirty-ring\"");
	answer(f, expect_cmd(f, "query-kvm", NULL), "{\"enabled\": true, "
	    "\"present\": true}");
	id = expect_cmd(f, "calc-dirty-rate", &args);
	assert_string_equal(jstr(args, "mode"), "dirty-ring");
	json_object_put(args);
	answer(f, id, "{}");
	answer(f, expect_cmd(f, "query-dirty-rate", NULL), "{\"status\": "
	    "\"measured\", \"dirty-rate\": 9, \"mode\": \"dirty-ring\", "
	    "\"vcpu-dirty-rate\": [{\"id\": 0, \"dirty-rate\": 5}, {\"id\": 1, "
	    "\"dirty-rate\": 4}]}");
	m = final(f, &nev);
	ret = jget(m, "return");
	assert_int_equal(json_object_array_length(jget(ret, "vcpus")), 2);
	assert_int_equal(jint(json_object_array_get_idx(jget(ret, "vcpus"), 1),
	    "dirty_rate_mib_s", 0), 4);
	json_object_put(m);

	/* refusals: one line each, nothing sent to QEMU after */
	request(f, "dirtyrate", "{\"name\": \"t1\", \"mode\": \"dirty-ring\"}");
	answer_schema(f, expect_cmd(f, "query-qmp-schema", NULL),
	    "\"page-sampling\", \"dirty-ring\"");
	answer(f, expect_cmd(f, "query-kvm", NULL), "{\"enabled\": false, "
	    "\"present\": false}");
	expect_error(f, ERR_GENERIC, "VM 't1': the dirty-ring mode needs KVM "
	    "and it runs without (under TCG: page-sampling only)", 0);
	request(f, "dirtyrate", "{\"name\": \"t1\", \"mode\": \"dirty-ring\"}");
	answer_schema(f, expect_cmd(f, "query-qmp-schema", NULL),
	    "\"page-sampling\", \"dirty-bitmap\"");
	expect_error(f, ERR_GENERIC, "VM 't1': its QEMU has no dirty-rate mode "
	    "'dirty-ring' (it has: page-sampling, dirty-bitmap)", 0);
	request(f, "dirtyrate", "{\"name\": \"t1\", \"mode\": \"dirty-bitmap\"}");
	answer_schema(f, expect_cmd(f, "query-qmp-schema", NULL), "");
	expect_error(f, ERR_GENERIC, "measures in one mode only", 0);
	request(f, "dirtyrate", "{\"name\": \"t1\"}");
	answer_schema(f, expect_cmd(f, "query-qmp-schema", NULL), NULL);
	expect_error(f, ERR_GENERIC, "its QEMU has no calc-dirty-rate", 0);
	request(f, "dirtyrate", "{\"name\": \"t1\", \"mode\": \"fast\"}");
	expect_error(f, ERR_GENERIC, "no mode 'fast'", 0);
	request(f, "dirtyrate", "{\"name\": \"t1\", \"seconds\": 0}");
	expect_error(f, ERR_GENERIC, "\"seconds\" is a number from 1 to 60", 0);
	/* QEMU's own refusal passes unchanged */
	request(f, "dirtyrate", "{\"name\": \"t1\"}");
	answer_schema(f, expect_cmd(f, "query-qmp-schema", NULL),
	    "\"page-sampling\"");
	answer_error(f, expect_cmd(f, "calc-dirty-rate", NULL), "GenericError",
	    "Dirty rate measurement is in progress");
	expect_error(f, "GenericError", "Dirty rate measurement is in progress",
	    1);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svg_xml),
		cmocka_unit_test(test_svg_empty_and_one),
		cmocka_unit_test(test_ticks_scale),
		cmocka_unit_test(test_vary),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_dirtyrate),
	};

	log_init("test_migbench", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
