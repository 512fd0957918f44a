/*
 * The VM core: one VM's life in the supervisor.  Command handlers call
 * these functions; they never edit a VM's fields.  The core fires events
 * (events.h) and never calls the control socket.
 *
 * From the top down (each calls only those below it):
 *   vm-info.c      a VM as JSON
 *   vm-life.c      start, what QEMU's exit means (on_crash), re-adoption
 *   vm-qmp.c       the QMP connection, start's job, QEMU's events, the
 *                  on_poweroff/on_reboot/on_crash-by-panic policies and
 *                  the end of an install phase
 *   vm-proc.c      spawning QEMU, watching it, destroy's escalation
 *   vm-runstate.c  the runtime state file
 *   vm-registry.c  the list of VMs, definitions on disk, rename,
 *                  ownership and authorization
 *   vm-state.c     states, reasons, waiters, events
 */
#ifndef LAUNCHER_VM_H
#define LAUNCHER_VM_H

#include <sys/queue.h>
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "cmdline.h"
#include "nics.h"
#include "vmdef.h"

struct daemon;
struct event;
struct json_object;
struct qmp;
struct job;

enum vm_state {
	VM_SHUTOFF,
	VM_STARTING,
	VM_RUNNING,
	VM_PAUSED,
	VM_SHUTDOWN,	/* shutting down */
	VM_CRASHED
};

#define VM_REASON_MAX	512	/* QEMU's start errors run this long */
#define CRASH_WINDOW_S		60	/* on_crash restart: at most */
#define CRASH_MAX_RESTARTS	5	/* ...this many in the window */

struct vm;
/* ok 1, or 0 with why */
typedef void (*vm_wait_cb)(struct vm *, void *arg, int ok, const char *err);
struct waiter;

struct vm {
	TAILQ_ENTRY(vm)		 entry;
	struct daemon		*d;
	char			 name[65];
	int			 id;		/* while running; 0 otherwise */
	struct vmdef		*def;		/* what runs (or will run) */
	struct vmdef		*next_def;	/* defined while running */
	struct vmpaths		 paths;
	enum vm_state		 state;
	char			*reason;	/* never NULL */

	pid_t			 pid;
	int			 pidfd;
	struct event		*pidev;
	unsigned long long	 pstart;	/* /proc/PID/stat starttime */
	struct qmp		*qmp;
	struct job		*job;		/* start's settings, while they run */
	struct job		**cmdjobs;	/* commands' jobs on the connection */
	size_t			 ncmdjobs;
	enum accel		 accel;		/* resolved */
	char			 emulator[PATH_MAX];
	int			 qemu_major, qemu_minor, qemu_micro;
	time_t			 started;	/* wall clock */
	int			 vnc_port;	/* actual, 0: none */
	char			 vnc_host[64];	/* the address QEMU listens on */
	int			 paused_start;	/* start --paused */
	int			 hotplugged;	/* devices added since QEMU started */
	/*
	 * A vCPU was unplugged in this run: under TCG its translation
	 * context is never given back, and QEMU (7.2, 10.0) aborts at the
	 * next vCPU plug.
	 */
	int			 vcpu_unplugged;
	/*
	 * QEMU's last MIGRATION event ("" before any): known without a
	 * query, which a destination blocked in postcopy cannot answer.
	 */
	char			 mig_status[24];
	int			 nchanges;	/* device changes on their way
						   (change.c), one at a time */
	struct vmtap {
		char		 id[24];	/* the NIC's: net-525400... */
		char		 name[16];	/* its tap */
	}			*taps;		/* nics.c, while QEMU runs */
	size_t			 ntaps;

	int			 expect_exit;	/* we asked QEMU to go */
	char			*stop_reason;	/* ...and why, or NULL */
	struct event		*killev;	/* quit, SIGTERM, SIGKILL */
	struct event		*reconnev;	/* QMP lost, QEMU alive */
	int			 kill_stage;
	int			 shutdown_req;	/* ACPI shutdown asked */
	time_t			 reboot_req;	/* fake reboot asked, when */
	int			 exit_code;	/* last exit, -1 unknown */
	int			 exit_signal;	/* last fatal signal, -1 none */
	char			*crash_log;	/* last console lines */
	int			 restart_on_exit; /* start again once QEMU is
						    gone (the install ended) */
	int			 crashes;	/* restarts in the window */
	time_t			 crash_window;

	TAILQ_HEAD(, waiter)	 waiters;
};

/* vm-registry.c */
struct vm	*vm_find(struct daemon *, const char *name);
struct vm	*vm_find_id(struct daemon *, int id);
/* As virsh takes a domain: a running VM's id, a UUID, or a name. */
struct vm	*vm_lookup(struct daemon *, const char *);
/* The VM other than self whose definition has that UUID, if any. */
struct vm	*vm_uuid_owner(struct daemon *, const char *uuid,
		    const struct vm *self);
struct vm	*vm_add(struct daemon *, struct vmdef *);
/* Forget a VM (a live QEMU goes on running); fires VMEV_REMOVED. */
void		 vm_remove(struct vm *);
/* The definition on disk: the next start's, when it was changed. */
struct vmdef	*vm_persistent(struct vm *);
/*
 * Store a definition and take it: a new VM, or now for a shut off one,
 * at the next start for a running one.  *vmp is the VM.
 */
int		 vm_define(struct daemon *, struct vmdef *, struct vm **vmp,
		    char *err, size_t errlen);
/* Remove the definition file and the runtime directory; frees vm. */
int		 vm_undefine(struct vm *, char *err, size_t errlen);
/*
 * The VM's snapshot metadata directory, STATEDIR/snapshots/NAME: moved
 * with rename, removed with undefine.
 */
void		 vm_snapdir(const struct vm *, char *buf, size_t len);
/* Only shut off.  Subscribers stay with the VM. */
int		 vm_rename(struct vm *, const char *newname, char *err,
		    size_t errlen);
int		 vm_set_autostart(struct vm *, int on, char *err, size_t errlen);
/*
 * A running VM's devices changed (hot-plug): live is what runs now.  The
 * stored definition is not changed by this.
 */
void		 vm_set_live_def(struct vm *, struct vmdef *live);
/*
 * A device was added to the running QEMU.  QEMU gave it the next free PCI
 * slot, which a new command line would not: until device addresses are
 * fixed in the definition, such a VM's state cannot be restored into a
 * new QEMU.
 */
void		 vm_note_hotplug(struct vm *);
/* Is the stored definition other than what runs (the next start's)? */
int		 vm_redefined(const struct vm *);
/* currentMemory in the definition, for the next start */
int		 vm_set_config_memory(struct vm *, uint64_t mib, char *err,
		    size_t errlen);
/*
 * The install phase is over: the stored definition loses its install:
 * line, so the next start boots from the disks, and the installer's
 * files the supervisor copied (STATEDIR/boot/NAME) go.
 */
int		 vm_end_install(struct vm *, char *err, size_t errlen);
int		 vm_load_all(struct daemon *);
int		 vm_owner_uid(const struct vm *, uid_t *);
/* root and the supervisor's own user may do anything */
int		 uid_is_admin(const struct daemon *, uid_t);
/* an admin, or the VM's owner */
int		 vm_may_use(const struct vm *, uid_t);

/* vm-state.c */
const char	*vm_state_name(enum vm_state);
int		 vm_active(const struct vm *);
void		 vm_set_state(struct vm *, enum vm_state, const char *reason);
/* want_off: until shut off; else until started.  timeout_ms 0: none. */
void		 vm_wait(struct vm *, int want_off, int timeout_ms, vm_wait_cb,
		    void *arg);
/* An event for clients about this VM; data consumed. */
void		 vm_emit(struct vm *, const char *event, struct json_object *);
void		 vm_fire(struct vm *, int kind);
/* Why we asked QEMU to go: the reason of the VM's state once it went. */
void		 vm_set_stop_reason(struct vm *, const char *);
void		 vm_fail_waiters(struct vm *, const char *why);
/*
 * A command's job on the VM's QMP connection: when the connection goes
 * (QEMU exits, QMP closes, the VM is removed), vm_jobs_lost ends each
 * with job_lost, so that a job waiting for an event learns it at once.
 * Its done callback calls vm_job_untrack.
 */
void		 vm_job_track(struct vm *, struct job *);
void		 vm_job_untrack(struct vm *, struct job *);
void		 vm_jobs_lost(struct vm *, const char *why);

/* vm-life.c */
int		 vm_start(struct vm *, int paused, char *err, size_t errlen);
/*
 * Start a QEMU that waits for its state (-incoming defer) and stays
 * paused: restore's migrate-incoming comes next.  run, when not NULL,
 * is the definition it runs (consumed) until QEMU exits; the stored one
 * stays.
 */
int		 vm_start_incoming(struct vm *, struct vmdef *run, char *err,
		    size_t errlen);
/* QEMU died unasked: on_crash decides. */
void		 vm_crashed(struct vm *, const char *why);
int		 vm_adopt(struct vm *);

/* vm-proc.c */
/* auto: kvm when /dev/kvm opens read-write, else tcg */
enum accel	 vm_resolve_accel(enum accel);
int		 vm_check_file(const char *key, const char *path, char *err,
		    size_t errlen);
pid_t		 vm_spawn(struct vm *, const struct argv *,
		    const struct nicfds *pass, char *err,
		    size_t errlen);
/* quit, then SIGTERM, then SIGKILL; the VM ends shut off with reason */
void		 vm_destroy(struct vm *, const char *reason);
void		 vm_process_started(struct vm *);
int		 vm_watch_pid(struct vm *, void (*on_exit)(int, short, void *));
/* Everything of the process goes (QMP, pidfd, timers, sockets). */
void		 vm_cleanup_process(struct vm *);
/* The last line of QEMU's stderr: why it refused to start. */
void		 vm_qemu_last_error(struct vm *, char *buf, size_t len);
/* One more crash restart allowed?  At most 5 in any 60 s window. */
int		 vm_crash_budget(struct vm *);
char		*vm_console_log(struct vm *, size_t max, size_t *lenp);
char		*vm_console_tail(struct vm *, int lines);

/* vm-qmp.c */
int		 vm_qmp_open(struct vm *);
/* The connection when it takes commands, else NULL. */
struct qmp	*vm_qmp(const struct vm *);
/*
 * The address its VNC display listens on: QEMU's own word (query-vnc),
 * else the definition's listen=, else the supervisor's vnc_listen.
 */
const char	*vm_vnc_listen(const struct vm *, const struct vnc_conf *);
/* ACPI power button; the VM shuts off when the guest obeys. */
int		 vm_shutdown(struct vm *, char *err, size_t errlen);
/* The guest ignored the shutdown request: back to running. */
void		 vm_shutdown_ignored(struct vm *, int seconds);
/* ACPI power button; the SHUTDOWN that follows becomes a reset. */
void		 vm_reboot_requested(struct vm *);
/* What to do after QMP negotiation (used by tests with a fake QEMU). */
void		 vm_qmp_ready_cb(void *arg, struct qmp *);
void		 vm_qmp_closed_cb(void *arg, struct qmp *, const char *);
void		 vm_qmp_event_cb(void *arg, const char *, struct json_object *);

/* vm-runstate.c */
void		 vm_write_runstate(struct vm *);

/* vm-info.c */
struct json_object *vm_info(struct vm *);

#endif
