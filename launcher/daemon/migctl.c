/* A migration's further options and their control while it runs (migctl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jget.h"
#include "log.h"
#include "migctl.h"
#include "migrate.h"
#include "qmp.h"
#include "util.h"
#include "xalloc.h"

#define MIGCTL_CMD_MS		30000
#define MIGCTL_SCHEMA_MS	30000
#define XBZRLE_MIN		4096ULL		/* QEMU's target page size */
#define XBZRLE_MAX		(1ULL << 40)

static const struct {
	const char	*name;
	int		 action;
} actions[] = {
	{ "cancel",	MIGCTL_CANCEL },
	{ "pause",	MIGCTL_PAUSE },
	{ "postcopy",	MIGCTL_POSTCOPY },
};

/* multifd-compression's values; the QEMU's schema says which it has */
static const char *const compressions[] = { "none", "zlib", "zstd" };

static int
parse_action(struct migctl *x, const char *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, s) == 0) {
			x->action = actions[i].action;
			return 0;
		}
	snprintf(err, errlen, "timeout action '%s' is not cancel, pause or "
	    "postcopy", s);
	return -1;
}

static int
parse_compression(struct json_object *args, struct json_object *params,
    char *err, size_t errlen)
{
	const char *c = jstr(args, "multifd_compression");

	if (jget(args, "multifd_compression") == NULL)
		return 0;
	if (c == NULL)
		goto bad;
	if (jget(args, "multifd") == NULL) {
		snprintf(err, errlen, "multifd compression needs multifd "
		    "(--multifd N)");
		return -1;
	}
	for (size_t i = 0; i < sizeof(compressions) /
	    sizeof(compressions[0]); i++)
		if (strcmp(compressions[i], c) == 0) {
			json_object_object_add(params, "multifd-compression",
			    json_object_new_string(c));
			return 0;
		}
bad:
	snprintf(err, errlen, "multifd compression '%s' is not zstd, zlib "
	    "or none", c != NULL ? c : "?");
	return -1;
}

static int
parse_xbzrle(struct json_object *args, struct json_object *params,
    char *err, size_t errlen)
{
	struct json_object *v = jget(args, "xbzrle_cache");
	int64_t n;

	if (v == NULL)
		return 0;
	if (!jbool(args, "xbzrle")) {
		snprintf(err, errlen, "an xbzrle cache size needs xbzrle");
		return -1;
	}
	n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) :
	    -1;
	/* QEMU's rule: a power of two, no less than a page */
	if (n < (int64_t)XBZRLE_MIN || (uint64_t)n > XBZRLE_MAX ||
	    (n & (n - 1)) != 0) {
		snprintf(err, errlen, "the xbzrle cache size is a power of two "
		    "from 4 KiB to 1 TiB");
		return -1;
	}
	json_object_object_add(params, "xbzrle-cache-size",
	    json_object_new_int64(n));
	return 0;
}

int
migctl_parse(struct migctl *x, struct json_object *args,
    struct json_object *caps, struct json_object *params, char *err,
    size_t errlen)
{
	long long v;
	const char *a = jstr(args, "timeout_action");

	memset(x, 0, sizeof(*x));
	x->postcopy = jbool(args, "postcopy");
	x->stall_s = MIGCTL_STALL_S;
	switch (jint_range(args, "postcopy_after", 1, 1000000, &v)) {
	case -2:
		snprintf(err, errlen, "postcopy-after is a number of passes, "
		    "1 to 1000000");
		return -1;
	case 0:
		if (!x->postcopy) {
			snprintf(err, errlen, "postcopy-after needs postcopy "
			    "(--postcopy)");
			return -1;
		}
		x->postcopy_after = (int)v;
		break;
	}
	if (jget(args, "timeout_action") != NULL) {
		if (a == NULL || parse_action(x, a, err, errlen) == -1) {
			if (a == NULL)
				snprintf(err, errlen, "the timeout action is "
				    "cancel, pause or postcopy");
			return -1;
		}
		if (jget(args, "timeout") == NULL) {
			snprintf(err, errlen, "a timeout action needs a timeout "
			    "(--timeout S)");
			return -1;
		}
		if (x->action == MIGCTL_POSTCOPY && !x->postcopy) {
			snprintf(err, errlen, "the timeout action postcopy "
			    "needs postcopy (--postcopy)");
			return -1;
		}
	}
	switch (jint_range(args, "stall_timeout", 0, 86400, &v)) {
	case -2:
		snprintf(err, errlen, "the stall timeout is 0 (none) to 86400 "
		    "s");
		return -1;
	case 0:
		x->stall_s = (int)v;
		break;
	}
	/* virsh's --postcopy-bandwidth: postcopy's own cap (0: none) */
	switch (jint_range(args, "postcopy_bandwidth", 1, 1 << 20, &v)) {
	case -2:
		snprintf(err, errlen, "the postcopy bandwidth is MiB/s, 1 to "
		    "%d", 1 << 20);
		return -1;
	case 0:
		if (!x->postcopy) {
			snprintf(err, errlen, "postcopy-bandwidth needs postcopy "
			    "(--postcopy)");
			return -1;
		}
		json_object_object_add(params, "max-postcopy-bandwidth",
		    json_object_new_int64(v * 1048576));
		break;
	}
	if (parse_xbzrle(args, params, err, errlen) == -1 ||
	    parse_compression(args, params, err, errlen) == -1)
		return -1;
	migopt_add_cap(caps, "postcopy-ram", x->postcopy);
	return 0;
}

/* ---- the schema ---- */

/* The enum values member of command cmd's arguments may take, or NULL. */
static struct json_object *
enum_values(struct json_object *schema, const char *cmd, const char *member)
{
	const char *at = jstr(jfind(schema, "name", cmd), "arg-type");
	struct json_object *t = at != NULL ? jfind(schema, "name", at) : NULL;
	const char *ty = jstr(jfind(jget(t, "members"), "name", member),
	    "type");
	struct json_object *e = ty != NULL ? jfind(schema, "name", ty) : NULL;

	if (e == NULL || strcmp(jstr_or(e, "meta-type", ""), "enum") != 0)
		return NULL;
	return jget(e, "values");
}

int
migctl_schema_check(struct json_object *schema, struct json_object *params,
    const char *side, char *err, size_t errlen)
{
	if (params == NULL)
		return 0;
	json_object_object_foreach(params, k, v) {
		struct json_object *vals;
		const char *want = json_object_get_string(v);
		size_t n, used = 0;
		if (!json_object_is_type(v, json_type_string) ||
		    (vals = enum_values(schema, "migrate-set-parameters",
		    k)) == NULL || !json_object_is_type(vals, json_type_array))
			continue;
		n = json_object_array_length(vals);
		for (size_t i = 0; i < n; i++)
			if (strcmp(json_object_get_string(
			    json_object_array_get_idx(vals, i)), want) == 0)
				return 0;
		used = (size_t)snprintf(err, errlen, "the %s's QEMU does not "
		    "take %s '%s' (it takes:", side, k, want);
		for (size_t i = 0; i < n && used < errlen; i++)
			used += (size_t)snprintf(err + used, errlen - used,
			    " %s", json_object_get_string(
			    json_object_array_get_idx(vals, i)));
		if (used < errlen)
			snprintf(err + used, errlen - used, ")");
		return -1;
	}
	return 0;
}

struct probe {
	void			(*done)(void *, const char *);
	void			*arg;
	struct json_object	*params;
	char			 side[16];
};

static void
probe_reply(void *arg, struct json_object *ret, const struct qmp_error *e)
{
	struct probe *p = arg;
	char err[512];

	if (e != NULL) {
		snprintf(err, sizeof(err), "the %s's QEMU gave no schema: %s",
		    p->side, e->desc);
		p->done(p->arg, err);
	} else if (migctl_schema_check(ret, p->params, p->side, err,
	    sizeof(err)) == -1)
		p->done(p->arg, err);
	else
		p->done(p->arg, NULL);
	json_object_put(p->params);
	free(p);
}

int
migctl_probe(struct qmp *q, struct json_object *params, const char *side,
    void (*done)(void *, const char *), void *arg)
{
	struct probe *p;

	/* only enum values need the schema: multifd-compression's */
	if (params == NULL || jget(params, "multifd-compression") == NULL)
		return 1;
	p = xcalloc(1, sizeof(*p));
	p->done = done;
	p->arg = arg;
	p->params = json_object_get(params);
	strlcpy(p->side, side, sizeof(p->side));
	if (q == NULL || qmp_execute(q, "query-qmp-schema", NULL,
	    MIGCTL_SCHEMA_MS, probe_reply, p) == -1) {
		/* the reply callback never comes: answered here, later */
		json_object_put(p->params);
		free(p);
		return 1;
	}
	return 0;
}

/* ---- the run ---- */

/* A command whose answer nobody waits for: the polls see what it did. */
static void
fire(struct qmp *q, const char *cmd)
{
	if (q == NULL || qmp_execute(q, cmd, NULL, MIGCTL_CMD_MS, NULL,
	    NULL) == -1)
		log_warnx("migration: cannot send %s", cmd);
}

static void
start_postcopy(struct migctl *x, struct qmp *q)
{
	if (x->postcopy_sent || x->in_postcopy)
		return;
	x->postcopy_sent = 1;
	fire(q, "migrate-start-postcopy");
}

int
migctl_poll(struct migctl *x, struct qmp *q, struct json_object *ret,
    const char *stream, char *err, size_t errlen)
{
	const char *st = jstr_or(ret, "status", "");
	struct json_object *ram = jget(ret, "ram");
	int64_t now = mono_ms();

	x->news = strcmp(x->status, st) != 0;
	strlcpy(x->status, st, sizeof(x->status));
	if (strncmp(st, "postcopy-", 9) == 0 && strcmp(st,
	    "postcopy-active") != 0) {
		/* postcopy-paused, -recover: the stream broke */
		x->in_postcopy = 1;
		snprintf(err, errlen, "the stream to %s broke in postcopy "
		    "(QEMU says %s)", stream, st);
		return -1;
	}
	if (strcmp(st, "postcopy-active") == 0) {
		x->in_postcopy = 1;
		return 0;
	}
	if (strcmp(st, "active") != 0)
		return 0;
	/* QEMU takes the switch only once it migrates: here */
	if (x->postcopy_due || (x->postcopy_after > 0 && jint(ram,
	    "dirty-sync-count", 0) > x->postcopy_after))
		start_postcopy(x, q);
	/* the stall detector */
	long long b = jint(ram, "transferred", 0);
	if (x->last_move == 0 || b != x->last_bytes) {
		x->last_bytes = b;
		x->last_move = now;
		return 0;
	}
	if (x->stall_s > 0 && now - x->last_move >= (int64_t)x->stall_s *
	    1000) {
		snprintf(err, errlen, "no data moved for %d s: the stream to "
		    "%s stalled", x->stall_s, stream);
		return -1;
	}
	return 0;
}

int
migctl_timeout(struct migctl *x, struct qmp *q)
{
	/* postcopy finishes by itself; nothing can stop it now */
	if (x->in_postcopy)
		return 0;
	switch (x->action) {
	case MIGCTL_PAUSE:
		x->timed_out = 1;
		x->paused = 1;
		fire(q, "stop");
		return 0;
	case MIGCTL_POSTCOPY:
		x->timed_out = 1;
		x->postcopy_due = 1;	/* at the next poll that says active */
		return 0;
	}
	return -1;
}

int
migctl_failing(struct migctl *x, char *desc, size_t len)
{
	size_t n = strlen(desc);

	if (!x->in_postcopy)
		return 0;
	x->split = 1;
	snprintf(desc + n, len - n, "; in postcopy the guest's memory is "
	    "split across both hosts, so it cannot go back to the source: "
	    "both QEMUs are left as they are (destroy the VM on both sides "
	    "to give up)");
	return 1;
}

int
migctl_resume_source(const struct migctl *x)
{
	return x->paused && !x->split;
}

void
migctl_stats(const struct migctl *x, struct json_object *s)
{
	json_object_object_add(s, "postcopy", json_object_new_boolean(
	    x->in_postcopy));
	json_object_object_add(s, "timeout_action", x->timed_out ?
	    json_object_new_string(actions[x->action].name) : NULL);
}

void
migctl_incoming(struct qmp *q, const char *status, int paused)
{
	/* QEMU started with -S stays paused in postcopy: resume it */
	if (!paused && status != NULL && strcmp(status, "postcopy-active") ==
	    0)
		fire(q, "cont");
}
