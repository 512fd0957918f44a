/*
 * Console tickets (webticket.h).  Kept in a list on the daemon: few wait
 * at a time, and each lives a minute.  Only the random bytes are
 * compared, in constant time; expired tickets are dropped whenever one
 * is issued, and a VM's tickets when its QEMU stops or it is removed.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "events.h"
#include "names.h"
#include "util.h"
#include "vm.h"
#include "webticket.h"
#include "xalloc.h"

#define TICKET_BYTES	(WEBTICKET_HEX / 2)

struct ticket {
	LIST_ENTRY(ticket)	 entry;
	unsigned char		 bytes[TICKET_BYTES];
	uid_t			 uid;
	struct vm		*vm;
	pid_t			 pid;		/* the VM's QEMU then */
	enum webcon_kind	 kind;
	int64_t			 expires;	/* mono_ms */
};

struct webtickets {
	LIST_HEAD(, ticket)	 list;
	struct sink		*sink;
	int			 ttl_ms;
};

static void
ticket_free(struct ticket *t)
{
	LIST_REMOVE(t, entry);
	explicit_bzero(t->bytes, sizeof(t->bytes));
	free(t);
}

/* A VM's QEMU stopped or the VM goes: its tickets with it. */
static void
on_vm_event(void *arg, const struct vm_event *ev)
{
	struct webtickets *w = arg;
	struct ticket *t, *tt;

	if (ev->kind != VMEV_STOPPED && ev->kind != VMEV_REMOVED)
		return;
	LIST_FOREACH_SAFE(t, &w->list, entry, tt)
		if (t->vm == ev->vm)
			ticket_free(t);
}

static struct webtickets *
tickets(struct daemon *d)
{
	if (d->webtickets == NULL) {
		d->webtickets = xcalloc(1, sizeof(*d->webtickets));
		LIST_INIT(&d->webtickets->list);
		d->webtickets->ttl_ms = WEBTICKET_TTL_MS;
		d->webtickets->sink = events_sink(d, on_vm_event,
		    d->webtickets);
	}
	return d->webtickets;
}

static void
purge(struct webtickets *w, int64_t now)
{
	struct ticket *t, *tt;

	LIST_FOREACH_SAFE(t, &w->list, entry, tt)
		if (t->expires <= now)
			ticket_free(t);
}

int
webticket_issue(struct daemon *d, struct vm *vm, uid_t uid,
    enum webcon_kind kind, char out[WEBTICKET_HEX + 1], char *err,
    size_t errlen)
{
	struct webtickets *w = tickets(d);
	int64_t now = mono_ms();
	size_t all = 0, mine = 0;
	struct ticket *t;

	purge(w, now);
	LIST_FOREACH(t, &w->list, entry) {
		all++;
		if (t->uid == uid)
			mine++;
	}
	if (all >= WEBTICKET_MAX || mine >= WEBTICKET_MAX_UID) {
		snprintf(err, errlen, "too many console tickets wait to be "
		    "used; try again within a minute");
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	arc4random_buf(t->bytes, sizeof(t->bytes));
	t->uid = uid;
	t->vm = vm;
	t->pid = vm->pid;
	t->kind = kind;
	t->expires = now + w->ttl_ms;
	LIST_INSERT_HEAD(&w->list, t, entry);
	for (size_t i = 0; i < sizeof(t->bytes); i++)
		snprintf(out + 2 * i, 3, "%02x", t->bytes[i]);
	return 0;
}

/* Equal?  In time that does not depend on where they differ. */
static int
same(const unsigned char *a, const unsigned char *b, size_t n)
{
	volatile unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* 64 hex digits into bytes; -1 when it is not that. */
static int
unhex(const char *s, unsigned char *b)
{
	static const char digits[] = "0123456789abcdef";

	if (s == NULL || strlen(s) != WEBTICKET_HEX)
		return -1;
	for (size_t i = 0; i < TICKET_BYTES; i++) {
		const char *hi = strchr(digits, s[2 * i] | 0x20);
		const char *lo = strchr(digits, s[2 * i + 1] | 0x20);
		if (hi == NULL || lo == NULL)
			return -1;
		b[i] = (unsigned char)((hi - digits) << 4 | (lo - digits));
	}
	return 0;
}

int
webticket_redeem(struct daemon *d, struct vm *vm, uid_t uid,
    const char *ticket, enum webcon_kind *kind, const char **eclass,
    char *err, size_t errlen)
{
	struct webtickets *w = tickets(d);
	unsigned char b[TICKET_BYTES];
	struct ticket *t, *found = NULL;

	*eclass = ERR_GENERIC;
	if (unhex(ticket, b) == -1) {
		snprintf(err, errlen, "a console ticket is %d hexadecimal "
		    "digits", WEBTICKET_HEX);
		return -1;
	}
	LIST_FOREACH(t, &w->list, entry)
		if (same(t->bytes, b, sizeof(b)))
			found = t;
	explicit_bzero(b, sizeof(b));
	if (found == NULL) {
		*eclass = ERR_NOT_FOUND;
		snprintf(err, errlen, "no such console ticket (a ticket is "
		    "used once, within %d s)", w->ttl_ms / 1000);
		return -1;
	}
	/* spent, whatever comes of it */
	struct ticket tk = *found;
	ticket_free(found);
	if (tk.uid != uid) {
		*eclass = ERR_PERMISSION;
		snprintf(err, errlen, "this console ticket was issued to "
		    "another user");
		return -1;
	}
	if (tk.vm != vm) {
		*eclass = ERR_PERMISSION;
		snprintf(err, errlen, "this console ticket is for another VM");
		return -1;
	}
	if (tk.expires <= mono_ms()) {
		snprintf(err, errlen, "this console ticket expired");
		return -1;
	}
	if (tk.pid != vm->pid) {
		*eclass = ERR_INVALID_STATE;
		snprintf(err, errlen, "VM '%s' was started again since this "
		    "console ticket was issued", vm->name);
		return -1;
	}
	*kind = tk.kind;
	return 0;
}

size_t
webticket_count(struct daemon *d)
{
	struct ticket *t;
	size_t n = 0;

	if (d->webtickets == NULL)
		return 0;
	LIST_FOREACH(t, &d->webtickets->list, entry)
		n++;
	return n;
}

void
webticket_set_ttl(struct daemon *d, int ms)
{
	tickets(d)->ttl_ms = ms;
}

void
webticket_fini(struct daemon *d)
{
	struct webtickets *w = d->webtickets;

	if (w == NULL)
		return;
	while (!LIST_EMPTY(&w->list))
		ticket_free(LIST_FIRST(&w->list));
	events_unsink(d, w->sink);
	free(w);
	d->webtickets = NULL;
}
