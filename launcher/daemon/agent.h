/*
 * The guest agents of the VMs with "guest-agent: on": the supervisor is
 * the only client of each VM's agent socket (vmpaths.agent, QEMU the
 * server).  A connection (agentconn.h) is made at the first call, when
 * the socket belongs to the VM's QEMU, kept while it works, and dropped
 * when it breaks (a flood, an oversize reply, the channel closing) or the
 * VM stops; the next call connects again.  The registry is made on first
 * use and freed by daemon_fini.
 */
#ifndef LAUNCHER_AGENT_H
#define LAUNCHER_AGENT_H

#include <stddef.h>

#include "agentconn.h"

struct daemon;
struct vm;
struct json_object;

#define AGENT_TIMEOUT_MS	5000	/* a call's default */

/*
 * Call cmd (args consumed, NULL: none) on the VM's agent; cb answers once,
 * later.  -1 with the whole message in err when the VM has no agent or
 * is not running, or the call cannot be queued: cb is not called.
 */
int	 agent_call(struct daemon *, struct vm *, const char *cmd,
	    struct json_object *args, int timeout_ms, int no_reply,
	    agent_cb, void *arg, char *err, size_t errlen);
/* The same with a whole request object {"execute":..., ...} (consumed). */
int	 agent_call_req(struct daemon *, struct vm *, struct json_object *req,
	    int timeout_ms, int no_reply, agent_cb, void *arg, char *err,
	    size_t errlen);

void	 agent_fini(struct daemon *);

/*
 * ifaddr --source agent (cmd-agent.c): answers r with the guest's
 * interfaces as ifaddr's other sources do: [{"interface", "mac",
 * "addresses": [{"address", "family", "prefix", "source": "agent"}]}].
 */
struct req;
void	 agent_ifaddr(struct req *, struct vm *);

#endif
