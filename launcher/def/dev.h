/*
 * Device modules.  Each kind of device a definition can have lives in one
 * file, dev-KIND.c, which exports its struct devkind; devices.c lists them
 * in devkinds[].  Adding a kind is one new file and one row there.
 *
 * A module owns its configuration: parse returns an opaque pointer that
 * only the module's own functions look into.  A definition keeps the
 * instances its lines gave (struct devinst); a kind with none of its
 * lines gets its default, if it has one, computed afresh each time from
 * the rest of the definition.  The rest of qlaunch asks the definition
 * (vmdef.h), never a module.
 */
#ifndef LAUNCHER_DEV_H
#define LAUNCHER_DEV_H

#include <stddef.h>

#include "cmdline.h"
#include "vmdef.h"

struct json_object;

/* What devices tell the definition and the kinds after them about itself. */
struct devfacts {
	int		 balloon;	/* a virtio balloon, id balloon0 */
	int		 serial;	/* ttyS0 on the console socket */
	int		 vnc;		/* a VNC display, described by vnc */
	struct vnc_conf	 vnc_conf;
	int		 bootindex;	/* a device has a boot order: -boot
					   gets no device list */
	unsigned	 ndisks;	/* disk lines so far */
	unsigned	 cdrom;		/* 1 + the line of the first CD-ROM
					   with a medium; 0: none */
	int		 heartbeat;	/* channel: heartbeat, on
					   vmpaths.heartbeat */
	int		 agent;		/* guest-agent: on, vmpaths.agent */
};

struct devkind {
	const char	*key;		/* the definition key it owns */
	int		 repeat;	/* may be given more than once */
	/*
	 * Parse and validate one value, in virt-install's flag syntax;
	 * NULL with the reason in err (vmdef_set puts "KEY: " before it).
	 */
	void		*(*parse)(const char *value, char *err, size_t errlen);
	/* The canonical value text, which parse takes back; malloc'd. */
	char		*(*print)(const void *conf);
	void		 (*free)(void *conf);
	void		*(*dup)(const void *conf);
	/*
	 * Checks against the rest of the definition, given all this kind's
	 * instances at once (optional).
	 */
	int		 (*check)(const struct vmdef *, const void *const *confs,
			    size_t n, char *err, size_t errlen);
	/*
	 * The instance a definition has when the key is absent, or NULL for
	 * none (optional).  It may depend on the machine and on the facts of
	 * the kinds before it in devkinds[].  A static the module keeps.
	 */
	const void	*(*dflt)(const struct vmdef *, const struct devfacts *);
	/*
	 * Can the instance go on a command line as it is?  Some need what the
	 * supervisor decides when the definition is stored (a disk's path or
	 * format).  -1 with the whole message in err, naming the instance
	 * ("disk vda: no format; ...") (optional).
	 */
	int		 (*ready)(const struct vmdef *, const void *conf,
			    char *err, size_t errlen);
	/* Add what the instance is to the facts (optional). */
	void		 (*facts)(const void *conf, struct devfacts *);
	/*
	 * Command-line options other than its -device: -chardev, -vnc, ...
	 * (optional).  Added after the QMP socket and pidfile.
	 */
	void		 (*options)(const struct vmdef *, const void *conf,
			    const struct vmpaths *, struct argv *);
	/*
	 * The controller the device sits on, as a -device object with an
	 * "id"; each id goes on the command line once, before the first
	 * device needing it (optional; NULL: none needed).
	 */
	struct json_object *(*controller)(const struct vmdef *,
			    const void *conf);
	/*
	 * The device as one object, shaped as device_add's arguments
	 * ("driver", "id", then properties): the command line's -device JSON
	 * and the hot-plug request alike.  n is the instance's number among
	 * its kind's, for its id.  NULL: nothing to add (optional).
	 */
	struct json_object *(*device)(const struct vmdef *, const void *conf,
			    unsigned n);
	/*
	 * Append the QMP commands the device needs once QEMU is up and before
	 * the guest runs to the array cmds (optional).
	 */
	void		 (*runtime)(const struct vmdef *, const void *conf,
			    struct json_object *cmds);
};

/* One device line of a definition. */
struct devinst {
	const struct devkind	*kind;
	void			*conf;
	/*
	 * The PCI slot the line pins (addr=, pci.h), kept outside the
	 * module's configuration so that every kind takes it; 0: none.
	 */
	unsigned		 addr;
};

/*
 * A module's object that is a PCI device (on pc or q35, not microvm's
 * mmio or another bus) goes through dev_pci, which marks it for the
 * placement (pci.h): its bus and addr are filled in wherever it is used.
 * Returns o.
 */
struct json_object *dev_pci(struct json_object *o);

/* Every kind, in the order of the canonical form and of the command line. */
extern const struct devkind *const devkinds[];
extern const size_t ndevkinds;

/* The kind owning key, or NULL. */
const struct devkind *devkind_find(const char *key);

/* The instances of one kind a definition has: its lines, or the default. */
struct devset {
	const struct devkind	*kind;
	const void *const	*confs;
	size_t			 n;
	int			 dflt;	/* the kind's default, no line */
	const size_t		*lines;	/* each instance's index in d->devs,
					   (size_t)-1 for the default */
};

/*
 * Call fn for each kind with instances, in devkinds[] order, after adding
 * their facts; stops at the first non-zero return, which it returns.  fn
 * may be NULL; facts, when not NULL, gets the facts of all devices.
 */
/*
 * A device line's value as printed: the module's text, then addr= when the
 * line pins a PCI slot.  line indexes d->devs, (size_t)-1 for a default.
 */
char	*vmdef_dev_value(const struct vmdef *, const struct devkind *,
	    const void *conf, size_t line);

typedef int (*dev_fn)(const struct vmdef *, const struct devset *, void *);
int	 dev_walk(const struct vmdef *, struct devfacts *, dev_fn, void *arg);

#endif
