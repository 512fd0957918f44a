#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmdline.h"
#include "corekeys.h"
#include "cpukeys.h"
#include "defutil.h"
#include "dev.h"
#include "iothreads.h"
#include "pci.h"
#include "props.h"
#include "util.h"

static void
add_json(struct argv *a, const char *opt, struct json_object *o)
{
	argv_add(a, opt);
	argv_add(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

struct render {
	struct argv		*a;
	const struct vmpaths	*p;
	struct argv		 ids;	/* of the controllers added */
	struct pciplan		 plan;	/* every PCI device's place */
};

static int
add_options(const struct vmdef *d, const struct devset *s, void *arg)
{
	struct render *r = arg;

	for (size_t i = 0; s->kind->options != NULL && i < s->n; i++)
		s->kind->options(d, s->confs[i], r->p, r->a);
	return 0;
}

/* A controller goes on the command line once, before its first device. */
static void
add_controller(struct render *r, struct json_object *c)
{
	struct json_object *id;

	if (!json_object_object_get_ex(c, "id", &id)) {
		add_json(r->a, "-device", c);
		return;
	}
	for (size_t i = 0; i < r->ids.n; i++)
		if (strcmp(r->ids.v[i], json_object_get_string(id)) == 0) {
			json_object_put(c);
			return;
		}
	argv_add(&r->ids, json_object_get_string(id));
	pci_place(&r->plan, c);
	add_json(r->a, "-device", c);
}

static int
add_devices(const struct vmdef *d, const struct devset *s, void *arg)
{
	const struct devkind *k = s->kind;
	struct render *r = arg;
	struct json_object *o;

	for (size_t i = 0; i < s->n; i++) {
		if (k->controller != NULL &&
		    (o = k->controller(d, s->confs[i])) != NULL)
			add_controller(r, o);
		if (k->device != NULL &&
		    (o = k->device(d, s->confs[i], (unsigned)i)) != NULL) {
			pci_place(&r->plan, o);
			add_json(r->a, "-device", o);
		}
	}
	return 0;
}

/*
 * "hd,cdrom,menu=on" -> "order=cd,menu=on".  When a device has a boot
 * order of its own (bootindex), the list of devices is left out, as
 * libvirt does: only menu= remains, and nothing when it is not given.
 */
static void
add_boot(struct argv *a, const char *boot, int bootindex)
{
	struct props p;
	char err[128], order[16] = "", menu[8] = "";
	const char *s;
	size_t n = 0;

	if (props_parse(boot, &p, err, sizeof(err)) == -1)
		return;		/* validated when set */
	for (size_t i = 0; (s = props_pos(&p, i)) != NULL && n < 15; i++) {
		char c = strcmp(s, "hd") == 0 ? 'c' : strcmp(s, "cdrom") == 0 ?
		    'd' : strcmp(s, "network") == 0 ? 'n' : 'a';
		order[n++] = c;
	}
	order[bootindex ? 0 : n] = '\0';
	int b;
	if ((s = props_get(&p, "menu")) != NULL && parse_bool(s, &b) == 0)
		strlcpy(menu, b ? "on" : "off", sizeof(menu));
	props_free(&p);
	if (bootindex && *menu == '\0')
		return;
	argv_add(a, "-boot");
	if (*order || *menu)
		argv_addf(a, "%s%s%s%s%s", *order ? "order=" : "", order,
		    *order && *menu ? "," : "", *menu ? "menu=" : "", menu);
	else
		argv_add(a, "order=c");
}

struct ready_arg {
	char	*err;
	size_t	 errlen;
};

static int
ready_kind(const struct vmdef *d, const struct devset *s, void *arg)
{
	struct ready_arg *r = arg;

	for (size_t i = 0; s->kind->ready != NULL && i < s->n; i++)
		if (s->kind->ready(d, s->confs[i], r->err, r->errlen) == -1)
			return -1;
	return 0;
}

struct vmdef *
vmdef_install_phase(const struct vmdef *d, char *err, size_t errlen)
{
	struct vmdef *ph = vmdef_dup(d);
	size_t i;

	corekey_install_clear(ph);
	/* the guest's reboot must stop QEMU: that ends the install */
	ph->on_reboot = POLICY_DESTROY;
	switch (d->install.kind) {
	case INSTALL_CDROM:
		if (vmdef_install_cdrom(ph, &i) == -1) {
			vmdef_free(ph);
			def_err(err, errlen, "install: cdrom needs a disk with "
			    "device=cdrom and a path");
			return NULL;
		}
		vmdef_disk_boot_first(ph, i);
		break;
	case INSTALL_KERNEL:
		free(ph->kernel);
		free(ph->initrd);
		free(ph->append);
		ph->kernel = xstrdup(d->install.kernel);
		ph->initrd = xstrdup_null(d->install.initrd);
		ph->append = xstrdup_null(d->install.append);
		break;
	default:
		break;
	}
	return ph;
}

int
cmdline_build(const struct vmdef *d, const struct vmpaths *p, enum accel accel,
    const char *qemu, struct argv *a, char *err, size_t errlen)
{
	return cmdline_build_flags(d, p, accel, qemu, 0, a, err, errlen);
}

int
cmdline_build_flags(const struct vmdef *d, const struct vmpaths *p,
    enum accel accel, const char *qemu, int flags, struct argv *a, char *err,
    size_t errlen)
{
	return cmdline_build_uri(d, p, accel, qemu, flags, "defer", a, err,
	    errlen);
}

int
cmdline_build_uri(const struct vmdef *d, const struct vmpaths *p,
    enum accel accel, const char *qemu, int flags, const char *uri,
    struct argv *a, char *err, size_t errlen)
{
	struct render r = { .a = a, .p = p };
	struct ready_arg ra = { err, errlen };
	struct devfacts f;
	char *e;

	memset(a, 0, sizeof(*a));
	if (d->install.kind != INSTALL_NONE) {
		/* the install phase runs a definition of its own */
		struct vmdef *ph = vmdef_install_phase(d, err, errlen);
		if (ph == NULL)
			return -1;
		int rc = cmdline_build(ph, p, accel, qemu, a, err, errlen);
		vmdef_free(ph);
		return rc;
	}
	if (accel == ACCEL_AUTO) {
		snprintf(err, errlen, "accel: auto must be resolved first");
		return -1;
	}
	if (dev_walk(d, &f, ready_kind, &ra) != 0 ||
	    pci_plan(d, &r.plan, err, errlen) == -1)
		return -1;
	argv_add(a, d->emulator != NULL ? d->emulator : qemu);
	argv_add(a, "-name");
	argv_addf(a, "%s,debug-threads=on", d->name);
	argv_add(a, "-uuid");
	argv_add(a, d->uuid);
	if (!(flags & CMDLINE_NOSTOP))
		argv_add(a, "-S");
	argv_add(a, "-nodefaults");
	argv_add(a, "-no-user-config");
	/* guest poweroff stops QEMU; the supervisor applies on_poweroff */
	argv_add(a, "-no-shutdown");
	if (d->on_reboot != POLICY_RESTART) {
		argv_add(a, "-action");
		argv_add(a, "reboot=shutdown");
	}
	argv_add(a, "-machine");
	argv_add(a, d->machine);
	argv_add(a, "-accel");
	argv_addf(a, "%s%s%s", accel_name(accel), d->accel_opts ? "," : "",
	    d->accel_opts ? d->accel_opts : "");
	argv_add(a, "-cpu");
	char *model = cpu_model_arg(d, accel);
	argv_add(a, model);
	free(model);
	argv_add(a, "-m");
	if (d->maxmem_mib)
		argv_addf(a, "%lluM,slots=%u,maxmem=%lluM",
		    (unsigned long long)d->memory_mib, d->slots,
		    (unsigned long long)d->maxmem_mib);
	else
		argv_addf(a, "%llu", (unsigned long long)d->memory_mib);
	char smp[128];
	/* hot-plugged vCPUs come as devices, after the others */
	int n = snprintf(smp, sizeof(smp), "%u", d->vcpus -
	    (unsigned)d->ncpudevs);
	if (d->maxvcpus)
		n += snprintf(smp + n, sizeof(smp) - (size_t)n, ",maxcpus=%u",
		    d->maxvcpus);
	if (d->sockets)
		n += snprintf(smp + n, sizeof(smp) - (size_t)n, ",sockets=%u",
		    d->sockets);
	if (d->dies)
		n += snprintf(smp + n, sizeof(smp) - (size_t)n, ",dies=%u",
		    d->dies);
	if (d->cores)
		n += snprintf(smp + n, sizeof(smp) - (size_t)n, ",cores=%u",
		    d->cores);
	if (d->threads)
		snprintf(smp + n, sizeof(smp) - (size_t)n, ",threads=%u",
		    d->threads);
	argv_add(a, "-smp");
	argv_add(a, smp);
	for (size_t i = 0; i < d->ncpudevs; i++) {
		struct json_object *o = cpu_dev_json(d->cpudevs[i]);
		argv_add(a, "-device");
		argv_add(a, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	iothreads_args(d, a);

	/* QMP, pidfile, console: all in the runtime directory */
	argv_add(a, "-chardev");
	e = props_escape(p->qmp);
	argv_addf(a, "socket,id=qmp,path=%s,server=on,wait=off", e);
	free(e);
	argv_add(a, "-mon");
	argv_add(a, "chardev=qmp,mode=control");
	argv_add(a, "-pidfile");
	argv_add(a, p->pid);
	dev_walk(d, NULL, add_options, &r);
	if (d->kernel != NULL) {
		argv_add(a, "-kernel");
		argv_add(a, d->kernel);
		if (d->initrd != NULL) {
			argv_add(a, "-initrd");
			argv_add(a, d->initrd);
		}
		if (d->append != NULL) {
			argv_add(a, "-append");
			argv_add(a, d->append);
		}
	} else if (d->boot != NULL)
		add_boot(a, d->boot, f.bootindex);
	/* q35: the root ports the devices sit on, and spares for hot-plug */
	for (unsigned k = 1; k <= r.plan.ports; k++)
		add_json(a, "-device", pci_root_port(k));
	dev_walk(d, NULL, add_devices, &r);
	argv_free(&r.ids);
	pci_plan_free(&r.plan);
	for (size_t i = 0; i < d->nqemu_args; i++)
		argv_add(a, d->qemu_args[i]);
	if (flags & CMDLINE_INCOMING) {
		argv_add(a, "-incoming");
		argv_add(a, uri != NULL ? uri : "defer");
	}
	return 0;
}
