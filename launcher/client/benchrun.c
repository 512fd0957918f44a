/*
 * One run of migrate-bench: the migrate request on the source's
 * connection, its events turned into samples (benchsample.h), a line on
 * the terminal while it goes.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "benchrun.h"
#include "benchsample.h"
#include "client.h"
#include "jget.h"
#include "util.h"

struct collect {
	struct bench_run	*r;
	struct bench_show	*show;
	int64_t			 t0;
	struct json_object	*made;	/* samples made from progress events */
	struct json_object	*real;	/* migrate-sample events */
};

static void
show_line(struct bench_show *s, struct json_object *sample)
{
	double total = bench_num(sample, "total"), left = bench_num(sample,
	    "remaining"), mbps = bench_num(sample, "mbps");
	double pct = total > 0 && left <= total ? (total - left) * 100 / total :
	    0;

	if (!s->tty)
		return;
	fprintf(stderr, "\r%s: %3.0f%% %8.1f Mbit/s pass %.0f\033[K", s->label,
	    pct, mbps == mbps ? mbps : 0, bench_num(sample, "pass") ==
	    bench_num(sample, "pass") ? bench_num(sample, "pass") : 0);
	fflush(stderr);
	s->drawn = 1;
}

static void
on_event(struct json_object *ev, void *arg)
{
	struct collect *c = arg;
	int real;
	struct json_object *s = bench_sample_from_event(ev, mono_ms() - c->t0,
	    &real);

	if (s == NULL)
		return;
	show_line(c->show, s);
	json_object_array_add(real ? c->real : c->made, s);
}

int
bench_migrate(struct client_conn *conn, const char *name, const char *dest,
    struct json_object *args, long long limit, struct bench_run *r,
    struct bench_show *show)
{
	struct collect c = { r, show, mono_ms(), json_object_new_array(),
	    json_object_new_array() };
	struct json_object *ret = NULL, *end;
	char eclass[64];
	int rc;

	json_object_object_add(args, "name", json_object_new_string(name));
	json_object_object_add(args, "dest", json_object_new_string(dest));
	json_object_object_add(args, "stats", json_object_new_boolean(1));
	rc = client_call(conn, "migrate", args, &ret, eclass, sizeof(eclass),
	    r->error, sizeof(r->error), on_event, &c);
	r->wall_ms = mono_ms() - c.t0;
	if (show->drawn && show->tty) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	show->drawn = 0;
	/* the real series wins when the supervisor sent one */
	if (json_object_array_length(c.real) > 0) {
		r->samples = c.real;
		json_object_put(c.made);
	} else {
		r->samples = c.made;
		json_object_put(c.real);
	}
	if (rc == -1) {
		r->ok = 0;
		return -1;
	}
	r->ok = 1;
	r->summary = bench_summary_from_reply(ret, limit);
	if (jget(ret, "provenance") != NULL)
		r->provenance = json_object_get(jget(ret, "provenance"));
	if ((end = bench_end_sample(ret, r->wall_ms)) != NULL)
		json_object_array_add(r->samples, end);
	json_object_put(ret);
	return 0;
}

void
bench_run_free(struct bench_run *r)
{
	json_object_put(r->samples);
	json_object_put(r->summary);
	json_object_put(r->provenance);
	r->samples = r->summary = r->provenance = NULL;
}
