/* May a user have the supervisor write its VM's images (diskauth.h)? */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diskauth.h"
#include "names.h"
#include "req.h"
#include "userperm.h"
#include "vm.h"
#include "vmdef.h"

int
diskauth_writable(struct req *r, const struct vmdef *d)
{
	struct vmdef_disk k;

	if (uid_is_admin(r->d, r->uid))
		return 0;
	for (size_t i = 0; vmdef_disk_get(d, i, &k) == 0; i++) {
		if (k.path == NULL || k.readonly)
			continue;
		if (geteuid() != 0) {
			req_error(r, ERR_PERMISSION, "disk %s: qlaunchd does not "
			    "run as root, so only its own user may have it "
			    "work on images", k.target);
			return -1;
		}
		int e = user_may_access(r->uid, k.path, R_OK | W_OK);
		if (e != 0) {
			req_error(r, ERR_PERMISSION, "disk %s: %s: %s (the "
			    "supervisor works on a user's images only as that "
			    "user may)", k.target, k.path, strerror(e));
			return -1;
		}
	}
	return 0;
}
