/*
 * IOThreads of a definition (iothreads.h).  The set of ids is a bit mask
 * in the definition (bit K-1: iothreadK); "iothreads: N" is ids 1 to N,
 * as virt-install's --iothreads N makes them, and a set that is not
 * (after iothreaddel) is written "iothreads: N,ids=LIST", LIST in the
 * syntax of CPU lists ("1-2,,5": the comma doubled inside the value).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmdline.h"
#include "cpukeys.h"
#include "defutil.h"
#include "dev.h"
#include "dev-disk.h"
#include "iothreads.h"
#include "props.h"
#include "util.h"
#include "xalloc.h"

#define BIT(id)	(UINT64_C(1) << ((id) - 1))

int
iothread_has(const struct vmdef *d, unsigned id)
{
	return id >= 1 && id <= IOTHREAD_MAX && (d->iothreads & BIT(id)) != 0;
}

unsigned
iothread_count(const struct vmdef *d)
{
	return (unsigned)__builtin_popcountll(d->iothreads);
}

void
iothread_set(struct vmdef *d, unsigned id, int on)
{
	if (id < 1 || id > IOTHREAD_MAX)
		return;
	if (on)
		d->iothreads |= BIT(id);
	else
		d->iothreads &= ~BIT(id);
}

unsigned
iothread_id_of(const char *qemu_id)
{
	const char *e;

	if (qemu_id == NULL || strncmp(qemu_id, "iothread", 8) != 0 ||
	    qemu_id[8] < '1' || qemu_id[8] > '9')
		return 0;
	long long n = strtonum(qemu_id + 8, 1, IOTHREAD_MAX, &e);
	return e == NULL ? (unsigned)n : 0;
}

int
corekey_iothreads(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;
	unsigned n;
	uint64_t mask = 0;
	int r = -1;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	const char *num = props_pos(&p, 0), *ids = props_get(&p, "ids");
	if (num == NULL) {
		def_err(err, errlen, "'%s' does not start with a number of "
		    "iothreads", v);
		goto out;
	}
	if (def_uint("iothreads", num, 0, IOTHREAD_MAX, &n, err,
	    errlen) == -1 || def_unused(&p, err, errlen) == -1)
		goto out;
	if (ids == NULL)
		mask = n == IOTHREAD_MAX ? ~UINT64_C(0) : BIT(n + 1) - 1;
	else {
		cpu_set_t set;
		if (cpulist_parse(ids, &set, err, errlen) == -1)
			goto out;
		for (int c = 0; c < CPU_SETSIZE; c++) {
			if (!CPU_ISSET(c, &set))
				continue;
			if (c < 1 || c > IOTHREAD_MAX) {
				def_err(err, errlen, "ids: iothread %d is not "
				    "1 to %d", c, IOTHREAD_MAX);
				goto out;
			}
			mask |= BIT((unsigned)c);
		}
		if ((unsigned)__builtin_popcountll(mask) != n) {
			def_err(err, errlen, "%u iothreads, but ids= lists %d",
			    n, __builtin_popcountll(mask));
			goto out;
		}
	}
	d->iothreads = mask;
	r = 0;
out:
	props_free(&p);
	return r;
}

char *
iothreads_value(const struct vmdef *d)
{
	unsigned n = iothread_count(d);
	cpu_set_t set;
	char list[512];

	if (n == 0)
		return NULL;
	if (d->iothreads == (n == IOTHREAD_MAX ? ~UINT64_C(0) : BIT(n + 1) - 1))
		return xasprintf("%u", n);
	CPU_ZERO(&set);
	for (unsigned id = 1; id <= IOTHREAD_MAX; id++)
		if (iothread_has(d, id))
			CPU_SET(id, &set);
	char *e = props_escape(cpulist_format(&set, list, sizeof(list)));
	char *s = xasprintf("%u,ids=%s", n, e);
	free(e);
	return s;
}

struct json_object *
iothread_object(unsigned id)
{
	struct json_object *o = json_object_new_object();
	char q[32];

	json_object_object_add(o, "qom-type",
	    json_object_new_string("iothread"));
	json_object_object_add(o, "id", json_object_new_string(
	    iothread_qemu_id(id, q, sizeof(q))));
	return o;
}

void
iothreads_args(const struct vmdef *d, struct argv *a)
{
	char q[32];

	for (unsigned id = 1; id <= IOTHREAD_MAX; id++)
		if (iothread_has(d, id)) {
			argv_add(a, "-object");
			argv_addf(a, "iothread,id=%s",
			    iothread_qemu_id(id, q, sizeof(q)));
		}
}

/* cputune's iothreadpinK items name iothreads d has. */
static int
check_tune(const struct vmdef *d, char *err, size_t errlen)
{
	char key[32], buf[256];

	for (unsigned id = 1; id <= IOTHREAD_MAX; id++) {
		snprintf(key, sizeof(key), "iothreadpin%u", id);
		if (!iothread_has(d, id) &&
		    cputune_get(d, key, buf, sizeof(buf)) != NULL)
			return def_err(err, errlen, "%s: the VM has no "
			    "iothread %u (iothreads: %u)", key, id,
			    iothread_count(d));
	}
	return 0;
}

/* Disk i (among the disks) names an iothread d has. */
static int
check_disk(const struct vmdef *d, size_t i, char *err, size_t errlen)
{
	const struct disk *k = disk_at(d, i);

	if (k == NULL || k->iothread == 0 || iothread_has(d, k->iothread))
		return 0;
	disk_resolve(d);
	return def_err(err, errlen, "%s: iothread=%u: the VM has no iothread "
	    "%u (iothreads: %u)", k->r.target, k->iothread, k->iothread,
	    iothread_count(d));
}

int
iothreads_check(const struct vmdef *d, char *err, size_t errlen)
{
	char why[256];
	size_t n = disk_count(d);

	if (check_tune(d, why, sizeof(why)) == -1)
		return def_err(err, errlen, "cputune: %s", why);
	for (size_t i = 0; i < n; i++)
		if (check_disk(d, i, why, sizeof(why)) == -1)
			return def_err(err, errlen, "disk: %s", why);
	return 0;
}

int
iothreads_check_lines(const struct vmdef *d, const int *devline,
    int tuneline, const char *fname, char *err, size_t errlen)
{
	char why[256];
	size_t disk = 0;

	if (check_tune(d, why, sizeof(why)) == -1)
		return def_err(err, errlen, "%s:%d: cputune: %s", fname,
		    tuneline, why);
	for (size_t i = 0; i < d->ndevs; i++) {
		if (strcmp(d->devs[i].kind->key, "disk") != 0)
			continue;
		if (check_disk(d, disk++, why, sizeof(why)) == -1)
			return def_err(err, errlen, "%s:%d: disk: %s", fname,
			    devline[i], why);
	}
	return 0;
}
