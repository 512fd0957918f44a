/* Freezing around disk-only snapshots (snapfreeze.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.h"
#include "daemon.h"
#include "log.h"
#include "snapfreeze.h"
#include "vm.h"
#include "xalloc.h"

struct freeze {
	struct daemon	*d;
	struct vm	*vm;
	char		 name[65];
	void		(*then)(void *, int);
	void		*arg;
};

static void
thawed(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	char *name = arg;

	if (class != NULL)
		log_warnx("%s: guest agent: thawing after the snapshot: %s",
		    name, desc);
	else
		log_info("%s: guest file systems thawed (%d)", name,
		    json_object_get_int(ret));
	free(name);
}

void
snapthaw(struct daemon *d, struct vm *vm)
{
	char err[512], *name = xstrdup(vm->name);

	if (agent_call(d, vm, "guest-fsfreeze-thaw", NULL, SNAPFREEZE_MS, 0,
	    thawed, name, err, sizeof(err)) == -1) {
		log_warnx("%s: cannot thaw after the snapshot: %s", name, err);
		free(name);
	}
}

static void
frozen(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	struct freeze *f = arg;
	int ok = class == NULL && ret != NULL &&
	    json_object_is_type(ret, json_type_int);

	if (ok)
		log_info("%s: guest file systems frozen (%d) for a disk-only "
		    "snapshot", f->name, json_object_get_int(ret));
	else
		log_warnx("%s: guest agent: the snapshot goes on without "
		    "freezing: %s", f->name, class != NULL ? desc :
		    "the reply is not a count");
	/* a late freeze must not stay: thaw even so (not when gone) */
	if (!ok && class != NULL && strcmp(class, AGENT_ERR_CLOSED) != 0)
		snapthaw(f->d, f->vm);
	f->then(f->arg, ok);
	free(f);
}

void
snapfreeze(struct daemon *d, struct vm *vm, void (*then)(void *, int),
    void *arg)
{
	struct freeze *f;
	char err[512];

	if (!vmdef_has_agent(vm->def) || vm->state != VM_RUNNING) {
		then(arg, 0);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->d = d;
	f->vm = vm;
	snprintf(f->name, sizeof(f->name), "%s", vm->name);
	f->then = then;
	f->arg = arg;
	if (agent_call(d, vm, "guest-fsfreeze-freeze", NULL, SNAPFREEZE_MS, 0,
	    frozen, f, err, sizeof(err)) == -1) {
		log_warnx("%s: the snapshot goes on without freezing: %s",
		    vm->name, err);
		free(f);
		then(arg, 0);
	}
}
