/*
 * The destination's half of migrate --copy-storage (migstor.h has the
 * whole exchange): the disks the source copies get new images in this
 * supervisor's image directory (same format and virtual size), created
 * by qemu-img in a child process; QEMU, started -incoming with them,
 * serves them over NBD (a UNIX socket in its QEMU directory, or TCP on
 * the address the migration stream goes to), one writable export per
 * disk named by its target.  nbd-server-stop (migrate-in.c, before cont)
 * ends the exports.  Until the guest runs here, the images made are
 * removed again on failure.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon.h"
#include "fsutil.h"
#include "imgwork.h"
#include "jget.h"
#include "log.h"
#include "migstor.h"
#include "names.h"
#include "qimg.h"
#include "qmp.h"
#include "util.h"
#include "vm.h"
#include "vmdef.h"
#include "xalloc.h"

#define MSI_CMD_MS	30000
#define MSI_CREATE_MS	120000	/* qemu-img create, every image */

struct msi_disk {
	char		 target[16];
	char		 node[48];
	char		 format[16];
	char		 path[PATH_MAX];
	long long	 size;
	int		 made;		/* the child may have made it */
};

struct migstor_in {
	struct msi_disk		*disks;
	size_t			 n, i;
	struct vm		*vm;
	struct json_object	*addr;		/* for the source */
	migstor_done_fn		 done;
	void			*arg;
};

struct migstor_in *
migstor_in_new(struct vmdef *def, const char *imgdir, struct json_object *copy,
    char *err, size_t errlen)
{
	size_t n = json_object_is_type(copy, json_type_array) ?
	    json_object_array_length(copy) : 0;
	struct migstor_in *si;
	struct vmdef_disk k;
	struct stat st;

	if (n == 0) {
		snprintf(err, errlen, "migrate-prepare: \"copy_storage\" is a "
		    "list of disks");
		return NULL;
	}
	si = xcalloc(1, sizeof(*si));
	si->disks = xcalloc(n, sizeof(*si->disks));
	for (size_t j = 0; j < n; j++) {
		struct json_object *o = json_object_array_get_idx(copy, j);
		struct msi_disk *m = &si->disks[j];
		const char *t = jstr(o, "target");
		long long size = jint(o, "size", 0);
		size_t i;

		if (t == NULL || size <= 0) {
			snprintf(err, errlen, "migrate-prepare: each disk of "
			    "\"copy_storage\" has a \"target\" and a size");
			goto fail;
		}
		if (vmdef_disk_find(def, t, &i) == -1 ||
		    vmdef_disk_get(def, i, &k) == -1 || k.path == NULL ||
		    strcmp(k.device, "cdrom") == 0) {
			snprintf(err, errlen, "migrate-prepare: the definition "
			    "has no disk image %s", t);
			goto fail;
		}
		for (size_t p = 0; p < j; p++)
			if (strcmp(si->disks[p].target, t) == 0) {
				snprintf(err, errlen, "migrate-prepare: disk %s "
				    "is listed twice", t);
				goto fail;
			}
		strlcpy(m->target, t, sizeof(m->target));
		strlcpy(m->format, k.format != NULL ? k.format : "qcow2",
		    sizeof(m->format));
		m->size = size;
		if ((size_t)snprintf(m->path, sizeof(m->path), "%s/%s-%s.%s",
		    imgdir, def->name, t, m->format) >= sizeof(m->path)) {
			snprintf(err, errlen, "disk %s: the image path is too "
			    "long", t);
			goto fail;
		}
		if (lstat(m->path, &st) == 0) {
			snprintf(err, errlen, "disk %s: the destination has an "
			    "image %s already", t, m->path);
			goto fail;
		}
		if (vmdef_disk_set_source(def, i, m->path, m->format, err,
		    errlen) == -1)
			goto fail;
		vmdef_disk_get(def, i, &k);
		strlcpy(m->node, k.node != NULL ? k.node : "", sizeof(m->node));
		si->n++;
	}
	return si;
fail:
	migstor_in_free(si);
	return NULL;
}

/* ---- the images ---- */

static int
create_child(void *carg, int fd, char *err, size_t errlen)
{
	struct migstor_in *si = carg;
	char why[512];

	for (size_t i = 0; i < si->n; i++) {
		struct msi_disk *m = &si->disks[i];
		/* made with O_EXCL: ours from here, unless it fails */
		imgwork_say(fd, "X %zu", i);
		if (qimg_create(m->path, m->format, (uint64_t)m->size, NULL,
		    NULL, 0, why, sizeof(why)) == -1) {
			imgwork_say(fd, "U %zu", i);
			snprintf(err, errlen, "disk %s: %s", m->target, why);
			return -1;
		}
	}
	return 0;
}

/* The child's "X i" (making disk i) and "U i" (it did not). */
static void
create_line(void *arg, const char *text)
{
	struct migstor_in *si = arg;
	unsigned long long i;
	char c;

	if (sscanf(text, "%c %llu", &c, &i) == 2 && i < si->n)
		si->disks[i].made = c == 'X';
}

static void
create_done(void *arg, int ok, const char *err)
{
	struct migstor_in *si = arg;
	migstor_done_fn done = si->done;

	si->done = NULL;
	done(si->arg, ok ? NULL : err);
}

void
migstor_in_create(struct migstor_in *si, struct daemon *d,
    migstor_done_fn done, void *arg)
{
	char dir[PATH_MAX], err[512];
	struct imgwork *w;

	si->done = done;
	si->arg = arg;
	daemon_imagedir(d, dir, sizeof(dir));
	if (mkdirs(dir, 0711) == -1) {
		snprintf(err, sizeof(err), "cannot create %s: %s", dir,
		    strerror(errno));
		si->done = NULL;
		done(arg, err);
		return;
	}
	w = imgwork_run(d->base, create_child, si, create_line, create_done,
	    si, err, sizeof(err));
	if (w == NULL) {
		si->done = NULL;
		done(arg, err);
		return;
	}
	imgwork_deadline(w, MSI_CREATE_MS, "qemu-img create");
}

/* ---- the exports ---- */

static void	export_next(struct migstor_in *);

static void
msi_end(struct migstor_in *si, const char *err)
{
	migstor_done_fn done = si->done;

	si->done = NULL;
	if (done != NULL)
		done(si->arg, err);
}

static void
export_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migstor_in *si = arg;
	char line[768];

	(void)ret;
	if (err != NULL) {
		snprintf(line, sizeof(line), "the destination's NBD server: %s",
		    err->desc);
		msi_end(si, line);
		return;
	}
	export_next(si);
}

/* QEMU without block-export-add: the older nbd-server-add. */
static void
export_old_reply(void *arg, struct json_object *ret,
    const struct qmp_error *err)
{
	struct migstor_in *si = arg;
	struct msi_disk *m = &si->disks[si->i - 1];
	struct qmp *q = vm_qmp(si->vm);

	if (err == NULL || strcmp(err->class, "CommandNotFound") != 0 ||
	    q == NULL) {
		export_reply(arg, ret, err);
		return;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "device", json_object_new_string(m->node));
	json_object_object_add(a, "name", json_object_new_string(m->target));
	json_object_object_add(a, "writable", json_object_new_boolean(1));
	if (qmp_execute(q, "nbd-server-add", a, MSI_CMD_MS, export_reply,
	    si) == -1)
		msi_end(si, "the destination's QEMU is not connected");
}

static void
export_next(struct migstor_in *si)
{
	struct qmp *q = si->vm != NULL ? vm_qmp(si->vm) : NULL;

	if (si->i == si->n) {
		msi_end(si, NULL);
		return;
	}
	struct msi_disk *m = &si->disks[si->i++];
	struct json_object *a = json_object_new_object();
	char id[64];
	snprintf(id, sizeof(id), "mig-%s", m->target);
	json_object_object_add(a, "type", json_object_new_string("nbd"));
	json_object_object_add(a, "id", json_object_new_string(id));
	json_object_object_add(a, "node-name", json_object_new_string(m->node));
	json_object_object_add(a, "writable", json_object_new_boolean(1));
	json_object_object_add(a, "name", json_object_new_string(m->target));
	if (q == NULL || qmp_execute(q, "block-export-add", a, MSI_CMD_MS,
	    export_old_reply, si) == -1) {
		if (q == NULL)
			json_object_put(a);
		msi_end(si, "the destination's QEMU is not connected");
	}
}

static void
server_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct migstor_in *si = arg;

	(void)ret;
	if (err != NULL) {
		export_reply(arg, ret, err);
		return;
	}
	si->i = 0;
	export_next(si);
}

/* A free TCP port on addr (IPv4 or IPv6), or -1 with err. */
static int
free_port(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = -1, v6 = strchr(addr, ':') != NULL, port;

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		sl = sizeof(*s6);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			goto bad;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		sl = sizeof(*s4);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			goto bad;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		snprintf(err, errlen, "NBD address %s: %s", addr,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return port;
bad:
	snprintf(err, errlen, "NBD address '%s' is not an IP address", addr);
	return -1;
}

void
migstor_in_export(struct migstor_in *si, struct vm *vm, const char *listen,
    migstor_done_fn done, void *arg)
{
	struct json_object *legacy = json_object_new_object(), *data;
	struct qmp *q = vm_qmp(vm);
	char err[512], buf[PATH_MAX];
	int port;

	si->vm = vm;
	si->done = done;
	si->arg = arg;
	json_object_put(si->addr);
	si->addr = json_object_new_object();
	data = json_object_new_object();
	if (listen != NULL && listen[0] != '\0') {
		if ((port = free_port(listen, err, sizeof(err))) == -1) {
			json_object_put(legacy);
			json_object_put(data);
			msi_end(si, err);
			return;
		}
		snprintf(buf, sizeof(buf), "%d", port);
		json_object_object_add(si->addr, "type",
		    json_object_new_string("inet"));
		json_object_object_add(si->addr, "host",
		    json_object_new_string(listen));
		json_object_object_add(si->addr, "port",
		    json_object_new_string(buf));
		json_object_object_add(data, "host", json_object_new_string(
		    listen));
		json_object_object_add(data, "port", json_object_new_string(
		    buf));
		json_object_object_add(legacy, "type",
		    json_object_new_string("inet"));
	} else {
		if ((size_t)snprintf(buf, sizeof(buf), "%s/nbd.sock",
		    vm->paths.qdir) >= 108) {
			json_object_put(legacy);
			json_object_put(data);
			msi_end(si, "the NBD socket path is too long");
			return;
		}
		json_object_object_add(si->addr, "type",
		    json_object_new_string("unix"));
		json_object_object_add(si->addr, "path",
		    json_object_new_string(buf));
		json_object_object_add(data, "path", json_object_new_string(
		    buf));
		json_object_object_add(legacy, "type",
		    json_object_new_string("unix"));
	}
	/* nbd-server-start's addr is a SocketAddressLegacy: {type, data} */
	json_object_object_add(legacy, "data", data);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "addr", legacy);
	if (q == NULL || qmp_execute(q, "nbd-server-start", a, MSI_CMD_MS,
	    server_reply, si) == -1) {
		if (q == NULL)
			json_object_put(a);
		msi_end(si, "the destination's QEMU is not connected");
	}
}

struct json_object *
migstor_in_address(const struct migstor_in *si)
{
	return json_object_get(si->addr);
}

void
migstor_in_keep(struct migstor_in *si)
{
	for (size_t i = 0; i < si->n; i++)
		si->disks[i].made = 0;
}

void
migstor_in_free(struct migstor_in *si)
{
	if (si == NULL)
		return;
	for (size_t i = 0; i < si->n; i++) {
		if (!si->disks[i].made)
			continue;
		if (unlink(si->disks[i].path) == 0)
			log_info("removed the image %s", si->disks[i].path);
		else if (errno != ENOENT)
			log_warnx("cannot remove %s: %s", si->disks[i].path,
			    strerror(errno));
	}
	json_object_put(si->addr);
	free(si->disks);
	free(si);
}
