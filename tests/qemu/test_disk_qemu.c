/*
 * Disks against the real QEMU under TCG.
 *
 * The golden command lines with disks (tests/golden/NAME.conf) started: each image path is replaced by a small
 * image made with qemu-img in the format its format node names (a block
 * device by a loop device, as root), a kernel by the test guest's, the
 * runtime directory by a temporary one, KVM by TCG; everything else is
 * the argv cmdline_build gives.  Then QMP must show every node by its
 * name, driver and read-only flag (query-named-block-nodes), and every
 * drive on its device with its medium (query-block) and with the cache
 * mode its disk line names as QEMU itself means that mode: the same
 * {writeback, direct, no-flush} as a reference QEMU's "-drive cache=MODE".
 *
 * The supervisor's steps (vmdef_disk_plug, _unplug, _change_media) run
 * one by one, as its jobs run them, on the test guest booted from a
 * definition: the guest sees a plugged disk by its serial and loses it
 * again, scsi0 comes and goes with its disks, a cdrom changes media with
 * the same node names, and the undo steps take a plug back.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "cmdline.h"
#include "props.h"
#include "qmp.h"
#include "testutil.h"
#include "util.h"
#include "vmdef.h"

/* Run argv; its first line of output in out.  0 when it exits 0. */
static int
run_out(char *const argv[], char *out, size_t len)
{
	int fd[2], st;
	pid_t pid;

	if (pipe(fd) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	ssize_t n = read(fd[0], out, len - 1);
	close(fd[0]);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static const char *
qemu_img(void)
{
	const char *q = getenv("QEMU_IMG");

	return q != NULL && *q != '\0' ? q : QLAUNCH_QEMU_IMG;
}

struct golden {
	char			*dir;		/* temporary */
	struct argv		 a;
	char			 loops[4][64];	/* loop devices to detach */
	int			 nloops;
	int			 skip;		/* why printed */
};

static struct json_object *
parse_json(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

/* The format node's driver for a file node, from the argv. */
static const char *
format_of(struct argv *a, const char *file, char *buf, size_t len)
{
	struct json_object *o, *f, *drv;

	strlcpy(buf, "raw", len);
	for (size_t i = 0; i + 1 < a->n; i++) {
		if (strcmp(a->v[i], "-blockdev") != 0)
			continue;
		o = parse_json(a->v[i + 1]);
		if (json_object_object_get_ex(o, "file", &f) &&
		    strcmp(json_object_get_string(f), file) == 0 &&
		    json_object_object_get_ex(o, "driver", &drv))
			strlcpy(buf, json_object_get_string(drv), len);
		json_object_put(o);
	}
	return buf;
}

/* A real medium for one file node; its new filename in path. */
static int
make_medium(struct golden *g, struct json_object *o, char *path, size_t len)
{
	const char *drv = json_object_get_string(json_object_object_get(o,
	    "driver"));
	const char *name = json_object_get_string(json_object_object_get(o,
	    "filename"));
	const char *node = json_object_get_string(json_object_object_get(o,
	    "node-name"));
	const char *base = strrchr(name, '/') + 1;
	char fmt[32], *argv[8];

	/* the base name kept: commas and spaces reach QEMU as written */
	snprintf(path, len, "%s/%s-%s", g->dir, node, base);
	format_of(&g->a, node, fmt, sizeof(fmt));
	argv[0] = (char *)qemu_img();
	argv[1] = "create";
	argv[2] = "-q";
	argv[3] = "-f";
	argv[4] = strcmp(drv, "file") == 0 ? fmt : "raw";
	argv[5] = path;
	argv[6] = "16M";
	argv[7] = NULL;
	char out[256];
	if (run_out(argv, out, sizeof(out)) == -1)
		fail_msg("qemu-img create %s failed", path);
	if (strcmp(drv, "file") == 0)
		return 0;
	/* host_device, host_cdrom: a loop device over it */
	if (geteuid() != 0) {
		print_message("skipped: %s needs a loop device (root)\n", name);
		g->skip = 1;
		return -1;
	}
	char *lo[] = { "losetup", "-f", "--show", path, NULL };
	if (run_out(lo, out, sizeof(out)) == -1 || strncmp(out, "/dev/", 5))
		fail_msg("losetup %s failed", path);
	strlcpy(g->loops[g->nloops++], out, sizeof(g->loops[0]));
	strlcpy(path, out, len);
	return 0;
}

static void
set_arg(struct argv *a, size_t i, const char *s)
{
	free(a->v[i]);
	a->v[i] = xstrdup(s);
}

/* The argv of one golden with real paths; -1 when it must be skipped. */
static int
prepare(struct golden *g, const char *conf)
{
	char err[512], path[1024], gpath[1024];
	struct vmpaths p;
	const char *guest = tu_guest_dir();
	char *text = tu_slurp(conf, NULL);

	memset(g, 0, sizeof(*g));
	assert_non_null(text);
	struct vmdef *d = vmdef_parse(text, conf, err, sizeof(err));
	free(text);
	if (d == NULL)
		fail_msg("%s", err);
	g->dir = tu_mkdtemp("golden");
	assert_int_equal(vmpaths_init(&p, g->dir, d->name, err, sizeof(err)), 0);
	assert_int_equal(mkdirs(p.qdir, 0700), 0);
	if (cmdline_build(d, &p, ACCEL_TCG, tu_qemu(), &g->a, err,
	    sizeof(err)) == -1)
		fail_msg("%s: %s", conf, err);
	vmdef_free(d);
	for (size_t i = 0; i + 1 < g->a.n; i++) {
		const char *o = g->a.v[i], *v = g->a.v[i + 1];
		if (strcmp(o, "-cpu") == 0 && strcmp(v, "host") == 0)
			set_arg(&g->a, i + 1, "max");
		if (strcmp(o, "-kernel") == 0 || strcmp(o, "-initrd") == 0) {
			if (guest == NULL) {
				print_message("skipped: no test guest\n");
				g->skip = 1;
				return -1;
			}
			snprintf(gpath, sizeof(gpath), "%s/%s", guest,
			    strcmp(o, "-kernel") == 0 ? "bzImage" :
			    "initrd.img");
			set_arg(&g->a, i + 1, gpath);
		}
		if (strcmp(o, "-blockdev") != 0)
			continue;
		struct json_object *n = parse_json(v), *fn;
		if (json_object_object_get_ex(n, "filename", &fn)) {
			if (make_medium(g, n, path, sizeof(path)) == -1) {
				json_object_put(n);
				return -1;
			}
			json_object_object_add(n, "filename",
			    json_object_new_string(path));
			set_arg(&g->a, i + 1, json_object_to_json_string_ext(n,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
		}
		json_object_put(n);
	}
	return 0;
}

static void
cleanup(struct golden *g)
{
	for (int i = 0; i < g->nloops; i++) {
		char out[64], *lo[] = { "losetup", "-d", g->loops[i], NULL };
		run_out(lo, out, sizeof(out));
	}
	argv_free(&g->a);
	tu_rmtree(g->dir);
	free(g->dir);
}

static struct json_object *
qmp_run(struct qmp_sync *s, const char *cmd)
{
	struct qmp_reply r;

	if (qmp_sync_execute(s, cmd, NULL, 10000, &r) != 0)
		fail_msg("%s: %s: %s", cmd, r.eclass, r.edesc);
	struct json_object *ret = json_object_get(r.ret);
	qmp_reply_clear(&r);
	return ret;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	    json_object_get_string(v) : NULL;
}

static int
jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_get_boolean(v);
}

/*
 * QEMU's own meaning of each cache mode: the {writeback, direct,
 * no-flush} query-block shows for "-drive cache=MODE", from a reference
 * QEMU started once.
 */
static const char *const cache_modes[] = {
	"none", "writeback", "writethrough", "directsync", "unsafe",
};
#define NMODES	(sizeof(cache_modes) / sizeof(cache_modes[0]))
static struct json_object *oracle[NMODES];

static void
cache_oracle(void)
{
	char *dir = tu_mkdtemp("cache"), img[600], qmp[600], qopt[700],
	    log[600], drive[NMODES][800], err[256], out[64];
	char *argv[32];
	int n = 0;

	snprintf(img, sizeof(img), "%s/x.raw", dir);
	snprintf(qmp, sizeof(qmp), "%s/qmp.sock", dir);
	snprintf(log, sizeof(log), "%s/qemu.log", dir);
	snprintf(qopt, sizeof(qopt), "unix:%s,server=on,wait=off", qmp);
	char *mk[] = { (char *)qemu_img(), "create", "-q", "-f", "raw", img,
	    "1M", NULL };
	assert_int_equal(run_out(mk, out, sizeof(out)), 0);
	argv[n++] = (char *)tu_qemu();
	argv[n++] = "-S";
	argv[n++] = "-nodefaults";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-accel";
	argv[n++] = "tcg";
	argv[n++] = "-qmp";
	argv[n++] = qopt;
	for (size_t i = 0; i < NMODES; i++) {
		snprintf(drive[i], sizeof(drive[i]), "if=none,id=%s,format=raw,"
		    "readonly=on,cache=%s,file=%s", cache_modes[i],
		    cache_modes[i], img);
		argv[n++] = "-drive";
		argv[n++] = drive[i];
	}
	argv[n] = NULL;
	pid_t pid = tu_spawn(argv, log);
	struct qmp_sync *s = qmp_sync_open(qmp, 10000, NULL, err, sizeof(err));
	if (s == NULL)
		fail_msg("reference QEMU: %s", err);
	struct json_object *blk = qmp_run(s, "query-block");
	for (size_t j = 0; j < json_object_array_length(blk); j++) {
		struct json_object *e = json_object_array_get_idx(blk, j), *ins;
		for (size_t i = 0; i < NMODES; i++)
			if (strcmp(jstr(e, "device"), cache_modes[i]) == 0 &&
			    json_object_object_get_ex(e, "inserted", &ins))
				oracle[i] = json_object_get(
				    json_object_object_get(ins, "cache"));
	}
	json_object_put(blk);
	qmp_sync_close(s);
	kill(pid, SIGTERM);
	tu_reap(pid, 5000);
	tu_rmtree(dir);
	free(dir);
	for (size_t i = 0; i < NMODES; i++)
		assert_non_null(oracle[i]);
}

/* The cache mode each disk line names, by target; NULL: none given. */
static const char *
cache_of(const char *conf, const char *target, char *buf, size_t len)
{
	char err[512], *text = tu_slurp(conf, NULL), *line, *next;
	struct vmdef *d = vmdef_parse(text, conf, err, sizeof(err));
	struct vmdef_disk vd;
	const char *r = NULL;
	size_t i = 0;

	assert_non_null(d);
	for (line = text; line != NULL && r == NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "disk:", 5) != 0)
			continue;
		assert_int_equal(vmdef_disk_get(d, i++, &vd), 0);
		if (strcmp(vd.target, target) != 0)
			continue;
		struct props p;
		assert_int_equal(props_parse(line + 5 + strspn(line + 5, " "),
		    &p, err, sizeof(err)), 0);
		const char *c = props_get(&p, "cache");
		if (c == NULL)
			c = props_get(&p, "driver.cache");
		if (c != NULL)
			r = strlcpy(buf, c, len) < len ? buf : NULL;
		props_free(&p);
		break;
	}
	vmdef_free(d);
	free(text);
	return r;
}

/* Every -blockdev node exists, with its driver. */
static void
check_nodes(struct golden *g, struct qmp_sync *s, const char *name)
{
	struct json_object *nodes = qmp_run(s, "query-named-block-nodes");

	for (size_t i = 0; i + 1 < g->a.n; i++) {
		if (strcmp(g->a.v[i], "-blockdev") != 0)
			continue;
		struct json_object *want = parse_json(g->a.v[i + 1]);
		const char *nn = jstr(want, "node-name");
		int found = 0;
		for (size_t j = 0; j < json_object_array_length(nodes); j++) {
			struct json_object *n = json_object_array_get_idx(nodes,
			    j);
			if (strcmp(jstr(n, "node-name"), nn) != 0)
				continue;
			found = 1;
			assert_string_equal(jstr(n, "drv"), jstr(want, "driver"));
			assert_int_equal(jbool(n, "ro"), jbool(want, "read-only"));
		}
		if (!found)
			fail_msg("%s: node %s is not in QEMU", name, nn);
		json_object_put(want);
	}
	json_object_put(nodes);
}

/*
 * Every -device with a drive shows it inserted, with its cache mode; an
 * empty drive shows none.
 */
static void
check_block(struct golden *g, struct qmp_sync *s, const char *name,
    const char *conf)
{
	struct json_object *blk = qmp_run(s, "query-block");
	int drives = 0, modes = 0;

	for (size_t i = 0; i + 1 < g->a.n; i++) {
		if (strcmp(g->a.v[i], "-device") != 0)
			continue;
		struct json_object *dev = parse_json(g->a.v[i + 1]), *b = NULL,
		    *ins, *cache;
		const char *id = jstr(dev, "id"), *drv = jstr(dev, "driver");
		char pre[128];
		if (strncmp(drv, "virtio-blk", 10) != 0 &&
		    strcmp(drv, "scsi-hd") != 0 && strcmp(drv, "scsi-cd") &&
		    strncmp(drv, "ide-", 4) != 0 && strcmp(drv, "floppy") != 0) {
			json_object_put(dev);
			continue;
		}
		drives++;
		snprintf(pre, sizeof(pre), "/machine/peripheral/%s/", id);
		for (size_t j = 0; j < json_object_array_length(blk); j++) {
			struct json_object *e = json_object_array_get_idx(blk, j);
			const char *q = jstr(e, "qdev");
			if (q != NULL && (strcmp(q, id) == 0 ||
			    strncmp(q, pre, strlen(pre)) == 0))
				b = e;
		}
		if (b == NULL)
			fail_msg("%s: device %s is not in query-block", name, id);
		const char *drive = jstr(dev, "drive");
		int has = json_object_object_get_ex(b, "inserted", &ins);
		if (drive == NULL) {
			if (has)
				fail_msg("%s: %s should be empty", name, id);
			json_object_put(dev);
			continue;
		}
		if (!has)
			fail_msg("%s: %s has no medium", name, id);
		assert_string_equal(jstr(ins, "node-name"), drive);
		/* the cache mode as QEMU itself means it */
		char mode[32];
		if (cache_of(conf, id, mode, sizeof(mode)) != NULL) {
			cache = json_object_object_get(ins, "cache");
			size_t m = 0;
			while (m < NMODES && strcmp(cache_modes[m], mode) != 0)
				m++;
			assert_true(m < NMODES);
			if (!json_object_equal(cache, oracle[m]))
				fail_msg("%s: %s: cache=%s gives %s, QEMU's "
				    "-drive cache=%s %s", name, id, mode,
				    json_object_to_json_string(cache), mode,
				    json_object_to_json_string(oracle[m]));
			modes++;
		}
		json_object_put(dev);
	}
	print_message("%s: %d drives, %d cache modes as QEMU means them\n",
	    name, drives, modes);
	json_object_put(blk);
}

static int
has_disk(const char *conf)
{
	char *t = tu_slurp(conf, NULL);
	int r = t != NULL && strstr(t, "\ndisk:") != NULL;

	free(t);
	return r;
}

static void
test_goldens_start(void **state)
{
	char dir[4096], conf[4600], qmp[1200], log[1200], err[256];
	int n = 0;

	(void)state;
	cache_oracle();
	snprintf(dir, sizeof(dir), "%s/tests/golden", QLAUNCH_SRCDIR);
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		snprintf(conf, sizeof(conf), "%s/%s", dir, de->d_name);
		if (!has_disk(conf))
			continue;
		struct golden g;
		if (prepare(&g, conf) == -1) {
			cleanup(&g);
			continue;
		}
		snprintf(log, sizeof(log), "%s/qemu.log", g.dir);
		for (size_t i = 0; i + 1 < g.a.n; i++)
			if (strcmp(g.a.v[i], "-chardev") == 0 &&
			    strncmp(g.a.v[i + 1], "socket,id=qmp,path=", 19) == 0)
				snprintf(qmp, sizeof(qmp), "%.*s",
				    (int)strcspn(g.a.v[i + 1] + 19, ","),
				    g.a.v[i + 1] + 19);
		pid_t pid = tu_spawn(g.a.v, log);
		assert_true(pid > 0);
		struct qmp_sync *s = qmp_sync_open(qmp, 10000, NULL, err,
		    sizeof(err));
		if (s == NULL) {
			char *said = tu_slurp(log, NULL);
			fail_msg("%s: QMP: %s; QEMU said: %s", de->d_name, err,
			    said ? said : "");
		}
		check_nodes(&g, s, de->d_name);
		check_block(&g, s, de->d_name, conf);
		qmp_sync_close(s);
		kill(pid, SIGTERM);
		tu_reap(pid, 5000);
		cleanup(&g);
		n++;
	}
	closedir(dp);
	for (size_t i = 0; i < NMODES; i++)
		json_object_put(oracle[i]);
	print_message("%d golden command lines started\n", n);
	assert_true(n >= 12);
}

/* ---- the supervisor's steps on a running guest ---- */

struct guest {
	char		*dir;
	struct vmdef	*d;
	pid_t		 pid;
	struct qmp_sync	*s;
	int		 con;		/* the serial console */
};

/* Run one step as a job would: device_del waits for DEVICE_DELETED. */
static void
run_one(struct guest *g, const char *cmd, struct json_object *args)
{
	struct qmp_reply r;
	const char *id = strcmp(cmd, "device_del") == 0 ? jstr(args, "id") :
	    NULL;
	char idbuf[64] = "";

	if (id != NULL)
		strlcpy(idbuf, id, sizeof(idbuf));
	if (qmp_sync_execute(g->s, cmd, json_object_get(args), 20000, &r) != 0)
		fail_msg("%s %s: %s: %s", cmd, json_object_to_json_string(args),
		    r.eclass, r.edesc);
	qmp_reply_clear(&r);
	while (*idbuf != '\0') {
		struct json_object *ev = qmp_sync_wait_event(g->s,
		    "DEVICE_DELETED", 30000), *data;
		if (ev == NULL)
			fail_msg("no DEVICE_DELETED for %s", idbuf);
		const char *dev = json_object_object_get_ex(ev, "data", &data) ?
		    jstr(data, "device") : NULL;
		int done = dev != NULL && strcmp(dev, idbuf) == 0;
		json_object_put(ev);
		if (done)
			break;
	}
}

/* Steps [0, n) forward; then, if undo, the undos of the same in reverse. */
static void
run_steps(struct guest *g, struct json_object *steps, size_t n, int undo)
{
	struct json_object *st, *a, *u;

	for (size_t i = 0; i < n; i++) {
		st = json_object_array_get_idx(steps, i);
		a = json_object_object_get(st, "arguments");
		run_one(g, jstr(st, "execute"), a);
	}
	for (size_t i = n; undo && i-- > 0;) {
		st = json_object_array_get_idx(steps, i);
		if (!json_object_object_get_ex(st, "undo", &u))
			fail_msg("step %zu has no undo", i);
		run_one(g, jstr(u, "execute"),
		    json_object_object_get(u, "arguments"));
	}
}

/* A shell command on the guest's console; its output until the marker. */
static char *
guest_sh(struct guest *g, const char *cmd)
{
	char line[512], *out = xstrdup(""), *l;

	/* output may end without a newline: one before the marker */
	snprintf(line, sizeof(line), "%s; echo; echo @@DONE\n", cmd);
	tu_write_str(g->con, line);
	while ((l = tu_read_line(g->con, NULL, 20000)) != NULL) {
		l[strcspn(l, "\r")] = '\0';
		size_t len = strlen(l);
		/* the marker, after the prompt; not the echoed command */
		if (len >= 6 && strcmp(l + len - 6, "@@DONE") == 0 &&
		    strstr(l, "echo @@DONE") == NULL) {
			free(l);
			return out;
		}
		char *n = xasprintf("%s%s\n", out, l);
		free(out);
		free(l);
		out = n;
	}
	fail_msg("no answer from the guest to '%s': %s", cmd, out);
	return NULL;
}

static void
img(const char *dir, const char *name, const char *fmt)
{
	char path[700], out[64];
	char *argv[] = { (char *)qemu_img(), "create", "-q", "-f", (char *)fmt,
	    path, "16M", NULL };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(run_out(argv, out, sizeof(out)), 0);
}

static int
has_node(struct guest *g, const char *name)
{
	struct json_object *nodes = qmp_run(g->s, "query-named-block-nodes");
	int found = 0;

	for (size_t j = 0; j < json_object_array_length(nodes); j++)
		found |= strcmp(jstr(json_object_array_get_idx(nodes, j),
		    "node-name"), name) == 0;
	json_object_put(nodes);
	return found;
}

/* query-block's medium of device id: its file, or "" when empty. */
static void
medium_of(struct guest *g, const char *id, char *buf, size_t len)
{
	struct json_object *blk = qmp_run(g->s, "query-block"), *ins;

	*buf = '\0';
	for (size_t j = 0; j < json_object_array_length(blk); j++) {
		struct json_object *e = json_object_array_get_idx(blk, j);
		if (jstr(e, "qdev") == NULL || strcmp(jstr(e, "qdev"), id) != 0)
			continue;
		if (json_object_object_get_ex(e, "inserted", &ins)) {
			assert_string_equal(jstr(ins, "node-name"), "fmt-hda");
			strlcpy(buf, jstr(ins, "file"), len);
		}
	}
	json_object_put(blk);
}

static void
plug(struct guest *g, const char *fmt, size_t *ip, struct json_object **steps)
{
	char value[700], err[512];

	snprintf(value, sizeof(value), fmt, g->dir);
	if (vmdef_disk_plug(g->d, value, ip, steps, err, sizeof(err)) == -1)
		fail_msg("plug %s: %s", value, err);
}

static void
test_disk_steps(void **state)
{
	const char *gdir = tu_guest_dir();
	char text[2048], err[512], path[700], buf[700];
	struct json_object *steps;
	struct vmpaths p;
	struct argv a;
	struct guest g;
	size_t i;

	(void)state;
	if (gdir == NULL) {
		print_message("skipped: no test guest (make guest)\n");
		skip();
	}
	memset(&g, 0, sizeof(g));
	g.dir = tu_mkdtemp("steps");
	img(g.dir, "root.qcow2", "qcow2");
	img(g.dir, "data.raw", "raw");
	img(g.dir, "s1.qcow2", "qcow2");
	img(g.dir, "s2.qcow2", "qcow2");
	img(g.dir, "u.raw", "raw");
	img(g.dir, "a.iso", "raw");
	img(g.dir, "b.iso", "raw");
	snprintf(text, sizeof(text), "name: steps\naccel: tcg,tb-size=32\n"
	    "memory: 256\nballoon: off\n"
	    "boot: kernel=%s/bzImage,initrd=%s/initrd.img,"
	    "kernel_args=console=ttyS0 panic=-1 quiet\n"
	    "disk: %s/root.qcow2,format=qcow2\n"
	    "disk: device=cdrom\n", gdir, gdir, g.dir);
	g.d = vmdef_parse(text, "steps.conf", err, sizeof(err));
	if (g.d == NULL)
		fail_msg("%s", err);
	assert_int_equal(vmpaths_init(&p, g.dir, "steps", err, sizeof(err)), 0);
	assert_int_equal(mkdirs(p.qdir, 0700), 0);
	assert_int_equal(cmdline_build(g.d, &p, ACCEL_TCG, tu_qemu(), &a, err,
	    sizeof(err)), 0);
	g.pid = tu_spawn(a.v, p.qemulog);
	argv_free(&a);
	g.s = qmp_sync_open(p.qmp, 10000, NULL, err, sizeof(err));
	if (g.s == NULL)
		fail_msg("QMP: %s", err);
	g.con = tu_connect_unix(p.console, 10000);
	assert_true(g.con >= 0);
	json_object_put(qmp_run(g.s, "cont"));
	assert_int_equal(tu_wait_file(p.log, "QLAUNCH-GUEST-READY", 60000), 0);
	free(guest_sh(&g, "true"));	/* the prompt is there */

	/* a virtio disk: the guest sees it by its serial */
	plug(&g, "%s/data.raw,format=raw,cache=none,aio=native,serial=QLDATA",
	    &i, &steps);
	assert_int_equal(i, 2);
	run_steps(&g, steps, json_object_array_length(steps), 0);
	json_object_put(steps);
	char *o = guest_sh(&g, "sleep 1; cat /sys/block/*/serial");
	if (strstr(o, "QLDATA") == NULL)
		fail_msg("the guest has no disk QLDATA: %s", o);
	free(o);

	/* a scsi disk brings scsi0 */
	plug(&g, "%s/s1.qcow2,format=qcow2,bus=scsi,serial=QLS1", &i, &steps);
	assert_int_equal(json_object_array_length(steps), 4);
	run_steps(&g, steps, 4, 0);
	json_object_put(steps);
	o = guest_sh(&g, "sleep 1; ls /sys/bus/scsi/devices/*/block");
	if (strstr(o, "sd") == NULL)
		fail_msg("the guest has no scsi disk: %s", o);
	free(o);

	/* media: in, changed (forced), out; the node names stay */
	struct json_object *cs;
	snprintf(path, sizeof(path), "%s/a.iso", g.dir);
	assert_int_equal(vmdef_disk_change_media(g.d, "hda", path, 0, &cs, err,
	    sizeof(err)), 0);
	run_steps(&g, cs, json_object_array_length(cs), 0);
	json_object_put(cs);
	medium_of(&g, "hda", buf, sizeof(buf));
	assert_string_equal(buf, path);
	snprintf(path, sizeof(path), "%s/b.iso", g.dir);
	assert_int_equal(vmdef_disk_change_media(g.d, "hda", path, 1, &cs, err,
	    sizeof(err)), 0);
	run_steps(&g, cs, json_object_array_length(cs), 0);
	json_object_put(cs);
	medium_of(&g, "hda", buf, sizeof(buf));
	assert_string_equal(buf, path);
	assert_int_equal(vmdef_disk_change_media(g.d, "hda", NULL, 0, &cs, err,
	    sizeof(err)), 0);
	run_steps(&g, cs, json_object_array_length(cs), 0);
	json_object_put(cs);
	medium_of(&g, "hda", buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_false(has_node(&g, "fmt-hda"));

	/* the last scsi disk out takes scsi0 along; a new one brings it back */
	assert_int_equal(vmdef_disk_unplug(g.d, "sda", &steps, err, sizeof(err)),
	    0);
	assert_int_equal(json_object_array_length(steps), 4);
	run_steps(&g, steps, 4, 0);
	json_object_put(steps);
	assert_false(has_node(&g, "fmt-sda"));
	assert_false(has_node(&g, "file-sda"));
	plug(&g, "%s/s2.qcow2,format=qcow2,bus=scsi", &i, &steps);
	assert_int_equal(json_object_array_length(steps), 4);
	run_steps(&g, steps, 4, 0);
	json_object_put(steps);
	assert_true(has_node(&g, "fmt-sda"));

	/* the virtio disk out: the guest loses it */
	assert_int_equal(vmdef_disk_unplug(g.d, "vdb", &steps, err, sizeof(err)),
	    0);
	run_steps(&g, steps, json_object_array_length(steps), 0);
	json_object_put(steps);
	o = guest_sh(&g, "sleep 1; cat /sys/block/*/serial");
	if (strstr(o, "QLDATA") != NULL)
		fail_msg("the guest still has disk QLDATA: %s", o);
	free(o);
	assert_false(has_node(&g, "fmt-vdb"));

	/* undo: a plug failing at its device, then one taken back whole */
	plug(&g, "%s/u.raw,format=raw", &i, &steps);
	assert_int_equal(json_object_array_length(steps), 3);
	run_steps(&g, steps, 2, 1);
	assert_false(has_node(&g, "fmt-vdb"));
	assert_false(has_node(&g, "file-vdb"));
	run_steps(&g, steps, 3, 1);
	assert_false(has_node(&g, "file-vdb"));
	json_object_put(steps);

	qmp_sync_close(g.s);
	close(g.con);
	kill(g.pid, SIGTERM);
	tu_reap(g.pid, 5000);
	vmdef_free(g.d);
	tu_rmtree(g.dir);
	free(g.dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goldens_start),
		cmocka_unit_test(test_disk_steps),
	};
	return cmocka_run_group_tests_name("disk_qemu", tests, NULL, NULL);
}
