/* qlaunch: memory (setmem, memstat). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "memhp.h"
#include "util.h"

static int
c_setmem(struct cli *cli, int argc, char **argv)
{
	struct scope sc = { 0, 0, 0 };
	int hotplug = 0;
	struct opt o[] = {
		SCOPE_OPTS(sc),
		{ "hotplug", 0, NULL, &hotplug },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	uint64_t bytes;
	const char *e;

	cli_operands(cli, argc, first, 2);
	cli_scope_check(cli, &sc);
	if (parse_size(argv[first + 1], &bytes, &e) == -1)
		cli_die("setmem: '%s': %s", argv[first + 1], e);
	if (hotplug)	/* the virtio-mem device: cmd-memhp.c */
		return memhp_setmem(cli, argv[first], bytes, &sc);
	if (bytes % (1 << 20) != 0 || bytes == 0)
		cli_die("setmem: '%s' is not a whole number of MiB",
		    argv[first + 1]);
	unsigned long long mib = bytes >> 20;
	/* neither (or --current): the supervisor goes by the VM's state */
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "size_mib", json_object_new_int64(
	    (int64_t)mib));
	json_object_object_add(a, "live", json_object_new_boolean(sc.live));
	json_object_object_add(a, "config", json_object_new_boolean(sc.config));
	json_object_put(cli_call(cli, "setmem", a));
	if (sc.live && sc.config)
		printf("VM %s balloon target %llu MiB, and %llu MiB from its "
		    "next start\n", argv[first], mib, mib);
	else if (sc.live)
		printf("VM %s balloon target %llu MiB\n", argv[first], mib);
	else if (sc.config)
		printf("VM %s has %llu MiB from its next start\n", argv[first],
		    mib);
	else
		printf("VM %s memory set to %llu MiB\n", argv[first], mib);
	return 0;
}

static int
c_memstat(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	struct scope sc = { 0, 0, 0 };
	/* virsh's scope flags of dommemstat only matter with --period */
	struct opt o[] = {
		{ "json", 0, NULL, &json },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	cli_scope_check(cli, &sc);
	struct json_object *v = cli_call(cli, "memstat",
	    cli_name_args(argv[first])), *st;
	if (json) {
		cli_print_json(v);
		json_object_put(v);
		return 0;
	}
	printf("%-20s %lld\n", "actual", jint(v, "actual_kib", 0));
	/* guest statistics in KiB, as virsh dommemstat prints them */
	static const struct { const char *qemu, *virsh; } map[] = {
		{ "stat-swap-in", "swap_in" },
		{ "stat-swap-out", "swap_out" },
		{ "stat-major-faults", "major_fault" },
		{ "stat-minor-faults", "minor_fault" },
		{ "stat-free-memory", "unused" },
		{ "stat-total-memory", "available" },
		{ "stat-available-memory", "usable" },
		{ "stat-disk-caches", "disk_caches" },
	};
	if ((st = jget(v, "stats")) != NULL) {
		for (size_t i = 0; i < nitems(map); i++) {
			long long x = jint(st, map[i].qemu, -1);
			if (x < 0)
				continue;
			/* QEMU gives bytes, virsh prints KiB; faults are counts */
			int bytes = strstr(map[i].qemu, "faults") == NULL;
			printf("%-20s %lld\n", map[i].virsh, bytes ? x / 1024 : x);
		}
		if (jint(v, "last_update", 0) > 0)
			printf("%-20s %lld\n", "last_update",
			    jint(v, "last_update", 0));
	}
	json_object_put(v);
	return 0;
}

const struct cmd cmds_mem[] = {
	{ "setmem", NULL, c_setmem, "NAME SIZE [--hotplug] [[--live] "
	    "[--config] | [--current]]" },
	{ "memstat", "dommemstat", c_memstat, "NAME [--json] [[--live] "
	    "[--config] | [--current]]" },
	{ NULL, NULL, NULL, NULL }
};
