/* Rates from two samples (statrate.h). */
#include <json-c/json.h>

#include "jget.h"
#include "statrate.h"
#include "util.h"

/* The sum of key over the array's objects. */
static long long
sum(struct json_object *arr, const char *key)
{
	long long s = 0;

	for (size_t i = 0; json_object_is_type(arr, json_type_array) &&
	    i < json_object_array_length(arr); i++)
		s += jint(json_object_array_get_idx(arr, i), key, 0);
	return s;
}

static double
per_s(long long now, long long before, long long ms)
{
	return now > before ? (double)(now - before) * 1000 / (double)ms : 0;
}

/* whole percents with one decimal, as virt-top shows them */
static struct json_object *
pct(double v)
{
	return json_object_new_double((double)(long long)(v * 10 + 0.5) / 10);
}

int
statrate_add(struct json_object *cur, struct json_object *prev)
{
	long long ms = jint(cur, "t_ms", 0) - jint(prev, "t_ms", 0);
	struct json_object *cc = jget(cur, "cpu"), *pc = jget(prev, "cpu");

	if (prev == NULL || ms <= 0 || cc == NULL || pc == NULL ||
	    jint(cur, "id", -1) != jint(prev, "id", -2))
		return 0;
	struct json_object *r = json_object_new_object(), *v;
	json_object_object_add(r, "interval_ms", json_object_new_int64(ms));
	json_object_object_add(r, "cpu_pct", pct(per_s(jint(cc, "time_ms", 0),
	    jint(pc, "time_ms", 0), ms) / 10));
	struct json_object *cv = jget(cc, "vcpus"), *pv = jget(pc, "vcpus");
	v = json_object_new_array();
	for (size_t i = 0; cv != NULL && i < json_object_array_length(cv);
	    i++) {
		struct json_object *p = pv != NULL && i <
		    json_object_array_length(pv) ?
		    json_object_array_get_idx(pv, i) : NULL;
		long long now = jint(json_object_array_get_idx(cv, i),
		    "time_ms", 0);
		json_object_array_add(v, pct(per_s(now, p != NULL ? jint(p,
		    "time_ms", now) : now, ms) / 10));
	}
	json_object_object_add(r, "vcpu_pct", v);
	static const struct {
		const char	*rate, *part, *counter;
	} rows[] = {
		{ "rd_bps", "block", "rd_bytes" },
		{ "wr_bps", "block", "wr_bytes" },
		{ "rx_bps", "net", "rx_bytes" },
		{ "tx_bps", "net", "tx_bytes" },
	};
	for (size_t i = 0; i < nitems(rows); i++)
		json_object_object_add(r, rows[i].rate, json_object_new_int64(
		    (long long)per_s(sum(jget(cur, rows[i].part),
		    rows[i].counter), sum(jget(prev, rows[i].part),
		    rows[i].counter), ms)));
	json_object_object_add(cur, "rates", r);
	return 1;
}
