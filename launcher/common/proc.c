#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

int
proc_stat(pid_t pid, int first, unsigned long long *v, int n)
{
	return proc_task_stat(pid, 0, first, v, n);
}

int
proc_task_stat(pid_t pid, pid_t tid, int first, unsigned long long *v, int n)
{
	char path[64], buf[1024];
	int fd;
	ssize_t len;

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat",
		    (long)pid, (long)tid);
	else
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* the command name (field 2) may hold spaces and ')' */
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] == '\0')
		return -1;
	p += 2;		/* field 3 */
	for (int f = 3; f < first; f++) {
		if ((p = strchr(p, ' ')) == NULL)
			return -1;
		p++;
	}
	for (int i = 0; i < n; i++)
		v[i] = strtoull(p, &p, 10);
	return 0;
}

unsigned long long
proc_starttime(pid_t pid)
{
	unsigned long long t;

	return proc_stat(pid, 22, &t, 1) == 0 ? t : 0;
}

long long
proc_cputime_ms(pid_t pid)
{
	return proc_task_cputime_ms(pid, 0);
}

long long
proc_task_cputime_ms(pid_t pid, pid_t tid)
{
	unsigned long long t[2];	/* utime, stime */

	if (proc_task_stat(pid, tid, 14, t, 2) == -1)
		return -1;
	return (long long)((t[0] + t[1]) * 1000 /
	    (unsigned long long)sysconf(_SC_CLK_TCK));
}
