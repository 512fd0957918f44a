/* A migration's measurements on the source (migstats.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "config.h"
#include "daemon.h"
#include "heartbeat.h"
#include "jget.h"
#include "migprov.h"
#include "migstats.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

#define MS_CMD_MS		10000
#define MS_INTERVAL_MS		100
#define MS_FIN_TRIES		60	/* for the first tick there: 3 s */
#define MS_FIN_MS		50

struct migstats {
	struct daemon		*d;
	struct req		*r;	/* the samples' client; NULL: none */
	struct vm		*vm;	/* NULL once stopped */
	struct qmp		*peer;	/* the destination's supervisor */
	char			 name[65];
	int			 stats, interval_ms;
	int64_t			 t0;
	struct event		*timer;
	int			 querying;	/* a query-migrate out */
	int			 ended;		/* the "end" sample sent */
	int			 pass_pending;	/* an event came meanwhile */
	int			 peer_out;	/* a migrate-cputimes out */
	pid_t			 pid;		/* the source's QEMU */
	struct json_object	*cpus;		/* its query-cpus-fast */
	struct json_object	*dst;		/* the destination's times */
	struct json_object	*caps, *params;	/* as set for the migration */
	struct json_object	*src_prov, *dst_prov;
	long long		 expected;	/* last expected-downtime */
	long long		 src_last_us;	/* last tick here, -1 none */
	double			 guest_ms;	/* -1: unknown */
	void			(*done)(void *);
	void			*done_arg;
	int			 tries;
	int			 holds, dead;
};

static void
release(struct migstats *s)
{
	if (!s->dead || s->holds > 0)
		return;
	json_object_put(s->cpus);
	json_object_put(s->dst);
	json_object_put(s->caps);
	json_object_put(s->params);
	json_object_put(s->src_prov);
	json_object_put(s->dst_prov);
	free(s);
}

/* A reply came: 0 to go on with it, -1 when the record is gone. */
static int
came(struct migstats *s)
{
	s->holds--;
	if (s->dead) {
		release(s);
		return -1;
	}
	return 0;
}

struct migstats *
migstats_new(struct req *r, struct vm *vm, int64_t t0)
{
	long long v = MS_INTERVAL_MS;

	if (jint_range(r->args, "stats_interval", 10, 60000, &v) == -2) {
		req_error(r, ERR_GENERIC, "migrate: stats_interval is 10 "
		    "to 60000 ms");
		return NULL;
	}
	struct migstats *s = xcalloc(1, sizeof(*s));
	s->d = r->d;
	s->stats = req_bool(r, "stats");
	s->r = s->stats ? r : NULL;
	s->vm = vm;
	strlcpy(s->name, vm->name, sizeof(s->name));
	s->interval_ms = (int)v;
	s->t0 = t0;
	s->expected = -1;
	s->src_last_us = -1;
	s->guest_ms = -1;
	return s;
}

/* ---- one sample ---- */

static struct json_object *
num_or_null(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v != NULL ? json_object_new_int64(json_object_get_int64(v)) :
	    NULL;
}

static struct json_object *
get_or_null(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v != NULL ? json_object_get(v) : NULL;
}

struct json_object *
migstats_sample(struct json_object *ret, int64_t t_ms, const char *reason,
    struct json_object *src_cpu, struct json_object *dst_cpu)
{
	static const struct {
		const char	*key, *in, *from;
	} f[] = {
		{ "pass", "ram", "dirty-sync-count" },
		{ "transferred", "ram", "transferred" },
		{ "remaining", "ram", "remaining" },
		{ "total", "ram", "total" },
		{ "mbps", "ram", "mbps" },
		{ "dirty_rate", "ram", "dirty-pages-rate" },
		{ "throttle_pct", NULL, "cpu-throttle-percentage" },
		{ "xbzrle_cache_miss", "xbzrle-cache", "cache-miss" },
		{ "postcopy_requests", "ram", "postcopy-requests" },
		{ "expected_downtime_ms", NULL, "expected-downtime" },
	};
	struct json_object *o = json_object_new_object(), *v;

	json_object_object_add(o, "t_ms", json_object_new_int64(t_ms));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(o, "status", json_object_new_string(
	    jstr_or(ret, "status", "none")));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct json_object *from = f[i].in != NULL ? jget(ret,
		    f[i].in) : ret;
		if (strcmp(f[i].key, "mbps") == 0)
			v = (v = jget(from, f[i].from)) != NULL ?
			    json_object_new_double(json_object_get_double(v)) :
			    NULL;
		else
			v = num_or_null(from, f[i].from);
		json_object_object_add(o, f[i].key, v);
	}
	json_object_object_add(o, "src_qemu_cpu_ms", get_or_null(src_cpu,
	    "qemu_cpu_ms"));
	json_object_object_add(o, "src_vcpu_cpu_ms", get_or_null(src_cpu,
	    "vcpu_cpu_ms"));
	json_object_object_add(o, "dst_qemu_cpu_ms", get_or_null(dst_cpu,
	    "qemu_cpu_ms"));
	json_object_object_add(o, "dst_vcpu_cpu_ms", get_or_null(dst_cpu,
	    "vcpu_cpu_ms"));
	return o;
}

static void
peer_times_reply(void *arg, struct json_object *ret,
    const struct qmp_error *err)
{
	struct migstats *s = arg;

	s->peer_out = 0;
	if (came(s) == -1)
		return;
	if (err == NULL) {
		json_object_put(s->dst);
		s->dst = json_object_get(ret);
	}
}

/* The destination's CPU times, for the samples to come. */
static void
peer_times(struct migstats *s)
{
	struct json_object *a = json_object_new_object();

	if (s->peer == NULL || s->peer_out) {
		json_object_put(a);
		return;
	}
	json_object_object_add(a, "name", json_object_new_string(s->name));
	s->holds++;
	s->peer_out = 1;
	if (qmp_execute(s->peer, "migrate-cputimes", a, MS_CMD_MS,
	    peer_times_reply, s) == -1) {
		s->holds--;
		s->peer_out = 0;
	}
}

void
migstats_seen(struct migstats *s, struct json_object *ret)
{
	struct json_object *v = jget(ret, "expected-downtime");

	if (s != NULL && v != NULL)
		s->expected = json_object_get_int64(v);
}

static void
emit(struct migstats *s, struct json_object *ret, const char *reason)
{
	struct json_object *src = migprov_cputimes(s->pid, s->cpus);

	migstats_seen(s, ret);
	if (s->r != NULL)
		req_event(s->r, "migrate-sample", migstats_sample(ret,
		    mono_ms() - s->t0, reason, src, s->dst));
	json_object_put(src);
	peer_times(s);
}

static void	sample_now(struct migstats *, int pass);

static void
sample_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migstats *s = arg;
	int pass = s->querying == 2;

	s->querying = 0;
	if (came(s) == -1 || s->vm == NULL || s->ended || err != NULL)
		return;
	emit(s, ret, pass ? "pass" : "poll");
	if (s->pass_pending) {
		s->pass_pending = 0;
		sample_now(s, 1);
	}
}

static void
sample_now(struct migstats *s, int pass)
{
	struct qmp *q = s->vm != NULL ? vm_qmp(s->vm) : NULL;

	if (s->ended)
		return;
	if (s->querying) {
		s->pass_pending |= pass;
		return;
	}
	if (q == NULL)
		return;
	s->querying = pass ? 2 : 1;
	s->holds++;
	if (qmp_execute(q, "query-migrate", NULL, MS_CMD_MS, sample_reply,
	    s) == -1) {
		s->holds--;
		s->querying = 0;
	}
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct migstats *s = arg;

	(void)fd;
	(void)what;
	if (!s->querying)
		sample_now(s, 0);
}

/* ---- the start: what the source runs with ---- */

static void
keep_reply(struct migstats *s, struct json_object **slot,
    struct json_object *ret, const struct qmp_error *err)
{
	if (came(s) == -1)
		return;
	if (err == NULL) {
		json_object_put(*slot);
		*slot = json_object_get(ret);
	}
}

static void
cpus_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migstats *s = arg;

	keep_reply(s, &s->cpus, ret, err);
}

/*
 * What the source runs with: its QEMU's capabilities and parameters
 * before (query replies) with those the migration set over them.
 */
static struct json_object *
effective_caps(struct json_object *have, struct json_object *set)
{
	struct json_object *o = json_object_new_object();
	size_t n = json_object_is_type(have, json_type_array) ?
	    json_object_array_length(have) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(have, i);
		if (jstr(c, "capability") != NULL)
			json_object_object_add(o, jstr(c, "capability"),
			    json_object_new_boolean(jbool(c, "state")));
	}
	n = json_object_is_type(set, json_type_array) ?
	    json_object_array_length(set) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(set, i);
		if (jstr(c, "capability") != NULL &&
		    jget(o, jstr(c, "capability")) != NULL)
			json_object_object_add(o, jstr(c, "capability"),
			    json_object_new_boolean(jbool(c, "state")));
	}
	json_object_object_add(o, "events", json_object_new_boolean(1));
	return o;
}

static struct json_object *
effective_params(struct json_object *have, struct json_object *set)
{
	struct json_object *o = json_object_new_object();

	if (json_object_is_type(have, json_type_object)) {
		json_object_object_foreach(have, k, v)
			json_object_object_add(o, k, json_object_get(v));
	}
	if (json_object_is_type(set, json_type_object)) {
		json_object_object_foreach(set, k, v)
			json_object_object_add(o, k, json_object_get(v));
	}
	return o;
}

static void
ask(struct migstats *s, const char *cmd,
    void (*cb)(void *, struct json_object *, const struct qmp_error *))
{
	struct qmp *q = s->vm != NULL ? vm_qmp(s->vm) : NULL;

	if (q == NULL)
		return;
	s->holds++;
	if (qmp_execute(q, cmd, NULL, MS_CMD_MS, cb, s) == -1)
		s->holds--;
}

void
migstats_go(struct migstats *s, struct qmp *peer, struct json_object *qcaps,
    struct json_object *qparams, struct json_object *caps,
    struct json_object *params)
{
	struct vm *vm = s != NULL ? s->vm : NULL;

	if (vm == NULL)
		return;
	s->peer = peer;
	s->pid = vm->pid;
	s->src_prov = migprov_qemu(vm);
	json_object_object_add(s->src_prov, "host", migprov_host());
	s->caps = effective_caps(qcaps, caps);
	s->params = effective_params(qparams, params);
	if (!s->stats)
		return;
	ask(s, "query-cpus-fast", cpus_reply);
	struct timeval tv = { s->interval_ms / 1000,
	    (s->interval_ms % 1000) * 1000 };
	s->timer = event_new(s->d->base, -1, EV_PERSIST, timer_cb, s);
	evtimer_add(s->timer, &tv);
	peer_times(s);
}

void
migstats_pass(struct migstats *s)
{
	if (s != NULL && s->stats && s->timer != NULL)
		sample_now(s, 1);
}

static void
stop_timer(struct migstats *s)
{
	if (s->timer != NULL)
		event_free(s->timer);
	s->timer = NULL;
}

void
migstats_end(struct migstats *s, struct json_object *ret)
{
	if (s == NULL)
		return;
	stop_timer(s);
	if (s->stats && !s->ended)
		emit(s, ret, "end");
	s->ended = 1;
}

void
migstats_stop(struct migstats *s)
{
	if (s == NULL)
		return;
	stop_timer(s);
	s->r = NULL;
	s->vm = NULL;
}

/* ---- the end: the guest's downtime, the destination's provenance ---- */

static void	fin_ask(struct migstats *);

static void
fin_done(struct migstats *s)
{
	void (*done)(void *) = s->done;

	s->done = NULL;
	if (done != NULL)
		done(s->done_arg);
}

static void
fin_again(evutil_socket_t fd, short what, void *arg)
{
	struct migstats *s = arg;

	(void)fd;
	(void)what;
	if (came(s) == -1)
		return;
	fin_ask(s);
}

static void
fin_later(struct migstats *s, int ms)
{
	struct timeval tv = { 0, ms * 1000 };

	s->holds++;
	event_base_once(s->d->base, -1, EV_TIMEOUT, fin_again, s, &tv);
}

static void
fin_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migstats *s = arg;
	struct json_object *v;

	if (came(s) == -1)
		return;
	if (err == NULL) {
		json_object_put(s->dst);
		s->dst = json_object_get(ret);
		if ((v = jget(ret, "provenance")) != NULL) {
			json_object_put(s->dst_prov);
			s->dst_prov = json_object_get(v);
		}
		if ((v = jget(ret, "guest_downtime_ms")) != NULL)
			s->guest_ms = json_object_get_double(v);
	}
	/* the guest's first tick there may take a moment */
	if (err == NULL && s->src_last_us >= 0 && s->guest_ms < 0 &&
	    ++s->tries < MS_FIN_TRIES) {
		fin_later(s, MS_FIN_MS);
		return;
	}
	fin_done(s);
}

static void
fin_ask(struct migstats *s)
{
	struct json_object *a = json_object_new_object();

	/* a plain migrate without a heartbeat needs nothing more there */
	if (s->peer == NULL || (!s->stats && s->src_last_us < 0)) {
		json_object_put(a);
		fin_done(s);
		return;
	}
	json_object_object_add(a, "name", json_object_new_string(s->name));
	json_object_object_add(a, "provenance", json_object_new_boolean(1));
	if (s->src_last_us >= 0)
		json_object_object_add(a, "src_last_tick_us",
		    json_object_new_int64(s->src_last_us));
	s->holds++;
	if (qmp_execute(s->peer, "migrate-cputimes", a, MS_CMD_MS, fin_reply,
	    s) == -1) {
		s->holds--;
		fin_done(s);
	}
}

void
migstats_finish(struct migstats *s, struct vm *vm, void (*done)(void *),
    void *arg)
{
	struct json_object *hb = vm != NULL ? heartbeat_info(s->d, vm, 0) :
	    NULL;

	if (jget(hb, "last_tick_us") != NULL)
		s->src_last_us = jint(hb, "last_tick_us", -1);
	json_object_put(hb);
	s->done = done;
	s->done_arg = arg;
	fin_later(s, 0);
}

/* ---- the reply ---- */

void
migstats_summary(struct migstats *s, struct json_object *out,
    struct json_object *ret)
{
	struct json_object *sum = json_object_new_object(), *v;
	struct json_object *ram = jget(ret, "ram");

	static const struct {
		const char	*key, *in, *from;
	} f[] = {
		{ "total_ms", NULL, "total-time" },
		{ "setup_ms", NULL, "setup-time" },
		{ "downtime_ms", NULL, "downtime" },
		{ "transferred", "ram", "transferred" },
		{ "normal_pages", "ram", "normal" },
		{ "duplicate_pages", "ram", "duplicate" },
		{ "passes", "ram", "dirty-sync-count" },
	};
	json_object_object_add(sum, "status", json_object_new_string(
	    jstr_or(ret, "status", "none")));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		json_object_object_add(sum, f[i].key, num_or_null(f[i].in !=
		    NULL ? ram : ret, f[i].from));
	json_object_object_add(sum, "mbps", (v = jget(ram, "mbps")) != NULL ?
	    json_object_new_double(json_object_get_double(v)) : NULL);
	json_object_object_add(sum, "downtime_limit_ms", num_or_null(
	    s->params, "downtime-limit"));
	json_object_object_add(sum, "expected_downtime_ms", s->expected >= 0 ?
	    json_object_new_int64(s->expected) : NULL);
	char txt[32];
	snprintf(txt, sizeof(txt), "%.3f", s->guest_ms);
	json_object_object_add(sum, "guest_downtime_ms", s->guest_ms >= 0 ?
	    json_object_new_double_s(s->guest_ms, txt) : NULL);
	json_object_object_add(sum, "guest_downtime_clock",
	    json_object_new_string("CLOCK_REALTIME"));
	json_object_object_add(out, "summary", sum);

	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "qlaunch_version", json_object_new_string(
	    QLAUNCH_VERSION));
	json_object_object_add(p, "source", json_object_get(s->src_prov));
	json_object_object_add(p, "destination", json_object_get(
	    s->dst_prov));
	json_object_object_add(p, "capabilities", json_object_get(s->caps));
	json_object_object_add(p, "parameters", json_object_get(s->params));
	json_object_object_add(p, "stats_interval_ms", s->stats ?
	    json_object_new_int(s->interval_ms) : NULL);
	json_object_object_add(out, "provenance", p);
}

void
migstats_free(struct migstats *s)
{
	if (s == NULL)
		return;
	stop_timer(s);
	s->dead = 1;
	s->done = NULL;
	release(s);
}

double
migstats_guest_downtime(long long src_last_us, struct json_object *dst_hb)
{
	long long first = jint(dst_hb, "first_tick_us", -1);

	if (src_last_us < 0 || first < 0 || first < src_last_us)
		return -1;
	return (double)(first - src_last_us) / 1000.0;
}
