/*
 * Jobs: multi-step QMP work.  Steps run in order, each reply checked; a
 * step may look at its reply and fail the job.  On failure the undo
 * commands of the steps that succeeded run in reverse, and then the job
 * ends with the first error.  One timeout covers the whole job.  Progress
 * ("step N of M: what") goes to an optional callback.  Nothing half-done
 * is left behind, except where QEMU itself vanished (nothing to undo).
 */
#ifndef LAUNCHER_JOB_H
#define LAUNCHER_JOB_H

struct event_base;
struct json_object;
struct qmp;
struct job;

/*
 * A step's check: 0 to go on, -1 to fail the job (with a reason in err).
 * ret is the step's return value, borrowed.
 */
typedef int (*job_check_fn)(void *arg, struct json_object *ret, char *err,
    size_t errlen);
/*
 * The end: ok 1, or 0 with the error.  qemu is 1 when QEMU raised the
 * error (class and desc are QEMU's), 0 for our own (Timeout, a check).
 * desc does not name the job: whoever reports it names the operation.
 * Called exactly once, after any undo has finished; the job is freed
 * after it returns.
 */
typedef void (*job_done_fn)(void *arg, int ok, const char *class,
    const char *desc, int qemu);
typedef void (*job_progress_fn)(void *arg, int step, int nsteps,
    const char *what);

struct job	*job_new(struct event_base *, struct qmp *, const char *name,
		    int timeout_ms, job_done_fn, void *arg);
/* A QMP step; args consumed.  check may be NULL. */
void		 job_step(struct job *, const char *cmd, struct json_object *args,
		    job_check_fn check, void *arg);
/*
 * The last step added goes with descriptor fd (SCM_RIGHTS: getfd), which
 * the job owns from now on and closes when it ends.
 */
void		 job_pass_fd(struct job *, int fd);
/* The undo of the last step added; args consumed. */
void		 job_undo(struct job *, const char *cmd, struct json_object *args);
/*
 * The last step added also waits for an event: it is done when its reply
 * has come and an event named event whose data member key equals value
 * (DEVICE_DELETED with "device": "vdb"), within timeout_ms of the reply;
 * else the job fails with a Timeout that names the event.  value may list
 * alternatives separated by '|' (whichever comes first).
 */
void		 job_expect_event(struct job *, const char *event,
		    const char *key, const char *value, int timeout_ms);
/*
 * The same, matching two data members: JOB_STATUS_CHANGE with "id" the
 * job's and "status" "concluded".  value2 may list alternatives
 * separated by '|' ("ready|concluded": whichever comes first).
 */
void		 job_expect_event2(struct job *, const char *event,
		    const char *key, const char *value, const char *key2,
		    const char *value2, int timeout_ms);
void		 job_progress(struct job *, job_progress_fn, void *arg);
/*
 * Steps from an array of {"execute", "arguments", "undo": {"execute",
 * "arguments"}} (vmdef_runtime_qmp, the hot-plug steps); arguments and
 * undo may be absent.
 */
void		 job_steps_from(struct job *, struct json_object *cmds);
int		 job_nsteps(const struct job *);
/* Run it.  done may be called before this returns (an empty job). */
void		 job_start(struct job *);
/*
 * Abandon a job whose owner goes away: no callback, no undo, freed.
 * Replies still pending are ignored.
 */
void		 job_abandon(struct job *);
/*
 * The QMP connection closed while the job waited for an event (no reply
 * pending, so QMP itself cannot tell it): it ends now, done called with
 * Disconnected and why, nothing undone.  The connection may be freed
 * once this returns.
 */
void		 job_lost(struct job *, const char *why);

#endif
