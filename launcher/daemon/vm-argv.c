/* QEMU's argv for a VM, start's and cmdline's alike (vm-argv.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "emudata.h"
#include "log.h"
#include "util.h"
#include "vm-argv.h"

/* s inserted at position i (i <= a->n) */
static void
argv_insert(struct argv *a, size_t i, const char *s)
{
	argv_add(a, s);
	char *last = a->v[a->n - 1];
	memmove(&a->v[i + 1], &a->v[i], (a->n - 1 - i) * sizeof(*a->v));
	a->v[i] = last;
}

int
vm_argv(struct daemon *d, const struct vmdef *def, const struct vmpaths *p,
    enum accel accel, int flags, const char *uri, struct argv *a, char *err,
    size_t errlen)
{
	char dir[PATH_MAX], perr[512];
	struct vmpaths hp = *p;

	/* the host's defaults */
	strlcpy(hp.vnc_listen, d->conf.vnc_listen, sizeof(hp.vnc_listen));
	if (cmdline_build_uri(def, &hp, accel, d->qemu, flags, uri != NULL ? uri :
	    "defer", a, err, errlen) == -1)
		return -1;
	switch (emudata_lookup(&d->emudata, a->v[0], dir, sizeof(dir), perr,
	    sizeof(perr))) {
	case 1:
		argv_insert(a, 1, "-L");
		argv_insert(a, 2, dir);
		break;
	case -1:
		log_warnx("%s: the emulator's data directory: %s", def->name,
		    perr);
		break;
	}
	return 0;
}
