/*
 * One migration's time series and summary, in the shape agreed with
 * `migrate --stats`: samples as the "migrate-sample" events carry them,
 * the final reply's "summary".  Until the supervisor sends those, they
 * are made from what it sends now (JOB_PROGRESS events and the reply's
 * figures): the conversion is in bench_sample_from_event and
 * bench_summary_from_reply only.
 */
#ifndef LAUNCHER_BENCHSAMPLE_H
#define LAUNCHER_BENCHSAMPLE_H

#include <stdint.h>
#include <stdio.h>

struct json_object;

/* The sample's keys in CSV order, NULL-ended (vCPU arrays come after). */
extern const char *const bench_sample_keys[];

/*
 * An event of the migrate request as a sample (a new reference), or NULL
 * when it is none.  *real is set when it came as a migrate-sample (those
 * win over the ones made from progress events).  t_ms: since the request
 * was sent, for events without one.
 */
struct json_object *bench_sample_from_event(struct json_object *ev,
	    int64_t t_ms, int *real);
/*
 * The reply's summary (a new reference): its "summary" when it has one,
 * else made from its figures; downtime_limit_ms is the limit asked for
 * (-1: none asked).
 */
struct json_object *bench_summary_from_reply(struct json_object *ret,
	    long long downtime_limit_ms);
/*
 * The sample that ends a series made from progress events: everything
 * sent, at t_ms.  NULL when the reply had its own summary (the real
 * series has its "end" sample).
 */
struct json_object *bench_end_sample(struct json_object *ret, int64_t t_ms);
/*
 * The series as CSV: the header, one row per sample (null: an empty
 * cell), then "# key=value" lines for summary, provenance and extra
 * (each may be NULL).  -1 when writing failed.
 */
int	 bench_series_csv(FILE *, struct json_object *samples,
	    struct json_object *summary, struct json_object *provenance,
	    struct json_object *extra);
/* A number of a sample or summary; NAN when absent or null. */
double	 bench_num(struct json_object *o, const char *key);

#endif
