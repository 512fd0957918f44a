/*
 * PCI placement (pci.c): every PCI device of a definition gets its bus and
 * address, a pure function of the definition, so that the command line and
 * the hot-plug requests agree and a running definition rendered again is
 * the device tree QEMU has.  Nothing outside def/ includes this.
 *
 * A device module states that an object it renders is a PCI device by
 * passing it through dev_pci() (dev.h); the placement then gives every such
 * object, found by its "id", its "addr" (and on q35 its "bus").
 *
 * Slots ("addr" in a definition):
 *   pc:  the slot on pci.0, 2 to 31 (0 and 1 are the host bridge and PIIX3).
 *   q35: the number of the pcie-root-port (id pci.N) the device sits on, at
 *        address 0 behind it, 1 to PCI_MAX_PORTS; the ports themselves fill
 *        pcie.0 from slot 2, eight functions to a slot.  The video device
 *        is on pcie.0 itself, at slot 1, as libvirt puts it, and the
 *        heartbeat channel's virtio-serial controller at slot 30 (0x1e).
 * The order of decision: slots a line pins (addr=); then the fixed slots of
 * the devices that have no line of their own or are one of a kind (video0,
 * usb0, scsi0, sata0, balloon0: pci.c's table), kept for them even when
 * absent (vserial0, the heartbeat's controller, at pc's slot 30, came
 * later: its slot is kept only when the definition has it); then every other device, in command-line order, the lowest free
 * slot.  Two devices on one slot are an error naming both.
 *
 * Only a line can keep a derived slot (vmdef_pci_pin writes it into the
 * line), so a PCI device without a line of its own (a default, a
 * controller) needs a row in the fixed table, or it could move when a
 * line goes.
 */
#ifndef LAUNCHER_PCI_H
#define LAUNCHER_PCI_H

#include <stddef.h>

struct json_object;
struct vmdef;

#define PCI_MAX_SLOT	31
#define PCI_MAX_PORTS	64
#define PCI_SPARE_PORTS	4	/* q35's root ports for hot-plug, after
				   the last one used or fixed */

struct pciplace {
	char		 id[40];
	char		 what[64];	/* "disk vdb", "controller scsi0" */
	unsigned	 slot;		/* pc: slot; q35: root port (or pcie.0 slot) */
	int		 root;		/* q35: on pcie.0 itself (video) */
	int		 pinned;	/* its line says addr= */
	int		 fixed;		/* on its slot from pci.c's table */
	int		 line;		/* it is a line's device (not a controller) */
	size_t		 inst;		/* the line: index into d->devs; -1 default */
};

struct pciplan {
	struct pciplace	*v;
	size_t		 n;
	int		 q35;
	int		 none;		/* microvm: no PCI bus */
	unsigned	 ports;		/* q35: root ports pci.1 to pci.PORTS */
};

/* The plan of d; -1 with the reason (a conflict, no free slot). */
int	 pci_plan(const struct vmdef *, struct pciplan *, char *err,
	    size_t errlen);
void	 pci_plan_free(struct pciplan *);
/* Give a dev_pci() object its bus and addr from the plan, by its id. */
void	 pci_place(const struct pciplan *, struct json_object *);
/*
 * Hot-plug: place the objects o (NULL-terminated; the device_add
 * arguments of a device of d and of its controller) as d's command line
 * would.  A plug first pins the slots d had (vmdef_pci_pin), adds the
 * device's line, pins again (the new device's slot), then calls this.
 */
int	 pci_place_all(const struct vmdef *, struct json_object *const *o,
	    char *err, size_t errlen);
/* q35: root port k (1 to ports) as a -device object. */
struct json_object *pci_root_port(unsigned k);

#endif
