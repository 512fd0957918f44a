/*
 * dirtyrate: how fast the guest dirties its memory, as QEMU measures it
 * (calc-dirty-rate, then query-dirty-rate until "measured"), so that a
 * migration can be predicted.  In the loop, never blocking: the steps
 * are QEMU's schema (does it have calc-dirty-rate, and the mode asked
 * for?), calc-dirty-rate, then query-dirty-rate every 250 ms with a
 * progress event, until measured; the answer is QEMU's figures:
 * dirty_rate_mib_s (QEMU's MB/s are MiB/s: it divides by 1 << 20) and,
 * in dirty-ring mode, per vCPU.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "jget.h"
#include "names.h"
#include "qmp.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

#define DR_POLL_MS	250
#define DR_SLACK_MS	10000	/* beyond calc-time before giving up */

struct dirtyrate {
	struct daemon	*d;
	struct req	*r;
	char		 name[65];
	char		 mode[32];	/* "" : QEMU's default */
	int		 seconds;
	int64_t		 t0;
	struct event	*timer;
};

static void
dr_free(struct dirtyrate *dr)
{
	if (dr->timer != NULL)
		event_free(dr->timer);
	free(dr);
}

static void
dr_error(struct dirtyrate *dr, const struct qmp_error *err, const char *what)
{
	if (err != NULL)
		req_qemu_error(dr->r, err->class, err->desc);
	else
		req_error(dr->r, ERR_GENERIC, "VM '%s': %s", dr->name, what);
	dr_free(dr);
}

/* The VM's QMP connection, if it is still the same VM and running. */
static struct qmp *
dr_qmp(struct dirtyrate *dr)
{
	struct vm *vm = vm_find(dr->d, dr->name);

	return vm != NULL && vm_active(vm) ? vm_qmp(vm) : NULL;
}

static void
dr_send(struct dirtyrate *dr, const char *cmd, struct json_object *args,
    void (*cb)(void *, struct json_object *, const struct qmp_error *))
{
	struct qmp *q = dr_qmp(dr);

	if (q == NULL || qmp_execute(q, cmd, args, QMP_PASS_MS, cb, dr) == -1) {
		if (q == NULL)
			json_object_put(args);
		dr_error(dr, NULL, "it stopped, or its QMP connection went, "
		    "while measuring");
	}
}

static struct json_object *
dr_answer(struct dirtyrate *dr, struct json_object *ret)
{
	struct json_object *o = json_object_new_object(), *v, *a;

	json_object_object_add(o, "name", json_object_new_string(dr->name));
	json_object_object_add(o, "mode", json_object_new_string(
	    jstr_or(ret, "mode", dr->mode[0] != '\0' ? dr->mode :
	    "page-sampling")));
	json_object_object_add(o, "calc_time_s", json_object_new_int64(
	    jint(ret, "calc-time", dr->seconds)));
	if ((v = jget(ret, "sample-pages")) != NULL)
		json_object_object_add(o, "sample_pages", json_object_get(v));
	json_object_object_add(o, "dirty_rate_mib_s", json_object_new_int64(
	    jint(ret, "dirty-rate", 0)));
	if ((v = jget(ret, "vcpu-dirty-rate")) != NULL &&
	    json_object_is_type(v, json_type_array)) {
		a = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i),
			    *n = json_object_new_object();
			json_object_object_add(n, "id", json_object_new_int64(
			    jint(e, "id", (long long)i)));
			json_object_object_add(n, "dirty_rate_mib_s",
			    json_object_new_int64(jint(e, "dirty-rate", 0)));
			json_object_array_add(a, n);
		}
		json_object_object_add(o, "vcpus", a);
	}
	return o;
}

static void	dr_poll(evutil_socket_t, short, void *);
static void	dr_kvm(void *, struct json_object *, const struct qmp_error *);
static void	dr_calc(struct dirtyrate *);

static void
dr_queried(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct dirtyrate *dr = arg;
	const char *st = jstr(ret, "status");
	int64_t el = mono_ms() - dr->t0;

	if (err != NULL) {
		dr_error(dr, err, NULL);
		return;
	}
	if (st != NULL && strcmp(st, "measured") == 0) {
		req_return(dr->r, dr_answer(dr, ret));
		dr_free(dr);
		return;
	}
	if (el > (int64_t)dr->seconds * 1000 + DR_SLACK_MS) {
		dr_error(dr, NULL, "QEMU did not finish measuring the dirty "
		    "rate in time");
		return;
	}
	struct json_object *p = json_object_new_object();
	double pct = (double)el * 100 / ((double)dr->seconds * 1000);
	json_object_object_add(p, "job", json_object_new_string("dirtyrate"));
	json_object_object_add(p, "status", json_object_new_string(
	    st != NULL ? st : "measuring"));
	json_object_object_add(p, "percent", json_object_new_double(
	    pct > 100 ? 100 : pct));
	req_event(dr->r, EV_JOB_PROGRESS, p);
	struct timeval tv = { 0, DR_POLL_MS * 1000 };
	evtimer_add(dr->timer, &tv);
}

static void
dr_poll(evutil_socket_t fd, short what, void *arg)
{
	struct dirtyrate *dr = arg;

	(void)fd;
	(void)what;
	dr_send(dr, "query-dirty-rate", NULL, dr_queried);
}

static void
dr_started(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct dirtyrate *dr = arg;

	(void)ret;
	if (err != NULL) {
		dr_error(dr, err, NULL);
		return;
	}
	dr->t0 = mono_ms();
	struct timeval tv = { 0, DR_POLL_MS * 1000 };
	evtimer_add(dr->timer, &tv);
}

/* The entity of the schema named name (type names are numbers there). */
static struct json_object *
schema_find(struct json_object *schema, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(schema); i++) {
		struct json_object *e = json_object_array_get_idx(schema, i);
		const char *n = jstr(e, "name");
		if (n != NULL && strcmp(n, name) == 0)
			return e;
	}
	return NULL;
}

/*
 * The modes calc-dirty-rate takes ("" when it has no mode argument);
 * -1 when QEMU has no calc-dirty-rate at all.
 */
static int
schema_modes(struct json_object *schema, char *buf, size_t len)
{
	struct json_object *cmd = schema_find(schema, "calc-dirty-rate"),
	    *args, *members, *en, *vals;
	const char *mtype = NULL;

	buf[0] = '\0';
	if (cmd == NULL || jstr(cmd, "arg-type") == NULL)
		return -1;
	args = schema_find(schema, jstr(cmd, "arg-type"));
	members = jget(args, "members");
	for (size_t i = 0; members != NULL && i < json_object_array_length(
	    members); i++) {
		struct json_object *m = json_object_array_get_idx(members, i);
		if (strcmp(jstr_or(m, "name", ""), "mode") == 0)
			mtype = jstr(m, "type");
	}
	if (mtype == NULL || (en = schema_find(schema, mtype)) == NULL ||
	    (vals = jget(en, "values")) == NULL)
		return 0;
	for (size_t i = 0; i < json_object_array_length(vals); i++) {
		const char *v = json_object_get_string(
		    json_object_array_get_idx(vals, i));
		if (i > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, v != NULL ? v : "", len);
	}
	return 0;
}

/* Whether word is one of the comma-separated list. */
static int
in_list(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ',' ||
		    p[n] == '\0'))
			return 1;
	return 0;
}

static void
dr_schema(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct dirtyrate *dr = arg;
	char modes[256];

	if (err != NULL) {
		dr_error(dr, err, NULL);
		return;
	}
	if (!json_object_is_type(ret, json_type_array) ||
	    schema_modes(ret, modes, sizeof(modes)) == -1) {
		dr_error(dr, NULL, "its QEMU has no calc-dirty-rate (QEMU 5.2 "
		    "or later has)");
		return;
	}
	if (dr->mode[0] != '\0' && !in_list(modes, dr->mode)) {
		if (modes[0] == '\0')
			req_error(dr->r, ERR_GENERIC, "VM '%s': its QEMU "
			    "measures in one mode only (page-sampling), not "
			    "%s", dr->name, dr->mode);
		else
			req_error(dr->r, ERR_GENERIC, "VM '%s': its QEMU has "
			    "no dirty-rate mode '%s' (it has: %s)", dr->name,
			    dr->mode, modes);
		dr_free(dr);
		return;
	}
	/*
	 * QEMU 7.2 under TCG crashes (SIGSEGV) on dirty-ring and on
	 * dirty-bitmap: those need KVM, asked first
	 */
	if (dr->mode[0] != '\0' && strcmp(dr->mode, "page-sampling") != 0)
		dr_send(dr, "query-kvm", NULL, dr_kvm);
	else
		dr_calc(dr);
}

static void
dr_kvm(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct dirtyrate *dr = arg;

	if (err != NULL) {
		dr_error(dr, err, NULL);
		return;
	}
	if (!jbool(ret, "enabled")) {
		req_error(dr->r, ERR_GENERIC, "VM '%s': the %s mode needs "
		    "KVM and it runs without (under TCG: page-sampling only)",
		    dr->name, dr->mode);
		dr_free(dr);
		return;
	}
	dr_calc(dr);
}

static void
dr_calc(struct dirtyrate *dr)
{
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "calc-time", json_object_new_int64(
	    dr->seconds));
	if (dr->mode[0] != '\0')
		json_object_object_add(a, "mode", json_object_new_string(
		    dr->mode));
	dr_send(dr, "calc-dirty-rate", a, dr_started);
}

static void
d_dirtyrate(struct req *r, struct vm *vm)
{
	static const char *const modes[] = { "page-sampling", "dirty-bitmap",
	    "dirty-ring" };
	const char *mode = req_str(r, "mode");
	long long seconds = 1;
	size_t i;

	if (jint_range(r->args, "seconds", 1, 60, &seconds) == -2) {
		req_error(r, ERR_GENERIC, "dirtyrate: \"seconds\" is a number "
		    "from 1 to 60");
		return;
	}
	for (i = 0; mode != NULL && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(mode, modes[i]) == 0)
			break;
	if (mode != NULL && i == sizeof(modes) / sizeof(modes[0])) {
		req_error(r, ERR_GENERIC, "dirtyrate: no mode '%s' (page-"
		    "sampling, dirty-bitmap or dirty-ring)", mode);
		return;
	}
	struct dirtyrate *dr = xcalloc(1, sizeof(*dr));
	dr->d = r->d;
	dr->r = r;
	dr->seconds = (int)seconds;
	strlcpy(dr->name, vm->name, sizeof(dr->name));
	if (mode != NULL)
		strlcpy(dr->mode, mode, sizeof(dr->mode));
	dr->timer = evtimer_new(r->d->base, dr_poll, dr);
	dr_send(dr, "query-qmp-schema", NULL, dr_schema);
}

const struct dcmd dcmds_dirtyrate[] = {
	{ "dirtyrate",	d_dirtyrate,	NEEDS_VM | NEEDS_ACTIVE | NEEDS_QMP },
	{ NULL, NULL, 0 }
};
