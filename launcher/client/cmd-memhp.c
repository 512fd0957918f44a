/*
 * qlaunch: memory hot-plug (attach-memory, detach-memory): a DIMM as
 * virsh attach-device of <memory model='dimm'> makes one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "memhp.h"
#include "parse.h"
#include "util.h"

static void
add_scope(struct json_object *a, const struct scope *sc)
{
	json_object_object_add(a, "live", json_object_new_boolean(sc->live));
	json_object_object_add(a, "config",
	    json_object_new_boolean(sc->config));
}

static int
c_attach_memory(struct cli *cli, int argc, char **argv)
{
	struct scope sc = { 0, 0, 0 };
	const char *node = NULL;
	struct opt o[] = {
		{ "node", 1, &node, NULL },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	uint64_t bytes;
	const char *e;
	long long n;

	cli_operands(cli, argc, first, 2);
	cli_scope_check(cli, &sc);
	if (parse_size(argv[first + 1], &bytes, &e) == -1)
		cli_die("attach-memory: '%s': %s", argv[first + 1], e);
	if (bytes % (1 << 20) != 0 || bytes == 0)
		cli_die("attach-memory: '%s' is not a whole number of MiB",
		    argv[first + 1]);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "size_mib", json_object_new_int64(
	    (int64_t)(bytes >> 20)));
	if (node != NULL) {
		if (parse_uint(node, 0, 15, &n, &e) == -1)
			cli_die("attach-memory: --node '%s' is not 0 to 15", node);
		json_object_object_add(a, "node", json_object_new_int((int)n));
	}
	add_scope(a, &sc);
	json_object_put(cli_call(cli, "attach-memory", a));
	printf("VM %s: DIMM of %llu MiB attached\n", argv[first],
	    (unsigned long long)(bytes >> 20));
	return 0;
}

static int
c_detach_memory(struct cli *cli, int argc, char **argv)
{
	struct scope sc = { 0, 0, 0 };
	const char *timeout = NULL;
	struct opt o[] = {
		{ "timeout", 1, &timeout, NULL },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	const char *id, *e;
	long long n;

	cli_operands(cli, argc, first, 2);
	cli_scope_check(cli, &sc);
	id = argv[first + 1];
	if (strncmp(id, "memdimm", 7) == 0)
		id += 7;
	if (parse_uint(id, 0, 255, &n, &e) == -1)
		cli_die("detach-memory: '%s' is not a DIMM (memdimmN or N)",
		    argv[first + 1]);
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "id", json_object_new_int((int)n));
	add_scope(a, &sc);
	if (timeout != NULL)
		json_object_object_add(a, "timeout_ms", json_object_new_int64(
		    cli_num("--timeout", timeout, 1, 3600) * 1000));
	json_object_put(cli_call(cli, "detach-memory", a));
	printf("VM %s: DIMM memdimm%lld detached\n", argv[first], n);
	return 0;
}

/* setmem --hotplug: the virtio-mem device's requested size. */
int
memhp_setmem(struct cli *cli, const char *name, uint64_t bytes,
    const struct scope *sc)
{
	if (bytes % (1 << 20) != 0)
		cli_die("setmem: '%llu' bytes is not a whole number of MiB",
		    (unsigned long long)bytes);
	struct json_object *a = cli_name_args(name);
	json_object_object_add(a, "size_mib", json_object_new_int64(
	    (int64_t)(bytes >> 20)));
	add_scope(a, sc);
	json_object_put(cli_call(cli, "setmem-hotplug", a));
	printf("VM %s: virtio-mem requested size %llu MiB\n", name,
	    (unsigned long long)(bytes >> 20));
	return 0;
}

const struct cmd cmds_memhp[] = {
	{ "attach-memory", NULL, c_attach_memory, "NAME SIZE [--node N] "
	    "[[--live] [--config] | [--current]]" },
	{ "detach-memory", NULL, c_detach_memory, "NAME memdimmN "
	    "[--timeout S] [[--live] [--config] | [--current]]" },
	{ NULL, NULL, NULL, NULL }
};
