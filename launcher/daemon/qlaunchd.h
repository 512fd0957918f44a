/* qlaunchd: the supervisor's shared state and its parts. */
#ifndef LAUNCHER_QLAUNCHD_H
#define LAUNCHER_QLAUNCHD_H

#include <sys/queue.h>
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "cmdline.h"
#include "vmdef.h"

struct event_base;
struct event;
struct bufferevent;
struct json_object;
struct qmp;
struct client;

enum vm_state {
	VM_SHUTOFF,
	VM_STARTING,
	VM_RUNNING,
	VM_PAUSED,
	VM_SHUTDOWN,	/* shutting down */
	VM_CRASHED
};

/* A control request being served; answered exactly once. */
struct req {
	TAILQ_ENTRY(req)	 centry;	/* in its client's list */
	struct client		*c;		/* NULL once the client left */
	struct json_object	*id;
	struct json_object	*args;
	char			 cmd[32];
	uid_t			 uid;
	pid_t			 pid;
};

/* Somebody waiting for a VM to reach a state (start, destroy, --wait). */
struct vm;
typedef void (*vm_wait_cb)(struct vm *, void *arg, int ok, const char *err);
struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	struct vm		*vm;
	int			 want_off;	/* 1: shut off; 0: started */
	struct event		*timer;
	vm_wait_cb		 cb;
	void			*arg;
};

struct console;

struct vm {
	TAILQ_ENTRY(vm)		 entry;
	char			 name[65];
	struct vmdef		*def;		/* what runs (or will run) */
	struct vmdef		*next_def;	/* defined while running */
	struct vmpaths		 paths;
	enum vm_state		 state;
	char			 reason[96];	/* why it is in that state */

	pid_t			 pid;
	int			 pidfd;
	struct event		*pidev;
	unsigned long long	 pstart;	/* /proc/PID/stat starttime */
	struct qmp		*qmp;
	enum accel		 accel;		/* resolved */
	char			 emulator[PATH_MAX];
	int			 qemu_major, qemu_minor, qemu_micro;
	time_t			 started;	/* wall clock */
	int			 vnc_port;	/* actual, 0: none */
	int			 paused_start;	/* start --paused */

	int			 expect_exit;	/* we asked QEMU to go */
	struct event		*killev;	/* quit, SIGTERM, SIGKILL */
	struct event		*reconnev;	/* QMP lost, QEMU alive */
	int			 kill_stage;
	int			 shutdown_req;	/* ACPI shutdown asked */
	time_t			 reboot_req;	/* fake reboot asked, when */
	int			 exit_code;	/* last exit, -1 unknown */
	int			 exit_signal;	/* last fatal signal, -1 none */
	char			*crash_log;	/* last console lines */
	int			 crashes;	/* restarts in the window */
	time_t			 crash_window;

	TAILQ_HEAD(, waiter)	 waiters;
	struct console		*console;
	int			 removed;
};

struct daemon {
	struct event_base	*base;
	char			 statedir[PATH_MAX];
	char			 defdir[PATH_MAX];
	char			 runroot[PATH_MAX];
	char			 sock[108];
	const char		*qemu;
	uid_t			 uid;
	int			 foreground;
	int			 listen_fd;
	struct event		*listen_ev;
	TAILQ_HEAD(, vm)	 vms;
	int			 quitting;
};

extern struct daemon *D;

/* vm.c */
const char	*vm_state_name(enum vm_state);
struct vm	*vm_find(const char *name);
struct vm	*vm_add(struct vmdef *);
/* The definition on disk: the next start's, when it was changed. */
struct vmdef	*vm_persistent(struct vm *);
/* Take a new definition: now if shut off, at the next start otherwise. */
void		 vm_redefine(struct vm *, struct vmdef *);
void		 vm_remove(struct vm *);
int		 vm_active(const struct vm *);
/* auto: kvm when /dev/kvm opens read-write, else tcg */
enum accel	 vm_resolve_accel(enum accel);
int		 vm_start(struct vm *, int paused, char *err, size_t errlen);
void		 vm_destroy(struct vm *);
int		 vm_adopt(struct vm *);
void		 vm_set_state(struct vm *, enum vm_state, const char *reason);
void		 vm_wait(struct vm *, int want_off, int timeout_ms, vm_wait_cb,
		    void *arg);
int		 vm_save_def(const struct vmdef *, char *err, size_t errlen);
int		 vm_load_all(void);
void		 vm_emit(struct vm *, const char *event, struct json_object *data);
struct json_object *vm_info(struct vm *);
char		*vm_console_log(struct vm *, size_t max, size_t *lenp);
int		 vm_owner_uid(const struct vm *, uid_t *);
/* root and the supervisor's own user may do anything */
int		 uid_is_admin(uid_t);
/* an admin, or the VM's owner */
int		 vm_may_use(const struct vm *, uid_t);

/* control.c */
int		 control_listen(const char *path, char *err, size_t errlen);
void		 control_close(void);
void		 req_return(struct req *, struct json_object *ret);
void		 req_error(struct req *, const char *class, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 req_qemu_error(struct req *, const char *class,
		    const char *desc);
void		 req_event(struct req *, const char *event, struct json_object *);
/* Events to every client subscribed to that VM (or to all). */
void		 control_broadcast(const char *vm, struct json_object *event);
/* Hand the request's connection over to a raw byte relay (console). */
int		 req_take_console(struct req *, struct vm *, int fd);
void		 console_close_vm(struct vm *);

/* dcmds.c */
void		 dcmd_dispatch(struct req *);

#endif
