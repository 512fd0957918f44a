/*
 * Samples and summaries of one migration, and their CSV form.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "benchsample.h"
#include "csv.h"
#include "jget.h"

const char *const bench_sample_keys[] = {
	"t_ms", "reason", "status", "pass", "transferred", "remaining",
	"total", "mbps", "dirty_rate", "throttle_pct", "xbzrle_cache_miss",
	"postcopy_requests", "expected_downtime_ms", "src_qemu_cpu_ms",
	"dst_qemu_cpu_ms", NULL
};

static const char *const vcpu_keys[] = { "src_vcpu_cpu_ms", "dst_vcpu_cpu_ms" };

double
bench_num(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return NAN;
	return json_object_get_double(v);
}

static void
copy(struct json_object *to, const char *key, struct json_object *from,
    const char *fkey)
{
	struct json_object *v = jget(from, fkey);

	json_object_object_add(to, key, v != NULL ? json_object_get(v) : NULL);
}

/* The fallback: a JOB_PROGRESS event of the migrate job as a sample. */
static struct json_object *
sample_from_progress(struct json_object *d, int64_t t_ms)
{
	struct json_object *s = json_object_new_object();

	json_object_object_add(s, "t_ms", json_object_new_int64(t_ms));
	json_object_object_add(s, "reason", json_object_new_string("poll"));
	copy(s, "status", d, "status");
	copy(s, "pass", d, "pass");
	copy(s, "transferred", d, "processed");
	copy(s, "remaining", d, "remaining");
	copy(s, "total", d, "total");
	copy(s, "mbps", d, "mbps");
	for (size_t i = 8; bench_sample_keys[i] != NULL; i++)
		json_object_object_add(s, bench_sample_keys[i], NULL);
	for (size_t i = 0; i < 2; i++)
		json_object_object_add(s, vcpu_keys[i], NULL);
	return s;
}

struct json_object *
bench_sample_from_event(struct json_object *ev, int64_t t_ms, int *real)
{
	const char *name = jstr(ev, "event");
	struct json_object *d = jget(ev, "data");

	*real = 0;
	if (name == NULL || d == NULL)
		return NULL;
	if (strcmp(name, "migrate-sample") == 0) {
		*real = 1;
		return json_object_get(d);
	}
	if (strcmp(name, "JOB_PROGRESS") == 0 &&
	    strcmp(jstr_or(d, "job", ""), "migrate") == 0)
		return sample_from_progress(d, t_ms);
	return NULL;
}

struct json_object *
bench_summary_from_reply(struct json_object *ret, long long limit)
{
	struct json_object *s, *v = jget(ret, "summary");

	if (v != NULL && json_object_is_type(v, json_type_object))
		return json_object_get(v);
	/* the figures of job_figures and migrate's reply */
	s = json_object_new_object();
	copy(s, "total_ms", ret, "migration_ms");
	copy(s, "setup_ms", ret, "setup_time_ms");
	copy(s, "downtime_ms", ret, "downtime_ms");
	json_object_object_add(s, "downtime_limit_ms", limit >= 0 ?
	    json_object_new_int64(limit) : NULL);
	json_object_object_add(s, "expected_downtime_ms", NULL);
	json_object_object_add(s, "guest_downtime_ms", NULL);
	copy(s, "transferred", ret, "data_processed");
	json_object_object_add(s, "normal_pages", NULL);
	json_object_object_add(s, "duplicate_pages", NULL);
	copy(s, "passes", ret, "passes");
	copy(s, "mbps", ret, "mbps");
	return s;
}

struct json_object *
bench_end_sample(struct json_object *ret, int64_t t_ms)
{
	struct json_object *s;

	if (jget(ret, "summary") != NULL)
		return NULL;
	s = json_object_new_object();
	json_object_object_add(s, "t_ms", json_object_new_int64(t_ms));
	json_object_object_add(s, "reason", json_object_new_string("end"));
	json_object_object_add(s, "status", json_object_new_string(
	    "completed"));
	copy(s, "pass", ret, "passes");
	copy(s, "transferred", ret, "data_processed");
	json_object_object_add(s, "remaining", json_object_new_int64(0));
	copy(s, "total", ret, "memory_total");
	copy(s, "mbps", ret, "mbps");
	return s;
}

static void
cell(FILE *f, struct json_object *v)
{
	const char *s;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return;
	if (json_object_is_type(v, json_type_double)) {
		fprintf(f, "%.3f", json_object_get_double(v));
		return;
	}
	s = json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN);
	csv_field(f, s);
}

static void
comments(FILE *f, struct json_object *o)
{
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		fprintf(f, "# %s=", k);
		if (v == NULL || json_object_is_type(v, json_type_null))
			;
		else if (json_object_is_type(v, json_type_string))
			fputs(json_object_get_string(v), f);
		else
			fputs(json_object_to_json_string_ext(v,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE), f);
		fputc('\n', f);
	}
}

int
bench_series_csv(FILE *f, struct json_object *samples,
    struct json_object *summary, struct json_object *provenance,
    struct json_object *extra)
{
	size_t n = samples != NULL ? json_object_array_length(samples) : 0;
	size_t nv[2] = { 0, 0 };

	/* as many vCPU columns as the longest array has */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < 2; k++) {
			struct json_object *a = jget(
			    json_object_array_get_idx(samples, i), vcpu_keys[k]);
			if (a != NULL && json_object_is_type(a,
			    json_type_array) && json_object_array_length(a) >
			    nv[k])
				nv[k] = json_object_array_length(a);
		}
	for (size_t i = 0; bench_sample_keys[i] != NULL; i++)
		fprintf(f, "%s%s", i > 0 ? "," : "", bench_sample_keys[i]);
	for (size_t k = 0; k < 2; k++)
		for (size_t j = 0; j < nv[k]; j++)
			fprintf(f, ",%s_vcpu%zu_cpu_ms", k == 0 ? "src" : "dst",
			    j);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(samples, i);
		for (size_t k = 0; bench_sample_keys[k] != NULL; k++) {
			if (k > 0)
				fputc(',', f);
			cell(f, jget(s, bench_sample_keys[k]));
		}
		for (size_t k = 0; k < 2; k++) {
			struct json_object *a = jget(s, vcpu_keys[k]);
			int arr = a != NULL && json_object_is_type(a,
			    json_type_array);
			for (size_t j = 0; j < nv[k]; j++) {
				fputc(',', f);
				if (arr && j < json_object_array_length(a))
					cell(f, json_object_array_get_idx(a, j));
			}
		}
		fputc('\n', f);
	}
	comments(f, summary);
	comments(f, provenance);
	comments(f, extra);
	fflush(f);
	return ferror(f) ? -1 : 0;
}
