/*
 * VM definitions: plain text, one file per VM, "key: value" lines, '#'
 * comments.  Values of structured keys use the property syntax of
 * props.h, shared with the client's flags (--memory X is memory: X).
 * The core keys are fields here; each device kind (console, graphics,
 * video, input, disk, balloon) is a module of its own (dev.h), asked
 * through the functions at the end.  See qlaunch.conf(5).
 */
#ifndef LAUNCHER_VMDEF_H
#define LAUNCHER_VMDEF_H

#include <stddef.h>
#include <stdint.h>

struct devinst;
struct json_object;

enum accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };
enum policy { POLICY_DESTROY, POLICY_RESTART, POLICY_PRESERVE };
enum install_kind { INSTALL_NONE, INSTALL_CDROM, INSTALL_KERNEL };
#define VNC_PORT_AUTO	(-1)

struct vmdef {
	char		 name[65];
	char		 uuid[37];
	char		*description;
	uint64_t	 memory_mib;
	uint64_t	 current_mib;	/* 0: all of memory_mib */
	uint64_t	 maxmem_mib;	/* 0: no hot-plug */
	unsigned	 slots;
	unsigned	 vcpus;
	unsigned	 maxvcpus;	/* 0: same as vcpus */
	unsigned	 sockets, cores, threads;	/* 0: unset */
	unsigned	 dies;		/* 0: unset */
	char		*cpu;		/* NULL: host under KVM, max under TCG */
	char		*machine;	/* type[,props] */
	enum accel	 accel;
	char		*accel_opts;	/* props after the accelerator */
	char		*kernel;
	char		*initrd;
	char		*append;
	char		*boot;		/* as given: hd,cdrom,menu=on */
	/* the install phase (install:), until the guest first reboots */
	struct {
		enum install_kind kind;
		char	*kernel, *initrd, *append;	/* INSTALL_KERNEL */
		char	*location;	/* where they came from, or NULL */
	}		 install;
	enum policy	 on_poweroff, on_reboot, on_crash;
	int		 autostart;
	char		*owner;
	char		*emulator;
	unsigned	 pcie_ports;	/* q35's root ports; 0: as many as the
					   devices use, and spares (pci.h) */
	char		*cputune;	/* vcpupinN=,emulatorpin= (cpukeys.c) */
	uint64_t	 iothreads;	/* bit K-1: iothreadK (iothreads.c) */
	/* the running VM's hot-plugged vCPUs (vcpu-hotplugged:), counted
	   in vcpus: -smp has vcpus - ncpudevs, then one -device each */
	char		**cpudevs;
	size_t		 ncpudevs;
	char		**qemu_args;
	size_t		 nqemu_args;
	char		*text;		/* the file as written; NULL: canonical */
	int		 uuid_generated;	/* the file had no uuid line */
	struct devinst	*devs;		/* device lines, owned by their modules */
	size_t		 ndevs;
};

struct vmdef	*vmdef_new(void);
void		 vmdef_free(struct vmdef *);
struct vmdef	*vmdef_dup(const struct vmdef *);
/*
 * Set one key from its text value.  On error err holds "KEY: reason".
 * Repeatable keys (qemu-arg, input) append; others replace.
 */
int		 vmdef_set(struct vmdef *, const char *key, const char *value,
		    char *err, size_t errlen);
/* Is key a definition key (qemu-arg, memory, ...)? */
int		 vmdef_known_key(const char *key);
/* May key be given more than once (qemu-arg, input)? */
int		 vmdef_key_repeats(const char *key);
/*
 * Parse a whole file's text.  fname is only used in errors, which read
 * "FNAME:LINE: KEY: reason".  Cross-key checks (vmdef_check) included.
 */
struct vmdef	*vmdef_parse(const char *text, const char *fname, char *err,
		    size_t errlen);
/* Consistency checks between keys; fills in a uuid when missing. */
int		 vmdef_check(struct vmdef *, char *err, size_t errlen);
/* Canonical text; parse(print(d)) gives d again.  malloc'd. */
char		*vmdef_print(const struct vmdef *);
/*
 * The text to store: the file as its author wrote it (comments, order
 * and spelling kept), or the canonical text for a definition built from
 * flags.  malloc'd.
 */
char		*vmdef_text(const struct vmdef *);
/*
 * Change one key in the stored text as well: its first line is replaced,
 * or a line is added.  The caller has set the parsed field already.
 */
void		 vmdef_text_set(struct vmdef *, const char *key,
		    const char *value);
/*
 * The machine type a QEMU ran (pc-i440fx-7.2 for "pc", or for none: the
 * default) replaces the definition's, its properties kept, so that a new
 * QEMU (restore, an incoming migration, maybe a newer one) runs the same
 * machine version.  Parsed field and text both.
 */
int		 vmdef_pin_machine(struct vmdef *, const char *machine,
		    char *err, size_t errlen);
/*
 * Set the memory the guest has at start (virt-install's currentMemory),
 * given to the balloon before the guest runs: 0 or memory_mib for all of
 * it.  It must not exceed memory and needs a balloon.  The memory line of
 * the stored text is rewritten to match.  "memory: reason" on error.
 */
int		 vmdef_set_current_memory(struct vmdef *, uint64_t mib,
		    char *err, size_t errlen);

/*
 * What the supervisor asks of a definition's devices.  It never reads
 * a device module's fields; these are the whole interface.
 */
#define VNC_LISTEN_DEFAULT	"127.0.0.1"
struct vnc_conf {
	const char	*listen;	/* IP address; "": the host's default */
	int		 port;		/* TCP port, or VNC_PORT_AUTO */
	const char	*password;	/* NULL: none */
	int		 websocket;	/* TCP port, 0: none */
};
int		 vmdef_has_balloon(const struct vmdef *);
int		 vmdef_has_serial(const struct vmdef *);
/* channel: heartbeat, a socket at vmpaths.heartbeat */
int		 vmdef_has_heartbeat(const struct vmdef *);
/* guest-agent: on, a socket at vmpaths.agent */
int		 vmdef_has_agent(const struct vmdef *);
/*
 * The VNC display's settings; 0, or -1 when the VM has none.  The strings
 * belong to the definition.
 */
int		 vmdef_vnc(const struct vmdef *, struct vnc_conf *);
/*
 * The QMP commands the devices need once QEMU is up and before the guest
 * runs, in order: a new array of {"execute": NAME, "arguments": {...}}
 * (arguments may be absent).  Each must succeed for the start to.
 * Among them: the VNC password (set_password), the balloon's statistics
 * interval (qom-set) and its target when current_mib is below memory
 * (balloon).
 */
struct json_object *vmdef_runtime_qmp(const struct vmdef *);

/*
 * Disks (disk: lines).  Each has a target (vda, sdb, hdc, fda: given, or
 * assigned in the order of the lines as virsh does), which is also its
 * QEMU device id; its medium is the protocol node "file-TARGET" and the
 * format node "fmt-TARGET".  The strings belong to the definition and
 * last until it changes.
 */
struct vmdef_disk {
	const char	*target;	/* vda, sdb, hdc, fda */
	const char	*path;		/* NULL: not given (size= only) or an empty cdrom */
	const char	*format;	/* NULL: not given */
	const char	*bus;		/* virtio, scsi, sata, ide, fdc */
	const char	*device;	/* disk, cdrom, floppy */
	uint64_t	 size;		/* bytes to create it with, 0: none */
	int		 sparse, readonly;
	const char	*node;		/* the format node: "fmt-vda"; NULL: no medium */
	unsigned	 overlays;	/* external snapshots over it while it runs */
	unsigned	 iothread;	/* iothread=K, 0: none (iothreads.h) */
};
size_t		 vmdef_disk_count(const struct vmdef *);
/* The i-th disk line (0-based, in the order of the file); -1 past the end. */
int		 vmdef_disk_get(const struct vmdef *, size_t i,
		    struct vmdef_disk *);
/* The disk with that target, or -1. */
int		 vmdef_disk_find(const struct vmdef *, const char *target,
		    size_t *ip);
/*
 * Write what the supervisor decided into disk i: its path (for size= only
 * disks) or its probed format.  Both the parsed definition and the stored
 * author text change (the i-th "disk:" line is rewritten in canonical
 * form, comments and the other lines kept).  A disk without a format, or
 * a size= disk without a path, cannot go on a command line until then.
 */
/*
 * Disk i's line, with its target written out, to give another
 * definition (the stored one, beside what runs) the same disk; malloc'd,
 * NULL past the end.
 */
char		*vmdef_disk_line(const struct vmdef *, size_t i);
int		 vmdef_disk_set_path(struct vmdef *, size_t i, const char *path,
		    char *err, size_t errlen);
int		 vmdef_disk_set_format(struct vmdef *, size_t i,
		    const char *format, char *err, size_t errlen);
/*
 * Disk i's medium is now path, in format (an external snapshot's
 * overlay), or in its own format when format is NULL (the image moved or
 * was copied): its line gets them, and loses size= and sparse= (the image
 * exists) and type= (the new file's own).  The target and the node names
 * stay.  Only a disk with a medium; d is unchanged on error.
 */
int		 vmdef_disk_set_source(struct vmdef *, size_t i,
		    const char *path, const char *format, char *err,
		    size_t errlen);
/*
 * External snapshots of a running QEMU.  QEMU forbids a second node of
 * the same name while the first is in use (as the overlay's backing
 * node), so each overlay's nodes are named by their generation:
 * file-vda.1 and fmt-vda.1 over file-vda and fmt-vda, then fmt-vda.2
 * over fmt-vda.1.  The generation is no key of the definition: it
 * describes what runs (the live definition), is kept in the runtime
 * state for re-adoption, and a definition as stored or parsed has 0 (a
 * fresh start opens the overlay as fmt-vda, its backing chain below it
 * implicitly).  vmdef_disk_get's node is the top node; unplug deletes
 * every generation's nodes, top down.
 *
 * vmdef_disk_overlay: disk i of a running QEMU gets the overlay path
 * (qcow2, created already with the medium as backing file): d has it as
 * its medium at the next generation, steps are the two blockdev-add of
 * its nodes ({"execute", "arguments", "undo"} as for plug; the format
 * node without a backing, as blockdev-snapshot wants it), and *action is
 * the transaction's {"type": "blockdev-snapshot", "data": {"node",
 * "overlay"}}.  d is unchanged on error.
 */
int		 vmdef_disk_overlay(struct vmdef *, size_t i, const char *path,
		    struct json_object **steps, struct json_object **action,
		    char *err, size_t errlen);
/*
 * The opposite, when an external snapshot goes (block-commit of the top
 * overlay into the image below it, which this QEMU run opened as the
 * generation below): disk i's medium is path (the image below) in
 * format, at the generation below; top and base get the two format
 * nodes' names (block-commit's top-node and base-node), steps the
 * blockdev-del of the top generation's two nodes, to run once the
 * commit completed.  Only for a disk at generation 1 or more; d is
 * unchanged on error.
 */
int		 vmdef_disk_merge_down(struct vmdef *, size_t i,
		    const char *path, const char *format, char *top,
		    char *base, size_t nodelen, struct json_object **steps,
		    char *err, size_t errlen);
/* Re-adoption: the generation of disk i (from the runtime state). */
int		 vmdef_disk_set_overlays(struct vmdef *, size_t i, unsigned n);
/*
 * Hot-plug: add one "disk:" line (virt-install syntax) to d, checked as
 * vmdef_set and vmdef_check would, and give the QMP steps that plug it
 * into a running QEMU started without it: a new array of
 * {"execute": ..., "arguments": {...}, "undo": {"execute": ...,
 * "arguments": {...}}} in order (device_add of its controller when no
 * other disk has it yet, blockdev-add file, blockdev-add format,
 * device_add), each undo the inverse (device_del id, blockdev-del
 * node-name).  *ip is its index.  Only virtio and scsi disks can be
 * plugged (QEMU has no hot-plug on ide, sata and floppy); the value must
 * name the path and the format (else vmdef_set, vmdef_disk_get, the
 * supervisor's decision and vmdef_disk_set_path/_format come first, as
 * for a definition).  d is unchanged on error.
 */
int		 vmdef_disk_plug(struct vmdef *, const char *value, size_t *ip,
		    struct json_object **steps, char *err, size_t errlen);
/*
 * Remove disk target from d and give the steps that unplug it: device_del
 * (the caller waits for DEVICE_DELETED), then blockdev-del of the format
 * node, then of the file node, then device_del of its controller (scsi0)
 * when no other disk is on it, so that the VM stays what d would start;
 * no undo (a removed device cannot be put back).  Disks whose assigned
 * target would move up get it written into their lines (target=), so
 * that they keep their names.
 */
int		 vmdef_disk_unplug(struct vmdef *, const char *target,
		    struct json_object **steps, char *err, size_t errlen);
/*
 * A cdrom's or floppy's new medium (path, a raw image, or NULL to eject)
 * for disk target: updates d (its line gets path and format=raw, or
 * neither) and gives the steps, which keep the node names:
 * blockdev-open-tray (force: even a tray the guest locked),
 * blockdev-remove-medium, blockdev-del of the old format and file nodes,
 * then for a new medium blockdev-add file and format (undo blockdev-del),
 * blockdev-insert-medium (undo blockdev-remove-medium) and
 * blockdev-close-tray.  An eject leaves the tray open.
 */
int		 vmdef_disk_change_media(struct vmdef *, const char *target,
		    const char *path, int force, struct json_object **steps,
		    char *err, size_t errlen);

/*
 * NICs (network: lines, in the order of the file).  A bridge= or network=
 * NIC is a tap the supervisor opens: its descriptors go to QEMU as the
 * numbers first_fd and up (the taps, one a queue, then as many vhost-net
 * ones when uses_vhost).  Its QEMU ids come from its MAC (id
 * net-525400abcdef, netdev hostnet-525400abcdef).  The strings belong to
 * the definition and last until it changes.
 */
struct vmdef_nic {
	const char	*type;		/* bridge, network, user, none */
	const char	*source;	/* the bridge or network; NULL */
	const char	*model;		/* virtio, e1000, e1000e, rtl8139 */
	const char	*driver;	/* QEMU's: virtio-net-pci, ... */
	const char	*mac;		/* "": none given yet */
	const char	*ifname;	/* the tap's name asked for; NULL */
	char		 id[24], netdev[24];
	int		 tap;		/* the supervisor opens a tap */
	unsigned	 queues;
	int		 vhost;		/* as given: 1, 0, -1 (where there is) */
	int		 uses_vhost;	/* as it starts (vmdef_nic_host) */
	int		 first_fd;	/* -1: no tap */
	int		 link_up;
};
size_t		 vmdef_nic_count(const struct vmdef *);
int		 vmdef_nic_get(const struct vmdef *, size_t i,
		    struct vmdef_nic *);
/* The NIC with that MAC (any case) or QEMU device id, or -1. */
int		 vmdef_nic_find(const struct vmdef *, const char *mac_or_id,
		    size_t *ip);
/* Give NIC i its MAC (the supervisor's, when the line has none). */
int		 vmdef_nic_set_mac(struct vmdef *, size_t i, const char *mac,
		    char *err, size_t errlen);
/* NIC i's line as it is stored (with its MAC); malloc'd, NULL past the end. */
char		*vmdef_nic_line(const struct vmdef *, size_t i);
/* Add one network: line (with its MAC) to d and its text, checked. */
int		 vmdef_nic_add(struct vmdef *, const char *value, char *err,
		    size_t errlen);
/* Whether the host has vhost-net, for NICs that use it where there is. */
void		 vmdef_nic_host(struct vmdef *, int vhost_net);
/* NIC i's link as it runs (domif-setlink); its line keeps link_state. */
int		 vmdef_nic_set_link(struct vmdef *, size_t i, int up);
/*
 * Hot-plug: add one "network:" line (with its MAC) to d, checked as
 * vmdef_set and vmdef_check would, and give the steps (as
 * vmdef_disk_plug's): netdev_add (undo netdev_del), device_add (undo
 * device_del).  A tap's descriptors are named fdname-0, fdname-1, ...
 * and fdname-v0, ... for vhost-net, which the caller passes with getfd
 * first; vhost_net: the host has vhost-net (vmdef_nic_host).  *ip is its
 * index.  d is unchanged on error.
 */
int		 vmdef_nic_plug(struct vmdef *, const char *value,
		    const char *fdname, int vhost_net, size_t *ip,
		    struct json_object **steps, char *err, size_t errlen);
/*
 * Remove NIC i from d and give the steps that unplug it: device_del (the
 * caller waits for DEVICE_DELETED), then netdev_del; no undo.  steps
 * NULL: only d changes (a stored definition, microvm's too).
 */
int		 vmdef_nic_unplug(struct vmdef *, size_t i,
		    struct json_object **steps, char *err, size_t errlen);

/*
 * The install phase, as virt-install runs one (install: key): until the
 * guest first reboots, the VM boots its first CD-ROM with a medium before
 * anything else (install: cdrom), or the installer's kernel (install:
 * kernel=PATH,initrd=PATH,append=TEXT), and a reboot of the guest stops
 * QEMU, whatever on_reboot says.  The supervisor then ends the install
 * (the key goes) and starts the VM again from what remains: its disks.
 *
 * vmdef_install_cdrom: the line of the CD-ROM an install boots, or -1.
 * vmdef_install_boot_order: for the time after the install, hard disks
 * first (in the order of their lines), then CD-ROMs, written as their
 * boot_order, unless a disk has a boot order or boot: a device list
 * already.  vmdef_install_end: the key goes, from the text too.
 */
int		 vmdef_install_cdrom(const struct vmdef *, size_t *ip);
void		 vmdef_install_boot_order(struct vmdef *);
void		 vmdef_install_end(struct vmdef *);
/*
 * Disks' boot orders (boot_order=, written into the text): disk i first,
 * the others that came before it one later; disks in the order of their
 * lines, hard disks before CD-ROMs (1 if done, 0 when some disk has a
 * boot order already).
 */
void		 vmdef_disk_boot_first(struct vmdef *, size_t i);
int		 vmdef_disk_boot_default(struct vmdef *);

/*
 * PCI slots (pci.h): write the slot every device of a line has now into
 * its line (addr=), and on q35 the number of root ports
 * (pcie_root_ports:), text included, so that adding or removing a device
 * later moves no other.  Devices on fixed slots keep none.  -1 with the
 * reason when d's devices conflict.
 */
int		 vmdef_pci_pin(struct vmdef *, char *err, size_t errlen);

const char	*accel_name(enum accel);
const char	*policy_name(enum policy);

#endif
