/*
 * What qlaunchd does with its guests when it is stopped (onstop.h).
 * Each guest's work is one internal request through dispatch, answered
 * into a counter; a deadline beyond the requests' own bounds ends the
 * wait whatever happens, so a stop never hangs.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "log.h"
#include "onstop.h"
#include "req.h"
#include "util.h"
#include "vmdef.h"
#include "vm.h"
#include "xalloc.h"

#define SAVE_SUFFIX	".qlsave"

struct onstop {
	struct daemon	*d;
	int		 pending;	/* requests not answered yet */
	int		 finished;
	struct event	*deadline;
	void		(*done)(void *);
	void		*arg;
};

/* One internal request: its answer is logged and counted. */
struct onreq {
	struct onstop	*os;
	char		 name[128];
	char		 what[16];
	char		 file[PATH_MAX];	/* restore: removed when done */
	int		 agent;		/* shutdown through the guest agent */
};

static void	onstop_shutdown(struct onstop *, const char *name, int agent);

static void
onstop_free(struct onstop *os)
{
	if (os->deadline != NULL)
		event_free(os->deadline);
	free(os);
}

/* Done: tell the caller; freed now, or by the last answer after a
 * deadline. */
static void
onstop_finish(struct onstop *os)
{
	if (os->finished)
		return;
	os->finished = 1;
	if (os->deadline != NULL)
		event_del(os->deadline);
	os->done(os->arg);
	if (os->pending == 0)
		onstop_free(os);
}

static void
onreq_send(void *conn, struct json_object *msg)
{
	struct onreq *q = conn;
	struct json_object *e;

	if (json_object_object_get_ex(msg, "error", &e)) {
		struct json_object *desc = NULL;
		json_object_object_get_ex(e, "desc", &desc);
		log_warnx("%s: %s%s at stop: %s", q->name, q->what,
		    q->agent ? " through the agent" : "",
		    desc != NULL ? json_object_get_string(desc) : "failed");
		/* an agent that does not answer: the power button then */
		if (q->agent && q->os != NULL && !q->os->finished)
			onstop_shutdown(q->os, q->name, 0);
		return;
	}
	if (!json_object_object_get_ex(msg, "return", &e))
		return;		/* a progress event */
	log_info("%s: %s done", q->name, q->what);
	if (q->file[0] != '\0' && strcmp(q->what, "restore") == 0 &&
	    unlink(q->file) == -1)
		log_warn("%s", q->file);
}

static void
onreq_forget(void *conn, struct req *r)
{
	struct onreq *q = conn;
	struct onstop *os = q->os;

	(void)r;
	free(q);
	if (os != NULL && --os->pending == 0) {
		if (os->finished)
			onstop_free(os);
		else
			onstop_finish(os);
	}
}

static const struct req_ops onreq_ops = {
	.send = onreq_send,
	.forget = onreq_forget,
};

static void
onreq_run(struct daemon *d, struct onstop *os, const char *cmd,
    const char *name, const char *file, struct json_object *args, int agent)
{
	struct onreq *q = xcalloc(1, sizeof(*q));

	q->os = os;
	q->agent = agent;
	strlcpy(q->name, name, sizeof(q->name));
	strlcpy(q->what, cmd, sizeof(q->what));
	if (file != NULL)
		strlcpy(q->file, file, sizeof(q->file));
	if (os != NULL)
		os->pending++;
	struct req *r = req_new(d, &onreq_ops, q, cmd, NULL, args, getuid(),
	    getpid());
	dispatch(r);
}

/* shutdown --wait T --force [--mode agent] */
static void
onstop_shutdown(struct onstop *os, const char *name, int agent)
{
	struct json_object *a = json_object_new_object();

	log_info("%s: shutdown (%s), destroyed after %d s", name, agent ?
	    "the guest agent" : "ACPI", os->d->conf.stop_timeout);
	json_object_object_add(a, "name", json_object_new_string(name));
	json_object_object_add(a, "wait",
	    json_object_new_int(os->d->conf.stop_timeout));
	json_object_object_add(a, "force", json_object_new_boolean(1));
	if (agent)
		json_object_object_add(a, "mode",
		    json_object_new_string("agent"));
	onreq_run(os->d, os, "shutdown", name, NULL, a, agent);
}

static void
savedir(const struct daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/managedsave", d->statedir);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct onstop *os = arg;

	(void)fd;
	(void)what;
	log_warnx("stop: %d guests not handled in time; leaving them",
	    os->pending);
	onstop_finish(os);
}

void
onstop_begin(struct daemon *d, void (*done)(void *), void *arg)
{
	struct onstop *os = xcalloc(1, sizeof(*os));
	char dir[PATH_MAX], file[PATH_MAX];
	struct vm *vm;

	os->d = d;
	os->done = done;
	os->arg = arg;
	os->pending = 1;	/* held while the requests go out */
	int policy = d->conf.on_stop;
	if (policy == ONSTOP_SUSPEND) {
		savedir(d, dir, sizeof(dir));
		if (mkdirs(dir, 0700) == -1) {
			log_warn("stop: %s; guests left running", dir);
			policy = ONSTOP_LEAVE;
		}
	}
	log_info("stop: guests: %s", dconf_onstop_name(policy));
	TAILQ_FOREACH(vm, &d->vms, entry) {
		if (policy == ONSTOP_LEAVE || !vm_active(vm))
			continue;
		if (policy == ONSTOP_SHUTDOWN) {
			/* the agent when the guest has one, as virsh does */
			onstop_shutdown(os, vm->name, vmdef_has_agent(vm->def));
			continue;
		}
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "name",
		    json_object_new_string(vm->name));
		snprintf(file, sizeof(file), "%s/%s" SAVE_SUFFIX, dir, vm->name);
		(void)unlink(file);	/* save never overwrites */
		json_object_object_add(a, "file", json_object_new_string(file));
		onreq_run(d, os, "save", vm->name, file, a, 0);
	}
	/* the requests' own bounds, and then some */
	struct timeval tv = { d->conf.stop_timeout + 30, 0 };
	os->deadline = evtimer_new(d->base, on_deadline, os);
	evtimer_add(os->deadline, &tv);
	if (--os->pending == 0)
		onstop_finish(os);	/* and freed */
}

int
onstop_restore(struct daemon *d)
{
	char dir[PATH_MAX], file[PATH_MAX];
	struct dirent *de;
	int n = 0;

	savedir(d, dir, sizeof(dir));
	DIR *dp = opendir(dir);
	if (dp == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name), sl = strlen(SAVE_SUFFIX);
		if (l <= sl || strcmp(de->d_name + l - sl, SAVE_SUFFIX) != 0)
			continue;
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)(l - sl), de->d_name);
		struct vm *vm = vm_find(d, name);
		if (vm != NULL && vm_active(vm))
			continue;	/* kept: it runs already */
		snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "file", json_object_new_string(file));
		log_info("%s: restoring the state saved at stop", name);
		onreq_run(d, NULL, "restore", name, file, a, 0);
		n++;
	}
	closedir(dp);
	return n;
}
