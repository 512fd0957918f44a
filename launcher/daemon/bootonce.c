/* Autostart once a boot (bootonce.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bootonce.h"
#include "log.h"
#include "util.h"

#define BOOT_ID	"/proc/sys/kernel/random/boot_id"

static int
read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int
bootonce_first(const char *statedir)
{
	char id[64], seen[64], path[PATH_MAX], tmp[PATH_MAX];

	if (read_small(BOOT_ID, id, sizeof(id)) == -1 || id[0] == '\0')
		return 1;	/* no boot id: every start is a boot */
	snprintf(path, sizeof(path), "%s/autostarted", statedir);
	if (read_small(path, seen, sizeof(seen)) == 0 && strcmp(seen, id) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	int ok = fd != -1 && dprintf(fd, "%s\n", id) >= 0;
	if (fd != -1 && close(fd) == -1)
		ok = 0;
	if (!ok || rename(tmp, path) == -1) {
		log_warn("%s", path);	/* it autostarts: better twice than never */
		(void)unlink(tmp);
	}
	return 1;
}
