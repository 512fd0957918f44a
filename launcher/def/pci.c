/*
 * PCI placement: the slot of every PCI device of a definition (pci.h has
 * the rules).  The fixed slots are the table below; everything else is
 * derived from the definition, so the plan is the same each time it is
 * asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "pci.h"
#include "util.h"
#include "vmdef.h"

/*
 * The devices that have no line of their own (controllers, defaults) or
 * are one of a kind: their slots never depend on the rest.  q35 0: not on
 * q35 (its own AHCI controller is at 0x1f.2); root: on pcie.0 itself.
 * late: added after the others, its slot kept from the automatic
 * placement only when the definition has it, so that the slots of the
 * definitions without it stay as they were; far up, out of their way.
 */
static const struct {
	const char	*id;
	unsigned	 pc, q35;
	int		 root;
	int		 late;
} fixed[] = {
	{ "video0",	2, 1, 1, 0 },
	{ "usb0",	3, 1, 0, 0 },
	{ "scsi0",	4, 2, 0, 0 },
	{ "sata0",	5, 0, 0, 0 },
	{ "balloon0",	6, 3, 0, 0 },
	{ "vserial0",	30, 30, 1, 1 },	/* channel: heartbeat, guest-agent */
};
#define NFIXED	(sizeof(fixed) / sizeof(fixed[0]))
#define PC_FIRST	2	/* 0: host bridge, 1: PIIX3 */

struct json_object *
dev_pci(struct json_object *o)
{
	/* null until placed: QEMU refuses it if it ever went unplaced */
	json_object_object_add(o, "addr", NULL);
	return o;
}

static int
is_pci(struct json_object *o)
{
	struct json_object *v;

	return json_object_object_get_ex(o, "addr", &v) && v == NULL;
}

static const char *
id_of(struct json_object *o)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, "id", &v))
		return NULL;
	return json_object_get_string(v);
}

static void
add(struct pciplan *p, struct json_object *o, const char *key, int line,
    size_t inst, unsigned addr)
{
	const char *id = id_of(o);
	struct pciplace *e;

	if (o == NULL || !is_pci(o) || id == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, id) == 0)
			return;		/* a controller, named again */
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	e = &p->v[p->n++];
	memset(e, 0, sizeof(*e));
	strlcpy(e->id, id, sizeof(e->id));
	if (!line)
		snprintf(e->what, sizeof(e->what), "controller %s", id);
	else if (strncmp(id, key, strlen(key)) == 0)
		strlcpy(e->what, id, sizeof(e->what));
	else
		snprintf(e->what, sizeof(e->what), "%s %s", key, id);
	e->line = line;
	e->inst = inst;
	e->slot = addr;
	e->pinned = addr != 0;
}

/* addr= on something that is not a PCI device: an error for the plan */
static void
add_stray(struct pciplan *p, struct json_object *o, const char *key,
    unsigned addr)
{
	const char *id = o != NULL ? id_of(o) : NULL;
	struct pciplace *e;

	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	e = &p->v[p->n++];
	memset(e, 0, sizeof(*e));
	if (id != NULL && strncmp(id, key, strlen(key)) == 0)
		strlcpy(e->what, id, sizeof(e->what));
	else if (id != NULL)
		snprintf(e->what, sizeof(e->what), "%s %s", key, id);
	else
		strlcpy(e->what, key, sizeof(e->what));
	e->inst = (size_t)-1;
	e->pinned = 1;
	e->slot = addr;
}

static int
collect(const struct vmdef *d, const struct devset *s, void *arg)
{
	const struct devkind *k = s->kind;
	struct pciplan *p = arg;
	struct json_object *o;

	for (size_t i = 0; i < s->n; i++) {
		size_t inst = s->lines[i];
		unsigned addr = inst != (size_t)-1 ? d->devs[inst].addr : 0;
		if (k->controller != NULL &&
		    (o = k->controller(d, s->confs[i])) != NULL) {
			add(p, o, k->key, 0, (size_t)-1, 0);
			json_object_put(o);
		}
		o = k->device != NULL ? k->device(d, s->confs[i], (unsigned)i) :
		    NULL;
		if (o != NULL && is_pci(o))
			add(p, o, k->key, 1, inst, addr);
		else if (addr != 0)
			add_stray(p, o, k->key, addr);
		json_object_put(o);
	}
	return 0;
}

static int
fixed_slot(const struct pciplan *p, const char *id, int *root)
{
	for (size_t i = 0; i < NFIXED; i++)
		if (strcmp(fixed[i].id, id) == 0) {
			*root = p->q35 && fixed[i].root;
			return (int)(p->q35 ? fixed[i].q35 : fixed[i].pc);
		}
	return 0;
}

static int
present(const struct pciplan *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, id) == 0)
			return 1;
	return 0;
}

static int
reserved(const struct pciplan *p, unsigned s)
{
	for (size_t i = 0; i < NFIXED; i++)
		if (!(p->q35 && fixed[i].root) &&
		    (!fixed[i].late || present(p, fixed[i].id)) &&
		    (p->q35 ? fixed[i].q35 : fixed[i].pc) == s)
			return 1;
	return !p->q35 && s < PC_FIRST;
}

static const char *
where(const struct pciplan *p)
{
	return p->q35 ? "root port" : "PCI slot";
}

/* Put e on slot s, unless someone is there. */
static int
take(struct pciplan *p, size_t *used, size_t ei, unsigned s, char *err,
    size_t errlen)
{
	if (used[s] != 0)
		return def_err(err, errlen, "%s and %s are both on %s %u",
		    p->v[used[s] - 1].what, p->v[ei].what, where(p), s);
	used[s] = ei + 1;
	p->v[ei].slot = s;
	return 0;
}

int
pci_plan(const struct vmdef *d, struct pciplan *p, char *err, size_t errlen)
{
	size_t used[PCI_MAX_PORTS + 1] = { 0 };
	unsigned max, high = 0;
	const char *highwhat = "";
	int root;

	memset(p, 0, sizeof(*p));
	p->q35 = def_q35(d);
	p->none = def_microvm(d);
	dev_walk(d, NULL, collect, p);
	max = p->q35 ? PCI_MAX_PORTS : PCI_MAX_SLOT;
	if (d->pcie_ports != 0 && !p->q35)
		goto fail_ports;
	/* what the lines pin */
	for (size_t i = 0; i < p->n; i++) {
		struct pciplace *e = &p->v[i];
		if (!e->pinned)
			continue;
		if (e->id[0] == '\0' || p->none) {
			def_err(err, errlen, "%s: addr=%u, but it is no PCI "
			    "device", e->what, e->slot);
			goto fail;
		}
		if (fixed_slot(p, e->id, &root) != 0 && root) {
			def_err(err, errlen, "%s: addr=%u, but q35's video "
			    "sits on pcie.0 at slot 1", e->what, e->slot);
			goto fail;
		}
		if (e->slot > max || (!p->q35 && e->slot < PC_FIRST)) {
			def_err(err, errlen, "%s: addr=%u, but %s has %s %u to "
			    "%u", e->what, e->slot, p->q35 ? "q35" : "pc",
			    p->q35 ? "root ports" : "slots",
			    p->q35 ? 1 : PC_FIRST, max);
			goto fail;
		}
		if (take(p, used, i, e->slot, err, errlen) == -1)
			goto fail;
	}
	/* the fixed ones */
	for (size_t i = 0; i < p->n; i++) {
		struct pciplace *e = &p->v[i];
		int s = fixed_slot(p, e->id, &root);
		if (e->pinned || s == 0)
			continue;
		if (root) {
			e->fixed = 1;
			e->root = 1;
			e->slot = (unsigned)s;
			continue;
		}
		if (take(p, used, i, (unsigned)s, err, errlen) == -1)
			goto fail;
		e->fixed = 1;
	}
	/* the rest, in command-line order, on the lowest free slot */
	unsigned limit = p->q35 && d->pcie_ports != 0 ? d->pcie_ports : max;
	for (size_t i = 0; i < p->n; i++) {
		struct pciplace *e = &p->v[i];
		if (e->slot != 0 || e->root)
			continue;
		unsigned s = p->q35 ? 1 : PC_FIRST;
		while (s <= limit && (used[s] != 0 || reserved(p, s)))
			s++;
		if (s > limit) {
			if (p->q35)
				def_err(err, errlen, "%s: no free PCIe root port "
				    "(pcie_root_ports: %u)", e->what, limit);
			else
				def_err(err, errlen, "%s: no free PCI slot (pc "
				    "has %u to %u)", e->what, PC_FIRST, max);
			goto fail;
		}
		take(p, used, i, s, err, errlen);
	}
	for (size_t i = 0; i < p->n; i++)
		if (!p->v[i].root && p->v[i].slot > high) {
			high = p->v[i].slot;
			highwhat = p->v[i].what;
		}
	if (p->q35) {
		if (d->pcie_ports != 0 && high > d->pcie_ports)
			goto fail_ports;
		/* spares beyond the fixed ports too, used or not */
		unsigned base = high;
		for (size_t i = 0; i < NFIXED; i++)
			if (!fixed[i].root && !fixed[i].late &&
			    fixed[i].q35 > base)
				base = fixed[i].q35;
		p->ports = d->pcie_ports != 0 ? d->pcie_ports :
		    base + PCI_SPARE_PORTS;
		if (p->ports > PCI_MAX_PORTS)
			p->ports = PCI_MAX_PORTS;
	}
	return 0;
fail_ports:
	if (!p->q35)
		def_err(err, errlen, "pcie_root_ports: only q35 has PCIe root "
		    "ports");
	else
		def_err(err, errlen, "pcie_root_ports: %u, but %s is on root "
		    "port %u", d->pcie_ports, highwhat, high);
fail:
	pci_plan_free(p);
	return -1;
}

void
pci_plan_free(struct pciplan *p)
{
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

void
pci_place(const struct pciplan *p, struct json_object *o)
{
	const char *id = id_of(o);
	char buf[16];

	if (o == NULL || !is_pci(o) || id == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		const struct pciplace *e = &p->v[i];
		if (strcmp(e->id, id) != 0)
			continue;
		json_object_object_del(o, "addr");	/* after bus */
		if (p->q35) {
			if (e->root)
				strlcpy(buf, "pcie.0", sizeof(buf));
			else
				snprintf(buf, sizeof(buf), "pci.%u", e->slot);
			json_object_object_add(o, "bus",
			    json_object_new_string(buf));
		}
		snprintf(buf, sizeof(buf), "0x%x", p->q35 && !e->root ? 0 :
		    e->slot);
		json_object_object_add(o, "addr", json_object_new_string(buf));
		return;
	}
}

int
pci_place_all(const struct vmdef *d, struct json_object *const *o, char *err,
    size_t errlen)
{
	struct pciplan p;

	if (pci_plan(d, &p, err, errlen) == -1)
		return -1;
	for (; *o != NULL; o++)
		pci_place(&p, *o);
	pci_plan_free(&p);
	return 0;
}

struct json_object *
pci_root_port(unsigned k)
{
	struct json_object *o = json_object_new_object();
	char buf[16];

	json_object_object_add(o, "driver",
	    json_object_new_string("pcie-root-port"));
	snprintf(buf, sizeof(buf), "pci.%u", k);
	json_object_object_add(o, "id", json_object_new_string(buf));
	json_object_object_add(o, "bus", json_object_new_string("pcie.0"));
	/* eight to a slot of pcie.0, from slot 2 */
	snprintf(buf, sizeof(buf), "0x%x.0x%x", 2 + (k - 1) / 8, (k - 1) % 8);
	json_object_object_add(o, "addr", json_object_new_string(buf));
	json_object_object_add(o, "chassis", json_object_new_int((int)k));
	json_object_object_add(o, "port", json_object_new_int((int)k));
	if ((k - 1) % 8 == 0)
		json_object_object_add(o, "multifunction",
		    json_object_new_boolean(1));
	return o;
}

int
vmdef_pci_pin(struct vmdef *d, char *err, size_t errlen)
{
	struct pciplan p;
	char buf[16];

	if (pci_plan(d, &p, err, errlen) == -1)
		return -1;
	for (size_t i = 0; i < p.n; i++) {
		const struct pciplace *e = &p.v[i];
		if (!e->line || e->pinned || e->fixed || e->inst == (size_t)-1)
			continue;
		struct devinst *di = &d->devs[e->inst];
		size_t nth = 0;
		for (size_t j = 0; j < e->inst; j++)
			nth += d->devs[j].kind == di->kind;
		di->addr = e->slot;
		char *v = vmdef_dev_value(d, di->kind, di->conf, e->inst);
		vmdef_text_set_nth(d, di->kind->key, nth, v);
		free(v);
	}
	if (p.q35 && d->pcie_ports == 0) {
		d->pcie_ports = p.ports;
		snprintf(buf, sizeof(buf), "%u", p.ports);
		vmdef_text_set(d, "pcie_root_ports", buf);
	}
	pci_plan_free(&p);
	return 0;
}
