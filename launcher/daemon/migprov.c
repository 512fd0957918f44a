/* CPU times and provenance of a migration (migprov.h). */
#include <sys/utsname.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "jget.h"
#include "migprov.h"
#include "proc.h"
#include "vm.h"

static struct json_object *
ms_or_null(long long ms)
{
	return ms >= 0 ? json_object_new_int64(ms) : NULL;
}

struct json_object *
migprov_cputimes(pid_t pid, struct json_object *cpus)
{
	long long q = pid > 0 ? proc_cputime_ms(pid) : -1;
	size_t n = json_object_is_type(cpus, json_type_array) ?
	    json_object_array_length(cpus) : 0;

	if (q < 0)
		return NULL;
	struct json_object *o = json_object_new_object(),
	    *a = json_object_new_array();
	json_object_object_add(o, "qemu_cpu_ms", json_object_new_int64(q));
	for (size_t i = 0; i < n; i++) {
		long long tid = jint(json_object_array_get_idx(cpus, i),
		    "thread-id", -1);
		json_object_array_add(a, ms_or_null(tid > 0 ?
		    proc_task_cputime_ms(pid, (pid_t)tid) : -1));
	}
	json_object_object_add(o, "vcpu_cpu_ms", a);
	return o;
}

/* /proc/PID/cmdline as an array of strings (empty when gone). */
static struct json_object *
proc_argv(pid_t pid)
{
	struct json_object *a = json_object_new_array();
	char path[64], *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if (pid <= 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return a;
	for (;;) {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap + 8192);
			if (nb == NULL)
				break;
			buf = nb;
			cap += 8192;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		buf[len] = '\0';
		json_object_array_add(a, json_object_new_string(buf + i));
	}
	free(buf);
	return a;
}

struct json_object *
migprov_qemu(const struct vm *vm)
{
	struct json_object *o = json_object_new_object();
	char v[48];

	snprintf(v, sizeof(v), "%d.%d.%d", vm->qemu_major, vm->qemu_minor,
	    vm->qemu_micro);
	json_object_object_add(o, "version", json_object_new_string(v));
	json_object_object_add(o, "emulator", json_object_new_string(
	    vm->emulator));
	json_object_object_add(o, "accel", json_object_new_string(
	    vm->accel == ACCEL_KVM ? "kvm" : "tcg"));
	json_object_object_add(o, "argv", proc_argv(vm->pid));
	return o;
}

/* The value of the first line of file starting with key, trimmed. */
static struct json_object *
file_field(const char *file, const char *key)
{
	FILE *f = fopen(file, "re");
	char line[512];
	size_t kl = strlen(key);
	struct json_object *v = NULL;

	if (f == NULL)
		return NULL;
	while (v == NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, kl) != 0)
			continue;
		char *p = line + kl;
		p += strspn(p, " \t:");
		p[strcspn(p, "\n")] = '\0';
		v = json_object_new_string(p);
	}
	fclose(f);
	return v;
}

struct json_object *
migprov_host(void)
{
	struct json_object *o = json_object_new_object(), *mem;
	struct utsname u;

	if (uname(&u) == 0) {
		char k[sizeof(u.release) + sizeof(u.version) + 2];
		snprintf(k, sizeof(k), "%s %s", u.release, u.version);
		json_object_object_add(o, "hostname", json_object_new_string(
		    u.nodename));
		json_object_object_add(o, "kernel", json_object_new_string(k));
		json_object_object_add(o, "machine", json_object_new_string(
		    u.machine));
	}
	json_object_object_add(o, "cpu", file_field("/proc/cpuinfo",
	    "model name"));
	json_object_object_add(o, "cpus", json_object_new_int64(
	    sysconf(_SC_NPROCESSORS_ONLN)));
	/* "MemTotal:       16318000 kB" */
	if ((mem = file_field("/proc/meminfo", "MemTotal")) != NULL) {
		json_object_object_add(o, "memory_kib", json_object_new_int64(
		    strtoll(json_object_get_string(mem), NULL, 10)));
		json_object_put(mem);
	}
	json_object_object_add(o, "qlaunch_version", json_object_new_string(
	    QLAUNCH_VERSION));
	return o;
}

long long
migprov_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
