/* qlaunch: vCPUs (setvcpus, vcpuinfo, vcpupin, emulatorpin), as virsh's. */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "cpukeys.h"
#include "jget.h"
#include "table.h"
#include "util.h"

static int
c_setvcpus(struct cli *cli, int argc, char **argv)
{
	struct scope sc = { 0, 0, 0 };
	int maximum = 0;
	const char *v[2] = { NULL, NULL }, *timeout = NULL;
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "count", 1, &v[1], NULL },
		{ "maximum", 0, NULL, &maximum },
		{ "timeout", 1, &timeout, NULL },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, 2);
	cli_scope_check(cli, &sc);
	if (maximum && sc.live)
		cli_usage_error(cli, "--maximum changes the definition only: "
		    "it goes with --config, not --live");
	long long n = cli_num("count", v[1], 1, CPU_MAX_VCPUS);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "count", json_object_new_int64(n));
	json_object_object_add(a, "live", json_object_new_boolean(sc.live));
	json_object_object_add(a, "config", json_object_new_boolean(
	    sc.config || maximum));
	json_object_object_add(a, "maximum", json_object_new_boolean(maximum));
	if (timeout != NULL)
		json_object_object_add(a, "timeout_ms", json_object_new_int64(
		    cli_num("--timeout", timeout, 1, 3600) * 1000));
	json_object_put(cli_call(cli, "setvcpus", a));
	return 0;
}

/* virsh's affinity column of vcpuinfo: y or - for each host CPU */
static void
affinity_map(const char *list, long ncpus, char *buf, size_t len)
{
	cpu_set_t set;
	char err[128];
	size_t i = 0;

	if (cpulist_parse(list, &set, err, sizeof(err)) == -1)
		CPU_ZERO(&set);
	for (long c = 0; c < ncpus && i + 1 < len; c++)
		buf[i++] = CPU_ISSET(c, &set) ? 'y' : '-';
	buf[i] = '\0';
}

static int
c_vcpuinfo(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	const char *v[1] = { NULL };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	char map[1024];

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *ret = cli_call(cli, "vcpuinfo",
	    cli_name_args(v[0]));
	if (json) {
		cli_print_json(ret);
		json_object_put(ret);
		return 0;
	}
	struct json_object *a = jget(ret, "vcpus");
	long ncpus = (long)jint(ret, "host_cpus", 1);
	for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		printf("%-15s %lld\n", "VCPU:", jint(e, "vcpu", -1));
		if (jget(e, "cpu") != NULL)
			printf("%-15s %lld\n", "CPU:", jint(e, "cpu", 0));
		printf("%-15s %s\n", "State:", jstr(e, "state"));
		if (jget(e, "cpu_time_ms") != NULL)
			printf("%-15s %.1fs\n", "CPU time:",
			    (double)jint(e, "cpu_time_ms", 0) / 1000.0);
		const char *aff = jstr(e, "affinity");
		if (aff != NULL) {
			affinity_map(aff, ncpus, map, sizeof(map));
			printf("%-15s %s\n", "CPU Affinity:", map);
		}
		printf("\n");
	}
	json_object_put(ret);
	return 0;
}

static int
pin_common(struct cli *cli, int argc, char **argv, int emulator)
{
	struct scope sc = { 0, 0, 0 };
	int json = 0;
	const char *v[3] = { NULL, NULL, NULL };
	const char **list = emulator ? &v[1] : &v[2];
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ emulator ? "cpulist" : "vcpu", 1, &v[1], NULL },
		{ "cpulist", 1, &v[2], NULL },
		{ "json", 0, NULL, &json },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, emulator ? nitems(o) :
	    nitems(o));

	cli_named_operands(cli, argc, argv, first, v, emulator ? 2 : 3, 1);
	if (!emulator && (v[1] == NULL) != (v[2] == NULL))
		cli_usage_error(cli, "a vCPU and a CPU list go together");
	cli_scope_check(cli, &sc);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "live", json_object_new_boolean(sc.live));
	json_object_object_add(a, "config", json_object_new_boolean(sc.config));
	if (*list != NULL) {
		json_object_object_add(a, "cpulist", json_object_new_string(
		    *list));
		if (!emulator)
			json_object_object_add(a, "vcpu", json_object_new_int64(
			    cli_num("vcpu", v[1], 0, CPU_MAX_VCPUS - 1)));
		json_object_put(cli_call(cli, emulator ? "emulatorpin" :
		    "vcpupin", a));
		return 0;
	}
	struct json_object *ret = cli_call(cli, emulator ? "emulatorpin" :
	    "vcpupin", a);
	if (json)
		cli_print_json(ret);
	else if (emulator) {
		printf(" emulator: CPU Affinity\n");
		printf("----------------------------------\n");
		printf("       *: %s\n\n", jstr(ret, "emulator"));
	} else {
		struct table *t = table_new(2, "VCPU", "CPU Affinity");
		struct json_object *e = jget(ret, "vcpus");
		char n[16];
		for (size_t i = 0; e != NULL &&
		    i < json_object_array_length(e); i++) {
			struct json_object *x = json_object_array_get_idx(e, i);
			snprintf(n, sizeof(n), "%lld", jint(x, "vcpu", 0));
			table_row(t, n, jstr(x, "affinity"));
		}
		table_print(t, stdout);
		table_free(t);
	}
	json_object_put(ret);
	return 0;
}

static int
c_vcpupin(struct cli *cli, int argc, char **argv)
{
	return pin_common(cli, argc, argv, 0);
}

static int
c_emulatorpin(struct cli *cli, int argc, char **argv)
{
	return pin_common(cli, argc, argv, 1);
}

const struct cmd cmds_cpu[] = {
	{ "setvcpus", NULL, c_setvcpus, "NAME COUNT [--maximum] [--timeout S] "
	    "[[--live] [--config] | [--current]]" },
	{ "vcpuinfo", NULL, c_vcpuinfo, "NAME [--json]" },
	{ "vcpupin", NULL, c_vcpupin, "NAME [VCPU CPULIST] [--json] "
	    "[[--live] [--config] | [--current]]" },
	{ "emulatorpin", NULL, c_emulatorpin, "NAME [CPULIST] [--json] "
	    "[[--live] [--config] | [--current]]" },
	{ NULL, NULL, NULL, NULL }
};
