#include <sys/queue.h>

#include <stdlib.h>
#include <time.h>

#include <json-c/json.h>

#include "daemon.h"
#include "events.h"
#include "xalloc.h"

struct sink {
	TAILQ_ENTRY(sink)	 entry;
	event_sink_fn		 fn;	/* NULL: removed while firing */
	void			*arg;
};

struct sink *
events_sink(struct daemon *d, event_sink_fn fn, void *arg)
{
	struct sink *s = xcalloc(1, sizeof(*s));

	s->fn = fn;
	s->arg = arg;
	TAILQ_INSERT_TAIL(&d->sinks, s, entry);
	return s;
}

void
events_unsink(struct daemon *d, struct sink *s)
{
	if (s == NULL)
		return;
	if (d->firing) {
		s->fn = NULL;	/* freed when the outermost fire ends */
		return;
	}
	TAILQ_REMOVE(&d->sinks, s, entry);
	free(s);
}

void
events_fire(struct daemon *d, const struct vm_event *ev)
{
	struct sink *s, *t;

	d->firing++;
	TAILQ_FOREACH(s, &d->sinks, entry)
		if (s->fn != NULL)
			s->fn(s->arg, ev);
	if (--d->firing > 0)
		return;
	TAILQ_FOREACH_SAFE(s, &d->sinks, entry, t)
		if (s->fn == NULL) {
			TAILQ_REMOVE(&d->sinks, s, entry);
			free(s);
		}
}

struct json_object *
events_message(const char *name, const char *vmname, struct json_object *data)
{
	struct json_object *m = json_object_new_object(), *t;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(m, "event", json_object_new_string(name));
	if (vmname != NULL)
		json_object_object_add(m, "vm", json_object_new_string(vmname));
	json_object_object_add(m, "data", data != NULL ? data :
	    json_object_new_object());
	t = json_object_new_object();
	json_object_object_add(t, "seconds", json_object_new_int64(ts.tv_sec));
	json_object_object_add(t, "microseconds",
	    json_object_new_int64(ts.tv_nsec / 1000));
	json_object_object_add(m, "timestamp", t);
	return m;
}
