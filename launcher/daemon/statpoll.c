/* The stats poller (statpoll.h). */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "jget.h"
#include "names.h"
#include "req.h"
#include "statpoll.h"
#include "statrate.h"
#include "statsample.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

struct watcher {
	TAILQ_ENTRY(watcher)	 entry;
	struct statpoll		*p;
	struct req		*r;
	struct req_closer	 closer;	/* its connection closing */
	int			 delay_ms;
	int64_t			 due;		/* next event, mono ms */
	struct json_object	*names;		/* NULL: every VM */
};

/* What the poller knows of one VM, by name. */
struct vmstat {
	TAILQ_ENTRY(vmstat)	 entry;
	struct statpoll		*p;
	char			 name[65];
	int			 inflight;
	long long		 round;		/* the round it was asked in */
	struct json_object	*last;		/* latest sample, with rates */
};

struct statpoll {
	struct daemon		*d;
	struct event		*tick;
	struct event		*deadline;
	int			 period_ms;
	long long		 round;		/* rounds started */
	int			 left;		/* this round's answers to come */
	int			 inflight;	/* samples out, all rounds */
	int			 dying;		/* freed once inflight is 0 */
	TAILQ_HEAD(, watcher)	 watchers;
	TAILQ_HEAD(, vmstat)	 vms;
};

static void	round_start(struct statpoll *);
static void	set_period(struct statpoll *);

static void
watcher_free(struct watcher *w, const char *why)
{
	req_closer_cancel(&w->closer);
	if (why != NULL)
		req_error(w->r, ERR_GENERIC, "stats-watch: %s", why);
	else
		req_return(w->r, NULL);
	json_object_put(w->names);
	free(w);
}

static void
poll_free(struct statpoll *p)
{
	struct vmstat *s;

	while ((s = TAILQ_FIRST(&p->vms)) != NULL) {
		TAILQ_REMOVE(&p->vms, s, entry);
		json_object_put(s->last);
		free(s);
	}
	event_free(p->tick);
	event_free(p->deadline);
	free(p);
}

/* No watcher left: the timer stops, and the poller goes when it can. */
static void
poll_end(struct statpoll *p)
{
	evtimer_del(p->tick);
	evtimer_del(p->deadline);
	if (p->d->statpoll == p)
		p->d->statpoll = NULL;
	if (p->inflight == 0)
		poll_free(p);
	else
		p->dying = 1;
}

static struct vmstat *
vmstat_get(struct statpoll *p, const char *name)
{
	struct vmstat *s;

	TAILQ_FOREACH(s, &p->vms, entry)
		if (strcmp(s->name, name) == 0)
			return s;
	s = xcalloc(1, sizeof(*s));
	s->p = p;
	strlcpy(s->name, name, sizeof(s->name));
	TAILQ_INSERT_TAIL(&p->vms, s, entry);
	return s;
}

static int
wants(const struct watcher *w, const char *name)
{
	if (w->names == NULL)
		return 1;
	for (size_t i = 0; i < json_object_array_length(w->names); i++) {
		const char *n = json_object_get_string(
		    json_object_array_get_idx(w->names, i));
		if (n != NULL && strcmp(n, name) == 0)
			return 1;
	}
	return 0;
}

/* A VM in an event: its latest sample while it runs, else its state. */
static struct json_object *
vm_entry(struct statpoll *p, struct vm *vm)
{
	struct vmstat *s;

	if (!vm_active(vm))
		return statsample_head(vm);
	TAILQ_FOREACH(s, &p->vms, entry)
		if (strcmp(s->name, vm->name) == 0 && s->last != NULL &&
		    jint(s->last, "id", -1) == vm->id) {
			struct json_object *o = NULL;
			json_object_deep_copy(s->last, &o, NULL);
			if (s->inflight && s->round < p->round)
				json_object_object_add(o, "stale",
				    json_object_new_boolean(1));
			return o;
		}
	return statsample_head(vm);
}

/* The round is over: the watchers that are due get their event. */
static void
round_end(struct statpoll *p)
{
	int64_t now = mono_ms();
	struct watcher *w, *tw;
	struct vm *vm;

	evtimer_del(p->deadline);
	TAILQ_FOREACH_SAFE(w, &p->watchers, entry, tw) {
		/*
		 * due: a tick's round ends at or after its tick; the
		 * baseline's, a new watcher's first, ends before the
		 * first tick (3/4 of the period at the latest)
		 */
		if (now + p->period_ms / 8 < w->due)
			continue;
		w->due += w->delay_ms;
		if (w->due < now)
			w->due = now + w->delay_ms;
		struct json_object *data = json_object_new_object(),
		    *a = json_object_new_array();
		json_object_object_add(data, "interval_ms",
		    json_object_new_int64(p->period_ms));
		TAILQ_FOREACH(vm, &p->d->vms, entry)
			if (wants(w, vm->name) && vm_may_use(vm, w->r->uid))
				json_object_array_add(a, vm_entry(p, vm));
		json_object_object_add(data, "vms", a);
		req_event(w->r, EV_STATS, data);
	}
}

static void
sampled(void *arg, struct json_object *sample)
{
	struct vmstat *s = arg;
	struct statpoll *p = s->p;

	s->inflight = 0;
	p->inflight--;
	if (p->dying) {
		json_object_put(sample);
		if (p->inflight == 0)
			poll_free(p);
		return;
	}
	statrate_add(sample, s->last);
	json_object_put(s->last);
	s->last = sample;
	if (s->round == p->round && --p->left == 0)
		round_end(p);
}

/* Forget the watchers whose clients left, and the VMs that went. */
static int
prune(struct statpoll *p)
{
	struct watcher *w, *tw;
	struct vmstat *s, *ts;

	TAILQ_FOREACH_SAFE(w, &p->watchers, entry, tw)
		if (w->r->conn == NULL) {
			TAILQ_REMOVE(&p->watchers, w, entry);
			watcher_free(w, NULL);
		}
	TAILQ_FOREACH_SAFE(s, &p->vms, entry, ts)
		if (!s->inflight && vm_find(p->d, s->name) == NULL) {
			TAILQ_REMOVE(&p->vms, s, entry);
			json_object_put(s->last);
			free(s);
		}
	return TAILQ_EMPTY(&p->watchers) ? -1 : 0;
}

static int
watched(struct statpoll *p, const char *name)
{
	struct watcher *w;

	TAILQ_FOREACH(w, &p->watchers, entry)
		if (wants(w, name))
			return 1;
	return 0;
}

static void
round_start(struct statpoll *p)
{
	struct vm *vm, *tvm;

	p->round++;
	p->left = 1;	/* held until every VM is asked */
	TAILQ_FOREACH_SAFE(vm, &p->d->vms, entry, tvm) {
		if (!vm_active(vm) || !watched(p, vm->name))
			continue;
		struct vmstat *s = vmstat_get(p, vm->name);
		if (s->inflight)
			continue;	/* one at a time: it is late */
		s->inflight = 1;
		s->round = p->round;
		p->inflight++;
		p->left++;
		statsample_take(vm, sampled, s);
	}
	if (--p->left == 0) {
		round_end(p);
		return;
	}
	struct timeval tv = { 0, (p->period_ms * 3 / 4) * 1000 };
	tv.tv_sec = tv.tv_usec / 1000000;
	tv.tv_usec %= 1000000;
	evtimer_add(p->deadline, &tv);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct statpoll *p = arg;

	(void)fd;
	(void)what;
	p->left = 0;	/* the late ones are marked stale */
	round_end(p);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct statpoll *p = arg;

	(void)fd;
	(void)what;
	if (prune(p) == -1) {
		poll_end(p);
		return;
	}
	set_period(p);
	round_start(p);
}

static void
set_period(struct statpoll *p)
{
	struct watcher *w;
	int ms = STATPOLL_MAX_MS;

	TAILQ_FOREACH(w, &p->watchers, entry)
		if (w->delay_ms < ms)
			ms = w->delay_ms;
	if (ms == p->period_ms)
		return;
	p->period_ms = ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_del(p->tick);
	event_add(p->tick, &tv);
}

/* A watcher's connection closed: it leaves at once. */
static void
watcher_gone(void *arg)
{
	struct watcher *w = arg;
	struct statpoll *p = w->p;

	TAILQ_REMOVE(&p->watchers, w, entry);
	watcher_free(w, NULL);
	if (TAILQ_EMPTY(&p->watchers))
		poll_end(p);
	else
		set_period(p);
}

void
statpoll_watch(struct daemon *d, struct req *r, int delay_ms,
    struct json_object *names)
{
	struct statpoll *p = d->statpoll;
	struct watcher *w = xcalloc(1, sizeof(*w));
	int fresh = p == NULL;

	if (p == NULL) {
		p = d->statpoll = xcalloc(1, sizeof(*p));
		p->d = d;
		TAILQ_INIT(&p->watchers);
		TAILQ_INIT(&p->vms);
		p->tick = event_new(d->base, -1, EV_PERSIST, on_tick, p);
		p->deadline = evtimer_new(d->base, on_deadline, p);
	}
	w->p = p;
	w->r = r;
	w->delay_ms = delay_ms;
	w->due = mono_ms() + delay_ms;
	w->names = names;
	TAILQ_INSERT_TAIL(&p->watchers, w, entry);
	/* a connection that cannot tell is found gone at a tick (prune) */
	(void)req_on_close(r, &w->closer, watcher_gone, w);
	set_period(p);
	if (fresh)
		round_start(p);		/* the baseline of the rates */
}

void
statpoll_counts(struct daemon *d, int *watchers, long long *rounds)
{
	struct watcher *w;

	*watchers = 0;
	*rounds = d->statpoll != NULL ? d->statpoll->round : 0;
	if (d->statpoll != NULL)
		TAILQ_FOREACH(w, &d->statpoll->watchers, entry)
			(*watchers)++;
}

void
statpoll_fini(struct daemon *d)
{
	struct statpoll *p = d->statpoll;
	struct watcher *w;

	if (p == NULL)
		return;
	while ((w = TAILQ_FIRST(&p->watchers)) != NULL) {
		TAILQ_REMOVE(&p->watchers, w, entry);
		watcher_free(w, "the supervisor is stopping");
	}
	poll_end(p);
}
