/*
 * Events without cycles: the VM core fires, and whoever cares (the
 * control socket's subscribers, the console relay, later the web page)
 * has registered a sink.  Producers never know who listens.
 */
#ifndef LAUNCHER_EVENTS_H
#define LAUNCHER_EVENTS_H

struct daemon;
struct vm;
struct json_object;

enum vmev_kind {
	VMEV_MESSAGE,	/* msg is for clients: {"event", "vm", "data", "timestamp"} */
	VMEV_STOPPED,	/* the VM's QEMU process is gone */
	VMEV_REMOVED,	/* the VM is about to be freed */
};

struct vm_event {
	enum vmev_kind		 kind;
	struct vm		*vm;
	const char		*name;	/* VMEV_MESSAGE: the event's name */
	struct json_object	*msg;	/* borrowed; sinks take a reference */
};

typedef void (*event_sink_fn)(void *arg, const struct vm_event *);

/* A handle for events_unsink(); sinks are called in registration order. */
struct sink	*events_sink(struct daemon *, event_sink_fn, void *arg);
/* Safe from inside a sink. */
void		 events_unsink(struct daemon *, struct sink *);
void		 events_fire(struct daemon *, const struct vm_event *);
/*
 * The client message of an event: {"event": name, "vm": vmname, "data":
 * data (consumed; {} when NULL), "timestamp": {seconds, microseconds}}.
 */
struct json_object *events_message(const char *name, const char *vmname,
		    struct json_object *data);

#endif
