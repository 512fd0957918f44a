/*
 * A device change as virsh makes one, live and/or in the stored
 * definition (change.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "change.h"
#include "dispatch.h"
#include "daemon.h"
#include "jget.h"
#include "job.h"
#include "names.h"
#include "nics.h"
#include "req.h"
#include "util.h"
#include "vm.h"

/* virsh's scope, and a live change needs QEMU to take commands. */
int
change_scope(struct req *r, struct vm *vm, int *live, int *config)
{
	cmd_scope(r, vm, live, config);
	/*
	 * One change at a time: each is computed from the definitions as
	 * they are when it starts, and a second would be lost under the first
	 */
	if (vm->nchanges > 0) {
		req_error(r, ERR_INVALID_STATE, "VM '%s': another device change "
		    "is still running; try again when it has ended", vm->name);
		return -1;
	}
	if (*live && vm_qmp(vm) == NULL) {
		req_error(r, ERR_INVALID_STATE, "VM '%s' is %s: a live change "
		    "needs it running", vm->name, vm_state_name(vm->state));
		return -1;
	}
	return 0;
}

void
change_free(struct change *c)
{
	c->vm->nchanges--;
	for (size_t i = 0; i < c->nfds; i++)
		if (c->fds[i] != -1)
			close(c->fds[i]);
	free(c->fds);
	vmdef_free(c->live);
	vmdef_free(c->config);
	storage_keep(&c->made);
	free(c);
}

/*
 * Take the live part (QEMU has it, whatever else happens), then store the
 * config part, and answer.
 */
static void
change_finish(struct change *c)
{
	char err[512];
	struct vm *vm;

	if (c->live != NULL) {
		if (c->tap_done[0])
			nics_forget(c->vm, c->tap_done);
		vm_set_live_def(c->vm, c->live);
		c->live = NULL;
		if (c->adds)
			vm_note_hotplug(c->vm);
		if (c->after_live != NULL)
			c->after_live(c->vm, vm_qmp(c->vm));
		/* the disks' node names, and that a device came */
		vm_write_runstate(c->vm);
	}
	if (c->config != NULL) {
		if (vm_define(c->r->d, c->config, &vm, err, sizeof(err)) == -1) {
			req_error(c->r, ERR_GENERIC, "%s: the running VM has the "
			    "change, but the definition could not be stored: %s",
			    c->what, err);
			change_free(c);
			return;
		}
		c->config = NULL;	/* the VM's now */
	}
	req_return(c->r, NULL);
	change_free(c);
}

static void
change_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct change *c = arg;

	vm_job_untrack(c->vm, c->job);
	if (ok) {
		change_finish(c);
		return;
	}
	/* every step was undone; so are the images made for it */
	/* desc is the job's or QEMU's, which name no operation: c->what does */
	storage_undo(&c->made);
	if (c->tap_fail[0])
		nics_forget(c->vm, c->tap_fail);
	if (qemu)
		req_qemu_error(c->r, class, desc);
	else
		req_error(c->r, class, "%s: %s", c->what, desc);
	change_free(c);
}

/* Run the live steps as a job, then finish; with no live part, finish. */
void
change_run(struct change *c, struct json_object *steps, const char *unplug_id)
{
	if (c->live == NULL) {
		json_object_put(steps);
		change_finish(c);
		return;
	}
	int unplug_ms = c->unplug_ms > 0 ? c->unplug_ms : UNPLUG_WAIT_MS;
	struct job *j = job_new(c->r->d->base, vm_qmp(c->vm), c->what,
	    CHANGE_JOB_MS + unplug_ms, change_done, c);
	size_t nfd = 0;
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		struct json_object *one = json_object_new_array();
		struct json_object *s = json_object_array_get_idx(steps, i);
		json_object_array_add(one, json_object_get(s));
		job_steps_from(j, one);
		json_object_put(one);
		/* getfd hands QEMU the next descriptor */
		if (strcmp(jstr(s, "execute"), "getfd") == 0 && nfd < c->nfds) {
			job_pass_fd(j, c->fds[nfd]);
			c->fds[nfd++] = -1;
		}
		/* device_del only asks the guest: wait until it let go */
		if (unplug_id != NULL && strcmp(jstr(s, "execute"),
		    "device_del") == 0)
			job_expect_event(j, "DEVICE_DELETED", "device",
			    unplug_id, unplug_ms);
	}
	json_object_put(steps);
	c->job = j;
	vm_job_track(c->vm, j);
	job_start(j);
}

struct change *
change_new(struct req *r, struct vm *vm, const char *what, const char *target)
{
	struct change *c = xcalloc(1, sizeof(*c));

	c->r = r;
	c->vm = vm;
	vm->nchanges++;
	snprintf(c->what, sizeof(c->what), "%s %s", what, target);
	return c;
}

