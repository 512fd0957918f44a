/*
 * The snapshot commands' shared part (cmd-snapshot.c, snaprevert.c,
 * snapdelete.c): an operation on its way and the helpers all three use.
 * Private to those files.
 */
#ifndef LAUNCHER_SNAPOP_H
#define LAUNCHER_SNAPOP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "storage.h"

struct event;
struct job;
struct json_object;
struct qmp;
struct req;
struct vm;
struct vmdef;
struct vmdef_disk;

#define SNAP_JOB_MS	(30 * 60 * 1000)	/* the RAM of a big guest */
#define START_WAIT_MS	60000
#define STOP_WAIT_MS	30000
#define POLL_FIRST_MS	1000		/* query-jobs for the percent */
#define POLL_MS		250		/* ...and then this often */

enum snap_op { OP_CREATE, OP_REVERT, OP_DELETE };

/* An operation on its way (a job, or a start before one). */
struct snap {
	struct req		*r;
	struct vm		*vm;
	enum snap_op		 op;
	char			 name[65];
	char			 dir[PATH_MAX];
	char			 jobid[96];
	char			 what[160];	/* "snapshot-create-as t1 s1" */
	const char		*qcmd;		/* snapshot-save, -load, -delete */
	struct json_object	*meta;		/* create: what is stored after */
	struct json_object	*nodes;		/* the format nodes of the job */
	struct vmdef		*live;		/* external: what runs after */
	struct vmdef		*config;	/* external: what is stored after */
	struct created		 made;		/* external: the overlays */
	struct job		*job;
	int			 want;		/* revert: 1 running, 0 paused */
	int			 was;		/* revert: the state it stopped in
						   (1 running, 0 paused, -1 off) */
	/* progress: the job's step, and QEMU's job polled for its percent */
	int			 step, nsteps;
	struct event		*poll;
	struct qmp		*pq;
	int64_t			 pollid;
	int			 pct;		/* last sent, -1 none */
	struct json_object	*deldisks;	/* {"target", "how"} still to do */
	int			 frozen;	/* the guest's file systems
						   (snapfreeze.h) */
};

struct snap	*snap_new(struct req *, struct vm *, enum snap_op,
		    const char *verb, const char *name);
void		 snap_free(struct snap *);
/* The snapshot's name from the request, checked; NULL answered. */
const char	*snap_arg(struct req *);
/* The snapshot's metadata, or NULL answered with NotFound. */
struct json_object *snap_meta(struct req *, struct vm *, const char *name);
/* Running (with QMP) or shut off: 0 and *live; else -1 answered. */
int		 snap_usable_state(struct req *, struct vm *, int *live);
/* The disks of an internal snapshot (see cmd-snapshot.c). */
int		 snap_internal_disks(struct vm *, const struct vmdef *,
		    struct json_object *nodes, struct json_object *disks,
		    char *err, size_t errlen);
/* The disks of an existing internal snapshot in d, by its targets. */
int		 snap_disks(struct snap *, struct json_object *meta,
		    const struct vmdef *d, struct json_object *nodes,
		    int (*fn)(const char *, const char *, const char *, char *,
		    size_t), char *err, size_t errlen);
/* Job progress: a JOB_PROGRESS event with the percent. */
void		 snap_progress(void *arg, int step, int nsteps, const char *what);
void		 snap_poll_stop(struct snap *);
/* query-jobs: s->jobid concluded without an error (a job check). */
int		 snap_job_outcome(void *arg, struct json_object *ret, char *err,
		    size_t errlen);
struct json_object *snap_id_arg(const char *id);
/* QEMU's snapshot-save/-load/-delete job s->qcmd, and its outcome. */
struct job	*snap_qemu_job(struct snap *, const char *undo);
/* Track and start j, with the percent polled while it runs. */
void		 snap_run(struct snap *, struct job *);
/* The metadata after a job: the answer, success or error. */
void		 snap_finish(struct snap *);

/* snaprevert.c, snapdelete.c: the handlers */
void		 snap_revert(struct req *, struct vm *);
void		 snap_delete(struct req *, struct vm *);

#endif
