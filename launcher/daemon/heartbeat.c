/* The heartbeat reader (heartbeat.h). */
#include <sys/queue.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "events.h"
#include "hbstat.h"
#include "heartbeat.h"
#include "log.h"
#include "names.h"
#include "sock.h"
#include "vm.h"
#include "xalloc.h"

#define RETRY_MS	200	/* QEMU's socket not there yet, or gone */
#define LINE_MAX_LEN	256	/* a tick is under 50 bytes */

struct hbreader {
	LIST_ENTRY(hbreader)	 entry;
	struct heartbeats	*set;
	const struct vm		*vm;
	pid_t			 pid;	/* the QEMU of the statistics */
	struct bufferevent	*bev;
	struct event		*retry;
	struct hbstat		 st;
	/* the guest-visible downtime of the migration in (migstats.c) */
	pid_t			 switch_pid;	/* of that QEMU */
	long long		 switch_ms;
};

struct heartbeats {
	struct daemon		*d;
	struct sink		*sink;
	LIST_HEAD(, hbreader)	 readers;
	/* every reader's read rate (heartbeat.h), shared by its buckets */
	struct ev_token_bucket_cfg *rate;
};

static uint64_t
clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct hbreader *
reader_find(struct heartbeats *set, const struct vm *vm)
{
	struct hbreader *r;

	LIST_FOREACH(r, &set->readers, entry)
		if (r->vm == vm)
			return r;
	return NULL;
}

static void
reader_close(struct hbreader *r)
{
	if (r->bev != NULL)
		bufferevent_free(r->bev);
	r->bev = NULL;
	evtimer_del(r->retry);
}

static void
reader_free(struct hbreader *r)
{
	reader_close(r);
	event_free(r->retry);
	LIST_REMOVE(r, entry);
	free(r);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct hbreader *r = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint64_t mono = clock_ns(CLOCK_MONOTONIC),
	    real = clock_ns(CLOCK_REALTIME);
	char *line;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > LINE_MAX_LEN)
			r->st.bad++;
		else
			hbstat_line(&r->st, line, mono, real);
		free(line);
	}
	if (evbuffer_get_length(in) > LINE_MAX_LEN) {
		/* no newline in sight: not a tick */
		evbuffer_drain(in, evbuffer_get_length(in));
		r->st.bad++;
	}
}

static void
retry_later(struct hbreader *r)
{
	struct timeval tv = { 0, RETRY_MS * 1000 };

	evtimer_add(r->retry, &tv);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct hbreader *r = arg;

	(void)bev;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	reader_close(r);
	/* QEMU closed the channel but may still run: the VM's events say */
	if (vm_active(r->vm))
		retry_later(r);
}

static int
qemu_up(const struct vm *vm)
{
	return vm->pid > 0 && (vm->state == VM_RUNNING ||
	    vm->state == VM_PAUSED || vm->state == VM_SHUTDOWN);
}

static void
reader_connect(struct hbreader *r)
{
	const struct vm *vm = r->vm;
	int fd;

	if (r->bev != NULL || !qemu_up(vm) || !vmdef_has_heartbeat(vm->def))
		return;
	if (r->pid != vm->pid) {
		/* another QEMU: its own statistics */
		memset(&r->st, 0, sizeof(r->st));
		r->pid = vm->pid;
	}
	if ((fd = unix_connect(vm->paths.heartbeat)) == -1) {
		retry_later(r);
		return;
	}
	if (socket_peer_pid(fd) != vm->pid) {
		log_warnx("%s: the heartbeat socket %s does not belong to its "
		    "QEMU; not reading it", vm->name, vm->paths.heartbeat);
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	r->bev = bufferevent_socket_new(r->set->d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (r->bev == NULL) {
		close(fd);
		retry_later(r);
		return;
	}
	bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
	/* a guest flooding its port is held back by QEMU, not read at once */
	bufferevent_set_rate_limit(r->bev, r->set->rate);
	bufferevent_enable(r->bev, EV_READ);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reader_connect(arg);
}

static void
on_vm_event(void *arg, const struct vm_event *ev)
{
	struct heartbeats *set = arg;
	struct hbreader *r = reader_find(set, ev->vm);

	switch (ev->kind) {
	case VMEV_MESSAGE:
		if (strcmp(ev->name, EV_VM_STATE) != 0 || !qemu_up(ev->vm) ||
		    !vmdef_has_heartbeat(ev->vm->def))
			return;
		if (r == NULL) {
			r = xcalloc(1, sizeof(*r));
			r->set = set;
			r->vm = ev->vm;
			r->retry = evtimer_new(set->d->base, on_retry, r);
			LIST_INSERT_HEAD(&set->readers, r, entry);
		}
		reader_connect(r);
		break;
	case VMEV_STOPPED:
		if (r != NULL)
			reader_close(r);
		break;
	case VMEV_REMOVED:
		if (r != NULL)
			reader_free(r);
		break;
	}
}

void
heartbeat_init(struct daemon *d)
{
	struct heartbeats *set = xcalloc(1, sizeof(*set));

	struct timeval tick = { 0, HEARTBEAT_TICK_MS * 1000 };

	set->d = d;
	LIST_INIT(&set->readers);
	set->rate = ev_token_bucket_cfg_new(HEARTBEAT_READ_BPS *
	    HEARTBEAT_TICK_MS / 1000, HEARTBEAT_READ_BURST, EV_RATE_LIMIT_MAX,
	    EV_RATE_LIMIT_MAX, &tick);
	if (set->rate == NULL)
		fatalx("heartbeat: no rate limit configuration");
	set->sink = events_sink(d, on_vm_event, set);
	d->heartbeats = set;
}

void
heartbeat_fini(struct daemon *d)
{
	struct heartbeats *set = d->heartbeats;

	if (set == NULL)
		return;
	while (!LIST_EMPTY(&set->readers))
		reader_free(LIST_FIRST(&set->readers));
	events_unsink(d, set->sink);
	/* after the readers: their buckets point at it */
	ev_token_bucket_cfg_free(set->rate);
	free(set);
	d->heartbeats = NULL;
}

struct json_object *
heartbeat_info(struct daemon *d, const struct vm *vm, int reset)
{
	struct hbreader *r;
	struct json_object *o;

	if (d->heartbeats == NULL ||
	    (r = reader_find(d->heartbeats, vm)) == NULL)
		return NULL;
	/* what arrived and is not taken yet counts */
	if (r->bev != NULL)
		on_read(r->bev, r);
	o = hbstat_json(&r->st, clock_ns(CLOCK_MONOTONIC));
	json_object_object_add(o, "connected",
	    json_object_new_boolean(r->bev != NULL));
	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	if (reset)
		hbstat_reset(&r->st);
	return o;
}

void
heartbeat_set_switch(struct daemon *d, const struct vm *vm, long long ms)
{
	struct hbreader *r;

	if (d->heartbeats != NULL &&
	    (r = reader_find(d->heartbeats, vm)) != NULL) {
		r->switch_pid = r->pid;
		r->switch_ms = ms;
	}
}

long long
heartbeat_switch(struct daemon *d, const struct vm *vm)
{
	struct hbreader *r;

	if (d->heartbeats == NULL ||
	    (r = reader_find(d->heartbeats, vm)) == NULL ||
	    r->switch_pid != r->pid || r->pid <= 0)
		return -1;
	return r->switch_ms;
}
