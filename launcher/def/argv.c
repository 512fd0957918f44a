/* argv building and the VM's runtime paths (cmdline.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "util.h"

int
vmpaths_init(struct vmpaths *p, const char *runroot, const char *name,
    char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if ((size_t)snprintf(p->dir, sizeof(p->dir), "%s/%s", runroot, name) >=
	    sizeof(p->dir) ||
	    (size_t)snprintf(p->qdir, sizeof(p->qdir), "%s/qemu", p->dir) >=
	    sizeof(p->qdir) ||
	    (size_t)snprintf(p->qmp, sizeof(p->qmp), "%s/qmp.sock", p->qdir) >=
	    sizeof(p->qmp) ||
	    (size_t)snprintf(p->console, sizeof(p->console), "%s/console.sock",
	    p->qdir) >= sizeof(p->console)) {
		snprintf(err, errlen, "runtime path %s/%s/qemu/console.sock is too "
		    "long for a UNIX socket (%zu bytes at most); use a shorter "
		    "runtime directory or VM name", runroot, name,
		    sizeof(p->console) - 1);
		return -1;
	}
	snprintf(p->heartbeat, sizeof(p->heartbeat), "%s/hb.sock", p->qdir);
	snprintf(p->agent, sizeof(p->agent), "%s/qga.sock", p->qdir);
	snprintf(p->log, sizeof(p->log), "%s/console.log", p->qdir);
	snprintf(p->pid, sizeof(p->pid), "%s/qemu.pid", p->qdir);
	snprintf(p->state, sizeof(p->state), "%s/state.json", p->dir);
	snprintf(p->qemulog, sizeof(p->qemulog), "%s/qemu.log", p->dir);
	return 0;
}

void
argv_add(struct argv *a, const char *s)
{
	a->v = xreallocarray(a->v, a->n + 2, sizeof(*a->v));
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void
argv_addf(struct argv *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	argv_add(a, s);
	free(s);
}

void
argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

