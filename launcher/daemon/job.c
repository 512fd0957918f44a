#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "job.h"
#include "jget.h"
#include "names.h"
#include "qmp.h"
#include "xalloc.h"

#define UNDO_STEP_MS	10000

struct step {
	char			*cmd;
	struct json_object	*args;
	job_check_fn		 check;
	void			*arg;
	char			*undo_cmd;
	struct json_object	*undo_args;
	/* an event the step waits for besides its reply */
	char			*event;
	char			*ev_key;
	char			*ev_value;
	char			*ev_key2;	/* NULL: one member to match */
	char			*ev_value2;
	int			 ev_timeout_ms;
	int			 fd;		/* passed with it; -1: none */
};

struct job {
	char			*name;
	struct qmp		*qmp;
	struct event_base	*base;
	struct event		*timer;
	struct step		*steps;
	int			 n;
	int			 cur;		/* running step */
	int			 undoing;	/* index of the undo running */
	int64_t			 pending;	/* QMP id of what runs */
	int			 failed;
	int			 abandoned;
	/* the running step's event wait */
	void			*ev_sub;
	struct event		*ev_timer;
	int			 ev_seen;
	int			 reply_seen;
	char			 class[64];
	char			 desc[1024];
	int			 qemu;
	job_done_fn		 done;
	void			*arg;
	job_progress_fn		 progress;
	void			*parg;
};

static void	job_next(struct job *);
static void	job_rollback(struct job *);
static void	event_wait_end(struct job *);

static void
job_free(struct job *j)
{
	for (int i = 0; i < j->n; i++) {
		free(j->steps[i].cmd);
		json_object_put(j->steps[i].args);
		free(j->steps[i].undo_cmd);
		json_object_put(j->steps[i].undo_args);
		if (j->steps[i].fd != -1)
			close(j->steps[i].fd);
		free(j->steps[i].event);
		free(j->steps[i].ev_key);
		free(j->steps[i].ev_value);
		free(j->steps[i].ev_key2);
		free(j->steps[i].ev_value2);
	}
	event_wait_end(j);
	free(j->steps);
	if (j->timer != NULL)
		event_free(j->timer);
	free(j->name);
	free(j);
}

static void
job_finish(struct job *j)
{
	if (j->timer != NULL)
		event_del(j->timer);
	if (!j->abandoned)
		j->done(j->arg, !j->failed, j->failed ? j->class : NULL,
		    j->failed ? j->desc : NULL, j->qemu);
	job_free(j);
}

static void
job_fail(struct job *j, const char *class, const char *desc, int qemu)
{
	if (j->failed)
		return;
	j->failed = 1;
	strlcpy(j->class, class, sizeof(j->class));
	snprintf(j->desc, sizeof(j->desc), "%s", desc);
	j->qemu = qemu;
}

static void
timed_out(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	char desc[256];

	(void)fd;
	(void)what;
	/* the step in flight is forgotten; its late reply is dropped */
	if (j->pending > 0)
		qmp_cancel(j->qmp, j->pending);
	j->pending = 0;
	event_wait_end(j);
	/* the job's owner names the operation: its messages do not */
	snprintf(desc, sizeof(desc), "timed out at step %d of %d (%s)",
	    j->cur + 1, j->n, j->cur < j->n ? j->steps[j->cur].cmd : "end");
	job_fail(j, ERR_TIMEOUT, desc, 0);
	j->undoing = j->cur;
	job_rollback(j);
}

struct job *
job_new(struct event_base *base, struct qmp *q, const char *name,
    int timeout_ms, job_done_fn done, void *arg)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->name = xstrdup(name);
	j->base = base;
	j->qmp = q;
	j->done = done;
	j->arg = arg;
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };
		j->timer = evtimer_new(base, timed_out, j);
		evtimer_add(j->timer, &tv);
	}
	return j;
}

void
job_step(struct job *j, const char *cmd, struct json_object *args,
    job_check_fn check, void *arg)
{
	j->steps = xreallocarray(j->steps, (size_t)j->n + 1, sizeof(*j->steps));
	struct step *s = &j->steps[j->n++];
	memset(s, 0, sizeof(*s));
	s->cmd = xstrdup(cmd);
	s->args = args;
	s->check = check;
	s->arg = arg;
	s->fd = -1;
}

void
job_pass_fd(struct job *j, int fd)
{
	struct step *s = &j->steps[j->n - 1];

	if (s->fd != -1)
		close(s->fd);
	s->fd = fd;
}

void
job_undo(struct job *j, const char *cmd, struct json_object *args)
{
	struct step *s = &j->steps[j->n - 1];

	free(s->undo_cmd);
	json_object_put(s->undo_args);
	s->undo_cmd = xstrdup(cmd);
	s->undo_args = args;
}

void
job_expect_event(struct job *j, const char *event, const char *key,
    const char *value, int timeout_ms)
{
	struct step *s = &j->steps[j->n - 1];

	s->event = xstrdup(event);
	s->ev_key = xstrdup(key);
	s->ev_value = xstrdup(value);
	s->ev_timeout_ms = timeout_ms;
}

void
job_expect_event2(struct job *j, const char *event, const char *key,
    const char *value, const char *key2, const char *value2, int timeout_ms)
{
	struct step *s = &j->steps[j->n - 1];

	job_expect_event(j, event, key, value, timeout_ms);
	free(s->ev_key2);
	free(s->ev_value2);
	s->ev_key2 = xstrdup(key2);
	s->ev_value2 = xstrdup(value2);
}

void
job_lost(struct job *j, const char *why)
{
	if (j->pending > 0)
		qmp_cancel(j->qmp, j->pending);
	j->pending = 0;
	event_wait_end(j);
	job_fail(j, ERR_DISCONNECTED, why, 0);
	/* nothing can be undone in a QEMU that is gone */
	j->undoing = 0;
	job_finish(j);
}

void
job_progress(struct job *j, job_progress_fn fn, void *arg)
{
	j->progress = fn;
	j->parg = arg;
}

void
job_steps_from(struct job *j, struct json_object *cmds)
{
	size_t n = json_object_array_length(cmds);

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cmds, i);
		struct json_object *a = jget(c, "arguments");
		struct json_object *u = jget(c, "undo"), *ua;
		job_step(j, jstr(c, "execute"), a != NULL ?
		    json_object_get(a) : NULL, NULL, NULL);
		if (u != NULL && jstr(u, "execute") != NULL) {
			ua = jget(u, "arguments");
			job_undo(j, jstr(u, "execute"), ua != NULL ?
			    json_object_get(ua) : NULL);
		}
	}
}

int
job_nsteps(const struct job *j)
{
	return j->n;
}

static void
undo_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct job *j = arg;

	(void)ret;
	(void)err;	/* an undo that fails leaves nothing better to do */
	j->pending = 0;
	job_rollback(j);
}

/* Run the undo of the step before j->undoing, going down to the first. */
static void
job_rollback(struct job *j)
{
	if (j->abandoned) {
		job_finish(j);
		return;
	}
	while (j->undoing > 0) {
		struct step *s = &j->steps[--j->undoing];
		if (s->undo_cmd == NULL)
			continue;
		struct json_object *a = s->undo_args;
		s->undo_args = NULL;
		j->pending = qmp_execute(j->qmp, s->undo_cmd, a, UNDO_STEP_MS,
		    undo_reply, j);
		if (j->pending > 0)
			return;
		/* the connection is gone: the rest cannot run either */
		break;
	}
	job_finish(j);
}

static void
step_reply(void *arg, struct json_object *ret, const struct qmp_error *err)
{
	struct job *j = arg;
	struct step *s = &j->steps[j->cur];
	char why[512];

	j->pending = 0;
	if (j->abandoned) {
		job_finish(j);
		return;
	}
	if (err != NULL) {
		int own = strcmp(err->class, QMP_ERR_TIMEOUT) == 0 ||
		    strcmp(err->class, QMP_ERR_DISCONNECTED) == 0;
		event_wait_end(j);
		job_fail(j, err->class, err->desc, !own);
		/* QEMU gone: nothing can be undone in it */
		j->undoing = strcmp(err->class, QMP_ERR_DISCONNECTED) == 0 ?
		    0 : j->cur;
		job_rollback(j);
		return;
	}
	if (s->check != NULL && s->check(s->arg, ret, why, sizeof(why)) == -1) {
		event_wait_end(j);
		job_fail(j, ERR_GENERIC, why, 0);
		j->undoing = j->cur + 1;	/* the step itself took effect */
		job_rollback(j);
		return;
	}
	if (s->event != NULL && !j->ev_seen) {
		/* the reply came; the event is still to come */
		j->reply_seen = 1;
		struct timeval tv = { s->ev_timeout_ms / 1000,
		    (s->ev_timeout_ms % 1000) * 1000 };
		evtimer_add(j->ev_timer, &tv);
		return;
	}
	event_wait_end(j);
	j->cur++;
	job_next(j);
}

/* v is one of the '|'-separated alternatives of alts */
static int
matches(const char *v, const char *alts)
{
	size_t n = strlen(v);

	for (const char *a = alts;; a++) {
		if (strncmp(a, v, n) == 0 && (a[n] == '\0' || a[n] == '|'))
			return 1;
		if ((a = strchr(a, '|')) == NULL)
			return 0;
	}
}

/* The event a step waits for: when it matches, and the reply came, on. */
static void
event_came(void *arg, const char *name, struct json_object *msg)
{
	struct job *j = arg;
	struct step *s = &j->steps[j->cur];
	struct json_object *data = jget(msg, "data");
	const char *v = jstr(data, s->ev_key);
	const char *v2 = s->ev_key2 != NULL ? jstr(data, s->ev_key2) : NULL;

	(void)name;
	if (v == NULL || !matches(v, s->ev_value) || j->ev_seen)
		return;
	if (s->ev_key2 != NULL && (v2 == NULL || !matches(v2, s->ev_value2)))
		return;
	j->ev_seen = 1;
	if (!j->reply_seen)
		return;
	event_wait_end(j);
	j->cur++;
	job_next(j);
}

static void
event_timed_out(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	struct step *s = &j->steps[j->cur];
	char desc[256];

	(void)fd;
	(void)what;
	snprintf(desc, sizeof(desc), "no %s for %s %s%s%s%s%s within %d s "
	    "after %s", s->event, s->ev_key, s->ev_value,
	    s->ev_key2 != NULL ? " and " : "", s->ev_key2 != NULL ?
	    s->ev_key2 : "", s->ev_key2 != NULL ? " " : "",
	    s->ev_key2 != NULL ? s->ev_value2 : "", s->ev_timeout_ms / 1000,
	    s->cmd);
	event_wait_end(j);
	job_fail(j, ERR_TIMEOUT, desc, 0);
	j->undoing = j->cur + 1;
	job_rollback(j);
}

/* Start waiting for the running step's event, before its command goes. */
static void
event_wait_begin(struct job *j, struct step *s)
{
	j->ev_seen = j->reply_seen = 0;
	if (s->event == NULL)
		return;
	j->ev_sub = qmp_subscribe(j->qmp, s->event, event_came, j);
	j->ev_timer = evtimer_new(j->base, event_timed_out, j);
}

static void
event_wait_end(struct job *j)
{
	if (j->ev_sub != NULL)
		qmp_unsubscribe(j->qmp, j->ev_sub);
	j->ev_sub = NULL;
	if (j->ev_timer != NULL)
		event_free(j->ev_timer);
	j->ev_timer = NULL;
}

static void
job_next(struct job *j)
{
	if (j->cur >= j->n) {
		job_finish(j);
		return;
	}
	struct step *s = &j->steps[j->cur];
	if (j->progress != NULL)
		j->progress(j->parg, j->cur + 1, j->n, s->cmd);
	struct json_object *a = s->args;
	s->args = NULL;
	event_wait_begin(j, s);
	j->pending = s->fd != -1 ? qmp_execute_fd(j->qmp, s->cmd, a, s->fd,
	    0, step_reply, j) : qmp_execute(j->qmp, s->cmd, a, 0, step_reply, j);
	if (j->pending < 0) {
		j->pending = 0;
		job_fail(j, ERR_DISCONNECTED, "the QMP connection is closed", 0);
		j->undoing = 0;
		job_finish(j);
	}
}

void
job_start(struct job *j)
{
	job_next(j);
}

void
job_abandon(struct job *j)
{
	if (j->pending > 0) {
		/* forget the reply; the job goes now */
		qmp_cancel(j->qmp, j->pending);
		j->pending = 0;
	}
	j->abandoned = 1;
	job_finish(j);
}
