/* console: hand the client's connection to the serial console relay. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "dispatch.h"
#include "names.h"
#include "req.h"
#include "util.h"
#include "vm.h"

static void
d_console(struct req *r, struct vm *vm)
{
	if (!vmdef_has_serial(vm->def)) {
		req_error(r, ERR_GENERIC, "VM '%s' has no serial console "
		    "(console: none)", vm->name);
		return;
	}
	if (console_busy(vm)) {
		req_error(r, ERR_IN_USE, "the console of '%s' is in use by "
		    "another client", vm->name);
		return;
	}
	char err[256];
	int fd = console_qemu_fd(vm, err, sizeof(err));
	if (fd == -1) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct console *con = console_open(vm, fd);
	if (con == NULL) {
		req_error(r, ERR_GENERIC, "out of memory");
		return;
	}
	if (r->conn == NULL || r->ops->detach == NULL ||
	    r->ops->detach(r->conn, console_attach, con) == -1) {
		console_cancel(con);
		req_error(r, ERR_GENERIC, "this connection cannot carry a "
		    "console");
		return;
	}
	req_return(r, NULL);
}

const struct dcmd dcmds_console[] = {
	{ "console",	d_console,	NEEDS_VM | NEEDS_ACTIVE },
	{ NULL, NULL, 0 }
};
