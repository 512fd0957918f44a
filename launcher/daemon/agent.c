/* The VMs' guest agent connections (agent.h). */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "sock.h"
#include "vm.h"
#include "xalloc.h"

struct agentlink {
	LIST_ENTRY(agentlink)	 entry;
	const struct vm		*vm;
	pid_t			 pid;	/* the QEMU it is connected to */
	struct agentconn	*conn;
};

struct agents {
	struct sink		*sink;
	LIST_HEAD(, agentlink)	 links;
};

static struct agentlink *
link_find(struct agents *set, const struct vm *vm)
{
	struct agentlink *l;

	LIST_FOREACH(l, &set->links, entry)
		if (l->vm == vm)
			return l;
	return NULL;
}

static void
link_free(struct agentlink *l)
{
	agentconn_free(l->conn);
	LIST_REMOVE(l, entry);
	free(l);
}

static void
on_vm_event(void *arg, const struct vm_event *ev)
{
	struct agents *set = arg;
	struct agentlink *l = link_find(set, ev->vm);

	if (l != NULL && (ev->kind == VMEV_STOPPED ||
	    ev->kind == VMEV_REMOVED))
		link_free(l);
}

static struct agents *
agents(struct daemon *d)
{
	if (d->agents == NULL) {
		d->agents = xcalloc(1, sizeof(*d->agents));
		LIST_INIT(&d->agents->links);
		d->agents->sink = events_sink(d, on_vm_event, d->agents);
	}
	return d->agents;
}

void
agent_fini(struct daemon *d)
{
	struct agents *set = d->agents;

	if (set == NULL)
		return;
	while (!LIST_EMPTY(&set->links))
		link_free(LIST_FIRST(&set->links));
	events_unsink(d, set->sink);
	free(set);
	d->agents = NULL;
}

/* The VM's working connection, made now if need be. */
static struct agentconn *
connection(struct daemon *d, struct vm *vm, char *err, size_t errlen)
{
	struct agents *set = agents(d);
	struct agentlink *l = link_find(set, vm);
	int fd;

	if (l != NULL && (agentconn_broken(l->conn) || l->pid != vm->pid)) {
		if (agentconn_broken(l->conn))
			log_info("%s: guest agent connection dropped: %s",
			    vm->name, agentconn_why(l->conn));
		link_free(l);
		l = NULL;
	}
	if (l != NULL)
		return l->conn;
	if ((fd = unix_connect(vm->paths.agent)) == -1) {
		snprintf(err, errlen, "VM '%s': cannot connect to the guest "
		    "agent's socket %s", vm->name, vm->paths.agent);
		return NULL;
	}
	if (socket_peer_pid(fd) != vm->pid) {
		close(fd);
		snprintf(err, errlen, "VM '%s': the guest agent socket %s does "
		    "not belong to its QEMU", vm->name, vm->paths.agent);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->vm = vm;
	l->pid = vm->pid;
	l->conn = agentconn_new(d->base, fd, 0);
	LIST_INSERT_HEAD(&set->links, l, entry);
	return l->conn;
}

int
agent_call_req(struct daemon *d, struct vm *vm, struct json_object *req,
    int timeout_ms, int no_reply, agent_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct agentconn *c;
	char why[256];

	if (!vmdef_has_agent(vm->def)) {
		snprintf(err, errlen, "VM '%s' has no guest agent channel "
		    "(guest-agent: on)", vm->name);
		json_object_put(req);
		return -1;
	}
	if (vm->pid <= 0 || (vm->state != VM_RUNNING &&
	    vm->state != VM_PAUSED)) {
		snprintf(err, errlen, "VM '%s' is %s: the guest agent needs a "
		    "running VM", vm->name, vm_state_name(vm->state));
		json_object_put(req);
		return -1;
	}
	if ((c = connection(d, vm, err, errlen)) == NULL) {
		json_object_put(req);
		return -1;
	}
	if (agentconn_call(c, req, timeout_ms > 0 ? timeout_ms :
	    AGENT_TIMEOUT_MS, no_reply, cb, arg, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "VM '%s': guest agent: %s", vm->name, why);
		return -1;
	}
	return 0;
}

int
agent_call(struct daemon *d, struct vm *vm, const char *cmd,
    struct json_object *args, int timeout_ms, int no_reply, agent_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args != NULL)
		json_object_object_add(req, "arguments", args);
	return agent_call_req(d, vm, req, timeout_ms, no_reply, cb, arg, err,
	    errlen);
}
