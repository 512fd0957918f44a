#include <string.h>

#include "dispatch.h"
#include "names.h"
#include "req.h"
#include "vm.h"

extern const struct dcmd dcmds_cpu[];	/* cmd-cpu.c */
extern const struct dcmd dcmds_iothread[];	/* cmd-iothread.c */
extern const struct dcmd dcmds_def[], dcmds_life[], dcmds_read[],
    dcmds_console[], dcmds_mem[], dcmds_display[], dcmds_qmp[], dcmds_disk[],
    dcmds_snapshot[], dcmds_save[], dcmds_clone[], dcmds_nic[], dcmds_net[],
    dcmds_iface[], dcmds_heartbeat[], dcmds_migrate[], dcmds_migin[],
    dcmds_migstats[], dcmds_migpost[], dcmds_dirtyrate[], dcmds_migoff[];
extern const struct dcmd dcmds_memhp[];	/* cmd-memhp.c */
extern const struct dcmd dcmds_stats[];	/* cmd-stats.c */
extern const struct dcmd dcmds_agent[];	/* cmd-agent.c */
extern const struct dcmd dcmds_migresume[];	/* migresume.c */
extern const struct dcmd dcmds_webconsole[];	/* cmd-webconsole.c */
extern const struct dcmd dcmds_web[];	/* cmd-web.c */
extern const struct dcmd dcmds_commands[];	/* cmd-commands.c */

static const struct dcmd *const areas[] = {
	dcmds_def,
	dcmds_life,
	dcmds_read,
	dcmds_console,
	dcmds_mem,
	dcmds_memhp,
	dcmds_display,
	dcmds_disk,
	dcmds_nic,
	dcmds_cpu,
	dcmds_iothread,
	dcmds_snapshot,
	dcmds_save,
	dcmds_clone,
	dcmds_net,
	dcmds_iface,
	dcmds_heartbeat,
	dcmds_migrate,
	dcmds_migin,
	dcmds_migstats,
	dcmds_migpost,
	dcmds_dirtyrate,
	dcmds_migoff,
	dcmds_migresume,
	dcmds_stats,
	dcmds_agent,
	dcmds_webconsole,
	dcmds_web,
	dcmds_qmp,
	dcmds_commands,
};

static const struct dcmd *
find(const char *name)
{
	for (size_t a = 0; a < sizeof(areas) / sizeof(areas[0]); a++)
		for (const struct dcmd *c = areas[a]; c->name != NULL; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

void
dispatch_each(void (*fn)(void *, const char *, int), void *arg)
{
	for (size_t a = 0; a < sizeof(areas) / sizeof(areas[0]); a++)
		for (const struct dcmd *c = areas[a]; c->name != NULL; c++)
			fn(arg, c->name, c->flags);
}

void
dispatch(struct req *r)
{
	const struct dcmd *c = find(r->cmd);
	struct vm *vm = NULL;

	if (c == NULL) {
		req_error(r, ERR_COMMAND_NOT_FOUND, "no command '%s'", r->cmd);
		return;
	}
	if ((c->flags & NEEDS_ADMIN) && !uid_is_admin(r->d, r->uid)) {
		req_error(r, ERR_PERMISSION, "%s: only root may do that", r->cmd);
		return;
	}
	if (c->flags & NEEDS_VM) {
		const char *name = req_str(r, "name");
		if (name == NULL) {
			req_error(r, ERR_GENERIC, "%s needs \"name\" (a string)",
			    r->cmd);
			return;
		}
		if ((vm = vm_lookup(r->d, name)) == NULL) {
			req_error(r, ERR_NOT_FOUND, "no VM named '%s'", name);
			return;
		}
		if (!vm_may_use(vm, r->uid)) {
			req_error(r, ERR_PERMISSION, "VM '%s' belongs to "
			    "another user", name);
			return;
		}
		if ((c->flags & NEEDS_ACTIVE) && !vm_active(vm)) {
			req_error(r, ERR_INVALID_STATE, "VM '%s' is %s", name,
			    vm_state_name(vm->state));
			return;
		}
		if ((c->flags & NEEDS_QMP) && vm_qmp(vm) == NULL) {
			req_error(r, ERR_INVALID_STATE, "VM '%s' is %s and its "
			    "QMP connection is not ready", name,
			    vm_state_name(vm->state));
			return;
		}
	}
	c->fn(r, vm);
}
