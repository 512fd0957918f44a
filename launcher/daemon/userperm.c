/* What a user may do to a file, asked as that user (userperm.h). */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "userperm.h"

int
user_may_access(uid_t uid, const char *path, int mode)
{
	struct passwd *pw = getpwuid(uid);
	int st;
	pid_t pid;

	if (geteuid() != 0 || uid == geteuid())
		return access(path, mode) == 0 ? 0 : errno;
	if ((pid = fork()) == -1)
		return errno;
	if (pid == 0) {
		/* a uid with no account: no groups, its number as its gid */
		if ((pw != NULL ? initgroups(pw->pw_name, pw->pw_gid) :
		    setgroups(0, NULL)) == -1 ||
		    setgid(pw != NULL ? pw->pw_gid : (gid_t)uid) == -1 ||
		    setuid(uid) == -1)
			_exit(EPERM);
		_exit(access(path, mode) == 0 ? 0 : errno & 0xff);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return errno;
	if (!WIFEXITED(st))
		return EPERM;
	return WEXITSTATUS(st);
}
