/* One statistics sample of a VM (statsample.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "hostnet.h"
#include "jget.h"
#include "memdef.h"
#include "migprov.h"
#include "qmp.h"
#include "statsample.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

enum { Q_CPUS, Q_BLOCK, Q_BALLOON, Q_GUEST, NQ };

static const char *const queries[NQ] = {
	[Q_CPUS] = "query-cpus-fast",
	[Q_BLOCK] = "query-blockstats",
	[Q_BALLOON] = "query-balloon",
	[Q_GUEST] = "qom-get",		/* the balloon's guest-stats */
};

struct sampling {
	struct daemon		*d;
	char			 name[65];
	int			 left;		/* replies still to come */
	struct json_object	*ret[NQ];
	char			 err[256];	/* QEMU's first error, or ours */
	statsample_cb		 cb;
	void			*arg;
};

struct sampling_q {
	struct sampling		*s;
	int			 q;
};

struct json_object *
statsample_head(const struct vm *vm)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "id", vm->id > 0 ?
	    json_object_new_int64(vm->id) : NULL);
	json_object_object_add(o, "state", json_object_new_string(
	    vm_state_name(vm->state)));
	json_object_object_add(o, "t_ms", json_object_new_int64(mono_ms()));
	return o;
}

static void
add_u64(struct json_object *o, const char *key, struct json_object *from,
    const char *fkey)
{
	json_object_object_add(o, key, json_object_new_int64(jint(from, fkey,
	    0)));
}

/* query-cpus-fast and /proc: QEMU's CPU time and each vCPU's */
static struct json_object *
cpu_part(const struct vm *vm, struct json_object *cpus)
{
	struct json_object *t = migprov_cputimes(vm->pid, cpus), *o, *a, *ms;

	if (t == NULL)
		return NULL;
	o = json_object_new_object();
	a = json_object_new_array();
	json_object_object_add(o, "time_ms", json_object_get(jget(t,
	    "qemu_cpu_ms")));
	ms = jget(t, "vcpu_cpu_ms");
	for (size_t i = 0; ms != NULL && i < json_object_array_length(ms);
	    i++) {
		struct json_object *c = json_object_array_get_idx(cpus, i),
		    *v = json_object_new_object();
		json_object_object_add(v, "id", json_object_new_int64(jint(c,
		    "cpu-index", (long long)i)));
		json_object_object_add(v, "thread_id", json_object_new_int64(
		    jint(c, "thread-id", 0)));
		json_object_object_add(v, "time_ms", json_object_get(
		    json_object_array_get_idx(ms, i)));
		json_object_array_add(a, v);
	}
	json_object_object_add(o, "vcpus", a);
	json_object_put(t);
	return o;
}

/*
 * A disk's name: the BlockBackend's (-drive), else its node's
 * (-blockdev), else the device's QOM path
 */
static const char *
block_name(struct json_object *e)
{
	static const char *const keys[] = { "device", "node-name", "qdev" };

	for (size_t i = 0; i < nitems(keys); i++) {
		const char *s = jstr(e, keys[i]);
		if (s != NULL && s[0] != '\0')
			return s;
	}
	return "?";
}

static struct json_object *
block_part(struct json_object *ret)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; json_object_is_type(ret, json_type_array) &&
	    i < json_object_array_length(ret); i++) {
		struct json_object *e = json_object_array_get_idx(ret, i),
		    *st = jget(e, "stats"), *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(
		    block_name(e)));
		add_u64(o, "rd_bytes", st, "rd_bytes");
		add_u64(o, "wr_bytes", st, "wr_bytes");
		add_u64(o, "rd_reqs", st, "rd_operations");
		add_u64(o, "wr_reqs", st, "wr_operations");
		add_u64(o, "flush_reqs", st, "flush_operations");
		json_object_array_add(a, o);
	}
	return a;
}

/* The taps, the other way round: what the tap sends the guest receives */
static const struct {
	const char	*key;
	size_t		 off;	/* of a uint64_t in struct hn_link */
} net_keys[] = {
	{ "rx_bytes", offsetof(struct hn_link, tx_bytes) },
	{ "rx_packets", offsetof(struct hn_link, tx_packets) },
	{ "rx_errs", offsetof(struct hn_link, tx_errs) },
	{ "rx_drop", offsetof(struct hn_link, tx_drop) },
	{ "tx_bytes", offsetof(struct hn_link, rx_bytes) },
	{ "tx_packets", offsetof(struct hn_link, rx_packets) },
	{ "tx_errs", offsetof(struct hn_link, rx_errs) },
	{ "tx_drop", offsetof(struct hn_link, rx_drop) },
};

static struct json_object *
net_part(struct vm *vm)
{
	struct json_object *a = json_object_new_array();
	struct hostnet *h = NULL;
	struct vmdef_nic n;
	struct hn_link l;
	char err[256];

	for (size_t i = 0; vmdef_nic_get(vm->def, i, &n) == 0; i++) {
		const char *tap = nics_tap(vm, n.id);
		if (tap == NULL)
			continue;
		if (h == NULL && (h = daemon_hostnet(vm->d, err,
		    sizeof(err))) == NULL)
			break;
		if (hn_link_get(h, tap, &l, err, sizeof(err)) != 1)
			continue;
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(tap));
		for (size_t k = 0; k < nitems(net_keys); k++)
			json_object_object_add(o, net_keys[k].key,
			    json_object_new_int64((int64_t)*(const uint64_t *)
			    ((const char *)&l + net_keys[k].off)));
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * The guest's own figures, when the balloon polls them (its
 * guest-stats-polling-interval): QEMU's names, those it has (-1: the
 * guest did not say) in "guest", and "last_update" (seconds, epoch).
 */
static void
guest_stats(struct json_object *b, struct json_object *ret)
{
	struct json_object *st = jget(ret, "stats"), *g;

	if (st == NULL || jint(ret, "last-update", 0) <= 0)
		return;
	g = json_object_new_object();
	json_object_object_foreach(st, k, val)
		if (json_object_get_int64(val) >= 0)
			json_object_object_add(g, k, json_object_get(val));
	json_object_object_add(b, "guest", g);
	json_object_object_add(b, "last_update", json_object_new_int64(
	    jint(ret, "last-update", 0)));
}

static void
finish(struct sampling *s)
{
	struct vm *vm = vm_find(s->d, s->name);
	struct json_object *o, *v;

	if (vm == NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(
		    s->name));
		json_object_object_add(o, "error", json_object_new_string(
		    "the VM went while it was sampled"));
	} else if (!vm_active(vm) || (s->ret[Q_CPUS] == NULL &&
	    s->ret[Q_BLOCK] == NULL && s->err[0] != '\0')) {
		/* off, or its QEMU gave nothing: no figures to read */
		o = statsample_head(vm);
		if (vm_active(vm))
			json_object_object_add(o, "error",
			    json_object_new_string(s->err));
	} else {
		o = statsample_head(vm);
		if (s->err[0] != '\0')
			json_object_object_add(o, "error",
			    json_object_new_string(s->err));
		if ((v = cpu_part(vm, s->ret[Q_CPUS])) != NULL)
			json_object_object_add(o, "cpu", v);
		/* the balloon's ceiling: memory and the DIMMs plugged */
		uint64_t max = vm->def->memory_mib + vmdef_dimm_mib(vm->def);
		v = json_object_new_object();
		json_object_object_add(v, "current_mib", json_object_new_int64(
		    s->ret[Q_BALLOON] != NULL ? (int64_t)(jint(s->ret[
		    Q_BALLOON], "actual", 0) >> 20) : (int64_t)max));
		json_object_object_add(v, "maximum_mib",
		    json_object_new_int64((int64_t)max));
		guest_stats(v, s->ret[Q_GUEST]);
		json_object_object_add(o, "balloon", v);
		if (s->ret[Q_BLOCK] != NULL)
			json_object_object_add(o, "block", block_part(
			    s->ret[Q_BLOCK]));
		json_object_object_add(o, "net", net_part(vm));
	}
	for (int i = 0; i < NQ; i++)
		json_object_put(s->ret[i]);
	s->cb(s->arg, o);
	free(s);
}

static void
replied(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct sampling_q *sq = arg;
	struct sampling *s = sq->s;

	if (err == NULL)
		s->ret[sq->q] = json_object_get(ret);
	else if (sq->q < Q_BALLOON && s->err[0] == '\0')
		/*
		 * no balloon, or no stats from the guest, is no error: the
		 * definition's size stands
		 */
		snprintf(s->err, sizeof(s->err), "%s: %s", queries[sq->q],
		    err->desc != NULL ? err->desc : err->class);
	free(sq);
	if (--s->left == 0)
		finish(s);
}

void
statsample_take(struct vm *vm, statsample_cb cb, void *arg)
{
	struct sampling *s = xcalloc(1, sizeof(*s));
	struct qmp *q = vm_active(vm) ? vm_qmp(vm) : NULL;

	s->d = vm->d;
	strlcpy(s->name, vm->name, sizeof(s->name));
	s->cb = cb;
	s->arg = arg;
	s->left = 1;	/* held until every command is out */
	if (vm_active(vm) && q == NULL)
		strlcpy(s->err, "its QMP connection is not ready",
		    sizeof(s->err));
	for (int i = 0; q != NULL && i < NQ; i++) {
		struct json_object *args = NULL;
		if (i == Q_GUEST && !vmdef_has_balloon(vm->def))
			continue;
		if (i == Q_GUEST) {
			args = json_object_new_object();
			json_object_object_add(args, "path",
			    json_object_new_string(
			    "/machine/peripheral/balloon0"));
			json_object_object_add(args, "property",
			    json_object_new_string("guest-stats"));
		}
		struct sampling_q *sq = xcalloc(1, sizeof(*sq));
		sq->s = s;
		sq->q = i;
		s->left++;
		if (qmp_execute(q, queries[i], args, STATS_QMP_MS, replied,
		    sq) == -1) {
			free(sq);
			s->left--;
			strlcpy(s->err, "its QMP connection closed",
			    sizeof(s->err));
			break;
		}
	}
	if (--s->left == 0)
		finish(s);
}
