/*
 * The supervisor's command table.  Each area's handlers live in their own
 * cmd-*.c and export their rows; dispatch checks the central
 * preconditions (flags) before a handler runs.  Every handler answers its
 * request exactly once, now or later, through req.h; it changes a VM only
 * through the VM core's functions (vm.h).
 */
#ifndef LAUNCHER_DISPATCH_H
#define LAUNCHER_DISPATCH_H

#include <stdint.h>

struct req;
struct vm;
struct json_object;
struct qmp_error;

#define NEEDS_VM	0x01	/* arguments.name names a VM the caller may use */
#define NEEDS_ACTIVE	0x02	/* ...with a QEMU process */
#define NEEDS_QMP	0x04	/* ...and a QMP connection that takes commands */
#define NEEDS_ADMIN	0x08	/* root or the supervisor's own user */

/*
 * Each cmd-AREA.c exports "const struct dcmd dcmds_AREA[]", ended by a
 * row whose name is NULL; dispatch.c lists the areas.
 */
struct dcmd {
	const char	*name;
	void		(*fn)(struct req *, struct vm *);
	int		 flags;
};

void	 dispatch(struct req *);
/* fn(arg, name, flags) for every row of the table (cmd-commands.c) */
void	 dispatch_each(void (*fn)(void *, const char *, int), void *arg);

/* cmd-common.c: replies shared by the areas */
#define QMP_PASS_MS	30000
/* QEMU's answer unchanged */
void	 reply_qmp_pass(void *req, struct json_object *,
	    const struct qmp_error *);
/* {} once QEMU accepted */
void	 reply_qmp_ok(void *req, struct json_object *,
	    const struct qmp_error *);
/* Send a command to the VM's QEMU; the reply answers r through cb. */
void	 cmd_qmp(struct req *, struct vm *, const char *cmd,
	    struct json_object *args, void (*cb)(void *, struct json_object *,
	    const struct qmp_error *));
/* A vm_wait callback: the VM's info, or the reason it did not get there. */
void	 reply_wait(struct vm *, void *req, int ok, const char *err);

/*
 * The figures of a migration QEMU has completed (save's, migrate's), from
 * query-migrate's ret, into s: time_elapsed_ms (since t0, mono_ms),
 * migration_ms, downtime_ms, data_processed and memory_total.
 */
void	 job_figures(struct json_object *s, struct json_object *ret,
	    int64_t t0);

/*
 * virsh's scope of a change: "live" (the running VM) and/or "config" (the
 * stored definition); neither means the VM's current state.
 */
void	 cmd_scope(struct req *, struct vm *, int *live, int *config);

/* cmd-def.c: start the VM; answer once it runs (or failed to) */
void	 start_and_wait(struct req *, struct vm *);

#endif
