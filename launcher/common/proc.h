/* Reading /proc/PID/stat: one reader for its fields. */
#ifndef LAUNCHER_PROC_H
#define LAUNCHER_PROC_H

#include <sys/types.h>

/*
 * n consecutive numeric fields from field number first (proc(5) counts
 * from 1); 0, or -1 when the process is gone.
 */
int			 proc_stat(pid_t, int first, unsigned long long *, int n);
/* The same of one thread, /proc/PID/task/TID/stat (tid 0: the process). */
int			 proc_task_stat(pid_t, pid_t tid, int first,
			    unsigned long long *, int n);
/* Field 22, the start time in clock ticks; 0 when gone. */
unsigned long long	 proc_starttime(pid_t);
/* utime + stime in milliseconds; -1 when gone. */
long long		 proc_cputime_ms(pid_t);
/* utime + stime of thread tid of pid in milliseconds; -1 when gone. */
long long		 proc_task_cputime_ms(pid_t, pid_t tid);

#endif
