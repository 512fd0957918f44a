/* A VM's state and its reason, the events they fire, and waiters. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "events.h"
#include "job.h"
#include "log.h"
#include "names.h"
#include "vm.h"
#include "xalloc.h"

struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	struct vm		*vm;
	int			 want_off;	/* 1: shut off; 0: started */
	struct event		*timer;
	vm_wait_cb		 cb;
	void			*arg;
};

const char *
vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_SHUTOFF:	return "shut off";
	case VM_STARTING:	return "starting";
	case VM_RUNNING:	return "running";
	case VM_PAUSED:		return "paused";
	case VM_SHUTDOWN:	return "shutting down";
	case VM_CRASHED:	return "crashed";
	}
	return "unknown";
}

int
vm_active(const struct vm *vm)
{
	return vm->pid > 0;
}

void
vm_fire(struct vm *vm, int kind)
{
	struct vm_event ev = { (enum vmev_kind)kind, vm, NULL, NULL };

	events_fire(vm->d, &ev);
}

void
vm_emit(struct vm *vm, const char *event, struct json_object *data)
{
	struct json_object *m = events_message(event, vm->name, data);
	struct vm_event ev = { VMEV_MESSAGE, vm, event, m };

	events_fire(vm->d, &ev);
	json_object_put(m);
}

static void
waiter_end(struct waiter *w, int ok, const char *why)
{
	struct vm *vm = w->vm;

	TAILQ_REMOVE(&vm->waiters, w, entry);
	event_free(w->timer);
	w->cb(vm, w->arg, ok, why);
	free(w);
}

static void
wake_waiters(struct vm *vm)
{
	struct waiter *w, *t;
	int off = vm->state == VM_SHUTOFF || vm->state == VM_CRASHED;
	int up = vm->state == VM_RUNNING || vm->state == VM_PAUSED ||
	    vm->state == VM_SHUTDOWN;

	TAILQ_FOREACH_SAFE(w, &vm->waiters, entry, t) {
		if (w->want_off && off)
			waiter_end(w, 1, NULL);
		else if (!w->want_off && up)
			waiter_end(w, 1, NULL);
		else if (!w->want_off && off)
			waiter_end(w, 0, vm->reason);
	}
}

void
vm_fail_waiters(struct vm *vm, const char *why)
{
	struct waiter *w;

	while ((w = TAILQ_FIRST(&vm->waiters)) != NULL)
		waiter_end(w, 0, why);
}

void
vm_set_state(struct vm *vm, enum vm_state s, const char *reason)
{
	int changed = vm->state != s || strcmp(vm->reason, reason) != 0;

	vm->state = s;
	if (reason != vm->reason) {
		char *r = xstrdup(reason);
		free(vm->reason);
		vm->reason = r;
	}
	if (changed) {
		log_info("%s: %s (%s)", vm->name, vm_state_name(s), vm->reason);
		struct json_object *d = json_object_new_object();
		json_object_object_add(d, "state",
		    json_object_new_string(vm_state_name(s)));
		json_object_object_add(d, "reason",
		    json_object_new_string(vm->reason));
		vm_emit(vm, EV_VM_STATE, d);
	}
	wake_waiters(vm);
}

void
vm_set_stop_reason(struct vm *vm, const char *why)
{
	char *r = why != NULL ? xstrdup(why) : NULL;

	free(vm->stop_reason);
	vm->stop_reason = r;
}

static void
waiter_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	waiter_end(arg, 0, "timed out");
}

void
vm_wait(struct vm *vm, int want_off, int timeout_ms, vm_wait_cb cb, void *arg)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->vm = vm;
	w->want_off = want_off;
	w->cb = cb;
	w->arg = arg;
	w->timer = evtimer_new(vm->d->base, waiter_timeout, w);
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };
		evtimer_add(w->timer, &tv);
	}
	TAILQ_INSERT_TAIL(&vm->waiters, w, entry);
	wake_waiters(vm);
}

void
vm_job_track(struct vm *vm, struct job *j)
{
	vm->cmdjobs = xreallocarray(vm->cmdjobs, vm->ncmdjobs + 1,
	    sizeof(*vm->cmdjobs));
	vm->cmdjobs[vm->ncmdjobs++] = j;
}

void
vm_job_untrack(struct vm *vm, struct job *j)
{
	for (size_t i = 0; i < vm->ncmdjobs; i++)
		if (vm->cmdjobs[i] == j) {
			vm->cmdjobs[i] = vm->cmdjobs[--vm->ncmdjobs];
			return;
		}
}

void
vm_jobs_lost(struct vm *vm, const char *why)
{
	/* each done callback untracks its own job */
	while (vm->ncmdjobs > 0) {
		struct job *j = vm->cmdjobs[vm->ncmdjobs - 1];
		job_lost(j, why);
		vm_job_untrack(vm, j);	/* in case it did not */
	}
	free(vm->cmdjobs);
	vm->cmdjobs = NULL;
}
