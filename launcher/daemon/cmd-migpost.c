/*
 * migrate-postcopy (virsh's): a migration that runs from here, started
 * with --postcopy, switches to postcopy now (migctl.h says what that
 * means for the guest).
 */
#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "migctl.h"
#include "migrate.h"
#include "names.h"
#include "req.h"
#include "vm.h"

/* {"name"} */
static void
d_migrate_postcopy(struct req *r, struct vm *vm)
{
	struct migration *g = migreg_find(r->d, vm);

	if (g == NULL || g->incoming || g->ctl == NULL) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is not migrating "
		    "from here", vm->name);
		return;
	}
	if (!g->ctl->postcopy) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is migrating without "
		    "postcopy: it must be asked for when the migration starts "
		    "(migrate --postcopy)", vm->name);
		return;
	}
	if (g->ctl->in_postcopy || g->ctl->postcopy_sent) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is in postcopy "
		    "already", vm->name);
		return;
	}
	/* QEMU refuses while the migration is not under way yet */
	cmd_qmp(r, vm, "migrate-start-postcopy", NULL, reply_qmp_ok);
}

const struct dcmd dcmds_migpost[] = {
	{ "migrate-postcopy",	d_migrate_postcopy,	NEEDS_VM | NEEDS_QMP },
	{ NULL, NULL, 0 }
};
