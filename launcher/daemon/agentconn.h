/*
 * agentconn: one connection to a QEMU guest agent (the protocol of QEMU's
 * qga/qapi-schema.json), on a connected stream socket, in the event loop.
 * Knows nothing about VMs.
 *
 * The agent is untrusted.  Calls run one at a time, in order; each has
 * its own timeout, counted from agentconn_call.  Before the first call
 * and after any call that timed out or got garbage, the connection
 * resynchronises: a 0xFF byte (which resets the agent's parser), then
 * guest-sync-delimited with a fresh id; everything before the agent's
 * 0xFF and any reply of another id is thrown away.  A reply larger than
 * the cap, or more than the cap thrown away while waiting for the 0xFF,
 * breaks the connection (agentconn_broken): the owner frees it and
 * connects again later.  Input is read only while a call runs, so a
 * flooding agent fills the socket and stops, not the supervisor's memory.
 */
#ifndef LAUNCHER_AGENTCONN_H
#define LAUNCHER_AGENTCONN_H

#include <stddef.h>

struct event_base;
struct json_object;
struct agentconn;

/* Local error classes, beside the agent's own */
#define AGENT_ERR_TIMEOUT	"Timeout"
#define AGENT_ERR_PROTOCOL	"AgentProtocolError"
#define AGENT_ERR_CLOSED	"Disconnected"

#define AGENT_MAX_REPLY		(1024 * 1024)	/* default cap, bytes */
#define AGENT_MAX_QUEUE		16		/* calls waiting at most */

/*
 * The result of a call: ret (the "return" value; borrowed) or an error
 * class and desc (the agent's, or a local one above).  Exactly once.
 */
typedef void (*agent_cb)(void *arg, struct json_object *ret,
    const char *class, const char *desc);

/* Takes fd (connected, any mode).  max_reply 0: AGENT_MAX_REPLY. */
struct agentconn *agentconn_new(struct event_base *, int fd,
		    size_t max_reply);
/* Fails the calls still there (Disconnected), then frees. */
void		 agentconn_free(struct agentconn *);

/*
 * Run req ({"execute": ..., "arguments": ...}; consumed).  no_reply: the
 * command has no reply on success (guest-shutdown): it succeeds once
 * written.  -1 with the reason in err when the call cannot even be
 * queued (the connection is broken, the queue full); cb is not called.
 */
int		 agentconn_call(struct agentconn *, struct json_object *req,
		    int timeout_ms, int no_reply, agent_cb, void *arg,
		    char *err, size_t errlen);

/* The connection is of no more use: the owner frees it. */
int		 agentconn_broken(const struct agentconn *);
/* The reason it broke, or "" */
const char	*agentconn_why(const struct agentconn *);

#endif
