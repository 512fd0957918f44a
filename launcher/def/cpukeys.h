/*
 * The CPU keys of a definition (cpukeys.c): cpu: (virt-install's model
 * and features as QEMU's -cpu), cputune: (pinning), vcpu-hotplugged:
 * (the running definition's hot-plugged vCPU devices), and the CPU lists
 * ("0-1,3") pinning uses.
 */
#ifndef LAUNCHER_CPUKEYS_H
#define LAUNCHER_CPUKEYS_H

#include <sched.h>
#include <stddef.h>

#include "vmdef.h"

struct json_object;

#define CPU_MAX_VCPUS	288

int	 corekey_cpu(struct vmdef *, const char *, char *, size_t);
int	 corekey_cputune(struct vmdef *, const char *, char *, size_t);
int	 corekey_vcpudev(struct vmdef *, const char *, char *, size_t);
/* The canonical value of the vcpus key; malloc'd. */
char	*corekey_vcpus_value(const struct vmdef *);
/* -cpu's value: the model (host-model resolved for accel) and features. */
char	*cpu_model_arg(const struct vmdef *, enum accel);
/* A hot-plugged vCPU line as the -device / device_add object. */
struct json_object *cpu_dev_json(const char *line);
/* The id of a vcpu-hotplugged line ("vcpu2"), in buf. */
const char *cpu_dev_id(const char *line, char *buf, size_t len);
/* -1 when it is not a hot-plugged vCPU's id, else its index. */
int	 cpu_dev_index(const char *id);

/* "0-2,5" into set; -1 with a reason. */
int	 cpulist_parse(const char *, cpu_set_t *, char *err, size_t errlen);
/* The set as a list, in buf ("0-2,5"). */
const char *cpulist_format(const cpu_set_t *, char *buf, size_t len);
/* Every CPU of the list is one the host has online (sched_getaffinity). */
int	 cpulist_host_check(const cpu_set_t *, char *err, size_t errlen);

/* cputune's value for key ("vcpupin3", "emulatorpin"), or NULL. */
const char *cputune_get(const struct vmdef *, const char *key, char *buf,
	    size_t len);
/* Set (value NULL: remove) one cputune item; -1 on a bad value. */
int	 cputune_set(struct vmdef *, const char *key, const char *value,
	    char *err, size_t errlen);

#endif
