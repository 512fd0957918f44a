/*
 * Pinning (cputune:): QEMU's vCPU threads (query-cpus-fast's thread-id),
 * its iothreads (query-iothreads' thread-id) and the emulator's (every
 * other thread of the process) get the CPU lists of the definition with
 * sched_setaffinity, at start, after a hot-plug and on demand (vcpupin,
 * emulatorpin, iothreadpin).
 */
#ifndef LAUNCHER_CPUPIN_H
#define LAUNCHER_CPUPIN_H

#include <sched.h>
#include <stddef.h>
#include <sys/types.h>

struct job;
struct json_object;
struct qmp;
struct vm;
struct vmdef;

#define CPUPIN_JOB_MS	10000

/*
 * Apply d's cputune to QEMU (pid) whose vCPUs query-cpus-fast gave
 * (cpus, borrowed).  -1 with a reason: nothing more is changed.
 */
int	 cpupin_apply(pid_t pid, const struct vmdef *d,
	    struct json_object *cpus, char *err, size_t errlen);
/* A step of start's job that applies the running definition's pins. */
void	 cpupin_start_step(struct job *, struct vm *);
/*
 * Apply them again, in a job of its own on q, the VM's QMP connection
 * (NULL: nothing to do), after a hot-plug; logged.
 */
void	 cpupin_reapply(struct vm *, struct qmp *q);
/*
 * The same for its iothreads (iothreadpinN), whose threads
 * query-iothreads gave (borrowed).  -1 with a reason.
 */
int	 cpupin_apply_iothreads(const struct vmdef *d,
	    struct json_object *iothreads, char *err, size_t errlen);
/* The thread of iothread id in query-iothreads' answer; -1: none. */
long long cpupin_iothread_tid(struct json_object *iothreads, unsigned id);
/*
 * The threads of pid that are not in cpus nor iothreads (named "IO
 * iothreadK", debug-threads=on): the emulator's.
 */
size_t	 cpupin_emulator_tids(pid_t pid, struct json_object *cpus,
	    pid_t *tids, size_t max);
/* A thread's affinity; -1 when it cannot be read. */
int	 cpupin_get(pid_t tid, cpu_set_t *);

#endif
