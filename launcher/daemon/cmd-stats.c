/*
 * Statistics: domstats (virsh domstats: one sample of each VM asked,
 * or of all) and stats-watch (a stream of samples with rates, every
 * DELAY, from the poller: statpoll.h).  Both read only.
 *
 *   domstats {"names": [...]}  ->  {"vms": [sample, ...]}
 *   stats-watch {"names": [...], "delay_ms": N}  ->  STATS events until
 *       the client leaves
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "names.h"
#include "req.h"
#include "statpoll.h"
#include "statsample.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

struct domstats {
	struct req		*r;
	struct json_object	*vms;	/* the answers, in the order asked */
	int			 left;
};

struct domstats_one {
	struct domstats		*ds;
	size_t			 i;
};

/*
 * The VMs a request names ("names", every VM the caller may use when
 * absent), as an array of names; NULL with the reply sent.
 */
static struct json_object *
named_vms(struct req *r)
{
	struct json_object *names = jget(r->args, "names"),
	    *a = json_object_new_array();
	struct vm *vm;

	if (names == NULL) {
		TAILQ_FOREACH(vm, &r->d->vms, entry)
			if (vm_may_use(vm, r->uid))
				json_object_array_add(a,
				    json_object_new_string(vm->name));
		return a;
	}
	if (!json_object_is_type(names, json_type_array))
		goto bad;
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *n = json_object_get_string(
		    json_object_array_get_idx(names, i));
		if (!json_object_is_type(json_object_array_get_idx(names, i),
		    json_type_string))
			goto bad;
		if ((vm = vm_lookup(r->d, n)) == NULL) {
			req_error(r, ERR_NOT_FOUND, "no VM named '%s'", n);
			json_object_put(a);
			return NULL;
		}
		if (!vm_may_use(vm, r->uid)) {
			req_error(r, ERR_PERMISSION, "VM '%s' belongs to "
			    "another user", n);
			json_object_put(a);
			return NULL;
		}
		json_object_array_add(a, json_object_new_string(vm->name));
	}
	return a;
bad:
	req_error(r, ERR_GENERIC, "%s: \"names\" is a list of VM names",
	    r->cmd);
	json_object_put(a);
	return NULL;
}

static void
one_done(void *arg, struct json_object *sample)
{
	struct domstats_one *o = arg;
	struct domstats *ds = o->ds;

	if (sample != NULL)
		json_object_array_put_idx(ds->vms, o->i, sample);
	free(o);
	if (--ds->left > 0)
		return;
	struct json_object *ret = json_object_new_object();
	json_object_object_add(ret, "vms", ds->vms);
	req_return(ds->r, ret);
	free(ds);
}

static void
d_domstats(struct req *r, struct vm *unused)
{
	struct json_object *names = named_vms(r);
	size_t n;

	(void)unused;
	if (names == NULL)
		return;
	struct domstats *ds = xcalloc(1, sizeof(*ds));
	ds->r = r;
	ds->vms = json_object_new_array();
	n = json_object_array_length(names);
	ds->left = 1;
	for (size_t i = 0; i < n; i++) {
		struct vm *vm = vm_find(r->d, json_object_get_string(
		    json_object_array_get_idx(names, i)));
		struct domstats_one *o = xcalloc(1, sizeof(*o));
		o->ds = ds;
		o->i = i;
		ds->left++;
		statsample_take(vm, one_done, o);
	}
	json_object_put(names);
	/* the hold: answers now if every sample came at once */
	struct domstats_one *o = xcalloc(1, sizeof(*o));
	o->ds = ds;
	o->i = n;
	one_done(o, NULL);
}

static void
d_stats_watch(struct req *r, struct vm *unused)
{
	long long ms = 1000;
	struct json_object *names = NULL;

	(void)unused;
	if (jint_range(r->args, "delay_ms", STATPOLL_MIN_MS, STATPOLL_MAX_MS,
	    &ms) == -2) {
		req_error(r, ERR_GENERIC, "stats-watch: \"delay_ms\" is a "
		    "number from %d to %d", STATPOLL_MIN_MS, STATPOLL_MAX_MS);
		return;
	}
	if (jget(r->args, "names") != NULL && (names = named_vms(r)) == NULL)
		return;
	statpoll_watch(r->d, r, (int)ms, names);
}

const struct dcmd dcmds_stats[] = {
	{ "domstats",		d_domstats,	0 },
	{ "stats-watch",	d_stats_watch,	0 },
	{ NULL, NULL, 0 }
};
