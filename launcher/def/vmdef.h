/*
 * VM definitions: plain text, one file per VM, "key: value" lines, '#'
 * comments.  Values of structured keys use the property syntax of
 * props.h, shared with the client's flags (--memory X is memory: X).
 * The core keys are fields here; each device kind (console, graphics,
 * video, input, balloon) is a module of its own (dev.h), asked through
 * the functions at the end.  See qlaunch.conf(5).
 */
#ifndef LAUNCHER_VMDEF_H
#define LAUNCHER_VMDEF_H

#include <stddef.h>
#include <stdint.h>

struct devinst;
struct json_object;

enum accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };
enum policy { POLICY_DESTROY, POLICY_RESTART, POLICY_PRESERVE };
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
	char		*cpu;		/* NULL: host under KVM, max under TCG */
	char		*machine;	/* type[,props] */
	enum accel	 accel;
	char		*accel_opts;	/* props after the accelerator */
	char		*kernel;
	char		*initrd;
	char		*append;
	char		*boot;		/* as given: hd,cdrom,menu=on */
	enum policy	 on_poweroff, on_reboot, on_crash;
	int		 autostart;
	char		*owner;
	char		*emulator;
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
struct vnc_conf {
	const char	*listen;	/* IP address */
	int		 port;		/* TCP port, or VNC_PORT_AUTO */
	const char	*password;	/* NULL: none */
	int		 websocket;	/* TCP port, 0: none */
};
int		 vmdef_has_balloon(const struct vmdef *);
int		 vmdef_has_serial(const struct vmdef *);
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

const char	*accel_name(enum accel);
const char	*policy_name(enum policy);

#endif
