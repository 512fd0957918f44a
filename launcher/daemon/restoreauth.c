/* restore's rule for a saved definition (restoreauth.h). */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "names.h"
#include "nics.h"
#include "req.h"
#include "restoreauth.h"
#include "vm.h"
#include "vmdef.h"

int
restore_admit(struct req *r, struct vmdef *def, struct vm *vm)
{
	const char *want = vm_persistent(vm)->owner;
	char err[512];

	if (uid_is_admin(r->d, r->uid))
		return 0;
	/* with no owner it would run as root; with another, as them */
	if (def->owner == NULL || want == NULL ||
	    strcmp(def->owner, want) != 0) {
		req_error(r, ERR_PERMISSION, "restore: the saved definition's "
		    "owner (%s) is not VM '%s''s (%s); only root may change it",
		    def->owner != NULL ? def->owner : "none", vm->name,
		    want != NULL ? want : "none");
		return -1;
	}
	if (nics_prepare(r->d, def, vm, 0, 0, err, sizeof(err)) == -1) {
		req_error(r, ERR_PERMISSION, "restore: %s", err);
		return -1;
	}
	return 0;
}
