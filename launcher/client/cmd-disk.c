/*
 * qlaunch: disks (blklist, blkinfo, attach-disk, detach-disk,
 * change-media), with virsh's flags and words.  attach-disk sends the
 * disk as a definition line, in virt-install's --disk syntax, built here
 * from virsh's flags.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "props.h"
#include "table.h"
#include "xalloc.h"

/* A path as the supervisor needs it: absolute, from the current directory. */
static char *
abs_path(const char *p)
{
	char cwd[PATH_MAX];

	if (*p == '/' || *p == '\0')
		return xstrdup(p);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cli_die("cannot find the current directory: %s",
		    strerror(errno));
	return xasprintf("%s/%s", cwd, p);
}

static int
c_blklist(struct cli *cli, int argc, char **argv)
{
	int inactive = 0, details = 0, json = 0;
	const char *v[1] = { NULL };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "inactive", 0, NULL, &inactive },
		{ "details", 0, NULL, &details },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 1, 1);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "inactive", json_object_new_boolean(
	    inactive));
	struct json_object *ret = cli_call(cli, "blklist", a);
	if (!json_object_is_type(ret, json_type_array))
		cli_die("the disk list from qlaunchd is not an array");
	if (json) {
		cli_print_json(ret);
		json_object_put(ret);
		return 0;
	}
	struct table *t = details ?
	    table_new(4, "Type", "Device", "Target", "Source") :
	    table_new(2, "Target", "Source");
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *d = json_object_array_get_idx(ret, i);
		const char *type = jstr(d, "type");
		if (details)
			table_row(t, type != NULL ? type : "file",
			    jstr_or(d, "device", "-"), jstr_or(d, "target", "-"),
			    jstr_or(d, "source", "-"));
		else
			table_row(t, jstr_or(d, "target", "-"), jstr_or(d, "source", "-"));
	}
	table_print(t, stdout);
	table_free(t);
	json_object_put(ret);
	return 0;
}


/* One disk's sizes as virsh prints them: "-" when all are 0. */
static void
sizes(struct json_object *d, int hum, char out[3][32])
{
	static const char *const keys[3] = {
		"capacity", "allocation", "physical"
	};
	long long v[3];
	int zero = 1;

	for (int i = 0; i < 3; i++)
		if ((v[i] = jint(d, keys[i], 0)) != 0)
			zero = 0;
	for (int i = 0; i < 3; i++) {
		if (zero)
			strlcpy(out[i], "-", sizeof(out[i]));
		else if (hum)
			cli_size_str((unsigned long long)v[i], out[i],
			    sizeof(out[i]));
		else
			snprintf(out[i], sizeof(out[i]), "%lld", v[i]);
	}
}

static int
c_blkinfo(struct cli *cli, int argc, char **argv)
{
	int hum = 0, all = 0, json = 0;
	const char *v[2] = { NULL, NULL };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "device", 1, &v[1], NULL },
		{ "human", 0, NULL, &hum },
		{ "all", 0, NULL, &all },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	char s[3][32];

	cli_named_operands(cli, argc, argv, first, v, 2, all ? 1 : 2);
	if (all && v[1] != NULL)
		cli_usage_error(cli, "--all and a target are mutually "
		    "exclusive");
	struct json_object *a = cli_name_args(v[0]);
	if (!all)
		json_object_object_add(a, "target", json_object_new_string(
		    v[1]));
	struct json_object *ret = cli_call(cli, "blkinfo", a);
	if (json)
		cli_print_json(ret);
	else if (all) {
		if (!json_object_is_type(ret, json_type_array))
			cli_die("the disk sizes from qlaunchd are not an "
			    "array");
		struct table *t = table_new(4, "Target", "Capacity",
		    "Allocation", "Physical");
		for (size_t i = 0; i < json_object_array_length(ret); i++) {
			struct json_object *d = json_object_array_get_idx(ret,
			    i);
			sizes(d, hum, s);
			table_row(t, jstr_or(d, "target", "-"), s[0], s[1], s[2]);
		}
		table_print(t, stdout);
		table_free(t);
	} else {
		sizes(ret, hum, s);
		printf("%-15s %s\n", "Capacity:", s[0]);
		printf("%-15s %s\n", "Allocation:", s[1]);
		printf("%-15s %s\n", "Physical:", s[2]);
	}
	json_object_put(ret);
	return 0;
}

static const char *const buses[] = {
	"virtio", "scsi", "sata", "ide", "usb", "fdc", NULL
};
static const char *const caches[] = {
	"none", "writethrough", "writeback", "directsync", "unsafe", "default",
	NULL
};
static const char *const ios[] = {
	"threads", "native", "io_uring", "default", NULL
};
static const char *const types[] = { "disk", "cdrom", "floppy", NULL };
static const char *const modes[] = { "readonly", "shareable", NULL };
static const char *const sourcetypes[] = { "file", "block", NULL };
static const char *const drivers[] = { "qemu", NULL };

/* A format name as qemu-img spells one: raw, qcow2, vmdk, ... */
static int
plain_word(const char *s)
{
	return *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789"
	    "_-") == strlen(s);
}

static int
c_attach_disk(struct cli *cli, int argc, char **argv)
{
	const char *v[3] = { NULL, NULL, NULL };
	const char *bus = NULL, *driver = NULL, *sub = NULL, *cache = NULL;
	const char *io = NULL, *type = NULL, *mode = NULL, *srctype = NULL;
	const char *serial = NULL, *iothread = NULL;
	int persistent = 0, print = 0;
	struct scope sc = { 0, 0, 0 };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "source", 1, &v[1], NULL },
		{ "target", 1, &v[2], NULL },
		{ "targetbus", 1, &bus, NULL },
		{ "driver", 1, &driver, NULL },
		{ "subdriver", 1, &sub, NULL },
		{ "cache", 1, &cache, NULL },
		{ "io", 1, &io, NULL },
		{ "type", 1, &type, NULL },
		{ "mode", 1, &mode, NULL },
		{ "sourcetype", 1, &srctype, NULL },
		{ "serial", 1, &serial, NULL },
		{ "iothread", 1, &iothread, NULL },
		{ "persistent", 0, NULL, &persistent },
		{ "print-xml", 0, NULL, &print },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 3, 3);
	if (*v[2] == '\0')
		cli_usage_error(cli, "the target is empty (vdb, sdb, hdc, ...)");
	cli_one_of(cli, "targetbus", bus, buses);
	cli_one_of(cli, "driver", driver, drivers);
	cli_one_of(cli, "cache", cache, caches);
	cli_one_of(cli, "io", io, ios);
	cli_one_of(cli, "type", type, types);
	cli_one_of(cli, "mode", mode, modes);
	cli_one_of(cli, "sourcetype", srctype, sourcetypes);
	if (sub != NULL && !plain_word(sub))
		cli_usage_error(cli, "--subdriver '%s': not a format (raw, "
		    "qcow2, ...)", sub);
	if (*v[1] == '\0' && (type == NULL || strcmp(type, "disk") == 0))
		cli_usage_error(cli, "a disk needs a source; only a cdrom or "
		    "floppy may be empty");
	cli_scope_persistent(cli, &sc, persistent);

	/* the disk line: virt-install's --disk, commas doubled */
	char *line = NULL, *path = abs_path(v[1]);
	static const char *const keys[] = {
		"path", "target", "format", "bus", "cache", "aio", "device",
		"serial", "iothread"
	};
	const char *vals[] = {
		*path != '\0' ? path : NULL, v[2], sub, bus,
		cache != NULL && strcmp(cache, "default") != 0 ? cache : NULL,
		io != NULL && strcmp(io, "default") != 0 ? io : NULL,
		type, serial, iothread
	};
	for (size_t i = 0; i < nitems(keys); i++) {
		if (vals[i] == NULL)
			continue;
		char *e = props_escape(vals[i]);
		char *n = xasprintf("%s%s%s=%s", line != NULL ? line : "",
		    line != NULL ? "," : "", keys[i], e);
		free(e);
		free(line);
		line = n;
	}
	if (mode != NULL) {
		char *n = xasprintf("%s,%s=on", line, mode);
		free(line);
		line = n;
	}
	free(path);
	if (print) {
		printf("disk: %s\n", line);
		free(line);
		return 0;
	}
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "disk", json_object_new_string(line));
	free(line);
	cli_scope_args(cli, a, v[0], &sc, persistent);
	json_object_put(cli_call(cli, "attach-disk", a));
	printf("Disk attached successfully\n");
	return 0;
}

static int
c_detach_disk(struct cli *cli, int argc, char **argv)
{
	const char *v[2] = { NULL, NULL };
	int persistent = 0;
	struct scope sc = { 0, 0, 0 };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "target", 1, &v[1], NULL },
		{ "persistent", 0, NULL, &persistent },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 2, 2);
	cli_scope_persistent(cli, &sc, persistent);
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "target", json_object_new_string(v[1]));
	cli_scope_args(cli, a, v[0], &sc, persistent);
	json_object_put(cli_call(cli, "detach-disk", a));
	printf("Disk detached successfully\n");
	return 0;
}

static int
c_change_media(struct cli *cli, int argc, char **argv)
{
	const char *v[3] = { NULL, NULL, NULL };
	int eject = 0, insert = 0, update = 0, force = 0, block = 0;
	struct scope sc = { 0, 0, 0 };
	struct opt o[] = {
		{ "domain", 1, &v[0], NULL },
		{ "path", 1, &v[1], NULL },
		{ "source", 1, &v[2], NULL },
		{ "eject", 0, NULL, &eject },
		{ "insert", 0, NULL, &insert },
		{ "update", 0, NULL, &update },
		{ "force", 0, NULL, &force },
		{ "block", 0, NULL, &block },
		SCOPE_OPTS(sc),
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_named_operands(cli, argc, argv, first, v, 3, 2);
	if (eject + insert + update > 1)
		cli_usage_error(cli, "--eject, --insert and --update are "
		    "mutually exclusive");
	if (eject && v[2] != NULL)
		cli_usage_error(cli, "--eject takes no source");
	if (insert && v[2] == NULL)
		cli_usage_error(cli, "--insert needs a source");
	cli_scope_check(cli, &sc);
	if (!eject && !insert)
		update = 1;
	/* --update without a source ejects, as in virsh */
	struct json_object *a = cli_name_args(v[0]);
	json_object_object_add(a, "target", json_object_new_string(v[1]));
	if (v[2] != NULL) {
		char *p = abs_path(v[2]);
		json_object_object_add(a, "source", json_object_new_string(p));
		free(p);
	}
	json_object_object_add(a, "eject", json_object_new_boolean(
	    v[2] == NULL));
	json_object_object_add(a, "force", json_object_new_boolean(force));
	json_object_object_add(a, "live", json_object_new_boolean(sc.live));
	json_object_object_add(a, "config", json_object_new_boolean(
	    sc.config));
	json_object_put(cli_call(cli, "change-media", a));
	printf("Successfully %s media.\n", eject ? "ejected" : insert ?
	    "inserted" : "updated");
	return 0;
}

const struct cmd cmds_disk[] = {
	{ "blklist", "domblklist", c_blklist, "NAME [--inactive] [--details] "
	    "[--json]" },
	{ "blkinfo", "domblkinfo", c_blkinfo, "NAME TARGET|--all [--human] "
	    "[--json]" },
	{ "attach-disk", NULL, c_attach_disk, "NAME SOURCE TARGET "
	    "[--targetbus BUS] [--driver qemu] [--subdriver FORMAT] "
	    "[--cache MODE] [--io threads|native|io_uring] "
	    "[--type disk|cdrom|floppy] [--mode readonly|shareable] "
	    "[--sourcetype file|block] [--serial S] [--iothread ID] "
	    "[--print-xml] "
	    "[[--live] [--config] | [--current] | [--persistent]]" },
	{ "detach-disk", NULL, c_detach_disk, "NAME TARGET [[--live] "
	    "[--config] | [--current] | [--persistent]]" },
	{ "change-media", NULL, c_change_media, "NAME TARGET [SOURCE] "
	    "[--eject | --insert | --update] [--force] [[--live] [--config] | "
	    "[--current]]" },
	{ NULL, NULL, NULL, NULL }
};
