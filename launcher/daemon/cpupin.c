/* Pinning QEMU's threads to host CPUs (cpupin.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cpukeys.h"
#include "cpupin.h"
#include "daemon.h"
#include "iothreads.h"
#include "jget.h"
#include "job.h"
#include "log.h"
#include "util.h"
#include "vm.h"
#include "xalloc.h"

#define CPUPIN_MAX_TIDS	1024

static int
is_vcpu_tid(struct json_object *cpus, pid_t tid)
{
	for (size_t i = 0; i < json_object_array_length(cpus); i++)
		if (jint(json_object_array_get_idx(cpus, i), "thread-id", -1) ==
		    (long long)tid)
			return 1;
	return 0;
}

/*
 * One of the VM's iothreads (iothreadpinN)?  QEMU runs with
 * debug-threads=on, so each is named "IO iothreadK".
 */
static int
is_iothread_tid(pid_t pid, pid_t tid)
{
	char path[96], comm[32] = "";

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/comm", (long)pid,
	    (long)tid);
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	if (fgets(comm, sizeof(comm), fp) == NULL)
		comm[0] = '\0';
	fclose(fp);
	comm[strcspn(comm, "\n")] = '\0';
	return strncmp(comm, "IO ", 3) == 0 && iothread_id_of(comm + 3) != 0;
}

size_t
cpupin_emulator_tids(pid_t pid, struct json_object *cpus, pid_t *tids,
    size_t max)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	DIR *dp = opendir(path);
	if (dp == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL && n < max) {
		long t = atol(de->d_name);
		if (t > 0 && !is_vcpu_tid(cpus, (pid_t)t) &&
		    !is_iothread_tid(pid, (pid_t)t))
			tids[n++] = (pid_t)t;
	}
	closedir(dp);
	return n;
}

int
cpupin_get(pid_t tid, cpu_set_t *set)
{
	return sched_getaffinity(tid, sizeof(*set), set);
}

static int
pin(pid_t tid, const char *what, const char *list, char *err, size_t errlen)
{
	cpu_set_t set;

	if (cpulist_parse(list, &set, err, errlen) == -1 ||
	    cpulist_host_check(&set, err, errlen) == -1)
		return -1;
	if (sched_setaffinity(tid, sizeof(set), &set) == -1) {
		snprintf(err, errlen, "%s (thread %ld): sched_setaffinity %s: "
		    "%s", what, (long)tid, list, strerror(errno));
		return -1;
	}
	return 0;
}

int
cpupin_apply(pid_t pid, const struct vmdef *d, struct json_object *cpus,
    char *err, size_t errlen)
{
	char key[32], list[256], what[32];

	if (d->cputune == NULL)
		return 0;
	if (!json_object_is_type(cpus, json_type_array)) {
		snprintf(err, errlen, "query-cpus-fast gave no list of vCPUs");
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		struct json_object *c = json_object_array_get_idx(cpus, i);
		long long idx = jint(c, "cpu-index", -1);
		long long tid = jint(c, "thread-id", -1);
		snprintf(key, sizeof(key), "vcpupin%lld", idx);
		snprintf(what, sizeof(what), "vCPU %lld", idx);
		if (idx < 0 || tid <= 0 ||
		    cputune_get(d, key, list, sizeof(list)) == NULL)
			continue;
		if (pin((pid_t)tid, what, list, err, errlen) == -1)
			return -1;
	}
	if (cputune_get(d, "emulatorpin", list, sizeof(list)) != NULL) {
		pid_t *tids = xcalloc(CPUPIN_MAX_TIDS, sizeof(*tids));
		size_t n = cpupin_emulator_tids(pid, cpus, tids,
		    CPUPIN_MAX_TIDS);
		for (size_t i = 0; i < n; i++)
			if (pin(tids[i], "emulator", list, err, errlen) == -1) {
				free(tids);
				return -1;
			}
		free(tids);
	}
	return 0;
}

long long
cpupin_iothread_tid(struct json_object *iothreads, unsigned id)
{
	for (size_t i = 0; json_object_is_type(iothreads, json_type_array) &&
	    i < json_object_array_length(iothreads); i++) {
		struct json_object *t = json_object_array_get_idx(iothreads, i);
		if (iothread_id_of(jstr(t, "id")) == id)
			return jint(t, "thread-id", -1);
	}
	return -1;
}

int
cpupin_apply_iothreads(const struct vmdef *d, struct json_object *iothreads,
    char *err, size_t errlen)
{
	char key[32], list[256], what[32];

	if (d->cputune == NULL)
		return 0;
	if (!json_object_is_type(iothreads, json_type_array)) {
		snprintf(err, errlen, "query-iothreads gave no list");
		return -1;
	}
	for (unsigned id = 1; id <= IOTHREAD_MAX; id++) {
		snprintf(key, sizeof(key), "iothreadpin%u", id);
		if (cputune_get(d, key, list, sizeof(list)) == NULL)
			continue;
		long long tid = cpupin_iothread_tid(iothreads, id);
		if (tid <= 0) {
			snprintf(err, errlen, "QEMU has no iothread%u to pin",
			    id);
			return -1;
		}
		snprintf(what, sizeof(what), "iothread %u", id);
		if (pin((pid_t)tid, what, list, err, errlen) == -1)
			return -1;
	}
	return 0;
}

static int
iot_pin_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct vm *vm = arg;

	return cpupin_apply_iothreads(vm->def, ret, err, errlen);
}

static int
start_check(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	struct vm *vm = arg;

	if (cpupin_apply(vm->pid, vm->def, ret, err, errlen) == -1)
		return -1;
	return 0;
}

void
cpupin_start_step(struct job *j, struct vm *vm)
{
	if (vm->def->cputune == NULL)
		return;
	job_step(j, "query-cpus-fast", NULL, start_check, vm);
	if (vm->def->iothreads != 0)
		job_step(j, "query-iothreads", NULL, iot_pin_check, vm);
}

struct reapply {
	struct vm	*vm;
	struct job	*job;
};

static void
reapply_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct reapply *ra = arg;

	(void)class;
	(void)qemu;
	vm_job_untrack(ra->vm, ra->job);
	if (!ok)
		log_warnx("%s: pinning: %s", ra->vm->name, desc);
	free(ra);
}

void
cpupin_reapply(struct vm *vm, struct qmp *q)
{
	if (vm->def->cputune == NULL || q == NULL)
		return;
	struct reapply *ra = xcalloc(1, sizeof(*ra));
	ra->vm = vm;
	ra->job = job_new(vm->d->base, q, "pinning", CPUPIN_JOB_MS,
	    reapply_done, ra);
	job_step(ra->job, "query-cpus-fast", NULL, start_check, vm);
	if (vm->def->iothreads != 0)
		job_step(ra->job, "query-iothreads", NULL, iot_pin_check, vm);
	vm_job_track(vm, ra->job);
	job_start(ra->job);
}
