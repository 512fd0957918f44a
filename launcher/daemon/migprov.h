/*
 * What a migration's --stats records beside QEMU's figures, on either
 * side: the CPU time of a QEMU process and of each of its vCPU threads
 * (/proc/PID/stat, /proc/PID/task/TID/stat, the threads named by
 * query-cpus-fast), and the provenance of a run: the QEMU (version,
 * emulator, its exact argv from /proc/PID/cmdline) and the host (CPU,
 * kernel, memory).  Pure reads of /proc and uname; nothing is sent.
 */
#ifndef LAUNCHER_MIGPROV_H
#define LAUNCHER_MIGPROV_H

#include <sys/types.h>

struct json_object;
struct vm;

/*
 * {"qemu_cpu_ms": N, "vcpu_cpu_ms": [N, ...]} of QEMU pid, its vCPUs in
 * the order of cpus (query-cpus-fast's list: "thread-id" of each); a
 * figure that cannot be read (the thread gone) is null.  NULL when the
 * process is gone.
 */
struct json_object *migprov_cputimes(pid_t pid, struct json_object *cpus);
/* {"version", "emulator", "accel", "argv": [...]} of the VM's QEMU. */
struct json_object *migprov_qemu(const struct vm *);
/* {"hostname", "kernel", "machine", "cpu", "cpus", "memory_kib"} */
struct json_object *migprov_host(void);
/* Host CLOCK_REALTIME in microseconds since the epoch. */
long long	 migprov_real_us(void);

#endif
