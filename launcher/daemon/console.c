#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "console.h"
#include "daemon.h"
#include "events.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

struct console {
	LIST_ENTRY(console)	 entry;
	struct vm		*vm;
	struct bufferevent	*qbev;		/* QEMU's console socket */
	struct bufferevent	*cbev;		/* the client, once attached */
};

static LIST_HEAD(, console) consoles = LIST_HEAD_INITIALIZER(consoles);
static struct sink *sink;

static void
console_free(struct console *con)
{
	LIST_REMOVE(con, entry);
	if (con->qbev != NULL)
		bufferevent_free(con->qbev);
	free(con);
}

static void
client_gone(struct console *con)
{
	if (con->cbev != NULL)
		bufferevent_free(con->cbev);
	con->cbev = NULL;
	console_free(con);
}

/* Flush what is left to the client, then close it. */
static void
flushed(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_free(bev);
}

static void
flush_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

/* The VM side closed (QEMU exited): flush and close the client. */
static void
console_end(struct console *con)
{
	struct bufferevent *c = con->cbev;

	con->cbev = NULL;
	console_free(con);
	if (c == NULL)
		return;
	bufferevent_disable(c, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c)) == 0)
		bufferevent_free(c);
	else
		bufferevent_setcb(c, NULL, flushed, flush_event, NULL);
}

static void
qemu_read(struct bufferevent *bev, void *arg)
{
	struct console *con = arg;

	if (con->cbev != NULL)
		bufferevent_write_buffer(con->cbev, bufferevent_get_input(bev));
	/* before the client is attached, the bytes wait in the buffer */
}

static void
qemu_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		console_end(arg);
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct console *con = arg;

	bufferevent_write_buffer(con->qbev, bufferevent_get_input(bev));
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_gone(arg);
}

static void
on_event(void *arg, const struct vm_event *ev)
{
	struct console *con, *t;

	(void)arg;
	if (ev->kind != VMEV_STOPPED && ev->kind != VMEV_REMOVED)
		return;
	LIST_FOREACH_SAFE(con, &consoles, entry, t)
		if (con->vm == ev->vm)
			console_end(con);
}

void
console_init(struct daemon *d)
{
	sink = events_sink(d, on_event, NULL);
}

void
console_fini(struct daemon *d)
{
	struct console *con;

	while ((con = LIST_FIRST(&consoles)) != NULL)
		client_gone(con);
	events_unsink(d, sink);
	sink = NULL;
}

int
console_busy(const struct vm *vm)
{
	struct console *con;

	LIST_FOREACH(con, &consoles, entry)
		if (con->vm == vm)
			return 1;
	return 0;
}

struct console *
console_open(struct vm *vm, int fd)
{
	struct console *con = xcalloc(1, sizeof(*con));

	con->qbev = bufferevent_socket_new(vm->d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (con->qbev == NULL) {
		close(fd);
		free(con);
		return NULL;
	}
	con->vm = vm;
	LIST_INSERT_HEAD(&consoles, con, entry);
	bufferevent_setcb(con->qbev, qemu_read, NULL, qemu_event, con);
	bufferevent_enable(con->qbev, EV_READ | EV_WRITE);
	return con;
}

void
console_attach(void *arg, struct bufferevent *c)
{
	struct console *con = arg;

	con->cbev = c;
	bufferevent_setcb(c, client_read, NULL, client_event, con);
	bufferevent_enable(c, EV_READ | EV_WRITE);
	/* what the client sent after its request, and QEMU's early output */
	if (evbuffer_get_length(bufferevent_get_input(c)) > 0)
		client_read(c, con);
	if (evbuffer_get_length(bufferevent_get_input(con->qbev)) > 0)
		qemu_read(con->qbev, con);
}

int
console_attach_fd(struct console *con, int fd)
{
	struct bufferevent *c;

	c = bufferevent_socket_new(con->vm->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c == NULL) {
		close(fd);
		console_cancel(con);
		return -1;
	}
	console_attach(con, c);
	return 0;
}

void
console_cancel(struct console *con)
{
	client_gone(con);
}

int
console_qemu_fd(const struct vm *vm, char *err, size_t errlen)
{
	int fd = unix_connect(vm->paths.console);

	if (fd == -1) {
		snprintf(err, errlen, "cannot connect to the console of '%s': "
		    "%s", vm->name, strerror(errno));
		return -1;
	}
	if (socket_peer_pid(fd) != vm->pid) {
		snprintf(err, errlen, "the console socket of '%s' does not "
		    "belong to its QEMU", vm->name);
		close(fd);
		return -1;
	}
	return fd;
}
